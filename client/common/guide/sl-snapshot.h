/* sl-snapshot.h — writing a decoded picture as a PNG file.
 *
 * The file is written under a temporary name and renamed into place, so a
 * reader polling the path never sees half a picture.  Any thread (it blocks
 * for the PNG encode: call it off the control thread when it matters).
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

gboolean sl_snapshot_write_png (GstSample *sample, const gchar *path,
                                GError **error);

G_END_DECLS
