/* sl-verify.h — checking received pictures against the synthetic phantom.
 *
 * The phantom stamps each frame with its index, and frame N of a given seed
 * and size is always the same picture.  A viewer receiving the phantom can
 * therefore read the index from every decoded picture, regenerate the exact
 * source frame and measure how faithfully it arrived (luma PSNR and SSIM). This
 * is `sonolink-expert --verify-phantom`: a self-test an engineer can run on a
 * real link, and what the integration tests assert on.
 *
 * sl_verifier_check runs on a streaming thread and only copies the luma;
 * the comparison runs on the verifier's own low-priority thread, so the
 * check does not slow the pictures it checks.  The rest anywhere.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _SlVerifier SlVerifier;

typedef struct
{
  guint64 checked;      /* pictures whose stamp was read */
  guint64 stamp_errors; /* pictures with no readable stamp */
  guint64 skipped;      /* stamped pictures not compared (worker behind) */
  gint64 first_index;   /* first and last phantom frame index seen, -1 */
  gint64 last_index;
  gdouble psnr_min; /* dB over checked pictures (0 if none) */
  gdouble psnr_mean;
  gdouble psnr_last;
  gdouble ssim_min; /* luma SSIM over checked pictures (0 if none) */
  gdouble ssim_mean;
} SlVerifyStats;

SlVerifier *sl_verifier_new (guint32 seed);
void sl_verifier_free (SlVerifier *verifier);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlVerifier, sl_verifier_free)

/* Checks one decoded I420 picture.  Streaming thread. */
void sl_verifier_check (SlVerifier *verifier, GstSample *sample);

void sl_verifier_get_stats (SlVerifier *verifier, SlVerifyStats *stats);

G_END_DECLS
