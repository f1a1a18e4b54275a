/* test-guide-view.c — the expert's window shows the decoded picture as
 * it was decoded, the marks blended in only where they are
 * (sl-guide-view.h).
 *
 * Noise pictures in I420, as the decoder gives them, go through a
 * videoconvert (as in the session's display branch) and
 * sl_guide_view_wrap_sink into an appsink that takes I420.  With a mark
 * drawn, the pixels under it change and every pixel of every plane
 * outside it (and a two-pixel margin for the chroma's subsampling and the
 * antialiased edge) is the decoded one, bit for bit; with nothing drawn,
 * the whole picture is.  Before this overlay, cairooverlay took every
 * picture to BGRx and back, and no picture came through unchanged.
 *
 * The window's keys: a key event the sink sends upstream reaches the
 * caller once; one it cannot send, its pad flushing as during a seek of
 * the replay's window, is posted as a navigation message (as ximagesink
 * and xvimagesink do) and reaches the caller too, in order. */
#include "sl-guide-view.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/navigation.h>
#include <gst/video/video.h>
#include <string.h>

#define W 320
#define H 240
/* The mark: a filled box from (100, 80) to (140, 120). */
#define MX 100
#define MY 80
#define MS 40
#define MARGIN 2

static gboolean draw_mark;

static void
draw (cairo_t *cr, guint width, guint height, gpointer user_data)
{
  g_assert_cmpuint (width, ==, W);
  g_assert_cmpuint (height, ==, H);
  if (!draw_mark)
    return;
  cairo_set_source_rgba (cr, 1, 0.2, 0.1, 0.8);
  cairo_rectangle (cr, MX, MY, MS, MS);
  cairo_fill (cr);
}

static GstBuffer *
noise_picture (GstVideoInfo *info, guint32 seed)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  GRand *rand = g_rand_new_with_seed (seed);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < map.size; i++)
    map.data[i] = (guint8)(16 + g_rand_int_range (rand, 0, 220));
  gst_buffer_unmap (buf, &map);
  g_rand_free (rand);
  return buf;
}

static gboolean
under_mark (guint plane, guint x, guint y)
{
  guint scale = plane == 0 ? 1 : 2;
  gint x0 = (MX - MARGIN) / (gint)scale, y0 = (MY - MARGIN) / (gint)scale;
  gint x1 = (MX + MS + MARGIN + scale - 1) / scale;
  gint y1 = (MY + MS + MARGIN + scale - 1) / scale;

  return (gint)x >= x0 && (gint)x < x1 && (gint)y >= y0 && (gint)y < y1;
}

/* Pixels of @out that differ from @in: @outside, away from the mark, and
 * @inside, under it. */
static void
compare (GstVideoInfo *info, GstBuffer *in, GstBuffer *out, guint *outside,
         guint *inside)
{
  GstVideoFrame a, b;

  *outside = *inside = 0;
  g_assert_true (gst_video_frame_map (&a, info, in, GST_MAP_READ));
  g_assert_true (gst_video_frame_map (&b, info, out, GST_MAP_READ));
  for (guint p = 0; p < 3; p++)
    for (guint y = 0; y < (guint)GST_VIDEO_FRAME_COMP_HEIGHT (&a, p); y++)
      {
        const guint8 *ra = (const guint8 *)GST_VIDEO_FRAME_PLANE_DATA (&a, p)
                           + y * GST_VIDEO_FRAME_PLANE_STRIDE (&a, p);
        const guint8 *rb = (const guint8 *)GST_VIDEO_FRAME_PLANE_DATA (&b, p)
                           + y * GST_VIDEO_FRAME_PLANE_STRIDE (&b, p);

        for (guint x = 0; x < (guint)GST_VIDEO_FRAME_COMP_WIDTH (&a, p); x++)
          if (ra[x] != rb[x])
            {
              if (under_mark (p, x, y))
                (*inside)++;
              else
                (*outside)++;
            }
      }
  gst_video_frame_unmap (&a);
  gst_video_frame_unmap (&b);
}

