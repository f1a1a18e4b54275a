/* sl-bwe.c — feedback bookkeeping, acknowledged rate, loss-based ceiling.
 *
 * See sl-bwe.h for the whole controller.  This file takes each feedback
 * message apart: sequence numbers are unwrapped and duplicates dropped,
 * received packets go to the delay detector (sl-bwe-delay.c) and to the
 * acknowledged-rate window, lost ones to the loss counters; then the
 * delay-based rate (sl-bwe-aimd.c) and the loss-based ceiling are
 * updated and combined.  Two rules that need both halves live here too:
 * the recovery after a sudden drop, and the feedback-silence rule.
 */
#include "sl-bwe.h"
#include "sl-bwe-aimd.h"
#include "sl-bwe-delay.h"

#include <math.h>

/* Sequence numbers remembered to drop duplicate reports. */
#define SEEN_SLOTS 4096
/* Acknowledged rate: bytes by arrival time in 10 ms bins over the last
 * 300 ms.  A fixed window (not first-to-last arrival) does not
 * overestimate bursty video, and 300 ms is short enough for the decrease
 * after a capacity drop to see the new rate (libwebrtc uses 150-500 ms
 * windows in acknowledged_bitrate_estimator.cc). */
#define ACKED_BIN_US 10000
#define ACKED_BINS 30
/* Arrivals this many times in a row older than the window: the remote
 * clock jumped back; start the window again. */
#define ACKED_MAX_STALE 64
/* Loss is judged over at least 500 ms and 30 reports (or 2 s, whatever
 * came), so that 2 % random loss is not read as 10 % by chance. */
#define LOSS_INTERVAL_US 500000
#define LOSS_MAX_INTERVAL_US 2000000
#define LOSS_MIN_PACKETS 30
/* The GCC loss thresholds (draft section 6) and the recovery rate of the
 * ceiling, 8 % a second (libwebrtc send_side_bandwidth_estimation.cc). */
#define LOSS_LOW 0.02
#define LOSS_HIGH 0.10
#define LOSS_INCREASE_PER_S 1.08
#define LOSS_INCREASE_BPS 1000.0
/* After two intervals in a row under 2 % loss without over-use, the
 * ceiling rises as fast as the delay-based search (25 % a second): with
 * loss that low it is not what protects the link, the delay detector is
 * (libwebrtc's loss-based v2 hands over to the delay-based estimate in
 * that state), and at 8 % a second it would be the slower of the two
 * long after the loss is gone. */
#define LOSS_CALM_INTERVALS 2
#define LOSS_CALM_PER_S 1.25
/* After a loss decrease, wait 300 ms plus a round trip for its effect
 * before the next one (libwebrtc kBweDecreaseInterval). */
#define LOSS_DECREASE_GAP_US 300000
/* Feedback silence (sl_bwe_update): the timeout is twice the longest
 * recent gap between two feedback messages, or four round trips, within
 * 1-3 s.  GStreamer's rtpsession sometimes holds TWCC feedback for
 * several hundred ms on a healthy link (RTCP scheduling), so a fixed
 * 500 ms cut the rate for nothing; libwebrtc waits far longer (its
 * feedback timeout is 3 × 5 s).  The longest gap is forgotten with a
 * 10 s half-life.  A cut also needs more unacknowledged data than a
 * working link would hold, a congestion window of the target × (RTT +
 * 100 ms) (libwebrtc congestion_window_pushback_controller.cc). */
#define SILENCE_MIN_US 1000000
#define SILENCE_MAX_US 3000000
#define SILENCE_GAP_FACTOR 2
#define SILENCE_RTT_FACTOR 4
#define SILENCE_GAP_HALF_LIFE_US 10000000
#define SILENCE_WINDOW_EXTRA_US 100000
/* Then a fifth off every 500 ms, to half at most. */
#define SILENCE_REPEAT_US 500000
#define SILENCE_FACTOR 0.8
#define SILENCE_FLOOR 0.5
/* Recovery after a sudden drop, as libwebrtc's probe_controller.cc
 * (kBitrateDropThreshold, kBitrateDropTimeout, kProbeFractionAfterDrop):
 * a target that falls below 0.66 of its highest value of the last 5 s
 * arms it; once the link is calm again (no over-use and under 2 % loss
 * over at least 500 ms and 10 reports) within 5 s of the last fall, the
 * rate doubles each second up to 0.85 of that highest value.  libwebrtc
 * would send one probe at that rate; an x264 encoder cannot pad, so the
 * rate itself climbs, quickly but in steps the delay detector can stop:
 * an over-use during the climb ends it (the link did not come back). */
