/* sl-session-rate.c — a SENDER's rate controller and the encoder it drives.
 *
 * webrtcbin asks for an "aux sender" per transport; the session answers
 * with an SlBweSender (sl-bwe-sender.h), which reads the transport-wide
 * congestion-control feedback of that transport and says how many bits a
 * second the link takes.  Each new target goes, on the control thread,
 * through the degradation policy (sl-degrade.h): it gives the encoder its
 * share of the target, and when the bits per pixel run short, asks for a
 * smaller picture from the scaler in front of the encoder, then, at the
 * smallest size, for fewer frames: a probe on the scaler's input drops
 * frames by their capture times (sl-frame-gate.h), and x264, which
 * budgets each frame at the caps' rate, is told the bitrate and VBV that
 * make the frames it does get add up to the share
 * (sl_degrade_x264_setting).  x264 takes a new bitrate between two frames
 * without a keyframe; a new size costs one, which the policy's dwell time
 * bounds; a new frame rate costs nothing.  The expert's jitter buffer
 * learns the new frame interval from the pictures it decodes
 * (sl_jitter_policy_set_frame_interval).
 *
 * Keyframe requests (PLI and FIR from the viewer, through rtpsession, as
 * force-key-unit events) go through the limiter of sl-keyframe.h: at most
 * one per gap, the rest kept and served when the gap has passed; the gap
 * is SL_KEYFRAME_GAP_MS or, when the last keyframe would take more than
 * a third of the video's rate at that pace, longer.
 *
 * The voice is packed for the same target (sl-voice-policy.h): 10 ms
 * Opus frames while the link has room, 20 ms, then 60 ms with DTX when
 * it is tight; what the packing costs on the wire is the reserve the
 * video leaves free (sl_degrade_set_reserve), and the controller's bounds
 * count the voice at its widest (ceiling) and narrowest (floor).
 *
 * When transport-wide feedback comes back after a second or more without
 * (the controller's "resumptions": the uplink back after an outage), a
 * keyframe is made at once and the frame gate lets the next frame
 * through: the viewer lost the frames the outage ate and needs one, and
 * waiting for its request costs a round trip and the jitter buffer's
 * wait for the missing packets.
 *
 * The FEC share (recovery/sl-session-fec.c) comes in the tick: when it
 * changes, the encoder's share of the target is applied again.
 *
 * Threads: SlSessionRate is the control thread's, except the keyframe
 * limiter, which the encoder's streaming thread also uses, under
 * keyframe_lock, and the frame gate, which is the video's streaming
 * thread's alone and reads the intervals the control thread publishes
 * atomically.
 */
#include "sl-session-private.h"

#include "sl-bwe-sender.h"
#include "sl-degrade.h"
#include "sl-frame-gate.h"
#include "sl-keyframe.h"
#include "sl-opus-packing.h"
#include "sl-voice-policy.h"

#include <gst/video/video.h>

GST_DEBUG_CATEGORY_STATIC (sl_rate_debug);
#define GST_CAT_DEFAULT sl_rate_debug

struct _SlSessionRate
{
  /* From the configuration, not changed after. */
  guint video_kbps; /* configured, and the most the video gets */
  guint min_kbps;   /* the least the controller gives the video */
  guint floor_kbps; /* the diagnostic floor */
  gboolean fixed_rate;
  gboolean resumed; /* this session replaces one whose link failed */

  /* Control thread. */
  GstElement *bwe;              /* the aux sender, owned; NULL: none */
  GstElement *encoder;          /* SENDER, owned */
  GstElement *scale_caps;       /* the size the encoder gets, owned */
  GstElement *voice;            /* the Opus encoder, owned; NULL: no voice */
  SlOpusPacking *voice_packing; /* its packing; valid while voice is held */
  SlVoicePolicy voice_policy;
  SlVoiceDecision voice_now; /* the packing in force */
  SlDegrade degrade;
  gboolean degrade_ready;            /* once the source size is known */
  guint encoder_kbps;                /* the bitrate x264 has now */
  guint applied_target;              /* the controller's target last applied */
  guint fec_percent;                 /* FEC's share, as the last tick said */
  gdouble loss_pct;                  /* the controller's loss, as last polled */
  gboolean constrained, below_floor; /* as of the last decision */
  guint keyframe_timer;              /* a deferred keyframe request */
  gdouble send_fps;                  /* the frame rate in force */
  /* The encoder's settings (sl-encoder-choice.h): the level chosen when
   * the encoder was made, and the budget its measured time is held to. */
  SlEncoderLevel encoder_level;
  SlEncoderBudget encoder_budget;
  SlEncoderSwitch encoder_switch;
  gboolean encoder_over_budget; /* said once a session */

