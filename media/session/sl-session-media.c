/* sl-session-media.c — the media branches around a session's webrtcbin.
 *
 * Send video (SENDER):
 *   appsrc ! queue(leaky, 2) ! x264enc ! h264 caps ! rtph264pay ! webrtcbin
 * Send voice (either role):
 *   appsrc ! queue(leaky) ! audioconvert ! opusenc ! rtpopuspay ! webrtcbin
 * Receive video (VIEWER):
 *   webrtcbin ! rtph264depay ! h264parse ! avdec_h264 ! tee
 *     tee ! queue(leaky, 1) ! videoconvert ! video sink
 *     tee ! queue(leaky, 1) ! appsink  (only when video_frame is wanted)
 *   or, with frames_display, only the appsink branch, which is then the
 *   display (paced: its queue holds 15 and the appsink waits for the clock)
 * Receive voice:
 *   webrtcbin ! rtpopusdepay ! opusdec ! audioconvert ! level ! spectrum ! sink
 *
 * Latency choices (measured in docs/PERFORMANCE.md): the encoder has no
 * lookahead and no B-frames (tune=zerolatency) and a bounded VBV so no
 * frame bursts far above the mean; the payloader sends each frame's NAL units
 * as soon as they are produced; sinks do not wait for the clock.  Every queue
 * holds one or two items and drops the oldest, because a fresh picture is
 * worth more to the expert than a complete backlog.
 *
 * The branches' probes hand what they see to the concerns that measure it
 * (measure/sl-session-stats.c) and act on it (rate/, recovery/).
 */
#include "sl-session-private.h"
#include "sl-playout-delay.h"

#include <gst/rtp/rtp.h>
#include <gst/video/video.h>

GST_DEBUG_CATEGORY_STATIC (sl_media_debug);
#define GST_CAT_DEFAULT sl_media_debug

/* What the payloaders' caps filters let through: the payload types we
 * offer (sl-session-private.h), and on the video the transport-wide
 * sequence number and playout-delay extensions. */
#define VIDEO_RTP_CAPS                                                         \
  "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,"         \
  "payload=" G_STRINGIFY (SL_PT_H264) ",extmap-" G_STRINGIFY (                 \
      SL_EXT_TWCC) "=" SL_TWCC_URI                                             \
                   ",extmap-" G_STRINGIFY (                                    \
                       SL_EXT_PLAYOUT_DELAY) "=" SL_PLAYOUT_DELAY_URI
#define AUDIO_RTP_CAPS                                                         \
  "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,"         \
  "payload=" G_STRINGIFY (SL_PT_OPUS)

/* The media branches.  Set up on the control thread; the streaming
 * threads read only video_flowing (atomic) and the callbacks, except
 * the receive branches, which webrtcbin's streaming threads build under
 * receive_lock. */
struct _SlSessionMedia
{
  /* From the configuration, not changed after. */
  guint video_bitrate_kbps;
  guint video_width, video_height, video_fps; /* 0: unknown */
  gchar *x264_options;
  gboolean send_audio;
  gboolean recv_audio;
  gboolean paced_display;
  gboolean frames_display;

  GstElement *video_sink; /* VIEWER, owned until added to the pipeline */
  GstElement *audio_sink; /* owned until added to the pipeline */
  GstElement *display;    /* VIEWER: the display sink (or its bin), owned */
  GstAppSrc *video_src;   /* SENDER, owned */
  GstAppSrc *audio_src;   /* owned */
  GstElement *encoder;    /* SENDER, in the pipeline */
  GstWebRTCRTPTransceiver *video_trans; /* SENDER, owned */
  GstElement *audio_send_tail;          /* last element of the voice branch */
  gboolean audio_send_linked;
  gboolean video_flowing; /* atomic: SENDER, encoded video goes out */
  /* SENDER (atomic; sl_session_media_reopen_encoder): the level the
   * encoder is to have, whether a probe to reopen it is on its way, and
   * the level it was last opened with (the streaming thread's). */
  gint reopen_level;
  gint reopen_pending;
  gint opened_level;

  /* Guards the receive branches' building and the two heads below:
   * webrtcbin adds the voice's and the video's pads on two streaming
   * threads, often at once, and a second pad for a stream it already
   * has (a new SSRC on the same transceiver).  Unlocked, the second
   * video pad built a second branch whose names were taken, and the
   * pipeline destroyed its first element before it was linked: a
   * GStreamer-CRITICAL, then a crash (a trainee, in the voice test). */
  GMutex receive_lock;
  GstElement *video_head; /* the video receive branch's first, owned */
  GstElement *audio_head; /* the voice receive branch's first, owned */
};

static GstElement *
make_queue (const gchar *name, guint max_buffers, GError **error)
{
  GstElement *queue = sl_media_make_element ("queue", name, error);

  if (queue != NULL)
    g_object_set (queue, "max-size-buffers", max_buffers, "max-size-bytes", 0,
                  "max-size-time", (guint64)0, "leaky", 2 /* downstream */,
                  NULL);
  return queue;
}

