/* sl-bwe-aimd.c — the AIMD state machine and link-capacity estimate.
 *
 * See sl-bwe-aimd.h.  One deliberate departure from libwebrtc: it finds
 * a link's capacity quickly by probing (short bursts of padding at a
 * multiple of the current rate), at the start of a call and when the
 * link improves, which an x264 encoder behind webrtcbin cannot do.
 * Instead, in those two situations, the multiplicative increase is 25 % a
 * second rather than 8 %: from 1.5 Mbit/s it reaches 8 Mbit/s in about
 * 8 s instead of 22 s.  "The link improved" needs more evidence than the
 * acknowledged rate leaving the capacity band (that happens by noise at
 * every tooth of the sawtooth, and a fast ramp there would overshoot
 * into a 100 ms queue): the search starts at 8 % and speeds up only once
 * 15 % more than the old capacity has got through without over-use, or
 * once the search has gone on for 2 s without over-use.  The second rule
 * is for a sender limited by its own target (the encoder never sends more
 * than it is told, so the acknowledged rate cannot get 15 % above an old
 * capacity when that is near the configured max): there, the absence of
 * over-use is the only evidence there can be.  Leaving the band by noise
 * at a tooth of the sawtooth is followed by over-use well within 2 s, so
 * it does not speed up.  The next over-use ends the search, as a probe's
 * result would.
 *
 * The capacity estimate is also forgotten when the acknowledged rate
 * falls below half of it without over-use (a tooth of the sawtooth goes
 * down to 0.85 of it, a cut by the loss ceiling or the feedback-silence
 * rule much further): libwebrtc resets it when the rate leaves the band
 * either way, and additive increase from far below a stale capacity would
 * take minutes (about 4 % a second).
 */
#include "sl-bwe-aimd.h"

#include <math.h>
#include <string.h>

/* Decrease to 0.85 × the acknowledged rate ("beta", section 5.5: the
 * RECOMMENDED value). */
#define BETA 0.85
/* Multiplicative increase per second ("eta"), normally and while
 * searching fast (see above); a single step never counts more than 1 s. */
#define ETA 1.08
#define FAST_ETA 1.25
/* Getting this far above the old capacity proves the link improved. */
#define FAST_MARGIN 1.15
/* ... or searching this long without over-use (see above). */
#define SEARCH_CALM_US 2000000
/* Below this share of the capacity estimate the estimate is stale. */
#define CAPACITY_STALE 0.5
#define MIN_MULT_INCREASE_BPS 1000.0
/* Additive increase: one average packet per response time (rtt + 100 ms),
 * packets of at most 1200 bytes and frames at 30 fps, at least 4 kbit/s
 * per second (libwebrtc GetNearMaxIncreaseRateBpsPerSecond). */
#define PACKET_BITS (1200.0 * 8)
#define FRAME_INTERVAL_S (1.0 / 30)
#define RESPONSE_EXTRA_US 100000
#define MIN_ADD_INCREASE_BPS 4000.0
/* Never grow past 1.5 × what is acknowledged (plus 10 kbit/s): an
 * encoder that sends less than its target (a still image) must not let
 * the estimate run away from what the link has shown it carries. */
#define ACKED_HEADROOM 1.5
#define ACKED_HEADROOM_BPS 10000.0
/* Link capacity: exponential average (alpha 0.05) of the acknowledged
 * rate at over-use, with a normalised variance kept in [0.4, 2.5];
 * "near" is within three deviations. */
#define CAPACITY_ALPHA 0.05
#define DEVIATION_MIN 0.4
#define DEVIATION_MAX 2.5
/* Further decreases while over-use lasts: one per round trip. */
#define REDUCE_MIN_US 10000
#define REDUCE_MAX_US 200000
/* Until the first round-trip measurement. */
#define DEFAULT_RTT_US 200000

void
sl_bwe_aimd_init (SlBweAimd *aimd, guint start_bps, guint min_bps,
                  guint max_bps)
{
  memset (aimd, 0, sizeof *aimd);
  aimd->state = aimd->last_action = SL_BWE_RATE_HOLD;
  aimd->rtt_us = DEFAULT_RTT_US;
  aimd->deviation_kbps = DEVIATION_MIN;
  aimd->searching = TRUE;
  aimd->search_from_bps = 0;
  sl_bwe_aimd_set_bounds (aimd, min_bps, max_bps);
  aimd->current_bps = CLAMP ((gdouble)start_bps, aimd->min_bps, aimd->max_bps);
}

