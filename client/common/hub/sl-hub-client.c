/* sl-hub-client.c — the station side of the signalling connection.
 *
 * States: IDLE → CONNECTING → HELLO_SENT → JOINED, and back to CONNECTING
 * through a back-off timer when the socket closes for any reason but a
 * refusal.  The first connection gives up after connect_timeout_s so that
 * a mistyped hub address fails the station with a clear message instead of
 * retrying forever; once joined, the client retries for as long as it runs.
 *
 * Liveness: a station behind a cellular uplink can lose its path to the
 * hub without any close (a handover to a new address, a long outage), and
 * TCP would take minutes to say so.  The client pings every
 * KEEPALIVE_S and, as libsoup 3.2 has no pong timeout, gives the
 * connection up itself when nothing, not even a pong, has come for
 * DEAD_S; it then reconnects as after any other loss.  Silence counts only
 * while this process runs: after a stall of its own (SIGSTOP, a machine
 * swapping), seen as a liveness tick come far too late, the hub had no
 * ping to answer, and the connection usually still works; the stall is
 * reported (callbacks.stalled) and not counted.  The station may also
 * ask for that at once (sl_hub_client_reconnect) when it sees its network
 * change.
 */
#include "sl-hub-client.h"
#include "sl-backoff.h"

#include <libsoup/soup.h>

typedef enum
{
  HUB_IDLE,
  HUB_CONNECTING,
  HUB_HELLO_SENT,
  HUB_JOINED,
  HUB_FAILED,
} HubState;

static const gchar *hub_state_names[]
    = { "idle", "connecting", "hello-sent", "joined", "failed" };

struct _SlHubClient
{
  gchar *ws_url;
  gchar *token;
  gchar *peer_id;
  guint connect_timeout_s;
  SlHubClientCallbacks callbacks;
  gpointer user_data;

  SoupSession *soup;
  SoupWebsocketConnection *ws;
  GCancellable *cancellable;
  HubState state;
  gboolean ever_joined;
  gint64 first_attempt_us;
  guint attempt;
  guint retry_timer;
  GError *last_error;   /* why the last attempt failed, for the final report */
  gint64 last_heard_us; /* anything from the hub, pongs included */
  gint64 last_tick_us;  /* the liveness timer's last run */
  guint liveness_timer;
  guint deadline_timer; /* the first connection's --connect-timeout */
};

/* Ping interval, and the silence after which the connection is dead. */
#define KEEPALIVE_S 2
#define DEAD_S 6
/* The liveness timer runs every second (give or take one: a seconds
 * timer); a run later than STALL_S after the previous one means the
 * process did not run meanwhile. */
#define STALL_S 3

static void connect_now (SlHubClient *client);
static void drop_ws (SlHubClient *client, const gchar *reason);

static void
set_state (SlHubClient *client, HubState state)
{
  if (client->state == state)
    return;
  g_debug ("hub connection: %s -> %s", hub_state_names[client->state],
           hub_state_names[state]);
  client->state = state;
}

gchar *
sl_hub_client_websocket_url (const gchar *url, GError **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) parse_error = NULL;
  const gchar *scheme, *path;
  const gchar *ws_scheme;

  if (url == NULL || url[0] == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "no hub URL given (--hub ws://HOST:PORT)");
      return NULL;
    }
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, &parse_error);
  if (uri == NULL || g_uri_get_host (uri) == NULL
      || g_uri_get_host (uri)[0] == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "'%s' is not a hub URL; expected ws://HOST:PORT or "
                   "wss://HOST:PORT",
                   url);
      return NULL;
    }
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "ws") == 0
      || g_ascii_strcasecmp (scheme, "http") == 0)
    ws_scheme = "ws";
  else if (g_ascii_strcasecmp (scheme, "wss") == 0
           || g_ascii_strcasecmp (scheme, "https") == 0)
    ws_scheme = "wss";
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "hub URL scheme '%s' is not supported; use ws:// or wss://",
                   scheme);
      return NULL;
    }
  path = g_uri_get_path (uri);
  if (path == NULL || path[0] == '\0' || g_str_equal (path, "/"))
    path = "/ws";
  return g_uri_join (G_URI_FLAGS_NONE, ws_scheme, NULL, g_uri_get_host (uri),
                     g_uri_get_port (uri), path, NULL, NULL);
}

