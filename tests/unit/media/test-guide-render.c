/* test-guide-render.c — the renderer of sl-guide-render.h, checked on the
 * pixels it draws over grey speckle at 1280×720 and 1920×1080: marks in
 * their colour where they should be, a dark rim beside them, the picture
 * untouched elsewhere, the same normalised place at both sizes, and the
 * same picture from a state built by the sender as from one built by the
 * receiver out of the wire text. */
#include "sl-guide-render.h"

#include <math.h>
#include <string.h>

typedef struct
{
  cairo_surface_t *surface;
  guint8 *before; /* a copy of the speckle */
  gint w, h, stride;
} Frame;

/* A grey speckle picture like the phantom's, deterministic. */
static Frame *
frame_new (gint w, gint h)
{
  Frame *f = g_new0 (Frame, 1);
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  guint8 *data;

  f->surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  f->w = w;
  f->h = h;
  f->stride = cairo_image_surface_get_stride (f->surface);
  cairo_surface_flush (f->surface);
  data = cairo_image_surface_get_data (f->surface);
  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++)
      {
        guint32 v = (guint32)g_rand_int_range (rand, 30, 200);
        ((guint32 *)(data + y * f->stride))[x]
            = 0xff000000u | v << 16 | v << 8 | v;
      }
  cairo_surface_mark_dirty (f->surface);
  f->before = g_memdup2 (data, (gsize)f->stride * h);
  return f;
}

static void
frame_free (Frame *f)
{
  cairo_surface_destroy (f->surface);
  g_free (f->before);
  g_free (f);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Frame, frame_free)

static void
render (Frame *f, const SlGuideState *state, const SlGuideStyle *style,
        gint64 now)
{
  cairo_t *cr = cairo_create (f->surface);

  sl_guide_render (cr, (guint)f->w, (guint)f->h, state, style, now);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_flush (f->surface);
}

static guint32
pixel_in (const guint8 *data, const Frame *f, gint x, gint y)
{
  g_assert_true (x >= 0 && x < f->w && y >= 0 && y < f->h);
  return ((const guint32 *)(data + y * f->stride))[x] & 0xffffff;
}

static guint32
pixel (const Frame *f, gint x, gint y)
{
  return pixel_in (cairo_image_surface_get_data (f->surface), f, x, y);
}

static gboolean
untouched (const Frame *f, gint x, gint y)
{
  return pixel (f, x, y) == pixel_in (f->before, f, x, y);
}

/* The pixel at normalised u,v. */
static void
at (const Frame *f, gdouble u, gdouble v, gint *x, gint *y)
{
  *x = (gint)floor (u * f->w);
  *y = (gint)floor (v * f->h);
}

static gboolean
is_color (guint32 p, SlGuideColor color)
{
  gdouble rgb[3];
  gint c[3] = { (p >> 16) & 0xff, (p >> 8) & 0xff, p & 0xff };

  sl_guide_color_rgb (color, rgb);
  for (guint i = 0; i < 3; i++)
    if (ABS (c[i] - (gint)lround (rgb[i] * 255)) > 2)
      return FALSE;
  return TRUE;
}

static void
assert_color_at (const Frame *f, gdouble u, gdouble v, SlGuideColor color)
{
  gint x, y;

  at (f, u, v, &x, &y);
  if (!is_color (pixel (f, x, y), color))
    g_error ("%dx%d: pixel %d,%d is %06x, not colour %d", f->w, f->h, x, y,
             pixel (f, x, y), color);
}

/* Dark: what a translucent black of alpha >= 0.75 leaves of the speckle. */
static gboolean
is_darkened (const Frame *f, gint x, gint y)
{
  guint32 now = pixel (f, x, y), was = pixel_in (f->before, f, x, y);

  for (guint shift = 0; shift < 24; shift += 8)
    if (((now >> shift) & 0xff) > ((was >> shift) & 0xff) / 4 + 2)
      return FALSE;
  return TRUE;
}

/* Every pixel of the normalised rectangle is as it was. */
static void
assert_untouched (const Frame *f, gdouble u0, gdouble v0, gdouble u1,
                  gdouble v1)
{
  gint x0, y0, x1, y1;

  at (f, u0, v0, &x0, &y0);
  at (f, u1, v1, &x1, &y1);
  for (gint y = y0; y < y1; y++)
    for (gint x = x0; x < x1; x++)
      if (!untouched (f, x, y))
        g_error ("%dx%d: pixel %d,%d was drawn on", f->w, f->h, x, y);
}

