/* test-jitter.c — the jitter-buffer sizing policy of sl-jitter.h, on
 * synthetic sequences of one-second measurements. */
#include "sl-jitter.h"

static void
test_start (void)
{
  SlJitterPolicy p;

  sl_jitter_policy_init (&p, 40);
  g_assert_cmpuint (p.current_ms, ==, 40);
  /* Nothing measured yet: the configured value stays. */
  g_assert_cmpuint (sl_jitter_policy_update (&p, -1, -1), ==, 40);
  g_assert_cmpuint (sl_jitter_policy_update (&p, 10, -1), ==, 40);
  g_assert_cmpuint (sl_jitter_policy_update (&p, -1, 2), ==, 40);

  /* Out-of-range starting values are clamped; a large one raises the
   * ceiling instead. */
  sl_jitter_policy_init (&p, 5);
  g_assert_cmpuint (p.current_ms, ==, 20);
  sl_jitter_policy_init (&p, 1000);
  g_assert_cmpuint (p.current_ms, ==, 1000);
  g_assert_cmpuint (p.ceiling_ms, ==, 1000);
}

static void
test_loopback_goes_to_floor (void)
{
  SlJitterPolicy p;
  guint last = 0, steps = 0;

  /* Loopback: 1 ms round trip, 0.1 ms jitter.  From 40 ms the target
   * falls a tenth a second, never faster, down to the floor. */
  sl_jitter_policy_init (&p, 40);
  for (guint i = 0; i < 30; i++)
    {
      guint before = p.current_ms, now = sl_jitter_policy_update (&p, 1, 0.1);

      g_assert_cmpuint (now, <=, before);
      g_assert_cmpuint (now, >=, before - before / 10);
      if (now != before)
        steps++;
      last = now;
    }
  g_assert_cmpuint (last, ==, 20);
  g_assert_cmpuint (steps, >, 3);
}

static void
test_worse_link_rises_at_once (void)
{
  SlJitterPolicy p;

  sl_jitter_policy_init (&p, 20);
  /* 60 ms round trip, 8 ms jitter: 60 + 32 + 10 = 102 ms, at once. */
  g_assert_cmpuint (sl_jitter_policy_update (&p, 60, 8), ==, 102);
  /* A much worse second is capped at the ceiling. */
  g_assert_cmpuint (sl_jitter_policy_update (&p, 900, 50), ==, 400);
  /* One good second afterwards only takes a tenth off. */
  g_assert_cmpuint (sl_jitter_policy_update (&p, 2, 0.2), ==, 360);
}

static void
test_bad_values (void)
{
  SlJitterPolicy p;

  sl_jitter_policy_init (&p, 40);
  g_assert_cmpuint (sl_jitter_policy_update (&p, 1.0 / 0.0, 1), ==, 40);
  g_assert_cmpuint (sl_jitter_policy_update (&p, 5, 0.0 / 0.0), ==, 40);
}

static void
test_frame_interval (void)
{
  SlJitterPolicy p;

  /* A 30 ms round trip with a video frame every 33 ms: the wait covers
   * the next frame's first packet and then the retransmission. */
  sl_jitter_policy_init (&p, 40);
  p.frame_ms = 33;
  g_assert_cmpuint (sl_jitter_policy_update (&p, 30, 1), ==, 30 + 4 + 33 + 10);
  /* Two round trips: a lost retransmission is asked for again. */
  p.round_trips = 2;
  g_assert_cmpuint (sl_jitter_policy_update (&p, 30, 1), ==,
                    2 * 30 + 4 + 33 + 10);
  p.frame_ms = 0;
  p.round_trips = 1;
  for (guint i = 0; i < 20; i++)
    sl_jitter_policy_update (&p, 30, 1);
  g_assert_cmpuint (p.current_ms, ==, 30 + 4 + 10);
}

/* The video waits one measured frame interval more, not 33 ms whatever
 * the source's rate. */
static void
test_video_frame_interval (void)
{
  SlJitterPolicy p;

  sl_jitter_policy_init_video (&p, 80);
  g_assert_cmpuint (p.frame_ms, ==, SL_JITTER_DEFAULT_FRAME_MS);
  g_assert_cmpuint (p.round_trips, ==, 2);
  /* 2 x 30 + 4 x 2 + 33 + 10 */
  g_assert_cmpuint (sl_jitter_policy_update (&p, 30, 2), ==, 111);

  /* 120 fps: 8.3 ms a frame. */
  sl_jitter_policy_init_video (&p, 20);
  sl_jitter_policy_set_frame_interval (&p, 1000.0 / 120);
  g_assert_cmpuint (p.frame_ms, ==, 9);
  g_assert_cmpuint (sl_jitter_policy_update (&p, 30, 2), ==, 87);

  /* 5 fps (the rate controller slowed the source down). */
  sl_jitter_policy_set_frame_interval (&p, 200);
  g_assert_cmpuint (sl_jitter_policy_update (&p, 30, 2), ==, 278);

  /* Unknown keeps what is in force; nonsense is clamped. */
  sl_jitter_policy_set_frame_interval (&p, -1);
  g_assert_cmpuint (p.frame_ms, ==, 200);
  sl_jitter_policy_set_frame_interval (&p, 1.0 / 0.0);
  g_assert_cmpuint (p.frame_ms, ==, 200);
  sl_jitter_policy_set_frame_interval (&p, 0.5);
  g_assert_cmpuint (p.frame_ms, ==, SL_JITTER_MIN_FRAME_MS);
  sl_jitter_policy_set_frame_interval (&p, 60000);
  g_assert_cmpuint (p.frame_ms, ==, SL_JITTER_MAX_FRAME_MS);
}

/* While FEC arrives the video may wait up to 800 ms, and no longer when
 * it stops. */
static void
test_fec_ceiling (void)
{
  SlJitterPolicy p;

  sl_jitter_policy_init_video (&p, 80);
  /* A 250 ms round trip: 2 x 250 + 4 x 5 + 33 + 10 = 563. */
  g_assert_cmpuint (sl_jitter_policy_update (&p, 250, 5), ==, 400);
  sl_jitter_policy_set_fec (&p, TRUE);
  g_assert_cmpuint (p.ceiling_ms, ==, SL_JITTER_FEC_CEILING_MS);
  g_assert_cmpuint (sl_jitter_policy_update (&p, 250, 5), ==, 563);
  sl_jitter_policy_set_fec (&p, FALSE);
  g_assert_cmpuint (p.ceiling_ms, ==, 400);

  /* A user's larger ceiling stays, with or without FEC. */
  sl_jitter_policy_init_video (&p, 1000);
  sl_jitter_policy_set_fec (&p, TRUE);
  g_assert_cmpuint (p.ceiling_ms, ==, 1000);
  sl_jitter_policy_set_fec (&p, FALSE);
  g_assert_cmpuint (p.ceiling_ms, ==, 1000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/jitter/start", test_start);
  g_test_add_func ("/jitter/loopback", test_loopback_goes_to_floor);
  g_test_add_func ("/jitter/worse-link", test_worse_link_rises_at_once);
  g_test_add_func ("/jitter/bad-values", test_bad_values);
  g_test_add_func ("/jitter/frame-interval", test_frame_interval);
  g_test_add_func ("/jitter/video-frame-interval", test_video_frame_interval);
  g_test_add_func ("/jitter/fec-ceiling", test_fec_ceiling);
  return g_test_run ();
}
