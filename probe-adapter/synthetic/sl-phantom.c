/* sl-phantom.c — the synthetic phantom: geometry, tables and the frame loop.
 *
 * The picture is built like a real scanner builds it, backwards: each
 * in-sector pixel knows, from tables made once at construction, which
 * beam and which depth it shows (scan conversion) and how much gain that
 * depth and beam get (time-gain curve, beam-edge roll-off).  A frame is
 * then a copy of the still background, one texture lookup and two
 * multiplies per in-sector pixel, and the few moving structures drawn over
 * their bounding boxes (sl-phantom-scene.c).  Tissue motion (breathing,
 * a slow sway of the probe) is an offset into the texture, so the speckle
 * stays attached to the tissue as it moves, as real speckle does.
 *
 * Everything that reaches a pixel is integer arithmetic on data from our
 * own seeded generator, so frame N of a (width, height, seed) is the same
 * bytes on every machine.  The frame index goes into a stamp (sl-stamp.h)
 * in the top-left corner, drawn last.
 */
#include "sl-phantom-private.h"
#include "sl-stamp.h"

#include <string.h>

#define SL_PHANTOM_DEPTH_MM 160
#define BLACK 16
#define WHITE 235

/* Motion periods in frames at 30 fps. */
#define BREATH_PERIOD 150
#define SWAY_PERIOD 600

static gboolean
geometry (guint width, guint height, guint *r_near, guint *r_far)
{
  guint margin, by_width;

  if (width < 64 || width > 1920 || height < 64 || height > 1080
      || width % 2 != 0 || height % 2 != 0)
    return FALSE;
  /* Leave room on the right of the sector for the depth ticks. */
  margin = width / 32 + 4;
  by_width
      = (guint)((guint64)(width / 2 - margin) * 65536 / SL_PHANTOM_SIN35_Q16);
  *r_far = MIN (height * 92 / 100, by_width);
  *r_near = MAX (2, *r_far / 16);
  return TRUE;
}

gdouble
sl_phantom_mm_per_pixel_for_size (guint width, guint height)
{
  guint r_near, r_far;

  if (!geometry (width, height, &r_near, &r_far))
    return 0;
  return (gdouble)SL_PHANTOM_DEPTH_MM / (r_far - r_near);
}

/* Time-gain curve in Q8 by depth fraction (0..1024): a bright near-field
 * ring-down, a slightly brighter focal zone around 6 cm, and attenuation
 * that the TGC only partly makes up for towards the bottom. */
static guint
depth_gain (guint f)
{
  static const guint points[][2]
      = { { 0, 340 },   { 24, 300 },  { 48, 236 },  { 160, 248 },
          { 380, 276 }, { 560, 258 }, { 760, 200 }, { 1024, 124 } };
  guint i;

  for (i = 1; i < G_N_ELEMENTS (points); i++)
    if (f <= points[i][0])
      return (guint)((gint)points[i - 1][1]
                     + ((gint)points[i][1] - (gint)points[i - 1][1])
                           * (gint)(f - points[i - 1][0])
                           / (gint)(points[i][0] - points[i - 1][0]));
  return points[G_N_ELEMENTS (points) - 1][1];
}

/* The outermost beams are weaker: the aperture sees them obliquely. */
static guint
beam_edge_gain (const SlPhantom *p, guint t)
{
  guint edge = MIN (t, p->n_theta - 1 - t);
  guint ramp = MAX (2, p->n_theta / 40);

  return edge >= ramp ? 256 : 96 + 160 * edge / ramp;
}

/* Beam coordinates of pixel (x, y), or FALSE outside the sector.  Works in
 * half pixels so the pixel centres are symmetric about the apex. */
static gboolean
beam_coordinates (const SlPhantom *p, guint x, guint y, guint *depth,
                  guint *theta)
{
  gint64 hx = 2 * (gint64)x + 1 - p->width, hy = 2 * (gint64)y + 1;
  gint64 t;
  guint r2;

  if ((hx < 0 ? -hx : hx) * SL_PHANTOM_COS35_Q16 > hy * SL_PHANTOM_SIN35_Q16)
    return FALSE;
  r2 = sl_phantom_isqrt ((guint64)(hx * hx + hy * hy));
  if (r2 < 2 * p->r_near || r2 > 2 * p->r_far)
    return FALSE;
  *depth = MIN ((r2 - 2 * p->r_near) / 2, p->depth_px);
  t = ((gint64)sl_phantom_atan_q16 (hx, hy) + SL_PHANTOM_THETA_MAX_Q16)
      * (p->n_theta - 1);
  t = (t + SL_PHANTOM_THETA_MAX_Q16) / (2 * SL_PHANTOM_THETA_MAX_Q16);
  *theta = (guint)CLAMP (t, 0, (gint64)p->n_theta - 1);
  return TRUE;
}

