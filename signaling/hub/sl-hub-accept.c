/* sl-hub-accept.c — sonolink-hub's listening sockets and the life of a
 * client connection before it is a WebSocket.
 *
 * A client connection moves TLS (handshake, with TLS only) → REQUEST
 * (until its request head is complete) → RESPONSE (a plain HTTP exchange)
 * or WEBSOCKET.  Each phase but the last has a deadline; at a deadline the
 * socket is shut down both ways, so whatever libsoup waits for fails at
 * once and it drops the connection through its usual path.  The record of
 * a connection (Conn) lives until its stream reports closed; it holds the
 * connection's place in the limits until then.
 *
 * libsoup reports a WebSocket with the remote address object the hub gave
 * it, so the Conn is found again through that object's qdata.
 *
 * The accept loop takes what the kernel has queued, up to a batch per
 * wake-up.  accept() failing for want of descriptors (EMFILE, ENFILE,
 * ENOBUFS, ENOMEM) would otherwise wake the loop at once, forever: the
 * socket's sources are removed instead, and polling resumes when a
 * connection closes, or after ACCEPT_RETRY_MS if descriptors were freed
 * elsewhere.
 */
#include "sl-hub-accept.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "sl-hub-limits.h"

#define ACCEPT_BATCH 64
#define ACCEPT_RETRY_MS 250
#define LISTEN_BACKLOG 128
/* One line per kind of trouble per interval. */
#define LOG_INTERVAL_S 10

typedef enum
{
  CONN_TLS,
  CONN_REQUEST,
  CONN_RESPONSE,
  CONN_WEBSOCKET,
} ConnPhase;

typedef struct
{
  SlHubAccept *accept;
  ConnPhase phase;
  gchar *source; /* as counted in the limits */
  GSocket *socket;
  GSocketConnection *connection;
  GTlsConnection *tls;
  GCancellable *handshake;
  GSocketAddress *local;
  GSocketAddress *remote; /* its qdata points back here */
  SlHubStream *stream;    /* once handed to libsoup */
  guint timer;
} Conn;

struct _SlHubAccept
{
  SlHubAcceptConfig config;
  SlConnLimits *limits;
  GPtrArray *listeners; /* GSocket* */
  GPtrArray *sources;   /* GSource*, one per listener while polling */
  guint retry_timer;
  gboolean paused;
  GHashTable *conns; /* set of Conn*, owned */
  SlLogThrottle log_refused;
  SlLogThrottle log_emfile;
  SlLogThrottle log_timeout;
  SlLogThrottle log_violation;
};

static GQuark conn_quark;

static gboolean on_incoming (GSocket *socket, GIOCondition condition,
                             gpointer user_data);

/* ---- logging ---- */

static void G_GNUC_PRINTF (3, 4)
    log_throttled (SlLogThrottle *throttle, GLogLevelFlags level,
                   const gchar *format, ...)
{
  g_autofree gchar *text = NULL;
  guint suppressed = 0;
  va_list args;

  if (!sl_log_throttle_allow (throttle, g_get_monotonic_time (), &suppressed))
    return;
  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  if (suppressed > 0)
    g_log (G_LOG_DOMAIN, level, "%s (and %u more like it in the last %d s)",
           text, suppressed, LOG_INTERVAL_S);
  else
    g_log (G_LOG_DOMAIN, level, "%s", text);
}

/* ---- polling the listening sockets ---- */

static void
start_polling (SlHubAccept *accept)
{
  if (accept->sources->len > 0)
    return;
  for (guint i = 0; i < accept->listeners->len; i++)
    {
      GSource *source
          = g_socket_create_source (accept->listeners->pdata[i], G_IO_IN, NULL);
      g_source_set_callback (source, G_SOURCE_FUNC (on_incoming), accept, NULL);
      g_source_attach (source, NULL);
      g_ptr_array_add (accept->sources, source);
    }
}

static void
stop_polling (SlHubAccept *accept)
{
  for (guint i = 0; i < accept->sources->len; i++)
    g_source_destroy (accept->sources->pdata[i]);
  g_ptr_array_set_size (accept->sources, 0);
}

static void
resume (SlHubAccept *accept)
{
  if (!accept->paused)
    return;
  accept->paused = FALSE;
  g_clear_handle_id (&accept->retry_timer, g_source_remove);
  g_message ("accepting connections again");
  start_polling (accept);
}

static gboolean
on_retry (gpointer user_data)
{
  SlHubAccept *accept = user_data;

  accept->retry_timer = 0;
  resume (accept);
  return G_SOURCE_REMOVE;
}

