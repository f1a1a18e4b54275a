/* test-record.c — the recording's cores: the Matroska writer
 * (sl-record-mkv.h), the sidecar's lines and timeline
 * (sl-record-sidecar.h) and the bound on what waits for the disk
 * (sl-record-backlog.h).
 */
#include "sl-record-backlog.h"
#include "sl-record-mkv.h"
#include "sl-record-sidecar.h"

#include <string.h>

/* A tiny access unit in Annex B framing: SPS, PPS and an IDR slice (key),
 * or a non-IDR slice.  The bytes are not a decodable picture; the writer
 * only frames them. */
static const guint8 SPS[] = { 0x67, 0x42, 0xC0, 0x1F, 0xDA, 0x01 };
static const guint8 PPS[] = { 0x68, 0xCE, 0x3C, 0x80 };
static const guint8 IDR[] = { 0x65, 0x88, 0x84, 0x00, 0x33 };
static const guint8 P[] = { 0x41, 0x9A, 0x02, 0x03 };

static GByteArray *
annexb (gboolean key)
{
  GByteArray *au = g_byte_array_new ();
  static const guint8 sc[] = { 0, 0, 0, 1 };

  if (key)
    {
      g_byte_array_append (au, sc, 4);
      g_byte_array_append (au, SPS, sizeof SPS);
      g_byte_array_append (au, sc, 4);
      g_byte_array_append (au, PPS, sizeof PPS);
      g_byte_array_append (au, sc, 4);
      g_byte_array_append (au, IDR, sizeof IDR);
    }
  else
    {
      g_byte_array_append (au, sc, 4);
      g_byte_array_append (au, P, sizeof P);
    }
  return au;
}

static gboolean
contains (GByteArray *hay, const guint8 *needle, gsize len)
{
  for (gsize i = 0; i + len <= hay->len; i++)
    if (memcmp (hay->data + i, needle, len) == 0)
      return TRUE;
  return FALSE;
}

static void
test_mkv_waits_for_keyframe (void)
{
  g_autoptr (SlRecordMkv) mkv = sl_record_mkv_new (1000);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GByteArray) p = annexb (FALSE);
  g_autoptr (GByteArray) k = annexb (TRUE);
  static const guint8 ebml[] = { 0x1A, 0x45, 0xDF, 0xA3 };

  g_assert_false (sl_record_mkv_add_video (
      mkv, p->data, p->len, SL_RECORD_H264_BYTE_STREAM, 0, 0, 0, out));
  g_assert_false (sl_record_mkv_add_voice (mkv, SL_RECORD_TRACK_VOICE_EXPERT,
                                           (const guint8 *)"x", 1, 0, out));
  g_assert_cmpuint (out->len, ==, 0);
  g_assert_true (sl_record_mkv_add_video (
      mkv, k->data, k->len, SL_RECORD_H264_BYTE_STREAM, 640, 480, 10, out));
  /* The header is out, with the avcC made of the SPS and PPS. */
  g_assert_cmpuint (out->len, >, 0);
  g_assert_cmpmem (out->data, 4, ebml, 4);
  g_assert_true (contains (out, (const guint8 *)"V_MPEG4/ISO/AVC", 15));
  g_assert_true (contains (out, (const guint8 *)"A_OPUS", 6));
  g_assert_true (contains (out, (const guint8 *)"S_TEXT/UTF8", 11));
  g_assert_true (sl_record_mkv_started (mkv));
  g_assert_cmpuint (sl_record_mkv_video_frames (mkv), ==, 1);
}

/* A cluster goes out whole once a block comes a cluster's length after
 * its start, or the timer finds it due; its blocks are length-prefixed. */
