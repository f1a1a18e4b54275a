/* sl-fidelity.h — image fidelity measures on 8-bit luma planes.
 *
 * PSNR and SSIM (Wang et al., IEEE TIP 2004, 8×8 windows with stride 4,
 * the usual constants K1 = 0.01, K2 = 0.03) of a decoded picture against
 * its source.  Pure functions; any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Luma PSNR in dB; identical pictures give SL_FIDELITY_PSNR_IDENTICAL. */
#define SL_FIDELITY_PSNR_IDENTICAL 100.0

gdouble sl_fidelity_psnr (const guint8 *a, gint a_stride, const guint8 *b,
                          gint b_stride, guint width, guint height);

/* Mean SSIM in [-1, 1]; 1 for identical pictures. */
gdouble sl_fidelity_ssim (const guint8 *a, gint a_stride, const guint8 *b,
                          gint b_stride, guint width, guint height);

G_END_DECLS
