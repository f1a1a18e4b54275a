/* consumer.c — a program outside the tree, built against an installed
 * libsonolink with nothing but `pkg-config --cflags --libs sonolink`.
 *
 * It uses the public API the way a station does: starts the engine,
 * checks the plugins, makes a viewing session and closes it, measures two
 * pictures and round-trips a guidance message.  Prints "ok" and exits 0,
 * or says what failed and exits 1.  Built and run by test_install.py.
 */
#include <sonolink.h>

#include <string.h>

static int
fail (const char *what, const GError *error)
{
  g_printerr ("consumer: %s%s%s\n", what, error ? ": " : "",
              error ? error->message : "");
  return 1;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SlSession) session = NULL;
  SlSessionConfig config = { 0 };
  SlSessionCallbacks callbacks = { 0 };
  SlGuideMsg msg = { 0 }, back = { 0 };
  g_autofree gchar *text = NULL;
  guint8 a[64 * 64], b[64 * 64];

  sl_media_init (&argc, &argv);
  if (!sl_media_check_plugins (&error))
    return fail ("plugins", error);

  config.role = SL_SESSION_VIEWER;
  config.peer_id = "consumer";
  session = sl_session_new (&config, &callbacks, NULL, &error);
  if (session == NULL)
    return fail ("sl_session_new", error);
  if (sl_session_get_state (session) != SL_SESSION_STATE_NEW)
    return fail ("a new session is not in state new", NULL);
  sl_session_close (session);
  if (strcmp (sl_session_state_name (sl_session_get_state (session)), "closed")
      != 0)
    return fail ("a closed session is not in state closed", NULL);

  memset (a, 100, sizeof a);
  memset (b, 100, sizeof b);
  if (sl_fidelity_psnr (a, 64, b, 64, 64, 64) != SL_FIDELITY_PSNR_IDENTICAL)
    return fail ("identical pictures are not identical", NULL);

  msg.type = SL_GUIDE_CLEAR;
  msg.media_ms = 1234;
  text = sl_guide_serialize (&msg);
  if (!sl_guide_parse (text, strlen (text), &back, &error))
    return fail ("a guidance message did not parse back", error);
  if (back.type != SL_GUIDE_CLEAR || back.media_ms != 1234)
    return fail ("a guidance message came back different", NULL);
  sl_guide_msg_clear (&back);

  g_print ("ok\n");
  return 0;
}
