/* sl-opus-packing.h — change an opusenc's frame duration while it runs.
 *
 * The voice's packing follows the link (sl-voice-policy.h): 10, 20 or
 * 60 ms Opus frames.  GStreamer 1.22's opusenc lets "frame-size" be set
 * while PLAYING, but not safely from another thread: the property
 * changes the encoder's frame length and its base class's at once, under
 * a lock that the base class does not take when it cuts the next frame
 * from its adapter.  A frame cut at the old length then meets the new
 * one in the encoder: an assertion aborts the process ("size == bytes",
 * going from 60 to 10 ms) or libopus fails ("Encoding failed (-3):
 * internal error"), which fails the session.
 *
 * So the frame duration is set from the encoder's own streaming thread,
 * in a probe on its sink pad, just before it takes its next input: no
 * frame is being cut then.  Bitrate and DTX go straight to libopus under
 * the element's lock and are set at once.
 *
 * Threads: sl_opus_packing_set from any thread; the probe runs on the
 * encoder's streaming thread.  The packing lives as long as the encoder's
 * sink pad (the probe owns it).
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _SlOpusPacking SlOpusPacking;

/* Watches @opusenc's sink pad; NULL if it has none.  The returned
 * pointer is valid while the caller holds a reference to @opusenc. */
SlOpusPacking *sl_opus_packing_attach (GstElement *opusenc);

/* @frame_ms (10, 20, 40 or 60) from the encoder's next input on;
 * @bitrate_bps and @dtx at once. */
void sl_opus_packing_set (SlOpusPacking *packing, guint frame_ms,
                          guint bitrate_bps, gboolean dtx);

/* Frame-duration changes made so far (from any thread). */
guint sl_opus_packing_changes (SlOpusPacking *packing);

G_END_DECLS
