/* sl-station.c — one station's life: hub, sessions, capture, reporting.
 *
 * Who offers: the township.  It opens a sending session for every expert
 * and trainee the hub reports in the room (at join and on peer-joined).
 * On peer-left a session that still carries media is kept while the peer
 * reconnects to the hub (sl-presence.h), any other is closed at once.
 * After a rejoin (its own or a viewer's), the township watches the
 * sessions it kept for a few seconds and offers anew to a peer that no
 * longer answers: the peer dropped the session while this station was
 * away (a stall).  A viewer station answers what the room's township offers, replacing any
 * session it had: a township that restarts simply offers again.  A
 * session that fails is dropped; the township offers anew to a peer
 * still in the room, so a broken path heals without anyone touching a
 * key.
 *
 * Rights (sl-peer-rights.h, docs/security.md): every relayed SDP and
 * candidate is judged by the sender's role in the hub's roster and the
 * sessions we have before it touches a session; what is refused is
 * counted and logged (never the SDP or the candidate).  Each session
 * remembers the role its peer had when it was opened (session_roles),
 * and what arrives over it is judged by that role.
 *
 * Everything here runs on the control thread, except the video_frame
 * callback (streaming thread), which only feeds the verifier and keeps the
 * last picture for snapshots under sample_lock.
 */
#include "sl-station-private.h"

#include "sl-presence.h"
#include "sl-probe.h"

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>

/* The roles the township offers its picture to and sonolink-expert may
 * play.  A recorder is a receive-only member that records what the
 * township sends (sonolink-expert with a recorder token and --record;
 * docs/recording.md): no voice, no guidance. */
static gboolean
role_is_viewer (SlRole role)
{
  return role == SL_ROLE_EXPERT || role == SL_ROLE_TRAINEE
         || role == SL_ROLE_RECORDER;
}

/* The peer as the hub's roster knows it. */
static SlPeerRole
roster_role (SlStation *st, const gchar *peer_id)
{
  SlPeerRole peer = { FALSE, SL_ROLE_TOWNSHIP };
  gpointer role;

  if (peer_id != NULL
      && g_hash_table_lookup_extended (st->room_peers, peer_id, NULL, &role))
    {
      peer.known = TRUE;
      peer.role = GPOINTER_TO_INT (role);
    }
  return peer;
}

SlPeerRole
sl_station_session_peer (SlStation *st, SlSession *session)
{
  SlPeerRole peer = { FALSE, SL_ROLE_TOWNSHIP };
  const gchar *peer_id = sl_session_get_peer_id (session);
  gpointer role;

  if (g_hash_table_lookup (st->sessions, peer_id) == session
      && g_hash_table_lookup_extended (st->session_roles, peer_id, NULL, &role))
    {
      peer.known = TRUE;
      peer.role = GPOINTER_TO_INT (role);
    }
  return peer;
}

void
sl_station_quit (SlStation *st, SlExitStatus status)
{
  if (st->exit_status == SL_EXIT_OK)
    st->exit_status = status;
  g_main_loop_quit (st->loop);
}

/* ---- sessions ---- */

static void
send_to_peer (SlStation *st, SlMsg *msg, SlSession *session)
{
  msg->to = g_strdup (sl_session_get_peer_id (session));
  if (!sl_hub_client_send (st->hub, msg))
    sl_station_log (st,
                    "could not send the %s to %s: the hub is not "
                    "connected (negotiation starts again once it is)",
                    sl_msg_type_name (msg->type), msg->to);
}

static void
on_local_description (SlSession *session, const gchar *type, const gchar *sdp,
                      gpointer user_data)
{
  g_autoptr (SlMsg) msg = sl_msg_new (SL_MSG_SDP);

  msg->sdp_type = g_strdup (type);
  msg->sdp = g_strdup (sdp);
  send_to_peer (user_data, msg, session);
}

static void
on_local_candidate (SlSession *session, guint mline, const gchar *candidate,
                    gpointer user_data)
{
  g_autoptr (SlMsg) msg = sl_msg_new (SL_MSG_ICE);

  msg->mline = mline;
  msg->candidate = g_strdup (candidate);
  send_to_peer (user_data, msg, session);
}