static void
fail (SlHubClient *client, GError *error)
{
  set_state (client, HUB_FAILED);
  g_clear_handle_id (&client->retry_timer, g_source_remove);
  if (client->callbacks.failed != NULL)
    client->callbacks.failed (client, error, client->user_data);
  g_error_free (error);
}

static gboolean
on_retry_timer (gpointer user_data)
{
  SlHubClient *client = user_data;

  client->retry_timer = 0;
  connect_now (client);
  return G_SOURCE_REMOVE;
}

/* A hint for a first connection that failed in a way a ws/wss mismatch
 * gives: wss:// to a plain hub waits for a TLS answer that never comes
 * (a time-out, or a TLS error), and ws:// to a TLS hub gets no HTTP
 * answer it can read.  "" when there is nothing to add. */
static const gchar *
scheme_hint (SlHubClient *client)
{
  const GError *e = client->last_error;
  const gboolean wss = g_str_has_prefix (client->ws_url, "wss:");

  if (wss
      && (e == NULL || e->domain == G_TLS_ERROR
          || g_error_matches (e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)))
    return " (is the hub serving plain ws://? a hub without --tls-cert does: "
           "try ws://)";
  if (!wss && e != NULL
      && (e->domain == SOUP_SESSION_ERROR
          || g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)
          || g_error_matches (e, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE)))
    return " (is the hub serving wss://? a hub with --tls-cert does: try "
           "wss://)";
  return "";
}

/* The first connection did not succeed within connect_timeout_s. */
static void
give_up (SlHubClient *client)
{
  fail (client, g_error_new (G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE,
                             "could not reach the hub at %s within %u s: %s%s",
                             client->ws_url, client->connect_timeout_s,
                             client->last_error ? client->last_error->message
                                                : "no answer",
                             scheme_hint (client)));
}

/* --connect-timeout is a deadline for the first connection, whatever the
 * attempt in flight is waiting for (a TLS handshake that never ends
 * waits for libsoup's own 10 s time-out otherwise). */
static gboolean
on_first_deadline (gpointer user_data)
{
  SlHubClient *client = user_data;

  client->deadline_timer = 0;
  if (client->ever_joined || client->state == HUB_FAILED)
    return G_SOURCE_REMOVE;
  g_cancellable_cancel (client->cancellable);
  g_clear_object (&client->cancellable);
  client->cancellable = g_cancellable_new ();
  if (client->ws != NULL)
    drop_ws (client, NULL);
  if (client->last_error == NULL)
    client->last_error
        = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no answer");
  give_up (client);
  return G_SOURCE_REMOVE;
}

/* Schedules the next attempt, or gives up if the first connection has
 * taken longer than allowed. */
static void
schedule_retry (SlHubClient *client)
{
  gint64 elapsed_us = g_get_monotonic_time () - client->first_attempt_us;
  guint delay_ms;

  if (!client->ever_joined
      && elapsed_us >= (gint64)client->connect_timeout_s * G_USEC_PER_SEC)
    {
      give_up (client);
      return;
    }
  delay_ms = sl_backoff_delay_ms (client->attempt++, g_random_double ());
  g_debug ("reconnecting to the hub in %u ms", delay_ms);
  set_state (client, HUB_CONNECTING);
  client->retry_timer = g_timeout_add (delay_ms, on_retry_timer, client);
}

/* Forgets the hub connection, closing it unless the hub already did: the
 * hub answers "bye" and refusals by closing, and libsoup has then sent its
 * own close frame, so a second close would be a programming error. */
