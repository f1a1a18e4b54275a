/* sl-loss.h — loss over one second, from the counters GStreamer keeps.
 *
 * GStreamer's elements count totals since they started; what the session
 * acts on is the loss of the last second.  Two views, from two places:
 *
 * - What the link lost of what was sent (a SENDER, from RTCP receiver
 *   reports: packets sent and cumulative lost), smoothed, and turned into
 *   the loss Opus protects against with its in-band FEC.
 * - What stayed lost after NACK/RTX and FEC (a VIEWER, from its video
 *   jitter buffers: packets passed on and packets given up on), the
 *   residual loss the decoder sees and the link monitor judges.
 *
 * Pure: plain C, no allocation.  Not thread-safe: the session's control
 * thread calls it once a second (recovery/sl-session-recovery.c).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Opus's in-band FEC is tuned for at least this much loss, and never
 * spends more than for this much (percent). */
#define SL_LOSS_OPUS_MIN_PCT 5
#define SL_LOSS_OPUS_MAX_PCT 50

typedef struct
{
  guint64 prev_total; /* packets sent, or passed on, at the last update */
  guint64 prev_lost;
  gdouble smoothed_pct; /* SENDER view only: exponential mean */
} SlLossMeter;

/* A SENDER's loss from RTCP: @sent and @lost are totals.  Returns the
 * smoothed loss in percent (0.7 of the old, 0.3 of the new second); a
 * second with nothing sent, or counters that went back, counts as no
 * loss. */
gdouble sl_loss_meter_sent (SlLossMeter *meter, guint64 sent, guint64 lost);

/* The loss Opus's in-band FEC should protect against for a smoothed loss
 * of @loss_pct: rounded up, within SL_LOSS_OPUS_MIN_PCT ..
 * SL_LOSS_OPUS_MAX_PCT. */
gint sl_loss_opus_percentage (gdouble loss_pct);

/* A VIEWER's residual loss: @passed packets passed on and @lost given up
 * on, totals.  Returns the share lost over the second in percent, or -1
 * when the second had no packets. */
gdouble sl_loss_meter_residual (SlLossMeter *meter, guint64 passed,
                                guint64 lost);

G_END_DECLS
