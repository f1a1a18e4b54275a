/* sl-link-state.h — the link's health as both stations show it.
 *
 * The session's link monitor (media/recovery/sl-link.h) sums up once a
 * second how well the link carries the session in one of four words:
 *
 *   good        nothing to say
 *   degraded    the picture is still live but worse than configured
 *   lost        nothing has arrived from the peer for a second
 *   recovering  packets arrive again after "lost", or the session has just
 *               been made again
 *
 * SlSessionStats carries it (sl-session.h); docs/link-recovery.md says
 * what each means for a user.  Pure; any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  SL_LINK_GOOD,
  SL_LINK_DEGRADED,
  SL_LINK_LOST,
  SL_LINK_RECOVERING,
} SlLinkState;

/* "good", "degraded", "lost", "recovering". */
const gchar *sl_link_state_name (SlLinkState state);

G_END_DECLS
