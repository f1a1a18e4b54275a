/* sl-session.c — an SlSession's life: negotiation, ICE and state.
 *
 * webrtcbin calls back from its own threads (promise replies, ICE candidates,
 * state notifications).  Each such callback only copies what it needs and
 * hands it to the control thread with sl_session_invoke(); everything that
 * touches the session's state or calls the application runs there.  This
 * keeps the application single-threaded, as sl-media.h promises.
 *
 * Negotiation follows JSEP (RFC 8829): the SENDER makes the offer once its
 * pipeline runs (webrtcbin's on-negotiation-needed); the VIEWER applies the
 * offer, links its own voice to the offered audio transceiver, and answers.
 */
#include "sl-session-private.h"
#include "sl-session-state.h"

#include <gst/sdp/sdp.h>
#include <nice/agent.h>

GST_DEBUG_CATEGORY (sl_session_debug);
#define GST_CAT_DEFAULT sl_session_debug

G_DEFINE_TYPE (SlSession, sl_session, G_TYPE_OBJECT)

void
sl_session_set_state (SlSession *self, SlSessionState state)
{
  SlSessionState old = self->state;

  if (!sl_session_state_allowed (old, state))
    {
      GST_DEBUG_OBJECT (self->pipeline, "ignoring %s -> %s",
                        sl_session_state_name (old),
                        sl_session_state_name (state));
      return;
    }
  GST_INFO_OBJECT (self->pipeline, "state %s -> %s",
                   sl_session_state_name (old), sl_session_state_name (state));
  self->state = state;
  if (state == SL_SESSION_STATE_CONNECTED && self->role == SL_SESSION_SENDER)
    sl_session_media_start_video (self);
  if (self->callbacks.state_changed != NULL && state != SL_SESSION_STATE_CLOSED)
    self->callbacks.state_changed (self, state, self->user_data);
}

gboolean
sl_session_is_closed (SlSession *self)
{
  return g_atomic_int_get (&self->closed);
}

typedef struct
{
  SlSession *self;
  void (*func) (SlSession *, gpointer);
  gpointer data;
  GDestroyNotify destroy;
} Invocation;

static gboolean
run_invocation (gpointer user_data)
{
  Invocation *inv = user_data;

  if (!sl_session_is_closed (inv->self))
    inv->func (inv->self, inv->data);
  return G_SOURCE_REMOVE;
}

static void
free_invocation (gpointer user_data)
{
  Invocation *inv = user_data;

  if (inv->destroy != NULL && inv->data != NULL)
    inv->destroy (inv->data);
  g_object_unref (inv->self);
  g_free (inv);
}

void
sl_session_invoke (SlSession *self, void (*func) (SlSession *, gpointer),
                   gpointer data, GDestroyNotify destroy)
{
  Invocation *inv = g_new0 (Invocation, 1);
  GSource *source;

  inv->self = g_object_ref (self);
  inv->func = func;
  inv->data = data;
  inv->destroy = destroy;
  /* Always queued, never run on the calling thread: g_main_context_invoke
   * runs the function at once when the calling thread can take the
   * context, which a streaming thread sometimes can between two
   * iterations of the main loop, and a message handed over then overtook
   * the ones queued before it (a still's chunks arrived out of order).
   * Idle sources of one priority are dispatched in the order attached. */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, run_invocation, inv, free_invocation);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/* ---- local descriptions ---- */

typedef struct
{
  gchar *type;
  gchar *sdp;
} LocalDescription;

static void
local_description_free (gpointer data)
{
  LocalDescription *ld = data;

  g_free (ld->type);
  g_free (ld->sdp);
  g_free (ld);
}

static void
deliver_local_description (SlSession *self, gpointer data)
{
  LocalDescription *ld = data;

  if (self->state == SL_SESSION_STATE_NEW)
    sl_session_set_state (self, SL_SESSION_STATE_NEGOTIATING);
  if (g_str_equal (ld->type, "answer"))
    sl_session_set_state (self, SL_SESSION_STATE_CONNECTING);
  self->callbacks.local_description (self, ld->type, ld->sdp, self->user_data);
}

static void
fail_on_control_thread (SlSession *self, gpointer data)
{
  GST_WARNING_OBJECT (self->pipeline, "session failed: %s",
                      (const gchar *)data);
  sl_session_set_state (self, SL_SESSION_STATE_FAILED);
}

