/* sl-keeper-src.h — a probe source that survives its source failing.
 *
 * SlKeeperSrc is a bin with one "src" pad, like every probe backend's, that
 * runs the real source (a capture card, a gst: pipeline, a file) in a
 * private pipeline of its own and hands its frames on through an appsrc.
 * An error or the end of stream in that private pipeline never reaches the
 * engine's: the keeper sends a generated "no signal" picture
 * (sl-nosignal.h) at a low rate instead, rebuilds the source from the
 * backend's recipe every few seconds, and hands real frames on again as
 * soon as one comes.  When to do what is sl-keeper.c's decision.
 *
 * It posts an element message on the engine's bus at each change:
 *
 *   "sl-probe-signal"  lost (boolean), reason (string: why, when lost)
 *
 * Frames are timestamped on arrival (the appsrc's do-timestamp), so real
 * and generated pictures share one timeline.  Threading: a thread of the
 * keeper's own watches time (retries, stalls, the no-signal pictures);
 * frames come on the private pipeline's streaming thread.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define SL_KEEPER_SIGNAL_MESSAGE "sl-probe-signal"

#define SL_TYPE_KEEPER_SRC (sl_keeper_src_get_type ())
G_DECLARE_FINAL_TYPE (SlKeeperSrc, sl_keeper_src, SL, KEEPER_SRC, GstBin)

/* Builds a new copy of the real source (transfer floating), ending in
 * video/x-raw I420 at the session's size, or NULL with @error (the reason
 * the keeper reports).  Called on the keeper's thread. */
typedef GstElement *(*SlKeeperMake) (gpointer data, GError **error);

/* Wraps @first (transfer floating: the source already built, used for the
 * first attempt) and @make, called with @data for every later one.
 * @destroy frees @data with the keeper.  @width, @height and @fps are the
 * caps of the no-signal picture until the real source has said its own. */
GstElement *sl_keeper_src_new (GstElement *first, SlKeeperMake make,
                               gpointer data, GDestroyNotify destroy,
                               guint width, guint height, guint fps);

/* Parses an SL_KEEPER_SIGNAL_MESSAGE: TRUE if @message is one, with
 * *@lost and, unless @reason is NULL, *@reason (transfer none, nullable;
 * NULL when back) set. */
gboolean sl_keeper_parse_message (GstMessage *message, gboolean *lost,
                                  const gchar **reason);

G_END_DECLS
