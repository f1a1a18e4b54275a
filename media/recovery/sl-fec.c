/* sl-fec.c — see sl-fec.h for the reasoning.
 *
 * The arithmetic is RFC 5109's.  For each protected packet the sender
 * takes a "bit string": the first 8 bytes of its RTP header with the
 * sequence number replaced by the length of everything after the 12-byte
 * fixed header, followed by that everything (CSRCs, payload, padding).
 * A FEC packet carries the XOR of the bit strings of its run: the header
 * part in its FEC header (the version bits hold its E and L flags, the
 * sequence number field its SN base), the rest, zero-padded to the
 * longest, as its level-0 payload.  XOR-ing in the bit strings of all the
 * run's packets but one leaves the missing one's.
 */
#include "sl-fec.h"

#include <string.h>

#define RTP_HEADER_LEN 12
#define FEC_HEADER_LEN 10
/* Bit 47 of a mask is the packet at SN base (16 bits in a short mask, 48
 * in a long one, left-aligned in both). */
#define MASK_TOP 47

/* A bounds-checked big-endian reader over a packet.  Byte by byte: the
 * packets sit at any alignment, and GstByteReader's fast paths load
 * 16- and 32-bit words from unaligned addresses. */
typedef struct
{
  const guint8 *data;
  gsize len, pos;
} Reader;

static gboolean
take (Reader *r, gsize n, const guint8 **out)
{
  if (r->len - r->pos < n)
    return FALSE;
  *out = r->data + r->pos;
  r->pos += n;
  return TRUE;
}

static gboolean
get_u8 (Reader *r, guint8 *v)
{
  const guint8 *p;

  if (!take (r, 1, &p))
    return FALSE;
  *v = p[0];
  return TRUE;
}

static gboolean
get_u16 (Reader *r, guint16 *v)
{
  const guint8 *p;

  if (!take (r, 2, &p))
    return FALSE;
  *v = (guint16)(p[0] << 8 | p[1]);
  return TRUE;
}

