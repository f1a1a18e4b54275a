/* test-probe-clips.c — the file: backend on real ultrasound clips.
 *
 * The clips live in the shared data folder named by SL_TEST_DATA_DIR
 * (us-clips/); without it the test is skipped (exit status 77). */
#include "probe-test-util.h"
#include "sl-probe.h"

#include <gst/video/video.h>

#define SKIP 77

static const gchar *clips_dir;

static gdouble
mean_luma (const guint8 *y, gint stride, guint x0, guint y0, guint w, guint h)
{
  guint64 sum = 0;
  guint x, row;

  for (row = y0; row < y0 + h; row++)
    for (x = x0; x < x0 + w; x++)
      sum += y[(gsize)row * stride + x];
  return (gdouble)sum / ((gdouble)w * h);
}

/* The square clip is letterboxed into 1280×720: black bars left and right,
 * picture in the middle. */
static void
check_clip (gconstpointer data)
{
  const gchar *name = data;
  g_autofree gchar *path = g_build_filename (clips_dir, name, NULL);
  g_autofree gchar *spec = g_strconcat ("file:", path, NULL);
  SlProbeConfig config = { 1280, 720, 30, 0, NULL };
  SlProbeInfo info = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree gchar *bus_error = NULL;
  GstElement *bin, *sink, *pipeline;
  GPtrArray *samples;
  GstVideoInfo vinfo;
  GstVideoFrame frame;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_test_skip ("clip not found");
      return;
    }
  bin = sl_probe_make_source (spec, &config, &info, &error);
  g_assert_no_error (error);
  pipeline = probe_test_pipeline (bin, FALSE, &sink);
  samples = probe_test_pull (pipeline, sink, 10, 30, &bus_error);
  g_assert_null (bus_error);
  g_assert_cmpuint (samples->len, ==, 10);
  g_assert_true (gst_video_info_from_caps (
      &vinfo, gst_sample_get_caps (samples->pdata[9])));
  g_assert_cmpint (GST_VIDEO_INFO_WIDTH (&vinfo), ==, 1280);
  g_assert_cmpint (GST_VIDEO_INFO_HEIGHT (&vinfo), ==, 720);
  g_assert_true (gst_video_frame_map (
      &frame, &vinfo, gst_sample_get_buffer (samples->pdata[9]), GST_MAP_READ));
  g_assert_cmpfloat (mean_luma (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
                                GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), 0, 0,
                                200, 720),
                     <, 17);
  g_assert_cmpfloat (mean_luma (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
                                GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), 1080,
                                0, 200, 720),
                     <, 17);
  g_assert_cmpfloat (mean_luma (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
                                GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), 440,
                                100, 400, 520),
                     >, 20);
  gst_video_frame_unmap (&frame);
  g_ptr_array_unref (samples);
  gst_object_unref (pipeline);
}

int
main (int argc, char **argv)
{
  const gchar *data_dir = g_getenv ("SL_TEST_DATA_DIR");
  g_autofree gchar *dir = NULL;
  int ret;

  if (data_dir == NULL)
    return SKIP;
  dir = g_build_filename (data_dir, "us-clips", NULL);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    return SKIP;
  clips_dir = dir;
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/probe/clips/mov-538",
                        "Cov_recommendations_lightbeam_mov6.mov", check_clip);
  g_test_add_data_func ("/probe/clips/mp4-278", "Vir_prospective_file1.mp4",
                        check_clip);
  ret = g_test_run ();
  gst_deinit ();
  return ret;
}