static void
drop_ws (SlHubClient *client, const gchar *reason)
{
  g_signal_handlers_disconnect_by_data (client->ws, client);
  if (soup_websocket_connection_get_state (client->ws)
      == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (client->ws, SOUP_WEBSOCKET_CLOSE_NORMAL,
                                     reason);
  g_clear_object (&client->ws);
}

static void
handle_hub_error (SlHubClient *client, const SlMsg *msg)
{
  /* Refusals of our hello are final; errors about one relayed message
   * (unknown-peer, bad-state) are reported and the connection stays. */
  if (client->state == HUB_HELLO_SENT)
    {
      GError *error = g_error_new (
          SL_PROTO_ERROR, msg->code, "the hub refused this station (%s): %s",
          sl_proto_error_code_name (msg->code), msg->message);
      if (client->ws != NULL)
        {
          drop_ws (client, NULL);
        }
      fail (client, error);
      return;
    }
  if (client->callbacks.message != NULL)
    client->callbacks.message (client, msg, client->user_data);
}

static void
on_ws_message (SoupWebsocketConnection *ws, gint type, GBytes *data,
               SlHubClient *client)
{
  g_autoptr (SlMsg) msg = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;
  const gchar *text = g_bytes_get_data (data, &len);

  client->last_heard_us = g_get_monotonic_time ();
  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    return;
  msg = sl_msg_parse (text, len, &error);
  if (msg == NULL)
    {
      g_debug ("dropping a malformed message from the hub: %s", error->message);
      if (client->callbacks.malformed != NULL)
        client->callbacks.malformed (client, error, client->user_data);
      return;
    }
  if (msg->type == SL_MSG_ERROR)
    {
      handle_hub_error (client, msg);
      return;
    }
  if (msg->type == SL_MSG_WELCOME && client->state == HUB_HELLO_SENT)
    {
      gboolean rejoin = client->ever_joined;

      set_state (client, HUB_JOINED);
      client->ever_joined = TRUE;
      client->attempt = 0;
      g_clear_error (&client->last_error);
      client->callbacks.joined (client, msg, rejoin, client->user_data);
      return;
    }
  if (client->state == HUB_JOINED && client->callbacks.message != NULL)
    client->callbacks.message (client, msg, client->user_data);
}

/* The hub's private close codes (docs/signaling.md) that mean "do not come
 * back with the same credentials". */
static gboolean
close_code_is_final (gushort code, SlProtoError *error_code)
{
  switch (code)
    {
    case 4401:
      *error_code = SL_PROTO_ERROR_AUTH;
      return TRUE;
    case 4403:
      *error_code = SL_PROTO_ERROR_ROLE;
      return TRUE;
    case 4409:
      *error_code = SL_PROTO_ERROR_ROOM_OCCUPIED;
      return TRUE;
    case 4426:
      *error_code = SL_PROTO_ERROR_VERSION;
      return TRUE;
    default:
      return FALSE;
    }
}

/* The connection is gone (closed, or given up here): tell the station and
 * reconnect.  Takes @why. */
static void
lose_connection (SlHubClient *client, GError *why)
{
  gboolean was_joined = client->state == HUB_JOINED;

  g_clear_error (&client->last_error);
  client->last_error = why;
  if (was_joined && client->callbacks.disconnected != NULL)
    client->callbacks.disconnected (client, why, client->user_data);
  schedule_retry (client);
}

static void
on_ws_closed (SoupWebsocketConnection *ws, SlHubClient *client)
{
  gushort code = soup_websocket_connection_get_close_code (ws);
  const gchar *reason = soup_websocket_connection_get_close_data (ws);
  SlProtoError error_code;

  if (close_code_is_final (code, &error_code))
    {
      g_signal_handlers_disconnect_by_data (ws, client);
      g_clear_object (&client->ws);
      fail (client, g_error_new (SL_PROTO_ERROR, error_code,
                                 "the hub refused this station (%s)%s%s",
                                 sl_proto_error_code_name (error_code),
                                 reason && reason[0] ? ": " : "",
                                 reason ? reason : ""));
      return;
    }

  g_debug ("hub connection closed (code %u%s%s)", code,
           reason && reason[0] ? ": " : "", reason ? reason : "");
  g_signal_handlers_disconnect_by_data (ws, client);
  g_clear_object (&client->ws);
  lose_connection (client,
                   g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                "the hub closed the connection (code %u%s%s)",
                                code, reason && reason[0] ? ": " : "",
                                reason ? reason : ""));
}

static void
send_hello (SlHubClient *client)
{
  g_autoptr (SlMsg) hello = sl_msg_new (SL_MSG_HELLO);

  hello->version = SL_PROTO_VERSION;
  hello->token = g_strdup (client->token);
  hello->peer_id = g_strdup (client->peer_id);
  set_state (client, HUB_HELLO_SENT);
  sl_hub_client_send (client, hello);
}