static GstElement *
make_caps_filter (const gchar *name, const gchar *caps_text, GError **error)
{
  GstElement *filter = sl_media_make_element ("capsfilter", name, error);
  g_autoptr (GstCaps) caps = gst_caps_from_string (caps_text);

  if (filter != NULL)
    g_object_set (filter, "caps", caps, NULL);
  return filter;
}

static GstAppSrc *
make_appsrc (const gchar *name, guint max_buffers, GError **error)
{
  GstElement *src = sl_media_make_element ("appsrc", name, error);

  if (src == NULL)
    return NULL;
  /* do-timestamp: samples come from the capture pipeline, whose running
   * time is not ours; stamping on arrival keeps them live in this one. */
  g_object_set (src, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp",
                TRUE, "max-buffers", (guint64)max_buffers, "max-bytes",
                (guint64)0, "leaky-type", 2 /* downstream */, "block", FALSE,
                NULL);
  return GST_APP_SRC (src);
}

/* The pipeline's newest child (gst_bin_add prepends), not a reference:
 * only compared with. */
static GstElement *
first_child (SlSession *self)
{
  GstElement *first;

  GST_OBJECT_LOCK (self->pipeline);
  first = GST_BIN_CHILDREN (self->pipeline)
              ? GST_BIN_CHILDREN (self->pipeline)->data
              : NULL;
  GST_OBJECT_UNLOCK (self->pipeline);
  return first;
}

/* Brings @element, new in the running pipeline, to the pipeline's state.
 * One that cannot get there (a window the X server refused) has posted
 * its error, which fails the session; it goes back to NULL and is locked
 * there.  Left half started, it would be started again by the pipeline's
 * own way down to NULL, since a bin sets each child bin to every state on
 * the way (PAUSED first) whatever that child's own state: a display bin
 * failed there a second time and closing the session left the pipeline
 * PLAYING.  The element's state lock is held from the attempt to the
 * lock, so that a close on the control thread meanwhile meets the element
 * before the attempt or locked, never in between. */
static void
bring_up (SlSession *self, GstElement *element)
{
  GST_STATE_LOCK (element);
  if (!gst_element_sync_state_with_parent (element))
    {
      GST_WARNING_OBJECT (self->pipeline, "%s could not start, left stopped",
                          GST_OBJECT_NAME (element));
      gst_element_set_locked_state (element, TRUE);
      gst_element_set_state (element, GST_STATE_NULL);
    }
  GST_STATE_UNLOCK (element);
}

/* Sets the children added since @old_head was the newest to the pipeline's
 * state, newest (the sink) first.  Only those: syncing every child would
 * also send a running webrtcbin back through PAUSED whenever a new sink
 * has to preroll, and the stream would wait on itself for ever. */
static void
sync_new_children (SlSession *self, GstElement *old_head)
{
  g_autoptr (GPtrArray) fresh
      = g_ptr_array_new_with_free_func (gst_object_unref);

  GST_OBJECT_LOCK (self->pipeline);
  for (GList *l = GST_BIN_CHILDREN (self->pipeline);
       l != NULL && l->data != old_head; l = l->next)
    g_ptr_array_add (fresh, gst_object_ref (l->data));
  GST_OBJECT_UNLOCK (self->pipeline);
  for (guint i = 0; i < fresh->len; i++)
    bring_up (self, fresh->pdata[i]);
}

/* Makes @factories into elements, adds them to the pipeline and links them
 * in order after @first.  On failure, elements made so far are released. */
static GstElement *
add_chain (SlSession *self, GstElement *first, GstElement **elements, guint n,
           GError **error)
{
  return sl_media_add_chain (GST_BIN (self->pipeline), first, elements, n,
                             error);
}

/* Encoded frames are dropped until the connection is up: webrtcbin would
 * hold the first one at its blocked sink pad and send it, a second or so
 * stale, as the expert's first picture.  Once connected, the encoder is
 * asked for a keyframe (sl_session_media_start_video), so the first
 * picture sent is both fresh and decodable. */
static GstPadProbeReturn
count_sent_frame (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SlSession *self = user_data;

  if (!g_atomic_int_get (&self->media->video_flowing))
    return GST_PAD_PROBE_DROP;
  sl_session_measure_encoder_output (self);
  sl_session_record_video (self, pad, GST_PAD_PROBE_INFO_BUFFER (info));
  return GST_PAD_PROBE_OK;
}

/* Encoder input.  A frame's timestamp is its capture time on this
 * pipeline's clock (sl-capture.c), so the running time now less it is how
 * long the frame took from the probe to the encoder. */
static GstPadProbeReturn
on_encoder_input (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SlSession *self = user_data;

  sl_session_measure_encoder_input (
      self, GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info)));
  return GST_PAD_PROBE_OK;
}

