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
#include "sl-webrtc-stats.h"

#include <math.h>

#define GST_CAT_DEFAULT sl_session_debug

/* The receive voice branch decodes Opus at its native 48 kHz. */
#define SL_AUDIO_RATE 48000

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
      sl_webrtc_stats_parse (report, &self->stats);
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
