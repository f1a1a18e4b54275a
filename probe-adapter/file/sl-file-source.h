/* sl-file-source.h — the "file:PATH" probe backend: a video file, looped.
 *
 * SlFileSource is a bin that plays a recorded clip over and over as if it
 * were a probe: a live source of I420 at the configured size, the file's
 * picture scaled to fit and letterboxed in black, as an ultrasound
 * machine's screen shows its image.  Frames come at the file's own pace
 * and the caps say that rate (read from the file when the source is made),
 * since the encoder spends its bitrate by it: a 25 fps clip announced as
 * 30 fps left the station at 5/6 of --bitrate.  Given a rate of its own,
 * the source drops or repeats frames to make it (videorate).  Decoding
 * errors (not a video file, missing decoder) are posted as element errors
 * on the bin.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define SL_TYPE_FILE_SOURCE (sl_file_source_get_type ())
G_DECLARE_FINAL_TYPE (SlFileSource, sl_file_source, SL, FILE_SOURCE, GstBin)

/* Returns (transfer floating) the bin, or NULL with @error set
 * (SL_PROBE_ERROR_SOURCE, naming @path) when the file is missing or
 * unreadable or an element is missing.  @fps: 0 for the file's own frame
 * rate (30 if it does not say); @fps_out (nullable): the rate the source
 * gives, rounded.  Main thread; it decodes the file's first picture to
 * learn its rate. */
GstElement *sl_file_source_new (const gchar *path, guint width, guint height,
                                guint fps, guint *fps_out, GError **error);

G_END_DECLS
