/* sl-replay-mkv.c — see sl-replay-mkv.h.
 *
 * EBML (RFC 8794): an element is an id (a variable-length integer of 1
 * to 4 bytes, its marker bit kept), a size (1 to 8 bytes, marker bit
 * dropped; all ones means "unknown", which our writer uses for the
 * Segment only), then the payload.  A SimpleBlock (RFC 9559, 10.1) is
 * the track number as a vint, a signed 16-bit time relative to its
 * Cluster's Timestamp, and a flags byte whose top bit marks a keyframe.
 */
#include "sl-replay-mkv.h"

#include <string.h>

/* clang-format off */
G_DEFINE_QUARK (sl-replay-error-quark, sl_replay_error)
/* clang-format on */

#define ID_EBML 0x1A45DFA3
#define ID_DOC_TYPE 0x4282
#define ID_SEGMENT 0x18538067
#define ID_CLUSTER 0x1F43B675
#define ID_CLUSTER_TIMESTAMP 0xE7
#define ID_SIMPLE_BLOCK 0xA3

#define SIZE_UNKNOWN G_MAXUINT64

typedef struct
{
  const guint8 *p, *end;
} Reader;

/* Reads a vint of at most @max_len bytes; keeps the marker for ids. */
static gboolean
read_vint (Reader *r, guint max_len, gboolean keep_marker, guint64 *out)
{
  guint len = 1;
  guint64 v;

  if (r->p >= r->end || r->p[0] == 0)
    return FALSE;
  while (!(r->p[0] & (0x80 >> (len - 1))))
    len++;
  if (len > max_len || (gsize)(r->end - r->p) < len)
    return FALSE;
  v = keep_marker ? r->p[0] : (r->p[0] & (0xFF >> len));
  for (guint i = 1; i < len; i++)
    v = (v << 8) | r->p[i];
  if (!keep_marker && v == (G_GUINT64_CONSTANT (1) << (7 * len)) - 1)
    v = SIZE_UNKNOWN;
  r->p += len;
  *out = v;
  return TRUE;
}

/* Reads an element's head; FALSE when the bytes end first. */
static gboolean
read_head (Reader *r, guint64 *id, guint64 *size)
{
  return read_vint (r, 4, TRUE, id) && read_vint (r, 8, FALSE, size);
}

static guint64
read_uint (const guint8 *p, guint64 len)
{
  guint64 v = 0;

  for (guint64 i = 0; i < len && i < 8; i++)
    v = (v << 8) | p[i];
  return v;
}

static gboolean
not_ours (GError **error, const gchar *why)
{
  g_set_error (error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_NOT_RECORDING,
               "not a sonolink recording (Matroska): %s", why);
  return FALSE;
}

/* What the scan carries from one block to the next. */
typedef struct
{
  SlReplayMkvInfo *out;
  /* The video's SPS and PPS in force, and those of the access unit at
   * hand; whether any came that were not those of the first access unit
   * (which the track's CodecPrivate holds: the writer makes it from
   * them). */
  GByteArray *sps, *pps, *au_sps, *au_pps;
  gboolean changed;
} Scan;

static gboolean
same_bytes (const GByteArray *a, const GByteArray *b)
{
  return a->len == b->len && memcmp (a->data, b->data, a->len) == 0;
}

static void
set_bytes (GByteArray *to, const GByteArray *from)
{
  g_byte_array_set_size (to, 0);
  g_byte_array_append (to, from->data, from->len);
}

/* Copies the SPS and the PPS NAL units of an access unit (NAL units with
 * 4-byte lengths, as our writer frames them) into @sps and @pps. */
