/* sl-record-mkv.c — the recording's Matroska writer (sl-record-mkv.h).
 *
 * EBML (RFC 8794) and Matroska (RFC 9559): every element is an ID, a
 * variable-length size and its payload.  The Segment has the "unknown"
 * size so that the file can grow without seeking back; each Cluster is
 * assembled in memory and handed out with its real size, which is what
 * makes a file cut short by a crash readable to its last whole cluster.
 * Blocks are SimpleBlocks with a 16-bit time relative to their cluster,
 * so a cluster ends before its span would overflow that.
 */
#include "sl-record-mkv.h"

#include <string.h>

/* Element IDs (RFC 8794 §11, RFC 9559 §5.1). */
#define ID_EBML 0x1A45DFA3
#define ID_EBML_VERSION 0x4286
#define ID_EBML_READ_VERSION 0x42F7
#define ID_EBML_MAX_ID_LENGTH 0x42F2
#define ID_EBML_MAX_SIZE_LENGTH 0x42F3
#define ID_DOC_TYPE 0x4282
#define ID_DOC_TYPE_VERSION 0x4287
#define ID_DOC_TYPE_READ_VERSION 0x4285
#define ID_SEGMENT 0x18538067
#define ID_INFO 0x1549A966
#define ID_TIMESTAMP_SCALE 0x2AD7B1
#define ID_MUXING_APP 0x4D80
#define ID_WRITING_APP 0x5741
#define ID_TRACKS 0x1654AE6B
#define ID_TRACK_ENTRY 0xAE
#define ID_TRACK_NUMBER 0xD7
#define ID_TRACK_UID 0x73C5
#define ID_TRACK_TYPE 0x83
#define ID_FLAG_LACING 0x9C
#define ID_NAME 0x536E
#define ID_CODEC_ID 0x86
#define ID_CODEC_PRIVATE 0x63A2
#define ID_SEEK_PRE_ROLL 0x56BB
#define ID_VIDEO 0xE0
#define ID_PIXEL_WIDTH 0xB0
#define ID_PIXEL_HEIGHT 0xBA
#define ID_AUDIO 0xE1
#define ID_SAMPLING_FREQUENCY 0xB5
#define ID_CHANNELS 0x9F
#define ID_CLUSTER 0x1F43B675
#define ID_CLUSTER_TIMESTAMP 0xE7
#define ID_SIMPLE_BLOCK 0xA3

#define TRACK_TYPE_VIDEO 1
#define TRACK_TYPE_AUDIO 2
#define TRACK_TYPE_SUBTITLE 0x11

/* A block's time relative to its cluster is a signed 16-bit count of
 * milliseconds (TimestampScale 1 ms). */
#define MAX_RELATIVE_MS 32767
/* An access unit larger than this is not a picture we sent. */
#define MAX_AU_BYTES (16 * 1024 * 1024)

#define NAL_IDR 5
#define NAL_SPS 7
#define NAL_PPS 8
#define NAL_AUD 9

struct _SlRecordMkv
{
  guint cluster_ms;
  gboolean started;
  GByteArray *cluster; /* the open cluster's content, NULL: none */
  gint64 cluster_t0;
  GByteArray *au; /* scratch: the access unit, length-prefixed */
  guint64 video_frames;
  /* The last avcC and its NAL length size; the SPS and PPS in force (each
   * with a 4-byte length prefix), from that avcC or from the last access
   * unit that carried them in band. */
  guint nal_length_size;
  GByteArray *avcc;
  GByteArray *params;
  /* After a gap (sl_record_mkv_skip_to_keyframe): video waits for a
   * keyframe. */
  gboolean need_keyframe;
};

/* ---- EBML ---- */

static void
put_id (GByteArray *out, guint32 id)
{
  guint8 b[4];
  guint n = id > 0xFFFFFF ? 4 : id > 0xFFFF ? 3 : id > 0xFF ? 2 : 1;

  for (guint i = 0; i < n; i++)
    b[i] = (guint8)(id >> (8 * (n - 1 - i)));
  g_byte_array_append (out, b, n);
}