static void
pause_for_descriptors (SlHubAccept *accept, const GError *error)
{
  log_throttled (&accept->log_emfile, G_LOG_LEVEL_WARNING,
                 "cannot accept a connection: %s; %u connections open.  "
                 "Accepting again as soon as one closes (raise the limit "
                 "with ulimit -n, or lower --max-connections)",
                 error->message, sl_conn_limits_get_total (accept->limits));
  accept->paused = TRUE;
  stop_polling (accept);
  accept->retry_timer = g_timeout_add (ACCEPT_RETRY_MS, on_retry, accept);
}

/* ---- one connection ---- */

static void
conn_free (Conn *conn)
{
  SlHubAccept *accept = conn->accept;

  g_clear_handle_id (&conn->timer, g_source_remove);
  sl_conn_limits_release (accept->limits, conn->source);
  g_object_set_qdata (G_OBJECT (conn->remote), conn_quark, NULL);
  if (conn->handshake != NULL)
    g_cancellable_cancel (conn->handshake);
  g_clear_object (&conn->handshake);
  /* Not a reference: libsoup owns the stream, whose closing or last
   * reference brought us here. */
  conn->stream = NULL;
  if (conn->tls != NULL)
    g_object_set_qdata (G_OBJECT (conn->tls), conn_quark, NULL);
  g_clear_object (&conn->tls);
  if (conn->connection != NULL)
    g_io_stream_close (G_IO_STREAM (conn->connection), NULL, NULL);
  g_clear_object (&conn->connection);
  g_clear_object (&conn->socket);
  g_clear_object (&conn->local);
  g_clear_object (&conn->remote);
  g_free (conn->source);
  g_free (conn);
  /* A descriptor is free again. */
  resume (accept);
}

static void
conn_drop (Conn *conn)
{
  g_hash_table_remove (conn->accept->conns, conn);
}

static const gchar *const phase_deadlines[] = {
  [CONN_TLS] = "finished no TLS handshake",
  [CONN_REQUEST] = "sent no complete request",
  [CONN_RESPONSE] = "did not finish its HTTP exchange",
};

static gboolean
on_deadline (gpointer user_data)
{
  Conn *conn = user_data;
  SlHubAccept *accept = conn->accept;
  const guint seconds = conn->phase == CONN_TLS ? accept->config.tls_timeout_s
                        : conn->phase == CONN_REQUEST
                            ? accept->config.request_timeout_s
                            : accept->config.idle_timeout_s;

  conn->timer = 0;
  log_throttled (&accept->log_timeout, G_LOG_LEVEL_MESSAGE,
                 "closing a connection from %s that %s in %u s", conn->source,
                 phase_deadlines[conn->phase], seconds);
  if (conn->phase == CONN_TLS)
    g_cancellable_cancel (conn->handshake);
  else
    sl_hub_stream_abort (conn->stream);
  return G_SOURCE_REMOVE;
}

static void
set_phase (Conn *conn, ConnPhase phase, guint deadline_s)
{
  conn->phase = phase;
  g_clear_handle_id (&conn->timer, g_source_remove);
  if (deadline_s > 0)
    conn->timer = g_timeout_add_seconds (deadline_s, on_deadline, conn);
}

static void
on_head_done (gpointer user_data)
{
  Conn *conn = user_data;

  if (conn->phase == CONN_REQUEST)
    set_phase (conn, CONN_RESPONSE, conn->accept->config.idle_timeout_s);
}

static void
on_violation (const gchar *reason, gpointer user_data)
{
  Conn *conn = user_data;

  log_throttled (&conn->accept->log_violation, G_LOG_LEVEL_WARNING,
                 "closing a connection from %s: %s", conn->source, reason);
}

static void
on_stream_closed (gpointer user_data)
{
  conn_drop (user_data);
}

static const SlHubStreamCallbacks stream_callbacks = {
  .head_done = on_head_done,
  .violation = on_violation,
  .closed = on_stream_closed,
};

/* Hands the connection to libsoup, behind the guard stream. */
static void
start_http (Conn *conn)
{
  SlHubAccept *accept = conn->accept;
  GIOStream *base
      = conn->tls ? G_IO_STREAM (conn->tls) : G_IO_STREAM (conn->connection);
  const SlWsScan bounds = {
    .max_head = SL_HUB_MAX_REQUEST_HEAD,
    .max_message = accept->config.max_message,
    .max_fragments = SL_HUB_MAX_FRAGMENTS,
  };
  g_autoptr (GError) error = NULL;

  g_autoptr (SlHubStream) stream = sl_hub_stream_new (
      base, conn->socket, &bounds, &stream_callbacks, conn);

  /* libsoup keeps the stream; the record only points at it until it
   * closes (on_stream_closed), which also happens when libsoup drops its
   * last reference. */
  conn->stream = stream;
  set_phase (conn, CONN_REQUEST, accept->config.request_timeout_s);
  if (!soup_server_accept_iostream (accept->config.soup, G_IO_STREAM (stream),
                                    conn->local, conn->remote, &error))
    {
      g_warning ("cannot serve a connection from %s: %s", conn->source,
                 error->message);
      g_io_stream_close (G_IO_STREAM (stream), NULL, NULL);
    }
}

