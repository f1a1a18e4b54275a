/* sl-hub-rights.h — what each role may do in a room, as the hub enforces
 * it.
 *
 * Two rules, both decided by role alone (roles come from verified
 * tokens):
 *
 * - Relay pairs.  The hub relays session descriptions and candidates only
 *   along the pairs a consultation has: township ↔ expert (either may
 *   offer, the other answers), and township → trainee or recorder (the
 *   township offers, the receiver answers).  Candidates go both ways along
 *   an allowed pair.  Anything else — a trainee offering to the township,
 *   an expert talking to a trainee, two experts — is refused, so a token
 *   for a lesser role cannot open or tear down the expert's session.
 * - Places.  A room's places are divided by role, so that holders of one
 *   role's tokens cannot fill a room and lock out another role.
 *
 * Pure functions with no state: callable from any thread.  The stations
 * apply their own, matching check on what they accept (docs/security.md).
 */
#pragma once

#include <glib.h>

#include "sl-proto.h"

G_BEGIN_DECLS

/* Places per role in one room; they add up to SL_PROTO_MAX_PEERS. */
#define SL_HUB_PLACES_TOWNSHIP 1
#define SL_HUB_PLACES_EXPERT 4
#define SL_HUB_PLACES_RECORDER 4
#define SL_HUB_PLACES_TRAINEE                                                  \
  (SL_PROTO_MAX_PEERS - SL_HUB_PLACES_TOWNSHIP - SL_HUB_PLACES_EXPERT          \
   - SL_HUB_PLACES_RECORDER)

/* How many members of @role one room admits. */
guint sl_hub_role_places (SlRole role);

/* Whether a member of role @from may send @msg_type (SL_MSG_SDP with
 * @sdp_type "offer" or "answer", or SL_MSG_ICE, @sdp_type ignored) to a
 * member of role @to.  Every other message type is not relayed at all and
 * gives FALSE. */
gboolean sl_hub_relay_allowed (SlRole from, SlRole to, SlMsgType msg_type,
                               const gchar *sdp_type);

G_END_DECLS
