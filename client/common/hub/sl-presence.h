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
 * Pure; any thread; unit-tested in tests/unit/client/test-presence.c.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How long a session that still carries media outlives its peer's
 * absence from the room: the hub's own dead-connection time (30 s) and
 * a reconnection with back-off. */
#define SL_PRESENCE_GRACE_S 45

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
  gint64 away_us;        /* since the hub said the peer left */
} SlPresenceSample;

SlPresenceVerdict sl_presence_decide (const SlPresenceSample *sample);

G_END_DECLS
