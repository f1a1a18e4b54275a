/* sl-phantom-speckle.c — the phantom's tissue texture.
 *
 * B-mode speckle is the interference of echoes from many scatterers inside
 * one resolution cell: the echo is a sum of random phasors, a circular
 * complex Gaussian whose amplitude is Rayleigh-distributed (Burckhardt,
 * "Speckle in ultrasound B-mode scans", IEEE Trans. Sonics Ultrason. 1978).
 * We build it the same way: independent white noise fields (in-phase
 * and quadrature), low-pass filtered with the shape of the resolution cell
 * (longer laterally than axially, as a real beam is wider than its pulse
 * is long), then the amplitude sqrt(I^2 + Q^2), compounded with a second
 * such pattern and log-compressed to an 8-bit
 * display range as a scanner does.  The texture is laid out in beam
 * coordinates (depth rows × beam-angle columns), so the grains follow the
 * sector's arcs and widen with depth like a real sector scan's.  A few depth
 * layers (skin, subcutaneous fat) and a slow variation of echogenicity make
 * it read as tissue rather than noise.  Built once per phantom; all integer.
 */
#include "sl-phantom-private.h"

#include <string.h>

/* Display mapping: amplitude octaves above or below the texture's mean log
 * amplitude, over an 8-octave (48 dB) dynamic range, centred at this grey. */
#define DISPLAY_CENTRE 112
#define DISPLAY_OCTAVES 8

/* Two independent speckle patterns, summed in power: the compounding that
 * modern scanners do (several frequencies or steering angles) fills in the
 * deepest nulls of a single pattern, which otherwise draw black threads. */
#define N_FIELDS 4

/* Circular running-sum box filter along each row: out[i] = sum of @width
 * inputs centred on i.  @tmp holds a row extended by its wrapped ends, so
 * the running sum needs no modulo per pixel. */
static void
box_rows (gint32 *data, guint cols, guint rows, guint width, gint32 *tmp)
{
  guint half = width / 2, r, c;

  for (r = 0; r < rows; r++)
    {
      gint32 *row = data + (gsize)r * cols;
      gint64 sum = 0;

      /* tmp[j] = row[(j - half) mod cols] for j < cols + width. */
      memcpy (tmp, row + cols - half, half * sizeof (gint32));
      memcpy (tmp + half, row, cols * sizeof (gint32));
      memcpy (tmp + half + cols, row, (width - half) * sizeof (gint32));
      for (c = 0; c < width; c++)
        sum += tmp[c];
      for (c = 0; c < cols; c++)
        {
          row[c] = (gint32)sum;
          sum += tmp[c + width] - tmp[c];
        }
    }
}

static void
box_columns (gint32 *data, guint cols, guint rows, guint width, gint32 *copy,
             gint64 *sums)
{
  guint r, c, k;

  memcpy (copy, data, (gsize)cols * rows * sizeof (gint32));
  memset (sums, 0, cols * sizeof (gint64));
  for (k = 0; k < width; k++)
    {
      const gint32 *in = copy + (gsize)((k + rows - width / 2) % rows) * cols;

      for (c = 0; c < cols; c++)
        sums[c] += in[c];
    }
  for (r = 0; r < rows; r++)
    {
      const gint32 *add = copy + (gsize)((r + width - width / 2) % rows) * cols;
      const gint32 *sub = copy + (gsize)((r + rows - width / 2) % rows) * cols;
      gint32 *out = data + (gsize)r * cols;

      for (c = 0; c < cols; c++)
        {
          out[c] = (gint32)sums[c];
          sums[c] += add[c] - sub[c];
        }
    }
}

/* Two passes of a box give a triangle, close enough to the Gaussian-like
 * beam profile and cheap at any width. */
static void
smooth_field (gint32 *data, guint cols, guint rows, guint lateral, guint axial,
              gint32 *copy, gint64 *sums)
{
  box_rows (data, cols, rows, lateral, copy);
  box_rows (data, cols, rows, lateral, copy);
  box_columns (data, cols, rows, axial, copy, sums);
  box_columns (data, cols, rows, axial, copy, sums);
}

static void
fill_noise (gint32 *data, gsize n, SlPhantomRng *rng)
{
  gsize i;
  guint64 bits = 0;

  for (i = 0; i < n; i++)
    {
      if (i % 8 == 0)
        bits = sl_phantom_rng_next (rng);
      data[i] = (gint32)(bits & 0xff) - 128;
      bits >>= 8;
    }
}

/* Grey-level offset of the tissue layers at depth fraction @f (0..1024):
 * bright skin, hypoechoic subcutaneous fat, then muscle and organ. */
static gint
layer_offset (gint f)
{
  static const gint points[][2]
      = { { -1024, 34 }, { 30, 34 }, { 48, -34 }, { 105, -34 },
          { 122, 6 },    { 400, 0 }, { 2048, 0 } };
  guint i;

  for (i = 1; i < G_N_ELEMENTS (points); i++)
    if (f < points[i][0])
      return points[i - 1][1]
             + (points[i][1] - points[i - 1][1]) * (f - points[i - 1][0])
                   / (points[i][0] - points[i - 1][0]);
  return 0;
}

