/* test-json-check.c — the strict JSON check, case by case.
 *
 * Each refusal names the rule broken (the error code), so a test that
 * passes for the wrong reason — a syntax error where a duplicate key was
 * meant — fails.  The inputs come from RFC 8259's grammar and from the
 * ways json-glib 1.6 was seen to read text differently from strict JSON
 * (issue 14, finding 6).
 */
#include <string.h>

#include "sl-json-check.h"

#define DEPTH 16

static void
assert_ok_len (const gchar *text, gsize len)
{
  g_autoptr (GError) error = NULL;

  if (!sl_json_check (text, len, DEPTH, &error))
    g_error ("refused %s: %s", text, error->message);
}

static void
assert_ok (const gchar *text)
{
  assert_ok_len (text, strlen (text));
}

static void
assert_refused_len (const gchar *text, gsize len, SlJsonCheckError code)
{
  g_autoptr (GError) error = NULL;

  if (sl_json_check (text, len, DEPTH, &error))
    g_error ("accepted %s", text);
  g_assert_error (error, SL_JSON_CHECK_ERROR, (gint)code);
  g_assert_true (g_str_has_prefix (error->message, "not strict JSON at byte"));
}

static void
assert_refused (const gchar *text, SlJsonCheckError code)
{
  assert_refused_len (text, strlen (text), code);
}

static void
test_valid (void)
{
  assert_ok ("{}");
  assert_ok ("[]");
  assert_ok (" \t\r\n{ \"a\" : [ 1 , -2.5e+3 , 0 , 0.0 , 1E-2 ] } \n");
  assert_ok ("{\"type\":\"sdp\",\"sdp\":\"v=0\\r\\no=- 1 2 IN IP4 "
             "127.0.0.1\\r\\n\"}");
  assert_ok ("\"a string\"");
  assert_ok ("true");
  assert_ok ("false");
  assert_ok ("null");
  assert_ok ("-0");
  assert_ok ("{\"a\":{\"a\":{\"a\":1}}}"); /* same name, other objects */
  assert_ok ("[{\"a\":1},{\"a\":2}]");     /* and in sibling objects */
  assert_ok ("{\"esc\":\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9\"}");
  assert_ok ("{\"pair\":\"\\ud83d\\ude00\"}");
  assert_ok ("{\"utf8\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}");
  assert_ok ("{\"del\":\"\x7f\"}"); /* DEL is not a control character */
  assert_ok ("{\"\":0}");
}

static void
test_escapes (void)
{
  /* json-glib read "\377" as the raw byte 0xff and "\0" as a NUL that
   * cut the string; strict JSON has neither. */
  assert_refused ("{\"sdp\":\"v=0\\377\"}", SL_JSON_CHECK_ERROR_ESCAPE);
  assert_refused ("{\"sdp\":\"v=0\\0HIDDEN\"}", SL_JSON_CHECK_ERROR_ESCAPE);
  assert_refused ("{\"a\":\"\\q\"}", SL_JSON_CHECK_ERROR_ESCAPE);
  assert_refused ("{\"a\":\"\\x41\"}", SL_JSON_CHECK_ERROR_ESCAPE);
  assert_refused ("{\"a\":\"\\'\"}", SL_JSON_CHECK_ERROR_ESCAPE);
  assert_refused ("{\"a\":\"\\U0041\"}", SL_JSON_CHECK_ERROR_ESCAPE);
  assert_refused ("{\"a\":\"\\u00\"}", SL_JSON_CHECK_ERROR_ESCAPE);
  assert_refused ("{\"a\":\"\\u00g1\"}", SL_JSON_CHECK_ERROR_ESCAPE);
  assert_refused ("{\"a\":\"\\u0000\"}", SL_JSON_CHECK_ERROR_ENCODING);
  assert_refused ("{\"a\\u0000b\":1}", SL_JSON_CHECK_ERROR_ENCODING);
  assert_refused ("{\"a\":\"\\ud800\"}", SL_JSON_CHECK_ERROR_ENCODING);
  assert_refused ("{\"a\":\"\\ud800\\u0041\"}", SL_JSON_CHECK_ERROR_ENCODING);
  assert_refused ("{\"a\":\"\\udc00\"}", SL_JSON_CHECK_ERROR_ENCODING);
  assert_refused ("{\"a\":\"\\", SL_JSON_CHECK_ERROR_SYNTAX);
}

