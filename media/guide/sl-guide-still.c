/* sl-guide-still.c — see sl-guide-still.h.
 *
 * PNG goes through cairo, which the renderer needs anyway.  Cairo's
 * CAIRO_FORMAT_RGB24 is one 32-bit word a pixel in native byte order,
 * 0xXXRRGGBB (B, G, R, X in memory on a little-endian machine), so raw
 * frames are converted word by word rather than copied; cairo writes it
 * as 8-bit RGB without alpha, so no premultiplication is involved and the
 * values are kept exactly.  CAIRO_FORMAT_A8 is written as 8-bit
 * greyscale, which is how a grey frame travels without tripling its size.
 *
 * The receiver trusts nothing in a transfer but what it checked: a
 * transfer begins only in answer to a request of its own and within its
 * quota, chunks must come in order, each exactly as long as STILL_META
 * implies, the bytes must hash to its SHA-256 and be the PNG it promised
 * (signature, header, size in pixels); the buffer grows with what
 * arrived rather than with what STILL_META announced.  A refused
 * STILL_META leaves a transfer in progress alone, so that a peer cannot
 * break the still the receiver is waiting for by sending another.
 *
 * Saving never replaces a file: the bytes go to a fresh temporary file
 * in the folder (mkstemp, mode 0600), which is then hard-linked to the
 * first free name; link() fails with EEXIST rather than replace, and
 * follows no symbolic link at the name.
 */
#include "sl-guide-still.h"

#include <cairo.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* What a receiver reserves up front, whatever STILL_META says. */
#define INITIAL_RESERVE (1024 * 1024)

static gboolean
image_error (GError **error, const gchar *what, cairo_status_t status)
{
  g_set_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_IMAGE, "%s: %s", what,
               cairo_status_to_string (status));
  return FALSE;
}

/* ---- PNG ---- */

static void
convert_row (guint8 *dst, const guint8 *src, SlGuidePixelFormat format,
             guint width)
{
  guint32 *word = (guint32 *)dst;

  switch (format)
    {
    case SL_GUIDE_PIXEL_GRAY8:
      memcpy (dst, src, width);
      break;
    case SL_GUIDE_PIXEL_RGB:
      for (guint x = 0; x < width; x++, src += 3)
        word[x] = 0xff000000u | (guint32)src[0] << 16 | (guint32)src[1] << 8
                  | src[2];
      break;
    case SL_GUIDE_PIXEL_RGBX:
      for (guint x = 0; x < width; x++, src += 4)
        word[x] = 0xff000000u | (guint32)src[0] << 16 | (guint32)src[1] << 8
                  | src[2];
      break;
    case SL_GUIDE_PIXEL_BGRX:
      for (guint x = 0; x < width; x++, src += 4)
        word[x] = 0xff000000u | (guint32)src[2] << 16 | (guint32)src[1] << 8
                  | src[0];
      break;
    }
}

static cairo_status_t
write_png (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

GBytes *
sl_guide_png_encode (const guint8 *pixels, SlGuidePixelFormat format,
                     guint width, guint height, gsize stride, GError **error)
{
  static const guint bpp[] = { 1, 3, 4, 4 };
  g_autoptr (GByteArray) png = NULL;
  cairo_surface_t *surface;
  cairo_status_t status;
  guint8 *data;
  gint dst_stride;

  if ((guint)format >= G_N_ELEMENTS (bpp) || width == 0 || height == 0
      || width > SL_GUIDE_MAX_IMAGE_SIDE || height > SL_GUIDE_MAX_IMAGE_SIDE
      || stride < (gsize)width * bpp[format])
    {
      g_set_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_OUT_OF_RANGE,
                   "cannot encode a %u×%u picture with rows %" G_GSIZE_FORMAT
                   " bytes apart",
                   width, height, stride);
      return NULL;
    }
  surface = cairo_image_surface_create (
      format == SL_GUIDE_PIXEL_GRAY8 ? CAIRO_FORMAT_A8 : CAIRO_FORMAT_RGB24,
      (int)width, (int)height);
  status = cairo_surface_status (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (surface);
      image_error (error, "cannot make a picture", status);
      return NULL;
    }
  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);
  dst_stride = cairo_image_surface_get_stride (surface);
  for (guint y = 0; y < height; y++)
    convert_row (data + (gsize)y * dst_stride, pixels + y * stride, format,
                 width);
  cairo_surface_mark_dirty (surface);
  png = g_byte_array_new ();
  status = cairo_surface_write_to_png_stream (surface, write_png, png);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      image_error (error, "cannot write PNG", status);
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&png));
}