/* A coarse random grid, bilinearly interpolated: regions of slightly
 * different echogenicity, +-@amplitude grey levels. */
static gint8 *
echogenicity_new (guint cols, guint rows, guint amplitude, SlPhantomRng *rng)
{
  enum
  {
    GRID = 10
  };
  gint grid[GRID + 1][GRID + 1];
  gint8 *field = g_malloc ((gsize)cols * rows);
  guint r, c, gx, gy;

  for (gy = 0; gy <= GRID; gy++)
    for (gx = 0; gx <= GRID; gx++)
      grid[gy][gx] = (gint)(sl_phantom_rng_next (rng) % (2 * amplitude + 1))
                     - (gint)amplitude;
  for (r = 0; r < rows; r++)
    {
      guint fy = r * GRID * 256 / rows, wy = fy & 255;

      gy = fy >> 8;
      for (c = 0; c < cols; c++)
        {
          guint fx = c * GRID * 256 / cols, wx = fx & 255;
          gint top, bottom;

          gx = fx >> 8;
          top = grid[gy][gx] * (gint)(256 - wx) + grid[gy][gx + 1] * (gint)wx;
          bottom = grid[gy + 1][gx] * (gint)(256 - wx)
                   + grid[gy + 1][gx + 1] * (gint)wx;
          field[(gsize)r * cols + c]
              = (gint8)((top * (gint)(256 - wy) + bottom * (gint)wy) / 65536);
        }
    }
  return field;
}

/* log2 in Q8 by table: the exponent from the top bit, the fraction from
 * the next 10 bits of mantissa.  Several times faster than the exact
 * sl_phantom_log2_q8() and within one Q8 step of it. */
typedef struct
{
  guint16 fraction[1024];
} Log2Table;

static void
log2_table_init (Log2Table *table)
{
  guint i;

  for (i = 0; i < 1024; i++)
    table->fraction[i] = (guint16)(sl_phantom_log2_q8 (1024 + i) - (10 << 8));
}

static guint
log2_fast (const Log2Table *table, guint64 n)
{
  guint e = 63 - (guint)__builtin_clzll (n);
  guint64 m = e >= 10 ? n >> (e - 10) : n << (10 - e);

  return (e << 8) + table->fraction[m & 1023];
}

static guint8 *
compress (gint32 *const fields[N_FIELDS], guint cols, guint rows,
          guint depth_rows, guint row_margin, SlPhantomRng *rng)
{
  gsize n = (gsize)cols * rows, i;
  guint16 *log_amp = g_new (guint16, n);
  g_autofree gint8 *echo = echogenicity_new (cols, rows, 14, rng);
  guint8 *texture = g_malloc (n);
  guint64 sum = 0;
  Log2Table table;
  gint mean;
  guint r, c;

  log2_table_init (&table);
  /* log2 of the amplitude is half the log2 of the power: no square root. */
  for (i = 0; i < n; i++)
    {
      guint64 power = 1;
      guint f;

      for (f = 0; f < N_FIELDS; f++)
        power += (guint64)((gint64)fields[f][i] * fields[f][i]);

      log_amp[i] = (guint16)(log2_fast (&table, power) / 2);
      sum += log_amp[i];
    }
  mean = (gint)(sum / n);
  for (r = 0; r < rows; r++)
    {
      gint depth = (gint)r - (gint)row_margin;
      gint layer = layer_offset (depth * 1024 / (gint)depth_rows);

      for (c = 0; c < cols; c++)
        {
          gsize k = (gsize)r * cols + c;
          gint v = DISPLAY_CENTRE + layer + echo[k]
                   + ((gint)log_amp[k] - mean) * 255 / (DISPLAY_OCTAVES * 256);

          texture[k] = (guint8)CLAMP (v, 0, 255);
        }
    }
  g_free (log_amp);
  return texture;
}

guint8 *
sl_phantom_speckle_new (guint cols, guint rows, guint depth_rows,
                        guint row_margin, guint64 seed)
{
  gsize n = (gsize)cols * rows;
  gint32 *fields[N_FIELDS];
  /* Scratch for the filters: a whole field, or one row and its ends. */
  gint32 *copy = g_new (gint32, MAX (n, 2 * cols));
  gint64 *sums = g_new (gint64, cols);
  /* Resolution cell: about 0.6 mm axially and 3-4 times that laterally,
   * whatever the picture size, so 720p and 1080p look alike. */
  guint axial = MAX (2, depth_rows / 160);
  guint lateral = MAX (3, depth_rows * 16 / 1000);
  SlPhantomRng rng;
  guint8 *texture;
  guint f;

  sl_phantom_rng_init (&rng, seed);
  for (f = 0; f < N_FIELDS; f++)
    {
      fields[f] = g_new (gint32, n);
      fill_noise (fields[f], n, &rng);
      smooth_field (fields[f], cols, rows, lateral, axial, copy, sums);
    }
  texture = compress (fields, cols, rows, depth_rows, row_margin, &rng);
  for (f = 0; f < N_FIELDS; f++)
    g_free (fields[f]);
  g_free (sums);
  g_free (copy);
  return texture;
}
