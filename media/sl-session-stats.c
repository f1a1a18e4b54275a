/* sl-session-stats.c — what a session measures about itself.
 *
 * Once a second the session asks webrtcbin for its RTCStats-style report
 * (https://www.w3.org/TR/webrtc-stats/) and keeps the few numbers the
 * stations show: bytes and packets each way, losses, RTCP round trip and
 * jitter.  The receive voice branch's level and spectrum elements post their
 * measurements on the bus once a second; they give the received level and
 * the strongest frequency, which is how a test (or an operator) tells that
 * the other side's voice arrives.
 */
#include "sl-session-private.h"
#include "sl-stats.h"

#include <math.h>

#define GST_CAT_DEFAULT sl_session_debug

/* The receive voice branch decodes Opus at its native 48 kHz. */
#define SL_AUDIO_RATE 48000

/* Records in @video_ssrcs which SSRCs carry video.  GStreamer 1.22's
 * "kind" and "codec-id" fields are unreliable (every stream may point at
 * one codec), so the evidence is taken where it is sound: codec entries that
 * name their SSRC and MIME type, and the RTP clock rate of each source
 * (90 kHz is video; our only audio codec, Opus, runs at 48 kHz). */
static void
collect_video_ssrcs (const GstStructure *report, GHashTable *video_ssrcs)
{
  gint n = gst_structure_n_fields (report);

  for (gint i = 0; i < n; i++)
    {
      const GValue *v = gst_structure_get_value (
          report, gst_structure_nth_field_name (report, i));
      const GstStructure *s, *src;
      const gchar *mime;
      guint ssrc;
      gint clock_rate;

      if (!G_VALUE_HOLDS (v, GST_TYPE_STRUCTURE))
        continue;
      s = gst_value_get_structure (v);
      if (!gst_structure_get_uint (s, "ssrc", &ssrc))
        continue;
      mime = gst_structure_get_string (s, "mime-type");
      if (mime != NULL && g_str_has_prefix (mime, "video/"))
        g_hash_table_add (video_ssrcs, GUINT_TO_POINTER (ssrc));
      v = gst_structure_get_value (s, "gst-rtpsource-stats");
      if (v == NULL || !G_VALUE_HOLDS (v, GST_TYPE_STRUCTURE))
        continue;
      src = gst_value_get_structure (v);
      if (gst_structure_get_int (src, "clock-rate", &clock_rate)
          && clock_rate == 90000)
        g_hash_table_add (video_ssrcs, GUINT_TO_POINTER (ssrc));
    }
}

static gboolean
stats_is_video (GHashTable *video_ssrcs, const GstStructure *s)
{
  guint ssrc;

  return gst_structure_get_uint (s, "ssrc", &ssrc)
         && g_hash_table_contains (video_ssrcs, GUINT_TO_POINTER (ssrc));
}

static gboolean
stats_has_ssrc (const GstStructure *s, guint want)
{
  guint ssrc;

  return gst_structure_get_uint (s, "ssrc", &ssrc) && ssrc == want;
}

static guint64
get_u64 (const GstStructure *s, const gchar *field)
{
  guint64 v64 = 0;
  guint v32 = 0;

  if (gst_structure_get_uint64 (s, field, &v64))
    return v64;
  if (gst_structure_get_uint (s, field, &v32))
    return v32;
  return 0;
}

/* With RTX, the video goes on two SSRCs: the stream and its
 * retransmissions, both at 90 kHz.  The stream is the one with the most
 * packets (@count_field) among the entries of type @want; its SSRC is
 * returned (0: none). */
static guint
main_video_ssrc (GHashTable *video_ssrcs, const GstStructure *report,
                 GstWebRTCStatsType want, const gchar *count_field)
{
  gint n = gst_structure_n_fields (report);
  guint64 most = 0;
  guint best = 0;

  for (gint i = 0; i < n; i++)
    {
      const GValue *v = gst_structure_get_value (
          report, gst_structure_nth_field_name (report, i));
      const GstStructure *s;
      GstWebRTCStatsType type;
      guint ssrc;

      if (!G_VALUE_HOLDS (v, GST_TYPE_STRUCTURE))
        continue;
      s = gst_value_get_structure (v);
      if (!gst_structure_get (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type,
                              NULL)
          || type != want || !stats_is_video (video_ssrcs, s)
          || !gst_structure_get_uint (s, "ssrc", &ssrc))
        continue;
      if (best == 0 || get_u64 (s, count_field) > most)
        {
          most = get_u64 (s, count_field);
          best = ssrc;
        }
    }
  return best;
}

