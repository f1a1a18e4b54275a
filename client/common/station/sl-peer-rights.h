/* sl-peer-rights.h — what a station accepts from which peer.
 *
 * The hub relays SDP and candidates only along the pairs a consultation
 * has (docs/signaling.md), but a station does not rely on the hub alone:
 * before it acts on a relayed message, or on what arrives over a session,
 * it asks here whether the sender may do that to it.  The answer depends
 * on the two roles, the roster the hub gave (welcome, peer-joined) and the
 * sessions the station has; a peer the roster does not know gets nothing.
 *
 * Who may open a session with whom is the hub's relay table seen from a
 * station of this tree: the township opens a session with every expert,
 * trainee and recorder, and nobody else opens one.  (The hub also relays
 * an expert's offer to the township, for an expert station that
 * renegotiates; the stations of this tree never do, so the township takes
 * no offer.)
 *
 * What arrives over a session is judged by the role its peer had when
 * the session was opened: the session was negotiated with that peer, and
 * DTLS binds it to it, so a trainee keeps a trainee's rights on its
 * session after a hub restart the trainee did not rejoin, when the new
 * roster does not know it.
 *
 * Pure functions of their arguments: any thread.
 */
#pragma once

#include "sl-proto.h"

G_BEGIN_DECLS

/* What a relayed message asks of the station. */
typedef enum
{
  SL_PEER_ASK_OFFER,     /* an SDP offer: open, or replace, a session */
  SL_PEER_ASK_ANSWER,    /* an SDP answer to the station's offer */
  SL_PEER_ASK_CANDIDATE, /* an ICE candidate for a session */
} SlPeerAsk;

/* The station's session with the sender, if any. */
typedef enum
{
  SL_PEER_SESSION_NONE,
  SL_PEER_SESSION_OFFERED,  /* the station offered it (township) */
  SL_PEER_SESSION_ANSWERED, /* the station answered the peer's offer */
} SlPeerSession;

typedef enum
{
  SL_PEER_ALLOW,
  SL_PEER_REFUSE_UNKNOWN, /* the roster does not know the sender */
  SL_PEER_REFUSE_ROLE,    /* its role may not ask this of the station's */
  SL_PEER_REFUSE_SESSION, /* no session of the station's it belongs to */
} SlPeerVerdict;

/* The sender as the hub's roster knows it: @known FALSE when it is not
 * in the roster (then @role means nothing). */
typedef struct
{
  gboolean known;
  SlRole role;
} SlPeerRole;

/* Whether a peer of role @opener may open a session with a station of
 * role @receiver: the township with an expert, trainee or recorder. */
gboolean sl_peer_may_open (SlRole opener, SlRole receiver);

/* Judges a relayed SDP or candidate from @peer, asking @ask of a station
 * of role @mine whose session with the peer is @session.  Offers come
 * from a peer that may open a session with the station (replacing any
 * it had: a township that restarts offers again); answers from a peer
 * the station offered to; candidates from a peer it has a session with,
 * in a pair that has sessions at all. */
SlPeerVerdict sl_peer_judge_signal (SlRole mine, SlPeerRole peer, SlPeerAsk ask,
                                    SlPeerSession session);

/* For a log line: why a verdict refuses ("" for SL_PEER_ALLOW). */
const gchar *sl_peer_verdict_reason (SlPeerVerdict verdict);

/* The rights of the peer of a session, by the role it had when the
 * session was opened (@peer.known FALSE: never learnt, no rights). */

/* Marks, pointer, cues and prompts on the township's picture, and still
 * requests: an expert's, nobody else's.  A trainee watches and learns;
 * a still is a lossless patient image for the report, made at the
 * expert's word and paid for with the township's uplink. */
gboolean sl_peer_may_guide (SlPeerRole peer);
gboolean sl_peer_may_request_still (SlPeerRole peer);

/* Whether a station plays the voice of @peer: the township hears the
 * expert, viewers hear the township; trainees and recorders are not
 * heard, whatever their station sends. */
gboolean sl_peer_is_heard (SlPeerRole peer);

G_END_DECLS