static void
on_video_frame (SlSession *session, GstSample *sample, gpointer user_data)
{
  SlStation *st = user_data;

  gint64 zero = 0, now = sl_media_now_us ();

  __atomic_compare_exchange_n (&st->first_picture_us, &zero, now, FALSE,
                               __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  /* Latency first: the verifier's PSNR takes milliseconds. */
  if (st->latency != NULL)
    sl_latency_meter_check (st->latency, sample);
  if (st->verifier != NULL)
    sl_verifier_check (st->verifier, sample);
  g_mutex_lock (&st->sample_lock);
  g_clear_pointer (&st->last_sample, gst_sample_unref);
  st->last_sample = gst_sample_ref (sample);
  st->sample_is_new = TRUE;
  g_mutex_unlock (&st->sample_lock);
  __atomic_store_n (&st->last_picture_us, now, __ATOMIC_RELAXED);
  sl_station_window_show (st, sample);
}

static void
on_audio_decoded (SlSession *session, GstBuffer *buffer, GstCaps *caps,
                  gpointer user_data)
{
  SlStation *st = user_data;

  if (st->clicks != NULL)
    sl_click_meter_check (st->clicks, buffer, caps);
}

static void
on_guide_message (SlSession *session, const SlGuideMsg *msg, gpointer user_data)
{
  sl_station_guide_on_message (user_data, session, msg);
}

static void
on_guide_channel (SlSession *session, const gchar *label, gboolean open,
                  gpointer user_data)
{
  sl_station_guide_on_channel (user_data, session, label, open);
}

static void remove_session (SlStation *st, const gchar *peer_id);
static SlSession *create_session (SlStation *st, const gchar *peer_id,
                                  SlRole peer_role, SlSessionRole role,
                                  gboolean send_audio, gboolean resumed);

/* The township's voice a peer of @peer_role receives: a trainee and a
 * recorder the lesson's mix (the room and every voice the township hears:
 * the recorder's archive holds the lesson, both voices), an expert the
 * room alone, so that it never hears itself. */
static SlCaptureKind
voice_for (SlRole peer_role)
{
  return peer_role == SL_ROLE_TRAINEE || peer_role == SL_ROLE_RECORDER
             ? SL_CAPTURE_LESSON
             : SL_CAPTURE_AUDIO;
}

/* Whether the township sends a voice to a peer of @peer_role: the room's
 * when it has a microphone; to a trainee the lesson's mix always, which
 * carries the expert even when the room has no microphone. */
static gboolean
township_sends_voice (SlStation *st, SlRole peer_role)
{
  return st->capture_has_audio || voice_for (peer_role) == SL_CAPTURE_LESSON;
}
static void ensure_sending_session (SlStation *st, const gchar *peer_id,
                                    SlRole role, gboolean resumed);

/* Deferred work on a session, keyed by peer id: data is {st, peer_id,
 * session}; the session pointer is only compared, never dereferenced, so a
 * session replaced meanwhile is left alone. */
static void
free_deferred (gpointer data)
{
  g_free (((gpointer *)data)[1]);
  g_free (data);
}

static gboolean
reoffer_later (gpointer data)
{
  SlStation *st = ((gpointer *)data)[0];
  const gchar *peer_id = ((gpointer *)data)[1];
  SlPeerRole peer = roster_role (st, peer_id);

  if (peer.known)
    ensure_sending_session (st, peer_id, peer.role, TRUE);
  return G_SOURCE_REMOVE;
}

static gboolean
drop_failed_session (gpointer data)
{
  SlStation *st = ((gpointer *)data)[0];
  const gchar *peer_id = ((gpointer *)data)[1];
  gpointer *again;

  if (g_hash_table_lookup (st->sessions, peer_id) != ((gpointer *)data)[2])
    return G_SOURCE_REMOVE;
  remove_session (st, peer_id);
  if (st->opt->kind == SL_STATION_TOWNSHIP
      && g_hash_table_contains (st->room_peers, peer_id))
    {
      again = g_new0 (gpointer, 3);
      again[0] = st;
      again[1] = g_strdup (peer_id);
      g_timeout_add_full (G_PRIORITY_DEFAULT, 500, reoffer_later, again,
                          free_deferred);
    }
  return G_SOURCE_REMOVE;
}

/* What the presence rules read of @session (sl-presence.h). */
static void
presence_sample (SlSession *session, SlPresenceSample *sample)
{
  SlSessionStats stats;

  sl_session_get_stats (session, &stats);
  sample->connected
      = sl_session_get_state (session) == SL_SESSION_STATE_CONNECTED;
  sample->link_lost = stats.link_state == SL_LINK_LOST;
}

/* A once-a-second watch on @peer_id's @session: data is {st, peer_id,
 * session, since_us}; the session pointer is only compared, so the watch
 * ends by itself once the session is replaced or removed. */
static void
free_session_watch (gpointer data)
{
  gpointer *d = data;

  g_free (d[1]);
  g_free (d[3]);
  g_free (d);
}

static void
watch_session (SlStation *st, const gchar *peer_id, SlSession *session,
               GSourceFunc func)
{
  gpointer *d = g_new0 (gpointer, 4);

  d[0] = st;
  d[1] = g_strdup (peer_id);
  d[2] = session;
  d[3] = g_memdup2 (&(gint64){ sl_media_now_us () }, sizeof (gint64));
  g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, 1, func, d,
                              free_session_watch);
}

/* The watched session, or NULL when it is no longer @peer_id's; fills
 * @sample with the time since the watch began. */
static SlSession *
watched_session (gpointer *d, SlPresenceSample *sample)
{
  SlStation *st = d[0];
  SlSession *session = g_hash_table_lookup (st->sessions, d[1]);

  if (session == NULL || session != d[2])
    return NULL;
  presence_sample (session, sample);
  sample->peer_in_room = g_hash_table_contains (st->room_peers, d[1]);
  sample->away_us = sl_media_now_us () - *(gint64 *)d[3];
  return session;
}

