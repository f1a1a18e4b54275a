/* sl-jitter.c — see sl-jitter.h for the reasoning. */
#include "sl-jitter.h"

#include <math.h>

void
sl_jitter_policy_init (SlJitterPolicy *policy, guint initial_ms)
{
  policy->floor_ms = 20;
  /* A user who asks for more than the ceiling (a satellite link, say)
   * keeps it as the ceiling. */
  policy->ceiling_ms = MAX (400, initial_ms);
  policy->margin_ms = 10;
  policy->frame_ms = 0;
  policy->round_trips = 1;
  policy->current_ms = CLAMP (initial_ms, policy->floor_ms, policy->ceiling_ms);
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
