/* sl-capture.c — the station's capture pipeline and its fan-out.
 *
 * probe bin ! queue ! appsink(video)      audio src ! convert ! appsink(audio)
 *
 * At the township the voice goes through the township's voice graph
 * (sl-voice.h) in this same pipeline: the microphone through the echo
 * canceller to appsink(audio), the loudspeaker fed by the received
 * voices, and the lesson's mix to appsink(lesson).
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

/* How long a live capture may take to reach PLAYING before it is taken
 * as broken: its sources are live, so only its sinks preroll, on the
 * first buffers, which come within a frame or two. */
#define CAPTURE_START_TIMEOUT (10 * GST_SECOND)

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
  GPtrArray *targets[3]; /* element-type GstAppSrc, owned refs */
  GError *error;
  GError *speaker_error; /* the loudspeaker's first failure, until taken */

  /* Guards kept[], n_kept and max_kept (which the video thread also
   * reads atomically, to skip the lock while nothing is kept): the video
   * thread adds, any thread reads (sl_capture_get_frame).  Held for a
   * few pointer moves only. */
  GMutex kept_lock;
  GstSample *kept[16]; /* the newest last; owned */
  guint n_kept, max_kept;

  SlVoice *voice; /* township: the voice graph, or NULL */

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
  SlCaptureKind kind
      = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (sink), "sl-kind"));

  if (sample == NULL)
    return GST_FLOW_EOS;
  push_to_targets (capture, kind, gst_sample_get_buffer (sample),
                   gst_sample_get_caps (sample));
  return GST_FLOW_OK;
}

/* The audio tap sees the voice where it leaves the microphone's
 * conversion, before any processing, so that a latency click written
 * there measures the processing too. */
static GstPadProbeReturn
tap_audio (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SlCapture *capture = user_data;
  GstBuffer *buffer;

  if (capture->audio_tap == NULL)
    return GST_PAD_PROBE_OK;
  buffer = gst_buffer_copy_deep (GST_PAD_PROBE_INFO_BUFFER (info));
  capture->audio_tap (buffer, capture->audio_tap_data);
  gst_buffer_unref (GST_PAD_PROBE_INFO_BUFFER (info));
  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  return GST_PAD_PROBE_OK;
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
      /* A loudspeaker that fails (unplugged, its server gone) silences
       * the expert in the room but must not end the consultation: the
       * picture and the room's voice go on.  Its branch sits behind a
       * leaky queue, so the rest of the graph does not wait for it. */
      if (capture->voice != NULL
          && sl_voice_is_speaker (capture->voice, GST_MESSAGE_SRC (message)))
        {
          if (capture->speaker_error == NULL)
            capture->speaker_error
                = g_error_new (SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                               "the loudspeaker failed: %s", error->message);
        }
      else if (capture->error == NULL)
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

static GstElement *
make_audio_appsink (SlCapture *capture, const gchar *name, SlCaptureKind kind,
                    GError **error)
{
  static GstAppSinkCallbacks callbacks = { .new_sample = on_audio_sample };
  GstElement *sink = make_appsink (name, &callbacks, capture, error);

  if (sink != NULL)
    g_object_set_data (G_OBJECT (sink), "sl-kind", GINT_TO_POINTER (kind));
  return sink;
}

/* source ! audioconvert ! audioresample ! SL_VOICE_CAPS, returning the
 * caps filter (in the pipeline), with the audio tap on its source pad. */
static GstElement *
add_microphone (SlCapture *capture, GstElement *source, GError **error)
{
  g_autoptr (GstCaps) caps = gst_caps_from_string (SL_VOICE_CAPS);
  g_autoptr (GstPad) pad = NULL;
  GstElement *convert, *resample, *filter;

  convert = sl_media_make_element ("audioconvert", NULL, error);
  resample
      = convert ? sl_media_make_element ("audioresample", NULL, error) : NULL;
  filter = resample ? sl_media_make_element ("capsfilter", NULL, error) : NULL;
  if (filter == NULL)
    {
      g_clear_pointer (&convert, gst_object_unref);
      g_clear_pointer (&resample, gst_object_unref);
      gst_object_unref (gst_object_ref_sink (source));
      return NULL;
    }
  g_object_set (filter, "caps", caps, NULL);
  gst_bin_add_many (GST_BIN (capture->pipeline), source, convert, resample,
                    filter, NULL);
  if (!gst_element_link_many (source, convert, resample, filter, NULL))
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "the audio source does not produce raw audio");
      return NULL;
    }
  pad = gst_element_get_static_pad (filter, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, tap_audio, capture, NULL);
  return filter;
}

