/* sl-stamp.c — a 64-bit value in black and white blocks.
 *
 * Layout (docs/probe-adapters.md has the user's view): 4 rows of 28 square
 * blocks at the picture's top-left corner, block side max(8, width / 160)
 * pixels, black (luma 16) for 0 and white (235) for 1.  Each row starts
 * with 4 sync blocks, 1 0 and the row number in two bits, then carries 3
 * bytes most significant bit first: the 64-bit value big-endian, then the
 * CRC-32 (IEEE 802.3) of those 8 bytes.
 *
 * Why this shape: blocks of 8 pixels or more at the corner of the picture
 * sit on the encoder's 8×8 and 16×16 block grid, so each block is flat
 * inside a transform block and survives strong quantisation; reading the
 * centre of each block steers clear of ringing at the block edges.  The
 * CRC-32 has Hamming distance 6 at this length (Koopman, "32-bit cyclic
 * redundancy codes for Internet applications", DSN 2002), so up to five
 * wrong blocks are always detected, and the 16 fixed sync blocks reject a
 * picture without a stamp.  Blocks that read as neither black nor white
 * (a blurred or concealed region) make the stamp unreadable rather than
 * guessed.
 */
#include "sl-stamp.h"

#define COLS 28
#define ROWS 4
#define SYNC_BITS 4
#define BYTES_PER_ROW 3
#define BLACK 16
#define WHITE 235
/* A block's centre must be this far from mid-grey (125.5) to count. */
#define MARGIN 28
#define MIN_WIDTH 320
#define MIN_HEIGHT 64

static guint
block_size (guint width)
{
  return MAX (8, width / 160);
}

void
sl_stamp_get_size (guint width, guint *stamp_width, guint *stamp_height)
{
  guint block = block_size (width);

  if (stamp_width != NULL)
    *stamp_width = COLS * block;
  if (stamp_height != NULL)
    *stamp_height = ROWS * block;
}

gboolean
sl_stamp_fits (guint width, guint height)
{
  return width >= MIN_WIDTH && height >= MIN_HEIGHT;
}

static guint32
crc32_ieee (const guint8 *data, gsize len)
{
  guint32 crc = 0xffffffff;
  gsize i;
  guint bit;

  for (i = 0; i < len; i++)
    {
      crc ^= data[i];
      for (bit = 0; bit < 8; bit++)
        crc = (crc >> 1) ^ (0xedb88320 & (0u - (crc & 1)));
    }
  return ~crc;
}

/* The 12 payload bytes: value big-endian, then its CRC big-endian. */
static void
payload (guint64 value, guint8 bytes[ROWS * BYTES_PER_ROW])
{
  guint32 crc;
  guint i;

  for (i = 0; i < 8; i++)
    bytes[i] = (guint8)(value >> (56 - 8 * i));
  crc = crc32_ieee (bytes, 8);
  for (i = 0; i < 4; i++)
    bytes[8 + i] = (guint8)(crc >> (24 - 8 * i));
}

/* Bit @col of row @row of the stamp of @bytes. */
static gboolean
stamp_bit (const guint8 *bytes, guint row, guint col)
{
  guint k;

  if (col < SYNC_BITS)
    {
      guint sync = 0x8 | row; /* 1 0 r1 r0 */

      return (sync >> (SYNC_BITS - 1 - col)) & 1;
    }
  k = row * BYTES_PER_ROW * 8 + (col - SYNC_BITS);
  return (bytes[k / 8] >> (7 - k % 8)) & 1;
}

gboolean
sl_stamp_write (guint8 *y, gint stride, guint width, guint height,
                guint64 value)
{
  guint8 bytes[ROWS * BYTES_PER_ROW];
  guint block = block_size (width), row, col, py, px;

  if (!sl_stamp_fits (width, height))
    return FALSE;
  payload (value, bytes);
  for (row = 0; row < ROWS; row++)
    for (col = 0; col < COLS; col++)
      {
        guint8 level = stamp_bit (bytes, row, col) ? WHITE : BLACK;

        for (py = row * block; py < (row + 1) * block; py++)
          for (px = col * block; px < (col + 1) * block; px++)
            y[(gsize)py * stride + px] = level;
      }
  return TRUE;
}

/* Mean of the central half × half of a block; -1 if it is neither black
 * nor white enough to trust. */
static gint
read_block (const guint8 *y, gint stride, guint block, guint row, guint col)
{
  guint inner = MAX (2, block / 2), x0 = col * block + (block - inner) / 2;
  guint y0 = row * block + (block - inner) / 2, px, py, sum = 0, mean;

  for (py = y0; py < y0 + inner; py++)
    for (px = x0; px < x0 + inner; px++)
      sum += y[(gsize)py * stride + px];
  mean = sum / (inner * inner);
  /* Twice the mean against twice mid-grey (251) keeps it integer. */
  if (ABS ((gint)(2 * mean) - (BLACK + WHITE)) < 2 * MARGIN)
    return -1;
  return 2 * mean > BLACK + WHITE;
}

/* As read_block, for a stamp drawn on a larger picture and scaled down
 * with it: blocks @bw × @bh pixels (not whole numbers), the stamp's first
 * column at @x0.  The central half of each block is averaged. */
