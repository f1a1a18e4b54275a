/* sl-hub-server.c — sonolink-hub's HTTP and WebSocket front end.
 *
 * A thin adapter: every decision about a message is the core's
 * (sl-hub.c), and connections come from the hub's own listener
 * (sl-hub-accept.c), which bounds them before libsoup reads a byte.  This
 * file owns the WebSockets, the timers and the limits that must be
 * enforced below the message layer:
 *
 * - Size.  libsoup is given a hard payload limit of four times the message
 *   limit, so a frame announcing megabytes is refused (close 1009) before
 *   it is buffered, and the stream below it (sl-hub-stream.c) applies the
 *   same bound to a message reassembled from fragments, which libsoup 3.2
 *   does not; messages between the two limits reach the core, which
 *   answers "too-large" and closes with 4413, a code stations understand.
 * - Queue.  libsoup queues whatever it is asked to send, without limit.
 *   Each connection counts the bytes handed to libsoup (and the pongs it
 *   owes) against the bytes its stream has written; a station that lets
 *   more than max_queued bytes pile up is closed as a slow reader.
 * - Liveness.  libsoup 3.2 sends keepalive pings but has no pong timeout
 *   (that arrived in 3.6), so a sweep closes connections from which
 *   nothing, not even a pong, has arrived for SL_HUB_SERVER_DEAD_S.
 */
#include "sl-hub-server.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "sl-config.h"
#include "sl-hub-accept.h"
#include "sl-hub-limits.h"
#include "sl-hub-web.h"
#include "sl-hub.h"

/* How often the liveness sweep runs. */
#define SWEEP_INTERVAL_S 5

/* The hard per-frame limit, as a multiple of the message limit. */
#define PAYLOAD_BACKSTOP_FACTOR 4

struct _SlHubServer
{
  SoupServer *soup;
  SlHubAccept *accept;
  SlHub *hub;
  SlHubWeb *web;
  gsize max_message_size;
  gsize max_queued;
  guint hello_timeout_s;
  GHashTable *conns; /* ServerConn*, owned */
  guint sweep_timer;
};

typedef struct
{
  SlHubServer *server;
  SoupWebsocketConnection *ws;
  SlHubStream *stream; /* the bytes under ws (referenced) */
  SlHubConn *conn;
  guint hello_timer;
  guint slow_idle; /* closing as a slow reader, from the main loop */
  guint64 handed;  /* bytes handed to libsoup, as frames on the wire */
  gint64 last_seen_us;
} ServerConn;

/* ---- the core's transport ---- */

/* Bytes libsoup holds for @sc that the socket has not taken yet. */
static guint64
queued_bytes (ServerConn *sc)
{
  guint64 owed = sc->handed + sl_hub_stream_get_owed (sc->stream);
  guint64 written = sl_hub_stream_get_written (sc->stream);

  /* Keepalive pings are written but not counted: never below zero. */
  return owed > written ? owed - written : 0;
}

static gboolean
on_slow_reader (gpointer user_data)
{
  ServerConn *sc = user_data;

  sc->slow_idle = 0;
  sl_hub_conn_slow_reader (sc->conn, queued_bytes (sc));
  return G_SOURCE_REMOVE;
}

static void
transport_send (SlHubConn *conn, const gchar *text, gpointer user_data)
{
  ServerConn *sc = sl_hub_conn_get_data (conn);
  SlHubServer *server = sc->server;
  guint64 frame = sl_ws_frame_size (strlen (text));

  if (soup_websocket_connection_get_state (sc->ws) != SOUP_WEBSOCKET_STATE_OPEN
      || sc->slow_idle != 0)
    return;
  if (queued_bytes (sc) + frame > server->max_queued)
    {
      /* Closing from here would re-enter the core in the middle of a
       * relay or an announcement: from the main loop instead, and
       * nothing more is queued meanwhile. */
      sc->slow_idle = g_idle_add (on_slow_reader, sc);
      return;
    }
  sc->handed += frame;
  soup_websocket_connection_send_text (sc->ws, text);
}

