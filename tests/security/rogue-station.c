/* rogue-station.c — a patched station for the security tests.
 *
 *   rogue-station trainee HUB_URL TOKEN PEER_ID [--tone HZ] [--no-rejoin]
 *   rogue-station township HUB_URL TOKEN PEER_ID
 *
 * What a token holder with a modified client would do, built from the
 * same library as the real stations so that every message it sends is
 * well formed and only what it sends is wrong.
 *
 * trainee: a trainee token.  It answers the township's
 * offer with a session that sends a voice (a tone of --tone Hz, default
 * 1500) whatever the offer asked for, and once "sl-guide" is open sends,
 * every 500 ms, a batch of everything an expert may send: a mark, a cue,
 * a prompt, the pointer and a still request.  With --no-rejoin it leaves
 * the hub for good when its connection drops (a hub restart) while its
 * session, which does not go through the hub, carries on: the township's
 * new roster then does not know it.
 *
 * township: a township token, offering a picture to the first expert in
 * the room, and stills nobody asked for once "sl-guide" is open:
 * JUNK_STILLS of random bytes (with a right SHA-256), the first at media
 * time 1000 ms.  Then it answers the expert's still requests by their
 * id: "notpng" with random bytes, "baddims" with a PNG of another size
 * than its STILL_META says, "good" with a right 64 × 48 PNG at media time
 * 1000 ms, which it then sends once more unasked as "good" again.
 *
 * It reports on stdout, one line per event, for the test to read:
 *   offer-voice DIRECTION   trainee: the audio direction of the offer
 *   session STATE
 *   guide-open
 *   batch N                 trainee: the Nth batch went out
 *   still REQ               township: a still went out (its STILL_END)
 *   good-sha256 HEX         township: the SHA-256 of the "good" PNG
 *   nack TYPE REASON        the peer refused a message
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
#define JUNK_STILLS 40
#define JUNK_BYTES (64 * 1024)
/* Chunks go while fewer bytes than this wait, as the real township's. */
#define PACE_BYTES (64 * 1024)

