/* test-degrade.c — the degradation policy of sl-degrade.h: which size and
 * bitrate the encoder gets for a target, on synthetic target sequences in
 * simulated time. */
#include "sl-degrade.h"

#define SEC G_USEC_PER_SEC

static void
init_720p (SlDegrade *d)
{
  SlDegradeConfig c;

  sl_degrade_config_init (&c, 1280, 720, 30);
  sl_degrade_init (d, &c);
}

static void
test_ladder (void)
{
  SlDegradeConfig c;
  SlDegrade d;
  const SlDegradeSize *l;
  guint n;

  init_720p (&d);
  n = sl_degrade_get_ladder (&d, &l);
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpuint (l[0].width, ==, 1280);
  g_assert_cmpuint (l[0].height, ==, 720);
  g_assert_cmpuint (l[1].width, ==, 960);
  g_assert_cmpuint (l[1].height, ==, 540);
  g_assert_cmpuint (l[2].width, ==, 640);
  g_assert_cmpuint (l[2].height, ==, 360);
  g_assert_cmpuint (l[3].width, ==, 480);
  g_assert_cmpuint (l[3].height, ==, 270);

  /* Odd sources give even sizes, the full one too (4:2:0 needs them). */
  sl_degrade_config_init (&c, 1919, 1081, 30);
  sl_degrade_init (&d, &c);
  n = sl_degrade_get_ladder (&d, &l);
  g_assert_cmpuint (l[0].width, ==, 1918);
  g_assert_cmpuint (l[0].height, ==, 1080);
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpuint (l[i].width % 2, ==, 0);
      g_assert_cmpuint (l[i].height % 2, ==, 0);
      if (i > 0)
        g_assert_cmpuint (l[i].height, <, l[i - 1].height);
    }

  /* A small source stops at the minimum height: only its own size. */
  sl_degrade_config_init (&c, 320, 200, 30);
  sl_degrade_init (&d, &c);
  g_assert_cmpuint (sl_degrade_get_ladder (&d, &l), ==, 1);
  /* Without a minimum, a tiny one still never repeats a size. */
  sl_degrade_config_init (&c, 4, 4, 30);
  c.min_height = 0;
  sl_degrade_init (&d, &c);
  n = sl_degrade_get_ladder (&d, &l);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpuint (l[1].width, ==, 2);
}

static void
test_plenty (void)
{
  SlDegrade d;
  SlDegradeDecision out;

  init_720p (&d);
  sl_degrade_update (&d, 4000000, 0, &out);
  g_assert_cmpuint (out.bitrate_bps, ==, 4000000);
  g_assert_cmpuint (out.width, ==, 1280);
  g_assert_cmpuint (out.height, ==, 720);
  g_assert_cmpfloat (out.fps, ==, 30);
  g_assert_false (out.below_floor);
  g_assert_false (out.size_changed);
}

/* Falling targets: the frame rate stays while a smaller size is left,
 * the size goes down one rung at a time when the bits per pixel fall
 * below 0.05, or several rungs in one change when the target
 * collapses. */
static void
test_step_down (void)
{
  SlDegrade d;
  SlDegradeDecision out;
  gint64 t = 0;

  init_720p (&d);
  /* 0.05 × 1280 × 720 × 30 = 1.38 Mbit/s. */
  sl_degrade_update (&d, 1400000, t, &out);
  g_assert_cmpuint (out.level, ==, 0);
  sl_degrade_update (&d, 1300000, t += SEC, &out);
  g_assert_true (out.size_changed);
  g_assert_cmpuint (out.width, ==, 960);
  g_assert_cmpuint (out.height, ==, 540);
  g_assert_cmpfloat (out.fps, ==, 30);
  g_assert_cmpuint (out.bitrate_bps, ==, 1300000);

  /* 0.05 at 640×360 is 346 kbit/s: 300 kbit/s goes straight to the
   * smallest size, but only after the dwell time. */
  sl_degrade_update (&d, 300000, t += SEC, &out);
  g_assert_cmpuint (out.level, ==, 1);
  sl_degrade_update (&d, 300000, t += 3 * SEC, &out);
  g_assert_true (out.size_changed);
  g_assert_cmpuint (out.level, ==, 3);
  g_assert_cmpuint (out.height, ==, 270);
  g_assert_cmpfloat (out.fps, ==, 30);

  /* No smaller size exists: the frame rate goes, down to 6 fps, and the
   * size stays however low the target. */
  sl_degrade_update (&d, 10000, t += 10 * SEC, &out);
  g_assert_cmpuint (out.level, ==, 6);
  g_assert_false (out.size_changed);
  g_assert_true (out.fps_changed);
  g_assert_cmpuint (out.height, ==, 270);
  g_assert_cmpfloat (out.fps, ==, 6);
}