static void
transport_close (SlHubConn *conn, gushort code, const gchar *reason,
                 gpointer user_data)
{
  ServerConn *sc = sl_hub_conn_get_data (conn);

  if (soup_websocket_connection_get_state (sc->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (sc->ws, code, reason);
}

static const SlHubTransport server_transport = {
  .send = transport_send,
  .close = transport_close,
};

/* ---- WebSocket connections ---- */

/* Destroy function of server->conns: releases everything of @data. */
static void
server_conn_free (gpointer data)
{
  ServerConn *sc = data;

  g_clear_handle_id (&sc->hello_timer, g_source_remove);
  g_clear_handle_id (&sc->slow_idle, g_source_remove);
  g_signal_handlers_disconnect_by_data (sc->ws, sc);
  sl_hub_conn_closed (sc->conn);
  g_object_unref (sc->ws);
  g_object_unref (sc->stream);
  g_free (sc);
}

static void
on_ws_message (SoupWebsocketConnection *ws, gint type, GBytes *data,
               ServerConn *sc)
{
  gsize len;
  const gchar *text = g_bytes_get_data (data, &len);

  sc->last_seen_us = g_get_monotonic_time ();
  /* The core may close and so free @sc from here on: do not touch it. */
  if (type == SOUP_WEBSOCKET_DATA_TEXT)
    sl_hub_conn_receive (sc->conn, text, len);
  else
    sl_hub_conn_receive_binary (sc->conn);
}

static void
on_ws_pong (SoupWebsocketConnection *ws, GBytes *data, ServerConn *sc)
{
  sc->last_seen_us = g_get_monotonic_time ();
}

static void
on_ws_error (SoupWebsocketConnection *ws, GError *error, ServerConn *sc)
{
  g_debug ("websocket error (peer %s): %s",
           sl_hub_conn_get_peer_id (sc->conn)
               ? sl_hub_conn_get_peer_id (sc->conn)
               : "before hello",
           error->message);
}

static void
on_ws_closed (SoupWebsocketConnection *ws, ServerConn *sc)
{
  g_debug ("websocket closed (peer %s, code %u)",
           sl_hub_conn_get_peer_id (sc->conn)
               ? sl_hub_conn_get_peer_id (sc->conn)
               : "before hello",
           soup_websocket_connection_get_close_code (ws));
  g_hash_table_remove (sc->server->conns, sc);
}

static gboolean
on_hello_timeout (gpointer user_data)
{
  ServerConn *sc = user_data;

  sc->hello_timer = 0;
  sl_hub_conn_hello_timeout (sc->conn);
  return G_SOURCE_REMOVE;
}

static void
on_websocket (SoupServer *soup, SoupServerMessage *msg, const char *path,
              SoupWebsocketConnection *ws, gpointer user_data)
{
  SlHubServer *server = user_data;
  const gchar *remote = soup_server_message_get_remote_host (msg);
  SlHubStream *stream = sl_hub_accept_set_websocket (
      server->accept, soup_server_message_get_remote_address (msg));
  ServerConn *sc;

  if (stream == NULL)
    {
      /* Its stream already broke a bound (and refuses every read now). */
      soup_websocket_connection_close (
          ws, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, NULL);
      return;
    }
  sc = g_new0 (ServerConn, 1);
  sc->server = server;
  sc->ws = g_object_ref (ws);
  sc->stream = g_object_ref (stream);
  /* The upgrade response is already written; count from here. */
  sc->handed = sl_hub_stream_get_written (stream);
  sc->last_seen_us = g_get_monotonic_time ();
  sc->conn = sl_hub_conn_new (server->hub, remote, sc);
  g_hash_table_add (server->conns, sc);
  g_debug ("websocket opened from %s", remote ? remote : "unknown");

  soup_websocket_connection_set_max_incoming_payload_size (
      ws, (guint64)server->max_message_size * PAYLOAD_BACKSTOP_FACTOR);
  soup_websocket_connection_set_keepalive_interval (ws,
                                                    SL_HUB_SERVER_KEEPALIVE_S);
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), sc);
  g_signal_connect (ws, "pong", G_CALLBACK (on_ws_pong), sc);
  g_signal_connect (ws, "error", G_CALLBACK (on_ws_error), sc);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), sc);
  sc->hello_timer
      = g_timeout_add_seconds (server->hello_timeout_s, on_hello_timeout, sc);
}

/* Closes connections that have been silent for too long. */
static gboolean
on_sweep (gpointer user_data)
{
  SlHubServer *server = user_data;
  const gint64 limit_us
      = g_get_monotonic_time () - (gint64)SL_HUB_SERVER_DEAD_S * G_USEC_PER_SEC;
  g_autoptr (GPtrArray) dead = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer key;

  /* Collect first: closing may emit "closed" at once, which edits the
   * table being walked. */
  g_hash_table_iter_init (&iter, server->conns);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      ServerConn *sc = key;
      if (sc->last_seen_us < limit_us
          && soup_websocket_connection_get_state (sc->ws)
                 == SOUP_WEBSOCKET_STATE_OPEN)
        g_ptr_array_add (dead, g_object_ref (sc->ws));
    }
  for (guint i = 0; i < dead->len; i++)
    {
      g_message ("closing a connection silent for %d s", SL_HUB_SERVER_DEAD_S);
      soup_websocket_connection_close (
          dead->pdata[i], SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "keepalive timeout");
    }
  return G_SOURCE_CONTINUE;
}

/* ---- HTTP ---- */

static gboolean
method_is_get_or_head (SoupServerMessage *msg)
{
  const gchar *method = soup_server_message_get_method (msg);

  if (method == SOUP_METHOD_GET || method == SOUP_METHOD_HEAD)
    return TRUE;
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Allow", "GET, HEAD");
  soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
  return FALSE;
}

static void
on_healthz (SoupServer *soup, SoupServerMessage *msg, const char *path,
            GHashTable *query, gpointer user_data)
{
  SoupMessageHeaders *headers;
  gchar *body;

  if (!method_is_get_or_head (msg))
    return;
  /* Anyone can ask, so it says only that the hub runs and what it
   * speaks: how many rooms and stations it holds would tell an outsider
   * when consultations take place. */
  body = g_strdup_printf ("{\"status\":\"ok\",\"version\":\"%s\","
                          "\"protocol\":%d}\n",
                          SL_VERSION, SL_PROTO_VERSION);
  headers = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    body, strlen (body));
}