/* Once a second while a peer the hub said left still has a session that
 * carries media. */
static gboolean
watch_absent_peer (gpointer data)
{
  gpointer *d = data;
  SlStation *st = d[0];
  const gchar *peer_id = d[1];
  SlPresenceSample sample = { 0 };

  if (watched_session (d, &sample) == NULL)
    return G_SOURCE_REMOVE;
  switch (sl_presence_decide (&sample))
    {
    case SL_PRESENCE_KEEP:
      return G_SOURCE_CONTINUE;
    case SL_PRESENCE_BACK:
      sl_station_log (st, "%s is back in the room; its session carried on",
                      peer_id);
      return G_SOURCE_REMOVE;
    default:
      sl_station_log (st, "closing the session with %s, which left the room",
                      peer_id);
      remove_session (st, peer_id);
      return G_SOURCE_REMOVE;
    }
}

/* Township, once a second after a rejoin (ours or the viewer's) that
 * kept the viewer's session, or after this station stalled: the viewer
 * may have dropped it while one of us was away (sl-presence.h). */
static gboolean
watch_rejoined_session (gpointer data)
{
  gpointer *d = data;
  SlStation *st = d[0];
  const gchar *peer_id = d[1]; /* the watch's own copy */
  SlPresenceSample sample = { 0 };
  SlPeerRole peer;

  if (watched_session (d, &sample) == NULL)
    return G_SOURCE_REMOVE;
  switch (sl_presence_decide_rejoined (&sample))
    {
    case SL_PRESENCE_KEEP:
      return G_SOURCE_CONTINUE;
    case SL_PRESENCE_BACK:
      return G_SOURCE_REMOVE;
    default:
      peer = roster_role (st, peer_id);
      if (!peer.known)
        return G_SOURCE_REMOVE;
      sl_station_log (st,
                      "nothing from %s since this station came back: it "
                      "dropped the session meanwhile; offering a new one",
                      peer_id);
      remove_session (st, peer_id);
      create_session (st, peer_id, peer.role, SL_SESSION_SENDER,
                      township_sends_voice (st, peer.role), TRUE);
      return G_SOURCE_REMOVE;
    }
}

/* The hub says @peer_id left: its session is closed, unless it still
 * carries media (sl-presence.h). */
static void
on_peer_left (SlStation *st, const gchar *peer_id, gboolean said_bye)
{
  SlSession *session = g_hash_table_lookup (st->sessions, peer_id);
  SlPresenceSample sample = { 0 };

  g_hash_table_remove (st->room_peers, peer_id);
  if (session == NULL)
    return;
  presence_sample (session, &sample);
  sample.said_bye = said_bye;
  if (sl_presence_decide (&sample) != SL_PRESENCE_KEEP)
    {
      remove_session (st, peer_id);
      return;
    }
  sl_station_log (st,
                  "the session with %s still carries media: kept while "
                  "it reconnects to the hub",
                  peer_id);
  watch_session (st, peer_id, session, watch_absent_peer);
}

static void
on_session_state (SlSession *session, SlSessionState state, gpointer user_data)
{
  SlStation *st = user_data;
  const gchar *peer_id = sl_session_get_peer_id (session);

  sl_station_log (st, "session with %s: %s", peer_id,
                  sl_session_state_name (state));
  if (state != SL_SESSION_STATE_FAILED)
    return;
  /* Drop the session from the main loop, not from inside its own
   * callback; a township then offers again to a peer still present. */
  {
    gpointer *data = g_new (gpointer, 3);

    data[0] = st;
    data[1] = g_strdup (peer_id);
    data[2] = session;
    g_idle_add_full (G_PRIORITY_DEFAULT, drop_failed_session, data,
                     free_deferred);
  }
}

static const SlSessionCallbacks session_callbacks = {
  .local_description = on_local_description,
  .local_candidate = on_local_candidate,
  .state_changed = on_session_state,
  .video_frame = on_video_frame,
  .audio_decoded = on_audio_decoded,
  .guide_message = on_guide_message,
  .guide_channel = on_guide_channel,
};

static void
remove_session (SlStation *st, const gchar *peer_id)
{
  SlSession *session = g_hash_table_lookup (st->sessions, peer_id);

  if (session == NULL)
    return;
  if (st->capture != NULL)
    {
      if (sl_session_get_video_source (session) != NULL)
        sl_capture_remove_target (st->capture, SL_CAPTURE_VIDEO,
                                  sl_session_get_video_source (session));
      if (sl_session_get_audio_source (session) != NULL)
        {
          sl_capture_remove_target (st->capture, SL_CAPTURE_AUDIO,
                                    sl_session_get_audio_source (session));
          sl_capture_remove_target (st->capture, SL_CAPTURE_LESSON,
                                    sl_session_get_audio_source (session));
        }
    }
  sl_station_guide_session_removed (st, session);
  sl_station_record_session_removed (st, session);
  sl_session_close (session);
  /* After the close: the session no longer pushes into it. */
  if (st->capture != NULL && g_hash_table_contains (st->heard_voices, peer_id))
    {
      sl_capture_remove_heard_voice (
          st->capture, g_hash_table_lookup (st->heard_voices, peer_id));
      g_hash_table_remove (st->heard_voices, peer_id);
    }
  g_hash_table_remove (st->prev_stats, peer_id);
  g_hash_table_remove (st->session_roles, peer_id);
  /* Last: peer_id may point into the session. */
  g_hash_table_remove (st->sessions, peer_id);
}

