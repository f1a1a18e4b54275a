/* sl-guide-render.c — see sl-guide-render.h.
 *
 * Every stroke is drawn twice along the same path: first wider in
 * translucent black, then at its width in the bright colour, so that a
 * dark rim of `outline` pixels separates the colour from the speckle on
 * both sides.  Sizes come from the frame's height only (a 16:9 frame and
 * a 4:3 crop of it give the same line width), and positions are the
 * normalised coordinates times the frame's width and height, so two
 * stations that draw the same state at different sizes put every mark on
 * the same pixel of the probe image.
 *
 * Cue icons are drawn in a unit square mapped onto the top-right corner,
 * from above the probe with its marker on the left (sl-guide.h), with the
 * manoeuvre's name under the glyph so that no icon needs learning.
 */
#include "sl-guide-render.h"

#include <math.h>
#include <string.h>

#define OUTLINE_ALPHA 0.8
#define BOX_ALPHA 0.75
#define FONT_FACE "sans-serif"

typedef struct
{
  cairo_t *cr;
  gdouble w, h;
  SlGuideMetrics m;
} Ctx;

/* A square on the frame that unit coordinates (0 .. 1) map onto. */
typedef struct
{
  gdouble x, y, size;
} Box;

static const gdouble palette[SL_GUIDE_N_COLORS][3] = {
  [SL_GUIDE_COLOR_YELLOW] = { 1.0, 0.9, 0.0 },
  [SL_GUIDE_COLOR_CYAN] = { 0.0, 0.9, 1.0 },
  [SL_GUIDE_COLOR_GREEN] = { 0.3, 1.0, 0.3 },
  [SL_GUIDE_COLOR_MAGENTA] = { 1.0, 0.35, 1.0 },
  [SL_GUIDE_COLOR_ORANGE] = { 1.0, 0.6, 0.1 },
  [SL_GUIDE_COLOR_RED] = { 1.0, 0.25, 0.25 },
  [SL_GUIDE_COLOR_WHITE] = { 1.0, 1.0, 1.0 },
};

static const gchar *const prompt_texts[SL_GUIDE_N_PROMPTS] = {
  [SL_GUIDE_PROMPT_NONE] = "",
  [SL_GUIDE_PROMPT_DOPPLER] = "Add colour Doppler",
  [SL_GUIDE_PROMPT_FREEZE] = "Freeze",
  [SL_GUIDE_PROMPT_UNFREEZE] = "Unfreeze",
  [SL_GUIDE_PROMPT_DEPTH_UP] = "Increase depth",
  [SL_GUIDE_PROMPT_DEPTH_DOWN] = "Decrease depth",
  [SL_GUIDE_PROMPT_GAIN_UP] = "Increase gain",
  [SL_GUIDE_PROMPT_GAIN_DOWN] = "Decrease gain",
  [SL_GUIDE_PROMPT_HOLD] = "Hold \u2014 good",
  [SL_GUIDE_PROMPT_SLOWER] = "Slower",
  [SL_GUIDE_PROMPT_BACK] = "Go back",
};

static const gchar *const cue_words[SL_GUIDE_N_CUES] = {
  [SL_GUIDE_CUE_NONE] = "",         [SL_GUIDE_CUE_SLIDE] = "SLIDE",
  [SL_GUIDE_CUE_ROCK] = "ROCK",     [SL_GUIDE_CUE_TILT] = "TILT",
  [SL_GUIDE_CUE_ROTATE] = "ROTATE", [SL_GUIDE_CUE_COMPRESS] = "COMPRESS",
};

static const gdouble white[3] = { 1, 1, 1 };

void
sl_guide_render_metrics (guint height, SlGuideMetrics *out)
{
  gdouble h = height;

  out->line = MAX (2.0, h / 200);
  out->outline = MAX (1.5, h / 480);
  out->font = MAX (12.0, h / 30);
  out->pointer = MAX (6.0, h / 80);
  out->cue = h / 5;
  out->margin = h / 40;
}

