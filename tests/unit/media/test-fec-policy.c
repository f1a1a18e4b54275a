/* test-fec-policy.c — when the township switches FEC on and off, and how
 * much it adds (sl-fec-policy.h), on synthetic one-second measurements. */
#include "sl-fec-policy.h"

static void
test_short_round_trip_stays_off (void)
{
  SlFecPolicy p;

  sl_fec_policy_init (&p);
  /* 2 % loss at 30 ms: retransmission is quick enough. */
  for (guint i = 0; i < 30; i++)
    g_assert_cmpuint (sl_fec_policy_update (&p, 30, 2, FALSE), ==, 0);
  /* A long round trip without loss needs no repair either. */
  sl_fec_policy_init (&p);
  for (guint i = 0; i < 30; i++)
    g_assert_cmpuint (sl_fec_policy_update (&p, 250, 0, FALSE), ==, 0);
}

static void
test_long_round_trip_with_loss_turns_on (void)
{
  SlFecPolicy p;

  sl_fec_policy_init (&p);
  /* 2 % at 250 ms: on in the third second in a row, 15 points per
   * percent. */
  g_assert_cmpuint (sl_fec_policy_update (&p, 250, 2, FALSE), ==, 0);
  g_assert_cmpuint (sl_fec_policy_update (&p, 250, 2, FALSE), ==, 0);
  g_assert_cmpuint (sl_fec_policy_update (&p, 250, 2, FALSE), ==, 30);
  g_assert_cmpuint (sl_fec_policy_update (&p, 250, 2, FALSE), ==, 30);
  /* Heavier loss: more, at once, up to the maximum. */
  for (guint i = 0; i < 5; i++)
    sl_fec_policy_update (&p, 250, 10, FALSE);
  g_assert_cmpuint (p.percent, ==, 50);
}

/* Turns @p on at @loss_pct (250 ms). */
static void
turn_on (SlFecPolicy *p, gdouble loss_pct)
{
  for (guint i = 0; i < p->on_after_s; i++)
    sl_fec_policy_update (p, 250, loss_pct, FALSE);
  g_assert_cmpuint (p->percent, >, 0);
}

static void
test_one_odd_round_trip_is_not_enough (void)
{
  SlFecPolicy p;

  sl_fec_policy_init (&p);
  /* 30 ms with 2 % loss, and now and then one sample of a second: no. */
  for (guint i = 0; i < 30; i++)
    g_assert_cmpuint (
        sl_fec_policy_update (&p, i % 5 == 4 ? 1160 : 30, 2, FALSE), ==, 0);
}

static void
test_share_falls_slowly (void)
{
  SlFecPolicy p;
  guint before, now;

  sl_fec_policy_init (&p);
  for (guint i = 0; i < 10; i++)
    sl_fec_policy_update (&p, 250, 3, FALSE);
  g_assert_cmpuint (p.percent, ==, 45);
  /* Loss down to 1 %: two points a second at most, to 15. */
  for (guint i = 0; i < 30; i++)
    {
      before = p.percent;
      now = sl_fec_policy_update (&p, 250, 1, FALSE);
      g_assert_cmpuint (now, <=, before);
      g_assert_cmpuint (before - now, <=, 2);
    }
  g_assert_cmpuint (p.percent, ==, 15);
}

static void
test_off_only_after_calm_seconds (void)
{
  SlFecPolicy p;

  sl_fec_policy_init (&p);
  turn_on (&p, 2);
  /* The round trip falls to 40 ms: nine calm seconds keep it on... */
  for (guint i = 0; i < 9; i++)
    g_assert_cmpuint (sl_fec_policy_update (&p, 40, 2, FALSE), ==, 30);
  /* ...a long one in between starts the count again... */
  g_assert_cmpuint (sl_fec_policy_update (&p, 250, 2, FALSE), ==, 30);
  for (guint i = 0; i < 9; i++)
    g_assert_cmpuint (sl_fec_policy_update (&p, 40, 2, FALSE), ==, 30);
  /* ...and the tenth in a row turns it off. */
  g_assert_cmpuint (sl_fec_policy_update (&p, 40, 2, FALSE), ==, 0);
  /* Between the thresholds (90 ms) it does not come back on. */
  g_assert_cmpuint (sl_fec_policy_update (&p, 90, 2, FALSE), ==, 0);
}

static void
test_loss_is_smoothed (void)
{
  SlFecPolicy p;

  sl_fec_policy_init (&p);
  /* One lossy second among clean ones is not enough (a third of 1 %). */
  sl_fec_policy_update (&p, 250, 0, FALSE);
  g_assert_cmpuint (sl_fec_policy_update (&p, 250, 1, FALSE), ==, 0);
  g_assert_cmpfloat_with_epsilon (p.loss_pct, 1.0 / 3, 1e-9);
}

static void
test_full_link_gets_no_fec (void)
{
  SlFecPolicy p;

  sl_fec_policy_init (&p);
  /* A queue filling up: a long round trip and overflow losses, the video
   * held well below its rate.  No FEC, and off at once if it was on. */
  g_assert_cmpuint (sl_fec_policy_update (&p, 280, 5, TRUE), ==, 0);
  turn_on (&p, 2);
  g_assert_cmpuint (sl_fec_policy_update (&p, 280, 5, TRUE), ==, 0);
  g_assert_cmpuint (p.percent, ==, 0);
}

static void
test_unknown_changes_nothing (void)
{
  SlFecPolicy p;

  sl_fec_policy_init (&p);
  g_assert_cmpuint (sl_fec_policy_update (&p, -1, 5, FALSE), ==, 0);
  g_assert_cmpuint (sl_fec_policy_update (&p, 250, -1, FALSE), ==, 0);
  turn_on (&p, 2);
  g_assert_cmpuint (sl_fec_policy_update (&p, -1, -1, FALSE), ==, 30);
  g_assert_cmpuint (sl_fec_policy_update (&p, 1.0 / 0.0, 2, FALSE), ==, 30);
}

