/* test-guide-still.c — stills (sl-guide-still.h): PNG is lossless for
 * every raw layout; a still split into messages, sent through the codec
 * and reassembled is bit-exact; a corrupted, incomplete, repeated or
 * reordered transfer is refused as docs/guidance.md says; a still nobody
 * asked for, one beyond the quota and one that is not the PNG promised
 * are refused; saving never replaces a file; sizes are bounded. */
#include "sl-guide-still.h"

#include <cairo.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Noise, so that the PNG does not compress to a single chunk. */
static guint8 *
noise (gsize len, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  guint8 *data = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    data[i] = (guint8)g_rand_int (rand);
  return data;
}

static void
check_lossless (SlGuidePixelFormat format, guint bpp)
{
  const guint w = 97, h = 61;
  const gsize stride = w * bpp + 5; /* rows with padding */
  g_autofree guint8 *raw = noise (stride * h, format + 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) png = NULL;
  g_autofree guint8 *rgb = NULL;
  guint dw, dh;

  png = sl_guide_png_encode (raw, format, w, h, stride, &error);
  g_assert_no_error (error);
  rgb = sl_guide_png_decode (g_bytes_get_data (png, NULL),
                             g_bytes_get_size (png), &dw, &dh, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dw, ==, w);
  g_assert_cmpuint (dh, ==, h);
  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++)
      {
        const guint8 *s = raw + y * stride + x * bpp;
        const guint8 *d = rgb + (y * w + x) * 3;
        guint8 r = s[0], g = s[0], b = s[0];

        if (format == SL_GUIDE_PIXEL_RGB || format == SL_GUIDE_PIXEL_RGBX)
          r = s[0], g = s[1], b = s[2];
        else if (format == SL_GUIDE_PIXEL_BGRX)
          r = s[2], g = s[1], b = s[0];
        if (d[0] != r || d[1] != g || d[2] != b)
          g_error ("format %d: pixel %u,%u changed", format, x, y);
      }
}

static void
test_png_lossless (void)
{
  check_lossless (SL_GUIDE_PIXEL_GRAY8, 1);
  check_lossless (SL_GUIDE_PIXEL_RGB, 3);
  check_lossless (SL_GUIDE_PIXEL_RGBX, 4);
  check_lossless (SL_GUIDE_PIXEL_BGRX, 4);
}

static void
test_png_refuses (void)
{
  static const guint8 not_png[32] = "GIF89a";
  guint8 huge[33], pixel[3] = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) png = NULL;
  guint w, h;

  g_assert_null (sl_guide_png_decode (not_png, sizeof not_png, &w, &h, &error));
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_IMAGE);
  g_clear_error (&error);
  /* A header that claims 100000 × 1 pixels is refused before cairo
   * allocates anything. */
  png = sl_guide_png_encode (pixel, SL_GUIDE_PIXEL_RGB, 1, 1, 3, &error);
  memcpy (huge, g_bytes_get_data (png, NULL), sizeof huge);
  huge[16] = 0, huge[17] = 1, huge[18] = 0x86, huge[19] = 0xa0;
  g_assert_null (sl_guide_png_decode (huge, sizeof huge, &w, &h, &error));
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_IMAGE);
  g_clear_error (&error);
  /* A truncated PNG. */
  g_assert_null (sl_guide_png_decode (g_bytes_get_data (png, NULL),
                                      g_bytes_get_size (png) - 10, &w, &h,
                                      &error));
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_IMAGE);
  g_clear_error (&error);
  g_assert_null (
      sl_guide_png_encode (pixel, SL_GUIDE_PIXEL_RGB, 1, 1, 2, &error));
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_OUT_OF_RANGE);
  g_clear_error (&error);
  g_assert_null (
      sl_guide_png_encode (pixel, SL_GUIDE_PIXEL_GRAY8, 0, 1, 1, &error));
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_OUT_OF_RANGE);
}

