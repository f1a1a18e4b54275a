/* rogue-station.c — a patched station for the security tests.
 *
 *   rogue-station trainee HUB_URL TOKEN PEER_ID [--tone HZ] [--no-rejoin]
 *
 * What a trainee token holder with a modified client would do, built from
 * the same library as the real stations so that every message it sends is
 * well formed and only its rights are wrong.  It answers the township's
 * offer with a session that sends a voice (a tone of --tone Hz, default
 * 1500) whatever the offer asked for, and once "sl-guide" is open sends,
 * every 500 ms, a batch of everything an expert may send: a mark, a cue,
 * a prompt, the pointer and a still request.  With --no-rejoin it leaves
 * the hub for good when its connection drops (a hub restart) while its
 * session, which does not go through the hub, carries on: the township's
 * new roster then does not know it.
 *
 * It reports on stdout, one line per event, for the test to read:
 *   offer-voice DIRECTION   the audio direction of the township's offer
 *   session STATE
 *   guide-open
 *   batch N                 the Nth batch went out
 *   nack TYPE REASON        the township refused a message
 *   hub-left                --no-rejoin: the hub connection is given up
 */
#include "sl-hub-client.h"
#include "sonolink.h"

#include <glib-unix.h>
#include <gst/sdp/sdp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define BATCH_MS 500

typedef struct
{
  GMainLoop *loop;
  SlHubClient *hub;
  gchar *url, *token, *peer_id;
  guint tone_hz;
  gboolean no_rejoin;
  SlCapture *capture;
  SlSession *session;
  gchar *township;
  guint batch_timer;
  guint batches;
} Rogue;

static void say (const gchar *format, ...) G_GNUC_PRINTF (1, 2);

static void
say (const gchar *format, ...)
{
  va_list args;

  va_start (args, format);
  vprintf (format, args);
  va_end (args);
  putchar ('\n');
  fflush (stdout);
}

/* ---- the session ---- */

static void
send_to_township (Rogue *r, SlMsg *msg)
{
  msg->to = g_strdup (r->township);
  if (r->hub != NULL)
    sl_hub_client_send (r->hub, msg);
}

static void
on_local_description (SlSession *s, const gchar *type, const gchar *sdp,
                      gpointer user_data)
{
  g_autoptr (SlMsg) msg = sl_msg_new (SL_MSG_SDP);

  msg->sdp_type = g_strdup (type);
  msg->sdp = g_strdup (sdp);
  send_to_township (user_data, msg);
}

static void
on_local_candidate (SlSession *s, guint mline, const gchar *candidate,
                    gpointer user_data)
{
  g_autoptr (SlMsg) msg = sl_msg_new (SL_MSG_ICE);

  msg->mline = mline;
  msg->candidate = g_strdup (candidate);
  send_to_township (user_data, msg);
}

static void
on_state (SlSession *s, SlSessionState state, gpointer user_data)
{
  say ("session %s", sl_session_state_name (state));
}

/* Everything an expert may send, once. */
static gboolean
send_batch (gpointer user_data)
{
  Rogue *r = user_data;
  SlGuideMsg msg = { .type = SL_GUIDE_MARK };

  r->batches++;
  g_snprintf (msg.mark.id, sizeof msg.mark.id, "r%u", r->batches);
  msg.mark.kind = SL_GUIDE_KIND_BOX;
  msg.mark.color = SL_GUIDE_COLOR_RED;
  msg.mark.width = 2;
  msg.mark.n_points = 2;
  msg.mark.points[0] = (SlGuidePoint){ 0.2, 0.2 };
  msg.mark.points[1] = (SlGuidePoint){ 0.8, 0.8 };
  sl_session_send_guide (r->session, &msg);
  memset (&msg, 0, sizeof msg);
  msg.type = SL_GUIDE_CUE;
  msg.cue.cue = SL_GUIDE_CUE_SLIDE;
  msg.cue.dir = SL_GUIDE_DIR_LEFT;
  msg.cue.duration_ms = 30000;
  sl_session_send_guide (r->session, &msg);
  memset (&msg, 0, sizeof msg);
  msg.type = SL_GUIDE_PROMPT;
  msg.prompt.prompt = SL_GUIDE_PROMPT_HOLD;
  msg.prompt.duration_ms = 30000;
  sl_session_send_guide (r->session, &msg);
  memset (&msg, 0, sizeof msg);
  msg.type = SL_GUIDE_POINTER;
  msg.pointer.seq = r->batches;
  msg.pointer.visible = TRUE;
  msg.pointer.at = (SlGuidePoint){ 0.5, 0.5 };
  sl_session_send_guide (r->session, &msg);
  memset (&msg, 0, sizeof msg);
  msg.type = SL_GUIDE_STILL_REQUEST;
  g_snprintf (msg.req, sizeof msg.req, "q%u", r->batches);
  sl_session_send_guide (r->session, &msg);
  say ("batch %u", r->batches);
  return G_SOURCE_CONTINUE;
}