/* Below the smallest size at the full rate, the rate: 15, 10, 6 fps at
 * 480x270, each when the bits per pixel at the present rate fall below
 * 0.05, a second apart at least and without the size's dwell; back up
 * once the higher rate would get 0.08 for two seconds. */
static void
test_frame_rate (void)
{
  SlDegrade d;
  SlDegradeDecision out;
  SlDegradeSize size;
  gdouble fps;
  gint64 t = 0;

  init_720p (&d);
  g_assert_cmpuint (sl_degrade_get_levels (&d), ==, 7);
  sl_degrade_get_level (&d, 4, &size, &fps);
  g_assert_cmpuint (size.width, ==, 480);
  g_assert_cmpfloat (fps, ==, 15);
  sl_degrade_get_level (&d, 5, &size, &fps);
  g_assert_cmpfloat (fps, ==, 10);
  sl_degrade_get_level (&d, 99, &size, &fps);
  g_assert_cmpfloat (fps, ==, 6);

  /* 0.05 at 480x270 and 30 fps is 194 kbit/s. */
  sl_degrade_update (&d, 200000, t, &out);
  g_assert_cmpuint (out.level, ==, 3);
  g_assert_cmpfloat (out.fps, ==, 30);
  /* 150 kbit/s: 15 fps (0.077) at once, no keyframe's dwell. */
  sl_degrade_update (&d, 150000, t += SEC, &out);
  g_assert_cmpuint (out.level, ==, 4);
  g_assert_false (out.size_changed);
  g_assert_true (out.fps_changed);
  g_assert_cmpfloat (out.fps, ==, 15);
  g_assert_cmpuint (out.bitrate_bps, ==, 150000);
  /* 40 kbit/s: 6 fps (0.051), but not within a second of the last
   * change. */
  sl_degrade_update (&d, 40000, t += SEC / 2, &out);
  g_assert_cmpuint (out.level, ==, 4);
  sl_degrade_update (&d, 40000, t += SEC / 2, &out);
  g_assert_cmpuint (out.level, ==, 6);
  g_assert_cmpfloat (out.fps, ==, 6);

  /* 100 kbit/s: 10 fps gets 0.077, not 0.08: stay at 6. */
  for (guint i = 0; i < 5; i++)
    sl_degrade_update (&d, 100000, t += SEC, &out);
  g_assert_cmpuint (out.level, ==, 6);
  /* 110 kbit/s: 10 fps gets 0.085, after two seconds. */
  sl_degrade_update (&d, 110000, t += SEC, &out);
  sl_degrade_update (&d, 110000, t += SEC, &out);
  g_assert_cmpuint (out.level, ==, 6);
  sl_degrade_update (&d, 110000, t += SEC, &out);
  g_assert_cmpuint (out.level, ==, 5);
  g_assert_true (out.fps_changed);
  g_assert_cmpfloat (out.fps, ==, 10);

  /* Plenty: straight up to the largest size the bits allow (1.3 Mbit/s
   * gets 0.084 at 960x540 and 30 fps) once it has lasted a keyframe's
   * dwell. */
  sl_degrade_update (&d, 1300000, t += SEC, &out);
  for (guint i = 0; i < 3; i++)
    sl_degrade_update (&d, 1300000, t += SEC, &out);
  g_assert_cmpuint (out.level, ==, 5);
  sl_degrade_update (&d, 1300000, t += SEC, &out);
  g_assert_cmpuint (out.level, ==, 1);
  g_assert_true (out.size_changed);
  g_assert_true (out.fps_changed);
  g_assert_cmpfloat (out.fps, ==, 30);
}

/* A collapse while a new size is held back by the dwell time lowers
 * nothing until the dwell is over, but the encoder's bitrate follows at
 * once; at the smallest size, the rate goes down within the dwell. */
