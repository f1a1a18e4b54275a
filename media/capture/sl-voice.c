/* sl-voice.c — the township's voice graph (sl-voice.h).
 *
 * Why one pipeline: webrtcdsp cancels the echo by comparing what the
 * microphone hears with what the echo probe saw go to the loudspeaker,
 * matched by running time.  Kept in one pipeline, both sides share one
 * clock and one running time, the probe learns the loudspeaker's real
 * latency from the pipeline's latency event, and nothing is resampled
 * between the reference and the microphone (webrtcdsp refuses a probe at
 * another rate).
 *
 * Why a mix for trainees rather than a second voice track: the township's
 * uplink is the scarce link.  One Opus stream per trainee carrying both
 * voices costs what the township's voice alone cost; a second track
 * would add its bitrate for every trainee and a renegotiation when the
 * expert comes and goes.  The expert's own stream never carries the mix,
 * so the expert does not hear itself.
 */
#include "sl-voice.h"
#include "sl-media.h"

#include <gst/app/gstappsink.h>

GST_DEBUG_CATEGORY_STATIC (sl_voice_debug);
#define GST_CAT_DEFAULT sl_voice_debug

struct _SlVoice
{
  GstBin *bin; /* owned reference */
  gboolean live;
  GstElement *near_tail;   /* in bin, or NULL */
  GstElement *lesson_tail; /* in bin */
  GstElement *far_mix;     /* in bin */
  GstElement *processor;   /* in bin, or NULL */
  GstElement *speaker;     /* in bin */
  GstPad *near_entry;      /* owned, or NULL */
};

gboolean
sl_voice_processing_parse (const gchar *text, SlVoiceProcessing *mode)
{
  if (g_strcmp0 (text, "off") == 0)
    *mode = SL_VOICE_PROCESSING_OFF;
  else if (g_strcmp0 (text, "aec") == 0)
    *mode = SL_VOICE_PROCESSING_AEC;
  else if (g_strcmp0 (text, "aec+ns") == 0)
    *mode = SL_VOICE_PROCESSING_AEC_NS;
  else
    return FALSE;
  return TRUE;
}

const gchar *
sl_voice_processing_name (SlVoiceProcessing mode)
{
  switch (mode)
    {
    case SL_VOICE_PROCESSING_AEC:
      return "aec";
    case SL_VOICE_PROCESSING_AEC_NS:
      return "aec+ns";
    default:
      return "off";
    }
}

static GstElement *
make_caps (GError **error)
{
  GstElement *filter = sl_media_make_element ("capsfilter", NULL, error);
  g_autoptr (GstCaps) caps = gst_caps_from_string (SL_VOICE_CAPS);

  if (filter != NULL)
    g_object_set (filter, "caps", caps, NULL);
  return filter;
}

/* A queue after a tee: it never blocks the tee for long, so one slow
 * branch (a loudspeaker that stalls) cannot stop the others. */
static GstElement *
make_queue (GError **error)
{
  GstElement *queue = sl_media_make_element ("queue", NULL, error);

  if (queue != NULL)
    g_object_set (queue, "max-size-buffers", 10, "max-size-bytes", 0,
                  "max-size-time", (guint64)0, "leaky", 2 /* downstream */,
                  NULL);
  return queue;
}

static GstElement *
make_mixer (gboolean live, GError **error)
{
  GstElement *mixer = sl_media_make_element ("audiomixer", NULL, error);

  /* A far input that has not yet received anything (an expert whose
   * voice has not started) must not hold the mix back. */
  if (mixer != NULL)
    g_object_set (mixer, "ignore-inactive-pads", TRUE, "start-time-selection",
                  live ? 1 /* first */ : 0 /* zero */, NULL);
  return mixer;
}

static gboolean
add_chain (SlVoice *voice, GstElement *first, GstElement **elements, guint n,
           GError **error)
{
  return sl_media_add_chain (voice->bin, first, elements, n, error) != NULL;
}

static GstElement *
make_processor (SlVoiceProcessing mode, const gchar *probe, GError **error)
{
  GstElement *dsp = sl_media_make_element ("webrtcdsp", NULL, error);

  if (dsp == NULL)
    return NULL;
  /* Echo cancellation always; noise suppression on request.  No gain
   * control: it would raise the room's noise between words and change
   * the level the expert hears from one sentence to the next.  The echo's
   * delay comes from the timestamps (the loudspeaker's latency reaches the
   * probe in the pipeline's latency event, the microphone's in its
   * buffers' times): the delay-agnostic estimator lost the echo beyond
   * about 50 ms where the timestamps held it to 300 ms.  The suppressor at
   * its low level: the linear filter already removes most of the echo and
   * a harder suppressor cuts into the township's words while both talk
   * (tests/bench/voice.py, docs/PERFORMANCE.md). */
  g_object_set (dsp, "probe", probe, "echo-cancel", TRUE, "noise-suppression",
                mode == SL_VOICE_PROCESSING_AEC_NS, "gain-control", FALSE,
                "high-pass-filter", TRUE, "delay-agnostic", FALSE,
                "echo-suppression-level", 0 /* low */, "voice-detection", FALSE,
                NULL);
  return dsp;
}

