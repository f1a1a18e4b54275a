/* sl-fec-policy.h — when the township adds FEC to its video, and how much.
 *
 * NACK/RTX repairs a lost packet in one round trip, and meanwhile every
 * frame behind it waits in the viewer's jitter buffer.  On a short round
 * trip that wait is a frame or two and costs no bandwidth; on a long one
 * (a satellite hop, a congested core, a far hospital) each loss holds the
 * picture for a round trip, and with 2 % loss at a 250 ms round trip the
 * expert's picture is late by a round trip most of the time (stamped
 * latency p50 317-323 ms, docs/PERFORMANCE.md).  ULPFEC repairs at once,
 * for a fixed share of the bandwidth.  So FEC is switched on when
 *
 *   round trip >= on_rtt_ms  and  loss >= on_loss_pct
 *
 * for on_after_s seconds in a row (one odd round-trip sample, which RTCP
 * gives now and then, must not do it),
 * and off again only when the round trip falls below off_rtt_ms, or the
 * loss below off_loss_pct, for off_after_s seconds in a row, so that one
 * good second does not undo it.  While on, the share of FEC packets
 * follows the loss: percent_per_loss × loss, within [min, max] percent,
 * up at once and down by at most step_down points a second (the loss of
 * one second says little about the next).  NACK stays on throughout: it
 * repairs what FEC cannot (two packets lost from one run).
 *
 * Never while the link is full: when the rate controller holds the video
 * well below its configured rate, a long round trip is mostly the queue
 * and the losses are its overflow; FEC's packets would take the video's
 * place on it and add to the queue.  (Without this, the uplink-step
 * test's 8 -> 2 Mbit/s step, a 280 ms round trip of queueing, switched
 * FEC on at 50 %.)  FEC goes off at once then.
 *
 * The loss is what the link lost before any repair, smoothed (an
 * exponential mean, a third for each new second): the rate controller's
 * count from transport-wide feedback, which sees every packet.  (RTCP
 * receiver reports are no use here: a packet RTX brings back counts as
 * received, so with NACK working they report almost no loss at all.)
 * With a fixed rate there is no controller, and RTCP's smoothed loss is
 * all there is.
 *
 * The round trip is the smaller of RTCP's and the control channel's
 * ping, when both are known (a long path shows in both), and then the
 * smallest of the last SL_FEC_RTT_WINDOW_S seconds: one retransmitted
 * ping, or a receiver report answered late, reads as a round trip of up
 * to a second, and the figure it leaves stays in the stats until the
 * next one comes, so three "seconds in a row" of it were one stale
 * outlier (seen: a 30 ms path with 2 % loss switched FEC on at 34 % on a
 * lone 1079 ms RTCP figure).  A long path is long in every sample, so
 * the smallest one loses nothing but a few seconds when the path
 * changes.  Plain C, no pipeline; sl-session-fec.c applies it once a
 * second.
 *
 * The viewer's side: while FEC packets arrive, its video jitter buffer
 * may wait longer (sl_jitter_policy_set_fec); SlFecArrival says whether
 * they do.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Seconds over which the smallest round trip is taken. */
#define SL_FEC_RTT_WINDOW_S 5
/* FEC counts as arriving for this long after the last FEC packet. */
#define SL_FEC_ARRIVAL_HOLD_S 5

typedef struct
{
  gdouble on_rtt_ms;        /* default 100 */
  gdouble off_rtt_ms;       /* default 80 */
  gdouble on_loss_pct;      /* default 0.5 */
  gdouble off_loss_pct;     /* default 0.2 */
  guint on_after_s;         /* default 3 */
  guint off_after_s;        /* default 10 */
  gdouble percent_per_loss; /* default 15: 2 % loss, 30 % FEC */
  guint min_percent;        /* default 10 */
  guint max_percent;        /* default 50 */
  guint step_down;          /* default 2 (points a second) */
  guint percent;            /* in force; 0: off */
  guint calm_s;             /* seconds in a row below the off thresholds */
  guint hot_s;              /* seconds in a row above the on thresholds */
  gdouble loss_pct;         /* smoothed loss, < 0 before the first */
  gdouble rtt_ms;           /* the round trip decided on, < 0: unknown */
  gdouble rtt_window[SL_FEC_RTT_WINDOW_S]; /* the last seconds' samples */
  guint rtt_count;                         /* samples in the window */
  guint rtt_next;                          /* where the next one goes */
} SlFecPolicy;

/* One second's raw measurements at the township. */
typedef struct
{
  gdouble rtcp_rtt_ms; /* RTCP's round trip, < 0: unknown */
  gdouble dc_rtt_ms;   /* the control channel's ping, < 0: unknown */
  /* The rate controller's loss from transport-wide feedback (< 0: there
   * is no controller, the rate is fixed) and RTCP's smoothed loss. */
  gdouble controller_loss_pct;
  gdouble rtcp_loss_pct;
  /* The rate controller holds the video well below its configured rate. */
  gboolean link_full;
} SlFecInput;

void sl_fec_policy_init (SlFecPolicy *policy);

/* One second's @rtt_ms and @loss_pct (< 0: unknown, which changes
 * nothing), and whether the rate controller holds the video well below
 * its configured rate (@link_full).  Returns the FEC percentage to use
 * from now on (0: none). */
guint sl_fec_policy_update (SlFecPolicy *policy, gdouble rtt_ms,
                            gdouble loss_pct, gboolean link_full);

/* Picks the round trip and the loss from @in as described above and
 * decides (sl_fec_policy_update).  Returns the FEC percentage to use from
 * now on (0: none). */
guint sl_fec_policy_tick (SlFecPolicy *policy, const SlFecInput *in);

/* The viewer's view: whether FEC packets arrive. */
typedef struct
{
  guint64 seen;   /* FEC packets received, as of the last update */
  gint64 last_us; /* when that count last grew; 0: never */
} SlFecArrival;

/* @received: FEC packets received so far (a total), at @now_us.  TRUE
 * while one has arrived in the last SL_FEC_ARRIVAL_HOLD_S seconds. */
gboolean sl_fec_arrival_update (SlFecArrival *arrival, guint64 received,
                                gint64 now_us);

G_END_DECLS
