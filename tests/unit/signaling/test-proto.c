/* test-proto.c — the signalling message codec: every message type through
 * serialise and parse, and the parser's refusals.
 *
 * Inputs are handed to the parser in buffers without a terminating NUL,
 * as frames arrive from a socket, so that an over-read shows up under
 * AddressSanitizer.
 */
#include <string.h>

#include "sl-proto.h"

/* Parses @len bytes copied into an exactly-sized heap buffer. */
static SlMsg *
parse_exact (const gchar *data, gsize len, GError **error)
{
  g_autofree gchar *copy = g_malloc (len ? len : 1);

  memcpy (copy, data, len);
  return sl_msg_parse (copy, len, error);
}

static SlMsg *
parse_text (const gchar *text, GError **error)
{
  return parse_exact (text, strlen (text), error);
}

static void
assert_parse_fails (const gchar *text, gint code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SlMsg) msg = parse_text (text, &error);

  if (msg != NULL)
    g_error ("parsed, but should not: %s", text);
  g_assert_error (error, SL_PROTO_ERROR, code);
}

static SlMsg *
round_trip (const SlMsg *msg)
{
  g_autofree gchar *text = sl_msg_serialize (msg);
  g_autoptr (GError) error = NULL;
  SlMsg *back = parse_text (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (back);
  g_assert_cmpint (back->type, ==, msg->type);
  /* Compact output: the generator adds no whitespace. */
  g_assert_null (strchr (text, '\n'));
  g_assert_null (strstr (text, ": "));
  return back;
}

static void
test_round_trip_hello (void)
{
  g_autoptr (SlMsg) msg = sl_msg_new (SL_MSG_HELLO);
  g_autoptr (SlMsg) back = NULL;

  msg->version = SL_PROTO_VERSION;
  msg->token = g_strdup ("sl1.abc.def");
  msg->peer_id = g_strdup ("peer_1-A");
  back = round_trip (msg);
  g_assert_cmpuint (back->version, ==, SL_PROTO_VERSION);
  g_assert_cmpstr (back->token, ==, "sl1.abc.def");
  g_assert_cmpstr (back->peer_id, ==, "peer_1-A");
}

static void
test_round_trip_welcome (void)
{
  g_autoptr (SlMsg) msg = sl_msg_new (SL_MSG_WELCOME);
  g_autoptr (SlMsg) empty = sl_msg_new (SL_MSG_WELCOME);
  g_autoptr (SlMsg) back = NULL;
  g_autoptr (SlMsg) back_empty = NULL;
  SlPeerInfo *info;

  msg->version = 1;
  msg->peer_id = g_strdup ("me");
  msg->room = g_strdup ("room-9");
  msg->role = SL_ROLE_TRAINEE;
  sl_msg_add_peer (msg, "town", SL_ROLE_TOWNSHIP);
  sl_msg_add_peer (msg, "rec", SL_ROLE_RECORDER);
  back = round_trip (msg);
  g_assert_cmpstr (back->room, ==, "room-9");
  g_assert_cmpint (back->role, ==, SL_ROLE_TRAINEE);
  g_assert_cmpuint (back->peers->len, ==, 2);
  info = back->peers->pdata[1];
  g_assert_cmpstr (info->peer_id, ==, "rec");
  g_assert_cmpint (info->role, ==, SL_ROLE_RECORDER);

  empty->version = 1;
  empty->peer_id = g_strdup ("me");
  empty->room = g_strdup ("r");
  back_empty = round_trip (empty);
  g_assert_cmpuint (back_empty->peers->len, ==, 0);
}

static void
test_round_trip_error (void)
{
  for (gint code = SL_PROTO_ERROR_BAD_MESSAGE;
       code <= SL_PROTO_ERROR_RECORD_FORBIDDEN; code++)
    {
      g_autofree gchar *text = sl_msg_serialize_error (code, "explained");
      g_autoptr (SlMsg) back = parse_text (text, NULL);
      SlProtoError parsed;

      g_assert_nonnull (back);
      g_assert_cmpint (back->code, ==, code);
      g_assert_cmpstr (back->message, ==, "explained");
      g_assert_true (sl_proto_error_code_from_name (
          sl_proto_error_code_name (code), &parsed));
      g_assert_cmpint (parsed, ==, code);
    }
}

static void
test_round_trip_presence (void)
{
  g_autoptr (SlMsg) joined = sl_msg_new (SL_MSG_PEER_JOINED);
  g_autoptr (SlMsg) left = sl_msg_new (SL_MSG_PEER_LEFT);
  g_autoptr (SlMsg) bye = sl_msg_new (SL_MSG_BYE);
  g_autoptr (SlMsg) back1 = NULL, back2 = NULL, back3 = NULL;

  joined->peer_id = g_strdup ("x");
  joined->role = SL_ROLE_EXPERT;
  left->peer_id = g_strdup ("y");
  back1 = round_trip (joined);
  back2 = round_trip (left);
  back3 = round_trip (bye);
  g_assert_cmpstr (back1->peer_id, ==, "x");
  g_assert_cmpint (back1->role, ==, SL_ROLE_EXPERT);
  g_assert_cmpstr (back2->peer_id, ==, "y");
}

static void
test_round_trip_relay (void)
{
  g_autoptr (SlMsg) sdp = sl_msg_new (SL_MSG_SDP);
  g_autoptr (SlMsg) ice = sl_msg_new (SL_MSG_ICE);
  g_autoptr (SlMsg) end = sl_msg_new (SL_MSG_ICE);
  g_autoptr (SlMsg) back1 = NULL, back2 = NULL, back3 = NULL;

  sdp->to = g_strdup ("b");
  sdp->sdp_type = g_strdup ("answer");
  sdp->sdp = g_strdup ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n\"quoted\" é\r\n");
  ice->from = g_strdup ("a");
  ice->mline = 63;
  ice->candidate = g_strdup ("candidate:1 1 UDP 2122 127.0.0.1 5000 typ host");
  end->to = g_strdup ("a");
  end->candidate = g_strdup ("");

  back1 = round_trip (sdp);
  g_assert_cmpstr (back1->to, ==, "b");
  g_assert_null (back1->from);
  g_assert_cmpstr (back1->sdp_type, ==, "answer");
  g_assert_cmpstr (back1->sdp, ==, sdp->sdp);
  back2 = round_trip (ice);
  g_assert_cmpstr (back2->from, ==, "a");
  g_assert_null (back2->to);
  g_assert_cmpuint (back2->mline, ==, 63);
  g_assert_cmpstr (back2->candidate, ==, ice->candidate);
  back3 = round_trip (end);
  g_assert_cmpstr (back3->candidate, ==, "");
}

