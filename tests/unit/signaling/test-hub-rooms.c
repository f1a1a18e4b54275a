/* test-hub-rooms.c — the hub's core without a network: joins, refusals,
 * replacement, relay, presence and limits, through a transport that
 * records what the core asks it to send and close.
 *
 * Clocks are the fixture's, so expiry and rate limits are tested without
 * waiting.  Everything the core logs is captured and checked for tokens.
 */
#include <string.h>

#include "sl-hub-rights.h"
#include "sl-hub.h"
#include "sl-token.h"

#define NOW 1700000000

typedef struct
{
  SlHubConn *conn;
  GPtrArray *inbox; /* SlMsg*, what the core sent to this peer */
  gint close_code;  /* 0 while open */
  gchar *close_reason;
  gboolean released; /* sl_hub_conn_closed() called */
} Peer;

typedef struct
{
  SlHub *hub;
  GBytes *secret;
  GPtrArray *peers;  /* Peer*, owned */
  GPtrArray *tokens; /* every token used, to check the logs */
  GString *log;
  gboolean close_at_once; /* report sockets closed from inside close() */
} Fixture;

static gint64 fake_now_unix = NOW;
static Fixture *current_fixture;
static gint64 fake_now_us = 1000000;

static gint64
clock_unix (void)
{
  return fake_now_unix;
}

static gint64
clock_us (void)
{
  return fake_now_us;
}

static void
peer_free (gpointer data)
{
  Peer *peer = data;

  g_ptr_array_unref (peer->inbox);
  g_free (peer->close_reason);
  g_free (peer);
}

static void
release (Peer *peer)
{
  if (peer->released)
    return;
  peer->released = TRUE;
  sl_hub_conn_closed (peer->conn);
}

static void
record_send (SlHubConn *conn, const gchar *text, gpointer user_data)
{
  Peer *peer = sl_hub_conn_get_data (conn);
  g_autoptr (GError) error = NULL;
  SlMsg *msg = sl_msg_parse (text, strlen (text), &error);

  /* Whatever the hub sends must satisfy the parser stations use. */
  g_assert_no_error (error);
  g_assert_cmpint (peer->close_code, ==, 0);
  g_ptr_array_add (peer->inbox, msg);
}

static void
record_close (SlHubConn *conn, gushort code, const gchar *reason,
              gpointer user_data)
{
  Fixture *fx = user_data;
  Peer *peer = sl_hub_conn_get_data (conn);

  g_assert_cmpint (peer->close_code, ==, 0);
  peer->close_code = code;
  peer->close_reason = g_strdup (reason);
  if (fx->close_at_once)
    release (peer);
}

static const SlHubTransport recording_transport = {
  .send = record_send,
  .close = record_close,
};

static GLogWriterOutput
capture_log (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
             gpointer user_data)
{
  Fixture *fx = current_fixture;

  if (fx == NULL)
    return g_log_writer_default (level, fields, n_fields, user_data);
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
      {
        g_string_append (fx->log, fields[i].value);
        g_string_append_c (fx->log, '\n');
      }
  return G_LOG_WRITER_HANDLED;
}

static void
setup_sized (Fixture *fx, gdouble rate, guint burst, gsize max_size)
{
  SlHubConfig config = {
    .max_message_size = max_size,
    .rate = rate,
    .burst = burst,
    .now_unix = clock_unix,
    .now_monotonic_us = clock_us,
  };

  fake_now_unix = NOW;
  fake_now_us = 1000000;
  fx->secret = g_bytes_new_static ("0123456789abcdef0123456789abcdef", 32);
  config.secret = fx->secret;
  fx->hub = sl_hub_new (&config, &recording_transport, fx);
  fx->peers = g_ptr_array_new_with_free_func (peer_free);
  fx->tokens = g_ptr_array_new_with_free_func (g_free);
  fx->log = g_string_new (NULL);
  current_fixture = fx;
}

static void
setup_with (Fixture *fx, gdouble rate, guint burst)
{
  setup_sized (fx, rate, burst, 4096);
}

/* A hub that takes messages as large as the protocol allows. */
static void
setup_full_size (Fixture *fx, gconstpointer data)
{
  setup_sized (fx, 1000, 1000, SL_PROTO_MAX_MESSAGE_SIZE);
}

static void
setup (Fixture *fx, gconstpointer data)
{
  setup_with (fx, 1000, 1000);
}

static void
teardown (Fixture *fx, gconstpointer data)
{
  for (guint i = 0; i < fx->peers->len; i++)
    release (fx->peers->pdata[i]);
  g_assert_cmpuint (sl_hub_get_n_connections (fx->hub), ==, 0);
  g_assert_cmpuint (sl_hub_get_n_rooms (fx->hub), ==, 0);
  g_assert_cmpuint (sl_hub_get_n_peers (fx->hub), ==, 0);
  for (guint i = 0; i < fx->tokens->len; i++)
    g_assert_null (strstr (fx->log->str, fx->tokens->pdata[i]));
  sl_hub_free (fx->hub);
  g_bytes_unref (fx->secret);
  g_ptr_array_unref (fx->peers);
  g_ptr_array_unref (fx->tokens);
  g_string_free (fx->log, TRUE);
  current_fixture = NULL;
}