/* A PNG of @w × @h noise, over several chunks. */
static GBytes *
noise_png (guint w, guint h)
{
  g_autofree guint8 *raw = noise (w * h * 3, 7);

  return sl_guide_png_encode (raw, SL_GUIDE_PIXEL_RGB, w, h, w * 3, NULL);
}

/* The transfer of @png as parsed messages, each gone through the wire,
 * its STILL_META saying the picture is @w × @h. */
static GPtrArray *
transfer_sized (GBytes *png, const gchar *req, guint w, guint h)
{
  g_autoptr (SlGuideStillTx) tx = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *msgs = g_ptr_array_new ();
  SlGuideMsg msg;

  tx = sl_guide_still_tx_new (req, 123456, w, h, 0.258, 0.258, png, &error);
  g_assert_no_error (error);
  while (sl_guide_still_tx_next (tx, &msg))
    {
      g_autofree gchar *text = sl_guide_serialize (&msg);
      SlGuideMsg *parsed = g_new0 (SlGuideMsg, 1);

      g_assert_cmpuint (strlen (text), <=, SL_GUIDE_MAX_SIZE);
      g_assert_true (sl_guide_parse (text, strlen (text), parsed, &error));
      g_assert_no_error (error);
      g_ptr_array_add (msgs, parsed);
      sl_guide_msg_clear (&msg);
    }
  g_assert_cmpuint (msgs->len, ==, sl_guide_still_tx_n_chunks (tx) + 2);
  return msgs;
}

/* A transfer of a 200 × 150 picture, as noise_png (200, 150) makes. */
static GPtrArray *
transfer (GBytes *png, const gchar *req)
{
  return transfer_sized (png, req, 200, 150);
}

/* A receiver that asked for @req (and @req2, if not NULL) at time 0. */
static SlGuideStillRx *
rx_asking (const gchar *req, const gchar *req2)
{
  SlGuideStillRx *rx = sl_guide_still_rx_new ();

  sl_guide_still_rx_expect (rx, req, 0);
  if (req2 != NULL)
    sl_guide_still_rx_expect (rx, req2, 0);
  return rx;
}

static void
free_transfer (GPtrArray *msgs)
{
  for (guint i = 0; i < msgs->len; i++)
    {
      sl_guide_msg_clear (msgs->pdata[i]);
      g_free (msgs->pdata[i]);
    }
  g_ptr_array_unref (msgs);
}

/* A transfer's messages, freed with their contents. */
typedef GPtrArray GPtrArrayTransfer;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GPtrArrayTransfer, free_transfer)

static SlGuideStillStatus
feed (SlGuideStillRx *rx, GPtrArray *msgs, guint i, GError **error)
{
  return sl_guide_still_rx_feed (rx, msgs->pdata[i], 1000 + i, error);
}

static void
test_round_trip (void)
{
  g_autoptr (GBytes) png = noise_png (200, 150);
  g_autoptr (GPtrArrayTransfer) msgs = transfer (png, "s1");
  g_autoptr (SlGuideStillRx) rx = rx_asking ("s1", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) got = NULL;
  SlGuideStillMeta meta;
  gint64 media_ms;
  const SlGuideMsg *first = msgs->pdata[0];
  guint n = msgs->len - 2;

  g_assert_cmpuint (n, ==, (g_bytes_get_size (png) + 16383) / 16384);
  g_assert_cmpuint (n, >=, 3);
  g_assert_cmpint (first->type, ==, SL_GUIDE_STILL_META);
  g_assert_cmpuint (first->still.bytes, ==, g_bytes_get_size (png));
  g_assert_cmpint (feed (rx, msgs, 0, &error), ==, SL_GUIDE_STILL_STARTED);
  for (guint i = 1; i <= n; i++)
    g_assert_cmpint (feed (rx, msgs, i, &error), ==, SL_GUIDE_STILL_PROGRESS);
  g_assert_null (sl_guide_still_rx_take (rx, NULL, NULL));
  g_assert_cmpint (feed (rx, msgs, n + 1, &error), ==, SL_GUIDE_STILL_COMPLETE);
  g_assert_no_error (error);
  got = sl_guide_still_rx_take (rx, &meta, &media_ms);
  g_assert_nonnull (got);
  g_assert_true (g_bytes_equal (got, png));
  g_assert_cmpint (media_ms, ==, 123456);
  g_assert_cmpstr (meta.req, ==, "s1");
  g_assert_cmpuint (meta.width, ==, 200);
  g_assert_cmpfloat (meta.mm_per_px_x, ==, 0.258);
  g_assert_null (sl_guide_still_rx_take (rx, NULL, NULL));
}

