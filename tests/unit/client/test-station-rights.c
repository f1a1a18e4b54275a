/* test-station-rights.c — what a station accepts from whom, fed straight
 * into its hub handler (docs/security.md, "Enforced by the stations").
 *
 * The hub relays SDP and candidates only along the pairs a consultation
 * has, so a hub cannot be made to deliver a trainee's offer to an expert:
 * these tests hand the station's own handler (sl_station_handle_hub_message)
 * the messages a hub that did relay them would deliver, with real
 * SlSessions behind the station, and check what the station did with them.
 *
 *   viewer-offers      an expert keeps its township session whatever
 *                      trainees, recorders, other experts and strangers
 *                      offer it
 *   township-signals   a township takes no offer, and no answer or
 *                      candidate from a peer it did not offer to or that
 *                      the roster does not know
 *   township-guidance  marks from a trainee's session are refused, also
 *                      once the roster no longer knows the trainee (after
 *                      a hub restart it did not rejoin), and from a
 *                      session whose peer was never known
 *
 * The station runs without a hub connection (its hub client is never
 * started, so what it would send is dropped) and without a capture.
 */
#include "sl-station-private.h"

#include <gst/webrtc/webrtc.h>

#define DEADLINE_US (10 * G_USEC_PER_SEC)

static const gchar *const loopback[] = { "127.0.0.1", NULL };

typedef struct
{
  SlStationOptions opt;
  SlStation st;
} Fixture;

static void
fixture_init (Fixture *f, SlStationKind kind, SlRole role)
{
  SlHubClientConfig hub = { 0 };
  g_autoptr (GError) error = NULL;

  memset (f, 0, sizeof *f);
  f->opt.kind = kind;
  f->opt.quiet = TRUE;
  f->opt.sink = (gchar *)"none";
  f->opt.audio_out = (gchar *)"none";
  f->opt.bitrate_kbps = 1000;
  f->opt.jitter_ms = 80;
  f->opt.ice_addresses = (gchar **)loopback;
  sl_station_init (&f->st, &f->opt);
  f->st.my_role = role;
  hub.url = "ws://127.0.0.1:9";
  hub.token = "not-used";
  hub.peer_id = "me";
  f->st.hub
      = sl_hub_client_new (&hub, &(SlHubClientCallbacks){ 0 }, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sl_station_guide_prepare (&f->st), ==, SL_EXIT_OK);
}

static void
fixture_clear (Fixture *f)
{
  sl_station_clear (&f->st);
}

static void
feed (Fixture *f, SlMsgType type, const gchar *from, const gchar *sdp_type,
      const gchar *text, SlRole role)
{
  g_autoptr (SlMsg) msg = sl_msg_new (type);

  msg->from = g_strdup (from);
  msg->peer_id = g_strdup (from);
  msg->role = role;
  if (type == SL_MSG_SDP)
    {
      msg->sdp_type = g_strdup (sdp_type);
      msg->sdp = g_strdup (text);
    }
  else if (type == SL_MSG_ICE)
    msg->candidate = g_strdup (text);
  sl_station_handle_hub_message (&f->st, msg);
}

static void
join (Fixture *f, const gchar *peer_id, SlRole role)
{
  feed (f, SL_MSG_PEER_JOINED, peer_id, NULL, NULL, role);
}

/* ---- an offer to feed a viewer ---- */

static void
keep_description (SlSession *s, const gchar *type, const gchar *sdp,
                  gpointer user_data)
{
  gchar **out = user_data;

  if (*out == NULL)
    *out = g_strdup (sdp);
}

/* webrtcbin offers once it knows the caps of what it sends: one small
 * picture and a 10 ms piece of voice, as the capture would push. */
static void
feed_media (SlSession *session)
{
  g_autoptr (GstCaps) vcaps = gst_caps_from_string (
      "video/x-raw,format=I420,width=64,height=48,framerate=30/1");
  g_autoptr (GstCaps) acaps = gst_caps_from_string (
      "audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved");
  GstAppSrc *src;

  if ((src = sl_session_get_video_source (session)) != NULL)
    {
      g_autoptr (GstBuffer) buffer
          = gst_buffer_new_allocate (NULL, 64 * 72, NULL);
      g_autoptr (GstSample) sample = NULL;

      gst_buffer_memset (buffer, 0, 128, 64 * 72);
      sample = gst_sample_new (buffer, vcaps, NULL, NULL);
      gst_app_src_push_sample (src, sample);
    }
  if ((src = sl_session_get_audio_source (session)) != NULL)
    {
      g_autoptr (GstBuffer) buffer = gst_buffer_new_allocate (NULL, 960, NULL);
      g_autoptr (GstSample) sample = NULL;

      gst_buffer_memset (buffer, 0, 0, 960);
      sample = gst_sample_new (buffer, acaps, NULL, NULL);
      gst_app_src_push_sample (src, sample);
    }
}

