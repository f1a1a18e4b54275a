/* test-frame-gate.c — the frames the encoder gets at a lower frame rate
 * (sl-frame-gate.h), on timestamp sequences like a capture's. */
#include "sl-frame-gate.h"

#define SOURCE_US 33333 /* 30 fps */

/* Of @n frames at 30 fps with up to @jitter_us of capture jitter, how
 * many pass at @interval_us; each passed frame is at least
 * @interval_us - SOURCE_US / 2 after the one before, give or take the
 * jitter of both. */
static guint
run (SlFrameGate *g, guint n, gint64 interval_us, gint64 jitter_us,
     guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  gint64 last = -1;
  guint passed = 0;

  for (guint i = 0; i < n; i++)
    {
      gint64 ts = G_USEC_PER_SEC + (gint64)i * SOURCE_US
                  + (jitter_us ? g_rand_int_range (rand, (gint32)-jitter_us,
                                                   (gint32)jitter_us)
                               : 0);

      if (!sl_frame_gate_pass (g, ts, interval_us, SOURCE_US))
        continue;
      if (last >= 0)
        g_assert_cmpint (ts - last, >=,
                         interval_us - SOURCE_US / 2 - 2 * jitter_us);
      last = ts;
      passed++;
    }
  return passed;
}

static void
test_rates (void)
{
  SlFrameGate g;

  /* Every frame at the full rate. */
  sl_frame_gate_init (&g);
  g_assert_cmpuint (run (&g, 300, 0, 0, 1), ==, 300);
  /* 15, 10 and 5 fps of 10 s of 30 fps, exactly, even with 5 ms of
   * capture jitter. */
  for (gint64 jitter = 0; jitter <= 5000; jitter += 5000)
    {
      sl_frame_gate_init (&g);
      g_assert_cmpuint (run (&g, 300, 1000000 / 15, jitter, 2), ==, 150);
      sl_frame_gate_init (&g);
      g_assert_cmpuint (run (&g, 300, 1000000 / 10, jitter, 3), ==, 100);
      sl_frame_gate_init (&g);
      g_assert_cmpuint (run (&g, 300, 1000000 / 5, jitter, 4), ==, 50);
      g_assert_cmpuint (g.dropped, ==, 250);
    }
}

static void
test_changes_and_gaps (void)
{
  SlFrameGate g;

  sl_frame_gate_init (&g);
  /* The first frame always passes; then 5 fps. */
  g_assert_true (sl_frame_gate_pass (&g, 1000000, 200000, SOURCE_US));
  g_assert_false (sl_frame_gate_pass (&g, 1033333, 200000, SOURCE_US));
  /* Back to every frame: the next one passes at once. */
  g_assert_true (sl_frame_gate_pass (&g, 1066666, 0, SOURCE_US));
  /* A capture stall: the first frame after it passes. */
  g_assert_true (sl_frame_gate_pass (&g, 5000000, 200000, SOURCE_US));
  g_assert_false (sl_frame_gate_pass (&g, 5033333, 200000, SOURCE_US));
  /* Time going back (a new stream) starts again there. */
  g_assert_true (sl_frame_gate_pass (&g, 100, 200000, SOURCE_US));
  g_assert_false (sl_frame_gate_pass (&g, 33433, 200000, SOURCE_US));
  /* Untimed frames pass and change nothing. */
  g_assert_true (sl_frame_gate_pass (&g, -1, 200000, SOURCE_US));
  g_assert_false (sl_frame_gate_pass (&g, 66766, 200000, SOURCE_US));
  g_assert_true (sl_frame_gate_pass (&g, 200100, 200000, SOURCE_US));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/frame-gate/rates", test_rates);
  g_test_add_func ("/frame-gate/changes-and-gaps", test_changes_and_gaps);
  return g_test_run ();
}