void
sl_guide_color_rgb (SlGuideColor color, gdouble rgb[3])
{
  if ((guint)color >= SL_GUIDE_N_COLORS)
    color = SL_GUIDE_COLOR_YELLOW;
  memcpy (rgb, palette[color], sizeof palette[color]);
}

const gchar *
sl_guide_prompt_text (SlGuidePromptKind prompt)
{
  return (guint)prompt < SL_GUIDE_N_PROMPTS ? prompt_texts[prompt] : "";
}

/* ---- primitives ---- */

/* Strokes the current path dark and wide, then bright at @width. */
static void
stroke_outlined (Ctx *c, const gdouble *rgb, gdouble width)
{
  cairo_set_source_rgba (c->cr, 0, 0, 0, OUTLINE_ALPHA);
  cairo_set_line_width (c->cr, width + 2 * c->m.outline);
  cairo_stroke_preserve (c->cr);
  cairo_set_source_rgb (c->cr, rgb[0], rgb[1], rgb[2]);
  cairo_set_line_width (c->cr, width);
  cairo_stroke (c->cr);
}

/* Fills the current path bright over a dark rim. */
static void
fill_outlined (Ctx *c, const gdouble *rgb)
{
  cairo_set_source_rgba (c->cr, 0, 0, 0, OUTLINE_ALPHA);
  cairo_set_line_width (c->cr, 2 * c->m.outline);
  cairo_stroke_preserve (c->cr);
  cairo_set_source_rgb (c->cr, rgb[0], rgb[1], rgb[2]);
  cairo_fill (c->cr);
}

/* An arrow from x0,y0 to x1,y1 (pixels) whose head is @head long. */
static void
arrow (Ctx *c, gdouble x0, gdouble y0, gdouble x1, gdouble y1, gdouble width,
       gdouble head, const gdouble *rgb)
{
  gdouble len = hypot (x1 - x0, y1 - y0), ux, uy, bx, by, hw;

  if (len < 1)
    {
      cairo_new_path (c->cr);
      cairo_arc (c->cr, x1, y1, width, 0, 2 * G_PI);
      fill_outlined (c, rgb);
      return;
    }
  head = MIN (head, len * 0.6);
  ux = (x1 - x0) / len;
  uy = (y1 - y0) / len;
  bx = x1 - ux * head;
  by = y1 - uy * head;
  hw = MAX (head * 0.6, width);
  /* The shaft stops inside the head so its round cap cannot show past
   * the point. */
  cairo_move_to (c->cr, x0, y0);
  cairo_line_to (c->cr, bx + ux * head * 0.3, by + uy * head * 0.3);
  stroke_outlined (c, rgb, width);
  cairo_move_to (c->cr, x1, y1);
  cairo_line_to (c->cr, bx - uy * hw, by + ux * hw);
  cairo_line_to (c->cr, bx + uy * hw, by - ux * hw);
  cairo_close_path (c->cr);
  fill_outlined (c, rgb);
}

/* Draws @text of @size on a dark box whose top-left corner is x,y (or
 * whose centre is, if @centred), moved as needed to stay on the frame. */