void
sl_bwe_aimd_set_bounds (SlBweAimd *aimd, guint min_bps, guint max_bps)
{
  aimd->min_bps = MAX (min_bps, 1);
  aimd->max_bps = MAX (max_bps, aimd->min_bps);
  aimd->current_bps = CLAMP (aimd->current_bps, aimd->min_bps, aimd->max_bps);
}

static gdouble
capacity_deviation_kbps (const SlBweAimd *aimd)
{
  return sqrt (aimd->deviation_kbps * aimd->capacity_kbps);
}

static gdouble
capacity_upper_bps (const SlBweAimd *aimd)
{
  if (!aimd->have_capacity)
    return INFINITY;
  return (aimd->capacity_kbps + 3 * capacity_deviation_kbps (aimd)) * 1000;
}

static gdouble
capacity_lower_bps (const SlBweAimd *aimd)
{
  if (!aimd->have_capacity)
    return 0;
  return MAX (0, aimd->capacity_kbps - 3 * capacity_deviation_kbps (aimd))
         * 1000;
}

static void
capacity_on_overuse (SlBweAimd *aimd, gdouble acked_bps)
{
  gdouble sample = acked_bps / 1000, error;

  if (!aimd->have_capacity)
    aimd->capacity_kbps = sample;
  else
    aimd->capacity_kbps
        = (1 - CAPACITY_ALPHA) * aimd->capacity_kbps + CAPACITY_ALPHA * sample;
  aimd->have_capacity = TRUE;
  error = aimd->capacity_kbps - sample;
  aimd->deviation_kbps
      = (1 - CAPACITY_ALPHA) * aimd->deviation_kbps
        + CAPACITY_ALPHA * error * error / MAX (aimd->capacity_kbps, 1.0);
  aimd->deviation_kbps
      = CLAMP (aimd->deviation_kbps, DEVIATION_MIN, DEVIATION_MAX);
}

static gdouble
since_last_change_s (const SlBweAimd *aimd, gint64 now_us)
{
  if (!aimd->have_last_change)
    return 0;
  return CLAMP ((now_us - aimd->last_change_us) / 1e6, 0, 1);
}

static gdouble
multiplicative_increase (const SlBweAimd *aimd, gdouble acked_bps,
                         gint64 now_us)
{
  gboolean fast = aimd->searching
                  && (aimd->search_from_bps <= 0
                      || acked_bps > FAST_MARGIN * aimd->search_from_bps
                      || now_us - aimd->search_start_us >= SEARCH_CALM_US);
  gdouble eta = fast ? FAST_ETA : ETA;
  gdouble alpha = pow (eta, since_last_change_s (aimd, now_us));

  return MAX (aimd->current_bps * (alpha - 1), MIN_MULT_INCREASE_BPS);
}

static gdouble
additive_increase (const SlBweAimd *aimd, gint64 now_us)
{
  gdouble frame_bits = aimd->current_bps * FRAME_INTERVAL_S;
  gdouble packets = MAX (1, ceil (frame_bits / PACKET_BITS));
  gdouble response_s = (aimd->rtt_us + RESPONSE_EXTRA_US) / 1e6;
  gdouble per_s = MAX (MIN_ADD_INCREASE_BPS, frame_bits / packets / response_s);

  return per_s * since_last_change_s (aimd, now_us);
}

/* The link has changed: search for its new capacity multiplicatively,
 * starting from @from_bps (see the top of the file). */
static void
start_search (SlBweAimd *aimd, gdouble from_bps, gint64 now_us)
{
  aimd->searching = TRUE;
  aimd->search_from_bps = from_bps;
  aimd->search_start_us = now_us;
  aimd->have_capacity = FALSE;
}

/* A recovery: the owner knows the rate the link carried before a drop. */
static gdouble
boost_increase (SlBweAimd *aimd, gint64 now_us)
{
  gdouble alpha
      = pow (SL_BWE_AIMD_BOOST_PER_S, since_last_change_s (aimd, now_us));

  /* Once there, a further increase needs the usual evidence. */
  start_search (aimd, aimd->boost_to_bps, now_us);
  return MIN (MAX (aimd->current_bps * (alpha - 1), MIN_MULT_INCREASE_BPS),
              aimd->boost_to_bps - aimd->current_bps);
}

