/* sl-station-report.c — what a station tells its user, once a second.
 *
 * A status line per session on stderr (or a "waiting" line when no peer is
 * there yet), the same numbers as one JSON object per line in the --stats
 * file (fields in docs/stats.md), and, when asked, a PNG snapshot of the
 * last decoded picture, encoded on a worker thread so the control thread
 * never stalls on it.
 */
#include "sl-station-private.h"
#include "sl-stats.h"

#include <json-glib/json-glib.h>

/* Snapshots are refreshed every this many seconds while running. */
#define SNAPSHOT_PERIOD_S 2

void
sl_station_log (SlStation *st, const gchar *format, ...)
{
  g_autofree gchar *text = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree gchar *stamp = g_date_time_format (now, "%H:%M:%S");
  va_list args;

  if (st->opt->quiet)
    return;
  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("%s [%s] %s\n", stamp, st->name, text);
}

void
sl_station_log_some (SlStation *st, guint64 *count, const gchar *further,
                     const gchar *format, ...)
{
  g_autofree gchar *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  (*count)++;
  if (*count < SL_STATION_LOG_SOME)
    sl_station_log (st, "%s", text);
  else if (*count == SL_STATION_LOG_SOME)
    sl_station_log (st, "%s; further %s are logged at debug level", text,
                    further);
  else
    g_debug ("%s", text);
}

static void
write_json (SlStation *st, JsonObject *obj)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree gchar *text = NULL;

  json_node_set_object (node, obj);
  text = json_to_string (node, FALSE);
  fprintf (st->stats_file, "%s\n", text);
}

static JsonObject *
new_record (SlStation *st)
{
  JsonObject *obj = json_object_new ();

  json_object_set_double_member (obj, "time",
                                 g_get_real_time () / (gdouble)G_USEC_PER_SEC);
  json_object_set_string_member (obj, "station", st->name);
  if (st->hub != NULL)
    json_object_set_boolean_member (obj, "hub_connected",
                                    sl_hub_client_is_joined (st->hub));
  if (st->capture != NULL)
    json_object_set_int_member (obj, "frames_captured",
                                (gint64)sl_capture_get_frames (st->capture));
  if (st->signals_refused > 0)
    json_object_set_int_member (obj, "signals_refused",
                                (gint64)st->signals_refused);
  return obj;
}

static void
add_verify (SlStation *st, JsonObject *obj)
{
  SlVerifyStats v;

  if (st->verifier == NULL)
    return;
  sl_verifier_get_stats (st->verifier, &v);
  json_object_set_int_member (obj, "verify_checked", (gint64)v.checked);
  json_object_set_int_member (obj, "verify_stamp_errors",
                              (gint64)v.stamp_errors);
  json_object_set_int_member (obj, "verify_skipped", (gint64)v.skipped);
  json_object_set_int_member (obj, "verify_first_index", v.first_index);
  json_object_set_int_member (obj, "verify_last_index", v.last_index);
  json_object_set_double_member (obj, "verify_psnr_min", v.psnr_min);
  json_object_set_double_member (obj, "verify_psnr_mean", v.psnr_mean);
  json_object_set_double_member (obj, "verify_ssim_min", v.ssim_min);
  json_object_set_double_member (obj, "verify_ssim_mean", v.ssim_mean);
}

/* Start-up: from the moment the viewer and the township were first both in
 * the room to the first decoded picture. */
static gdouble
first_picture_ms (SlStation *st)
{
  gint64 first = __atomic_load_n (&st->first_picture_us, __ATOMIC_RELAXED);

  if (first == 0 || st->together_us == 0 || first < st->together_us)
    return -1;
  return (first - st->together_us) / 1000.0;
}

/* The latency fields appear once the township's latency stamps have been
 * seen (sonolink-township --latency-stamp). */
static void
add_latency (SlStation *st, JsonObject *obj)
{
  const SlLatencyWindow *w = &st->latency_window;

  if (st->latency == NULL || w->total_frames == 0)
    return;
  json_object_set_int_member (obj, "latency_frames", w->frames);
  json_object_set_int_member (obj, "latency_unreadable", w->unreadable);
  if (w->frames > 0)
    {
      json_object_set_double_member (obj, "latency_ms_p50", w->p50_ms);
      json_object_set_double_member (obj, "latency_ms_p95", w->p95_ms);
      json_object_set_double_member (obj, "latency_ms_max", w->max_ms);
    }
}

static SlStatusLink
status_link (SlLinkState state)
{
  switch (state)
    {
    case SL_LINK_GOOD:
      return SL_STATUS_LINK_GOOD;
    case SL_LINK_DEGRADED:
      return SL_STATUS_LINK_DEGRADED;
    case SL_LINK_LOST:
      return SL_STATUS_LINK_LOST;
    default:
      return SL_STATUS_LINK_RECOVERING;
    }
}

/* The window's figures from @session's report: a viewer's one session,
 * or the township's session with an expert (a trainee's only when no
 * expert is there). */
