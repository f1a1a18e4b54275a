/* sl-session-channel.c — the session's control data channel.
 *
 * The SENDER creates one reliable, ordered SCTP data channel, "sl-control";
 * the VIEWER receives it.  For now it carries a ping once a second each way,
 * {"type":"ping","seq":N} answered by {"type":"pong","seq":N}, which proves
 * the channel end to end and measures its round trip.  The SENDER's ping
 * also says how long its frames took from capture to the encoder's output
 * over the last second ("send_ms"), from which the VIEWER estimates the
 * glass-to-glass latency without any stamp in the picture
 * (sl_stats_latency_estimate).  The VIEWER's ping says what the link lost
 * of the video over its last second and what was repaired (sl-loss.h),
 * which the SENDER shows as its own loss figure, so that both stations
 * say the same.  The guidance layer (docs/guidance.md) has
 * channels of its own (guide/sl-session-guide.c).  Data-channel
 * callbacks arrive on SCTP threads and are handed to the control thread;
 * SlSessionChannel is touched only there.  The ping goes out with the
 * session's tick.
 */
#include "sl-session-private.h"

#include "sl-control.h"
#include "sl-webrtc-stats.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (sl_control_debug);
#define GST_CAT_DEFAULT sl_control_debug

#define SL_CONTROL_CHANNEL "sl-control"

/* At most this many pings are outstanding; older ones are forgotten. */
#define MAX_OUTSTANDING 8

typedef struct
{
  guint64 seq;
  gint64 sent_us;
} Ping;

struct _SlSessionChannel
{
  GstWebRTCDataChannel *channel; /* owned, or NULL */
  guint64 ping_seq;
  GArray *pings;        /* element-type Ping: outstanding */
  gdouble rtt_ms;       /* the last ping's round trip, < 0: none yet */
  gdouble peer_send_ms; /* VIEWER: the sender's capture to encoder output,
                            < 0 until it says */
  /* SENDER: the viewer's last loss figures (< 0: unknown) and when they
   * came. */
  gdouble peer_lost_pct, peer_repaired_pct;
  gint64 peer_loss_us;
};

/* The viewer's figures are shown for this long; then they are stale. */
#define PEER_LOSS_FRESH_US (3 * G_USEC_PER_SEC)

/* A pong, or a ping with what its sender adds (@tick, NULL for a pong):
 * the SENDER's capture to encoder output, the VIEWER's loss figures. */
static void
send_json (SlSession *self, SlControlType type, guint64 seq,
           const SlSessionTick *tick)
{
  SlControlMsg msg = { type, seq, -1, -1, -1 };
  g_autofree gchar *text = NULL;

  if (tick != NULL && self->role == SL_SESSION_SENDER
      && tick->stage_capture_ms >= 0 && tick->stage_encode_ms >= 0)
    msg.send_ms = MIN (tick->stage_capture_ms + tick->stage_encode_ms,
                       SL_CONTROL_MAX_SEND_MS);
  if (tick != NULL && self->role == SL_SESSION_VIEWER)
    {
      msg.lost_pct = tick->video_lost_pct;
      msg.repaired_pct = tick->video_repaired_pct;
    }
  text = sl_control_serialize (&msg);
  g_signal_emit_by_name (self->channel->channel, "send-string", text);
}

static void
on_pong (SlSession *self, guint64 seq)
{
  SlSessionChannel *c = self->channel;
  GArray *pings = c->pings;

  for (guint i = 0; i < pings->len; i++)
    {
      Ping *p = &g_array_index (pings, Ping, i);
      gdouble rtt_ms;

      if (p->seq != seq)
        continue;
      rtt_ms = (sl_media_now_us () - p->sent_us) / 1000.0;
      g_array_remove_index (pings, i);
      /* A pong that took over a minute answers a ping of another
       * moment of the link (a stall, a channel re-attached): it says
       * nothing of the round trip now. */
      if (!sl_webrtc_stats_rtt_plausible (rtt_ms))
        return;
      c->rtt_ms = rtt_ms;
      g_mutex_lock (&self->stats_lock);
      self->stats.dc_rtt_ms = c->rtt_ms;
      self->stats.dc_roundtrips++;
      g_mutex_unlock (&self->stats_lock);
      return;
    }
}

/* Control thread: one message from the peer.  Anything we do not
 * understand is logged and dropped; the channel goes on. */
static void
handle_message (SlSession *self, gpointer data)
{
  const gchar *text = data;
  g_autoptr (GError) error = NULL;
  SlControlMsg msg;

  if (self->channel->channel == NULL)
    return;
  if (!sl_control_parse (text, strlen (text), &msg, &error))
    {
      GST_DEBUG_OBJECT (self->pipeline, "dropping a control message: %s",
                        error->message);
      return;
    }
  if (msg.type == SL_CONTROL_PING)
    {
      /* A VIEWER keeps the SENDER's last capture-to-encoder time, a
       * SENDER the VIEWER's loss figures (unknown ones too: a second
       * without video has none to show). */
      if (self->role == SL_SESSION_VIEWER && msg.send_ms >= 0)
        self->channel->peer_send_ms = msg.send_ms;
      if (self->role == SL_SESSION_SENDER)
        {
          self->channel->peer_lost_pct = msg.lost_pct;
          self->channel->peer_repaired_pct = msg.repaired_pct;
          self->channel->peer_loss_us = sl_media_now_us ();
        }
      send_json (self, SL_CONTROL_PONG, msg.seq, NULL);
    }
  else
    on_pong (self, msg.seq);
}

