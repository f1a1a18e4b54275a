/* sl-snapshot.c — see sl-snapshot.h. */
#include "sl-snapshot.h"

#include <gio/gio.h>
#include <gst/video/video.h>

gboolean
sl_snapshot_write_png (GstSample *sample, const gchar *path, GError **error)
{
  g_autoptr (GstCaps) png_caps = gst_caps_new_empty_simple ("image/png");
  g_autoptr (GstSample) png = NULL;
  GstMapInfo map;
  gboolean ok;

  png = gst_video_convert_sample (sample, png_caps, 5 * GST_SECOND, error);
  if (png == NULL)
    return FALSE;
  if (!gst_buffer_map (gst_sample_get_buffer (png), &map, GST_MAP_READ))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "could not read the encoded snapshot");
      return FALSE;
    }
  /* A temporary file renamed into place, readable by this user only: it
   * is a patient image. */
  ok = g_file_set_contents_full (path, (const gchar *)map.data, map.size,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
  gst_buffer_unmap (gst_sample_get_buffer (png), &map);
  return ok;
}
