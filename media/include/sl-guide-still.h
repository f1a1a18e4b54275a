/* sl-guide-still.h — lossless stills over the guidance channel.
 *
 * When the expert asks for a still (STILL_REQUEST), the township encodes
 * the exact raw frame the probe adapter produced, before the video
 * encoder touched it, as PNG (sl_guide_png_encode()), and sends it on the
 * reliable channel as STILL_META (size, byte count, SHA-256), then
 * ceil(bytes / SL_GUIDE_STILL_CHUNK_SIZE) STILL_CHUNK messages in order,
 * then STILL_END (docs/guidance.md, STILLS).  SlGuideStillTx produces
 * that sequence; SlGuideStillRx reassembles it at the expert and checks
 * order, count, size and checksum before it hands the PNG over.  Live
 * video is not involved: the still travels beside it.
 *
 * A receiver takes only stills it asked for (sl_guide_still_rx_expect),
 * only the PNG their STILL_META promised, and at most
 * SL_GUIDE_STILL_QUOTA_COUNT stills and SL_GUIDE_STILL_QUOTA_BYTES bytes
 * (one SlGuideStillRx per session); sl_guide_still_save() writes one
 * without ever replacing a file.
 *
 * Pure, not thread-safe: use each object from one thread.
 */
#pragma once

#include "sl-guide.h"

G_BEGIN_DECLS

/* A transfer whose next message does not come for this long is
 * abandoned (sl_guide_still_rx_check_timeout()). */
#define SL_GUIDE_STILL_TIMEOUT_MS 10000

/* What one receiver (one session) takes at most, in stills and in PNG
 * bytes: a long consultation's stills for a report are a few dozen of a
 * few MB, and the bound keeps a runaway script or key from filling a
 * disk with patient images (docs/guidance.md, STILLS). */
#define SL_GUIDE_STILL_QUOTA_COUNT 64
#define SL_GUIDE_STILL_QUOTA_BYTES (256 * 1024 * 1024)
/* Requests a receiver waits on at once; a new one beyond this forgets
 * the oldest.  The township sends one still at a time and says "busy" to
 * the others, so more than a few is a stuck link or a stuck key. */
#define SL_GUIDE_STILL_MAX_OUTSTANDING 8
/* A request whose STILL_META has not come after this long is forgotten:
 * the township answers at once, so this covers a link that stalled. */
#define SL_GUIDE_STILL_REQUEST_TIMEOUT_MS 60000

/* Raw pixel layouts sl_guide_png_encode() takes.  GRAY8 is one byte a
 * pixel (the luma plane of an I420 frame whose chroma is neutral, as a
 * B-mode image's is) and gives an 8-bit greyscale PNG; the others give an
 * 8-bit RGB PNG.  "X" bytes are ignored. */
typedef enum
{
  SL_GUIDE_PIXEL_GRAY8,
  SL_GUIDE_PIXEL_RGB,  /* R, G, B in memory order */
  SL_GUIDE_PIXEL_RGBX, /* R, G, B, X */
  SL_GUIDE_PIXEL_BGRX, /* B, G, R, X */
} SlGuidePixelFormat;

/* Encodes @width × @height pixels (1 .. SL_GUIDE_MAX_IMAGE_SIDE each) of
 * @format, rows @stride bytes apart, as PNG.  Lossless: decoding gives the
 * same 8-bit values back.  Returns (transfer full) the PNG, or NULL with
 * SL_GUIDE_ERROR_IMAGE (or _OUT_OF_RANGE for a bad size or stride). */
GBytes *sl_guide_png_encode (const guint8 *pixels, SlGuidePixelFormat format,
                             guint width, guint height, gsize stride,
                             GError **error);

/* Decodes a PNG of at most SL_GUIDE_MAX_IMAGE_SIDE a side into packed
 * R, G, B bytes (3 × width × height; a grey PNG gives R = G = B).
 * Returns (transfer full) them, or NULL with SL_GUIDE_ERROR_IMAGE. */
guint8 *sl_guide_png_decode (const guint8 *png, gsize len, guint *width,
                             guint *height, GError **error);

/* Returns (transfer full) the SHA-256 of @data as 64 lower-case hex
 * digits. */
gchar *sl_guide_sha256_hex (const guint8 *data, gsize len);

/* Returns (transfer full) a file name for a still: "sonolink-SESSION-
 * MEDIA_MSms.png", the session id reduced to letters, digits, "-" and
 * "_" so that it cannot leave the folder it is saved in.  With @n > 0,
 * the (n+1)th name for the same still: "sonolink-SESSION-MEDIA_MSms-
 * (n+1).png", for a still of a media time already saved. */
gchar *sl_guide_still_file_name (const gchar *session_id, gint64 media_ms);
gchar *sl_guide_still_file_name_nth (const gchar *session_id, gint64 media_ms,
                                     guint n);

/* Names a still saved with sl_guide_still_save() takes at most: the
 * plain name, then "-2" up to this. */
#define SL_GUIDE_STILL_MAX_NAMES 100

/* Saves @png in @dir (made, 0700, if missing) under the first of the
 * still's names (sl_guide_still_file_name_nth) that no file has, as a
 * file of mode 0600 (a patient image).  It never replaces or follows
 * anything already there: the bytes go to a new temporary file, which is
 * then linked to the name, and link() fails rather than replace.  A crash
 * leaves no half-written still under a still's name.  Returns TRUE and
 * (transfer full) the file's path in @path, or FALSE with a G_IO_ERROR
 * or G_FILE_ERROR.  Blocking file I/O: not on a streaming thread. */