#define DROP_FRACTION 0.66
#define DROP_WINDOW_US 5000000
#define RECOVER_FRACTION 0.85
#define RECOVER_TIMEOUT_US 5000000
#define CALM_US 500000
#define CALM_MIN_PACKETS 10
/* A standing queue (issue 13).  The trend detector reacts to a delay
 * that rises; a drop-tail queue that is already full has a delay that
 * no longer rises, and then only loss spoke, by a ceiling cut at most
 * once per loss interval (up to 2 s at a few hundred kbit/s): on the
 * weak trace the queue stayed full at 250 ms for seconds, dropping 10-60
 * % of the packets, while the detector said "normal" (the same in
 * bwe/weak-overshoot, a sender sending 1.3 times its target).  So the
 * queue's own delay counts too: the one-way delay of the least delayed
 * packet of each feedback, less the least one-way delay of the last 10 s
 * (kept as a minimum per 2 s), is the standing queue; above 100 ms it is
 * over-use.  The first cut goes to 0.85 of the acknowledged rate, as any
 * over-use.  300 ms later (not a round trip: the round trip is the
 * queue), if the queue overflowed since (packets were lost) or has not
 * shrunk, the sender sends more than its target and the next cut goes to
 * 0.85 of the lower of that and the target: every 300 ms while the queue
 * overflows, twice at most while it does not, until the queue is below
 * 100 ms again; meanwhile the rate holds.  A path whose base delay grew is seen
 * as a queue until the 10 s minimum forgets it; it loses nothing, so it
 * costs at most three cuts and that hold.  (With the round trip as the
 * spacing and two repeats at most, the weak trace's deepest collapse
 * held the delay-based rate at 525 kbit/s for three seconds into a 0.2
 * Mbit/s link losing half its packets.) */
#define BASE_BUCKET_US 2000000
#define BASE_BUCKETS 5
#define QUEUE_HIGH_US 100000
#define QUEUE_CUT_GAP_US 300000
#define QUEUE_MAX_REPEATS 2
#define QUEUE_NOISE_US 20000
/* Feedback after a silence this long means the link is back after an
 * outage (the receiver reports only what it got): the sender serves the
 * keyframe the viewer will need at once (SlBweSender's "resumptions").
 * GStreamer's rtpsession holds feedback 600-900 ms now and then on a
 * healthy link; those are not outages. */
#define RESUME_GAP_US 1000000
/* Feedback round trips outside this are garbage. */
#define MAX_RTT_US 10000000
/* Times beyond ±2^60 µs (36 000 years) are garbage too; refusing them
 * keeps every difference of two times well inside 64 bits. */
#define MAX_TIME_US (G_GINT64_CONSTANT (1) << 60)

/* The recovery after a sudden drop (see RECOVER_* above). */
typedef enum
{
  RECOVER_IDLE,     /* watching for a drop */
  RECOVER_ARMED,    /* dropped: waiting for a calm link */
  RECOVER_BOOSTING, /* climbing back to recover_to_bps */
} RecoverState;

struct _SlBwe
{
  SlBweConfig config;
  SlBweDelay delay;
  SlBweAimd aimd;
  guint target_bps;

  /* Sequence numbers, unwrapped to 64 bits. */
  gboolean have_seq;
  gint64 highest_seq;
  gint64 seen[SEEN_SLOTS];

  /* Acknowledged rate. */
  gboolean have_acked;
  gint64 acked_first_bin, acked_newest_bin;
  gint64 bin_index[ACKED_BINS];
  guint64 bin_bytes[ACKED_BINS];
  guint acked_stale;
  gdouble acked_bps; /* < 0: unknown */

  /* Loss. */
  gint64 interval_start_us;
  guint interval_received, interval_lost;
  gboolean interval_overuse;
  gdouble loss_fraction;
  gdouble loss_bps;
  gint64 last_loss_update_us, last_loss_decrease_us;
  gboolean have_loss_decrease;
  guint calm_intervals; /* in a row under LOSS_LOW, without over-use */

