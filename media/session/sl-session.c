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
 *
 * Once a second the session ticks: one walk of webrtcbin's elements, an
 * SlSessionTick filled by every concern with what it measured, then every
 * concern acting on it (sl-session-private.h says why in two phases).
 * Elements that appear inside the pipeline are offered to the concerns
 * that set them up, from one "deep-element-added" handler.
 */
#include "sl-session-private.h"
#include "sl-session-state.h"
#include "sl-stats.h"

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

/* ---- promises handed to webrtcbin ---- */

GstPromise *
sl_session_promise_new (SlSession *self, GstPromiseChangeFunc func)
{
  GstPromise *promise
      = gst_promise_new_with_change_func (func, g_object_ref (self), NULL);

  g_mutex_lock (&self->promise_lock);
  g_ptr_array_add (self->promises, gst_promise_ref (promise));
  g_mutex_unlock (&self->promise_lock);
  return promise;
}

void
sl_session_promise_done (SlSession *self, GstPromise *promise)
{
  g_mutex_lock (&self->promise_lock);
  g_ptr_array_remove_fast (self->promises, promise);
  g_mutex_unlock (&self->promise_lock);
  g_object_unref (self);
}

/* Called once webrtcbin has stopped: what it left unreplied is
 * interrupted, so that its change function releases what it holds and
 * the promise is not freed pending. */
static void
interrupt_promises (SlSession *self)
{
  g_autoptr (GPtrArray) left = NULL;

  g_mutex_lock (&self->promise_lock);
  left = g_steal_pointer (&self->promises);
  self->promises
      = g_ptr_array_new_with_free_func ((GDestroyNotify)gst_promise_unref);
  g_mutex_unlock (&self->promise_lock);
  for (guint i = 0; i < left->len; i++)
    gst_promise_interrupt (left->pdata[i]);
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

/* webrtcbin thread: our description is set (or could not be: the
 * session then fails on the signalling state it leaves). */
static void
on_local_description_set (GstPromise *promise, gpointer user_data)
{
  sl_session_promise_done (user_data, promise);
}

/* webrtcbin thread: the offer or answer we asked for is ready. */
static void
on_description_created (GstPromise *promise, gpointer user_data)
{
  SlSession *self = user_data;
  const gboolean is_offer = self->role == SL_SESSION_SENDER;
  const GstStructure *reply;
  GstWebRTCSessionDescription *desc = NULL;
  GstPromise *local;
  LocalDescription *ld;

  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED
      || (reply = gst_promise_get_reply (promise)) == NULL
      || !gst_structure_get (reply, is_offer ? "offer" : "answer",
                             GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL))
    {
      fail_from_any_thread (self, is_offer ? "could not create the offer"
                                           : "could not create the answer");
      sl_session_promise_done (self, promise);
      return;
    }

  /* A promise of our own even though nothing waits on it: webrtcbin
   * 1.22, closed meanwhile (the session torn down while the offer was
   * made), replies with an error structure, and to a NULL promise it
   * leaks that structure and logs a critical. */
  local = sl_session_promise_new (self, on_local_description_set);
  g_signal_emit_by_name (self->webrtc, "set-local-description", desc, local);
  gst_promise_unref (local);
  ld = g_new0 (LocalDescription, 1);
  ld->type = g_strdup (is_offer ? "offer" : "answer");
  ld->sdp = gst_sdp_message_as_text (desc->sdp);
  gst_webrtc_session_description_free (desc);
  sl_session_invoke (self, deliver_local_description, ld,
                     local_description_free);
  sl_session_promise_done (self, promise);
}

static void
create_description (SlSession *self)
{
  GstPromise *promise = sl_session_promise_new (self, on_description_created);

  g_signal_emit_by_name (self->webrtc,
                         self->role == SL_SESSION_SENDER ? "create-offer"
                                                         : "create-answer",
                         NULL, promise);
  gst_promise_unref (promise);
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

/* Sets libnice up: UDP only, no UPnP, and, when given, only the named
 * local addresses.  libnice otherwise gathers every interface but
 * loopback; a station on a multi-homed capture box, or a test that must
 * stay on loopback, names its addresses instead.  UPnP would have every
 * session multicast SSDP searches on the hospital's network and ask its
 * routers to open ports: nothing a clinical station should do unasked. */
static gboolean
set_up_ice (SlSession *self, const gchar *const *addresses, GError **error)
{
  g_autoptr (GObject) ice = NULL;
  g_autoptr (GObject) agent = NULL;

  g_object_get (self->webrtc, "ice-agent", &ice, NULL);
  g_object_set (ice, "ice-tcp", FALSE, NULL);
  g_object_get (ice, "agent", &agent, NULL);
  if (agent != NULL
      && g_object_class_find_property (G_OBJECT_GET_CLASS (agent), "upnp")
             != NULL)
    g_object_set (agent, "upnp", FALSE, NULL);
  if (addresses == NULL || addresses[0] == NULL)
    return TRUE;
  for (gsize i = 0; addresses[i] != NULL; i++)
    {
      NiceAddress addr;

      if (!nice_address_set_from_string (&addr, addresses[i]))
        {
          g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_ARGUMENT,
                       "'%s' is not an IP address (--ice-address)",
                       addresses[i]);
          return FALSE;
        }
      nice_agent_add_local_address (NICE_AGENT (agent), &addr);
    }
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
      sl_session_measure_on_element_message (
          self, gst_message_get_structure (message));
      break;
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

/* ---- the tick ---- */

const gchar *
sl_session_factory_name (GstElement *element)
{
  GstElementFactory *factory = gst_element_get_factory (element);

  return factory != NULL ? GST_OBJECT_NAME (factory) : "";
}

gboolean
sl_session_element_has_ssrc (GstElement *element, guint ssrc)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (element, "src");
  g_autoptr (GstCaps) caps = pad ? gst_pad_get_current_caps (pad) : NULL;
  guint found;

  /* A jitter buffer's caps name only the SSRC, not the media; the stats
   * say which SSRC is the video. */
  if (ssrc == 0 || caps == NULL || gst_caps_is_empty (caps))
    return FALSE;
  return gst_structure_get_uint (gst_caps_get_structure (caps, 0), "ssrc",
                                 &found)
         && found == ssrc;
}

