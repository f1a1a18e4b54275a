/* sl-phantom-math.c — integer helpers of the phantom.
 *
 * These replace sqrt, log2, sin and atan2 from libm, whose last bits vary
 * between library versions and architectures.  Each is exact or accurate to
 * a fraction of a pixel where the phantom uses it, and, above all, gives
 * the same answer everywhere.
 */
#include "sl-phantom-private.h"

void
sl_phantom_rng_init (SlPhantomRng *rng, guint64 seed)
{
  rng->state = seed;
}

guint64
sl_phantom_rng_next (SlPhantomRng *rng)
{
  guint64 z = (rng->state += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static guint
msb64 (guint64 n)
{
  return 63 - (guint)__builtin_clzll (n);
}

guint32
sl_phantom_isqrt (guint64 n)
{
  guint64 x, y;

  if (n < 2)
    return (guint32)n;
  /* Newton's iteration from a power of two above the root decreases
   * monotonically to floor(sqrt(n)). */
  x = G_GUINT64_CONSTANT (1) << (msb64 (n) / 2 + 1);
  for (;;)
    {
      y = (x + n / x) / 2;
      if (y >= x)
        return (guint32)x;
      x = y;
    }
}

guint32
sl_phantom_log2_q8 (guint64 n)
{
  guint e, i;
  guint64 m;
  guint32 frac = 0;

  if (n == 0)
    return 0;
  e = msb64 (n);
  m = e >= 30 ? n >> (e - 30) : n << (30 - e);
  /* Squaring a mantissa in [1, 2) doubles its logarithm: each square that
   * reaches 2 yields one more fractional bit of log2. */
  for (i = 0; i < 8; i++)
    {
      m = (m * m) >> 30;
      frac <<= 1;
      if (m >= (G_GUINT64_CONSTANT (1) << 31))
        {
          m >>= 1;
          frac |= 1;
        }
    }
  return e << 8 | frac;
}

gint32
sl_phantom_isin (guint32 phase)
{
  gint64 p, q, num, den;
  gint32 sign = 1;

  phase &= 0xffff;
  if (phase >= 32768)
    {
      phase -= 32768;
      sign = -1;
    }
  /* Bhaskara I's rational approximation on [0, pi], pi = 32768 here:
   * sin x ~ 16 x (pi - x) / (5 pi^2 - 4 x (pi - x)); error below 0.002. */
  p = phase;
  q = 32768 - p;
  num = 16 * p * q;
  den = 5 * G_GINT64_CONSTANT (32768) * 32768 - 4 * p * q;
  return sign * (gint32)((num * 16384 + den / 2) / den);
}

gint32
sl_phantom_icos (guint32 phase)
{
  return sl_phantom_isin (phase + 16384);
}

guint32
sl_phantom_phase_from_q16 (gint32 angle_q16)
{
  /* 65536 / (2 pi) = 10430.378 phase units per radian. */
  return (guint32)((gint64)angle_q16 * 10430 / 65536) & 0xffff;
}

gint32
sl_phantom_atan_q16 (gint64 x, gint64 y)
{
  static const gint32 atan_table[16]
      = { 51472, 30386, 16055, 8150, 4091, 2047, 1024, 512,
          256,   128,   64,    32,   16,   8,    4,    2 };
  gint64 nx, ny;
  gint32 angle = 0;
  guint i;

  /* Vectoring CORDIC: rotate (y, x) towards the axis by +-atan(2^-i) and
   * add up the rotations.  Inputs are scaled up so the shifts keep
   * precision; |x| <= y for the sector, so no pre-rotation is needed.
   * Right shifts of negative values are arithmetic with gcc and clang on
   * every target we build for. */
  x *= 65536;
  y *= 65536;
  for (i = 0; i < 16; i++)
    {
      if (x > 0)
        {
          nx = x - (y >> i);
          ny = y + (x >> i);
          angle += atan_table[i];
        }
      else
        {
          nx = x + (y >> i);
          ny = y - (x >> i);
          angle -= atan_table[i];
        }
      x = nx;
      y = ny;
    }
  return angle;
}
