/* sl-phantom-scene.c — the phantom's moving structures.
 *
 * Three things a sonographer's eye follows, each cheap to draw over its
 * bounding box after the tissue pass (sl-phantom.c):
 *
 *  - a vessel: an anechoic (black) ellipse with bright walls, pulsating
 *    with a heartbeat, and the brighter band below it that fluid causes
 *    (posterior acoustic enhancement: less attenuation in fluid);
 *  - a fascia or tendon: a bright band across the sector whose fibres
 *    slide along it, slowly;
 *  - a bright point target (a calcification), which casts an acoustic
 *    shadow: the beams behind it are darker.
 *
 * Enhancement and shadow act along beams, so they are per-beam gains
 * (beam_from, beam_gain) that the tissue pass applies; the structures
 * themselves are drawn in picture coordinates afterwards.  Positions are
 * held in "tissue" beam coordinates and moved with the tissue, so the
 * structures breathe with the speckle around them.  Lengths are in Q4
 * pixels (1/16 px); one centimetre of depth is depth_px Q4 units.
 */
#include "sl-phantom-private.h"

#define BLACK 16
#define WHITE 235
#define HEART_PERIOD 25   /* 72 beats per minute at 30 fps */
#define POINT_PERIOD 180  /* the point target's small wobble */
#define TENDON_PERIOD 240 /* the fascia's rise and fall */
#define SLIDE_PERIOD 360  /* the tendon fibres sliding */

typedef struct
{
  gint x; /* centre in picture Q4 pixels */
  gint y;
  gint a; /* lateral semi-axis, Q4 */
  gint b; /* axial semi-axis, Q4 */
} Ellipse;

static gint
wave (gint amplitude, guint64 index, guint period)
{
  guint32 phase = (guint32)((index % period) * 65536 / period);

  return amplitude * sl_phantom_isin (phase) / 16384;
}

/* Picture position (Q4) of a tissue point at @depth (Q4 pixels below the
 * transducer face) on beam @theta (Q4 beam columns), moved with the tissue
 * as sl-phantom.c moves the texture. */
static void
to_picture (const SlPhantom *p, const SlPhantomMotion *m, gint depth,
            gint theta, gint *x, gint *y)
{
  gint64 r = (gint64)p->r_near * 16 + depth - m->drift_r * 16;
  gint64 t = theta - m->drift_t * 16;
  gint32 angle = (gint32)(t * 2 * SL_PHANTOM_THETA_MAX_Q16
                              / ((gint64)(p->n_theta - 1) * 16)
                          - SL_PHANTOM_THETA_MAX_Q16);
  guint32 phase = sl_phantom_phase_from_q16 (angle);

  *x = (gint)(p->width * 8 + r * sl_phantom_isin (phase) / 16384);
  *y = (gint)(r * sl_phantom_icos (phase) / 16384);
}

/* Beam column (whole) and depth index of a picture point (Q4), the inverse
 * of to_picture for the beam-wise effects. */
static void
to_beam (const SlPhantom *p, gint x, gint y, gint *theta, gint *depth)
{
  gint64 hx = x - (gint64)p->width * 8, hy = MAX (y, 1);
  gint64 t = ((gint64)sl_phantom_atan_q16 (hx, hy) + SL_PHANTOM_THETA_MAX_Q16)
             * (p->n_theta - 1) / (2 * SL_PHANTOM_THETA_MAX_Q16);

  *theta = (gint)t;
  *depth = (gint)sl_phantom_isqrt ((guint64)(hx * hx + hy * hy)) / 16
           - (gint)p->r_near;
}

static void
vessel (const SlPhantom *p, const SlPhantomMotion *m, Ellipse *e)
{
  guint beat = (guint)(m->index % HEART_PERIOD);
  /* Systole: a quick widening over 5 frames, then a slow relaxation. */
  gint pulse = beat < 5 ? (gint)beat * 256 / 5
                        : (HEART_PERIOD - (gint)beat) * 256 / 20;
  gint scale = 256 + pulse * 28 / 256;

  to_picture (p, m, (gint)p->depth_px * 16 * 40 / 100,
              (gint)(p->n_theta - 1) * 16 * 30 / 100, &e->x, &e->y);
  e->a = MAX (48, (gint)p->depth_px * 75 / 100 * scale / 256);
  e->b = MAX (32, (gint)p->depth_px * 50 / 100 * scale / 256);
}