  /* Atomic, written by the control thread: how far apart the frames
   * sent and captured are (0: every frame, unknown). */
  gint64 gate_interval_us, source_interval_us;
  /* Atomic, written by the encoder's thread: the last keyframe's bytes. */
  guint64 keyframe_bytes;
  /* Atomic: the gate lets the next frame through whatever its time. */
  gint gate_open;
  /* The video's streaming thread's alone. */
  SlFrameGate gate;

  /* Guards keyframes: the encoder's event probe (streaming thread) and
   * the control thread. */
  GMutex keyframe_lock;
  SlKeyframeLimit keyframes;
};

/* Any thread: asks the encoder for a keyframe, marked (count 1) so that
 * our own probe lets it through.
 *
 * Never with all-headers: the payloader's config-interval already puts
 * SPS and PPS in front of every IDR, inside its access unit.  Asked for
 * all headers, rtph264pay sends them once more on their own, with the
 * RTP timestamp and marker of a frame of their own; Chromium takes that
 * for a frame with no slice, fails to decode it and asks for another
 * keyframe, whose headers do the same: three keyframes a second for as
 * long as the session lasts (docs/browser-station.md). */
static void
send_keyframe_event (SlSessionRate *r)
{
  g_autoptr (GstPad) src = gst_element_get_static_pad (r->encoder, "src");

  gst_pad_send_event (src, gst_video_event_new_upstream_force_key_unit (
                               GST_CLOCK_TIME_NONE, FALSE, 1));
}

void
sl_session_rate_force_keyframe (SlSession *self)
{
  SlSessionRate *r = self->rate;

  if (r->encoder == NULL)
    return;
  g_mutex_lock (&r->keyframe_lock);
  sl_keyframe_limit_made (&r->keyframes, sl_media_now_us ());
  g_mutex_unlock (&r->keyframe_lock);
  send_keyframe_event (r);
}

static gboolean
on_keyframe_gap_over (gpointer user_data)
{
  SlSession *self = user_data;
  SlSessionRate *r = self->rate;

  r->keyframe_timer = 0;
  if (sl_session_is_closed (self))
    return G_SOURCE_REMOVE;
  g_mutex_lock (&r->keyframe_lock);
  sl_keyframe_limit_serve (&r->keyframes, sl_media_now_us ());
  g_mutex_unlock (&r->keyframe_lock);
  GST_DEBUG_OBJECT (self->pipeline, "keyframe: a deferred request served");
  send_keyframe_event (r);
  return G_SOURCE_REMOVE;
}

/* Control thread: a request arrived too soon after the last keyframe. */
static void
defer_keyframe (SlSession *self, gpointer data)
{
  SlSessionRate *r = self->rate;

  if (r->keyframe_timer != 0)
    return;
  r->keyframe_timer = g_timeout_add_full (
      G_PRIORITY_DEFAULT, GPOINTER_TO_UINT (data), on_keyframe_gap_over,
      g_object_ref (self), g_object_unref);
}

