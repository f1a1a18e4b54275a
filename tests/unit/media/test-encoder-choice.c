/* test-encoder-choice.c — the x264 settings chosen per bitrate, size and
 * measured encode time (media/rate/sl-encoder-choice.h). */
#include "sl-encoder-choice.h"

#include <string.h>

#define W720 1280
#define H720 720

/* The bits per pixel decide the budget: 1 Mbit/s at 720p30 is scarce,
 * 2 Mbit/s in between, 4 Mbit/s plenty; a smaller picture at the same
 * rate has more bits per pixel. */
static void
test_budget_bands (void)
{
  g_assert_cmpfloat (sl_encoder_budget_ms (W720, H720, 30, 1000), ==,
                     SL_ENCODER_BUDGET_SCARCE_MS);
  g_assert_cmpfloat (sl_encoder_budget_ms (W720, H720, 30, 2000), ==,
                     SL_ENCODER_BUDGET_MID_MS);
  g_assert_cmpfloat (sl_encoder_budget_ms (W720, H720, 30, 4000), ==,
                     SL_ENCODER_BUDGET_PLENTY_MS);
  g_assert_cmpfloat (sl_encoder_budget_ms (538, 538, 30, 1000), ==,
                     SL_ENCODER_BUDGET_PLENTY_MS);
  /* An unknown rate is taken as 30 fps, not as infinite bits. */
  g_assert_cmpfloat (sl_encoder_budget_ms (W720, H720, 0, 1000), ==,
                     SL_ENCODER_BUDGET_SCARCE_MS);
  g_assert_cmpfloat (SL_ENCODER_BUDGET_SCARCE_MS, >, SL_ENCODER_BUDGET_MID_MS);
  g_assert_cmpfloat (SL_ENCODER_BUDGET_MID_MS, >, SL_ENCODER_BUDGET_PLENTY_MS);
}

/* With the development machine's cost: scarce bits at 720p get the
 * strongest level, the latency-bound 4 Mbit/s the fastest, 1080p at
 * 4 Mbit/s the fastest too (it would not fit), a small native clip the
 * strongest at any rate. */
static void
test_choose_by_rate_and_size (void)
{
  SlEncoderBudget b;

  sl_encoder_budget_init (&b);
  g_assert_cmpint (sl_encoder_choose (&b, W720, H720, 30, 1000), ==,
                   SL_ENCODER_STRONG);
  g_assert_cmpint (sl_encoder_choose (&b, W720, H720, 30, 2000), ==,
                   SL_ENCODER_STRONG);
  g_assert_cmpint (sl_encoder_choose (&b, W720, H720, 30, 4000), ==,
                   SL_ENCODER_FAST);
  g_assert_cmpfloat (sl_encoder_predicted_ms (&b, SL_ENCODER_FAST, W720, H720),
                     <=, SL_ENCODER_BUDGET_PLENTY_MS);
  g_assert_cmpfloat (sl_encoder_predicted_ms (&b, SL_ENCODER_BASE, W720, H720),
                     >, SL_ENCODER_BUDGET_PLENTY_MS);
  g_assert_cmpint (sl_encoder_choose (&b, 1920, 1080, 30, 4000), ==,
                   SL_ENCODER_FAST);
  g_assert_cmpint (sl_encoder_choose (&b, 538, 538, 30, 4000), ==,
                   SL_ENCODER_STRONG);
  g_assert_cmpint (sl_encoder_choose (&b, 278, 278, 25, 300), ==,
                   SL_ENCODER_STRONG);
  /* A machine 2.5 times as slow: the 720p scarce case falls to BASE
   * (STRONG would take 11 ms of the 10 allowed). */
  b.fast_ns_per_pixel *= 2.5;
  g_assert_cmpint (sl_encoder_choose (&b, W720, H720, 30, 1000), ==,
                   SL_ENCODER_BASE);
  g_assert_cmpint (sl_encoder_choose (&b, W720, H720, 30, 4000), ==,
                   SL_ENCODER_FAST);
}

