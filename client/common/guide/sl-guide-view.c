/* sl-guide-view.c — see sl-guide-view.h.
 *
 * The PNG path converts the frame once, with GstVideoConverter, straight
 * into the memory of a cairo RGB24 surface (cairo's native-endian xRGB,
 * which GStreamer calls BGRx on a little-endian machine), draws on it and
 * lets cairo write the PNG into memory; g_file_set_contents_full then writes
 * it under a temporary name and renames it.  No pipeline is built, so a
 * snapshot costs one conversion and one PNG encode.
 *
 * The live overlay draws nothing over the picture's pixels that it does
 * not have to.  cairooverlay, used before, needs RGB: the expert's
 * decoded I420 went to BGRx and back for every picture shown, which
 * shifted luma by 2-3 levels and capped the displayed picture near
 * 38-41 dB PSNR against the decoded one, marks or no marks.  Now a probe
 * in front of the sink has the caller draw into a cairo recording
 * surface; if anything was drawn, only its ink extents are rendered to
 * premultiplied ARGB and blended into the picture in its own format with
 * GstVideoOverlayComposition.  Outside the marks every pixel reaches the
 * sink as the decoder made it, and with no marks the buffer is not even
 * made writable.  What the sink itself converts (ximagesink takes RGB
 * only) is the display's own business.
 *
 * The window's input: a video sink sends the window's mouse and key
 * events upstream as GstNavigation events, positions already mapped from
 * the window to the pixels of the video it was given (ximagesink and
 * xvimagesink undo their own scaling and letterbox).  Between the
 * overlay's probe and the sink there is only a videoconvert, which changes the
 * format and never the size, so at the overlay's src pad those positions
 * are pixels of the very frame the overlay draws on, and dividing by its
 * size gives the protocol's normalised position.  The probe there drops
 * the events it took: the decoder and the network side have no use for
 * them.  An event the sink cannot send upstream, because its pad is
 * flushing (every seek of the replay's window flushes), is posted by the
 * sink as a navigation message instead: the bin the sink is wrapped in
 * takes those on the same thread, so no key press is lost to a seek and
 * the order of the presses is kept.
 */
#include "sl-guide-view.h"
#include "sl-media.h"

