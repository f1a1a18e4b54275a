/* test-keeper.c — a probe that loses its picture and gets it back: the
 * keeper's decisions (sl-keeper.c), its "no signal" picture
 * (sl-nosignal.c), and the element around real failing sources: a gst:
 * pipeline that ends, a file that is not a video until it is. */
#include "probe-test-util.h"
#include "sl-keeper-src.h"
#include "sl-keeper.h"
#include "sl-nosignal.h"
#include "sl-probe.h"

#include <glib/gstdio.h>
#include <gst/app/app.h>
#include <gst/video/video.h>
#include <string.h>

#define S G_USEC_PER_SEC
#define T0 (1000 * S)

static void
test_core_start_and_stall (void)
{
  SlKeeper k;
  gint64 wake = 0;

  sl_keeper_init (&k, T0);
  g_assert_cmpuint (sl_keeper_tick (&k, T0 + S, &wake), ==,
                    SL_KEEPER_DO_NOTHING);
  g_assert_cmpint (wake, ==, T0 + SL_KEEPER_START_US);
  g_assert_false (sl_keeper_frame (&k, T0 + S)); /* first frame: no news */
  g_assert_cmpint (k.state, ==, SL_KEEPER_LIVE);
  g_assert_cmpuint (sl_keeper_tick (&k, T0 + 2 * S, &wake), ==,
                    SL_KEEPER_DO_NOTHING);
  g_assert_cmpint (wake, ==, T0 + S + SL_KEEPER_STALL_US);
  /* Silent for STALL: lost, a no-signal picture at once, the clock
   * counting from the last picture. */
  g_assert_cmpuint (sl_keeper_tick (&k, T0 + S + SL_KEEPER_STALL_US, &wake), ==,
                    SL_KEEPER_DO_ANNOUNCE_LOST | SL_KEEPER_DO_NOSIGNAL);
  g_assert_cmpint (k.state, ==, SL_KEEPER_LOST);
  g_assert_cmpuint (sl_keeper_lost_seconds (&k, T0 + S + SL_KEEPER_STALL_US),
                    ==, SL_KEEPER_STALL_US / S);
  g_assert_cmpint (
      wake, ==, T0 + S + SL_KEEPER_STALL_US + SL_KEEPER_NOSIGNAL_INTERVAL_US);
  /* A frame ends the loss. */
  g_assert_true (sl_keeper_frame (&k, T0 + 10 * S));
  g_assert_cmpint (k.state, ==, SL_KEEPER_LIVE);
  g_assert_cmpuint (sl_keeper_lost_seconds (&k, T0 + 10 * S), ==, 0);
}

static void
test_core_no_first_frame (void)
{
  SlKeeper k;
  gint64 wake = 0;

  sl_keeper_init (&k, T0);
  g_assert_cmpuint (sl_keeper_tick (&k, T0 + SL_KEEPER_START_US, &wake), ==,
                    SL_KEEPER_DO_ANNOUNCE_LOST | SL_KEEPER_DO_NOSIGNAL);
  g_assert_cmpuint (sl_keeper_lost_seconds (&k, T0 + SL_KEEPER_START_US), ==,
                    SL_KEEPER_START_US / S);
}

/* An error: lost at once; no-signal pictures at their rate; the source
 * rebuilt every RETRY while rebuilt ones fail; back at the first frame. */
static void
test_core_fail_and_retry (void)
{
  SlKeeper k;
  gint64 wake = 0, t;
  guint pictures = 0, restarts = 0;

  sl_keeper_init (&k, T0);
  sl_keeper_frame (&k, T0 + S);
  g_assert_true (sl_keeper_fail (&k, T0 + 2 * S));
  g_assert_false (sl_keeper_fail (&k, T0 + 2 * S)); /* already said */
  g_assert_cmpuint (k.losses, ==, 1);
  /* Ten seconds at 10 ms steps. */
  for (t = T0 + 2 * S; t < T0 + 12 * S; t += S / 100)
    {
      guint actions = sl_keeper_tick (&k, t, &wake);

      g_assert_false (actions & SL_KEEPER_DO_ANNOUNCE_LOST);
      g_assert_cmpint (wake, >, t);
      if (actions & SL_KEEPER_DO_NOSIGNAL)
        pictures++;
      if (actions & SL_KEEPER_DO_RESTART)
        {
          restarts++;
          sl_keeper_restarted (&k, t);
          /* The rebuilt source fails half a second later. */
          g_assert_false (sl_keeper_fail (&k, t + S / 2));
        }
    }
  g_assert_cmpuint (pictures, ==, 10 * S / SL_KEEPER_NOSIGNAL_INTERVAL_US);
  /* Failing half a second after each rebuild puts the next one RETRY
   * after the failure. */
  g_assert_cmpuint (restarts, ==, 10 * S / (SL_KEEPER_RETRY_US + S / 2));
  g_assert_cmpuint (sl_keeper_lost_seconds (&k, T0 + 12 * S), ==, 11);
  g_assert_true (sl_keeper_frame (&k, T0 + 12 * S));
  g_assert_cmpuint (sl_keeper_tick (&k, T0 + 12 * S, &wake), ==,
                    SL_KEEPER_DO_NOTHING);
}