static void
on_handshake (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  /* The record may be gone (the hub shutting down): it is found through
   * the TLS connection, which the finished task still holds. */
  Conn *conn = g_object_get_qdata (object, conn_quark);

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result,
                                          &error))
    {
      if (conn == NULL)
        return;
      g_debug ("TLS handshake with %s failed: %s", conn->source,
               error->message);
      conn_drop (conn);
      return;
    }
  if (conn == NULL)
    return;
  g_clear_object (&conn->handshake);
  start_http (conn);
}

static void
start_tls (Conn *conn)
{
  SlHubAccept *accept = conn->accept;
  g_autoptr (GError) error = NULL;
  GIOStream *tls = g_tls_server_connection_new (
      G_IO_STREAM (conn->connection), accept->config.certificate, &error);

  if (tls == NULL)
    {
      g_warning ("cannot start TLS for %s: %s", conn->source, error->message);
      conn_drop (conn);
      return;
    }
  conn->tls = G_TLS_CONNECTION (tls);
  /* As libsoup's own listener: browsers often close without it. */
  g_tls_connection_set_require_close_notify (conn->tls, FALSE);
  g_object_set_qdata (G_OBJECT (tls), conn_quark, conn);
  conn->handshake = g_cancellable_new ();
  set_phase (conn, CONN_TLS, accept->config.tls_timeout_s);
  g_tls_connection_handshake_async (conn->tls, G_PRIORITY_DEFAULT,
                                    conn->handshake, on_handshake, NULL);
}

/* A socket accept() returned: counted, or refused at once. */
static void
take (SlHubAccept *accept, GSocket *socket)
{
  g_autoptr (GSocketAddress) remote
      = g_socket_get_remote_address (socket, NULL);
  g_autofree gchar *source = NULL;
  SlConnVerdict verdict;
  Conn *conn;

  if (remote == NULL || !G_IS_INET_SOCKET_ADDRESS (remote))
    {
      g_socket_close (socket, NULL);
      return;
    }
  source = sl_conn_limits_source (
      g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
  verdict = sl_conn_limits_admit (accept->limits, source);
  if (verdict != SL_CONN_ADMIT)
    {
      log_throttled (&accept->log_refused, G_LOG_LEVEL_WARNING,
                     "refusing a connection from %s: %s", source,
                     verdict == SL_CONN_REFUSE_TOTAL
                         ? "the hub holds --max-connections already"
                         : "that source holds --max-connections-per-source "
                           "already");
      g_socket_close (socket, NULL);
      return;
    }
  conn = g_new0 (Conn, 1);
  conn->accept = accept;
  conn->source = g_steal_pointer (&source);
  conn->socket = g_object_ref (socket);
  conn->remote = g_steal_pointer (&remote);
  conn->local = g_socket_get_local_address (socket, NULL);
  g_object_set_qdata (G_OBJECT (conn->remote), conn_quark, conn);
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  conn->connection = g_socket_connection_factory_create_connection (socket);
  g_hash_table_add (accept->conns, conn);
  if (accept->config.certificate != NULL)
    start_tls (conn);
  else
    start_http (conn);
}

/* EMFILE and ENFILE, and the errors GIO gives for running out of kernel
 * memory (ENOBUFS, ENOMEM have no GIO code of their own): any of them
 * would make the next accept() fail the same way at once. */
static gboolean
is_out_of_descriptors (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_FAILED);
}

static gboolean
on_incoming (GSocket *listener, GIOCondition condition, gpointer user_data)
{
  SlHubAccept *accept = user_data;

  for (guint i = 0; i < ACCEPT_BATCH; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GSocket) socket = g_socket_accept (listener, NULL, &error);

      if (socket != NULL)
        {
          take (accept, socket);
          continue;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      if (is_out_of_descriptors (error))
        {
          /* Destroys this very source: say so to GLib. */
          pause_for_descriptors (accept, error);
          return G_SOURCE_REMOVE;
        }
      /* ECONNABORTED and the like: that client is gone, the next may
       * not be. */
      g_debug ("accept: %s", error->message);
    }
  return G_SOURCE_CONTINUE;
}

/* ---- listening ---- */