/* The element size as an 8-byte variable-length integer: one form for
 * every size keeps the writer simple for a few bytes per element. */
static void
put_size (GByteArray *out, guint64 size)
{
  guint8 b[8];

  b[0] = 0x01;
  for (guint i = 1; i < 8; i++)
    b[i] = (guint8)(size >> (8 * (7 - i)));
  g_byte_array_append (out, b, 8);
}

static void
put_element (GByteArray *out, guint32 id, const guint8 *data, gsize len)
{
  put_id (out, id);
  put_size (out, len);
  if (len > 0)
    g_byte_array_append (out, data, len);
}

static void
put_uint (GByteArray *out, guint32 id, guint64 value)
{
  guint8 b[8];
  guint n = 1;

  while (n < 8 && (value >> (8 * n)) != 0)
    n++;
  for (guint i = 0; i < n; i++)
    b[i] = (guint8)(value >> (8 * (n - 1 - i)));
  put_element (out, id, b, n);
}

static void
put_string (GByteArray *out, guint32 id, const gchar *s)
{
  put_element (out, id, (const guint8 *)s, strlen (s));
}

static void
put_double (GByteArray *out, guint32 id, gdouble value)
{
  guint64 bits;
  guint8 b[8];

  memcpy (&bits, &value, 8);
  for (guint i = 0; i < 8; i++)
    b[i] = (guint8)(bits >> (8 * (7 - i)));
  put_element (out, id, b, 8);
}

/* Appends @child as the payload of a master element @id. */
static void
put_master (GByteArray *out, guint32 id, GByteArray *child)
{
  put_element (out, id, child->data, child->len);
}

/* ---- H.264 ---- */

/* A parameter set in an avcC: its 16-bit length, then its bytes. */
static void
put_sized (GByteArray *out, const guint8 *data, gsize len)
{
  guint8 l[2] = { (guint8)(len >> 8), (guint8)len };

  g_byte_array_append (out, l, 2);
  g_byte_array_append (out, data, (guint)len);
}

GByteArray *
sl_record_avcc_new (const guint8 *sps, gsize sps_len, const guint8 *pps,
                    gsize pps_len)
{
  GByteArray *avcc;
  guint8 head[6];

  g_return_val_if_fail (sps_len >= 4 && sps_len <= 0xFFFF, NULL);
  g_return_val_if_fail (pps_len >= 1 && pps_len <= 0xFFFF, NULL);
  avcc = g_byte_array_new ();
  head[0] = 1;      /* configurationVersion */
  head[1] = sps[1]; /* profile_idc */
  head[2] = sps[2]; /* constraint flags */
  head[3] = sps[3]; /* level_idc */
  head[4] = 0xFF;   /* 4-byte NAL lengths */
  head[5] = 0xE1;   /* one SPS */
  g_byte_array_append (avcc, head, 6);
  put_sized (avcc, sps, sps_len);
  head[0] = 1; /* one PPS */
  g_byte_array_append (avcc, head, 1);
  put_sized (avcc, pps, pps_len);
  return avcc;
}

/* One NAL unit found in an access unit. */
typedef struct
{
  const guint8 *data;
  gsize len;
} Nal;

/* Splits an Annex B access unit at its start codes (00 00 01, with any
 * leading zeros).  Returns FALSE if it does not begin with one. */
static gboolean
split_byte_stream (const guint8 *d, gsize len, GArray *nals)
{
  gsize i = 0, start = 0;
  gboolean in_nal = FALSE;

  while (i + 2 < len)
    {
      if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1)
        {
          if (in_nal)
            {
              gsize end = i;
              Nal nal;

              while (end > start && d[end - 1] == 0)
                end--;
              nal.data = d + start;
              nal.len = end - start;
              if (nal.len > 0)
                g_array_append_val (nals, nal);
            }
          else if (i > 0)
            for (gsize z = 0; z < i; z++)
              if (d[z] != 0)
                return FALSE;
          i += 3;
          start = i;
          in_nal = TRUE;
          continue;
        }
      i++;
    }
  if (!in_nal)
    return FALSE;
  if (len > start)
    {
      Nal nal = { d + start, len - start };
      g_array_append_val (nals, nal);
    }
  return TRUE;
}

