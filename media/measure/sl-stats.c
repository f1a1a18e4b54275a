/* sl-stats.c — rates and formatting of session statistics.
 *
 * Counters are totals, so rates come from differences of two snapshots
 * divided by the time between them; a counter that went backwards (a
 * restarted stream) yields a zero rate rather than a huge negative one.
 */
#include "sl-stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static gdouble
rate (guint64 prev, guint64 cur, gdouble seconds)
{
  if (seconds <= 0 || cur < prev)
    return 0;
  return (cur - prev) / seconds;
}

/* Loss before and after NACK/RTX and FEC over the interval.  Of the
 * packets the jitter buffers expected (passed on plus given up on), the
 * link lost those RTX brought back, those rebuilt from FEC and those given
 * up on. */
static void
recovery_rates (const SlSessionStats *prev, const SlSessionStats *cur,
                SlStatsReport *out)
{
  guint64 in = cur->video_packets_decoded_in - prev->video_packets_decoded_in;
  guint64 gone
      = cur->video_packets_unrecovered - prev->video_packets_unrecovered;
  guint64 back = cur->video_packets_recovered - prev->video_packets_recovered
                 + cur->video_packets_fec_recovered
                 - prev->video_packets_fec_recovered;
  gdouble expected;

  out->loss_before_recovery_pct = out->loss_after_recovery_pct = -1;
  if (cur->video_packets_decoded_in < prev->video_packets_decoded_in
      || cur->video_packets_unrecovered < prev->video_packets_unrecovered
      || cur->video_packets_recovered < prev->video_packets_recovered
      || cur->video_packets_fec_recovered < prev->video_packets_fec_recovered)
    return;
  expected = (gdouble)in + gone;
  if (expected <= 0)
    return;
  out->loss_before_recovery_pct = MIN (100.0, 100.0 * (back + gone) / expected);
  out->loss_after_recovery_pct = 100.0 * gone / expected;
}

gdouble
sl_stats_rtt_ms (const SlSessionStats *stats)
{
  return sl_stats_pick_rtt_ms (stats->rtt_ms, stats->dc_rtt_ms);
}

gdouble
sl_stats_pick_rtt_ms (gdouble rtcp_ms, gdouble dc_ms)
{
  return rtcp_ms >= 0 ? rtcp_ms : dc_ms;
}

/* The loudest candidates first, so that a tone's leakage into the next
 * bands gives way to the tone. */
static gint
by_level (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const gfloat *db = user_data;
  gfloat la = db[*(const guint *)a], lb = db[*(const guint *)b];

  return la < lb ? 1 : la > lb ? -1 : 0;
}

static gint
by_value (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;

  return x < y ? -1 : x > y ? 1 : 0;
}

guint
sl_stats_find_tones (const gfloat *db, guint n, gdouble band_hz,
                     gdouble *tones_hz, guint max)
{
  g_autoptr (GArray) peaks = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) kept = g_array_new (FALSE, FALSE, sizeof (guint));
  gfloat loudest = -G_MAXFLOAT;
  guint found = 0;

  for (guint i = 0; i < n; i++)
    loudest = MAX (loudest, db[i]);
  for (guint i = 0; i < n; i++)
    if (db[i] > -60.0f && db[i] >= loudest - 20.0f
        && (i == 0 || db[i] >= db[i - 1]) && (i + 1 == n || db[i] > db[i + 1]))
      g_array_append_val (peaks, i);
  g_array_sort_with_data (peaks, by_level, (gpointer)db);
  for (guint p = 0; p < peaks->len && found < max; p++)
    {
      guint band = g_array_index (peaks, guint, p);
      gboolean near = FALSE;

      for (guint k = 0; k < kept->len && !near; k++)
        near = ABS ((gint)band - (gint)g_array_index (kept, guint, k)) * band_hz
               <= 100.0;
      if (near)
        continue;
      g_array_append_val (kept, band);
      tones_hz[found++] = (band + 0.5) * band_hz;
    }
  qsort (tones_hz, found, sizeof *tones_hz, by_value);
  return found;
}

gdouble
sl_stats_latency_estimate (gdouble send_ms, gdouble rtt_ms, gdouble decode_ms,
                           gdouble output_ms)
{
  if (send_ms < 0 || rtt_ms < 0 || decode_ms < 0 || output_ms < 0)
    return -1;
  return send_ms + rtt_ms / 2 + decode_ms + output_ms;
}

