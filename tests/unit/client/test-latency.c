/* test-latency.c — the latency stamp and meter of sl-latency.h.
 *
 * Frames are made here, stamped by the same tap the township uses, aged by
 * rewriting the stamp with an earlier clock value, and measured by the
 * meter the expert uses: the measured latency must be at least the age
 * given and the window's figures must follow from the frames measured.
 */
#include "sl-latency.h"
#include "sl-media.h"
#include "sl-stamp.h"

#include <gst/audio/audio.h>
#include <gst/video/video.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

#define W 1280
#define H 720

static GstSample *
make_frame (GstVideoInfo *info, gint64 age_us, gint64 index)
{
  g_autoptr (GstBuffer) buffer
      = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (info), NULL);
  g_autoptr (GstCaps) caps = gst_video_info_to_caps (info);
  GstMapInfo map;

  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  memset (map.data, 100, map.size);
  if (index >= 0)
    sl_stamp_write_at (SL_STAMP_TOP_LEFT, map.data, W, W, H, (guint64)index);
  gst_buffer_unmap (buffer, &map);
  if (age_us >= 0)
    {
      sl_latency_stamp_frame (buffer, info, NULL);
      /* Age it: the stamp as if written @age_us ago. */
      gst_buffer_map (buffer, &map, GST_MAP_WRITE);
      sl_stamp_write_at (SL_STAMP_TOP_RIGHT, map.data, W, W, H,
                         (guint64)(sl_media_now_us () - age_us));
      gst_buffer_unmap (buffer, &map);
    }
  return gst_sample_new (buffer, caps, NULL, NULL);
}

static void
test_tap_writes_now (void)
{
  GstVideoInfo info;
  g_autoptr (GstBuffer) buffer = NULL;
  GstMapInfo map;
  guint64 stamp = 0;
  gint64 before, after;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, W, H);
  buffer = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  gst_buffer_memset (buffer, 0, 128, GST_VIDEO_INFO_SIZE (&info));
  before = sl_media_now_us ();
  sl_latency_stamp_frame (buffer, &info, NULL);
  after = sl_media_now_us ();
  gst_buffer_map (buffer, &map, GST_MAP_READ);
  g_assert_true (
      sl_stamp_read_at (SL_STAMP_TOP_RIGHT, map.data, W, W, H, &stamp));
  /* The top-left corner, where the phantom's index goes, is untouched. */
  g_assert_cmpuint (map.data[0], ==, 128);
  gst_buffer_unmap (buffer, &map);
  g_assert_cmpint ((gint64)stamp, >=, before);
  g_assert_cmpint ((gint64)stamp, <=, after);

  /* Too small for a second stamp: left alone. */
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, 320, 240);
  gst_buffer_unref (buffer);
  buffer = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  gst_buffer_memset (buffer, 0, 128, GST_VIDEO_INFO_SIZE (&info));
  sl_latency_stamp_frame (buffer, &info, NULL);
  gst_buffer_map (buffer, &map, GST_MAP_READ);
  for (gsize i = 0; i < map.size; i++)
    g_assert_cmpuint (map.data[i], ==, 128);
  gst_buffer_unmap (buffer, &map);
}

static void
test_meter (void)
{
  static const gint64 ages_us[] = { 4000, 12000, 8000, 30000 };
  GstVideoInfo info;
  g_autofree gchar *log_text = NULL;
  gsize log_len = 0;
  FILE *log = open_memstream (&log_text, &log_len);
  g_autoptr (SlLatencyMeter) meter = sl_latency_meter_new (log);
  SlLatencyWindow w;
  gint64 index, latency, arrival, before = g_get_monotonic_time ();
  gchar **lines;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, W, H);
  for (guint i = 0; i < G_N_ELEMENTS (ages_us); i++)
    {
      g_autoptr (GstSample) s = make_frame (&info, ages_us[i], 100 + i);

      sl_latency_meter_check (meter, s);
    }
  {
    /* No latency stamp (a township without --latency-stamp). */
    g_autoptr (GstSample) s = make_frame (&info, -1, 7);

    sl_latency_meter_check (meter, s);
  }
  sl_latency_meter_take (meter, &w);
  g_assert_cmpuint (w.frames, ==, 4);
  g_assert_cmpuint (w.unreadable, ==, 1);
  g_assert_cmpuint (w.total_frames, ==, 4);
  /* Each at least its age, and the order of the ages is kept: p50 is the
   * second smallest (8 ms), the maximum the oldest (30 ms). */
  g_assert_cmpfloat (w.p50_ms, >=, 8.0);
  g_assert_cmpfloat (w.p50_ms, <, 12.0);
  g_assert_cmpfloat (w.max_ms, >=, 30.0);
  g_assert_cmpfloat (w.p95_ms, ==, w.max_ms);

  /* A new window starts empty; the totals carry on. */
  sl_latency_meter_take (meter, &w);
  g_assert_cmpuint (w.frames, ==, 0);
  g_assert_cmpuint (w.unreadable, ==, 0);
  g_assert_cmpuint (w.total_frames, ==, 4);
  g_assert_cmpuint (w.total_unreadable, ==, 1);
  g_assert_cmpfloat (w.p50_ms, ==, 0);
  fclose (log);
  lines = g_strsplit (log_text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 5); /* 4 lines and "" */
  for (guint i = 0; i < 4; i++)
    {
      g_assert_cmpint (sscanf (lines[i],
                               "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                               " %" G_GINT64_FORMAT,
                               &index, &latency, &arrival),
                       ==, 3);
      g_assert_cmpint (index, ==, 100 + i);
      g_assert_cmpint (latency, >=, ages_us[i]);
      /* The arrival is the monotonic clock when the picture was checked. */
      g_assert_cmpint (arrival, >=, before);
      g_assert_cmpint (arrival, <=, g_get_monotonic_time ());
    }
  g_strfreev (lines);
}

