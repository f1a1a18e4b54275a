/* test-fidelity.c — PSNR and SSIM (media/measure/sl-fidelity.c) on known inputs. */
#include "sl-fidelity.h"
#include "sl-phantom.h"

#include <math.h>
#include <string.h>

#define W 640
#define H 360

static guint8 *
phantom_luma (guint64 index)
{
  g_autoptr (SlPhantom) phantom = sl_phantom_new (W, H, 1);
  guint8 *y = g_malloc (W * H * 3 / 2);

  sl_phantom_render (phantom, index, y, W, y + W * H, W / 2, y + W * H * 5 / 4,
                     W / 2);
  return y;
}

static void
test_identical (void)
{
  g_autofree guint8 *a = phantom_luma (3);
  g_autofree guint8 *b = g_memdup2 (a, W * H);

  g_assert_cmpfloat (sl_fidelity_psnr (a, W, b, W, W, H), ==,
                     SL_FIDELITY_PSNR_IDENTICAL);
  g_assert_cmpfloat (sl_fidelity_ssim (a, W, b, W, W, H), ==, 1.0);
  g_assert_cmpfloat (sl_fidelity_psnr (a, W, b, W, 0, 0), ==,
                     SL_FIDELITY_PSNR_IDENTICAL);
}

/* Errors cycling evenly through -5..5 have a mean square of exactly
 * (2 × (1 + 4 + 9 + 16 + 25)) / 11 = 10, so PSNR = 10 log10(255^2 / 10). */
static void
test_known_noise (void)
{
  g_autofree guint8 *a = g_malloc (W * H);
  g_autofree guint8 *b = g_malloc (W * H);
  gdouble expected = 10 * log10 (255.0 * 255.0 / 10.0);
  guint i;

  for (i = 0; i < W * H; i++)
    {
      a[i] = (guint8)(40 + (i * 7919) % 170);
      b[i] = (guint8)(a[i] + (gint)(i % 11) - 5);
    }
  /* W × H is not a multiple of 11: the few leftover errors move the mean
   * square by under 1e-4, far inside the 0.1 dB allowed. */
  g_assert_cmpfloat (fabs (sl_fidelity_psnr (a, W, b, W, W, H) - expected), <,
                     0.1);
  /* A uniform error of 3 everywhere: MSE 9 exactly. */
  for (i = 0; i < W * H; i++)
    b[i] = (guint8)(a[i] + 3);
  g_assert_cmpfloat (fabs (sl_fidelity_psnr (a, W, b, W, W, H)
                           - 10 * log10 (255.0 * 255.0 / 9.0)),
                     <, 1e-9);
}

static void
box_blur (const guint8 *in, guint8 *out, guint radius)
{
  gint x, y, dx, dy, r = (gint)radius;

  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++)
      {
        guint sum = 0, n = 0;

        for (dy = -r; dy <= r; dy++)
          for (dx = -r; dx <= r; dx++)
            if (y + dy >= 0 && y + dy < H && x + dx >= 0 && x + dx < W)
              {
                sum += in[(y + dy) * W + x + dx];
                n++;
              }
        out[y * W + x] = (guint8)(sum / n);
      }
}

static void
test_ssim_blur (void)
{
  g_autofree guint8 *a = phantom_luma (0);
  g_autofree guint8 *b1 = g_malloc (W * H);
  g_autofree guint8 *b2 = g_malloc (W * H);
  g_autofree guint8 *b3 = g_malloc (W * H);
  gdouble s1, s2, s3;

  box_blur (a, b1, 1);
  box_blur (a, b2, 2);
  box_blur (a, b3, 4);
  s1 = sl_fidelity_ssim (a, W, b1, W, W, H);
  s2 = sl_fidelity_ssim (a, W, b2, W, W, H);
  s3 = sl_fidelity_ssim (a, W, b3, W, W, H);
  g_assert_cmpfloat (s1, <, 1.0);
  g_assert_cmpfloat (s2, <, s1);
  g_assert_cmpfloat (s3, <, s2);
  g_assert_cmpfloat (s3, >, 0.0);
  /* Symmetric, and PSNR agrees on the order. */
  g_assert_cmpfloat (fabs (s2 - sl_fidelity_ssim (b2, W, a, W, W, H)), <,
                     1e-12);
  g_assert_cmpfloat (sl_fidelity_psnr (a, W, b2, W, W, H), <,
                     sl_fidelity_psnr (a, W, b1, W, W, H));
}

/* Padding beyond the width never counts. */
static void
test_strides (void)
{
  const guint pad = 40;
  g_autofree guint8 *a = phantom_luma (1);
  g_autofree guint8 *b = phantom_luma (2);
  g_autofree guint8 *pa = g_malloc ((W + pad) * H);
  g_autofree guint8 *pb = g_malloc ((W + pad) * H);
  guint y;

  memset (pa, 0, (W + pad) * H);
  memset (pb, 255, (W + pad) * H);
  for (y = 0; y < H; y++)
    {
      memcpy (pa + y * (W + pad), a + y * W, W);
      memcpy (pb + y * (W + pad), b + y * W, W);
    }
  g_assert_cmpfloat (sl_fidelity_psnr (pa, W + pad, pb, W + pad, W, H), ==,
                     sl_fidelity_psnr (a, W, b, W, W, H));
  g_assert_cmpfloat (sl_fidelity_ssim (pa, W + pad, pb, W + pad, W, H), ==,
                     sl_fidelity_ssim (a, W, b, W, W, H));
}

static void
test_tiny (void)
{
  guint8 a[6 * 5], b[6 * 5];
  guint i;

  for (i = 0; i < sizeof a; i++)
    a[i] = b[i] = (guint8)(i * 8);
  g_assert_cmpfloat (fabs (sl_fidelity_ssim (a, 6, b, 6, 6, 5) - 1.0), <,
                     1e-12);
  b[3] ^= 0x40;
  g_assert_cmpfloat (sl_fidelity_ssim (a, 6, b, 6, 6, 5), <, 1.0);
  g_assert_cmpfloat (sl_fidelity_psnr (a, 6, b, 6, 6, 5), <, 40.0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/media/fidelity/identical", test_identical);
  g_test_add_func ("/media/fidelity/known-noise", test_known_noise);
  g_test_add_func ("/media/fidelity/ssim-blur", test_ssim_blur);
  g_test_add_func ("/media/fidelity/strides", test_strides);
  g_test_add_func ("/media/fidelity/tiny", test_tiny);
  return g_test_run ();
}
