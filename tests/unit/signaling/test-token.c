/* test-token.c — room tokens: minting, verification and its order of
 * checks, durations and secret files.
 *
 * Tokens with hand-made claims are signed here with GHmac, independently
 * of sl-token.c, so that claims the minting code would never produce can
 * still reach the verifier's claim parser.
 */
#include <glib/gstdio.h>
#include <string.h>

#include "sl-token.h"

#define NOW 1700000000

static GBytes *
test_secret (const gchar *text)
{
  return g_bytes_new (text, strlen (text));
}

static GBytes *
secret_a (void)
{
  return test_secret ("0123456789abcdef0123456789abcdef");
}

static gchar *
b64url (const guint8 *data, gsize len)
{
  gchar *text = g_base64_encode (data, len);

  g_strdelimit (text, "+", '-');
  g_strdelimit (text, "/", '_');
  for (gchar *p = text + strlen (text); p > text && p[-1] == '='; p--)
    p[-1] = '\0';
  return text;
}

/* "sl1." + b64url(@claims) + "." + b64url(HMAC(@secret, ...)). */
static gchar *
sign_claims (GBytes *secret, const gchar *claims)
{
  g_autofree gchar *claims_b64
      = b64url ((const guint8 *)claims, strlen (claims));
  g_autofree gchar *signed_part = g_strconcat ("sl1.", claims_b64, NULL);
  gsize key_len, mac_len = 32;
  const guint8 *key = g_bytes_get_data (secret, &key_len);
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, key, key_len);
  guint8 mac[32];
  g_autofree gchar *mac_b64 = NULL;

  g_hmac_update (hmac, (const guchar *)signed_part, -1);
  g_hmac_get_digest (hmac, mac, &mac_len);
  mac_b64 = b64url (mac, mac_len);
  return g_strconcat (signed_part, ".", mac_b64, NULL);
}

/* Verifies and expects failure with @code; the message must not quote
 * the token or its signature. */
static void
assert_refused (GBytes *secret, const gchar *token, gint64 now, gint code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SlTokenClaims) claims
      = sl_token_verify (secret, token, now, &error);

  g_assert_null (claims);
  g_assert_error (error, SL_TOKEN_ERROR, code);
  if (token != NULL && strlen (token) > 8)
    {
      const gchar *dot = strrchr (token, '.');
      g_assert_null (strstr (error->message, token));
      if (dot != NULL && strlen (dot + 1) > 8)
        g_assert_null (strstr (error->message, dot + 1));
    }
}

static void
test_good (void)
{
  g_autoptr (GBytes) secret = secret_a ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *token
      = sl_token_mint (secret, "room-1_A", SL_ROLE_EXPERT, NOW, 3600, &error);
  g_autoptr (SlTokenClaims) claims = NULL;

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (token, "sl1."));
  claims = sl_token_verify (secret, token, NOW + 10, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (claims->room, ==, "room-1_A");
  g_assert_cmpint (claims->role, ==, SL_ROLE_EXPERT);
  g_assert_cmpint (claims->issued_at, ==, NOW);
  g_assert_cmpint (claims->expires_at, ==, NOW + 3600);
}

/* The no_record claim is signed like the rest and read back; a token
 * without it allows recording. */
static void
test_no_record (void)
{
  g_autoptr (GBytes) secret = secret_a ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *plain
      = sl_token_mint (secret, "r", SL_ROLE_EXPERT, NOW, 3600, &error);
  g_autofree gchar *norec = sl_token_mint_full (secret, "r", SL_ROLE_EXPERT,
                                                NOW, 3600, TRUE, &error);
  g_autoptr (SlTokenClaims) a = sl_token_verify (secret, plain, NOW, &error);
  g_autoptr (SlTokenClaims) b = sl_token_verify (secret, norec, NOW, &error);

  g_assert_no_error (error);
  g_assert_false (a->no_record);
  g_assert_true (b->no_record);
}

/* A token computed by an independent implementation of the documented
 * format (docs/signaling.md): the format must not drift. */