static Peer *
connect_peer (Fixture *fx)
{
  Peer *peer = g_new0 (Peer, 1);

  peer->inbox = g_ptr_array_new_with_free_func ((GDestroyNotify)sl_msg_free);
  peer->conn = sl_hub_conn_new (fx->hub, "192.0.2.7", peer);
  g_ptr_array_add (fx->peers, peer);
  return peer;
}

static void
send_text (Peer *peer, const gchar *text)
{
  /* An exactly-sized copy, as frames arrive: no terminating NUL. */
  gsize len = strlen (text);
  g_autofree gchar *copy = g_memdup2 (text, len);

  sl_hub_conn_receive (peer->conn, copy, len);
}

static void
send_msg (Peer *peer, const SlMsg *msg)
{
  g_autofree gchar *text = sl_msg_serialize (msg);

  send_text (peer, text);
}

static gchar *
mint (Fixture *fx, const gchar *room, SlRole role, gint64 iat, gint64 ttl)
{
  gchar *token = sl_token_mint (fx->secret, room, role, iat, ttl, NULL);

  g_assert_nonnull (token);
  g_ptr_array_add (fx->tokens, g_strdup (token));
  return token;
}

static void
send_hello_token (Peer *peer, const gchar *token, const gchar *peer_id,
                  guint version)
{
  g_autoptr (SlMsg) hello = sl_msg_new (SL_MSG_HELLO);

  hello->version = version;
  hello->token = g_strdup (token);
  hello->peer_id = g_strdup (peer_id);
  send_msg (peer, hello);
}

/* Connects and says hello with a fresh token for @room/@role. */
static Peer *
join (Fixture *fx, const gchar *room, SlRole role, const gchar *peer_id)
{
  Peer *peer = connect_peer (fx);
  g_autofree gchar *token = mint (fx, room, role, NOW, 3600);

  send_hello_token (peer, token, peer_id, SL_PROTO_VERSION);
  return peer;
}

/* Removes and returns the oldest message in @peer's inbox; fails if it is
 * not of @type. */
static SlMsg *
take (Peer *peer, SlMsgType type)
{
  SlMsg *msg;

  if (peer->inbox->len == 0)
    g_error ("expected %s, inbox empty", sl_msg_type_name (type));
  msg = g_ptr_array_steal_index (peer->inbox, 0);
  if (msg->type != type)
    g_error ("expected %s, got %s", sl_msg_type_name (type),
             sl_msg_type_name (msg->type));
  return msg;
}

static void
take_error (Peer *peer, SlProtoError code)
{
  g_autoptr (SlMsg) msg = take (peer, SL_MSG_ERROR);

  g_assert_cmpstr (sl_proto_error_code_name (msg->code), ==,
                   sl_proto_error_code_name (code));
  g_assert_nonnull (msg->message);
  g_assert_cmpstr (msg->message, !=, "");
}

static void
assert_refused (Peer *peer, SlProtoError code, gint close_code)
{
  take_error (peer, code);
  g_assert_cmpuint (peer->inbox->len, ==, 0);
  g_assert_cmpint (peer->close_code, ==, close_code);
}

static void
assert_quiet (Peer *peer)
{
  g_assert_cmpuint (peer->inbox->len, ==, 0);
  g_assert_cmpint (peer->close_code, ==, 0);
}

/* A township and an expert in room "r1", inboxes emptied. */
static void
join_pair (Fixture *fx, Peer **town, Peer **exp)
{
  g_autoptr (SlMsg) w1 = NULL, w2 = NULL, joined = NULL;

  *town = join (fx, "r1", SL_ROLE_TOWNSHIP, "town");
  w1 = take (*town, SL_MSG_WELCOME);
  *exp = join (fx, "r1", SL_ROLE_EXPERT, "exp");
  w2 = take (*exp, SL_MSG_WELCOME);
  joined = take (*town, SL_MSG_PEER_JOINED);
  assert_quiet (*town);
  assert_quiet (*exp);
}

/* ---- tests ---- */

static void
test_join (Fixture *fx, gconstpointer data)
{
  Peer *town = join (fx, "r1", SL_ROLE_TOWNSHIP, "town");
  g_autoptr (SlMsg) w1 = take (town, SL_MSG_WELCOME);
  Peer *exp = NULL;
  g_autoptr (SlMsg) w2 = NULL, joined = NULL;
  SlPeerInfo *info;

  g_assert_cmpuint (w1->version, ==, SL_PROTO_VERSION);
  g_assert_cmpstr (w1->peer_id, ==, "town");
  g_assert_cmpstr (w1->room, ==, "r1");
  g_assert_cmpint (w1->role, ==, SL_ROLE_TOWNSHIP);
  g_assert_cmpuint (w1->peers->len, ==, 0);
  g_assert_true (sl_hub_conn_is_joined (town->conn));
  g_assert_cmpstr (sl_hub_conn_get_peer_id (town->conn), ==, "town");

  exp = join (fx, "r1", SL_ROLE_EXPERT, "exp");
  w2 = take (exp, SL_MSG_WELCOME);
  g_assert_cmpint (w2->role, ==, SL_ROLE_EXPERT);
  g_assert_cmpuint (w2->peers->len, ==, 1);
  info = w2->peers->pdata[0];
  g_assert_cmpstr (info->peer_id, ==, "town");
  g_assert_cmpint (info->role, ==, SL_ROLE_TOWNSHIP);
  joined = take (town, SL_MSG_PEER_JOINED);
  g_assert_cmpstr (joined->peer_id, ==, "exp");
  g_assert_cmpint (joined->role, ==, SL_ROLE_EXPERT);
  g_assert_cmpuint (sl_hub_get_n_rooms (fx->hub), ==, 1);
  g_assert_cmpuint (sl_hub_get_n_peers (fx->hub), ==, 2);

  /* Another room is another world. */
  {
    Peer *other = join (fx, "r2", SL_ROLE_TOWNSHIP, "town");
    g_autoptr (SlMsg) w3 = take (other, SL_MSG_WELCOME);
    g_assert_cmpuint (w3->peers->len, ==, 0);
    assert_quiet (town);
    g_assert_cmpuint (sl_hub_get_n_rooms (fx->hub), ==, 2);
  }
}

