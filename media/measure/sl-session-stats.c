/* sl-session-stats.c — what a session measures about itself.
 *
 * Once a second the session asks webrtcbin for its RTCStats-style report
 * (https://www.w3.org/TR/webrtc-stats/) and keeps the few numbers the
 * stations show: bytes and packets each way, losses, RTCP round trip and
 * jitter (sl-webrtc-stats.h).  Pad probes on the codecs time each frame's
 * stages (sl-stage.h), count frames and freezes of the picture
 * (sl-freeze.h).  The receive voice branch's level and spectrum elements
 * post their measurements on the bus once a second; they give the received
 * level and the strongest frequency, which is how a test (or an operator)
 * tells that the other side's voice arrives.  The display sink's own
 * counts say what it showed and dropped.
 *
 * What the other concerns need of this (round trip, jitter, the video's
 * SSRC, the stage medians, the picture's rhythm) goes into the tick
 * (sl_session_measure_tick_input); nothing else of this file is read
 * elsewhere.
 */
#include "sl-session-private.h"
#include "sl-freeze.h"
#include "sl-stage.h"
#include "sl-stats.h"
#include "sl-webrtc-stats.h"

#include <gst/base/gstbasesink.h>
#include <math.h>

GST_DEBUG_CATEGORY_STATIC (sl_stats_debug);
#define GST_CAT_DEFAULT sl_stats_debug

/* The receive voice branch decodes Opus at its native 48 kHz. */
#define SL_AUDIO_RATE 48000

struct _SlSessionMeasure
{
  /* Guards the fields below: the codecs' probes write them from
   * streaming threads, webrtcbin's thread writes the report, the control
   * thread reads them. */
  GMutex lock;
  SlStage stage_capture; /* SENDER: capture to encoder input */
  SlStage stage_encode;
  gint64 encode_begin_us;          /* input time of the frame being encoded */
  SlStage stage_decode;            /* VIEWER */
  SlStage stage_output;            /* VIEWER: decoder output to the picture */
  guint64 frames_sent;             /* SENDER: out of the encoder */
  guint64 frames_decoded;          /* VIEWER */
  guint video_width, video_height; /* VIEWER: decoded size */
  SlFreeze freeze;                 /* VIEWER */
  SlSessionStats report;           /* webrtcbin's last report: its RTP fields */
  guint64 audio_packets; /* atomic: voice packets decoded, not under lock */
};