static void
fail_from_any_thread (SlSession *self, const gchar *why)
{
  sl_session_invoke (self, fail_on_control_thread, g_strdup (why), g_free);
}

/* webrtcbin thread: the offer or answer we asked for is ready. */
static void
on_description_created (GstPromise *promise, gpointer user_data)
{
  SlSession *self = user_data;
  const gboolean is_offer = self->role == SL_SESSION_SENDER;
  const GstStructure *reply;
  GstWebRTCSessionDescription *desc = NULL;
  LocalDescription *ld;

  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED
      || (reply = gst_promise_get_reply (promise)) == NULL
      || !gst_structure_get (reply, is_offer ? "offer" : "answer",
                             GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL))
    {
      gst_promise_unref (promise);
      fail_from_any_thread (self, is_offer ? "could not create the offer"
                                           : "could not create the answer");
      g_object_unref (self);
      return;
    }
  gst_promise_unref (promise);

  g_signal_emit_by_name (self->webrtc, "set-local-description", desc, NULL);
  ld = g_new0 (LocalDescription, 1);
  ld->type = g_strdup (is_offer ? "offer" : "answer");
  ld->sdp = gst_sdp_message_as_text (desc->sdp);
  gst_webrtc_session_description_free (desc);
  sl_session_invoke (self, deliver_local_description, ld,
                     local_description_free);
  g_object_unref (self);
}

static void
create_description (SlSession *self)
{
  GstPromise *promise = gst_promise_new_with_change_func (
      on_description_created, g_object_ref (self), NULL);

  g_signal_emit_by_name (self->webrtc,
                         self->role == SL_SESSION_SENDER ? "create-offer"
                                                         : "create-answer",
                         NULL, promise);
}

static void
offer_on_control_thread (SlSession *self, gpointer data)
{
  GstWebRTCSignalingState signaling;

  /* webrtcbin may ask more than once (each linked pad, the channel); one
   * offer covers them all as long as none is pending. */
  g_object_get (self->webrtc, "signaling-state", &signaling, NULL);
  if (signaling != GST_WEBRTC_SIGNALING_STATE_STABLE
      || self->state != SL_SESSION_STATE_NEW)
    return;
  sl_session_set_state (self, SL_SESSION_STATE_NEGOTIATING);
  create_description (self);
}

static void
on_negotiation_needed (GstElement *webrtc, SlSession *self)
{
  if (self->role == SL_SESSION_SENDER)
    sl_session_invoke (self, offer_on_control_thread, NULL, NULL);
}

/* ---- ICE ---- */

typedef struct
{
  guint mline;
  gchar *candidate;
} Candidate;

static void
candidate_free (gpointer data)
{
  Candidate *c = data;

  g_free (c->candidate);
  g_free (c);
}

static void
deliver_candidate (SlSession *self, gpointer data)
{
  Candidate *c = data;

  self->callbacks.local_candidate (self, c->mline, c->candidate,
                                   self->user_data);
}

static void
on_ice_candidate (GstElement *webrtc, guint mline, gchar *candidate,
                  SlSession *self)
{
  Candidate *c = g_new0 (Candidate, 1);

  c->mline = mline;
  c->candidate = g_strdup (candidate ? candidate : "");
  sl_session_invoke (self, deliver_candidate, c, candidate_free);
}

static void
apply_connection_state (SlSession *self, gpointer data)
{
  GstWebRTCPeerConnectionState pc = GPOINTER_TO_INT (data);

  switch (pc)
    {
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED:
      sl_session_set_state (self, SL_SESSION_STATE_CONNECTED);
      break;
    case GST_WEBRTC_PEER_CONNECTION_STATE_DISCONNECTED:
      sl_session_set_state (self, SL_SESSION_STATE_DISCONNECTED);
      break;
    case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED:
      sl_session_set_state (self, SL_SESSION_STATE_FAILED);
      break;
    default:
      break;
    }
}

static void
on_connection_state (GObject *webrtc, GParamSpec *pspec, SlSession *self)
{
  GstWebRTCPeerConnectionState pc;

  g_object_get (webrtc, "connection-state", &pc, NULL);
  sl_session_invoke (self, apply_connection_state, GINT_TO_POINTER (pc), NULL);
}

/* Restricts ICE to the given local addresses.  libnice otherwise gathers
 * every interface but loopback; a station on a multi-homed capture box, or a
 * test that must stay on loopback, names its addresses instead. */
