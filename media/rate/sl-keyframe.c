/* sl-keyframe.c — keyframes on request, at most one per gap.
 * See sl-keyframe.h.
 */
#include "sl-keyframe.h"

void
sl_keyframe_limit_init (SlKeyframeLimit *limit, guint gap_ms)
{
  *limit = (SlKeyframeLimit){ 0 };
  limit->gap_ms = gap_ms ? gap_ms : SL_KEYFRAME_GAP_MS;
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
