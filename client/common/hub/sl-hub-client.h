/* sl-hub-client.h — a station's connection to sonolink-hub.
 *
 * Connects to the hub's WebSocket endpoint, says hello with the station's
 * token and peer id, and delivers the hub's messages.  When the connection
 * drops (the hub restarts, the network blinks) it reconnects with
 * exponential back-off and says hello again with the same peer id, so the
 * hub sees the same station come back and the peer connections, which do
 * not go through the hub, carry on.  A refusal by the hub (bad token, room
 * occupied...) is final and reported once.
 *
 * Control thread only.
 */
#pragma once

#include <gio/gio.h>
#include "sl-proto.h"

G_BEGIN_DECLS

typedef struct _SlHubClient SlHubClient;

typedef struct
{
  /* Joined (first time or after a reconnect).  @welcome is the hub's
   * welcome message, with the peers already in the room. */
  void (*joined) (SlHubClient *client, const SlMsg *welcome, gboolean rejoin,
                  gpointer user_data);
  /* Any other message from the hub (peer-joined, peer-left, sdp, ice,
   * non-fatal error). */
  void (*message) (SlHubClient *client, const SlMsg *msg, gpointer user_data);
  /* The hub refused us, or we gave up reaching it; the client is idle now.
   * @error is in SL_PROTO_ERROR (the hub's code) or G_IO_ERROR
   * (unreachable). */
  void (*failed) (SlHubClient *client, const GError *error, gpointer user_data);
  /* Connection lost, for @why; reconnecting.  Optional. */
  void (*disconnected) (SlHubClient *client, const GError *why,
                        gpointer user_data);
  /* A message from the hub that could not be read (not JSON, or not a
   * message of the protocol), for @why; it is dropped and the connection
   * goes on.  Optional: without it, such messages are dropped silently. */
  void (*malformed) (SlHubClient *client, const GError *why,
                     gpointer user_data);
  /* This process did not run for @stalled_us (stopped, swapped out, its
   * main loop blocked): peers heard nothing from it meanwhile.  The time
   * is not counted as the hub's silence.  Optional. */
  void (*stalled) (SlHubClient *client, gint64 stalled_us, gpointer user_data);
} SlHubClientCallbacks;

typedef struct
{
  const gchar *url; /* as the user typed it: ws[s]://host:port[/path] */
  const gchar *token;
  const gchar *peer_id;    /* NULL: a fresh random id */
  const gchar *ca_file;    /* NULL: the system's trust store */
  guint connect_timeout_s; /* give up the first connection after this */
} SlHubClientConfig;

/* Checks and normalises a hub URL: ws:// or wss:// (http:// and https://
 * are accepted and mapped), a host, an optional port and path; "/ws" is
 * used when the path is empty.  Returns (transfer full) the WebSocket URL
 * or NULL with a G_IO_ERROR_INVALID_ARGUMENT explaining what is wrong. */
gchar *sl_hub_client_websocket_url (const gchar *url, GError **error);

SlHubClient *sl_hub_client_new (const SlHubClientConfig *config,
                                const SlHubClientCallbacks *callbacks,
                                gpointer user_data, GError **error);

void sl_hub_client_start (SlHubClient *client);

/* Sends @msg if connected; returns FALSE (dropping it) otherwise. */
gboolean sl_hub_client_send (SlHubClient *client, const SlMsg *msg);

/* Gives the current connection up and reconnects (with the same peer id),
 * as when it is lost; for a station that saw its network change.  @why is
 * logged.  Does nothing while not connected. */
void sl_hub_client_reconnect (SlHubClient *client, const gchar *why);

/* TRUE while connected and the machine still routes to the hub from the
 * address the connection was made from: a change of the machine's network
 * (an interface another program added or removed) left this station's
 * path alone.  FALSE when not connected or when the path is gone or
 * moved (a handover to a new address). */
gboolean sl_hub_client_path_unchanged (SlHubClient *client);

const gchar *sl_hub_client_get_peer_id (SlHubClient *client);

/* Why the last attempt to connect, or the last connection, failed; NULL
 * before any failure.  Valid until the next call into the client. */
const GError *sl_hub_client_get_last_error (SlHubClient *client);
gboolean sl_hub_client_is_joined (SlHubClient *client);
/* Connection attempts that failed in a row since the hub was last
 * joined (0 while the first is under way, or once joined). */
guint sl_hub_client_get_failures (SlHubClient *client);

/* Says bye and closes; no callback after this. */
void sl_hub_client_free (SlHubClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlHubClient, sl_hub_client_free)

G_END_DECLS