static void
test_second_township (Fixture *fx, gconstpointer data)
{
  Peer *town, *exp, *second;

  join_pair (fx, &town, &exp);
  second = join (fx, "r1", SL_ROLE_TOWNSHIP, "town-2");
  assert_refused (second, SL_PROTO_ERROR_ROOM_OCCUPIED, SL_HUB_CLOSE_CONFLICT);
  release (second);
  assert_quiet (town);
  assert_quiet (exp);
  g_assert_cmpuint (sl_hub_get_n_peers (fx->hub), ==, 2);
  g_assert_nonnull (strstr (fx->log->str, "192.0.2.7"));
}

static void
test_replacement (Fixture *fx, gconstpointer data)
{
  Peer *town, *exp, *again;
  g_autoptr (SlMsg) welcome = NULL;
  SlPeerInfo *info;

  join_pair (fx, &town, &exp);
  again = join (fx, "r1", SL_ROLE_TOWNSHIP, "town");
  welcome = take (again, SL_MSG_WELCOME);
  g_assert_cmpuint (welcome->peers->len, ==, 1);
  info = welcome->peers->pdata[0];
  g_assert_cmpstr (info->peer_id, ==, "exp");
  g_assert_cmpint (town->close_code, ==, SL_HUB_CLOSE_NORMAL);
  g_assert_cmpstr (town->close_reason, ==, "replaced");
  /* The old socket going away later announces nothing either. */
  release (town);
  assert_quiet (exp);
  g_assert_cmpuint (sl_hub_get_n_peers (fx->hub), ==, 2);

  /* The replacement is reachable under the same id. */
  send_text (exp, "{\"type\":\"ice\",\"to\":\"town\",\"mline\":0,"
                  "\"candidate\":\"c\"}");
  g_clear_pointer (&welcome, sl_msg_free);
  welcome = take (again, SL_MSG_ICE);
}

static void
test_same_id_other_role (Fixture *fx, gconstpointer data)
{
  Peer *town, *exp, *thief;

  join_pair (fx, &town, &exp);
  thief = join (fx, "r1", SL_ROLE_TRAINEE, "town");
  assert_refused (thief, SL_PROTO_ERROR_STATE, SL_HUB_CLOSE_CONFLICT);
  assert_quiet (town);
  assert_quiet (exp);
}

static void
test_relay (Fixture *fx, gconstpointer data)
{
  Peer *town, *exp;
  g_autoptr (SlMsg) sdp = sl_msg_new (SL_MSG_SDP);
  g_autoptr (SlMsg) got = NULL;

  join_pair (fx, &town, &exp);
  sdp->to = g_strdup ("town");
  sdp->from = g_strdup ("spoofed");
  sdp->sdp_type = g_strdup ("offer");
  sdp->sdp = g_strdup ("v=0 secret-sdp");
  send_msg (exp, sdp);
  got = take (town, SL_MSG_SDP);
  g_assert_cmpstr (got->from, ==, "exp");
  g_assert_cmpstr (got->sdp, ==, "v=0 secret-sdp");
  g_assert_cmpstr (got->sdp_type, ==, "offer");
  assert_quiet (exp);
  g_assert_null (strstr (fx->log->str, "secret-sdp"));

  /* Unknown target, and oneself: an error, and the connection stays. */
  send_text (exp, "{\"type\":\"ice\",\"to\":\"ghost\",\"mline\":0,"
                  "\"candidate\":\"\"}");
  take_error (exp, SL_PROTO_ERROR_UNKNOWN_PEER);
  send_text (exp, "{\"type\":\"ice\",\"to\":\"exp\",\"mline\":0,"
                  "\"candidate\":\"\"}");
  take_error (exp, SL_PROTO_ERROR_UNKNOWN_PEER);
  /* "from" alone is how the hub speaks, not a station. */
  send_text (exp, "{\"type\":\"ice\",\"from\":\"town\",\"mline\":0,"
                  "\"candidate\":\"\"}");
  take_error (exp, SL_PROTO_ERROR_UNKNOWN_PEER);
  assert_quiet (exp);
  assert_quiet (town);
}

static void
test_relay_across_rooms (Fixture *fx, gconstpointer data)
{
  Peer *town, *exp, *outsider;
  g_autoptr (SlMsg) w = NULL;

  join_pair (fx, &town, &exp);
  outsider = join (fx, "r2", SL_ROLE_EXPERT, "intruder");
  w = take (outsider, SL_MSG_WELCOME);
  send_text (outsider, "{\"type\":\"sdp\",\"to\":\"town\",\"sdp_type\":"
                       "\"offer\",\"sdp\":\"v=0\"}");
  take_error (outsider, SL_PROTO_ERROR_UNKNOWN_PEER);
  assert_quiet (town);
}