/* The rate controller's and the encoder's figures, as they are now. */
static void
copy_rate_fields (const SlSessionStats *cur, SlStatsReport *out)
{
  out->bwe_target_kbps = cur->bwe_target_kbps;
  out->bwe_estimate_kbps = cur->bwe_estimate_kbps;
  out->acked_kbps = cur->acked_kbps;
  out->encoder_kbps = cur->encoder_kbps;
  out->bwe_loss_pct = cur->bwe_loss_pct;
  out->bwe_queue_ms = cur->bwe_queue_ms;
  out->send_width = cur->send_width;
  out->send_height = cur->send_height;
  out->send_fps = cur->send_fps;
  out->encoder_level = cur->encoder_level;
  out->voice_frame_ms = cur->voice_frame_ms;
  out->voice_cost_kbps = cur->voice_cost_kbps;
}

/* The round trip measured in the interval: RTCP's when a report brought
 * a new figure, else the ping's when one came back, else unknown.  The
 * figures the session keeps are the last measured ones, and a stalled
 * link measures nothing: after a 3 s stall the status line showed the
 * RTCP figure of before the stall for about 6 s more, until the next
 * receiver report.  A figure that nothing renewed is not shown as
 * current. */
static gdouble
fresh_rtt_ms (const SlSessionStats *prev, const SlSessionStats *cur)
{
  if (cur->rtt_ms >= 0 && cur->rtt_ms != prev->rtt_ms)
    return cur->rtt_ms;
  if (cur->dc_rtt_ms >= 0 && cur->dc_roundtrips > prev->dc_roundtrips)
    return cur->dc_rtt_ms;
  return -1;
}

void
sl_stats_compute (const SlSessionStats *prev, const SlSessionStats *cur,
                  SlSessionRole role, SlSessionState state, SlStatsReport *out)
{
  static const SlSessionStats zero = { 0 };
  const gboolean sender = role == SL_SESSION_SENDER;
  gdouble seconds;
  guint64 frames_prev, frames_cur, bytes_prev, bytes_cur;
  gint64 lost;
  guint64 packets;

  if (prev == NULL)
    prev = &zero;
  seconds = prev->time_us > 0 ? (cur->time_us - prev->time_us) / 1e6 : 1.0;

  frames_prev = sender ? prev->frames_sent : prev->frames_decoded;
  frames_cur = sender ? cur->frames_sent : cur->frames_decoded;
  bytes_prev = sender ? prev->video_bytes_sent : prev->video_bytes_received;
  bytes_cur = sender ? cur->video_bytes_sent : cur->video_bytes_received;

  memset (out, 0, sizeof *out);
  out->role = role;
  out->state = state;
  out->frames = frames_cur;
  out->fps = rate (frames_prev, frames_cur, seconds);
  out->bitrate_kbps = rate (bytes_prev, bytes_cur, seconds) * 8 / 1000.0;

  /* Loss over the interval: lost / expected, where expected is what was
   * received (or sent) plus what was lost. */
  lost = cur->video_packets_lost - prev->video_packets_lost;
  packets = sender ? cur->video_packets_sent - prev->video_packets_sent
                   : cur->video_packets_received - prev->video_packets_received;
  if (sender)
    out->loss_pct = (packets > 0 && lost > 0) ? 100.0 * lost / packets : 0;
  else
    out->loss_pct = (lost > 0 && packets + lost > 0)
                        ? 100.0 * lost / (gdouble)(packets + lost)
                        : 0;
  if (out->loss_pct > 100)
    out->loss_pct = 100;

  out->rtt_ms = fresh_rtt_ms (prev, cur);
  out->jitter_ms = cur->jitter_ms;
  out->jitter_buffer_ms = cur->jitter_buffer_ms;
  out->stage_capture_ms = cur->stage_capture_ms;
  out->stage_encode_ms = cur->stage_encode_ms;
  out->stage_decode_ms = cur->stage_decode_ms;
  out->stage_output_ms = cur->stage_output_ms;
  out->latency_estimate_ms = cur->latency_estimate_ms;
  out->width = cur->video_width;
  out->height = cur->video_height;
  out->audio_level_db = cur->audio_level_db;
  out->audio_peak_hz = cur->audio_peak_hz;
  out->audio_tones = MIN (cur->audio_tones, SL_AUDIO_TONES_MAX);
  memcpy (out->audio_tones_hz, cur->audio_tones_hz, sizeof out->audio_tones_hz);
  out->audio_packets = cur->audio_packets_decoded;
  out->dc_rtt_ms = cur->dc_rtt_ms;
  out->dc_roundtrips = cur->dc_roundtrips;
  recovery_rates (prev, cur, out);
  out->nacks = cur->video_nacks;
  out->recovered = cur->video_packets_recovered;
  out->retransmitted = cur->video_packets_retransmitted;
  out->fec_recovered = cur->video_packets_fec_recovered;
  out->video_lost_pct = cur->video_lost_pct;
  out->video_repaired_pct = cur->video_repaired_pct;
  out->fec_percent = cur->fec_percent;
  copy_rate_fields (cur, out);
  out->below_floor = cur->below_floor;
  out->keyframe_requests = cur->keyframe_requests;
  out->freezes = cur->freezes;
  out->freeze_ms = cur->freeze_ms;
  out->longest_freeze_ms = cur->longest_freeze_ms;
  out->last_freeze_end_us = cur->last_freeze_end_us;
  out->last_freeze_ms = cur->last_freeze_ms;
  out->link_state = cur->link_state;
  out->link_reason = cur->link_reason;
  out->silence_ms = cur->silence_ms;
  out->display_rendered = cur->display_rendered;
  out->display_dropped = cur->display_dropped;
}