/* Feeds @order (indices into the transfer, -1 ends) and returns the
 * status of the last one fed; the error goes to @error. */
static SlGuideStillStatus
feed_order (GPtrArray *msgs, const gint *order, GError **error)
{
  g_autoptr (SlGuideStillRx) rx = rx_asking ("s1", NULL);
  SlGuideStillStatus status = SL_GUIDE_STILL_IGNORED;

  for (; *order >= 0; order++)
    {
      status = feed (rx, msgs, (guint)*order, error);
      if (status == SL_GUIDE_STILL_FAILED)
        {
          /* The rest of a failed transfer is ignored, end included. */
          g_assert_cmpint (feed (rx, msgs, msgs->len - 1, NULL), ==,
                           SL_GUIDE_STILL_IGNORED);
          g_assert_null (sl_guide_still_rx_take (rx, NULL, NULL));
          break;
        }
    }
  return status;
}

static void
test_sequence_errors (void)
{
  g_autoptr (GBytes) png = noise_png (200, 150);
  g_autoptr (GPtrArrayTransfer) msgs = transfer (png, "s1");
  gint end = (gint)msgs->len - 1;
  const gint missing[] = { 0, 1, 3, -1 };
  const gint repeated[] = { 0, 1, 1, -1 };
  const gint swapped[] = { 0, 2, 1, -1 };
  const gint early_end[] = { 0, 1, end, -1 };
  const gint no_meta[] = { 1, 2, end, -1 };
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (feed_order (msgs, missing, &error), ==,
                   SL_GUIDE_STILL_FAILED);
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_SEQUENCE);
  g_clear_error (&error);
  g_assert_cmpint (feed_order (msgs, repeated, &error), ==,
                   SL_GUIDE_STILL_FAILED);
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_SEQUENCE);
  g_clear_error (&error);
  g_assert_cmpint (feed_order (msgs, swapped, &error), ==,
                   SL_GUIDE_STILL_FAILED);
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_SEQUENCE);
  g_clear_error (&error);
  g_assert_cmpint (feed_order (msgs, early_end, &error), ==,
                   SL_GUIDE_STILL_FAILED);
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_SEQUENCE);
  g_clear_error (&error);
  /* Chunks of a transfer that never began are ignored, not errors. */
  g_assert_cmpint (feed_order (msgs, no_meta, &error), ==,
                   SL_GUIDE_STILL_IGNORED);
  g_assert_no_error (error);
}

static void
test_corruption (void)
{
  g_autoptr (GBytes) png = noise_png (200, 150);
  g_autoptr (GPtrArrayTransfer) msgs = transfer (png, "s1");
  g_autoptr (SlGuideStillRx) rx = rx_asking ("s1", NULL);
  g_autoptr (GError) error = NULL;
  SlGuideMsg *chunk = msgs->pdata[2];
  guint n = msgs->len - 2;

  /* One flipped bit anywhere fails the checksum at the end. */
  chunk->chunk.data[100] ^= 0x10;
  for (guint i = 0; i <= n; i++)
    feed (rx, msgs, i, NULL);
  g_assert_cmpint (feed (rx, msgs, n + 1, &error), ==, SL_GUIDE_STILL_FAILED);
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_CHECKSUM);
  g_clear_error (&error);
  g_assert_null (sl_guide_still_rx_take (rx, NULL, NULL));
  chunk->chunk.data[100] ^= 0x10;

  /* A chunk shorter than STILL_META implies (asked for again: a
   * request is answered once). */
  chunk->chunk.len -= 1;
  sl_guide_still_rx_expect (rx, "s1", 0);
  g_assert_cmpint (feed (rx, msgs, 0, NULL), ==, SL_GUIDE_STILL_STARTED);
  g_assert_cmpint (feed (rx, msgs, 1, NULL), ==, SL_GUIDE_STILL_PROGRESS);
  g_assert_cmpint (feed (rx, msgs, 2, &error), ==, SL_GUIDE_STILL_FAILED);
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_MALFORMED);
  chunk->chunk.len += 1;
}

