/* sl-status-view.c — see sl-status-view.h.
 *
 * Sizes follow the picture's height, as the marks' do
 * (sl-guide-render.c), so the strip reads the same at any resolution:
 * a 720-line picture gets a 24-pixel strip.  The strip is drawn over the
 * picture's bottom edge rather than beside it: the window shows the
 * decoded picture at its own size, and a band added below it would
 * change the picture's geometry, which the expert's mouse positions are
 * measured against.  The strip covers only its band (every pixel outside
 * it stays as decoded, sl-guide-view.h), and the `i` key hides it.
 * Colours: green for a good link, amber for degraded or recovering, red
 * for lost, grey for none; the word is always written too, for a reader
 * who does not tell the colours apart.
 */
#include "sl-status-view.h"

#include <math.h>
#include <string.h>

#define FONT_FACE "sans-serif"

static const gdouble link_rgb[][3] = {
  [SL_STATUS_LINK_NONE] = { 0.6, 0.6, 0.6 },
  [SL_STATUS_LINK_GOOD] = { 0.2, 0.8, 0.3 },
  [SL_STATUS_LINK_DEGRADED] = { 1.0, 0.6, 0.0 },
  [SL_STATUS_LINK_LOST] = { 0.95, 0.2, 0.2 },
  [SL_STATUS_LINK_RECOVERING] = { 1.0, 0.6, 0.0 },
};

static const gchar *const link_words[] = {
  [SL_STATUS_LINK_NONE] = "NO LINK",
  [SL_STATUS_LINK_GOOD] = "LINK GOOD",
  [SL_STATUS_LINK_DEGRADED] = "LINK DEGRADED",
  [SL_STATUS_LINK_LOST] = "LINK LOST",
  [SL_STATUS_LINK_RECOVERING] = "LINK RECOVERING",
};

SlStatusScreen
sl_status_view_screen (const SlStatusInfo *info, gchar **text)
{
  const gchar *peer = info->township ? "an expert" : "the township";
  SlStatusScreen screen = SL_STATUS_SCREEN_LIVE;
  gchar *words = NULL;

  if (!info->peer_present && !info->hub_joined && info->hub_failures > 0)
    {
      screen = SL_STATUS_SCREEN_HUB_UNREACHABLE;
      words = g_strdup_printf ("Hub unreachable, retrying (%u)",
                               info->hub_failures);
    }
  else if (!info->peer_present && !info->hub_joined)
    {
      screen = SL_STATUS_SCREEN_CONNECTING;
      words = g_strdup ("Connecting to the hub");
    }
  else if (!info->peer_present)
    {
      screen = SL_STATUS_SCREEN_WAITING_PEER;
      words = info->peer_was_here && !info->township
                  ? g_strdup ("The township left; waiting for the township")
                  : g_strdup_printf ("Waiting for %s", peer);
    }
  else if (info->link == SL_STATUS_LINK_LOST)
    {
      screen = SL_STATUS_SCREEN_LINK_LOST;
      words = g_strdup ("Link lost, recovering");
    }
  else if (!info->township && info->picture_age_ms < 0)
    {
      screen = SL_STATUS_SCREEN_WAITING_PICTURE;
      words = g_strdup ("Waiting for the township's picture");
    }
  else if (!info->township && info->picture_age_ms >= SL_STATUS_FROZEN_MS)
    {
      screen = SL_STATUS_SCREEN_FROZEN;
      words = g_strdup_printf ("Picture frozen %" G_GINT64_FORMAT " s",
                               info->picture_age_ms / 1000);
    }
  if (text != NULL)
    *text = words;
  else
    g_free (words);
  return screen;
}

/* @value rounded and followed by @unit, "- UNIT" when unknown (< 0). */
static gchar *
figure (gdouble value, const gchar *prefix, const gchar *unit)
{
  return value < 0 ? g_strdup_printf ("- %s", unit)
                   : g_strdup_printf ("%s%.0f %s", prefix, value, unit);
}

