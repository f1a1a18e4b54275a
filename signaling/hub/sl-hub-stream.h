/* sl-hub-stream.h — the stream libsoup reads and writes for one client
 * connection, with the hub's guards in it.
 *
 * A GIOStream over the client's socket connection (or its TLS
 * connection) that libsoup is given in place of the socket:
 *
 * - every byte read goes through an SlWsScan, which bounds the HTTP
 *   request head and each reassembled WebSocket message; once a bound is
 *   broken reads fail, which makes libsoup drop the connection;
 * - bytes written are counted, so the server can tell how much of what
 *   it handed libsoup is still queued toward a client that does not read;
 * - closing is synchronous and never blocks (a TLS close_notify that
 *   cannot be sent is dropped), and the owner hears of it exactly once,
 *   whether libsoup closed the stream or dropped its last reference.
 *
 * Main context only, like the rest of the server; not thread-safe.
 */
#pragma once

#include <gio/gio.h>

#include "sl-ws-scan.h"

G_BEGIN_DECLS

#define SL_TYPE_HUB_STREAM (sl_hub_stream_get_type ())
G_DECLARE_FINAL_TYPE (SlHubStream, sl_hub_stream, SL, HUB_STREAM, GIOStream)

typedef struct
{
  /* The request head has been read completely. */
  void (*head_done) (gpointer user_data);
  /* A bound was broken; @reason is static text.  Reads fail from now. */
  void (*violation) (const gchar *reason, gpointer user_data);
  /* The stream is closed (called once, never from a finalizer of the
   * owner's objects).  The stream may live on, inert. */
  void (*closed) (gpointer user_data);
} SlHubStreamCallbacks;

/* Returns (transfer full) a stream over @base (referenced), whose bytes
 * travel on @socket (referenced, for shutdown).  @scan_bounds gives the
 * scanner's bounds; callbacks and @user_data must stay valid until
 * closed() was called. */
SlHubStream *sl_hub_stream_new (GIOStream *base, GSocket *socket,
                                const SlWsScan *scan_bounds,
                                const SlHubStreamCallbacks *callbacks,
                                gpointer user_data);

/* The connection is a WebSocket from now on: a broken message bound is
 * enforced (before this, frames after a plain HTTP request are not
 * judged).  Returns FALSE if a bound was already broken. */
gboolean sl_hub_stream_set_websocket (SlHubStream *stream);

/* Bytes written to the client so far, and bytes of pongs libsoup owes for
 * the pings read so far: what the server must add to its own count of
 * bytes handed to libsoup. */
guint64 sl_hub_stream_get_written (SlHubStream *stream);
guint64 sl_hub_stream_get_owed (SlHubStream *stream);

/* Shuts the socket down both ways: whatever libsoup waits for next fails
 * at once, and it closes the stream.  For timeouts. */
void sl_hub_stream_abort (SlHubStream *stream);

G_END_DECLS