static void
set_optional_double (JsonObject *obj, const gchar *name, gdouble value,
                     gboolean known)
{
  if (known)
    json_object_set_double_member (obj, name, round (value * 100) / 100);
  else
    json_object_set_null_member (obj, name);
}

/* A SENDER's own fields: retransmissions, keyframe requests, FEC, the
 * rate controller and what the encoder and the voice get now. */
static void
sender_fields_to_json (JsonObject *obj, const SlStatsReport *r)
{
  json_object_set_int_member (obj, "retransmitted", (gint64)r->retransmitted);
  json_object_set_int_member (obj, "keyframe_requests",
                              (gint64)r->keyframe_requests);
  json_object_set_int_member (obj, "fec_percent", r->fec_percent);
  if (r->bwe_target_kbps > 0)
    {
      json_object_set_int_member (obj, "bwe_target_kbps", r->bwe_target_kbps);
      json_object_set_int_member (obj, "bwe_estimate_kbps",
                                  r->bwe_estimate_kbps);
      json_object_set_int_member (obj, "acked_kbps", r->acked_kbps);
      set_optional_double (obj, "bwe_loss_pct", r->bwe_loss_pct, TRUE);
      set_optional_double (obj, "bwe_queue_ms", r->bwe_queue_ms,
                           r->bwe_queue_ms >= 0);
    }
  if (r->encoder_kbps > 0)
    json_object_set_int_member (obj, "encoder_kbps", r->encoder_kbps);
  if (r->encoder_level != NULL)
    json_object_set_string_member (obj, "encoder_level", r->encoder_level);
  if (r->send_width > 0)
    {
      json_object_set_int_member (obj, "send_width", r->send_width);
      json_object_set_int_member (obj, "send_height", r->send_height);
    }
  if (r->send_fps > 0)
    set_optional_double (obj, "send_fps", r->send_fps, TRUE);
  if (r->voice_frame_ms > 0)
    json_object_set_int_member (obj, "voice_frame_ms", r->voice_frame_ms);
  if (r->voice_cost_kbps > 0)
    json_object_set_int_member (obj, "voice_cost_kbps", r->voice_cost_kbps);
}

/* A VIEWER's own fields: recovery, freezes, the display. */
static void
viewer_fields_to_json (JsonObject *obj, const SlStatsReport *r)
{
  set_optional_double (obj, "loss_before_recovery_pct",
                       r->loss_before_recovery_pct,
                       r->loss_before_recovery_pct >= 0);
  set_optional_double (obj, "loss_after_recovery_pct",
                       r->loss_after_recovery_pct,
                       r->loss_after_recovery_pct >= 0);
  json_object_set_int_member (obj, "nacks", (gint64)r->nacks);
  json_object_set_int_member (obj, "recovered", (gint64)r->recovered);
  json_object_set_int_member (obj, "fec_recovered", (gint64)r->fec_recovered);
  json_object_set_int_member (obj, "freezes", (gint64)r->freezes);
  json_object_set_int_member (obj, "display_rendered",
                              (gint64)r->display_rendered);
  json_object_set_int_member (obj, "display_dropped",
                              (gint64)r->display_dropped);
  set_optional_double (obj, "freeze_ms", r->freeze_ms, TRUE);
  set_optional_double (obj, "longest_freeze_ms", r->longest_freeze_ms, TRUE);
  if (r->last_freeze_end_us > 0)
    {
      json_object_set_int_member (obj, "last_freeze_end_us",
                                  r->last_freeze_end_us);
      set_optional_double (obj, "last_freeze_ms", r->last_freeze_ms, TRUE);
    }
}

