/* test-probe.c — sl_probe_make_source: every backend, and every error a
 * user can make in a probe spec. */
#include "probe-test-util.h"
#include "sl-phantom.h"
#include "sl-probe.h"

#include <glib/gstdio.h>
#include <gst/video/video.h>
#include <string.h>

static GstElement *
make_ok (const gchar *spec, guint width, guint height, guint fps,
         SlProbeInfo *info)
{
  SlProbeConfig config = { width, height, fps, 0, NULL };
  g_autoptr (GError) error = NULL;
  GstElement *bin = sl_probe_make_source (spec, &config, info, &error);
  GstPad *pad;

  g_assert_no_error (error);
  g_assert_nonnull (bin);
  g_assert_true (g_object_is_floating (bin));
  pad = gst_element_get_static_pad (bin, "src");
  g_assert_nonnull (pad);
  gst_object_unref (pad);
  return bin;
}

static void
assert_caps (GstSample *sample, gint width, gint height, gint fps)
{
  GstStructure *s = gst_caps_get_structure (gst_sample_get_caps (sample), 0);
  gint w = 0, h = 0, num = -1, den = -1;

  g_assert_cmpstr (gst_structure_get_string (s, "format"), ==, "I420");
  g_assert_true (gst_structure_get_int (s, "width", &w));
  g_assert_true (gst_structure_get_int (s, "height", &h));
  g_assert_cmpint (w, ==, width);
  g_assert_cmpint (h, ==, height);
  if (fps > 0)
    {
      g_assert_true (gst_structure_get_fraction (s, "framerate", &num, &den));
      g_assert_cmpint (num, ==, fps);
      g_assert_cmpint (den, ==, 1);
    }
}

static void
test_synthetic_default (void)
{
  SlProbeInfo info = { 0 };
  GstElement *sink,
      *pipeline
      = probe_test_pipeline (make_ok (NULL, 0, 0, 0, &info), TRUE, &sink);
  GPtrArray *samples;
  guint i;

  g_assert_cmpuint (info.width, ==, 1280);
  g_assert_cmpuint (info.height, ==, 720);
  g_assert_cmpuint (info.fps, ==, 30);
  g_assert_true (info.stamped);
  g_assert_cmpfloat (info.mm_per_pixel, ==,
                     sl_phantom_mm_per_pixel_for_size (1280, 720));
  samples = probe_test_pull (pipeline, sink, 3, 20, NULL);
  g_assert_cmpuint (samples->len, ==, 3);
  for (i = 0; i < samples->len; i++)
    {
      guint64 stamp = G_MAXUINT64;

      assert_caps (samples->pdata[i], 1280, 720, 30);
      g_assert_true (probe_test_sample_stamp (samples->pdata[i], &stamp));
      g_assert_cmpuint (stamp, ==, i);
    }
  g_ptr_array_unref (samples);
  gst_object_unref (pipeline);
}

static void
test_synthetic_config (void)
{
  SlProbeConfig config = { 640, 480, 15, 7, NULL };
  SlProbeInfo info = { 0 };
  g_autoptr (GError) error = NULL;
  GstElement *bin = sl_probe_make_source ("synthetic", &config, &info, &error);
  GstElement *sink, *pipeline = probe_test_pipeline (bin, FALSE, &sink);
  GPtrArray *samples = probe_test_pull (pipeline, sink, 1, 20, NULL);
  g_autoptr (SlPhantom) phantom = sl_phantom_new (640, 480, 7);
  g_autofree guint8 *ref = g_malloc (640 * 480 * 3 / 2);
  GstMapInfo map;

  g_assert_no_error (error);
  g_assert_cmpuint (info.fps, ==, 15);
  g_assert_cmpuint (samples->len, ==, 1);
  assert_caps (samples->pdata[0], 640, 480, 15);
  /* Seed 7 reached the phantom: the picture is seed 7's frame 0. */
  sl_phantom_render (phantom, 0, ref, 640, ref + 640 * 480, 320,
                     ref + 640 * 480 * 5 / 4, 320);
  g_assert_true (gst_buffer_map (gst_sample_get_buffer (samples->pdata[0]),
                                 &map, GST_MAP_READ));
  g_assert_cmpmem (map.data, 640 * 480, ref, 640 * 480);
  gst_buffer_unmap (gst_sample_get_buffer (samples->pdata[0]), &map);
  g_ptr_array_unref (samples);
  gst_object_unref (pipeline);
}

