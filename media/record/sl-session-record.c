/* sl-session-record.c — a session's taps for the recorder (SlSessionRecord).
 *
 * The media branches (session/sl-session-media.c) call in here with what
 * they already carry: the SENDER's encoder output (the picture as sent,
 * before any loss), the VIEWER's decoder input (the picture as received,
 * depayloaded and parsed), the voice encoder's output and the received
 * voice's packets before the Opus decoder.  Nothing is copied here but
 * into the recorder's cluster, and nothing is encoded again.
 *
 * Threading: sl_session_set_recorder on the control thread; the taps on
 * streaming threads.  `lock` guards `recorder` only; a tap takes a
 * reference under it and writes without it.
 */
#include "sl-session-private.h"
#include "sl-recorder.h"

#include <gst/video/video.h>

struct _SlSessionRecord
{
  GMutex lock;
  SlRecorder *recorder; /* owned, NULL: not recording */
};

void
sl_session_record_new (SlSession *self)
{
  self->record = g_new0 (SlSessionRecord, 1);
  g_mutex_init (&self->record->lock);
}

void
sl_session_record_free (SlSession *self)
{
  SlSessionRecord *r = g_steal_pointer (&self->record);

  if (r == NULL)
    return;
  g_clear_pointer (&r->recorder, sl_recorder_unref);
  g_mutex_clear (&r->lock);
  g_free (r);
}

static SlRecorder *
take_recorder (SlSession *self)
{
  SlRecorder *rec = NULL;

  g_mutex_lock (&self->record->lock);
  if (self->record->recorder != NULL)
    rec = sl_recorder_ref (self->record->recorder);
  g_mutex_unlock (&self->record->lock);
  return rec;
}

/* VIEWER: asks the sender for a keyframe (the depayloader turns the
 * upstream event into a PLI), so the recording starts without waiting
 * for the next periodic one. */
static void
request_keyframe_upstream (SlSession *self)
{
  g_autoptr (GstElement) decoder
      = gst_bin_get_by_name (GST_BIN (self->pipeline), "decoder");
  g_autoptr (GstPad) sink = NULL;

  if (decoder == NULL)
    return;
  sink = gst_element_get_static_pad (decoder, "sink");
  gst_pad_push_event (sink, gst_video_event_new_upstream_force_key_unit (
                                GST_CLOCK_TIME_NONE, TRUE, 0));
}

void
sl_session_set_recorder (SlSession *self, SlRecorder *recorder)
{
  SlRecorder *old;

  g_return_if_fail (SL_IS_SESSION (self));
  g_mutex_lock (&self->record->lock);
  old = self->record->recorder;
  self->record->recorder = recorder ? sl_recorder_ref (recorder) : NULL;
  g_mutex_unlock (&self->record->lock);
  if (old != NULL)
    sl_recorder_unref (old);
  if (recorder != NULL)
    sl_session_record_keyframe (self);
}

void
sl_session_record_keyframe (SlSession *self)
{
  g_return_if_fail (SL_IS_SESSION (self));
  if (self->role == SL_SESSION_SENDER)
    sl_session_rate_force_keyframe (self);
  else
    request_keyframe_upstream (self);
}

/* SENDER: when the picture in @buffer was captured, on the monotonic
 * clock.  The appsrc stamped it with the running time it arrived at, on
 * the pipeline's monotonic clock (session/sl-media.c), a moment after
 * the capture handed it over. */
static gint64
capture_time_us (SlSession *self, GstBuffer *buffer)
{
  g_autoptr (GstClock) clock = gst_element_get_clock (self->pipeline);
  GstClockTime pts = GST_BUFFER_PTS (buffer), now, at;

  if (clock == NULL || !GST_CLOCK_TIME_IS_VALID (pts))
    return -1;
  now = gst_clock_get_time (clock);
  at = gst_element_get_base_time (self->pipeline) + pts;
  if (at > now)
    return g_get_monotonic_time ();
  return g_get_monotonic_time () - (gint64)((now - at) / 1000);
}

void
sl_session_record_video (SlSession *self, GstPad *pad, GstBuffer *buffer)
{
  g_autoptr (SlRecorder) rec = take_recorder (self);
  g_autoptr (GstCaps) caps = NULL;

  if (rec == NULL)
    return;
  caps = gst_pad_get_current_caps (pad);
  sl_recorder_add_video (
      rec, buffer, caps,
      self->role == SL_SESSION_SENDER ? capture_time_us (self, buffer) : -1);
}

void
sl_session_record_voice (SlSession *self, gboolean own, GstBuffer *buffer)
{
  g_autoptr (SlRecorder) rec = take_recorder (self);

  if (rec != NULL && gst_buffer_get_size (buffer) > 0)
    sl_recorder_add_voice (rec, own, buffer);
}