static GstWebRTCRTPTransceiver *
link_to_webrtc (SlSession *self, GstElement *last, const gchar *pad_name,
                GError **error)
{
  g_autoptr (GstPad) src = gst_element_get_static_pad (last, "src");
  g_autoptr (GstPad) sink
      = gst_element_request_pad_simple (self->webrtc, pad_name);
  GstWebRTCRTPTransceiver *trans = NULL;

  if (sink == NULL || gst_pad_link (src, sink) != GST_PAD_LINK_OK)
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "could not link a media branch to webrtcbin (%s)", pad_name);
      return NULL;
    }
  g_object_get (sink, "transceiver", &trans, NULL);
  return trans;
}

/* --x264-options after the engine's own: x264 applies the options in
 * order, so the user's win. */
static void
append_x264_options (GstElement *encoder, const gchar *options)
{
  g_autofree gchar *ours = NULL, *both = NULL;

  g_object_get (encoder, "option-string", &ours, NULL);
  both = ours != NULL && *ours != '\0' ? g_strconcat (ours, ":", options, NULL)
                                       : g_strdup (options);
  g_object_set (encoder, "option-string", both, NULL);
}

static gboolean
build_video_send (SlSession *self, GError **error)
{
  GstElement *elements[6];
  GstElement *last, *scale_caps;
  const gchar *profile = "constrained-baseline";
  g_autofree gchar *video_caps = NULL;
  g_autoptr (GstPad) enc_src = NULL;
  g_autoptr (GstPad) enc_sink = NULL;
  g_autoptr (GstWebRTCRTPTransceiver) trans = NULL;

  self->media->video_src = make_appsrc ("video-src", 2, error);
  if (self->media->video_src == NULL)
    return FALSE;
  gst_object_ref_sink (self->media->video_src);
  gst_bin_add (GST_BIN (self->pipeline), GST_ELEMENT (self->media->video_src));

  /* No queue after the appsrc: it has a streaming thread of its own and
   * keeps at most two frames, dropping the oldest, which is what a leaky
   * queue added; the second thread hand-off cost 0.3-0.9 ms between the
   * capture and the encoder at 720p (docs/PERFORMANCE.md).
   *
   * The degradation policy's size (rate/sl-session-rate.c): the scaler
   * passes frames through untouched while the caps name no size. */
  elements[0] = sl_media_make_element ("videoscale", "video-scale", error);
  elements[1] = scale_caps
      = make_caps_filter ("video-scale-caps", "video/x-raw", error);
  elements[2] = self->media->encoder
      = sl_media_make_element ("x264enc", "encoder", error);
  if (self->media->encoder != NULL)
    {
      profile = sl_media_configure_h264_encoder (
          self->media->encoder, self->media->video_bitrate_kbps,
          self->media->video_width, self->media->video_height,
          self->media->video_fps);
      self->media->opened_level = self->media->reopen_level
          = sl_media_encoder_level (
              self->media->video_bitrate_kbps, self->media->video_width,
              self->media->video_height, self->media->video_fps);
      if (self->media->x264_options != NULL)
        append_x264_options (self->media->encoder, self->media->x264_options);
    }
  /* The profile the encoder's settings make, so that the caps, the
   * payloader's profile-level-id and the SDP say what is sent. */
  video_caps = g_strconcat ("video/x-h264,profile=", profile, NULL);
  elements[3] = make_caps_filter ("video-caps", video_caps, error);
  elements[4] = sl_media_make_element ("rtph264pay", "video-pay", error);
  elements[5] = make_caps_filter ("video-rtp-caps", VIDEO_RTP_CAPS, error);
  if (elements[4] != NULL)
    {
      g_autoptr (GstRTPHeaderExtension) delay
          = sl_playout_delay_new (SL_EXT_PLAYOUT_DELAY, 0, 0);

      g_object_set (elements[4], "config-interval", -1, "aggregate-mode",
                    1 /* zero-latency */, "mtu", 1200, "pt", SL_PT_H264, NULL);
      /* A browser station holds no picture back for smoothness: it shows
       * each as it is decoded, as the C expert does (docs/
       * browser-station.md).  The C expert ignores the extension. */
      g_signal_emit_by_name (elements[4], "add-extension", delay);
    }
  last = add_chain (self, GST_ELEMENT (self->media->video_src), elements, 6,
                    error);
  if (last == NULL)
    return FALSE;
  sl_session_rate_attach_encoder (self, self->media->encoder, scale_caps);

  enc_src = gst_element_get_static_pad (self->media->encoder, "src");
  gst_pad_add_probe (enc_src, GST_PAD_PROBE_TYPE_BUFFER, count_sent_frame, self,
                     NULL);
  enc_sink = gst_element_get_static_pad (self->media->encoder, "sink");
  gst_pad_add_probe (enc_sink, GST_PAD_PROBE_TYPE_BUFFER, on_encoder_input,
                     self, NULL);

  trans = link_to_webrtc (self, last, "sink_%u", error);
  if (trans == NULL)
    return FALSE;
  /* NACK/RTX always; ULPFEC in RED negotiated but at 0 % until the
   * round trip calls for it (recovery/sl-session-fec.c). */
  g_object_set (trans, "direction",
                GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, "do-nack", TRUE,
                "fec-type", GST_WEBRTC_FEC_TYPE_ULP_RED, "fec-percentage", 0,
                NULL);
  self->media->video_trans = g_steal_pointer (&trans);
  return TRUE;
}