typedef struct
{
  const guint8 *data;
  gsize len, pos;
} Reader;

static cairo_status_t
read_png (void *closure, unsigned char *data, unsigned int length)
{
  Reader *r = closure;

  if (length > r->len - r->pos)
    return CAIRO_STATUS_READ_ERROR;
  memcpy (data, r->data + r->pos, length);
  r->pos += length;
  return CAIRO_STATUS_SUCCESS;
}

/* Checks the PNG signature and the size in its IHDR before cairo
 * allocates a picture of whatever size a file claims. */
static gboolean
check_png_header (const guint8 *png, gsize len, GError **error)
{
  static const guint8 signature[]
      = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
          0,    0,   0,   13,  'I',  'H',  'D',  'R' };
  guint32 w, h;

  if (len < 24 || memcmp (png, signature, sizeof signature) != 0)
    {
      g_set_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_IMAGE, "not a PNG");
      return FALSE;
    }
  memcpy (&w, png + 16, 4);
  memcpy (&h, png + 20, 4);
  w = GUINT32_FROM_BE (w);
  h = GUINT32_FROM_BE (h);
  if (w == 0 || h == 0 || w > SL_GUIDE_MAX_IMAGE_SIDE
      || h > SL_GUIDE_MAX_IMAGE_SIDE)
    {
      g_set_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_IMAGE,
                   "a PNG of %u×%u pixels", w, h);
      return FALSE;
    }
  return TRUE;
}

guint8 *
sl_guide_png_decode (const guint8 *png, gsize len, guint *width, guint *height,
                     GError **error)
{
  Reader reader = { png, len, 0 };
  cairo_surface_t *surface;
  cairo_status_t status;
  const guint8 *data;
  guint8 *rgb, *out;
  gint w, h, stride;

  if (!check_png_header (png, len, error))
    return NULL;
  surface = cairo_image_surface_create_from_png_stream (read_png, &reader);
  status = cairo_surface_status (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (surface);
      image_error (error, "cannot read PNG", status);
      return NULL;
    }
  w = cairo_image_surface_get_width (surface);
  h = cairo_image_surface_get_height (surface);
  stride = cairo_image_surface_get_stride (surface);
  data = cairo_image_surface_get_data (surface);
  out = rgb = g_malloc ((gsize)w * h * 3);
  /* Cairo reads every PNG as RGB24 or ARGB32 words (grey replicated);
   * an alpha channel, which our stills never have, is dropped. */
  for (gint y = 0; y < h; y++)
    {
      const guint32 *row = (const guint32 *)(data + (gsize)y * stride);

      for (gint x = 0; x < w; x++)
        {
          *out++ = (row[x] >> 16) & 0xff;
          *out++ = (row[x] >> 8) & 0xff;
          *out++ = row[x] & 0xff;
        }
    }
  cairo_surface_destroy (surface);
  *width = (guint)w;
  *height = (guint)h;
  return rgb;
}

gchar *
sl_guide_sha256_hex (const guint8 *data, gsize len)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);
}

gchar *
sl_guide_still_file_name_nth (const gchar *session_id, gint64 media_ms, guint n)
{
  g_autofree gchar *safe = g_strdup (session_id ? session_id : "");
  g_autofree gchar *suffix = n > 0 ? g_strdup_printf ("-%u", n + 1) : NULL;

  for (gchar *c = safe; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_')
      *c = '_';
  return g_strdup_printf ("sonolink-%s-%" G_GINT64_FORMAT "ms%s.png",
                          *safe ? safe : "session", media_ms,
                          suffix ? suffix : "");
}

gchar *
sl_guide_still_file_name (const gchar *session_id, gint64 media_ms)
{
  return sl_guide_still_file_name_nth (session_id, media_ms, 0);
}

/* Writes @png to a new temporary file (mode 0600) in @dir; its path in
 * @path, or the errno of what failed (nothing left behind). */
static gint
write_temporary_file (const gchar *dir, GBytes *png, gchar **path)
{
  g_autofree gchar *tmp
      = g_build_filename (dir, ".sonolink-still-XXXXXX", NULL);
  gsize len, done = 0;
  const guint8 *data = g_bytes_get_data (png, &len);
  gint fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0600);
  gint saved;

  if (fd < 0)
    return errno;
  while (done < len)
    {
      gssize n = write (fd, data + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        goto fail;
      done += (gsize)n;
    }
  if (fsync (fd) != 0)
    goto fail;
  if (close (fd) != 0)
    {
      saved = errno;
      g_unlink (tmp);
      return saved;
    }
  *path = g_steal_pointer (&tmp);
  return 0;
fail:
  saved = errno;
  close (fd);
  g_unlink (tmp);
  return saved;
}

/* Writes @png to a new temporary file in @dir; returns its path. */
static gchar *
write_temporary (const gchar *dir, GBytes *png, GError **error)
{
  gchar *path = NULL;
  gint saved = write_temporary_file (dir, png, &path);

  if (saved != 0)
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                 "cannot write a still in %s: %s", dir, g_strerror (saved));
  return path;
}

