/* sl-jitter.h — how long the receive jitter buffer waits, from the link.
 *
 * With sinks that show a frame as soon as it is decoded, the jitter buffer
 * adds no delay while packets arrive in order: its latency is only how long
 * it waits for a missing or late packet before giving up on it.  That wait
 * must cover the link's jitter and, when packets are lost, a retransmission
 * (NACK then RTX: one round trip), but any more is freeze time the expert
 * sees for nothing.  webrtcbin's default is a fixed 200 ms; this sizes it
 * from what the session measures, once a second:
 *
 *   target = n × rtt + 4 × jitter + frame + margin, clamped to [floor, ceiling]
 *
 * where "frame" is one frame interval for video: when the last packet of
 * a frame is lost, nothing says so until the next frame's first packet
 * arrives, and only then can the retransmission be asked for; and n is the
 * number of round trips waited for: two for video, so that a NACK or a
 * retransmission that is itself lost gets a second chance (at 2 % loss
 * each way one lost packet in 25 would otherwise stay lost, and each
 * costs the expert a freeze until the next keyframe).  For the same
 * reason the session raises the video's ceiling to 800 ms while FEC is
 * arriving, that is while the round trip is long and packets are lost
 * (sl-session-fec.c says why not always).
 * (four times the RFC 3550 interarrival jitter, a smoothed mean deviation,
 * covers the tail of a roughly normal delay spread), rising at once when
 * the link gets worse and falling by at most a tenth a second, so one good
 * second does not undo it.  Plain C, no pipeline; sl-session-jitter.c
 * applies it to the session's jitter buffers.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint floor_ms;    /* never below (default 20) */
  guint ceiling_ms;  /* never above (default 400, or the initial value) */
  guint margin_ms;   /* scheduling and decode slack (default 10) */
  guint frame_ms;    /* one frame interval for video, 0 otherwise (default) */
  guint round_trips; /* round trips waited for (default 1) */
  guint current_ms;  /* the target in force; 0 before the first update */
} SlJitterPolicy;

/* Sets @policy to the defaults, starting from @initial_ms (the configured
 * latency, used until measurements arrive). */
void sl_jitter_policy_init (SlJitterPolicy *policy, guint initial_ms);

/* Feeds one second's measurements (@rtt_ms or @jitter_ms < 0: unknown) and
 * returns the new target in milliseconds.  Unknown measurements keep the
 * current target. */
guint sl_jitter_policy_update (SlJitterPolicy *policy, gdouble rtt_ms,
                               gdouble jitter_ms);

G_END_DECLS
