/* sl-frame-gate.h — which captured frames the encoder gets at a lower
 * frame rate.
 *
 * Below the smallest picture size the degradation policy (sl-degrade.h)
 * lowers the frame rate: 15, 10, then 5 frames a second from a 30 fps
 * probe.  The frames are dropped in front of the encoder, by their
 * capture timestamps, so that what is sent keeps the capture's own times
 * (the RTP timestamps, the expert's measured frame interval and the
 * latency stamps all stay right) and no element that holds a frame back
 * (videorate keeps one to compare with the next) enters the path of
 * every frame.  Frames are due on a grid one interval apart, and a frame
 * passes when it is less than half the source's interval before its
 * due time, so that capture jitter never turns 15 fps into
 * 10; after a gap (a stalled capture) or a new interval, the grid starts
 * again from the last frame that passed.
 *
 * Pure: plain C, no allocation, no clock of its own.  Not thread-safe:
 * one streaming thread calls sl_frame_gate_pass; the interval in force is
 * the caller's to publish (sl-session-rate.c keeps it in an atomic).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gint64 last_pass_us; /* timestamp of the last frame let through */
  gint64 due_us;       /* when the next one is due */
  gint64 interval_us;  /* the interval due_us was set with */
  gboolean have_pass;
  guint64 passed, dropped;
} SlFrameGate;

void sl_frame_gate_init (SlFrameGate *gate);

/* Whether the frame with timestamp @ts_us (any monotonic clock; < 0:
 * unknown, which always passes) goes to the encoder, when frames are to
 * be @interval_us apart (0: every frame) and the source sends one every
 * @source_interval_us. */
gboolean sl_frame_gate_pass (SlFrameGate *gate, gint64 ts_us,
                             gint64 interval_us, gint64 source_interval_us);

G_END_DECLS