static GSocket *
bind_one (GInetAddress *address, guint16 port, GError **error)
{
  g_autoptr (GSocket) socket
      = g_socket_new (g_inet_address_get_family (address), G_SOCKET_TYPE_STREAM,
                      G_SOCKET_PROTOCOL_TCP, error);
  g_autoptr (GSocketAddress) where = NULL;

  if (socket == NULL)
    return NULL;
  where = g_inet_socket_address_new (address, port);
  g_socket_set_blocking (socket, FALSE);
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  /* allow_reuse: a restarted hub must bind its port at once, whatever
   * state the old connections' sockets are in. */
  if (!g_socket_bind (socket, where, TRUE, error)
      || !g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}

static guint16
bound_port (GSocket *socket)
{
  g_autoptr (GSocketAddress) address
      = g_socket_get_local_address (socket, NULL);

  return address
             ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address))
             : 0;
}

gboolean
sl_hub_accept_listen (SlHubAccept *accept, const SlHubListen *listen,
                      guint *port, GError **error)
{
  g_autoptr (GInetAddress) v4 = NULL;
  g_autoptr (GInetAddress) v6 = NULL;
  GSocket *socket;

  if (!listen->is_localhost)
    socket = bind_one (listen->address, listen->port, error);
  else
    {
      /* Both loopbacks on one port, as libsoup's listen_local() did; a
       * machine without IPv6 serves IPv4 alone. */
      v4 = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      v6 = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
      socket = bind_one (v4, listen->port, error);
      if (socket != NULL)
        {
          GSocket *second = bind_one (v6, bound_port (socket), NULL);
          if (second != NULL)
            g_ptr_array_add (accept->listeners, second);
        }
    }
  if (socket == NULL)
    return FALSE;
  g_ptr_array_insert (accept->listeners, 0, socket);
  *port = bound_port (socket);
  start_polling (accept);
  return TRUE;
}

/* ---- the acceptor ---- */

static void
conn_free_cb (gpointer data)
{
  conn_free (data);
}

SlHubAccept *
sl_hub_accept_new (const SlHubAcceptConfig *config)
{
  SlHubAccept *accept = g_new0 (SlHubAccept, 1);
  const SlLogThrottle throttle = SL_LOG_THROTTLE_INIT (LOG_INTERVAL_S);

  if (conn_quark == 0)
    conn_quark = g_quark_from_static_string ("sl-hub-accept-conn");
  accept->config = *config;
  g_object_ref (accept->config.soup);
  if (accept->config.certificate != NULL)
    g_object_ref (accept->config.certificate);
  accept->limits
      = sl_conn_limits_new (config->max_connections, config->max_per_source);
  accept->listeners = g_ptr_array_new_with_free_func (g_object_unref);
  accept->sources
      = g_ptr_array_new_with_free_func ((GDestroyNotify)g_source_unref);
  accept->conns = g_hash_table_new_full (g_direct_hash, g_direct_equal,
                                         conn_free_cb, NULL);
  accept->log_refused = accept->log_emfile = throttle;
  accept->log_timeout = accept->log_violation = throttle;
  return accept;
}

SlHubStream *
sl_hub_accept_set_websocket (SlHubAccept *accept, GSocketAddress *remote)
{
  Conn *conn
      = remote ? g_object_get_qdata (G_OBJECT (remote), conn_quark) : NULL;

  if (conn == NULL || conn->stream == NULL)
    return NULL;
  set_phase (conn, CONN_WEBSOCKET, 0);
  if (!sl_hub_stream_set_websocket (conn->stream))
    {
      on_violation ("a WebSocket bound was broken before the upgrade", conn);
      return NULL;
    }
  return conn->stream;
}

void
sl_hub_accept_stop (SlHubAccept *accept)
{
  stop_polling (accept);
  g_clear_handle_id (&accept->retry_timer, g_source_remove);
  accept->paused = FALSE;
  g_ptr_array_set_size (accept->listeners, 0);
}

void
sl_hub_accept_free (SlHubAccept *accept)
{
  GHashTableIter iter;
  gpointer key;

  if (accept == NULL)
    return;
  sl_hub_accept_stop (accept);
  /* Close the streams still open: each removes its record as it goes, so
   * start again after each. */
  for (;;)
    {
      Conn *open = NULL;
      g_hash_table_iter_init (&iter, accept->conns);
      while (open == NULL && g_hash_table_iter_next (&iter, &key, NULL))
        if (((Conn *)key)->stream != NULL
            && !g_io_stream_is_closed (G_IO_STREAM (((Conn *)key)->stream)))
          open = key;
      if (open == NULL)
        break;
      g_io_stream_close (G_IO_STREAM (open->stream), NULL, NULL);
    }
  g_hash_table_unref (accept->conns);
  g_ptr_array_unref (accept->sources);
  g_ptr_array_unref (accept->listeners);
  sl_conn_limits_free (accept->limits);
  g_object_unref (accept->config.soup);
  g_clear_object (&accept->config.certificate);
  g_free (accept);
}