static gint
read_scaled_block (const guint8 *y, gint stride, gdouble x0, gdouble bw,
                   gdouble bh, guint row, guint col)
{
  gint cx0 = (gint)(x0 + (col + 0.25) * bw + 0.5);
  gint cx1 = MAX (cx0 + 1, (gint)(x0 + (col + 0.75) * bw + 0.5));
  gint cy0 = (gint)((row + 0.25) * bh + 0.5);
  gint cy1 = MAX (cy0 + 1, (gint)((row + 0.75) * bh + 0.5));
  guint sum = 0, n = 0, mean;

  for (gint py = cy0; py < cy1; py++)
    for (gint px = cx0; px < cx1; px++, n++)
      sum += y[(gsize)py * stride + px];
  mean = sum / n;
  if (ABS ((gint)(2 * mean) - (BLACK + WHITE)) < 2 * MARGIN)
    return -1;
  return 2 * mean > BLACK + WHITE;
}

/* Decodes the bits read by @read_bit (row, col) into a value, checking the
 * sync bits and the CRC. */
typedef gint (*ReadBit) (gconstpointer ctx, guint row, guint col);

static gboolean
decode_stamp (ReadBit read_bit, gconstpointer ctx, guint64 *value)
{
  guint8 bytes[ROWS * BYTES_PER_ROW] = { 0 }, expected[ROWS * BYTES_PER_ROW];
  guint row, col, i;
  guint64 v = 0;

  for (row = 0; row < ROWS; row++)
    for (col = 0; col < COLS; col++)
      {
        gint bit = read_bit (ctx, row, col);

        if (bit < 0)
          return FALSE;
        if (col < SYNC_BITS)
          {
            if (bit != (gint)stamp_bit (bytes, row, col))
              return FALSE;
          }
        else if (bit)
          {
            guint k = row * BYTES_PER_ROW * 8 + (col - SYNC_BITS);

            bytes[k / 8] |= (guint8)(0x80 >> (k % 8));
          }
      }
  for (i = 0; i < 8; i++)
    v = v << 8 | bytes[i];
  payload (v, expected);
  for (i = 8; i < ROWS * BYTES_PER_ROW; i++)
    if (bytes[i] != expected[i])
      return FALSE;
  if (value != NULL)
    *value = v;
  return TRUE;
}

typedef struct
{
  const guint8 *y;
  gint stride;
  guint block;
  gdouble x0, bw, bh;
} Geometry;

static gint
native_bit (gconstpointer ctx, guint row, guint col)
{
  const Geometry *g = ctx;

  return read_block (g->y, g->stride, g->block, row, col);
}

static gint
scaled_bit (gconstpointer ctx, guint row, guint col)
{
  const Geometry *g = ctx;

  return read_scaled_block (g->y, g->stride, g->x0, g->bw, g->bh, row, col);
}

gboolean
sl_stamp_read (const guint8 *y, gint stride, guint width, guint height,
               guint64 *value)
{
  Geometry g = { y, stride, block_size (width), 0, 0, 0 };

  if (!sl_stamp_fits (width, height))
    return FALSE;
  return decode_stamp (native_bit, &g, value);
}

/* Column of the first pixel of a stamp at @corner. */
static guint
corner_x (SlStampCorner corner, guint width)
{
  guint stamp_width;

  if (corner == SL_STAMP_TOP_LEFT)
    return 0;
  sl_stamp_get_size (width, &stamp_width, NULL);
  return (width - stamp_width) / 16 * 16;
}

gboolean
sl_stamp_fits_at (SlStampCorner corner, guint width, guint height)
{
  guint stamp_width;

  if (!sl_stamp_fits (width, height))
    return FALSE;
  if (corner == SL_STAMP_TOP_LEFT)
    return TRUE;
  sl_stamp_get_size (width, &stamp_width, NULL);
  return corner_x (corner, width) >= stamp_width + 16;
}

/* A stamp at another corner is the top-left stamp of the picture that
 * starts at its first column: the block geometry depends only on the full
 * width, so both corners share one writer and one reader. */
gboolean
sl_stamp_write_at (SlStampCorner corner, guint8 *y, gint stride, guint width,
                   guint height, guint64 value)
{
  if (!sl_stamp_fits_at (corner, width, height))
    return FALSE;
  return sl_stamp_write (y + corner_x (corner, width), stride, width, height,
                         value);
}

gboolean
sl_stamp_read_at (SlStampCorner corner, const guint8 *y, gint stride,
                  guint width, guint height, guint64 *value)
{
  if (!sl_stamp_fits_at (corner, width, height))
    return FALSE;
  return sl_stamp_read (y + corner_x (corner, width), stride, width, height,
                        value);
}

gboolean
sl_stamp_read_scaled (SlStampCorner corner, const guint8 *y, gint stride,
                      guint width, guint height, guint src_width,
                      guint src_height, guint64 *value)
{
  Geometry g = { y, stride, 0, 0, 0, 0 };
  gdouble sx, sy;

  if (src_width == 0 || src_height == 0 || width > src_width
      || height > src_height
      || !sl_stamp_fits_at (corner, src_width, src_height))
    return FALSE;
  sx = (gdouble)width / src_width;
  sy = (gdouble)height / src_height;
  g.bw = block_size (src_width) * sx;
  g.bh = block_size (src_width) * sy;
  g.x0 = corner_x (corner, src_width) * sx;
  /* Below two pixels a block is mostly its neighbours' blur. */
  if (g.bw < 2 || g.bh < 2 || g.x0 + COLS * g.bw > width
      || ROWS * g.bh > height)
    return FALSE;
  return decode_stamp (scaled_bit, &g, value);
}