void
sl_session_measure_new (SlSession *self)
{
  SlSessionMeasure *m = g_new0 (SlSessionMeasure, 1);

  if (sl_stats_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (sl_stats_debug, "sl-stats", 0,
                             "sonolink session measurements");
  g_mutex_init (&m->lock);
  sl_stage_init (&m->stage_capture);
  sl_stage_init (&m->stage_encode);
  sl_stage_init (&m->stage_decode);
  sl_stage_init (&m->stage_output);
  m->report.rtt_ms = m->report.jitter_ms = -1;
  self->measure = m;
}

void
sl_session_measure_free (SlSession *self)
{
  SlSessionMeasure *m = g_steal_pointer (&self->measure);

  if (m == NULL)
    return;
  g_mutex_clear (&m->lock);
  g_free (m);
}

/* ---- webrtcbin's report ---- */

/* webrtcbin thread: the report is ready. */
static void
on_stats (GstPromise *promise, gpointer user_data)
{
  SlSession *self = user_data;
  SlSessionMeasure *m = self->measure;
  const GstStructure *report = NULL;

  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    report = gst_promise_get_reply (promise);
  if (report != NULL && m != NULL)
    {
      g_mutex_lock (&m->lock);
      sl_webrtc_stats_parse (report, &m->report);
      g_mutex_lock (&self->stats_lock);
      sl_webrtc_stats_copy (&m->report, &self->stats);
      g_mutex_unlock (&self->stats_lock);
      g_mutex_unlock (&m->lock);
      GST_LOG_OBJECT (self->pipeline, "stats %" GST_PTR_FORMAT,
                      (gpointer)report);
    }
  sl_session_promise_done (self, promise);
}

void
sl_session_measure_request_report (SlSession *self)
{
  GstPromise *promise = sl_session_promise_new (self, on_stats);

  g_signal_emit_by_name (self->webrtc, "get-stats", NULL, promise);
  gst_promise_unref (promise);
}

/* ---- the codecs' probes: streaming threads ---- */

/* Encoder input.  A frame's timestamp is its capture time on this
 * pipeline's clock (sl-capture.c), so the running time now less it is how
 * long the frame took from the probe to the encoder. */
void
sl_session_measure_encoder_input (SlSession *self, GstClockTime pts)
{
  SlSessionMeasure *m = self->measure;
  g_autoptr (GstClock) clock = gst_element_get_clock (self->pipeline);
  GstClockTime base = gst_element_get_base_time (self->pipeline);
  gint64 now = sl_media_now_us ();

  g_mutex_lock (&m->lock);
  /* x264 with zerolatency pushes each frame's output from inside the call
   * that takes its input, on this thread, so input and output pair up in
   * order.  (Timestamps cannot pair them: x264enc offsets its output
   * timestamps so that decoding timestamps stay positive.) */
  m->encode_begin_us = now;
  if (clock != NULL && GST_CLOCK_TIME_IS_VALID (pts))
    {
      GstClockTime running = gst_clock_get_time (clock) - base;

      if (running >= pts)
        sl_stage_add (&m->stage_capture, (running - pts) / 1e6);
    }
  g_mutex_unlock (&m->lock);
}

/* Encoder output: one frame sent.  Returns TRUE (for the probe's use). */
gboolean
sl_session_measure_encoder_output (SlSession *self)
{
  SlSessionMeasure *m = self->measure;

  g_mutex_lock (&m->lock);
  m->frames_sent++;
  if (m->encode_begin_us > 0)
    sl_stage_add (&m->stage_encode,
                  (sl_media_now_us () - m->encode_begin_us) / 1000.0);
  m->encode_begin_us = 0;
  g_mutex_unlock (&m->lock);
  return TRUE;
}

void
sl_session_measure_decoder_input (SlSession *self, GstClockTime pts)
{
  SlSessionMeasure *m = self->measure;

  g_mutex_lock (&m->lock);
  sl_stage_begin (&m->stage_decode, pts, sl_media_now_us ());
  g_mutex_unlock (&m->lock);
}

void
sl_session_measure_decoder_output (SlSession *self, GstClockTime pts)
{
  SlSessionMeasure *m = self->measure;
  gint64 now = sl_media_now_us ();

  g_mutex_lock (&m->lock);
  m->frames_decoded++;
  if (sl_freeze_frame (&m->freeze, now))
    GST_DEBUG_OBJECT (self->pipeline, "the picture froze for %.0f ms",
                      m->freeze.longest_ms);
  sl_stage_end (&m->stage_decode, pts, now);
  sl_stage_begin (&m->stage_output, pts, now);
  g_mutex_unlock (&m->lock);
}

void
sl_session_measure_decoded_size (SlSession *self, guint width, guint height)
{
  SlSessionMeasure *m = self->measure;

  g_mutex_lock (&m->lock);
  m->video_width = width;
  m->video_height = height;
  g_mutex_unlock (&m->lock);
}

/* The decoded picture handed to the application. */
void
sl_session_measure_picture_out (SlSession *self, GstClockTime pts)
{
  SlSessionMeasure *m = self->measure;

  g_mutex_lock (&m->lock);
  sl_stage_end (&m->stage_output, pts, sl_media_now_us ());
  g_mutex_unlock (&m->lock);
}

/* The voice's streaming thread, for every packet: an atomic, no lock. */
void
sl_session_measure_audio_packet (SlSession *self)
{
  __atomic_add_fetch (&self->measure->audio_packets, 1, __ATOMIC_RELAXED);
}

void
sl_session_measure_live (SlSession *self, SlSessionStats *stats)
{
  SlSessionMeasure *m = self->measure;

  stats->audio_packets_decoded
      = __atomic_load_n (&m->audio_packets, __ATOMIC_RELAXED);

  g_mutex_lock (&m->lock);
  stats->frames_sent = m->frames_sent;
  stats->frames_decoded = m->frames_decoded;
  stats->video_width = m->video_width;
  stats->video_height = m->video_height;
  stats->freezes = m->freeze.freezes;
  stats->freeze_ms = m->freeze.freeze_ms;
  stats->longest_freeze_ms = m->freeze.longest_ms;
  stats->last_freeze_end_us = m->freeze.last_end_us;
  stats->last_freeze_ms = m->freeze.last_ms;
  g_mutex_unlock (&m->lock);
}

/* ---- the tick: control thread ---- */

void
sl_session_measure_tick_input (SlSession *self, SlSessionTick *tick)
{
  SlSessionMeasure *m = self->measure;

  g_mutex_lock (&m->lock);
  tick->rtcp_rtt_ms = m->report.rtt_ms;
  tick->jitter_ms = m->report.jitter_ms;
  tick->video_ssrc = m->report.video_ssrc_received;
  tick->video_packets_sent = m->report.video_packets_sent;
  tick->video_packets_lost = m->report.video_packets_lost;
  tick->stage_capture_ms = sl_stage_take_median (&m->stage_capture);
  tick->stage_encode_ms = sl_stage_take_median (&m->stage_encode);
  tick->stage_decode_ms = sl_stage_take_median (&m->stage_decode);
  tick->stage_output_ms = sl_stage_take_median (&m->stage_output);
  tick->frame_interval_ms
      = m->freeze.interval_ms > 0 ? m->freeze.interval_ms : -1;
  tick->freezes = m->freeze.freezes;
  g_mutex_unlock (&m->lock);
}

/* The GstBaseSink that shows the pictures: the display element itself, or
 * the first base sink inside it when it is a bin. */
static GstElement *
find_base_sink (GstElement *display)
{
  g_autoptr (GstIterator) it = NULL;
  GValue item = G_VALUE_INIT;
  GstElement *found = NULL;

  if (GST_IS_BASE_SINK (display))
    return gst_object_ref (display);
  if (!GST_IS_BIN (display))
    return NULL;
  it = gst_bin_iterate_recurse (GST_BIN (display));
  while (found == NULL && gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      GstElement *e = g_value_get_object (&item);

      if (GST_IS_BASE_SINK (e))
        found = gst_object_ref (e);
      g_value_reset (&item);
    }
  g_value_unset (&item);
  return found;
}

/* VIEWER: what the display showed and dropped, from its base sink. */
static void
read_display (SlSession *self, guint64 *rendered, guint64 *dropped)
{
  GstElement *display = sl_session_media_display (self);
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstStructure) s = NULL;

  if (display == NULL || (sink = find_base_sink (display)) == NULL)
    return;
  g_object_get (sink, "stats", &s, NULL);
  if (s == NULL)
    return;
  gst_structure_get_uint64 (s, "rendered", rendered);
  gst_structure_get_uint64 (s, "dropped", dropped);
}

