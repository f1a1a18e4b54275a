/* sl-link.c — the link-health states of sl-link.h.
 *
 * The order of the tests is the order of what matters to a user: a link
 * that carries nothing is "lost" whatever else is true; coming back from
 * that is "recovering" until a quiet spell has passed, even if the first
 * seconds back show a freeze or loss (they are expected then); only after
 * that do residual loss, freezes and a constrained rate make the link
 * "degraded".  Every state but "lost" lasts at least SL_LINK_HOLD_MS after
 * its cause, so that the word on the screen does not flicker each second.
 */
#include "sl-link.h"

#include <math.h>
#include <stdio.h>

static const gchar *state_names[] = {
  [SL_LINK_GOOD] = "good",
  [SL_LINK_DEGRADED] = "degraded",
  [SL_LINK_LOST] = "lost",
  [SL_LINK_RECOVERING] = "recovering",
};

const gchar *
sl_link_state_name (SlLinkState state)
{
  if ((guint)state < G_N_ELEMENTS (state_names))
    return state_names[state];
  return "invalid";
}

void
sl_link_monitor_init (SlLinkMonitor *mon, guint restart_after_ms)
{
  *mon = (SlLinkMonitor){ 0 };
  mon->restart_after_ms
      = restart_after_ms ? restart_after_ms : SL_LINK_RESTART_AFTER_MS;
  mon->state = SL_LINK_GOOD;
}

void
sl_link_monitor_restarted (SlLinkMonitor *mon, gint64 now_us)
{
  mon->state = SL_LINK_RECOVERING;
  mon->since_us = now_us;
  mon->hold_until_us = now_us + SL_LINK_HOLD_MS * 1000;
  g_strlcpy (mon->reason, "session made again", sizeof mon->reason);
}

/* Writes the first cause of degradation in @s into @reason; FALSE if none. */
static gboolean
degraded_cause (SlLinkMonitor *mon, const SlLinkSample *s, gchar *reason,
                gsize size)
{
  gboolean froze = s->freezes > mon->last_freezes;

  mon->last_freezes = s->freezes;
  if (s->below_floor)
    g_strlcpy (reason, "video below the diagnostic floor", size);
  else if (froze)
    g_strlcpy (reason, "the picture froze", size);
  else if (isfinite (s->residual_loss_pct)
           && s->residual_loss_pct > SL_LINK_RESIDUAL_LOSS_PCT)
    snprintf (reason, size, "%.1f %% loss after recovery",
              s->residual_loss_pct);
  else if (s->rate_constrained)
    g_strlcpy (reason, "bandwidth limits the video", size);
  else
    return FALSE;
  return TRUE;
}

static SlLinkState
next_state (SlLinkMonitor *mon, const SlLinkSample *s, gboolean *restart)
{
  gint64 silence_ms = 0;
  gchar cause[sizeof mon->reason];
  gboolean degraded;

  if (s->last_rx_us != mon->last_rx_us)
    mon->stalled_us = 0;
  if (mon->last_sample_us > 0
      && s->now_us - mon->last_sample_us > SL_LINK_STALL_MS * 1000)
    mon->stalled_us
        += MAX (0, s->now_us - MAX (mon->last_sample_us, s->last_rx_us));
  mon->last_sample_us = s->now_us;
  mon->last_rx_us = s->last_rx_us;
  if (s->last_rx_us > 0)
    {
      mon->ever_received = TRUE;
      silence_ms
          = MAX (0, (s->now_us - s->last_rx_us - mon->stalled_us) / 1000);
    }
  if (mon->ever_received && silence_ms > SL_LINK_LOST_MS)
    {
      snprintf (mon->reason, sizeof mon->reason,
                "nothing from the peer for %.1f s", silence_ms / 1000.0);
      *restart = silence_ms > (gint64)mon->restart_after_ms;
      return SL_LINK_LOST;
    }
  degraded = degraded_cause (mon, s, cause, sizeof cause);
  if (mon->state == SL_LINK_LOST)
    {
      mon->hold_until_us = s->now_us + SL_LINK_HOLD_MS * 1000;
      g_strlcpy (mon->reason, "packets arrive again", sizeof mon->reason);
      return SL_LINK_RECOVERING;
    }
  if (mon->state == SL_LINK_RECOVERING && s->now_us < mon->hold_until_us)
    return SL_LINK_RECOVERING;
  if (degraded)
    {
      mon->hold_until_us = s->now_us + SL_LINK_HOLD_MS * 1000;
      g_strlcpy (mon->reason, cause, sizeof mon->reason);
      return SL_LINK_DEGRADED;
    }
  if (mon->state == SL_LINK_DEGRADED && s->now_us < mon->hold_until_us)
    return SL_LINK_DEGRADED;
  mon->reason[0] = '\0';
  return SL_LINK_GOOD;
}

gboolean
sl_link_monitor_update (SlLinkMonitor *mon, const SlLinkSample *s,
                        gboolean *restart)
{
  SlLinkState state;

  *restart = FALSE;
  state = next_state (mon, s, restart);
  if (state == mon->state)
    return FALSE;
  mon->state = state;
  mon->since_us = s->now_us;
  return TRUE;
}