/* One second of silence handed off now holds exactly one whole second of
 * the clock: the click is written there, 5 ms long (cut at the buffer's
 * end when the second fell in its last 5 ms, as it does once in about
 * 200 runs), and nowhere else. */
static void
test_click_written (void)
{
  const gsize n = 48000;
  g_autoptr (GstBuffer) buffer = gst_buffer_new_allocate (NULL, n * 2, NULL);
  GstMapInfo map;
  gint64 before = sl_media_now_us (), after;
  gsize first = n, last = 0;
  const gint16 *s;

  gst_buffer_memset (buffer, 0, 0, n * 2);
  sl_latency_click_audio (buffer, NULL);
  after = sl_media_now_us ();
  gst_buffer_map (buffer, &map, GST_MAP_READ);
  s = (const gint16 *)map.data;
  for (gsize i = 0; i < n; i++)
    if (s[i] != 0)
      {
        first = MIN (first, i);
        last = MAX (last, i);
      }
  gst_buffer_unmap (buffer, &map);
  g_assert_cmpuint (first, <, n);
  g_assert_cmpuint (last - first, <, 240);
  /* 5 ms, or up to the buffer's end when the second fell in its last
   * 5 ms (the click's onset is what the meter reads). */
  if (first + 240 <= n)
    g_assert_cmpuint (last - first, >, 200);
  else
    g_assert_cmpuint (last, >=, n - 2);
  /* The click's sample is the whole second, counted back from now. */
  {
    gint64 start_lo = before - G_USEC_PER_SEC,
           start_hi = after - G_USEC_PER_SEC;
    gint64 second = (start_hi / G_USEC_PER_SEC + 1) * G_USEC_PER_SEC;
    gint64 at_us = (gint64)first * G_USEC_PER_SEC / 48000;

    g_assert_cmpint (start_lo + at_us, <=, second + 1000);
    g_assert_cmpint (start_hi + at_us, >=, second - 1000);
  }
}

static GstBuffer *
voice (gsize n, gssize click_at)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, n * 2, NULL);
  GstMapInfo map;
  gint16 *s;

  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  s = (gint16 *)map.data;
  for (gsize i = 0; i < n; i++)
    s[i] = (gint16)(3000 * sin (2 * G_PI * 700 * i / 48000.0));
  if (click_at >= 0)
    for (gsize i = click_at; i < n && i < (gsize)click_at + 240; i++)
      s[i] = 26000;
  gst_buffer_unmap (buffer, &map);
  return buffer;
}

static void
test_click_meter (void)
{
  g_autoptr (SlClickMeter) meter = sl_click_meter_new ();
  g_autoptr (GstCaps) caps = gst_caps_from_string (
      "audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved");
  g_autoptr (GstCaps) f32 = gst_caps_from_string (
      "audio/x-raw,format=F32LE,rate=48000,channels=1,layout=interleaved");
  gdouble ms = -1;
  guint64 total = 0;
  gint64 now;

  /* The test tone alone is no click. */
  {
    g_autoptr (GstBuffer) b = voice (480, -1);
    sl_click_meter_check (meter, b, caps);
  }
  g_assert_cmpuint (sl_click_meter_take (meter, &ms, &total), ==, 0);

  /* Wait for the start of a second so that the expected figure is far
   * from the 900 ms cut-off, then a click 240 samples (5 ms) into a
   * buffer: latency = now + 5 ms, modulo one second. */
  while (sl_media_now_us () % G_USEC_PER_SEC > 100000)
    g_usleep (1000);
  now = sl_media_now_us ();
  {
    g_autoptr (GstBuffer) b = voice (480, 240);
    g_autoptr (GstBuffer) again = voice (480, 0);
    g_autoptr (GstBuffer) other = voice (480, 0);

    sl_click_meter_check (meter, b, caps);
    /* Within half a second of a click: its tail, not a new one. */
    sl_click_meter_check (meter, again, caps);
    /* Another sample format is not read. */
    sl_click_meter_check (meter, other, f32);
  }
  g_assert_cmpuint (sl_click_meter_take (meter, &ms, &total), ==, 1);
  g_assert_cmpuint (total, ==, 1);
  g_assert_cmpfloat (ms, >=, (now % G_USEC_PER_SEC) / 1000.0 + 5.0);
  g_assert_cmpfloat (ms, <, (now % G_USEC_PER_SEC) / 1000.0 + 5.0 + 50.0);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/client/latency/tap", test_tap_writes_now);
  g_test_add_func ("/client/latency/meter", test_meter);
  g_test_add_func ("/client/latency/click", test_click_written);
  g_test_add_func ("/client/latency/click-meter", test_click_meter);
  return g_test_run ();
}