static void
label (Ctx *c, const gchar *text, gdouble size, gdouble x, gdouble y,
       gboolean centred, const gdouble *rgb, const gdouble *border)
{
  cairo_text_extents_t te;
  cairo_font_extents_t fe;
  gdouble pad = size * 0.3, bw, bh;

  cairo_select_font_face (c->cr, FONT_FACE, CAIRO_FONT_SLANT_NORMAL,
                          CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size (c->cr, size);
  cairo_font_extents (c->cr, &fe);
  cairo_text_extents (c->cr, text, &te);
  bw = te.x_advance + 2 * pad;
  bh = fe.ascent + fe.descent + 2 * pad;
  if (centred)
    {
      x -= bw / 2;
      y -= bh / 2;
    }
  x = CLAMP (x, 0, MAX (0, c->w - bw));
  y = CLAMP (y, 0, MAX (0, c->h - bh));
  cairo_rectangle (c->cr, x, y, bw, bh);
  cairo_set_source_rgba (c->cr, 0, 0, 0, BOX_ALPHA);
  if (border == NULL)
    cairo_fill (c->cr);
  else
    {
      cairo_fill_preserve (c->cr);
      cairo_set_source_rgb (c->cr, border[0], border[1], border[2]);
      cairo_set_line_width (c->cr, c->m.outline);
      cairo_stroke (c->cr);
    }
  cairo_set_source_rgb (c->cr, rgb[0], rgb[1], rgb[2]);
  cairo_move_to (c->cr, x + pad - te.x_bearing, y + pad + fe.ascent);
  cairo_show_text (c->cr, text);
  /* show_text leaves a current point, which the next shape would join
   * with a line. */
  cairo_new_path (c->cr);
}

/* ---- marks ---- */

static gdouble
px (const Ctx *c, gdouble x)
{
  return x * c->w;
}

static gdouble
py (const Ctx *c, gdouble y)
{
  return y * c->h;
}

/* What a caliper measures with: the probe image's size and spacing. */
static void
resolve_style (const SlGuideState *state, const SlGuideStyle *style,
               guint width, guint height, SlGuideStyle *out)
{
  SlGuideImage image = { 0 };

  memset (out, 0, sizeof *out);
  if (style != NULL)
    *out = *style;
  if (state != NULL && sl_guide_state_get_image (state, &image))
    {
      if (out->source_width == 0 || out->source_height == 0)
        {
          out->source_width = image.width;
          out->source_height = image.height;
        }
      if (out->mm_per_px_x <= 0 || out->mm_per_px_y <= 0)
        {
          out->mm_per_px_x = image.mm_per_px_x;
          out->mm_per_px_y = image.mm_per_px_y;
        }
    }
  if (out->source_width == 0 || out->source_height == 0)
    {
      out->source_width = width;
      out->source_height = height;
    }
}

/* Writes a caliper's label into @buf without allocating: the renderer
 * runs on the video path. */
static void
format_caliper (const SlGuideMark *mark, const SlGuideState *state,
                const SlGuideStyle *style, guint width, guint height,
                gchar *buf, gsize size)
{
  SlGuideStyle s;
  gdouble dx, dy;

  resolve_style (state, style, width, height, &s);
  dx = (mark->points[1].x - mark->points[0].x) * s.source_width;
  dy = (mark->points[1].y - mark->points[0].y) * s.source_height;
  if (s.mm_per_px_x > 0 && s.mm_per_px_y > 0)
    g_snprintf (buf, size, "%.1f mm",
                hypot (dx * s.mm_per_px_x, dy * s.mm_per_px_y));
  else
    g_snprintf (buf, size, "%.0f px", hypot (dx, dy));
}

gchar *
sl_guide_caliper_label (const SlGuideMark *mark, const SlGuideState *state,
                        const SlGuideStyle *style, guint width, guint height)
{
  gchar buf[64];

  format_caliper (mark, state, style, width, height, buf, sizeof buf);
  return g_strdup (buf);
}

static void
draw_ellipse (Ctx *c, const SlGuideMark *m, gdouble width, const gdouble *rgb)
{
  gdouble x0 = px (c, m->points[0].x), y0 = py (c, m->points[0].y);
  gdouble x1 = px (c, m->points[1].x), y1 = py (c, m->points[1].y);
  /* A flat ellipse would make the scale below singular, which puts the
   * whole cairo_t into an error state. */
  gdouble rx = MAX (fabs (x1 - x0) / 2, 0.5),
          ry = MAX (fabs (y1 - y0) / 2, 0.5);

  cairo_save (c->cr);
  cairo_translate (c->cr, (x0 + x1) / 2, (y0 + y1) / 2);
  cairo_scale (c->cr, rx, ry);
  cairo_new_sub_path (c->cr);
  cairo_arc (c->cr, 0, 0, 1, 0, 2 * G_PI);
  cairo_restore (c->cr);
  stroke_outlined (c, rgb, width);
}

static void
draw_caliper (Ctx *c, const SlGuideMark *m, gdouble width, const gdouble *rgb,
              const gchar *text)
{
  gdouble x0 = px (c, m->points[0].x), y0 = py (c, m->points[0].y);
  gdouble x1 = px (c, m->points[1].x), y1 = py (c, m->points[1].y);
  gdouble len = hypot (x1 - x0, y1 - y0), tick = MAX (width * 3, c->h / 90);
  gdouble nx = 0, ny = -1, off;

  if (len >= 1)
    {
      nx = -(y1 - y0) / len;
      ny = (x1 - x0) / len;
    }
  cairo_move_to (c->cr, x0, y0);
  cairo_line_to (c->cr, x1, y1);
  cairo_move_to (c->cr, x0 - nx * tick, y0 - ny * tick);
  cairo_line_to (c->cr, x0 + nx * tick, y0 + ny * tick);
  cairo_move_to (c->cr, x1 - nx * tick, y1 - ny * tick);
  cairo_line_to (c->cr, x1 + nx * tick, y1 + ny * tick);
  stroke_outlined (c, rgb, width);
  /* The label sits beside the middle, on the upper side, so that a
   * horizontal caliper's label is above it and clear of its ticks. */
  if (ny > 0)
    {
      nx = -nx;
      ny = -ny;
    }
  off = tick + c->m.font;
  label (c, text, c->m.font, (x0 + x1) / 2 + nx * off, (y0 + y1) / 2 + ny * off,
         TRUE, rgb, NULL);
}

static void
draw_mark (Ctx *c, const SlGuideMark *m, const gchar *caliper_text)
{
  gdouble rgb[3], width = c->m.line * m->width;
  gdouble x0 = px (c, m->points[0].x), y0 = py (c, m->points[0].y);
  gdouble x1 = 0, y1 = 0;

  sl_guide_color_rgb (m->color, rgb);
  cairo_new_path (c->cr);
  if (m->n_points > 1)
    {
      x1 = px (c, m->points[1].x);
      y1 = py (c, m->points[1].y);
    }
  switch (m->kind)
    {
    case SL_GUIDE_KIND_ARROW:
      arrow (c, x0, y0, x1, y1, width, MAX (width * 4, c->h / 36), rgb);
      break;
    case SL_GUIDE_KIND_ELLIPSE:
      draw_ellipse (c, m, width, rgb);
      break;
    case SL_GUIDE_KIND_POLYLINE:
      cairo_move_to (c->cr, x0, y0);
      for (guint i = 1; i < m->n_points; i++)
        cairo_line_to (c->cr, px (c, m->points[i].x), py (c, m->points[i].y));
      stroke_outlined (c, rgb, width);
      break;
    case SL_GUIDE_KIND_TEXT:
      label (c, m->text, c->m.font * m->width, x0, y0, FALSE, rgb, NULL);
      break;
    case SL_GUIDE_KIND_BOX:
      cairo_rectangle (c->cr, MIN (x0, x1), MIN (y0, y1), fabs (x1 - x0),
                       fabs (y1 - y0));
      stroke_outlined (c, rgb, width);
      break;
    case SL_GUIDE_KIND_CALIPER:
      draw_caliper (c, m, width, rgb, caliper_text);
      break;
    }
}

/* ---- cues ---- */

static gdouble
ux (const Box *b, gdouble u)
{
  return b->x + u * b->size;
}

static gdouble
uy (const Box *b, gdouble v)
{
  return b->y + v * b->size;
}

static void
unit_arrow (Ctx *c, const Box *b, gdouble x0, gdouble y0, gdouble x1,
            gdouble y1, const gdouble *rgb)
{
  arrow (c, ux (b, x0), uy (b, y0), ux (b, x1), uy (b, y1), b->size / 14,
         b->size / 4.5, rgb);
}

/* An arc around cx,cy of radius r from angle a0 to a1 (radians, growing
 * clockwise on the screen) ending in an arrow head along its tangent. */
static void
unit_arc_arrow (Ctx *c, const Box *b, gdouble cx, gdouble cy, gdouble r,
                gdouble a0, gdouble a1, const gdouble *rgb)
{
  const gdouble head = 0.22;
  gdouble sign = a1 > a0 ? 1 : -1, back = a1 - sign * head / r;
  gdouble ex = cx + r * cos (a1), ey = cy + r * sin (a1);
  gdouble tx = -sign * sin (a1), ty = sign * cos (a1);

  /* The arc stops a head's length early, where the head takes over. */
  cairo_new_path (c->cr);
  if (sign > 0)
    cairo_arc (c->cr, ux (b, cx), uy (b, cy), r * b->size, a0, back);
  else
    cairo_arc_negative (c->cr, ux (b, cx), uy (b, cy), r * b->size, a0, back);
  stroke_outlined (c, rgb, b->size / 14);
  unit_arrow (c, b, ex - tx * head, ey - ty * head, ex, ey, rgb);
}

/* The probe seen from above: its footprint, the marker dot on the left. */
static void
footprint (Ctx *c, const Box *b)
{
  cairo_rectangle (c->cr, ux (b, 0.36), uy (b, 0.39), 0.28 * b->size,
                   0.12 * b->size);
  fill_outlined (c, white);
  cairo_arc (c->cr, ux (b, 0.41), uy (b, 0.45), 0.035 * b->size, 0, 2 * G_PI);
  cairo_set_source_rgb (c->cr, 0, 0, 0);
  cairo_fill (c->cr);
}

static void
draw_compress (Ctx *c, const Box *b, SlGuideDir dir, const gdouble *rgb)
{
  gdouble from = dir == SL_GUIDE_DIR_PRESS ? 0.1 : 0.55;
  gdouble to = dir == SL_GUIDE_DIR_PRESS ? 0.55 : 0.1;

  /* Seen from the side: the skin, the probe standing on it, and arrows
   * pushing it in or letting it up. */
  cairo_move_to (c->cr, ux (b, 0.08), uy (b, 0.66));
  cairo_line_to (c->cr, ux (b, 0.92), uy (b, 0.66));
  stroke_outlined (c, white, b->size / 30);
  cairo_rectangle (c->cr, ux (b, 0.42), uy (b, 0.14), 0.16 * b->size,
                   0.5 * b->size);
  fill_outlined (c, white);
  unit_arrow (c, b, 0.24, from, 0.24, to, rgb);
  unit_arrow (c, b, 0.76, from, 0.76, to, rgb);
}

static void
draw_cue_glyph (Ctx *c, const Box *b, const SlGuideCue *cue, const gdouble *rgb)
{
  gboolean neg = cue->dir == SL_GUIDE_DIR_LEFT || cue->dir == SL_GUIDE_DIR_UP
                 || cue->dir == SL_GUIDE_DIR_CCW;

  if (cue->cue == SL_GUIDE_CUE_COMPRESS)
    {
      draw_compress (c, b, cue->dir, rgb);
      return;
    }
  footprint (c, b);
  switch (cue->cue)
    {
    case SL_GUIDE_CUE_SLIDE:
      /* A straight arrow across the icon: above the footprint for left
       * and right, through its middle (clear of the marker) for up and
       * down. */
      if (cue->dir == SL_GUIDE_DIR_LEFT || cue->dir == SL_GUIDE_DIR_RIGHT)
        unit_arrow (c, b, neg ? 0.88 : 0.12, 0.2, neg ? 0.12 : 0.88, 0.2, rgb);
      else
        unit_arrow (c, b, 0.5, neg ? 0.76 : 0.08, 0.5, neg ? 0.06 : 0.78, rgb);
      break;
    case SL_GUIDE_CUE_ROCK:
      /* An arc over the footprint, bending the way the handle tips. */
      unit_arc_arrow (c, b, 0.5, 1.05, 0.8, -G_PI / 2 + (neg ? 0.3 : -0.3),
                      -G_PI / 2 + (neg ? -0.6 : 0.6), rgb);
      break;
    case SL_GUIDE_CUE_TILT:
      /* An arc beside the footprint, bending up or down. */
      unit_arc_arrow (c, b, 0.05, 0.45, 0.75, neg ? 0.3 : -0.3,
                      neg ? -0.55 : 0.45, rgb);
      break;
    case SL_GUIDE_CUE_ROTATE:
      unit_arc_arrow (c, b, 0.5, 0.45, 0.3, -G_PI / 2 + 0.4,
                      -G_PI / 2 + 0.4 + (neg ? -1.6 : 1.6) * G_PI, rgb);
      break;
    case SL_GUIDE_CUE_NONE:
    case SL_GUIDE_CUE_COMPRESS:
      break;
    }
}

static void
draw_cue (Ctx *c, const SlGuideCue *cue)
{
  Box b = { c->w - c->m.margin - c->m.cue, c->m.margin, c->m.cue };
  gdouble rgb[3];

  sl_guide_color_rgb (SL_GUIDE_COLOR_YELLOW, rgb);
  cairo_rectangle (c->cr, b.x, b.y, b.size, b.size);
  cairo_set_source_rgba (c->cr, 0, 0, 0, BOX_ALPHA);
  cairo_fill_preserve (c->cr);
  cairo_set_source_rgb (c->cr, rgb[0], rgb[1], rgb[2]);
  cairo_set_line_width (c->cr, c->m.outline);
  cairo_stroke (c->cr);
  cairo_save (c->cr);
  cairo_rectangle (c->cr, b.x, b.y, b.size, b.size);
  cairo_clip (c->cr);
  draw_cue_glyph (c, &b, cue, rgb);
  cairo_restore (c->cr);
  label (c, cue_words[cue->cue], b.size / 8, ux (&b, 0.5), uy (&b, 0.9), TRUE,
         white, NULL);
}

static void
draw_prompt (Ctx *c, SlGuidePromptKind prompt)
{
  gdouble rgb[3], size = c->h / 22;

  sl_guide_color_rgb (SL_GUIDE_COLOR_YELLOW, rgb);
  label (c, sl_guide_prompt_text (prompt), size, c->w / 2,
         c->h - c->m.margin - size, TRUE, white, rgb);
}

static void
draw_pointer (Ctx *c, const SlGuidePointer *p)
{
  gdouble rgb[3];

  sl_guide_color_rgb (p->color, rgb);
  cairo_new_path (c->cr);
  cairo_arc (c->cr, px (c, p->at.x), py (c, p->at.y), c->m.pointer, 0,
             2 * G_PI);
  fill_outlined (c, rgb);
}

void
sl_guide_render (cairo_t *cr, guint width, guint height,
                 const SlGuideState *state, const SlGuideStyle *style,
                 gint64 now_ms)
{
  Ctx c = { .cr = cr, .w = width, .h = height };
  SlGuidePointer pointer;
  SlGuidePrompt prompt;
  SlGuideCue cue;
  gint64 expires;

  if (width == 0 || height == 0)
    return;
  sl_guide_render_metrics (height, &c.m);
  cairo_save (cr);
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_clip (cr);
  cairo_new_path (cr);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  for (guint i = 0; i < sl_guide_state_n_marks (state); i++)
    {
      const SlGuideMark *m = sl_guide_state_nth_mark (state, i, &expires);
      gchar text[64] = "";

      if (expires <= now_ms)
        continue;
      if (m->kind == SL_GUIDE_KIND_CALIPER)
        format_caliper (m, state, style, width, height, text, sizeof text);
      draw_mark (&c, m, text);
    }
  if (sl_guide_state_get_cue (state, now_ms, &cue, NULL))
    draw_cue (&c, &cue);
  if (sl_guide_state_get_prompt (state, now_ms, &prompt))
    draw_prompt (&c, prompt.prompt);
  /* The pointer last: it is what the expert is moving now. */
  if (sl_guide_state_get_pointer (state, now_ms, &pointer))
    draw_pointer (&c, &pointer);
  cairo_restore (cr);
}
