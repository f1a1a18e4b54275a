/* test-phantom.c — the synthetic phantom's core: determinism, picture
 * properties and golden checksums. */
#include "sl-phantom.h"
#include "sl-stamp.h"

#include <string.h>

/* SHA-256 of the I420 bytes (Y, U, V planes, packed) of frames 0 and 123
 * at 1280×720, seed 1.  They only change when the picture is changed on
 * purpose; a difference on some machine means the phantom is not
 * deterministic there. */
#define GOLDEN_FRAME_0                                                         \
  "cce0ea16a7f807eadac4378e9a9746124f7414bff9202625ec573317e4a8b88e"
#define GOLDEN_FRAME_123                                                       \
  "c8264ab246acfa9baf70e9fd637acf44145b7bf78c60f9b3f8d6165b291825d1"

typedef struct
{
  guint width;
  guint height;
  guint8 *data; /* packed I420 */
} Picture;

static Picture *
picture_new (guint width, guint height)
{
  Picture *p = g_new0 (Picture, 1);

  p->width = width;
  p->height = height;
  p->data = g_malloc0 ((gsize)width * height * 3 / 2);
  return p;
}

static void
picture_free (Picture *p)
{
  g_free (p->data);
  g_free (p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Picture, picture_free)

static gsize
picture_size (const Picture *p)
{
  return (gsize)p->width * p->height * 3 / 2;
}

static guint8 *
plane_u (Picture *p)
{
  return p->data + (gsize)p->width * p->height;
}

static guint8 *
plane_v (Picture *p)
{
  return plane_u (p) + (gsize)p->width * p->height / 4;
}

static void
render (SlPhantom *phantom, guint64 index, Picture *p)
{
  sl_phantom_render (phantom, index, p->data, (gint)p->width, plane_u (p),
                     (gint)p->width / 2, plane_v (p), (gint)p->width / 2);
}

static Picture *
render_new (guint width, guint height, guint32 seed, guint64 index)
{
  g_autoptr (SlPhantom) phantom = sl_phantom_new (width, height, seed);
  Picture *p = picture_new (width, height);

  g_assert_nonnull (phantom);
  render (phantom, index, p);
  return p;
}

static gboolean
same (const Picture *a, const Picture *b)
{
  return memcmp (a->data, b->data, picture_size (a)) == 0;
}

static void
test_sizes (void)
{
  static const guint bad[][2]
      = { { 0, 0 },   { 62, 64 },     { 64, 62 },     { 65, 64 },
          { 64, 65 }, { 1922, 1080 }, { 1920, 1082 }, { 1281, 720 } };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_null (sl_phantom_new (bad[i][0], bad[i][1], 1));
      g_assert_cmpfloat (
          sl_phantom_mm_per_pixel_for_size (bad[i][0], bad[i][1]), ==, 0);
    }
}

/* Every size the element accepts renders without touching memory outside
 * the picture (the ASan run checks that) and stamps when it fits. */
static void
test_extreme_sizes (void)
{
  static const guint sizes[][2]
      = { { 64, 64 },   { 66, 1080 },   { 1920, 64 }, { 320, 64 },
          { 322, 240 }, { 1920, 1080 }, { 720, 576 }, { 1080, 1080 } };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr (Picture) p = render_new (sizes[i][0], sizes[i][1], 3, 77);
      guint64 value = 0;

      g_assert_cmpint (
          sl_stamp_read (p->data, (gint)p->width, p->width, p->height, &value),
          ==, sl_stamp_fits (p->width, p->height));
      if (sl_stamp_fits (p->width, p->height))
        g_assert_cmpuint (value, ==, 77);
    }
}

static void
test_deterministic (void)
{
  static const guint64 frames[] = { 0, 1, 100 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (frames); i++)
    {
      g_autoptr (Picture) a = render_new (1280, 720, 1, frames[i]);
      g_autoptr (Picture) b = render_new (1280, 720, 1, frames[i]);
      g_autoptr (Picture) other_seed = render_new (1280, 720, 2, frames[i]);

      g_assert_true (same (a, b));
      g_assert_false (same (a, other_seed));
    }
}

