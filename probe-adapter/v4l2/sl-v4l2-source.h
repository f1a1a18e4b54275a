/* sl-v4l2-source.h — the "v4l2:DEVICE[?...]" probe backend: a capture card.
 *
 * Opens the device, lists the raw modes it offers, picks one
 * (sl-v4l2-mode.h) and builds "v4l2src ! that mode ! videoconvert !
 * videoscale ! I420 at the session's size" through the gst: backend.  The
 * frame rate is the mode's.  Needs v4l2src (gstreamer1.0-plugins-good).
 */
#pragma once

#include <gst/gst.h>

#include "sl-v4l2-mode.h"
#include "sl-v4l2-uri.h"

G_BEGIN_DECLS

/* Returns (transfer floating) the bin for @uri at @width × @height (the
 * session's size) and @fps (the session's rate), or NULL with @error:
 * SL_PROBE_ERROR_SPEC when the user can fix it in the spec or at the
 * machine (no such device, not a capture device, no raw mode matching
 * the keys: the message lists what the card offers), SL_PROBE_ERROR_SOURCE
 * otherwise.  Sets *@chosen (nullable; transfer full) to a sentence on the
 * mode chosen and *@fps_out (nullable) to its rate, rounded.  Opens the
 * device briefly; any thread. */
GstElement *sl_v4l2_source_new (const SlV4l2Uri *uri, guint width, guint height,
                                guint fps, gchar **chosen, guint *fps_out,
                                GError **error);

/* Flattens a capture card's @caps into @modes (at most @max), one per raw
 * format, size and rate.  Ranges of sizes give the session's size clamped
 * into them and their largest; ranges of rates give @fps when inside and
 * their highest.  Format names point into @caps: keep it alive.  Returns
 * how many were written. */
guint sl_v4l2_modes_from_caps (GstCaps *caps, guint width, guint height,
                               guint fps, SlV4l2Mode *modes, guint max);

/* The GStreamer description that captures @mode from @device (a path
 * sl_v4l2_uri_parse() accepted): "v4l2src device=... ! capsfilter ...",
 * the rate as the card gave it.
 * Returns (transfer full) the text. */
gchar *sl_v4l2_description (const gchar *device, const SlV4l2Mode *mode);

G_END_DECLS