static void
run (gboolean mark)
{
  g_autoptr (GstCaps) caps = gst_caps_from_string (
      "video/x-raw,format=I420,width=320,height=240,framerate=30/1");
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("appsrc", NULL);
  GstElement *convert = gst_element_factory_make ("videoconvert", NULL);
  GstElement *sink = gst_element_factory_make ("appsink", NULL);
  GstElement *view;
  GstVideoInfo info;

  draw_mark = mark;
  g_assert_true (gst_video_info_from_caps (&info, caps));
  g_object_set (src, "caps", caps, "format", GST_FORMAT_TIME, NULL);
  g_object_set (sink, "caps", caps, "sync", FALSE, NULL);
  view = sl_guide_view_wrap_sink (sink, draw, NULL, NULL);
  g_assert_true (view != sink);
  gst_bin_add_many (GST_BIN (pipeline), src, convert, view, NULL);
  g_assert_true (gst_element_link_many (src, convert, view, NULL));
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  for (guint i = 0; i < 5; i++)
    {
      GstBuffer *in = noise_picture (&info, 7 + i);
      g_autoptr (GstSample) sample = NULL;
      guint outside, inside;

      GST_BUFFER_PTS (in) = i * GST_SECOND / 30;
      GST_BUFFER_DURATION (in) = GST_SECOND / 30;
      g_assert_cmpint (
          gst_app_src_push_buffer (GST_APP_SRC (src), gst_buffer_ref (in)), ==,
          GST_FLOW_OK);
      sample
          = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 5 * GST_SECOND);
      g_assert_nonnull (sample);
      compare (&info, in, gst_sample_get_buffer (sample), &outside, &inside);
      g_test_message ("picture %u: %u pixels changed away from the mark, %u "
                      "under it",
                      i, outside, inside);
      g_assert_cmpuint (outside, ==, 0);
      if (mark)
        g_assert_cmpuint (inside, >, MS * MS / 2);
      else
        g_assert_cmpuint (inside, ==, 0);
      gst_buffer_unref (in);
    }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

static void
test_mark (void)
{
  run (TRUE);
}

static void
test_no_mark (void)
{
  run (FALSE);
}

static void
take_key (const SlGuideInputEvent *event, gpointer user_data)
{
  GString *keys = user_data;

  if (event->type == SL_GUIDE_INPUT_KEY_PRESS)
    g_string_append_printf (keys, "%s ", event->key);
}

/* What ximagesink does with a key press: sends it upstream, and posts it
 * as a message when nobody upstream took it. */
static gboolean
press (GstElement *sink, const gchar *key)
{
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  GstEvent *event
      = gst_navigation_event_new_key_press (key, GST_NAVIGATION_MODIFIER_NONE);
  gboolean sent = gst_pad_push_event (pad, gst_event_ref (event));

  if (!sent)
    gst_element_post_message (
        sink, gst_navigation_message_new_event (GST_OBJECT (sink), event));
  gst_event_unref (event);
  gst_object_unref (pad);
  return sent;
}

static void
test_keys_while_flushing (void)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("videotestsrc", NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr (GString) keys = g_string_new (NULL);
  GstElement *view = sl_guide_view_wrap_sink (sink, draw, take_key, keys);
  GstPad *pad;

  draw_mark = FALSE;
  /* One picture, then EOS: the flush below is the test's own, no seek,
   * so nobody sends a segment after it, and a picture that came after
   * it would be data flow before a segment (a fatal warning). */
  g_object_set (src, "num-buffers", 1, NULL);
  g_assert_true (view != sink);
  gst_bin_add_many (GST_BIN (pipeline), src, view, NULL);
  g_assert_true (gst_element_link (src, view));
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  g_assert_cmpint (gst_element_get_state (pipeline, NULL, NULL, 5 * GST_SECOND),
                   ==, GST_STATE_CHANGE_SUCCESS);
  g_assert_true (press (sink, "period"));
  /* A flushing seek: the sink's pad refuses the event, the sink posts
   * it. */
  pad = gst_element_get_static_pad (sink, "sink");
  g_assert_true (gst_pad_send_event (pad, gst_event_new_flush_start ()));
  g_assert_false (press (sink, "comma"));
  g_assert_false (press (sink, "Right"));
  g_assert_true (gst_pad_send_event (pad, gst_event_new_flush_stop (TRUE)));
  gst_object_unref (pad);
  g_assert_true (press (sink, "q"));
  /* An element message of the sink's that is no key still goes on. */
  gst_element_post_message (
      sink, gst_message_new_element (GST_OBJECT (sink),
                                     gst_structure_new_empty ("other")));
  g_assert_cmpstr (keys->str, ==, "period comma Right q ");
  {
    g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
    g_autoptr (GstMessage) msg
        = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);

    g_assert_nonnull (msg);
    g_assert_true (gst_message_has_name (msg, "other"));
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/guide-view/mark-only-where-drawn", test_mark);
  g_test_add_func ("/guide-view/nothing-drawn-unchanged", test_no_mark);
  g_test_add_func ("/guide-view/keys-while-flushing", test_keys_while_flushing);
  return g_test_run ();
}
