/* test-keyframe-wait.c — asking for a keyframe until one comes
 * (media/recovery/sl-keyframe-wait.h). */
#include "sl-keyframe-wait.h"

#define MS(x) ((gint64)(x)*1000)

/* Nothing to ask while pictures decode: not before the first loss, and
 * not for delta pictures. */
static void
test_not_waiting (void)
{
  SlKeyframeWait w;

  sl_keyframe_wait_init (&w);
  g_assert_false (sl_keyframe_wait_due (&w, MS (0)));
  g_assert_false (sl_keyframe_wait_due (&w, MS (10000)));
  sl_keyframe_wait_picture (&w, FALSE);
  g_assert_false (sl_keyframe_wait_due (&w, MS (20000)));
  g_assert_cmpuint (w.repeats, ==, 0);
}

/* After a discontinuity the depayloader has asked once; the next request
 * is due when that one has gone unanswered for the interval, and the one
 * after counts from it, for as long as no keyframe comes. */
static void
test_asks_again_while_waiting (void)
{
  SlKeyframeWait w;

  sl_keyframe_wait_init (&w);
  sl_keyframe_wait_discont (&w, MS (1000));
  g_assert_false (
      sl_keyframe_wait_due (&w, MS (1000 + SL_KEYFRAME_WAIT_REPEAT_MS - 1)));
  g_assert_true (
      sl_keyframe_wait_due (&w, MS (1000 + SL_KEYFRAME_WAIT_REPEAT_MS)));
  g_assert_false (
      sl_keyframe_wait_due (&w, MS (1001 + SL_KEYFRAME_WAIT_REPEAT_MS)));
  /* Delta pictures do not end the wait (the depayloader drops them). */
  sl_keyframe_wait_picture (&w, FALSE);
  g_assert_true (
      sl_keyframe_wait_due (&w, MS (1000 + 2 * SL_KEYFRAME_WAIT_REPEAT_MS)));
  /* Long after, with no packet in between (an outage): one request at
   * once, not one for each interval missed. */
  g_assert_true (sl_keyframe_wait_due (&w, MS (60000)));
  g_assert_false (sl_keyframe_wait_due (&w, MS (60001)));
  g_assert_cmpuint (w.repeats, ==, 3);
}

/* A keyframe ends the wait; the next discontinuity starts another, whose
 * interval counts from the depayloader's own request. */
static void
test_keyframe_ends_wait (void)
{
  SlKeyframeWait w;

  sl_keyframe_wait_init (&w);
  sl_keyframe_wait_discont (&w, MS (1000));
  sl_keyframe_wait_picture (&w, TRUE);
  g_assert_false (sl_keyframe_wait_due (&w, MS (5000)));
  sl_keyframe_wait_discont (&w, MS (6000));
  g_assert_false (
      sl_keyframe_wait_due (&w, MS (6000 + SL_KEYFRAME_WAIT_REPEAT_MS - 1)));
  g_assert_true (
      sl_keyframe_wait_due (&w, MS (6000 + SL_KEYFRAME_WAIT_REPEAT_MS)));
  g_assert_cmpuint (w.repeats, ==, 1);
}

/* A burst of loss: each discontinuity is a request of the depayloader's
 * own, so none is added while they come faster than the interval. */
static void
test_burst_of_losses (void)
{
  SlKeyframeWait w;

  sl_keyframe_wait_init (&w);
  for (gint t = 0; t < 2000; t += 100)
    {
      sl_keyframe_wait_discont (&w, MS (t));
      g_assert_false (sl_keyframe_wait_due (&w, MS (t + 50)));
    }
  g_assert_cmpuint (w.repeats, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/keyframe-wait/not-waiting", test_not_waiting);
  g_test_add_func ("/keyframe-wait/asks-again-while-waiting",
                   test_asks_again_while_waiting);
  g_test_add_func ("/keyframe-wait/keyframe-ends-wait",
                   test_keyframe_ends_wait);
  g_test_add_func ("/keyframe-wait/burst-of-losses", test_burst_of_losses);
  return g_test_run ();
}
