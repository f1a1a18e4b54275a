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
  return g_test_run ();
}