static gboolean
resend_sticky (GstPad *pad, GstEvent **event, gpointer user_data)
{
  if (GST_EVENT_TYPE (*event) != GST_EVENT_EOS)
    gst_pad_send_event (user_data, gst_event_ref (*event));
  return TRUE;
}

/* The streaming thread that feeds the encoder, a frame on its way in:
 * no other frame is in the encoder (it keeps none at zero latency), so
 * it is stopped, given the level's settings and started again here.  The
 * scaler's pad has the stream's start, caps and segment, which the
 * restarted encoder needs again before the frame; its first output is a
 * keyframe with new parameter sets, under the same caps. */
static GstPadProbeReturn
reopen_before_frame (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SlSession *self = user_data;
  SlSessionMedia *m = self->media;
  g_autoptr (GstPad) sink = NULL;
  gint64 start_us;
  gint level;

  /* Cleared before the level is read: a level asked from now on adds a
   * probe of its own. */
  g_atomic_int_set (&m->reopen_pending, FALSE);
  level = g_atomic_int_get (&m->reopen_level);
  if (level == g_atomic_int_get (&m->opened_level)
      || sl_session_is_closed (self))
    return GST_PAD_PROBE_REMOVE;
  g_atomic_int_set (&m->opened_level, level);
  start_us = g_get_monotonic_time ();
  sink = gst_element_get_static_pad (m->encoder, "sink");
  if (gst_element_set_state (m->encoder, GST_STATE_NULL)
      == GST_STATE_CHANGE_FAILURE)
    GST_WARNING_OBJECT (self->pipeline, "the encoder did not stop");
  sl_media_set_encoder_level (m->encoder, (SlEncoderLevel)level);
  if (m->x264_options != NULL)
    append_x264_options (m->encoder, m->x264_options);
  if (!gst_element_sync_state_with_parent (m->encoder))
    GST_WARNING_OBJECT (self->pipeline, "the encoder did not start again");
  gst_pad_sticky_events_foreach (pad, resend_sticky, sink);
  GST_INFO_OBJECT (self->pipeline,
                   "encoder reopened at level %s (%s) in %.1f ms",
                   sl_encoder_level_name ((SlEncoderLevel)level),
                   sl_encoder_settings ((SlEncoderLevel)level)->preset,
                   (g_get_monotonic_time () - start_us) / 1000.0);
  return GST_PAD_PROBE_REMOVE;
}

void
sl_session_media_reopen_encoder (SlSession *self, SlEncoderLevel level)
{
  SlSessionMedia *m = self->media;
  g_autoptr (GstPad) sink = NULL;
  g_autoptr (GstPad) feed = NULL;

  if (m->encoder == NULL)
    return;
  /* One probe for any number of calls before the next frame: the last
   * level asked wins. */
  g_atomic_int_set (&m->reopen_level, level);
  if (!g_atomic_int_compare_and_exchange (&m->reopen_pending, FALSE, TRUE))
    return;
  sink = gst_element_get_static_pad (m->encoder, "sink");
  feed = gst_pad_get_peer (sink);
  if (feed != NULL)
    gst_pad_add_probe (feed, GST_PAD_PROBE_TYPE_BUFFER, reopen_before_frame,
                       self, NULL);
}

void
sl_session_media_start_video (SlSession *self)
{
  if (self->media->encoder == NULL
      || g_atomic_int_get (&self->media->video_flowing))
    return;
  g_atomic_int_set (&self->media->video_flowing, TRUE);
  sl_session_rate_force_keyframe (self);
  GST_INFO_OBJECT (self->pipeline, "connected: video flows from a keyframe");
}

/* VIEWER, before the offer comes: a receive-only video transceiver that
 * asks for NACK with RTX.  webrtcbin pairs it with the offered video
 * m-line when it answers (their codecs match); a transceiver it made from
 * the offer itself would answer without NACK, and lost packets would only
 * be recovered by the next keyframe.  Voice has no NACK: Opus in-band FEC
 * and concealment cover its losses sooner than a round trip could. */
