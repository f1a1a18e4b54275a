/* sl-token.c — signed, expiring room tokens.
 *
 * A token is "sl1." + b64url(claims) + "." + b64url(HMAC-SHA256(secret,
 * "sl1." + b64url(claims))).  Verification runs in a fixed order: the shape
 * of the text, then the signature, then the claims, then the expiry.  Only
 * the shape is judged before the MAC, so a forged token learns nothing
 * about how its claims would have been read; and the MAC is compared in
 * constant time so that its bytes cannot be guessed one at a time.
 *
 * The base64url codec is written here rather than borrowed from
 * g_base64_decode(), which skips characters outside the alphabet: a
 * verifier must reject those, and must reject encodings whose unused
 * trailing bits are set, or one signature would have several spellings.
 */
#include "sl-token.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "sl-json-check.h"

#define TOKEN_PREFIX "sl1."
#define TOKEN_CLAIMS_VERSION 1
#define MAC_LEN 32

/* A secret file is a line of text; anything much larger is the wrong file
 * (a certificate, a log) and is refused rather than silently used. */
#define MAX_SECRET_FILE_SIZE 4096

/* Longest lifetime minted; far from overflow in exp = iat + ttl. */
#define MAX_TTL_SECONDS ((gint64)SL_TOKEN_MAX_LIFETIME_S)

/* Claims are a flat object. */
#define MAX_CLAIMS_DEPTH 4

/* G_DEFINE_QUARK makes its first argument the domain's name. */
/* clang-format off */
G_DEFINE_QUARK (sl-token-error-quark, sl_token_error)
/* clang-format on */

void
sl_token_claims_free (SlTokenClaims *claims)
{
  if (claims == NULL)
    return;
  g_free (claims->room);
  g_free (claims);
}

static gboolean G_GNUC_PRINTF (3, 4)
    fail (GError **error, SlTokenError code, const gchar *format, ...)
{
  va_list args;

  if (error == NULL)
    return FALSE;
  va_start (args, format);
  *error = g_error_new_valist (SL_TOKEN_ERROR, code, format, args);
  va_end (args);
  return FALSE;
}

/* ---- base64url (RFC 4648 §5), unpadded ---- */

static const gchar b64url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "abcdefghijklmnopqrstuvwxyz0123456789-_";

static gchar *
b64url_encode (const guint8 *data, gsize len)
{
  GString *out = g_string_sized_new (len * 4 / 3 + 4);
  gsize i = 0;

  for (; i + 3 <= len; i += 3)
    {
      guint32 v
          = (guint32)data[i] << 16 | (guint32)data[i + 1] << 8 | data[i + 2];
      g_string_append_c (out, b64url_alphabet[v >> 18 & 63]);
      g_string_append_c (out, b64url_alphabet[v >> 12 & 63]);
      g_string_append_c (out, b64url_alphabet[v >> 6 & 63]);
      g_string_append_c (out, b64url_alphabet[v & 63]);
    }
  if (len - i == 1)
    {
      guint32 v = (guint32)data[i] << 16;
      g_string_append_c (out, b64url_alphabet[v >> 18 & 63]);
      g_string_append_c (out, b64url_alphabet[v >> 12 & 63]);
    }
  else if (len - i == 2)
    {
      guint32 v = (guint32)data[i] << 16 | (guint32)data[i + 1] << 8;
      g_string_append_c (out, b64url_alphabet[v >> 18 & 63]);
      g_string_append_c (out, b64url_alphabet[v >> 12 & 63]);
      g_string_append_c (out, b64url_alphabet[v >> 6 & 63]);
    }
  return g_string_free (out, FALSE);
}

static gint
b64url_value (gchar c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-')
    return 62;
  if (c == '_')
    return 63;
  return -1;
}

/* Decodes @len characters of @text.  Returns NULL for a character outside
 * the alphabet, an impossible length, or non-zero trailing bits. */
static GBytes *
b64url_decode (const gchar *text, gsize len)
{
  g_autoptr (GByteArray) out = NULL;
  guint32 acc = 0;
  guint bits = 0;

  if (len % 4 == 1)
    return NULL;
  out = g_byte_array_sized_new ((guint)(len * 3 / 4 + 1));
  for (gsize i = 0; i < len; i++)
    {
      gint v = b64url_value (text[i]);
      if (v < 0)
        return NULL;
      acc = (acc << 6 | (guint32)v) & 0xffffff;
      bits += 6;
      if (bits >= 8)
        {
          guint8 byte = (guint8)(acc >> (bits - 8));
          g_byte_array_append (out, &byte, 1);
          bits -= 8;
        }
    }
  if ((acc & ((1u << bits) - 1)) != 0)
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* ---- MAC ---- */

static void
compute_mac (GBytes *secret, const gchar *signed_part, gsize signed_len,
             guint8 mac[MAC_LEN])
{
  gsize secret_len;
  const guint8 *key = g_bytes_get_data (secret, &secret_len);
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, key, secret_len);
  gsize mac_len = MAC_LEN;

  g_hmac_update (hmac, (const guchar *)signed_part, (gssize)signed_len);
  g_hmac_get_digest (hmac, mac, &mac_len);
}

