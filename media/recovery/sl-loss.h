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
 * - What the link lost and what was repaired (a VIEWER: the packets its
 *   video jitter buffers expected, those NACK/RTX and FEC brought back,
 *   those given up on).  This is the one loss figure both stations show:
 *   the viewer sends it to the sender in its control-channel ping
 *   (docs/control-channel.md), so the two status lines say the same.  The
 *   sender's own RTCP figure counts a retransmitted packet as received
 *   and a packet that came too late for the jitter buffer as received
 *   too: on a weak uplink it read 0 % while the expert lost 60-96 % of
 *   the video to its queue (issue 13).
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

/* A VIEWER's video, over one second: of the packets expected (@passed
 * passed on plus @given_up given up on, totals), the share the link lost
 * (given up on, or brought back by NACK/RTX or FEC, @repaired total) and
 * the share repaired.  Each < 0 when the second had no packets. */
typedef struct
{
  guint64 prev_passed, prev_given_up, prev_repaired;
} SlRepairMeter;

void sl_repair_meter_update (SlRepairMeter *meter, guint64 passed,
                             guint64 given_up, guint64 repaired,
                             gdouble *lost_pct, gdouble *repaired_pct);

/* A SENDER's residual loss: what stayed lost of the viewer's last second
 * by the figures of its ping (@lost_pct and @repaired_pct, as
 * sl_repair_meter_update gives them), so that the sender's link state
 * judges the loss its status line shows; -1 when either is unknown. */
gdouble sl_loss_residual_of_peer (gdouble lost_pct, gdouble repaired_pct);

G_END_DECLS