/* Links @tail (nullable: nothing to link) to a new appsink of @kind. */
static gboolean
add_audio_out (SlCapture *capture, GstElement *tail, const gchar *name,
               SlCaptureKind kind, GError **error)
{
  GstElement *sink;

  if (tail == NULL)
    return TRUE;
  sink = make_audio_appsink (capture, name, kind, error);
  if (sink == NULL)
    return FALSE;
  gst_bin_add (GST_BIN (capture->pipeline), sink);
  if (!gst_element_link (tail, sink))
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "could not link the capture's voice to its appsink");
      return FALSE;
    }
  return TRUE;
}

/* The microphone (@source, nullable with @voice) to appsink(audio), through
 * the voice graph when there is one. */
static gboolean
add_audio_branch (SlCapture *capture, GstElement *source,
                  const SlVoiceConfig *voice, GError **error)
{
  GstElement *mic = NULL;

  if (source != NULL && (mic = add_microphone (capture, source, error)) == NULL)
    {
      if (voice != NULL && voice->speaker != NULL)
        gst_object_unref (gst_object_ref_sink (voice->speaker));
      return FALSE;
    }
  if (voice == NULL)
    return add_audio_out (capture, mic, "capture-audio-sink", SL_CAPTURE_AUDIO,
                          error);
  capture->voice
      = sl_voice_build (GST_BIN (capture->pipeline), mic, voice, error);
  return capture->voice != NULL
         && add_audio_out (capture, sl_voice_near_tail (capture->voice),
                           "capture-audio-sink", SL_CAPTURE_AUDIO, error)
         && add_audio_out (capture, sl_voice_lesson_tail (capture->voice),
                           "capture-lesson-sink", SL_CAPTURE_LESSON, error);
}

SlCapture *
sl_capture_new (GstElement *video_source, GstElement *audio_source,
                GError **error)
{
  return sl_capture_new_with_voice (video_source, audio_source, NULL, error);
}

SlCapture *
sl_capture_new_with_voice (GstElement *video_source, GstElement *audio_source,
                           const SlVoiceConfig *voice, GError **error)
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
  capture->targets[SL_CAPTURE_LESSON]
      = g_ptr_array_new_with_free_func (gst_object_unref);
  capture->pipeline = gst_pipeline_new ("capture");
  sl_media_use_system_clock (capture->pipeline);

  if (video_source != NULL && !add_video_branch (capture, video_source, error))
    {
      if (audio_source != NULL)
        gst_object_unref (gst_object_ref_sink (audio_source));
      if (voice != NULL && voice->speaker != NULL)
        gst_object_unref (gst_object_ref_sink (voice->speaker));
      goto fail;
    }
  if ((audio_source != NULL || voice != NULL)
      && !add_audio_branch (capture, audio_source, voice, error))
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
  /* Returns once the pipeline is PLAYING.  The voice graph's sinks
   * preroll asynchronously, and a heard voice added meanwhile (the
   * first session, opened as soon as the hub reports a peer) left the
   * change pending for ever: the loudspeaker and the lesson's sink stayed
   * in READY, nothing reached the sessions, and webrtcbin, which offers
   * only once every sink pad has caps, never asked for an offer. */
  if (ret == GST_STATE_CHANGE_ASYNC)
    ret = gst_element_get_state (capture->pipeline, NULL, NULL,
                                 CAPTURE_START_TIMEOUT);
  if (ret == GST_STATE_CHANGE_ASYNC)
    {
      gst_element_set_state (capture->pipeline, GST_STATE_NULL);
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "the capture did not start within %u s",
                   (guint)(CAPTURE_START_TIMEOUT / GST_SECOND));
      return FALSE;
    }
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

GError *
sl_capture_take_speaker_error (SlCapture *capture)
{
  GError *error;

  g_mutex_lock (&capture->lock);
  error = g_steal_pointer (&capture->speaker_error);
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

GstAppSrc *
sl_capture_add_heard_voice (SlCapture *capture, GError **error)
{
  if (capture->voice == NULL)
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_ARGUMENT,
                   "this capture has no voice graph");
      return NULL;
    }
  return sl_voice_add_far (capture->voice, error);
}

void
sl_capture_remove_heard_voice (SlCapture *capture, GstAppSrc *voice)
{
  sl_voice_remove_far (capture->voice, voice);
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
  g_ptr_array_unref (capture->targets[SL_CAPTURE_LESSON]);
  g_clear_pointer (&capture->voice, sl_voice_free);
  g_clear_error (&capture->error);
  g_clear_error (&capture->speaker_error);
  for (guint i = 0; i < capture->n_kept; i++)
    gst_sample_unref (capture->kept[i]);
  g_mutex_clear (&capture->kept_lock);
  g_mutex_clear (&capture->lock);
  g_free (capture);
}
