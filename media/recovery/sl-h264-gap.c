/* sl-h264-gap.c — see sl-h264-gap.h for the reasoning. */
#include "sl-h264-gap.h"

enum
{
  NAL_SLICE = 1,
  NAL_IDR = 5,
  NAL_SEI = 6,
  NAL_AUD = 9,
  NAL_STAP_A = 24,
  NAL_FU_A = 28,
};

void
sl_h264_gap_init (SlH264Gap *gap)
{
  *gap = (SlH264Gap){ 0 };
}

void
sl_h264_gap_lost (SlH264Gap *gap)
{
  gap->lost++;
}

/* @header: a NAL unit header; @next: the byte after it, or -1 if none.
 * A slice starts a picture when first_mb_in_slice, the first field of
 * its header, is 0: ue(v) codes 0 as the single bit 1. */
static gboolean
nal_starts_picture (guint8 header, gint next)
{
  guint type = header & 0x1f;

  if (type >= NAL_SEI && type <= NAL_AUD)
    return TRUE;
  if (type == NAL_SLICE || type == NAL_IDR)
    return next >= 0 && (next & 0x80) != 0;
  return FALSE;
}

gboolean
sl_h264_gap_starts_picture (const guint8 *payload, gsize len)
{
  guint type;

  if (payload == NULL || len < 1)
    return FALSE;
  type = payload[0] & 0x1f;
  if (type == NAL_STAP_A)
    /* Aggregation header, then a 16-bit size and the first NAL unit. */
    return len >= 4
           && nal_starts_picture (payload[3], len >= 5 ? payload[4] : -1);
  if (type == NAL_FU_A)
    /* FU indicator, FU header (S bit first, then the NAL unit's type),
     * then the NAL unit's payload. */
    return len >= 2 && (payload[1] & 0x80) != 0
           && nal_starts_picture (payload[1], len >= 3 ? payload[2] : -1);
  return nal_starts_picture (payload[0], len >= 2 ? payload[1] : -1);
}

/* Whether a fragmentation unit is left open after @payload. */
static gboolean
leaves_fragment_open (const guint8 *payload, gsize len)
{
  return len >= 2 && (payload[0] & 0x1f) == NAL_FU_A
         && (payload[1] & 0x40) == 0;
}

static guint32
shortest_interval (const SlH264Gap *gap)
{
  guint32 best = 0;

  for (guint i = 0; i < gap->n_intervals; i++)
    if (best == 0 || gap->intervals[i] < best)
      best = gap->intervals[i];
  return best;
}

static void
note_interval (SlH264Gap *gap, guint32 delta)
{
  gap->intervals[gap->next_interval] = delta;
  gap->next_interval = (gap->next_interval + 1) % SL_H264_GAP_INTERVALS;
  if (gap->n_intervals < SL_H264_GAP_INTERVALS)
    gap->n_intervals++;
}

gboolean
sl_h264_gap_packet (SlH264Gap *gap, guint32 rtp_ts, gboolean marker,
                    const guint8 *payload, gsize len)
{
  /* Unsigned difference: RTP timestamps wrap.  A step back (a reordered
   * or stale packet) shows as a huge value and never passes as one
   * frame. */
  guint32 delta = rtp_ts - gap->prev_ts;
  gboolean video = FALSE;

  if (gap->lost > 0)
    {
      guint32 shortest = shortest_interval (gap);
      gboolean fec
          = gap->have_prev && gap->prev_ended && delta != 0
            && delta <= G_MAXINT32
            && (shortest == 0 || (guint64)delta * 2 <= (guint64)shortest * 3)
            && sl_h264_gap_starts_picture (payload, len);

      video = !fec;
      if (video)
        gap->video_lost += gap->lost;
      else
        gap->fec_lost += gap->lost;
    }
  else if (gap->have_prev && delta != 0 && delta <= G_MAXINT32)
    /* Only intervals between frames known to be next to each other. */
    note_interval (gap, delta);
  gap->lost = 0;
  gap->have_prev = TRUE;
  gap->prev_ts = rtp_ts;
  gap->prev_ended = marker && !leaves_fragment_open (payload, len);
  return video;
}