/* Township: where a session's decoded voice goes, when the township hears
 * its peer: into the voice graph, which plays it and mixes it into the
 * lesson.  NULL: not heard (the session drops it). */
static GstElement *
township_voice_sink (SlStation *st, const gchar *peer_id, SlPeerRole peer,
                     GError **error)
{
  GstAppSrc *heard;
  GstElement *sink;

  if (!sl_peer_is_heard (peer) || st->capture == NULL)
    return NULL;
  heard = sl_capture_add_heard_voice (st->capture, error);
  if (heard == NULL)
    return NULL;
  sink = sl_voice_make_far_sink (heard, error);
  g_hash_table_insert (st->heard_voices, g_strdup (peer_id), heard);
  return sink;
}

/* Opens a session of @role with @peer_id, whose role was @peer_role when
 * the session was asked for: the rights of what arrives over it. */
static SlSession *
create_session (SlStation *st, const gchar *peer_id, SlRole peer_role,
                SlSessionRole role, gboolean send_audio, gboolean resumed)
{
  const SlPeerRole peer = { TRUE, peer_role };
  g_autoptr (GError) error = NULL;
  g_autofree gchar *audio_desc = NULL;
  SlSessionConfig config = { 0 };
  SlSession *session;

  config.role = role;
  config.peer_id = peer_id;
  config.video_bitrate_kbps = st->opt->bitrate_kbps;
  config.min_bitrate_kbps = st->opt->min_bitrate_kbps;
  config.floor_kbps = st->opt->floor_kbps;
  config.fixed_rate = st->opt->fixed_rate;
  config.no_fec = st->opt->no_fec;
  config.x264_options = st->opt->x264_options;
  config.video_width = st->probe_width;
  config.video_height = st->probe_height;
  config.video_fps = st->probe_fps;
  config.jitter_ms = st->opt->jitter_ms;
  config.send_audio = send_audio;
  /* A trainee's voice is not played, whatever its station sends. */
  config.recv_audio = sl_peer_is_heard (peer);
  config.ice_addresses = (const gchar *const *)st->opt->ice_addresses;
  config.restart_after_ms = st->opt->restart_after_ms;
  config.resumed = resumed;
  /* A viewer's pictures go to the station's window, which outlives the
   * session (sl-station-window.c); --paced: the session hands each over
   * at its time on the clock. */
  config.frames_display = role == SL_SESSION_VIEWER;
  config.paced_display = st->opt->paced;
  if (error == NULL && role == SL_SESSION_SENDER)
    config.audio_sink = township_voice_sink (st, peer_id, peer, &error);
  else if (error == NULL)
    config.audio_sink
        = sl_sources_make_audio_out (st->opt->audio_out, &audio_desc, &error);
  if (error == NULL)
    session = sl_session_new (&config, &session_callbacks, st, &error);
  if (error != NULL)
    {
      g_printerr ("%s: cannot open a session with %s: %s\n", st->name, peer_id,
                  error->message);
      sl_station_quit (st, SL_EXIT_MEDIA);
      return NULL;
    }
  g_hash_table_insert (st->sessions, g_strdup (peer_id), session);
  g_hash_table_insert (st->session_roles, g_strdup (peer_id),
                       GINT_TO_POINTER (peer_role));
  if (st->capture != NULL)
    {
      if (sl_session_get_video_source (session) != NULL)
        sl_capture_add_target (st->capture, SL_CAPTURE_VIDEO,
                               sl_session_get_video_source (session));
      if (sl_session_get_audio_source (session) != NULL)
        sl_capture_add_target (st->capture,
                               role == SL_SESSION_SENDER ? voice_for (peer_role)
                                                         : SL_CAPTURE_AUDIO,
                               sl_session_get_audio_source (session));
    }
  if (!sl_session_start (session, &error))
    {
      g_printerr ("%s: %s\n", st->name, error->message);
      remove_session (st, peer_id);
      return NULL;
    }
  st->had_peer = TRUE;
  if (role == SL_SESSION_VIEWER)
    sl_station_log (st, "session with %s opened; picture %s%s%s", peer_id,
                    st->window != NULL ? "shown in the window"
                                       : "not shown (no window)",
                    st->opt->snapshot_path ? ", written every 2 s to " : "",
                    st->opt->snapshot_path ? st->opt->snapshot_path : "");
  else
    sl_station_log (st, "session with %s opened", peer_id);
  sl_station_record_session_changed (st);
  return session;
}

