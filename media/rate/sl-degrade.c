/* sl-degrade.c — the resolution ladder and its hysteresis; see
 * sl-degrade.h for the policy. */
#include "sl-degrade.h"

#include <math.h>
#include <string.h>

/* Ladder steps as fractions of the source's width and height. */
static const guint step_num[SL_DEGRADE_MAX_STEPS] = { 1, 3, 1, 3 };
static const guint step_den[SL_DEGRADE_MAX_STEPS] = { 1, 4, 2, 8 };

/* Lower frame rates as divisors of the source's: 15, 10 and 6 at 30.  6,
 * not 5: the goal is a moving picture, at least 5 new pictures in each
 * second, and at exactly 5 fps a second's count is 4 as often as 6. */
static const gdouble rate_div[SL_DEGRADE_MAX_RATES] = { 2, 3, 5 };

/* The warning clears only 10 % above the floor. */
#define FLOOR_CLEAR 1.1

void
sl_degrade_config_init (SlDegradeConfig *config, guint width, guint height,
                        gdouble fps)
{
  memset (config, 0, sizeof *config);
  config->src_width = width;
  config->src_height = height;
  config->fps = fps;
  config->floor_bps = 500000;
  config->reserve_bps = 0;
  /* H.264 at 0.05 bit per pixel and frame still holds the speckle of a
   * 720p probe image at 1.4 Mbit/s; below it the texture smears, and a
   * smaller picture at the same rate looks sharper.  0.08 to come back
   * leaves a 60 % margin (docs/rate-control.md). */
  config->bpp_down = 0.05;
  config->bpp_up = 0.08;
  config->dwell_us = 4 * G_USEC_PER_SEC;
  config->rate_dwell_us = G_USEC_PER_SEC;
  config->min_height = 180;
  /* About 5 fps still shows a probe moving and a hand steering it;
   * below, the expert sees stills. */
  config->min_fps = 5;
}

static guint
even_scale (guint value, guint num, guint den)
{
  guint64 scaled = (guint64)value * num / den;

  return MAX ((guint)(scaled & ~(guint64)1), 2);
}

static void
build_ladder (SlDegrade *degrade)
{
  const SlDegradeConfig *c = &degrade->config;

  degrade->n_steps = 0;
  for (guint i = 0; i < SL_DEGRADE_MAX_STEPS; i++)
    {
      SlDegradeSize size
          = { even_scale (c->src_width, step_num[i], step_den[i]),
              even_scale (c->src_height, step_num[i], step_den[i]) };
      SlDegradeSize *last
          = degrade->n_steps ? &degrade->ladder[degrade->n_steps - 1] : NULL;

      /* The full size always; the others down to the minimum height, and
       * never twice the same (a tiny source). */
      if (last
          && (size.height < c->min_height
              || (size.width == last->width && size.height == last->height)))
        break;
      degrade->ladder[degrade->n_steps++] = size;
    }
}

/* The rates below the source's, falling, none below min_fps; the last
 * is min_fps itself when a divisor would go below it. */
static void
build_rates (SlDegrade *degrade)
{
  const SlDegradeConfig *c = &degrade->config;

  degrade->n_rates = 0;
  if (!(c->min_fps > 0) || c->min_fps >= c->fps)
    return;
  for (guint i = 0; i < SL_DEGRADE_MAX_RATES; i++)
    {
      gdouble fps = MAX (c->fps / rate_div[i], c->min_fps);

      if (degrade->n_rates > 0 && fps >= degrade->rates[degrade->n_rates - 1])
        break;
      degrade->rates[degrade->n_rates++] = fps;
    }
}

void
sl_degrade_init (SlDegrade *degrade, const SlDegradeConfig *config)
{
  SlDegradeConfig *c;

  memset (degrade, 0, sizeof *degrade);
  degrade->config = *config;
  c = &degrade->config;
  c->src_width = MAX (c->src_width, 2);
  c->src_height = MAX (c->src_height, 2);
  if (!(c->fps > 0) || !isfinite (c->fps))
    c->fps = 30;
  if (!(c->bpp_down > 0) || !isfinite (c->bpp_down))
    c->bpp_down = 0.05;
  if (!(c->bpp_up > c->bpp_down) || !isfinite (c->bpp_up))
    c->bpp_up = 1.5 * c->bpp_down;
  c->dwell_us = MAX (c->dwell_us, 0);
  c->rate_dwell_us = MAX (c->rate_dwell_us, 0);
  if (!isfinite (c->min_fps))
    c->min_fps = 0;
  build_ladder (degrade);
  build_rates (degrade);
}