static const gchar *const scene[] = {
  "{\"v\":1,\"type\":\"mark\",\"media_ms\":1,\"id\":\"arrow\","
  "\"kind\":\"arrow\",\"points\":[[0.25,0.5],[0.75,0.5]]}",
  "{\"v\":1,\"type\":\"mark\",\"media_ms\":1,\"id\":\"box\",\"kind\":\"box\","
  "\"color\":\"cyan\",\"points\":[[0.1,0.1],[0.3,0.3]]}",
  "{\"v\":1,\"type\":\"mark\",\"media_ms\":1,\"id\":\"ring\","
  "\"kind\":\"ellipse\",\"color\":\"green\","
  "\"points\":[[0.6,0.1],[0.8,0.3]]}",
  "{\"v\":1,\"type\":\"mark\",\"media_ms\":1,\"id\":\"line\","
  "\"kind\":\"polyline\",\"color\":\"magenta\","
  "\"points\":[[0.1,0.6],[0.2,0.8],[0.3,0.6]]}",
  "{\"v\":1,\"type\":\"mark\",\"media_ms\":1,\"id\":\"cal\","
  "\"kind\":\"caliper\",\"color\":\"orange\","
  "\"points\":[[0.55,0.85],[0.85,0.85]]}",
  "{\"v\":1,\"type\":\"mark\",\"media_ms\":1,\"id\":\"label\","
  "\"kind\":\"text\",\"color\":\"white\",\"points\":[[0.4,0.3]],"
  "\"text\":\"tendon tear\"}",
  "{\"v\":1,\"type\":\"pointer\",\"media_ms\":1,\"seq\":1,\"x\":0.45,"
  "\"y\":0.7,\"color\":\"red\"}",
};

/* The scene's state: parsed from the wire text when @from_wire (the
 * receiver), applied as built otherwise (the sender). */
static SlGuideState *
scene_state (gboolean from_wire)
{
  SlGuideState *state = sl_guide_state_new ();

  for (guint i = 0; i < G_N_ELEMENTS (scene); i++)
    {
      g_autoptr (GError) error = NULL;
      g_auto (SlGuideMsg) msg = { 0 }, wire = { 0 };
      g_autofree gchar *text = NULL;

      g_assert_true (
          sl_guide_parse (scene[i], strlen (scene[i]), &msg, &error));
      if (from_wire)
        {
          text = sl_guide_serialize (&msg);
          g_assert_true (sl_guide_parse (text, strlen (text), &wire, &error));
        }
      g_assert_true (
          sl_guide_state_apply (state, from_wire ? &wire : &msg, 0, &error));
      g_assert_no_error (error);
    }
  return state;
}