static void
test_rate_within_dwell (void)
{
  SlDegrade d;
  SlDegradeDecision out;
  gint64 t = 0;

  init_720p (&d);
  sl_degrade_update (&d, 300000, t, &out);
  g_assert_cmpuint (out.level, ==, 3);
  sl_degrade_update (&d, 60000, t += SEC, &out);
  g_assert_cmpuint (out.level, ==, 6);
  g_assert_cmpuint (out.bitrate_bps, ==, 60000);

  init_720p (&d);
  sl_degrade_update (&d, 1000000, t = 0, &out);
  g_assert_cmpuint (out.level, ==, 1);
  sl_degrade_update (&d, 60000, t += SEC, &out);
  g_assert_cmpuint (out.level, ==, 1);
  g_assert_cmpuint (out.bitrate_bps, ==, 60000);
  sl_degrade_update (&d, 60000, t += 3 * SEC, &out);
  g_assert_cmpuint (out.level, ==, 6);
  g_assert_true (out.size_changed);
}

/* A source at its lowest rate already, or min_fps 0: no rate rungs. */
static void
test_no_rates (void)
{
  SlDegradeConfig c;
  SlDegrade d;
  SlDegradeDecision out;

  sl_degrade_config_init (&c, 1280, 720, 5);
  sl_degrade_init (&d, &c);
  g_assert_cmpuint (sl_degrade_get_levels (&d), ==, 4);
  sl_degrade_config_init (&c, 1280, 720, 30);
  c.min_fps = 0;
  sl_degrade_init (&d, &c);
  g_assert_cmpuint (sl_degrade_get_levels (&d), ==, 4);
  sl_degrade_update (&d, 1000, 0, &out);
  g_assert_cmpfloat (out.fps, ==, 30);
  /* 25 fps with a minimum of 5: 12.5, 8.3 and 5. */
  sl_degrade_config_init (&c, 1280, 720, 25);
  sl_degrade_init (&d, &c);
  g_assert_cmpuint (d.n_rates, ==, 3);
  g_assert_cmpfloat (d.rates[2], ==, 5);
}

/* Coming back: only when the larger size gets 0.08 bit per pixel, and
 * only after that has held for the dwell time. */
static void
test_step_up (void)
{
  SlDegrade d;
  SlDegradeDecision out;
  gint64 t = 0;

  init_720p (&d);
  sl_degrade_update (&d, 1000000, t, &out);
  g_assert_cmpuint (out.level, ==, 1);

  /* 2 Mbit/s is 0.072 at 720p: above "down", below "up": stay. */
  for (guint i = 0; i < 20; i++)
    sl_degrade_update (&d, 2000000, t += SEC, &out);
  g_assert_cmpuint (out.level, ==, 1);

  /* 2.3 Mbit/s is 0.083: up, once it has lasted 4 s. */
  sl_degrade_update (&d, 2300000, t += SEC, &out);
  g_assert_cmpuint (out.level, ==, 1);
  sl_degrade_update (&d, 2300000, t += 2 * SEC, &out);
  g_assert_cmpuint (out.level, ==, 1);
  /* A dip restarts the wait. */
  sl_degrade_update (&d, 2000000, t += SEC, &out);
  sl_degrade_update (&d, 2300000, t += SEC, &out);
  sl_degrade_update (&d, 2300000, t += 3 * SEC, &out);
  g_assert_cmpuint (out.level, ==, 1);
  sl_degrade_update (&d, 2300000, t += SEC, &out);
  g_assert_true (out.size_changed);
  g_assert_cmpuint (out.level, ==, 0);
}

/* A target wobbling around a threshold (what a rate controller does at
 * its sawtooth's bottom) must not make the size flap. */
static void
test_no_flapping (void)
{
  SlDegrade d;
  SlDegradeDecision out;
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  guint changes = 0;

  init_720p (&d);
  for (gint64 t = 0; t < 300 * SEC; t += SEC / 10)
    {
      guint target = g_rand_int_range (rand, 1200000, 2100000);

      sl_degrade_update (&d, target, t, &out);
      changes += out.size_changed;
      g_assert_cmpfloat (out.fps, ==, 30);
    }
  g_assert_cmpuint (changes, <=, 1);
}

/* The same at the bottom of the ladder: a target wobbling between 60 and
 * 160 kbit/s (the rate rungs' thresholds lie between) settles on a low
 * rate instead of changing it every other second. */
static void
test_no_rate_flapping (void)
{
  SlDegrade d;
  SlDegradeDecision out;
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  guint changes = 0;

  init_720p (&d);
  sl_degrade_update (&d, 150000, 0, &out);
  for (gint64 t = 1; t < 3000; t++)
    {
      sl_degrade_update (&d, g_rand_int_range (rand, 60000, 160000),
                         t * SEC / 10, &out);
      changes += out.fps_changed;
      g_assert_cmpuint (out.height, ==, 270);
    }
  g_assert_cmpuint (changes, <=, 3);
}