#include <gst/video/navigation.h>
#include <gst/video/video.h>
#include <math.h>
#include <string.h>

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
  /* Readable by this user only: a patient image, as stills are. */
  return g_file_set_contents_full (path, (const gchar *)png->data, png->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* ---- the live overlay ---- */

typedef struct
{
  SlGuideDrawFunc draw;
  SlGuideViewInputFunc input; /* nullable */
  gpointer user_data;
  /* Written by the streaming thread from the overlay's caps, read there
   * and by the sink's event thread: atomics. */
  gint width, height;
  GstVideoInfo info; /* the streaming thread's */
  gboolean have_info;
} Overlay;

/* Streaming thread: the picture's format, from the caps event. */
static void
caps_changed (Overlay *o, GstCaps *caps)
{
  GstVideoInfo info;

  if (!gst_video_info_from_caps (&info, caps))
    return;
  o->info = info;
  o->have_info = TRUE;
  g_atomic_int_set (&o->width, GST_VIDEO_INFO_WIDTH (&info));
  g_atomic_int_set (&o->height, GST_VIDEO_INFO_HEIGHT (&info));
}

/* What @o draws for one picture, as a rectangle of premultiplied ARGB
 * covering only what was drawn; NULL when nothing was.  The drawing is
 * recorded first so that its ink extents give the rectangle. */
static GstVideoOverlayRectangle *
draw_marks (Overlay *o, guint w, guint h)
{
  cairo_rectangle_t bounds = { 0, 0, w, h };
  cairo_surface_t *recording, *image;
  cairo_t *cr;
  double x, y, bw, bh;
  gint x0, y0, x1, y1;
  GstBuffer *pixels;
  GstVideoOverlayRectangle *rect;
  GstMapInfo map;

  recording
      = cairo_recording_surface_create (CAIRO_CONTENT_COLOR_ALPHA, &bounds);
  cr = cairo_create (recording);
  o->draw (cr, w, h, o->user_data);
  cairo_destroy (cr);
  cairo_recording_surface_ink_extents (recording, &x, &y, &bw, &bh);
  x0 = CLAMP ((gint)floor (x), 0, (gint)w);
  y0 = CLAMP ((gint)floor (y), 0, (gint)h);
  x1 = CLAMP ((gint)ceil (x + bw), 0, (gint)w);
  y1 = CLAMP ((gint)ceil (y + bh), 0, (gint)h);
  if (x1 <= x0 || y1 <= y0)
    {
      cairo_surface_destroy (recording);
      return NULL;
    }
  pixels
      = gst_buffer_new_allocate (NULL, (gsize)(x1 - x0) * (y1 - y0) * 4, NULL);
  gst_buffer_map (pixels, &map, GST_MAP_WRITE);
  memset (map.data, 0, map.size);
  image = cairo_image_surface_create_for_data (map.data, CAIRO_FORMAT_ARGB32,
                                               x1 - x0, y1 - y0, (x1 - x0) * 4);
  cr = cairo_create (image);
  cairo_set_source_surface (cr, recording, -x0, -y0);
  cairo_paint (cr);
  cairo_destroy (cr);
  cairo_surface_destroy (image);
  cairo_surface_destroy (recording);
  gst_buffer_unmap (pixels, &map);
  gst_buffer_add_video_meta (pixels, GST_VIDEO_FRAME_FLAG_NONE,
                             GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, x1 - x0,
                             y1 - y0);
  rect = gst_video_overlay_rectangle_new_raw (
      pixels, x0, y0, x1 - x0, y1 - y0,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
  gst_buffer_unref (pixels);
  return rect;
}

/* Streaming thread, in front of the sink: the marks blended into the
 * decoded picture in its own format, only where they are.  Every other
 * pixel leaves as the decoder made it. */
static GstPadProbeReturn
on_picture (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Overlay *o = user_data;
  GstVideoOverlayRectangle *rect;
  GstVideoOverlayComposition *comp;
  GstBuffer *buf;
  GstVideoFrame frame;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM)
    {
      GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
      GstCaps *caps;

      if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS)
        {
          gst_event_parse_caps (event, &caps);
          caps_changed (o, caps);
        }
      return GST_PAD_PROBE_OK;
    }
  if (!o->have_info)
    return GST_PAD_PROBE_OK;
  rect = draw_marks (o, GST_VIDEO_INFO_WIDTH (&o->info),
                     GST_VIDEO_INFO_HEIGHT (&o->info));
  if (rect == NULL)
    return GST_PAD_PROBE_OK;
  comp = gst_video_overlay_composition_new (rect);
  gst_video_overlay_rectangle_unref (rect);
  buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  if (gst_video_frame_map (&frame, &o->info, buf, GST_MAP_READWRITE))
    {
      gst_video_overlay_composition_blend (comp, &frame);
      gst_video_frame_unmap (&frame);
    }
  gst_video_overlay_composition_unref (comp);
  return GST_PAD_PROBE_OK;
}

/* Fills @out from a navigation event; FALSE for one the guidance does
 * not use (scrolls, touches, commands) or a mouse event before the
 * first frame gave the picture's size. */
static gboolean
read_navigation (GstEvent *event, gint width, gint height,
                 SlGuideInputEvent *out)
{
  GstNavigationModifierType state = GST_NAVIGATION_MODIFIER_NONE;
  const gchar *key = NULL;
  gdouble x = 0, y = 0;
  gint button = 0;
  gboolean mouse = TRUE, ok = FALSE;

  memset (out, 0, sizeof *out);
  switch (gst_navigation_event_get_type (event))
    {
    case GST_NAVIGATION_EVENT_MOUSE_MOVE:
      out->type = SL_GUIDE_INPUT_MOVE;
      ok = gst_navigation_event_parse_mouse_move_event (event, &x, &y);
      break;
    case GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS:
    case GST_NAVIGATION_EVENT_MOUSE_BUTTON_RELEASE:
      out->type = gst_navigation_event_get_type (event)
                          == GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS
                      ? SL_GUIDE_INPUT_BUTTON_PRESS
                      : SL_GUIDE_INPUT_BUTTON_RELEASE;
      ok = gst_navigation_event_parse_mouse_button_event (event, &button, &x,
                                                          &y);
      break;
    case GST_NAVIGATION_EVENT_KEY_PRESS:
    case GST_NAVIGATION_EVENT_KEY_RELEASE:
      out->type = gst_navigation_event_get_type (event)
                          == GST_NAVIGATION_EVENT_KEY_PRESS
                      ? SL_GUIDE_INPUT_KEY_PRESS
                      : SL_GUIDE_INPUT_KEY_RELEASE;
      ok = gst_navigation_event_parse_key_event (event, &key) && key != NULL;
      mouse = FALSE;
      break;
    default:
      break;
    }
  if (!ok || (mouse && (width <= 0 || height <= 0)))
    return FALSE;
  if (mouse)
    {
      out->x = x / width;
      out->y = y / height;
      out->button = button > 0 ? (guint)button : 0;
    }
  else
    g_strlcpy (out->key, key, sizeof out->key);
  gst_navigation_event_parse_modifier_state (event, &state);
  out->shift = (state & GST_NAVIGATION_MODIFIER_SHIFT_MASK) != 0;
  out->time_ms = g_get_monotonic_time () / 1000;
  return TRUE;
}