static gboolean
restrict_ice_addresses (SlSession *self, const gchar *const *addresses,
                        GError **error)
{
  g_autoptr (GObject) ice = NULL;
  NiceAgent *agent = NULL;

  g_object_get (self->webrtc, "ice-agent", &ice, NULL);
  g_object_set (ice, "ice-tcp", FALSE, NULL);
  if (addresses == NULL || addresses[0] == NULL)
    return TRUE;
  g_object_get (ice, "agent", &agent, NULL);
  for (gsize i = 0; addresses[i] != NULL; i++)
    {
      NiceAddress addr;

      if (!nice_address_set_from_string (&addr, addresses[i]))
        {
          g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_ARGUMENT,
                       "'%s' is not an IP address (--ice-address)",
                       addresses[i]);
          g_object_unref (agent);
          return FALSE;
        }
      nice_agent_add_local_address (agent, &addr);
    }
  g_object_unref (agent);
  return TRUE;
}

/* ---- bus ---- */

static gboolean
on_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  SlSession *self = user_data;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ERROR:
      {
        g_autoptr (GError) error = NULL;
        g_autofree gchar *debug = NULL;

        gst_message_parse_error (message, &error, &debug);
        GST_WARNING_OBJECT (self->pipeline, "error from %s: %s (%s)",
                            GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
                            error->message, debug ? debug : "");
        sl_session_set_state (self, SL_SESSION_STATE_FAILED);
        break;
      }
    case GST_MESSAGE_ELEMENT:
      sl_session_stats_on_element_message (self,
                                           gst_message_get_structure (message));
      break;
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_stats_timer (gpointer user_data)
{
  sl_session_stats_poll (user_data);
  sl_session_stats_adapt_jitter (user_data);
  sl_session_link_poll (user_data);
  sl_session_fec_poll (user_data);
  sl_session_rate_poll (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_ping_timer (gpointer user_data)
{
  sl_session_channel_ping (user_data);
  return G_SOURCE_CONTINUE;
}

/* ---- public API ---- */

SlSession *
sl_session_new (const SlSessionConfig *config,
                const SlSessionCallbacks *callbacks, gpointer user_data,
                GError **error)
{
  g_autoptr (SlSession) self = g_object_new (SL_TYPE_SESSION, NULL);
  g_autofree gchar *name = NULL;

  if (sl_session_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (sl_session_debug, "sl-session", 0,
                             "sonolink peer connection");

  self->role = config->role;
  self->peer_id = g_strdup (config->peer_id ? config->peer_id : "peer");
  self->video_bitrate_kbps
      = config->video_bitrate_kbps ? config->video_bitrate_kbps : 4000;
  self->min_kbps
      = MIN (config->min_bitrate_kbps ? config->min_bitrate_kbps : 300,
             self->video_bitrate_kbps);
  self->floor_kbps = config->floor_kbps ? config->floor_kbps : 500;
  self->fixed_rate = config->fixed_rate;
  self->x264_options = g_strdup (config->x264_options);
  self->jitter_ms = config->jitter_ms;
  sl_jitter_policy_init (&self->jitter_policy, self->jitter_ms);
  sl_jitter_policy_init (&self->video_jitter_policy, self->jitter_ms);
  /* One frame at 30 fps; a slower source only waits a little less than
   * it could. */
  self->video_jitter_policy.frame_ms = 33;
  self->video_jitter_policy.round_trips = 2;
  self->video_ceiling_ms = self->video_jitter_policy.ceiling_ms;
  self->jitter_ms = self->jitter_policy.current_ms;
  sl_fec_policy_init (&self->fec_policy);
  self->no_fec = config->no_fec;
  self->fec_pt = -1;
  self->paced_display = config->paced_display;
  self->send_audio = config->send_audio;
  self->recv_audio = config->recv_audio;
  self->callbacks = *callbacks;
  self->user_data = user_data;
  self->context = g_main_context_ref_thread_default ();
  if (config->video_sink != NULL)
    self->video_sink = gst_object_ref_sink (config->video_sink);
  if (config->audio_sink != NULL)
    self->audio_sink = gst_object_ref_sink (config->audio_sink);

  name = g_strdup_printf ("session-%s", self->peer_id);
  self->pipeline = gst_pipeline_new (name);
  sl_media_use_system_clock (self->pipeline);
  sl_session_link_init (self, config->restart_after_ms, config->resumed);
  self->webrtc = sl_media_make_element ("webrtcbin", "webrtc", error);
  if (self->webrtc == NULL)
    return NULL;
  g_object_set (self->webrtc, "bundle-policy",
                GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency", self->jitter_ms,
                NULL);
  gst_bin_add (GST_BIN (self->pipeline), self->webrtc);
  if (!restrict_ice_addresses (self, config->ice_addresses, error))
    return NULL;
  sl_session_rate_init (self);
  sl_session_link_watch_webrtc (self);

  g_signal_connect (self->webrtc, "on-negotiation-needed",
                    G_CALLBACK (on_negotiation_needed), self);
  g_signal_connect (self->webrtc, "on-ice-candidate",
                    G_CALLBACK (on_ice_candidate), self);
  g_signal_connect (self->webrtc, "notify::connection-state",
                    G_CALLBACK (on_connection_state), self);
  g_signal_connect (self->webrtc, "pad-added",
                    G_CALLBACK (sl_session_media_on_pad_added), self);

  if (!sl_session_media_build_send (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

static void
on_data_channel (GstElement *webrtc, GstWebRTCDataChannel *channel,
                 SlSession *self)
{
  sl_session_invoke (
      self, (void (*) (SlSession *, gpointer))sl_session_channel_attach,
      g_object_ref (channel), g_object_unref);
  sl_session_guide_watch (self, channel);
}

gboolean
sl_session_start (SlSession *self, GError **error)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (self->pipeline);

  self->bus_watch = gst_bus_add_watch (bus, on_bus_message, self);
  g_signal_connect (self->webrtc, "on-data-channel",
                    G_CALLBACK (on_data_channel), self);

  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE)
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "the session pipeline for peer %s could not start",
                   self->peer_id);
      return FALSE;
    }
  /* The sender owns the control channel; creating it also (re)triggers
   * negotiation so it is in the first offer. */
  if (self->role == SL_SESSION_SENDER)
    sl_session_channel_create (self);

  self->stats_timer = g_timeout_add_seconds (1, on_stats_timer, self);
  self->ping_timer = g_timeout_add_seconds (1, on_ping_timer, self);
  return TRUE;
}

/* webrtcbin thread: the remote offer is applied; link our voice to the
 * offered audio transceiver and answer, on the control thread. */
static void
answer_on_control_thread (SlSession *self, gpointer data)
{
  g_autoptr (GError) error = NULL;

  if (self->send_audio && !self->audio_send_linked
      && !sl_session_media_link_audio_send (self, &error))
    GST_WARNING_OBJECT (self->pipeline, "not sending voice: %s",
                        error->message);
  create_description (self);
}

static void
on_remote_offer_set (GstPromise *promise, gpointer user_data)
{
  SlSession *self = user_data;

  gst_promise_unref (promise);
  sl_session_invoke (self, answer_on_control_thread, NULL, NULL);
  g_object_unref (self);
}

gboolean
sl_session_set_remote_description (SlSession *self, const gchar *type,
                                   const gchar *sdp, GError **error)
{
  GstSDPMessage *msg = NULL;
  GstWebRTCSessionDescription *desc;
  GstWebRTCSDPType sdp_type;
  GstPromise *promise;

  if (g_strcmp0 (type, "offer") == 0 && self->role == SL_SESSION_VIEWER)
    sdp_type = GST_WEBRTC_SDP_TYPE_OFFER;
  else if (g_strcmp0 (type, "answer") == 0 && self->role == SL_SESSION_SENDER)
    sdp_type = GST_WEBRTC_SDP_TYPE_ANSWER;
  else
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_NEGOTIATION,
                   "unexpected SDP %s for a %s session", type,
                   self->role == SL_SESSION_SENDER ? "sending" : "viewing");
      return FALSE;
    }
  if (gst_sdp_message_new_from_text (sdp, &msg) != GST_SDP_OK
      || gst_sdp_message_medias_len (msg) == 0)
    {
      if (msg != NULL)
        gst_sdp_message_free (msg);
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_NEGOTIATION,
                   "the peer's SDP %s could not be parsed", type);
      return FALSE;
    }
  /* The township sends FEC with the payload type it offered. */
  if (sdp_type == GST_WEBRTC_SDP_TYPE_OFFER)
    {
      gint fec_pt = sl_session_fec_pt_from_sdp (msg);

      __atomic_store_n (&self->fec_pt, fec_pt, __ATOMIC_RELAXED);
      if (fec_pt < 0)
        GST_INFO_OBJECT (self->pipeline, "the offer has no ULPFEC: lost "
                                         "video is only asked for again");
      else
        GST_INFO_OBJECT (self->pipeline, "ULPFEC offered as payload type %d",
                         fec_pt);
    }
  desc = gst_webrtc_session_description_new (sdp_type, msg);
  if (sdp_type == GST_WEBRTC_SDP_TYPE_OFFER)
    {
      if (self->state == SL_SESSION_STATE_NEW)
        sl_session_set_state (self, SL_SESSION_STATE_NEGOTIATING);
      promise = gst_promise_new_with_change_func (on_remote_offer_set,
                                                  g_object_ref (self), NULL);
    }
  else
    {
      sl_session_set_state (self, SL_SESSION_STATE_CONNECTING);
      promise = NULL;
    }
  g_signal_emit_by_name (self->webrtc, "set-remote-description", desc, promise);
  gst_webrtc_session_description_free (desc);
  return TRUE;
}