static void
test_mkv_clusters (void)
{
  g_autoptr (SlRecordMkv) mkv = sl_record_mkv_new (1000);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GByteArray) p = annexb (FALSE);
  g_autoptr (GByteArray) k = annexb (TRUE);
  static const guint8 cluster[] = { 0x1F, 0x43, 0xB6, 0x75 };
  static const guint8 prefixed_p[] = { 0, 0, 0, 4, 0x41, 0x9A, 0x02, 0x03 };
  guint header_len;

  sl_record_mkv_add_video (mkv, k->data, k->len, SL_RECORD_H264_BYTE_STREAM, 0,
                           0, 0, out);
  header_len = out->len;
  for (gint t = 33; t < 1000; t += 33)
    g_assert_true (sl_record_mkv_add_video (
        mkv, p->data, p->len, SL_RECORD_H264_BYTE_STREAM, 0, 0, t, out));
  g_assert_true (sl_record_mkv_add_voice (mkv, SL_RECORD_TRACK_VOICE_TOWNSHIP,
                                          (const guint8 *)"opus", 4, 500, out));
  g_assert_true (sl_record_mkv_add_text (mkv, "{\"type\":\"stop\"}", 600, out));
  g_assert_cmpuint (out->len, ==, header_len);
  sl_record_mkv_cut_if_due (mkv, 900, out);
  g_assert_cmpuint (out->len, ==, header_len);
  g_assert_true (sl_record_mkv_add_video (
      mkv, p->data, p->len, SL_RECORD_H264_BYTE_STREAM, 0, 0, 1000, out));
  g_assert_cmpuint (out->len, >, header_len);
  g_assert_cmpmem (out->data + header_len, 4, cluster, 4);
  g_assert_true (contains (out, prefixed_p, sizeof prefixed_p));
  g_assert_true (contains (out, (const guint8 *)"{\"type\":\"stop\"}", 15));
  header_len = out->len;
  sl_record_mkv_cut_if_due (mkv, 2100, out);
  g_assert_cmpuint (out->len, >, header_len);
  /* Nothing open: finishing adds nothing. */
  header_len = out->len;
  sl_record_mkv_finish (mkv, out);
  g_assert_cmpuint (out->len, ==, header_len);
}

/* avc framing: the parameter sets come from the avcC and go in band
 * before every keyframe, those of the newest avcC, so that a decoder can
 * start at any keyframe (a replay's seek does). */
static void
test_mkv_avcc (void)
{
  g_autoptr (SlRecordMkv) mkv = sl_record_mkv_new (1000);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GByteArray) avcc
      = sl_record_avcc_new (SPS, sizeof SPS, PPS, sizeof PPS);
  guint8 idr[4 + sizeof IDR] = { 0, 0, 0, sizeof IDR };
  static const guint8 bad[] = { 1, 0x42, 0xC0, 0x1F, 0xFF, 0xE1, 0, 99 };
  static const guint8 prefixed_sps[] = { 0, 0, 0, sizeof SPS, 0x67, 0x42 };
  /* Another PPS, as an encoder reopened with other settings makes. */
  static const guint8 pps2[] = { 0x68, 0xCF, 0x3C, 0x80 };
  static const guint8 prefixed_pps2[] = { 0, 0, 0, 4, 0x68, 0xCF, 0x3C, 0x80 };
  g_autoptr (GByteArray) avcc2
      = sl_record_avcc_new (SPS, sizeof SPS, pps2, sizeof pps2);
  guint8 p[4 + sizeof P] = { 0, 0, 0, sizeof P };
  guint before;

  memcpy (idr + 4, IDR, sizeof IDR);
  memcpy (p + 4, P, sizeof P);
  g_assert_cmpuint (avcc->data[4], ==, 0xFF);
  g_assert_false (sl_record_mkv_set_avcc (mkv, bad, sizeof bad));
  /* Without an avcC, a keyframe without SPS cannot start the file. */
  g_assert_false (sl_record_mkv_add_video (mkv, idr, sizeof idr,
                                           SL_RECORD_H264_AVC, 0, 0, 0, out));
  g_assert_true (sl_record_mkv_set_avcc (mkv, avcc->data, avcc->len));
  g_assert_true (sl_record_mkv_add_video (mkv, idr, sizeof idr,
                                          SL_RECORD_H264_AVC, 0, 0, 0, out));
  sl_record_mkv_finish (mkv, out);
  g_assert_true (contains (out, prefixed_sps, sizeof prefixed_sps));
  /* The same avcC again: a picture that is not a keyframe goes without
   * them, the next keyframe with them. */
  before = out->len;
  g_assert_true (sl_record_mkv_set_avcc (mkv, avcc->data, avcc->len));
  g_assert_true (sl_record_mkv_add_video (mkv, p, sizeof p, SL_RECORD_H264_AVC,
                                          0, 0, 40, out));
  sl_record_mkv_finish (mkv, out);
  g_assert_cmpuint (out->len - before, <, 60);
  before = out->len;
  g_assert_true (sl_record_mkv_add_video (mkv, idr, sizeof idr,
                                          SL_RECORD_H264_AVC, 0, 0, 80, out));
  sl_record_mkv_finish (mkv, out);
  g_byte_array_remove_range (out, 0, before);
  g_assert_true (contains (out, prefixed_sps, sizeof prefixed_sps));
  /* A new avcC: each keyframe after it carries its PPS, not only the
   * first. */
  g_assert_true (sl_record_mkv_set_avcc (mkv, avcc2->data, avcc2->len));
  for (gint64 t = 120; t <= 200; t += 40)
    {
      g_byte_array_set_size (out, 0);
      g_assert_true (sl_record_mkv_add_video (
          mkv, idr, sizeof idr, SL_RECORD_H264_AVC, 0, 0, t, out));
      sl_record_mkv_finish (mkv, out);
      g_assert_true (contains (out, prefixed_pps2, sizeof prefixed_pps2));
    }
  /* After an access unit delimiter, which stays first. */
  {
    guint8 aud_idr[6 + sizeof idr] = { 0, 0, 0, 2, 0x09, 0xF0 };
    static const guint8 aud_then_sps[]
        = { 0x09, 0xF0, 0, 0, 0, sizeof SPS, 0x67, 0x42 };

    memcpy (aud_idr + 6, idr, sizeof idr);
    g_byte_array_set_size (out, 0);
    g_assert_true (sl_record_mkv_add_video (
        mkv, aud_idr, sizeof aud_idr, SL_RECORD_H264_AVC, 0, 0, 240, out));
    sl_record_mkv_finish (mkv, out);
    g_assert_true (contains (out, aud_then_sps, sizeof aud_then_sps));
  }
  /* A truncated length prefix is refused. */
  idr[3] = 200;
  g_assert_false (sl_record_mkv_add_video (mkv, idr, sizeof idr,
                                           SL_RECORD_H264_AVC, 0, 0, 280, out));
}