/* On the sink's event thread (see the top of the file). */
static GstPadProbeReturn
on_upstream_event (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Overlay *o = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  SlGuideInputEvent ev;

  if (GST_EVENT_TYPE (event) != GST_EVENT_NAVIGATION
      || !read_navigation (event, g_atomic_int_get (&o->width),
                           g_atomic_int_get (&o->height), &ev))
    return GST_PAD_PROBE_OK;
  o->input (&ev, o->user_data);
  return GST_PAD_PROBE_DROP;
}

/* The bin of sl_guide_view_wrap_sink: takes the navigation messages its
 * sink posts for events it could not send upstream (see the top of the
 * file), on the sink's thread, as on_upstream_event takes the others. */
typedef struct
{
  GstBin parent;
} SlGuideViewBin;

typedef struct
{
  GstBinClass parent_class;
} SlGuideViewBinClass;

static GType sl_guide_view_bin_get_type (void);
G_DEFINE_TYPE (SlGuideViewBin, sl_guide_view_bin, GST_TYPE_BIN)

static void
view_bin_handle_message (GstBin *bin, GstMessage *msg)
{
  Overlay *o = g_object_get_data (G_OBJECT (bin), "sl-guide-overlay");
  g_autoptr (GstEvent) event = NULL;
  SlGuideInputEvent ev;

  if (o != NULL && o->input != NULL
      && gst_navigation_message_get_type (msg) == GST_NAVIGATION_MESSAGE_EVENT
      && gst_navigation_message_parse_event (msg, &event)
      && read_navigation (event, g_atomic_int_get (&o->width),
                          g_atomic_int_get (&o->height), &ev))
    {
      o->input (&ev, o->user_data);
      gst_message_unref (msg);
      return;
    }
  GST_BIN_CLASS (sl_guide_view_bin_parent_class)->handle_message (bin, msg);
}

static void
sl_guide_view_bin_class_init (SlGuideViewBinClass *klass)
{
  GST_BIN_CLASS (klass)->handle_message = view_bin_handle_message;
}

static void
sl_guide_view_bin_init (SlGuideViewBin *self)
{
}

/* Adds the overlay's probes to @src, the pad pictures leave by. */
static Overlay *
add_overlay (GstPad *src, SlGuideDrawFunc draw, SlGuideViewInputFunc input,
             gpointer user_data)
{
  Overlay *o = g_new0 (Overlay, 1);

  o->draw = draw;
  o->input = input;
  o->user_data = user_data;
  gst_pad_add_probe (
      src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      on_picture, o, NULL);
  if (input != NULL)
    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                       on_upstream_event, o, NULL);
  return o;
}

void
sl_guide_view_draw_on_pad (GstPad *pad, SlGuideDrawFunc draw,
                           gpointer user_data)
{
  g_object_set_data_full (G_OBJECT (pad), "sl-guide-overlay",
                          add_overlay (pad, draw, NULL, user_data), g_free);
}

GstElement *
sl_guide_view_wrap_sink (GstElement *sink, SlGuideDrawFunc draw,
                         SlGuideViewInputFunc input, gpointer user_data)
{
  GstElement *bin, *overlay, *convert;
  g_autoptr (GstPad) pad = NULL;
  g_autoptr (GstPad) src = NULL;

  overlay = gst_element_factory_make ("identity", "guide-overlay");
  convert = gst_element_factory_make ("videoconvert", "guide-convert");
  if (overlay == NULL || convert == NULL)
    {
      g_clear_pointer (&overlay, gst_object_unref);
      g_clear_pointer (&convert, gst_object_unref);
      return sink;
    }
  bin = g_object_new (sl_guide_view_bin_get_type (), "name", "guide-view",
                      NULL);
  gst_bin_add_many (GST_BIN (bin), overlay, convert, sink, NULL);
  gst_element_link_many (overlay, convert, sink, NULL);
  src = gst_element_get_static_pad (overlay, "src");
  g_object_set_data_full (G_OBJECT (bin), "sl-guide-overlay",
                          add_overlay (src, draw, input, user_data), g_free);
  pad = gst_element_get_static_pad (overlay, "sink");
  gst_element_add_pad (bin, gst_ghost_pad_new ("sink", pad));
  return bin;
}