void
sl_session_add_remote_candidate (SlSession *self, guint mline,
                                 const gchar *candidate)
{
  if (candidate == NULL || candidate[0] == '\0')
    return;
  g_signal_emit_by_name (self->webrtc, "add-ice-candidate", mline, candidate);
}

GstAppSrc *
sl_session_get_video_source (SlSession *self)
{
  return self->video_src;
}

GstAppSrc *
sl_session_get_audio_source (SlSession *self)
{
  return self->audio_src;
}

SlSessionState
sl_session_get_state (SlSession *self)
{
  return self->state;
}

const gchar *
sl_session_get_peer_id (SlSession *self)
{
  return self->peer_id;
}

SlSessionRole
sl_session_get_role (SlSession *self)
{
  return self->role;
}

void
sl_session_get_stats (SlSession *self, SlSessionStats *stats)
{
  g_mutex_lock (&self->stats_lock);
  *stats = self->stats;
  g_mutex_unlock (&self->stats_lock);
  /* The frame counters are live and the RTP ones are as of the last
   * report: the one time that fits both is now.  Stamping the webrtcbin
   * report's arrival instead made the first interval a few milliseconds
   * long and its rates absurd. */
  stats->time_us = sl_media_now_us ();
}

void
sl_session_close (SlSession *self)
{
  if (g_atomic_int_get (&self->closed))
    return;
  sl_session_set_state (self, SL_SESSION_STATE_CLOSED);
  g_atomic_int_set (&self->closed, TRUE);
  g_clear_handle_id (&self->stats_timer, g_source_remove);
  g_clear_handle_id (&self->ping_timer, g_source_remove);
  g_clear_handle_id (&self->bus_watch, g_source_remove);
  sl_session_rate_close (self);
  sl_session_channel_detach (self);
  sl_session_guide_close (self);
  if (self->pipeline != NULL)
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
}

