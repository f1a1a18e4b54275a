/* test-probe-machine.c — a machine profile applied by sl_probe_make_source:
 * the masked rectangles are exactly the fill value in every frame the
 * probe bin gives out (what the encoder, the stills and the preview all
 * take), the picture is cropped before it is scaled, and the spacing
 * follows the crop and the scale. */
#include "probe-test-util.h"
#include "sl-machine-stage.h"
#include "sl-machine.h"
#include "sl-phantom.h"
#include "sl-probe.h"

#include <gst/video/video.h>
#include <string.h>

#define OUT_W 640
#define OUT_H 360

/* The phantom's 1280x720 screen cropped around its sector (the example
 * profile's image region) with two masks over speckle, where a pixel of
 * the fill value by chance is rare and a whole rectangle of it is
 * impossible. */
static const gchar profile_text[]
    = "{\"frame\": [1280, 720], \"image\": [256, 32, 792, 632],"
      " \"masks\": [[700, 400, 120, 80], [500, 500, 100, 60]]}";

/* The mask's place in the output, less a margin of 2 pixels the scaler's
 * filter may blend with the neighbours. */
static void
inner_rect (const SlMachineProfile *p, guint i, SlMachineRect *r)
{
  sl_machine_output_rect (p, &p->masks[i], OUT_W, OUT_H, r);
  g_assert_cmpuint (r->width, >, 8);
  g_assert_cmpuint (r->height, >, 8);
  r->x += 2;
  r->y += 2;
  r->width -= 4;
  r->height -= 4;
}

/* Maps @sample's picture for reading into @frame. */
static void
map_frame (GstSample *sample, GstVideoFrame *frame)
{
  GstVideoInfo info;

  g_assert_true (
      gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  g_assert_true (gst_video_frame_map (
      frame, &info, gst_sample_get_buffer (sample), GST_MAP_READ));
}

/* Counts the pixels of @r in @frame that are not the fill value (luma,
 * and the chroma samples entirely inside @r). */
static guint
unmasked_pixels (GstVideoFrame *frame, const SlMachineRect *r)
{
  guint bad = 0;

  for (guint y = r->y; y < r->y + r->height; y++)
    {
      const guint8 *row = (const guint8 *)GST_VIDEO_FRAME_PLANE_DATA (frame, 0)
                          + y * GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0);

      for (guint x = r->x; x < r->x + r->width; x++)
        bad += row[x] != SL_MACHINE_FILL_Y;
    }
  for (guint c = 1; c < 3; c++)
    for (guint y = (r->y + 1) / 2; y < (r->y + r->height) / 2; y++)
      {
        const guint8 *row
            = (const guint8 *)GST_VIDEO_FRAME_PLANE_DATA (frame, c)
              + y * GST_VIDEO_FRAME_PLANE_STRIDE (frame, c);

        for (guint x = (r->x + 1) / 2; x < (r->x + r->width) / 2; x++)
          bad += row[x] != SL_MACHINE_FILL_UV;
      }
  return bad;
}

/* The left border the fit leaves: x 0..93 of the 640x360 output (792x632
 * scaled by 360/632 is 451 wide, centred).  Without the crop the phantom's
 * frame stamp would be there. */
static guint
bright_in_left_border (GstVideoFrame *frame)
{
  guint bright = 0;

  for (guint y = 0; y < OUT_H; y++)
    {
      const guint8 *row = (const guint8 *)GST_VIDEO_FRAME_PLANE_DATA (frame, 0)
                          + y * GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0);

      for (guint x = 0; x < 90; x++)
        bright += row[x] > 40;
    }
  return bright;
}

