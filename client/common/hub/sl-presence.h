/* sl-presence.h — what a station does when the hub says a peer left.
 *
 * The hub's word that a peer left is about the peer's signalling
 * connection, not about the media between the two stations, which goes
 * peer to peer.  On a weak uplink the township's WebSocket to the hub
 * starves behind the media and the hub gives it up (nothing heard for
 * 30 s) while the picture still arrives; the township reconnects and
 * rejoins a few seconds later.  Dropping a session that still carries
 * media on that word stopped a working picture and remade the session
 * each time.
 *
 * So a session that is connected and whose link is not lost is kept
 * through a peer's absence from the room for up to SL_PRESENCE_GRACE_S;
 * it is dropped at once when it is not, or when the peer said bye (a
 * station that quits: the hub's peer-left says so), when its link is lost during the grace, or when the grace runs
 * out without the peer back in the room.  Nothing new from an absent peer
 * is accepted meanwhile: the station's other rules still require the
 * peer in the roster for any offer, answer or candidate.
 *
 * The other way round, the township back after its own absence (a
 * rejoin, or a process that stalled: a frozen capture box, a machine
 * swapping) keeps a session that is still connected, as its media may
 * well have carried on.  But its peer, which heard nothing meanwhile, may
 * have given the session up and closed it, and a viewer never offers:
 * the township alone can make it again.  Its own link monitor does not
 * count a stall as the peer's silence (the process was not running), so
 * it would wait its whole restart delay, counted from the wake, before
 * doing so.  So the township watches such a session for
 * SL_PRESENCE_REJOIN_WATCH_S after the rejoin or the stall: if the link
 * goes lost meanwhile (nothing from the peer for a second while this
 * station runs), it offers a new session at once
 * (sl_presence_decide_rejoined).
 *
 * Pure; any thread; unit-tested in tests/unit/client/test-presence.c.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How long a session that still carries media outlives its peer's
 * absence from the room: the hub's own dead-connection time (30 s) and
 * a reconnection with back-off. */
#define SL_PRESENCE_GRACE_S 45

/* How long after a rejoin the township watches a session it kept for a
 * peer that dropped it: the peer's packets queued during a stall are
 * read at once on waking, then the link is lost a second or two later
 * (SL_LINK_LOST_MS and the once-a-second tick), with margin for a
 * loaded machine. */
#define SL_PRESENCE_REJOIN_WATCH_S 5

typedef enum
{
  SL_PRESENCE_KEEP, /* keep the session, ask again in a second */
  SL_PRESENCE_DROP, /* drop it now */
  SL_PRESENCE_BACK, /* the peer is back: keep it, stop asking */
} SlPresenceVerdict;

/* The session as the station sees it, once a second while its peer is
 * away. */
typedef struct
{
  gboolean peer_in_room; /* the hub lists the peer again */
  gboolean connected;    /* the session is connected (not failed/closed) */
  gboolean link_lost;    /* nothing from the peer for over a second */
  gboolean said_bye;     /* the peer left on purpose (the hub says so) */
  gint64 away_us;        /* since the hub said the peer left, or, for
                            sl_presence_decide_rejoined, since we rejoined */
} SlPresenceSample;

SlPresenceVerdict sl_presence_decide (const SlPresenceSample *sample);

/* Once a second after this station rejoined the room, for a session it
 * kept: SL_PRESENCE_DROP to offer a new session now (its link is lost:
 * the peer dropped it), SL_PRESENCE_BACK once it has carried on for
 * SL_PRESENCE_REJOIN_WATCH_S, SL_PRESENCE_KEEP to ask again.  A session
 * no longer connected is the station's failure path's, which offers
 * anew itself: SL_PRESENCE_BACK, stop asking.  peer_in_room and
 * said_bye are not read. */
SlPresenceVerdict sl_presence_decide_rejoined (const SlPresenceSample *sample);

G_END_DECLS
