/* sl-v4l2-mode.c — which of a capture card's modes to ask for.  The order
 * is explained in sl-v4l2-mode.h and docs/probe-adapters.md. */
#include "sl-v4l2-mode.h"

#include <math.h>

/* Best first: the rank is the index.  I420 is x264's input; YV12 only
 * swaps two planes; NV12/NV21 interleave the chroma; the packed 4:2:2
 * formats must also halve the chroma vertically; RGB needs the colour
 * matrix; grey is cheap but drops a Doppler display's colour. */
static const gchar *const formats[] = {
  "I420", "YV12", "NV12", "NV21", "YUY2", "UYVY", "YVYU", "BGRx",
  "RGBx", "xRGB", "xBGR", "BGRA", "RGBA", "BGR",  "RGB",  "GRAY8",
};

gint
sl_v4l2_format_rank (const gchar *format)
{
  if (format == NULL)
    return -1;
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    if (g_strcmp0 (formats[i], format) == 0)
      return (gint)i;
  return -1;
}

const gchar *
sl_v4l2_format_canonical (const gchar *format)
{
  if (format == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    if (g_ascii_strcasecmp (formats[i], format) == 0)
      return formats[i];
  return NULL;
}

static gboolean
acceptable (const SlV4l2Mode *m, const SlV4l2Want *w)
{
  if (sl_v4l2_format_rank (m->format) < 0 || m->width == 0 || m->height == 0
      || !(m->fps > 0))
    return FALSE;
  if (w->format != NULL && g_strcmp0 (w->format, m->format) != 0)
    return FALSE;
  if ((w->mode_width != 0 && m->width != w->mode_width)
      || (w->mode_height != 0 && m->height != w->mode_height))
    return FALSE;
  /* 29.97 answers fps=30. */
  return w->mode_fps == 0 || fabs (m->fps - w->mode_fps) < 0.5;
}

/* Negative when @a is the better mode, positive when @b is, 0 when they
 * are as good. */
static gint
compare (const SlV4l2Mode *a, const SlV4l2Mode *b, const SlV4l2Want *w)
{
  gdouble enough = MIN ((gdouble)w->fps, (gdouble)SL_V4L2_MIN_FPS) - 0.5;
  gboolean a_fast = a->fps >= enough, b_fast = b->fps >= enough;
  gboolean a_fits = a->width <= w->width && a->height <= w->height;
  gboolean b_fits = b->width <= w->width && b->height <= w->height;
  guint64 a_area = (guint64)a->width * a->height;
  guint64 b_area = (guint64)b->width * b->height;
  gdouble a_off = fabs (a->fps - w->fps), b_off = fabs (b->fps - w->fps);

  if (a_fast != b_fast)
    return a_fast ? -1 : 1;
  if (a_fits != b_fits)
    return a_fits ? -1 : 1;
  if (a_area != b_area)
    return (a_area > b_area) == a_fits ? -1 : 1;
  if (a_off != b_off)
    return a_off < b_off ? -1 : 1;
  if (a->fps != b->fps)
    return a->fps > b->fps ? -1 : 1;
  return sl_v4l2_format_rank (a->format) - sl_v4l2_format_rank (b->format);
}

gint
sl_v4l2_mode_choose (const SlV4l2Mode *modes, guint n_modes,
                     const SlV4l2Want *want)
{
  gint best = -1;

  for (guint i = 0; i < n_modes; i++)
    if (acceptable (&modes[i], want)
        && (best < 0 || compare (&modes[i], &modes[best], want) < 0))
      best = (gint)i;
  return best;
}
