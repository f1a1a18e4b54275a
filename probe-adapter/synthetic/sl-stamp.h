/* sl-stamp.h — a 64-bit value written into the pixels of a frame.
 *
 * The stamp is a row of black/white blocks in the picture's top-left corner,
 * big enough to survive H.264 at streaming bitrates, protected by a CRC so a
 * damaged stamp is reported as unreadable, never misread.  The phantom
 * stamps its frame index; the latency benchmark stamps the send time.
 * Pure functions on luma planes; any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Where a stamp sits.  The phantom stamps its frame index at the top left;
 * the township's latency stamp (its monotonic clock when the frame was
 * handed to the engine) goes at the top right, so both fit in one frame. */
typedef enum
{
  SL_STAMP_TOP_LEFT,
  SL_STAMP_TOP_RIGHT,
} SlStampCorner;

/* Width and height in pixels of the stamp for a picture @width wide. */
void sl_stamp_get_size (guint width, guint *stamp_width, guint *stamp_height);

/* TRUE if a @width × @height picture can carry a stamp (320×64 or more). */
gboolean sl_stamp_fits (guint width, guint height);

/* Writes @value into the luma plane.  The picture must be at least
 * 320×64 pixels.  Returns FALSE (writing nothing) if it is smaller. */
gboolean sl_stamp_write (guint8 *y, gint stride, guint width, guint height,
                         guint64 value);

/* Reads a stamp.  Returns FALSE if there is none or it is damaged. */
gboolean sl_stamp_read (const guint8 *y, gint stride, guint width, guint height,
                        guint64 *value);

/* TRUE if a @width × @height picture can carry a stamp at @corner without
 * overlapping one at the other corner (top right: about 480×64 or
 * more). */
gboolean sl_stamp_fits_at (SlStampCorner corner, guint width, guint height);

/* As sl_stamp_write() and sl_stamp_read(), at @corner.  The top-right
 * stamp starts on a 16-pixel boundary so its blocks stay on the encoder's
 * macroblock grid. */
gboolean sl_stamp_write_at (SlStampCorner corner, guint8 *y, gint stride,
                            guint width, guint height, guint64 value);
gboolean sl_stamp_read_at (SlStampCorner corner, const guint8 *y, gint stride,
                           guint width, guint height, guint64 *value);

/* Reads a stamp written at @corner of a @src_width × @src_height picture
 * that was then scaled down to @width × @height (a sender that lowers the
 * resolution when the link is short).  FALSE if there is none, it is
 * damaged, or its blocks have become too small to read. */
gboolean sl_stamp_read_scaled (SlStampCorner corner, const guint8 *y,
                               gint stride, guint width, guint height,
                               guint src_width, guint src_height,
                               guint64 *value);

G_END_DECLS
