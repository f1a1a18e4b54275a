/* sl-freeze.h — freezes of the decoded picture, by the W3C rule.
 *
 * webrtc-stats (https://www.w3.org/TR/webrtc-stats/, freezeCount) counts
 * a freeze when a frame comes more than max(3 × the mean frame interval,
 * the mean + 150 ms) after the one before.  The mean is an exponential
 * one (a tenth for each new interval) over the intervals that were not
 * freezes, so that one freeze does not hide the next.  The mean is also
 * the measured frame interval the video's jitter buffer waits for
 * (sl_jitter_policy_set_frame_interval).
 *
 * Pure: plain C, times passed in.  Not thread-safe: the session calls it
 * from the decoder's streaming thread under its own lock
 * (measure/sl-session-stats.c).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gint64 last_frame_us; /* 0: no frame yet */
  gdouble interval_ms;  /* mean interval between frames, 0: unknown */
  guint64 freezes;
  gdouble freeze_ms; /* total */
  gdouble longest_ms;
  /* The frame that ended the last freeze (0: none yet), and how long that
   * freeze lasted: when the picture came back, to the frame. */
  gint64 last_end_us;
  gdouble last_ms;
} SlFreeze;

/* One decoded frame at @now_us.  Returns TRUE when it ended a freeze. */
gboolean sl_freeze_frame (SlFreeze *freeze, gint64 now_us);

G_END_DECLS