static void
test_encoding (void)
{
  assert_refused ("{\"a\":\"\xff\"}", SL_JSON_CHECK_ERROR_ENCODING);
  assert_refused ("{\"a\":\"\xc3\"}", SL_JSON_CHECK_ERROR_ENCODING);
  assert_refused ("{\"a\":\"\xed\xa0\x80\"}", SL_JSON_CHECK_ERROR_ENCODING);
  assert_refused ("{\"a\":\"\xc0\xaf\"}", SL_JSON_CHECK_ERROR_ENCODING);
  assert_refused_len ("{\"a\":\"x\0y\"}", 11, SL_JSON_CHECK_ERROR_ENCODING);
  assert_refused_len ("{}\0", 3, SL_JSON_CHECK_ERROR_ENCODING);
  /* A byte-order mark is not whitespace. */
  assert_refused ("\xef\xbb\xbf{}", SL_JSON_CHECK_ERROR_SYNTAX);
}

static void
test_control (void)
{
  assert_refused ("{\"a\":\"line\nbreak\"}", SL_JSON_CHECK_ERROR_CONTROL);
  assert_refused ("{\"a\":\"tab\there\"}", SL_JSON_CHECK_ERROR_CONTROL);
  assert_refused ("{\"a\":\"\x01\"}", SL_JSON_CHECK_ERROR_CONTROL);
  assert_refused ("{\"a\x1f\":1}", SL_JSON_CHECK_ERROR_CONTROL);
}

static void
test_duplicates (void)
{
  assert_refused ("{\"a\":1,\"a\":2}", SL_JSON_CHECK_ERROR_DUPLICATE);
  assert_refused ("{\"role\":\"trainee\",\"x\":0,\"role\":\"township\"}",
                  SL_JSON_CHECK_ERROR_DUPLICATE);
  /* Equal after unescaping. */
  assert_refused ("{\"a\":1,\"\\u0061\":2}", SL_JSON_CHECK_ERROR_DUPLICATE);
  assert_refused ("{\"a/\":1,\"a\\/\":2}", SL_JSON_CHECK_ERROR_DUPLICATE);
  assert_refused ("{\"o\":{\"b\":1,\"b\":1}}", SL_JSON_CHECK_ERROR_DUPLICATE);
  /* A set is reused level by level: a later object at the same depth
   * starts empty, and an inner object does not see the outer names. */
  assert_ok ("[{\"a\":1,\"b\":2},{\"b\":2,\"a\":1}]");
  assert_ok ("{\"a\":{\"a\":1},\"b\":{\"a\":2}}");
  assert_refused ("{\"a\":{\"a\":1},\"a\":2}", SL_JSON_CHECK_ERROR_DUPLICATE);
}

static void
test_syntax (void)
{
  const gchar *bad[] = {
    "",
    " ",
    "{",
    "}",
    "{\"a\"}",
    "{\"a\":}",
    "{\"a\" 1}",
    "{a:1}",
    "{'a':1}",
    "{\"a\":'b'}",
    "[1,]",
    "[,1]",
    "{\"a\":1,}",
    "[1 2]",
    "01",
    "1.",
    ".5",
    "+1",
    "1e",
    "1e+",
    "-",
    "--1",
    "0x10",
    "NaN",
    "Infinity",
    "tru",
    "nul",
    "True",
    "[1]]",
    "{\"a\":1}}",
    "\"open",
    "[\"a\":1]",
    "{\"a\":1 \"b\":2}",
    "/*c*/{}",
    "{}//",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;

      if (sl_json_check (bad[i], strlen (bad[i]), DEPTH, &error))
        g_error ("accepted '%s'", bad[i]);
      g_assert_true (error->domain == SL_JSON_CHECK_ERROR);
      g_assert_true (error->code == SL_JSON_CHECK_ERROR_SYNTAX
                     || error->code == SL_JSON_CHECK_ERROR_TRAILING);
    }
}

