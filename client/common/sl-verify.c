/* sl-verify.c — see sl-verify.h. */
#include "sl-verify.h"
#include "sl-fidelity.h"
#include "sl-phantom.h"
#include "sl-stamp.h"

#include <gst/video/video.h>

struct _SlVerifier
{
  guint32 seed;
  SlPhantom *phantom; /* streaming thread only; rebuilt on a size change */
  guint8 *reference;  /* I420 scratch picture of the phantom's size */

  /* Guards stats. */
  GMutex lock;
  SlVerifyStats stats;
  gdouble psnr_sum;
  gdouble ssim_sum;
};

SlVerifier *
sl_verifier_new (guint32 seed)
{
  SlVerifier *verifier = g_new0 (SlVerifier, 1);

  verifier->seed = seed;
  g_mutex_init (&verifier->lock);
  verifier->stats.first_index = -1;
  verifier->stats.last_index = -1;
  return verifier;
}

void
sl_verifier_free (SlVerifier *verifier)
{
  if (verifier == NULL)
    return;
  g_clear_pointer (&verifier->phantom, sl_phantom_free);
  g_free (verifier->reference);
  g_mutex_clear (&verifier->lock);
  g_free (verifier);
}

static gboolean
ensure_phantom (SlVerifier *verifier, guint width, guint height)
{
  if (verifier->phantom != NULL
      && sl_phantom_get_width (verifier->phantom) == width
      && sl_phantom_get_height (verifier->phantom) == height)
    return TRUE;
  g_clear_pointer (&verifier->phantom, sl_phantom_free);
  g_clear_pointer (&verifier->reference, g_free);
  verifier->phantom = sl_phantom_new (width, height, verifier->seed);
  if (verifier->phantom == NULL)
    return FALSE;
  verifier->reference = g_malloc ((gsize)width * height * 3 / 2);
  return TRUE;
}

static void
record (SlVerifier *verifier, gboolean stamped, guint64 index, gdouble psnr,
        gdouble ssim)
{
  SlVerifyStats *s = &verifier->stats;

  g_mutex_lock (&verifier->lock);
  if (!stamped)
    s->stamp_errors++;
  else
    {
      s->checked++;
      if (s->first_index < 0)
        s->first_index = (gint64)index;
      if ((gint64)index > s->last_index)
        s->last_index = (gint64)index;
      if (s->checked == 1 || psnr < s->psnr_min)
        s->psnr_min = psnr;
      verifier->psnr_sum += psnr;
      s->psnr_mean = verifier->psnr_sum / s->checked;
      s->psnr_last = psnr;
      if (s->checked == 1 || ssim < s->ssim_min)
        s->ssim_min = ssim;
      verifier->ssim_sum += ssim;
      s->ssim_mean = verifier->ssim_sum / s->checked;
    }
  g_mutex_unlock (&verifier->lock);
}

void
sl_verifier_check (SlVerifier *verifier, GstSample *sample)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  guint width, height;
  guint8 *ref_y, *ref_u, *ref_v;
  guint64 index, stamp;
  gboolean stamped;
  gdouble psnr = 0, ssim = 0;

  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample))
      || GST_VIDEO_INFO_FORMAT (&info) != GST_VIDEO_FORMAT_I420
      || !gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample),
                               GST_MAP_READ))
    return;
  width = GST_VIDEO_INFO_WIDTH (&info);
  height = GST_VIDEO_INFO_HEIGHT (&info);

  stamped = sl_stamp_read (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
                           GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), width,
                           height, &index);
  if (stamped && ensure_phantom (verifier, width, height))
    {
      ref_y = verifier->reference;
      ref_u = ref_y + (gsize)width * height;
      ref_v = ref_u + (gsize)width * height / 4;
      sl_phantom_render (verifier->phantom, index, ref_y, width, ref_u,
                         width / 2, ref_v, width / 2);
      /* A township with --latency-stamp added its clock at the top right;
       * the same stamp in the reference gives the same pixels there, so
       * only the coding of the picture is measured. */
      if (sl_stamp_read_at (
              SL_STAMP_TOP_RIGHT, GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
              GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), width, height, &stamp))
        sl_stamp_write_at (SL_STAMP_TOP_RIGHT, ref_y, width, width, height,
                           stamp);
      psnr = sl_fidelity_psnr (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
                               GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), ref_y,
                               width, width, height);
      ssim = sl_fidelity_ssim (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
                               GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), ref_y,
                               width, width, height);
    }
  gst_video_frame_unmap (&frame);
  record (verifier, stamped, stamped ? index : 0, psnr, ssim);
}

void
sl_verifier_get_stats (SlVerifier *verifier, SlVerifyStats *stats)
{
  g_mutex_lock (&verifier->lock);
  *stats = verifier->stats;
  g_mutex_unlock (&verifier->lock);
}