/* Compares two MACs without an early exit, so the time taken does not
 * depend on where they first differ. */
static gboolean
mac_equal (const guint8 *a, const guint8 *b)
{
  volatile guint8 diff = 0;

  for (gsize i = 0; i < MAC_LEN; i++)
    diff |= a[i] ^ b[i];
  return diff == 0;
}

static gboolean
check_secret (GBytes *secret, GError **error)
{
  if (secret == NULL || g_bytes_get_size (secret) < SL_TOKEN_MIN_SECRET_LEN)
    return fail (error, SL_TOKEN_ERROR_SECRET,
                 "the secret is shorter than %d bytes; create one with "
                 "`sonolink-hub secret --out FILE`",
                 SL_TOKEN_MIN_SECRET_LEN);
  return TRUE;
}

/* ---- secret file ---- */

GBytes *
sl_token_load_secret (const gchar *path, GError **error)
{
  g_autoptr (GError) file_error = NULL;
  gchar *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, &file_error))
    {
      fail (error, SL_TOKEN_ERROR_SECRET, "cannot read the secret file: %s",
            file_error->message);
      return NULL;
    }
  if (len > MAX_SECRET_FILE_SIZE)
    {
      g_free (contents);
      fail (error, SL_TOKEN_ERROR_SECRET,
            "the secret file '%s' is larger than %d bytes; is it the right "
            "file?",
            path, MAX_SECRET_FILE_SIZE);
      return NULL;
    }
  while (len > 0 && (contents[len - 1] == '\n' || contents[len - 1] == '\r'))
    contents[--len] = '\0';
  if (len < SL_TOKEN_MIN_SECRET_LEN)
    {
      g_free (contents);
      fail (error, SL_TOKEN_ERROR_SECRET,
            "the secret file '%s' holds %" G_GSIZE_FORMAT " bytes; at least "
            "%d are needed (create one with `sonolink-hub secret --out FILE`)",
            path, len, SL_TOKEN_MIN_SECRET_LEN);
      return NULL;
    }
  return g_bytes_new_take (contents, len);
}

/* ---- mint ---- */