gboolean
sl_guide_still_dir_writable (const gchar *dir, GError **error)
{
  g_autoptr (GBytes) nothing = g_bytes_new_static ("", 0);
  g_autofree gchar *path = NULL;
  gint saved = write_temporary_file (dir, nothing, &path);

  if (saved != 0)
    {
      g_set_error_literal (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                           g_strerror (saved));
      return FALSE;
    }
  g_unlink (path);
  return TRUE;
}

gboolean
sl_guide_still_save (const gchar *dir, const gchar *session_id, gint64 media_ms,
                     GBytes *png, gchar **path, GError **error)
{
  g_autofree gchar *tmp = NULL;
  gint saved = EEXIST;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "cannot make %s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  tmp = write_temporary (dir, png, error);
  if (tmp == NULL)
    return FALSE;
  for (guint n = 0; n < SL_GUIDE_STILL_MAX_NAMES && saved == EEXIST; n++)
    {
      g_autofree gchar *name
          = sl_guide_still_file_name_nth (session_id, media_ms, n);
      g_autofree gchar *target = g_build_filename (dir, name, NULL);

      if (link (tmp, target) == 0)
        {
          g_unlink (tmp);
          *path = g_steal_pointer (&target);
          return TRUE;
        }
      saved = errno;
    }
  g_unlink (tmp);
  if (saved == EEXIST)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                 "cannot save a still in %s: its %d names are taken", dir,
                 SL_GUIDE_STILL_MAX_NAMES);
  else
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                 "cannot save a still in %s: %s", dir, g_strerror (saved));
  return FALSE;
}

/* ---- sending ---- */

struct _SlGuideStillTx
{
  SlGuideStillMeta meta;
  gint64 media_ms;
  GBytes *png;
  guint n_chunks;
  guint step; /* 0: meta; 1 .. n_chunks: chunk step - 1; then end */
};

SlGuideStillTx *
sl_guide_still_tx_new (const gchar *req, gint64 media_ms, guint width,
                       guint height, gdouble mm_per_px_x, gdouble mm_per_px_y,
                       GBytes *png, GError **error)
{
  gsize len = png ? g_bytes_get_size (png) : 0;
  gboolean spacing_ok = (mm_per_px_x == 0 && mm_per_px_y == 0)
                        || (mm_per_px_x >= SL_GUIDE_MIN_MM_PER_PX
                            && mm_per_px_x <= SL_GUIDE_MAX_MM_PER_PX
                            && mm_per_px_y >= SL_GUIDE_MIN_MM_PER_PX
                            && mm_per_px_y <= SL_GUIDE_MAX_MM_PER_PX);
  g_autofree gchar *sha = NULL;
  SlGuideStillTx *tx;

  if (!sl_guide_id_is_valid (req))
    {
      g_set_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_MALFORMED,
                   "a still's request id is not an id");
      return NULL;
    }
  if (len == 0 || len > SL_GUIDE_STILL_MAX_BYTES)
    {
      g_set_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_TOO_LARGE,
                   "a still of %" G_GSIZE_FORMAT " bytes (1 .. %d)", len,
                   SL_GUIDE_STILL_MAX_BYTES);
      return NULL;
    }
  if (media_ms < 0 || media_ms > SL_GUIDE_MAX_INT || width == 0 || height == 0
      || width > SL_GUIDE_MAX_IMAGE_SIDE || height > SL_GUIDE_MAX_IMAGE_SIDE
      || !spacing_ok)
    {
      g_set_error (error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_OUT_OF_RANGE,
                   "a still's media time, size or spacing is out of range");
      return NULL;
    }
  tx = g_new0 (SlGuideStillTx, 1);
  g_strlcpy (tx->meta.req, req, sizeof tx->meta.req);
  tx->meta.width = width;
  tx->meta.height = height;
  tx->meta.bytes = len;
  sha = sl_guide_sha256_hex (g_bytes_get_data (png, NULL), len);
  g_strlcpy (tx->meta.sha256, sha, sizeof tx->meta.sha256);
  tx->meta.mm_per_px_x = mm_per_px_x;
  tx->meta.mm_per_px_y = mm_per_px_y;
  tx->media_ms = media_ms;
  tx->png = g_bytes_ref (png);
  tx->n_chunks = (guint)((len + SL_GUIDE_STILL_CHUNK_SIZE - 1)
                         / SL_GUIDE_STILL_CHUNK_SIZE);
  return tx;
}