/* The loudspeaker's side: far mix ! caps ! tee ! queue ! [probe] ! sink,
 * with a silent live source when @live.  Returns the tee. */
static GstElement *
build_far (SlVoice *voice, const SlVoiceConfig *config, const gchar *probe,
           GError **error)
{
  GstElement *mix[3], *out[3];
  GstElement *speaker = config->speaker;
  guint n = 0;

  mix[0] = voice->far_mix = make_mixer (config->live, error);
  mix[1] = make_caps (error);
  mix[2] = sl_media_make_element ("tee", NULL, error);
  out[n++] = make_queue (error);
  if (probe != NULL)
    out[n++] = sl_media_make_element ("webrtcechoprobe", probe, error);
  if (speaker == NULL)
    {
      speaker = sl_media_make_element ("fakesink", NULL, error);
      if (speaker != NULL)
        g_object_set (speaker, "sync", config->live, "async", FALSE, NULL);
    }
  out[n++] = voice->speaker = speaker;
  if (!add_chain (voice, NULL, mix, 3, error)
      || !add_chain (voice, mix[2], out, n, error))
    return NULL;
  if (config->live)
    {
      GstElement *silence[2];

      /* 10 ms buffers: the mixers' and webrtcdsp's period. */
      silence[0] = sl_media_make_element ("audiotestsrc", NULL, error);
      silence[1] = make_caps (error);
      if (silence[0] != NULL)
        g_object_set (silence[0], "is-live", TRUE, "wave", 4 /* silence */,
                      "samplesperbuffer", SL_VOICE_RATE / 100, NULL);
      if (!add_chain (voice, NULL, silence, 2, error)
          || !gst_element_link (silence[1], voice->far_mix))
        return NULL;
    }
  return mix[2];
}

SlVoice *
sl_voice_build (GstBin *bin, GstElement *mic, const SlVoiceConfig *config,
                GError **error)
{
  static gint probes;
  g_autoptr (SlVoice) voice = g_new0 (SlVoice, 1);
  g_autofree gchar *probe = NULL;
  GstElement *near_tee = NULL, *far_tee, *lesson[2];

  if (sl_voice_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (sl_voice_debug, "sl-voice", 0,
                             "sonolink township voice");
  voice->bin = gst_object_ref (bin);
  voice->live = config->live;
  /* Probes are found by name across the process: one name each. */
  if (mic != NULL && config->processing != SL_VOICE_PROCESSING_OFF)
    probe = g_strdup_printf ("sl-echo-probe-%d", g_atomic_int_add (&probes, 1));
  far_tee = build_far (voice, config, probe, error);
  if (far_tee == NULL)
    return NULL;

  if (mic != NULL)
    {
      GstElement *near[3];
      guint n = 0;

      voice->near_entry = gst_element_get_static_pad (mic, "src");
      if (probe != NULL)
        near[n++] = voice->processor
            = make_processor (config->processing, probe, error);
      near[n++] = near_tee = sl_media_make_element ("tee", NULL, error);
      near[n++] = voice->near_tail = make_queue (error);
      if (!add_chain (voice, mic, near, n, error))
        return NULL;
    }

  lesson[0] = make_mixer (config->live, error);
  lesson[1] = voice->lesson_tail = make_caps (error);
  if (!add_chain (voice, NULL, lesson, 2, error))
    return NULL;
  for (guint i = 0; i < 2; i++)
    {
      GstElement *tee = i == 0 ? far_tee : near_tee;
      GstElement *queue;

      if (tee == NULL)
        continue;
      queue = make_queue (error);
      if (queue == NULL)
        return NULL;
      gst_bin_add (bin, queue);
      if (!gst_element_link (tee, queue)
          || !gst_element_link (queue, lesson[0]))
        {
          g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                       "voice: could not link the lesson's mix");
          return NULL;
        }
    }
  GST_INFO ("voice graph: processing %s, %s microphone",
            sl_voice_processing_name (config->processing), mic ? "with" : "no");
  return g_steal_pointer (&voice);
}