static void
test_presence (Fixture *fx, gconstpointer data)
{
  Peer *town, *exp, *trainee;
  g_autoptr (SlMsg) w = NULL, j1 = NULL, j2 = NULL, l1 = NULL, l2 = NULL,
                    l3 = NULL;

  join_pair (fx, &town, &exp);
  trainee = join (fx, "r1", SL_ROLE_TRAINEE, "tr");
  w = take (trainee, SL_MSG_WELCOME);
  g_assert_cmpuint (w->peers->len, ==, 2);
  j1 = take (town, SL_MSG_PEER_JOINED);
  j2 = take (exp, SL_MSG_PEER_JOINED);

  /* A socket that dies: peer-left to the others. */
  release (exp);
  l1 = take (town, SL_MSG_PEER_LEFT);
  l2 = take (trainee, SL_MSG_PEER_LEFT);
  g_assert_cmpstr (l1->peer_id, ==, "exp");

  /* A bye: closed normally, announced once. */
  send_text (trainee, "{\"type\":\"bye\"}");
  g_assert_cmpint (trainee->close_code, ==, SL_HUB_CLOSE_NORMAL);
  l3 = take (town, SL_MSG_PEER_LEFT);
  g_assert_cmpstr (l3->peer_id, ==, "tr");
  release (trainee);
  assert_quiet (town);
  g_assert_cmpuint (sl_hub_get_n_peers (fx->hub), ==, 1);

  /* The last one out frees the room. */
  release (town);
  g_assert_cmpuint (sl_hub_get_n_rooms (fx->hub), ==, 0);
}

static void
test_auth (Fixture *fx, gconstpointer data)
{
  g_autoptr (GBytes) other
      = g_bytes_new_static ("ffffffffffffffffffffffffffffffff", 32);
  g_autofree gchar *forged
      = sl_token_mint (other, "r1", SL_ROLE_EXPERT, NOW, 3600, NULL);
  g_autofree gchar *expired = mint (fx, "r1", SL_ROLE_EXPERT, NOW - 7200, 60);
  g_autofree gchar *good = mint (fx, "r1", SL_ROLE_EXPERT, NOW, 3600);
  Peer *p1 = connect_peer (fx), *p2 = connect_peer (fx);
  Peer *p3 = connect_peer (fx), *p4 = connect_peer (fx);

  g_ptr_array_add (fx->tokens, g_strdup (forged));
  send_hello_token (p1, forged, "a", SL_PROTO_VERSION);
  assert_refused (p1, SL_PROTO_ERROR_AUTH, SL_HUB_CLOSE_AUTH);
  send_hello_token (p2, expired, "b", SL_PROTO_VERSION);
  assert_refused (p2, SL_PROTO_ERROR_EXPIRED, SL_HUB_CLOSE_AUTH);
  send_hello_token (p3, good, "c", 2);
  assert_refused (p3, SL_PROTO_ERROR_VERSION, SL_HUB_CLOSE_VERSION);
  send_hello_token (p4, "", "d", SL_PROTO_VERSION);
  assert_refused (p4, SL_PROTO_ERROR_AUTH, SL_HUB_CLOSE_AUTH);
  g_assert_cmpuint (sl_hub_get_n_rooms (fx->hub), ==, 0);
  g_assert_nonnull (strstr (fx->log->str, "auth-failed"));

  /* Expiry follows the hub's clock. */
  fake_now_unix = NOW + 3600;
  {
    Peer *late = connect_peer (fx);
    send_hello_token (late, good, "e", SL_PROTO_VERSION);
    assert_refused (late, SL_PROTO_ERROR_EXPIRED, SL_HUB_CLOSE_AUTH);
  }
}

static void
test_wrong_order (Fixture *fx, gconstpointer data)
{
  Peer *early = connect_peer (fx), *town, *exp;
  g_autofree gchar *token = mint (fx, "r1", SL_ROLE_EXPERT, NOW, 60);

  /* Relay before hello: refused, but the connection may still say hello. */
  send_text (early, "{\"type\":\"sdp\",\"to\":\"x\",\"sdp_type\":\"offer\","
                    "\"sdp\":\"v\"}");
  take_error (early, SL_PROTO_ERROR_STATE);
  assert_quiet (early);

  join_pair (fx, &town, &exp);
  send_hello_token (exp, token, "exp", SL_PROTO_VERSION);
  take_error (exp, SL_PROTO_ERROR_STATE);
  send_text (exp, "{\"type\":\"peer-left\",\"peer_id\":\"town\"}");
  take_error (exp, SL_PROTO_ERROR_STATE);
  /* An error from a station is never answered. */
  send_text (exp, "{\"type\":\"error\",\"code\":\"internal\",\"message\":"
                  "\"x\"}");
  assert_quiet (exp);
  assert_quiet (town);
}

