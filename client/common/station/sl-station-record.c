/* sl-station-record.c — the station's recording (--record DIR, the R
 * key; docs/recording.md).
 *
 * One SlRecorder at a time.  It takes the media of the consultation's
 * main session — the township's session with an expert, the expert's
 * (or a trainee's) with the township — and every guidance message the
 * station sends or receives there, and the stills the expert saves.  The
 * station asks the hub before it starts (the room's token may forbid
 * recording) and tells it when it starts and stops, and the hub tells
 * everyone in the room.  A recording that fails (a full disk) says so
 * and stops; the consultation goes on.
 *
 * Control thread.
 */
#include "sl-station-private.h"
#include "sl-recorder.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

struct _SlStationRecord
{
  SlRecorder *recorder; /* NULL: not recording */
  SlSession *session;   /* the session recorded, not owned */
  gboolean forbidden;   /* the hub said this room is not recorded */
  gboolean joined;      /* the hub's welcome came */
  guint64 gaps_told;    /* gaps in the recording said so far */
  gboolean gap_open;    /* a gap said to start, not yet to end */
  /* Peer ids the hub says record now (this station's own included). */
  GHashTable *recording_peers;
};

static SlStationRecord *
state (SlStation *st)
{
  if (st->record == NULL)
    {
      st->record = g_new0 (SlStationRecord, 1);
      st->record->recording_peers
          = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    }
  return st->record;
}

/* The directory --record names can be written (made 0700 if missing):
 * checked before the station joins, so that a wrong one ends it with
 * the usage status. */
SlExitStatus
sl_station_record_prepare (SlStation *st)
{
  g_autofree gchar *probe = NULL;
  int fd;

  if (st->opt->record_dir == NULL)
    return SL_EXIT_OK;
  if (g_mkdir_with_parents (st->opt->record_dir, 0700) != 0
      || !g_file_test (st->opt->record_dir, G_FILE_TEST_IS_DIR))
    {
      g_printerr ("%s: --record: cannot make the folder %s: %s\n", st->name,
                  st->opt->record_dir, g_strerror (errno));
      return SL_EXIT_USAGE;
    }
  probe = g_build_filename (st->opt->record_dir, ".sonolink-write-check", NULL);
  fd = g_open (probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      g_printerr ("%s: --record: cannot write in %s: %s\n", st->name,
                  st->opt->record_dir, g_strerror (errno));
      return SL_EXIT_USAGE;
    }
  close (fd);
  g_unlink (probe);
  return SL_EXIT_OK;
}

static void
announce (SlStation *st, gboolean recording)
{
  g_autoptr (SlMsg) msg = sl_msg_new (SL_MSG_RECORD);

  msg->recording = recording;
  if (st->hub != NULL)
    sl_hub_client_send (st->hub, msg);
}

static void
on_failed (SlRecorder *recorder, const GError *error, gpointer user_data)
{
  SlStation *st = user_data;

  g_printerr ("%s: %s; the consultation goes on\n", st->name, error->message);
  if (st->record != NULL && st->record->recorder == recorder)
    sl_station_record_stop (st);
}

/* The session whose media is recorded: the township's with an expert;
 * a viewer's with the township.  With several experts in the room the
 * township records one expert's session, the first found, and keeps it
 * until it closes (attach); the others' guidance is recorded all the
 * same (sl_station_record_guide). */
static SlSession *
main_session (SlStation *st, SlSession *except)
{
  GHashTableIter iter;
  gpointer key, value;

  if (st->sessions == NULL)
    return NULL;
  g_hash_table_iter_init (&iter, st->sessions);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      SlPeerRole peer = sl_station_session_peer (st, value);

      if (value == except)
        continue;
      if (st->opt->kind == SL_STATION_EXPERT
          || (peer.known && peer.role == SL_ROLE_EXPERT))
        return value;
    }
  return NULL;
}

/* Hands the media of the main session to the recording, when there is
 * one and none is recorded yet.  The session recorded stays until it
 * closes (sl_station_record_session_removed): when its expert leaves, or
 * when a stalled session is replaced by a new offer, the next session's
 * media go on in the same file (docs/recording.md, ONE CONSULTATION, ONE
 * FILE), starting at a keyframe sl_session_set_recorder asks for. */
