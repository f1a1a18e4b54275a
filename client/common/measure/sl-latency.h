/* sl-latency.h — glass-to-glass latency, measured in the pictures.
 *
 * With `sonolink-township --latency-stamp`, the township writes its
 * monotonic clock (microseconds) into every frame at the moment the frame
 * is handed to the engine (the capture tap, before any encoder), as a stamp
 * in the picture's top-right corner (sl-stamp.h).  The expert reads the
 * stamp from every decoded picture and subtracts it from its own monotonic
 * clock.  Both clocks are the same clock when both stations run on one
 * machine (CLOCK_MONOTONIC is system-wide), which is how the latency
 * benchmark and the tests run them; across machines the figure is only
 * meaningful with synchronised clocks, and the stats say so.
 *
 * A damaged stamp is counted as unreadable, never misread (the stamp
 * carries a CRC-32).  The phantom's own frame-index stamp (top left) is
 * read too when present, so each measured frame can be matched to the
 * frame that was sent.
 *
 * Threading: sl_latency_stamp_frame and sl_latency_meter_check run on
 * streaming threads; the rest on the control thread.  The meter's lock
 * guards its window and totals.
 */
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>
#include <stdio.h>

G_BEGIN_DECLS

/* Capture tap (SlCaptureTap): writes the current monotonic time into
 * @buffer, an I420 frame of @info.  Frames too small for a second stamp
 * (under 640×64) are left alone. */
void sl_latency_stamp_frame (GstBuffer *buffer, const GstVideoInfo *info,
                             gpointer user_data);

typedef struct _SlLatencyMeter SlLatencyMeter;

/* Latency of the frames measured since the last sl_latency_meter_take. */
typedef struct
{
  guint frames;                   /* pictures whose latency stamp was read */
  guint unreadable;               /* pictures with no readable latency stamp */
  gdouble p50_ms, p95_ms, max_ms; /* over @frames; 0 if none */
  guint64 total_frames;           /* since the meter was made */
  guint64 total_unreadable;
} SlLatencyWindow;

/* Makes a meter.  If @log is not NULL, sl_latency_meter_take also appends
 * one line per measured picture to it: "INDEX LATENCY_US", INDEX being the
 * phantom's frame index or -1 (the caller keeps @log open and closes it). */
SlLatencyMeter *sl_latency_meter_new (FILE *log);
void sl_latency_meter_free (SlLatencyMeter *meter);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlLatencyMeter, sl_latency_meter_free)

/* Measures one decoded I420 picture; streaming thread, no blocking beyond
 * the meter's lock. */
void sl_latency_meter_check (SlLatencyMeter *meter, GstSample *sample);

/* Fills @out with the frames measured since the last call and starts a new
 * window; writes the window's lines to the log. */
void sl_latency_meter_take (SlLatencyMeter *meter, SlLatencyWindow *out);

/* Mouth-to-ear latency of the voice, measured the same way.
 *
 * With --latency-stamp the township also writes a click into its voice
 * each time the monotonic clock passes a whole second: 5 ms of a 3 kHz
 * tone at -2 dBFS, placed in the captured buffer at the sample that
 * corresponds to that instant (the buffer handed off at time T holds the
 * sound of the interval before T).  The expert finds the onset of each
 * click in the decoded voice (the first sample above half full scale after
 * at least half a second without one); the time that sample would be
 * played if the decoded buffer were played at once, minus the whole second
 * before it, is the latency: capture hand-off to decoder output, without
 * the sound card's own output buffer.  The schedule needs no message
 * between the stations; it assumes the latency is under a second, and a
 * click found 900 ms or more after a whole second is not counted. */

/* Capture audio tap (SlCaptureAudioTap): 48 kHz mono S16LE @buffer. */
void sl_latency_click_audio (GstBuffer *buffer, gpointer user_data);

typedef struct _SlClickMeter SlClickMeter;

SlClickMeter *sl_click_meter_new (void);
void sl_click_meter_free (SlClickMeter *meter);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlClickMeter, sl_click_meter_free)

/* Scans one decoded buffer (S16LE at the rate @caps give; first channel).
 * Streaming thread. */
void sl_click_meter_check (SlClickMeter *meter, GstBuffer *buffer,
                           GstCaps *caps);

/* Clicks found since the last call and the median of their latencies in
 * ms (0 if none); total since the start in @total. */
guint sl_click_meter_take (SlClickMeter *meter, gdouble *median_ms,
                           guint64 *total);

G_END_DECLS