/* The Y plane of an I420 picture at @w × @h, drawn for @seconds. */
static guint8 *
draw (guint w, guint h, guint seconds)
{
  guint8 *frame = g_malloc (w * h * 3 / 2);
  guint8 *planes[3] = { frame, frame + w * h, frame + w * h * 5 / 4 };
  gint strides[3] = { (gint)w, (gint)w / 2, (gint)w / 2 };

  memset (frame, 0x55, w * h * 3 / 2);
  sl_nosignal_draw (planes, strides, w, h, seconds);
  return frame;
}

/* Bright (text) pixels in rows [@y0, @y1). */
static guint
bright (const guint8 *y_plane, guint w, guint y0, guint y1)
{
  guint n = 0;

  for (guint y = y0; y < y1; y++)
    for (guint x = 0; x < w; x++)
      n += y_plane[y * w + x] > 128;
  return n;
}

static void
test_nosignal_picture (void)
{
  const guint w = 640, h = 360;
  g_autofree guint8 *a = draw (w, h, 5);
  g_autofree guint8 *b = draw (w, h, 65);
  gchar text[64];

  /* Black on video range, neutral chroma everywhere. */
  g_assert_cmpuint (a[0], ==, 16);
  g_assert_cmpuint (a[w * h - 1], ==, 16);
  for (guint i = w * h; i < w * h * 3 / 2; i++)
    g_assert_cmpuint (a[i], ==, 128);
  /* Words in the title's band and the duration's, none at the top. */
  g_assert_cmpuint (bright (a, w, h * 35 / 100, h * 45 / 100), >, 500);
  g_assert_cmpuint (bright (a, w, h * 50 / 100, h * 60 / 100), >, 200);
  g_assert_cmpuint (bright (a, w, 0, h / 20), ==, 0);
  /* The clock moves: the title is the same, the duration is not. */
  g_assert_cmpint (
      memcmp (a + w * h * 35 / 100, b + w * h * 35 / 100, w * h / 10), ==, 0);
  g_assert_cmpint (
      memcmp (a + w * h * 50 / 100, b + w * h * 50 / 100, w * h / 10), !=, 0);
  sl_nosignal_duration (5, text, sizeof text);
  g_assert_cmpstr (text, ==, "for 5 s");
  sl_nosignal_duration (65, text, sizeof text);
  g_assert_cmpstr (text, ==, "for 1 min 05 s");
  sl_nosignal_duration (7300, text, sizeof text);
  g_assert_cmpstr (text, ==, "for 2 h 01 min");
}

/* TRUE when @sample is the no-signal picture: black corners, the title's
 * band lit. */
static gboolean
is_nosignal (GstSample *sample)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  gboolean yes;
  const guint8 *y;
  guint w, h, stride, lit = 0;

  g_assert_true (
      gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  g_assert_true (gst_video_frame_map (
      &frame, &info, gst_sample_get_buffer (sample), GST_MAP_READ));
  y = GST_VIDEO_FRAME_PLANE_DATA (&frame, 0);
  stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
  w = info.width;
  h = info.height;
  for (guint row = h * 35 / 100; row < h * 45 / 100; row++)
    for (guint x = 0; x < w; x++)
      lit += y[row * stride + x] > 128;
  yes = y[0] == 16 && y[(h - 1) * stride + w - 1] == 16 && lit > w / 4;
  gst_video_frame_unmap (&frame);
  return yes;
}

typedef struct
{
  guint real, nosignal; /* samples of each kind */
  guint lost, back;     /* messages */
  gchar *reason;        /* of the first loss */
  gboolean error;       /* an error reached the engine's bus */
  gboolean real_after_back;
} Seen;

/* Plays @pipeline until @done says so or @timeout_s passes, counting what
 * comes out of @sink and the keeper's messages. */
static void
watch (GstElement *pipeline, GstElement *sink, Seen *seen,
       gboolean (*done) (Seen *, gpointer), gpointer data, gdouble timeout_s)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  gint64 deadline = g_get_monotonic_time () + (gint64)(timeout_s * S);

  while (!done (seen, data) && g_get_monotonic_time () < deadline)
    {
      g_autoptr (GstSample) sample
          = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), GST_SECOND / 20);
      GstMessage *msg;

      if (sample != NULL)
        {
          if (is_nosignal (sample))
            seen->nosignal++;
          else
            {
              seen->real++;
              seen->real_after_back |= seen->back > 0;
            }
        }
      while ((msg = gst_bus_pop (bus)) != NULL)
        {
          gboolean lost;
          const gchar *reason;

          if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
            seen->error = TRUE;
          if (sl_keeper_parse_message (msg, &lost, &reason))
            {
              if (lost && seen->lost++ == 0)
                seen->reason = g_strdup (reason);
              if (!lost)
                seen->back++;
            }
          gst_message_unref (msg);
        }
    }
}