static void
point_target (const SlPhantom *p, const SlPhantomMotion *m, Ellipse *e)
{
  gint depth = (gint)p->depth_px * 16 * 62 / 100
               + wave ((gint)p->depth_px * 15 / 100, m->index, POINT_PERIOD);

  to_picture (p, m, depth, (gint)(p->n_theta - 1) * 16 * 70 / 100, &e->x,
              &e->y);
  e->a = MAX (40, (gint)p->depth_px * 18 / 100);
  e->b = MAX (24, (gint)p->depth_px * 8 / 100);
}

/* Sets a gain on the beams behind @e, from its far edge down, tapering over
 * the outer quarter of its width so the shadow's sides are soft. */
static void
shade_behind (SlPhantom *p, const Ellipse *e, guint gain)
{
  gint theta, depth, t_left, t_right, half, t, from;

  to_beam (p, e->x, e->y, &theta, &depth);
  to_beam (p, e->x - e->a, e->y, &t_left, &from);
  to_beam (p, e->x + e->a, e->y, &t_right, &from);
  half = MAX (1, (t_right - t_left) / 2);
  from = MAX (0, depth + e->b / 16 + 1);
  for (t = theta - half; t <= theta + half; t++)
    {
      gint dist = ABS (t - theta), g = (gint)gain;

      if (t < 0 || t >= (gint)p->n_theta)
        continue;
      if (dist * 4 > half * 3)
        g = 256 + (g - 256) * (half - dist) * 4 / MAX (1, half);
      p->beam_from[t] = (guint16)from;
      p->beam_gain[t] = (guint16)g;
    }
}

void
sl_phantom_scene_shade_beams (SlPhantom *p, const SlPhantomMotion *m)
{
  Ellipse e;
  guint t;

  for (t = 0; t < p->n_theta; t++)
    {
      p->beam_from[t] = G_MAXUINT16;
      p->beam_gain[t] = 256;
    }
  vessel (p, m, &e);
  shade_behind (p, &e, 330);
  point_target (p, m, &e);
  shade_behind (p, &e, 96);
}

/* Calls @shade on every in-sector pixel of rows @y0..@y1 and columns
 * @x0..@x1 (inclusive, clipped), with the pixel centre in Q4. */
typedef void (*ShadeFunc) (guint8 *pixel, gint x, gint y, gconstpointer data);

static void
for_each_pixel (const SlPhantom *p, guint8 *y, gint stride, gint x0, gint x1,
                gint y0, gint y1, ShadeFunc shade, gconstpointer data)
{
  gint row, col;
  guint r;

  y0 = MAX (y0, 0);
  y1 = MIN (y1, (gint)p->height - 1);
  for (row = y0; row <= y1; row++)
    for (r = p->row_runs[row]; r < p->row_runs[row + 1]; r++)
      {
        const SlPhantomRun *run = &p->runs[r];
        gint c0 = MAX (x0, (gint)run->x0);
        gint c1 = MIN (x1, (gint)run->x0 + (gint)run->len - 1);

        for (col = c0; col <= c1; col++)
          shade (y + (gsize)row * stride + col, col * 16 + 8, row * 16 + 8,
                 data);
      }
}

static void
ellipse_bounds (const SlPhantom *p, const Ellipse *e, guint8 *y, gint stride,
                ShadeFunc shade)
{
  for_each_pixel (p, y, stride, (e->x - e->a) / 16 - 1, (e->x + e->a) / 16 + 1,
                  (e->y - e->b) / 16 - 1, (e->y + e->b) / 16 + 1, shade, e);
}

/* Squared normalised distance from @e's centre, Q8: 256 on the outline. */
static gint64
ellipse_q (const Ellipse *e, gint a, gint b, gint x, gint y)
{
  gint64 dx = x - e->x, dy = y - e->y, a2 = (gint64)a * a, b2 = (gint64)b * b;

  return (dx * dx * b2 + dy * dy * a2) * 256 / (a2 * b2);
}