/* The one walk of webrtcbin's elements a tick. */
static void
walk_webrtc (SlSession *self, SlWebrtcElements *out)
{
  g_autoptr (GstIterator) it = gst_bin_iterate_recurse (GST_BIN (self->webrtc));
  GValue item = G_VALUE_INIT;

  out->jitterbuffers = g_ptr_array_new_with_free_func (gst_object_unref);
  out->rtx_senders = g_ptr_array_new_with_free_func (gst_object_unref);
  out->fec_encoders = g_ptr_array_new_with_free_func (gst_object_unref);
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      GstElement *e = g_value_get_object (&item);
      const gchar *name = sl_session_factory_name (e);

      if (g_str_equal (name, "rtpjitterbuffer"))
        g_ptr_array_add (out->jitterbuffers, gst_object_ref (e));
      else if (g_str_equal (name, "rtprtxsend"))
        g_ptr_array_add (out->rtx_senders, gst_object_ref (e));
      else if (g_str_equal (name, "rtpulpfecenc"))
        g_ptr_array_add (out->fec_encoders, gst_object_ref (e));
      g_value_reset (&item);
    }
  g_value_unset (&item);
}

static void
clear_elements (SlWebrtcElements *e)
{
  g_clear_pointer (&e->jitterbuffers, g_ptr_array_unref);
  g_clear_pointer (&e->rtx_senders, g_ptr_array_unref);
  g_clear_pointer (&e->fec_encoders, g_ptr_array_unref);
}

/* Control thread, once a second. */
static gboolean
on_tick (gpointer user_data)
{
  SlSession *self = user_data;
  SlWebrtcElements elements = { 0 };
  SlSessionTick tick = { 0 };

  walk_webrtc (self, &elements);
  tick.now_us = sl_media_now_us ();
  tick.elements = &elements;
  /* What each concern measured; each fills its own fields. */
  sl_session_measure_tick_input (self, &tick);
  sl_session_channel_tick_input (self, &tick);
  sl_session_rate_tick_input (self, &tick);
  sl_session_fec_tick_input (self, &tick);
  sl_session_recovery_tick_input (self, &tick);
  tick.rtt_ms = sl_stats_pick_rtt_ms (tick.rtcp_rtt_ms, tick.dc_rtt_ms);
  /* What each does about it, from the tick and its own state alone. */
  sl_session_measure_tick (self, &tick);
  sl_session_channel_tick (self, &tick);
  sl_session_recovery_tick (self, &tick);
  sl_session_link_tick (self, &tick);
  sl_session_fec_tick (self, &tick);
  sl_session_rate_tick (self, &tick);
  clear_elements (&elements);
  /* The next report, for the next tick. */
  sl_session_measure_request_report (self);
  return G_SOURCE_CONTINUE;
}

/* Any thread: an element appeared anywhere inside the pipeline; the
 * concern that sets such elements up takes it. */
static void
on_deep_element_added (GstBin *bin, GstBin *sub_bin, GstElement *element,
                       SlSession *self)
{
  if (sl_session_fec_element_added (self, element))
    return;
  if (sl_session_recovery_element_added (self, element))
    return;
  sl_session_link_element_added (self, element);
}

/* ---- public API ---- */