static gboolean
lost_and_shown (Seen *seen, gpointer data)
{
  return seen->lost > 0 && seen->nosignal >= 2;
}

static gboolean
back_and_real (Seen *seen, gpointer data)
{
  return seen->real_after_back;
}

/* A gst: pipeline that ends after ten pictures: no-signal pictures,
 * "lost" with the reason, then the pipeline again, "back" and its
 * pictures.  No error ever reaches the engine. */
static void
test_gst_ends_and_returns (void)
{
  SlProbeConfig config = { 320, 240, 30, 0, NULL };
  g_autoptr (GError) error = NULL;
  GstElement *bin = sl_probe_make_source (
      "gst:videotestsrc is-live=true num-buffers=10", &config, NULL, &error);
  GstElement *sink, *pipeline;
  Seen seen = { 0 };

  g_assert_no_error (error);
  pipeline = probe_test_pipeline (bin, FALSE, &sink);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  watch (pipeline, sink, &seen, lost_and_shown, NULL, 20);
  g_assert_cmpuint (seen.real, >=, 1);
  g_assert_cmpuint (seen.lost, ==, 1);
  g_assert_cmpstr (seen.reason, ==, "the source ended its stream");
  g_assert_cmpuint (seen.nosignal, >=, 2);
  watch (pipeline, sink, &seen, back_and_real, NULL, 20);
  g_assert_cmpuint (seen.back, >=, 1);
  g_assert_true (seen.real_after_back);
  g_assert_false (seen.error);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  g_free (seen.reason);
}

/* A source that starts but never gives a picture (a card whose input is
 * dark from the start): lost after START, no error needed. */
static void
test_silent_source (void)
{
  SlProbeConfig config = { 320, 240, 30, 0, NULL };
  g_autoptr (GError) error = NULL;
  GstElement *bin = sl_probe_make_source (
      "gst:videotestsrc is-live=true ! valve drop=true", &config, NULL, &error);
  GstElement *sink, *pipeline;
  Seen seen = { 0 };

  g_assert_no_error (error);
  pipeline = probe_test_pipeline (bin, FALSE, &sink);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  watch (pipeline, sink, &seen, lost_and_shown, NULL, 20);
  g_assert_cmpuint (seen.lost, ==, 1);
  g_assert_cmpstr (seen.reason, ==, "no picture 3 s after the source started");
  g_assert_cmpuint (seen.nosignal, >=, 2);
  g_assert_cmpuint (seen.real, ==, 0);
  g_assert_false (seen.error);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  g_free (seen.reason);
}

/* A file that is not a video: "lost", naming it, and the no-signal
 * picture (before the keeper, an error that ended the consultation).
 * Once a real clip is put in its place, its pictures come back. */
static void
test_file_returns (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("sl-keeper-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "clip.mp4", NULL);
  g_autofree gchar *fresh = g_build_filename (dir, "fresh.mp4", NULL);
  g_autofree gchar *spec = g_strconcat ("file:", path, NULL);
  g_autofree gchar *launch = g_strdup_printf (
      "videotestsrc num-buffers=10 ! video/x-raw,width=320,height=240,"
      "framerate=30/1 ! x264enc ! mp4mux ! filesink location=\"%s\"",
      fresh);
  SlProbeConfig config = { 320, 240, 30, 0, NULL };
  g_autoptr (GError) error = NULL;
  GstElement *sink, *pipeline, *bin;
  Seen seen = { 0 };

  g_assert_true (
      g_file_set_contents (path, "Patient notes, not a video.\n", -1, NULL));
  bin = sl_probe_make_source (spec, &config, NULL, &error);
  g_assert_no_error (error);
  pipeline = probe_test_pipeline (bin, FALSE, &sink);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  watch (pipeline, sink, &seen, lost_and_shown, NULL, 20);
  g_assert_cmpuint (seen.lost, ==, 1);
  g_assert_nonnull (strstr (seen.reason, path));
  g_assert_cmpuint (seen.real, ==, 0);
  g_assert_cmpuint (seen.nosignal, >=, 2);
  g_assert_true (probe_test_run_launch (launch, 30));
  g_assert_cmpint (g_rename (fresh, path), ==, 0);
  watch (pipeline, sink, &seen, back_and_real, NULL, 30);
  g_assert_cmpuint (seen.back, ==, 1);
  g_assert_true (seen.real_after_back);
  g_assert_false (seen.error);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  g_free (seen.reason);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/probe/keeper/core/start-and-stall",
                   test_core_start_and_stall);
  g_test_add_func ("/probe/keeper/core/no-first-frame",
                   test_core_no_first_frame);
  g_test_add_func ("/probe/keeper/core/fail-and-retry",
                   test_core_fail_and_retry);
  g_test_add_func ("/probe/keeper/nosignal-picture", test_nosignal_picture);
  g_test_add_func ("/probe/keeper/gst-ends-and-returns",
                   test_gst_ends_and_returns);
  g_test_add_func ("/probe/keeper/silent-source", test_silent_source);
  g_test_add_func ("/probe/keeper/file-returns", test_file_returns);
  return g_test_run ();
}