static void
test_replaced_and_foreign (void)
{
  g_autoptr (GBytes) png = noise_png (200, 150);
  g_autoptr (GPtrArrayTransfer) one = transfer (png, "one");
  g_autoptr (GPtrArrayTransfer) two = transfer (png, "two");
  g_autoptr (SlGuideStillRx) rx = rx_asking ("one", "two");
  g_autoptr (GBytes) got = NULL;
  SlGuideMsg unrelated = { .type = SL_GUIDE_UNDO };
  SlGuideStillMeta meta;

  g_assert_cmpint (feed (rx, one, 0, NULL), ==, SL_GUIDE_STILL_STARTED);
  g_assert_cmpint (feed (rx, one, 1, NULL), ==, SL_GUIDE_STILL_PROGRESS);
  /* A new STILL_META replaces the unfinished transfer... */
  g_assert_cmpint (feed (rx, two, 0, NULL), ==, SL_GUIDE_STILL_STARTED);
  /* ...whose remaining chunks are then ignored. */
  g_assert_cmpint (feed (rx, one, 2, NULL), ==, SL_GUIDE_STILL_IGNORED);
  g_assert_cmpint (sl_guide_still_rx_feed (rx, &unrelated, 0, NULL), ==,
                   SL_GUIDE_STILL_IGNORED);
  for (guint i = 1; i < two->len - 1; i++)
    g_assert_cmpint (feed (rx, two, i, NULL), ==, SL_GUIDE_STILL_PROGRESS);
  g_assert_cmpint (feed (rx, one, one->len - 1, NULL), ==,
                   SL_GUIDE_STILL_IGNORED);
  g_assert_cmpint (feed (rx, two, two->len - 1, NULL), ==,
                   SL_GUIDE_STILL_COMPLETE);
  got = sl_guide_still_rx_take (rx, &meta, NULL);
  g_assert_cmpstr (meta.req, ==, "two");
  g_assert_true (g_bytes_equal (got, png));
}

static void
test_timeout (void)
{
  g_autoptr (GBytes) png = noise_png (200, 150);
  g_autoptr (GPtrArrayTransfer) msgs = transfer (png, "s1");
  g_autoptr (SlGuideStillRx) rx = rx_asking ("s1", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_true (sl_guide_still_rx_check_timeout (rx, 0, &error));
  sl_guide_still_rx_feed (rx, msgs->pdata[0], 5000, NULL);
  sl_guide_still_rx_feed (rx, msgs->pdata[1], 6000, NULL);
  g_assert_true (sl_guide_still_rx_check_timeout (
      rx, 6000 + SL_GUIDE_STILL_TIMEOUT_MS - 1, &error));
  g_assert_false (sl_guide_still_rx_check_timeout (
      rx, 6000 + SL_GUIDE_STILL_TIMEOUT_MS, &error));
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_SEQUENCE);
  g_assert_cmpint (sl_guide_still_rx_feed (rx, msgs->pdata[2], 20000, NULL), ==,
                   SL_GUIDE_STILL_IGNORED);
}