/* Rendering out of order, or the same frame twice, gives the same bytes:
 * a frame depends on its index only, not on the phantom's history. */
static void
test_frames_independent (void)
{
  g_autoptr (SlPhantom) phantom = sl_phantom_new (640, 480, 9);
  g_autoptr (Picture) first = picture_new (640, 480);
  g_autoptr (Picture) again = picture_new (640, 480);
  g_autoptr (Picture) next = picture_new (640, 480);

  render (phantom, 42, first);
  render (phantom, 43, next);
  render (phantom, 5000, again);
  render (phantom, 42, again);
  g_assert_true (same (first, again));
  g_assert_false (same (first, next));
}

/* The tissue moves: frames a second apart differ beyond their stamps. */
static void
test_frames_differ (void)
{
  g_autoptr (Picture) a = render_new (1280, 720, 1, 10);
  g_autoptr (Picture) b = render_new (1280, 720, 1, 40);
  guint stamp_w, stamp_h, y, changed_rows = 0;

  sl_stamp_get_size (1280, &stamp_w, &stamp_h);
  for (y = stamp_h; y < 720; y++)
    if (memcmp (a->data + y * 1280, b->data + y * 1280, 1280) != 0)
      changed_rows++;
  g_assert_cmpuint (changed_rows, >, 400);
}

static void
test_strides (void)
{
  const guint w = 640, h = 360, pad = 96;
  g_autoptr (SlPhantom) phantom = sl_phantom_new (w, h, 5);
  g_autoptr (Picture) packed = picture_new (w, h);
  g_autofree guint8 *y = g_malloc ((w + pad) * h);
  g_autofree guint8 *u = g_malloc ((w / 2 + pad) * h / 2);
  g_autofree guint8 *v = g_malloc ((w / 2 + pad) * h / 2);
  guint row;

  render (phantom, 12, packed);
  memset (y, 0xaa, (w + pad) * h);
  sl_phantom_render (phantom, 12, y, w + pad, u, w / 2 + pad, v, w / 2 + pad);
  for (row = 0; row < h; row++)
    {
      g_assert_cmpmem (y + row * (w + pad), w, packed->data + row * w, w);
      /* The padding is left alone. */
      g_assert_cmpuint (y[row * (w + pad) + w + pad - 1], ==, 0xaa);
    }
  for (row = 0; row < h / 2; row++)
    {
      g_assert_cmpmem (u + row * (w / 2 + pad), w / 2,
                       plane_u (packed) + row * w / 2, w / 2);
      g_assert_cmpmem (v + row * (w / 2 + pad), w / 2,
                       plane_v (packed) + row * w / 2, w / 2);
    }
}

static gdouble
mean_luma (const Picture *p, guint x0, guint y0, guint w, guint h)
{
  guint64 sum = 0;
  guint x, y;

  for (y = y0; y < y0 + h; y++)
    for (x = x0; x < x0 + w; x++)
      sum += p->data[(gsize)y * p->width + x];
  return (gdouble)sum / ((gdouble)w * h);
}

static void
assert_black (const Picture *p, guint x0, guint y0, guint w, guint h)
{
  guint x, y;

  for (y = y0; y < y0 + h; y++)
    for (x = x0; x < x0 + w; x++)
      g_assert_cmpuint (p->data[(gsize)y * p->width + x], ==, 16);
}

