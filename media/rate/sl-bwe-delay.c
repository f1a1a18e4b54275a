/* sl-bwe-delay.c — burst grouping, trendline and over-use detection.
 *
 * See sl-bwe-delay.h for the place of this in the controller.  The
 * constants are those of draft-ietf-rmcat-gcc-02 and of libwebrtc's
 * goog_cc, whose values have been tuned on real networks for years; the
 * comments give each one's role so that a change is a deliberate one.
 */
#include "sl-bwe-delay.h"

#include <math.h>
#include <string.h>

/* A group is every packet sent within 5 ms of its first one: a video
 * frame leaves the encoder as a burst, and delay is only comparable
 * between whole bursts (draft section 5.2, burst_time). */
#define GROUP_LENGTH_US 5000
/* Packets that arrive within 5 ms of the previous one and faster than
 * they were sent were held up together (a radio scheduler, a Wi-Fi
 * aggregate) and belong to the same group, as long as the burst lasts
 * under 100 ms (libwebrtc kBurstDeltaThresholdMs, kMaxBurstDurationMs). */
#define BURST_DELTA_US 5000
#define MAX_BURST_US 100000
/* An arrival clock running 3 s ahead of ours, or three groups in a row
 * arriving before their predecessor, mean the receiver's clock jumped:
 * start again rather than read it as congestion. */
#define ARRIVAL_JUMP_US 3000000
#define MAX_REORDERED 3

/* Trendline: exponential smoothing of the accumulated delay, then a
 * least-squares slope over the last SL_BWE_TREND_WINDOW groups.  The
 * slope (ms of extra delay per ms) is scaled by the number of deltas
 * seen (up to 60, so the first few noisy groups weigh less) and by a
 * gain of 4 into the "modified trend" compared with the threshold. */
#define SMOOTHING 0.9
#define MIN_NUM_DELTAS 60
#define MAX_NUM_DELTAS 1000
#define THRESHOLD_GAIN 4.0

/* Over-use must last 10 ms of sending time and two groups, with the
 * trend not falling, before it is reported (section 5.4,
 * overuse_time_th). */
#define OVERUSE_TIME_MS 10.0

/* The adaptive threshold follows |modified trend|: quickly up (K_UP is
 * per ms) so that one noisy link does not look congested for ever, and
 * slowly down; outliers more than 15 ms beyond it are not followed; it
 * stays in [6, 600] (section 5.4, with libwebrtc's k_up 0.0087 and
 * k_down 0.039: the draft's values are for the Kalman filter). */
#define THRESHOLD_INITIAL_MS 12.5
#define THRESHOLD_MIN_MS 6.0
#define THRESHOLD_MAX_MS 600.0
#define K_UP 0.0087
#define K_DOWN 0.039
#define MAX_ADAPT_OFFSET_MS 15.0
#define MAX_THRESHOLD_STEP_MS 100.0

void
sl_bwe_delay_init (SlBweDelay *delay)
{
  memset (delay, 0, sizeof *delay);
  delay->threshold_ms = THRESHOLD_INITIAL_MS;
  delay->time_over_using_ms = -1;
  delay->usage = SL_BWE_USAGE_NORMAL;
}

static void
start_group (SlBweGroup *group, gint64 send_us, gint64 arrival_us)
{
  group->first_send_us = group->last_send_us = send_us;
  group->first_arrival_us = group->last_arrival_us = arrival_us;
}

static void
reset_grouping (SlBweDelay *delay)
{
  delay->have_cur = delay->have_prev = FALSE;
  delay->reordered = 0;
}

static gboolean
belongs_to_burst (const SlBweGroup *cur, gint64 send_us, gint64 arrival_us)
{
  gint64 send_delta = send_us - cur->last_send_us;
  gint64 arrival_delta = arrival_us - cur->last_arrival_us;

  if (send_delta == 0)
    return TRUE;
  return arrival_delta - send_delta < 0 && arrival_delta <= BURST_DELTA_US
         && arrival_us - cur->first_arrival_us < MAX_BURST_US;
}

/* Linear regression slope of y over x; FALSE when all x are equal. */
static gboolean
fit_slope (const SlBweDelay *delay, gdouble *slope)
{
  gdouble sum_x = 0, sum_y = 0, x_avg, y_avg, num = 0, den = 0;
  guint n = delay->hist_len;

  for (guint i = 0; i < n; i++)
    {
      sum_x += delay->hist_x[i];
      sum_y += delay->hist_y[i];
    }
  x_avg = sum_x / n;
  y_avg = sum_y / n;
  for (guint i = 0; i < n; i++)
    {
      gdouble dx = delay->hist_x[i] - x_avg;

      num += dx * (delay->hist_y[i] - y_avg);
      den += dx * dx;
    }
  if (den <= 0 || !isfinite (num / den))
    return FALSE;
  *slope = num / den;
  return TRUE;
}

static void
update_threshold (SlBweDelay *delay, gdouble modified_trend, gint64 now_us)
{
  gdouble abs_trend = fabs (modified_trend), k, step_ms;

  if (!delay->have_threshold_time)
    {
      delay->have_threshold_time = TRUE;
      delay->last_threshold_us = now_us;
    }
  /* A spike far above the threshold (a handover, a burst of cross
   * traffic) is not something to get used to. */
  if (abs_trend > delay->threshold_ms + MAX_ADAPT_OFFSET_MS)
    {
      delay->last_threshold_us = now_us;
      return;
    }
  k = abs_trend < delay->threshold_ms ? K_DOWN : K_UP;
  step_ms = CLAMP ((now_us - delay->last_threshold_us) / 1000.0, 0,
                   MAX_THRESHOLD_STEP_MS);
  delay->threshold_ms += k * (abs_trend - delay->threshold_ms) * step_ms;
  delay->threshold_ms
      = CLAMP (delay->threshold_ms, THRESHOLD_MIN_MS, THRESHOLD_MAX_MS);
  delay->last_threshold_us = now_us;
}