static void
check_scene (gint w, gint h)
{
  g_autoptr (Frame) f = frame_new (w, h);
  g_autoptr (SlGuideState) state = scene_state (FALSE);
  SlGuideMetrics m;
  gint x, y, rim;

  sl_guide_render_metrics ((guint)h, &m);
  render (f, state, NULL, 0);
  /* The arrow's shaft, and the dark rim just beside it on both sides. */
  assert_color_at (f, 0.4, 0.5, SL_GUIDE_COLOR_YELLOW);
  assert_color_at (f, 0.3, 0.5, SL_GUIDE_COLOR_YELLOW);
  at (f, 0.4, 0.5, &x, &y);
  rim = (gint)ceil (m.line / 2 + m.outline / 2);
  g_assert_true (is_darkened (f, x, y - rim)
                 || is_darkened (f, x, y - rim - 1));
  g_assert_true (is_darkened (f, x, y + rim)
                 || is_darkened (f, x, y + rim - 1));
  /* Beyond the rim, the speckle is intact. */
  g_assert_true (untouched (f, x, y - rim - (gint)m.outline - 3));
  /* The box's edges; its inside untouched. */
  assert_color_at (f, 0.2, 0.1, SL_GUIDE_COLOR_CYAN);
  assert_color_at (f, 0.1, 0.2, SL_GUIDE_COLOR_CYAN);
  assert_untouched (f, 0.12, 0.12, 0.28, 0.28);
  /* The ellipse at the ends of its axes; its inside untouched. */
  assert_color_at (f, 0.8, 0.2, SL_GUIDE_COLOR_GREEN);
  assert_color_at (f, 0.7, 0.1, SL_GUIDE_COLOR_GREEN);
  assert_color_at (f, 0.6, 0.2, SL_GUIDE_COLOR_GREEN);
  assert_untouched (f, 0.65, 0.16, 0.75, 0.24);
  /* The polyline at the middle of its first segment and at its vertex. */
  assert_color_at (f, 0.15, 0.7, SL_GUIDE_COLOR_MAGENTA);
  assert_color_at (f, 0.2, 0.8, SL_GUIDE_COLOR_MAGENTA);
  /* The caliper's line, and its label box above the middle. */
  assert_color_at (f, 0.6, 0.85, SL_GUIDE_COLOR_ORANGE);
  at (f, 0.7, 0.85, &x, &y);
  g_assert_true (is_darkened (f, x - (gint)m.font, y - (gint)(2 * m.font)));
  /* The label's box at its anchor. */
  at (f, 0.4, 0.3, &x, &y);
  g_assert_true (is_darkened (f, x + 2, y + 2));
  /* The pointer at its centre. */
  assert_color_at (f, 0.45, 0.7, SL_GUIDE_COLOR_RED);
  /* Away from every mark, nothing changed. */
  assert_untouched (f, 0.0, 0.0, 0.08, 0.08);
  assert_untouched (f, 0.02, 0.35, 0.08, 0.55);
  assert_untouched (f, 0.4, 0.55, 0.52, 0.66);
  assert_untouched (f, 0.9, 0.4, 1.0, 0.8);
  assert_untouched (f, 0.0, 0.9, 0.5, 1.0);
}

static void
test_scene_720 (void)
{
  check_scene (1280, 720);
}

static void
test_scene_1080 (void)
{
  check_scene (1920, 1080);
}

/* The centre of the yellow pixels, normalised. */
static void
yellow_centroid (const Frame *f, gdouble *u, gdouble *v)
{
  gdouble sx = 0, sy = 0, n = 0;

  for (gint y = 0; y < f->h; y++)
    for (gint x = 0; x < f->w; x++)
      if (is_color (pixel (f, x, y), SL_GUIDE_COLOR_YELLOW))
        {
          sx += x + 0.5;
          sy += y + 0.5;
          n++;
        }
  g_assert_cmpfloat (n, >, 100);
  *u = sx / n / f->w;
  *v = sy / n / f->h;
}

static void
test_same_place_both_sizes (void)
{
  static const gchar text[]
      = "{\"v\":1,\"type\":\"mark\",\"media_ms\":0,\"id\":\"t\","
        "\"kind\":\"polyline\",\"points\":[[0.3,0.2],[0.35,0.4],[0.5,0.45]]}";
  g_autoptr (SlGuideState) state = sl_guide_state_new ();
  g_autoptr (Frame) small = frame_new (1280, 720);
  g_autoptr (Frame) large = frame_new (1920, 1080);
  g_auto (SlGuideMsg) msg = { 0 };
  gdouble u720, v720, u1080, v1080;

  g_assert_true (sl_guide_parse (text, strlen (text), &msg, NULL));
  g_assert_true (sl_guide_state_apply (state, &msg, 0, NULL));
  render (small, state, NULL, 0);
  render (large, state, NULL, 0);
  /* The vertices and the middles of the segments, at both sizes. */
  for (guint i = 0; i < 2; i++)
    {
      Frame *f = i ? large : small;

      assert_color_at (f, 0.3, 0.2, SL_GUIDE_COLOR_YELLOW);
      assert_color_at (f, 0.35, 0.4, SL_GUIDE_COLOR_YELLOW);
      assert_color_at (f, 0.5, 0.45, SL_GUIDE_COLOR_YELLOW);
      assert_color_at (f, 0.325, 0.3, SL_GUIDE_COLOR_YELLOW);
      assert_color_at (f, 0.425, 0.425, SL_GUIDE_COLOR_YELLOW);
    }
  /* The whole line: its fully coloured pixels have the same centre, to
   * within the two pixels that rasterising a line of a different width
   * may shift it by. */
  yellow_centroid (small, &u720, &v720);
  yellow_centroid (large, &u1080, &v1080);
  g_assert_cmpfloat_with_epsilon (u720, u1080, 2.0 / 720);
  g_assert_cmpfloat_with_epsilon (v720, v1080, 2.0 / 720);
}