static void
test_malformed (Fixture *fx, gconstpointer data)
{
  Peer *town, *exp;

  join_pair (fx, &town, &exp);
  for (guint i = 1; i < SL_HUB_MAX_MALFORMED; i++)
    {
      if (i % 2)
        send_text (exp, "{broken");
      else
        sl_hub_conn_receive_binary (exp->conn);
      take_error (exp, SL_PROTO_ERROR_BAD_MESSAGE);
      assert_quiet (exp);
    }
  send_text (exp, "[]");
  assert_refused (exp, SL_PROTO_ERROR_BAD_MESSAGE, SL_HUB_CLOSE_BAD_MESSAGE);
  g_autoptr (SlMsg) left = take (town, SL_MSG_PEER_LEFT);
  g_assert_cmpstr (left->peer_id, ==, "exp");
  /* Frames after the close are ignored. */
  send_text (exp, "{\"type\":\"bye\"}");
  g_assert_cmpuint (exp->inbox->len, ==, 0);
}

static void
test_too_large (Fixture *fx, gconstpointer data)
{
  Peer *town, *exp;
  g_autofree gchar *sdp = g_strnfill (5000, 'x');
  g_autofree gchar *frame = g_strdup_printf ("{\"type\":\"sdp\",\"to\":"
                                             "\"town\",\"sdp_type\":\"offer\","
                                             "\"sdp\":\"%s\"}",
                                             sdp);

  join_pair (fx, &town, &exp);
  send_text (exp, frame);
  assert_refused (exp, SL_PROTO_ERROR_TOO_LARGE, SL_HUB_CLOSE_TOO_LARGE);
  g_autoptr (SlMsg) left = take (town, SL_MSG_PEER_LEFT);
  assert_quiet (town);
}

/* A message the hub accepts but that the hub's own "from" would push over
 * the limit is refused to its sender, not relayed to a station that would
 * have to drop its connection over it. */
static void
test_relay_too_large (Fixture *fx, gconstpointer data)
{
  Peer *town, *exp;
  g_autoptr (SlMsg) sdp = sl_msg_new (SL_MSG_SDP);
  g_autoptr (SlMsg) got = NULL;
  g_autofree gchar *probe = NULL;
  gsize overhead;

  join_pair (fx, &town, &exp);
  sdp->to = g_strdup ("town");
  sdp->sdp_type = g_strdup ("offer");
  sdp->sdp = g_strdup ("");
  probe = sl_msg_serialize (sdp);
  overhead = strlen (probe);
  g_free (sdp->sdp);
  sdp->sdp = g_strnfill (SL_PROTO_MAX_MESSAGE_SIZE - overhead, 'x');
  send_msg (exp, sdp);
  take_error (exp, SL_PROTO_ERROR_TOO_LARGE);
  assert_quiet (exp);
  assert_quiet (town);
  g_assert_cmpint (exp->close_code, ==, 0);

  /* Room for "from": relayed as usual. */
  g_free (sdp->sdp);
  sdp->sdp = g_strnfill (SL_PROTO_MAX_MESSAGE_SIZE - overhead - 64, 'x');
  send_msg (exp, sdp);
  got = take (town, SL_MSG_SDP);
  g_assert_cmpstr (got->from, ==, "exp");
  assert_quiet (exp);
}

static void
setup_slow (Fixture *fx, gconstpointer data)
{
  setup_with (fx, 2, 5);
}

static void
test_rate (Fixture *fx, gconstpointer data)
{
  Peer *town, *exp;
  const gchar *ice = "{\"type\":\"ice\",\"to\":\"town\",\"mline\":0,"
                     "\"candidate\":\"c\"}";

  /* join_pair spent one token of each bucket on the hello. */
  join_pair (fx, &town, &exp);
  for (guint i = 0; i < 4; i++)
    send_text (exp, ice);
  g_assert_cmpuint (town->inbox->len, ==, 4);
  g_ptr_array_set_size (town->inbox, 0);
  assert_quiet (exp);
  /* Half a second at 2/s refills one token. */
  fake_now_us += G_USEC_PER_SEC / 2;
  send_text (exp, ice);
  g_assert_cmpuint (town->inbox->len, ==, 1);
  g_ptr_array_set_size (town->inbox, 0);
  send_text (exp, ice);
  assert_refused (exp, SL_PROTO_ERROR_RATE, SL_HUB_CLOSE_RATE);
  g_autoptr (SlMsg) left = take (town, SL_MSG_PEER_LEFT);
  assert_quiet (town);
}

/* Issue 14, finding 5: the adapter reports a station that does not read;
 * the core closes it with 4507, sends it nothing (it would not be read),
 * tells the room, and logs it. */
static void
test_slow_reader (Fixture *fx, gconstpointer data)
{
  Peer *town, *exp;
  g_autoptr (SlMsg) left = NULL;

  join_pair (fx, &town, &exp);
  sl_hub_conn_slow_reader (exp->conn, 2000000);
  g_assert_cmpint (exp->close_code, ==, SL_HUB_CLOSE_SLOW_READER);
  g_assert_cmpstr (exp->close_reason, ==, "slow-reader");
  g_assert_cmpuint (exp->inbox->len, ==, 0);
  left = take (town, SL_MSG_PEER_LEFT);
  g_assert_cmpstr (left->peer_id, ==, "exp");
  g_assert_nonnull (strstr (fx->log->str, "slow-reader: 2000000 bytes"));
  /* Once closed, a second report changes nothing. */
  sl_hub_conn_slow_reader (exp->conn, 3000000);
  assert_quiet (town);
}