static void
test_phantom_masked_cropped (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SlMachineProfile) p
      = sl_machine_profile_parse (profile_text, strlen (profile_text), &error);
  SlProbeConfig config = { OUT_W, OUT_H, 30, 0, p };
  SlProbeInfo info = { 0 };
  GstElement *bin, *sink, *pipeline;
  GPtrArray *samples;
  SlMachineRect inner[2];

  g_assert_no_error (error);
  bin = sl_probe_make_source ("synthetic", &config, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (info.width, ==, OUT_W);
  g_assert_cmpuint (info.height, ==, OUT_H);
  /* Cropped and scaled, the stamp cannot be read any more. */
  g_assert_false (info.stamped);
  /* The phantom's own spacing at 1280x720, scaled by 360/632. */
  g_assert_cmpfloat_with_epsilon (
      info.mm_per_pixel,
      sl_phantom_mm_per_pixel_for_size (1280, 720) * 632.0 / 360.0, 1e-9);
  inner_rect (p, 0, &inner[0]);
  inner_rect (p, 1, &inner[1]);

  pipeline = probe_test_pipeline (bin, FALSE, &sink);
  samples = probe_test_pull (pipeline, sink, 10, 30, NULL);
  g_assert_cmpuint (samples->len, ==, 10);
  for (guint i = 0; i < samples->len; i++)
    {
      GstSample *sample = samples->pdata[i];
      GstVideoFrame frame;

      map_frame (sample, &frame);
      g_assert_cmpint (GST_VIDEO_FRAME_WIDTH (&frame), ==, OUT_W);
      g_assert_cmpint (GST_VIDEO_FRAME_HEIGHT (&frame), ==, OUT_H);
      for (guint m = 0; m < 2; m++)
        if (unmasked_pixels (&frame, &inner[m]) != 0)
          g_error ("frame %u: %u pixels of mask %u are not the fill value", i,
                   unmasked_pixels (&frame, &inner[m]), m);
      g_assert_cmpuint (bright_in_left_border (&frame), ==, 0);
      gst_video_frame_unmap (&frame);
    }
  g_ptr_array_unref (samples);
  gst_object_unref (pipeline);
}

/* A profile whose frame is not what the backend can give is refused like
 * any other size. */
static void
test_frame_checked (void)
{
  static const gchar text[] = "{\"frame\": [1920, 1080]}";
  g_autoptr (GError) error = NULL;
  g_autoptr (SlMachineProfile) p
      = sl_machine_profile_parse (text, strlen (text), &error);
  SlProbeConfig config = { 4000, 360, 30, 0, p };
  GstElement *bin;

  g_assert_no_error (error);
  bin = sl_probe_make_source ("synthetic", &config, NULL, &error);
  g_assert_null (bin);
  g_assert_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SPEC);
}

/* The shipped profile of the convex clip on its "machine screen" (the
 * gst: description of docs/probe-adapters.md, with a real banner drawn
 * by textoverlay): the patient's name over the image's corner is in the
 * screen the backend gives, and not one pixel of it leaves the probe. */