static gboolean
add_video_receive_transceiver (SlSession *self, GError **error)
{
  g_autoptr (GstCaps) caps = gst_caps_from_string (
      "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,"
      "extmap-" G_STRINGIFY (SL_EXT_TWCC) "=" SL_TWCC_URI);
  g_autoptr (GstWebRTCRTPTransceiver) trans = NULL;

  g_signal_emit_by_name (self->webrtc, "add-transceiver",
                         GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps,
                         &trans);
  if (trans == NULL)
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "could not add a video transceiver to webrtcbin");
      return FALSE;
    }
  g_object_set (trans, "do-nack", TRUE, "fec-type", GST_WEBRTC_FEC_TYPE_ULP_RED,
                NULL);
  return TRUE;
}

/* The own voice as encoded, for the recorder. */
static GstPadProbeReturn
record_own_voice (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  sl_session_record_voice (user_data, TRUE, GST_PAD_PROBE_INFO_BUFFER (info));
  return GST_PAD_PROBE_OK;
}

/* Adds the voice send branch after the appsrc to the pipeline.  A VIEWER
 * does this only once the offer says where the voice goes: an appsrc in a
 * running pipeline with nothing downstream would fail as "not linked". */
static gboolean
add_audio_branch (SlSession *self, GError **error)
{
  GstElement *elements[5];
  GstElement *last;

  gst_bin_add (GST_BIN (self->pipeline), GST_ELEMENT (self->media->audio_src));
  elements[0] = make_queue ("audio-queue", 5, error);
  elements[1] = sl_media_make_element ("audioconvert", NULL, error);
  elements[2] = sl_media_make_element ("opusenc", "audio-encoder", error);
  elements[3] = sl_media_make_element ("rtpopuspay", NULL, error);
  elements[4] = make_caps_filter ("audio-rtp-caps", AUDIO_RTP_CAPS, error);
  if (elements[2] != NULL)
    /* Voice at 32 kb/s with in-band FEC: speech stays intelligible through
     * single losses at little cost (RFC 6716 §2.1.7).  10 ms frames: the
     * measured mouth-to-ear latency fell from 47 to 27 ms against the
     * default 20 ms (docs/PERFORMANCE.md), for about 16 kbit/s more packet
     * overhead.  The decoder's FEC holds one frame back by design. */
    g_object_set (elements[2], "bitrate", 32000, "audio-type", 2048 /* voice */,
                  "inband-fec", TRUE, "packet-loss-percentage", 5, "frame-size",
                  10, NULL);
  if (elements[3] != NULL)
    g_object_set (elements[3], "pt", SL_PT_OPUS, NULL);
  if (elements[2] != NULL)
    {
      g_autoptr (GstPad) enc_src
          = gst_element_get_static_pad (elements[2], "src");

      sl_session_rate_attach_voice (self, elements[2]);
      gst_pad_add_probe (enc_src, GST_PAD_PROBE_TYPE_BUFFER, record_own_voice,
                         self, NULL);
    }
  last = add_chain (self, GST_ELEMENT (self->media->audio_src), elements, 5,
                    error);
  if (last == NULL)
    return FALSE;
  self->media->audio_send_tail = last;
  return TRUE;
}

static gboolean
build_audio_send (SlSession *self, GError **error)
{
  self->media->audio_src = make_appsrc ("audio-src", 5, error);
  if (self->media->audio_src == NULL)
    return FALSE;
  gst_object_ref_sink (self->media->audio_src);
  if (self->role == SL_SESSION_SENDER)
    return sl_session_media_link_audio_send (self, error);
  return TRUE;
}

/* Links the voice branch to a new webrtcbin sink pad.  For a VIEWER this
 * runs after the offer is applied and before the answer is created:
 * webrtcbin then pairs the new, unassociated audio transceiver with the
 * offered audio m-line because their codecs match, and answers sendrecv.
 * A session that does not take the peer's voice (recv_audio FALSE: the
 * township's to a trainee) still offers sendrecv, and what arrives goes
 * to a fakesink (sl_session_media_on_pad_added): offered send-only,
 * webrtcbin 1.22 fails the whole transport ("not-linked" at its nicesrc)
 * when a peer sends voice anyway, and a peer must not be able to break
 * its session by what it sends. */
gboolean
sl_session_media_link_audio_send (SlSession *self, GError **error)
{
  g_autoptr (GstWebRTCRTPTransceiver) trans = NULL;
  GstElement *last, *old_head;

  if (!self->media->send_audio || self->media->audio_send_linked)
    return TRUE;
  old_head = first_child (self);
  if (!add_audio_branch (self, error))
    return FALSE;
  last = self->media->audio_send_tail;
  trans = link_to_webrtc (self, last, "sink_%u", error);
  if (trans == NULL)
    return FALSE;
  g_object_set (trans, "direction",
                GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV, NULL);
  sync_new_children (self, old_head);
  self->media->audio_send_linked = TRUE;
  return TRUE;
}

