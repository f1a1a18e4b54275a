/* sl-latency.c — see sl-latency.h.
 *
 * The meter keeps the frames of the current window (one status interval,
 * a second) in an array under its lock; the streaming thread only appends,
 * and the control thread swaps the array out once a second, sorts it for
 * the percentiles and writes the per-frame log.  Nothing is written to a
 * file from the streaming thread.
 */
#include "sl-latency.h"
#include "sl-media.h"
#include "sl-stamp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A window never holds more than this many frames (a minute at 120 fps if
 * nobody takes it); later ones are counted but not kept. */
#define MAX_WINDOW_FRAMES 7200

typedef struct
{
  gint64 index; /* phantom frame index, -1 if none */
  gint64 latency_us;
} Measure;

struct _SlLatencyMeter
{
  FILE *log;

  /* Guards window, unreadable and the totals. */
  GMutex lock;
  GArray *window; /* element-type Measure */
  guint unreadable;
  guint64 total_frames;
  guint64 total_unreadable;
};

void
sl_latency_stamp_frame (GstBuffer *buffer, const GstVideoInfo *info,
                        gpointer user_data)
{
  GstVideoFrame frame;
  guint width = GST_VIDEO_INFO_WIDTH (info),
        height = GST_VIDEO_INFO_HEIGHT (info);

  if (GST_VIDEO_INFO_FORMAT (info) != GST_VIDEO_FORMAT_I420
      || !sl_stamp_fits_at (SL_STAMP_TOP_RIGHT, width, height)
      || !gst_video_frame_map (&frame, info, buffer, GST_MAP_WRITE))
    return;
  /* Read the clock last: the stamp marks the hand-off, not the mapping. */
  sl_stamp_write_at (SL_STAMP_TOP_RIGHT, GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
                     GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), width, height,
                     (guint64)sl_media_now_us ());
  gst_video_frame_unmap (&frame);
}

SlLatencyMeter *
sl_latency_meter_new (FILE *log)
{
  SlLatencyMeter *meter = g_new0 (SlLatencyMeter, 1);

  meter->log = log;
  g_mutex_init (&meter->lock);
  meter->window = g_array_new (FALSE, FALSE, sizeof (Measure));
  return meter;
}

void
sl_latency_meter_free (SlLatencyMeter *meter)
{
  if (meter == NULL)
    return;
  g_array_unref (meter->window);
  g_mutex_clear (&meter->lock);
  g_free (meter);
}

void
sl_latency_meter_check (SlLatencyMeter *meter, GstSample *sample)
{
  gint64 now = sl_media_now_us ();
  GstVideoInfo info;
  GstVideoFrame frame;
  guint64 stamp = 0, index = 0;
  gboolean stamped, indexed;
  guint width, height;

  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample))
      || GST_VIDEO_INFO_FORMAT (&info) != GST_VIDEO_FORMAT_I420)
    return;
  width = GST_VIDEO_INFO_WIDTH (&info);
  height = GST_VIDEO_INFO_HEIGHT (&info);
  if (!sl_stamp_fits_at (SL_STAMP_TOP_RIGHT, width, height)
      || !gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample),
                               GST_MAP_READ))
    return;
  stamped = sl_stamp_read_at (
      SL_STAMP_TOP_RIGHT, GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
      GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), width, height, &stamp);
  indexed = sl_stamp_read_at (
      SL_STAMP_TOP_LEFT, GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
      GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), width, height, &index);
  gst_video_frame_unmap (&frame);

  g_mutex_lock (&meter->lock);
  if (!stamped)
    {
      meter->unreadable++;
      meter->total_unreadable++;
    }
  else
    {
      Measure m = { indexed ? (gint64)index : -1, now - (gint64)stamp };

      if (meter->window->len < MAX_WINDOW_FRAMES)
        g_array_append_val (meter->window, m);
      meter->total_frames++;
    }
  g_mutex_unlock (&meter->lock);
}

static int
compare_doubles (const void *a, const void *b)
{
  gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;

  return (x > y) - (x < y);
}

gdouble
sl_latency_percentile (gdouble *values, guint n, gdouble p)
{
  guint rank;

  if (n == 0)
    return 0;
  qsort (values, n, sizeof *values, compare_doubles);
  /* Nearest rank: the smallest value with at least p % of the values at
   * or below it. */
  rank = (guint)ceil (CLAMP (p, 0, 100) / 100.0 * n);
  return values[rank > 0 ? rank - 1 : 0];
}

void
sl_latency_meter_take (SlLatencyMeter *meter, SlLatencyWindow *out)
{
  g_autoptr (GArray) window = NULL;
  g_autofree gdouble *ms = NULL;

  memset (out, 0, sizeof *out);
  g_mutex_lock (&meter->lock);
  window = meter->window;
  meter->window = g_array_new (FALSE, FALSE, sizeof (Measure));
  out->unreadable = meter->unreadable;
  meter->unreadable = 0;
  out->total_frames = meter->total_frames;
  out->total_unreadable = meter->total_unreadable;
  g_mutex_unlock (&meter->lock);

  out->frames = window->len;
  ms = g_new (gdouble, MAX (window->len, 1));
  for (guint i = 0; i < window->len; i++)
    {
      const Measure *m = &g_array_index (window, Measure, i);

      ms[i] = m->latency_us / 1000.0;
      if (meter->log != NULL)
        fprintf (meter->log, "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n",
                 m->index, m->latency_us);
    }
  if (meter->log != NULL)
    fflush (meter->log);
  out->p50_ms = sl_latency_percentile (ms, window->len, 50);
  out->p95_ms = sl_latency_percentile (ms, window->len, 95);
  out->max_ms = sl_latency_percentile (ms, window->len, 100);
}
