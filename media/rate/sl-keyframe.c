/* sl-keyframe.c — keyframes on request, at most one per gap.
 * See sl-keyframe.h.
 */
#include "sl-keyframe.h"

void
sl_keyframe_limit_init (SlKeyframeLimit *limit, guint gap_ms)
{
  *limit = (SlKeyframeLimit){ 0 };
  limit->base_gap_ms = limit->gap_ms = gap_ms ? gap_ms : SL_KEYFRAME_GAP_MS;
}

/* A longer gap than this would leave a viewer that lost a keyframe
 * frozen for longer than the link's own outages. */
#define MAX_COST_GAP_MS 3000

void
sl_keyframe_limit_set_cost (SlKeyframeLimit *limit, guint64 keyframe_bits,
                            guint video_bps)
{
  guint64 cost_ms;

  limit->gap_ms = limit->base_gap_ms;
  if (keyframe_bits == 0 || video_bps == 0)
    return;
  cost_ms = SL_KEYFRAME_RATE_SHARE * keyframe_bits * 1000 / video_bps;
  limit->gap_ms
      = (guint)CLAMP (cost_ms, limit->base_gap_ms,
                      MAX ((guint64)MAX_COST_GAP_MS, limit->base_gap_ms));
}

SlKeyframeVerdict
sl_keyframe_limit_request (SlKeyframeLimit *limit, gint64 now_us,
                           guint *wait_ms)
{
  gint64 since_ms;

  limit->requests++;
  if (limit->deferred)
    return SL_KEYFRAME_PENDING;
  since_ms = limit->last_us > 0 ? (now_us - limit->last_us) / 1000 : G_MAXINT;
  if (since_ms >= limit->gap_ms)
    {
      limit->last_us = now_us;
      return SL_KEYFRAME_NOW;
    }
  limit->deferred = TRUE;
  *wait_ms = (guint)CLAMP (limit->gap_ms - since_ms, 1, (gint64)limit->gap_ms);
  return SL_KEYFRAME_DEFER;
}

void
sl_keyframe_limit_serve (SlKeyframeLimit *limit, gint64 now_us)
{
  limit->deferred = FALSE;
  limit->last_us = now_us;
}

void
sl_keyframe_limit_made (SlKeyframeLimit *limit, gint64 now_us)
{
  limit->last_us = now_us;
}