static void
test_picture (void)
{
  const guint w = 1280, h = 720;
  g_autoptr (Picture) p = render_new (w, h, 1, 0);
  guint stamp_w, stamp_h, i;
  gdouble mean;

  sl_stamp_get_size (w, &stamp_w, &stamp_h);
  /* Corners are black; the top-left one only has the stamp. */
  assert_black (p, 0, stamp_h, 64, 64);
  assert_black (p, stamp_w, 0, 64, 64);
  assert_black (p, w - 64, 0, 64, 64);
  assert_black (p, 0, h - 64, 64, 64);
  assert_black (p, w - 64, h - 64, 64, 64);
  /* Bright speckle just below the apex, in the near field. */
  mean = mean_luma (p, w / 2 - 10, 44, 20, 12);
  g_assert_cmpfloat (mean, >, 90);
  /* Inside the sector, mid-depth: grey tissue, neither black nor white. */
  mean = mean_luma (p, w / 2 - 50, h / 2 - 50, 100, 100);
  g_assert_cmpfloat (mean, >, 60);
  g_assert_cmpfloat (mean, <, 180);
  /* The whole picture: mostly black around a grey sector. */
  mean = mean_luma (p, 0, 0, w, h);
  g_assert_cmpfloat (mean, >, 30);
  g_assert_cmpfloat (mean, <, 110);
  for (i = 0; i < w * h / 2; i++)
    g_assert_cmpuint (p->data[(gsize)w * h + i], ==, 128);
  /* Video range only. */
  for (i = 0; i < w * h; i++)
    {
      g_assert_cmpuint (p->data[i], >=, 16);
      g_assert_cmpuint (p->data[i], <=, 235);
    }
}

static void
test_stamped (void)
{
  static const guint64 frames[] = { 0, 1, 100, 123456789, G_MAXUINT32 + 5ull };
  g_autoptr (SlPhantom) phantom = sl_phantom_new (1280, 720, 1);
  g_autoptr (Picture) p = picture_new (1280, 720);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (frames); i++)
    {
      guint64 value = 0;

      render (phantom, frames[i], p);
      g_assert_true (sl_stamp_read (p->data, 1280, 1280, 720, &value));
      g_assert_cmpuint (value, ==, frames[i]);
    }
}

static void
test_pixel_spacing (void)
{
  g_autoptr (SlPhantom) phantom = sl_phantom_new (1280, 720, 1);
  gdouble mm = sl_phantom_get_mm_per_pixel (phantom);

  g_assert_cmpfloat (mm, ==, sl_phantom_mm_per_pixel_for_size (1280, 720));
  /* 16 cm over about 620 pixels. */
  g_assert_cmpfloat (mm, >, 0.22);
  g_assert_cmpfloat (mm, <, 0.30);
  g_assert_cmpfloat (sl_phantom_mm_per_pixel_for_size (1920, 1080), <, mm);
  g_assert_cmpuint (sl_phantom_get_width (phantom), ==, 1280);
  g_assert_cmpuint (sl_phantom_get_height (phantom), ==, 720);
}

static void
check_golden (guint64 index, const gchar *expected)
{
  g_autoptr (Picture) p = render_new (1280, 720, 1, index);
  g_autofree gchar *sum = g_compute_checksum_for_data (
      G_CHECKSUM_SHA256, p->data, picture_size (p));

  if (g_getenv ("SL_PRINT_GOLDEN") != NULL)
    g_printerr ("frame %" G_GUINT64_FORMAT ": %s\n", index, sum);
  g_assert_cmpstr (sum, ==, expected);
}

static void
test_golden (void)
{
  check_golden (0, GOLDEN_FRAME_0);
  check_golden (123, GOLDEN_FRAME_123);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/probe/phantom/sizes", test_sizes);
  g_test_add_func ("/probe/phantom/extreme-sizes", test_extreme_sizes);
  g_test_add_func ("/probe/phantom/deterministic", test_deterministic);
  g_test_add_func ("/probe/phantom/frames-independent",
                   test_frames_independent);
  g_test_add_func ("/probe/phantom/frames-differ", test_frames_differ);
  g_test_add_func ("/probe/phantom/strides", test_strides);
  g_test_add_func ("/probe/phantom/picture", test_picture);
  g_test_add_func ("/probe/phantom/stamped", test_stamped);
  g_test_add_func ("/probe/phantom/pixel-spacing", test_pixel_spacing);
  g_test_add_func ("/probe/phantom/golden", test_golden);
  return g_test_run ();
}