/* Small pictures have no room for the stamp, and say so. */
static void
test_synthetic_small (void)
{
  SlProbeInfo info = { 0 };
  GstElement *bin = make_ok ("synthetic", 160, 120, 30, &info);

  g_assert_false (info.stamped);
  g_assert_cmpfloat (info.mm_per_pixel, >, 0);
  gst_object_unref (gst_object_ref_sink (bin));
}

static void
assert_error (const gchar *spec, guint width, guint height, guint fps,
              gint code, const gchar *needle)
{
  SlProbeConfig config = { width, height, fps, 0, NULL };
  SlProbeInfo info = { 99, 99, 99, 1.0, TRUE, "untouched" };
  g_autoptr (GError) error = NULL;

  g_assert_null (sl_probe_make_source (spec, &config, &info, &error));
  g_assert_error (error, SL_PROBE_ERROR, code);
  if (g_test_verbose ())
    g_printerr ("%s: %s\n", spec ? spec : "(null)", error->message);
  g_assert_nonnull (strstr (error->message, needle));
  /* @info is untouched on failure. */
  g_assert_cmpuint (info.width, ==, 99);
}

static void
test_errors (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("sl-probe-XXXXXX", NULL);
  g_autofree gchar *missing = g_build_filename (dir, "missing.mp4", NULL);
  g_autofree gchar *missing_spec = g_strconcat ("file:", missing, NULL);
  g_autofree gchar *dir_spec = g_strconcat ("file:", dir, NULL);

  assert_error ("ultrasound", 0, 0, 0, SL_PROBE_ERROR_SPEC, "file:PATH");
  assert_error ("", 0, 0, 0, SL_PROBE_ERROR_SPEC, "synthetic");
  assert_error ("file:", 0, 0, 0, SL_PROBE_ERROR_SPEC, "gst:");
  assert_error ("gst:", 0, 0, 0, SL_PROBE_ERROR_SPEC, "gst:");
  assert_error ("Synthetic", 0, 0, 0, SL_PROBE_ERROR_SPEC, "Synthetic");
  assert_error (NULL, 1281, 720, 0, SL_PROBE_ERROR_SPEC, "1281x720");
  assert_error (NULL, 1280, 721, 0, SL_PROBE_ERROR_SPEC, "even");
  assert_error (NULL, 2560, 1440, 0, SL_PROBE_ERROR_SPEC, "1920x1080");
  assert_error (NULL, 32, 32, 0, SL_PROBE_ERROR_SPEC, "64x64");
  assert_error (NULL, 0, 0, 240, SL_PROBE_ERROR_SPEC, "240");
  assert_error (missing_spec, 0, 0, 0, SL_PROBE_ERROR_SOURCE, missing);
  assert_error (dir_spec, 0, 0, 0, SL_PROBE_ERROR_SOURCE, "directory");
  assert_error ("gst:nosuchelement_xyz", 0, 0, 0, SL_PROBE_ERROR_SOURCE,
                "nosuchelement_xyz");
  assert_error ("gst:videotestsrc ! fakesink", 0, 0, 0, SL_PROBE_ERROR_SOURCE,
                "gst:videotestsrc");
  assert_error ("gst:videotestsrc nosuchproperty=1", 0, 0, 0,
                SL_PROBE_ERROR_SOURCE, "nosuchproperty");
  g_rmdir (dir);
}

static void
test_gst (void)
{
  SlProbeInfo info = { 0 };
  GstElement *sink, *pipeline = probe_test_pipeline (
                        make_ok ("gst:videotestsrc is-live=true pattern=ball",
                                 320, 240, 30, &info),
                        TRUE, &sink);
  g_autofree gchar *error = NULL;
  GPtrArray *samples = probe_test_pull (pipeline, sink, 3, 20, &error);

  g_assert_null (error);
  g_assert_false (info.stamped);
  g_assert_cmpfloat (info.mm_per_pixel, ==, 0);
  g_assert_cmpuint (samples->len, ==, 3);
  assert_caps (samples->pdata[0], 320, 240, 0);
  g_ptr_array_unref (samples);
  gst_object_unref (pipeline);
}