static void
on_guide_channel (SlSession *s, const gchar *label, gboolean open,
                  gpointer user_data)
{
  Rogue *r = user_data;

  if (!g_str_equal (label, SL_GUIDE_CHANNEL) || !open || r->batch_timer)
    return;
  say ("guide-open");
  r->batch_timer = g_timeout_add (BATCH_MS, send_batch, r);
}

static void
on_guide_message (SlSession *s, const SlGuideMsg *msg, gpointer user_data)
{
  if (msg->type == SL_GUIDE_NACK)
    say ("nack %s %s", msg->nack.ref_type[0] ? msg->nack.ref_type : "-",
         sl_guide_reason_name (msg->nack.reason));
}

/* The direction the offer gives the voice, as the township asked. */
static void
report_offer (const gchar *sdp)
{
  static const gchar *const directions[]
      = { "sendrecv", "sendonly", "recvonly", "inactive" };
  GstSDPMessage *message = NULL;
  const gchar *found = "none";

  gst_sdp_message_new_from_text (sdp, &message);
  for (guint i = 0; message && i < gst_sdp_message_medias_len (message); i++)
    {
      const GstSDPMedia *m = gst_sdp_message_get_media (message, i);

      if (g_strcmp0 (gst_sdp_media_get_media (m), "audio") != 0)
        continue;
      for (guint d = 0; d < G_N_ELEMENTS (directions); d++)
        if (gst_sdp_media_get_attribute_val (m, directions[d]) != NULL)
          found = directions[d];
    }
  if (message != NULL)
    gst_sdp_message_free (message);
  say ("offer-voice %s", found);
}

static const SlSessionCallbacks session_callbacks = {
  .local_description = on_local_description,
  .local_candidate = on_local_candidate,
  .state_changed = on_state,
  .guide_message = on_guide_message,
  .guide_channel = on_guide_channel,
};

static void
close_session (Rogue *r)
{
  g_clear_handle_id (&r->batch_timer, g_source_remove);
  if (r->session == NULL)
    return;
  if (sl_session_get_audio_source (r->session) != NULL)
    sl_capture_remove_target (r->capture, SL_CAPTURE_AUDIO,
                              sl_session_get_audio_source (r->session));
  sl_session_close (r->session);
  g_clear_object (&r->session);
}

/* Answers an offer with a session that sends its voice whatever the
 * offer said: send_audio is what an honest trainee leaves off. */
static void
answer (Rogue *r, const SlMsg *msg)
{
  static const gchar *const loopback[] = { "127.0.0.1", NULL };
  SlSessionConfig config = { 0 };
  g_autoptr (GError) error = NULL;

  report_offer (msg->sdp);
  close_session (r);
  g_free (r->township);
  r->township = g_strdup (msg->from);
  config.role = SL_SESSION_VIEWER;
  config.peer_id = msg->from;
  config.jitter_ms = 80;
  config.send_audio = TRUE;
  config.recv_audio = TRUE;
  config.ice_addresses = loopback;
  r->session = sl_session_new (&config, &session_callbacks, r, &error);
  if (r->session == NULL || !sl_session_start (r->session, &error))
    g_error ("cannot open a session: %s", error->message);
  sl_capture_add_target (r->capture, SL_CAPTURE_AUDIO,
                         sl_session_get_audio_source (r->session));
  if (!sl_session_set_remote_description (r->session, "offer", msg->sdp,
                                          &error))
    g_error ("cannot take the offer: %s", error->message);
}

