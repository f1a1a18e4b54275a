/* sl-peer-rights.c — see sl-peer-rights.h and docs/security.md.
 *
 * Every rule starts from "who may open a session with whom": answers go
 * back along an opening, candidates travel both ways along one, and
 * nothing travels where there is none.  A new right is added there, not
 * as an exception in one verdict.
 */
#include "sl-peer-rights.h"

gboolean
sl_peer_may_open (SlRole opener, SlRole receiver)
{
  return opener == SL_ROLE_TOWNSHIP
         && (receiver == SL_ROLE_EXPERT || receiver == SL_ROLE_TRAINEE
             || receiver == SL_ROLE_RECORDER);
}

SlPeerVerdict
sl_peer_judge_signal (SlRole mine, SlPeerRole peer, SlPeerAsk ask,
                      SlPeerSession session)
{
  if (!peer.known)
    return SL_PEER_REFUSE_UNKNOWN;
  switch (ask)
    {
    case SL_PEER_ASK_OFFER:
      return sl_peer_may_open (peer.role, mine) ? SL_PEER_ALLOW
                                                : SL_PEER_REFUSE_ROLE;
    case SL_PEER_ASK_ANSWER:
      if (!sl_peer_may_open (mine, peer.role))
        return SL_PEER_REFUSE_ROLE;
      return session == SL_PEER_SESSION_OFFERED ? SL_PEER_ALLOW
                                                : SL_PEER_REFUSE_SESSION;
    case SL_PEER_ASK_CANDIDATE:
      if (!sl_peer_may_open (mine, peer.role)
          && !sl_peer_may_open (peer.role, mine))
        return SL_PEER_REFUSE_ROLE;
      return session != SL_PEER_SESSION_NONE ? SL_PEER_ALLOW
                                             : SL_PEER_REFUSE_SESSION;
    }
  return SL_PEER_REFUSE_ROLE;
}

const gchar *
sl_peer_verdict_reason (SlPeerVerdict verdict)
{
  switch (verdict)
    {
    case SL_PEER_ALLOW:
      return "";
    case SL_PEER_REFUSE_UNKNOWN:
      return "the hub's roster does not know it";
    case SL_PEER_REFUSE_ROLE:
      return "its role may not send this to ours";
    case SL_PEER_REFUSE_SESSION:
      return "it belongs to no session we have with it";
    }
  return "refused";
}

gboolean
sl_peer_may_guide (SlPeerRole peer)
{
  return peer.known && peer.role == SL_ROLE_EXPERT;
}

gboolean
sl_peer_may_request_still (SlPeerRole peer)
{
  return peer.known && peer.role == SL_ROLE_EXPERT;
}

gboolean
sl_peer_is_heard (SlPeerRole peer)
{
  return peer.known
         && (peer.role == SL_ROLE_EXPERT || peer.role == SL_ROLE_TOWNSHIP);
}
