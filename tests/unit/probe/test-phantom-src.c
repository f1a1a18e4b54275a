/* test-phantom-src.c — slphantomsrc in a pipeline: caps, live timestamps,
 * consecutive stamps and pictures identical to the core's. */
#include "probe-test-util.h"
#include "sl-phantom.h"
#include "sl-probe.h"

#include <gst/app/app.h>
#include <gst/video/video.h>
#include <string.h>

static GstElement *
phantom_with_caps (const gchar *caps_str, guint32 seed)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *desc = g_strdup_printf (
      "slphantomsrc seed=%u ! capsfilter caps=\"%s\"", seed, caps_str);
  GstElement *bin = gst_parse_bin_from_description (desc, TRUE, &error);

  g_assert_no_error (error);
  return bin;
}

/* The sample's luma equals the core's rendering of frame @index. */
static void
assert_picture (GstSample *sample, SlPhantom *phantom, guint64 index)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  guint w = sl_phantom_get_width (phantom), h = sl_phantom_get_height (phantom);
  g_autofree guint8 *ref = g_malloc ((gsize)w * h * 3 / 2);
  guint row;

  sl_phantom_render (phantom, index, ref, (gint)w, ref + w * h, (gint)w / 2,
                     ref + w * h * 5 / 4, (gint)w / 2);
  g_assert_true (
      gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  g_assert_true (gst_video_frame_map (
      &frame, &info, gst_sample_get_buffer (sample), GST_MAP_READ));
  for (row = 0; row < h; row++)
    g_assert_cmpmem ((guint8 *)GST_VIDEO_FRAME_PLANE_DATA (&frame, 0)
                         + row * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0),
                     w, ref + row * w, w);
  for (row = 0; row < h / 2; row++)
    g_assert_cmpmem ((guint8 *)GST_VIDEO_FRAME_PLANE_DATA (&frame, 1)
                         + row * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 1),
                     w / 2, ref + w * h + row * w / 2, w / 2);
  gst_video_frame_unmap (&frame);
}

static void
test_live_frames (void)
{
  GstElement *sink,
      *pipeline = probe_test_pipeline (
          phantom_with_caps ("video/x-raw,width=640,height=360,framerate=30/1",
                             4),
          TRUE, &sink);
  g_autoptr (SlPhantom) phantom = sl_phantom_new (640, 360, 4);
  GPtrArray *samples;
  g_autofree gchar *error = NULL;
  GstClockTime first = GST_CLOCK_TIME_NONE;
  guint i;

  samples = probe_test_pull (pipeline, sink, 30, 20, &error);
  g_assert_null (error);
  g_assert_cmpuint (samples->len, ==, 30);
  for (i = 0; i < samples->len; i++)
    {
      GstSample *sample = samples->pdata[i];
      GstBuffer *buffer = gst_sample_get_buffer (sample);
      guint64 stamp = G_MAXUINT64;

      g_assert_true (probe_test_sample_stamp (sample, &stamp));
      g_assert_cmpuint (stamp, ==, i);
      g_assert_cmpuint (GST_BUFFER_OFFSET (buffer), ==, i);
      /* A live source's timestamps are running times: GstBaseSrc adds the
       * running time at which the first frame came out (a few ms) to
       * index × frame duration. */
      if (i == 0)
        {
          first = GST_BUFFER_PTS (buffer);
          g_assert_cmpuint (first, <, 5 * GST_SECOND);
        }
      g_assert_cmpuint (GST_BUFFER_PTS (buffer) - first, ==,
                        gst_util_uint64_scale (i, GST_SECOND, 30));
      g_assert_cmpuint (GST_BUFFER_DURATION (buffer), >, 0);
      if (i % 10 == 3)
        assert_picture (sample, phantom, i);
    }
  g_ptr_array_unref (samples);
  gst_object_unref (pipeline);
}