void
sl_guide_still_tx_free (SlGuideStillTx *tx)
{
  if (tx == NULL)
    return;
  g_bytes_unref (tx->png);
  g_free (tx);
}

guint
sl_guide_still_tx_n_chunks (const SlGuideStillTx *tx)
{
  return tx->n_chunks;
}

gboolean
sl_guide_still_tx_next (SlGuideStillTx *tx, SlGuideMsg *out)
{
  gsize len, offset;
  const guint8 *data = g_bytes_get_data (tx->png, &len);

  memset (out, 0, sizeof *out);
  if (tx->step > tx->n_chunks + 1)
    return FALSE;
  out->media_ms = tx->media_ms;
  if (tx->step == 0)
    {
      out->type = SL_GUIDE_STILL_META;
      out->still = tx->meta;
    }
  else if (tx->step <= tx->n_chunks)
    {
      out->type = SL_GUIDE_STILL_CHUNK;
      g_strlcpy (out->chunk.req, tx->meta.req, sizeof out->chunk.req);
      out->chunk.index = tx->step - 1;
      offset = (gsize)out->chunk.index * SL_GUIDE_STILL_CHUNK_SIZE;
      out->chunk.len = MIN (SL_GUIDE_STILL_CHUNK_SIZE, len - offset);
      out->chunk.data = g_memdup2 (data + offset, out->chunk.len);
    }
  else
    {
      out->type = SL_GUIDE_STILL_END;
      g_strlcpy (out->req, tx->meta.req, sizeof out->req);
    }
  tx->step++;
  return TRUE;
}

/* ---- receiving ---- */

typedef enum
{
  RX_IDLE,
  RX_RECEIVING,
  RX_COMPLETE,
} RxState;

typedef struct
{
  gchar req[SL_GUIDE_MAX_ID_LEN + 1];
  gint64 asked_ms;
} Request;

struct _SlGuideStillRx
{
  RxState state;
  SlGuideStillMeta meta;
  gint64 media_ms;
  GByteArray *buffer; /* RECEIVING, COMPLETE: the bytes so far */
  guint next;         /* RECEIVING: the index of the chunk expected */
  gint64 last_ms;     /* RECEIVING: when the last message came */
  /* Requests waiting for their STILL_META, the oldest first. */
  Request waiting[SL_GUIDE_STILL_MAX_OUTSTANDING];
  guint n_waiting;
  /* Stills completed, against the quota. */
  guint taken, quota;
  guint64 taken_bytes, quota_bytes;
};

SlGuideStillRx *
sl_guide_still_rx_new (void)
{
  SlGuideStillRx *rx = g_new0 (SlGuideStillRx, 1);

  rx->quota = SL_GUIDE_STILL_QUOTA_COUNT;
  rx->quota_bytes = SL_GUIDE_STILL_QUOTA_BYTES;
  return rx;
}

static void
rx_reset (SlGuideStillRx *rx)
{
  g_clear_pointer (&rx->buffer, g_byte_array_unref);
  rx->state = RX_IDLE;
}

void
sl_guide_still_rx_free (SlGuideStillRx *rx)
{
  if (rx == NULL)
    return;
  rx_reset (rx);
  g_free (rx);
}

static SlGuideStillStatus
rx_fail (SlGuideStillRx *rx, GError **error, SlGuideError code,
         const gchar *why)
{
  g_set_error (error, SL_GUIDE_ERROR, code, "still \"%s\" abandoned: %s",
               rx->meta.req, why);
  rx_reset (rx);
  return SL_GUIDE_STILL_FAILED;
}

/* ---- requests and quota ---- */

static void
forget_nth (SlGuideStillRx *rx, guint i)
{
  memmove (&rx->waiting[i], &rx->waiting[i + 1],
           (rx->n_waiting - i - 1) * sizeof rx->waiting[0]);
  rx->n_waiting--;
}