static void
test_floor (void)
{
  SlDegradeConfig c;
  SlDegrade d;
  SlDegradeDecision out;

  init_720p (&d);
  sl_degrade_update (&d, 600000, 0, &out);
  g_assert_false (out.below_floor);
  sl_degrade_update (&d, 499000, SEC, &out);
  g_assert_true (out.below_floor);
  /* The encoder still gets what the link carries. */
  g_assert_cmpuint (out.bitrate_bps, ==, 499000);
  /* Back above the floor but within 10 %: the flag stays. */
  sl_degrade_update (&d, 540000, 2 * SEC, &out);
  g_assert_true (out.below_floor);
  sl_degrade_update (&d, 550000, 3 * SEC, &out);
  g_assert_false (out.below_floor);

  /* No floor configured: never flagged. */
  sl_degrade_config_init (&c, 1280, 720, 30);
  c.floor_bps = 0;
  sl_degrade_init (&d, &c);
  sl_degrade_update (&d, 1000, 0, &out);
  g_assert_false (out.below_floor);
}

static void
test_reserve (void)
{
  SlDegradeConfig c;
  SlDegrade d;
  SlDegradeDecision out;

  sl_degrade_config_init (&c, 1280, 720, 30);
  c.reserve_bps = 64000;
  sl_degrade_init (&d, &c);
  sl_degrade_update (&d, 3000000, 0, &out);
  g_assert_cmpuint (out.bitrate_bps, ==, 3000000 - 64000);
  /* Never more than half of the target. */
  sl_degrade_update (&d, 100000, SEC, &out);
  g_assert_cmpuint (out.bitrate_bps, ==, 50000);
  sl_degrade_update (&d, 0, 2 * SEC, &out);
  g_assert_cmpuint (out.bitrate_bps, ==, 0);
  /* The voice's packing changed: a smaller reserve from the next target
   * on. */
  sl_degrade_set_reserve (&d, 24000);
  sl_degrade_update (&d, 3000000, 3 * SEC, &out);
  g_assert_cmpuint (out.bitrate_bps, ==, 3000000 - 24000);
}

static void
test_bad_config (void)
{
  SlDegradeConfig c;
  SlDegrade d;
  SlDegradeDecision out;

  sl_degrade_config_init (&c, 0, 0, 0);
  c.bpp_down = 0.1;
  c.bpp_up = 0.05;
  c.dwell_us = -5;
  sl_degrade_init (&d, &c);
  g_assert_cmpfloat (d.config.fps, ==, 30);
  g_assert_cmpfloat (d.config.bpp_up, >, d.config.bpp_down);
  g_assert_cmpuint (d.n_steps, >=, 1);
  sl_degrade_update (&d, G_MAXUINT, 0, &out);
  g_assert_cmpuint (out.width, >=, 2);
  g_assert_cmpuint (out.height, >=, 2);
}

/* 1080p at 2 Mbit/s, as configured: full size at the configured rate
 * (the default thresholds would have halved the picture at once), and
 * smaller only when the controller gives less. */
static void
test_fit_rate (void)
{
  SlDegradeConfig config;
  SlDegrade d;
  SlDegradeDecision out;

  sl_degrade_config_init (&config, 1920, 1080, 30);
  sl_degrade_init (&d, &config);
  sl_degrade_update (&d, 2000000, 0, &out);
  g_assert_cmpuint (out.width, <, 1920);

  sl_degrade_config_init (&config, 1920, 1080, 30);
  sl_degrade_config_fit_rate (&config, 2000000);
  g_assert_cmpfloat (config.bpp_up, <, 2e6 / (1920.0 * 1080 * 30));
  g_assert_cmpfloat (config.bpp_down, <, config.bpp_up);
  sl_degrade_init (&d, &config);
  for (gint64 t = 0; t < 20; t++)
    {
      sl_degrade_update (&d, 2000000, t * G_USEC_PER_SEC, &out);
      g_assert_cmpuint (out.width, ==, 1920);
    }
  /* A third of the rate is too little even so. */
  for (gint64 t = 20; t < 40; t++)
    sl_degrade_update (&d, 700000, t * G_USEC_PER_SEC, &out);
  g_assert_cmpuint (out.width, <, 1920);

  /* A generous configured rate leaves the defaults alone. */
  sl_degrade_config_init (&config, 1280, 720, 30);
  sl_degrade_config_fit_rate (&config, 8000000);
  g_assert_cmpfloat (config.bpp_up, ==, 0.08);
  g_assert_cmpfloat (config.bpp_down, ==, 0.05);
  sl_degrade_config_fit_rate (&config, 0);
  g_assert_cmpfloat (config.bpp_down, ==, 0.05);
}