typedef struct
{
  GMainLoop *loop;
  SlHubClient *hub;
  gboolean township; /* which rogue */
  guint tone_hz;
  gboolean no_rejoin;
  SlCapture *capture;
  SlSession *session;
  gchar *peer; /* the peer id of the session's other end */
  guint batch_timer;
  guint batches;
  /* township: stills waiting to go, and the one going */
  GQueue stills; /* of SlGuideStillTx */
  SlGuideStillTx *tx;
  gchar tx_req[SL_GUIDE_MAX_ID_LEN + 1];
  guint pump_timer;
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
send_to_peer (Rogue *r, SlMsg *msg)
{
  msg->to = g_strdup (r->peer);
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
  send_to_peer (user_data, msg);
}

static void
on_local_candidate (SlSession *s, guint mline, const gchar *candidate,
                    gpointer user_data)
{
  g_autoptr (SlMsg) msg = sl_msg_new (SL_MSG_ICE);

  msg->mline = mline;
  msg->candidate = g_strdup (candidate);
  send_to_peer (user_data, msg);
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

/* ---- township: stills nobody asked for, and wrong answers ---- */

static GBytes *
random_bytes (gsize len, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  guint8 *data = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    data[i] = (guint8)g_rand_int (rand);
  return g_bytes_new_take (data, len);
}

/* A right 64 × 48 grey PNG. */
static GBytes *
small_png (void)
{
  guint8 pixels[64 * 48];

  for (guint i = 0; i < sizeof pixels; i++)
    pixels[i] = (guint8)(i * 7);
  return sl_guide_png_encode (pixels, SL_GUIDE_PIXEL_GRAY8, 64, 48, 64, NULL);
}

/* Sends the queued stills one after the other, paced as the real
 * township paces them. */
static gboolean
pump (gpointer user_data)
{
  Rogue *r = user_data;

  while (r->session != NULL)
    {
      g_auto (SlGuideMsg) msg = { 0 };

      if (r->tx == NULL && (r->tx = g_queue_pop_head (&r->stills)) == NULL)
        break;
      if (sl_session_guide_buffered_amount (r->session) > PACE_BYTES)
        return G_SOURCE_CONTINUE;
      if (!sl_guide_still_tx_next (r->tx, &msg))
        {
          g_clear_pointer (&r->tx, sl_guide_still_tx_free);
          continue;
        }
      if (!sl_session_send_guide (r->session, &msg))
        break;
      if (msg.type == SL_GUIDE_STILL_END)
        say ("still %s", msg.req);
    }
  r->pump_timer = 0;
  return G_SOURCE_REMOVE;
}

/* Queues a still: @bytes, whose STILL_META says a @w × @h PNG. */
static void
queue_still (Rogue *r, const gchar *req, gint64 media_ms, guint w, guint h,
             GBytes *bytes)
{
  g_autoptr (GError) error = NULL;
  SlGuideStillTx *tx
      = sl_guide_still_tx_new (req, media_ms, w, h, 0, 0, bytes, &error);

  if (tx == NULL)
    g_error ("cannot make a still: %s", error->message);
  g_queue_push_tail (&r->stills, tx);
  if (r->pump_timer == 0)
    r->pump_timer = g_timeout_add (2, pump, r);
}

static void
send_junk (Rogue *r)
{
  for (guint i = 0; i < JUNK_STILLS; i++)
    {
      g_autofree gchar *req = g_strdup_printf ("junk%u", i);
      g_autoptr (GBytes) junk = random_bytes (JUNK_BYTES, i + 1);

      queue_still (r, req, 1000 + i, 64, 48, junk);
    }
}

/* Answers the expert's still requests, each wrong in its own way but
 * "good", which is right and then sent once more, unasked. */
static void
answer_request (Rogue *r, const gchar *req)
{
  g_autoptr (GBytes) png = small_png ();

  if (g_str_equal (req, "notpng"))
    {
      g_autoptr (GBytes) junk = random_bytes (50000, 99);

      queue_still (r, req, 2000, 64, 48, junk);
    }
  else if (g_str_equal (req, "baddims"))
    queue_still (r, req, 3000, 32, 24, png);
  else if (g_str_equal (req, "good"))
    {
      g_autofree gchar *sha = sl_guide_sha256_hex (g_bytes_get_data (png, NULL),
                                                   g_bytes_get_size (png));

      say ("good-sha256 %s", sha);
      queue_still (r, req, 1000, 64, 48, png);
      queue_still (r, req, 1000, 64, 48, png);
    }
}

/* ---- guidance, either rogue ---- */

static void
on_guide_channel (SlSession *s, const gchar *label, gboolean open,
                  gpointer user_data)
{
  Rogue *r = user_data;

  if (!g_str_equal (label, SL_GUIDE_CHANNEL) || !open || r->batch_timer)
    return;
  say ("guide-open");
  if (r->township)
    send_junk (r);
  else
    r->batch_timer = g_timeout_add (BATCH_MS, send_batch, r);
}

static void
on_guide_message (SlSession *s, const SlGuideMsg *msg, gpointer user_data)
{
  Rogue *r = user_data;

  if (msg->type == SL_GUIDE_NACK)
    say ("nack %s %s", msg->nack.ref_type[0] ? msg->nack.ref_type : "-",
         sl_guide_reason_name (msg->nack.reason));
  else if (msg->type == SL_GUIDE_STILL_REQUEST && r->township)
    answer_request (r, msg->req);
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
  g_clear_handle_id (&r->pump_timer, g_source_remove);
  g_clear_pointer (&r->tx, sl_guide_still_tx_free);
  g_queue_clear_full (&r->stills, (GDestroyNotify)sl_guide_still_tx_free);
  if (r->session == NULL)
    return;
  if (sl_session_get_audio_source (r->session) != NULL)
    sl_capture_remove_target (r->capture, SL_CAPTURE_AUDIO,
                              sl_session_get_audio_source (r->session));
  if (sl_session_get_video_source (r->session) != NULL)
    sl_capture_remove_target (r->capture, SL_CAPTURE_VIDEO,
                              sl_session_get_video_source (r->session));
  sl_session_close (r->session);
  g_clear_object (&r->session);
}

/* Township: offers a picture to the expert @peer_id (the first only). */
static void
offer (Rogue *r, const gchar *peer_id)
{
  static const gchar *const loopback[] = { "127.0.0.1", NULL };
  SlSessionConfig config = { 0 };
  g_autoptr (GError) error = NULL;

  if (r->session != NULL)
    return;
  r->peer = g_strdup (peer_id);
  config.role = SL_SESSION_SENDER;
  config.peer_id = peer_id;
  config.video_bitrate_kbps = 500;
  config.jitter_ms = 80;
  config.ice_addresses = loopback;
  r->session = sl_session_new (&config, &session_callbacks, r, &error);
  if (r->session == NULL)
    g_error ("cannot open a session: %s", error->message);
  sl_capture_add_target (r->capture, SL_CAPTURE_VIDEO,
                         sl_session_get_video_source (r->session));
  if (!sl_session_start (r->session, &error))
    g_error ("cannot start a session: %s", error->message);
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
  g_free (r->peer);
  r->peer = g_strdup (msg->from);
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
  Rogue *r = user_data;

  say ("joined %s", sl_role_name (welcome->role));
  for (guint i = 0; r->township && welcome->peers && i < welcome->peers->len;
       i++)
    {
      SlPeerInfo *p = welcome->peers->pdata[i];

      if (p->role == SL_ROLE_EXPERT)
        offer (r, p->peer_id);
    }
}

static void
on_message (SlHubClient *hub, const SlMsg *msg, gpointer user_data)
{
  Rogue *r = user_data;
  gboolean from_peer
      = r->session != NULL && g_strcmp0 (msg->from, r->peer) == 0;
  g_autoptr (GError) error = NULL;

  if (r->township && msg->type == SL_MSG_PEER_JOINED
      && msg->role == SL_ROLE_EXPERT)
    offer (r, msg->peer_id);
  else if (!r->township && msg->type == SL_MSG_SDP
           && g_strcmp0 (msg->sdp_type, "offer") == 0)
    answer (r, msg);
  else if (r->township && msg->type == SL_MSG_SDP && from_peer
           && !sl_session_set_remote_description (r->session, msg->sdp_type,
                                                  msg->sdp, &error))
    g_error ("cannot take the answer: %s", error->message);
  else if (msg->type == SL_MSG_ICE && from_peer)
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
on_disconnected (SlHubClient *hub, const GError *why, gpointer user_data)
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
  GstElement *audio = NULL, *video = NULL;

  sl_media_init (&argc, &argv);
  if (argc < 5
      || (!g_str_equal (argv[1], "trainee")
          && !g_str_equal (argv[1], "township")))
    {
      g_printerr ("usage: %s trainee HUB_URL TOKEN PEER_ID [--tone HZ] "
                  "[--no-rejoin]\n"
                  "       %s township HUB_URL TOKEN PEER_ID\n",
                  argv[0], argv[0]);
      return 2;
    }
  r.township = g_str_equal (argv[1], "township");
  g_queue_init (&r.stills);
  for (int i = 5; i < argc; i++)
    if (g_str_equal (argv[i], "--no-rejoin"))
      r.no_rejoin = TRUE;
    else if (g_str_equal (argv[i], "--tone") && i + 1 < argc)
      r.tone_hz = (guint)g_ascii_strtoull (argv[++i], NULL, 10);
  r.loop = g_main_loop_new (NULL, FALSE);
  tone = g_strdup_printf ("audiotestsrc is-live=true wave=sine freq=%u "
                          "volume=0.5",
                          r.tone_hz);
  if (r.township)
    video = gst_parse_bin_from_description (
        "videotestsrc is-live=true ! capsfilter caps=\"video/x-raw,"
        "format=I420,width=160,height=120,framerate=15/1\"",
        TRUE, &error);
  else
    audio = gst_parse_bin_from_description (tone, TRUE, &error);
  if (error != NULL
      || (r.capture = sl_capture_new (video, audio, &error)) == NULL
      || !sl_capture_start (r.capture, &error))
    g_error ("cannot make the media: %s", error->message);

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
  g_free (r.peer);
  return 0;
}