/* Streaming thread: an upstream event reached the encoder's output. */
static GstPadProbeReturn
on_encoder_upstream_event (GstPad *pad, GstPadProbeInfo *info,
                           gpointer user_data)
{
  SlSession *self = user_data;
  SlSessionRate *r = self->rate;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  SlKeyframeVerdict verdict;
  guint count = 0, wait_ms = 0;
  guint64 requests;

  if (!gst_video_event_is_force_key_unit (event))
    return GST_PAD_PROBE_OK;
  gst_video_event_parse_upstream_force_key_unit (event, NULL, NULL, &count);
  if (count == 1)
    return GST_PAD_PROBE_OK; /* ours: already limited */
  /* A viewer's request (webrtcbin asks for all headers): the same
   * keyframe without the headers sent apart (send_keyframe_event). */
  gst_event_unref (event);
  GST_PAD_PROBE_INFO_DATA (info) = event
      = gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, FALSE,
                                                     count);
  g_mutex_lock (&r->keyframe_lock);
  verdict
      = sl_keyframe_limit_request (&r->keyframes, sl_media_now_us (), &wait_ms);
  requests = r->keyframes.requests;
  g_mutex_unlock (&r->keyframe_lock);
  g_mutex_lock (&self->stats_lock);
  self->stats.keyframe_requests = requests;
  g_mutex_unlock (&self->stats_lock);
  switch (verdict)
    {
    case SL_KEYFRAME_NOW:
      GST_DEBUG_OBJECT (self->pipeline, "keyframe: the viewer's request");
      return GST_PAD_PROBE_OK;
    case SL_KEYFRAME_DEFER:
      GST_DEBUG_OBJECT (self->pipeline, "keyframe: request deferred %u ms",
                        wait_ms);
      sl_session_invoke (self, defer_keyframe, GUINT_TO_POINTER (wait_ms),
                         NULL);
      return GST_PAD_PROBE_DROP;
    default:
      return GST_PAD_PROBE_DROP;
    }
}

/* The encoder's thread: the size of each keyframe it makes. */
static GstPadProbeReturn
on_encoded (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SlSessionRate *r = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

  if (!GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT))
    __atomic_store_n (&r->keyframe_bytes, (guint64)gst_buffer_get_size (buffer),
                      __ATOMIC_RELAXED);
  return GST_PAD_PROBE_OK;
}

/* The video's streaming thread, each captured frame in front of the
 * scaler: dropped when the policy's frame rate has no room for it. */
static GstPadProbeReturn
gate_frame (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SlSessionRate *r = user_data;
  GstClockTime pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));
  gint64 interval = __atomic_load_n (&r->gate_interval_us, __ATOMIC_RELAXED);

  if (interval == 0 && r->gate.interval_us == 0)
    return GST_PAD_PROBE_OK;
  /* A keyframe is wanted now: the next frame, and the grid from it. */
  if (g_atomic_int_compare_and_exchange (&r->gate_open, 1, 0))
    sl_frame_gate_init (&r->gate);
  return sl_frame_gate_pass (
             &r->gate,
             GST_CLOCK_TIME_IS_VALID (pts) ? (gint64)(pts / GST_USECOND) : -1,
             interval,
             __atomic_load_n (&r->source_interval_us, __ATOMIC_RELAXED))
             ? GST_PAD_PROBE_OK
             : GST_PAD_PROBE_DROP;
}

void
sl_session_rate_attach_encoder (SlSession *self, GstElement *encoder,
                                GstElement *scale_caps)
{
  SlSessionRate *r = self->rate;
  g_autoptr (GstPad) src = gst_element_get_static_pad (encoder, "src");
  g_autoptr (GstElement) scale
      = gst_bin_get_by_name (GST_BIN (self->pipeline), "video-scale");
  g_autoptr (GstPad) scale_sink
      = scale ? gst_element_get_static_pad (scale, "sink") : NULL;

  r->encoder = gst_object_ref (encoder);
  r->scale_caps = gst_object_ref (scale_caps);
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                     on_encoder_upstream_event, self, NULL);
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, on_encoded, r, NULL);
  if (scale_sink != NULL)
    gst_pad_add_probe (scale_sink, GST_PAD_PROBE_TYPE_BUFFER, gate_frame, r,
                       NULL);
}

/* The picture's size and rate from @element's sink pad's caps; FALSE
 * before the first frame (or with no element). */
static gboolean
sink_format (GstElement *element, guint *width, guint *height, gdouble *fps)
{
  g_autoptr (GstPad) sink
      = element ? gst_element_get_static_pad (element, "sink") : NULL;
  g_autoptr (GstCaps) caps = sink ? gst_pad_get_current_caps (sink) : NULL;
  GstVideoInfo info;

  if (caps == NULL || !gst_video_info_from_caps (&info, caps))
    return FALSE;
  *width = GST_VIDEO_INFO_WIDTH (&info);
  *height = GST_VIDEO_INFO_HEIGHT (&info);
  *fps = GST_VIDEO_INFO_FPS_D (&info) > 0
             ? (gdouble)GST_VIDEO_INFO_FPS_N (&info)
                   / GST_VIDEO_INFO_FPS_D (&info)
             : 30.0;
  return TRUE;
}