static gdouble
increase (SlBweAimd *aimd, gdouble acked_bps, gint64 now_us)
{
  gdouble limit, next = aimd->current_bps;

  if (acked_bps >= 0 && aimd->have_capacity
      && (acked_bps > capacity_upper_bps (aimd)
          || acked_bps < CAPACITY_STALE * aimd->capacity_kbps * 1000))
    start_search (aimd, aimd->capacity_kbps * 1000, now_us);
  limit = acked_bps >= 0 ? ACKED_HEADROOM * acked_bps + ACKED_HEADROOM_BPS
                         : INFINITY;
  if (aimd->current_bps < limit)
    {
      if (aimd->boost_to_bps > aimd->current_bps)
        next += boost_increase (aimd, now_us);
      else if (aimd->have_capacity)
        next += additive_increase (aimd, now_us);
      else
        next += multiplicative_increase (aimd, acked_bps, now_us);
      next = MIN (next, limit);
    }
  aimd->last_change_us = now_us;
  aimd->have_last_change = TRUE;
  return next;
}

static gdouble
decrease (SlBweAimd *aimd, gdouble acked_bps, gint64 now_us)
{
  gdouble next = aimd->current_bps, wanted;

  /* Without a measurement yet, back off from the rate itself. */
  wanted = BETA * (acked_bps >= 0 ? acked_bps : aimd->current_bps);
  if (wanted > aimd->current_bps && aimd->have_capacity)
    wanted = BETA * aimd->capacity_kbps * 1000;
  /* Over-use never raises the rate, even when little was acknowledged
   * during an application-limited moment. */
  if (wanted < aimd->current_bps)
    next = wanted;
  if (acked_bps >= 0)
    {
      /* Far below the old capacity: the link got worse, forget it. */
      if (acked_bps < capacity_lower_bps (aimd))
        aimd->have_capacity = FALSE;
      capacity_on_overuse (aimd, acked_bps);
    }
  aimd->searching = FALSE;
  aimd->state = SL_BWE_RATE_HOLD;
  aimd->last_change_us = aimd->last_decrease_us = now_us;
  aimd->have_last_change = aimd->have_decrease = TRUE;
  return next;
}

static void
change_state (SlBweAimd *aimd, SlBweUsage usage, gint64 now_us)
{
  switch (usage)
    {
    case SL_BWE_USAGE_NORMAL:
      if (aimd->state == SL_BWE_RATE_HOLD)
        {
          aimd->last_change_us = now_us;
          aimd->have_last_change = TRUE;
          aimd->state = SL_BWE_RATE_INCREASE;
        }
      break;
    case SL_BWE_USAGE_OVERUSING:
      aimd->state = SL_BWE_RATE_DECREASE;
      break;
    case SL_BWE_USAGE_UNDERUSING:
      aimd->state = SL_BWE_RATE_HOLD;
      break;
    }
}

gboolean
sl_bwe_aimd_time_to_reduce (const SlBweAimd *aimd, gint64 now_us,
                            gdouble acked_bps)
{
  gint64 interval = CLAMP (aimd->rtt_us, REDUCE_MIN_US, REDUCE_MAX_US);

  if (!aimd->have_last_change || now_us - aimd->last_change_us >= interval)
    return TRUE;
  return acked_bps >= 0 && acked_bps < 0.5 * aimd->current_bps;
}

guint
sl_bwe_aimd_update (SlBweAimd *aimd, SlBweUsage usage, gdouble acked_bps,
                    gint64 now_us)
{
  gdouble next = aimd->current_bps;

  if (!isfinite (acked_bps))
    acked_bps = -1;
  change_state (aimd, usage, now_us);
  aimd->last_action = aimd->state;
  if (aimd->state == SL_BWE_RATE_INCREASE)
    next = increase (aimd, acked_bps, now_us);
  else if (aimd->state == SL_BWE_RATE_DECREASE)
    next = decrease (aimd, acked_bps, now_us);
  aimd->current_bps = CLAMP (next, aimd->min_bps, aimd->max_bps);
  return (guint)aimd->current_bps;
}
