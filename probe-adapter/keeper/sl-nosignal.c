/* sl-nosignal.c — the "no signal" picture.  See sl-nosignal.h.
 *
 * The words are drawn as coverage into an 8-bit alpha surface, then
 * copied into the luma plane on video range (16 black, 235 white); the
 * chroma planes are neutral grey.  The text is sized to the frame's
 * height and shrunk to fit its width, so every session size reads alike.
 */
#include "sl-nosignal.h"

#include <cairo.h>
#include <string.h>

#define FONT_FACE "sans-serif"

void
sl_nosignal_duration (guint seconds, gchar *text, gsize size)
{
  if (seconds < 60)
    g_snprintf (text, size, "for %u s", seconds);
  else if (seconds < 3600)
    g_snprintf (text, size, "for %u min %02u s", seconds / 60, seconds % 60);
  else
    g_snprintf (text, size, "for %u h %02u min", seconds / 3600,
                (seconds / 60) % 60);
}

/* Draws @text centred at height @y (its baseline's centre line), at
 * @size pixels, shrunk to at most 90 % of @width. */
static void
centred (cairo_t *cr, const gchar *text, gdouble size, guint width, gdouble y)
{
  cairo_text_extents_t ext;

  cairo_set_font_size (cr, size);
  cairo_text_extents (cr, text, &ext);
  if (ext.width > 0.9 * width)
    {
      cairo_set_font_size (cr, size * 0.9 * width / ext.width);
      cairo_text_extents (cr, text, &ext);
    }
  cairo_move_to (cr, (width - ext.width) / 2 - ext.x_bearing,
                 y - ext.height / 2 - ext.y_bearing);
  cairo_show_text (cr, text);
  cairo_new_path (cr);
}

void
sl_nosignal_draw (guint8 *const planes[3], const gint strides[3], guint width,
                  guint height, guint seconds)
{
  cairo_surface_t *surface
      = cairo_image_surface_create (CAIRO_FORMAT_A8, (int)width, (int)height);
  cairo_t *cr = cairo_create (surface);
  gchar duration[64];
  const guint8 *alpha;
  gint stride;
  gdouble line = height / 12.0;

  sl_nosignal_duration (seconds, duration, sizeof duration);
  cairo_select_font_face (cr, FONT_FACE, CAIRO_FONT_SLANT_NORMAL,
                          CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_source_rgba (cr, 0, 0, 0, 1);
  centred (cr, SL_NOSIGNAL_TITLE, line, width, height * 0.40);
  cairo_select_font_face (cr, FONT_FACE, CAIRO_FONT_SLANT_NORMAL,
                          CAIRO_FONT_WEIGHT_NORMAL);
  centred (cr, duration, line * 0.8, width, height * 0.55);
  centred (cr, "the township station is retrying", line * 0.5, width,
           height * 0.68);
  /* A frame around the picture: the expert sees at once that the whole
   * image is the station's message, not the machine's screen. */
  cairo_set_line_width (cr, MAX (2.0, height / 120.0));
  cairo_rectangle (cr, width * 0.04, height * 0.06, width * 0.92,
                   height * 0.88);
  cairo_stroke (cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);

  alpha = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  for (guint y = 0; y < height; y++)
    for (guint x = 0; x < width; x++)
      planes[0][(gsize)y * strides[0] + x]
          = (guint8)(16 + alpha[(gsize)y * stride + x] * 219 / 255);
  for (guint y = 0; y < height / 2; y++)
    {
      memset (planes[1] + (gsize)y * strides[1], 128, width / 2);
      memset (planes[2] + (gsize)y * strides[2], 128, width / 2);
    }
  cairo_surface_destroy (surface);
}
