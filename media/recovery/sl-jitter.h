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
 * reason the video's ceiling rises to 800 ms while FEC is arriving, that is
 * while the round trip is long and packets are lost
 * (sl_jitter_policy_set_fec says why not always).
 * (four times the RFC 3550 interarrival jitter, a smoothed mean deviation,
 * covers the tail of a roughly normal delay spread), rising at once when
 * the link gets worse and falling by at most a tenth a second, so one good
 * second does not undo it.  Plain C, no pipeline; sl-session-recovery.c
 * applies it to the session's jitter buffers.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The video's ceiling while FEC arrives (sl_jitter_policy_set_fec). */
#define SL_JITTER_FEC_CEILING_MS 800
/* The frame interval assumed until one is measured (30 fps), and the
 * range a measured one is taken in (120 fps .. 2 fps). */
#define SL_JITTER_DEFAULT_FRAME_MS 33
#define SL_JITTER_MIN_FRAME_MS 8
#define SL_JITTER_MAX_FRAME_MS 500

typedef struct
{
  guint floor_ms;        /* never below (default 20) */
  guint ceiling_ms;      /* never above: base_ceiling_ms, or more with FEC */
  guint base_ceiling_ms; /* default 400, or the initial value */
  guint margin_ms;       /* scheduling and decode slack (default 10) */
  guint frame_ms;    /* one frame interval for video, 0 otherwise (default) */
  guint round_trips; /* round trips waited for (default 1) */
  guint current_ms;  /* the target in force; 0 before the first update */
} SlJitterPolicy;

/* Sets @policy to the defaults, starting from @initial_ms (the configured
 * latency, used until measurements arrive). */
void sl_jitter_policy_init (SlJitterPolicy *policy, guint initial_ms);

/* The video's policy: one frame interval (SL_JITTER_DEFAULT_FRAME_MS until
 * sl_jitter_policy_set_frame_interval says otherwise) and two round trips,
 * so that a lost NACK or retransmission gets a second chance. */
void sl_jitter_policy_init_video (SlJitterPolicy *policy, guint initial_ms);

/* The mean interval between the video's frames as measured (ms; <= 0 or
 * not finite: unknown, which keeps the one in force), clamped to
 * SL_JITTER_MIN_FRAME_MS .. SL_JITTER_MAX_FRAME_MS: a source at 60 fps
 * waits half as long for the next frame's first packet as one at 30, one
 * that the rate controller slowed to 5 fps six times as long. */
void sl_jitter_policy_set_frame_interval (SlJitterPolicy *policy,
                                          gdouble interval_ms);

/* While FEC arrives (the township adds it only when the round trip is
 * long and packets are lost) the video may wait up to
 * SL_JITTER_FEC_CEILING_MS: up to a 380 ms round trip a second
 * retransmission then still fits, and when it does not come a keyframe
 * costs a round trip and more on top of the wait (at 250 ms and 2 %,
 * 95.2-99.1 % of frames decoded with 400 ms, 98.2-99.3 % with 800).
 * Without FEC the ceiling stays at the base: a long round trip without
 * FEC is mostly a queue filling up, where waiting longer only adds to the
 * delay (the uplink-step test's median latency after the step went from
 * 50-82 ms to 95-113 ms with 800 ms always). */
void sl_jitter_policy_set_fec (SlJitterPolicy *policy, gboolean fec_arriving);

/* Feeds one second's measurements (@rtt_ms or @jitter_ms < 0: unknown) and
 * returns the new target in milliseconds.  Unknown measurements keep the
 * current target. */
guint sl_jitter_policy_update (SlJitterPolicy *policy, gdouble rtt_ms,
                               gdouble jitter_ms);

G_END_DECLS