static void
on_web (SoupServer *soup, SoupServerMessage *msg, const char *path,
        GHashTable *query, gpointer user_data)
{
  SlHubServer *server = user_data;

  if (!method_is_get_or_head (msg))
    return;
  sl_hub_web_respond (server->web, msg, path);
}

/* ---- the server ---- */

SlHubServer *
sl_hub_server_new (const SlHubServerConfig *config)
{
  SlHubServer *server = g_new0 (SlHubServer, 1);
  g_autofree gchar *server_header
      = g_strdup_printf ("sonolink-hub/%s ", SL_VERSION);
  SlHubAcceptConfig accept = {
    .certificate = config->certificate,
    .max_connections = config->max_connections ? config->max_connections
                                               : SL_HUB_DEFAULT_MAX_CONNECTIONS,
    .max_per_source = config->max_per_source ? config->max_per_source
                                             : SL_HUB_DEFAULT_MAX_PER_SOURCE,
    .tls_timeout_s = config->tls_timeout_s ? config->tls_timeout_s
                                           : SL_HUB_DEFAULT_TLS_TIMEOUT_S,
    .request_timeout_s = config->request_timeout_s
                             ? config->request_timeout_s
                             : SL_HUB_DEFAULT_REQUEST_TIMEOUT_S,
    .idle_timeout_s = config->idle_timeout_s ? config->idle_timeout_s
                                             : SL_HUB_DEFAULT_IDLE_TIMEOUT_S,
  };
  SlHubConfig core = {
    .secret = config->secret,
    .max_message_size = config->max_message_size,
    .rate = config->rate,
    .burst = config->burst,
  };

  server->max_message_size = config->max_message_size
                                 ? config->max_message_size
                                 : SL_PROTO_MAX_MESSAGE_SIZE;
  server->hello_timeout_s = config->hello_timeout_s
                                ? config->hello_timeout_s
                                : SL_HUB_SERVER_HELLO_TIMEOUT_S;
  server->hub = sl_hub_new (&core, &server_transport, server);
  server->web = sl_hub_web_new (config->web_root);
  server->conns = g_hash_table_new_full (g_direct_hash, g_direct_equal,
                                         server_conn_free, NULL);
  server->max_queued = config->max_queued ? config->max_queued
                                          : SL_HUB_SERVER_DEFAULT_MAX_QUEUED;
  /* No TLS certificate here: the hub's listener runs the handshake. */
  server->soup = soup_server_new ("server-header", server_header, NULL);
  accept.soup = server->soup;
  accept.max_message
      = (guint64)server->max_message_size * PAYLOAD_BACKSTOP_FACTOR;
  server->accept = sl_hub_accept_new (&accept);
  /* Any origin may connect: authority comes from the token in the hello,
   * never from cookies, so a foreign page gains nothing by connecting. */
  soup_server_add_websocket_handler (server->soup, "/ws", NULL, NULL,
                                     on_websocket, server, NULL);
  soup_server_add_handler (server->soup, "/healthz", on_healthz, NULL, NULL);
  soup_server_add_handler (server->soup, "/", on_web, server, NULL);
  server->sweep_timer
      = g_timeout_add_seconds (SWEEP_INTERVAL_S, on_sweep, server);
  return server;
}

gboolean
sl_hub_server_listen (SlHubServer *server, const SlHubListen *listen,
                      guint *port, GError **error)
{
  g_autoptr (GError) bind_error = NULL;

  if (!sl_hub_accept_listen (server->accept, listen, port, &bind_error))
    {
      g_set_error (error, bind_error->domain, bind_error->code,
                   "cannot listen on %s:%u: %s", listen->host, listen->port,
                   bind_error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
on_shutdown_deadline (gpointer user_data)
{
  *(gboolean *)user_data = TRUE;
  return G_SOURCE_REMOVE;
}

void
sl_hub_server_shutdown (SlHubServer *server, guint timeout_ms)
{
  gboolean expired = FALSE;
  guint deadline;

  sl_hub_accept_stop (server->accept);
  sl_hub_close_all (server->hub, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                    "hub shutting down");
  deadline = g_timeout_add (timeout_ms, on_shutdown_deadline, &expired);
  while (g_hash_table_size (server->conns) > 0 && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (deadline);
  /* Only now: disconnecting first could cut the close handshakes short. */
  soup_server_disconnect (server->soup);
}

void
sl_hub_server_free (SlHubServer *server)
{
  if (server == NULL)
    return;
  g_clear_handle_id (&server->sweep_timer, g_source_remove);
  /* Connections still open past the shutdown deadline are dropped. */
  g_hash_table_unref (server->conns);
  sl_hub_accept_free (server->accept);
  g_object_unref (server->soup);
  sl_hub_free (server->hub);
  sl_hub_web_free (server->web);
  g_free (server);
}
