/* sl-capture.c — the station's capture pipeline and its fan-out.
 *
 * probe bin ! queue ! appsink(video)      audio src ! convert ! appsink(audio)
 *
 * Each appsink keeps at most two samples and drops the oldest: a capture
 * that outruns a stalled consumer must show the newest picture, not build a
 * backlog.  Samples go to the targets' appsrcs with gst_app_src_push_sample,
 * which shares the buffer and carries the caps.
 */
#include "sl-capture.h"
#include "sl-media.h"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (sl_capture_debug);
#define GST_CAT_DEFAULT sl_capture_debug

struct _SlCapture
{
  GstElement *pipeline;
  guint bus_watch;

  SlCaptureTap tap;
  SlCaptureAudioTap audio_tap;
  gpointer audio_tap_data;
  gpointer tap_data;
  SlCaptureMessageFunc message_func;
  gpointer message_data;

  /* Guards targets[] and error: the streaming threads read targets while
   * the control thread adds and removes them. */
  GMutex lock;
  GPtrArray *targets[2]; /* element-type GstAppSrc, owned refs */
  GError *error;

  /* Guards kept[], n_kept and max_kept (which the video thread also
   * reads atomically, to skip the lock while nothing is kept): the video
   * thread adds, any thread reads (sl_capture_get_frame).  Held for a
   * few pointer moves only. */
  GMutex kept_lock;
  GstSample *kept[16]; /* the newest last; owned */
  guint n_kept, max_kept;

  GstVideoInfo video_info;
  gboolean video_info_valid;
  guint64 frames; /* atomic (__atomic builtins) */
};

/* The sample as @target's pipeline must see it.  Capture and sessions run
 * on one clock (the monotonic system clock, see sl_media_use_system_clock) but
 * each pipeline has its own base time, and a session starts later than the
 * capture: a capture timestamp taken as it is would lie in the session's
 * future, and a live appsrc downstream would hold every buffer until its
 * clock caught up.  So the timestamp is moved to the target's timeline,
 * keeping the capture's regular spacing.  Should the timestamp fall before
 * the target's start, the buffer goes untimed and the appsrc stamps it on
 * arrival.  The new buffer shares the memory. */
static GstSample *
retimed_sample (GstBuffer *in, GstCaps *caps, GstClockTime capture_base,
                GstElement *target)
{
  g_autoptr (GstBuffer) buffer = gst_buffer_copy (in);
  GstClockTime target_base = gst_element_get_base_time (target);
  GstClockTime pts = GST_BUFFER_PTS (in);
  GstClockTime when = GST_CLOCK_TIME_NONE;

  if (GST_CLOCK_TIME_IS_VALID (pts) && GST_CLOCK_TIME_IS_VALID (capture_base)
      && pts + capture_base >= target_base)
    when = pts + capture_base - target_base;
  GST_BUFFER_PTS (buffer) = when;
  GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  return gst_sample_new (buffer, caps, NULL, NULL);
}

static void
push_to_targets (SlCapture *capture, SlCaptureKind kind, GstBuffer *buffer,
                 GstCaps *caps)
{
  g_autoptr (GPtrArray) targets = NULL;
  GstClockTime capture_base = gst_element_get_base_time (capture->pipeline);

  /* Copy the list so no lock is held while pushing. */
  g_mutex_lock (&capture->lock);
  targets = g_ptr_array_copy (capture->targets[kind],
                              (GCopyFunc)(void (*) (void))gst_object_ref, NULL);
  g_ptr_array_set_free_func (targets, gst_object_unref);
  g_mutex_unlock (&capture->lock);

  for (guint i = 0; i < targets->len; i++)
    {
      g_autoptr (GstSample) sample = NULL;
      GstFlowReturn ret;

      /* A target whose pipeline is not running yet would keep what it is
       * given and send it, stale, once it starts (an unlocked read: at
       * worst one sample more or less is skipped). */
      if (GST_STATE (targets->pdata[i]) != GST_STATE_PLAYING)
        continue;
      sample = retimed_sample (buffer, caps, capture_base, targets->pdata[i]);
      ret = gst_app_src_push_sample (GST_APP_SRC (targets->pdata[i]), sample);
      if (ret != GST_FLOW_OK)
        GST_LOG ("target %u refused a sample: %s", i, gst_flow_get_name (ret));
    }
}