JsonObject *
sl_stats_to_json (const SlStatsReport *r)
{
  JsonObject *obj = json_object_new ();
  const gboolean sender = r->role == SL_SESSION_SENDER;

  json_object_set_string_member (obj, "state",
                                 sl_session_state_name (r->state));
  json_object_set_int_member (obj, sender ? "frames_sent" : "frames_decoded",
                              (gint64)r->frames);
  set_optional_double (obj, "fps", r->fps, TRUE);
  set_optional_double (obj, "bitrate_kbps", r->bitrate_kbps, TRUE);
  set_optional_double (obj, "rtt_ms", r->rtt_ms, r->rtt_ms >= 0);
  set_optional_double (obj, "loss_pct", r->loss_pct, TRUE);
  set_optional_double (obj, "video_lost_pct", r->video_lost_pct,
                       r->video_lost_pct >= 0);
  set_optional_double (obj, "video_repaired_pct", r->video_repaired_pct,
                       r->video_lost_pct >= 0 && r->video_repaired_pct >= 0);
  set_optional_double (obj, "jitter_ms", r->jitter_ms, r->jitter_ms >= 0);
  if (r->role == SL_SESSION_SENDER)
    {
      set_optional_double (obj, "stage_capture_ms", r->stage_capture_ms,
                           r->stage_capture_ms >= 0);
      set_optional_double (obj, "stage_encode_ms", r->stage_encode_ms,
                           r->stage_encode_ms >= 0);
    }
  else
    {
      set_optional_double (obj, "stage_decode_ms", r->stage_decode_ms,
                           r->stage_decode_ms >= 0);
      set_optional_double (obj, "stage_output_ms", r->stage_output_ms,
                           r->stage_output_ms >= 0);
      set_optional_double (obj, "latency_estimate_ms", r->latency_estimate_ms,
                           r->latency_estimate_ms >= 0);
    }
  if (r->jitter_buffer_ms > 0)
    json_object_set_int_member (obj, "jitter_buffer_ms", r->jitter_buffer_ms);
  if (!sender)
    {
      json_object_set_int_member (obj, "width", r->width);
      json_object_set_int_member (obj, "height", r->height);
    }
  set_optional_double (obj, "audio_level_db", r->audio_level_db,
                       r->audio_level_db > -200);
  set_optional_double (obj, "audio_peak_hz", r->audio_peak_hz, TRUE);
  {
    JsonArray *tones = json_array_new ();

    for (guint i = 0; i < r->audio_tones; i++)
      json_array_add_double_element (tones, r->audio_tones_hz[i]);
    json_object_set_array_member (obj, "audio_tones_hz", tones);
  }
  json_object_set_int_member (obj, "audio_packets_decoded",
                              (gint64)r->audio_packets);
  set_optional_double (obj, "dc_rtt_ms", r->dc_rtt_ms, r->dc_rtt_ms >= 0);
  json_object_set_int_member (obj, "dc_roundtrips", (gint64)r->dc_roundtrips);
  if (sender)
    sender_fields_to_json (obj, r);
  else
    viewer_fields_to_json (obj, r);
  json_object_set_boolean_member (obj, "below_floor", r->below_floor);
  json_object_set_string_member (obj, "link",
                                 sl_link_state_name (r->link_state));
  if (r->link_reason != NULL && r->link_reason[0] != '\0')
    json_object_set_string_member (obj, "link_reason", r->link_reason);
  json_object_set_int_member (obj, "silence_ms", r->silence_ms);
  return obj;
}

gchar *
sl_stats_to_line (const SlStatsReport *r)
{
  const gboolean sender = r->role == SL_SESSION_SENDER;
  g_autofree gchar *rtt = r->rtt_ms >= 0
                              ? g_strdup_printf ("%.1f ms", r->rtt_ms)
                              : g_strdup ("-");
  g_autofree gchar *voice = r->audio_level_db > -200
                                ? g_strdup_printf ("%.0f dB", r->audio_level_db)
                                : g_strdup ("-");

  g_autofree gchar *loss
      = r->video_lost_pct < 0 ? g_strdup ("-")
        : r->video_repaired_pct >= 0
            ? g_strdup_printf ("%.1f%% (%.1f%% repaired)", r->video_lost_pct,
                               r->video_repaired_pct)
            : g_strdup_printf ("%.1f%%", r->video_lost_pct);
  g_autofree gchar *link = NULL;
  g_autofree gchar *fec = sender && r->fec_percent > 0
                              ? g_strdup_printf ("  FEC %u%%", r->fec_percent)
                              : NULL;

  /* A healthy link goes unmentioned; anything else leads the line's end. */
  if (r->link_state != SL_LINK_GOOD)
    link = g_strdup_printf ("  LINK %s%s%s", sl_link_state_name (r->link_state),
                            r->link_reason && r->link_reason[0] ? ": " : "",
                            r->link_reason ? r->link_reason : "");
  return g_strdup_printf ("%-12s %s %6" G_GUINT64_FORMAT "  %5.1f fps  "
                          "%7.0f kb/s  rtt %s  loss %s%s  voice in %s%s",
                          sl_session_state_name (r->state),
                          sender ? "sent" : "decoded", r->frames, r->fps,
                          r->bitrate_kbps, rtt, loss, fec ? fec : "", voice,
                          link ? link : "");
}