/* After a gap, the open cluster is gone and the video waits for a
 * keyframe, which carries the parameter sets again although the avcC did
 * not change; voice goes on at once. */
static void
test_mkv_skip_to_keyframe (void)
{
  g_autoptr (SlRecordMkv) mkv = sl_record_mkv_new (1000);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GByteArray) avcc
      = sl_record_avcc_new (SPS, sizeof SPS, PPS, sizeof PPS);
  guint8 idr[4 + sizeof IDR] = { 0, 0, 0, sizeof IDR };
  guint8 p[4 + sizeof P] = { 0, 0, 0, sizeof P };
  static const guint8 prefixed_sps[] = { 0, 0, 0, sizeof SPS, 0x67, 0x42 };
  guint before;

  memcpy (idr + 4, IDR, sizeof IDR);
  memcpy (p + 4, P, sizeof P);
  g_assert_true (sl_record_mkv_set_avcc (mkv, avcc->data, avcc->len));
  g_assert_true (sl_record_mkv_add_video (mkv, idr, sizeof idr,
                                          SL_RECORD_H264_AVC, 0, 0, 0, out));
  g_assert_true (sl_record_mkv_add_video (mkv, p, sizeof p, SL_RECORD_H264_AVC,
                                          0, 0, 33, out));
  before = out->len;
  sl_record_mkv_skip_to_keyframe (mkv);
  /* The open cluster was dropped: nothing to finish. */
  sl_record_mkv_finish (mkv, out);
  g_assert_cmpuint (out->len, ==, before);
  g_assert_false (sl_record_mkv_add_video (mkv, p, sizeof p, SL_RECORD_H264_AVC,
                                           0, 0, 66, out));
  g_assert_true (sl_record_mkv_add_voice (mkv, SL_RECORD_TRACK_VOICE_TOWNSHIP,
                                          (const guint8 *)"opus", 4, 70, out));
  g_assert_cmpuint (sl_record_mkv_video_frames (mkv), ==, 2);
  g_assert_true (sl_record_mkv_add_video (mkv, idr, sizeof idr,
                                          SL_RECORD_H264_AVC, 0, 0, 100, out));
  g_assert_true (sl_record_mkv_add_video (mkv, p, sizeof p, SL_RECORD_H264_AVC,
                                          0, 0, 133, out));
  sl_record_mkv_finish (mkv, out);
  g_assert_cmpuint (out->len, >, before);
  g_byte_array_remove_range (out, 0, before);
  g_assert_true (contains (out, prefixed_sps, sizeof prefixed_sps));
  g_assert_cmpuint (sl_record_mkv_video_frames (mkv), ==, 4);
}