static void
note_status (SlStation *st, SlSession *session, const SlStatsReport *r)
{
  SlPeerRole peer = sl_station_session_peer (st, session);
  SlStatusInfo *info = &st->status;

  if (info->link != SL_STATUS_LINK_NONE && peer.known
      && peer.role == SL_ROLE_TRAINEE)
    return;
  g_mutex_lock (&st->status_lock);
  info->link = status_link (r->link_state);
  info->fps = r->fps;
  info->kbps = r->bitrate_kbps;
  info->rtt_ms = r->rtt_ms;
  info->latency_measured = st->latency_window.frames > 0;
  info->latency_ms = info->latency_measured ? st->latency_window.p50_ms
                                            : r->latency_estimate_ms;
  g_mutex_unlock (&st->status_lock);
}

void
sl_station_report_status (SlStation *st)
{
  SlStatusInfo *info = &st->status;

  g_mutex_lock (&st->status_lock);
  info->township = st->opt->kind == SL_STATION_TOWNSHIP;
  info->hub_joined = st->hub != NULL && sl_hub_client_is_joined (st->hub);
  info->hub_failures = st->hub ? sl_hub_client_get_failures (st->hub) : 0;
  info->peer_present = g_hash_table_size (st->sessions) > 0;
  info->peer_was_here = st->had_peer;
  if (!info->peer_present)
    {
      info->link = SL_STATUS_LINK_NONE;
      info->fps = info->kbps = info->rtt_ms = info->latency_ms = -1;
    }
  info->recording = sl_station_record_running (st);
  info->others_recording = sl_station_record_others (st);
  sl_station_guide_input_status (st, info);
  g_mutex_unlock (&st->status_lock);
}

static void
report_session (SlStation *st, SlSession *session)
{
  const gchar *peer_id = sl_session_get_peer_id (session);
  SlSessionStats cur;
  SlSessionStats *prev = g_hash_table_lookup (st->prev_stats, peer_id);
  SlStatsReport report;

  sl_session_get_stats (session, &cur);
  sl_stats_compute (prev, &cur, sl_session_get_role (session),
                    sl_session_get_state (session), &report);
  /* Changes of the link's health get a line of their own, so that a
   * user scanning the log sees when a freeze began and ended. */
  if ((prev != NULL && prev->link_state != cur.link_state)
      || (prev == NULL && cur.link_state != SL_LINK_GOOD))
    sl_station_log (st, "link with %.8s %s%s%s", peer_id,
                    sl_link_state_name (cur.link_state),
                    cur.link_reason[0] ? ": " : "", cur.link_reason);
  if (prev == NULL)
    {
      prev = g_new (SlSessionStats, 1);
      g_hash_table_insert (st->prev_stats, g_strdup (peer_id), prev);
    }
  *prev = cur;
  note_status (st, session, &report);

  if (!st->opt->quiet)
    {
      g_autofree gchar *line = sl_stats_to_line (&report);

      if (st->latency_window.frames > 0)
        sl_station_log (st, "%.8s %s  latency %.1f ms (p95 %.1f)", peer_id,
                        line, st->latency_window.p50_ms,
                        st->latency_window.p95_ms);
      else if (report.latency_estimate_ms >= 0)
        sl_station_log (st, "%.8s %s  latency ~%.1f ms (estimate)", peer_id,
                        line, report.latency_estimate_ms);
      else
        sl_station_log (st, "%.8s %s", peer_id, line);
    }
  if (st->stats_file != NULL)
    {
      JsonObject *obj = sl_stats_to_json (&report);
      g_autoptr (JsonObject) rec = new_record (st);
      GList *members = json_object_get_members (obj);

      json_object_set_string_member (rec, "peer", peer_id);
      for (GList *l = members; l != NULL; l = l->next)
        json_object_set_member (rec, l->data,
                                json_object_dup_member (obj, l->data));
      g_list_free (members);
      json_object_unref (obj);
      add_verify (st, rec);
      add_latency (st, rec);
      if (st->clicks_found > 0)
        json_object_set_double_member (rec, "audio_latency_ms",
                                       st->click_latency_ms);
      if (st->clicks_total > 0)
        json_object_set_int_member (rec, "audio_latency_clicks",
                                    (gint64)st->clicks_total);
      if (first_picture_ms (st) >= 0)
        json_object_set_double_member (rec, "first_picture_ms",
                                       first_picture_ms (st));
      sl_station_guide_add_stats (st, session, rec);
      sl_station_record_add_stats (st, rec);
      write_json (st, rec);
    }
}

/* What the station waits for: the hub first, then its peer. */
static void
log_waiting (SlStation *st)
{
  const GError *why = sl_hub_client_get_last_error (st->hub);

  if (!sl_hub_client_is_joined (st->hub))
    {
      if (why != NULL)
        sl_station_log (st, "cannot reach the hub at %s yet (%s); retrying",
                        st->opt->hub_url, why->message);
      else
        sl_station_log (st, "connecting to the hub at %s", st->opt->hub_url);
    }
  else
    sl_station_log (st, "%s",
                    st->opt->kind == SL_STATION_TOWNSHIP
                        ? "waiting for an expert to join"
                        : "waiting for the township's picture");
}