GstElement *
sl_voice_near_tail (SlVoice *voice)
{
  return voice->near_tail;
}

GstElement *
sl_voice_lesson_tail (SlVoice *voice)
{
  return voice->lesson_tail;
}

GstPad *
sl_voice_near_entry (SlVoice *voice)
{
  return voice->near_entry;
}

gboolean
sl_voice_is_speaker (SlVoice *voice, GstObject *object)
{
  return voice->speaker != NULL && object != NULL
         && (object == GST_OBJECT (voice->speaker)
             || gst_object_has_as_ancestor (object,
                                            GST_OBJECT (voice->speaker)));
}

GstElement *
sl_voice_processor (SlVoice *voice)
{
  return voice->processor;
}

GstAppSrc *
sl_voice_add_far (SlVoice *voice, GError **error)
{
  GstElement *src = sl_media_make_element ("appsrc", NULL, error);
  g_autoptr (GstCaps) caps = gst_caps_from_string (SL_VOICE_CAPS);
  g_autoptr (GstPad) src_pad = NULL;
  g_autoptr (GstPad) mix_pad = NULL;

  if (src == NULL)
    return NULL;
  /* Stamped on arrival in a live pipeline: the voice comes from another
   * pipeline, whose running time is not ours.  Two periods at most are
   * kept; a backlog would only delay the loudspeaker. */
  g_object_set (src, "caps", caps, "format", GST_FORMAT_TIME, "is-live",
                voice->live, "do-timestamp", voice->live, "max-buffers",
                (guint64)(voice->live ? 5 : 0), "leaky-type",
                voice->live ? 2 /* downstream */ : 0, "block", FALSE, NULL);
  gst_object_ref_sink (src);
  gst_bin_add (voice->bin, src);
  src_pad = gst_element_get_static_pad (src, "src");
  mix_pad = gst_element_request_pad_simple (voice->far_mix, "sink_%u");
  if (mix_pad == NULL || gst_pad_link (src_pad, mix_pad) != GST_PAD_LINK_OK)
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "voice: could not mix a received voice");
      if (mix_pad != NULL)
        gst_element_release_request_pad (voice->far_mix, mix_pad);
      gst_bin_remove (voice->bin, src);
      gst_object_unref (src);
      return NULL;
    }
  gst_element_sync_state_with_parent (src);
  return GST_APP_SRC (src);
}

void
sl_voice_remove_far (SlVoice *voice, GstAppSrc *far)
{
  g_autoptr (GstPad) src_pad
      = gst_element_get_static_pad (GST_ELEMENT (far), "src");
  g_autoptr (GstPad) mix_pad = gst_pad_get_peer (src_pad);

  gst_element_set_locked_state (GST_ELEMENT (far), TRUE);
  gst_element_set_state (GST_ELEMENT (far), GST_STATE_NULL);
  if (mix_pad != NULL)
    {
      gst_pad_unlink (src_pad, mix_pad);
      gst_element_release_request_pad (voice->far_mix, mix_pad);
    }
  gst_bin_remove (voice->bin, GST_ELEMENT (far));
}

static GstFlowReturn
forward_far (GstAppSink *sink, gpointer user_data)
{
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buffer;

  if (sample == NULL)
    return GST_FLOW_EOS;
  /* A new buffer sharing the memory, untimed: the township's appsrc
   * stamps it with its own running time. */
  buffer = gst_buffer_copy (gst_sample_get_buffer (sample));
  GST_BUFFER_PTS (buffer) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  /* Refused only while the township's pipeline stops: not this
   * session's error. */
  gst_app_src_push_buffer (user_data, buffer);
  return GST_FLOW_OK;
}

GstElement *
sl_voice_make_far_sink (GstAppSrc *far, GError **error)
{
  static GstAppSinkCallbacks callbacks = { .new_sample = forward_far };
  GstElement *sink = sl_media_make_element ("appsink", NULL, error);
  g_autoptr (GstCaps) caps = gst_caps_from_string (SL_VOICE_CAPS);

  if (sink == NULL)
    return NULL;
  /* The session's pipeline decodes; the township's plays, at its pace. */
  g_object_set (sink, "caps", caps, "sync", FALSE, "async", FALSE,
                "max-buffers", 5, "drop", TRUE, "enable-last-sample", FALSE,
                NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks,
                              gst_object_ref (far), gst_object_unref);
  return sink;
}

void
sl_voice_free (SlVoice *voice)
{
  if (voice == NULL)
    return;
  g_clear_object (&voice->near_entry);
  gst_object_unref (voice->bin);
  g_free (voice);
}