static void
on_ws_pong (SoupWebsocketConnection *ws, GBytes *data, SlHubClient *client)
{
  client->last_heard_us = g_get_monotonic_time ();
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SlHubClient *client = user_data;
  g_autoptr (GError) error = NULL;
  SoupWebsocketConnection *ws;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result,
                                              &error);
  if (ws == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_debug ("hub connection attempt failed: %s", error->message);
      g_clear_error (&client->last_error);
      client->last_error = g_steal_pointer (&error);
      schedule_retry (client);
      return;
    }
  client->ws = ws;
  /* The hub accepts at most SL_PROTO_MAX_MESSAGE_SIZE; so do we. */
  soup_websocket_connection_set_max_incoming_payload_size (
      ws, SL_PROTO_MAX_MESSAGE_SIZE);
  soup_websocket_connection_set_keepalive_interval (ws, KEEPALIVE_S);
  client->last_heard_us = g_get_monotonic_time ();
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), client);
  g_signal_connect (ws, "pong", G_CALLBACK (on_ws_pong), client);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), client);
  send_hello (client);
}

void
sl_hub_client_reconnect (SlHubClient *client, const gchar *why)
{
  if (client->ws == NULL || client->state == HUB_FAILED)
    return;
  g_debug ("reconnecting to the hub: %s", why);
  drop_ws (client, why);
  lose_connection (client,
                   g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s", why));
}

/* The socket under the WebSocket: libsoup's SoupIOStream wraps the
 * connection's stream ("base-iostream"), itself a GTlsConnection over the
 * socket ("base-io-stream") for wss://. */
static GSocketConnection *
ws_socket_connection (SoupWebsocketConnection *ws)
{
  g_autoptr (GIOStream) stream
      = g_object_ref (soup_websocket_connection_get_io_stream (ws));

  for (guint depth = 0; stream != NULL && depth < 4; depth++)
    {
      GIOStream *base = NULL;

      if (G_IS_SOCKET_CONNECTION (stream))
        return G_SOCKET_CONNECTION (g_steal_pointer (&stream));
      if (G_IS_TLS_CONNECTION (stream))
        g_object_get (stream, "base-io-stream", &base, NULL);
      else if (g_object_class_find_property (G_OBJECT_GET_CLASS (stream),
                                             "base-iostream")
               != NULL)
        g_object_get (stream, "base-iostream", &base, NULL);
      g_object_unref (stream);
      stream = base;
    }
  return NULL;
}

/* The address the kernel would send from to reach @remote now: a UDP
 * socket connected to it (connecting a UDP socket sends nothing). */
static GInetAddress *
source_address_towards (GInetSocketAddress *remote)
{
  g_autoptr (GSocket) probe = NULL;
  g_autoptr (GSocketAddress) local = NULL;

  probe = g_socket_new (g_socket_address_get_family (G_SOCKET_ADDRESS (remote)),
                        G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  if (probe == NULL
      || !g_socket_connect (probe, G_SOCKET_ADDRESS (remote), NULL, NULL))
    return NULL;
  local = g_socket_get_local_address (probe, NULL);
  if (!G_IS_INET_SOCKET_ADDRESS (local))
    return NULL;
  return g_object_ref (
      g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
}

gboolean
sl_hub_client_path_unchanged (SlHubClient *client)
{
  g_autoptr (GSocketConnection) conn = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GSocketAddress) remote = NULL;
  g_autoptr (GInetAddress) now = NULL;

  if (client->ws == NULL || (conn = ws_socket_connection (client->ws)) == NULL)
    return FALSE;
  local = g_socket_connection_get_local_address (conn, NULL);
  remote = g_socket_connection_get_remote_address (conn, NULL);
  if (!G_IS_INET_SOCKET_ADDRESS (local) || !G_IS_INET_SOCKET_ADDRESS (remote))
    return FALSE;
  now = source_address_towards (G_INET_SOCKET_ADDRESS (remote));
  return now != NULL
         && g_inet_address_equal (now, g_inet_socket_address_get_address (
                                           G_INET_SOCKET_ADDRESS (local)));
}

static gboolean
on_liveness_timer (gpointer user_data)
{
  SlHubClient *client = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 gap_us = now - client->last_tick_us;
  gint64 silent_us;

  client->last_tick_us = now;
  if (gap_us > (gint64)STALL_S * G_USEC_PER_SEC)
    {
      gint64 stalled_us = gap_us - G_USEC_PER_SEC;

      g_debug ("this process did not run for %.1f s", stalled_us / 1e6);
      client->last_heard_us = MIN (now, client->last_heard_us + gap_us);
      if (client->callbacks.stalled != NULL)
        client->callbacks.stalled (client, stalled_us, client->user_data);
    }
  silent_us = now - client->last_heard_us;
  if (client->ws != NULL
      && (client->state == HUB_HELLO_SENT || client->state == HUB_JOINED)
      && silent_us > (gint64)DEAD_S * G_USEC_PER_SEC)
    sl_hub_client_reconnect (
        client, "no word from the hub for " G_STRINGIFY (DEAD_S) " s");
  return G_SOURCE_CONTINUE;
}

static void
connect_now (SlHubClient *client)
{
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", client->ws_url);

  set_state (client, HUB_CONNECTING);
  soup_session_websocket_connect_async (client->soup, msg, NULL, NULL,
                                        G_PRIORITY_DEFAULT, client->cancellable,
                                        on_connected, client);
}

SlHubClient *
sl_hub_client_new (const SlHubClientConfig *config,
                   const SlHubClientCallbacks *callbacks, gpointer user_data,
                   GError **error)
{
  g_autofree gchar *ws_url = NULL;
  g_autoptr (GTlsDatabase) database = NULL;
  SlHubClient *client;

  ws_url = sl_hub_client_websocket_url (config->url, error);
  if (ws_url == NULL)
    return NULL;
  if (config->token == NULL || config->token[0] == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "no token given (--token or --token-file)");
      return NULL;
    }
  if (config->peer_id != NULL && !sl_proto_id_is_valid (config->peer_id))
    {
      g_set_error (
          error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "peer id '%s' is not valid: use 1-%d letters, digits, '-' or '_'",
          config->peer_id, SL_PROTO_MAX_ID_LEN);
      return NULL;
    }
  if (config->ca_file != NULL)
    {
      database = g_tls_file_database_new (config->ca_file, error);
      if (database == NULL)
        return NULL;
    }

  client = g_new0 (SlHubClient, 1);
  client->ws_url = g_steal_pointer (&ws_url);
  client->token = g_strdup (config->token);
  client->peer_id
      = config->peer_id ? g_strdup (config->peer_id) : sl_proto_new_peer_id ();
  client->connect_timeout_s
      = config->connect_timeout_s ? config->connect_timeout_s : 30;
  client->callbacks = *callbacks;
  client->user_data = user_data;
  client->cancellable = g_cancellable_new ();
  client->soup = soup_session_new_with_options ("timeout", 10, "tls-database",
                                                database, NULL);
  return client;
}

void
sl_hub_client_start (SlHubClient *client)
{
  client->first_attempt_us = g_get_monotonic_time ();
  client->last_tick_us = client->first_attempt_us;
  client->liveness_timer = g_timeout_add_seconds (1, on_liveness_timer, client);
  client->deadline_timer = g_timeout_add_seconds (client->connect_timeout_s,
                                                  on_first_deadline, client);
  connect_now (client);
}

gboolean
sl_hub_client_send (SlHubClient *client, const SlMsg *msg)
{
  g_autofree gchar *text = NULL;

  if (client->ws == NULL
      || soup_websocket_connection_get_state (client->ws)
             != SOUP_WEBSOCKET_STATE_OPEN)
    return FALSE;
  text = sl_msg_serialize (msg);
  soup_websocket_connection_send_text (client->ws, text);
  return TRUE;
}

guint
sl_hub_client_get_failures (SlHubClient *client)
{
  if (client->last_error == NULL || sl_hub_client_is_joined (client))
    return 0;
  return MAX (client->attempt, 1);
}

const GError *
sl_hub_client_get_last_error (SlHubClient *client)
{
  return client->last_error;
}

const gchar *
sl_hub_client_get_peer_id (SlHubClient *client)
{
  return client->peer_id;
}

gboolean
sl_hub_client_is_joined (SlHubClient *client)
{
  return client->state == HUB_JOINED;
}

void
sl_hub_client_free (SlHubClient *client)
{
  if (client == NULL)
    return;
  g_cancellable_cancel (client->cancellable);
  g_clear_handle_id (&client->retry_timer, g_source_remove);
  g_clear_handle_id (&client->liveness_timer, g_source_remove);
  g_clear_handle_id (&client->deadline_timer, g_source_remove);
  if (client->ws != NULL)
    {
      g_autoptr (SlMsg) bye = sl_msg_new (SL_MSG_BYE);

      g_signal_handlers_disconnect_by_data (client->ws, client);
      sl_hub_client_send (client, bye);
      drop_ws (client, "bye");
    }
  g_clear_object (&client->soup);
  g_clear_object (&client->cancellable);
  g_clear_error (&client->last_error);
  g_free (client->ws_url);
  g_free (client->token);
  g_free (client->peer_id);
  g_free (client);
}
