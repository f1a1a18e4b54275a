/* sl-hub.h — the hub's core: connections, rooms, and what each message
 * causes.
 *
 * This is the decision-making half of sonolink-hub, with no network code:
 * the adapter (sl-hub-server.c) feeds it the frames each WebSocket
 * receives, and it answers through an SlHubTransport — "send this text on
 * that connection", "close that connection with this code".  The unit tests
 * drive it the same way with a transport that records.
 *
 * Threading: an SlHub and its connections belong to the thread that
 * created them; nothing here is thread-safe.  Transport callbacks are
 * called synchronously from within the functions below.
 */
#pragma once

#include <glib.h>

#include "sl-proto.h"

G_BEGIN_DECLS

/* WebSocket close codes the hub uses (docs/signaling.md).  The 44xx codes
 * are in the private range 4000-4999 of RFC 6455 §7.4.2 and mirror the
 * HTTP status of the same meaning. */
typedef enum
{
  SL_HUB_CLOSE_NORMAL = 1000,        /* bye, or replaced by a reconnect */
  SL_HUB_CLOSE_GOING_AWAY = 1001,    /* hub shutting down, peer silent */
  SL_HUB_CLOSE_BAD_MESSAGE = 4400,   /* too many malformed messages */
  SL_HUB_CLOSE_AUTH = 4401,          /* token forged, malformed or expired */
  SL_HUB_CLOSE_ROLE = 4403,          /* role refused (reserved) */
  SL_HUB_CLOSE_HELLO_TIMEOUT = 4408, /* no hello in time */
  SL_HUB_CLOSE_CONFLICT = 4409,      /* room occupied or full, id in use */
  SL_HUB_CLOSE_TOO_LARGE = 4413,     /* message over the size limit */
  SL_HUB_CLOSE_VERSION = 4426,       /* protocol version unsupported */
  SL_HUB_CLOSE_RATE = 4429,          /* message rate exceeded */
  SL_HUB_CLOSE_SLOW_READER = 4507,   /* too much queued toward the station */
} SlHubCloseCode;

/* Malformed messages tolerated on one connection; the last one closes it
 * with SL_HUB_CLOSE_BAD_MESSAGE. */
#define SL_HUB_MAX_MALFORMED 5

#define SL_HUB_DEFAULT_RATE 50.0
#define SL_HUB_DEFAULT_BURST 200

typedef struct _SlHub SlHub;
typedef struct _SlHubConn SlHubConn;

typedef struct
{
  /* Queues @text (one serialised message) on @conn. */
  void (*send) (SlHubConn *conn, const gchar *text, gpointer user_data);
  /* Starts closing @conn.  The core has already forgotten it as a member
   * of any room; the adapter calls sl_hub_conn_closed() once the socket
   * is gone, which may be at once or later. */
  void (*close) (SlHubConn *conn, gushort code, const gchar *reason,
                 gpointer user_data);
} SlHubTransport;

typedef struct
{
  GBytes *secret;         /* token secret (the hub keeps a reference) */
  gsize max_message_size; /* bytes; 0 means SL_PROTO_MAX_MESSAGE_SIZE */
  gdouble rate;           /* messages a second; 0 means the default */
  guint burst;            /* bucket size; 0 means the default */
  /* Clocks, for tests; NULL means the system's wall and monotonic ones. */
  gint64 (*now_unix) (void);
  gint64 (*now_monotonic_us) (void);
} SlHubConfig;

/* Returns (transfer full) a hub with no rooms.  @transport is copied. */
SlHub *sl_hub_new (const SlHubConfig *config, const SlHubTransport *transport,
                   gpointer user_data);

/* Frees the hub.  Connections still open are forgotten without any
 * transport call; close them first with sl_hub_close_all(). */
void sl_hub_free (SlHub *hub);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlHub, sl_hub_free)

guint sl_hub_get_n_rooms (SlHub *hub);
/* Peers that completed their hello, in all rooms. */
guint sl_hub_get_n_peers (SlHub *hub);
/* Connections the adapter has not yet reported closed. */
guint sl_hub_get_n_connections (SlHub *hub);

/* Closes every connection with @code, sending no peer-left messages: used
 * at shutdown, when everyone is leaving at once. */
void sl_hub_close_all (SlHub *hub, gushort code, const gchar *reason);

/* A new WebSocket from @remote (an address, for logs).  @data is the
 * adapter's, returned by sl_hub_conn_get_data().  The returned connection
 * stays valid until the adapter calls sl_hub_conn_closed(). */
SlHubConn *sl_hub_conn_new (SlHub *hub, const gchar *remote, gpointer data);

gpointer sl_hub_conn_get_data (SlHubConn *conn);
/* NULL until the hello succeeded. */
const gchar *sl_hub_conn_get_peer_id (SlHubConn *conn);
gboolean sl_hub_conn_is_joined (SlHubConn *conn);
/* TRUE once the core has asked the transport to close @conn. */
gboolean sl_hub_conn_is_closing (SlHubConn *conn);

/* One text frame of @len bytes (not NUL-terminated) arrived on @conn. */
void sl_hub_conn_receive (SlHubConn *conn, const gchar *data, gsize len);

/* One binary frame arrived: the protocol has none, so it counts as a
 * malformed message. */
void sl_hub_conn_receive_binary (SlHubConn *conn);

/* The adapter's hello timer fired: closes @conn with
 * SL_HUB_CLOSE_HELLO_TIMEOUT unless it has joined. */
void sl_hub_conn_hello_timeout (SlHubConn *conn);

/* The adapter has @queued bytes waiting toward @conn and will not queue
 * more: closes it with SL_HUB_CLOSE_SLOW_READER (and peer-left to the
 * others).  Not to be called from inside a transport callback. */
void sl_hub_conn_slow_reader (SlHubConn *conn, guint64 queued);

/* The socket is gone.  Tells the others in the room (peer-left) if @conn
 * was still a member, and releases @conn: do not use it afterwards. */
void sl_hub_conn_closed (SlHubConn *conn);

G_END_DECLS