static void
detect (SlBweDelay *delay, gdouble send_delta_ms, gint64 arrival_us)
{
  gdouble trend = delay->trend, modified;

  if (delay->num_deltas < 2)
    {
      delay->usage = SL_BWE_USAGE_NORMAL;
      return;
    }
  modified = MIN (delay->num_deltas, MIN_NUM_DELTAS) * trend * THRESHOLD_GAIN;
  delay->modified_trend = modified;
  if (modified > delay->threshold_ms)
    {
      if (delay->time_over_using_ms < 0)
        delay->time_over_using_ms = send_delta_ms / 2;
      else
        delay->time_over_using_ms += send_delta_ms;
      delay->overuse_counter++;
      if (delay->time_over_using_ms > OVERUSE_TIME_MS
          && delay->overuse_counter > 1 && trend >= delay->prev_trend)
        {
          delay->time_over_using_ms = 0;
          delay->overuse_counter = 0;
          delay->usage = SL_BWE_USAGE_OVERUSING;
        }
    }
  else
    {
      delay->time_over_using_ms = -1;
      delay->overuse_counter = 0;
      delay->usage = modified < -delay->threshold_ms ? SL_BWE_USAGE_UNDERUSING
                                                     : SL_BWE_USAGE_NORMAL;
    }
  delay->prev_trend = trend;
  update_threshold (delay, modified, arrival_us);
}

/* One delay-variation sample between two complete groups (draft section
 * 5.3: d(i) = t(i) - t(i-1) - (T(i) - T(i-1))). */
static void
update_trendline (SlBweDelay *delay, gdouble recv_delta_ms,
                  gdouble send_delta_ms, gint64 arrival_us)
{
  guint slot;
  gdouble slope;

  delay->num_deltas = MIN (delay->num_deltas + 1, MAX_NUM_DELTAS);
  if (!delay->have_first_arrival)
    {
      delay->have_first_arrival = TRUE;
      delay->first_arrival_us = arrival_us;
    }
  delay->accumulated_ms += recv_delta_ms - send_delta_ms;
  delay->smoothed_ms = SMOOTHING * delay->smoothed_ms
                       + (1 - SMOOTHING) * delay->accumulated_ms;

  slot = (delay->hist_head + delay->hist_len) % SL_BWE_TREND_WINDOW;
  if (delay->hist_len == SL_BWE_TREND_WINDOW)
    {
      slot = delay->hist_head;
      delay->hist_head = (delay->hist_head + 1) % SL_BWE_TREND_WINDOW;
    }
  else
    delay->hist_len++;
  delay->hist_x[slot] = (arrival_us - delay->first_arrival_us) / 1000.0;
  delay->hist_y[slot] = delay->smoothed_ms;

  /* Until the window is full the previous trend stands (libwebrtc). */
  if (delay->hist_len == SL_BWE_TREND_WINDOW && fit_slope (delay, &slope))
    delay->trend = slope;
  detect (delay, send_delta_ms, arrival_us);
}

/* The current group is complete: compare it with the previous one.
 * Returns FALSE when the pair is unusable. */
static gboolean
close_group (SlBweDelay *delay, gdouble *recv_delta_ms, gdouble *send_delta_ms)
{
  const SlBweGroup *cur = &delay->cur, *prev = &delay->prev;
  gint64 arrival_delta = cur->last_arrival_us - prev->last_arrival_us;
  gint64 local_delta = cur->local_us - prev->local_us;

  if (arrival_delta - local_delta >= ARRIVAL_JUMP_US)
    {
      reset_grouping (delay);
      return FALSE;
    }
  if (arrival_delta < 0)
    {
      if (++delay->reordered >= MAX_REORDERED)
        reset_grouping (delay);
      return FALSE;
    }
  delay->reordered = 0;
  *recv_delta_ms = arrival_delta / 1000.0;
  *send_delta_ms = (cur->last_send_us - prev->last_send_us) / 1000.0;
  return TRUE;
}

void
sl_bwe_delay_add (SlBweDelay *delay, gint64 send_us, gint64 arrival_us,
                  gint64 now_us)
{
  gdouble recv_delta_ms = 0, send_delta_ms = 0;
  gboolean have_sample = FALSE;

  if (!delay->have_cur)
    {
      start_group (&delay->cur, send_us, arrival_us);
      delay->cur.local_us = now_us;
      delay->have_cur = TRUE;
      return;
    }
  /* Sent before the group in progress: a late report of an old packet. */
  if (send_us < delay->cur.first_send_us)
    return;

  if (send_us - delay->cur.first_send_us > GROUP_LENGTH_US
      && !belongs_to_burst (&delay->cur, send_us, arrival_us))
    {
      if (delay->have_prev)
        have_sample = close_group (delay, &recv_delta_ms, &send_delta_ms);
      /* close_group() may have reset everything: then this packet
       * starts afresh. */
      if (delay->have_cur)
        {
          delay->prev = delay->cur;
          delay->have_prev = TRUE;
        }
      start_group (&delay->cur, send_us, arrival_us);
      delay->have_cur = TRUE;
    }
  else
    {
      delay->cur.last_send_us = MAX (delay->cur.last_send_us, send_us);
      delay->cur.last_arrival_us = MAX (delay->cur.last_arrival_us, arrival_us);
    }
  delay->cur.local_us = now_us;

  if (have_sample)
    update_trendline (delay, recv_delta_ms, send_delta_ms,
                      delay->prev.last_arrival_us);
}