static void
attach (SlStation *st, SlSession *except)
{
  SlStationRecord *r = state (st);
  SlSession *session;

  if (r->recorder == NULL || r->session != NULL)
    return;
  session = main_session (st, except);
  if (session == NULL)
    return;
  r->session = session;
  sl_session_set_recorder (session, r->recorder);
}

void
sl_station_record_start (SlStation *st)
{
  SlStationRecord *r = state (st);
  g_autoptr (GError) error = NULL;

  if (r->recorder != NULL || st->opt->record_dir == NULL)
    return;
  if (r->forbidden)
    {
      sl_station_log (st, "recording is not allowed in this room (the "
                          "room's token forbids it); the consultation goes "
                          "on unrecorded");
      return;
    }
  r->recorder
      = sl_recorder_new (st->opt->record_dir, st->name, on_failed, st, &error);
  if (r->recorder == NULL)
    {
      g_printerr ("%s: %s; the consultation goes on unrecorded\n", st->name,
                  error->message);
      return;
    }
  r->gaps_told = 0;
  r->gap_open = FALSE;
  sl_station_log (st, "recording to %s", sl_recorder_get_path (r->recorder));
  attach (st, NULL);
  sl_station_record_tick (st);
  announce (st, TRUE);
}

void
sl_station_record_stop (SlStation *st)
{
  SlStationRecord *r = st->record;
  SlRecorder *rec;

  if (r == NULL || r->recorder == NULL)
    return;
  rec = g_steal_pointer (&r->recorder);
  if (r->session != NULL)
    sl_session_set_recorder (r->session, NULL);
  r->session = NULL;
  sl_recorder_stop (rec);
  sl_station_log (st, "recording stopped: %s (%" G_GUINT64_FORMAT " frames)",
                  sl_recorder_get_path (rec), sl_recorder_get_frames (rec));
  sl_recorder_unref (rec);
  announce (st, FALSE);
}

void
sl_station_record_toggle (SlStation *st)
{
  if (st->opt->record_dir == NULL)
    {
      sl_station_log (st, "R: no recording folder (start with --record DIR)");
      return;
    }
  if (state (st)->recorder != NULL)
    sl_station_record_stop (st);
  else
    sl_station_record_start (st);
}

void
sl_station_record_on_joined (SlStation *st, gboolean record_allowed)
{
  SlStationRecord *r = state (st);
  gboolean first = !r->joined;

  r->joined = TRUE;
  r->forbidden = !record_allowed;
  /* The hub tells again who records, after this welcome. */
  g_hash_table_remove_all (r->recording_peers);
  if (r->forbidden && r->recorder != NULL)
    {
      sl_station_log (st, "the room no longer allows recording");
      sl_station_record_stop (st);
    }
  else if (first)
    sl_station_record_start (st);
  else if (r->recorder != NULL)
    announce (st, TRUE);
}

void
sl_station_record_on_refused (SlStation *st, const gchar *why)
{
  sl_station_log (st, "the hub refused the recording (%s)", why);
  state (st)->forbidden = TRUE;
  sl_station_record_stop (st);
}

void
sl_station_record_on_announce (SlStation *st, const SlMsg *msg)
{
  SlStationRecord *r = state (st);

  if (msg->peer_id == NULL)
    return;
  sl_station_log (st, "%s (%s) %s recording", msg->peer_id,
                  sl_role_name (msg->role),
                  msg->recording ? "started" : "stopped");
  if (msg->recording)
    g_hash_table_add (r->recording_peers, g_strdup (msg->peer_id));
  else
    g_hash_table_remove (r->recording_peers, msg->peer_id);
}

void
sl_station_record_peer_left (SlStation *st, const gchar *peer_id)
{
  if (st->record != NULL
      && g_hash_table_remove (st->record->recording_peers, peer_id))
    sl_station_log (st, "%s left: no longer recording", peer_id);
}

