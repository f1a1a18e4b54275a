/* test-hub-limits.c — the hub's connection limits, its log throttle and
 * the byte scanner under libsoup, driven directly with no network.
 *
 * The scanner cases follow issue 14: a message reassembled from endless
 * continuation frames must fail at the first fragment beyond the bound,
 * before its payload, however the bytes are split into reads.
 */
#include <string.h>

#include "sl-hub-limits.h"
#include "sl-ws-scan.h"

#define HEAD "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n"

static void
test_limits (void)
{
  g_autoptr (SlConnLimits) limits = sl_conn_limits_new (4, 2);

  g_assert_cmpint (sl_conn_limits_admit (limits, "192.0.2.1"), ==,
                   SL_CONN_ADMIT);
  g_assert_cmpint (sl_conn_limits_admit (limits, "192.0.2.1"), ==,
                   SL_CONN_ADMIT);
  g_assert_cmpint (sl_conn_limits_admit (limits, "192.0.2.1"), ==,
                   SL_CONN_REFUSE_SOURCE);
  g_assert_cmpint (sl_conn_limits_admit (limits, "192.0.2.2"), ==,
                   SL_CONN_ADMIT);
  g_assert_cmpint (sl_conn_limits_admit (limits, "192.0.2.3"), ==,
                   SL_CONN_ADMIT);
  g_assert_cmpint (sl_conn_limits_admit (limits, "192.0.2.4"), ==,
                   SL_CONN_REFUSE_TOTAL);
  g_assert_cmpuint (sl_conn_limits_get_total (limits), ==, 4);
  sl_conn_limits_release (limits, "192.0.2.1");
  g_assert_cmpuint (sl_conn_limits_get_count (limits, "192.0.2.1"), ==, 1);
  g_assert_cmpint (sl_conn_limits_admit (limits, "192.0.2.4"), ==,
                   SL_CONN_ADMIT);
  sl_conn_limits_release (limits, "192.0.2.2");
  sl_conn_limits_release (limits, "192.0.2.3");
  sl_conn_limits_release (limits, "192.0.2.4");
  sl_conn_limits_release (limits, "192.0.2.1");
  g_assert_cmpuint (sl_conn_limits_get_total (limits), ==, 0);
  g_assert_cmpuint (sl_conn_limits_get_count (limits, "192.0.2.1"), ==, 0);
}

static void
assert_source (const gchar *address, const gchar *source)
{
  g_autoptr (GInetAddress) a = g_inet_address_new_from_string (address);
  g_autofree gchar *s = sl_conn_limits_source (a);

  g_assert_cmpstr (s, ==, source);
}

static void
test_sources (void)
{
  assert_source ("192.0.2.7", "192.0.2.7");
  assert_source ("::ffff:192.0.2.7", "192.0.2.7");
  assert_source ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64");
  assert_source ("2001:db8:1:2::1", "2001:db8:1:2::/64");
  assert_source ("::1", "0:0:0:0::/64");
}

static void
test_throttle (void)
{
  SlLogThrottle t = SL_LOG_THROTTLE_INIT (10);
  guint suppressed = 99;

  g_assert_true (sl_log_throttle_allow (&t, 1000, &suppressed));
  g_assert_cmpuint (suppressed, ==, 0);
  g_assert_false (sl_log_throttle_allow (&t, 2000, &suppressed));
  g_assert_false (sl_log_throttle_allow (&t, 9 * G_USEC_PER_SEC, NULL));
  g_assert_true (sl_log_throttle_allow (&t, 11 * G_USEC_PER_SEC, &suppressed));
  g_assert_cmpuint (suppressed, ==, 2);
}

/* A masked client frame header for @payload bytes (mask 0). */
static GByteArray *
frame (GByteArray *out, guint8 first, guint64 payload, gboolean with_payload)
{
  guint8 h[14];
  guint n = 0;

  h[n++] = first;
  if (payload <= 125)
    h[n++] = 0x80 | (guint8)payload;
  else if (payload <= G_MAXUINT16)
    {
      h[n++] = 0x80 | 126;
      h[n++] = (guint8)(payload >> 8);
      h[n++] = (guint8)payload;
    }
  else
    {
      h[n++] = 0x80 | 127;
      for (gint i = 7; i >= 0; i--)
        h[n++] = (guint8)(payload >> (8 * i));
    }
  memset (h + n, 0, 4);
  n += 4;
  g_byte_array_append (out, h, n);
  if (with_payload)
    for (guint64 i = 0; i < payload; i++)
      g_byte_array_append (out, (const guint8 *)"x", 1);
  return out;
}

/* Feeds @bytes in pieces of @step; returns the offset at which the scan
 * failed, or -1. */
static gssize
feed_in_steps (SlWsScan *scan, const GByteArray *bytes, gsize step)
{
  for (gsize i = 0; i < bytes->len; i += step)
    if (!sl_ws_scan_feed (scan, bytes->data + i, MIN (step, bytes->len - i)))
      return (gssize)i;
  return -1;
}

static void
test_scan_messages (void)
{
  const gsize steps[] = { 1, 3, 7, 4096 };

  for (gsize k = 0; k < G_N_ELEMENTS (steps); k++)
    {
      g_autoptr (GByteArray) ok = g_byte_array_new ();
      SlWsScan scan;

      sl_ws_scan_init (&scan, 1024, 1000, 8);
      g_byte_array_append (ok, (const guint8 *)HEAD, strlen (HEAD));
      frame (ok, 0x81, 600, TRUE);  /* whole text message */
      frame (ok, 0x01, 400, TRUE);  /* fragmented: 400 ... */
      frame (ok, 0x89, 5, TRUE);    /* a ping between fragments */
      frame (ok, 0x80, 600, TRUE);  /* ... + 600 = 1000: at the bound */
      frame (ok, 0x82, 1000, TRUE); /* binary, at the bound */
      g_assert_cmpint (feed_in_steps (&scan, ok, steps[k]), ==, -1);
      g_assert_true (sl_ws_scan_head_done (&scan));
      g_assert_cmpuint (sl_ws_scan_take_pong_bytes (&scan), ==, 7);
      g_assert_cmpuint (sl_ws_scan_take_pong_bytes (&scan), ==, 0);
    }
}