static void
read_params (const guint8 *p, gsize len, GByteArray *sps, GByteArray *pps)
{
  g_byte_array_set_size (sps, 0);
  g_byte_array_set_size (pps, 0);
  while (len >= 5)
    {
      guint32 n = ((guint32)p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];

      if (n == 0 || n > len - 4)
        return;
      if ((p[4] & 0x1F) == 7)
        g_byte_array_append (sps, p + 4, n);
      else if ((p[4] & 0x1F) == 8)
        g_byte_array_append (pps, p + 4, n);
      p += 4 + n;
      len -= 4 + n;
    }
}

/* The parameter sets of a video access unit: those it carries come into
 * force; a new SPS is a new picture size (sps_ms), the same one again
 * (every keyframe carries it) is not.  Returns whether a decoder can
 * start at it if it is a keyframe: it knows the SPS and PPS in force
 * there when the access unit carries both, or when none but the first
 * ones (the CodecPrivate's) ever came.  The recorder puts them in every
 * keyframe (docs/recording.md); in a file made before it did, the
 * keyframes after a change of picture size or of encoder settings (a
 * new PPS) that come without them cannot start a decoding.  (Nor would
 * one where the sets went back to the first ones, in a window whose
 * decoder had taken the others since.) */
static gboolean
note_params (Scan *s, const guint8 *p, gsize len, gint64 t)
{
  SlReplayMkvInfo *out = s->out;
  gboolean first = out->blocks[1] == 1;

  read_params (p, len, s->au_sps, s->au_pps);
  if (s->au_sps->len > 0)
    {
      if (!first && !same_bytes (s->au_sps, s->sps))
        {
          g_array_append_val (out->sps_ms, t);
          s->changed = TRUE;
        }
      set_bytes (s->sps, s->au_sps);
    }
  if (s->au_pps->len > 0)
    {
      s->changed |= !first && !same_bytes (s->au_pps, s->pps);
      set_bytes (s->pps, s->au_pps);
    }
  return (s->au_sps->len > 0 && s->au_pps->len > 0) || !s->changed;
}

static void
note_block (Scan *s, const guint8 *p, guint64 len, gint64 cluster_ms)
{
  SlReplayMkvInfo *out = s->out;
  Reader r = { p, p + len };
  guint64 track;
  gint64 t;
  gboolean startable;

  if (!read_vint (&r, 8, FALSE, &track) || r.end - r.p < 3 || track == 0
      || track > SL_REPLAY_MAX_TRACK)
    return;
  t = cluster_ms + (gint16)((r.p[0] << 8) | r.p[1]);
  /* Our recordings start at 0 and never go back before it; a block
   * before 0 is not ours, and -1 means "none" below. */
  if (t < 0)
    return;
  out->blocks[track]++;
  out->last_ms = MAX (out->last_ms, t);
  if (track != 1)
    return;
  startable = note_params (s, r.p + 3, r.end - r.p - 3, t);
  if (r.p[2] & 0x80)
    {
      out->keyframes++;
      if (startable)
        g_array_append_val (out->keyframe_ms, t);
    }
  g_array_append_val (out->video_ms, t);
  if (out->first_video_ms < 0 || t < out->first_video_ms)
    out->first_video_ms = t;
  out->last_video_ms = MAX (out->last_video_ms, t);
}

/* Walks one Cluster's payload; TRUE if it was whole. */
static gboolean
scan_cluster (Scan *s, const guint8 *p, const guint8 *end)
{
  Reader r = { p, end };
  gint64 cluster_ms = 0;

  while (r.p < r.end)
    {
      guint64 id, size;

      if (!read_head (&r, &id, &size) || size == SIZE_UNKNOWN
          || size > (guint64)(r.end - r.p))
        return FALSE;
      if (id == ID_CLUSTER_TIMESTAMP)
        cluster_ms = (gint64)MIN (read_uint (r.p, size), G_MAXINT32);
      else if (id == ID_SIMPLE_BLOCK)
        note_block (s, r.p, size, cluster_ms);
      r.p += size;
    }
  return TRUE;
}

/* Walks the Segment's payload, its Clusters, to its end or to the first
 * element cut short. */