void
sl_station_record_add_stats (SlStation *st, JsonObject *record)
{
  SlStationRecord *r = state (st);
  g_autoptr (GList) ids = g_hash_table_get_keys (r->recording_peers);
  JsonArray *by = json_array_new ();

  json_object_set_boolean_member (record, "recording", r->recorder != NULL);
  if (r->recorder != NULL)
    {
      guint64 bytes, gaps;

      json_object_set_int_member (record, "recorded_frames",
                                  (gint64)sl_recorder_get_frames (r->recorder));
      sl_recorder_get_dropped (r->recorder, &bytes, &gaps);
      json_object_set_int_member (record, "recording_dropped_bytes",
                                  (gint64)bytes);
    }
  ids = g_list_sort (ids, (GCompareFunc)g_strcmp0);
  for (GList *l = ids; l != NULL; l = l->next)
    json_array_add_string_element (by, l->data);
  json_object_set_array_member (record, "recorded_by", by);
}

void
sl_station_record_session_changed (SlStation *st)
{
  if (st->record != NULL && st->record->recorder != NULL)
    attach (st, NULL);
}

void
sl_station_record_session_removed (SlStation *st, SlSession *session)
{
  SlStationRecord *r = st->record;

  if (r == NULL || r->session != session)
    return;
  sl_session_set_recorder (session, NULL);
  r->session = NULL;
  /* Another expert's session, if one is open, goes on at once. */
  attach (st, session);
}

void
sl_station_record_guide (SlStation *st, SlSession *session, gboolean sent,
                         const SlGuideMsg *msg)
{
  SlStationRecord *r = st->record;

  /* A still's chunks are the PNG itself: the still is recorded as the
   * file the expert saves (sl_station_record_still).  Every session's
   * messages are recorded, each with its peer: at the township, each
   * expert's, not only those of the expert whose session is recorded. */
  if (r == NULL || r->recorder == NULL || msg->type == SL_GUIDE_STILL_CHUNK)
    return;
  sl_recorder_add_guide (r->recorder, sent, sl_session_get_peer_id (session),
                         msg);
}

void
sl_station_record_still (SlStation *st, const gchar *path, gint64 media_ms)
{
  if (st->record != NULL && st->record->recorder != NULL)
    sl_recorder_add_still (st->record->recorder, path, media_ms);
}

/* Says when the disk stops keeping up with the recording, and when it
 * catches up again; then asks for the keyframe the video waits for. */
static void
tell_gaps (SlStation *st)
{
  SlStationRecord *r = st->record;
  guint64 bytes, gaps;
  gboolean dropping = sl_recorder_get_dropped (r->recorder, &bytes, &gaps);

  if (gaps > r->gaps_told)
    {
      r->gaps_told = gaps;
      r->gap_open = TRUE;
      sl_station_log (st,
                      "recording %s: the disk is not keeping up; media is "
                      "being dropped (the recording will have a gap), the "
                      "consultation goes on",
                      sl_recorder_get_path (r->recorder));
    }
  if (r->gap_open && !dropping)
    {
      r->gap_open = FALSE;
      sl_station_log (st,
                      "recording %s: the disk caught up; %.1f MB dropped so "
                      "far, the recording goes on after the gap",
                      sl_recorder_get_path (r->recorder), bytes / 1e6);
    }
  if (r->session != NULL && sl_recorder_take_keyframe_wanted (r->recorder))
    sl_session_record_keyframe (r->session);
}

void
sl_station_record_tick (SlStation *st)
{
  SlStationRecord *r = st->record;
  gint64 media_now;

  if (r == NULL || r->recorder == NULL)
    return;
  if (!sl_recorder_is_running (r->recorder))
    return;
  tell_gaps (st);
  if (st->capture != NULL
      && (media_now = sl_capture_media_now_ms (st->capture)) >= 0)
    sl_recorder_set_media_clock (r->recorder, media_now);
  attach (st, NULL);
}

gboolean
sl_station_record_running (SlStation *st)
{
  return st->record != NULL && st->record->recorder != NULL;
}

guint
sl_station_record_others (SlStation *st)
{
  return st->record != NULL ? g_hash_table_size (st->record->recording_peers)
                            : 0;
}

void
sl_station_record_free (SlStation *st)
{
  sl_station_record_stop (st);
  if (st->record != NULL)
    g_hash_table_unref (st->record->recording_peers);
  g_clear_pointer (&st->record, g_free);
}