/* Streaming thread: keeps @sample (a reference, before any tap writes into
 * a copy of it) and lets the oldest go. */
static void
keep_frame (SlCapture *capture, GstSample *sample)
{
  GstSample *old = NULL;

  g_mutex_lock (&capture->kept_lock);
  if (capture->n_kept >= capture->max_kept)
    {
      old = capture->kept[0];
      memmove (capture->kept, capture->kept + 1,
               (capture->n_kept - 1) * sizeof capture->kept[0]);
      capture->n_kept--;
    }
  capture->kept[capture->n_kept++] = gst_sample_ref (sample);
  g_mutex_unlock (&capture->kept_lock);
  /* The last reference to a frame may free it: not under the lock. */
  if (old != NULL)
    gst_sample_unref (old);
}

static GstFlowReturn
on_video_sample (GstAppSink *sink, gpointer user_data)
{
  SlCapture *capture = user_data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);
  g_autoptr (GstBuffer) buffer = NULL;

  if (sample == NULL)
    return GST_FLOW_EOS;

  if (!capture->video_info_valid)
    capture->video_info_valid = gst_video_info_from_caps (
        &capture->video_info, gst_sample_get_caps (sample));

  if (g_atomic_int_get (&capture->max_kept) > 0)
    keep_frame (capture, sample);
  buffer = gst_buffer_ref (gst_sample_get_buffer (sample));
  if (capture->tap != NULL && capture->video_info_valid)
    {
      /* The tap may write into the frame, so make the buffer ours alone. */
      gst_buffer_unref (buffer);
      buffer = gst_buffer_copy_deep (gst_sample_get_buffer (sample));
      capture->tap (buffer, &capture->video_info, capture->tap_data);
    }

  __atomic_fetch_add (&capture->frames, 1, __ATOMIC_RELAXED);
  push_to_targets (capture, SL_CAPTURE_VIDEO, buffer,
                   gst_sample_get_caps (sample));
  return GST_FLOW_OK;
}

static GstFlowReturn
on_audio_sample (GstAppSink *sink, gpointer user_data)
{
  SlCapture *capture = user_data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);

  g_autoptr (GstBuffer) buffer = NULL;

  if (sample == NULL)
    return GST_FLOW_EOS;
  buffer = gst_buffer_ref (gst_sample_get_buffer (sample));
  if (capture->audio_tap != NULL)
    {
      gst_buffer_unref (buffer);
      buffer = gst_buffer_copy_deep (gst_sample_get_buffer (sample));
      capture->audio_tap (buffer, capture->audio_tap_data);
    }
  push_to_targets (capture, SL_CAPTURE_AUDIO, buffer,
                   gst_sample_get_caps (sample));
  return GST_FLOW_OK;
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  SlCapture *capture = user_data;

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    {
      g_autoptr (GError) error = NULL;
      g_autofree gchar *debug = NULL;

      gst_message_parse_error (message, &error, &debug);
      GST_WARNING ("capture error from %s: %s (%s)",
                   GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), error->message,
                   debug ? debug : "");
      g_mutex_lock (&capture->lock);
      if (capture->error == NULL)
        capture->error = g_error_new (SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                                      "capture failed: %s", error->message);
      g_mutex_unlock (&capture->lock);
    }
  else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT
           && capture->message_func != NULL)
    capture->message_func (message, capture->message_data);
  return G_SOURCE_CONTINUE;
}

static GstElement *
make_appsink (const gchar *name, GstAppSinkCallbacks *callbacks,
              SlCapture *capture, GError **error)
{
  GstElement *sink = sl_media_make_element ("appsink", name, error);

  if (sink == NULL)
    return NULL;
  /* sync=FALSE: the source is live and already paced; waiting on the clock
   * again would only add latency. */
  g_object_set (sink, "sync", FALSE, "max-buffers", 2, "drop", TRUE,
                "enable-last-sample", FALSE, NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), callbacks, capture, NULL);
  return sink;
}

