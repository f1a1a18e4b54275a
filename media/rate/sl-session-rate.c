/* sl-session-rate.c — a SENDER's rate controller and the encoder it drives.
 *
 * webrtcbin asks for an "aux sender" per transport; the session answers
 * with an SlBweSender (sl-bwe-sender.h), which reads the transport-wide
 * congestion-control feedback of that transport and says how many bits a
 * second the link takes.  Each new target goes, on the control thread,
 * through the degradation policy (sl-degrade.h): it keeps the frame rate,
 * gives the encoder its share of the target, and when the bits per pixel
 * run short, asks for a smaller picture from the scaler in front of the
 * encoder.  x264 takes a new bitrate between two frames without a
 * keyframe; a new size costs one, which the policy's dwell time bounds.
 *
 * Keyframe requests (PLI and FIR from the viewer, through rtpsession, as
 * force-key-unit events) are limited to one per SL_KEYFRAME_GAP_MS: a
 * burst of loss makes the viewer ask for every frame, and a keyframe for
 * each would fill the very link that lost them.  A request that comes too
 * soon is kept and served when the gap has passed.
 */
#include "sl-session-private.h"

#include "sl-bwe-sender.h"

#include <gst/video/video.h>

#define GST_CAT_DEFAULT sl_session_debug

/* Fewest milliseconds between two keyframes made on request. */
#define SL_KEYFRAME_GAP_MS 300
/* The voice and the control channel, with their packet overhead: taken
 * off the target before the video gets its share. */
#define SL_RATE_RESERVE_BPS 80000
/* Video held below this share of its configured rate is "constrained". */
#define SL_RATE_CONSTRAINED 0.7

static void
send_keyframe_request (SlSession *self)
{
  g_autoptr (GstPad) src = gst_element_get_static_pad (self->encoder, "src");

  self->last_keyframe_us = sl_media_now_us ();
  /* Marked so that our own probe lets it through. */
  gst_pad_send_event (src, gst_video_event_new_upstream_force_key_unit (
                               GST_CLOCK_TIME_NONE, TRUE, 1));
}

static gboolean
on_keyframe_gap_over (gpointer user_data)
{
  SlSession *self = user_data;

  self->keyframe_timer = 0;
  if (!sl_session_is_closed (self))
    send_keyframe_request (self);
  return G_SOURCE_REMOVE;
}

/* Control thread: a request arrived too soon after the last keyframe. */
static void
defer_keyframe (SlSession *self, gpointer data)
{
  gint64 wait_ms;

  if (self->keyframe_timer != 0)
    return;
  wait_ms = SL_KEYFRAME_GAP_MS
            - (sl_media_now_us () - self->last_keyframe_us) / 1000;
  self->keyframe_timer = g_timeout_add_full (
      G_PRIORITY_DEFAULT, (guint)CLAMP (wait_ms, 1, SL_KEYFRAME_GAP_MS),
      on_keyframe_gap_over, g_object_ref (self), g_object_unref);
}

static GstPadProbeReturn
on_encoder_upstream_event (GstPad *pad, GstPadProbeInfo *info,
                           gpointer user_data)
{
  SlSession *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  guint count = 0;
  gint64 now;

  if (!gst_video_event_is_force_key_unit (event))
    return GST_PAD_PROBE_OK;
  gst_video_event_parse_upstream_force_key_unit (event, NULL, NULL, &count);
  if (count == 1)
    return GST_PAD_PROBE_OK; /* ours: already limited */
  now = sl_media_now_us ();
  g_mutex_lock (&self->stats_lock);
  self->stats.keyframe_requests++;
  g_mutex_unlock (&self->stats_lock);
  if (now - self->last_keyframe_us >= SL_KEYFRAME_GAP_MS * 1000)
    {
      self->last_keyframe_us = now;
      return GST_PAD_PROBE_OK;
    }
  sl_session_invoke (self, defer_keyframe, NULL, NULL);
  return GST_PAD_PROBE_DROP;
}

void
sl_session_rate_attach_encoder (SlSession *self)
{
  g_autoptr (GstPad) src = gst_element_get_static_pad (self->encoder, "src");

  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                     on_encoder_upstream_event, self, NULL);
}

/* The source picture's size and rate, from the caps the scaler takes in;
 * FALSE before the first frame. */
static gboolean
source_format (SlSession *self, guint *width, guint *height, gdouble *fps)
{
  g_autoptr (GstElement) scale
      = gst_bin_get_by_name (GST_BIN (self->pipeline), "video-scale");
  g_autoptr (GstPad) sink
      = scale ? gst_element_get_static_pad (scale, "sink") : NULL;
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
  g_object_set (self->scale_caps, "caps", caps, NULL);
}