/* Issue 14, finding 4: endless continuation frames. */
static void
test_scan_fragment_flood (void)
{
  g_autoptr (GByteArray) flood = g_byte_array_new ();
  SlWsScan scan;
  gsize before_payload;
  gssize failed;

  sl_ws_scan_init (&scan, 1024, 65536, 1000000);
  g_byte_array_append (flood, (const guint8 *)HEAD, strlen (HEAD));
  frame (flood, 0x01, 60000, TRUE);
  frame (flood, 0x00, 5000, TRUE);
  before_payload = flood->len;
  frame (flood, 0x00, 1000, FALSE); /* 66000 > 65536: fails on its header */
  failed = feed_in_steps (&scan, flood, 1);
  /* The last byte of its 8-byte header (2 + 2 length + 4 mask). */
  g_assert_cmpint (failed, ==, (gssize)before_payload + 8 - 1);
  g_assert_cmpstr (scan.reason, ==, "WebSocket message too large");
  /* And stays failed. */
  g_assert_false (sl_ws_scan_feed (&scan, (const guint8 *)"x", 1));

  /* Many empty fragments are bounded by their number. */
  g_byte_array_set_size (flood, 0);
  sl_ws_scan_init (&scan, 1024, 65536, 8);
  g_byte_array_append (flood, (const guint8 *)HEAD, strlen (HEAD));
  frame (flood, 0x01, 0, TRUE);
  for (guint i = 0; i < 8; i++)
    frame (flood, 0x00, 0, TRUE);
  g_assert_cmpint (feed_in_steps (&scan, flood, 5), >=, 0);
  g_assert_cmpstr (scan.reason, ==, "WebSocket message in too many fragments");
}

static void
test_scan_refusals (void)
{
  struct
  {
    guint8 first;
    guint64 len;
    const gchar *reason;
  } cases[] = {
    { 0x80, 1, "WebSocket continuation without a message" },
    { 0x89, 126, "invalid WebSocket control frame" },
    { 0x09, 1, "invalid WebSocket control frame" },
    { 0x83, 1, "unknown WebSocket opcode" },
    { 0x81, 70000, "WebSocket message too large" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GByteArray) bytes = g_byte_array_new ();
      SlWsScan scan;

      sl_ws_scan_init (&scan, 1024, 65536, 8);
      g_byte_array_append (bytes, (const guint8 *)HEAD, strlen (HEAD));
      frame (bytes, cases[i].first, cases[i].len, FALSE);
      g_assert_cmpint (feed_in_steps (&scan, bytes, 2), >=, 0);
      g_assert_cmpstr (scan.reason, ==, cases[i].reason);
    }
}

/* Issue 14, finding 3: a request head that never ends. */
static void
test_scan_head (void)
{
  g_autoptr (GString) head = g_string_new ("GET / HTTP/1.1\r\n");
  SlWsScan scan;

  sl_ws_scan_init (&scan, 64, 65536, 8);
  g_assert_true (sl_ws_scan_feed (&scan, (const guint8 *)head->str, head->len));
  g_assert_false (sl_ws_scan_head_done (&scan));
  while (head->len < 100)
    g_string_append (head, "X-Pad: 1\r\n");
  sl_ws_scan_init (&scan, 64, 65536, 8);
  g_assert_false (
      sl_ws_scan_feed (&scan, (const guint8 *)head->str, head->len));
  g_assert_cmpstr (scan.reason, ==, "HTTP request head too long");
  g_assert_false (sl_ws_scan_head_done (&scan));

  /* "\r\n\r\n" split across reads and after a lone "\r". */
  sl_ws_scan_init (&scan, 64, 65536, 8);
  g_assert_true (sl_ws_scan_feed (&scan, (const guint8 *)"GET / \r\r\n", 9));
  g_assert_true (sl_ws_scan_feed (&scan, (const guint8 *)"\r", 1));
  g_assert_false (sl_ws_scan_head_done (&scan));
  g_assert_true (sl_ws_scan_feed (&scan, (const guint8 *)"\n", 1));
  g_assert_true (sl_ws_scan_head_done (&scan));
}

static void
test_frame_size (void)
{
  g_assert_cmpuint (sl_ws_frame_size (0), ==, 2);
  g_assert_cmpuint (sl_ws_frame_size (125), ==, 127);
  g_assert_cmpuint (sl_ws_frame_size (126), ==, 130);
  g_assert_cmpuint (sl_ws_frame_size (65535), ==, 65539);
  g_assert_cmpuint (sl_ws_frame_size (65536), ==, 65546);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/limits/connections", test_limits);
  g_test_add_func ("/limits/sources", test_sources);
  g_test_add_func ("/limits/throttle", test_throttle);
  g_test_add_func ("/ws-scan/messages", test_scan_messages);
  g_test_add_func ("/ws-scan/fragment-flood", test_scan_fragment_flood);
  g_test_add_func ("/ws-scan/refusals", test_scan_refusals);
  g_test_add_func ("/ws-scan/head", test_scan_head);
  g_test_add_func ("/ws-scan/frame-size", test_frame_size);
  return g_test_run ();
}
