/* sl-fec-policy.c — see sl-fec-policy.h for the reasoning. */
#include "sl-fec-policy.h"

#include <math.h>

void
sl_fec_policy_init (SlFecPolicy *policy)
{
  *policy = (SlFecPolicy){
    .on_rtt_ms = 100,
    .off_rtt_ms = 80,
    .on_loss_pct = 0.5,
    .off_loss_pct = 0.2,
    .on_after_s = 3,
    .off_after_s = 10,
    .percent_per_loss = 15,
    .min_percent = 10,
    .max_percent = 50,
    .step_down = 2,
    .loss_pct = -1,
    .rtt_ms = -1,
  };
}

guint
sl_fec_policy_update (SlFecPolicy *policy, gdouble rtt_ms, gdouble loss_pct,
                      gboolean link_full)
{
  gdouble loss;
  guint wanted;

  if (link_full)
    {
      policy->percent = 0;
      policy->calm_s = policy->hot_s = 0;
      return 0;
    }
  if (rtt_ms < 0 || loss_pct < 0 || !isfinite (rtt_ms) || !isfinite (loss_pct))
    return policy->percent;
  loss = policy->loss_pct
      = policy->loss_pct < 0 ? loss_pct : (2 * policy->loss_pct + loss_pct) / 3;
  if (policy->percent == 0)
    {
      if (rtt_ms < policy->on_rtt_ms || loss < policy->on_loss_pct)
        {
          policy->hot_s = 0;
          return 0;
        }
      if (++policy->hot_s < policy->on_after_s)
        return 0;
      g_debug ("on: round trip %.0f ms, loss %.1f %% for %u s", rtt_ms, loss,
               policy->hot_s);
      policy->hot_s = 0;
    }
  else if (rtt_ms < policy->off_rtt_ms || loss < policy->off_loss_pct)
    {
      if (++policy->calm_s >= policy->off_after_s)
        {
          g_debug ("off after %u calm seconds", policy->calm_s);
          policy->calm_s = 0;
          policy->percent = 0;
        }
      /* Until then the share stays as it was: a calm second says nothing
       * about how much the next loss will need. */
      return policy->percent;
    }
  policy->calm_s = 0;
  wanted = (guint)CLAMP (round (policy->percent_per_loss * loss),
                         policy->min_percent, policy->max_percent);
  if (wanted >= policy->percent)
    policy->percent = wanted;
  else
    policy->percent = MAX (
        wanted, policy->percent - MIN (policy->percent, policy->step_down));
  return policy->percent;
}

/* The round trip of this second: the smaller of the two when both are
 * known; then the smallest in the window. */
static gdouble
pick_round_trip (SlFecPolicy *policy, gdouble rtcp, gdouble dc)
{
  gdouble sample, smallest;

  if (!isfinite (rtcp))
    rtcp = -1;
  if (!isfinite (dc))
    dc = -1;
  if (rtcp >= 0 && dc >= 0)
    sample = MIN (rtcp, dc);
  else
    sample = rtcp >= 0 ? rtcp : dc;
  if (sample >= 0)
    {
      policy->rtt_window[policy->rtt_next] = sample;
      policy->rtt_next = (policy->rtt_next + 1) % SL_FEC_RTT_WINDOW_S;
      policy->rtt_count = MIN (policy->rtt_count + 1, SL_FEC_RTT_WINDOW_S);
    }
  if (policy->rtt_count == 0)
    return -1;
  smallest = policy->rtt_window[0];
  for (guint i = 1; i < policy->rtt_count; i++)
    smallest = MIN (smallest, policy->rtt_window[i]);
  return smallest;
}

guint
sl_fec_policy_tick (SlFecPolicy *policy, const SlFecInput *in)
{
  gdouble loss = in->controller_loss_pct >= 0 ? in->controller_loss_pct
                                              : in->rtcp_loss_pct;

  policy->rtt_ms = pick_round_trip (policy, in->rtcp_rtt_ms, in->dc_rtt_ms);
  return sl_fec_policy_update (policy, policy->rtt_ms, loss, in->link_full);
}

gboolean
sl_fec_arrival_update (SlFecArrival *arrival, guint64 received, gint64 now_us)
{
  if (received != arrival->seen)
    {
      arrival->seen = received;
      arrival->last_us = now_us;
    }
  return arrival->last_us > 0
         && now_us - arrival->last_us
                < (gint64)SL_FEC_ARRIVAL_HOLD_S * G_USEC_PER_SEC;
}
