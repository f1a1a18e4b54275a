/* sl-jitter.c — see sl-jitter.h for the reasoning. */
#include "sl-jitter.h"

#include <math.h>

void
sl_jitter_policy_init (SlJitterPolicy *policy, guint initial_ms)
{
  policy->floor_ms = 20;
  /* A user who asks for more than the ceiling (a satellite link, say)
   * keeps it as the ceiling. */
  policy->ceiling_ms = policy->base_ceiling_ms = MAX (400, initial_ms);
  policy->margin_ms = 10;
  policy->frame_ms = 0;
  policy->round_trips = 1;
  policy->current_ms = CLAMP (initial_ms, policy->floor_ms, policy->ceiling_ms);
}

void
sl_jitter_policy_init_video (SlJitterPolicy *policy, guint initial_ms)
{
  sl_jitter_policy_init (policy, initial_ms);
  policy->frame_ms = SL_JITTER_DEFAULT_FRAME_MS;
  policy->round_trips = 2;
}

void
sl_jitter_policy_set_frame_interval (SlJitterPolicy *policy,
                                     gdouble interval_ms)
{
  if (interval_ms > 0 && isfinite (interval_ms))
    policy->frame_ms = (guint)ceil (
        CLAMP (interval_ms, SL_JITTER_MIN_FRAME_MS, SL_JITTER_MAX_FRAME_MS));
}

void
sl_jitter_policy_set_fec (SlJitterPolicy *policy, gboolean fec_arriving)
{
  policy->ceiling_ms
      = fec_arriving ? MAX (policy->base_ceiling_ms, SL_JITTER_FEC_CEILING_MS)
                     : policy->base_ceiling_ms;
}

guint
sl_jitter_policy_update (SlJitterPolicy *policy, gdouble rtt_ms,
                         gdouble jitter_ms)
{
  gdouble wanted;
  guint target, lowest;

  if (rtt_ms < 0 || jitter_ms < 0 || !isfinite (rtt_ms)
      || !isfinite (jitter_ms))
    return policy->current_ms;
  wanted = ceil (MAX (policy->round_trips, 1) * rtt_ms + 4 * jitter_ms
                 + policy->frame_ms + policy->margin_ms);
  target = (guint)CLAMP (wanted, policy->floor_ms, policy->ceiling_ms);
  /* Up at once; down by at most a tenth of the current value a second. */
  lowest = policy->current_ms - policy->current_ms / 10;
  if (target < lowest)
    target = MAX (lowest, policy->floor_ms);
  policy->current_ms = target;
  return target;
}