/* Over budget for SL_ENCODER_OVER_S seconds running: choose again,
 * lighter.  A second within budget starts the count again. */
static void
test_over_budget_lowers (void)
{
  SlEncoderBudget b;
  guint i;

  sl_encoder_budget_init (&b);
  /* STRONG at 1 Mbit/s, 720p: the budget is 10 ms and it takes 16. */
  for (i = 1; i < SL_ENCODER_OVER_S; i++)
    g_assert_false (sl_encoder_budget_measured (&b, SL_ENCODER_STRONG, W720,
                                                H720, 30, 1000, 16.0));
  g_assert_false (sl_encoder_budget_measured (&b, SL_ENCODER_STRONG, W720, H720,
                                              30, 1000, 8.0));
  for (i = 1; i < SL_ENCODER_OVER_S; i++)
    g_assert_false (sl_encoder_budget_measured (&b, SL_ENCODER_STRONG, W720,
                                                H720, 30, 1000, 16.0));
  g_assert_true (sl_encoder_budget_measured (&b, SL_ENCODER_STRONG, W720, H720,
                                             30, 1000, 16.0));
  g_assert_cmpint (sl_encoder_choose (&b, W720, H720, 30, 1000), <,
                   SL_ENCODER_STRONG);
  /* The count started again. */
  g_assert_false (sl_encoder_budget_measured (&b, SL_ENCODER_STRONG, W720, H720,
                                              30, 1000, 16.0));
}

/* The learnt cost follows the measured time of the level in force. */
static void
test_learns_cost (void)
{
  SlEncoderBudget b;
  gdouble before;
  guint i;

  sl_encoder_budget_init (&b);
  before = sl_encoder_predicted_ms (&b, SL_ENCODER_FAST, W720, H720);
  for (i = 0; i < 30; i++)
    sl_encoder_budget_measured (&b, SL_ENCODER_FAST, W720, H720, 30, 1000, 1.5);
  g_assert_cmpfloat_with_epsilon (
      sl_encoder_predicted_ms (&b, SL_ENCODER_FAST, W720, H720), 1.5, 0.01);
  g_assert_cmpfloat (before, >, 2.0);
  /* Nothing encoded says nothing. */
  sl_encoder_budget_measured (&b, SL_ENCODER_FAST, W720, H720, 30, 1000, 0);
  g_assert_cmpfloat_with_epsilon (
      sl_encoder_predicted_ms (&b, SL_ENCODER_FAST, W720, H720), 1.5, 0.01);
}

/* The lightest level has nothing lighter to fall to. */
static void
test_fast_is_the_floor (void)
{
  SlEncoderBudget b;
  guint i;

  sl_encoder_budget_init (&b);
  for (i = 0; i < 10 * SL_ENCODER_OVER_S; i++)
    g_assert_false (sl_encoder_budget_measured (&b, SL_ENCODER_FAST, W720, H720,
                                                30, 4000, 20.0));
}

/* Each level names the profile its options make: ultrafast alone is
 * Constrained Baseline; CABAC and the 8x8 transform need High; no level
 * turns adaptive quantisation on (it costs speckle about 1 dB). */
static void
test_profiles (void)
{
  const SlEncoderSettings *fast = sl_encoder_settings (SL_ENCODER_FAST);
  const SlEncoderSettings *base = sl_encoder_settings (SL_ENCODER_BASE);
  const SlEncoderSettings *strong = sl_encoder_settings (SL_ENCODER_STRONG);
  guint i;

  g_assert_cmpstr (fast->preset, ==, "ultrafast");
  g_assert_null (strstr (fast->options, "cabac=1"));
  /* Main for every level: an encoder reopened at another level keeps
   * the profile its SDP negotiated. */
  g_assert_cmpstr (fast->profile, ==, "main");
  g_assert_nonnull (strstr (base->options, "cabac=1"));
  /* Main, never High: a browser station cannot take High (Chromium's
   * receive capabilities), so no level may use the 8x8 transform. */
  g_assert_nonnull (strstr (base->options, "8x8dct=0"));
  g_assert_nonnull (strstr (base->options, "deblock="));
  g_assert_cmpstr (base->profile, ==, "main");
  g_assert_cmpstr (strong->preset, ==, "superfast");
  g_assert_nonnull (strstr (strong->options, "aq-mode=0"));
  g_assert_nonnull (strstr (strong->options, "8x8dct=0"));
  g_assert_cmpstr (strong->profile, ==, "main");
  for (i = 0; i < SL_ENCODER_N_LEVELS; i++)
    {
      g_assert_null (strstr (sl_encoder_settings (i)->options, "aq-mode=1"));
      g_assert_nonnull (sl_encoder_level_name (i));
    }
}

