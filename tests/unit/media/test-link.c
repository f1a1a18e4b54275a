/* test-link.c — the link-health states of sl-link.h on synthetic seconds. */
#include "sl-link.h"

#include <math.h>
#include <string.h>

#define S(sec) ((gint64)((sec)*G_USEC_PER_SEC))

/* Feeds one sample at @now seconds with the last packet at @rx seconds. */
static gboolean
feed (SlLinkMonitor *mon, gdouble now, gdouble rx, gboolean *restart)
{
  SlLinkSample s = { 0 };

  s.now_us = S (now);
  s.last_rx_us = rx < 0 ? 0 : S (rx);
  s.residual_loss_pct = -1;
  return sl_link_monitor_update (mon, &s, restart);
}

static void
test_steady_is_good (void)
{
  SlLinkMonitor mon;
  gboolean restart;

  sl_link_monitor_init (&mon, 0);
  g_assert_cmpuint (mon.restart_after_ms, ==, 6000);
  /* Before anything arrived (still connecting), silence is not "lost". */
  for (gint t = 1; t <= 5; t++)
    {
      g_assert_false (feed (&mon, t, -1, &restart));
      g_assert_false (restart);
    }
  for (gint t = 6; t <= 20; t++)
    {
      feed (&mon, t, t - 0.02, &restart);
      g_assert_cmpint (mon.state, ==, SL_LINK_GOOD);
      g_assert_false (restart);
    }
  g_assert_cmpstr (sl_link_state_name (mon.state), ==, "good");
}

static void
test_short_outage_rides_through (void)
{
  SlLinkMonitor mon;
  gboolean restart;

  sl_link_monitor_init (&mon, 4000);
  feed (&mon, 1, 0.99, &restart);
  /* Outage from 1.0 s to 3.5 s: lost at the first second past 1 s of
   * silence, never a restart, then recovering once packets come back. */
  g_assert_false (feed (&mon, 1.9, 0.99, &restart));
  g_assert_true (feed (&mon, 2.5, 0.99, &restart));
  g_assert_cmpint (mon.state, ==, SL_LINK_LOST);
  g_assert_false (restart);
  g_assert_nonnull (strstr (mon.reason, "nothing from the peer"));
  feed (&mon, 3.4, 0.99, &restart);
  g_assert_false (restart);
  g_assert_true (feed (&mon, 4.0, 3.99, &restart));
  g_assert_cmpint (mon.state, ==, SL_LINK_RECOVERING);
  /* Recovering lasts the hold time, then good. */
  feed (&mon, 5.0, 4.99, &restart);
  g_assert_cmpint (mon.state, ==, SL_LINK_RECOVERING);
  feed (&mon, 6.5, 6.49, &restart);
  g_assert_cmpint (mon.state, ==, SL_LINK_RECOVERING);
  feed (&mon, 7.5, 7.49, &restart);
  g_assert_cmpint (mon.state, ==, SL_LINK_GOOD);
}

/* By default an outage of 5.5 s, as a weak uplink has, rides through;
 * silence beyond 6 s asks for a new session. */
static void
test_default_restart (void)
{
  SlLinkMonitor mon;
  gboolean restart = FALSE;
  gdouble t;

  sl_link_monitor_init (&mon, 0);
  feed (&mon, 1, 1, &restart);
  for (t = 1.5; t < 6.5; t += 1)
    {
      feed (&mon, t, 1, &restart);
      g_assert_false (restart);
    }
  feed (&mon, 7.5, 6.6, &restart);
  g_assert_false (restart);
  g_assert_cmpint (mon.state, ==, SL_LINK_RECOVERING);
  for (t = 8.5; t < 20 && !restart; t += 1)
    feed (&mon, t, 7.6, &restart);
  g_assert_true (restart);
  g_assert_cmpfloat (t - 7.6, >, 6);
}

static void
test_long_outage_restarts (void)
{
  SlLinkMonitor mon;
  gboolean restart = FALSE;
  gdouble t;

  sl_link_monitor_init (&mon, 3000);
  feed (&mon, 1, 1, &restart);
  for (t = 2; t < 10 && !restart; t += 1)
    feed (&mon, t, 1, &restart);
  /* Silent from 1 s: the first sample more than 3 s later asks. */
  g_assert_true (restart);
  g_assert_cmpfloat (t - 1, ==, 5);
  g_assert_cmpint (mon.state, ==, SL_LINK_LOST);

  /* The new session's monitor starts out recovering. */
  sl_link_monitor_init (&mon, 3000);
  sl_link_monitor_restarted (&mon, S (10));
  g_assert_cmpint (mon.state, ==, SL_LINK_RECOVERING);
  feed (&mon, 11, 10.9, &restart);
  g_assert_cmpint (mon.state, ==, SL_LINK_RECOVERING);
  feed (&mon, 14, 13.9, &restart);
  g_assert_cmpint (mon.state, ==, SL_LINK_GOOD);
}

/* This process stopped for 8 s (SIGSTOP, swapping): the sample after it
 * comes 8 s late.  The peer had no chance to be heard meanwhile: no
 * restart, not even "lost", until a second passes after the stall without
 * a packet.  A packet read after the stall ends the credit. */