static void
shade_vessel (guint8 *pixel, gint x, gint y, gconstpointer data)
{
  const Ellipse *e = data;
  gint wall = MAX (24, e->b / 6), v = *pixel - BLACK, f;

  if (ellipse_q (e, e->a, e->b, x, y) >= 256)
    return;
  if (ellipse_q (e, e->a - wall, e->b - wall, x, y) < 256)
    {
      /* Fluid: almost no echo, only a trace of noise. */
      *pixel = (guint8)(BLACK + v * 20 / 256);
      return;
    }
  /* Specular walls: the parts facing the beam (top and bottom) reflect
   * strongly, the sides hardly stand out. */
  f = MIN (256, ABS (y - e->y) * 256 / e->b);
  v = v * (256 + 400 * f * f / 65536) / 256 + 30 * f / 256;
  *pixel = (guint8)(BLACK + MIN (v, WHITE - BLACK));
}

static void
shade_point (guint8 *pixel, gint x, gint y, gconstpointer data)
{
  const Ellipse *e = data;
  gint64 q = ellipse_q (e, e->a, e->b, x, y);
  gint v;

  if (q >= 256)
    return;
  v = BLACK + MIN ((WHITE - BLACK) * (gint)(256 - q) * 3 / 512, WHITE - BLACK);
  *pixel = (guint8)MAX (*pixel, v);
}

typedef struct
{
  const SlPhantom *p;
  gint y_centre; /* Q4 at the picture's centre column */
  gint thickness;
  gint slide; /* fibre offset, pixels */
} Tendon;

static gint
tendon_y (const Tendon *t, gint x)
{
  /* Slightly oblique, rising to the right: 1 in 12. */
  return t->y_centre - (x - (gint)t->p->width * 8) / 12;
}

static void
shade_tendon (guint8 *pixel, gint x, gint y, gconstpointer data)
{
  const Tendon *t = data;
  gint d = ABS (y - tendon_y (t, x)), half = t->thickness / 2, w, fibre, v;
  guint idx;

  if (d >= half)
    return;
  w = d * 2 < half ? 256 : (half - d) * 512 / half;
  idx = (guint)((x / 16 + t->slide) % (gint)t->p->n_fibres
                + (gint)t->p->n_fibres)
        % t->p->n_fibres;
  fibre = 96 + t->p->fibres[idx] * 160 / 256;
  v = *pixel - BLACK;
  v += (v + 40) * (w * fibre / 256) / 320;
  *pixel = (guint8)(BLACK + MIN (v, WHITE - BLACK));
}

static void
draw_tendon (const SlPhantom *p, const SlPhantomMotion *m, guint8 *y,
             gint stride)
{
  Tendon t;
  gint left, right, x;
  gint depth = (gint)p->depth_px * 16 * 19 / 100
               + wave ((gint)p->depth_px * 12 / 100, m->index, TENDON_PERIOD);

  t.p = p;
  to_picture (p, m, depth, (gint)(p->n_theta - 1) * 8, &x, &t.y_centre);
  t.thickness = MAX (40, (gint)p->depth_px * 45 / 100);
  t.slide = wave ((gint)p->depth_px / 8, m->index, SLIDE_PERIOD);
  left = tendon_y (&t, 8);
  right = tendon_y (&t, (gint)p->width * 16 - 8);
  for_each_pixel (p, y, stride, 0, (gint)p->width - 1,
                  (MIN (left, right) - t.thickness) / 16 - 1,
                  (MAX (left, right) + t.thickness) / 16 + 1, shade_tendon, &t);
}

void
sl_phantom_scene_draw (SlPhantom *p, const SlPhantomMotion *m, guint8 *y,
                       gint stride)
{
  Ellipse e;

  draw_tendon (p, m, y, stride);
  vessel (p, m, &e);
  ellipse_bounds (p, &e, y, stride, shade_vessel);
  point_target (p, m, &e);
  ellipse_bounds (p, &e, y, stride, shade_point);
}