gchar *
sl_status_view_strip_text (const SlStatusInfo *info)
{
  g_autofree gchar *fps = figure (info->fps, "", "fps");
  g_autofree gchar *kbps = figure (info->kbps, "", "kb/s");
  g_autofree gchar *rtt = figure (info->rtt_ms, "", "ms");
  g_autofree gchar *lat_ms
      = figure (info->latency_ms, info->latency_measured ? "" : "~", "ms");
  /* The township sends: glass-to-glass is the viewer's to measure. */
  g_autofree gchar *lat = info->township
                              ? g_strdup ("")
                              : g_strdup_printf ("latency %s   ", lat_ms);
  g_autofree gchar *tools = NULL;
  g_autofree gchar *rec = NULL;
  const gchar *hub = info->hub_joined         ? "hub connected"
                     : info->hub_failures > 0 ? "hub unreachable"
                                              : "hub connecting";

  if (info->expert)
    tools = g_strdup_printf ("   tool %s   cue %s", info->tool,
                             info->cue[0] ? info->cue : "none");
  /* A recording is patient data: who records is always in view. */
  if (info->recording || info->others_recording > 0)
    rec = g_strdup_printf ("   %s%s%s", info->recording ? "REC here" : "",
                           info->recording && info->others_recording > 0 ? ", "
                                                                         : "",
                           info->others_recording == 0   ? ""
                           : info->others_recording == 1 ? "REC by 1 other"
                                                         : "REC by others");
  return g_strdup_printf ("%s   %s   %s   rtt %s   %s%s%s%s   "
                          "i: hide  ?: keys",
                          link_words[info->link], fps, kbps, rtt, lat, hub,
                          rec ? rec : "", tools ? tools : "");
}

guint
sl_status_view_strip_height (guint height)
{
  return MAX (16, (height + 15) / 30);
}

static void
show_text (cairo_t *cr, const gchar *text)
{
  cairo_show_text (cr, text);
  /* show_text leaves a current point: the next shape would join it. */
  cairo_new_path (cr);
}

static void
draw_strip (cairo_t *cr, guint width, guint height, const SlStatusInfo *info)
{
  const gdouble bh = sl_status_view_strip_height (height);
  const gdouble y = height - bh, size = bh * 0.62, pad = bh * 0.3;
  const gdouble *rgb = link_rgb[info->link];
  g_autofree gchar *line = sl_status_view_strip_text (info);
  const gchar *rest = line + strlen (link_words[info->link]);
  cairo_text_extents_t te;
  cairo_font_extents_t fe;
  gdouble x = pad, base;

  cairo_rectangle (cr, 0, y, width, bh);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.8);
  cairo_fill (cr);
  cairo_select_font_face (cr, FONT_FACE, CAIRO_FONT_SLANT_NORMAL,
                          CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size (cr, size);
  cairo_font_extents (cr, &fe);
  base = y + (bh - (fe.ascent + fe.descent)) / 2 + fe.ascent;
  /* The link's word on its colour, then the figures in white. */
  cairo_text_extents (cr, link_words[info->link], &te);
  cairo_rectangle (cr, x - pad / 2, y + bh * 0.1, te.x_advance + pad, bh * 0.8);
  cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_move_to (cr, x, base);
  show_text (cr, link_words[info->link]);
  x += te.x_advance + pad;
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_move_to (cr, x, base);
  show_text (cr, rest);
}

/* Lines centred in a dark box at (@cx, @cy): the first at @size, bold,
 * in @rgb, the rest at two thirds of it in white. */