static void
test_own_stall_is_not_silence (void)
{
  SlLinkMonitor mon;
  gboolean restart = FALSE;

  sl_link_monitor_init (&mon, 0);
  for (gint t = 1; t <= 3; t++)
    feed (&mon, t, t - 0.02, &restart);
  feed (&mon, 11, 2.98, &restart);
  g_assert_false (restart);
  g_assert_cmpint (mon.state, ==, SL_LINK_GOOD);
  /* Nothing for another two seconds after waking: lost, no restart yet. */
  feed (&mon, 12, 2.98, &restart);
  feed (&mon, 13, 2.98, &restart);
  g_assert_cmpint (mon.state, ==, SL_LINK_LOST);
  g_assert_false (restart);
  g_assert_nonnull (strstr (mon.reason, "for 2.0 s"));
  /* ... and a restart once that silence, awake, passes the delay. */
  for (gint t = 14; t <= 17 && !restart; t++)
    feed (&mon, t, 2.98, &restart);
  g_assert_true (restart);

  /* The peer's packets read on waking: good.  A later real silence is
   * counted from that packet, with no credit left. */
  sl_link_monitor_init (&mon, 0);
  feed (&mon, 1, 0.98, &restart);
  feed (&mon, 9, 8.99, &restart);
  g_assert_cmpint (mon.state, ==, SL_LINK_GOOD);
  feed (&mon, 10, 8.99, &restart);
  feed (&mon, 11, 8.99, &restart);
  g_assert_cmpint (mon.state, ==, SL_LINK_LOST);
  for (gint t = 12; t <= 15; t++)
    feed (&mon, t, 8.99, &restart);
  g_assert_false (restart);
  feed (&mon, 16, 8.99, &restart);
  g_assert_true (restart);
}

static void
test_degraded_causes (void)
{
  SlLinkMonitor mon;
  SlLinkSample s = { 0 };
  gboolean restart;

  sl_link_monitor_init (&mon, 0);
  s.residual_loss_pct = 0.2;
  for (gint t = 1; t <= 3; t++)
    {
      s.now_us = s.last_rx_us = S (t);
      sl_link_monitor_update (&mon, &s, &restart);
    }
  /* Small residual loss is not worth a word. */
  g_assert_cmpint (mon.state, ==, SL_LINK_GOOD);

  s.residual_loss_pct = 3.5;
  s.now_us = s.last_rx_us = S (4);
  g_assert_true (sl_link_monitor_update (&mon, &s, &restart));
  g_assert_cmpint (mon.state, ==, SL_LINK_DEGRADED);
  g_assert_cmpstr (mon.reason, ==, "3.5 % loss after recovery");

  /* Held for the hold time after the cause goes, then good. */
  s.residual_loss_pct = 0;
  s.now_us = s.last_rx_us = S (5);
  sl_link_monitor_update (&mon, &s, &restart);
  g_assert_cmpint (mon.state, ==, SL_LINK_DEGRADED);
  s.now_us = s.last_rx_us = S (7.5);
  sl_link_monitor_update (&mon, &s, &restart);
  g_assert_cmpint (mon.state, ==, SL_LINK_GOOD);

  /* A new freeze counts once; the floor wins over the rest. */
  s.freezes = 1;
  s.now_us = s.last_rx_us = S (8);
  sl_link_monitor_update (&mon, &s, &restart);
  g_assert_cmpstr (mon.reason, ==, "the picture froze");
  s.below_floor = TRUE;
  s.rate_constrained = TRUE;
  s.now_us = s.last_rx_us = S (9);
  sl_link_monitor_update (&mon, &s, &restart);
  g_assert_cmpstr (mon.reason, ==, "video below the diagnostic floor");
  s.below_floor = FALSE;
  s.now_us = s.last_rx_us = S (10);
  sl_link_monitor_update (&mon, &s, &restart);
  g_assert_cmpstr (mon.reason, ==, "bandwidth limits the video");
  g_assert_cmpint (mon.state, ==, SL_LINK_DEGRADED);
  g_assert_false (restart);
}

static void
test_odd_input (void)
{
  SlLinkMonitor mon;
  SlLinkSample s = { 0 };
  gboolean restart;

  sl_link_monitor_init (&mon, 0);
  /* A packet stamped after "now" (clock read in another order) is no
   * silence; NaN loss is unknown. */
  s.now_us = S (5);
  s.last_rx_us = S (6);
  s.residual_loss_pct = NAN;
  sl_link_monitor_update (&mon, &s, &restart);
  g_assert_cmpint (mon.state, ==, SL_LINK_GOOD);
  g_assert_false (restart);
  g_assert_cmpstr (sl_link_state_name ((SlLinkState)42), ==, "invalid");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/link/steady", test_steady_is_good);
  g_test_add_func ("/link/short-outage", test_short_outage_rides_through);
  g_test_add_func ("/link/default-restart", test_default_restart);
  g_test_add_func ("/link/long-outage", test_long_outage_restarts);
  g_test_add_func ("/link/own-stall", test_own_stall_is_not_silence);
  g_test_add_func ("/link/degraded", test_degraded_causes);
  g_test_add_func ("/link/odd-input", test_odd_input);
  return g_test_run ();
}