static void
test_both_sides_alike (void)
{
  g_autoptr (SlGuideState) sender = scene_state (FALSE);
  g_autoptr (SlGuideState) receiver = scene_state (TRUE);
  g_autoptr (Frame) a = frame_new (1280, 720);
  g_autoptr (Frame) b = frame_new (1280, 720);

  render (a, sender, NULL, 0);
  render (b, receiver, NULL, 0);
  g_assert_cmpmem (cairo_image_surface_get_data (a->surface), a->stride * a->h,
                   cairo_image_surface_get_data (b->surface), b->stride * b->h);
}

static void
test_expired_and_hidden (void)
{
  static const gchar text[]
      = "{\"v\":1,\"type\":\"mark\",\"media_ms\":0,\"id\":\"t\","
        "\"kind\":\"box\",\"ttl_ms\":500,\"points\":[[0.2,0.2],[0.8,0.8]]}";
  g_autoptr (SlGuideState) state = sl_guide_state_new ();
  g_autoptr (Frame) f = frame_new (640, 360);
  g_auto (SlGuideMsg) msg = { 0 };

  g_assert_true (sl_guide_parse (text, strlen (text), &msg, NULL));
  g_assert_true (sl_guide_state_apply (state, &msg, 1000, NULL));
  /* Its TTL has run out: the frame stays as it was, though the state
   * still holds the mark. */
  render (f, state, NULL, 1500);
  g_assert_cmpuint (sl_guide_state_n_marks (state), ==, 1);
  g_assert_cmpmem (cairo_image_surface_get_data (f->surface), f->stride * f->h,
                   f->before, f->stride * f->h);
  render (f, state, NULL, 1499);
  assert_color_at (f, 0.5, 0.2, SL_GUIDE_COLOR_YELLOW);
}

static void
test_cue_and_prompt (void)
{
  static const gchar *const texts[] = {
    "{\"v\":1,\"type\":\"cue\",\"media_ms\":0,\"cue\":\"slide\","
    "\"dir\":\"left\"}",
    "{\"v\":1,\"type\":\"prompt\",\"media_ms\":0,\"prompt\":\"doppler\"}",
  };
  static const gint sizes[][2] = { { 1280, 720 }, { 1920, 1080 } };

  for (guint k = 0; k < G_N_ELEMENTS (sizes); k++)
    {
      g_autoptr (SlGuideState) state = sl_guide_state_new ();
      g_autoptr (Frame) f = frame_new (sizes[k][0], sizes[k][1]);
      SlGuideMetrics m;
      gint x, y, xx, yy, changed = 0;

      for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
        {
          g_auto (SlGuideMsg) msg = { 0 };

          g_assert_true (
              sl_guide_parse (texts[i], strlen (texts[i]), &msg, NULL));
          g_assert_true (sl_guide_state_apply (state, &msg, 0, NULL));
        }
      sl_guide_render_metrics ((guint)f->h, &m);
      render (f, state, NULL, 100);
      /* The cue's icon fills a square a fifth of the height in the
       * top-right corner, on a dark ground, with a yellow arrow in it. */
      x = f->w - (gint)(m.margin + m.cue) + 3;
      y = (gint)m.margin + 3;
      g_assert_true (is_darkened (f, x, y));
      for (yy = y; yy < y + (gint)m.cue - 6; yy++)
        for (xx = x; xx < x + (gint)m.cue - 6; xx++)
          changed += is_color (pixel (f, xx, yy), SL_GUIDE_COLOR_YELLOW);
      g_assert_cmpint (changed, >, (gint)(m.cue * m.cue / 200));
      g_assert_true (untouched (f, x - 6, y + (gint)m.cue / 2));
      /* The prompt's banner at the bottom, in the middle: mostly its
       * dark box, with the text's white in it. */
      changed = 0;
      for (yy = (gint)(f->h - m.margin - f->h / 11.0);
           yy < (gint)(f->h - m.margin); yy++)
        for (xx = f->w * 45 / 100; xx < f->w * 55 / 100; xx++)
          changed += is_darkened (f, xx, yy);
      g_assert_cmpint (changed, >, f->w / 10 * (f->h / 11) / 3);
      assert_untouched (f, 0.0, 0.0, 0.5, 0.5);
      /* Both go once their time is up. */
      g_clear_pointer (&f, frame_free);
      f = frame_new (sizes[k][0], sizes[k][1]);
      render (f, state, NULL, SL_GUIDE_DEFAULT_DURATION_MS);
      g_assert_cmpmem (cairo_image_surface_get_data (f->surface),
                       f->stride * f->h, f->before, f->stride * f->h);
    }
}