/* ---- the hub ---- */

static void
on_joined (SlHubClient *hub, const SlMsg *welcome, gboolean rejoin,
           gpointer user_data)
{
  say ("joined %s", sl_role_name (welcome->role));
}

static void
on_message (SlHubClient *hub, const SlMsg *msg, gpointer user_data)
{
  Rogue *r = user_data;

  if (msg->type == SL_MSG_SDP && g_strcmp0 (msg->sdp_type, "offer") == 0)
    answer (r, msg);
  else if (msg->type == SL_MSG_ICE && r->session != NULL
           && g_strcmp0 (msg->from, r->township) == 0)
    sl_session_add_remote_candidate (r->session, msg->mline, msg->candidate);
}

static void
on_failed (SlHubClient *hub, const GError *error, gpointer user_data)
{
  g_printerr ("rogue: hub: %s\n", error->message);
  g_main_loop_quit (((Rogue *)user_data)->loop);
}

static gboolean
leave_hub (gpointer user_data)
{
  Rogue *r = user_data;

  g_clear_pointer (&r->hub, sl_hub_client_free);
  say ("hub-left");
  return G_SOURCE_REMOVE;
}

static void
on_disconnected (SlHubClient *hub, gpointer user_data)
{
  Rogue *r = user_data;

  /* Not from inside the client's own callback. */
  if (r->no_rejoin)
    g_idle_add (leave_hub, r);
}

static const SlHubClientCallbacks hub_callbacks = {
  .joined = on_joined,
  .message = on_message,
  .failed = on_failed,
  .disconnected = on_disconnected,
};

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  Rogue r = { .tone_hz = 1500 };
  SlHubClientConfig config = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree gchar *tone = NULL;
  GstElement *audio;

  sl_media_init (&argc, &argv);
  if (argc < 5 || !g_str_equal (argv[1], "trainee"))
    {
      g_printerr ("usage: %s trainee HUB_URL TOKEN PEER_ID [--tone HZ] "
                  "[--no-rejoin]\n",
                  argv[0]);
      return 2;
    }
  for (int i = 5; i < argc; i++)
    if (g_str_equal (argv[i], "--no-rejoin"))
      r.no_rejoin = TRUE;
    else if (g_str_equal (argv[i], "--tone") && i + 1 < argc)
      r.tone_hz = (guint)g_ascii_strtoull (argv[++i], NULL, 10);
  r.loop = g_main_loop_new (NULL, FALSE);
  tone = g_strdup_printf ("audiotestsrc is-live=true wave=sine freq=%u "
                          "volume=0.5",
                          r.tone_hz);
  audio = gst_parse_bin_from_description (tone, TRUE, &error);
  if (audio == NULL
      || (r.capture = sl_capture_new (NULL, audio, &error)) == NULL
      || !sl_capture_start (r.capture, &error))
    g_error ("cannot make the voice: %s", error->message);

  config.url = argv[2];
  config.token = argv[3];
  config.peer_id = argv[4];
  config.connect_timeout_s = 10;
  r.hub = sl_hub_client_new (&config, &hub_callbacks, &r, &error);
  if (r.hub == NULL)
    g_error ("%s", error->message);
  sl_hub_client_start (r.hub);
  g_unix_signal_add (SIGTERM, on_signal, r.loop);
  g_unix_signal_add (SIGINT, on_signal, r.loop);
  g_main_loop_run (r.loop);

  close_session (&r);
  g_clear_pointer (&r.hub, sl_hub_client_free);
  g_clear_pointer (&r.capture, sl_capture_free);
  g_main_loop_unref (r.loop);
  g_free (r.township);
  return 0;
}
