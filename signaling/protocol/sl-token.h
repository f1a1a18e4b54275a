/* sl-token.h — signed, expiring room tokens.
 *
 * A token grants one role in one room until an expiry time.  It is
 * "sl1." + base64url(JSON claims) + "." + base64url(HMAC-SHA256(secret,
 * "sl1." + base64url(claims))), unpadded base64url (RFC 4648 §5).  The hub
 * mints them (`sonolink-hub token`) and verifies them on every hello; the
 * format is in docs/signaling.md.  Pure functions, callable from any thread.
 */
#pragma once

#include <glib.h>
#include "sl-proto.h"

G_BEGIN_DECLS

#define SL_TOKEN_ERROR (sl_token_error_quark ())
GQuark sl_token_error_quark (void);

typedef enum
{
  SL_TOKEN_ERROR_MALFORMED, /* empty, wrong shape, bad base64/JSON/claims */
  SL_TOKEN_ERROR_SIGNATURE, /* HMAC does not match: forged or other secret */
  SL_TOKEN_ERROR_EXPIRED,   /* exp <= now */
  SL_TOKEN_ERROR_SECRET,    /* secret file missing, unreadable, too short */
  SL_TOKEN_ERROR_NOT_YET_VALID, /* iat further ahead than the clock skew */
} SlTokenError;

/* The longest lifetime (exp - iat) a token may have, minted or verified:
 * a week covers any consultation or teaching day, while a token that
 * leaks stays useful for a bounded time whatever its claims say. */
#define SL_TOKEN_MAX_LIFETIME_S (7 * 24 * 3600)

/* How far a token's iat may lie ahead of the verifier's clock: room for
 * the minting machine's clock to run a little fast, not for tokens that
 * become valid in a year. */
#define SL_TOKEN_MAX_SKEW_S 300

/* A secret must hold at least this many bytes (256 bits). */
#define SL_TOKEN_MIN_SECRET_LEN 32

typedef struct
{
  gchar *room;
  SlRole role;
  gint64 issued_at;  /* unix seconds */
  gint64 expires_at; /* unix seconds */
  /* The "no_record" claim: no station in the room may record with this
   * token (docs/recording.md, PRIVACY). */
  gboolean no_record;
} SlTokenClaims;

void sl_token_claims_free (SlTokenClaims *claims);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlTokenClaims, sl_token_claims_free)

/* Reads a secret file (whole content, trailing newline stripped).  Fails
 * with SL_TOKEN_ERROR_SECRET if unreadable or shorter than
 * SL_TOKEN_MIN_SECRET_LEN.  Returns (transfer full) bytes. */
GBytes *sl_token_load_secret (const gchar *path, GError **error);

/* Mints a token for @room/@role valid from @now for @ttl_seconds (1 to
 * SL_TOKEN_MAX_LIFETIME_S).
 * @room must satisfy sl_proto_id_is_valid.  Returns (transfer full). */
gchar *sl_token_mint (GBytes *secret, const gchar *room, SlRole role,
                      gint64 now, gint64 ttl_seconds, GError **error);
/* The same, with the "no_record" claim when @no_record. */
gchar *sl_token_mint_full (GBytes *secret, const gchar *room, SlRole role,
                           gint64 now, gint64 ttl_seconds, gboolean no_record,
                           GError **error);

/* Verifies @token against @secret at time @now (unix seconds), comparing the
 * MAC in constant time.  Refuses claims that are not strict JSON (repeated
 * names included), a lifetime over SL_TOKEN_MAX_LIFETIME_S (MALFORMED), an
 * iat more than SL_TOKEN_MAX_SKEW_S ahead of @now (NOT_YET_VALID) and an
 * exp at or before @now (EXPIRED).  Returns (transfer full) the claims, or NULL with
 * @error set in SL_TOKEN_ERROR.  Error messages never contain the token. */
SlTokenClaims *sl_token_verify (GBytes *secret, const gchar *token, gint64 now,
                                GError **error);

/* Parses a duration like "90", "90s", "15m", "2h", "1d" into seconds.
 * Returns FALSE for anything else, a non-positive value, or one over
 * SL_TOKEN_MAX_LIFETIME_S. */
gboolean sl_token_parse_ttl (const gchar *text, gint64 *seconds);

G_END_DECLS
