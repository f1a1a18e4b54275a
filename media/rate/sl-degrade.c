/* sl-degrade.c — the resolution ladder and its hysteresis; see
 * sl-degrade.h for the policy. */
#include "sl-degrade.h"

#include <math.h>
#include <string.h>

/* Ladder steps as fractions of the source's width and height. */
static const guint step_num[SL_DEGRADE_MAX_STEPS] = { 1, 3, 1, 3 };
static const guint step_den[SL_DEGRADE_MAX_STEPS] = { 1, 4, 2, 8 };

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
  config->min_height = 180;
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
  build_ladder (degrade);
}

guint
sl_degrade_get_ladder (const SlDegrade *degrade, const SlDegradeSize **ladder)
{
  *ladder = degrade->ladder;
  return degrade->n_steps;
}

static gdouble
bits_per_pixel (const SlDegrade *degrade, guint level, guint bitrate_bps)
{
  const SlDegradeSize *size = &degrade->ladder[level];

  return bitrate_bps
         / ((gdouble)size->width * size->height * degrade->config.fps);
}

/* The smallest level (largest size) above the current one that the
 * bitrate would give at least bpp_up, or the current level. */
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

  while (level + 1 < degrade->n_steps
         && bits_per_pixel (degrade, level, bitrate_bps)
                < degrade->config.bpp_down)
    level++;
  return level;
}

static guint
choose_level (SlDegrade *degrade, guint bitrate_bps, gint64 now_us)
{
  gboolean may_change
      = !degrade->have_change
        || now_us - degrade->last_change_us >= degrade->config.dwell_us;
  guint down = level_to_step_down_to (degrade, bitrate_bps);
  guint up = level_to_step_up_to (degrade, bitrate_bps);

  if (down != degrade->level)
    {
      degrade->up_pending = FALSE;
      return may_change ? down : degrade->level;
    }
  if (up == degrade->level)
    {
      degrade->up_pending = FALSE;
      return degrade->level;
    }
  /* Up only once the larger size has been affordable for a whole dwell
   * time: a target that recovers for one second is not trusted. */
  if (!degrade->up_pending)
    {
      degrade->up_pending = TRUE;
      degrade->up_since_us = now_us;
    }
  if (may_change && now_us - degrade->up_since_us >= degrade->config.dwell_us)
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
    g_debug ("size level %u -> %u at %u bit/s", degrade->level, level,
             target_bps);
  decision->size_changed = level != degrade->level;
  if (decision->size_changed)
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
  decision->width = degrade->ladder[level].width;
  decision->height = degrade->ladder[level].height;
  decision->fps = c->fps;
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