static gboolean
add_video_branch (SlCapture *capture, GstElement *source, GError **error)
{
  static GstAppSinkCallbacks callbacks = { .new_sample = on_video_sample };
  GstElement *queue, *sink;

  queue = sl_media_make_element ("queue", "capture-video-queue", error);
  sink = make_appsink ("capture-video-sink", &callbacks, capture, error);
  if (queue == NULL || sink == NULL)
    {
      g_clear_pointer (&queue, gst_object_unref);
      g_clear_pointer (&sink, gst_object_unref);
      gst_object_unref (gst_object_ref_sink (source));
      return FALSE;
    }
  g_object_set (queue, "max-size-buffers", 2, "max-size-bytes", 0,
                "max-size-time", (guint64)0, "leaky", 2 /* downstream */, NULL);
  gst_bin_add_many (GST_BIN (capture->pipeline), source, queue, sink, NULL);
  if (!gst_element_link_many (source, queue, sink, NULL))
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "the probe source does not produce raw video");
      return FALSE;
    }
  return TRUE;
}

static gboolean
add_audio_branch (SlCapture *capture, GstElement *source, GError **error)
{
  static GstAppSinkCallbacks callbacks = { .new_sample = on_audio_sample };
  g_autoptr (GstCaps) caps = gst_caps_from_string (
      "audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved");
  GstElement *convert, *resample, *filter, *sink;

  convert = sl_media_make_element ("audioconvert", NULL, error);
  resample
      = convert ? sl_media_make_element ("audioresample", NULL, error) : NULL;
  filter = resample ? sl_media_make_element ("capsfilter", NULL, error) : NULL;
  sink = filter
             ? make_appsink ("capture-audio-sink", &callbacks, capture, error)
             : NULL;
  if (sink == NULL)
    {
      g_clear_pointer (&convert, gst_object_unref);
      g_clear_pointer (&resample, gst_object_unref);
      g_clear_pointer (&filter, gst_object_unref);
      gst_object_unref (gst_object_ref_sink (source));
      return FALSE;
    }
  g_object_set (filter, "caps", caps, NULL);
  gst_bin_add_many (GST_BIN (capture->pipeline), source, convert, resample,
                    filter, sink, NULL);
  if (!gst_element_link_many (source, convert, resample, filter, sink, NULL))
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "the audio source does not produce raw audio");
      return FALSE;
    }
  return TRUE;
}

SlCapture *
sl_capture_new (GstElement *video_source, GstElement *audio_source,
                GError **error)
{
  SlCapture *capture = g_new0 (SlCapture, 1);
  g_autoptr (GstBus) bus = NULL;

  if (sl_capture_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (sl_capture_debug, "sl-capture", 0,
                             "sonolink capture");

  g_mutex_init (&capture->lock);
  g_mutex_init (&capture->kept_lock);
  capture->targets[SL_CAPTURE_VIDEO]
      = g_ptr_array_new_with_free_func (gst_object_unref);
  capture->targets[SL_CAPTURE_AUDIO]
      = g_ptr_array_new_with_free_func (gst_object_unref);
  capture->pipeline = gst_pipeline_new ("capture");
  sl_media_use_system_clock (capture->pipeline);

  if (video_source != NULL && !add_video_branch (capture, video_source, error))
    {
      if (audio_source != NULL)
        gst_object_unref (gst_object_ref_sink (audio_source));
      goto fail;
    }
  if (audio_source != NULL && !add_audio_branch (capture, audio_source, error))
    goto fail;

  bus = gst_element_get_bus (capture->pipeline);
  capture->bus_watch = gst_bus_add_watch (bus, on_bus_message, capture);
  return capture;

fail:
  sl_capture_free (capture);
  return NULL;
}

gboolean
sl_capture_start (SlCapture *capture, GError **error)
{
  GstStateChangeReturn ret;

  ret = gst_element_set_state (capture->pipeline, GST_STATE_PLAYING);
  if (ret == GST_STATE_CHANGE_FAILURE)
    {
      g_autoptr (GstBus) bus = gst_element_get_bus (capture->pipeline);
      g_autoptr (GstMessage) msg
          = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
      g_autoptr (GError) gst_error = NULL;

      if (msg != NULL)
        gst_message_parse_error (msg, &gst_error, NULL);
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "the capture could not start: %s",
                   gst_error ? gst_error->message : "unknown reason");
      return FALSE;
    }
  return TRUE;
}