/* Township: makes sure a session is offered to @peer_id, of @role in the
 * roster.  A session that failed is made again; with @resumed, so is one
 * still negotiating, whose offer or answer may have been lost with the
 * hub connection; and so is one opened for a peer of another role (the
 * peer id now names someone else, after a hub restart).  With @resumed, a
 * connected session is kept but watched: the peer may have dropped it
 * meanwhile (watch_rejoined_session). */
static void
ensure_sending_session (SlStation *st, const gchar *peer_id, SlRole role,
                        gboolean resumed)
{
  SlSession *session = g_hash_table_lookup (st->sessions, peer_id);

  if (session != NULL)
    {
      SlSessionState state = sl_session_get_state (session);
      SlPeerRole was = sl_station_session_peer (st, session);
      gboolean same = was.known && was.role == role;

      if (same
          && (state == SL_SESSION_STATE_CONNECTED
              || state == SL_SESSION_STATE_DISCONNECTED
              || (!resumed && state != SL_SESSION_STATE_FAILED)))
        {
          if (resumed && state == SL_SESSION_STATE_CONNECTED)
            watch_session (st, peer_id, session, watch_rejoined_session);
          return;
        }
      sl_station_log (st, "offering %s a new session", peer_id);
    }
  remove_session (st, peer_id);
  create_session (st, peer_id, role, SL_SESSION_SENDER,
                  township_sends_voice (st, role), session != NULL);
}

/* ---- hub ---- */

static void
on_joined (SlHubClient *hub, const SlMsg *welcome, gboolean rejoin,
           gpointer user_data)
{
  SlStation *st = user_data;
  const gboolean township = st->opt->kind == SL_STATION_TOWNSHIP;

  if (township ? welcome->role != SL_ROLE_TOWNSHIP
               : !role_is_viewer (welcome->role))
    {
      g_printerr ("%s: this token is for the %s role; %s needs %s token\n",
                  st->name, sl_role_name (welcome->role), st->name,
                  township ? "a township"
                           : "an expert, a trainee or a recorder");
      sl_station_quit (st, SL_EXIT_AUTH);
      return;
    }
  if (welcome->role == SL_ROLE_RECORDER && st->opt->record_dir == NULL)
    {
      g_printerr ("%s: this token is for the recorder role, which only "
                  "records: give --record DIR\n",
                  st->name);
      sl_station_quit (st, SL_EXIT_AUTH);
      return;
    }
  if (!township && !rejoin)
    {
      if (welcome->role == SL_ROLE_TRAINEE)
        sl_station_log (st,
                        "a trainee listens: its voice input (%s) is "
                        "not sent",
                        st->voice_in ? st->voice_in : "none");
      else
        sl_station_log (st, "voice to the township: %s",
                        st->voice_in ? st->voice_in : "none");
    }
  st->my_role = welcome->role;
  sl_station_guide_set_room (st, welcome->room);
  sl_station_log (st, "%s the room as %s (%u other peer%s)",
                  rejoin ? "rejoined" : "joined", sl_role_name (welcome->role),
                  welcome->peers ? welcome->peers->len : 0,
                  welcome->peers && welcome->peers->len == 1 ? "" : "s");

  g_hash_table_remove_all (st->room_peers);
  for (guint i = 0; welcome->peers && i < welcome->peers->len; i++)
    {
      SlPeerInfo *p = welcome->peers->pdata[i];
      g_hash_table_insert (st->room_peers, g_strdup (p->peer_id),
                           GINT_TO_POINTER (p->role));
      if (township && role_is_viewer (p->role))
        ensure_sending_session (st, p->peer_id, p->role, rejoin);
      if (!township && p->role == SL_ROLE_TOWNSHIP && st->together_us == 0)
        st->together_us = sl_media_now_us ();
    }
  sl_station_record_on_joined (st, !welcome->record_forbidden);
}

/* What we have with @peer_id, for sl_peer_judge_signal. */
static SlPeerSession
session_with (SlStation *st, const gchar *peer_id)
{
  SlSession *session = g_hash_table_lookup (st->sessions, peer_id);

  if (session == NULL)
    return SL_PEER_SESSION_NONE;
  return sl_session_get_role (session) == SL_SESSION_SENDER
             ? SL_PEER_SESSION_OFFERED
             : SL_PEER_SESSION_ANSWERED;
}

/* Whether a relayed SDP or candidate may touch our sessions; a refusal
 * is counted and logged, the first few in the station's log, the rest at
 * debug level, so that a flood does not become a flood of lines. */