static void
on_message_string (GstWebRTCDataChannel *channel, const gchar *text,
                   SlSession *self)
{
  /* Bound the work a peer can cause: a control message is small. */
  if (text == NULL || strlen (text) > SL_CONTROL_MAX_SIZE)
    return;
  sl_session_invoke (self, handle_message, g_strdup (text), g_free);
}

void
sl_session_channel_attach (SlSession *self, GstWebRTCDataChannel *channel)
{
  g_autofree gchar *label = NULL;

  if (sl_session_guide_attach (self, channel))
    return;
  g_object_get (channel, "label", &label, NULL);
  if (g_strcmp0 (label, SL_CONTROL_CHANNEL) != 0)
    {
      GST_INFO_OBJECT (self->pipeline, "ignoring data channel '%s'", label);
      return;
    }
  sl_session_channel_detach (self);
  self->channel->channel = g_object_ref (channel);
  g_signal_connect (channel, "on-message-string",
                    G_CALLBACK (on_message_string), self);
}

void
sl_session_channel_create (SlSession *self)
{
  GstWebRTCDataChannel *channel = NULL;
  GstStructure *options
      = gst_structure_new ("options", "ordered", G_TYPE_BOOLEAN, TRUE, NULL);

  g_signal_emit_by_name (self->webrtc, "create-data-channel",
                         SL_CONTROL_CHANNEL, options, &channel);
  gst_structure_free (options);
  if (channel == NULL)
    {
      GST_WARNING_OBJECT (self->pipeline, "could not create the data channel");
      return;
    }
  sl_session_channel_attach (self, channel);
  g_object_unref (channel);
  sl_session_guide_create (self);
}

void
sl_session_channel_tick_input (SlSession *self, SlSessionTick *tick)
{
  SlSessionChannel *c = self->channel;
  gboolean fresh = c->peer_loss_us > 0
                   && tick->now_us - c->peer_loss_us < PEER_LOSS_FRESH_US;

  tick->dc_rtt_ms = c->rtt_ms;
  tick->peer_send_ms = c->peer_send_ms;
  tick->peer_lost_pct = fresh ? c->peer_lost_pct : -1;
  tick->peer_repaired_pct = fresh ? c->peer_repaired_pct : -1;
}

/* SENDER: the viewer's loss figures while fresh, as its own. */
static void
publish_peer_loss (SlSession *self, const SlSessionTick *tick)
{
  g_mutex_lock (&self->stats_lock);
  self->stats.video_lost_pct = tick->peer_lost_pct;
  self->stats.video_repaired_pct = tick->peer_repaired_pct;
  g_mutex_unlock (&self->stats_lock);
}

/* Once a second: a ping, with the SENDER's capture to encoder output or
 * the VIEWER's loss figures. */
void
sl_session_channel_tick (SlSession *self, const SlSessionTick *tick)
{
  SlSessionChannel *c = self->channel;
  GstWebRTCDataChannelState state;
  Ping ping;

  if (self->role == SL_SESSION_SENDER)
    publish_peer_loss (self, tick);
  if (c->channel == NULL)
    return;
  g_object_get (c->channel, "ready-state", &state, NULL);
  if (state != GST_WEBRTC_DATA_CHANNEL_STATE_OPEN)
    return;
  if (c->pings->len >= MAX_OUTSTANDING)
    g_array_remove_index (c->pings, 0);
  ping.seq = ++c->ping_seq;
  ping.sent_us = sl_media_now_us ();
  g_array_append_val (c->pings, ping);
  send_json (self, SL_CONTROL_PING, ping.seq, tick);
}

void
sl_session_channel_detach (SlSession *self)
{
  SlSessionChannel *c = self->channel;

  if (c == NULL || c->channel == NULL)
    return;
  g_signal_handlers_disconnect_by_data (c->channel, self);
  g_clear_object (&c->channel);
}

void
sl_session_channel_new (SlSession *self)
{
  SlSessionChannel *c = g_new0 (SlSessionChannel, 1);

  if (sl_control_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (sl_control_debug, "sl-control", 0,
                             "sonolink control channel");
  c->pings = g_array_new (FALSE, FALSE, sizeof (Ping));
  c->rtt_ms = -1;
  c->peer_send_ms = -1;
  c->peer_lost_pct = c->peer_repaired_pct = -1;
  self->channel = c;
}

void
sl_session_channel_free (SlSession *self)
{
  SlSessionChannel *c = g_steal_pointer (&self->channel);

  if (c == NULL)
    return;
  if (c->channel != NULL)
    g_signal_handlers_disconnect_by_data (c->channel, self);
  g_clear_object (&c->channel);
  g_array_unref (c->pings);
  g_free (c);
}