static void
test_sizes (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) big = NULL, empty = g_bytes_new (NULL, 0);
  g_autoptr (GBytes) one = g_bytes_new ("x", 1);
  g_autofree gchar *name = NULL;
  SlGuideStillTx *tx;

  big = g_bytes_new_take (g_malloc0 (SL_GUIDE_STILL_MAX_BYTES + 1),
                          SL_GUIDE_STILL_MAX_BYTES + 1);
  g_assert_null (sl_guide_still_tx_new ("r", 0, 8, 8, 0, 0, big, &error));
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_null (sl_guide_still_tx_new ("r", 0, 8, 8, 0, 0, empty, &error));
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_null (sl_guide_still_tx_new ("r/../x", 0, 8, 8, 0, 0, one, &error));
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_null (sl_guide_still_tx_new ("r", 0, 0, 8, 0, 0, one, &error));
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_OUT_OF_RANGE);
  g_clear_error (&error);
  g_assert_null (sl_guide_still_tx_new ("r", 0, 8, 8, 0.2, 0, one, &error));
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_OUT_OF_RANGE);
  g_clear_error (&error);
  /* The largest still: exactly 1024 full chunks. */
  g_bytes_unref (g_steal_pointer (&big));
  big = g_bytes_new_take (g_malloc0 (SL_GUIDE_STILL_MAX_BYTES),
                          SL_GUIDE_STILL_MAX_BYTES);
  tx = sl_guide_still_tx_new ("r", 0, 8, 8, 0, 0, big, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sl_guide_still_tx_n_chunks (tx), ==,
                    SL_GUIDE_STILL_MAX_BYTES / SL_GUIDE_STILL_CHUNK_SIZE);
  sl_guide_still_tx_free (tx);

  name = sl_guide_still_file_name ("../3f9a 1c2e", 4200);
  g_assert_cmpstr (name, ==, "sonolink-___3f9a_1c2e-4200ms.png");
  g_free (name);
  name = sl_guide_still_file_name_nth ("../3f9a 1c2e", 4200, 1);
  g_assert_cmpstr (name, ==, "sonolink-___3f9a_1c2e-4200ms-2.png");
}

static cairo_status_t
append_png (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

/* Feeds a whole transfer; returns the last status. */
static SlGuideStillStatus
feed_all (SlGuideStillRx *rx, GPtrArray *msgs, gint64 now_ms, GError **error)
{
  SlGuideStillStatus status = SL_GUIDE_STILL_IGNORED;

  for (guint i = 0; i < msgs->len; i++)
    {
      status = sl_guide_still_rx_feed (rx, msgs->pdata[i], now_ms, error);
      if (status == SL_GUIDE_STILL_FAILED)
        break;
    }
  return status;
}

/* Issue 14, finding 7: stills nobody asked for were saved. */
static void
test_unrequested (void)
{
  g_autoptr (GBytes) png = noise_png (200, 150);
  g_autoptr (GPtrArrayTransfer) asked = transfer (png, "asked");
  g_autoptr (GPtrArrayTransfer) other = transfer (png, "other");
  g_autoptr (SlGuideStillRx) rx = sl_guide_still_rx_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) got = NULL;

  /* Nothing asked: refused, and its chunks ignored. */
  g_assert_cmpint (feed_all (rx, asked, 0, &error), ==, SL_GUIDE_STILL_FAILED);
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_SEQUENCE);
  g_clear_error (&error);
  g_assert_cmpint (feed (rx, asked, 1, NULL), ==, SL_GUIDE_STILL_IGNORED);

  /* An unasked STILL_META in the middle of an asked transfer leaves it
   * alone. */
  sl_guide_still_rx_expect (rx, "asked", 0);
  g_assert_cmpint (feed (rx, asked, 0, NULL), ==, SL_GUIDE_STILL_STARTED);
  g_assert_cmpint (feed (rx, asked, 1, NULL), ==, SL_GUIDE_STILL_PROGRESS);
  g_assert_cmpint (feed (rx, other, 0, &error), ==, SL_GUIDE_STILL_FAILED);
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_SEQUENCE);
  g_clear_error (&error);
  for (guint i = 2; i < asked->len - 1; i++)
    g_assert_cmpint (feed (rx, asked, i, NULL), ==, SL_GUIDE_STILL_PROGRESS);
  g_assert_cmpint (feed (rx, asked, asked->len - 1, NULL), ==,
                   SL_GUIDE_STILL_COMPLETE);
  got = sl_guide_still_rx_take (rx, NULL, NULL);
  g_assert_true (g_bytes_equal (got, png));

  /* A request is answered once: the same transfer again is refused. */
  g_assert_cmpint (feed_all (rx, asked, 0, &error), ==, SL_GUIDE_STILL_FAILED);
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_SEQUENCE);
  g_clear_error (&error);

  /* A request the sender refused, or that waited too long, is gone. */
  sl_guide_still_rx_expect (rx, "asked", 0);
  g_assert_true (sl_guide_still_rx_forget (rx, "asked"));
  g_assert_false (sl_guide_still_rx_forget (rx, "asked"));
  g_assert_cmpint (feed (rx, asked, 0, NULL), ==, SL_GUIDE_STILL_FAILED);
  sl_guide_still_rx_expect (rx, "asked", 1000);
  g_assert_cmpint (
      sl_guide_still_rx_feed (rx, asked->pdata[0],
                              1000 + SL_GUIDE_STILL_REQUEST_TIMEOUT_MS, NULL),
      ==, SL_GUIDE_STILL_FAILED);
  sl_guide_still_rx_expect (rx, "asked", 1000);
  g_assert_cmpint (
      sl_guide_still_rx_feed (rx, asked->pdata[0],
                              999 + SL_GUIDE_STILL_REQUEST_TIMEOUT_MS, NULL),
      ==, SL_GUIDE_STILL_STARTED);

  /* At most SL_GUIDE_STILL_MAX_OUTSTANDING wait: one more forgets the
   * oldest. */
  for (guint i = 0; i <= SL_GUIDE_STILL_MAX_OUTSTANDING; i++)
    {
      g_autofree gchar *req = g_strdup_printf ("r%u", i);

      sl_guide_still_rx_expect (rx, req, 0);
    }
  g_assert_false (sl_guide_still_rx_forget (rx, "r0"));
  g_assert_true (sl_guide_still_rx_forget (rx, "r1"));
  g_assert_true (sl_guide_still_rx_forget (
      rx, "r" G_STRINGIFY (SL_GUIDE_STILL_MAX_OUTSTANDING)));
}