GError *
sl_capture_get_error (SlCapture *capture)
{
  GError *error;

  g_mutex_lock (&capture->lock);
  error = capture->error ? g_error_copy (capture->error) : NULL;
  g_mutex_unlock (&capture->lock);
  return error;
}

void
sl_capture_set_audio_tap (SlCapture *capture, SlCaptureAudioTap tap,
                          gpointer user_data)
{
  capture->audio_tap_data = user_data;
  capture->audio_tap = tap;
}

void
sl_capture_set_message_func (SlCapture *capture, SlCaptureMessageFunc func,
                             gpointer user_data)
{
  capture->message_data = user_data;
  capture->message_func = func;
}

void
sl_capture_set_tap (SlCapture *capture, SlCaptureTap tap, gpointer user_data)
{
  capture->tap_data = user_data;
  capture->tap = tap;
}

void
sl_capture_add_target (SlCapture *capture, SlCaptureKind kind,
                       GstAppSrc *target)
{
  g_mutex_lock (&capture->lock);
  g_ptr_array_add (capture->targets[kind], gst_object_ref (target));
  g_mutex_unlock (&capture->lock);
}

void
sl_capture_remove_target (SlCapture *capture, SlCaptureKind kind,
                          GstAppSrc *target)
{
  g_mutex_lock (&capture->lock);
  g_ptr_array_remove (capture->targets[kind], target);
  g_mutex_unlock (&capture->lock);
}

void
sl_capture_keep_frames (SlCapture *capture, guint n)
{
  g_mutex_lock (&capture->kept_lock);
  g_atomic_int_set (&capture->max_kept,
                    CLAMP (n, 1, G_N_ELEMENTS (capture->kept)));
  g_mutex_unlock (&capture->kept_lock);
}

static gint64
frame_media_ms (GstSample *sample)
{
  GstClockTime pts = GST_BUFFER_PTS (gst_sample_get_buffer (sample));

  return GST_CLOCK_TIME_IS_VALID (pts) ? (gint64)(pts / GST_MSECOND) : -1;
}

GstSample *
sl_capture_get_frame (SlCapture *capture, gint64 media_ms, gint64 *frame_ms)
{
  GstSample *best = NULL;
  gint64 best_ms = -1;

  g_mutex_lock (&capture->kept_lock);
  for (guint i = 0; i < capture->n_kept; i++)
    {
      gint64 ms = frame_media_ms (capture->kept[i]);

      /* Newest last, so ties and an untimed request go to the newest. */
      if (best == NULL || media_ms < 0
          || ABS (ms - media_ms) <= ABS (best_ms - media_ms))
        {
          best = capture->kept[i];
          best_ms = ms;
        }
    }
  if (best != NULL)
    gst_sample_ref (best);
  g_mutex_unlock (&capture->kept_lock);
  if (frame_ms != NULL)
    *frame_ms = best_ms;
  return best;
}

gint64
sl_capture_media_now_ms (SlCapture *capture)
{
  g_autoptr (GstClock) clock = gst_element_get_clock (capture->pipeline);
  GstClockTime base = gst_element_get_base_time (capture->pipeline);
  GstClockTime now;

  if (clock == NULL)
    return -1;
  now = gst_clock_get_time (clock);
  return now >= base ? (gint64)((now - base) / GST_MSECOND) : -1;
}

guint64
sl_capture_get_frames (SlCapture *capture)
{
  return __atomic_load_n (&capture->frames, __ATOMIC_RELAXED);
}

void
sl_capture_free (SlCapture *capture)
{
  if (capture == NULL)
    return;
  if (capture->pipeline != NULL)
    {
      gst_element_set_state (capture->pipeline, GST_STATE_NULL);
      if (capture->bus_watch != 0)
        g_source_remove (capture->bus_watch);
      gst_object_unref (capture->pipeline);
    }
  g_ptr_array_unref (capture->targets[SL_CAPTURE_VIDEO]);
  g_ptr_array_unref (capture->targets[SL_CAPTURE_AUDIO]);
  g_clear_error (&capture->error);
  for (guint i = 0; i < capture->n_kept; i++)
    gst_sample_unref (capture->kept[i]);
  g_mutex_clear (&capture->kept_lock);
  g_mutex_clear (&capture->lock);
  g_free (capture);
}