/* The backlog takes pieces up to its limit, then refuses until the
 * writer has written since and brought it down to half, counting what it
 * refused; the counts may wrap. */
static void
test_backlog (void)
{
  SlRecordBacklog b;
  gsize written = 0;

  sl_record_backlog_init (&b, 100);
  g_assert_true (sl_record_backlog_offer (&b, 60, written));
  g_assert_true (sl_record_backlog_offer (&b, 40, written));
  g_assert_cmpuint (sl_record_backlog_queued (&b, written), ==, 100);
  g_assert_false (sl_record_backlog_offer (&b, 1, written));
  g_assert_true (b.dropping);
  g_assert_cmpuint (b.gaps, ==, 1);
  /* Room for a piece, but not yet down to half: still refusing. */
  written += 40;
  g_assert_false (sl_record_backlog_offer (&b, 10, written));
  g_assert_cmpuint (sl_record_backlog_queued (&b, written), ==, 60);
  g_assert_cmpuint (b.gaps, ==, 1);
  g_assert_cmpuint (b.dropped_pieces, ==, 2);
  g_assert_cmpuint (b.dropped_bytes, ==, 11);
  /* Down to half: the gap ends. */
  written += 10;
  g_assert_true (sl_record_backlog_offer (&b, 10, written));
  g_assert_false (b.dropping);
  g_assert_cmpuint (sl_record_backlog_queued (&b, written), ==, 60);
  /* A second gap.  Under half only because a piece was refused, with the
   * writer stuck: still refusing. */
  g_assert_false (sl_record_backlog_offer (&b, 41, written));
  g_assert_cmpuint (b.gaps, ==, 2);
  b.handed -= 20; /* as if 20 bytes had never been handed */
  g_assert_false (sl_record_backlog_offer (&b, 1, written));
  b.handed += 20;
  /* A piece larger than the whole limit never fits; with nothing
   * waiting the next one is taken. */
  written += 60;
  g_assert_cmpuint (sl_record_backlog_queued (&b, written), ==, 0);
  g_assert_false (sl_record_backlog_offer (&b, 101, written));
  g_assert_cmpuint (b.gaps, ==, 3);
  g_assert_true (sl_record_backlog_offer (&b, 100, written));
  g_assert_cmpuint (b.gaps, ==, 3);
  /* The counts wrap alike. */
  sl_record_backlog_init (&b, 100);
  b.handed = written = G_MAXSIZE - 10;
  g_assert_true (sl_record_backlog_offer (&b, 50, written));
  g_assert_cmpuint (sl_record_backlog_queued (&b, written), ==, 50);
  g_assert_false (sl_record_backlog_offer (&b, 51, written));
  written += 50;
  g_assert_cmpuint (sl_record_backlog_queued (&b, written), ==, 0);
  g_assert_true (sl_record_backlog_offer (&b, 100, written));
}

