/* sl-verify.c — see sl-verify.h.
 *
 * The comparison costs several milliseconds a picture at 1080p (rendering
 * the phantom frame, PSNR, SSIM): on the decoder's thread it would delay
 * the very pictures whose latency the station measures, and on a two-core
 * machine it competes with the decoder.  So the streaming thread only reads
 * the stamps and copies the luma plane; a worker thread at low priority
 * (nice 10) does the rest.  The worker keeps up easily at 30 fps; should it
 * fall more than MAX_BACKLOG pictures behind, further pictures are counted
 * as skipped rather than queued without bound.  The decoded buffers
 * themselves are never held (they belong to the decoder's pool).
 */
#include "sl-verify.h"
#include "sl-fidelity.h"
#include "sl-phantom.h"
#include "sl-stamp.h"

#include <gst/video/video.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_BACKLOG 60
#define WORKER_NICE 10

/* One picture to compare: its luma, copied, and what its stamps said. */
typedef struct
{
  guint width, height;
  guint64 index;
  gboolean has_latency_stamp;
  guint64 latency_stamp;
  guint8 *y; /* width × height, stride width */
} Job;

struct _SlVerifier
{
  guint32 seed;
  GThread *worker;
  GAsyncQueue *jobs; /* element-type Job; a job with y == NULL stops */

  /* Worker thread only. */
  SlPhantom *phantom; /* rebuilt on a size change */
  guint8 *reference;  /* I420 scratch picture of the phantom's size */

  /* Guards stats and the sums. */
  GMutex lock;
  SlVerifyStats stats;
  gdouble psnr_sum;
  gdouble ssim_sum;
};

static void
job_free (Job *job)
{
  g_free (job->y);
  g_free (job);
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
record (SlVerifier *verifier, const Job *job, gdouble psnr, gdouble ssim)
{
  SlVerifyStats *s = &verifier->stats;

  g_mutex_lock (&verifier->lock);
  s->checked++;
  if (s->first_index < 0)
    s->first_index = (gint64)job->index;
  if ((gint64)job->index > s->last_index)
    s->last_index = (gint64)job->index;
  if (s->checked == 1 || psnr < s->psnr_min)
    s->psnr_min = psnr;
  verifier->psnr_sum += psnr;
  s->psnr_mean = verifier->psnr_sum / s->checked;
  s->psnr_last = psnr;
  if (s->checked == 1 || ssim < s->ssim_min)
    s->ssim_min = ssim;
  verifier->ssim_sum += ssim;
  s->ssim_mean = verifier->ssim_sum / s->checked;
  g_mutex_unlock (&verifier->lock);
}

static void
compare (SlVerifier *verifier, const Job *job)
{
  guint w = job->width, h = job->height;
  guint8 *ref_y, *ref_u, *ref_v;

  if (!ensure_phantom (verifier, w, h))
    {
      g_mutex_lock (&verifier->lock);
      verifier->stats.skipped++;
      g_mutex_unlock (&verifier->lock);
      return;
    }
  ref_y = verifier->reference;
  ref_u = ref_y + (gsize)w * h;
  ref_v = ref_u + (gsize)w * h / 4;
  sl_phantom_render (verifier->phantom, job->index, ref_y, w, ref_u, w / 2,
                     ref_v, w / 2);
  /* A township with --latency-stamp added its clock at the top right; the
   * same stamp in the reference gives the same pixels there, so only the
   * coding of the picture is measured. */
  if (job->has_latency_stamp)
    sl_stamp_write_at (SL_STAMP_TOP_RIGHT, ref_y, w, w, h, job->latency_stamp);
  record (verifier, job, sl_fidelity_psnr (job->y, w, ref_y, w, w, h),
          sl_fidelity_ssim (job->y, w, ref_y, w, w, h));
}

static gpointer
worker_main (gpointer data)
{
  SlVerifier *verifier = data;
  Job *job;

  /* Linux nice values are per thread. */
  setpriority (PRIO_PROCESS, (id_t)syscall (SYS_gettid), WORKER_NICE);
  while ((job = g_async_queue_pop (verifier->jobs))->y != NULL)
    {
      compare (verifier, job);
      job_free (job);
    }
  job_free (job);
  return NULL;
}

SlVerifier *
sl_verifier_new (guint32 seed)
{
  SlVerifier *verifier = g_new0 (SlVerifier, 1);

  verifier->seed = seed;
  g_mutex_init (&verifier->lock);
  verifier->stats.first_index = -1;
  verifier->stats.last_index = -1;
  verifier->jobs = g_async_queue_new_full ((GDestroyNotify)job_free);
  verifier->worker = g_thread_new ("sl-verify", worker_main, verifier);
  return verifier;
}

void
sl_verifier_free (SlVerifier *verifier)
{
  if (verifier == NULL)
    return;
  /* The stop job goes first in line: pictures still queued are dropped. */
  g_async_queue_push_front (verifier->jobs, g_new0 (Job, 1));
  g_thread_join (verifier->worker);
  g_async_queue_unref (verifier->jobs);
  g_clear_pointer (&verifier->phantom, sl_phantom_free);
  g_free (verifier->reference);
  g_mutex_clear (&verifier->lock);
  g_free (verifier);
}

/* Counts a picture that will not be compared. */
static void
count (SlVerifier *verifier, gboolean stamp_error)
{
  g_mutex_lock (&verifier->lock);
  if (stamp_error)
    verifier->stats.stamp_errors++;
  else
    verifier->stats.skipped++;
  g_mutex_unlock (&verifier->lock);
}

void
sl_verifier_check (SlVerifier *verifier, GstSample *sample)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  const guint8 *y;
  gint stride;
  Job *job;

  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample))
      || GST_VIDEO_INFO_FORMAT (&info) != GST_VIDEO_FORMAT_I420
      || !gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample),
                               GST_MAP_READ))
    return;
  job = g_new0 (Job, 1);
  job->width = GST_VIDEO_INFO_WIDTH (&info);
  job->height = GST_VIDEO_INFO_HEIGHT (&info);
  y = GST_VIDEO_FRAME_PLANE_DATA (&frame, 0);
  stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
  if (!sl_stamp_read (y, stride, job->width, job->height, &job->index))
    {
      gst_video_frame_unmap (&frame);
      job_free (job);
      count (verifier, TRUE);
      return;
    }
  if (g_async_queue_length (verifier->jobs) >= MAX_BACKLOG)
    {
      gst_video_frame_unmap (&frame);
      job_free (job);
      count (verifier, FALSE);
      return;
    }
  job->has_latency_stamp
      = sl_stamp_read_at (SL_STAMP_TOP_RIGHT, y, stride, job->width,
                          job->height, &job->latency_stamp);
  job->y = g_malloc ((gsize)job->width * job->height);
  for (guint row = 0; row < job->height; row++)
    memcpy (job->y + (gsize)row * job->width, y + (gsize)row * stride,
            job->width);
  gst_video_frame_unmap (&frame);
  g_async_queue_push (verifier->jobs, job);
}

void
sl_verifier_get_stats (SlVerifier *verifier, SlVerifyStats *stats)
{
  g_mutex_lock (&verifier->lock);
  *stats = verifier->stats;
  g_mutex_unlock (&verifier->lock);
}
