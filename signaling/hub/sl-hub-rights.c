/* sl-hub-rights.c — what each role may do in a room, as the hub enforces
 * it.
 *
 * The relay rule is written as "who may offer to whom": an answer and
 * candidates are allowed exactly where the pair exists, in the direction
 * opposite to some allowed offer or along it.  The township and the expert
 * may each offer to the other (a township that restarts offers again; an
 * expert station may renegotiate); the township alone offers to trainees
 * and recorders, which only ever receive.
 */
#include "sl-hub-rights.h"

guint
sl_hub_role_places (SlRole role)
{
  switch (role)
    {
    case SL_ROLE_TOWNSHIP:
      return SL_HUB_PLACES_TOWNSHIP;
    case SL_ROLE_EXPERT:
      return SL_HUB_PLACES_EXPERT;
    case SL_ROLE_RECORDER:
      return SL_HUB_PLACES_RECORDER;
    case SL_ROLE_TRAINEE:
      return SL_HUB_PLACES_TRAINEE;
    }
  return 0;
}

/* Whether @from may send an offer to @to. */
static gboolean
may_offer (SlRole from, SlRole to)
{
  switch (from)
    {
    case SL_ROLE_TOWNSHIP:
      return to == SL_ROLE_EXPERT || to == SL_ROLE_TRAINEE
             || to == SL_ROLE_RECORDER;
    case SL_ROLE_EXPERT:
      return to == SL_ROLE_TOWNSHIP;
    case SL_ROLE_TRAINEE:
    case SL_ROLE_RECORDER:
      return FALSE;
    }
  return FALSE;
}

gboolean
sl_hub_relay_allowed (SlRole from, SlRole to, SlMsgType msg_type,
                      const gchar *sdp_type)
{
  switch (msg_type)
    {
    case SL_MSG_SDP:
      if (g_strcmp0 (sdp_type, "offer") == 0)
        return may_offer (from, to);
      if (g_strcmp0 (sdp_type, "answer") == 0)
        return may_offer (to, from);
      return FALSE;
    case SL_MSG_ICE:
      return may_offer (from, to) || may_offer (to, from);
    default:
      return FALSE;
    }
}