static gboolean
signal_allowed (SlStation *st, const SlMsg *msg, SlPeerAsk ask)
{
  static const gchar *const asks[] = { "SDP offer", "SDP answer", "candidate" };
  SlPeerRole peer = roster_role (st, msg->from);
  SlPeerVerdict verdict = sl_peer_judge_signal (st->my_role, peer, ask,
                                                session_with (st, msg->from));
  const gchar *role = peer.known ? sl_role_name (peer.role) : "not in the room";

  if (verdict == SL_PEER_ALLOW)
    return TRUE;
  sl_station_log_some (st, &st->signals_refused, "refusals",
                       "refused a%s %s from %s (%s): %s",
                       ask == SL_PEER_ASK_OFFER ? "n" : "", asks[ask],
                       msg->from, role, sl_peer_verdict_reason (verdict));
  return FALSE;
}

static void
on_sdp (SlStation *st, const SlMsg *msg)
{
  g_autoptr (GError) error = NULL;
  gboolean offer = g_strcmp0 (msg->sdp_type, "offer") == 0;
  SlSession *session;

  if (!signal_allowed (st, msg, offer ? SL_PEER_ASK_OFFER : SL_PEER_ASK_ANSWER))
    return;
  session = g_hash_table_lookup (st->sessions, msg->from);
  if (offer)
    {
      /* The room's township offers again: it restarted, or lost its
       * session.  One township per room, so whatever we had goes; an
       * offer from the township we had a session with resumes it. */
      gboolean resumed = session != NULL;

      g_hash_table_remove_all (st->prev_stats);
      while (g_hash_table_size (st->sessions) > 0)
        {
          GHashTableIter iter;
          gpointer key;
          g_hash_table_iter_init (&iter, st->sessions);
          g_hash_table_iter_next (&iter, &key, NULL);
          remove_session (st, key);
        }
      session = create_session (
          st, msg->from, SL_ROLE_TOWNSHIP, SL_SESSION_VIEWER,
          st->capture_has_audio && st->my_role == SL_ROLE_EXPERT, resumed);
    }
  if (session == NULL)
    return;
  if (!sl_session_set_remote_description (session, msg->sdp_type, msg->sdp,
                                          &error))
    g_printerr ("%s: %s\n", st->name, error->message);
}

void
sl_station_handle_hub_message (SlStation *st, const SlMsg *msg)
{
  SlSession *session;

  switch (msg->type)
    {
    case SL_MSG_PEER_JOINED:
      sl_station_log (st, "%s %s joined", sl_role_name (msg->role),
                      msg->peer_id);
      g_hash_table_insert (st->room_peers, g_strdup (msg->peer_id),
                           GINT_TO_POINTER (msg->role));
      /* A viewer that (re)joins has lost whatever negotiation was under
       * way with it, and an offer made while our own hub connection was
       * down never reached it: anything short of connected is offered
       * again. */
      if (st->opt->kind == SL_STATION_TOWNSHIP && role_is_viewer (msg->role))
        ensure_sending_session (st, msg->peer_id, msg->role, TRUE);
      if (st->opt->kind == SL_STATION_EXPERT && msg->role == SL_ROLE_TOWNSHIP
          && st->together_us == 0)
        st->together_us = sl_media_now_us ();
      break;
    case SL_MSG_PEER_LEFT:
      sl_station_log (st, "peer %s %s", msg->peer_id,
                      msg->bye ? "left (said goodbye)"
                               : "lost its connection to the hub");
      on_peer_left (st, msg->peer_id, msg->bye);
      sl_station_record_peer_left (st, msg->peer_id);
      break;
    case SL_MSG_SDP:
      on_sdp (st, msg);
      break;
    case SL_MSG_ICE:
      if (!signal_allowed (st, msg, SL_PEER_ASK_CANDIDATE))
        break;
      session = g_hash_table_lookup (st->sessions, msg->from);
      sl_session_add_remote_candidate (session, msg->mline, msg->candidate);
      break;
    case SL_MSG_ERROR:
      g_printerr ("%s: hub: %s (%s)\n", st->name, msg->message,
                  sl_proto_error_code_name (msg->code));
      if (msg->code == SL_PROTO_ERROR_RECORD_FORBIDDEN)
        sl_station_record_on_refused (st, msg->message);
      break;
    case SL_MSG_RECORD:
      sl_station_record_on_announce (st, msg);
      break;
    default:
      break;
    }
}

static void
on_hub_message (SlHubClient *hub, const SlMsg *msg, gpointer user_data)
{
  sl_station_handle_hub_message (user_data, msg);
}

static SlExitStatus
exit_status_for (const GError *error)
{
  if (error->domain != SL_PROTO_ERROR)
    return SL_EXIT_UNREACHABLE;
  switch (error->code)
    {
    case SL_PROTO_ERROR_AUTH:
    case SL_PROTO_ERROR_EXPIRED:
    case SL_PROTO_ERROR_ROLE:
      return SL_EXIT_AUTH;
    case SL_PROTO_ERROR_ROOM_OCCUPIED:
      return SL_EXIT_ROOM;
    case SL_PROTO_ERROR_VERSION:
      return SL_EXIT_PROTOCOL;
    default:
      return SL_EXIT_FAILURE;
    }
}

