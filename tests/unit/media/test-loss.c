/* test-loss.c — one second's loss from cumulative counters
 * (media/recovery/sl-loss.h). */
#include "sl-loss.h"

static void
test_sent (void)
{
  SlLossMeter m = { 0 };

  /* 1000 sent, 20 lost: 2 % this second, 0.6 % smoothed. */
  g_assert_cmpfloat_with_epsilon (sl_loss_meter_sent (&m, 1000, 20), 0.6, 1e-9);
  /* Another 2 %: 0.7 x 0.6 + 0.3 x 2. */
  g_assert_cmpfloat_with_epsilon (sl_loss_meter_sent (&m, 2000, 40), 1.02,
                                  1e-9);
  /* Nothing sent: no loss this second. */
  g_assert_cmpfloat_with_epsilon (sl_loss_meter_sent (&m, 2000, 40), 0.714,
                                  1e-9);
  /* A lost count that went back (a new RTCP source) is no loss either. */
  g_assert_cmpfloat_with_epsilon (sl_loss_meter_sent (&m, 3000, 10), 0.4998,
                                  1e-9);
}

static void
test_opus (void)
{
  g_assert_cmpint (sl_loss_opus_percentage (0), ==, SL_LOSS_OPUS_MIN_PCT);
  g_assert_cmpint (sl_loss_opus_percentage (7.2), ==, 8);
  g_assert_cmpint (sl_loss_opus_percentage (90), ==, SL_LOSS_OPUS_MAX_PCT);
  g_assert_cmpint (sl_loss_opus_percentage (0.0 / 0.0), ==,
                   SL_LOSS_OPUS_MIN_PCT);
}

static void
test_residual (void)
{
  SlLossMeter m = { 0 };

  g_assert_cmpfloat (sl_loss_meter_residual (&m, 0, 0), ==, -1);
  /* 990 passed on, 10 given up on. */
  g_assert_cmpfloat_with_epsilon (sl_loss_meter_residual (&m, 990, 10), 1.0,
                                  1e-9);
  g_assert_cmpfloat (sl_loss_meter_residual (&m, 1990, 10), ==, 0);
  g_assert_cmpfloat (sl_loss_meter_residual (&m, 1990, 10), ==, -1);
  /* Totals that went back (a jitter buffer made anew) give no figure for
   * that second, and count from there on. */
  g_assert_cmpfloat (sl_loss_meter_residual (&m, 100, 0), ==, -1);
  g_assert_cmpfloat_with_epsilon (sl_loss_meter_residual (&m, 196, 4), 4.0,
                                  1e-9);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/loss/sent", test_sent);
  g_test_add_func ("/loss/opus", test_opus);
  g_test_add_func ("/loss/residual", test_residual);
  return g_test_run ();
}