static void
test_quota (void)
{
  g_autoptr (GBytes) png = noise_png (200, 150);
  g_autoptr (SlGuideStillRx) rx = sl_guide_still_rx_new ();
  gsize size = g_bytes_get_size (png);
  g_autoptr (GError) error = NULL;
  guint stills;
  guint64 bytes;

  /* Three stills, and room for two and a half in bytes. */
  sl_guide_still_rx_set_quota (rx, 3, 2 * size + size / 2);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree gchar *req = g_strdup_printf ("q%u", i);
      g_autoptr (GPtrArrayTransfer) msgs = transfer (png, req);
      SlGuideStillStatus expected
          = i < 2 ? SL_GUIDE_STILL_COMPLETE : SL_GUIDE_STILL_FAILED;

      sl_guide_still_rx_expect (rx, req, 0);
      g_assert_cmpint (feed_all (rx, msgs, 0, &error), ==, expected);
      if (i < 2)
        g_bytes_unref (sl_guide_still_rx_take (rx, NULL, NULL));
    }
  g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_LIMIT);
  g_clear_error (&error);
  sl_guide_still_rx_get_taken (rx, &stills, &bytes);
  g_assert_cmpuint (stills, ==, 2);
  g_assert_cmpuint (bytes, ==, 2 * size);

  /* Three stills in count: the fourth is refused however small. */
  sl_guide_still_rx_set_quota (rx, 3, G_MAXUINT64);
  {
    g_autoptr (GPtrArrayTransfer) third = transfer (png, "q3");
    g_autoptr (GPtrArrayTransfer) fourth = transfer (png, "q4");

    sl_guide_still_rx_expect (rx, "q3", 0);
    g_assert_cmpint (feed_all (rx, third, 0, NULL), ==,
                     SL_GUIDE_STILL_COMPLETE);
    g_bytes_unref (sl_guide_still_rx_take (rx, NULL, NULL));
    sl_guide_still_rx_expect (rx, "q4", 0);
    g_assert_cmpint (feed_all (rx, fourth, 0, &error), ==,
                     SL_GUIDE_STILL_FAILED);
    g_assert_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_LIMIT);
  }
  /* The defaults, as documented. */
  g_assert_cmpuint (SL_GUIDE_STILL_QUOTA_COUNT, ==, 64);
  g_assert_cmpuint (SL_GUIDE_STILL_QUOTA_BYTES, ==, 256u * 1024 * 1024);
}