static void
build_tables (SlPhantom *p)
{
  GArray *runs = g_array_new (FALSE, FALSE, sizeof (SlPhantomRun));
  GArray *depth = g_array_new (FALSE, FALSE, sizeof (guint16));
  GArray *theta = g_array_new (FALSE, FALSE, sizeof (guint16));
  GArray *gain = g_array_new (FALSE, FALSE, sizeof (guint16));
  guint x, y, d, t;

  p->row_runs = g_new0 (guint, p->height + 1);
  for (y = 0; y < p->height; y++)
    {
      SlPhantomRun run = { 0 };

      p->row_runs[y] = runs->len;
      for (x = 0; x <= p->width; x++)
        {
          if (x < p->width && beam_coordinates (p, x, y, &d, &t))
            {
              guint16 v16, g16;

              if (run.len == 0)
                {
                  run.y = (guint16)y;
                  run.x0 = (guint16)x;
                  run.k0 = depth->len;
                }
              run.len++;
              v16 = (guint16)d;
              g_array_append_val (depth, v16);
              v16 = (guint16)t;
              g_array_append_val (theta, v16);
              /* 219/256 maps the texture's 0..255 to video-range luma. */
              g16 = (guint16)(depth_gain (d * 1024 / p->depth_px)
                              * beam_edge_gain (p, t) / 256 * 219 / 256);
              g_array_append_val (gain, g16);
            }
          else if (run.len > 0)
            {
              g_array_append_val (runs, run);
              run.len = 0;
            }
        }
    }
  p->row_runs[p->height] = runs->len;
  p->n_runs = runs->len;
  p->n_pixels = depth->len;
  p->runs = (SlPhantomRun *)(void *)g_array_free (runs, FALSE);
  p->depth_idx = (guint16 *)(void *)g_array_free (depth, FALSE);
  p->theta_idx = (guint16 *)(void *)g_array_free (theta, FALSE);
  p->gain = (guint16 *)(void *)g_array_free (gain, FALSE);
}

/* White marks every centimetre just right of the sector's right edge, as
 * scanners draw their depth scale; longer ones every 5 cm. */
static void
draw_depth_ticks (SlPhantom *p)
{
  guint gap = MAX (2, p->width / 256), len = MAX (3, p->width / 160);
  guint thick = MAX (1, p->height / 360), cm, x, row;

  for (cm = 0; cm <= SL_PHANTOM_DEPTH_MM / 10; cm++)
    {
      guint r = p->r_near + (cm * p->depth_px + 8) / 16;
      guint ex
          = p->width / 2 + (guint)((guint64)r * SL_PHANTOM_SIN35_Q16 >> 16);
      guint ey = (guint)((guint64)r * SL_PHANTOM_COS35_Q16 >> 16);
      guint x0 = ex + gap, x1 = MIN (p->width, x0 + (cm % 5 ? len : 2 * len));
      guint y0 = ey >= thick / 2 ? ey - thick / 2 : 0;

      for (row = y0; row < MIN (p->height, y0 + thick); row++)
        for (x = x0; x < x1; x++)
          p->background[(gsize)row * p->width + x] = WHITE;
    }
}

static void
build_extras (SlPhantom *p, SlPhantomRng *rng)
{
  guint i;

  p->noise = g_malloc (65536);
  for (i = 0; i < 65536; i++)
    {
      guint64 r = sl_phantom_rng_next (rng);

      /* Sum of two bits plus a rarer third: mostly 0-2 grey levels. */
      p->noise[i] = (guint8)((r & 1) + (r >> 1 & 1) + ((r >> 2 & 7) == 0));
    }
  p->n_fibres = 2 * p->width;
  p->fibres = g_malloc (p->n_fibres);
  for (i = 0; i < p->n_fibres; i++)
    p->fibres[i] = (guint8)(sl_phantom_rng_next (rng) & 0xff);
  /* Blur along the tendon so the fibres are a few pixels long. */
  for (i = 0; i + 2 < p->n_fibres; i++)
    p->fibres[i]
        = (guint8)((p->fibres[i] + 2 * p->fibres[i + 1] + p->fibres[i + 2])
                   / 4);
  p->beam_from = g_new (guint16, p->n_theta);
  p->beam_gain = g_new (guint16, p->n_theta);
}