static void
test_caliper_label (void)
{
  g_autoptr (SlGuideState) state = sl_guide_state_new ();
  SlGuideMsg image = { 0 };
  SlGuideMark cal = { .kind = SL_GUIDE_KIND_CALIPER, .n_points = 2 };
  SlGuideStyle phantom = { 1280, 720, 0.258, 0.258 };
  g_autofree gchar *mm = NULL, *px = NULL, *from_state = NULL;
  g_autofree gchar *at_1080 = NULL;

  cal.points[0] = (SlGuidePoint){ 0.5, 0.25 };
  cal.points[1] = (SlGuidePoint){ 0.8, 0.65 };
  /* 384 × 288 px of the 1280 × 720 image: 480 px, 123.8 mm. */
  mm = sl_guide_caliper_label (&cal, NULL, &phantom, 1920, 1080);
  g_assert_cmpstr (mm, ==, "123.8 mm");
  px = sl_guide_caliper_label (&cal, NULL, NULL, 1280, 720);
  g_assert_cmpstr (px, ==, "480 px");
  /* What the township said about its image serves when the caller knows
   * nothing. */
  image.type = SL_GUIDE_IMAGE;
  image.image = (SlGuideImage){ 1280, 720, 0.258, 0.258 };
  g_assert_true (sl_guide_state_apply (state, &image, 0, NULL));
  from_state = sl_guide_caliper_label (&cal, state, NULL, 640, 360);
  g_assert_cmpstr (from_state, ==, "123.8 mm");
  at_1080 = sl_guide_caliper_label (&cal, state, NULL, 1920, 1080);
  g_assert_cmpstr (at_1080, ==, from_state);
}

static void
test_degenerate_marks (void)
{
  static const gchar *const texts[] = {
    "{\"v\":1,\"type\":\"mark\",\"media_ms\":0,\"id\":\"a\","
    "\"kind\":\"ellipse\",\"points\":[[0.5,0.5],[0.5,0.5]]}",
    "{\"v\":1,\"type\":\"mark\",\"media_ms\":0,\"id\":\"b\","
    "\"kind\":\"arrow\",\"points\":[[1,1],[1,1]]}",
    "{\"v\":1,\"type\":\"mark\",\"media_ms\":0,\"id\":\"c\","
    "\"kind\":\"caliper\",\"points\":[[0,0],[0,0]]}",
    "{\"v\":1,\"type\":\"mark\",\"media_ms\":0,\"id\":\"d\","
    "\"kind\":\"text\",\"width\":4,\"points\":[[1,1]],\"text\":\"edge\"}",
  };
  g_autoptr (SlGuideState) state = sl_guide_state_new ();
  g_autoptr (Frame) f = frame_new (64, 64);

  /* Zero-sized shapes and marks at the very edge draw without putting
   * the cairo_t into an error state (render() checks). */
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_auto (SlGuideMsg) msg = { 0 };

      g_assert_true (sl_guide_parse (texts[i], strlen (texts[i]), &msg, NULL));
      g_assert_true (sl_guide_state_apply (state, &msg, 0, NULL));
    }
  render (f, state, NULL, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/guide-render/scene-720", test_scene_720);
  g_test_add_func ("/guide-render/scene-1080", test_scene_1080);
  g_test_add_func ("/guide-render/same-place-both-sizes",
                   test_same_place_both_sizes);
  g_test_add_func ("/guide-render/both-sides-alike", test_both_sides_alike);
  g_test_add_func ("/guide-render/expired", test_expired_and_hidden);
  g_test_add_func ("/guide-render/cue-and-prompt", test_cue_and_prompt);
  g_test_add_func ("/guide-render/caliper-label", test_caliper_label);
  g_test_add_func ("/guide-render/degenerate-marks", test_degenerate_marks);
  return g_test_run ();
}