static void
test_known_vector (void)
{
  static const gchar vector[]
      = "sl1.eyJ2IjoxLCJyb29tIjoicjEiLCJyb2xlIjoiZXhwZXJ0IiwiaWF0IjoxNzAwMDAw"
        "MDAwLCJleHAiOjE3MDAwMDM2MDB9._Ps6uRZhkyXH5CTsqcvm2X4Q8mXG-NHFADNDO-"
        "au4xg";
  g_autoptr (GBytes) secret = secret_a ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *token
      = sl_token_mint (secret, "r1", SL_ROLE_EXPERT, NOW, 3600, &error);
  g_autoptr (SlTokenClaims) claims = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, vector);
  claims = sl_token_verify (secret, vector, NOW, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (claims->room, ==, "r1");
}

static void
test_forged (void)
{
  g_autoptr (GBytes) secret = secret_a ();
  g_autoptr (GBytes) other
      = test_secret ("another-secret-of-at-least-32-bytes");
  g_autofree gchar *token
      = sl_token_mint (other, "r1", SL_ROLE_TOWNSHIP, NOW, 3600, NULL);
  g_autofree gchar *good
      = sl_token_mint (secret, "r1", SL_ROLE_TRAINEE, NOW, 3600, NULL);
  g_autofree gchar *flipped = g_strdup (good);
  g_autofree gchar *flipped_mac = g_strdup (good);
  g_autofree gchar *garbage = NULL;
  gchar *dot = strrchr (flipped_mac, '.');

  assert_refused (secret, token, NOW, SL_TOKEN_ERROR_SIGNATURE);

  /* One character of the claims changed (to another base64url one). */
  flipped[6] = flipped[6] == 'A' ? 'B' : 'A';
  assert_refused (secret, flipped, NOW, SL_TOKEN_ERROR_SIGNATURE);
  dot[5] = dot[5] == 'A' ? 'B' : 'A';
  assert_refused (secret, flipped_mac, NOW, SL_TOKEN_ERROR_SIGNATURE);

  /* Garbage claims under a wrong signature: the signature is reported,
   * never the claims, so a forger learns nothing about the parser. */
  garbage = sign_claims (other, "{not json");
  assert_refused (secret, garbage, NOW, SL_TOKEN_ERROR_SIGNATURE);
}

static void
test_expired (void)
{
  g_autoptr (GBytes) secret = secret_a ();
  g_autofree gchar *token
      = sl_token_mint (secret, "r1", SL_ROLE_EXPERT, NOW, 60, NULL);
  g_autoptr (SlTokenClaims) claims = NULL;
  g_autoptr (GError) error = NULL;

  claims = sl_token_verify (secret, token, NOW + 59, &error);
  g_assert_no_error (error);
  g_assert_nonnull (claims);
  assert_refused (secret, token, NOW + 60, SL_TOKEN_ERROR_EXPIRED);
  assert_refused (secret, token, NOW + 100000, SL_TOKEN_ERROR_EXPIRED);
}

static void
test_roles (void)
{
  static const gchar *names[] = { "township", "expert", "trainee", "recorder" };
  g_autoptr (GBytes) secret = secret_a ();
  g_autofree gchar *surgeon = sign_claims (
      secret, "{\"v\":1,\"room\":\"r1\",\"role\":\"surgeon\",\"iat\":1,\"exp\":"
              "9999999999}");
  SlRole role;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree gchar *token = NULL;
      g_autoptr (SlTokenClaims) claims = NULL;

      g_assert_true (sl_role_from_name (names[i], &role));
      g_assert_cmpstr (sl_role_name (role), ==, names[i]);
      token = sl_token_mint (secret, "r1", role, NOW, 60, NULL);
      claims = sl_token_verify (secret, token, NOW, NULL);
      g_assert_cmpint (claims->role, ==, role);
    }
  g_assert_false (sl_role_from_name ("surgeon", &role));
  g_assert_false (sl_role_from_name ("Expert", &role));
  g_assert_false (sl_role_from_name (NULL, &role));
  assert_refused (secret, surgeon, NOW, SL_TOKEN_ERROR_MALFORMED);
}

