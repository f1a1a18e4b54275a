/* Unit tests of the stats core: rates from snapshots, the webrtcbin report
 * parser, and the JSON a --stats file carries. */
#include "sl-stats.h"
#include "sl-webrtc-stats.h"

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

static void
test_rates (void)
{
  SlSessionStats a = { 0 }, b = { 0 };
  SlStatsReport r;

  a.time_us = 1000000;
  a.frames_decoded = 100;
  a.video_bytes_received = 1000000;
  a.video_packets_received = 1000;
  a.video_packets_lost = 10;
  b = a;
  b.time_us = 3000000; /* two seconds later */
  b.frames_decoded = 160;
  b.video_bytes_received = 2000000;
  b.video_packets_received = 1980;
  b.video_packets_lost = 30;
  b.rtt_ms = -1;
  b.dc_rtt_ms = 2.5;
  b.dc_roundtrips = 2;

  sl_stats_compute (&a, &b, SL_SESSION_VIEWER, SL_SESSION_STATE_CONNECTED, &r);
  g_assert_cmpuint (r.frames, ==, 160);
  g_assert_cmpfloat_with_epsilon (r.fps, 30.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (r.bitrate_kbps, 4000.0, 1e-9);
  /* 20 lost of 1000 expected. */
  g_assert_cmpfloat_with_epsilon (r.loss_pct, 2.0, 1e-9);
  /* No RTCP round trip yet: the data channel's stands in. */
  g_assert_cmpfloat_with_epsilon (r.rtt_ms, 2.5, 1e-9);
}

static void
test_counter_reset_gives_zero_rate (void)
{
  SlSessionStats a = { 0 }, b = { 0 };
  SlStatsReport r;

  a.time_us = 1000000;
  a.frames_sent = 500;
  a.video_bytes_sent = 900000;
  b.time_us = 2000000;
  b.frames_sent = 10; /* a new stream */
  b.video_bytes_sent = 1000;
  b.rtt_ms = 12;
  sl_stats_compute (&a, &b, SL_SESSION_SENDER, SL_SESSION_STATE_CONNECTED, &r);
  g_assert_cmpfloat (r.fps, ==, 0);
  g_assert_cmpfloat (r.bitrate_kbps, ==, 0);
  g_assert_cmpfloat (r.rtt_ms, ==, 12);
}

static void
test_first_interval (void)
{
  SlSessionStats b = { 0 };
  SlStatsReport r;

  b.time_us = 5000000;
  b.frames_sent = 30;
  b.rtt_ms = -1;
  b.dc_rtt_ms = -1;
  sl_stats_compute (NULL, &b, SL_SESSION_SENDER, SL_SESSION_STATE_CONNECTING,
                    &r);
  g_assert_cmpfloat (r.fps, ==, 30);
  g_assert_cmpfloat (r.rtt_ms, <, 0);
}

/* The round trip shown is one measured in the interval: RTCP's new
 * figure, else the ping's, else none (a stalled link's last figure is
 * not current). */
static void
test_fresh_rtt (void)
{
  SlSessionStats a = { 0 }, b;
  SlStatsReport r;

  a.time_us = 1000000;
  a.rtt_ms = 40.5;
  a.dc_rtt_ms = 38;
  a.dc_roundtrips = 10;
  b = a;
  b.time_us = 2000000;
  /* Nothing renewed either figure: a stall. */
  sl_stats_compute (&a, &b, SL_SESSION_VIEWER, SL_SESSION_STATE_CONNECTED, &r);
  g_assert_cmpfloat (r.rtt_ms, <, 0);
  /* The ping came back, RTCP has not caught up: the ping's. */
  b.dc_roundtrips = 11;
  b.dc_rtt_ms = 12;
  sl_stats_compute (&a, &b, SL_SESSION_VIEWER, SL_SESSION_STATE_CONNECTED, &r);
  g_assert_cmpfloat (r.rtt_ms, ==, 12);
  /* A new receiver report: RTCP's. */
  b.rtt_ms = 11;
  sl_stats_compute (&a, &b, SL_SESSION_VIEWER, SL_SESSION_STATE_CONNECTED, &r);
  g_assert_cmpfloat (r.rtt_ms, ==, 11);
  /* No RTCP figure at all: the ping's while it comes back. */
  a.rtt_ms = b.rtt_ms = -1;
  sl_stats_compute (&a, &b, SL_SESSION_VIEWER, SL_SESSION_STATE_CONNECTED, &r);
  g_assert_cmpfloat (r.rtt_ms, ==, 12);
}

static GstStructure *
stat (GstWebRTCStatsType type, guint ssrc, gint clock_rate)
{
  /* "kind" deliberately lies, as GStreamer 1.22's sometimes does: the
   * parser must classify by SSRC evidence instead. */
  GstStructure *s = gst_structure_new (
      "stat", "type", GST_TYPE_WEBRTC_STATS_TYPE, type, "ssrc", G_TYPE_UINT,
      ssrc, "kind", G_TYPE_STRING, "video", NULL);

  if (clock_rate > 0)
    {
      GstStructure *src = gst_structure_new (
          "application/x-rtp-source-stats", "ssrc", G_TYPE_UINT, ssrc,
          "clock-rate", G_TYPE_INT, clock_rate, NULL);
      gst_structure_set (s, "gst-rtpsource-stats", GST_TYPE_STRUCTURE, src,
                         NULL);
      gst_structure_free (src);
    }
  return s;
}

static void
add (GstStructure *report, const gchar *name, GstStructure *s)
{
  gst_structure_set (report, name, GST_TYPE_STRUCTURE, s, NULL);
  gst_structure_free (s);
}

static void
test_parse_report (void)
{
  GstStructure *report = gst_structure_new_empty ("application/x-webrtc-stats");
  GstStructure *s;
  SlSessionStats out = { 0 };

  s = stat (GST_WEBRTC_STATS_INBOUND_RTP, 11, 90000);
  gst_structure_set (s, "bytes-received", G_TYPE_UINT64, (guint64)123456,
                     "packets-received", G_TYPE_UINT64, (guint64)789,
                     "packets-lost", G_TYPE_INT64, (gint64)7, "jitter",
                     G_TYPE_DOUBLE, 0.004, NULL);
  add (report, "in-video", s);

  s = stat (GST_WEBRTC_STATS_INBOUND_RTP, 22, 48000);
  gst_structure_set (s, "bytes-received", G_TYPE_UINT64, (guint64)999, NULL);
  add (report, "in-audio", s);

  /* An outbound video stream known through its codec entry only. */
  s = stat (GST_WEBRTC_STATS_OUTBOUND_RTP, 33, 0);
  gst_structure_set (s, "bytes-sent", G_TYPE_UINT64, (guint64)5555,
                     "packets-sent", G_TYPE_UINT64, (guint64)55, NULL);
  add (report, "out-video", s);
  s = stat (GST_WEBRTC_STATS_CODEC, 33, 0);
  gst_structure_set (s, "mime-type", G_TYPE_STRING, "video/H264", NULL);
  add (report, "codec-video", s);

  s = stat (GST_WEBRTC_STATS_REMOTE_INBOUND_RTP, 33, 0);
  gst_structure_set (s, "round-trip-time", G_TYPE_DOUBLE, 0.031, NULL);
  add (report, "rr-video", s);

  /* Audio's round trip and sent bytes must not be taken for video's. */
  s = stat (GST_WEBRTC_STATS_OUTBOUND_RTP, 44, 48000);
  gst_structure_set (s, "bytes-sent", G_TYPE_UINT64, (guint64)1, NULL);
  add (report, "out-audio", s);
  s = stat (GST_WEBRTC_STATS_REMOTE_INBOUND_RTP, 44, 0);
  gst_structure_set (s, "round-trip-time", G_TYPE_DOUBLE, 0.5, NULL);
  add (report, "rr-audio", s);

  /* Non-structure fields are ignored. */
  gst_structure_set (report, "junk", G_TYPE_INT, 5, NULL);

  sl_webrtc_stats_parse (report, &out);
  g_assert_cmpuint (out.video_bytes_received, ==, 123456);
  g_assert_cmpuint (out.video_packets_received, ==, 789);
  g_assert_cmpint (out.video_packets_lost, ==, 7);
  g_assert_cmpuint (out.audio_bytes_received, ==, 999);
  g_assert_cmpuint (out.video_bytes_sent, ==, 5555);
  g_assert_cmpuint (out.video_packets_sent, ==, 55);
  g_assert_cmpfloat_with_epsilon (out.jitter_ms, 4.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (out.rtt_ms, 31.0, 1e-9);
  gst_structure_free (report);
}

/* A report block GStreamer's rtpsource turned into a round trip of
 * 1531.6 s (seen under load on a link of 250 ms), or into 0, is no round
 * trip: the last figure stays, unknown here, so nothing shows or uses it.
 * A minute is the most believed. */
static void
test_parse_absurd_rtt (void)
{
  const gdouble rejected[] = { 1531.6335, 60.001, 0.0, -0.25 };

  for (guint i = 0; i < G_N_ELEMENTS (rejected); i++)
    {
      GstStructure *report
          = gst_structure_new_empty ("application/x-webrtc-stats");
      GstStructure *s;
      SlSessionStats out = { 0 };

      out.rtt_ms = -1;
      s = stat (GST_WEBRTC_STATS_OUTBOUND_RTP, 33, 90000);
      gst_structure_set (s, "packets-sent", G_TYPE_UINT64, (guint64)55, NULL);
      add (report, "out-video", s);
      s = stat (GST_WEBRTC_STATS_REMOTE_INBOUND_RTP, 33, 0);
      gst_structure_set (s, "round-trip-time", G_TYPE_DOUBLE, rejected[i],
                         "packets-lost", G_TYPE_INT64, (gint64)3, NULL);
      add (report, "rr-video", s);
      sl_webrtc_stats_parse (report, &out);
      g_assert_cmpfloat (out.rtt_ms, ==, -1);
      /* The rest of the report block is still read. */
      g_assert_cmpint (out.video_packets_lost, ==, 3);
      gst_structure_free (report);
    }
  g_assert_true (sl_webrtc_stats_rtt_plausible (SL_WEBRTC_STATS_MAX_RTT_MS));
  g_assert_true (sl_webrtc_stats_rtt_plausible (252.7));
}

static void
test_json_fields (void)
{
  SlStatsReport r = { 0 };
  g_autoptr (JsonObject) obj = NULL;

  r.role = SL_SESSION_VIEWER;
  r.state = SL_SESSION_STATE_CONNECTED;
  r.frames = 42;
  r.fps = 29.97;
  r.rtt_ms = -1;
  r.jitter_ms = -1;
  r.dc_rtt_ms = 1.234;
  r.audio_level_db = -G_MAXDOUBLE;
  r.width = 1280;
  r.height = 720;
  r.audio_packets = 7;
  obj = sl_stats_to_json (&r);
  g_assert_cmpint (json_object_get_int_member (obj, "frames_decoded"), ==, 42);
  g_assert_false (json_object_has_member (obj, "frames_sent"));
  g_assert_true (json_object_get_null_member (obj, "rtt_ms"));
  g_assert_true (json_object_get_null_member (obj, "audio_level_db"));
  g_assert_cmpfloat_with_epsilon (
      json_object_get_double_member (obj, "dc_rtt_ms"), 1.23, 1e-9);
  g_assert_cmpstr (json_object_get_string_member (obj, "state"), ==,
                   "connected");
  g_assert_cmpint (json_object_get_int_member (obj, "width"), ==, 1280);
  g_assert_cmpint (json_object_get_int_member (obj, "audio_packets_decoded"),
                   ==, 7);
}

/* Both stations show the same loss figure: the viewer's, what the link
 * lost of the video and what was repaired. */
static void
test_loss_figure (void)
{
  SlStatsReport r = { 0 };
  g_autoptr (JsonObject) obj = NULL;
  g_autofree gchar *line = NULL, *unknown = NULL;

  r.role = SL_SESSION_SENDER;
  r.state = SL_SESSION_STATE_CONNECTED;
  r.rtt_ms = r.jitter_ms = r.dc_rtt_ms = -1;
  r.audio_level_db = -G_MAXDOUBLE;
  r.loss_pct = 0; /* RTCP's, which counted the repaired packets */
  r.video_lost_pct = 12.5;
  r.video_repaired_pct = 10;
  obj = sl_stats_to_json (&r);
  g_assert_cmpfloat (json_object_get_double_member (obj, "video_lost_pct"), ==,
                     12.5);
  g_assert_cmpfloat (json_object_get_double_member (obj, "video_repaired_pct"),
                     ==, 10);
  line = sl_stats_to_line (&r);
  g_assert_nonnull (strstr (line, "loss 12.5% (10.0% repaired)"));
  r.video_lost_pct = r.video_repaired_pct = -1;
  unknown = sl_stats_to_line (&r);
  g_assert_nonnull (strstr (unknown, "loss -"));
  json_object_unref (g_steal_pointer (&obj));
  obj = sl_stats_to_json (&r);
  g_assert_true (json_object_get_null_member (obj, "video_lost_pct"));
}

/* Two tones with leakage into their neighbours and a noise floor: both
 * found once each, in ascending order; a third too quiet is not. */
static void
test_find_tones (void)
{
  gfloat db[960];
  gdouble tones[SL_AUDIO_TONES_MAX];
  guint n;

  for (guint i = 0; i < G_N_ELEMENTS (db); i++)
    db[i] = -85.0f;
  /* 1300 Hz (band 52), the louder, and 700 Hz (band 28), each with
   * leakage two bands either side; 3000 Hz (band 120) 30 dB down. */
  db[52] = -12.0f;
  db[51] = db[53] = -20.0f;
  db[50] = db[54] = -30.0f;
  db[28] = -18.0f;
  db[27] = -24.0f;
  db[29] = -25.0f;
  db[120] = -42.0f;
  n = sl_stats_find_tones (db, G_N_ELEMENTS (db), 25.0, tones,
                           SL_AUDIO_TONES_MAX);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpfloat_with_epsilon (tones[0], 712.5, 1e-9);
  g_assert_cmpfloat_with_epsilon (tones[1], 1312.5, 1e-9);

  /* Silence: nothing. */
  for (guint i = 0; i < G_N_ELEMENTS (db); i++)
    db[i] = -90.0f;
  g_assert_cmpuint (sl_stats_find_tones (db, G_N_ELEMENTS (db), 25.0, tones,
                                         SL_AUDIO_TONES_MAX),
                    ==, 0);

  /* A tone's second band, as loud as the first, is one tone. */
  db[40] = db[41] = -10.0f;
  n = sl_stats_find_tones (db, G_N_ELEMENTS (db), 25.0, tones,
                           SL_AUDIO_TONES_MAX);
  g_assert_cmpuint (n, ==, 1);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stats/rates", test_rates);
  g_test_add_func ("/stats/counter-reset", test_counter_reset_gives_zero_rate);
  g_test_add_func ("/stats/first-interval", test_first_interval);
  g_test_add_func ("/stats/fresh-rtt", test_fresh_rtt);
  g_test_add_func ("/stats/parse-report", test_parse_report);
  g_test_add_func ("/stats/parse-absurd-rtt", test_parse_absurd_rtt);
  g_test_add_func ("/stats/json", test_json_fields);
  g_test_add_func ("/stats/loss-figure", test_loss_figure);
  g_test_add_func ("/stats/find-tones", test_find_tones);
  return g_test_run ();
}