static void
on_hub_failed (SlHubClient *hub, const GError *error, gpointer user_data)
{
  SlStation *st = user_data;

  g_printerr ("%s: %s\n", st->name, error->message);
  sl_station_quit (st, exit_status_for (error));
}

static void
on_hub_disconnected (SlHubClient *hub, const GError *why, gpointer user_data)
{
  sl_station_log (user_data,
                  "lost the hub (%s); reconnecting (media "
                  "continues)",
                  why->message);
}

static void
on_hub_malformed (SlHubClient *hub, const GError *why, gpointer user_data)
{
  SlStation *st = user_data;

  sl_station_log_some (st, &st->hub_malformed, "unreadable messages",
                       "ignored a message from the hub that is not one of "
                       "the protocol (%s); is the hub a sonolink-hub of "
                       "this version?",
                       why->message);
}

/* This process did not run for a while (sl-hub-client.h): the peers
 * heard nothing from it.  A township watches its connected sessions as
 * after a rejoin, as a viewer may have given one up meanwhile and only
 * the township can make it again (sl-presence.h). */
static void
on_hub_stalled (SlHubClient *hub, gint64 stalled_us, gpointer user_data)
{
  SlStation *st = user_data;
  GHashTableIter iter;
  gpointer peer_id, session;

  sl_station_log (st,
                  "this station did not run for %.0f s (stopped, or the "
                  "machine starved); its peers heard nothing meanwhile",
                  stalled_us / 1e6);
  if (st->opt->kind != SL_STATION_TOWNSHIP)
    return;
  g_hash_table_iter_init (&iter, st->sessions);
  while (g_hash_table_iter_next (&iter, &peer_id, &session))
    if (sl_session_get_state (session) == SL_SESSION_STATE_CONNECTED)
      watch_session (st, peer_id, session, watch_rejoined_session);
}

static const SlHubClientCallbacks hub_callbacks = {
  .joined = on_joined,
  .message = on_hub_message,
  .failed = on_hub_failed,
  .disconnected = on_hub_disconnected,
  .malformed = on_hub_malformed,
  .stalled = on_hub_stalled,
};

/* ---- run ---- */

static gboolean
on_quit_signal (gpointer user_data)
{
  SlStation *st = user_data;

  sl_station_log (st, "stopping");
  sl_station_quit (st, SL_EXIT_OK);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_duration_over (gpointer user_data)
{
  SlStation *st = user_data;

  st->duration_timer = 0;
  sl_station_log (st, "--duration reached; stopping");
  sl_station_quit (st, SL_EXIT_OK);
  return G_SOURCE_REMOVE;
}

/* ---- network changes ---- */

/* A second after the station's network changed: if a session has heard
 * nothing since and the machine no longer routes to the hub from the
 * address the station's connection was made from, the change took the
 * station's path (a new address after a handover, say).  Waiting for
 * --restart-after would only prolong the freeze, so the hub connection
 * (whose TCP path is gone too) and, at the township, the session are made
 * again now.  A change that left that route alone (an interface that
 * another program added or removed, a VPN for another network) is not
 * this station's: a silent link then is an outage, ridden through as any
 * other (docs/link-recovery.md). */
static gboolean
after_network_change (gpointer user_data)
{
  SlStation *st = user_data;
  g_autoptr (GPtrArray) lost = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key, value;

  st->netchange_timer = 0;
  g_hash_table_iter_init (&iter, st->sessions);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      SlSessionStats stats;

      sl_session_get_stats (value, &stats);
      if (stats.link_state == SL_LINK_LOST)
        g_ptr_array_add (lost, g_strdup (key));
    }
  if (lost->len == 0)
    return G_SOURCE_REMOVE;
  if (sl_hub_client_path_unchanged (st->hub))
    {
      sl_station_log (st, "the network changed, but not this station's "
                          "route to the hub; riding the outage through");
      return G_SOURCE_REMOVE;
    }
  sl_station_log (st, "the network changed and the link is lost; "
                      "reconnecting now");
  sl_hub_client_reconnect (st->hub, "the network changed");
  for (guint i = 0; st->opt->kind == SL_STATION_TOWNSHIP && i < lost->len; i++)
    {
      SlPeerRole peer = roster_role (st, lost->pdata[i]);

      remove_session (st, lost->pdata[i]);
      if (peer.known)
        create_session (st, lost->pdata[i], peer.role, SL_SESSION_SENDER,
                        township_sends_voice (st, peer.role), TRUE);
    }
  return G_SOURCE_REMOVE;
}

static void
on_network_changed (GNetworkMonitor *monitor, gboolean available,
                    gpointer user_data)
{
  SlStation *st = user_data;

  if (st->netchange_timer == 0)
    st->netchange_timer = g_timeout_add (1000, after_network_change, st);
}

