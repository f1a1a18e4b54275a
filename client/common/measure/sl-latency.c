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
#include "sl-stage.h"
#include "sl-stamp.h"

#include <gst/audio/audio.h>
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
  gint64 arrival_us; /* monotonic time the picture was decoded */
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

/* The township may send a smaller picture than it captured when its link
 * is short (3/4, 1/2 or 3/8 of the size, docs/rate-control.md); the
 * stamps shrank with it.  Each size is tried; the CRC tells the right one. */
static gboolean
read_any_size (SlStampCorner corner, GstVideoFrame *frame, guint width,
               guint height, guint64 *value)
{
  static const gdouble up[] = { 4.0 / 3, 2.0, 8.0 / 3 };
  const guint8 *y = GST_VIDEO_FRAME_PLANE_DATA (frame, 0);
  gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0);

  if (sl_stamp_fits_at (corner, width, height)
      && sl_stamp_read_at (corner, y, stride, width, height, value))
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (up); i++)
    if (sl_stamp_read_scaled (corner, y, stride, width, height,
                              (guint)(width * up[i] + 0.5),
                              (guint)(height * up[i] + 0.5), value))
      return TRUE;
  return FALSE;
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
  if (!gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample),
                            GST_MAP_READ))
    return;
  stamped = read_any_size (SL_STAMP_TOP_RIGHT, &frame, width, height, &stamp);
  indexed = read_any_size (SL_STAMP_TOP_LEFT, &frame, width, height, &index);
  gst_video_frame_unmap (&frame);

  g_mutex_lock (&meter->lock);
  if (!stamped)
    {
      meter->unreadable++;
      meter->total_unreadable++;
    }
  else
    {
      Measure m = { indexed ? (gint64)index : -1, now - (gint64)stamp, now };

      if (meter->window->len < MAX_WINDOW_FRAMES)
        g_array_append_val (meter->window, m);
      meter->total_frames++;
    }
  g_mutex_unlock (&meter->lock);
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
        fprintf (meter->log,
                 "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                 "\n",
                 m->index, m->latency_us, m->arrival_us);
    }
  if (meter->log != NULL)
    fflush (meter->log);
  out->p50_ms = sl_percentile (ms, window->len, 50);
  out->p95_ms = sl_percentile (ms, window->len, 95);
  out->max_ms = sl_percentile (ms, window->len, 100);
}

/* ---- voice clicks ---- */

#define CLICK_RATE 48000
#define CLICK_SAMPLES 240 /* 5 ms */
#define CLICK_HZ 3000
#define CLICK_AMPLITUDE 26000 /* about -2 dBFS */
#define ONSET_LEVEL 16384     /* half full scale */
#define QUIET_US 500000       /* between two clicks at least */
#define MAX_CLICK_US 900000

void
sl_latency_click_audio (GstBuffer *buffer, gpointer user_data)
{
  GstMapInfo map;
  gint64 now = sl_media_now_us (), start, second;
  gint16 *s;
  gsize n;

  if (!gst_buffer_map (buffer, &map, GST_MAP_WRITE))
    return;
  s = (gint16 *)map.data;
  n = map.size / sizeof *s;
  /* The buffer holds the n samples before now; is a whole second among
   * them? */
  start = now - (gint64)n * G_USEC_PER_SEC / CLICK_RATE;
  second = (start / G_USEC_PER_SEC + 1) * G_USEC_PER_SEC;
  if (second <= now)
    {
      gsize at = (gsize)((second - start) * CLICK_RATE / G_USEC_PER_SEC);

      for (gsize i = 0; i < CLICK_SAMPLES && at + i < n; i++)
        s[at + i] = (gint16)(CLICK_AMPLITUDE
                             * sin (2 * G_PI * CLICK_HZ * i / CLICK_RATE));
    }
  gst_buffer_unmap (buffer, &map);
}

struct _SlClickMeter
{
  gint64 last_onset_us; /* streaming thread only */

  /* Guards found and total. */
  GMutex lock;
  GArray *found; /* element-type gdouble, latencies in ms */
  guint64 total;
};

SlClickMeter *
sl_click_meter_new (void)
{
  SlClickMeter *meter = g_new0 (SlClickMeter, 1);

  g_mutex_init (&meter->lock);
  meter->found = g_array_new (FALSE, FALSE, sizeof (gdouble));
  return meter;
}

void
sl_click_meter_free (SlClickMeter *meter)
{
  if (meter == NULL)
    return;
  g_array_unref (meter->found);
  g_mutex_clear (&meter->lock);
  g_free (meter);
}

void
sl_click_meter_check (SlClickMeter *meter, GstBuffer *buffer, GstCaps *caps)
{
  gint64 now = sl_media_now_us ();
  GstAudioInfo info;
  GstMapInfo map;
  gsize frames, at;
  const gint16 *s;
  guint channels;

  if (!gst_audio_info_from_caps (&info, caps)
      || GST_AUDIO_INFO_FORMAT (&info) != GST_AUDIO_FORMAT_S16LE
      || GST_AUDIO_INFO_RATE (&info) <= 0
      || !gst_buffer_map (buffer, &map, GST_MAP_READ))
    return;
  channels = MAX (1, GST_AUDIO_INFO_CHANNELS (&info));
  s = (const gint16 *)map.data;
  frames = map.size / sizeof *s / channels;
  for (at = 0; at < frames; at++)
    if (ABS ((gint)s[at * channels]) > ONSET_LEVEL)
      break;
  gst_buffer_unmap (buffer, &map);
  if (at == frames)
    return;
  /* Played at once, sample @at would sound this long after now. */
  now += (gint64)at * G_USEC_PER_SEC / GST_AUDIO_INFO_RATE (&info);
  if (now - meter->last_onset_us < QUIET_US)
    return;
  meter->last_onset_us = now;
  if (now % G_USEC_PER_SEC < MAX_CLICK_US)
    {
      gdouble ms = (now % G_USEC_PER_SEC) / 1000.0;

      g_mutex_lock (&meter->lock);
      g_array_append_val (meter->found, ms);
      meter->total++;
      g_mutex_unlock (&meter->lock);
    }
}

guint
sl_click_meter_take (SlClickMeter *meter, gdouble *median_ms, guint64 *total)
{
  g_autoptr (GArray) found = NULL;

  g_mutex_lock (&meter->lock);
  found = meter->found;
  meter->found = g_array_new (FALSE, FALSE, sizeof (gdouble));
  *total = meter->total;
  g_mutex_unlock (&meter->lock);
  *median_ms = sl_percentile ((gdouble *)found->data, found->len, 50);
  return found->len;
}