static void
test_malformed_shape (void)
{
  g_autoptr (GBytes) secret = secret_a ();
  g_autofree gchar *good
      = sl_token_mint (secret, "r1", SL_ROLE_EXPERT, NOW, 60, NULL);
  g_autofree gchar *two_dots = g_strconcat (good, ".x", NULL);
  g_autofree gchar *long_token = g_strnfill (2000, 'A');
  g_autofree gchar *no_prefix = g_strdup (good + 4);
  g_autofree gchar *cut = g_strndup (good, strlen (good) - 5);
  g_autofree gchar *padded = g_strconcat (good, "=", NULL);
  static const gchar *bad[] = {
    "",
    "sl1",
    "sl1.",
    "sl1..",
    "sl1.abc",
    "sl1.abc.",
    "sl1..abc",
    "sl2.abc.def",
    "SL1.abc.def",
    "sl1.ab$c.def",
    "sl1.abc.de f",
    "sl1.abc.d+ef",
    "sl1.abc.d/ef",
    " sl1.abc.def",
  };

  assert_refused (secret, NULL, NOW, SL_TOKEN_ERROR_MALFORMED);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_refused (secret, bad[i], NOW, SL_TOKEN_ERROR_MALFORMED);
  assert_refused (secret, two_dots, NOW, SL_TOKEN_ERROR_MALFORMED);
  assert_refused (secret, long_token, NOW, SL_TOKEN_ERROR_MALFORMED);
  assert_refused (secret, no_prefix, NOW, SL_TOKEN_ERROR_MALFORMED);
  /* A cut signature no longer decodes to 32 bytes. */
  assert_refused (secret, cut, NOW, SL_TOKEN_ERROR_MALFORMED);
  assert_refused (secret, padded, NOW, SL_TOKEN_ERROR_MALFORMED);
}

/* A MAC spelled with non-zero unused bits in its last character decodes
 * to the same bytes in a lax decoder; it must be refused, or a token would
 * have several valid spellings. */
static void
test_noncanonical_base64 (void)
{
  g_autoptr (GBytes) secret = secret_a ();
  g_autofree gchar *token
      = sl_token_mint (secret, "r1", SL_ROLE_EXPERT, NOW, 60, NULL);
  gsize len = strlen (token);
  static const gchar alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                                  "opqrstuvwxyz0123456789-_";
  const gchar *pos = strchr (alphabet, token[len - 1]);
  gint value = (gint)(pos - alphabet);

  /* 32 bytes take 43 characters; the last holds 4 bits and 2 unused. */
  token[len - 1] = alphabet[value | 1];
  if ((value | 1) != value)
    assert_refused (secret, token, NOW, SL_TOKEN_ERROR_MALFORMED);
  token[len - 1] = alphabet[value | 2];
  if ((value | 2) != value)
    assert_refused (secret, token, NOW, SL_TOKEN_ERROR_MALFORMED);
}

static void
test_malformed_claims (void)
{
  static const gchar *claims[] = {
    "{not json",
    "[1,2]",
    "\"text\"",
    "{}",
    "{\"v\":1}",
    "{\"v\":2,\"room\":\"r1\",\"role\":\"expert\",\"iat\":1,\"exp\":9e9}",
    "{\"v\":1,\"room\":\"r1\",\"role\":\"expert\",\"iat\":1}",
    "{\"v\":1,\"room\":\"r1\",\"role\":\"expert\",\"exp\":9999999999}",
    "{\"v\":1,\"role\":\"expert\",\"iat\":1,\"exp\":9999999999}",
    "{\"v\":1,\"room\":\"r 1\",\"role\":\"expert\",\"iat\":1,\"exp\":"
    "9999999999}",
    "{\"v\":1,\"room\":\"\",\"role\":\"expert\",\"iat\":1,\"exp\":9999999999}",
    "{\"v\":1,\"room\":7,\"role\":\"expert\",\"iat\":1,\"exp\":9999999999}",
    "{\"v\":1,\"room\":\"r1\",\"role\":\"expert\",\"iat\":\"1\",\"exp\":"
    "9999999999}",
    "{\"v\":1,\"room\":\"r1\",\"role\":\"expert\",\"iat\":1,\"exp\":1.5e10}",
    "{\"v\":1,\"room\":\"r1\",\"role\":\"expert\",\"iat\":5,\"exp\":5}",
    "{\"v\":\"1\",\"room\":\"r1\",\"role\":\"expert\",\"iat\":1,\"exp\":"
    "9999999999}",
  };
  g_autoptr (GBytes) secret = secret_a ();
  g_autofree gchar *extra = sign_claims (
      secret, "{\"v\":1,\"room\":\"r1\",\"role\":\"expert\",\"iat\":"
              "1699999000,\"exp\":1700003600,\"future\":[1,2]}");
  g_autoptr (SlTokenClaims) ok = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (claims); i++)
    {
      g_autofree gchar *token = sign_claims (secret, claims[i]);
      assert_refused (secret, token, NOW, SL_TOKEN_ERROR_MALFORMED);
    }
  /* Unknown claims are ignored, for forward compatibility. */
  ok = sl_token_verify (secret, extra, NOW, NULL);
  g_assert_nonnull (ok);
}