void
sl_degrade_set_reserve (SlDegrade *degrade, guint reserve_bps)
{
  degrade->config.reserve_bps = reserve_bps;
}

guint
sl_degrade_get_ladder (const SlDegrade *degrade, const SlDegradeSize **ladder)
{
  *ladder = degrade->ladder;
  return degrade->n_steps;
}

guint
sl_degrade_get_levels (const SlDegrade *degrade)
{
  return degrade->n_steps + degrade->n_rates;
}

/* Levels below n_steps are sizes at the full rate; the others, the
 * smallest size at a lower rate. */
static const SlDegradeSize *
level_size (const SlDegrade *degrade, guint level)
{
  return &degrade->ladder[MIN (level, degrade->n_steps - 1)];
}

static gdouble
level_fps (const SlDegrade *degrade, guint level)
{
  return level < degrade->n_steps ? degrade->config.fps
                                  : degrade->rates[level - degrade->n_steps];
}

void
sl_degrade_get_level (const SlDegrade *degrade, guint level,
                      SlDegradeSize *size, gdouble *fps)
{
  level = MIN (level, sl_degrade_get_levels (degrade) - 1);
  *size = *level_size (degrade, level);
  *fps = level_fps (degrade, level);
}

static gboolean
same_size (const SlDegrade *degrade, guint a, guint b)
{
  return level_size (degrade, a) == level_size (degrade, b);
}

static gdouble
bits_per_pixel (const SlDegrade *degrade, guint level, guint bitrate_bps)
{
  const SlDegradeSize *size = level_size (degrade, level);

  return bitrate_bps
         / ((gdouble)size->width * size->height * level_fps (degrade, level));
}

/* The smallest level (largest size, highest rate) above the current one
 * that the bitrate would give at least bpp_up, or the current level. */
static guint
level_to_step_up_to (const SlDegrade *degrade, guint bitrate_bps)
{
  for (guint level = 0; level < degrade->level; level++)
    if (bits_per_pixel (degrade, level, bitrate_bps) >= degrade->config.bpp_up)
      return level;
  return degrade->level;
}

/* The first level from the current one down where the bitrate gives at
 * least bpp_down, or the smallest size. */
static guint
level_to_step_down_to (const SlDegrade *degrade, guint bitrate_bps)
{
  guint level = degrade->level;

  while (level + 1 < sl_degrade_get_levels (degrade)
         && bits_per_pixel (degrade, level, bitrate_bps)
                < degrade->config.bpp_down)
    level++;
  return level;
}

/* Whether the policy may move to @level now: a new size only a dwell
 * time after the last new size (each costs a keyframe), any change only
 * a rate dwell after the last change. */
static gboolean
may_change_to (const SlDegrade *degrade, guint level, gint64 now_us)
{
  const SlDegradeConfig *c = &degrade->config;

  if (!same_size (degrade, level, degrade->level) && degrade->have_resize
      && now_us - degrade->last_resize_us < c->dwell_us)
    return FALSE;
  return !degrade->have_change
         || now_us - degrade->last_change_us >= c->rate_dwell_us;
}

static guint
choose_level (SlDegrade *degrade, guint bitrate_bps, gint64 now_us)
{
  guint down = level_to_step_down_to (degrade, bitrate_bps);
  guint up = level_to_step_up_to (degrade, bitrate_bps);
  gint64 hold;

  if (down != degrade->level)
    {
      degrade->up_pending = FALSE;
      /* Held back from a new size, a lower rate at the present size may
       * still be allowed: the link is short now, not in 4 s. */
      while (down > degrade->level && !may_change_to (degrade, down, now_us))
        down = same_size (degrade, down, degrade->level) ? degrade->level
                                                         : down - 1;
      return down;
    }
  if (up == degrade->level)
    {
      degrade->up_pending = FALSE;
      return degrade->level;
    }
  /* Up only once the upper rung has been affordable for a while: a
   * target that recovers for one second is not trusted with a keyframe,
   * nor a higher rate for less than two. */
  if (!degrade->up_pending)
    {
      degrade->up_pending = TRUE;
      degrade->up_since_us = now_us;
    }
  hold = same_size (degrade, up, degrade->level)
             ? 2 * degrade->config.rate_dwell_us
             : degrade->config.dwell_us;
  if (may_change_to (degrade, up, now_us)
      && now_us - degrade->up_since_us >= hold)
    {
      degrade->up_pending = FALSE;
      return up;
    }
  return degrade->level;
}