gboolean sl_guide_still_save (const gchar *dir, const gchar *session_id,
                              gint64 media_ms, GBytes *png, gchar **path,
                              GError **error);

/* Whether sl_guide_still_save could write in @dir (which must exist)
 * now: a temporary file is made there as for a still, then removed.
 * FALSE with a G_FILE_ERROR whose message is the system's reason alone
 * ("Read-only file system"), for the caller to put in context.
 * Blocking file I/O. */
gboolean sl_guide_still_dir_writable (const gchar *dir, GError **error);

/* ---- sending ---- */

typedef struct _SlGuideStillTx SlGuideStillTx;

/* Prepares to send @png (1 .. SL_GUIDE_STILL_MAX_BYTES bytes, which it
 * references) as the answer to request @req, for the frame of @media_ms
 * whose picture is @width × @height; @mm_per_px_x and _y are its pixel
 * spacing, or 0 for both.  Returns (transfer full) the sender, or NULL
 * with an SL_GUIDE_ERROR if a value is out of the protocol's range. */
SlGuideStillTx *sl_guide_still_tx_new (const gchar *req, gint64 media_ms,
                                       guint width, guint height,
                                       gdouble mm_per_px_x, gdouble mm_per_px_y,
                                       GBytes *png, GError **error);
void sl_guide_still_tx_free (SlGuideStillTx *tx);

/* Fills @out (free with sl_guide_msg_clear()) with the next message of
 * the transfer: STILL_META, the chunks in order, STILL_END.  Returns
 * FALSE, leaving @out zeroed, once STILL_END has been given.  Send each
 * before asking for the next, and pace them on the channel's buffered
 * amount so the channel stays responsive. */
gboolean sl_guide_still_tx_next (SlGuideStillTx *tx, SlGuideMsg *out);

/* The number of STILL_CHUNK messages of the transfer. */
guint sl_guide_still_tx_n_chunks (const SlGuideStillTx *tx);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlGuideStillTx, sl_guide_still_tx_free)

/* ---- receiving ---- */

typedef enum
{
  SL_GUIDE_STILL_IGNORED,  /* not a still message, or not of the transfer
                              in progress (e.g. the rest of a failed one) */
  SL_GUIDE_STILL_STARTED,  /* a STILL_META began a transfer (replacing
                              any unfinished or untaken one) */
  SL_GUIDE_STILL_PROGRESS, /* a chunk was taken */
  SL_GUIDE_STILL_COMPLETE, /* STILL_END came and the still checked out:
                              take it with sl_guide_still_rx_take() */
  SL_GUIDE_STILL_FAILED,   /* the transfer was abandoned; see the error */
} SlGuideStillStatus;

typedef struct _SlGuideStillRx SlGuideStillRx;

SlGuideStillRx *sl_guide_still_rx_new (void);
void sl_guide_still_rx_free (SlGuideStillRx *rx);

/* The receiver asked for still @req at @now_ms: a STILL_META for it is
 * taken once, within SL_GUIDE_STILL_REQUEST_TIMEOUT_MS.  At most
 * SL_GUIDE_STILL_MAX_OUTSTANDING requests wait; a new one forgets the
 * oldest. */
void sl_guide_still_rx_expect (SlGuideStillRx *rx, const gchar *req,
                               gint64 now_ms);
/* The request @req will not be answered (the sender refused it): returns
 * TRUE if it was waiting. */
gboolean sl_guide_still_rx_forget (SlGuideStillRx *rx, const gchar *req);

/* Changes the quota from SL_GUIDE_STILL_QUOTA_COUNT stills and
 * SL_GUIDE_STILL_QUOTA_BYTES bytes. */
void sl_guide_still_rx_set_quota (SlGuideStillRx *rx, guint stills,
                                  guint64 bytes);
/* Stills and PNG bytes taken so far, against the quota. */
void sl_guide_still_rx_get_taken (const SlGuideStillRx *rx, guint *stills,
                                  guint64 *bytes);

/* Feeds a parsed message at @now_ms.  A STILL_META no request waits for
 * is refused with SL_GUIDE_ERROR_SEQUENCE, one beyond the quota with
 * _LIMIT; either leaves a transfer in progress alone.  A chunk out of
 * order (missing, repeated or early) fails the transfer with _SEQUENCE,
 * as does STILL_END before every byte came; a chunk of the wrong length
 * with _MALFORMED; a checksum that does not match with _CHECKSUM; bytes
 * that are not the PNG STILL_META promised (its signature, its header,
 * its size in pixels, 8-bit grey or RGB) with _IMAGE.  After a refusal or
 * failure the rest of that transfer is IGNORED. */
SlGuideStillStatus sl_guide_still_rx_feed (SlGuideStillRx *rx,
                                           const SlGuideMsg *msg, gint64 now_ms,
                                           GError **error);

/* Abandons the transfer in progress if nothing came for it for
 * SL_GUIDE_STILL_TIMEOUT_MS: returns FALSE with SL_GUIDE_ERROR_SEQUENCE
 * then, TRUE otherwise. */
gboolean sl_guide_still_rx_check_timeout (SlGuideStillRx *rx, gint64 now_ms,
                                          GError **error);

/* After COMPLETE: returns (transfer full) the verified PNG and fills
 * @meta (nullable) and @media_ms (nullable, the frame's media time);
 * NULL if no complete still waits. */
GBytes *sl_guide_still_rx_take (SlGuideStillRx *rx, SlGuideStillMeta *meta,
                                gint64 *media_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlGuideStillRx, sl_guide_still_rx_free)

G_END_DECLS