SlPhantom *
sl_phantom_new (guint width, guint height, guint32 seed)
{
  SlPhantom *p;
  SlPhantomRng rng;
  guint r_near, r_far;

  if (!geometry (width, height, &r_near, &r_far))
    return NULL;
  p = g_new0 (SlPhantom, 1);
  p->width = width;
  p->height = height;
  p->seed = seed;
  p->r_near = r_near;
  p->r_far = r_far;
  p->depth_px = r_far - r_near;
  p->n_theta = (guint)((guint64)r_far * 2 * SL_PHANTOM_THETA_MAX_Q16 >> 16) + 1;
  p->drift_r = MAX (1, p->depth_px / 160);
  p->drift_t = MAX (1, p->n_theta / 64);
  p->tex_cols = p->n_theta + 2 * p->drift_t;
  p->tex_rows = p->depth_px + 1 + 2 * p->drift_r;

  /* One stream of random numbers per purpose, all from the seed, so that
   * changing one part of the phantom does not reshuffle the others. */
  sl_phantom_rng_init (&rng, seed);
  p->texture = sl_phantom_speckle_new (p->tex_cols, p->tex_rows, p->depth_px,
                                       p->drift_r, sl_phantom_rng_next (&rng));
  sl_phantom_rng_init (&rng, (guint64)seed << 32 | 0x5eed);
  build_extras (p, &rng);
  build_tables (p);
  p->background = g_malloc ((gsize)width * height);
  memset (p->background, BLACK, (gsize)width * height);
  draw_depth_ticks (p);
  return p;
}

void
sl_phantom_free (SlPhantom *phantom)
{
  if (phantom == NULL)
    return;
  g_free (phantom->texture);
  g_free (phantom->background);
  g_free (phantom->runs);
  g_free (phantom->row_runs);
  g_free (phantom->depth_idx);
  g_free (phantom->theta_idx);
  g_free (phantom->gain);
  g_free (phantom->beam_from);
  g_free (phantom->beam_gain);
  g_free (phantom->noise);
  g_free (phantom->fibres);
  g_free (phantom);
}

guint
sl_phantom_get_width (const SlPhantom *phantom)
{
  return phantom->width;
}

guint
sl_phantom_get_height (const SlPhantom *phantom)
{
  return phantom->height;
}

gdouble
sl_phantom_get_mm_per_pixel (const SlPhantom *phantom)
{
  return (gdouble)SL_PHANTOM_DEPTH_MM / phantom->depth_px;
}

static gint
oscillate (guint amplitude, guint64 index, guint period)
{
  guint32 phase = (guint32)((index % period) * 65536 / period);

  return (gint)amplitude * sl_phantom_isin (phase) / 16384;
}

/* The hot loop: one texture lookup, the pixel's gain, the beam's shadow or
 * enhancement, and a little noise. */
static void
render_tissue (const SlPhantom *p, const SlPhantomMotion *m, guint8 *y,
               gint stride)
{
  const guint8 *tex = p->texture
                      + (gsize)((gint)p->drift_r + m->drift_r) * p->tex_cols
                      + (gsize)((gint)p->drift_t + m->drift_t);
  guint cols = p->tex_cols, r, i;
  SlPhantomRng rng;
  guint nz;

  sl_phantom_rng_init (&rng, m->index ^ ((guint64)p->seed << 40));
  nz = (guint)(sl_phantom_rng_next (&rng) & 0xffff);
  for (r = 0; r < p->n_runs; r++)
    {
      const SlPhantomRun *run = &p->runs[r];
      guint8 *out = y + (gsize)run->y * stride + run->x0;
      gsize k = run->k0;

      for (i = 0; i < run->len; i++, k++)
        {
          guint d = p->depth_idx[k], t = p->theta_idx[k], g = p->gain[k], v;

          if (d >= p->beam_from[t])
            g = g * p->beam_gain[t] >> 8;
          v = (tex[d * cols + t] * g >> 8) + p->noise[(nz + k) & 0xffff];
          out[i] = (guint8)(BLACK + MIN (v, WHITE - BLACK));
        }
    }
}

void
sl_phantom_render (SlPhantom *phantom, guint64 index, guint8 *y, gint y_stride,
                   guint8 *u, gint u_stride, guint8 *v, gint v_stride)
{
  SlPhantomMotion motion;
  guint row;

  motion.index = index;
  motion.drift_r = oscillate (phantom->drift_r, index, BREATH_PERIOD);
  motion.drift_t = oscillate (phantom->drift_t, index, SWAY_PERIOD);
  sl_phantom_scene_shade_beams (phantom, &motion);
  for (row = 0; row < phantom->height; row++)
    memcpy (y + (gsize)row * y_stride,
            phantom->background + (gsize)row * phantom->width, phantom->width);
  render_tissue (phantom, &motion, y, y_stride);
  sl_phantom_scene_draw (phantom, &motion, y, y_stride);
  sl_stamp_write (y, y_stride, phantom->width, phantom->height, index);
  for (row = 0; row < phantom->height / 2; row++)
    {
      memset (u + (gsize)row * u_stride, 128, phantom->width / 2);
      memset (v + (gsize)row * v_stride, 128, phantom->width / 2);
    }
}