static void
test_sidecar_round_trip (void)
{
  SlRecordEvent ev = { 0 };
  g_auto (SlRecordEvent) back = { 0 };
  g_autofree gchar *line = NULL;
  g_autofree gchar *line2 = NULL;
  g_autoptr (GError) error = NULL;

  ev.type = SL_RECORD_EVENT_GUIDE;
  ev.t_ms = 1200;
  ev.frame_ms = 1180;
  ev.media_ms = 53000;
  ev.sent = TRUE;
  ev.peer = (gchar *)"tw1";
  ev.msg = (gchar *)"{\"type\":\"pointer\",\"x\":0.5}";
  line = sl_record_event_to_line (&ev);
  g_assert_nonnull (line);
  g_assert_null (strchr (line, '\n'));
  g_assert_true (sl_record_event_parse (line, strlen (line), &back, &error));
  g_assert_no_error (error);
  g_assert_cmpint (back.type, ==, SL_RECORD_EVENT_GUIDE);
  g_assert_cmpint (back.t_ms, ==, 1200);
  g_assert_cmpint (back.frame_ms, ==, 1180);
  g_assert_cmpint (back.media_ms, ==, 53000);
  g_assert_true (back.sent);
  g_assert_cmpstr (back.peer, ==, "tw1");
  g_assert_cmpstr (back.msg, ==, "{\"type\":\"pointer\",\"x\":0.5}");
  line2 = sl_record_event_to_line (&back);
  g_assert_cmpstr (line, ==, line2);

  /* Times of a picture on a line that has none are ignored, and the
   * line writes back without them. */
  {
    static const gchar rec[]
        = "{\"type\":\"stop\",\"t_ms\":9,\"frame_ms\":5,\"frames\":3}";
    g_auto (SlRecordEvent) stop = { 0 };
    g_autofree gchar *again = NULL;

    g_assert_true (sl_record_event_parse (rec, strlen (rec), &stop, NULL));
    g_assert_cmpint (stop.frame_ms, ==, -1);
    again = sl_record_event_to_line (&stop);
    g_assert_cmpstr (again, ==, "{\"type\":\"stop\",\"t_ms\":9,\"frames\":3}");
  }

  /* A message that is not a JSON object makes no line. */
  ev.msg = (gchar *)"[1]";
  g_assert_null (sl_record_event_to_line (&ev));
}

static void
test_sidecar_refuses (void)
{
  static const gchar *const bad[] = {
    "",
    "{\"type\":\"stop\",\"t_ms\":1",
    "{\"type\":\"stop\",\"t_ms\":-5,\"frames\":1}",
    "{\"type\":\"stop\",\"t_ms\":1.5,\"frames\":1}",
    "{\"type\":\"stop\",\"t_ms\":1}",
    "{\"type\":\"nope\"}",
    "{\"type\":\"guide\",\"dir\":\"up\",\"msg\":{}}",
    "{\"type\":\"guide\",\"dir\":\"sent\",\"msg\":[1]}",
    "{\"type\":\"still\",\"t_ms\":1}",
    "{\"type\":\"still\",\"path\":\"a\\nb\"}",
    "{\"type\":\"recording\",\"version\":2,\"file\":\"a.mkv\"}",
    "{\"type\":\"stop\",\"frames\":1,\"frames\":2}",
    "[]",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_auto (SlRecordEvent) ev = { 0 };
      g_autoptr (GError) error = NULL;

      g_assert_false (
          sl_record_event_parse (bad[i], strlen (bad[i]), &ev, &error));
      g_assert_error (error, SL_RECORD_ERROR, SL_RECORD_ERROR_PARSE);
      g_assert_null (ev.msg);
      g_assert_null (ev.path);
    }
}

static void
test_timeline (void)
{
  SlRecordTimeline tl;

  sl_record_timeline_init (&tl);
  g_assert_cmpint (sl_record_timeline_frame_for (&tl, 100, 200), ==, -1);
  for (gint i = 0; i < 300; i++)
    sl_record_timeline_add (&tl, 5000 + i * 33, 10 + i * 33);
  /* The closest picture's time; the oldest have left the ring. */
  g_assert_cmpint (sl_record_timeline_frame_for (&tl, 5000 + 299 * 33 + 5, 200),
                   ==, 10 + 299 * 33);
  g_assert_cmpint (
      sl_record_timeline_frame_for (&tl, 5000 + 100 * 33 - 10, 200), ==,
      10 + 100 * 33);
  g_assert_cmpint (sl_record_timeline_frame_for (&tl, 5000, 200), ==, -1);
  g_assert_cmpint (sl_record_timeline_frame_for (&tl, 90000, 200), ==, -1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/record/mkv/waits-for-keyframe",
                   test_mkv_waits_for_keyframe);
  g_test_add_func ("/record/mkv/clusters", test_mkv_clusters);
  g_test_add_func ("/record/mkv/avcc", test_mkv_avcc);
  g_test_add_func ("/record/mkv/skip-to-keyframe", test_mkv_skip_to_keyframe);
  g_test_add_func ("/record/backlog", test_backlog);
  g_test_add_func ("/record/sidecar/round-trip", test_sidecar_round_trip);
  g_test_add_func ("/record/sidecar/refuses", test_sidecar_refuses);
  g_test_add_func ("/record/timeline", test_timeline);
  return g_test_run ();
}
