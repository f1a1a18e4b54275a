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

#include <json-glib/json-glib.h>
#include <math.h>
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

/* The largest "send_ms" believed: anything more is a broken peer. */
#define MAX_SEND_MS 10000.0

static void
send_json (SlSession *self, const gchar *type, guint64 seq)
{
  g_autofree gchar *text = NULL;
  gdouble capture, encode;

  g_mutex_lock (&self->stats_lock);
  capture = self->stats.stage_capture_ms;
  encode = self->stats.stage_encode_ms;
  g_mutex_unlock (&self->stats_lock);
  if (self->role == SL_SESSION_SENDER && g_str_equal (type, "ping")
      && capture >= 0 && encode >= 0)
    text = g_strdup_printf ("{\"type\":\"ping\",\"seq\":%" G_GUINT64_FORMAT
                            ",\"send_ms\":%.3f}",
                            seq, capture + encode);
  else
    text = g_strdup_printf ("{\"type\":\"%s\",\"seq\":%" G_GUINT64_FORMAT "}",
                            type, seq);
  g_signal_emit_by_name (self->channel, "send-string", text);
}

/* A VIEWER keeps the SENDER's last "send_ms", if it is a sane number. */
static void
read_send_ms (SlSession *self, JsonObject *obj)
{
  JsonNode *node = json_object_get_member (obj, "send_ms");
  gdouble ms;

  if (self->role != SL_SESSION_VIEWER || node == NULL
      || !JSON_NODE_HOLDS_VALUE (node)
      || (json_node_get_value_type (node) != G_TYPE_DOUBLE
          && json_node_get_value_type (node) != G_TYPE_INT64))
    return;
  ms = json_node_get_double (node);
  if (isfinite (ms) && ms >= 0 && ms <= MAX_SEND_MS)
    self->peer_send_ms = ms;
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
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *obj;
  const gchar *type;
  gint64 seq;

  if (self->channel == NULL
      || !json_parser_load_from_data (parser, text, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      GST_DEBUG_OBJECT (self->pipeline, "dropping a malformed message");
      return;
    }
  obj = json_node_get_object (json_parser_get_root (parser));
  type = json_object_get_string_member_with_default (obj, "type", "");
  seq = json_object_get_int_member_with_default (obj, "seq", -1);
  if (seq < 0)
    return;
  if (g_str_equal (type, "ping"))
    {
      read_send_ms (self, obj);
      send_json (self, "pong", (guint64)seq);
    }
  else if (g_str_equal (type, "pong"))
    on_pong (self, (guint64)seq);
}

static void
on_message_string (GstWebRTCDataChannel *channel, const gchar *text,
                   SlSession *self)
{
  /* Bound the work a peer can cause: a control message is small. */
  if (text == NULL || strlen (text) > 64 * 1024)
    return;
  sl_session_invoke (self, handle_message, g_strdup (text), g_free);
}

void
sl_session_channel_attach (SlSession *self, GstWebRTCDataChannel *channel)
{
  g_autofree gchar *label = NULL;

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
  send_json (self, "ping", ping.seq);
}

void
sl_session_channel_detach (SlSession *self)
{
  if (self->channel == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->channel, self);
  g_clear_object (&self->channel);
}
