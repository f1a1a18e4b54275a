/* phantom-cpu.c — what the synthetic phantom costs, next to the encoder.
 *
 * The phantom runs on the township's capture machine beside x264, so its
 * cost only matters relative to the encoder's.  This renders the phantom
 * at 720p and 1080p, then encodes the same 720p frames with x264 as the
 * engine configures it (zerolatency, ultrafast, 4 Mbit/s), in the same
 * run, and prints per-frame CPU times, their ratio and the phantom's share
 * of one core at 30 fps.  It also times the fidelity measures
 * (sl-fidelity.h) at 1080p, which the expert station may run per frame.
 * Shared machines are noisy: read the ratios, not the absolute times.
 *
 *   sl-bench-phantom [--frames N]     (default 300)
 */
#include "sl-fidelity.h"
#include "sl-phantom.h"

#include <gst/app/app.h>
#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Distinct pre-rendered frames fed to the encoder, cycled. */
#define ENCODE_POOL 60

typedef struct
{
  gdouble cpu_ms; /* per frame */
  gdouble wall_ms;
} Cost;

static gdouble
now_ms (clockid_t clock)
{
  struct timespec ts;

  clock_gettime (clock, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static Cost
bench_render (guint width, guint height, guint frames)
{
  g_autoptr (SlPhantom) phantom = sl_phantom_new (width, height, 1);
  gsize luma = (gsize)width * height;
  g_autofree guint8 *buf = g_malloc (luma * 3 / 2);
  gdouble cpu, wall;
  Cost cost;
  guint i;

  /* One frame first, so page faults of the tables are not counted. */
  sl_phantom_render (phantom, 0, buf, (gint)width, buf + luma, (gint)width / 2,
                     buf + luma * 5 / 4, (gint)width / 2);
  cpu = now_ms (CLOCK_THREAD_CPUTIME_ID);
  wall = now_ms (CLOCK_MONOTONIC);
  for (i = 0; i < frames; i++)
    sl_phantom_render (phantom, i, buf, (gint)width, buf + luma,
                       (gint)width / 2, buf + luma * 5 / 4, (gint)width / 2);
  cost.cpu_ms = (now_ms (CLOCK_THREAD_CPUTIME_ID) - cpu) / frames;
  cost.wall_ms = (now_ms (CLOCK_MONOTONIC) - wall) / frames;
  return cost;
}

static gboolean
run_encoder (guint8 **pool, guint pool_len, gsize frame_size, guint frames,
             guint width, guint height)
{
  g_autofree gchar *desc = g_strdup_printf (
      "appsrc name=src format=time block=true max-bytes=%" G_GSIZE_FORMAT
      " caps=video/x-raw,format=I420,width=%u,height=%u,framerate=30/1 "
      "! x264enc tune=zerolatency speed-preset=ultrafast bitrate=4000 "
      "! fakesink sync=false",
      4 * frame_size, width, height);
  g_autoptr (GError) error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  GstElement *src;
  GstMessage *msg;
  gboolean ok;
  guint i;

  if (pipeline == NULL)
    {
      g_printerr ("sl-bench-phantom: %s\n", error->message);
      return FALSE;
    }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  for (i = 0; i < frames; i++)
    {
      /* The encoder only reads its input: wrap the pool, no copies. */
      GstBuffer *b = gst_buffer_new_wrapped_full (
          GST_MEMORY_FLAG_READONLY, pool[i % pool_len], frame_size, 0,
          frame_size, NULL, NULL);

      GST_BUFFER_PTS (b) = gst_util_uint64_scale (i, GST_SECOND, 30);
      GST_BUFFER_DURATION (b) = GST_SECOND / 30;
      gst_app_src_push_buffer (GST_APP_SRC (src), b);
    }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
                                    GST_CLOCK_TIME_NONE,
                                    GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  ok = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  return ok;
}

/* x264 runs several threads: its cost is the process's CPU time over the
 * run, all threads together.  The frames are rendered beforehand. */
static gboolean
bench_encode (guint width, guint height, guint frames, Cost *cost)
{
  g_autoptr (SlPhantom) phantom = sl_phantom_new (width, height, 1);
  gsize luma = (gsize)width * height, size = luma * 3 / 2;
  guint pool_len = MIN (frames, ENCODE_POOL), i;
  guint8 **pool = g_new (guint8 *, pool_len);
  gdouble cpu, wall;
  gboolean ok;

  for (i = 0; i < pool_len; i++)
    {
      pool[i] = g_malloc (size);
      sl_phantom_render (phantom, i, pool[i], (gint)width, pool[i] + luma,
                         (gint)width / 2, pool[i] + luma * 5 / 4,
                         (gint)width / 2);
    }
  cpu = now_ms (CLOCK_PROCESS_CPUTIME_ID);
  wall = now_ms (CLOCK_MONOTONIC);
  ok = run_encoder (pool, pool_len, size, frames, width, height);
  cost->cpu_ms = (now_ms (CLOCK_PROCESS_CPUTIME_ID) - cpu) / frames;
  cost->wall_ms = (now_ms (CLOCK_MONOTONIC) - wall) / frames;
  for (i = 0; i < pool_len; i++)
    g_free (pool[i]);
  g_free (pool);
  return ok;
}

/* PSNR (@ssim FALSE) or SSIM of consecutive 1080p phantom frames. */
static Cost
bench_fidelity (gboolean ssim, guint frames)
{
  const guint w = 1920, h = 1080;
  g_autoptr (SlPhantom) phantom = sl_phantom_new (w, h, 1);
  gsize luma = (gsize)w * h;
  g_autofree guint8 *a = g_malloc (luma * 3 / 2);
  g_autofree guint8 *b = g_malloc (luma * 3 / 2);
  volatile gdouble sink = 0;
  gdouble cpu, wall;
  Cost cost;
  guint i;

  sl_phantom_render (phantom, 0, a, w, a + luma, w / 2, a + luma * 5 / 4,
                     w / 2);
  sl_phantom_render (phantom, 1, b, w, b + luma, w / 2, b + luma * 5 / 4,
                     w / 2);
  cpu = now_ms (CLOCK_THREAD_CPUTIME_ID);
  wall = now_ms (CLOCK_MONOTONIC);
  for (i = 0; i < frames; i++)
    sink += ssim ? sl_fidelity_ssim (a, w, b, w, w, h)
                 : sl_fidelity_psnr (a, w, b, w, w, h);
  cost.cpu_ms = (now_ms (CLOCK_THREAD_CPUTIME_ID) - cpu) / frames;
  cost.wall_ms = (now_ms (CLOCK_MONOTONIC) - wall) / frames;
  (void)sink;
  return cost;
}

static void
print_row (const gchar *what, Cost c)
{
  printf ("%-46s %10.3f %10.3f %10.1f %%\n", what, c.cpu_ms, c.wall_ms,
          c.cpu_ms * 30 / 1000 * 100);
}

int
main (int argc, char **argv)
{
  gint frames = 300;
  GOptionEntry entries[] = { { "frames", 0, 0, G_OPTION_ARG_INT, &frames,
                               "Frames per measurement (default 300)", "N" },
                             G_OPTION_ENTRY_NULL };
  g_autoptr (GOptionContext) context
      = g_option_context_new ("- the synthetic phantom's CPU cost");
  g_autoptr (GError) error = NULL;
  Cost r720, r1080, enc, psnr, ssim;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error) || frames < 1)
    {
      g_printerr ("sl-bench-phantom: %s\n",
                  error ? error->message : "--frames must be at least 1");
      return 2;
    }
  r720 = bench_render (1280, 720, (guint)frames);
  r1080 = bench_render (1920, 1080, (guint)frames);
  psnr = bench_fidelity (FALSE, MIN ((guint)frames, 100));
  ssim = bench_fidelity (TRUE, MIN ((guint)frames, 100));
  if (!bench_encode (1280, 720, (guint)frames, &enc))
    {
      g_printerr ("sl-bench-phantom: the x264 pipeline failed\n");
      return 1;
    }
  printf ("sonolink phantom benchmark, %d frames per row\n\n", frames);
  printf ("%-46s %10s %10s %12s\n", "", "CPU ms/fr", "wall ms/fr",
          "core @30fps");
  print_row ("phantom render 1280x720", r720);
  print_row ("phantom render 1920x1080", r1080);
  print_row ("x264enc 1280x720 (ultrafast, zerolatency, 4M)", enc);
  print_row ("sl_fidelity_psnr 1920x1080", psnr);
  print_row ("sl_fidelity_ssim 1920x1080", ssim);
  printf ("\nphantom / x264 CPU at 720p: %.3f (%.1f %% of the encoder's)\n",
          r720.cpu_ms / enc.cpu_ms, 100 * r720.cpu_ms / enc.cpu_ms);
  gst_deinit ();
  return 0;
}