static gboolean
get_u32 (Reader *r, guint32 *v)
{
  const guint8 *p;

  if (!take (r, 4, &p))
    return FALSE;
  *v = (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
  return TRUE;
}

typedef struct
{
  gboolean valid;
  guint16 seq;
  guint8 b0, b1; /* V/P/X/CC and M/PT, X cleared */
  guint32 ts;
  guint8 *rest; /* everything after the fixed header, extension left out */
  gsize rest_len;
  gsize rest_size; /* allocated, kept from packet to packet */
} Media;

typedef struct
{
  guint16 seq_base;
  guint64 mask;
  guint8 b0, b1;
  guint32 ts;
  guint16 length; /* length recovery */
  guint32 ssrc;
  guint8 *payload;
  gsize protection_len;
} Fec;

struct _SlFec
{
  Media media[SL_FEC_WINDOW];
  Fec pending[SL_FEC_PENDING];
  guint n_pending;
  gboolean have_newest;
  guint16 newest;
  guint64 recovered;
  guint64 received;
};

typedef struct
{
  guint8 b0, b1;
  guint16 seq;
  guint32 ts, ssrc;
  const guint8 *csrcs; /* 4 × CC bytes */
  gsize csrcs_len;
  const guint8 *body; /* after the extension, padding included */
  gsize body_len;
} Rtp;

SlFec *
sl_fec_new (void)
{
  return g_new0 (SlFec, 1);
}

static void
clear_fec (Fec *f)
{
  g_clear_pointer (&f->payload, g_free);
}

void
sl_fec_free (SlFec *fec)
{
  if (fec == NULL)
    return;
  for (guint i = 0; i < SL_FEC_WINDOW; i++)
    g_free (fec->media[i].rest);
  for (guint i = 0; i < fec->n_pending; i++)
    clear_fec (&fec->pending[i]);
  g_free (fec);
}

guint64
sl_fec_recovered (const SlFec *fec)
{
  return fec->recovered;
}

guint64
sl_fec_received (const SlFec *fec)
{
  return fec->received;
}

static gboolean
parse_rtp (const guint8 *data, gsize len, Rtp *out)
{
  Reader r;
  guint16 profile, words;
  const guint8 *skipped;
  guint cc;

  r = (Reader){ data, len, 0 };
  if (!get_u8 (&r, &out->b0) || !get_u8 (&r, &out->b1)
      || !get_u16 (&r, &out->seq) || !get_u32 (&r, &out->ts)
      || !get_u32 (&r, &out->ssrc) || (out->b0 >> 6) != 2)
    return FALSE;
  cc = out->b0 & 0x0f;
  out->csrcs_len = 4 * cc;
  if (!take (&r, out->csrcs_len, &out->csrcs))
    return FALSE;
  if (out->b0 & 0x10
      && (!get_u16 (&r, &profile) || !get_u16 (&r, &words)
          || !take (&r, 4u * words, &skipped)))
    return FALSE;
  out->body_len = r.len - r.pos;
  out->body = data + r.pos;
  return TRUE;
}

static Media *
slot (SlFec *fec, guint16 seq)
{
  return &fec->media[seq % SL_FEC_WINDOW];
}

static gboolean
have_media (SlFec *fec, guint16 seq)
{
  Media *m = slot (fec, seq);

  return m->valid && m->seq == seq;
}

static void
store_media (SlFec *fec, const Rtp *rtp)
{
  Media *m = slot (fec, rtp->seq);

  m->valid = TRUE;
  m->seq = rtp->seq;
  m->b0 = rtp->b0 & ~0x10;
  m->b1 = rtp->b1;
  m->ts = rtp->ts;
  m->rest_len = rtp->csrcs_len + rtp->body_len;
  /* The slot's buffer is reused; it grows to the largest packet seen. */
  if (m->rest_size < MAX (m->rest_len, 1))
    {
      m->rest_size = MAX (m->rest_len, 1);
      m->rest = g_realloc (m->rest, m->rest_size);
    }
  if (rtp->csrcs_len > 0)
    memcpy (m->rest, rtp->csrcs, rtp->csrcs_len);
  if (rtp->body_len > 0)
    memcpy (m->rest + rtp->csrcs_len, rtp->body, rtp->body_len);
  if (!fec->have_newest || (gint16)(rtp->seq - fec->newest) > 0)
    {
      fec->newest = rtp->seq;
      fec->have_newest = TRUE;
    }
}

/* The FEC header and level-0 header of @rtp's payload, padding removed. */
static gboolean
parse_fec (const Rtp *rtp, Fec *out)
{
  gsize len = rtp->body_len;
  Reader r;
  guint8 tmp8;
  guint16 seq_base, protection_len, mask16;
  guint32 mask32 = 0;
  const guint8 *payload;

  if (rtp->b0 & 0x20)
    {
      if (len == 0 || rtp->body[len - 1] == 0 || rtp->body[len - 1] > len)
        return FALSE;
      len -= rtp->body[len - 1];
    }
  r = (Reader){ rtp->body, len, 0 };
  if (!get_u8 (&r, &out->b0) || !get_u8 (&r, &out->b1)
      || !get_u16 (&r, &seq_base) || !get_u32 (&r, &out->ts)
      || !get_u16 (&r, &out->length) || !get_u16 (&r, &protection_len)
      || !get_u16 (&r, &mask16))
    return FALSE;
  /* E set: an extended header this version of the RFC does not define. */
  tmp8 = out->b0;
  if (tmp8 & 0x80)
    return FALSE;
  if (tmp8 & 0x40 && !get_u32 (&r, &mask32))
    return FALSE;
  if (r.len - r.pos != protection_len || !take (&r, protection_len, &payload))
    return FALSE;
  out->seq_base = seq_base;
  out->mask = ((guint64)mask16 << 32) | mask32;
  if (out->mask == 0)
    return FALSE;
  out->ssrc = rtp->ssrc;
  out->protection_len = protection_len;
  out->payload = g_memdup2 (payload, MAX (protection_len, 1));
  return TRUE;
}

/* Sequence numbers of @f's run still missing: how many, and the last. */
static guint
count_missing (SlFec *fec, const Fec *f, guint16 *missing)
{
  guint n = 0;

  for (guint i = 0; i <= MASK_TOP; i++)
    {
      guint16 seq = f->seq_base + i;

      if ((f->mask >> (MASK_TOP - i) & 1) && !have_media (fec, seq))
        {
          n++;
          *missing = seq;
        }
    }
  return n;
}

/* Rebuilds @seq, the one packet of @f's run missing, as a whole RTP
 * packet; NULL if the run does not add up (a corrupt or mismatched FEC
 * packet). */
static GBytes *
rebuild (SlFec *fec, const Fec *f, guint16 seq)
{
  g_autofree guint8 *bits = g_memdup2 (f->payload, MAX (f->protection_len, 1));
  guint8 b0 = f->b0, b1 = f->b1;
  guint32 ts = f->ts;
  guint16 length = f->length;
  guint8 *packet;

  for (guint i = 0; i <= MASK_TOP; i++)
    {
      guint16 other = f->seq_base + i;
      const Media *m = slot (fec, other);

      if (!(f->mask >> (MASK_TOP - i) & 1) || other == seq)
        continue;
      if (m->rest_len > f->protection_len || m->rest_len > G_MAXUINT16)
        return NULL;
      b0 ^= m->b0;
      b1 ^= m->b1;
      ts ^= m->ts;
      length ^= (guint16)m->rest_len;
      for (gsize k = 0; k < m->rest_len; k++)
        bits[k] ^= m->rest[k];
    }
  if (length > f->protection_len)
    return NULL;
  packet = g_malloc (RTP_HEADER_LEN + length);
  packet[0] = 0x80 | (b0 & 0x3f);
  packet[1] = b1;
  packet[2] = seq >> 8;
  packet[3] = seq & 0xff;
  packet[4] = ts >> 24;
  packet[5] = (ts >> 16) & 0xff;
  packet[6] = (ts >> 8) & 0xff;
  packet[7] = ts & 0xff;
  packet[8] = f->ssrc >> 24;
  packet[9] = (f->ssrc >> 16) & 0xff;
  packet[10] = (f->ssrc >> 8) & 0xff;
  packet[11] = f->ssrc & 0xff;
  memcpy (packet + RTP_HEADER_LEN, bits, length);
  return g_bytes_new_take (packet, RTP_HEADER_LEN + length);
}

static void
drop_pending (SlFec *fec, guint i)
{
  clear_fec (&fec->pending[i]);
  fec->pending[i] = fec->pending[--fec->n_pending];
}

/* Runs every kept FEC packet against what has arrived, until none can
 * rebuild anything more (a rebuilt packet may complete another's run). */
static void
try_pending (SlFec *fec, guint fec_pt, GPtrArray *recovered)
{
  gboolean progress = TRUE;

  while (progress)
    {
      progress = FALSE;
      for (guint i = 0; i < fec->n_pending;)
        {
          Fec *f = &fec->pending[i];
          guint16 seq = 0;
          guint n = count_missing (fec, f, &seq);
          GBytes *packet;
          Rtp rtp;

          if (n > 1)
            {
              i++;
              continue;
            }
          packet = n == 1 ? rebuild (fec, f, seq) : NULL;
          if (packet != NULL
              && parse_rtp (g_bytes_get_data (packet, NULL),
                            g_bytes_get_size (packet), &rtp)
              && (rtp.b1 & 0x7f) != fec_pt)
            {
              store_media (fec, &rtp);
              g_ptr_array_add (recovered, g_bytes_ref (packet));
              fec->recovered++;
              progress = TRUE;
            }
          g_clear_pointer (&packet, g_bytes_unref);
          drop_pending (fec, i);
        }
    }
}

/* Forgets FEC packets whose run has left the window. */
static void
expire_pending (SlFec *fec)
{
  for (guint i = 0; i < fec->n_pending;)
    if ((gint16)(fec->newest - fec->pending[i].seq_base) > SL_FEC_WINDOW / 2)
      drop_pending (fec, i);
    else
      i++;
}

gboolean
sl_fec_push (SlFec *fec, const guint8 *data, gsize len, guint fec_pt,
             GPtrArray *recovered)
{
  Rtp rtp;
  Fec f = { 0 };

  if (!parse_rtp (data, len, &rtp))
    return FALSE;
  if ((rtp.b1 & 0x7f) != fec_pt)
    {
      store_media (fec, &rtp);
      expire_pending (fec);
      if (fec->n_pending > 0)
        try_pending (fec, fec_pt, recovered);
      return TRUE;
    }
  if (!parse_fec (&rtp, &f))
    return FALSE;
  fec->received++;
  if (fec->n_pending == SL_FEC_PENDING)
    {
      /* Full: the oldest is the least likely to be completed. */
      guint oldest = 0;

      for (guint i = 1; i < fec->n_pending; i++)
        if ((gint16)(fec->pending[i].seq_base - fec->pending[oldest].seq_base)
            < 0)
          oldest = i;
      drop_pending (fec, oldest);
    }
  fec->pending[fec->n_pending++] = f;
  try_pending (fec, fec_pt, recovered);
  return TRUE;
}