static void
test_hello_timeout (Fixture *fx, gconstpointer data)
{
  Peer *idle = connect_peer (fx), *town, *exp;

  sl_hub_conn_hello_timeout (idle->conn);
  assert_refused (idle, SL_PROTO_ERROR_STATE, SL_HUB_CLOSE_HELLO_TIMEOUT);
  join_pair (fx, &town, &exp);
  sl_hub_conn_hello_timeout (exp->conn);
  assert_quiet (exp);
}

/* Issue 14, finding 9: places are divided by role, so trainee tokens
 * cannot fill a room and lock out the township and the expert. */
static void
test_room_full (Fixture *fx, gconstpointer data)
{
  Peer *last, *town, *exp, *rec;

  for (guint i = 0; i < SL_HUB_PLACES_TRAINEE; i++)
    {
      g_autofree gchar *id = g_strdup_printf ("t%u", i);
      Peer *p = join (fx, "big", SL_ROLE_TRAINEE, id);
      g_assert_cmpint (p->close_code, ==, 0);
    }
  last = join (fx, "big", SL_ROLE_TRAINEE, "one-too-many");
  take_error (last, SL_PROTO_ERROR_ROOM_OCCUPIED);
  g_assert_cmpint (last->close_code, ==, SL_HUB_CLOSE_CONFLICT);

  town = join (fx, "big", SL_ROLE_TOWNSHIP, "town");
  g_assert_cmpint (town->close_code, ==, 0);
  for (guint i = 0; i < SL_HUB_PLACES_EXPERT; i++)
    {
      g_autofree gchar *id = g_strdup_printf ("e%u", i);
      exp = join (fx, "big", SL_ROLE_EXPERT, id);
      g_assert_cmpint (exp->close_code, ==, 0);
    }
  exp = join (fx, "big", SL_ROLE_EXPERT, "e-too-many");
  g_assert_cmpint (exp->close_code, ==, SL_HUB_CLOSE_CONFLICT);
  for (guint i = 0; i < SL_HUB_PLACES_RECORDER; i++)
    {
      g_autofree gchar *id = g_strdup_printf ("r%u", i);
      rec = join (fx, "big", SL_ROLE_RECORDER, id);
      g_assert_cmpint (rec->close_code, ==, 0);
    }
  rec = join (fx, "big", SL_ROLE_RECORDER, "r-too-many");
  g_assert_cmpint (rec->close_code, ==, SL_HUB_CLOSE_CONFLICT);
  g_assert_cmpuint (sl_hub_get_n_peers (fx->hub), ==, SL_PROTO_MAX_PEERS);
}

static void
send_sdp (Peer *from, const gchar *to, const gchar *sdp_type)
{
  g_autoptr (SlMsg) sdp = sl_msg_new (SL_MSG_SDP);

  sdp->to = g_strdup (to);
  sdp->sdp_type = g_strdup (sdp_type);
  sdp->sdp = g_strdup ("v=0 pair-sdp");
  send_msg (from, sdp);
}

static void
send_ice (Peer *from, const gchar *to)
{
  g_autoptr (SlMsg) ice = sl_msg_new (SL_MSG_ICE);

  ice->to = g_strdup (to);
  ice->candidate = g_strdup ("candidate:1 1 UDP 1 192.0.2.9 9 typ host");
  send_msg (from, ice);
}

static void
assert_relayed (Peer *to, SlMsgType type)
{
  g_autoptr (SlMsg) got = take (to, type);

  assert_quiet (to);
}

static void
assert_refused_relay (Peer *from, Peer *to)
{
  take_error (from, SL_PROTO_ERROR_ROLE);
  assert_quiet (from);
  assert_quiet (to);
}