static gboolean
split_avc (const guint8 *d, gsize len, guint size_len, GArray *nals)
{
  gsize i = 0;

  if (size_len != 1 && size_len != 2 && size_len != 4)
    return FALSE;
  while (i < len)
    {
      gsize n = 0;
      Nal nal;

      if (len - i < size_len)
        return FALSE;
      for (guint k = 0; k < size_len; k++)
        n = (n << 8) | d[i + k];
      i += size_len;
      if (n == 0 || n > len - i)
        return FALSE;
      nal.data = d + i;
      nal.len = n;
      g_array_append_val (nals, nal);
      i += n;
    }
  return TRUE;
}

/* ---- clusters and blocks ---- */

static void
end_cluster (SlRecordMkv *mkv, GByteArray *out)
{
  if (mkv->cluster == NULL)
    return;
  put_master (out, ID_CLUSTER, mkv->cluster);
  g_clear_pointer (&mkv->cluster, g_byte_array_unref);
}

static void
put_block (SlRecordMkv *mkv, SlRecordTrack track, gboolean key,
           const guint8 *data, gsize len, gint64 t_ms, GByteArray *out)
{
  guint8 head[4];
  gint64 rel;

  if (mkv->cluster != NULL
      && (t_ms - mkv->cluster_t0 >= mkv->cluster_ms
          || t_ms - mkv->cluster_t0 > MAX_RELATIVE_MS
          || t_ms < mkv->cluster_t0 - MAX_RELATIVE_MS))
    end_cluster (mkv, out);
  if (mkv->cluster == NULL)
    {
      mkv->cluster = g_byte_array_new ();
      mkv->cluster_t0 = MAX (t_ms, 0);
      put_uint (mkv->cluster, ID_CLUSTER_TIMESTAMP, (guint64)mkv->cluster_t0);
    }
  rel = t_ms - mkv->cluster_t0;
  head[0] = 0x80 | (guint8)track; /* track number, 1-byte vint */
  head[1] = (guint8)((guint16)(gint16)rel >> 8);
  head[2] = (guint8)(guint16)(gint16)rel;
  head[3] = key ? 0x80 : 0x00;
  put_id (mkv->cluster, ID_SIMPLE_BLOCK);
  put_size (mkv->cluster, len + 4);
  g_byte_array_append (mkv->cluster, head, 4);
  g_byte_array_append (mkv->cluster, data, len);
}

/* ---- the header ---- */

static void
put_ebml_header (GByteArray *out)
{
  g_autoptr (GByteArray) h = g_byte_array_new ();

  put_uint (h, ID_EBML_VERSION, 1);
  put_uint (h, ID_EBML_READ_VERSION, 1);
  put_uint (h, ID_EBML_MAX_ID_LENGTH, 4);
  put_uint (h, ID_EBML_MAX_SIZE_LENGTH, 8);
  put_string (h, ID_DOC_TYPE, "matroska");
  put_uint (h, ID_DOC_TYPE_VERSION, 4);
  put_uint (h, ID_DOC_TYPE_READ_VERSION, 2);
  put_master (out, ID_EBML, h);
}

static void
put_track_common (GByteArray *t, SlRecordTrack number, guint type,
                  const gchar *name, const gchar *codec)
{
  put_uint (t, ID_TRACK_NUMBER, number);
  put_uint (t, ID_TRACK_UID, number);
  put_uint (t, ID_TRACK_TYPE, type);
  put_uint (t, ID_FLAG_LACING, 0);
  put_string (t, ID_NAME, name);
  put_string (t, ID_CODEC_ID, codec);
}

/* RFC 7845 §5.1: the identification header, one channel, no pre-skip
 * (the packets are a live stream's, not an encoder's first). */