/* Issue 14, finding 9: the MAC vouches for who minted a token, not for
 * its times, and json-glib kept the last of two equal member names. */
static void
test_times_and_strict_claims (void)
{
  g_autoptr (GBytes) secret = secret_a ();
  g_autofree gchar *future = sign_claims (
      secret, "{\"v\":1,\"room\":\"r1\",\"role\":\"expert\",\"iat\":"
              "1731536000,\"exp\":1731539600}"); /* a year ahead */
  g_autofree gchar *skewed = sign_claims (
      secret, "{\"v\":1,\"room\":\"r1\",\"role\":\"expert\",\"iat\":"
              "1700000300,\"exp\":1700003600}"); /* 300 s ahead: allowed */
  g_autofree gchar *forever = sign_claims (
      secret, "{\"v\":1,\"room\":\"r1\",\"role\":\"expert\",\"iat\":"
              "1699999000,\"exp\":4611686018427387904}"); /* 2^62 */
  g_autofree gchar *week = sign_claims (
      secret, "{\"v\":1,\"room\":\"r1\",\"role\":\"expert\",\"iat\":"
              "1699999000,\"exp\":1700603800}"); /* 7 days: allowed */
  g_autofree gchar *negative = sign_claims (
      secret, "{\"v\":1,\"room\":\"r1\",\"role\":\"expert\",\"iat\":"
              "-9223372036854775807,\"exp\":1700003600}");
  g_autofree gchar *twice = sign_claims (
      secret, "{\"v\":1,\"room\":\"r1\",\"role\":\"trainee\",\"iat\":"
              "1699999000,\"exp\":1700003600,\"role\":\"township\"}");
  g_autofree gchar *escape = sign_claims (
      secret, "{\"v\":1,\"room\":\"r1\",\"role\":\"expert\",\"iat\":"
              "1699999000,\"exp\":1700003600,\"x\":\"\\q\"}");
  g_autoptr (SlTokenClaims) ok1 = NULL;
  g_autoptr (SlTokenClaims) ok2 = NULL;
  g_autoptr (GError) error = NULL;
  gchar *token;

  assert_refused (secret, future, NOW, SL_TOKEN_ERROR_NOT_YET_VALID);
  assert_refused (secret, forever, NOW, SL_TOKEN_ERROR_MALFORMED);
  assert_refused (secret, negative, NOW, SL_TOKEN_ERROR_MALFORMED);
  assert_refused (secret, twice, NOW, SL_TOKEN_ERROR_MALFORMED);
  assert_refused (secret, escape, NOW, SL_TOKEN_ERROR_MALFORMED);
  ok1 = sl_token_verify (secret, skewed, NOW, NULL);
  g_assert_nonnull (ok1);
  ok2 = sl_token_verify (secret, week, NOW, NULL);
  g_assert_nonnull (ok2);

  token = sl_token_mint (secret, "r1", SL_ROLE_EXPERT, NOW,
                         SL_TOKEN_MAX_LIFETIME_S + 1, &error);
  g_assert_null (token);
  g_assert_error (error, SL_TOKEN_ERROR, SL_TOKEN_ERROR_MALFORMED);
}

