/* test-freeze.c — freezes by the W3C webrtc-stats rule
 * (media/measure/sl-freeze.h). */
#include "sl-freeze.h"

#define MS(x) ((gint64)(x)*1000)

static void
test_steady (void)
{
  SlFreeze f = { 0 };
  gint64 t = MS (1000);

  for (guint i = 0; i < 100; i++, t += MS (33))
    g_assert_false (sl_freeze_frame (&f, t));
  g_assert_cmpuint (f.freezes, ==, 0);
  g_assert_cmpfloat_with_epsilon (f.interval_ms, 33, 0.01);
}

/* At 30 fps a freeze is a gap over 183 ms (the mean + 150). */
static void
test_freeze_counted (void)
{
  SlFreeze f = { 0 };
  gint64 t = MS (1000);

  for (guint i = 0; i < 50; i++, t += MS (33))
    sl_freeze_frame (&f, t);
  t += MS (150 - 33); /* a 150 ms gap: not a freeze */
  g_assert_false (sl_freeze_frame (&f, t));
  t += MS (400);
  g_assert_true (sl_freeze_frame (&f, t));
  g_assert_cmpuint (f.freezes, ==, 1);
  g_assert_cmpfloat_with_epsilon (f.freeze_ms, 400, 0.01);
  g_assert_cmpfloat_with_epsilon (f.longest_ms, 400, 0.01);
  /* When the picture came back, and after how long. */
  g_assert_cmpint (f.last_end_us, ==, t);
  g_assert_cmpfloat_with_epsilon (f.last_ms, 400, 0.01);
  /* The freeze did not move the mean: a second one right after is
   * counted too. */
  t += MS (300);
  g_assert_true (sl_freeze_frame (&f, t));
  g_assert_cmpuint (f.freezes, ==, 2);
  g_assert_cmpfloat_with_epsilon (f.freeze_ms, 700, 0.01);
  g_assert_cmpfloat_with_epsilon (f.longest_ms, 400, 0.01);
}

/* At 5 fps (200 ms a frame) a freeze needs 600 ms. */
static void
test_slow_source (void)
{
  SlFreeze f = { 0 };
  gint64 t = MS (1000);

  for (guint i = 0; i < 30; i++, t += MS (200))
    sl_freeze_frame (&f, t);
  t += MS (500 - 200);
  g_assert_false (sl_freeze_frame (&f, t));
  t += MS (700);
  g_assert_true (sl_freeze_frame (&f, t));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/freeze/steady", test_steady);
  g_test_add_func ("/freeze/counted", test_freeze_counted);
  g_test_add_func ("/freeze/slow-source", test_slow_source);
  return g_test_run ();
}