gboolean
sl_session_media_build_send (SlSession *self, GError **error)
{
  if (self->role == SL_SESSION_SENDER && !build_video_send (self, error))
    return FALSE;
  if (self->role == SL_SESSION_VIEWER
      && !add_video_receive_transceiver (self, error))
    return FALSE;
  if (self->media->send_audio && !build_audio_send (self, error))
    return FALSE;
  return TRUE;
}

/* ---- receive ---- */

static GstPadProbeReturn
on_decoder_input (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SlSession *self = user_data;

  sl_session_measure_decoder_input (
      self, GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info)));
  sl_session_record_video (self, pad, GST_PAD_PROBE_INFO_BUFFER (info));
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
count_decoded_frame (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SlSession *self = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    sl_session_measure_decoder_output (
        self, GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info)));
  else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_CAPS)
    {
      GstCaps *caps;
      GstVideoInfo vinfo;

      gst_event_parse_caps (GST_PAD_PROBE_INFO_EVENT (info), &caps);
      if (gst_video_info_from_caps (&vinfo, caps))
        sl_session_measure_decoded_size (self, GST_VIDEO_INFO_WIDTH (&vinfo),
                                         GST_VIDEO_INFO_HEIGHT (&vinfo));
    }
  return GST_PAD_PROBE_OK;
}

static GstFlowReturn
on_decoded_sample (GstElement *appsink, gpointer user_data)
{
  SlSession *self = user_data;
  g_autoptr (GstSample) sample = NULL;

  g_signal_emit_by_name (appsink, "pull-sample", &sample);
  if (sample == NULL)
    return GST_FLOW_EOS;
  sl_session_measure_picture_out (
      self, GST_BUFFER_PTS (gst_sample_get_buffer (sample)));
  if (!sl_session_is_closed (self) && self->callbacks.video_frame != NULL)
    self->callbacks.video_frame (self, sample, self->user_data);
  return GST_FLOW_OK;
}

static GstElement *
take_sink (GstElement **slot, GError **error)
{
  GstElement *sink = *slot;

  *slot = NULL;
  if (sink == NULL)
    {
      sink = sl_media_make_element ("fakesink", NULL, error);
      if (sink != NULL)
        g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
      return sink;
    }
  /* Our reference becomes the floating one, which the bin the caller adds
   * the sink to takes over (gst_bin_add sinks it). */
  g_object_force_floating (G_OBJECT (sink));
  return sink;
}

/* The frame branch; @paced (frames_display only): its appsink waits for
 * each picture's time, as a paced display sink does. */
static GstElement *
add_frame_branch (SlSession *self, GstElement *tee, gboolean paced,
                  GError **error)
{
  GstElement *elements[2];

  elements[0] = make_queue ("frame-queue", paced ? 15 : 1, error);
  elements[1] = sl_media_make_element ("appsink", "frame-sink", error);
  if (elements[1] != NULL)
    {
      g_object_set (elements[1], "sync", paced, "async", FALSE, "max-buffers",
                    1, "drop", !paced, "emit-signals", TRUE, NULL);
      g_signal_connect (elements[1], "new-sample",
                        G_CALLBACK (on_decoded_sample), self);
    }
  if (add_chain (self, tee, elements, 2, error) == NULL)
    return NULL;
  return elements[1];
}

static GstElement *
build_video_receive (SlSession *self, GError **error)
{
  GstElement *elements[4], *display[3];
  GstElement *tee;
  g_autoptr (GstPad) dec_src = NULL;
  g_autoptr (GstPad) dec_sink = NULL;

  elements[0] = sl_media_make_element ("rtph264depay", "video-depay", error);
  elements[1] = sl_media_make_element ("h264parse", "video-parse", error);
  elements[2] = sl_media_make_element ("avdec_h264", "decoder", error);
  elements[3] = sl_media_make_element ("tee", "video-tee", error);
  if (elements[0] != NULL)
    g_object_set (elements[0], "request-keyframe", TRUE, "wait-for-keyframe",
                  TRUE, NULL);
  if (elements[0] != NULL)
    sl_session_recovery_watch_depayloader (self, elements[0]);
  if (elements[2] != NULL)
    sl_media_configure_h264_decoder (elements[2]);
  tee = add_chain (self, NULL, elements, 4, error);
  if (tee == NULL)
    return NULL;
  dec_src = gst_element_get_static_pad (elements[2], "src");
  gst_pad_add_probe (
      dec_src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      count_decoded_frame, self, NULL);
  dec_sink = gst_element_get_static_pad (elements[2], "sink");
  gst_pad_add_probe (dec_sink, GST_PAD_PROBE_TYPE_BUFFER, on_decoder_input,
                     self, NULL);

  if (self->media->frames_display && self->callbacks.video_frame != NULL)
    {
      GstElement *frames
          = add_frame_branch (self, tee, self->media->paced_display, error);

      if (frames == NULL)
        return NULL;
      self->media->display = gst_object_ref (frames);
      return elements[0];
    }
  /* One picture, the newest, for a sink that shows it at once; a paced
   * sink holds each until its time, so the queue keeps what arrives
   * meanwhile (at most half a second, then the oldest goes). */
  display[0] = make_queue ("display-queue", self->media->paced_display ? 15 : 1,
                           error);
  display[1] = sl_media_make_element ("videoconvert", "display-convert", error);
  display[2] = take_sink (&self->media->video_sink, error);
  if (add_chain (self, tee, display, 3, error) == NULL)
    return NULL;
  self->media->display = gst_object_ref (display[2]);
  if (self->callbacks.video_frame != NULL
      && add_frame_branch (self, tee, FALSE, error) == NULL)
    return NULL;
  return elements[0];
}

