/* fuzz-token.c — fuzzes token verification.
 *
 * Each input is tried twice: as a token under a fixed secret (exercising
 * the shape checks, the base64url decoder and the MAC comparison), and as
 * raw claims that this target signs itself, so that the fuzzer reaches the
 * claims parser, which a forger cannot reach without the secret.
 */
#include <stdlib.h>
#include <string.h>

#include "sl-fuzz.h"
#include "sl-token.h"

/* The secret and clock under which the corpus's valid tokens verify. */
#define FUZZ_SECRET "fuzzing-secret-fuzzing-secret-32"
#define FUZZ_NOW 1700000000

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

static gchar *
sign (const guint8 *claims, gsize len)
{
  g_autofree gchar *claims_b64 = b64url (claims, len);
  g_autofree gchar *signed_part = g_strconcat ("sl1.", claims_b64, NULL);
  g_autoptr (GHmac) hmac = g_hmac_new (
      G_CHECKSUM_SHA256, (const guchar *)FUZZ_SECRET, strlen (FUZZ_SECRET));
  guint8 mac[32];
  gsize mac_len = sizeof mac;
  g_autofree gchar *mac_b64 = NULL;

  g_hmac_update (hmac, (const guchar *)signed_part, -1);
  g_hmac_get_digest (hmac, mac, &mac_len);
  mac_b64 = b64url (mac, mac_len);
  return g_strconcat (signed_part, ".", mac_b64, NULL);
}

static void
verify (GBytes *secret, const gchar *token)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SlTokenClaims) claims
      = sl_token_verify (secret, token, FUZZ_NOW, &error);

  if ((claims == NULL) == (error == NULL))
    abort ();
  if (claims != NULL
      && (!sl_proto_id_is_valid (claims->room)
          || claims->expires_at <= FUZZ_NOW))
    abort ();
  /* The verifier promises never to quote the token in its messages. */
  if (error != NULL && strlen (token) > 8 && strstr (error->message, token))
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GBytes) secret
      = g_bytes_new_static (FUZZ_SECRET, strlen (FUZZ_SECRET));
  g_autofree gchar *token = g_strndup ((const gchar *)data, size);
  g_autofree gchar *signed_token = NULL;
  gint64 ttl;

  verify (secret, token);
  sl_token_parse_ttl (token, &ttl);
  if (size <= 768)
    {
      signed_token = sign (data, size);
      verify (secret, signed_token);
    }
  return 0;
}