void
sl_station_clear (SlStation *st)
{
  g_clear_handle_id (&st->stats_timer, g_source_remove);
  g_clear_handle_id (&st->duration_timer, g_source_remove);
  g_clear_handle_id (&st->sigint, g_source_remove);
  g_clear_handle_id (&st->sigterm, g_source_remove);
  g_clear_handle_id (&st->netchange_timer, g_source_remove);
  if (st->netmon_handler != 0)
    g_signal_handler_disconnect (g_network_monitor_get_default (),
                                 st->netmon_handler);
  st->netmon_handler = 0;
  /* The recording first: it ends cleanly and the hub hears it stop. */
  sl_station_record_free (st);
  if (st->sessions != NULL)
    {
      GList *keys = g_hash_table_get_keys (st->sessions);
      for (GList *l = keys; l != NULL; l = l->next)
        {
          g_autofree gchar *id = g_strdup (l->data);
          remove_session (st, id);
        }
      g_list_free (keys);
    }
  g_clear_pointer (&st->hub, sl_hub_client_free);
  sl_station_guide_finish (st);
  sl_station_window_stop (st);
  g_clear_pointer (&st->capture, sl_capture_free);
  sl_station_report_finish (st);
  sl_station_guide_free (st);
  g_clear_pointer (&st->sessions, g_hash_table_unref);
  g_clear_pointer (&st->prev_stats, g_hash_table_unref);
  g_clear_pointer (&st->room_peers, g_hash_table_unref);
  g_clear_pointer (&st->session_roles, g_hash_table_unref);
  g_clear_pointer (&st->heard_voices, g_hash_table_unref);
  g_clear_pointer (&st->voice_in, g_free);
  g_clear_pointer (&st->verifier, sl_verifier_free);
  g_clear_pointer (&st->latency, sl_latency_meter_free);
  g_clear_pointer (&st->clicks, sl_click_meter_free);
  g_clear_pointer (&st->latency_log, fclose);
  sl_media_finish_prepare ();
  g_clear_pointer (&st->loop, g_main_loop_unref);
  g_clear_pointer (&st->last_sample, gst_sample_unref);
  g_mutex_clear (&st->sample_lock);
  g_mutex_clear (&st->status_lock);
}

void
sl_station_init (SlStation *st, SlStationOptions *opt)
{
  st->opt = opt;
  st->name = opt->kind == SL_STATION_TOWNSHIP ? "township" : "expert";
  g_mutex_init (&st->sample_lock);
  g_mutex_init (&st->status_lock);
  st->status.strip = TRUE;
  st->loop = g_main_loop_new (NULL, FALSE);
  st->sessions
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  st->prev_stats
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  st->room_peers
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  st->session_roles
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  st->heard_voices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            gst_object_unref);
}

static SlExitStatus
run (SlStationOptions *opt)
{
  SlStation station = { 0 };
  SlStation *st = &station;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *token = NULL;
  SlExitStatus status;

  sl_station_init (st, opt);
  status = sl_station_prepare (st, &token);
  if (status == SL_EXIT_OK)
    status = sl_station_window_start (st);
  if (status != SL_EXIT_OK)
    {
      sl_station_clear (st);
      return status;
    }

  st->sigint = g_unix_signal_add (SIGINT, on_quit_signal, st);
  st->sigterm = g_unix_signal_add (SIGTERM, on_quit_signal, st);
  if (opt->duration_s > 0)
    st->duration_timer
        = g_timeout_add_seconds (opt->duration_s, on_duration_over, st);
  sl_station_report_start (st);

  {
    SlHubClientConfig config = { 0 };

    config.url = opt->hub_url;
    config.token = token;
    config.peer_id = opt->peer_id;
    config.ca_file = opt->ca_file;
    config.connect_timeout_s = opt->connect_timeout_s;
    st->hub = sl_hub_client_new (&config, &hub_callbacks, st, &error);
  }
  if (st->hub == NULL)
    {
      g_printerr ("%s: %s\n", st->name, error->message);
      sl_station_clear (st);
      return SL_EXIT_USAGE;
    }
  sl_hub_client_start (st->hub);
  st->netmon_handler
      = g_signal_connect (g_network_monitor_get_default (), "network-changed",
                          G_CALLBACK (on_network_changed), st);
  g_main_loop_run (st->loop);

  status = st->exit_status;
  sl_station_clear (st);
  return status;
}

SlExitStatus
sl_station_main (SlStationOptions *opt, const GOptionEntry *role_entries,
                 const gchar *description, int argc, char **argv)
{
  SlExitStatus status;

  setlocale (LC_ALL, "");
  if (sl_station_options_parse (opt, role_entries, description, &argc, &argv,
                                &status))
    {
      sl_media_init (NULL, NULL);
      if (opt->kind == SL_STATION_TOWNSHIP)
        sl_probe_register_elements ();
      if (opt->kind == SL_STATION_TOWNSHIP && opt->profile_snapshot != NULL)
        status = sl_profile_snapshot_run (opt);
      else
        status = run (opt);
    }
  /* The strings the command line stored are ours: a station that refuses
   * an option ends as cleanly as one that ran. */
  sl_station_options_clear (opt);
  return status;
}