void
sl_session_measure_tick (SlSession *self, const SlSessionTick *tick)
{
  guint64 rendered = 0, dropped = 0;
  gdouble estimate = -1;

  if (self->role == SL_SESSION_VIEWER)
    {
      read_display (self, &rendered, &dropped);
      estimate = sl_stats_latency_estimate (tick->peer_send_ms, tick->rtt_ms,
                                            tick->stage_decode_ms,
                                            tick->stage_output_ms);
    }
  g_mutex_lock (&self->stats_lock);
  self->stats.stage_capture_ms = tick->stage_capture_ms;
  self->stats.stage_encode_ms = tick->stage_encode_ms;
  self->stats.stage_decode_ms = tick->stage_decode_ms;
  self->stats.stage_output_ms = tick->stage_output_ms;
  self->stats.latency_estimate_ms = estimate;
  self->stats.display_rendered = rendered;
  self->stats.display_dropped = dropped;
  g_mutex_unlock (&self->stats_lock);
}

/* ---- the voice's meters ---- */

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
sl_session_measure_on_element_message (SlSession *self, const GstStructure *s)
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
      guint n = MIN (gst_value_list_get_size (magnitude), 4096);
      g_autofree gfloat *db = g_new (gfloat, MAX (n, 1));
      gdouble tones[SL_AUDIO_TONES_MAX];
      guint found;

      for (guint i = 0; i < n; i++)
        db[i] = g_value_get_float (gst_value_list_get_value (magnitude, i));
      found = n > 0 ? sl_stats_find_tones (db, n, SL_AUDIO_RATE / 2.0 / n,
                                           tones, SL_AUDIO_TONES_MAX)
                    : 0;
      g_mutex_lock (&self->stats_lock);
      self->stats.audio_peak_hz = peak_frequency (magnitude);
      memcpy (self->stats.audio_tones_hz, tones, found * sizeof tones[0]);
      self->stats.audio_tones = found;
      g_mutex_unlock (&self->stats_lock);
    }
}
