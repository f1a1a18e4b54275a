/* test-session-state.c — the legal transitions of a session's life
 * (media/session/sl-session-state.h). */
#include "sl-session-state.h"

static void
test_names (void)
{
  g_assert_cmpstr (sl_session_state_name (SL_SESSION_STATE_NEW), ==, "new");
  g_assert_cmpstr (sl_session_state_name (SL_SESSION_STATE_CONNECTED), ==,
                   "connected");
  g_assert_cmpstr (sl_session_state_name (SL_SESSION_STATE_CLOSED), ==,
                   "closed");
  g_assert_cmpstr (sl_session_state_name ((SlSessionState)99), ==, "invalid");
}

/* The path of a normal session, and an ICE drop that comes back. */
static void
test_normal_life (void)
{
  g_assert_true (sl_session_state_allowed (SL_SESSION_STATE_NEW,
                                           SL_SESSION_STATE_NEGOTIATING));
  g_assert_true (sl_session_state_allowed (SL_SESSION_STATE_NEGOTIATING,
                                           SL_SESSION_STATE_CONNECTING));
  g_assert_true (sl_session_state_allowed (SL_SESSION_STATE_CONNECTING,
                                           SL_SESSION_STATE_CONNECTED));
  /* The answerer may see ICE connect before it counts as connecting. */
  g_assert_true (sl_session_state_allowed (SL_SESSION_STATE_NEGOTIATING,
                                           SL_SESSION_STATE_CONNECTED));
  g_assert_true (sl_session_state_allowed (SL_SESSION_STATE_CONNECTED,
                                           SL_SESSION_STATE_DISCONNECTED));
  g_assert_true (sl_session_state_allowed (SL_SESSION_STATE_DISCONNECTED,
                                           SL_SESSION_STATE_CONNECTED));
  g_assert_true (sl_session_state_allowed (SL_SESSION_STATE_CONNECTED,
                                           SL_SESSION_STATE_CLOSED));
}

/* CLOSED is final, FAILED leads only to CLOSED, nothing skips back. */
static void
test_refused (void)
{
  for (guint to = 0; to <= SL_SESSION_STATE_CLOSED; to++)
    {
      g_assert_false (sl_session_state_allowed (SL_SESSION_STATE_CLOSED, to));
      if (to != SL_SESSION_STATE_CLOSED)
        g_assert_false (sl_session_state_allowed (SL_SESSION_STATE_FAILED, to));
      /* No state moves to itself. */
      g_assert_false (sl_session_state_allowed (to, to));
    }
  g_assert_true (sl_session_state_allowed (SL_SESSION_STATE_FAILED,
                                           SL_SESSION_STATE_CLOSED));
  g_assert_false (sl_session_state_allowed (SL_SESSION_STATE_CONNECTED,
                                            SL_SESSION_STATE_NEGOTIATING));
  g_assert_false (sl_session_state_allowed (SL_SESSION_STATE_NEW,
                                            SL_SESSION_STATE_CONNECTED));
  g_assert_false (sl_session_state_allowed (SL_SESSION_STATE_NEW,
                                            SL_SESSION_STATE_DISCONNECTED));
  /* Any live state may fail. */
  g_assert_true (
      sl_session_state_allowed (SL_SESSION_STATE_NEW, SL_SESSION_STATE_FAILED));
  g_assert_true (sl_session_state_allowed (SL_SESSION_STATE_DISCONNECTED,
                                           SL_SESSION_STATE_FAILED));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/session-state/names", test_names);
  g_test_add_func ("/session-state/normal-life", test_normal_life);
  g_test_add_func ("/session-state/refused", test_refused);
  return g_test_run ();
}
