/* test-stage.c — the per-frame stage timer of sl-stage.h. */
#include "sl-stage.h"

static void
test_pairs_by_pts (void)
{
  SlStage s;

  sl_stage_init (&s);
  sl_stage_begin (&s, 1 * GST_MSECOND, 1000);
  sl_stage_begin (&s, 2 * GST_MSECOND, 2000);
  sl_stage_begin (&s, 3 * GST_MSECOND, 3000);
  /* Out of order, and one never seen: matched by timestamp, the stranger
   * ignored, each pts used once. */
  g_assert_cmpfloat (sl_stage_end (&s, 2 * GST_MSECOND, 6000), ==, 4.0);
  g_assert_cmpfloat (sl_stage_end (&s, 9 * GST_MSECOND, 6000), ==, -1);
  g_assert_cmpfloat (sl_stage_end (&s, 1 * GST_MSECOND, 3000), ==, 2.0);
  g_assert_cmpfloat (sl_stage_end (&s, 1 * GST_MSECOND, 9000), ==, -1);
  g_assert_cmpfloat (sl_stage_end (&s, 3 * GST_MSECOND, 9000), ==, 6.0);
  g_assert_cmpfloat (sl_stage_end (&s, GST_CLOCK_TIME_NONE, 9000), ==, -1);
  /* Median of 2, 4, 6; then a fresh window. */
  g_assert_cmpfloat (sl_stage_take_median (&s), ==, 4.0);
  g_assert_cmpfloat (sl_stage_take_median (&s), ==, -1);
}

static void
test_ring_forgets_oldest (void)
{
  SlStage s;

  sl_stage_init (&s);
  for (guint i = 0; i < SL_STAGE_RING + 1; i++)
    sl_stage_begin (&s, i * GST_MSECOND, i * 1000);
  /* The first begin was overwritten; the newest are all there. */
  g_assert_cmpfloat (sl_stage_end (&s, 0, 100000), ==, -1);
  g_assert_cmpfloat (sl_stage_end (&s, SL_STAGE_RING * GST_MSECOND,
                                   SL_STAGE_RING * 1000 + 500),
                     ==, 0.5);
}

static void
test_window_is_bounded (void)
{
  SlStage s;

  sl_stage_init (&s);
  for (guint i = 0; i < SL_STAGE_WINDOW + 100; i++)
    sl_stage_add (&s, i < SL_STAGE_WINDOW ? 1.0 : 1000.0);
  /* Values past the window's room are not kept (nor written past it). */
  g_assert_cmpuint (s.n, ==, SL_STAGE_WINDOW);
  g_assert_cmpfloat (sl_stage_take_median (&s), ==, 1.0);
}

static void
test_percentile (void)
{
  gdouble v[] = { 5, 1, 4, 2, 3, 10, 9, 8, 7, 6 };

  g_assert_cmpfloat (sl_percentile (v, 10, 50), ==, 5);
  g_assert_cmpfloat (sl_percentile (v, 10, 95), ==, 10);
  g_assert_cmpfloat (sl_percentile (v, 10, 100), ==, 10);
  g_assert_cmpfloat (sl_percentile (v, 10, 0), ==, 1);
  g_assert_cmpfloat (sl_percentile (v, 10, 11), ==, 2);
  g_assert_cmpfloat (sl_percentile (v, 0, 50), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stage/pairs", test_pairs_by_pts);
  g_test_add_func ("/stage/ring", test_ring_forgets_oldest);
  g_test_add_func ("/stage/window", test_window_is_bounded);
  g_test_add_func ("/stage/percentile", test_percentile);
  return g_test_run ();
}
