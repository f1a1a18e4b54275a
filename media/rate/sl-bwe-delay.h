/* sl-bwe-delay.h — the delay half of the rate controller: is the
 * bottleneck queue growing?
 *
 * Internal to sl-bwe.c (and its unit tests).  Packets acknowledged by
 * transport-wide feedback are grouped into bursts, the change in one-way
 * delay between consecutive groups is accumulated, and the slope of that
 * accumulated delay over the last groups (a least-squares trendline) is
 * compared with an adaptive threshold.  A slope that stays above the
 * threshold means the queue in front of the bottleneck is filling: the
 * sender is over-using the link.  This is the "arrival-time filter" and
 * "over-use detector" of draft-ietf-rmcat-gcc-02 (sections 5.2-5.4), with
 * the Kalman filter replaced by the trendline estimator that libwebrtc
 * has used since 2017 (modules/congestion_controller/goog_cc/
 * trendline_estimator.cc): it reacts to the same queue growth but is
 * steadier on bursty video.  Plain C, no allocation; the owner serialises
 * calls.
 */
#pragma once

#include "sl-bwe.h"

G_BEGIN_DECLS

/* Groups in the regression window (libwebrtc's default). */
#define SL_BWE_TREND_WINDOW 20

/* One burst: packets sent within 5 ms of the burst's first packet. */
typedef struct
{
  gint64 first_send_us;
  gint64 last_send_us;
  gint64 first_arrival_us;
  gint64 last_arrival_us;
  gint64 local_us; /* when its last packet's feedback was processed */
} SlBweGroup;

typedef struct
{
  /* Grouping (draft section 5.2, libwebrtc inter_arrival.cc). */
  SlBweGroup cur, prev;
  gboolean have_cur, have_prev;
  guint reordered; /* consecutive groups whose arrival went backwards */

  /* Trendline over the accumulated, smoothed delay. */
  gdouble accumulated_ms;
  gdouble smoothed_ms;
  gboolean have_first_arrival;
  gint64 first_arrival_us;
  gdouble hist_x[SL_BWE_TREND_WINDOW]; /* ms since first arrival */
  gdouble hist_y[SL_BWE_TREND_WINDOW]; /* smoothed accumulated delay, ms */
  guint hist_head, hist_len;
  guint num_deltas;
  gdouble trend, prev_trend, modified_trend;

  /* Over-use detector with its adaptive threshold (section 5.4). */
  gdouble threshold_ms;
  gboolean have_threshold_time;
  gint64 last_threshold_us;
  gdouble time_over_using_ms; /* < 0: not over the threshold */
  guint overuse_counter;
  SlBweUsage usage;
} SlBweDelay;

void sl_bwe_delay_init (SlBweDelay *delay);

/* Feeds one received packet, in sending order: @send_us on the local
 * clock, @arrival_us on the receiver's clock (only differences matter),
 * @now_us the local time the feedback is processed.  Packets out of
 * order, arrival times going backwards and clock jumps are tolerated:
 * they are dropped or restart the grouping.  @delay->usage holds the
 * current verdict afterwards. */
void sl_bwe_delay_add (SlBweDelay *delay, gint64 send_us, gint64 arrival_us,
                       gint64 now_us);

G_END_DECLS
