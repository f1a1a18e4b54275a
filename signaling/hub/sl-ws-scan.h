/* sl-ws-scan.h — watches the bytes a client sends to the hub, below
 * libsoup, for what libsoup does not bound.
 *
 * libsoup 3.2 reads an HTTP request head of any length, and bounds each
 * WebSocket frame but not the message it reassembles from continuation
 * frames: a client sending endless fragments grows the hub's memory
 * without limit.  The scanner sees every byte as it is read, finds the end
 * of the request head ("\r\n\r\n"), then follows the WebSocket frames
 * (RFC 6455 §5.2) header by header, adding up each data message's length
 * as its fragments announce themselves — before their payload is read —
 * and fails at the first frame that would take a message past the bound.
 * It also counts the bytes of the pongs libsoup will queue in answer to
 * pings, so the hub's count of bytes queued toward a client stays honest.
 *
 * The scanner only judges sizes and framing it must parse; masking,
 * UTF-8, close codes and the rest stay libsoup's business.  A plain value
 * with no I/O and no allocation: not thread-safe, one per connection.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  SL_WS_SCAN_HEAD,   /* in the HTTP request head */
  SL_WS_SCAN_FRAMES, /* past it: following WebSocket frames */
  SL_WS_SCAN_FAILED, /* a bound was broken; see the reason */
} SlWsScanPhase;

typedef struct
{
  /* Bounds, set by sl_ws_scan_init(). */
  gsize max_head;
  guint64 max_message;
  guint max_fragments;
  /* State. */
  SlWsScanPhase phase;
  const gchar *reason; /* static text, once FAILED */
  gsize head_len;
  guint head_match;  /* characters of "\r\n\r\n" matched so far */
  guint8 header[14]; /* the frame header being read */
  guint header_len;  /* bytes of it read */
  guint header_need; /* its full length, once known (>= 2) */
  guint64 payload_left;
  gboolean in_message; /* a fragmented data message is open */
  guint64 message_len;
  guint fragments;
  guint64 pong_bytes; /* not yet taken by sl_ws_scan_take_pong_bytes() */
} SlWsScan;

/* Starts scanning a new connection at its first byte.  @max_head bounds
 * the HTTP request head, @max_message a reassembled WebSocket data
 * message, @max_fragments the frames of one message. */
void sl_ws_scan_init (SlWsScan *scan, gsize max_head, guint64 max_message,
                      guint max_fragments);

/* Feeds the next @len bytes read from the client.  Returns FALSE once a
 * bound is broken (and for every later call); scan->reason says which. */
gboolean sl_ws_scan_feed (SlWsScan *scan, const guint8 *data, gsize len);

/* TRUE once the whole request head has been read. */
gboolean sl_ws_scan_head_done (const SlWsScan *scan);

/* Bytes of pong frames owed for pings read since the last call. */
guint64 sl_ws_scan_take_pong_bytes (SlWsScan *scan);

/* The size on the wire of a server frame (unmasked) carrying @payload
 * bytes: RFC 6455 §5.2's 2-, 4- or 10-byte header plus the payload. */
guint64 sl_ws_frame_size (guint64 payload);

G_END_DECLS