static void
report_waiting (SlStation *st)
{
  if (!st->opt->quiet && st->ticks % 5 == 1)
    log_waiting (st);
  if (st->stats_file != NULL)
    {
      g_autoptr (JsonObject) rec = new_record (st);

      json_object_set_string_member (rec, "state", "waiting");
      write_json (st, rec);
    }
}

static void
snapshot_thread (GTask *task, gpointer source, gpointer task_data,
                 GCancellable *cancellable)
{
  GstSample *sample = task_data;
  const gchar *path = g_object_get_data (G_OBJECT (task), "path");
  g_autoptr (GError) error = NULL;

  if (!sl_station_guide_write_png (
          g_object_get_data (G_OBJECT (task), "station"), sample, path, &error))
    g_printerr ("snapshot %s: %s\n", path, error->message);
  g_task_return_boolean (task, TRUE);
}

static void
on_snapshot_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SlStation *st = user_data;

  st->snapshot_busy = FALSE;
}

static void
snapshot_async (SlStation *st)
{
  GstSample *sample;
  g_autoptr (GTask) task = NULL;

  if (st->opt->snapshot_path == NULL || st->snapshot_busy
      || (sample = sl_station_guide_snapshot_frame (st, TRUE)) == NULL)
    return;
  st->snapshot_busy = TRUE;
  /* The station as the source object: the worker draws its marks. */
  task = g_task_new (NULL, NULL, on_snapshot_done, st);
  g_object_set_data (G_OBJECT (task), "station", st);
  g_object_set_data_full (G_OBJECT (task), "path",
                          g_strdup (st->opt->snapshot_path), g_free);
  g_task_set_task_data (task, sample, (GDestroyNotify)gst_sample_unref);
  g_task_run_in_thread (task, snapshot_thread);
}

static gboolean
on_report_tick (gpointer user_data)
{
  SlStation *st = user_data;
  g_autoptr (GError) capture_error = NULL;
  GHashTableIter iter;
  gpointer session;

  st->ticks++;
  if (st->capture != NULL
      && (capture_error = sl_capture_get_error (st->capture)) != NULL)
    {
      g_printerr ("%s: %s\n", st->name, capture_error->message);
      sl_station_quit (st, SL_EXIT_MEDIA);
      return G_SOURCE_CONTINUE;
    }
  if (st->capture != NULL
      && (capture_error = sl_capture_take_speaker_error (st->capture)) != NULL)
    {
      g_printerr ("%s: %s; the expert's voice is no longer played here, "
                  "the picture and the room's voice go on\n",
                  st->name, capture_error->message);
      g_clear_error (&capture_error);
    }
  if (st->latency != NULL)
    sl_latency_meter_take (st->latency, &st->latency_window);
  if (st->clicks != NULL)
    st->clicks_found = sl_click_meter_take (st->clicks, &st->click_latency_ms,
                                            &st->clicks_total);
  if (!st->first_picture_logged && first_picture_ms (st) >= 0)
    {
      st->first_picture_logged = TRUE;
      sl_station_log (st,
                      "first picture %.0f ms after the township and this "
                      "station were both in the room",
                      first_picture_ms (st));
    }
  if (g_hash_table_size (st->sessions) == 0)
    report_waiting (st);
  g_mutex_lock (&st->status_lock);
  st->status.link = SL_STATUS_LINK_NONE;
  g_mutex_unlock (&st->status_lock);
  g_hash_table_iter_init (&iter, st->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &session))
    report_session (st, session);
  sl_station_report_status (st);
  if (st->ticks % SNAPSHOT_PERIOD_S == 0)
    snapshot_async (st);
  sl_station_guide_tick (st);
  sl_station_record_tick (st);
  return G_SOURCE_CONTINUE;
}

void
sl_station_report_start (SlStation *st)
{
  sl_station_report_status (st);
  st->stats_timer = g_timeout_add_seconds (1, on_report_tick, st);
}

void
sl_station_report_finish (SlStation *st)
{
  g_autoptr (GstSample) sample = NULL;
  g_autoptr (GError) error = NULL;

  g_clear_handle_id (&st->stats_timer, g_source_remove);
  /* Let a snapshot in flight finish, then write the very last picture. */
  while (st->snapshot_busy)
    g_main_context_iteration (NULL, TRUE);
  if (st->opt->snapshot_path != NULL)
    {
      g_mutex_lock (&st->sample_lock);
      if (st->last_sample != NULL)
        sample = gst_sample_ref (st->last_sample);
      g_mutex_unlock (&st->sample_lock);
      if (sample != NULL
          && !sl_station_guide_write_png (st, sample, st->opt->snapshot_path,
                                          &error))
        g_printerr ("%s: snapshot %s: %s\n", st->name, st->opt->snapshot_path,
                    error->message);
    }
  if (st->stats_file != NULL)
    {
      fclose (st->stats_file);
      st->stats_file = NULL;
    }
}