/* Feeds the transfer of @bytes, promised as a @w × @h PNG, to a receiver
 * that asked for it; returns the error code, or -1 if it completed. */
static gint
promised (GBytes *bytes, guint w, guint h)
{
  g_autoptr (GPtrArrayTransfer) msgs = transfer_sized (bytes, "p", w, h);
  g_autoptr (SlGuideStillRx) rx = rx_asking ("p", NULL);
  g_autoptr (GError) error = NULL;

  if (feed_all (rx, msgs, 0, &error) == SL_GUIDE_STILL_COMPLETE)
    return -1;
  g_assert_nonnull (error);
  g_assert_true (error->domain == SL_GUIDE_ERROR);
  return error->code;
}

/* Issue 14, finding 7: 4 MiB of random bytes were saved as a PNG. */
static void
test_promised_png (void)
{
  g_autoptr (GBytes) png = noise_png (200, 150);
  g_autoptr (GBytes) junk = NULL, bad_crc = NULL, alpha = NULL;
  g_autofree guint8 *raw = noise (100000, 3);
  gsize len;
  guint8 *copy;
  cairo_surface_t *surface;

  g_assert_cmpint (promised (png, 200, 150), ==, -1);
  /* Not a PNG at all, with a matching size and SHA-256. */
  junk = g_bytes_new (raw, sizeof raw[0] * 100000);
  g_assert_cmpint (promised (junk, 200, 150), ==, SL_GUIDE_ERROR_IMAGE);
  /* A PNG of another size than promised. */
  g_assert_cmpint (promised (png, 201, 150), ==, SL_GUIDE_ERROR_IMAGE);
  g_assert_cmpint (promised (png, 200, 1), ==, SL_GUIDE_ERROR_IMAGE);
  /* A header whose CRC does not match (the size patched afterwards). */
  copy = g_bytes_unref_to_data (g_bytes_ref (png), &len);
  copy[19] ^= 1;
  bad_crc = g_bytes_new_take (copy, len);
  g_assert_cmpint (promised (bad_crc, 200, 150 ^ 1), ==, SL_GUIDE_ERROR_IMAGE);
  /* A PNG with alpha (colour type 6): not what a township sends. */
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 200, 150);
  {
    GByteArray *out = g_byte_array_new ();

    cairo_surface_write_to_png_stream (surface, append_png, out);
    alpha = g_byte_array_free_to_bytes (out);
  }
  cairo_surface_destroy (surface);
  g_assert_cmpint (((const guint8 *)g_bytes_get_data (alpha, NULL))[25], ==, 6);
  g_assert_cmpint (promised (alpha, 200, 150), ==, SL_GUIDE_ERROR_IMAGE);
}