/* Issue 14, finding 1: relays only along the pairs a room allows. */
static void
test_relay_pairs (Fixture *fx, gconstpointer data)
{
  Peer *town, *exp, *tr, *tr2, *rec, *exp2;
  g_autoptr (SlMsg) w1 = NULL, w2 = NULL, w3 = NULL, w4 = NULL;

  join_pair (fx, &town, &exp);
  tr = join (fx, "r1", SL_ROLE_TRAINEE, "tr");
  tr2 = join (fx, "r1", SL_ROLE_TRAINEE, "tr2");
  rec = join (fx, "r1", SL_ROLE_RECORDER, "rec");
  exp2 = join (fx, "r1", SL_ROLE_EXPERT, "exp2");
  w1 = take (tr, SL_MSG_WELCOME);
  w2 = take (tr2, SL_MSG_WELCOME);
  w3 = take (rec, SL_MSG_WELCOME);
  w4 = take (exp2, SL_MSG_WELCOME);
  for (guint i = 0; i < fx->peers->len; i++)
    g_ptr_array_set_size (((Peer *)fx->peers->pdata[i])->inbox, 0);

  /* Allowed: township <-> expert, township -> trainee / recorder. */
  send_sdp (town, "exp", "offer");
  assert_relayed (exp, SL_MSG_SDP);
  send_sdp (exp, "town", "answer");
  assert_relayed (town, SL_MSG_SDP);
  send_sdp (exp, "town", "offer");
  assert_relayed (town, SL_MSG_SDP);
  send_ice (exp, "town");
  assert_relayed (town, SL_MSG_ICE);
  send_sdp (town, "tr", "offer");
  assert_relayed (tr, SL_MSG_SDP);
  send_sdp (tr, "town", "answer");
  assert_relayed (town, SL_MSG_SDP);
  send_ice (tr, "town");
  assert_relayed (town, SL_MSG_ICE);
  send_ice (town, "rec");
  assert_relayed (rec, SL_MSG_ICE);

  /* Refused: a receiver offering, anyone answering an offer it could not
   * have had, and every pair without the township. */
  send_sdp (tr, "town", "offer");
  assert_refused_relay (tr, town);
  send_sdp (rec, "town", "offer");
  assert_refused_relay (rec, town);
  send_sdp (town, "tr", "answer");
  assert_refused_relay (town, tr);
  send_sdp (tr, "exp", "answer");
  assert_refused_relay (tr, exp);
  send_ice (tr, "exp");
  assert_refused_relay (tr, exp);
  send_ice (exp, "tr");
  assert_refused_relay (exp, tr);
  send_sdp (exp, "exp2", "offer");
  assert_refused_relay (exp, exp2);
  send_ice (tr, "tr2");
  assert_refused_relay (tr, tr2);
  send_sdp (rec, "tr", "offer");
  assert_refused_relay (rec, tr);
  /* Refusals leave every connection open and log no SDP. */
  for (guint i = 0; i < fx->peers->len; i++)
    g_assert_cmpint (((Peer *)fx->peers->pdata[i])->close_code, ==, 0);
  g_assert_nonnull (strstr (fx->log->str, "role-refused"));
  g_assert_null (strstr (fx->log->str, "pair-sdp"));
}

/* The whole table of the relay rule. */
static void
test_relay_rule (Fixture *fx, gconstpointer data)
{
  /* [from][to]: may offer. */
  static const gboolean offer[4][4] = {
    /* to: township expert trainee recorder */
    [SL_ROLE_TOWNSHIP] = { FALSE, TRUE, TRUE, TRUE },
    [SL_ROLE_EXPERT] = { TRUE, FALSE, FALSE, FALSE },
    [SL_ROLE_TRAINEE] = { FALSE, FALSE, FALSE, FALSE },
    [SL_ROLE_RECORDER] = { FALSE, FALSE, FALSE, FALSE },
  };
  guint sum = 0;

  for (SlRole a = SL_ROLE_TOWNSHIP; a <= SL_ROLE_RECORDER; a++)
    {
      sum += sl_hub_role_places (a);
      for (SlRole b = SL_ROLE_TOWNSHIP; b <= SL_ROLE_RECORDER; b++)
        {
          g_assert_cmpint (sl_hub_relay_allowed (a, b, SL_MSG_SDP, "offer"), ==,
                           offer[a][b]);
          g_assert_cmpint (sl_hub_relay_allowed (a, b, SL_MSG_SDP, "answer"),
                           ==, offer[b][a]);
          g_assert_cmpint (sl_hub_relay_allowed (a, b, SL_MSG_ICE, NULL), ==,
                           offer[a][b] || offer[b][a]);
          g_assert_false (sl_hub_relay_allowed (a, b, SL_MSG_SDP, "pranswer"));
          g_assert_false (sl_hub_relay_allowed (a, b, SL_MSG_HELLO, NULL));
        }
    }
  g_assert_cmpuint (sum, ==, SL_PROTO_MAX_PEERS);
  g_assert_cmpuint (sl_hub_role_places (SL_ROLE_TOWNSHIP), ==, 1);
}

static void
test_close_all (Fixture *fx, gconstpointer data)
{
  Peer *town, *exp, *idle;

  join_pair (fx, &town, &exp);
  idle = connect_peer (fx);
  sl_hub_close_all (fx->hub, SL_HUB_CLOSE_GOING_AWAY, "bye all");
  g_assert_cmpint (town->close_code, ==, SL_HUB_CLOSE_GOING_AWAY);
  g_assert_cmpint (exp->close_code, ==, SL_HUB_CLOSE_GOING_AWAY);
  g_assert_cmpint (idle->close_code, ==, SL_HUB_CLOSE_GOING_AWAY);
  /* Everyone is leaving: no peer-left storm. */
  g_assert_cmpuint (town->inbox->len, ==, 0);
  g_assert_cmpuint (exp->inbox->len, ==, 0);
}

/* The adapter may report a socket closed from inside close(): the core
 * must not touch the connection after that. */
static void
test_close_at_once (Fixture *fx, gconstpointer data)
{
  Peer *town, *exp, *again;

  fx->close_at_once = TRUE;
  join_pair (fx, &town, &exp);
  send_text (exp, "{\"type\":\"bye\"}");
  g_assert_true (exp->released);
  g_autoptr (SlMsg) left = take (town, SL_MSG_PEER_LEFT);
  again = join (fx, "r1", SL_ROLE_TOWNSHIP, "town");
  g_assert_true (town->released);
  g_autoptr (SlMsg) w = take (again, SL_MSG_WELCOME);
  for (guint i = 0; i < SL_HUB_MAX_MALFORMED; i++)
    send_text (again, "x");
  g_assert_true (again->released);
  sl_hub_close_all (fx->hub, SL_HUB_CLOSE_GOING_AWAY, "done");
}

