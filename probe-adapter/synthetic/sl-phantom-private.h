/* sl-phantom-private.h — internals shared by the phantom's source files.
 *
 * The phantom must give the same bytes on every machine, so nothing that
 * feeds a pixel may come from floating point or libm: the helpers here are
 * integer-only (fixed point, CORDIC, a rational sine) and the random numbers
 * come from our own generator.  Angles are either Q16 radians (geometry) or
 * "turn phases", 0..65535 for one full turn (motion).
 */
#pragma once

#include "sl-phantom.h"

G_BEGIN_DECLS

/* Q16 fixed-point constants of the sector's half-angle, 35 degrees. */
#define SL_PHANTOM_SIN35_Q16 37590
#define SL_PHANTOM_COS35_Q16 53684
#define SL_PHANTOM_THETA_MAX_Q16 40034

/* splitmix64 (Steele, Lea, Flood, OOPSLA 2014): tiny, fast and identical
 * everywhere, which is all the phantom asks of a generator. */
typedef struct
{
  guint64 state;
} SlPhantomRng;

void sl_phantom_rng_init (SlPhantomRng *rng, guint64 seed);
guint64 sl_phantom_rng_next (SlPhantomRng *rng);

/* floor(sqrt(@n)), exact. */
guint32 sl_phantom_isqrt (guint64 n);

/* log2(@n) in Q8 (256 = one octave) for @n >= 1; 0 for @n == 0. */
guint32 sl_phantom_log2_q8 (guint64 n);

/* sin of a turn phase (0..65535 = one full turn) in Q14. */
gint32 sl_phantom_isin (guint32 phase);
gint32 sl_phantom_icos (guint32 phase);

/* Converts an angle in Q16 radians to a turn phase. */
guint32 sl_phantom_phase_from_q16 (gint32 angle_q16);

/* atan(@x / @y) in Q16 radians for @y > 0, by CORDIC. */
gint32 sl_phantom_atan_q16 (gint64 x, gint64 y);

/* One run of in-sector pixels on picture row @y, from column @x0, whose
 * per-pixel tables start at index @k0. */
typedef struct
{
  guint16 y;
  guint16 x0;
  guint16 len;
  guint32 k0;
} SlPhantomRun;

struct _SlPhantom
{
  guint width;
  guint height;
  guint32 seed;

  /* Sector geometry in pixels, apex at the top centre: the transducer face
   * is the arc at r_near, the deepest echo the arc at r_far, depth_px =
   * r_far - r_near spans 16 cm.  The beam angle is sampled in n_theta
   * columns from -35 to +35 degrees. */
  guint r_near;
  guint r_far;
  guint depth_px;
  guint n_theta;

  /* The tissue texture (sl_phantom_speckle_new), with margins of drift_r
   * rows and drift_t columns on each side for the tissue motion. */
  guint8 *texture;
  guint tex_cols;
  guint tex_rows;
  guint drift_r;
  guint drift_t;

  /* The still part of the picture: black with the depth ticks. */
  guint8 *background;

  /* In-sector pixels, run by run, with their beam coordinates and gain
   * (time-gain curve × beam edge roll-off × 219/256, Q8). */
  SlPhantomRun *runs;
  guint n_runs;
  guint *row_runs; /* height + 1 entries: runs of row y are
                      row_runs[y] .. row_runs[y + 1] - 1 */
  guint16 *depth_idx;
  guint16 *theta_idx;
  guint16 *gain;
  gsize n_pixels;

  /* Per beam, rebuilt each frame: the depth index from which the beam is
   * shadowed or enhanced, and the gain factor (Q8) beyond it. */
  guint16 *beam_from;
  guint16 *beam_gain;

  /* Small electronic noise (0..3 grey levels), and the fibre pattern of the
   * sliding tendon. */
  guint8 *noise;
  guint8 *fibres;
  guint n_fibres;
};

/* Frame @index's motion: the tissue offset in texture rows and columns. */
typedef struct
{
  guint64 index;
  gint drift_r;
  gint drift_t;
} SlPhantomMotion;

void sl_phantom_scene_shade_beams (SlPhantom *phantom,
                                   const SlPhantomMotion *motion);
void sl_phantom_scene_draw (SlPhantom *phantom, const SlPhantomMotion *motion,
                            guint8 *y, gint stride);

/* The speckle texture: @cols × @rows log-compressed echo amplitudes
 * (0..255), filtered so that grains are longer along @cols (the lateral
 * direction) than along @rows (depth).  @depth_rows is the number of rows
 * that span the imaging depth, for the depth-dependent tissue layers; the
 * texture starts @row_margin rows above depth 0.  Returns (transfer full)
 * a g_malloc'ed buffer. */
guint8 *sl_phantom_speckle_new (guint cols, guint rows, guint depth_rows,
                                guint row_margin, guint64 seed);

G_END_DECLS