/* A new consultation starts at the full rate, a remade one at a quarter,
 * never below the floor. */
static void
test_start (void)
{
  g_assert_cmpuint (sl_degrade_start_bps (70000, 4086000, FALSE), ==, 4086000);
  g_assert_cmpuint (sl_degrade_start_bps (70000, 4086000, TRUE), ==, 1021500);
  g_assert_cmpuint (sl_degrade_start_bps (70000, 200000, TRUE), ==, 70000);
}

/* x264 budgets per frame at the caps' rate: told more at a lower rate,
 * with a VBV as long in time, two of its frames at least. */
static void
test_x264_setting (void)
{
  guint kbps, vbv;

  sl_degrade_x264_setting (300, 30, 30, 300, &kbps, &vbv);
  g_assert_cmpuint (kbps, ==, 300);
  g_assert_cmpuint (vbv, ==, 300);
  sl_degrade_x264_setting (300, 15, 30, 300, &kbps, &vbv);
  g_assert_cmpuint (kbps, ==, 600);
  g_assert_cmpuint (vbv, ==, 150);
  sl_degrade_x264_setting (50, 5, 30, 300, &kbps, &vbv);
  g_assert_cmpuint (kbps, ==, 300);
  g_assert_cmpuint (vbv, ==, 67);
  /* Nonsense rates leave the setting alone. */
  sl_degrade_x264_setting (300, 0, 30, 300, &kbps, &vbv);
  g_assert_cmpuint (kbps, ==, 300);
  sl_degrade_x264_setting (300, 60, 30, 300, &kbps, &vbv);
  g_assert_cmpuint (kbps, ==, 300);
  g_assert_cmpuint (vbv, ==, 300);
}

/* FEC's packets are paid for from the controller's target, and do not by
 * themselves make the link look full. */
static void
test_fec_share (void)
{
  g_assert_cmpuint (sl_degrade_share_after_fec (1000000, 0), ==, 1000000);
  /* 25 FEC packets per 100 video: the video gets 100/125 of it. */
  g_assert_cmpuint (sl_degrade_share_after_fec (1000000, 25), ==, 800000);
  g_assert_cmpuint (sl_degrade_share_after_fec (4000000000u, 50), ==,
                    2666666666u);

  /* 4000 configured: constrained below 2800 kbit/s on the link. */
  g_assert_false (sl_degrade_is_constrained (4000, 0, 4000));
  g_assert_false (sl_degrade_is_constrained (2800, 0, 4000));
  g_assert_true (sl_degrade_is_constrained (2799, 0, 4000));
  /* 2400 of video with 20 % FEC is 2880 on the link: not constrained,
   * though the encoder alone is below 70 %. */
  g_assert_false (sl_degrade_is_constrained (2400, 20, 4000));
  g_assert_true (sl_degrade_is_constrained (2000, 20, 4000));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/degrade/ladder", test_ladder);
  g_test_add_func ("/degrade/plenty", test_plenty);
  g_test_add_func ("/degrade/step-down", test_step_down);
  g_test_add_func ("/degrade/step-up", test_step_up);
  g_test_add_func ("/degrade/frame-rate", test_frame_rate);
  g_test_add_func ("/degrade/rate-within-dwell", test_rate_within_dwell);
  g_test_add_func ("/degrade/no-rates", test_no_rates);
  g_test_add_func ("/degrade/no-flapping", test_no_flapping);
  g_test_add_func ("/degrade/no-rate-flapping", test_no_rate_flapping);
  g_test_add_func ("/degrade/floor", test_floor);
  g_test_add_func ("/degrade/reserve", test_reserve);
  g_test_add_func ("/degrade/bad-config", test_bad_config);
  g_test_add_func ("/degrade/fit-rate", test_fit_rate);
  g_test_add_func ("/degrade/fec-share", test_fec_share);
  g_test_add_func ("/degrade/x264-setting", test_x264_setting);
  g_test_add_func ("/degrade/start", test_start);
  return g_test_run ();
}
