/* sl-ws-scan.c — watches the bytes a client sends to the hub, below
 * libsoup, for what libsoup does not bound.
 *
 * A byte-at-a-time state machine for the head and frame headers, and a
 * skip over payloads, so the cost is proportional to the headers, not to
 * the data.  Lengths are judged when a frame's header is complete: a
 * fragment that would take its message past the bound fails before one
 * byte of its payload is passed on.
 */
#include "sl-ws-scan.h"

#define OPCODE_CONTINUATION 0x0
#define OPCODE_TEXT 0x1
#define OPCODE_BINARY 0x2
#define OPCODE_PING 0x9

/* RFC 6455 §5.5: control frames carry at most 125 bytes. */
#define MAX_CONTROL_PAYLOAD 125

void
sl_ws_scan_init (SlWsScan *scan, gsize max_head, guint64 max_message,
                 guint max_fragments)
{
  *scan = (SlWsScan){ 0 };
  scan->max_head = max_head;
  scan->max_message = max_message;
  scan->max_fragments = max_fragments;
  scan->phase = SL_WS_SCAN_HEAD;
}

guint64
sl_ws_frame_size (guint64 payload)
{
  if (payload <= 125)
    return payload + 2;
  if (payload <= G_MAXUINT16)
    return payload + 4;
  return payload + 10;
}

static gboolean
fail (SlWsScan *scan, const gchar *reason)
{
  scan->phase = SL_WS_SCAN_FAILED;
  scan->reason = reason;
  return FALSE;
}

/* Consumes head bytes; returns how many. */
static gsize
feed_head (SlWsScan *scan, const guint8 *data, gsize len)
{
  static const gchar end[] = "\r\n\r\n";
  gsize i;

  for (i = 0; i < len; i++)
    {
      if (data[i] == (guint8)end[scan->head_match])
        scan->head_match++;
      else
        scan->head_match = data[i] == '\r' ? 1 : 0;
      if (++scan->head_len > scan->max_head)
        {
          fail (scan, "HTTP request head too long");
          return i + 1;
        }
      if (scan->head_match == 4)
        {
          scan->phase = SL_WS_SCAN_FRAMES;
          return i + 1;
        }
    }
  return i;
}

/* The header is complete: judges the frame it announces. */
static gboolean
judge_frame (SlWsScan *scan)
{
  const guint8 *h = scan->header;
  const gboolean fin = (h[0] & 0x80) != 0;
  const guint opcode = h[0] & 0x0f;
  guint64 len = h[1] & 0x7f;

  if (len == 126)
    len = (guint64)h[2] << 8 | h[3];
  else if (len == 127)
    {
      len = 0;
      for (guint i = 2; i < 10; i++)
        len = len << 8 | h[i];
    }
  scan->payload_left = len;
  scan->header_len = 0;
  scan->header_need = 0;

  if (opcode & 0x8)
    {
      if (len > MAX_CONTROL_PAYLOAD || !fin)
        return fail (scan, "invalid WebSocket control frame");
      if (opcode == OPCODE_PING)
        scan->pong_bytes += sl_ws_frame_size (len);
      return TRUE;
    }
  if (opcode == OPCODE_CONTINUATION)
    {
      if (!scan->in_message)
        return fail (scan, "WebSocket continuation without a message");
      scan->message_len += len;
      scan->fragments++;
    }
  else if (opcode == OPCODE_TEXT || opcode == OPCODE_BINARY)
    {
      if (scan->in_message)
        return fail (scan, "WebSocket message inside a message");
      scan->message_len = len;
      scan->fragments = 1;
    }
  else
    return fail (scan, "unknown WebSocket opcode");
  /* The whole point: the reassembled message, not only this frame. */
  if (scan->message_len > scan->max_message)
    return fail (scan, "WebSocket message too large");
  if (scan->fragments > scan->max_fragments)
    return fail (scan, "WebSocket message in too many fragments");
  scan->in_message = !fin;
  return TRUE;
}

/* Consumes frame bytes; returns how many. */
static gsize
feed_frames (SlWsScan *scan, const guint8 *data, gsize len)
{
  gsize i = 0;

  while (i < len && scan->phase == SL_WS_SCAN_FRAMES)
    {
      if (scan->header_len == 0 && scan->payload_left > 0)
        {
          guint64 skip = MIN (scan->payload_left, (guint64)(len - i));
          scan->payload_left -= skip;
          i += (gsize)skip;
          continue;
        }
      scan->header[scan->header_len++] = data[i++];
      if (scan->header_len == 2)
        {
          guint len7 = scan->header[1] & 0x7f;
          scan->header_need = 2
                              + (len7 == 126   ? 2
                                 : len7 == 127 ? 8
                                               : 0)
                              + ((scan->header[1] & 0x80) ? 4 : 0);
        }
      if (scan->header_len >= 2 && scan->header_len == scan->header_need)
        judge_frame (scan);
    }
  return i;
}

gboolean
sl_ws_scan_feed (SlWsScan *scan, const guint8 *data, gsize len)
{
  gsize i = 0;

  while (i < len && scan->phase != SL_WS_SCAN_FAILED)
    {
      if (scan->phase == SL_WS_SCAN_HEAD)
        i += feed_head (scan, data + i, len - i);
      else
        i += feed_frames (scan, data + i, len - i);
    }
  return scan->phase != SL_WS_SCAN_FAILED;
}

gboolean
sl_ws_scan_head_done (const SlWsScan *scan)
{
  return scan->phase == SL_WS_SCAN_FRAMES
         || (scan->phase == SL_WS_SCAN_FAILED && scan->head_match == 4);
}

guint64
sl_ws_scan_take_pong_bytes (SlWsScan *scan)
{
  guint64 bytes = scan->pong_bytes;

  scan->pong_bytes = 0;
  return bytes;
}