static gchar *
claims_to_json (const gchar *room, SlRole role, gint64 iat, gint64 exp,
                gboolean no_record)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "v");
  json_builder_add_int_value (builder, TOKEN_CLAIMS_VERSION);
  json_builder_set_member_name (builder, "room");
  json_builder_add_string_value (builder, room);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, sl_role_name (role));
  json_builder_set_member_name (builder, "iat");
  json_builder_add_int_value (builder, iat);
  json_builder_set_member_name (builder, "exp");
  json_builder_add_int_value (builder, exp);
  if (no_record)
    {
      json_builder_set_member_name (builder, "no_record");
      json_builder_add_boolean_value (builder, TRUE);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

gchar *
sl_token_mint (GBytes *secret, const gchar *room, SlRole role, gint64 now,
               gint64 ttl_seconds, GError **error)
{
  return sl_token_mint_full (secret, room, role, now, ttl_seconds, FALSE,
                             error);
}

gchar *
sl_token_mint_full (GBytes *secret, const gchar *room, SlRole role, gint64 now,
                    gint64 ttl_seconds, gboolean no_record, GError **error)
{
  g_autofree gchar *claims = NULL;
  g_autofree gchar *claims_b64 = NULL;
  g_autofree gchar *signed_part = NULL;
  g_autofree gchar *mac_b64 = NULL;
  guint8 mac[MAC_LEN];

  if (!check_secret (secret, error))
    return NULL;
  if (!sl_proto_id_is_valid (room))
    {
      fail (error, SL_TOKEN_ERROR_MALFORMED,
            "the room name must be 1-%d characters from A-Z a-z 0-9 '-' '_'",
            SL_PROTO_MAX_ID_LEN);
      return NULL;
    }
  if ((guint)role > SL_ROLE_RECORDER)
    {
      fail (error, SL_TOKEN_ERROR_MALFORMED, "unknown role %d", (gint)role);
      return NULL;
    }
  if (ttl_seconds <= 0 || ttl_seconds > MAX_TTL_SECONDS || now < 0
      || now > G_MAXINT64 - MAX_TTL_SECONDS)
    {
      fail (error, SL_TOKEN_ERROR_MALFORMED,
            "the lifetime must be between 1 second and %" G_GINT64_FORMAT
            " seconds (7 days)",
            MAX_TTL_SECONDS);
      return NULL;
    }

  claims = claims_to_json (room, role, now, now + ttl_seconds, no_record);
  claims_b64 = b64url_encode ((const guint8 *)claims, strlen (claims));
  signed_part = g_strconcat (TOKEN_PREFIX, claims_b64, NULL);
  compute_mac (secret, signed_part, strlen (signed_part), mac);
  mac_b64 = b64url_encode (mac, sizeof mac);
  return g_strconcat (signed_part, ".", mac_b64, NULL);
}

/* ---- verify ---- */

/* Splits a token into its signed part and its MAC, decoding the MAC.  The
 * claims are not decoded yet: they are untrusted until the MAC matches. */
static gboolean
split_token (const gchar *token, gsize *signed_len, GBytes **mac,
             GError **error)
{
  const gsize prefix_len = strlen (TOKEN_PREFIX);
  const gchar *dot;
  gsize len;

  if (token == NULL || token[0] == '\0')
    return fail (error, SL_TOKEN_ERROR_MALFORMED, "the token is empty");
  len = strnlen (token, SL_PROTO_MAX_TOKEN_LEN + 1);
  if (len > SL_PROTO_MAX_TOKEN_LEN)
    return fail (error, SL_TOKEN_ERROR_MALFORMED,
                 "the token is longer than %d characters",
                 SL_PROTO_MAX_TOKEN_LEN);
  if (strncmp (token, TOKEN_PREFIX, prefix_len) != 0)
    return fail (
        error, SL_TOKEN_ERROR_MALFORMED,
        "this is not a sonolink token (it should start with \"sl1.\")");
  dot = strchr (token + prefix_len, '.');
  if (dot == NULL || dot == token + prefix_len || dot[1] == '\0'
      || strchr (dot + 1, '.') != NULL)
    return fail (error, SL_TOKEN_ERROR_MALFORMED,
                 "the token is cut or damaged: expected sl1.CLAIMS.SIGNATURE");
  for (const gchar *p = token + prefix_len; p < dot; p++)
    if (b64url_value (*p) < 0)
      return fail (error, SL_TOKEN_ERROR_MALFORMED,
                   "the token's claims are not valid base64url");
  *mac = b64url_decode (dot + 1, strlen (dot + 1));
  if (*mac == NULL || g_bytes_get_size (*mac) != MAC_LEN)
    {
      g_clear_pointer (mac, g_bytes_unref);
      return fail (error, SL_TOKEN_ERROR_MALFORMED,
                   "the token's signature is not a base64url HMAC-SHA256");
    }
  *signed_len = (gsize)(dot - token);
  return TRUE;
}

static gboolean
read_claim_int (JsonObject *obj, const gchar *key, gint64 *out)
{
  JsonNode *node = json_object_get_member (obj, key);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (node);
  return TRUE;
}

static const gchar *
read_claim_string (JsonObject *obj, const gchar *key)
{
  JsonNode *node = json_object_get_member (obj, key);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* Reads claims the MAC has vouched for.  They can still be wrong if the
 * secret's owner minted them badly, so every field is checked. */
static SlTokenClaims *
parse_claims (GBytes *json, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (SlTokenClaims) claims = g_new0 (SlTokenClaims, 1);
  gsize len;
  const gchar *data = g_bytes_get_data (json, &len);
  JsonNode *root;
  JsonObject *obj;
  gint64 version = 0;
  const gchar *room, *role;

  /* Strict JSON first: json-glib alone would let a repeated "role" or
   * "room" decide by its last occurrence. */
  if (len == 0 || !sl_json_check (data, len, MAX_CLAIMS_DEPTH, NULL)
      || !json_parser_load_from_data (parser, data, (gssize)len, NULL)
      || (root = json_parser_get_root (parser)) == NULL
      || !JSON_NODE_HOLDS_OBJECT (root))
    {
      fail (error, SL_TOKEN_ERROR_MALFORMED,
            "the token's claims are not a JSON object");
      return NULL;
    }
  obj = json_node_get_object (root);
  if (!read_claim_int (obj, "v", &version) || version != TOKEN_CLAIMS_VERSION)
    {
      fail (error, SL_TOKEN_ERROR_MALFORMED,
            "the token's claims version is not supported (expected %d)",
            TOKEN_CLAIMS_VERSION);
      return NULL;
    }
  room = read_claim_string (obj, "room");
  role = read_claim_string (obj, "role");
  if (!sl_proto_id_is_valid (room) || !sl_role_from_name (role, &claims->role)
      || !read_claim_int (obj, "iat", &claims->issued_at)
      || !read_claim_int (obj, "exp", &claims->expires_at)
      || claims->expires_at <= claims->issued_at)
    {
      fail (error, SL_TOKEN_ERROR_MALFORMED,
            "the token's claims lack a valid room, role, iat or exp");
      return NULL;
    }
  if (json_object_has_member (obj, "no_record"))
    {
      JsonNode *node = json_object_get_member (obj, "no_record");

      if (!JSON_NODE_HOLDS_VALUE (node)
          || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        {
          fail (error, SL_TOKEN_ERROR_MALFORMED,
                "the token's \"no_record\" claim is not true or false");
          return NULL;
        }
      claims->no_record = json_node_get_boolean (node);
    }
  claims->room = g_strdup (room);
  return g_steal_pointer (&claims);
}

/* The MAC proves who minted a token, not that its times are sane: a
 * secret holder's script, or a clock far off, could mint one for a year
 * ahead or for ever.  Refused here so a leaked token's use is bounded. */
static gboolean
check_times (const SlTokenClaims *claims, gint64 now, GError **error)
{
  /* iat >= 0 and exp > iat (parse_claims) keep exp - iat from
   * overflowing. */
  if (claims->issued_at < 0
      || claims->expires_at - claims->issued_at > SL_TOKEN_MAX_LIFETIME_S)
    return fail (error, SL_TOKEN_ERROR_MALFORMED,
                 "the token's lifetime is longer than %d seconds (7 days); "
                 "mint a shorter one with `sonolink-hub token --ttl`",
                 SL_TOKEN_MAX_LIFETIME_S);
  if (now < G_MAXINT64 - SL_TOKEN_MAX_SKEW_S
      && claims->issued_at > now + SL_TOKEN_MAX_SKEW_S)
    return fail (error, SL_TOKEN_ERROR_NOT_YET_VALID,
                 "the token is issued more than %d seconds in the future; "
                 "check the clocks of the hub and of the machine that "
                 "minted it",
                 SL_TOKEN_MAX_SKEW_S);
  return TRUE;
}

SlTokenClaims *
sl_token_verify (GBytes *secret, const gchar *token, gint64 now, GError **error)
{
  g_autoptr (GBytes) mac = NULL;
  g_autoptr (GBytes) claims_json = NULL;
  g_autoptr (SlTokenClaims) claims = NULL;
  g_autoptr (GDateTime) expiry = NULL;
  g_autofree gchar *expiry_text = NULL;
  const gsize prefix_len = strlen (TOKEN_PREFIX);
  gsize signed_len = 0;
  guint8 expected[MAC_LEN];

  if (!check_secret (secret, error))
    return NULL;
  if (!split_token (token, &signed_len, &mac, error))
    return NULL;
  compute_mac (secret, token, signed_len, expected);
  if (!mac_equal (expected, g_bytes_get_data (mac, NULL)))
    {
      fail (error, SL_TOKEN_ERROR_SIGNATURE,
            "the token's signature does not match: it was minted with another "
            "secret, or altered");
      return NULL;
    }
  claims_json = b64url_decode (token + prefix_len, signed_len - prefix_len);
  if (claims_json == NULL)
    {
      fail (error, SL_TOKEN_ERROR_MALFORMED,
            "the token's claims are not valid base64url");
      return NULL;
    }
  claims = parse_claims (claims_json, error);
  if (claims == NULL || !check_times (claims, now, error))
    return NULL;
  if (claims->expires_at <= now)
    {
      expiry = g_date_time_new_from_unix_utc (claims->expires_at);
      expiry_text = expiry ? g_date_time_format_iso8601 (expiry) : NULL;
      fail (error, SL_TOKEN_ERROR_EXPIRED,
            "the token expired at %s; mint a new one with `sonolink-hub token`",
            expiry_text ? expiry_text : "an unrepresentable time");
      return NULL;
    }
  return g_steal_pointer (&claims);
}

/* ---- durations ---- */

gboolean
sl_token_parse_ttl (const gchar *text, gint64 *seconds)
{
  gint64 value = 0, unit = 1;
  const gchar *p = text;

  if (text == NULL || !g_ascii_isdigit (*p))
    return FALSE;
  for (; g_ascii_isdigit (*p); p++)
    {
      value = value * 10 + (*p - '0');
      if (value > MAX_TTL_SECONDS)
        return FALSE;
    }
  switch (*p)
    {
    case '\0':
      break;
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return FALSE;
    }
  if (*p != '\0' && p[1] != '\0')
    return FALSE;
  if (value <= 0 || value > MAX_TTL_SECONDS / unit)
    return FALSE;
  if (seconds != NULL)
    *seconds = value * unit;
  return TRUE;
}