static SlFecInput
input (gdouble rtcp, gdouble dc, gdouble loss)
{
  SlFecInput in = { rtcp, dc, loss, -1, FALSE };
  return in;
}

/* The round trip is the smaller of RTCP's and the ping's. */
static void
test_round_trip_smaller_of_two (void)
{
  SlFecPolicy p;
  SlFecInput in;

  sl_fec_policy_init (&p);
  g_assert_cmpfloat (p.rtt_ms, <, 0);
  in = input (250, 30, 2);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpuint (sl_fec_policy_tick (&p, &in), ==, 0);
  g_assert_cmpfloat (p.rtt_ms, ==, 30);
  /* Either alone does. */
  sl_fec_policy_init (&p);
  in = input (-1, 250, 2);
  sl_fec_policy_tick (&p, &in);
  g_assert_cmpfloat (p.rtt_ms, ==, 250);
  in = input (240, -1, 2);
  sl_fec_policy_tick (&p, &in);
  g_assert_cmpfloat (p.rtt_ms, ==, 240);
}

/* A stale outlier of both measurements, repeated for seconds, must not
 * switch FEC on for a 30 ms path (a 1079 ms RTCP figure and a 98 ms ping
 * stayed three seconds in a uplink-loss run and did). */
static void
test_stale_outlier_is_not_a_long_path (void)
{
  SlFecPolicy p;
  SlFecInput in;

  sl_fec_policy_init (&p);
  for (guint i = 0; i < 20; i++)
    {
      in = input (31, 32, 2);
      g_assert_cmpuint (sl_fec_policy_tick (&p, &in), ==, 0);
    }
  for (guint i = 0; i < 4; i++)
    {
      in = input (1078.8, 140, 2);
      g_assert_cmpuint (sl_fec_policy_tick (&p, &in), ==, 0);
    }
  in = input (33, 31, 2);
  g_assert_cmpuint (sl_fec_policy_tick (&p, &in), ==, 0);
}

/* A path that becomes long does get FEC, a window's worth later. */
static void
test_path_becomes_long (void)
{
  SlFecPolicy p;
  SlFecInput in;
  guint on_at = 0;

  sl_fec_policy_init (&p);
  for (guint i = 0; i < 10; i++)
    {
      in = input (30, 30, 2);
      sl_fec_policy_tick (&p, &in);
    }
  for (guint i = 1; i <= 20 && on_at == 0; i++)
    {
      in = input (250, 251, 2);
      if (sl_fec_policy_tick (&p, &in) > 0)
        on_at = i;
    }
  /* The window forgets the short samples after SL_FEC_RTT_WINDOW_S
   * seconds, then on_after_s seconds in a row. */
  g_assert_cmpuint (on_at, ==, SL_FEC_RTT_WINDOW_S + p.on_after_s - 1);
}

/* The controller's loss when there is a controller, RTCP's when the rate
 * is fixed. */
static void
test_loss_source (void)
{
  SlFecPolicy p;
  SlFecInput in = { 250, 250, 0, 5, FALSE };

  sl_fec_policy_init (&p);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpuint (sl_fec_policy_tick (&p, &in), ==, 0);
  in.controller_loss_pct = -1;
  for (guint i = 0; i < 3; i++)
    sl_fec_policy_tick (&p, &in);
  g_assert_cmpuint (p.percent, >, 0);
  /* A full link gets none, whatever the rest says. */
  in.link_full = TRUE;
  g_assert_cmpuint (sl_fec_policy_tick (&p, &in), ==, 0);
}

/* The viewer counts FEC as arriving for five seconds after the last. */
static void
test_arrival (void)
{
  SlFecArrival a = { 0 };
  gint64 s = G_USEC_PER_SEC;

  g_assert_false (sl_fec_arrival_update (&a, 0, 1 * s));
  g_assert_true (sl_fec_arrival_update (&a, 3, 2 * s));
  g_assert_true (sl_fec_arrival_update (&a, 3, 6 * s));
  g_assert_false (sl_fec_arrival_update (&a, 3, 7 * s));
  g_assert_true (sl_fec_arrival_update (&a, 4, 8 * s));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fec-policy/short-round-trip-stays-off",
                   test_short_round_trip_stays_off);
  g_test_add_func ("/fec-policy/long-round-trip-with-loss-turns-on",
                   test_long_round_trip_with_loss_turns_on);
  g_test_add_func ("/fec-policy/one-odd-round-trip-is-not-enough",
                   test_one_odd_round_trip_is_not_enough);
  g_test_add_func ("/fec-policy/share-falls-slowly", test_share_falls_slowly);
  g_test_add_func ("/fec-policy/off-only-after-calm-seconds",
                   test_off_only_after_calm_seconds);
  g_test_add_func ("/fec-policy/loss-is-smoothed", test_loss_is_smoothed);
  g_test_add_func ("/fec-policy/full-link-gets-no-fec",
                   test_full_link_gets_no_fec);
  g_test_add_func ("/fec-policy/unknown-changes-nothing",
                   test_unknown_changes_nothing);
  g_test_add_func ("/fec-policy/round-trip-smaller-of-two",
                   test_round_trip_smaller_of_two);
  g_test_add_func ("/fec-policy/stale-outlier-is-not-a-long-path",
                   test_stale_outlier_is_not_a_long_path);
  g_test_add_func ("/fec-policy/path-becomes-long", test_path_becomes_long);
  g_test_add_func ("/fec-policy/loss-source", test_loss_source);
  g_test_add_func ("/fec-policy/arrival", test_arrival);
  return g_test_run ();
}