static void
sl_session_finalize (GObject *object)
{
  SlSession *self = SL_SESSION (object);

  sl_session_close (self);
  g_clear_pointer (&self->x264_options, g_free);
  gst_clear_object (&self->video_sink);
  gst_clear_object (&self->audio_sink);
  gst_clear_object (&self->video_src);
  gst_clear_object (&self->audio_src);
  gst_clear_object (&self->video_trans);
  gst_clear_object (&self->display);
  sl_session_rate_clear (self);
  gst_clear_object (&self->pipeline);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->stats_lock);
  g_array_unref (self->pings);
  g_free (self->peer_id);
  G_OBJECT_CLASS (sl_session_parent_class)->finalize (object);
}

static void
sl_session_class_init (SlSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sl_session_finalize;
}

static void
sl_session_init (SlSession *self)
{
  g_mutex_init (&self->stats_lock);
  self->pings = g_array_new (FALSE, FALSE, 2 * sizeof (gint64));
  self->stats.rtt_ms = -1;
  self->stats.jitter_ms = -1;
  self->stats.dc_rtt_ms = -1;
  self->stats.audio_level_db = -G_MAXDOUBLE;
  self->stats.stage_capture_ms = self->stats.stage_encode_ms = -1;
  self->stats.stage_decode_ms = self->stats.stage_output_ms = -1;
  self->stats.latency_estimate_ms = -1;
  self->peer_send_ms = -1;
  sl_stage_init (&self->stage_capture);
  sl_stage_init (&self->stage_encode);
  sl_stage_init (&self->stage_decode);
  sl_stage_init (&self->stage_output);
}