static void
scan_segment (SlReplayMkvInfo *out, Reader *r)
{
  Scan s = { .out = out };
  GByteArray **sets[] = { &s.sps, &s.pps, &s.au_sps, &s.au_pps };

  for (guint i = 0; i < G_N_ELEMENTS (sets); i++)
    *sets[i] = g_byte_array_new ();
  while (r->p < r->end)
    {
      guint64 id, size;

      if (!read_head (r, &id, &size) || size == SIZE_UNKNOWN
          || size > (guint64)(r->end - r->p))
        {
          out->cut = TRUE;
          break;
        }
      if (id == ID_CLUSTER)
        {
          if (!scan_cluster (&s, r->p, r->p + size))
            {
              out->cut = TRUE;
              break;
            }
          out->clusters++;
        }
      r->p += size;
    }
  for (guint i = 0; i < G_N_ELEMENTS (sets); i++)
    g_byte_array_unref (*sets[i]);
}

gboolean
sl_replay_mkv_scan (const guint8 *data, gsize len, SlReplayMkvInfo *out,
                    GError **error)
{
  Reader r = { data, data + len }, h;
  guint64 id, size;
  gboolean matroska = FALSE;

  memset (out, 0, sizeof *out);
  out->keyframe_ms = g_array_new (FALSE, FALSE, sizeof (gint64));
  out->sps_ms = g_array_new (FALSE, FALSE, sizeof (gint64));
  out->video_ms = g_array_new (FALSE, FALSE, sizeof (gint64));
  out->first_video_ms = out->last_video_ms = out->last_ms = -1;
  if (!read_head (&r, &id, &size) || id != ID_EBML || size == SIZE_UNKNOWN
      || size > (guint64)(r.end - r.p))
    return not_ours (error, "no EBML header");
  h.p = r.p;
  h.end = r.p + size;
  while (h.p < h.end)
    {
      guint64 hid, hsize;

      if (!read_head (&h, &hid, &hsize) || hsize > (guint64)(h.end - h.p))
        return not_ours (error, "a damaged EBML header");
      if (hid == ID_DOC_TYPE)
        matroska = hsize == 8 && memcmp (h.p, "matroska", 8) == 0;
      h.p += hsize;
    }
  if (!matroska)
    return not_ours (error, "the DocType is not \"matroska\"");
  r.p = h.end;
  if (!read_head (&r, &id, &size) || id != ID_SEGMENT)
    return not_ours (error, "no Segment after the header");
  if (size != SIZE_UNKNOWN && size < (guint64)(r.end - r.p))
    r.end = r.p + size;
  scan_segment (out, &r);
  return TRUE;
}

void
sl_replay_mkv_info_clear (SlReplayMkvInfo *info)
{
  g_clear_pointer (&info->keyframe_ms, g_array_unref);
  g_clear_pointer (&info->sps_ms, g_array_unref);
  g_clear_pointer (&info->video_ms, g_array_unref);
}

gint64
sl_replay_mkv_keyframe_before (const SlReplayMkvInfo *info, gint64 t_ms)
{
  gint64 best = -1;

  for (guint i = 0; info->keyframe_ms != NULL && i < info->keyframe_ms->len;
       i++)
    {
      gint64 k = g_array_index (info->keyframe_ms, gint64, i);

      if (best >= 0 && k > t_ms)
        break;
      best = k;
    }
  return best;
}

gint64
sl_replay_mkv_picture_next (const SlReplayMkvInfo *info, gint64 t_ms,
                            gboolean after)
{
  gint64 best = -1;

  /* Not assumed in order: the blocks keep the order they arrived in. */
  for (guint i = 0; info->video_ms != NULL && i < info->video_ms->len; i++)
    {
      gint64 v = g_array_index (info->video_ms, gint64, i);

      if (after ? v > t_ms && (best < 0 || v < best)
                : v < t_ms && (best < 0 || v > best))
        best = v;
    }
  return best;
}