static void
wait_until (gboolean (*done) (gpointer), gpointer data, SlSession *feed,
            const gchar *what)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_US;

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %s", what);
      if (feed != NULL)
        feed_media (feed);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
}

static gboolean
is_set (gpointer data)
{
  return *(gchar **)data != NULL;
}

static void
ignore_candidate (SlSession *s, guint mline, const gchar *candidate,
                  gpointer user_data)
{
}

static void
ignore_state (SlSession *s, SlSessionState state, gpointer user_data)
{
}

/* Returns (transfer full) a real offer: a township's SENDER session's. */
static gchar *
make_offer (SlSession **sender)
{
  SlSessionConfig config = { 0 };
  SlSessionCallbacks callbacks = { 0 };
  g_autoptr (GError) error = NULL;
  static gchar *sdp;

  sdp = NULL;
  config.role = SL_SESSION_SENDER;
  config.peer_id = "viewer";
  config.video_bitrate_kbps = 1000;
  config.jitter_ms = 80;
  config.ice_addresses = loopback;
  callbacks.local_description = keep_description;
  callbacks.local_candidate = ignore_candidate;
  callbacks.state_changed = ignore_state;
  *sender = sl_session_new (&config, &callbacks, &sdp, &error);
  g_assert_no_error (error);
  g_assert_true (sl_session_start (*sender, &error));
  wait_until (is_set, &sdp, *sender, "the test township's offer");
  return sdp;
}

/* ---- an expert's offers ---- */

static void
test_viewer_offers (void)
{
  Fixture f;
  SlSession *sender = NULL, *town;
  g_autofree gchar *offer = NULL;
  static const gchar *const rogues[] = { "trn", "rec", "exp2", "ghost" };

  fixture_init (&f, SL_STATION_EXPERT, SL_ROLE_EXPERT);
  join (&f, "town", SL_ROLE_TOWNSHIP);
  join (&f, "trn", SL_ROLE_TRAINEE);
  join (&f, "rec", SL_ROLE_RECORDER);
  join (&f, "exp2", SL_ROLE_EXPERT);
  offer = make_offer (&sender);

  feed (&f, SL_MSG_SDP, "town", "offer", offer, 0);
  town = g_hash_table_lookup (f.st.sessions, "town");
  g_assert_nonnull (town);

  /* Nobody but the room's township opens or replaces a session. */
  for (guint i = 0; i < G_N_ELEMENTS (rogues); i++)
    {
      feed (&f, SL_MSG_SDP, rogues[i], "offer", offer, 0);
      g_assert_cmpuint (g_hash_table_size (f.st.sessions), ==, 1);
      g_assert_true (g_hash_table_lookup (f.st.sessions, "town") == town);
      g_assert_cmpuint (f.st.signals_refused, ==, i + 1);
    }
  /* A viewer never offers, so takes no answer; candidates come from the
   * peer it has a session with only. */
  feed (&f, SL_MSG_SDP, "town", "answer", offer, 0);
  feed (&f, SL_MSG_ICE, "trn", NULL, "candidate:1 1 UDP 1 127.0.0.1 9 typ host",
        0);
  feed (&f, SL_MSG_ICE, "ghost", NULL,
        "candidate:1 1 UDP 1 127.0.0.1 9 typ host", 0);
  g_assert_cmpuint (f.st.signals_refused, ==, G_N_ELEMENTS (rogues) + 3);
  g_assert_true (g_hash_table_lookup (f.st.sessions, "town") == town);

  /* The township's new offer still replaces the session: it restarted. */
  feed (&f, SL_MSG_SDP, "town", "offer", offer, 0);
  g_assert_nonnull (g_hash_table_lookup (f.st.sessions, "town"));
  g_assert_cmpuint (f.st.signals_refused, ==, G_N_ELEMENTS (rogues) + 3);

  sl_session_close (sender);
  g_object_unref (sender);
  fixture_clear (&f);
}

/* ---- a township's signals ---- */

static gboolean
has_local_description (gpointer data)
{
  GstWebRTCSessionDescription *desc = NULL;

  g_object_get (data, "local-description", &desc, NULL);
  if (desc == NULL)
    return FALSE;
  gst_webrtc_session_description_free (desc);
  return TRUE;
}

static GstElement *
webrtcbin_of (SlSession *session)
{
  GstIterator *it = gst_bin_iterate_all_by_element_factory_name (
      GST_BIN (sl_session_get_pipeline (session)), "webrtcbin");
  GValue value = G_VALUE_INIT;
  GstElement *webrtc = NULL;

  if (gst_iterator_next (it, &value) == GST_ITERATOR_OK)
    webrtc = g_value_dup_object (&value);
  g_value_unset (&value);
  gst_iterator_free (it);
  g_assert_nonnull (webrtc);
  return webrtc;
}

