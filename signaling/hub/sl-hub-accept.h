/* sl-hub-accept.h — sonolink-hub's listening sockets and the life of a
 * client connection before it is a WebSocket.
 *
 * libsoup 3.2's own listener puts no limit on connections, has no timeout
 * for a TLS handshake or a request that never completes, and stops
 * accepting for good after accept() fails with EMFILE.  So the hub owns
 * its listening sockets: it accepts, counts each connection against the
 * limits (sl-hub-limits.h), runs the TLS handshake with a deadline, wraps
 * the connection in an SlHubStream and only then hands it to the
 * SoupServer.  A connection then has a deadline for its request head and,
 * unless it becomes a WebSocket (which the hello timeout and keepalive
 * then govern), a deadline for the whole exchange.  When accept() runs out
 * of descriptors, the hub stops polling the socket, says so in a
 * rate-limited log line, and accepts again as soon as a connection closes
 * or a short retry finds descriptors free.
 *
 * Main context only; not thread-safe.
 */
#pragma once

#include <libsoup/soup.h>

#include "sl-hub-listen.h"
#include "sl-hub-stream.h"

G_BEGIN_DECLS

/* Defaults of `sonolink-hub serve` (docs/sonolink-hub.md). */
#define SL_HUB_DEFAULT_TLS_TIMEOUT_S 10
#define SL_HUB_DEFAULT_REQUEST_TIMEOUT_S 10
#define SL_HUB_DEFAULT_IDLE_TIMEOUT_S 30

/* The longest HTTP request head read (request line and headers). */
#define SL_HUB_MAX_REQUEST_HEAD (16 * 1024)

/* Frames one WebSocket message may arrive in. */
#define SL_HUB_MAX_FRAGMENTS 256

typedef struct
{
  SoupServer *soup;             /* referenced */
  GTlsCertificate *certificate; /* NULL: plain; referenced */
  guint max_connections;
  guint max_per_source;
  guint tls_timeout_s;
  guint request_timeout_s;
  guint idle_timeout_s;
  guint64 max_message; /* reassembled WebSocket message, bytes */
} SlHubAcceptConfig;

typedef struct _SlHubAccept SlHubAccept;

/* Returns (transfer full) an acceptor that does not listen yet. */
SlHubAccept *sl_hub_accept_new (const SlHubAcceptConfig *config);

/* Binds and listens on @listen (both loopback addresses for
 * "localhost"), storing the bound port in *@port. */
gboolean sl_hub_accept_listen (SlHubAccept *accept, const SlHubListen *listen,
                               guint *port, GError **error);

/* The connection libsoup reports with remote address @remote has become a
 * WebSocket: its deadlines end and its message bound applies.  Returns
 * (transfer none) its stream, or NULL if the hub does not know it or its
 * scanner already found a broken bound (the caller should drop it). */
SlHubStream *sl_hub_accept_set_websocket (SlHubAccept *accept,
                                          GSocketAddress *remote);

/* Stops listening; connections already accepted carry on. */
void sl_hub_accept_stop (SlHubAccept *accept);

/* Closes what is left and frees @accept. */
void sl_hub_accept_free (SlHubAccept *accept);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlHubAccept, sl_hub_accept_free)

G_END_DECLS
