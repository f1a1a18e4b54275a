/* sl-gst-source.h — the "gst:DESC" probe backend: any GStreamer source.
 *
 * The escape hatch for capture hardware and test sources we do not wrap
 * ourselves.  The description is parsed as with gst-launch-1.0 and followed
 * by videoconvert ! videoscale ! capsfilter, so any raw video it produces
 * comes out as I420 at the configured size, letterboxed with square pixels.
 * The frame rate is the source's own.  Whether the source is live is the
 * description's business: use is-live=true (or a capture element) for a
 * real-time stream.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Returns (transfer floating) the bin, or NULL with @error set
 * (SL_PROBE_ERROR_SOURCE, with GStreamer's message) when @description does
 * not parse or has no video output.  Main thread. */
GstElement *sl_gst_source_new (const gchar *description, guint width,
                               guint height, GError **error);

G_END_DECLS
