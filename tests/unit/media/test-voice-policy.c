/* test-voice-policy.c — the voice's packing from the link's rate
 * (sl-voice-policy.h), on target sequences in simulated time. */
#include "sl-voice-policy.h"

#define SEC G_USEC_PER_SEC

/* What each packing costs on the wire: 10 ms frames spend more on
 * headers than on voice. */
static void
test_costs (void)
{
  SlVoiceDecision d;

  sl_voice_policy_describe (SL_VOICE_WIDE, &d);
  g_assert_cmpuint (d.frame_ms, ==, 10);
  /* 100 packets of 40 + 58 bytes, and the data channels. */
  g_assert_cmpuint (d.cost_bps, ==, 100 * 98 * 8 + SL_VOICE_DATA_BPS);
  g_assert_false (d.dtx);
  sl_voice_policy_describe (SL_VOICE_MEDIUM, &d);
  g_assert_cmpuint (d.frame_ms, ==, 20);
  g_assert_cmpuint (d.cost_bps, ==, 50 * (60 + 58) * 8 + SL_VOICE_DATA_BPS);
  sl_voice_policy_describe (SL_VOICE_TIGHT, &d);
  g_assert_cmpuint (d.frame_ms, ==, 60);
  g_assert_true (d.dtx);
  g_assert_cmpuint (d.cost_bps, ==, 16 * (120 + 58) * 8 + SL_VOICE_DATA_BPS);
  g_assert_cmpuint (d.cost_bps, <, 40000);
  g_assert_cmpstr (sl_voice_packing_name (SL_VOICE_TIGHT), ==, "tight");
}

/* Down at once, up only after 3 s of a target 30 % above the line. */
static void
test_hysteresis (void)
{
  SlVoicePolicy p;
  SlVoiceDecision d;
  gint64 t = 0;

  sl_voice_policy_init (&p);
  sl_voice_policy_update (&p, 4000000, t, &d);
  g_assert_cmpuint (d.frame_ms, ==, 10);
  g_assert_false (d.changed);
  /* A collapse: straight to 60 ms frames. */
  sl_voice_policy_update (&p, 200000, t += SEC, &d);
  g_assert_true (d.changed);
  g_assert_cmpuint (d.frame_ms, ==, 60);
  /* 450 kbit/s is above 400 but not 30 % above: stay. */
  for (guint i = 0; i < 10; i++)
    sl_voice_policy_update (&p, 450000, t += SEC, &d);
  g_assert_cmpuint (d.frame_ms, ==, 60);
  /* 600 kbit/s: 20 ms once it has lasted 3 s; a dip restarts the wait. */
  sl_voice_policy_update (&p, 600000, t += SEC, &d);
  sl_voice_policy_update (&p, 600000, t += 2 * SEC, &d);
  sl_voice_policy_update (&p, 350000, t += SEC / 2, &d);
  g_assert_cmpuint (d.frame_ms, ==, 60);
  sl_voice_policy_update (&p, 600000, t += SEC, &d);
  sl_voice_policy_update (&p, 600000, t += 2 * SEC, &d);
  g_assert_cmpuint (d.frame_ms, ==, 60);
  sl_voice_policy_update (&p, 600000, t += SEC, &d);
  g_assert_true (d.changed);
  g_assert_cmpuint (d.frame_ms, ==, 20);
  g_assert_false (d.dtx);
  /* Plenty: 10 ms, by way of nothing else. */
  sl_voice_policy_update (&p, 3000000, t += SEC, &d);
  sl_voice_policy_update (&p, 3000000, t += 3 * SEC, &d);
  g_assert_cmpuint (d.frame_ms, ==, 10);
  /* 900 kbit/s: 20 ms at once. */
  sl_voice_policy_update (&p, 900000, t += SEC, &d);
  g_assert_cmpuint (d.frame_ms, ==, 20);
}

/* A target wobbling around a threshold keeps one packing. */
static void
test_no_flapping (void)
{
  SlVoicePolicy p;
  SlVoiceDecision d;
  g_autoptr (GRand) rand = g_rand_new_with_seed (9);
  guint changes = 0;

  sl_voice_policy_init (&p);
  for (gint64 t = 0; t < 300 * SEC; t += SEC / 10)
    {
      sl_voice_policy_update (&p, g_rand_int_range (rand, 300000, 500000), t,
                              &d);
      changes += d.changed;
    }
  g_assert_cmpuint (changes, <=, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/voice-policy/costs", test_costs);
  g_test_add_func ("/voice-policy/hysteresis", test_hysteresis);
  g_test_add_func ("/voice-policy/no-flapping", test_no_flapping);
  return g_test_run ();
}