/* The index of the request @req waiting since less than the timeout
 * before @now_ms, or -1; forgets the requests that timed out. */
static gint
find_waiting (SlGuideStillRx *rx, const gchar *req, gint64 now_ms)
{
  for (guint i = 0; i < rx->n_waiting;)
    {
      if (now_ms - rx->waiting[i].asked_ms >= SL_GUIDE_STILL_REQUEST_TIMEOUT_MS)
        forget_nth (rx, i);
      else if (strcmp (rx->waiting[i].req, req) == 0)
        return (gint)i;
      else
        i++;
    }
  return -1;
}

void
sl_guide_still_rx_expect (SlGuideStillRx *rx, const gchar *req, gint64 now_ms)
{
  gint i = find_waiting (rx, req, now_ms);

  if (i >= 0)
    forget_nth (rx, (guint)i);
  if (rx->n_waiting == SL_GUIDE_STILL_MAX_OUTSTANDING)
    forget_nth (rx, 0);
  g_strlcpy (rx->waiting[rx->n_waiting].req, req, sizeof rx->waiting[0].req);
  rx->waiting[rx->n_waiting].asked_ms = now_ms;
  rx->n_waiting++;
}

gboolean
sl_guide_still_rx_forget (SlGuideStillRx *rx, const gchar *req)
{
  for (guint i = 0; i < rx->n_waiting; i++)
    if (strcmp (rx->waiting[i].req, req) == 0)
      {
        forget_nth (rx, i);
        return TRUE;
      }
  return FALSE;
}

void
sl_guide_still_rx_set_quota (SlGuideStillRx *rx, guint stills, guint64 bytes)
{
  rx->quota = stills;
  rx->quota_bytes = bytes;
}

void
sl_guide_still_rx_get_taken (const SlGuideStillRx *rx, guint *stills,
                             guint64 *bytes)
{
  *stills = rx->taken;
  *bytes = rx->taken_bytes;
}

/* Refuses a STILL_META without touching the transfer in progress. */
static SlGuideStillStatus
rx_refuse (GError **error, SlGuideError code, const gchar *req,
           const gchar *why)
{
  g_set_error (error, SL_GUIDE_ERROR, code, "still \"%s\" refused: %s", req,
               why);
  return SL_GUIDE_STILL_FAILED;
}

static SlGuideStillStatus
rx_start (SlGuideStillRx *rx, const SlGuideMsg *msg, gint64 now_ms,
          GError **error)
{
  gint i = find_waiting (rx, msg->still.req, now_ms);

  if (i < 0)
    return rx_refuse (error, SL_GUIDE_ERROR_SEQUENCE, msg->still.req,
                      "no request is waiting for it");
  /* A request is answered once, whatever comes of it. */
  forget_nth (rx, (guint)i);
  if (rx->taken >= rx->quota || rx->taken_bytes > rx->quota_bytes
      || msg->still.bytes > rx->quota_bytes - rx->taken_bytes)
    return rx_refuse (error, SL_GUIDE_ERROR_LIMIT, msg->still.req,
                      "the session's quota of stills is used up");
  rx_reset (rx);
  rx->meta = msg->still;
  rx->media_ms = msg->media_ms;
  rx->buffer
      = g_byte_array_sized_new ((guint)MIN (msg->still.bytes, INITIAL_RESERVE));
  rx->next = 0;
  rx->last_ms = now_ms;
  rx->state = RX_RECEIVING;
  return SL_GUIDE_STILL_STARTED;
}

static SlGuideStillStatus
rx_chunk (SlGuideStillRx *rx, const SlGuideStillChunk *chunk, gint64 now_ms,
          GError **error)
{
  guint64 left = rx->meta.bytes - rx->buffer->len;

  if (chunk->index != rx->next || left == 0)
    return rx_fail (rx, error, SL_GUIDE_ERROR_SEQUENCE,
                    "a chunk missing, repeated or out of order");
  if (chunk->len != MIN (left, SL_GUIDE_STILL_CHUNK_SIZE))
    return rx_fail (rx, error, SL_GUIDE_ERROR_MALFORMED,
                    "a chunk of the wrong length");
  g_byte_array_append (rx->buffer, chunk->data, (guint)chunk->len);
  rx->next++;
  rx->last_ms = now_ms;
  return SL_GUIDE_STILL_PROGRESS;
}

/* PNG's CRC-32 (ISO 3309, as zlib's), bit by bit: it runs over the 17
 * bytes of one header. */