/* ---- recording (docs/signaling.md, RECORDING) ---- */

static void
say_recording (Peer *peer, gboolean recording)
{
  g_autoptr (SlMsg) msg = sl_msg_new (SL_MSG_RECORD);

  msg->recording = recording;
  send_msg (peer, msg);
}

static void
take_record (Peer *peer, const gchar *who, SlRole role, gboolean recording)
{
  g_autoptr (SlMsg) msg = take (peer, SL_MSG_RECORD);

  g_assert_cmpstr (msg->peer_id, ==, who);
  g_assert_cmpint (msg->role, ==, role);
  g_assert_cmpint (msg->recording, ==, recording);
}

/* A station that records is named to every member, itself included, on
 * start and stop; the hub logs it; a late joiner learns it after its
 * welcome; saying it twice is said once. */
static void
test_record_announced (Fixture *fx, gconstpointer data)
{
  Peer *town, *exp, *late;
  g_autoptr (SlMsg) welcome = NULL;
  g_autoptr (SlMsg) joined = NULL;
  g_autoptr (SlMsg) joined2 = NULL;

  join_pair (fx, &town, &exp);
  say_recording (exp, TRUE);
  take_record (town, "exp", SL_ROLE_EXPERT, TRUE);
  take_record (exp, "exp", SL_ROLE_EXPERT, TRUE);
  g_assert_nonnull (strstr (fx->log->str, "expert exp started recording"));
  say_recording (exp, TRUE);
  assert_quiet (town);
  assert_quiet (exp);

  late = join (fx, "r1", SL_ROLE_TRAINEE, "late");
  welcome = take (late, SL_MSG_WELCOME);
  g_assert_false (welcome->record_forbidden);
  take_record (late, "exp", SL_ROLE_EXPERT, TRUE);
  joined = take (town, SL_MSG_PEER_JOINED);
  joined2 = take (exp, SL_MSG_PEER_JOINED);

  say_recording (exp, FALSE);
  take_record (town, "exp", SL_ROLE_EXPERT, FALSE);
  take_record (exp, "exp", SL_ROLE_EXPERT, FALSE);
  take_record (late, "exp", SL_ROLE_EXPERT, FALSE);
  g_assert_nonnull (strstr (fx->log->str, "expert exp stopped recording"));
}

/* A token with the no_record claim: the welcome says so and a start is
 * refused, told to nobody else. */
static void
test_record_forbidden (Fixture *fx, gconstpointer data)
{
  Peer *town = join (fx, "r1", SL_ROLE_TOWNSHIP, "town");
  Peer *exp = connect_peer (fx);
  g_autofree gchar *token = sl_token_mint_full (
      fx->secret, "r1", SL_ROLE_EXPERT, NOW, 3600, TRUE, NULL);
  g_autoptr (SlMsg) w1 = take (town, SL_MSG_WELCOME);
  g_autoptr (SlMsg) w2 = NULL;
  g_autoptr (SlMsg) joined = NULL;

  g_assert_false (w1->record_forbidden);
  g_ptr_array_add (fx->tokens, g_strdup (token));
  send_hello_token (exp, token, "exp", SL_PROTO_VERSION);
  w2 = take (exp, SL_MSG_WELCOME);
  g_assert_true (w2->record_forbidden);
  joined = take (town, SL_MSG_PEER_JOINED);
  say_recording (exp, TRUE);
  take_error (exp, SL_PROTO_ERROR_RECORD_FORBIDDEN);
  assert_quiet (town);
  g_assert_cmpint (exp->close_code, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Refusals are logged as warnings by design; only criticals (broken
   * preconditions) should abort a test. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL);
  g_log_set_writer_func (capture_log, NULL, NULL);

#define ADD(path, func, set)                                                   \
  g_test_add (path, Fixture, NULL, set, func, teardown)
  ADD ("/hub/join", test_join, setup);
  ADD ("/hub/second-township", test_second_township, setup);
  ADD ("/hub/replacement", test_replacement, setup);
  ADD ("/hub/same-id-other-role", test_same_id_other_role, setup);
  ADD ("/hub/relay", test_relay, setup);
  ADD ("/hub/relay-across-rooms", test_relay_across_rooms, setup);
  ADD ("/hub/presence", test_presence, setup);
  ADD ("/hub/auth", test_auth, setup);
  ADD ("/hub/wrong-order", test_wrong_order, setup);
  ADD ("/hub/malformed", test_malformed, setup);
  ADD ("/hub/too-large", test_too_large, setup);
  ADD ("/hub/relay-too-large", test_relay_too_large, setup_full_size);
  ADD ("/hub/rate", test_rate, setup_slow);
  ADD ("/hub/hello-timeout", test_hello_timeout, setup);
  ADD ("/hub/slow-reader", test_slow_reader, setup);
  ADD ("/hub/room-full", test_room_full, setup);
  ADD ("/hub/relay-pairs", test_relay_pairs, setup);
  ADD ("/hub/relay-rule", test_relay_rule, setup);
  ADD ("/hub/close-all", test_close_all, setup);
  ADD ("/hub/close-at-once", test_close_at_once, setup);
  ADD ("/hub/record-announced", test_record_announced, setup);
  ADD ("/hub/record-forbidden", test_record_forbidden, setup);
#undef ADD
  return g_test_run ();
}
