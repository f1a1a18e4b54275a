/* test-keyframe.c — keyframes on request, at most one per gap
 * (media/rate/sl-keyframe.h). */
#include "sl-keyframe.h"

#define MS(x) ((gint64)(x)*1000)

static void
test_first_passes (void)
{
  SlKeyframeLimit limit;
  guint wait = 0;

  sl_keyframe_limit_init (&limit, 0);
  g_assert_cmpuint (limit.gap_ms, ==, SL_KEYFRAME_GAP_MS);
  /* At any time, even a monotonic clock's first microseconds. */
  g_assert_cmpint (sl_keyframe_limit_request (&limit, 5, &wait), ==,
                   SL_KEYFRAME_NOW);
  g_assert_cmpuint (limit.requests, ==, 1);
}

/* A burst of requests makes one keyframe now and one when the gap has
 * passed, however many came in between. */
static void
test_burst (void)
{
  SlKeyframeLimit limit;
  guint wait = 0;

  sl_keyframe_limit_init (&limit, 300);
  g_assert_cmpint (sl_keyframe_limit_request (&limit, MS (1000), &wait), ==,
                   SL_KEYFRAME_NOW);
  g_assert_cmpint (sl_keyframe_limit_request (&limit, MS (1100), &wait), ==,
                   SL_KEYFRAME_DEFER);
  g_assert_cmpuint (wait, ==, 200);
  for (gint t = 1110; t < 1300; t += 33)
    g_assert_cmpint (sl_keyframe_limit_request (&limit, MS (t), &wait), ==,
                     SL_KEYFRAME_PENDING);
  sl_keyframe_limit_serve (&limit, MS (1300));
  /* The gap counts from the one served. */
  g_assert_cmpint (sl_keyframe_limit_request (&limit, MS (1450), &wait), ==,
                   SL_KEYFRAME_DEFER);
  g_assert_cmpuint (wait, ==, 150);
  sl_keyframe_limit_serve (&limit, MS (1600));
  g_assert_cmpint (sl_keyframe_limit_request (&limit, MS (1900), &wait), ==,
                   SL_KEYFRAME_NOW);
  g_assert_cmpuint (limit.requests, ==, 10);
}

/* A keyframe the sender made itself counts for the gap. */
static void
test_own_keyframe (void)
{
  SlKeyframeLimit limit;
  guint wait = 0;

  sl_keyframe_limit_init (&limit, 300);
  sl_keyframe_limit_made (&limit, MS (5000));
  g_assert_cmpint (sl_keyframe_limit_request (&limit, MS (5299), &wait), ==,
                   SL_KEYFRAME_DEFER);
  g_assert_cmpuint (wait, ==, 1);
  g_assert_cmpuint (limit.requests, ==, 1);
}

/* A keyframe of 64 kbit at a video rate of 100 kbit/s: requests are
 * served at most every 1.92 s (a third of the rate); a fast link keeps
 * the base gap; a rate of nothing, the base gap too; never over 3 s. */
static void
test_cost (void)
{
  SlKeyframeLimit limit;
  guint wait = 0;

  sl_keyframe_limit_init (&limit, 300);
  sl_keyframe_limit_set_cost (&limit, 64000, 100000);
  g_assert_cmpuint (limit.gap_ms, ==, 1920);
  g_assert_cmpint (sl_keyframe_limit_request (&limit, MS (1000), &wait), ==,
                   SL_KEYFRAME_NOW);
  g_assert_cmpint (sl_keyframe_limit_request (&limit, MS (1400), &wait), ==,
                   SL_KEYFRAME_DEFER);
  g_assert_cmpuint (wait, ==, 1520);
  sl_keyframe_limit_serve (&limit, MS (2920));
  sl_keyframe_limit_set_cost (&limit, 800000, 4000000);
  g_assert_cmpuint (limit.gap_ms, ==, 600);
  sl_keyframe_limit_set_cost (&limit, 80000, 4000000);
  g_assert_cmpuint (limit.gap_ms, ==, 300);
  sl_keyframe_limit_set_cost (&limit, 80000, 0);
  g_assert_cmpuint (limit.gap_ms, ==, 300);
  sl_keyframe_limit_set_cost (&limit, 1000000, 50000);
  g_assert_cmpuint (limit.gap_ms, ==, 3000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/keyframe/first-passes", test_first_passes);
  g_test_add_func ("/keyframe/burst", test_burst);
  g_test_add_func ("/keyframe/own-keyframe", test_own_keyframe);
  g_test_add_func ("/keyframe/cost", test_cost);
  return g_test_run ();
}