/* Hand-written frames, as another implementation would send them. */
static void
test_parse_literals (void)
{
  g_autoptr (SlMsg) hello
      = parse_text ("{ \"type\" : \"hello\", \"version\": 7, \"token\": \"t\", "
                    "\"peer_id\": \"p\", \"future_key\": {\"a\": [1, 2]} }",
                    NULL);
  g_autoptr (SlMsg) err = parse_text (
      "{\"type\":\"error\",\"code\":\"from-the-future\",\"message\":\"m\"}",
      NULL);
  g_autoptr (SlMsg) ice
      = parse_text ("{\"type\":\"ice\",\"to\":\"a\",\"from\":\"b\",\"mline\":0,"
                    "\"candidate\":\"\"}",
                    NULL);

  /* Versions are the caller's business; unknown keys are ignored. */
  g_assert_nonnull (hello);
  g_assert_cmpuint (hello->version, ==, 7);
  /* An unknown error code still parses, as BAD_MESSAGE. */
  g_assert_nonnull (err);
  g_assert_cmpint (err->code, ==, SL_PROTO_ERROR_BAD_MESSAGE);
  g_assert_nonnull (ice);
  g_assert_cmpstr (ice->from, ==, "b");
}

static void
test_invalid_json (void)
{
  static const gchar *bad[] = {
    "{",
    "}",
    "{\"type\":\"bye\"",
    "{\"type\":\"bye\",}",
    "nul",
    "[]",
    "[{\"type\":\"bye\"}]",
    "1",
    "\"bye\"",
    "null",
    "true",
    "{\"type\":\"bye\"} {\"type\":\"bye\"}",
    "{\"type\":\"bye\"} x",
    "{'type':'bye'}",
    "{\"type\":\"bye\" /* c */}",
    "{\"type\":\"bye\"}// c",
    "{\"type\":\"bye\",\"x\":#}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_parse_fails (bad[i], SL_PROTO_ERROR_BAD_MESSAGE);
  {
    g_autoptr (GError) error = NULL;
    g_assert_null (sl_msg_parse (NULL, 0, &error));
    g_assert_error (error, SL_PROTO_ERROR, SL_PROTO_ERROR_BAD_MESSAGE);
  }
}

static void
test_wrong_types (void)
{
  static const gchar *bad[] = {
    "{\"type\":7}",
    "{\"type\":null}",
    "{\"type\":[\"bye\"]}",
    "{\"type\":\"hello\",\"version\":\"1\",\"token\":\"t\",\"peer_id\":\"p\"}",
    "{\"type\":\"hello\",\"version\":1.0,\"token\":\"t\",\"peer_id\":\"p\"}",
    "{\"type\":\"hello\",\"version\":-1,\"token\":\"t\",\"peer_id\":\"p\"}",
    "{\"type\":\"hello\",\"version\":true,\"token\":\"t\",\"peer_id\":\"p\"}",
    "{\"type\":\"hello\",\"version\":1,\"token\":5,\"peer_id\":\"p\"}",
    "{\"type\":\"hello\",\"version\":1,\"token\":null,\"peer_id\":\"p\"}",
    "{\"type\":\"hello\",\"version\":1,\"token\":\"t\",\"peer_id\":{}}",
    "{\"type\":\"hello\",\"version\":1,\"token\":\"t\"}",
    "{\"type\":\"hello\",\"token\":\"t\",\"peer_id\":\"p\"}",
    "{\"type\":\"welcome\",\"version\":1,\"peer_id\":\"p\",\"room\":\"r\","
    "\"role\":\"expert\",\"peers\":{}}",
    "{\"type\":\"welcome\",\"version\":1,\"peer_id\":\"p\",\"room\":\"r\","
    "\"role\":\"expert\",\"peers\":[1]}",
    "{\"type\":\"welcome\",\"version\":1,\"peer_id\":\"p\",\"room\":\"r\","
    "\"role\":\"expert\",\"peers\":[{\"peer_id\":\"q\",\"role\":\"boss\"}]}",
    "{\"type\":\"welcome\",\"version\":1,\"peer_id\":\"p\",\"room\":\"r\","
    "\"role\":\"expert\"}",
    "{\"type\":\"welcome\",\"version\":1,\"peer_id\":\"p\",\"room\":\"r\","
    "\"role\":\"admin\",\"peers\":[]}",
    "{\"type\":\"peer-joined\",\"peer_id\":\"p\"}",
    "{\"type\":\"peer-left\"}",
    "{\"type\":\"error\",\"code\":\"auth-failed\"}",
    "{\"type\":\"error\",\"code\":1,\"message\":\"m\"}",
    "{\"type\":\"sdp\",\"sdp_type\":\"offer\",\"sdp\":\"v=0\"}",
    "{\"type\":\"sdp\",\"to\":\"a\",\"sdp_type\":\"pranswer\",\"sdp\":\"v\"}",
    "{\"type\":\"sdp\",\"to\":\"a\",\"sdp_type\":\"offer\",\"sdp\":\"\"}",
    "{\"type\":\"sdp\",\"to\":\"a\",\"sdp_type\":\"offer\"}",
    "{\"type\":\"ice\",\"to\":\"a\",\"mline\":64,\"candidate\":\"c\"}",
    "{\"type\":\"ice\",\"to\":\"a\",\"mline\":-1,\"candidate\":\"c\"}",
    "{\"type\":\"ice\",\"to\":\"a\",\"mline\":\"0\",\"candidate\":\"c\"}",
    "{\"type\":\"ice\",\"to\":\"a\",\"mline\":0}",
    "{\"type\":\"ice\",\"to\":\"a\",\"mline\":0,\"candidate\":null}",
    "{\"type\":\"ice\",\"mline\":0,\"candidate\":\"c\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_parse_fails (bad[i], SL_PROTO_ERROR_BAD_MESSAGE);
}

static void
test_unknown_type (void)
{
  assert_parse_fails ("{\"type\":\"shout\"}", SL_PROTO_ERROR_BAD_MESSAGE);
  assert_parse_fails ("{\"type\":\"\"}", SL_PROTO_ERROR_BAD_MESSAGE);
  assert_parse_fails ("{\"type\":\"BYE\"}", SL_PROTO_ERROR_BAD_MESSAGE);
  assert_parse_fails ("{\"kind\":\"bye\"}", SL_PROTO_ERROR_BAD_MESSAGE);
}

/* An sdp of @sdp_len bytes in a frame. */
static gchar *
sdp_frame (gsize sdp_len)
{
  g_autofree gchar *sdp = g_strnfill (sdp_len, 'x');

  return g_strdup_printf ("{\"type\":\"sdp\",\"to\":\"a\",\"sdp_type\":"
                          "\"offer\",\"sdp\":\"%s\"}",
                          sdp);
}

static void
test_oversize (void)
{
  g_autofree gchar *at_limit = NULL;
  g_autofree gchar *over = NULL;
  g_autoptr (SlMsg) msg = NULL;
  g_autoptr (GError) error = NULL;
  gsize overhead;

  at_limit = sdp_frame (0);
  overhead = strlen (at_limit);
  g_clear_pointer (&at_limit, g_free);
  at_limit = sdp_frame (SL_PROTO_MAX_MESSAGE_SIZE - overhead);
  g_assert_cmpuint (strlen (at_limit), ==, SL_PROTO_MAX_MESSAGE_SIZE);
  msg = parse_text (at_limit, &error);
  g_assert_no_error (error);
  g_assert_nonnull (msg);

  over = sdp_frame (SL_PROTO_MAX_MESSAGE_SIZE - overhead + 1);
  assert_parse_fails (over, SL_PROTO_ERROR_TOO_LARGE);
}

static void
test_long_fields (void)
{
  g_autofree gchar *long_token = g_strnfill (SL_PROTO_MAX_TOKEN_LEN + 1, 't');
  g_autofree gchar *ok_token = g_strnfill (SL_PROTO_MAX_TOKEN_LEN, 't');
  g_autofree gchar *long_id = g_strnfill (SL_PROTO_MAX_ID_LEN + 1, 'i');
  g_autofree gchar *ok_id = g_strnfill (SL_PROTO_MAX_ID_LEN, 'i');
  g_autofree gchar *long_cand
      = g_strnfill (SL_PROTO_MAX_CANDIDATE_LEN + 1, 'c');
  g_autofree gchar *long_text = g_strnfill (SL_PROTO_MAX_TEXT_LEN + 1, 'm');
  g_autofree gchar *f1 = g_strdup_printf ("{\"type\":\"hello\",\"version\":1,"
                                          "\"token\":\"%s\",\"peer_id\":\"p\"}",
                                          long_token);
  g_autofree gchar *f2
      = g_strdup_printf ("{\"type\":\"hello\",\"version\":1,"
                         "\"token\":\"%s\",\"peer_id\":\"%s\"}",
                         ok_token, ok_id);
  g_autofree gchar *f3 = g_strdup_printf ("{\"type\":\"peer-left\","
                                          "\"peer_id\":\"%s\"}",
                                          long_id);
  g_autofree gchar *f4 = g_strdup_printf ("{\"type\":\"ice\",\"to\":\"a\","
                                          "\"mline\":0,\"candidate\":\"%s\"}",
                                          long_cand);
  g_autofree gchar *f5 = g_strdup_printf ("{\"type\":\"error\",\"code\":"
                                          "\"internal\",\"message\":\"%s\"}",
                                          long_text);
  GString *many = g_string_new ("{\"type\":\"welcome\",\"version\":1,"
                                "\"peer_id\":\"p\",\"room\":\"r\","
                                "\"role\":\"expert\",\"peers\":[");
  g_autoptr (SlMsg) ok = NULL;
  g_autofree gchar *many_text = NULL;

  assert_parse_fails (f1, SL_PROTO_ERROR_TOO_LARGE);
  ok = parse_text (f2, NULL);
  g_assert_nonnull (ok);
  assert_parse_fails (f3, SL_PROTO_ERROR_TOO_LARGE);
  assert_parse_fails (f4, SL_PROTO_ERROR_TOO_LARGE);
  assert_parse_fails (f5, SL_PROTO_ERROR_TOO_LARGE);
  for (guint i = 0; i <= SL_PROTO_MAX_PEERS; i++)
    g_string_append_printf (many,
                            "%s{\"peer_id\":\"p%u\",\"role\":"
                            "\"trainee\"}",
                            i ? "," : "", i);
  g_string_append (many, "]}");
  many_text = g_string_free (many, FALSE);
  assert_parse_fails (many_text, SL_PROTO_ERROR_TOO_LARGE);
}

static void
test_ids (void)
{
  static const gchar *good[]
      = { "a",
          "Z",
          "0",
          "-",
          "_",
          "peer_1-A",
          "0123456789012345678901234567890123456789012345678901234567890123" };
  static const gchar *bad[]
      = { "",
          "a b",
          "a/b",
          "a.b",
          "é",
          "a\tb",
          "01234567890123456789012345678901234567890123456789012345678901234",
          "a\"b",
          "../x" };
  g_autofree gchar *frame = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (sl_proto_id_is_valid (good[i]));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (sl_proto_id_is_valid (bad[i]));
  g_assert_false (sl_proto_id_is_valid (NULL));

  assert_parse_fails ("{\"type\":\"peer-left\",\"peer_id\":\"a b\"}",
                      SL_PROTO_ERROR_BAD_MESSAGE);
  assert_parse_fails ("{\"type\":\"peer-left\",\"peer_id\":\"\"}",
                      SL_PROTO_ERROR_BAD_MESSAGE);
  assert_parse_fails ("{\"type\":\"ice\",\"to\":\"../x\",\"mline\":0,"
                      "\"candidate\":\"\"}",
                      SL_PROTO_ERROR_BAD_MESSAGE);
  assert_parse_fails ("{\"type\":\"sdp\",\"from\":\"\\u00e9\",\"sdp_type\":"
                      "\"offer\",\"sdp\":\"v\"}",
                      SL_PROTO_ERROR_BAD_MESSAGE);
}

static void
test_new_peer_id (void)
{
  g_autoptr (GHashTable) seen
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < 1000; i++)
    {
      gchar *id = sl_proto_new_peer_id ();
      g_assert_cmpuint (strlen (id), ==, 22);
      g_assert_true (sl_proto_id_is_valid (id));
      g_assert_true (g_hash_table_add (seen, id));
    }
}

static void
test_bad_bytes (void)
{
  static const gchar invalid_utf8[] = "{\"type\":\"peer-left\",\"peer_id\":"
                                      "\"a\xff\"}";
  static const gchar overlong[] = "{\"type\":\"bye\",\"x\":\"\xc0\xaf\"}";
  static const gchar with_nul[] = "{\"type\":\"bye\"}\0garbage";
  g_autoptr (GError) error = NULL;
  g_autoptr (SlMsg) msg = NULL;
  GString *deep = g_string_new ("{\"type\":\"bye\",\"x\":");
  g_autofree gchar *deep_text = NULL;

  assert_parse_fails (invalid_utf8, SL_PROTO_ERROR_BAD_MESSAGE);
  assert_parse_fails (overlong, SL_PROTO_ERROR_BAD_MESSAGE);
  /* An escaped NUL would shorten the id to "a" after it was checked. */
  assert_parse_fails ("{\"type\":\"peer-left\",\"peer_id\":\"a\\u0000b\"}",
                      SL_PROTO_ERROR_BAD_MESSAGE);
  msg = parse_exact (with_nul, sizeof with_nul - 1, &error);
  g_assert_null (msg);
  g_assert_error (error, SL_PROTO_ERROR, SL_PROTO_ERROR_BAD_MESSAGE);

  /* Deep nesting is refused before json-glib recurses into it. */
  for (guint i = 0; i < 20000; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < 20000; i++)
    g_string_append_c (deep, ']');
  g_string_append_c (deep, '}');
  deep_text = g_string_free (deep, FALSE);
  assert_parse_fails (deep_text, SL_PROTO_ERROR_BAD_MESSAGE);
  /* Nor can a quote in a non-standard string hide the nesting. */
  g_clear_pointer (&deep_text, g_free);
  deep = g_string_new ("{\"type\":\"bye\",\"q\":'\"',\"x\":");
  for (guint i = 0; i < 20000; i++)
    g_string_append_c (deep, '[');
  g_string_append (deep, "\"]");
  deep_text = g_string_free (deep, FALSE);
  assert_parse_fails (deep_text, SL_PROTO_ERROR_BAD_MESSAGE);
  /* Brackets inside strings do not count as nesting. */
  g_clear_pointer (&msg, sl_msg_free);
  msg = parse_text ("{\"type\":\"bye\",\"x\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[\\\""
                    "[[[[[[[[\"}",
                    NULL);
  g_assert_nonnull (msg);
}

/* Issue 14, finding 6: escapes strict JSON does not have, read by
 * json-glib in its own way, and member names given twice (finding 9),
 * of which json-glib kept the last. */
static void
test_strict_json (void)
{
  static const gchar *const refused[] = {
    "{\"type\":\"sdp\",\"to\":\"a\",\"sdp_type\":\"offer\","
    "\"sdp\":\"v=0\\377\"}",
    "{\"type\":\"sdp\",\"to\":\"a\",\"sdp_type\":\"offer\","
    "\"sdp\":\"v=0\\0HIDDEN\"}",
    "{\"type\":\"sdp\",\"to\":\"a\",\"sdp_type\":\"offer\","
    "\"sdp\":\"v=0\\q\"}",
    "{\"type\":\"sdp\",\"to\":\"a\",\"sdp_type\":\"offer\","
    "\"sdp\":\"v=0\",\"sdp\":\"v=1\"}",
    "{\"type\":\"ice\",\"to\":\"a\",\"to\":\"b\",\"mline\":0,"
    "\"candidate\":\"\"}",
    "{\"type\":\"bye\",\"x\":\"tab\there\"}",
    "{\"type\":\"bye\",\"x\":\"\\ud800\"}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    assert_parse_fails (refused[i], SL_PROTO_ERROR_BAD_MESSAGE);
}

static void
test_names (void)
{
  SlProtoError code;

  g_assert_cmpstr (sl_proto_error_code_name (SL_PROTO_ERROR_ROOM_OCCUPIED), ==,
                   "room-occupied");
  g_assert_cmpstr (sl_proto_error_code_name ((SlProtoError)99), ==, "internal");
  g_assert_false (sl_proto_error_code_from_name ("nope", &code));
  g_assert_false (sl_proto_error_code_from_name (NULL, &code));
  g_assert_cmpstr (sl_msg_type_name (SL_MSG_PEER_JOINED), ==, "peer-joined");
  g_assert_cmpstr (sl_msg_type_name ((SlMsgType)99), ==, "unknown");
  g_assert_cmpstr (sl_role_name ((SlRole)99), ==, "unknown");
}

static void
test_error_clipped (void)
{
  g_autofree gchar *long_text = NULL;
  g_autofree gchar *text = NULL;
  g_autoptr (SlMsg) back = NULL;
  GString *s = g_string_new (NULL);

  /* Two-byte characters, so that the cut must respect a boundary. */
  for (guint i = 0; i < SL_PROTO_MAX_TEXT_LEN; i++)
    g_string_append (s, "é");
  long_text = g_string_free (s, FALSE);
  text = sl_msg_serialize_error (SL_PROTO_ERROR_INTERNAL, long_text);
  back = parse_text (text, NULL);
  g_assert_nonnull (back);
  g_assert_cmpuint (strlen (back->message), <=, SL_PROTO_MAX_TEXT_LEN);
  g_assert_true (g_utf8_validate (back->message, -1, NULL));
}

/* RECORD: a station's (no peer) and the hub's (who, with the role);
 * "recording" is required and a role needs a peer; the welcome's
 * record_forbidden is optional. */
static void
test_round_trip_record (void)
{
  g_autoptr (SlMsg) mine = sl_msg_new (SL_MSG_RECORD);
  g_autoptr (SlMsg) hubs = sl_msg_new (SL_MSG_RECORD);
  g_autoptr (SlMsg) back1 = NULL;
  g_autoptr (SlMsg) back2 = NULL;
  g_autoptr (SlMsg) welcome = NULL;
  g_autoptr (GError) error = NULL;

  mine->recording = TRUE;
  back1 = round_trip (mine);
  g_assert_true (back1->recording);
  g_assert_null (back1->peer_id);
  hubs->peer_id = g_strdup ("exp");
  hubs->role = SL_ROLE_EXPERT;
  back2 = round_trip (hubs);
  g_assert_false (back2->recording);
  g_assert_cmpstr (back2->peer_id, ==, "exp");
  g_assert_cmpint (back2->role, ==, SL_ROLE_EXPERT);
  assert_parse_fails ("{\"type\":\"record\"}", SL_PROTO_ERROR_BAD_MESSAGE);
  assert_parse_fails ("{\"type\":\"record\",\"recording\":1}",
                      SL_PROTO_ERROR_BAD_MESSAGE);
  assert_parse_fails ("{\"type\":\"record\",\"recording\":true,"
                      "\"role\":\"expert\"}",
                      SL_PROTO_ERROR_BAD_MESSAGE);
  welcome = parse_text ("{\"type\":\"welcome\",\"version\":1,\"peer_id\":"
                        "\"a\",\"room\":\"r\",\"role\":\"expert\","
                        "\"peers\":[],\"record_forbidden\":true}",
                        &error);
  g_assert_no_error (error);
  g_assert_true (welcome->record_forbidden);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/proto/round-trip/hello", test_round_trip_hello);
  g_test_add_func ("/proto/round-trip/welcome", test_round_trip_welcome);
  g_test_add_func ("/proto/round-trip/error", test_round_trip_error);
  g_test_add_func ("/proto/round-trip/presence", test_round_trip_presence);
  g_test_add_func ("/proto/round-trip/relay", test_round_trip_relay);
  g_test_add_func ("/proto/round-trip/record", test_round_trip_record);
  g_test_add_func ("/proto/parse/literals", test_parse_literals);
  g_test_add_func ("/proto/parse/invalid-json", test_invalid_json);
  g_test_add_func ("/proto/parse/wrong-types", test_wrong_types);
  g_test_add_func ("/proto/parse/unknown-type", test_unknown_type);
  g_test_add_func ("/proto/parse/oversize", test_oversize);
  g_test_add_func ("/proto/parse/long-fields", test_long_fields);
  g_test_add_func ("/proto/parse/bad-bytes", test_bad_bytes);
  g_test_add_func ("/proto/parse/strict-json", test_strict_json);
  g_test_add_func ("/proto/ids", test_ids);
  g_test_add_func ("/proto/new-peer-id", test_new_peer_id);
  g_test_add_func ("/proto/names", test_names);
  g_test_add_func ("/proto/error-clipped", test_error_clipped);
  return g_test_run ();
}
