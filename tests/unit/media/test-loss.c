/* test-loss.c — one second's loss from cumulative counters
 * (media/recovery/sl-loss.h). */
#include "sl-loss.h"
#include <math.h>

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

/* What the link lost and what was repaired, over each second, from the
 * jitter buffers' totals and the repairs'. */
static void
test_repair (void)
{
  SlRepairMeter m = { 0 };
  gdouble lost, repaired;

  sl_repair_meter_update (&m, 1000, 0, 0, &lost, &repaired);
  g_assert_cmpfloat (lost, ==, 0);
  g_assert_cmpfloat (repaired, ==, 0);
  /* 100 expected: 90 passed (8 of them repaired), 10 given up. */
  sl_repair_meter_update (&m, 1090, 10, 8, &lost, &repaired);
  g_assert_cmpfloat_with_epsilon (lost, 18.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (repaired, 8.0, 1e-9);
  /* Nothing expected: unknown. */
  sl_repair_meter_update (&m, 1090, 10, 8, &lost, &repaired);
  g_assert_cmpfloat (lost, <, 0);
  g_assert_cmpfloat (repaired, <, 0);
  /* A new stream: its counters from zero. */
  sl_repair_meter_update (&m, 50, 0, 5, &lost, &repaired);
  g_assert_cmpfloat_with_epsilon (lost, 10.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (repaired, 10.0, 1e-9);
  /* More repairs counted than packets passed (counters read apart): at
   * most all of them. */
  sl_repair_meter_update (&m, 60, 0, 50, &lost, &repaired);
  g_assert_cmpfloat_with_epsilon (lost, 100.0, 1e-9);
}

/* The sender judges the loss its viewer reports: what was lost and not
 * repaired. */
static void
test_residual_of_peer (void)
{
  g_assert_cmpfloat_with_epsilon (sl_loss_residual_of_peer (40.3, 12.5), 27.8,
                                  1e-9);
  g_assert_cmpfloat (sl_loss_residual_of_peer (8.2, 8.2), ==, 0);
  g_assert_cmpfloat (sl_loss_residual_of_peer (0, 0), ==, 0);
  /* Unknown either way: no figure. */
  g_assert_cmpfloat (sl_loss_residual_of_peer (-1, -1), ==, -1);
  g_assert_cmpfloat (sl_loss_residual_of_peer (5, -1), ==, -1);
  g_assert_cmpfloat (sl_loss_residual_of_peer (NAN, 0), ==, -1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/loss/sent", test_sent);
  g_test_add_func ("/loss/opus", test_opus);
  g_test_add_func ("/loss/residual", test_residual);
  g_test_add_func ("/loss/repair", test_repair);
  g_test_add_func ("/loss/residual-of-peer", test_residual_of_peer);
  return g_test_run ();
}