/* A description ending in an element whose pad appears later (decodebin)
 * still links. */
static void
test_gst_sometimes_pad (void)
{
  GstElement *sink,
      *pipeline = probe_test_pipeline (
          make_ok ("gst:videotestsrc is-live=true ! video/x-raw,width=160,"
                   "height=120 ! x264enc tune=zerolatency ! decodebin",
                   320, 240, 30, NULL),
          FALSE, &sink);
  g_autofree gchar *error = NULL;
  GPtrArray *samples = probe_test_pull (pipeline, sink, 3, 30, &error);

  g_assert_null (error);
  g_assert_cmpuint (samples->len, ==, 3);
  assert_caps (samples->pdata[0], 320, 240, 0);
  g_ptr_array_unref (samples);
  gst_object_unref (pipeline);
}

/* Writes a 10-frame H.264 MP4 (1/3 s at 30 fps) into @dir. */
static gchar *
make_short_clip (const gchar *dir)
{
  gchar *path = g_build_filename (dir, "short.mp4", NULL);
  g_autofree gchar *desc = g_strdup_printf (
      "videotestsrc num-buffers=10 ! video/x-raw,width=320,height=240,"
      "framerate=30/1 ! x264enc ! mp4mux ! filesink location=\"%s\"",
      path);

  g_assert_true (probe_test_run_launch (desc, 30));
  return path;
}

static void
test_file_loops (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("sl-probe-XXXXXX", NULL);
  g_autofree gchar *clip = make_short_clip (dir);
  g_autofree gchar *spec = g_strconcat ("file:", clip, NULL);
  SlProbeInfo info = { 0 };
  GstElement *sink,
      *pipeline
      = probe_test_pipeline (make_ok (spec, 640, 480, 30, &info), FALSE, &sink);
  g_autofree gchar *error = NULL;
  GPtrArray *samples = probe_test_pull (pipeline, sink, 26, 30, &error);
  GstClockTime last = 0;
  guint i;

  g_assert_null (error);
  g_assert_false (info.stamped);
  /* More frames than the file has: it looped. */
  g_assert_cmpuint (samples->len, ==, 26);
  for (i = 0; i < samples->len; i++)
    {
      GstBuffer *buffer = gst_sample_get_buffer (samples->pdata[i]);

      assert_caps (samples->pdata[i], 640, 480, 30);
      g_assert_true (GST_BUFFER_PTS_IS_VALID (buffer));
      if (i > 0)
        g_assert_cmpuint (GST_BUFFER_PTS (buffer), >, last);
      last = GST_BUFFER_PTS (buffer);
    }
  g_ptr_array_unref (samples);
  gst_object_unref (pipeline);
  g_unlink (clip);
  g_rmdir (dir);
}

/* Stopping and playing again starts the file over. */
static void
test_file_restart (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("sl-probe-XXXXXX", NULL);
  g_autofree gchar *clip = make_short_clip (dir);
  g_autofree gchar *spec = g_strconcat ("file:", clip, NULL);
  GstElement *sink,
      *pipeline
      = probe_test_pipeline (make_ok (spec, 320, 240, 30, NULL), FALSE, &sink);
  guint round;

  for (round = 0; round < 3; round++)
    {
      g_autofree gchar *error = NULL;
      GPtrArray *samples = probe_test_pull (pipeline, sink, 3, 30, &error);

      g_assert_null (error);
      g_assert_cmpuint (samples->len, ==, 3);
      g_ptr_array_unref (samples);
    }
  gst_object_unref (pipeline);
  g_unlink (clip);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  int ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/probe/make-source/synthetic-default",
                   test_synthetic_default);
  g_test_add_func ("/probe/make-source/synthetic-config",
                   test_synthetic_config);
  g_test_add_func ("/probe/make-source/synthetic-small", test_synthetic_small);
  g_test_add_func ("/probe/make-source/errors", test_errors);
  g_test_add_func ("/probe/make-source/gst", test_gst);
  g_test_add_func ("/probe/make-source/gst-sometimes-pad",
                   test_gst_sometimes_pad);
  g_test_add_func ("/probe/make-source/file-loops", test_file_loops);
  g_test_add_func ("/probe/make-source/file-restart", test_file_restart);
  ret = g_test_run ();
  gst_deinit ();
  return ret;
}