SlSession *
sl_session_new (const SlSessionConfig *config,
                const SlSessionCallbacks *callbacks, gpointer user_data,
                GError **error)
{
  g_autoptr (SlSession) self = g_object_new (SL_TYPE_SESSION, NULL);
  g_autofree gchar *name = NULL;
  SlSessionConfig c = *config;

  /* The defaults every concern sees. */
  if (c.video_bitrate_kbps == 0)
    c.video_bitrate_kbps = 4000;
  config = &c;
  if (sl_session_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (sl_session_debug, "sl-session", 0,
                             "sonolink peer connection");

  self->role = config->role;
  self->peer_id = g_strdup (config->peer_id ? config->peer_id : "peer");
  self->callbacks = *callbacks;
  self->user_data = user_data;
  self->context = g_main_context_ref_thread_default ();

  name = g_strdup_printf ("session-%s", self->peer_id);
  self->pipeline = gst_pipeline_new (name);
  sl_media_use_system_clock (self->pipeline);
  g_signal_connect (self->pipeline, "deep-element-added",
                    G_CALLBACK (on_deep_element_added), self);
  self->webrtc = sl_media_make_element ("webrtcbin", "webrtc", error);
  if (self->webrtc == NULL)
    return NULL;
  g_object_set (self->webrtc, "bundle-policy",
                GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  gst_bin_add (GST_BIN (self->pipeline), self->webrtc);
  if (!set_up_ice (self, config->ice_addresses, error))
    return NULL;

  /* The concerns, each with its own state (sl-session-private.h). */
  sl_session_measure_new (self);
  sl_session_record_new (self);
  sl_session_channel_new (self);
  sl_session_link_new (self, config);
  sl_session_fec_new (self, config);
  sl_session_recovery_new (self, config);
  sl_session_rate_new (self, config);
  if (!sl_session_media_new (self, config, error))
    return NULL;

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

  self->tick_timer = g_timeout_add_seconds (1, on_tick, self);
  return TRUE;
}

/* webrtcbin thread: the remote offer is applied; link our voice to the
 * offered audio transceiver and answer, on the control thread. */
static void
answer_on_control_thread (SlSession *self, gpointer data)
{
  g_autoptr (GError) error = NULL;

  if (!sl_session_media_link_audio_send (self, &error))
    GST_WARNING_OBJECT (self->pipeline, "not sending voice: %s",
                        error->message);
  create_description (self);
}

static void
on_remote_offer_set (GstPromise *promise, gpointer user_data)
{
  SlSession *self = user_data;

  sl_session_invoke (self, answer_on_control_thread, NULL, NULL);
  sl_session_promise_done (self, promise);
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
    sl_session_fec_remote_offer (self, msg);
  desc = gst_webrtc_session_description_new (sdp_type, msg);
  if (sdp_type == GST_WEBRTC_SDP_TYPE_OFFER)
    {
      if (self->state == SL_SESSION_STATE_NEW)
        sl_session_set_state (self, SL_SESSION_STATE_NEGOTIATING);
      promise = sl_session_promise_new (self, on_remote_offer_set);
    }
  else
    {
      sl_session_set_state (self, SL_SESSION_STATE_CONNECTING);
      promise = NULL;
    }
  g_signal_emit_by_name (self->webrtc, "set-remote-description", desc, promise);
  if (promise != NULL)
    gst_promise_unref (promise);
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
  return sl_session_media_video_source (self);
}

GstAppSrc *
sl_session_get_audio_source (SlSession *self)
{
  return sl_session_media_audio_source (self);
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

GstElement *
sl_session_get_pipeline (SlSession *self)
{
  return self->pipeline;
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
  sl_session_measure_live (self, stats);
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
  g_clear_handle_id (&self->tick_timer, g_source_remove);
  g_clear_handle_id (&self->bus_watch, g_source_remove);
  sl_session_rate_close (self);
  sl_session_channel_detach (self);
  sl_session_guide_close (self);
  /* A pipeline that fails its way down stays where it was, PLAYING, and
   * is disposed so later with a critical for each element: the log says
   * where that began. */
  if (self->pipeline != NULL
      && gst_element_set_state (self->pipeline, GST_STATE_NULL)
             == GST_STATE_CHANGE_FAILURE)
    GST_ERROR_OBJECT (self->pipeline, "the pipeline did not stop");
  interrupt_promises (self);
}

static void
sl_session_finalize (GObject *object)
{
  SlSession *self = SL_SESSION (object);

  sl_session_close (self);
  /* The pipeline first: no streaming thread may touch a concern's state
   * once it is freed. */
  if (self->pipeline != NULL)
    g_signal_handlers_disconnect_by_data (self->pipeline, self);
  gst_clear_object (&self->pipeline);
  sl_session_media_free (self);
  sl_session_rate_free (self);
  sl_session_recovery_free (self);
  sl_session_fec_free (self);
  sl_session_link_free (self);
  sl_session_channel_free (self);
  sl_session_measure_free (self);
  sl_session_record_free (self);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->stats_lock);
  g_clear_pointer (&self->promises, g_ptr_array_unref);
  g_mutex_clear (&self->promise_lock);
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
  g_mutex_init (&self->promise_lock);
  self->promises
      = g_ptr_array_new_with_free_func ((GDestroyNotify)gst_promise_unref);
  self->stats.rtt_ms = -1;
  self->stats.jitter_ms = -1;
  self->stats.dc_rtt_ms = -1;
  self->stats.audio_level_db = -G_MAXDOUBLE;
  self->stats.stage_capture_ms = self->stats.stage_encode_ms = -1;
  self->stats.stage_decode_ms = self->stats.stage_output_ms = -1;
  self->stats.latency_estimate_ms = -1;
  self->stats.video_lost_pct = self->stats.video_repaired_pct = -1;
  self->stats.bwe_queue_ms = -1;
}
