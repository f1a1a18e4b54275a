/* sl-bwe-aimd.h — the delay-based rate: additive increase, multiplicative
 * decrease, driven by the over-use detector.
 *
 * Internal to sl-bwe.c (and its unit tests).  A three-state machine
 * (draft-ietf-rmcat-gcc-02 section 5.5, libwebrtc aimd_rate_control.cc):
 * over-use moves to Decrease, under-use (the queue draining) to Hold, and
 * normal from Hold to Increase.  On Decrease the rate becomes 0.85 × the
 * rate the receiver actually acknowledged, which is the bottleneck's
 * capacity while its queue is full.  Those acknowledged rates at over-use
 * are averaged into a link-capacity estimate: near it the rate grows by
 * about one packet per response time (additive), away from it, or before
 * any over-use, it grows by a fixed factor per second (multiplicative).
 * The owner may ask for a faster recovery to a rate the link carried
 * just before a sudden drop (boost_to_bps, see sl-bwe.c).
 * Plain C, no allocation; the owner serialises calls.
 */
#pragma once

#include "sl-bwe.h"

G_BEGIN_DECLS

/* The growth per second of a recovery (see sl-bwe.c): a doubling. */
#define SL_BWE_AIMD_BOOST_PER_S 2.0

typedef struct
{
  guint min_bps, max_bps;
  gdouble current_bps;
  SlBweRateState state;
  SlBweRateState last_action; /* what the last update did, for stats */
  gboolean have_last_change;
  gint64 last_change_us;
  gboolean have_decrease;
  gint64 last_decrease_us;
  gboolean searching;      /* for a capacity above the known one */
  gdouble search_from_bps; /* the capacity it left; 0 at the start */
  gint64 search_start_us;  /* when the search began */
  gint64 rtt_us;
  /* Set by the owner: recover to this rate at SL_BWE_AIMD_BOOST_PER_S,
   * whatever the capacity estimate says; 0: no recovery. */
  gdouble boost_to_bps;

  /* Link capacity (libwebrtc link_capacity_estimator.cc), in kbit/s as
   * there, which sets the width of the "near convergence" band. */
  gboolean have_capacity;
  gdouble capacity_kbps;
  gdouble deviation_kbps;
} SlBweAimd;

void sl_bwe_aimd_init (SlBweAimd *aimd, guint start_bps, guint min_bps,
                       guint max_bps);

void sl_bwe_aimd_set_bounds (SlBweAimd *aimd, guint min_bps, guint max_bps);

/* Whether a further decrease is due while over-use persists: at most one
 * per round trip (clamped to 10..200 ms), unless what gets through has
 * fallen below half the current rate.  @acked_bps < 0: unknown. */
gboolean sl_bwe_aimd_time_to_reduce (const SlBweAimd *aimd, gint64 now_us,
                                     gdouble acked_bps);

/* Applies the detector's verdict at @now_us and returns the new rate.
 * @acked_bps < 0 when the acknowledged rate is not known yet. */
guint sl_bwe_aimd_update (SlBweAimd *aimd, SlBweUsage usage, gdouble acked_bps,
                          gint64 now_us);

G_END_DECLS