static void
wait_offer (SlSession *session)
{
  g_autoptr (GstElement) webrtc = webrtcbin_of (session);

  wait_until (has_local_description, webrtc, session, "the township's offer");
}

static void
test_township_signals (void)
{
  Fixture f;
  SlSession *expert, *trainee, *sender = NULL;
  g_autofree gchar *offer = NULL;

  fixture_init (&f, SL_STATION_TOWNSHIP, SL_ROLE_TOWNSHIP);
  join (&f, "exp", SL_ROLE_EXPERT);
  join (&f, "trn", SL_ROLE_TRAINEE);
  expert = g_hash_table_lookup (f.st.sessions, "exp");
  trainee = g_hash_table_lookup (f.st.sessions, "trn");
  g_assert_nonnull (expert);
  g_assert_nonnull (trainee);
  wait_offer (expert);
  wait_offer (trainee);

  /* The township makes every offer; answers and candidates come from
   * peers it offered to and the roster knows. */
  offer = make_offer (&sender);
  feed (&f, SL_MSG_SDP, "exp", "offer", offer, 0);
  feed (&f, SL_MSG_SDP, "trn", "offer", offer, 0);
  feed (&f, SL_MSG_SDP, "ghost", "answer", offer, 0);
  feed (&f, SL_MSG_ICE, "ghost", NULL,
        "candidate:1 1 UDP 1 127.0.0.1 9 typ host", 0);
  g_assert_cmpuint (f.st.signals_refused, ==, 4);
  g_assert_true (g_hash_table_lookup (f.st.sessions, "exp") == expert);
  g_assert_true (g_hash_table_lookup (f.st.sessions, "trn") == trainee);
  g_assert_cmpuint (g_hash_table_size (f.st.sessions), ==, 2);
  /* The expert's session is still waiting for the answer to its offer. */
  {
    g_autoptr (GstElement) webrtc = webrtcbin_of (expert);
    GstWebRTCSignalingState state;

    g_object_get (webrtc, "signaling-state", &state, NULL);
    g_assert_cmpint (state, ==, GST_WEBRTC_SIGNALING_STATE_HAVE_LOCAL_OFFER);
  }

  sl_session_close (sender);
  g_object_unref (sender);
  fixture_clear (&f);
}

/* ---- a township's guidance ---- */

static gboolean
marks_applied (Fixture *f, SlSession *session)
{
  g_autoptr (JsonObject) rec = json_object_new ();

  sl_station_guide_add_stats (&f->st, session, rec);
  return json_object_has_member (rec, "guide_marks")
         && json_object_get_int_member (rec, "guide_marks") > 0;
}

static void
draw (Fixture *f, SlSession *session, const gchar *id)
{
  SlGuideMsg msg = { .type = SL_GUIDE_MARK };

  g_strlcpy (msg.mark.id, id, sizeof msg.mark.id);
  msg.mark.kind = SL_GUIDE_KIND_ARROW;
  msg.mark.n_points = 2;
  msg.mark.points[1].x = msg.mark.points[1].y = 1;
  msg.mark.width = 1;
  sl_station_guide_on_message (&f->st, session, &msg);
}

static void
test_township_guidance (void)
{
  Fixture f;
  SlSession *expert, *trainee, *ghost;

  fixture_init (&f, SL_STATION_TOWNSHIP, SL_ROLE_TOWNSHIP);
  join (&f, "exp", SL_ROLE_EXPERT);
  join (&f, "trn", SL_ROLE_TRAINEE);
  join (&f, "gst", SL_ROLE_EXPERT);
  expert = g_hash_table_lookup (f.st.sessions, "exp");
  trainee = g_hash_table_lookup (f.st.sessions, "trn");
  ghost = g_hash_table_lookup (f.st.sessions, "gst");

  draw (&f, trainee, "t1");
  g_assert_false (marks_applied (&f, trainee));
  draw (&f, expert, "e1");
  g_assert_true (marks_applied (&f, expert));

  /* A hub restart: the new roster has only those who rejoined (here,
   * nobody yet), while the sessions, which do not go through the hub,
   * carry on.  The trainee's session keeps its trainee's rights. */
  g_hash_table_remove_all (f.st.room_peers);
  draw (&f, trainee, "t2");
  g_assert_false (marks_applied (&f, trainee));
  draw (&f, expert, "e2");
  g_assert_true (marks_applied (&f, expert));

  /* A peer whose role the station never learnt gets no rights at all. */
  g_hash_table_remove (f.st.session_roles, "gst");
  draw (&f, ghost, "g1");
  g_assert_false (marks_applied (&f, ghost));

  fixture_clear (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  sl_media_init (&argc, &argv);
  g_test_add_func ("/station-rights/viewer-offers", test_viewer_offers);
  g_test_add_func ("/station-rights/township-signals", test_township_signals);
  g_test_add_func ("/station-rights/township-guidance", test_township_guidance);
  return g_test_run ();
}