  /* Recovery. */
  RecoverState recover_state;
  gdouble peak_bps; /* highest target lately (DROP_WINDOW_US) */
  gint64 peak_us;
  gdouble recover_to_bps, last_target_bps;
  gint64 last_drop_us, recover_start_us;
  gint64 calm_since_us; /* the current calm window */
  guint calm_received, calm_lost;

  /* Feedback timing. */
  gboolean have_feedback;
  gint64 last_feedback_us;
  gint64 gap_peak_us; /* longest recent gap between two feedbacks */
  gint64 last_silence_cut_us;
  gdouble silence_floor_bps; /* < 0: not in a silence */
  gdouble silence_undo_bps;  /* the ceiling before the cuts; < 0: none */
  gint64 rtt_us;             /* 0: unknown */

  /* Standing queue (see QUEUE_*): the least one-way delay per bucket of
   * local time, the queue the last feedback showed, the last cut. */
  gint64 base_bucket[BASE_BUCKETS], base_min_us[BASE_BUCKETS];
  gint64 queue_us; /* < 0: unknown */
  gboolean in_queue_episode;
  guint queue_repeats;
  gint64 last_queue_cut_us, queue_at_cut_us;
  guint64 lost_at_cut; /* packets_lost at the last cut */

  guint64 feedbacks, packets_received, packets_lost, resumptions;
};

void
sl_bwe_config_init (SlBweConfig *config)
{
  config->min_bps = 150000;
  config->max_bps = 20000000;
  config->start_bps = 1500000;
}

static void
update_target (SlBwe *bwe)
{
  gdouble target = MIN (bwe->aimd.current_bps, bwe->loss_bps);

  bwe->target_bps
      = (guint)CLAMP (target, bwe->config.min_bps, bwe->config.max_bps);
}

SlBwe *
sl_bwe_new (const SlBweConfig *config)
{
  SlBwe *bwe = g_new0 (SlBwe, 1);

  if (config)
    bwe->config = *config;
  else
    sl_bwe_config_init (&bwe->config);
  bwe->config.min_bps = MAX (bwe->config.min_bps, 1);
  bwe->config.max_bps = MAX (bwe->config.max_bps, bwe->config.min_bps);
  sl_bwe_delay_init (&bwe->delay);
  sl_bwe_aimd_init (&bwe->aimd, bwe->config.start_bps, bwe->config.min_bps,
                    bwe->config.max_bps);
  for (guint i = 0; i < SEEN_SLOTS; i++)
    bwe->seen[i] = -1;
  bwe->acked_bps = -1;
  bwe->loss_bps = bwe->config.max_bps;
  bwe->silence_floor_bps = bwe->silence_undo_bps = -1;
  bwe->queue_us = -1;
  for (guint i = 0; i < BASE_BUCKETS; i++)
    bwe->base_bucket[i] = G_MININT64;
  update_target (bwe);
  bwe->peak_bps = bwe->last_target_bps = bwe->target_bps;
  return bwe;
}

void
sl_bwe_free (SlBwe *bwe)
{
  g_free (bwe);
}

void
sl_bwe_set_bounds (SlBwe *bwe, guint min_bps, guint max_bps)
{
  bwe->config.min_bps = MAX (min_bps, 1);
  bwe->config.max_bps = MAX (max_bps, bwe->config.min_bps);
  sl_bwe_aimd_set_bounds (&bwe->aimd, bwe->config.min_bps, bwe->config.max_bps);
  bwe->loss_bps
      = CLAMP (bwe->loss_bps, bwe->config.min_bps, bwe->config.max_bps);
  update_target (bwe);
}

/* Returns FALSE for a duplicate, or one too old to tell. */
static gboolean
accept_seq (SlBwe *bwe, guint16 seq)
{
  gint64 ext;
  guint slot;

  if (!bwe->have_seq)
    {
      /* Start high so that packets from before the first one stay
       * positive. */
      bwe->highest_seq = (G_GINT64_CONSTANT (1) << 32) + seq;
      bwe->have_seq = TRUE;
    }
  ext = bwe->highest_seq + (gint16)(guint16)(seq - (guint16)bwe->highest_seq);
  if (ext <= bwe->highest_seq - SEEN_SLOTS)
    return FALSE;
  slot = (guint)(ext % SEEN_SLOTS);
  if (bwe->seen[slot] == ext)
    return FALSE;
  bwe->seen[slot] = ext;
  bwe->highest_seq = MAX (bwe->highest_seq, ext);
  return TRUE;
}

