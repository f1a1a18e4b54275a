/* sl-loss.c — loss over one second, from GStreamer's counters.
 * See sl-loss.h.
 */
#include "sl-loss.h"

#include <math.h>

gdouble
sl_loss_meter_sent (SlLossMeter *meter, guint64 sent, guint64 lost)
{
  gdouble loss = 0;

  if (sent > meter->prev_total && lost >= meter->prev_lost)
    loss = 100.0 * (lost - meter->prev_lost) / (sent - meter->prev_total);
  meter->prev_total = sent;
  meter->prev_lost = lost;
  meter->smoothed_pct = 0.7 * meter->smoothed_pct + 0.3 * MIN (loss, 100.0);
  return meter->smoothed_pct;
}

gint
sl_loss_opus_percentage (gdouble loss_pct)
{
  if (!isfinite (loss_pct))
    return SL_LOSS_OPUS_MIN_PCT;
  return (gint)CLAMP (ceil (loss_pct), SL_LOSS_OPUS_MIN_PCT,
                      SL_LOSS_OPUS_MAX_PCT);
}

static guint64
since (guint64 now, guint64 before)
{
  return now >= before ? now - before : now;
}

void
sl_repair_meter_update (SlRepairMeter *meter, guint64 passed, guint64 given_up,
                        guint64 repaired, gdouble *lost_pct,
                        gdouble *repaired_pct)
{
  /* Counters that went back (a new stream) count from zero again. */
  guint64 p = since (passed, meter->prev_passed);
  guint64 g = since (given_up, meter->prev_given_up);
  guint64 r = since (repaired, meter->prev_repaired);
  gdouble expected = (gdouble)p + g;

  meter->prev_passed = passed;
  meter->prev_given_up = given_up;
  meter->prev_repaired = repaired;
  if (expected <= 0)
    {
      *lost_pct = *repaired_pct = -1;
      return;
    }
  /* A repaired packet is also passed on, so r <= p. */
  r = MIN (r, p);
  *lost_pct = 100.0 * (g + r) / expected;
  *repaired_pct = 100.0 * r / expected;
}

gdouble
sl_loss_residual_of_peer (gdouble lost_pct, gdouble repaired_pct)
{
  if (!isfinite (lost_pct) || !isfinite (repaired_pct) || lost_pct < 0
      || repaired_pct < 0)
    return -1;
  return MAX (0.0, lost_pct - repaired_pct);
}

gdouble
sl_loss_meter_residual (SlLossMeter *meter, guint64 passed, guint64 lost)
{
  guint64 p = passed - MIN (passed, meter->prev_total);
  guint64 l = lost - MIN (lost, meter->prev_lost);

  meter->prev_total = passed;
  meter->prev_lost = lost;
  return p + l > 0 ? 100.0 * l / (p + l) : -1;
}