static void
test_clip_banner (void)
{
  const gchar *data = g_getenv ("SL_TEST_DATA_DIR");
  const gchar *machines = g_getenv ("SL_TEST_MACHINES_DIR");
  g_autofree gchar *clip = NULL, *spec = NULL, *path = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SlMachineProfile) p = NULL;
  SlMachineRect inner;
  guint bright = 0;

  clip = g_build_filename (data ? data : ".", "us-clips",
                           "Cov_recommendations_lightbeam_mov6.mov", NULL);
  if (!g_file_test (clip, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no us-clips");
      return;
    }
  path = g_build_filename (machines, "cov-lightbeam-screen.json", NULL);
  p = sl_machine_profile_load (path, &error);
  g_assert_no_error (error);
  spec = g_strdup_printf (
      "gst:filesrc location=\"%s\" ! decodebin ! videoconvert ! videobox "
      "left=-370 right=-372 top=-120 bottom=-62 ! textoverlay "
      "text=\"DOE^JANE  ID 0012345\" font-desc=\"Sans 14\" valignment=top "
      "halignment=left xpad=378 ypad=124",
      clip);
  /* Whole screen, no profile: the name is there, white over the image. */
  {
    SlProbeConfig config = { 1280, 720, 0, 0, NULL };
    GstElement *bin = sl_probe_make_source (spec, &config, NULL, &error);
    GstElement *sink, *pipeline = probe_test_pipeline (bin, FALSE, &sink);
    GPtrArray *samples = probe_test_pull (pipeline, sink, 5, 30, NULL);
    SlMachineRect m = p->masks[0];

    g_assert_no_error (error);
    g_assert_cmpuint (samples->len, ==, 5);
    for (guint i = 0; i < samples->len; i++)
      {
        GstVideoFrame f;

        map_frame (samples->pdata[i], &f);
        for (guint y = m.y; y < m.y + m.height; y++)
          for (guint x = m.x; x < m.x + m.width; x++)
            bright += ((const guint8 *)GST_VIDEO_FRAME_PLANE_DATA (
                          &f, 0))[y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0) + x]
                      > 200;
        gst_video_frame_unmap (&f);
      }
    g_assert_cmpuint (bright, >, 500);
    g_ptr_array_unref (samples);
    gst_object_unref (pipeline);
  }
  /* Through the profile, sent at the image's size: black. */
  {
    SlProbeConfig config = { 538, 538, 0, 0, p };
    GstElement *bin = sl_probe_make_source (spec, &config, NULL, &error);
    GstElement *sink, *pipeline = probe_test_pipeline (bin, FALSE, &sink);
    GPtrArray *samples = probe_test_pull (pipeline, sink, 5, 30, NULL);

    g_assert_no_error (error);
    g_assert_cmpuint (samples->len, ==, 5);
    sl_machine_output_rect (p, &p->masks[0], 538, 538, &inner);
    /* The image is not scaled: the mask is exact to the pixel. */
    g_assert_cmpuint (inner.width, ==, p->masks[0].width);
    for (guint i = 0; i < samples->len; i++)
      {
        GstVideoFrame f;

        map_frame (samples->pdata[i], &f);
        g_assert_cmpuint (unmasked_pixels (&f, &inner), ==, 0);
        gst_video_frame_unmap (&f);
      }
    g_ptr_array_unref (samples);
    gst_object_unref (pipeline);
  }
}

/* Fail closed: a picture that is not the profile's frame (here a
 * 640x480 test pattern against a 1280x720 profile) is never passed on
 * with its masks in the wrong place; the stage drops it and says why. */
static void
test_wrong_frame_dropped (void)
{
  static const gchar text[]
      = "{\"frame\": [1280, 720], \"masks\": [[0, 0, 200, 40]]}";
  g_autoptr (GError) error = NULL;
  g_autoptr (SlMachineProfile) p
      = sl_machine_profile_parse (text, strlen (text), &error);
  g_autofree gchar *message = NULL;
  GstElement *src, *stage, *sink, *pipeline;
  GPtrArray *samples;

  g_assert_no_error (error);
  src = gst_parse_bin_from_description (
      "videotestsrc pattern=white ! capsfilter "
      "caps=\"video/x-raw,format=I420,width=640,height=480\"",
      TRUE, &error);
  g_assert_no_error (error);
  stage = sl_machine_stage_new (src, p, 320, 180, &error);
  g_assert_no_error (error);
  pipeline = probe_test_pipeline (stage, FALSE, &sink);
  samples = probe_test_pull (pipeline, sink, 1, 10, &message);
  g_assert_cmpuint (samples->len, ==, 0);
  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, "not the 1280x720 I420 frame"));
  g_ptr_array_unref (samples);
  gst_object_unref (pipeline);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/probe-machine/phantom-masked-cropped",
                   test_phantom_masked_cropped);
  g_test_add_func ("/probe-machine/frame-checked", test_frame_checked);
  g_test_add_func ("/probe-machine/clip-banner", test_clip_banner);
  g_test_add_func ("/probe-machine/wrong-frame-dropped",
                   test_wrong_frame_dropped);
  return g_test_run ();
}