/* Control thread: the controller's new target, in bit/s. */
static void
apply_target (SlSession *self, gpointer data)
{
  guint target = GPOINTER_TO_UINT (data), kbps, w, h;
  SlDegradeDecision d;
  gdouble fps;

  if (self->encoder == NULL)
    return;
  self->applied_target = target;
  if (!self->degrade_ready)
    {
      SlDegradeConfig config;

      if (!source_format (self, &w, &h, &fps))
        return;
      sl_degrade_config_init (&config, w, h, fps);
      config.floor_bps = self->floor_kbps * 1000;
      config.reserve_bps = SL_RATE_RESERVE_BPS;
      sl_degrade_config_fit_rate (&config, self->video_bitrate_kbps * 1000);
      sl_degrade_init (&self->degrade, &config);
      self->degrade_ready = TRUE;
    }
  /* The controller's target is for everything sent; FEC packets take
   * their share of it first. */
  sl_degrade_update (
      &self->degrade,
      (guint)((guint64)target * 100 / (100 + self->fec_policy.percent)),
      sl_media_now_us (), &d);
  kbps = CLAMP (d.bitrate_bps / 1000, 1, self->video_bitrate_kbps);
  if (kbps != self->encoder_kbps)
    {
      g_object_set (self->encoder, "bitrate", kbps, NULL);
      self->encoder_kbps = kbps;
    }
  if (d.size_changed)
    apply_size (self, &d, self->degrade.config.src_width,
                self->degrade.config.src_height);
  g_mutex_lock (&self->stats_lock);
  self->stats.bwe_target_kbps = target / 1000;
  self->stats.encoder_kbps = kbps;
  self->stats.send_width = d.width;
  self->stats.send_height = d.height;
  self->stats.below_floor = d.below_floor;
  /* Constrained by the link, not by FEC's share of it. */
  self->stats.rate_constrained
      = (gdouble)kbps * (100 + self->fec_policy.percent) / 100
        < SL_RATE_CONSTRAINED * self->video_bitrate_kbps;
  g_mutex_unlock (&self->stats_lock);
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
  GstElement *bwe;
  guint max_bps = self->video_bitrate_kbps * 1000 + SL_RATE_RESERVE_BPS;

  if (self->bwe != NULL)
    return NULL;
  /* Full rate from the first frame: the controller comes down if the link
   * cannot take it, which costs less than a slow climb from thumbnail
   * quality on a link that can. */
  bwe = sl_bwe_sender_new (self->min_kbps * 1000 + SL_RATE_RESERVE_BPS, max_bps,
                           max_bps);
  self->bwe = gst_object_ref (bwe);
  g_signal_connect (bwe, "notify::target-bitrate",
                    G_CALLBACK (on_target_notify), self);
  return bwe;
}

void
sl_session_rate_init (SlSession *self)
{
  self->encoder_kbps = self->video_bitrate_kbps;
  if (self->role == SL_SESSION_SENDER && !self->fixed_rate)
    g_signal_connect (self->webrtc, "request-aux-sender",
                      G_CALLBACK (on_request_aux_sender), self);
}

void
sl_session_rate_close (SlSession *self)
{
  g_clear_handle_id (&self->keyframe_timer, g_source_remove);
  if (self->bwe != NULL)
    g_signal_handlers_disconnect_by_data (self->bwe, self);
}

void
sl_session_rate_clear (SlSession *self)
{
  gst_clear_object (&self->bwe);
}

/* Control thread, once a second: the controller's own figures. */
void
sl_session_rate_poll (SlSession *self)
{
  g_autoptr (GstStructure) s = NULL;
  guint delay_bps = 0, acked_bps = 0;
  gdouble loss = 0;

  if (self->bwe == NULL)
    return;
  /* A target notified before the first frame (the size unknown yet), or
   * before the handler was connected, is applied now. */
  if (sl_bwe_sender_get_target_bitrate (SL_BWE_SENDER (self->bwe))
          != self->applied_target
      || !self->degrade_ready)
    apply_target (self, GUINT_TO_POINTER (sl_bwe_sender_get_target_bitrate (
                            SL_BWE_SENDER (self->bwe))));
  s = sl_bwe_sender_get_stats (SL_BWE_SENDER (self->bwe));
  if (s == NULL)
    return;
  gst_structure_get_uint (s, "delay-bitrate", &delay_bps);
  gst_structure_get_uint (s, "acked-bitrate", &acked_bps);
  gst_structure_get_double (s, "loss-fraction", &loss);
  g_mutex_lock (&self->stats_lock);
  self->stats.bwe_estimate_kbps = delay_bps / 1000;
  self->stats.acked_kbps = acked_bps / 1000;
  self->stats.bwe_loss_pct = loss * 100;
  g_mutex_unlock (&self->stats_lock);
}