void
sl_degrade_update (SlDegrade *degrade, guint target_bps, gint64 now_us,
                   SlDegradeDecision *decision)
{
  const SlDegradeConfig *c = &degrade->config;
  /* The reserve never takes more than half of the target. */
  guint bitrate = target_bps - MIN (c->reserve_bps, target_bps / 2);
  guint level = choose_level (degrade, bitrate, now_us);

  if (level != degrade->level)
    g_debug ("level %u -> %u (%ux%u at %.1f fps) at %u bit/s", degrade->level,
             level, level_size (degrade, level)->width,
             level_size (degrade, level)->height, level_fps (degrade, level),
             target_bps);
  decision->size_changed = !same_size (degrade, level, degrade->level);
  decision->fps_changed
      = level_fps (degrade, level) != level_fps (degrade, degrade->level);
  if (decision->size_changed)
    {
      degrade->last_resize_us = now_us;
      degrade->have_resize = TRUE;
    }
  if (level != degrade->level)
    {
      degrade->level = level;
      degrade->last_change_us = now_us;
      degrade->have_change = TRUE;
    }
  if (c->floor_bps == 0)
    degrade->below_floor = FALSE;
  else if (bitrate < c->floor_bps)
    degrade->below_floor = TRUE;
  else if (bitrate >= FLOOR_CLEAR * c->floor_bps)
    degrade->below_floor = FALSE;

  decision->bitrate_bps = bitrate;
  decision->width = level_size (degrade, level)->width;
  decision->height = level_size (degrade, level)->height;
  decision->fps = level_fps (degrade, level);
  decision->level = level;
  decision->below_floor = degrade->below_floor;
}

void
sl_degrade_config_fit_rate (SlDegradeConfig *config, guint video_bps)
{
  gdouble pixels = (gdouble)config->src_width * config->src_height
                   * MAX (config->fps, 1.0);
  gdouble bpp;

  if (pixels <= 0 || video_bps == 0)
    return;
  bpp = video_bps / pixels;
  if (config->bpp_up > 0.95 * bpp)
    config->bpp_up = 0.95 * bpp;
  if (config->bpp_down > 0.75 * bpp)
    config->bpp_down = 0.75 * bpp;
}

guint
sl_degrade_start_bps (guint min_bps, guint max_bps, gboolean resumed)
{
  return resumed ? MAX (max_bps / 4, min_bps) : max_bps;
}

void
sl_degrade_x264_setting (guint kbps, gdouble fps, gdouble src_fps, guint vbv_ms,
                         guint *x264_kbps, guint *x264_vbv_ms)
{
  gdouble scale = 1;

  if (fps > 0 && src_fps > fps && isfinite (fps) && isfinite (src_fps))
    scale = src_fps / fps;
  *x264_kbps = (guint)MIN (kbps * scale + 0.5, (gdouble)G_MAXUINT);
  *x264_vbv_ms = (guint)(vbv_ms / scale + 0.5);
  if (scale > 1)
    *x264_vbv_ms = MAX (*x264_vbv_ms, (guint)(2000 / src_fps + 0.5));
}

guint
sl_degrade_share_after_fec (guint target_bps, guint fec_percent)
{
  return (guint)((guint64)target_bps * 100 / (100 + fec_percent));
}

gboolean
sl_degrade_is_constrained (guint encoder_kbps, guint fec_percent,
                           guint configured_kbps)
{
  return (gdouble)encoder_kbps * (100 + fec_percent) / 100
         < SL_DEGRADE_CONSTRAINED * configured_kbps;
}
