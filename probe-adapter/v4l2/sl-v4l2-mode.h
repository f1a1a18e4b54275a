/* sl-v4l2-mode.h — which of a capture card's modes to ask for.
 *
 * A card offers a list of modes (format, size, frame rates).  The order of
 * preference, documented in docs/probe-adapters.md:
 *
 *   1. what the spec pins down (format=, width=, height=, fps=) must match;
 *      only raw formats sl_v4l2_format_rank() knows are considered;
 *   2. a mode that reaches SL_V4L2_MIN_FPS (25), or the session's rate
 *      when that is lower, beats one that does not;
 *   3. size: the largest that fits in the session's size (no detail made
 *      up by upscaling, none thrown away by downscaling more than needed);
 *      if none fits, the smallest larger one;
 *   4. rate: the closest to the session's, the higher of two as close
 *      (frames beyond the session's rate cost the encoder and the link);
 *   5. format: the cheapest conversion to x264's I420 (I420 itself, then
 *      YV12, NV12, packed 4:2:2, RGB, grey last: grey drops the colour of a
 *      Doppler display).
 *
 * Size and rate before format: diagnostic detail and an encoder that
 * works at the session's rate matter more than the cost of one
 * conversion, which a card's usual list (the same sizes and rates in
 * several formats) leaves to the format anyway.  Plain C, any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A capture below this rate makes probe motion jerky for coaching. */
#define SL_V4L2_MIN_FPS 25

/* One format, size and rate the card offers (a card's list of rates for
 * one format and size is several modes). */
typedef struct
{
  const gchar *format; /* GStreamer's name: "YUY2", "NV12"... not owned */
  guint width;
  guint height;
  gdouble fps;
  /* The rate exactly as the card gave it (30000/1001, not 29.97), to ask
   * for it back; 0/0 when made from @fps alone. */
  gint fps_n, fps_d;
} SlV4l2Mode;

typedef struct
{
  guint width; /* the session's picture */
  guint height;
  guint fps; /* the session's rate */
  /* From the spec, 0 / NULL = any. */
  const gchar *format;
  guint mode_width;
  guint mode_height;
  guint mode_fps;
} SlV4l2Want;

/* The conversion cost rank of @format (0 = none, I420), or -1 for a format
 * that is not a raw format we take (MJPG, H264, unknown names).  The
 * names accepted are those of SL_V4L2_FORMATS. */
gint sl_v4l2_format_rank (const gchar *format);

/* The accepted format names, best first, for messages. */
#define SL_V4L2_FORMATS                                                        \
  "I420, YV12, NV12, NV21, YUY2, UYVY, YVYU, BGRx, \
RGBx, xRGB, xBGR, BGRA, RGBA, BGR, RGB, GRAY8"

/* The canonical spelling of @format ("yuy2" gives "YUY2"), a static
 * string, or NULL when sl_v4l2_format_rank() would refuse it. */
const gchar *sl_v4l2_format_canonical (const gchar *format);

/* Picks the best of @modes[0 .. @n_modes) for @want.  Returns its index,
 * or -1 when no mode is acceptable. */
gint sl_v4l2_mode_choose (const SlV4l2Mode *modes, guint n_modes,
                          const SlV4l2Want *want);

G_END_DECLS
