/* sl-guide-view.c — see sl-guide-view.h.
 *
 * The PNG path converts the frame once, with GstVideoConverter, straight
 * into the memory of a cairo RGB24 surface (cairo's native-endian xRGB,
 * which GStreamer calls BGRx on a little-endian machine), draws on it and
 * lets cairo write the PNG into memory; g_file_set_contents then writes
 * it under a temporary name and renames it.  No pipeline is built, so a
 * snapshot costs one conversion and one PNG encode.
 */
#include "sl-guide-view.h"
#include "sl-media.h"

#include <gst/video/video.h>

#if G_BYTE_ORDER == G_LITTLE_ENDIAN
#define CAIRO_RGB24_FORMAT GST_VIDEO_FORMAT_BGRx
#else
#define CAIRO_RGB24_FORMAT GST_VIDEO_FORMAT_xRGB
#endif

static cairo_status_t
append_bytes (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

/* Converts @frame into a new RGB24 surface; NULL with @error. */
static cairo_surface_t *
frame_to_surface (GstSample *frame, GError **error)
{
  GstVideoInfo in_info, out_info;
  GstVideoFrame in, out;
  GstVideoConverter *conv;
  cairo_surface_t *surface;
  g_autoptr (GstBuffer) wrapped = NULL;
  guint w, h;

  if (gst_sample_get_caps (frame) == NULL
      || !gst_video_info_from_caps (&in_info, gst_sample_get_caps (frame)))
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "the picture has no raw video format");
      return NULL;
    }
  w = GST_VIDEO_INFO_WIDTH (&in_info);
  h = GST_VIDEO_INFO_HEIGHT (&in_info);
  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "no memory for a %ux%u picture", w, h);
      cairo_surface_destroy (surface);
      return NULL;
    }
  gst_video_info_set_format (&out_info, CAIRO_RGB24_FORMAT, w, h);
  /* The converter wants the same rate and aspect on both sides. */
  GST_VIDEO_INFO_FPS_N (&out_info) = GST_VIDEO_INFO_FPS_N (&in_info);
  GST_VIDEO_INFO_FPS_D (&out_info) = GST_VIDEO_INFO_FPS_D (&in_info);
  GST_VIDEO_INFO_PAR_N (&out_info) = GST_VIDEO_INFO_PAR_N (&in_info);
  GST_VIDEO_INFO_PAR_D (&out_info) = GST_VIDEO_INFO_PAR_D (&in_info);
  GST_VIDEO_INFO_PLANE_STRIDE (&out_info, 0)
      = cairo_image_surface_get_stride (surface);
  GST_VIDEO_INFO_SIZE (&out_info)
      = (gsize)h * GST_VIDEO_INFO_PLANE_STRIDE (&out_info, 0);
  cairo_surface_flush (surface);
  wrapped = gst_buffer_new_wrapped_full (
      0, cairo_image_surface_get_data (surface),
      GST_VIDEO_INFO_SIZE (&out_info), 0, GST_VIDEO_INFO_SIZE (&out_info), NULL,
      NULL);
  if (!gst_video_frame_map (&in, &in_info, gst_sample_get_buffer (frame),
                            GST_MAP_READ))
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "could not read the picture");
      cairo_surface_destroy (surface);
      return NULL;
    }
  gst_video_frame_map (&out, &out_info, wrapped, GST_MAP_WRITE);
  conv = gst_video_converter_new (&in_info, &out_info, NULL);
  gst_video_converter_frame (conv, &in, &out);
  gst_video_converter_free (conv);
  gst_video_frame_unmap (&out);
  gst_video_frame_unmap (&in);
  cairo_surface_mark_dirty (surface);
  return surface;
}

gboolean
sl_guide_view_write_png (GstSample *frame, SlGuideDrawFunc draw,
                         gpointer user_data, const gchar *path, GError **error)
{
  cairo_surface_t *surface = frame_to_surface (frame, error);
  g_autoptr (GByteArray) png = NULL;
  cairo_status_t status;

  if (surface == NULL)
    return FALSE;
  if (draw != NULL)
    {
      cairo_t *cr = cairo_create (surface);

      draw (cr, cairo_image_surface_get_width (surface),
            cairo_image_surface_get_height (surface), user_data);
      cairo_destroy (cr);
      cairo_surface_flush (surface);
    }
  png = g_byte_array_new ();
  status = cairo_surface_write_to_png_stream (surface, append_bytes, png);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "could not encode the PNG: %s",
                   cairo_status_to_string (status));
      return FALSE;
    }
  return g_file_set_contents (path, (const gchar *)png->data, png->len, error);
}

/* ---- the live overlay ---- */

typedef struct
{
  SlGuideDrawFunc draw;
  gpointer user_data;
  gint width, height; /* streaming thread: from the overlay's caps */
} Overlay;

static void
on_caps_changed (GstElement *overlay, GstCaps *caps, Overlay *o)
{
  GstVideoInfo info;

  if (gst_video_info_from_caps (&info, caps))
    {
      o->width = GST_VIDEO_INFO_WIDTH (&info);
      o->height = GST_VIDEO_INFO_HEIGHT (&info);
    }
}

static void
on_draw (GstElement *overlay, cairo_t *cr, guint64 timestamp, guint64 duration,
         Overlay *o)
{
  if (o->width > 0 && o->height > 0)
    o->draw (cr, o->width, o->height, o->user_data);
}

GstElement *
sl_guide_view_wrap_sink (GstElement *sink, SlGuideDrawFunc draw,
                         gpointer user_data)
{
  GstElement *bin, *overlay, *convert;
  g_autoptr (GstPad) pad = NULL;
  Overlay *o;

  overlay = gst_element_factory_make ("cairooverlay", "guide-overlay");
  convert = gst_element_factory_make ("videoconvert", "guide-convert");
  if (overlay == NULL || convert == NULL)
    {
      g_clear_pointer (&overlay, gst_object_unref);
      g_clear_pointer (&convert, gst_object_unref);
      return sink;
    }
  o = g_new0 (Overlay, 1);
  o->draw = draw;
  o->user_data = user_data;
  bin = gst_bin_new ("guide-view");
  g_object_set_data_full (G_OBJECT (bin), "sl-guide-overlay", o, g_free);
  gst_bin_add_many (GST_BIN (bin), overlay, convert, sink, NULL);
  gst_element_link_many (overlay, convert, sink, NULL);
  g_signal_connect (overlay, "caps-changed", G_CALLBACK (on_caps_changed), o);
  g_signal_connect (overlay, "draw", G_CALLBACK (on_draw), o);
  pad = gst_element_get_static_pad (overlay, "sink");
  gst_element_add_pad (bin, gst_ghost_pad_new ("sink", pad));
  return bin;
}