static void
test_mint_refusals (void)
{
  g_autoptr (GBytes) secret = secret_a ();
  g_autoptr (GBytes) short_secret = test_secret ("0123456789");
  g_autoptr (GError) error = NULL;
  gchar *token;

  token = sl_token_mint (secret, "bad room", SL_ROLE_EXPERT, NOW, 60, &error);
  g_assert_null (token);
  g_assert_error (error, SL_TOKEN_ERROR, SL_TOKEN_ERROR_MALFORMED);
  g_clear_error (&error);
  token = sl_token_mint (secret, "r1", SL_ROLE_EXPERT, NOW, 0, &error);
  g_assert_null (token);
  g_assert_error (error, SL_TOKEN_ERROR, SL_TOKEN_ERROR_MALFORMED);
  g_clear_error (&error);
  token = sl_token_mint (secret, "r1", (SlRole)42, NOW, 60, &error);
  g_assert_null (token);
  g_clear_error (&error);
  token = sl_token_mint (short_secret, "r1", SL_ROLE_EXPERT, NOW, 60, &error);
  g_assert_null (token);
  g_assert_error (error, SL_TOKEN_ERROR, SL_TOKEN_ERROR_SECRET);
  g_clear_error (&error);
  g_assert_null (sl_token_verify (short_secret, "sl1.a.b", NOW, &error));
  g_assert_error (error, SL_TOKEN_ERROR, SL_TOKEN_ERROR_SECRET);
}

static void
test_ttl (void)
{
  static const struct
  {
    const gchar *text;
    gint64 seconds;
  } good[] = {
    { "90", 90 },    { "90s", 90 }, { "15m", 900 },   { "2h", 7200 },
    { "1d", 86400 }, { "007", 7 },  { "7d", 604800 },
  };
  static const gchar *bad[] = {
    "",
    "0",
    "0s",
    "-5",
    "+5",
    "5x",
    "h",
    "2hh",
    " 2h",
    "2h ",
    "2 h",
    "1.5h",
    "99999999999999h",
    "3000000000",
    "25000d",
    "0x10",
    "8d",
    "604801",
  };
  gint64 seconds;

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_assert_true (sl_token_parse_ttl (good[i].text, &seconds));
      g_assert_cmpint (seconds, ==, good[i].seconds);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (sl_token_parse_ttl (bad[i], &seconds));
  g_assert_false (sl_token_parse_ttl (NULL, &seconds));
}

static void
test_secret_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("sl-token-XXXXXX", &error);
  g_autofree gchar *good = g_build_filename (dir, "good", NULL);
  g_autofree gchar *crlf = g_build_filename (dir, "crlf", NULL);
  g_autofree gchar *small = g_build_filename (dir, "short", NULL);
  g_autofree gchar *missing = g_build_filename (dir, "missing", NULL);
  g_autoptr (GBytes) secret = NULL;

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (good,
                                      "0123456789abcdef0123456789abcdef"
                                      "0123456789abcdef0123456789abcdef"
                                      "\n",
                                      -1, NULL));
  g_assert_true (g_file_set_contents (crlf,
                                      "0123456789abcdef0123456789abcdef"
                                      "\r\n",
                                      -1, NULL));
  g_assert_true (g_file_set_contents (small,
                                      "0123456789abcdef0123456789abcde"
                                      "\n\n",
                                      -1, NULL));

  secret = sl_token_load_secret (good, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (secret), ==, 64);
  g_clear_pointer (&secret, g_bytes_unref);
  secret = sl_token_load_secret (crlf, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (secret), ==, 32);
  g_assert_null (sl_token_load_secret (small, &error));
  g_assert_error (error, SL_TOKEN_ERROR, SL_TOKEN_ERROR_SECRET);
  g_clear_error (&error);
  g_assert_null (sl_token_load_secret (missing, &error));
  g_assert_error (error, SL_TOKEN_ERROR, SL_TOKEN_ERROR_SECRET);

  g_unlink (good);
  g_unlink (crlf);
  g_unlink (small);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/token/good", test_good);
  g_test_add_func ("/token/no-record", test_no_record);
  g_test_add_func ("/token/known-vector", test_known_vector);
  g_test_add_func ("/token/forged", test_forged);
  g_test_add_func ("/token/expired", test_expired);
  g_test_add_func ("/token/roles", test_roles);
  g_test_add_func ("/token/malformed-shape", test_malformed_shape);
  g_test_add_func ("/token/noncanonical-base64", test_noncanonical_base64);
  g_test_add_func ("/token/malformed-claims", test_malformed_claims);
  g_test_add_func ("/token/mint-refusals", test_mint_refusals);
  g_test_add_func ("/token/times-and-strict-claims",
                   test_times_and_strict_claims);
  g_test_add_func ("/token/ttl", test_ttl);
  g_test_add_func ("/token/secret-file", test_secret_file);
  return g_test_run ();
}