static void
put_opus_track (GByteArray *tracks, SlRecordTrack number, const gchar *name)
{
  g_autoptr (GByteArray) t = g_byte_array_new ();
  g_autoptr (GByteArray) a = g_byte_array_new ();
  static const guint8 opus_head[19]
      = { 'O', 'p', 'u',  's',  'H', 'e', 'a', 'd', 1, 1,
          0,   0,   0x80, 0xBB, 0,   0,   0,   0,   0 };

  put_track_common (t, number, TRACK_TYPE_AUDIO, name, "A_OPUS");
  put_element (t, ID_CODEC_PRIVATE, opus_head, sizeof opus_head);
  put_uint (t, ID_SEEK_PRE_ROLL, 80 * G_GUINT64_CONSTANT (1000000));
  put_double (a, ID_SAMPLING_FREQUENCY, 48000.0);
  put_uint (a, ID_CHANNELS, 1);
  put_master (t, ID_AUDIO, a);
  put_master (tracks, ID_TRACK_ENTRY, t);
}

static void
put_header (GByteArray *out, const Nal *sps, const Nal *pps, guint width,
            guint height)
{
  g_autoptr (GByteArray) info = g_byte_array_new ();
  g_autoptr (GByteArray) tracks = g_byte_array_new ();
  g_autoptr (GByteArray) t = g_byte_array_new ();
  g_autoptr (GByteArray) v = g_byte_array_new ();
  g_autoptr (GByteArray) s = g_byte_array_new ();
  g_autoptr (GByteArray) avcc
      = sl_record_avcc_new (sps->data, sps->len, pps->data, pps->len);

  put_ebml_header (out);
  put_id (out, ID_SEGMENT);
  /* The reserved "unknown" size (RFC 8794 §6.2), one byte long. */
  g_byte_array_append (out, (const guint8 *)"\xFF", 1);

  put_uint (info, ID_TIMESTAMP_SCALE, 1000000);
  put_string (info, ID_MUXING_APP, "sonolink");
  put_string (info, ID_WRITING_APP, "sonolink");
  put_master (out, ID_INFO, info);

  put_track_common (t, SL_RECORD_TRACK_VIDEO, TRACK_TYPE_VIDEO, "probe",
                    "V_MPEG4/ISO/AVC");
  put_master (t, ID_CODEC_PRIVATE, avcc);
  put_uint (v, ID_PIXEL_WIDTH, width > 0 ? width : 640);
  put_uint (v, ID_PIXEL_HEIGHT, height > 0 ? height : 480);
  put_master (t, ID_VIDEO, v);
  put_master (tracks, ID_TRACK_ENTRY, t);
  put_opus_track (tracks, SL_RECORD_TRACK_VOICE_TOWNSHIP, "township voice");
  put_opus_track (tracks, SL_RECORD_TRACK_VOICE_EXPERT, "expert voice");
  put_track_common (s, SL_RECORD_TRACK_GUIDE, TRACK_TYPE_SUBTITLE, "guidance",
                    "S_TEXT/UTF8");
  put_master (tracks, ID_TRACK_ENTRY, s);
  put_master (out, ID_TRACKS, tracks);
}

/* ---- the writer ---- */

SlRecordMkv *
sl_record_mkv_new (guint cluster_ms)
{
  SlRecordMkv *mkv = g_new0 (SlRecordMkv, 1);

  mkv->cluster_ms = CLAMP (cluster_ms, 100, 30000);
  mkv->au = g_byte_array_new ();
  mkv->nal_length_size = 4;
  mkv->params = g_byte_array_new ();
  return mkv;
}

void
sl_record_mkv_free (SlRecordMkv *mkv)
{
  if (mkv == NULL)
    return;
  g_clear_pointer (&mkv->cluster, g_byte_array_unref);
  g_byte_array_unref (mkv->au);
  g_byte_array_unref (mkv->params);
  g_clear_pointer (&mkv->avcc, g_byte_array_unref);
  g_free (mkv);
}