static void
draw_box (cairo_t *cr, const gchar *const *lines, guint n, gdouble size,
          gdouble cx, gdouble cy, const gdouble *rgb)
{
  cairo_text_extents_t te;
  cairo_font_extents_t fe;
  gdouble w = 0, h = 0, pad = size * 0.6, y;

  cairo_select_font_face (cr, FONT_FACE, CAIRO_FONT_SLANT_NORMAL,
                          CAIRO_FONT_WEIGHT_BOLD);
  for (guint i = 0; i < n; i++)
    {
      cairo_set_font_size (cr, i == 0 ? size : size * 2 / 3);
      cairo_text_extents (cr, lines[i], &te);
      cairo_font_extents (cr, &fe);
      w = MAX (w, te.x_advance);
      h += fe.height;
    }
  cairo_rectangle (cr, cx - w / 2 - pad, cy - h / 2 - pad, w + 2 * pad,
                   h + 2 * pad);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.85);
  cairo_fill_preserve (cr);
  cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
  cairo_set_line_width (cr, MAX (2.0, size / 12));
  cairo_stroke (cr);
  y = cy - h / 2;
  for (guint i = 0; i < n; i++)
    {
      cairo_set_font_size (cr, i == 0 ? size : size * 2 / 3);
      cairo_font_extents (cr, &fe);
      cairo_text_extents (cr, lines[i], &te);
      if (i == 0)
        cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
      else
        cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_move_to (cr, cx - te.x_advance / 2, y + fe.ascent);
      show_text (cr, lines[i]);
      y += fe.height;
    }
}

static void
draw_state (cairo_t *cr, guint width, guint height, const SlStatusInfo *info,
            SlStatusScreen screen, const gchar *text)
{
  const gdouble *rgb = screen == SL_STATUS_SCREEN_LINK_LOST
                               || screen == SL_STATUS_SCREEN_FROZEN
                               || screen == SL_STATUS_SCREEN_HUB_UNREACHABLE
                           ? link_rgb[SL_STATUS_LINK_LOST]
                           : link_rgb[SL_STATUS_LINK_DEGRADED];
  const gchar *lines[2] = { text, NULL };
  guint n = 1;

  if (info->township)
    {
      /* The township's picture is its own probe, live whatever the
       * link: a banner at the top says what the link is doing. */
      draw_box (cr, lines, 1, MAX (14.0, height / 24.0), width / 2.0,
                height / 10.0, rgb);
      return;
    }
  /* The expert's picture is the township's: dimmed all over, so that
   * a stopped picture is never taken for a live one. */
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.6);
  cairo_fill (cr);
  if (screen == SL_STATUS_SCREEN_FROZEN || screen == SL_STATUS_SCREEN_LINK_LOST)
    lines[n++] = "The last picture received is shown dimmed";
  draw_box (cr, lines, n, MAX (16.0, height / 16.0), width / 2.0, height / 2.0,
            rgb);
}

static void
draw_help (cairo_t *cr, guint width, guint height, const SlStatusInfo *info)
{
  static const gchar *const expert[] = {
    "Keys",
    "f freehand   a arrow   b box   e ellipse   l caliper",
    "left drag: draw   right drag: arrow   Shift+drag: box",
    "1 slide  2 rock  3 tilt  4 rotate  5 compress, then an arrow key",
    "0 stop the cue   u undo   c clear   Delete: last mark",
    "d Doppler   h hold   z freeze   x unfreeze   n no prompt",
    "s still   r recording on / off   i status strip   ? this help",
  };
  static const gchar *const viewer[] = {
    "Keys",
    "i status strip on / off",
    "? this help on / off",
  };
  static const gdouble white[3] = { 1, 1, 1 };

  if (info->expert)
    draw_box (cr, expert, G_N_ELEMENTS (expert), MAX (14.0, height / 22.0),
              width / 2.0, height / 2.0, white);
  else
    draw_box (cr, viewer, G_N_ELEMENTS (viewer), MAX (14.0, height / 22.0),
              width / 2.0, height / 2.0, white);
}

void
sl_status_view_draw (cairo_t *cr, guint width, guint height,
                     const SlStatusInfo *info)
{
  g_autofree gchar *text = NULL;
  SlStatusScreen screen = sl_status_view_screen (info, &text);

  cairo_save (cr);
  if (screen != SL_STATUS_SCREEN_LIVE)
    draw_state (cr, width, height, info, screen, text);
  if (info->help)
    draw_help (cr, width, height, info);
  if (info->strip)
    draw_strip (cr, width, height, info);
  cairo_restore (cr);
}