/* Runs @seconds ticks with @choice; the tick (1-based) of the first
 * reopening, 0 if none. */
static guint
ticks_until_switch (SlEncoderSwitch *sw, SlEncoderLevel current,
                    SlEncoderLevel choice, guint seconds)
{
  for (guint i = 1; i <= seconds; i++)
    if (sl_encoder_switch_tick (sw, current, choice))
      return i;
  return 0;
}

static void
test_switch_waits (void)
{
  SlEncoderSwitch sw;

  sl_encoder_switch_init (&sw);
  /* Opened at FAST; the rate falls, STRONG is the choice from second
   * 1: not before the encoder has been open SL_ENCODER_SWITCH_GAP_S. */
  g_assert_cmpuint (
      ticks_until_switch (&sw, SL_ENCODER_FAST, SL_ENCODER_STRONG, 30), ==,
      SL_ENCODER_SWITCH_GAP_S);
  /* Reopened at STRONG; the rate comes back at once: the next reopening
   * waits the gap again. */
  g_assert_cmpuint (
      ticks_until_switch (&sw, SL_ENCODER_STRONG, SL_ENCODER_FAST, 30), ==,
      SL_ENCODER_SWITCH_GAP_S);
  /* Long after: another level must be the choice SL_ENCODER_SWITCH_S
   * seconds running. */
  g_assert_cmpuint (
      ticks_until_switch (&sw, SL_ENCODER_FAST, SL_ENCODER_FAST, 20), ==, 0);
  g_assert_cmpuint (
      ticks_until_switch (&sw, SL_ENCODER_FAST, SL_ENCODER_BASE, 30), ==,
      SL_ENCODER_SWITCH_S);
}

static void
test_switch_needs_a_steady_choice (void)
{
  SlEncoderSwitch sw;

  sl_encoder_switch_init (&sw);
  g_assert_cmpuint (
      ticks_until_switch (&sw, SL_ENCODER_BASE, SL_ENCODER_BASE, 20), ==, 0);
  /* A rate hovering at a band's edge: the choice flips every second, and
   * the encoder is never reopened. */
  for (guint i = 0; i < 60; i++)
    g_assert_false (sl_encoder_switch_tick (
        &sw, SL_ENCODER_BASE, i % 2 ? SL_ENCODER_BASE : SL_ENCODER_STRONG));
  /* Two seconds of one choice, then another: the count starts again. */
  g_assert_cmpuint (
      ticks_until_switch (&sw, SL_ENCODER_BASE, SL_ENCODER_STRONG, 2), ==, 0);
  g_assert_cmpuint (
      ticks_until_switch (&sw, SL_ENCODER_BASE, SL_ENCODER_FAST, 10), ==,
      SL_ENCODER_SWITCH_S);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/encoder-choice/budget-bands", test_budget_bands);
  g_test_add_func ("/encoder-choice/choose", test_choose_by_rate_and_size);
  g_test_add_func ("/encoder-choice/over-budget", test_over_budget_lowers);
  g_test_add_func ("/encoder-choice/learns", test_learns_cost);
  g_test_add_func ("/encoder-choice/fast-floor", test_fast_is_the_floor);
  g_test_add_func ("/encoder-choice/profiles", test_profiles);
  g_test_add_func ("/encoder-choice/switch-waits", test_switch_waits);
  g_test_add_func ("/encoder-choice/switch-needs-a-steady-choice",
                   test_switch_needs_a_steady_choice);
  return g_test_run ();
}