static GstPadProbeReturn
on_decoded_audio (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SlSession *self = user_data;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);

  if (caps != NULL && !sl_session_is_closed (self))
    self->callbacks.audio_decoded (self, GST_PAD_PROBE_INFO_BUFFER (info), caps,
                                   self->user_data);
  return GST_PAD_PROBE_OK;
}

/* Counts the voice packets that reach the decoder with content: an
 * empty buffer is the jitter buffer's note of a lost one, which the
 * decoder conceals. */
static GstPadProbeReturn
count_voice_packet (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  if (gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info)) > 0)
    sl_session_measure_audio_packet (user_data);
  sl_session_record_voice (user_data, FALSE, GST_PAD_PROBE_INFO_BUFFER (info));
  return GST_PAD_PROBE_OK;
}

static GstElement *
build_audio_receive (SlSession *self, GError **error)
{
  g_autoptr (GstPad) dec_sink = NULL;

  GstElement *elements[7];

  elements[0] = sl_media_make_element ("rtpopusdepay", NULL, error);
  elements[1] = sl_media_make_element ("opusdec", NULL, error);
  elements[2] = sl_media_make_element ("audioconvert", NULL, error);
  elements[3] = sl_media_make_element ("audioresample", NULL, error);
  elements[4] = sl_media_make_element ("level", NULL, error);
  elements[5] = sl_media_make_element ("spectrum", NULL, error);
  elements[6] = take_sink (&self->media->audio_sink, error);
  if (elements[1] != NULL)
    g_object_set (elements[1], "plc", TRUE, "use-inband-fec", TRUE, NULL);
  if (elements[4] != NULL)
    g_object_set (elements[4], "interval", (guint64)GST_SECOND, "post-messages",
                  TRUE, NULL);
  if (elements[5] != NULL)
    /* 960 bands over 0..24 kHz: 25 Hz resolution, enough to tell test
     * tones and the voice band apart. */
    g_object_set (elements[5], "bands", 960, "interval", (guint64)GST_SECOND,
                  "threshold", -90, "post-messages", TRUE, "message-magnitude",
                  TRUE, NULL);
  if (add_chain (self, NULL, elements, 7, error) == NULL)
    return NULL;
  dec_sink = gst_element_get_static_pad (elements[1], "sink");
  gst_pad_add_probe (dec_sink, GST_PAD_PROBE_TYPE_BUFFER, count_voice_packet,
                     self, NULL);
  if (self->callbacks.audio_decoded != NULL)
    {
      g_autoptr (GstPad) dec_src
          = gst_element_get_static_pad (elements[1], "src");

      gst_pad_add_probe (dec_src, GST_PAD_PROBE_TYPE_BUFFER, on_decoded_audio,
                         self, NULL);
    }
  return elements[0];
}

/* A fakesink in the pipeline, for a stream nobody takes. */
static GstElement *
add_fakesink (SlSession *self)
{
  GstElement *fake = gst_element_factory_make ("fakesink", NULL);

  g_object_set (fake, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (self->pipeline), fake);
  return fake;
}

/* "src_1 (recv_rtp_src_0_SSRC_PT)": which stream a webrtcbin pad is, for
 * the log. */
static gchar *
describe_pad (GstPad *pad)
{
  g_autoptr (GstPad) target = NULL;

  if (pad == NULL)
    return g_strdup ("none");
  if (GST_IS_GHOST_PAD (pad))
    target = gst_ghost_pad_get_target (GST_GHOST_PAD (pad));
  return g_strdup_printf ("%s (%s)", GST_PAD_NAME (pad),
                          target ? GST_PAD_NAME (target) : "no target");
}

/* A pad for a stream whose branch exists: the branch takes it if its
 * first pad went (webrtcbin removed it: the stream's SSRC changed), else
 * it goes to a fakesink, as one stream of a kind is all a session shows
 * and plays.  Returns the element to link @pad to (in the pipeline). */