static const Nal *
find_nal (GArray *nals, guint type)
{
  for (guint i = 0; i < nals->len; i++)
    {
      const Nal *nal = &g_array_index (nals, Nal, i);

      if ((nal->data[0] & 0x1F) == type)
        return nal;
    }
  return NULL;
}

/* Appends @n parameter sets of the avcC at @d[*i..len) to @params,
 * each with a 4-byte length prefix. */
static gboolean
read_param_sets (const guint8 *d, gsize len, gsize *i, guint n,
                 GByteArray *params)
{
  for (guint k = 0; k < n; k++)
    {
      gsize l;
      guint8 prefix[4];

      if (len - *i < 2)
        return FALSE;
      l = ((gsize)d[*i] << 8) | d[*i + 1];
      *i += 2;
      if (l == 0 || l > len - *i)
        return FALSE;
      prefix[0] = prefix[1] = 0;
      prefix[2] = (guint8)(l >> 8);
      prefix[3] = (guint8)l;
      g_byte_array_append (params, prefix, 4);
      g_byte_array_append (params, d + *i, l);
      *i += l;
    }
  return TRUE;
}

gboolean
sl_record_mkv_set_avcc (SlRecordMkv *mkv, const guint8 *data, gsize len)
{
  g_autoptr (GByteArray) params = g_byte_array_new ();
  gsize i = 6;
  guint n_pps;

  if (mkv->avcc != NULL && mkv->avcc->len == len
      && memcmp (mkv->avcc->data, data, len) == 0)
    return TRUE;
  /* ISO 14496-15 §5.3.3.1: version 1, then profile, compatibility,
   * level, the length size, the SPS and the PPS. */
  if (len < 7 || data[0] != 1 || (data[4] & 3) == 2)
    return FALSE;
  if (!read_param_sets (data, len, &i, data[5] & 0x1F, params) || i >= len)
    return FALSE;
  n_pps = data[i];
  i++;
  if (!read_param_sets (data, len, &i, n_pps, params))
    return FALSE;
  mkv->nal_length_size = (data[4] & 3) + 1u;
  g_clear_pointer (&mkv->avcc, g_byte_array_unref);
  mkv->avcc = g_byte_array_sized_new ((guint)len);
  g_byte_array_append (mkv->avcc, data, (guint)len);
  g_byte_array_unref (mkv->params);
  mkv->params = g_steal_pointer (&params);
  return TRUE;
}

/* Keeps the parameter sets of an access unit that carried them in band,
 * for the keyframes that come without. */
static void
remember_params (SlRecordMkv *mkv, const Nal *sps, const Nal *pps)
{
  const Nal *sets[2] = { sps, pps };

  g_byte_array_set_size (mkv->params, 0);
  for (guint i = 0; i < 2; i++)
    {
      guint8 n[4]
          = { (guint8)(sets[i]->len >> 24), (guint8)(sets[i]->len >> 16),
              (guint8)(sets[i]->len >> 8), (guint8)sets[i]->len };

      g_byte_array_append (mkv->params, n, 4);
      g_byte_array_append (mkv->params, sets[i]->data, sets[i]->len);
    }
}

