/* sl-session-state.c — a session's state names and legal transitions.
 * See sl-session-state.h.
 */
#include "sl-session-state.h"

static const gchar *state_names[] = {
  [SL_SESSION_STATE_NEW] = "new",
  [SL_SESSION_STATE_NEGOTIATING] = "negotiating",
  [SL_SESSION_STATE_CONNECTING] = "connecting",
  [SL_SESSION_STATE_CONNECTED] = "connected",
  [SL_SESSION_STATE_DISCONNECTED] = "disconnected",
  [SL_SESSION_STATE_FAILED] = "failed",
  [SL_SESSION_STATE_CLOSED] = "closed",
};

const gchar *
sl_session_state_name (SlSessionState state)
{
  if ((guint)state < G_N_ELEMENTS (state_names))
    return state_names[state];
  return "invalid";
}

gboolean
sl_session_state_allowed (SlSessionState from, SlSessionState to)
{
  if (from == to || from == SL_SESSION_STATE_CLOSED)
    return FALSE;
  if (to == SL_SESSION_STATE_CLOSED || to == SL_SESSION_STATE_FAILED)
    return from != SL_SESSION_STATE_FAILED || to == SL_SESSION_STATE_CLOSED;
  if (from == SL_SESSION_STATE_FAILED)
    return FALSE;
  switch (to)
    {
    case SL_SESSION_STATE_NEGOTIATING:
      return from == SL_SESSION_STATE_NEW;
    case SL_SESSION_STATE_CONNECTING:
      return from == SL_SESSION_STATE_NEGOTIATING;
    case SL_SESSION_STATE_CONNECTED:
      return from == SL_SESSION_STATE_CONNECTING
             || from == SL_SESSION_STATE_NEGOTIATING
             || from == SL_SESSION_STATE_DISCONNECTED;
    case SL_SESSION_STATE_DISCONNECTED:
      return from == SL_SESSION_STATE_CONNECTED;
    default:
      return FALSE;
    }
}