static void
test_default_caps (void)
{
  GstElement *src = gst_element_factory_make ("slphantomsrc", NULL);
  GstElement *sink, *pipeline;
  GPtrArray *samples;
  GstStructure *s;
  gint width = 0, height = 0, num = 0, den = 0;
  guint seed = 0;

  g_assert_nonnull (src);
  g_object_get (src, "seed", &seed, NULL);
  g_assert_cmpuint (seed, ==, 1);
  g_assert_true (gst_base_src_is_live (GST_BASE_SRC (src)));
  g_object_set (src, "num-buffers", 2, NULL);
  pipeline = probe_test_pipeline (src, FALSE, &sink);
  samples = probe_test_pull (pipeline, sink, 2, 20, NULL);
  g_assert_cmpuint (samples->len, ==, 2);
  s = gst_caps_get_structure (gst_sample_get_caps (samples->pdata[0]), 0);
  g_assert_cmpstr (gst_structure_get_string (s, "format"), ==, "I420");
  g_assert_true (gst_structure_get_int (s, "width", &width));
  g_assert_true (gst_structure_get_int (s, "height", &height));
  g_assert_true (gst_structure_get_fraction (s, "framerate", &num, &den));
  g_assert_cmpint (width, ==, 1280);
  g_assert_cmpint (height, ==, 720);
  g_assert_cmpint (num, ==, 30);
  g_assert_cmpint (den, ==, 1);
  g_ptr_array_unref (samples);
  gst_object_unref (pipeline);
}

static void
test_odd_size_refused (void)
{
  GstElement *sink,
      *pipeline = probe_test_pipeline (
          phantom_with_caps ("video/x-raw,width=641,height=360", 1), FALSE,
          &sink);
  g_autofree gchar *error = NULL;
  GPtrArray *samples = probe_test_pull (pipeline, sink, 1, 20, &error);

  g_assert_cmpuint (samples->len, ==, 0);
  g_assert_nonnull (error);
  g_ptr_array_unref (samples);
  gst_object_unref (pipeline);
}

static void
test_latency (void)
{
  GstElement *sink,
      *pipeline = probe_test_pipeline (
          phantom_with_caps ("video/x-raw,width=320,height=240,framerate=25/1",
                             1),
          TRUE, &sink);
  g_autoptr (GstQuery) query = gst_query_new_latency ();
  GstClockTime min = 0, max = 0;
  gboolean live = FALSE;
  GstPad *pad;

  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  g_assert_cmpint (
      gst_element_get_state (pipeline, NULL, NULL, 10 * GST_SECOND), ==,
      GST_STATE_CHANGE_SUCCESS);
  /* Ask the source itself: the sink would add its processing deadline. */
  pad = gst_element_get_static_pad (sink, "sink");
  g_assert_true (gst_pad_peer_query (pad, query));
  gst_object_unref (pad);
  gst_query_parse_latency (query, &live, &min, &max);
  g_assert_true (live);
  g_assert_cmpuint (min, ==, GST_SECOND / 25);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

/* Stopping and starting again restarts the frame count. */
static void
test_restart (void)
{
  GstElement *sink,
      *pipeline = probe_test_pipeline (
          phantom_with_caps ("video/x-raw,width=320,height=240", 1), FALSE,
          &sink);
  guint round;

  for (round = 0; round < 2; round++)
    {
      GPtrArray *samples = probe_test_pull (pipeline, sink, 3, 20, NULL);
      guint64 stamp = G_MAXUINT64;

      g_assert_cmpuint (samples->len, ==, 3);
      g_assert_true (probe_test_sample_stamp (samples->pdata[0], &stamp));
      g_assert_cmpuint (stamp, ==, 0);
      g_ptr_array_unref (samples);
    }
  gst_object_unref (pipeline);
}

int
main (int argc, char **argv)
{
  int ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  sl_probe_register_elements ();
  sl_probe_register_elements ();
  g_test_add_func ("/probe/phantom-src/live-frames", test_live_frames);
  g_test_add_func ("/probe/phantom-src/default-caps", test_default_caps);
  g_test_add_func ("/probe/phantom-src/odd-size", test_odd_size_refused);
  g_test_add_func ("/probe/phantom-src/latency", test_latency);
  g_test_add_func ("/probe/phantom-src/restart", test_restart);
  ret = g_test_run ();
  gst_deinit ();
  return ret;
}
