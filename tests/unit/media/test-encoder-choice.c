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
 * strongest level, the latency-bound 4 Mbit/s one that fits 4 ms, a
 * 1080p picture the lightest, a small native clip the strongest. */
static void
test_choose_by_rate_and_size (void)
{
  SlEncoderBudget b;

  sl_encoder_budget_init (&b);
  g_assert_cmpint (sl_encoder_choose (&b, W720, H720, 30, 1000), ==,
                   SL_ENCODER_STRONG);
  g_assert_cmpint (sl_encoder_choose (&b, W720, H720, 30, 4000), ==,
                   SL_ENCODER_BASE);
  g_assert_cmpfloat (sl_encoder_predicted_ms (&b, SL_ENCODER_BASE, W720, H720),
                     <=, SL_ENCODER_BUDGET_PLENTY_MS);
  g_assert_cmpfloat (
      sl_encoder_predicted_ms (&b, SL_ENCODER_STRONG, W720, H720), >,
      SL_ENCODER_BUDGET_PLENTY_MS);
  g_assert_cmpint (sl_encoder_choose (&b, 1920, 1080, 30, 4000), ==,
                   SL_ENCODER_LEAN);
  g_assert_cmpint (sl_encoder_choose (&b, 538, 538, 30, 4000), ==,
                   SL_ENCODER_STRONG);
  /* A machine twice as slow: the 720p scarce case still fits STRONG
   * (10 ms), the 4 Mbit/s one falls to LEAN. */
  b.lean_ns_per_pixel *= 2;
  g_assert_cmpint (sl_encoder_choose (&b, W720, H720, 30, 1000), ==,
                   SL_ENCODER_STRONG);
  g_assert_cmpint (sl_encoder_choose (&b, W720, H720, 30, 4000), ==,
                   SL_ENCODER_LEAN);
}

/* Over budget for SL_ENCODER_OVER_S seconds running: choose again,
 * lighter.  A second within budget starts the count again. */
static void
test_over_budget_lowers (void)
{
  SlEncoderBudget b;
  guint i;

  sl_encoder_budget_init (&b);
  /* BASE at 4 Mbit/s, 720p: the budget is 4 ms and it takes 6. */
  for (i = 1; i < SL_ENCODER_OVER_S; i++)
    g_assert_false (sl_encoder_budget_measured (&b, SL_ENCODER_BASE, W720, H720,
                                                30, 4000, 6.0));
  g_assert_false (sl_encoder_budget_measured (&b, SL_ENCODER_BASE, W720, H720,
                                              30, 4000, 3.0));
  for (i = 1; i < SL_ENCODER_OVER_S; i++)
    g_assert_false (sl_encoder_budget_measured (&b, SL_ENCODER_BASE, W720, H720,
                                                30, 4000, 6.0));
  g_assert_true (sl_encoder_budget_measured (&b, SL_ENCODER_BASE, W720, H720,
                                             30, 4000, 6.0));
  g_assert_cmpint (sl_encoder_choose (&b, W720, H720, 30, 4000), ==,
                   SL_ENCODER_LEAN);
  /* The count started again. */
  g_assert_false (sl_encoder_budget_measured (&b, SL_ENCODER_BASE, W720, H720,
                                              30, 4000, 6.0));
}

/* The learnt cost follows the measured time of the level in force. */
static void
test_learns_cost (void)
{
  SlEncoderBudget b;
  gdouble before;
  guint i;

  sl_encoder_budget_init (&b);
  before = sl_encoder_predicted_ms (&b, SL_ENCODER_LEAN, W720, H720);
  for (i = 0; i < 30; i++)
    sl_encoder_budget_measured (&b, SL_ENCODER_LEAN, W720, H720, 30, 1000, 1.5);
  g_assert_cmpfloat_with_epsilon (
      sl_encoder_predicted_ms (&b, SL_ENCODER_LEAN, W720, H720), 1.5, 0.01);
  g_assert_cmpfloat (before, >, 2.0);
  /* Nothing encoded says nothing. */
  sl_encoder_budget_measured (&b, SL_ENCODER_LEAN, W720, H720, 30, 1000, 0);
  g_assert_cmpfloat_with_epsilon (
      sl_encoder_predicted_ms (&b, SL_ENCODER_LEAN, W720, H720), 1.5, 0.01);
}

/* The lightest level has nothing lighter to fall to. */
static void
test_lean_is_the_floor (void)
{
  SlEncoderBudget b;
  guint i;

  sl_encoder_budget_init (&b);
  for (i = 0; i < 10 * SL_ENCODER_OVER_S; i++)
    g_assert_false (sl_encoder_budget_measured (&b, SL_ENCODER_LEAN, W720, H720,
                                                30, 4000, 20.0));
}

/* Every level keeps CABAC and the 8x8 transform: the High profile the
 * caps and the SDP announce holds whichever level is in force. */
static void
test_profile_holds (void)
{
  guint i;

  for (i = 0; i < SL_ENCODER_N_LEVELS; i++)
    {
      const SlEncoderSettings *s = sl_encoder_settings (i);

      g_assert_nonnull (strstr (s->options, "cabac=1"));
      g_assert_nonnull (strstr (s->options, "8x8dct=1"));
      g_assert_cmpuint (s->speed_preset, >=, 1);
      g_assert_nonnull (sl_encoder_level_name (i));
    }
  g_assert_cmpstr (sl_encoder_settings (SL_ENCODER_STRONG)->preset, ==,
                   "superfast");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/encoder-choice/budget-bands", test_budget_bands);
  g_test_add_func ("/encoder-choice/choose", test_choose_by_rate_and_size);
  g_test_add_func ("/encoder-choice/over-budget", test_over_budget_lowers);
  g_test_add_func ("/encoder-choice/learns", test_learns_cost);
  g_test_add_func ("/encoder-choice/lean-floor", test_lean_is_the_floor);
  g_test_add_func ("/encoder-choice/profile", test_profile_holds);
  return g_test_run ();
}
