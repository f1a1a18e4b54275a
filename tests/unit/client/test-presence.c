/* test-presence.c — a session through its peer's absence from the room
 * (client/common/hub/sl-presence.h). */
#include "sl-presence.h"

#define S(x) ((gint64)(x)*G_USEC_PER_SEC)

static SlPresenceVerdict
decide (gboolean in_room, gboolean connected, gboolean lost, gint64 away)
{
  SlPresenceSample s = { .peer_in_room = in_room,
                         .connected = connected,
                         .link_lost = lost,
                         .away_us = away };

  return sl_presence_decide (&s);
}

/* The township's WebSocket starved and the hub gave it up; the picture
 * still arrives: the session is kept until the township is back. */
static void
test_kept_while_media_flows (void)
{
  g_assert_cmpint (decide (FALSE, TRUE, FALSE, 0), ==, SL_PRESENCE_KEEP);
  g_assert_cmpint (decide (FALSE, TRUE, FALSE, S (30)), ==, SL_PRESENCE_KEEP);
  g_assert_cmpint (decide (TRUE, TRUE, FALSE, S (31)), ==, SL_PRESENCE_BACK);
}

/* A peer that quit stops its media: dropped as soon as the link says so. */
static void
test_dropped_without_media (void)
{
  g_assert_cmpint (decide (FALSE, TRUE, TRUE, S (1)), ==, SL_PRESENCE_DROP);
  g_assert_cmpint (decide (FALSE, FALSE, FALSE, 0), ==, SL_PRESENCE_DROP);
  /* Back in the room, but the session broke meanwhile: dropped too (the
   * township offers anew). */
  g_assert_cmpint (decide (TRUE, FALSE, FALSE, S (3)), ==, SL_PRESENCE_DROP);
  g_assert_cmpint (decide (TRUE, TRUE, TRUE, S (3)), ==, SL_PRESENCE_DROP);
}

/* A peer that said bye quit: its session goes at once, though its last
 * packets may still be arriving. */
static void
test_said_bye (void)
{
  SlPresenceSample s = { 0 };

  s.connected = TRUE;
  g_assert_cmpint (sl_presence_decide (&s), ==, SL_PRESENCE_KEEP);
  s.said_bye = TRUE;
  g_assert_cmpint (sl_presence_decide (&s), ==, SL_PRESENCE_DROP);
}

/* Not for ever: a peer that never comes back loses its session. */
static void
test_grace_runs_out (void)
{
  g_assert_cmpint (decide (FALSE, TRUE, FALSE, S (SL_PRESENCE_GRACE_S) - 1), ==,
                   SL_PRESENCE_KEEP);
  g_assert_cmpint (decide (FALSE, TRUE, FALSE, S (SL_PRESENCE_GRACE_S)), ==,
                   SL_PRESENCE_DROP);
}

static SlPresenceVerdict
decide_rejoined (gboolean connected, gboolean lost, gint64 since)
{
  SlPresenceSample s
      = { .connected = connected, .link_lost = lost, .away_us = since };

  return sl_presence_decide_rejoined (&s);
}

/* The township rejoins after a stall; the expert gave the session up
 * meanwhile: as soon as the link says nothing comes, a new offer. */
static void
test_rejoined_peer_gave_up (void)
{
  g_assert_cmpint (decide_rejoined (TRUE, FALSE, 0), ==, SL_PRESENCE_KEEP);
  g_assert_cmpint (decide_rejoined (TRUE, FALSE, S (1)), ==, SL_PRESENCE_KEEP);
  g_assert_cmpint (decide_rejoined (TRUE, TRUE, S (2)), ==, SL_PRESENCE_DROP);
  g_assert_cmpint (decide_rejoined (TRUE, TRUE, 0), ==, SL_PRESENCE_DROP);
}

/* Only the hub connection went (the hub-drop case): media carried on, the
 * session is kept and the watch ends; a failed session is left to the
 * station's failure path. */
static void
test_rejoined_session_carried_on (void)
{
  g_assert_cmpint (
      decide_rejoined (TRUE, FALSE, S (SL_PRESENCE_REJOIN_WATCH_S) - 1), ==,
      SL_PRESENCE_KEEP);
  g_assert_cmpint (
      decide_rejoined (TRUE, FALSE, S (SL_PRESENCE_REJOIN_WATCH_S)), ==,
      SL_PRESENCE_BACK);
  g_assert_cmpint (decide_rejoined (FALSE, TRUE, S (1)), ==, SL_PRESENCE_BACK);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/presence/kept-while-media-flows",
                   test_kept_while_media_flows);
  g_test_add_func ("/presence/dropped-without-media",
                   test_dropped_without_media);
  g_test_add_func ("/presence/grace-runs-out", test_grace_runs_out);
  g_test_add_func ("/presence/said-bye", test_said_bye);
  g_test_add_func ("/presence/rejoined-peer-gave-up",
                   test_rejoined_peer_gave_up);
  g_test_add_func ("/presence/rejoined-session-carried-on",
                   test_rejoined_session_carried_on);
  return g_test_run ();
}