/* The source picture's size and rate, from the caps the scaler takes in;
 * FALSE before the first frame. */
static gboolean
source_format (SlSession *self, guint *width, guint *height, gdouble *fps)
{
  g_autoptr (GstElement) scale
      = gst_bin_get_by_name (GST_BIN (self->pipeline), "video-scale");

  return sink_format (scale, width, height, fps);
}

static void
apply_size (SlSession *self, const SlDegradeDecision *d, guint src_w,
            guint src_h)
{
  g_autoptr (GstCaps) caps = NULL;

  if (d->width == src_w && d->height == src_h)
    caps = gst_caps_new_empty_simple ("video/x-raw");
  else
    caps = gst_caps_new_simple (
        "video/x-raw", "width", G_TYPE_INT, d->width, "height", G_TYPE_INT,
        d->height, "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
  GST_INFO_OBJECT (self->pipeline, "picture %ux%u (level %u) at %u kbit/s%s",
                   d->width, d->height, d->level, d->bitrate_bps / 1000,
                   d->below_floor ? ", below the diagnostic floor" : "");
  g_object_set (self->rate->scale_caps, "caps", caps, NULL);
}

void
sl_session_rate_attach_voice (SlSession *self, GstElement *opusenc)
{
  g_clear_object (&self->rate->voice);
  self->rate->voice = gst_object_ref (opusenc);
  self->rate->voice_packing = sl_opus_packing_attach (opusenc);
}

/* What the voice and the data channels cost with @packing: nothing of
 * the voice when none is sent. */
static guint
voice_cost (SlSessionRate *r, SlVoicePacking packing)
{
  SlVoiceDecision d;

  sl_voice_policy_describe (packing, &d);
  return r->voice != NULL ? d.cost_bps : SL_VOICE_DATA_BPS;
}

/* Control thread: the voice's packing for @target; on a change, the
 * encoder's settings and the video's reserve. */
static void
apply_voice (SlSession *self, guint target)
{
  SlSessionRate *r = self->rate;
  SlVoiceDecision d;

  sl_voice_policy_update (&r->voice_policy, target, sl_media_now_us (), &d);
  if (!d.changed)
    return;
  r->voice_now = d;
  if (r->voice_packing != NULL)
    {
      GST_INFO_OBJECT (self->pipeline,
                       "voice %s: %u ms frames at %u kbit/s%s, %u kbit/s on "
                       "the wire",
                       sl_voice_packing_name (d.packing), d.frame_ms,
                       d.bitrate_bps / 1000, d.dtx ? ", DTX" : "",
                       d.cost_bps / 1000);
      sl_opus_packing_set (r->voice_packing, d.frame_ms, d.bitrate_bps, d.dtx);
    }
  if (r->degrade_ready)
    sl_degrade_set_reserve (&r->degrade, voice_cost (r, d.packing));
}

/* Sets the degradation policy up once the source's size is known. */
static gboolean
ensure_degrade (SlSession *self)
{
  SlSessionRate *r = self->rate;
  SlDegradeConfig config;
  guint w, h;
  gdouble fps;

  if (r->degrade_ready)
    return TRUE;
  if (!source_format (self, &w, &h, &fps))
    return FALSE;
  sl_degrade_config_init (&config, w, h, fps);
  config.floor_bps = r->floor_kbps * 1000;
  config.reserve_bps = voice_cost (r, r->voice_now.packing);
  sl_degrade_config_fit_rate (&config, r->video_kbps * 1000);
  sl_degrade_init (&r->degrade, &config);
  r->degrade_ready = TRUE;
  r->send_fps = fps;
  __atomic_store_n (&r->source_interval_us, (gint64)(G_USEC_PER_SEC / fps),
                    __ATOMIC_RELAXED);
  return TRUE;
}

/* The encoder's bitrate, and the frame gate's interval and x264's VBV
 * when the frame rate changed. */
static void
apply_encoder_rate (SlSession *self, guint kbps, const SlDegradeDecision *d)
{
  SlSessionRate *r = self->rate;
  gdouble src_fps = r->degrade.config.fps;
  guint x264_kbps, vbv_ms;

  sl_degrade_x264_setting (kbps, d->fps, src_fps, SL_MEDIA_VBV_MS, &x264_kbps,
                           &vbv_ms);
  if (d->fps != r->send_fps)
    {
      GST_INFO_OBJECT (self->pipeline, "frame rate %.1f -> %.1f fps",
                       r->send_fps, d->fps);
      __atomic_store_n (&r->gate_interval_us,
                        d->fps < src_fps ? (gint64)(G_USEC_PER_SEC / d->fps)
                                         : 0,
                        __ATOMIC_RELAXED);
      g_object_set (r->encoder, "vbv-buf-capacity", vbv_ms, NULL);
      r->send_fps = d->fps;
      r->encoder_kbps = 0; /* the bitrate follows the new scale */
    }
  if (kbps != r->encoder_kbps)
    {
      GST_LOG_OBJECT (self->pipeline, "encoder %u -> %u kbit/s (x264 told %u)",
                      r->encoder_kbps, kbps, x264_kbps);
      g_object_set (r->encoder, "bitrate", x264_kbps, NULL);
      r->encoder_kbps = kbps;
    }
}

/* Control thread: the controller's new target, in bit/s. */
static void
apply_target (SlSession *self, gpointer data)
{
  SlSessionRate *r = self->rate;
  guint target = GPOINTER_TO_UINT (data), kbps;
  SlDegradeDecision d;

  if (r->encoder == NULL)
    return;
  r->applied_target = target;
  apply_voice (self, target);
  if (!ensure_degrade (self))
    return;
  /* The controller's target is for everything sent; FEC packets take
   * their share of it first. */
  sl_degrade_update (&r->degrade,
                     sl_degrade_share_after_fec (target, r->fec_percent),
                     sl_media_now_us (), &d);
  kbps = CLAMP (d.bitrate_bps / 1000, 1, r->video_kbps);
  apply_encoder_rate (self, kbps, &d);
  g_mutex_lock (&r->keyframe_lock);
  sl_keyframe_limit_set_cost (
      &r->keyframes, __atomic_load_n (&r->keyframe_bytes, __ATOMIC_RELAXED) * 8,
      kbps * 1000);
  g_mutex_unlock (&r->keyframe_lock);
  if (d.size_changed)
    apply_size (self, &d, r->degrade.config.src_width,
                r->degrade.config.src_height);
  r->below_floor = d.below_floor;
  r->constrained
      = sl_degrade_is_constrained (kbps, r->fec_percent, r->video_kbps);
  g_mutex_lock (&self->stats_lock);
  self->stats.bwe_target_kbps = target / 1000;
  self->stats.encoder_kbps = kbps;
  self->stats.send_width = d.width;
  self->stats.send_height = d.height;
  self->stats.send_fps = d.fps;
  self->stats.voice_frame_ms = r->voice != NULL ? r->voice_now.frame_ms : 0;
  self->stats.voice_cost_kbps = voice_cost (r, r->voice_now.packing) / 1000;
  self->stats.below_floor = d.below_floor;
  self->stats.rate_constrained = r->constrained;
  g_mutex_unlock (&self->stats_lock);
}

/* Control thread: the link is back after an outage. */
static void
link_back (SlSession *self, gpointer data)
{
  GST_INFO_OBJECT (self->pipeline, "feedback again after an outage: a "
                                   "keyframe now");
  g_atomic_int_set (&self->rate->gate_open, 1);
  sl_session_rate_force_keyframe (self);
}

/* RTCP thread. */
static void
on_resumption (GObject *bwe, GParamSpec *pspec, SlSession *self)
{
  sl_session_invoke (self, link_back, NULL, NULL);
}

/* Streaming or RTCP thread. */
static void
on_target_notify (GObject *bwe, GParamSpec *pspec, SlSession *self)
{
  guint target = sl_bwe_sender_get_target_bitrate (SL_BWE_SENDER (bwe));

  sl_session_invoke (self, apply_target, GUINT_TO_POINTER (target), NULL);
}

/* webrtcbin thread: the transport's aux sender.  With max-bundle there is
 * one transport, so one controller; any other request gets none. */
static GstElement *
on_request_aux_sender (GstElement *webrtc, GObject *dtls_transport,
                       SlSession *self)
{
  SlSessionRate *r = self->rate;
  GstElement *bwe;
  guint max_bps = r->video_kbps * 1000 + voice_cost (r, SL_VOICE_WIDE);
  guint min_bps = r->min_kbps * 1000 + voice_cost (r, SL_VOICE_TIGHT);

  if (r->bwe != NULL)
    return NULL;
  bwe = sl_bwe_sender_new (min_bps, max_bps,
                           sl_degrade_start_bps (min_bps, max_bps, r->resumed));
  r->bwe = gst_object_ref (bwe);
  g_signal_connect (bwe, "notify::target-bitrate",
                    G_CALLBACK (on_target_notify), self);
  g_signal_connect (bwe, "notify::resumptions", G_CALLBACK (on_resumption),
                    self);
  return bwe;
}

void
sl_session_rate_new (SlSession *self, const SlSessionConfig *config)
{
  SlSessionRate *r = g_new0 (SlSessionRate, 1);

  if (sl_rate_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (sl_rate_debug, "sl-rate", 0,
                             "sonolink rate control");
  r->video_kbps = config->video_bitrate_kbps;
  r->min_kbps = MIN (config->min_bitrate_kbps ? config->min_bitrate_kbps
                                              : SL_DEGRADE_MIN_VIDEO_BPS / 1000,
                     r->video_kbps);
  r->floor_kbps = config->floor_kbps ? config->floor_kbps : 500;
  r->fixed_rate = config->fixed_rate;
  r->resumed = config->resumed;
  r->encoder_kbps = r->video_kbps;
  sl_encoder_budget_init (&r->encoder_budget);
  sl_encoder_switch_init (&r->encoder_switch);
  r->encoder_level
      = sl_media_encoder_level (config->video_bitrate_kbps, config->video_width,
                                config->video_height, config->video_fps);
  if (self->role == SL_SESSION_SENDER)
    {
      self->stats.encoder_level = sl_encoder_level_name (r->encoder_level);
      GST_INFO_OBJECT (self->pipeline,
                       "encoder level %s (%s) for %ux%u at %u "
                       "kbit/s",
                       sl_encoder_level_name (r->encoder_level),
                       sl_encoder_settings (r->encoder_level)->preset,
                       config->video_width, config->video_height,
                       config->video_bitrate_kbps);
    }
  sl_voice_policy_init (&r->voice_policy);
  sl_voice_policy_describe (SL_VOICE_WIDE, &r->voice_now);
  g_mutex_init (&r->keyframe_lock);
  sl_keyframe_limit_init (&r->keyframes, 0);
  self->rate = r;
  if (self->role == SL_SESSION_SENDER && !r->fixed_rate)
    g_signal_connect (self->webrtc, "request-aux-sender",
                      G_CALLBACK (on_request_aux_sender), self);
}

void
sl_session_rate_close (SlSession *self)
{
  SlSessionRate *r = self->rate;

  g_clear_handle_id (&r->keyframe_timer, g_source_remove);
  if (r->bwe != NULL)
    g_signal_handlers_disconnect_by_data (r->bwe, self);
}

void
sl_session_rate_free (SlSession *self)
{
  SlSessionRate *r = g_steal_pointer (&self->rate);

  if (r == NULL)
    return;
  gst_clear_object (&r->bwe);
  gst_clear_object (&r->encoder);
  gst_clear_object (&r->scale_caps);
  gst_clear_object (&r->voice);
  g_mutex_clear (&r->keyframe_lock);
  g_free (r);
}

void
sl_session_rate_tick_input (SlSession *self, SlSessionTick *tick)
{
  SlSessionRate *r = self->rate;

  tick->has_controller = r->bwe != NULL;
  tick->controller_loss_pct = r->bwe != NULL ? r->loss_pct : -1;
  tick->rate_constrained = r->constrained;
  tick->below_floor = r->below_floor;
}

/* The picture the encoder has now (after the degradation policy's
 * scaler) and the frame rate it is sent at; FALSE before the first
 * frame. */
static gboolean
encoder_format (SlSession *self, guint *width, guint *height, gdouble *fps)
{
  SlSessionRate *r = self->rate;

  if (!sink_format (r->encoder, width, height, fps))
    return FALSE;
  if (r->send_fps > 0)
    *fps = r->send_fps;
  return TRUE;
}

/* The second's median encode time against the level's budget, and the
 * level for the bitrate and picture now.  x264enc takes no new preset or
 * options while it plays (only its bitrate and VBV): another level means
 * reopening it, a keyframe and new parameter sets, so it is done only
 * when SlEncoderSwitch says so (docs/rate-control.md, ENCODER
 * SETTINGS). */
static void
encoder_level_tick (SlSession *self, const SlSessionTick *tick)
{
  SlSessionRate *r = self->rate;
  SlEncoderLevel choice;
  guint width, height;
  gdouble fps;

  if (self->role != SL_SESSION_SENDER || r->encoder == NULL
      || tick->stage_encode_ms <= 0
      || !encoder_format (self, &width, &height, &fps))
    return;
  if (sl_encoder_budget_measured (&r->encoder_budget, r->encoder_level, width,
                                  height, fps, r->encoder_kbps,
                                  tick->stage_encode_ms)
      && !r->encoder_over_budget)
    {
      r->encoder_over_budget = TRUE;
      GST_WARNING_OBJECT (
          self->pipeline,
          "encoding takes %.1f ms a frame, over the %.1f ms allowed at %u "
          "kbit/s: this machine is too slow for the %s level here",
          tick->stage_encode_ms,
          sl_encoder_budget_ms (width, height, fps, r->encoder_kbps),
          r->encoder_kbps, sl_encoder_level_name (r->encoder_level));
    }
  choice = sl_encoder_choose (&r->encoder_budget, width, height, fps,
                              r->encoder_kbps);
  if (!sl_encoder_switch_tick (&r->encoder_switch, r->encoder_level, choice))
    return;
  GST_INFO_OBJECT (
      self->pipeline, "encoder level %s -> %s for %ux%u at %.0f fps, %u kbit/s",
      sl_encoder_level_name (r->encoder_level), sl_encoder_level_name (choice),
      width, height, fps, r->encoder_kbps);
  r->encoder_level = choice;
  sl_session_media_reopen_encoder (self, choice);
  g_mutex_lock (&self->stats_lock);
  self->stats.encoder_level = sl_encoder_level_name (choice);
  g_mutex_unlock (&self->stats_lock);
}

/* Control thread, once a second: FEC's share as it now is, and the
 * controller's own figures. */
void
sl_session_rate_tick (SlSession *self, const SlSessionTick *tick)
{
  SlSessionRate *r = self->rate;
  g_autoptr (GstStructure) s = NULL;
  guint delay_bps = 0, acked_bps = 0, target;
  gdouble loss = 0, queue_ms = -1;

  encoder_level_tick (self, tick);
  if (r->bwe == NULL)
    return;
  target = sl_bwe_sender_get_target_bitrate (SL_BWE_SENDER (r->bwe));
  /* A target notified before the first frame (the size unknown yet), or
   * before the handler was connected, or a new FEC share: applied now. */
  if (target != r->applied_target || !r->degrade_ready
      || tick->fec_percent != r->fec_percent)
    {
      r->fec_percent = tick->fec_percent;
      apply_target (self, GUINT_TO_POINTER (target));
    }
  s = sl_bwe_sender_get_stats (SL_BWE_SENDER (r->bwe));
  if (s == NULL)
    return;
  gst_structure_get_uint (s, "delay-bitrate", &delay_bps);
  gst_structure_get_uint (s, "acked-bitrate", &acked_bps);
  gst_structure_get_double (s, "queue-ms", &queue_ms);
  gst_structure_get_double (s, "loss-fraction", &loss);
  r->loss_pct = loss * 100;
  g_mutex_lock (&self->stats_lock);
  self->stats.bwe_estimate_kbps = delay_bps / 1000;
  self->stats.acked_kbps = acked_bps / 1000;
  self->stats.bwe_loss_pct = r->loss_pct;
  self->stats.bwe_queue_ms = queue_ms;
  g_mutex_unlock (&self->stats_lock);
}