/* Removes @dir, its files and the folders in it (no links followed). */
static void
remove_tree (const gchar *dir)
{
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  const gchar *entry;

  while (listing && (entry = g_dir_read_name (listing)) != NULL)
    {
      g_autofree gchar *path = g_build_filename (dir, entry, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR)
          && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        remove_tree (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

static gchar *
read_text (const gchar *dir, const gchar *name)
{
  g_autofree gchar *path = g_build_filename (dir, name, NULL);
  gchar *text = NULL;

  g_file_get_contents (path, &text, NULL, NULL);
  return text;
}

static guint
mode_of (const gchar *path)
{
  GStatBuf st;

  g_assert_cmpint (g_lstat (path, &st), ==, 0);
  return st.st_mode & 07777;
}

/* Issue 14, finding 7: a saved patient PNG was overwritten with junk. */
static void
test_save (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("sl-still-XXXXXX", NULL);
  g_autofree gchar *sub = g_build_filename (dir, "stills", NULL);
  g_autofree gchar *first = NULL, *second = NULL, *outside = NULL;
  g_autofree gchar *link_path = NULL, *third = NULL, *precious = NULL;
  g_autoptr (GBytes) png = g_bytes_new_static ("png bytes", 9);
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) listing = NULL;
  const gchar *entry;
  guint files = 0;

  /* The folder is made, private; the file is the user's only. */
  g_assert_true (sl_guide_still_save (sub, "r1", 500, png, &first, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (strrchr (first, '/') + 1, ==, "sonolink-r1-500ms.png");
  g_assert_cmpuint (mode_of (sub), ==, 0700);
  g_assert_cmpuint (mode_of (first), ==, 0600);

  /* A still of the same media time takes the next name. */
  g_assert_true (sl_guide_still_save (sub, "r1", 500, png, &second, &error));
  g_assert_cmpstr (strrchr (second, '/') + 1, ==, "sonolink-r1-500ms-2.png");

  /* A file already there is never replaced, nor a link followed. */
  precious = g_build_filename (sub, "sonolink-r1-700ms.png", NULL);
  g_assert_true (g_file_set_contents (precious, "precious", -1, NULL));
  g_clear_pointer (&precious, g_free);
  outside = g_build_filename (dir, "outside", NULL);
  g_assert_true (g_file_set_contents (outside, "outside", -1, NULL));
  link_path = g_build_filename (sub, "sonolink-r1-700ms-2.png", NULL);
  g_assert_cmpint (symlink (outside, link_path), ==, 0);
  g_assert_true (sl_guide_still_save (sub, "r1", 700, png, &third, &error));
  g_assert_cmpstr (strrchr (third, '/') + 1, ==, "sonolink-r1-700ms-3.png");
  precious = read_text (sub, "sonolink-r1-700ms.png");
  g_assert_cmpstr (precious, ==, "precious");
  g_free (precious);
  precious = read_text (dir, "outside");
  g_assert_cmpstr (precious, ==, "outside");

  /* No temporary file is left behind. */
  listing = g_dir_open (sub, 0, NULL);
  while ((entry = g_dir_read_name (listing)) != NULL)
    {
      g_assert_false (g_str_has_prefix (entry, "."));
      files++;
    }
  g_assert_cmpuint (files, ==, 5);

  /* Every name taken: an error, nothing written. */
  for (guint n = 0; n < SL_GUIDE_STILL_MAX_NAMES; n++)
    {
      g_autofree gchar *name = sl_guide_still_file_name_nth ("r1", 900, n);
      g_autofree gchar *path = g_build_filename (sub, name, NULL);

      g_assert_true (g_file_set_contents (path, "x", -1, NULL));
    }
  {
    g_autofree gchar *none = NULL;

    g_assert_false (sl_guide_still_save (sub, "r1", 900, png, &none, &error));
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST);
    g_assert_null (none);
  }
  remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/guide-still/png-lossless", test_png_lossless);
  g_test_add_func ("/guide-still/png-refuses", test_png_refuses);
  g_test_add_func ("/guide-still/round-trip", test_round_trip);
  g_test_add_func ("/guide-still/sequence-errors", test_sequence_errors);
  g_test_add_func ("/guide-still/corruption", test_corruption);
  g_test_add_func ("/guide-still/replaced-and-foreign",
                   test_replaced_and_foreign);
  g_test_add_func ("/guide-still/timeout", test_timeout);
  g_test_add_func ("/guide-still/sizes", test_sizes);
  g_test_add_func ("/guide-still/unrequested", test_unrequested);
  g_test_add_func ("/guide-still/quota", test_quota);
  g_test_add_func ("/guide-still/promised-png", test_promised_png);
  g_test_add_func ("/guide-still/save", test_save);
  return g_test_run ();
}
