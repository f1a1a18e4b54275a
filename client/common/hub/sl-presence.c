/* sl-presence.c — a session through its peer's absence from the room.
 * See sl-presence.h. */
#include "sl-presence.h"

SlPresenceVerdict
sl_presence_decide (const SlPresenceSample *s)
{
  if (!s->connected || s->link_lost || s->said_bye)
    return SL_PRESENCE_DROP;
  if (s->peer_in_room)
    return SL_PRESENCE_BACK;
  if (s->away_us >= (gint64)SL_PRESENCE_GRACE_S * G_USEC_PER_SEC)
    return SL_PRESENCE_DROP;
  return SL_PRESENCE_KEEP;
}

SlPresenceVerdict
sl_presence_decide_rejoined (const SlPresenceSample *s)
{
  if (!s->connected)
    return SL_PRESENCE_BACK;
  if (s->link_lost)
    return SL_PRESENCE_DROP;
  if (s->away_us >= (gint64)SL_PRESENCE_REJOIN_WATCH_S * G_USEC_PER_SEC)
    return SL_PRESENCE_BACK;
  return SL_PRESENCE_KEEP;
}