static GstElement *
head_for_another_pad (SlSession *self, GstElement *head, const gchar *media,
                      GstPad *pad)
{
  g_autoptr (GstPad) sink = gst_element_get_static_pad (head, "sink");
  g_autoptr (GstPad) peer = NULL;
  g_autofree gchar *old = NULL, *new = NULL;

  if (!gst_pad_is_linked (sink))
    {
      GST_INFO_OBJECT (self->pipeline, "a new %s stream takes the branch",
                       media);
      return head;
    }
  peer = gst_pad_get_peer (sink);
  old = describe_pad (peer);
  new = describe_pad (pad);
  GST_WARNING_OBJECT (self->pipeline,
                      "a second %s stream at once, %s beside %s; it is "
                      "dropped",
                      media, new, old);
  return add_fakesink (self);
}

/* webrtcbin's streaming thread, under receive_lock: the element @pad
 * links to, built (and added) if new; NULL with @error. */
static GstElement *
receive_head (SlSession *self, const gchar *media, GstPad *pad, GError **error)
{
  SlSessionMedia *m = self->media;
  GstElement **slot = NULL;
  GstElement *head;

  if (g_strcmp0 (media, "video") == 0 && self->role == SL_SESSION_VIEWER)
    slot = &m->video_head;
  else if (g_strcmp0 (media, "audio") == 0 && m->recv_audio)
    slot = &m->audio_head;
  if (slot != NULL && *slot != NULL)
    return head_for_another_pad (self, *slot, media, pad);
  if (slot == &m->video_head)
    head = build_video_receive (self, error);
  else if (slot == &m->audio_head)
    head = build_audio_receive (self, error);
  else
    return add_fakesink (self);
  if (head != NULL)
    *slot = gst_object_ref (head);
  return head;
}

void
sl_session_media_on_pad_added (GstElement *webrtc, GstPad *pad, SlSession *self)
{
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GstPad) sink = NULL;
  const gchar *media;
  GstElement *head, *old_head;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  media = caps != NULL && gst_caps_get_size (caps) > 0
              ? gst_structure_get_string (gst_caps_get_structure (caps, 0),
                                          "media")
              : NULL;

  g_mutex_lock (&self->media->receive_lock);
  old_head = first_child (self);
  head = receive_head (self, media, pad, &error);
  if (head == NULL)
    {
      g_mutex_unlock (&self->media->receive_lock);
      GST_ERROR_OBJECT (self->pipeline, "cannot receive %s: %s", media,
                        error ? error->message : "?");
      return;
    }
  /* Bring the new elements up to PLAYING before they are linked: the first
   * buffer webrtcbin pushes into an element still in NULL would come back
   * FLUSHING and stop that stream's jitter-buffer task for good. */
  sync_new_children (self, old_head);
  sink = gst_element_get_static_pad (head, "sink");
  if (gst_pad_link (pad, sink) != GST_PAD_LINK_OK)
    GST_ERROR_OBJECT (self->pipeline, "could not link received %s", media);
  else
    GST_INFO_OBJECT (self->pipeline, "receiving %s", media);
  g_mutex_unlock (&self->media->receive_lock);
}

/* ---- the concern's life ---- */

gboolean
sl_session_media_new (SlSession *self, const SlSessionConfig *config,
                      GError **error)
{
  SlSessionMedia *m = g_new0 (SlSessionMedia, 1);

  if (sl_media_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (sl_media_debug, "sl-media", 0,
                             "sonolink session media branches");
  self->media = m;
  g_mutex_init (&m->receive_lock);
  m->video_bitrate_kbps = config->video_bitrate_kbps;
  m->video_width = config->video_width;
  m->video_height = config->video_height;
  m->video_fps = config->video_fps;
  m->x264_options = g_strdup (config->x264_options);
  m->send_audio = config->send_audio;
  m->recv_audio = config->recv_audio;
  m->paced_display = config->paced_display;
  m->frames_display = config->frames_display && config->video_sink == NULL;
  if (config->video_sink != NULL)
    m->video_sink = gst_object_ref_sink (config->video_sink);
  if (config->audio_sink != NULL)
    m->audio_sink = gst_object_ref_sink (config->audio_sink);
  return TRUE;
}

GstAppSrc *
sl_session_media_video_source (SlSession *self)
{
  return self->media->video_src;
}

GstAppSrc *
sl_session_media_audio_source (SlSession *self)
{
  return self->media->audio_src;
}

GstElement *
sl_session_media_display (SlSession *self)
{
  return self->media->display;
}

void
sl_session_media_free (SlSession *self)
{
  SlSessionMedia *m = g_steal_pointer (&self->media);

  if (m == NULL)
    return;
  g_free (m->x264_options);
  gst_clear_object (&m->video_sink);
  gst_clear_object (&m->audio_sink);
  gst_clear_object (&m->video_src);
  gst_clear_object (&m->audio_src);
  gst_clear_object (&m->video_trans);
  gst_clear_object (&m->display);
  gst_clear_object (&m->video_head);
  gst_clear_object (&m->audio_head);
  g_mutex_clear (&m->receive_lock);
  g_free (m);
}