gboolean
sl_record_mkv_add_video (SlRecordMkv *mkv, const guint8 *data, gsize len,
                         SlRecordH264Format format, guint width, guint height,
                         gint64 t_ms, GByteArray *out)
{
  g_autoptr (GArray) nals = g_array_new (FALSE, FALSE, sizeof (Nal));
  g_autoptr (GArray) params = g_array_new (FALSE, FALSE, sizeof (Nal));
  const Nal *sps, *pps;
  gboolean key, in_band, ok;

  if (len == 0 || len > MAX_AU_BYTES)
    return FALSE;
  ok = format == SL_RECORD_H264_AVC
           ? split_avc (data, len, mkv->nal_length_size, nals)
           : split_byte_stream (data, len, nals);
  if (!ok || nals->len == 0)
    return FALSE;
  key = find_nal (nals, NAL_IDR) != NULL;
  in_band = find_nal (nals, NAL_SPS) != NULL;
  /* Every keyframe goes out with the SPS and PPS in force, in band: one
   * without its own takes those of the last avcC or of the last access
   * unit that carried them.  A decoder can then start at any keyframe of
   * the file, as a replay's seek does (client/replay/sl-replay-mkv.c
   * indexes only those), whatever avcC the track's CodecPrivate holds.
   * Giving them only to the first keyframe after a change, as this
   * writer once did, saved some 40 bytes a keyframe but left every later
   * one needing parameter sets found seconds or minutes earlier in the
   * file.  They go after an access unit delimiter, which must come first
   * (H.264 7.4.1.2.3). */
  if (key && !in_band && mkv->params->len > 0
      && split_avc (mkv->params->data, mkv->params->len, 4, params))
    g_array_insert_vals (
        nals, (g_array_index (nals, Nal, 0).data[0] & 0x1F) == NAL_AUD ? 1 : 0,
        params->data, params->len);
  sps = find_nal (nals, NAL_SPS);
  pps = find_nal (nals, NAL_PPS);
  if (mkv->need_keyframe && !key)
    return FALSE;
  if (!mkv->started)
    {
      if (!key || sps == NULL || pps == NULL || sps->len < 4
          || sps->len > 0xFFFF || pps->len > 0xFFFF)
        return FALSE;
      put_header (out, sps, pps, width, height);
      mkv->started = TRUE;
    }
  g_byte_array_set_size (mkv->au, 0);
  for (guint i = 0; i < nals->len; i++)
    {
      const Nal *nal = &g_array_index (nals, Nal, i);
      guint8 n[4] = { (guint8)(nal->len >> 24), (guint8)(nal->len >> 16),
                      (guint8)(nal->len >> 8), (guint8)nal->len };

      g_byte_array_append (mkv->au, n, 4);
      g_byte_array_append (mkv->au, nal->data, nal->len);
    }
  put_block (mkv, SL_RECORD_TRACK_VIDEO, key, mkv->au->data, mkv->au->len, t_ms,
             out);
  if (in_band && pps != NULL)
    remember_params (mkv, sps, pps);
  mkv->need_keyframe = FALSE;
  mkv->video_frames++;
  return TRUE;
}

gboolean
sl_record_mkv_add_voice (SlRecordMkv *mkv, SlRecordTrack track,
                         const guint8 *data, gsize len, gint64 t_ms,
                         GByteArray *out)
{
  g_return_val_if_fail (track == SL_RECORD_TRACK_VOICE_TOWNSHIP
                            || track == SL_RECORD_TRACK_VOICE_EXPERT,
                        FALSE);
  if (!mkv->started || len == 0 || len > 65536)
    return FALSE;
  put_block (mkv, track, TRUE, data, len, t_ms, out);
  return TRUE;
}

gboolean
sl_record_mkv_add_text (SlRecordMkv *mkv, const gchar *text, gint64 t_ms,
                        GByteArray *out)
{
  gsize len = strlen (text);

  if (!mkv->started || len == 0 || len > 65536)
    return FALSE;
  put_block (mkv, SL_RECORD_TRACK_GUIDE, TRUE, (const guint8 *)text, len, t_ms,
             out);
  return TRUE;
}

void
sl_record_mkv_cut_if_due (SlRecordMkv *mkv, gint64 now_ms, GByteArray *out)
{
  if (mkv->cluster != NULL && now_ms - mkv->cluster_t0 >= mkv->cluster_ms)
    end_cluster (mkv, out);
}

void
sl_record_mkv_skip_to_keyframe (SlRecordMkv *mkv)
{
  g_clear_pointer (&mkv->cluster, g_byte_array_unref);
  mkv->need_keyframe = TRUE;
}

void
sl_record_mkv_finish (SlRecordMkv *mkv, GByteArray *out)
{
  end_cluster (mkv, out);
}

guint64
sl_record_mkv_video_frames (SlRecordMkv *mkv)
{
  return mkv->video_frames;
}

gboolean
sl_record_mkv_started (SlRecordMkv *mkv)
{
  return mkv->started;
}
