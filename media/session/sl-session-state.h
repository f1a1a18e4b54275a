/* sl-session-state.h — the rules of a session's life.
 *
 * An SlSession moves through the states of SlSessionState (sl-session.h);
 * its one set_state() (sl-session.c) asks sl_session_state_allowed() and
 * logs each transition.  Pure; any thread; unit-tested in
 * tests/unit/media/test-session-state.c.
 */
#pragma once

#include "sl-session.h"

G_BEGIN_DECLS

/* Whether a session in @from may move to @to.  CLOSED is final; FAILED
 * only leads to CLOSED; ICE may drop to DISCONNECTED and come back. */
gboolean sl_session_state_allowed (SlSessionState from, SlSessionState to);

G_END_DECLS
