/* sl-session-channel.c — the session's control data channel.
 *
 * The SENDER creates one reliable, ordered SCTP data channel, "sl-control";
 * the VIEWER receives it.  For now it carries a ping once a second each way,
 * {"type":"ping","seq":N} answered by {"type":"pong","seq":N}, which proves
 * the channel end to end and measures its round trip.  The SENDER's ping
 * also says how long its frames took from capture to the encoder's output
 * over the last second ("send_ms"), from which the VIEWER estimates the
 * glass-to-glass latency without any stamp in the picture
 * (sl-session-stats.c).  The guidance layer
 * (docs/guidance.md) adds its messages beside these.  Data-channel
 * callbacks arrive on SCTP threads and are handed to the control thread.
 */
#include "sl-session-private.h"

#include "sl-control.h"

#include <string.h>

#define GST_CAT_DEFAULT sl_session_debug

#define SL_CONTROL_CHANNEL "sl-control"

/* At most this many pings are outstanding; older ones are forgotten. */
#define MAX_OUTSTANDING 8

typedef struct
{
  guint64 seq;
  gint64 sent_us;
} Ping;

static void
send_json (SlSession *self, SlControlType type, guint64 seq)
{
  SlControlMsg msg = { type, seq, -1 };
  g_autofree gchar *text = NULL;
  gdouble capture, encode;

  g_mutex_lock (&self->stats_lock);
  capture = self->stats.stage_capture_ms;
  encode = self->stats.stage_encode_ms;
  g_mutex_unlock (&self->stats_lock);
  if (self->role == SL_SESSION_SENDER && type == SL_CONTROL_PING && capture >= 0
      && encode >= 0)
    msg.send_ms = MIN (capture + encode, SL_CONTROL_MAX_SEND_MS);
  text = sl_control_serialize (&msg);
  g_signal_emit_by_name (self->channel, "send-string", text);
}

static void
on_pong (SlSession *self, guint64 seq)
{
  GArray *pings = self->pings;

  for (guint i = 0; i < pings->len; i++)
    {
      Ping *p = &g_array_index (pings, Ping, i);
      if (p->seq != seq)
        continue;
      g_mutex_lock (&self->stats_lock);
      self->stats.dc_rtt_ms = (sl_media_now_us () - p->sent_us) / 1000.0;
      self->stats.dc_roundtrips++;
      g_mutex_unlock (&self->stats_lock);
      g_array_remove_index (pings, i);
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

  if (self->channel == NULL)
    return;
  if (!sl_control_parse (text, strlen (text), &msg, &error))
    {
      GST_DEBUG_OBJECT (self->pipeline, "dropping a control message: %s",
                        error->message);
      return;
    }
  if (msg.type == SL_CONTROL_PING)
    {
      /* A VIEWER keeps the SENDER's last capture-to-encoder time. */
      if (self->role == SL_SESSION_VIEWER && msg.send_ms >= 0)
        self->peer_send_ms = msg.send_ms;
      send_json (self, SL_CONTROL_PONG, msg.seq);
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
  self->channel = g_object_ref (channel);
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
sl_session_channel_ping (SlSession *self)
{
  GstWebRTCDataChannelState state;
  GArray *pings;
  Ping ping;

  if (self->channel == NULL)
    return;
  g_object_get (self->channel, "ready-state", &state, NULL);
  if (state != GST_WEBRTC_DATA_CHANNEL_STATE_OPEN)
    return;
  pings = self->pings;
  if (pings->len >= MAX_OUTSTANDING)
    g_array_remove_index (pings, 0);
  ping.seq = ++self->ping_seq;
  ping.sent_us = sl_media_now_us ();
  g_array_append_val (pings, ping);
  send_json (self, SL_CONTROL_PING, ping.seq);
}

void
sl_session_channel_detach (SlSession *self)
{
  if (self->channel == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->channel, self);
  g_clear_object (&self->channel);
}