static void
test_trailing (void)
{
  assert_refused ("{} {}", SL_JSON_CHECK_ERROR_TRAILING);
  assert_refused ("{}x", SL_JSON_CHECK_ERROR_TRAILING);
  assert_refused ("{\"type\":\"bye\"}]", SL_JSON_CHECK_ERROR_TRAILING);
  assert_refused ("1 2", SL_JSON_CHECK_ERROR_TRAILING);
  assert_ok ("{}   \r\n\t");
}

static void
test_depth (void)
{
  g_autoptr (GString) deep = g_string_new (NULL);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < DEPTH; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < DEPTH; i++)
    g_string_append_c (deep, ']');
  assert_ok (deep->str);
  g_string_prepend_c (deep, '[');
  g_string_append_c (deep, ']');
  assert_refused (deep->str, SL_JSON_CHECK_ERROR_DEPTH);

  /* A frame of nothing but brackets costs no recursion. */
  g_string_truncate (deep, 0);
  for (guint i = 0; i < 65536; i++)
    g_string_append (deep, i % 2 ? "[" : "{\"k\":");
  g_assert_false (
      sl_json_check (deep->str, deep->len, SL_JSON_CHECK_MAX_DEPTH, &error));
  g_assert_error (error, SL_JSON_CHECK_ERROR, SL_JSON_CHECK_ERROR_DEPTH);

  assert_ok ("{\"a\":[{\"b\":[1]}]}");
  g_assert_true (sl_json_check ("1", 1, 1, NULL));
  g_assert_true (sl_json_check ("[]", 2, 1, NULL));
  g_assert_false (sl_json_check ("[[]]", 4, 1, NULL));
}

/* The message names the offset, never the text. */
static void
test_message (void)
{
  g_autoptr (GError) error = NULL;
  const gchar *text = "{\"token\":\"sl1.SECRET\\q\"}";

  g_assert_false (sl_json_check (text, strlen (text), DEPTH, &error));
  g_assert_nonnull (strstr (error->message, "byte 21"));
  g_assert_null (strstr (error->message, "SECRET"));
}

/* Every prefix of a valid text but the whole is refused, and no prefix
 * reads past its length (the ASan build checks the latter). */
static void
test_prefixes (void)
{
  const gchar *text = "{\"a\":[1,-2.5e3,true,null,\"\\u00e9\\ud83d\\ude00\"],"
                      "\"b\":{\"c\":false}}";
  gsize len = strlen (text);

  for (gsize n = 0; n < len; n++)
    {
      g_autofree gchar *copy = g_memdup2 (text, n ? n : 1);
      g_assert_false (sl_json_check (copy, n, DEPTH, NULL));
    }
  assert_ok (text);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json-check/valid", test_valid);
  g_test_add_func ("/json-check/escapes", test_escapes);
  g_test_add_func ("/json-check/encoding", test_encoding);
  g_test_add_func ("/json-check/control", test_control);
  g_test_add_func ("/json-check/duplicates", test_duplicates);
  g_test_add_func ("/json-check/syntax", test_syntax);
  g_test_add_func ("/json-check/trailing", test_trailing);
  g_test_add_func ("/json-check/depth", test_depth);
  g_test_add_func ("/json-check/message", test_message);
  g_test_add_func ("/json-check/prefixes", test_prefixes);
  return g_test_run ();
}