static guint32
png_crc (const guint8 *data, gsize len)
{
  guint32 crc = 0xffffffffu;

  for (gsize i = 0; i < len; i++)
    {
      crc ^= data[i];
      for (guint k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1u));
    }
  return crc ^ 0xffffffffu;
}

static guint32
read_be32 (const guint8 *p)
{
  return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

/* Whether @png is what @meta promised (docs/guidance.md, STILLS): a PNG
 * (signature, then an intact IHDR) of the promised size in pixels, 8-bit
 * grey or RGB, as a township makes them.  The pixels are not decoded:
 * the SHA-256 already ties them to what the sender meant to send. */
static gboolean
check_promised_png (const guint8 *png, gsize len, const SlGuideStillMeta *meta)
{
  static const guint8 head[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                 0,    0,   0,   13,  'I',  'H',  'D',  'R' };
  const guint8 *ihdr = png + 16;

  /* Signature, IHDR's length and type, its 13 bytes and its CRC. */
  if (len < 33 || memcmp (png, head, sizeof head) != 0
      || read_be32 (png + 29) != png_crc (png + 12, 17))
    return FALSE;
  return read_be32 (ihdr) == meta->width && read_be32 (ihdr + 4) == meta->height
         && ihdr[8] == 8 && (ihdr[9] == 0 || ihdr[9] == 2) && ihdr[10] == 0
         && ihdr[11] == 0 && ihdr[12] <= 1;
}

static SlGuideStillStatus
rx_end (SlGuideStillRx *rx, GError **error)
{
  g_autofree gchar *sha = NULL;

  if (rx->buffer->len != rx->meta.bytes)
    return rx_fail (rx, error, SL_GUIDE_ERROR_SEQUENCE,
                    "it ended before all its chunks came");
  sha = sl_guide_sha256_hex (rx->buffer->data, rx->buffer->len);
  if (strcmp (sha, rx->meta.sha256) != 0)
    return rx_fail (rx, error, SL_GUIDE_ERROR_CHECKSUM,
                    "its SHA-256 does not match");
  if (!check_promised_png (rx->buffer->data, rx->buffer->len, &rx->meta))
    return rx_fail (rx, error, SL_GUIDE_ERROR_IMAGE,
                    "it is not the PNG its STILL_META promised");
  rx->taken++;
  rx->taken_bytes += rx->buffer->len;
  rx->state = RX_COMPLETE;
  return SL_GUIDE_STILL_COMPLETE;
}

SlGuideStillStatus
sl_guide_still_rx_feed (SlGuideStillRx *rx, const SlGuideMsg *msg,
                        gint64 now_ms, GError **error)
{
  gboolean mine;

  if (msg->type == SL_GUIDE_STILL_META)
    return rx_start (rx, msg, now_ms, error);
  if (msg->type != SL_GUIDE_STILL_CHUNK && msg->type != SL_GUIDE_STILL_END)
    return SL_GUIDE_STILL_IGNORED;
  mine = rx->state == RX_RECEIVING
         && strcmp (msg->type == SL_GUIDE_STILL_CHUNK ? msg->chunk.req
                                                      : msg->req,
                    rx->meta.req)
                == 0;
  if (!mine)
    return SL_GUIDE_STILL_IGNORED;
  if (msg->type == SL_GUIDE_STILL_CHUNK)
    return rx_chunk (rx, &msg->chunk, now_ms, error);
  return rx_end (rx, error);
}

gboolean
sl_guide_still_rx_check_timeout (SlGuideStillRx *rx, gint64 now_ms,
                                 GError **error)
{
  if (rx->state != RX_RECEIVING || now_ms < rx->last_ms
      || (guint64)now_ms - (guint64)rx->last_ms < SL_GUIDE_STILL_TIMEOUT_MS)
    return TRUE;
  rx_fail (rx, error, SL_GUIDE_ERROR_SEQUENCE, "nothing came for it");
  return FALSE;
}

GBytes *
sl_guide_still_rx_take (SlGuideStillRx *rx, SlGuideStillMeta *meta,
                        gint64 *media_ms)
{
  GBytes *png;

  if (rx->state != RX_COMPLETE)
    return NULL;
  if (meta != NULL)
    *meta = rx->meta;
  if (media_ms != NULL)
    *media_ms = rx->media_ms;
  png = g_byte_array_free_to_bytes (g_steal_pointer (&rx->buffer));
  rx_reset (rx);
  return png;
}
