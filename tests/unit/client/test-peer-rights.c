/* test-peer-rights.c — what a station accepts from which peer
 * (sl-peer-rights.h, docs/security.md). */
#include "sl-peer-rights.h"

#include <string.h>

#define N_ROLES (SL_ROLE_RECORDER + 1)

static const SlPeerSession sessions[] = {
  SL_PEER_SESSION_NONE,
  SL_PEER_SESSION_OFFERED,
  SL_PEER_SESSION_ANSWERED,
};

static SlPeerRole
known (SlRole role)
{
  return (SlPeerRole){ TRUE, role };
}

static gboolean
is_viewer (SlRole role)
{
  return role == SL_ROLE_EXPERT || role == SL_ROLE_TRAINEE
         || role == SL_ROLE_RECORDER;
}

/* The relay table of docs/security.md as the stations apply it. */
static void
test_open (void)
{
  for (SlRole a = 0; a < N_ROLES; a++)
    for (SlRole b = 0; b < N_ROLES; b++)
      g_assert_cmpint (sl_peer_may_open (a, b), ==,
                       a == SL_ROLE_TOWNSHIP && is_viewer (b));
}

/* Every combination, against the rule written out once more. */
static void
test_signals (void)
{
  for (SlRole mine = 0; mine < N_ROLES; mine++)
    for (SlRole theirs = 0; theirs < N_ROLES; theirs++)
      for (guint s = 0; s < G_N_ELEMENTS (sessions); s++)
        {
          gboolean viewer_side = mine != SL_ROLE_TOWNSHIP
                                 && theirs == SL_ROLE_TOWNSHIP
                                 && is_viewer (mine);
          gboolean township_side
              = mine == SL_ROLE_TOWNSHIP && is_viewer (theirs);
          SlPeerVerdict offer, answer, candidate;

          offer = sl_peer_judge_signal (mine, known (theirs), SL_PEER_ASK_OFFER,
                                        sessions[s]);
          answer = sl_peer_judge_signal (mine, known (theirs),
                                         SL_PEER_ASK_ANSWER, sessions[s]);
          candidate = sl_peer_judge_signal (mine, known (theirs),
                                            SL_PEER_ASK_CANDIDATE, sessions[s]);
          g_assert_cmpint (offer, ==,
                           viewer_side ? SL_PEER_ALLOW : SL_PEER_REFUSE_ROLE);
          if (!township_side)
            g_assert_cmpint (answer, ==, SL_PEER_REFUSE_ROLE);
          else
            g_assert_cmpint (answer, ==,
                             sessions[s] == SL_PEER_SESSION_OFFERED
                                 ? SL_PEER_ALLOW
                                 : SL_PEER_REFUSE_SESSION);
          if (!township_side && !viewer_side)
            g_assert_cmpint (candidate, ==, SL_PEER_REFUSE_ROLE);
          else
            g_assert_cmpint (candidate, ==,
                             sessions[s] == SL_PEER_SESSION_NONE
                                 ? SL_PEER_REFUSE_SESSION
                                 : SL_PEER_ALLOW);

          /* Unknown to the roster: nothing, whatever the role says. */
          for (SlPeerAsk ask = SL_PEER_ASK_OFFER; ask <= SL_PEER_ASK_CANDIDATE;
               ask++)
            g_assert_cmpint (
                sl_peer_judge_signal (mine, (SlPeerRole){ FALSE, theirs }, ask,
                                      sessions[s]),
                ==, SL_PEER_REFUSE_UNKNOWN);
        }
}

/* The cases of issue 14, by name. */
static void
test_findings (void)
{
  /* A trainee or recorder cannot replace the expert's session... */
  g_assert_cmpint (
      sl_peer_judge_signal (SL_ROLE_EXPERT, known (SL_ROLE_TRAINEE),
                            SL_PEER_ASK_OFFER, SL_PEER_SESSION_NONE),
      ==, SL_PEER_REFUSE_ROLE);
  g_assert_cmpint (
      sl_peer_judge_signal (SL_ROLE_EXPERT, known (SL_ROLE_RECORDER),
                            SL_PEER_ASK_OFFER, SL_PEER_SESSION_NONE),
      ==, SL_PEER_REFUSE_ROLE);
  /* ...nor another expert, nor the township take an offer... */
  g_assert_cmpint (sl_peer_judge_signal (SL_ROLE_EXPERT, known (SL_ROLE_EXPERT),
                                         SL_PEER_ASK_OFFER,
                                         SL_PEER_SESSION_NONE),
                   ==, SL_PEER_REFUSE_ROLE);
  g_assert_cmpint (
      sl_peer_judge_signal (SL_ROLE_TOWNSHIP, known (SL_ROLE_EXPERT),
                            SL_PEER_ASK_OFFER, SL_PEER_SESSION_OFFERED),
      ==, SL_PEER_REFUSE_ROLE);
  /* ...while the room's township may always offer again. */
  g_assert_cmpint (
      sl_peer_judge_signal (SL_ROLE_EXPERT, known (SL_ROLE_TOWNSHIP),
                            SL_PEER_ASK_OFFER, SL_PEER_SESSION_ANSWERED),
      ==, SL_PEER_ALLOW);
  /* An answer from an expert the township did not offer to. */
  g_assert_cmpint (
      sl_peer_judge_signal (SL_ROLE_TOWNSHIP, known (SL_ROLE_EXPERT),
                            SL_PEER_ASK_ANSWER, SL_PEER_SESSION_NONE),
      ==, SL_PEER_REFUSE_SESSION);
  for (SlPeerVerdict v = SL_PEER_REFUSE_UNKNOWN; v <= SL_PEER_REFUSE_SESSION;
       v++)
    g_assert_cmpuint (strlen (sl_peer_verdict_reason (v)), >, 0);
  g_assert_cmpstr (sl_peer_verdict_reason (SL_PEER_ALLOW), ==, "");
}

/* What arrives over a session, by the role its peer had. */
static void
test_session_rights (void)
{
  for (SlRole r = 0; r < N_ROLES; r++)
    {
      g_assert_cmpint (sl_peer_may_guide (known (r)), ==, r == SL_ROLE_EXPERT);
      g_assert_cmpint (sl_peer_may_request_still (known (r)), ==,
                       r == SL_ROLE_EXPERT);
      g_assert_cmpint (sl_peer_is_heard (known (r)), ==,
                       r == SL_ROLE_EXPERT || r == SL_ROLE_TOWNSHIP);
      /* A peer whose role was never learnt has none: before, a peer
       * missing from the roster read as role 0, the township. */
      g_assert_false (sl_peer_may_guide ((SlPeerRole){ FALSE, r }));
      g_assert_false (sl_peer_may_request_still ((SlPeerRole){ FALSE, r }));
      g_assert_false (sl_peer_is_heard ((SlPeerRole){ FALSE, r }));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/peer-rights/open", test_open);
  g_test_add_func ("/peer-rights/signals", test_signals);
  g_test_add_func ("/peer-rights/findings", test_findings);
  g_test_add_func ("/peer-rights/session-rights", test_session_rights);
  return g_test_run ();
}
