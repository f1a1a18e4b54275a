/* sl-hub-server.h — sonolink-hub's HTTP and WebSocket front end.
 *
 * Adapts libsoup 3 to the core in sl-hub.h: one SoupServer serving the
 * WebSocket endpoint /ws, the health check /healthz and, optionally, a
 * directory of static files at /, fed with connections by the hub's own
 * listener (sl-hub-accept.h).  Everything runs on the thread-default
 * main context of the thread that created the server; nothing here is
 * thread-safe.
 */
#pragma once

#include <gio/gio.h>

#include "sl-hub-listen.h"

G_BEGIN_DECLS

typedef struct _SlHubServer SlHubServer;

typedef struct
{
  GBytes *secret;               /* token secret (referenced) */
  GTlsCertificate *certificate; /* NULL: plain ws:// (referenced) */
  const gchar *web_root;        /* NULL: no static files (copied) */
  gsize max_message_size;       /* 0: SL_PROTO_MAX_MESSAGE_SIZE */
  gdouble rate;                 /* 0: SL_HUB_DEFAULT_RATE */
  guint burst;                  /* 0: SL_HUB_DEFAULT_BURST */
  guint hello_timeout_s;        /* 0: SL_HUB_SERVER_HELLO_TIMEOUT_S */
  /* Connection limits and deadlines (sl-hub-accept.h, sl-hub-limits.h);
   * 0 means the default. */
  guint max_connections;
  guint max_per_source;
  guint tls_timeout_s;
  guint request_timeout_s;
  guint idle_timeout_s;
  gsize max_queued; /* bytes queued toward one station; 0: default */
} SlHubServerConfig;

/* Bytes the hub queues toward one station that does not read before it
 * closes the connection (SL_HUB_CLOSE_SLOW_READER): sixteen messages of
 * the largest size.  A station that reads keeps this near zero. */
#define SL_HUB_SERVER_DEFAULT_MAX_QUEUED (1024 * 1024)

#define SL_HUB_SERVER_HELLO_TIMEOUT_S 10

/* Keepalive: a ping every KEEPALIVE_S seconds; a connection from which
 * nothing (not even a pong) has arrived for DEAD_S seconds is closed. */
#define SL_HUB_SERVER_KEEPALIVE_S 10
#define SL_HUB_SERVER_DEAD_S 30

/* Returns (transfer full) a server that does not listen yet. */
SlHubServer *sl_hub_server_new (const SlHubServerConfig *config);

/* Binds @listen.  On success stores the bound port (the chosen one when
 * @listen asked for port 0) in *@port. */
gboolean sl_hub_server_listen (SlHubServer *server, const SlHubListen *listen,
                               guint *port, GError **error);

/* Stops accepting, closes every WebSocket with 1001 (going away) and
 * iterates the main context until they are closed or @timeout_ms passed. */
void sl_hub_server_shutdown (SlHubServer *server, guint timeout_ms);

void sl_hub_server_free (SlHubServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlHubServer, sl_hub_server_free)

G_END_DECLS