static gint64
floor_div (gint64 a, gint64 b)
{
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void
acked_reset (SlBwe *bwe, gint64 bin)
{
  for (guint i = 0; i < ACKED_BINS; i++)
    {
      bwe->bin_index[i] = G_MININT64;
      bwe->bin_bytes[i] = 0;
    }
  bwe->acked_first_bin = bwe->acked_newest_bin = bin;
  bwe->acked_stale = 0;
  bwe->have_acked = TRUE;
}

static void
acked_add (SlBwe *bwe, gint64 arrival_us, guint size)
{
  gint64 bin = floor_div (arrival_us, ACKED_BIN_US);
  guint slot;

  if (!bwe->have_acked)
    acked_reset (bwe, bin);
  if (bin <= bwe->acked_newest_bin - ACKED_BINS)
    {
      if (++bwe->acked_stale >= ACKED_MAX_STALE)
        acked_reset (bwe, bin);
      else
        return;
    }
  bwe->acked_stale = 0;
  bwe->acked_newest_bin = MAX (bwe->acked_newest_bin, bin);
  slot = (guint)(((bin % ACKED_BINS) + ACKED_BINS) % ACKED_BINS);
  if (bwe->bin_index[slot] != bin)
    {
      bwe->bin_index[slot] = bin;
      bwe->bin_bytes[slot] = 0;
    }
  bwe->bin_bytes[slot] += size;
}

static gdouble
acked_rate (const SlBwe *bwe)
{
  guint64 bytes = 0;

  /* Until a whole window has been seen, there is no rate. */
  if (!bwe->have_acked
      || bwe->acked_newest_bin - bwe->acked_first_bin < ACKED_BINS - 1)
    return -1;
  for (guint i = 0; i < ACKED_BINS; i++)
    if (bwe->bin_index[i] > bwe->acked_newest_bin - ACKED_BINS)
      bytes += bwe->bin_bytes[i];
  return bytes * 8.0 / (ACKED_BINS * ACKED_BIN_US / 1e6);
}

static void
update_rtt (SlBwe *bwe, gint64 latest_send_us, gint64 now_us)
{
  gint64 sample = now_us - latest_send_us;

  if (sample < 0 || sample > MAX_RTT_US)
    return;
  sample = MAX (sample, 1000);
  /* The TCP smoothing (RFC 6298): one eighth of each new sample. */
  bwe->rtt_us = bwe->rtt_us ? (7 * bwe->rtt_us + sample) / 8 : sample;
  bwe->aimd.rtt_us = bwe->rtt_us;
}

/* The loss-based ceiling, once per loss interval (see sl-bwe.h for the
 * rule and docs/rate-control.md for why loss with a flat delay does not
 * count). */
static void
update_loss_based (SlBwe *bwe, gint64 now_us)
{
  guint total = bwe->interval_received + bwe->interval_lost;
  gint64 elapsed = now_us - bwe->interval_start_us;
  gdouble loss, dt_s, current = MIN (bwe->loss_bps, bwe->target_bps);
  gboolean delay_rising;

  if (total == 0 || elapsed < LOSS_INTERVAL_US
      || (total < LOSS_MIN_PACKETS && elapsed < LOSS_MAX_INTERVAL_US))
    return;
  loss = (gdouble)bwe->interval_lost / total;
  dt_s = CLAMP ((now_us - bwe->last_loss_update_us) / 1e6, 0, 1);
  delay_rising = bwe->interval_overuse
                 || bwe->delay.modified_trend > 0.5 * bwe->delay.threshold_ms;

  if (loss > LOSS_HIGH)
    {
      if (!bwe->have_loss_decrease
          || now_us - bwe->last_loss_decrease_us
                 >= LOSS_DECREASE_GAP_US + bwe->rtt_us)
        {
          bwe->loss_bps = current * (1 - 0.5 * loss);
          bwe->last_loss_decrease_us = now_us;
          bwe->have_loss_decrease = TRUE;
        }
    }
  else if (loss >= LOSS_LOW && delay_rising)
    bwe->loss_bps = current;
  else
    bwe->loss_bps = bwe->loss_bps
                        * pow (bwe->calm_intervals >= LOSS_CALM_INTERVALS
                                   ? LOSS_CALM_PER_S
                                   : LOSS_INCREASE_PER_S,
                               dt_s)
                    + LOSS_INCREASE_BPS * dt_s;
  bwe->calm_intervals
      = loss < LOSS_LOW && !bwe->interval_overuse ? bwe->calm_intervals + 1 : 0;
  /* The first interval after a silence shows whether the packets sent
   * during it got through: then it was a late feedback, not a dead link,
   * and the cuts are undone. */
  if (bwe->silence_undo_bps >= 0 && loss < LOSS_LOW && !delay_rising)
    bwe->loss_bps = MAX (bwe->loss_bps, bwe->silence_undo_bps);
  bwe->silence_undo_bps = -1;
  bwe->loss_bps
      = CLAMP (bwe->loss_bps, bwe->config.min_bps, bwe->config.max_bps);

  bwe->loss_fraction = loss;
  bwe->last_loss_update_us = now_us;
  bwe->interval_start_us = now_us;
  bwe->interval_received = bwe->interval_lost = 0;
  bwe->interval_overuse = FALSE;
}

/* The one place the recovery state changes.  Idle -> armed on a drop;
 * armed -> boosting on a calm link, -> idle after the timeout; boosting
 * -> idle when there, on over-use or after the timeout.  The AIMD sees
 * the goal only while boosting; the loss ceiling steps aside up to it
 * (the link is calm, so loss is not what limits). */
static void
set_recover_state (SlBwe *bwe, RecoverState state, gint64 now_us)
{
  static const gboolean allowed[3][3] = {
    [RECOVER_IDLE] = { [RECOVER_ARMED] = TRUE },
    [RECOVER_ARMED] = { [RECOVER_IDLE] = TRUE, [RECOVER_BOOSTING] = TRUE },
    [RECOVER_BOOSTING] = { [RECOVER_IDLE] = TRUE },
  };

  static const gchar *const names[3] = {
    [RECOVER_IDLE] = "idle",
    [RECOVER_ARMED] = "armed",
    [RECOVER_BOOSTING] = "boosting",
  };

  g_return_if_fail (allowed[bwe->recover_state][state]);
  g_debug ("recovery %s -> %s (target %u, back to %.0f bit/s)",
           names[bwe->recover_state], names[state], bwe->target_bps,
           bwe->recover_to_bps);
  bwe->recover_state = state;
  bwe->recover_start_us = now_us;
  bwe->aimd.boost_to_bps = state == RECOVER_BOOSTING ? bwe->recover_to_bps : 0;
  if (state == RECOVER_BOOSTING)
    bwe->loss_bps
        = MAX (bwe->loss_bps, MIN (bwe->recover_to_bps, bwe->config.max_bps));
  else if (state == RECOVER_IDLE)
    {
      /* A new drop is measured from here. */
      bwe->peak_bps = bwe->target_bps;
      bwe->peak_us = now_us;
    }
}

static void
restart_calm (SlBwe *bwe, gint64 now_us)
{
  bwe->calm_since_us = now_us;
  bwe->calm_received = bwe->calm_lost = 0;
}

/* No over-use, and under 2 % loss, over a window of CALM_US and
 * CALM_MIN_PACKETS; a window that fails starts a new one. */
static gboolean
link_is_calm (SlBwe *bwe, gint64 now_us)
{
  guint total = bwe->calm_received + bwe->calm_lost;

  if (now_us - bwe->calm_since_us < CALM_US || total < CALM_MIN_PACKETS)
    return FALSE;
  if (bwe->calm_lost < LOSS_LOW * total)
    return TRUE;
  restart_calm (bwe, now_us);
  return FALSE;
}

static void
update_recovery (SlBwe *bwe, gint64 now_us)
{
  gdouble target = bwe->target_bps;

  switch (bwe->recover_state)
    {
    case RECOVER_IDLE:
      if (target >= bwe->peak_bps || now_us - bwe->peak_us > DROP_WINDOW_US)
        {
          bwe->peak_bps = target;
          bwe->peak_us = now_us;
        }
      else if (target < DROP_FRACTION * bwe->peak_bps)
        {
          bwe->recover_to_bps = RECOVER_FRACTION * bwe->peak_bps;
          bwe->last_drop_us = now_us;
          restart_calm (bwe, now_us);
          set_recover_state (bwe, RECOVER_ARMED, now_us);
        }
      break;
    case RECOVER_ARMED:
      if (target < bwe->last_target_bps)
        bwe->last_drop_us = now_us; /* still falling */
      if (target >= bwe->recover_to_bps
          || now_us - bwe->last_drop_us > RECOVER_TIMEOUT_US)
        set_recover_state (bwe, RECOVER_IDLE, now_us);
      else if (link_is_calm (bwe, now_us))
        set_recover_state (bwe, RECOVER_BOOSTING, now_us);
      break;
    case RECOVER_BOOSTING:
      if (bwe->aimd.current_bps
              >= MIN (bwe->recover_to_bps, bwe->config.max_bps)
          || now_us - bwe->recover_start_us > RECOVER_TIMEOUT_US)
        set_recover_state (bwe, RECOVER_IDLE, now_us);
      break;
    }
  bwe->last_target_bps = target;
}

static void
on_overuse (SlBwe *bwe, gint64 now_us)
{
  bwe->interval_overuse = TRUE;
  restart_calm (bwe, now_us);
  if (bwe->recover_state == RECOVER_BOOSTING)
    set_recover_state (bwe, RECOVER_IDLE, now_us);
}

/* One feedback's least one-way delay (@owd_us, remote minus local clock)
 * at @now_us: the standing queue it shows against the last 10 s. */
static void
update_queue (SlBwe *bwe, gint64 owd_us, gint64 now_us)
{
  gint64 bucket = floor_div (now_us, BASE_BUCKET_US), base = G_MAXINT64;
  guint slot = (guint)(((bucket % BASE_BUCKETS) + BASE_BUCKETS) % BASE_BUCKETS);

  if (bwe->base_bucket[slot] != bucket)
    {
      bwe->base_bucket[slot] = bucket;
      bwe->base_min_us[slot] = owd_us;
    }
  bwe->base_min_us[slot] = MIN (bwe->base_min_us[slot], owd_us);
  for (guint i = 0; i < BASE_BUCKETS; i++)
    if (bwe->base_bucket[i] > bucket - BASE_BUCKETS)
      base = MIN (base, bwe->base_min_us[i]);
  bwe->queue_us = owd_us - base;
}

/* A standing queue calls for a cut now (see QUEUE_*); the acknowledged
 * rate to cut from in *@from_bps. */
static gboolean
queue_cut_due (SlBwe *bwe, gint64 now_us, gdouble *from_bps)
{
  if (bwe->queue_us < QUEUE_HIGH_US)
    {
      bwe->in_queue_episode = FALSE;
      return FALSE;
    }
  if (!bwe->in_queue_episode)
    {
      bwe->in_queue_episode = TRUE;
      bwe->queue_repeats = 0;
      *from_bps = bwe->acked_bps;
      return TRUE;
    }
  if (now_us - bwe->last_queue_cut_us < QUEUE_CUT_GAP_US)
    return FALSE;
  /* Overflowing since the last cut: cut again.  Otherwise only if the
   * queue has not shrunk (within a few ms of noise), and twice at most. */
  if (bwe->packets_lost == bwe->lost_at_cut
      && (bwe->queue_repeats >= QUEUE_MAX_REPEATS
          || bwe->queue_us < bwe->queue_at_cut_us - QUEUE_NOISE_US))
    return FALSE;
  bwe->queue_repeats++;
  *from_bps = bwe->acked_bps >= 0 ? MIN (bwe->acked_bps, bwe->aimd.current_bps)
                                  : bwe->aimd.current_bps;
  return TRUE;
}

static void
update_delay_based (SlBwe *bwe, gint64 now_us)
{
  SlBweUsage usage = bwe->delay.usage;
  gdouble from_bps;

  if (usage != SL_BWE_USAGE_OVERUSING && queue_cut_due (bwe, now_us, &from_bps))
    {
      g_debug ("standing queue of %.0f ms: over-use (cut %u)",
               bwe->queue_us / 1000.0, bwe->queue_repeats);
      on_overuse (bwe, now_us);
      bwe->last_queue_cut_us = now_us;
      bwe->queue_at_cut_us = bwe->queue_us;
      bwe->lost_at_cut = bwe->packets_lost;
      sl_bwe_aimd_update (&bwe->aimd, SL_BWE_USAGE_OVERUSING, from_bps, now_us);
      return;
    }
  /* A standing queue never lets the rate grow. */
  if (usage == SL_BWE_USAGE_NORMAL && bwe->in_queue_episode)
    usage = SL_BWE_USAGE_UNDERUSING;
  if (usage == SL_BWE_USAGE_OVERUSING)
    {
      on_overuse (bwe, now_us);
      /* While over-use lasts, one decrease per round trip. */
      if (!sl_bwe_aimd_time_to_reduce (&bwe->aimd, now_us, bwe->acked_bps))
        return;
    }
  sl_bwe_aimd_update (&bwe->aimd, usage, bwe->acked_bps, now_us);
}

static void
first_feedback (SlBwe *bwe, gint64 now_us)
{
  bwe->have_feedback = TRUE;
  bwe->interval_start_us = bwe->last_loss_update_us = now_us;
  bwe->last_feedback_us = now_us;
}

/* The longest recent gap between two feedback messages, forgotten with a
 * half-life of SILENCE_GAP_HALF_LIFE_US. */
static void
update_feedback_gap (SlBwe *bwe, gint64 now_us)
{
  gint64 gap = now_us - bwe->last_feedback_us;

  if (gap <= 0 || gap > MAX_RTT_US)
    return;
  bwe->gap_peak_us
      = MAX (gap, (gint64)(bwe->gap_peak_us
                           * exp2 (-(gdouble)gap / SILENCE_GAP_HALF_LIFE_US)));
}

guint
sl_bwe_on_feedback (SlBwe *bwe, const SlBwePacket *packets, guint n_packets,
                    gint64 now_us)
{
  gint64 latest_send_us = G_MININT64, least_owd_us = G_MAXINT64;

  if (now_us <= -MAX_TIME_US || now_us >= MAX_TIME_US)
    return bwe->target_bps;
  if (!bwe->have_feedback)
    first_feedback (bwe, now_us);
  update_feedback_gap (bwe, now_us);
  if (bwe->feedbacks > 0 && now_us - bwe->last_feedback_us >= RESUME_GAP_US)
    {
      bwe->resumptions++;
      g_debug ("feedback again after %.1f s",
               (now_us - bwe->last_feedback_us) / 1e6);
    }
  bwe->feedbacks++;
  bwe->last_feedback_us = now_us;
  bwe->silence_floor_bps = -1;

  for (guint i = 0; packets && i < n_packets; i++)
    {
      const SlBwePacket *p = &packets[i];

      if (p->send_us <= -MAX_TIME_US || p->send_us >= MAX_TIME_US
          || !accept_seq (bwe, p->seq))
        continue;
      if (p->arrival_us == SL_BWE_LOST)
        {
          bwe->interval_lost++;
          bwe->calm_lost++;
          bwe->packets_lost++;
          continue;
        }
      if (p->arrival_us <= -MAX_TIME_US || p->arrival_us >= MAX_TIME_US)
        continue;
      bwe->interval_received++;
      bwe->calm_received++;
      bwe->packets_received++;
      latest_send_us = MAX (latest_send_us, p->send_us);
      least_owd_us = MIN (least_owd_us, p->arrival_us - p->send_us);
      acked_add (bwe, p->arrival_us, p->size);
      sl_bwe_delay_add (&bwe->delay, p->send_us, p->arrival_us, now_us);
    }
  if (latest_send_us != G_MININT64)
    {
      update_rtt (bwe, latest_send_us, now_us);
      update_queue (bwe, least_owd_us, now_us);
    }
  bwe->acked_bps = acked_rate (bwe);

  update_delay_based (bwe, now_us);
  update_loss_based (bwe, now_us);
  update_target (bwe);
  update_recovery (bwe, now_us);
  return bwe->target_bps;
}

static gint64
silence_timeout (const SlBwe *bwe)
{
  gint64 timeout = MAX (SILENCE_GAP_FACTOR * bwe->gap_peak_us,
                        SILENCE_RTT_FACTOR * bwe->rtt_us);

  return CLAMP (timeout, SILENCE_MIN_US, SILENCE_MAX_US);
}

/* More unacknowledged than a working link holds (see SILENCE_*). */
static gboolean
inflight_significant (const SlBwe *bwe, guint64 unacked_bytes)
{
  gdouble window_s = (bwe->rtt_us + SILENCE_WINDOW_EXTRA_US) / 1e6;

  return unacked_bytes * 8.0 >= bwe->target_bps * window_s;
}

guint
sl_bwe_update (SlBwe *bwe, gint64 now_us, gint64 oldest_unacked_send_us,
               guint64 unacked_bytes)
{
  gint64 timeout;

  /* One gap between feedbacks must have been seen: the first feedback
   * comes late (ICE, DTLS), and says nothing about the next one. */
  if (bwe->feedbacks < 2 || oldest_unacked_send_us < 0
      || oldest_unacked_send_us >= MAX_TIME_US || now_us <= -MAX_TIME_US
      || now_us >= MAX_TIME_US || !inflight_significant (bwe, unacked_bytes))
    return bwe->target_bps;
  timeout = silence_timeout (bwe);
  if (now_us - bwe->last_feedback_us < timeout
      || now_us - oldest_unacked_send_us < timeout)
    return bwe->target_bps;
  if (bwe->silence_floor_bps < 0)
    {
      bwe->silence_floor_bps = SILENCE_FLOOR * bwe->target_bps;
      if (bwe->silence_undo_bps < 0)
        bwe->silence_undo_bps = bwe->loss_bps;
    }
  else if (now_us - bwe->last_silence_cut_us < SILENCE_REPEAT_US)
    return bwe->target_bps;
  bwe->loss_bps = MAX (MIN (bwe->loss_bps, bwe->target_bps) * SILENCE_FACTOR,
                       bwe->silence_floor_bps);
  bwe->loss_bps
      = CLAMP (bwe->loss_bps, bwe->config.min_bps, bwe->config.max_bps);
  bwe->last_silence_cut_us = now_us;
  update_target (bwe);
  update_recovery (bwe, now_us);
  return bwe->target_bps;
}

guint
sl_bwe_get_target (const SlBwe *bwe)
{
  return bwe->target_bps;
}

void
sl_bwe_get_stats (const SlBwe *bwe, SlBweStats *stats)
{
  stats->target_bps = bwe->target_bps;
  stats->delay_bps = (guint)bwe->aimd.current_bps;
  stats->loss_bps = (guint)bwe->loss_bps;
  stats->acked_bps
      = bwe->acked_bps > 0 ? (guint)MIN (bwe->acked_bps, G_MAXUINT) : 0;
  stats->loss_fraction = bwe->loss_fraction;
  stats->trend = bwe->delay.modified_trend;
  stats->threshold = bwe->delay.threshold_ms;
  stats->usage = bwe->delay.usage;
  stats->rate_state = bwe->aimd.last_action;
  stats->rtt_us = bwe->rtt_us;
  stats->feedbacks = bwe->feedbacks;
  stats->packets_received = bwe->packets_received;
  stats->packets_lost = bwe->packets_lost;
  stats->recovering = bwe->recover_state != RECOVER_IDLE;
  stats->queue_us = bwe->queue_us;
  stats->resumptions = bwe->resumptions;
}

const gchar *
sl_bwe_usage_to_string (SlBweUsage usage)
{
  switch (usage)
    {
    case SL_BWE_USAGE_NORMAL:
      return "normal";
    case SL_BWE_USAGE_OVERUSING:
      return "overusing";
    case SL_BWE_USAGE_UNDERUSING:
      return "underusing";
    }
  return "unknown";
}

const gchar *
sl_bwe_rate_state_to_string (SlBweRateState state)
{
  switch (state)
    {
    case SL_BWE_RATE_HOLD:
      return "hold";
    case SL_BWE_RATE_INCREASE:
      return "increase";
    case SL_BWE_RATE_DECREASE:
      return "decrease";
    }
  return "unknown";
}