static void
parse_one (GHashTable *video_ssrcs, guint sent_ssrc, const GstStructure *s,
           SlSessionStats *out)
{
  GstWebRTCStatsType type;
  gboolean video;
  gdouble d;
  gint64 lost;

  if (!gst_structure_get (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, NULL))
    return;
  video = stats_is_video (video_ssrcs, s);
  switch (type)
    {
    case GST_WEBRTC_STATS_OUTBOUND_RTP:
      if (video && !stats_has_ssrc (s, sent_ssrc))
        break; /* the retransmission stream */
      if (video)
        {
          out->video_bytes_sent = get_u64 (s, "bytes-sent");
          out->video_packets_sent = get_u64 (s, "packets-sent");
        }
      break;
    case GST_WEBRTC_STATS_REMOTE_INBOUND_RTP:
      if (video && !stats_has_ssrc (s, sent_ssrc))
        break; /* what the viewer says of the retransmissions */
      if (video && gst_structure_get_double (s, "round-trip-time", &d) && d > 0)
        out->rtt_ms = d * 1000.0;
      if (video && gst_structure_get_int64 (s, "packets-lost", &lost))
        out->video_packets_lost = lost;
      break;
    case GST_WEBRTC_STATS_INBOUND_RTP:
      if (video && !stats_has_ssrc (s, out->video_ssrc_received))
        break; /* the retransmission stream */
      if (video)
        {
          out->video_bytes_received = get_u64 (s, "bytes-received");
          out->video_packets_received = get_u64 (s, "packets-received");
          if (gst_structure_get_int64 (s, "packets-lost", &lost))
            out->video_packets_lost = lost;
          if (gst_structure_get_double (s, "jitter", &d))
            out->jitter_ms = d * 1000.0;
        }
      else
        out->audio_bytes_received = get_u64 (s, "bytes-received");
      break;
    default:
      break;
    }
}

/* Fills the RTP fields of @out from one webrtcbin stats report, leaving the
 * others as they are.  Pure: unit-tested on hand-made reports. */
void
sl_session_stats_parse (const GstStructure *report, SlSessionStats *out)
{
  g_autoptr (GHashTable) video_ssrcs = g_hash_table_new (NULL, NULL);
  gint n = gst_structure_n_fields (report);
  guint sent_ssrc;

  collect_video_ssrcs (report, video_ssrcs);
  out->video_ssrc_received = main_video_ssrc (
      video_ssrcs, report, GST_WEBRTC_STATS_INBOUND_RTP, "packets-received");
  sent_ssrc = main_video_ssrc (video_ssrcs, report,
                               GST_WEBRTC_STATS_OUTBOUND_RTP, "packets-sent");
  for (gint i = 0; i < n; i++)
    {
      const gchar *name = gst_structure_nth_field_name (report, i);
      const GValue *value = gst_structure_get_value (report, name);

      if (G_VALUE_HOLDS (value, GST_TYPE_STRUCTURE))
        parse_one (video_ssrcs, sent_ssrc, gst_value_get_structure (value),
                   out);
    }
}

/* webrtcbin thread: the report is ready. */
static void
on_stats (GstPromise *promise, gpointer user_data)
{
  SlSession *self = user_data;
  const GstStructure *report = NULL;

  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    report = gst_promise_get_reply (promise);
  if (report != NULL)
    {
      g_mutex_lock (&self->stats_lock);
      sl_session_stats_parse (report, &self->stats);
      g_mutex_unlock (&self->stats_lock);
      GST_LOG_OBJECT (self->pipeline, "stats %" GST_PTR_FORMAT,
                      (gpointer)report);
    }
  gst_promise_unref (promise);
}

/* Sets the jitter buffers inside webrtcbin: @video_ms on the received
 * video's, @other_ms on the rest (voice).  webrtcbin's own "latency"
 * covers the jitter buffers made from now on; the running ones are set
 * here directly rather than through whatever webrtcbin and rtpbin happen
 * to pass down.  Until the stats say which stream is the video, all get
 * @video_ms, the larger. */
static void
set_jitter_buffers (SlSession *self, guint video_ms, guint other_ms)
{
  g_autoptr (GstIterator) it = gst_bin_iterate_recurse (GST_BIN (self->webrtc));
  GValue item = G_VALUE_INIT;
  guint video_ssrc;

  g_mutex_lock (&self->stats_lock);
  video_ssrc = self->stats.video_ssrc_received;
  g_mutex_unlock (&self->stats_lock);
  g_object_set (self->webrtc, "latency", video_ms, NULL);
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      GstElement *e = g_value_get_object (&item);
      GstElementFactory *f = gst_element_get_factory (e);

      if (f != NULL && g_str_equal (GST_OBJECT_NAME (f), "rtpjitterbuffer"))
        g_object_set (e, "latency",
                      video_ssrc == 0
                              || sl_session_element_has_ssrc (e, video_ssrc)
                          ? video_ms
                          : other_ms,
                      NULL);
      g_value_reset (&item);
    }
  g_value_unset (&item);
}

