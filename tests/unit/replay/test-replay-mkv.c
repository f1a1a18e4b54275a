/* Unit tests for sl-replay-mkv.c: files made by the recorder's own
 * writer (sl-record-mkv.h), whole, cut short, and not ours, and where a
 * seek late in a long one starts decoding. */
#include "sl-record-mkv.h"
#include "sl-replay-mkv.h"

#include <string.h>

static const guint8 SPS[] = { 0x67, 0x42, 0xC0, 0x1F, 0xDA, 0x01 };
static const guint8 PPS[] = { 0x68, 0xCE, 0x3C, 0x80 };
static const guint8 IDR[] = { 0x65, 0x88, 0x84, 0x00, 0x33 };
static const guint8 P[] = { 0x41, 0x9A, 0x02, 0x03 };

/* An access unit in byte-stream form: a keyframe with @sps (of
 * @width x @height), PPS and IDR, or a P slice when @sps is NULL. */
static void
add_au_with (SlRecordMkv *mkv, const guint8 *sps, gsize sps_len, guint width,
             guint height, gint64 t_ms, GByteArray *out)
{
  static const guint8 sc[] = { 0, 0, 0, 1 };
  g_autoptr (GByteArray) au = g_byte_array_new ();

  if (sps != NULL)
    {
      g_byte_array_append (au, sc, 4);
      g_byte_array_append (au, sps, (guint)sps_len);
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
  g_assert_true (sl_record_mkv_add_video (mkv, au->data, au->len,
                                          SL_RECORD_H264_BYTE_STREAM, width,
                                          height, t_ms, out));
}

static void
add_au (SlRecordMkv *mkv, gboolean key, gint64 t_ms, GByteArray *out)
{
  add_au_with (mkv, key ? SPS : NULL, sizeof SPS, 640, 360, t_ms, out);
}

/* 10 s of pictures from 1 s on, a keyframe every 3 s, the township's
 * voice only, a guidance line. */
static GByteArray *
recording (void)
{
  g_autoptr (SlRecordMkv) mkv = sl_record_mkv_new (1000);
  GByteArray *out = g_byte_array_new ();
  static const guint8 opus[] = { 0xFC, 0xFF, 0xFE };

  for (gint64 t = 1000; t <= 11000; t += 40)
    {
      add_au (mkv, (t - 1000) % 3000 == 0, t, out);
      g_assert_true (sl_record_mkv_add_voice (
          mkv, SL_RECORD_TRACK_VOICE_TOWNSHIP, opus, sizeof opus, t, out));
    }
  g_assert_true (
      sl_record_mkv_add_text (mkv, "{\"type\":\"stop\"}", 5000, out));
  sl_record_mkv_finish (mkv, out);
  return out;
}

static void
test_whole (void)
{
  g_autoptr (GByteArray) file = recording ();
  g_auto (SlReplayMkvInfo) info = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_true (sl_replay_mkv_scan (file->data, file->len, &info, &error));
  g_assert_no_error (error);
  g_assert_false (info.cut);
  g_assert_cmpint (info.first_video_ms, ==, 1000);
  g_assert_cmpint (info.last_video_ms, ==, 11000);
  g_assert_cmpuint (info.blocks[1], ==, 251);
  g_assert_cmpuint (info.blocks[2], ==, 251);
  g_assert_cmpuint (info.blocks[3], ==, 0);
  g_assert_cmpuint (info.blocks[4], ==, 1);
  g_assert_cmpuint (info.keyframes, ==, 4);
  /* Every keyframe carries the same SPS: no new picture size. */
  g_assert_cmpuint (info.sps_ms->len, ==, 0);
  /* The keyframe a decoding from a time starts at. */
  g_assert_cmpint (sl_replay_mkv_keyframe_before (&info, 500), ==, 1000);
  g_assert_cmpint (sl_replay_mkv_keyframe_before (&info, 3999), ==, 1000);
  g_assert_cmpint (sl_replay_mkv_keyframe_before (&info, 4000), ==, 4000);
  g_assert_cmpint (sl_replay_mkv_keyframe_before (&info, 9000), ==, 7000);
  g_assert_cmpint (sl_replay_mkv_keyframe_before (&info, 99000), ==, 10000);
}

/* A crash cuts the file anywhere: what came before the cut counts, and
 * the scan never reads past the end (ASan checks). */
static void
test_cut (void)
{
  g_autoptr (GByteArray) file = recording ();
  g_auto (SlReplayMkvInfo) whole = { 0 };
  gint64 last = -1;

  g_assert_true (sl_replay_mkv_scan (file->data, file->len, &whole, NULL));
  for (gsize len = 0; len < file->len; len += 7)
    {
      g_autofree guint8 *copy = g_memdup2 (file->data, len);
      g_auto (SlReplayMkvInfo) info = { 0 };
      gboolean ok = sl_replay_mkv_scan (copy, len, &info, NULL);

      if (!ok)
        continue;
      g_assert_true (info.cut || info.last_video_ms == whole.last_video_ms
                     || info.clusters < whole.clusters);
      g_assert_cmpint (info.last_video_ms, <=, whole.last_video_ms);
      g_assert_cmpint (info.last_video_ms, >=, last);
      last = info.last_video_ms;
    }
  g_assert_cmpint (last, >, 9000);
}

/* How many pictures a decoding that shows @t_ms decodes: those from the
 * keyframe it starts at (sl_replay_mkv_keyframe_before) up to @t_ms. */
static guint
pictures_decoded (const SlReplayMkvInfo *info, gint64 t_ms)
{
  gint64 key = sl_replay_mkv_keyframe_before (info, t_ms);
  guint n = 0;

  for (guint i = 0; i < info->video_ms->len; i++)
    {
      gint64 v = g_array_index (info->video_ms, gint64, i);

      n += v >= key && v <= t_ms;
    }
  return n;
}

/* An expert's recording: the access units as the depayloader gives them,
 * in avc framing with the parameter sets in the caps (an avcC) only.
 * 60 s at 25 pictures a second, a keyframe every 2 s, and a new PPS at
 * 4 s (the township's encoder reopened with other settings).  A seek
 * late in the file starts at the keyframe before it, so it decodes at
 * most one keyframe interval of pictures, not the file since the change. */
static void
test_late_seek (void)
{
  static const guint8 pps2[] = { 0x68, 0xCF, 0x3C, 0x80 };
  g_autoptr (SlRecordMkv) mkv = sl_record_mkv_new (1000);
  g_autoptr (GByteArray) file = g_byte_array_new ();
  g_autoptr (GByteArray) avcc
      = sl_record_avcc_new (SPS, sizeof SPS, PPS, sizeof PPS);
  g_autoptr (GByteArray) avcc2
      = sl_record_avcc_new (SPS, sizeof SPS, pps2, sizeof pps2);
  g_auto (SlReplayMkvInfo) info = { 0 };
  guint8 idr[4 + sizeof IDR] = { 0, 0, 0, sizeof IDR };
  guint8 p[4 + sizeof P] = { 0, 0, 0, sizeof P };

  memcpy (idr + 4, IDR, sizeof IDR);
  memcpy (p + 4, P, sizeof P);
  for (gint64 t = 0; t < 60000; t += 40)
    {
      gboolean key = t % 2000 == 0;

      if (t == 0 || t == 4000)
        {
          GByteArray *a = t == 0 ? avcc : avcc2;

          g_assert_true (sl_record_mkv_set_avcc (mkv, a->data, a->len));
        }
      g_assert_true (sl_record_mkv_add_video (
          mkv, key ? idr : p, key ? sizeof idr : sizeof p, SL_RECORD_H264_AVC,
          640, 360, t, file));
    }
  sl_record_mkv_finish (mkv, file);
  g_assert_true (sl_replay_mkv_scan (file->data, file->len, &info, NULL));
  g_assert_cmpuint (info.blocks[1], ==, 1500);
  g_assert_cmpuint (info.keyframes, ==, 30);
  for (gint64 t = 4000; t < 60000; t += 1130)
    g_assert_cmpuint (pictures_decoded (&info, t), <=, 50);
  /* Every keyframe is one a decoder can start at. */
  g_assert_cmpuint (info.keyframe_ms->len, ==, 30);
  g_assert_cmpint (sl_replay_mkv_keyframe_before (&info, 59960), ==, 58000);
}

/* A new picture size: an SPS other than the one in force, at 5 s, which
 * the next keyframes repeat. */
static void
test_sps_change (void)
{
  static const guint8 sps2[] = { 0x67, 0x42, 0xC0, 0x1F, 0xDA, 0x02 };
  g_autoptr (SlRecordMkv) mkv = sl_record_mkv_new (1000);
  g_autoptr (GByteArray) file = g_byte_array_new ();
  g_auto (SlReplayMkvInfo) info = { 0 };

  for (gint64 t = 0; t < 10000; t += 40)
    {
      if (t == 5000 || t == 7000 || t == 9000)
        add_au_with (mkv, sps2, sizeof sps2, 320, 180, t, file);
      else
        add_au (mkv, t % 2000 == 0 && t < 5000, t, file);
    }
  sl_record_mkv_finish (mkv, file);
  g_assert_true (sl_replay_mkv_scan (file->data, file->len, &info, NULL));
  g_assert_cmpuint (info.sps_ms->len, ==, 1);
  g_assert_cmpint (g_array_index (info.sps_ms, gint64, 0), ==, 5000);
  g_assert_cmpuint (info.keyframe_ms->len, ==, 6);
}

static void
test_not_ours (void)
{
  static const gchar *const junk[] = {
    "",
    "not a recording at all",
    "\x1A\x45\xDF\xA3\x84\x42\x82\x81w",
  };
  g_autoptr (GByteArray) file = recording ();

  for (guint i = 0; i < G_N_ELEMENTS (junk); i++)
    {
      g_auto (SlReplayMkvInfo) info = { 0 };
      g_autoptr (GError) error = NULL;

      g_assert_false (sl_replay_mkv_scan ((const guint8 *)junk[i],
                                          strlen (junk[i]), &info, &error));
      g_assert_error (error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_NOT_RECORDING);
    }
  /* A WebM header (DocType "webm") is not ours either. */
  {
    g_auto (SlReplayMkvInfo) info = { 0 };
    guint8 *p = memmem (file->data, file->len, "matroska", 8);

    g_assert_nonnull (p);
    memcpy (p, "webmwebm", 8);
    g_assert_false (sl_replay_mkv_scan (file->data, file->len, &info, NULL));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/replay/mkv/whole", test_whole);
  g_test_add_func ("/replay/mkv/cut", test_cut);
  g_test_add_func ("/replay/mkv/not-ours", test_not_ours);
  g_test_add_func ("/replay/mkv/late-seek", test_late_seek);
  g_test_add_func ("/replay/mkv/sps-change", test_sps_change);
  return g_test_run ();
}