/* Control thread, once a second: sizes the receive jitter buffers from the
 * last measurements (sl-jitter.h), with the round trip sl_stats_rtt_ms
 * picks: the video's with one frame interval more, for its
 * retransmissions. */
void
sl_session_stats_adapt_jitter (SlSession *self)
{
  gdouble rtt, jitter;
  guint before = self->video_jitter_policy.current_ms, target;
  guint before_other = self->jitter_policy.current_ms, other;

  g_mutex_lock (&self->stats_lock);
  rtt = sl_stats_rtt_ms (&self->stats);
  jitter = self->stats.jitter_ms;
  g_mutex_unlock (&self->stats_lock);

  self->video_jitter_policy.ceiling_ms = sl_session_fec_video_ceiling_ms (self);
  target = sl_jitter_policy_update (&self->video_jitter_policy, rtt, jitter);
  other = sl_jitter_policy_update (&self->jitter_policy, rtt, jitter);
  if (target != before || other != before_other)
    {
      GST_INFO_OBJECT (self->pipeline,
                       "jitter buffers: video %u -> %u ms, voice %u -> %u ms "
                       "(rtt %.1f ms, jitter %.1f ms)",
                       before, target, before_other, other, rtt, jitter);
      set_jitter_buffers (self, target, other);
    }
  g_mutex_lock (&self->stats_lock);
  self->stats.jitter_buffer_ms = target;
  self->stats.stage_capture_ms = sl_stage_take_median (&self->stage_capture);
  self->stats.stage_encode_ms = sl_stage_take_median (&self->stage_encode);
  self->stats.stage_decode_ms = sl_stage_take_median (&self->stage_decode);
  self->stats.stage_output_ms = sl_stage_take_median (&self->stage_output);
  /* The estimate leaves out packetising, SRTP, the jitter buffer's
   * pass-through and depacketising (about a millisecond on loopback,
   * docs/PERFORMANCE.md) and assumes the path is symmetric. */
  self->stats.latency_estimate_ms = -1;
  if (self->peer_send_ms >= 0 && rtt >= 0 && self->stats.stage_decode_ms >= 0
      && self->stats.stage_output_ms >= 0)
    self->stats.latency_estimate_ms = self->peer_send_ms + rtt / 2
                                      + self->stats.stage_decode_ms
                                      + self->stats.stage_output_ms;
  g_mutex_unlock (&self->stats_lock);
}

void
sl_session_stats_poll (SlSession *self)
{
  GstPromise *promise = gst_promise_new_with_change_func (
      on_stats, g_object_ref (self), g_object_unref);

  g_signal_emit_by_name (self->webrtc, "get-stats", NULL, promise);
}

static gdouble
peak_frequency (const GValue *magnitudes)
{
  guint n = gst_value_list_get_size (magnitudes);
  gdouble best = -G_MAXDOUBLE;
  guint best_index = 0;

  if (n == 0)
    return 0;
  for (guint i = 0; i < n; i++)
    {
      gdouble m = g_value_get_float (gst_value_list_get_value (magnitudes, i));
      if (m > best)
        {
          best = m;
          best_index = i;
        }
    }
  /* Bands split 0..rate/2 evenly; report the band's centre.  At or below
   * the threshold everywhere means silence. */
  if (best <= -89.0)
    return 0;
  return (best_index + 0.5) * (SL_AUDIO_RATE / 2.0) / n;
}

/* Control thread: level and spectrum messages of the receive branch. */
void
sl_session_stats_on_element_message (SlSession *self, const GstStructure *s)
{
  if (gst_structure_has_name (s, "level"))
    {
      const GValue *rms = gst_structure_get_value (s, "rms");
      GValueArray *array;
      gdouble db;

      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      /* level still posts a GValueArray (deprecated in GLib, not here). */
      if (rms == NULL || G_VALUE_TYPE (rms) != g_value_array_get_type ())
        return;
      array = g_value_get_boxed (rms);
      if (array == NULL || array->n_values == 0)
        return;
      db = g_value_get_double (g_value_array_get_nth (array, 0));
      G_GNUC_END_IGNORE_DEPRECATIONS
      g_mutex_lock (&self->stats_lock);
      self->stats.audio_level_db = isfinite (db) ? db : -G_MAXDOUBLE;
      g_mutex_unlock (&self->stats_lock);
    }
  else if (gst_structure_has_name (s, "spectrum"))
    {
      const GValue *magnitude = gst_structure_get_value (s, "magnitude");

      if (magnitude == NULL || !GST_VALUE_HOLDS_LIST (magnitude))
        return;
      g_mutex_lock (&self->stats_lock);
      self->stats.audio_peak_hz = peak_frequency (magnitude);
      g_mutex_unlock (&self->stats_lock);
    }
}
