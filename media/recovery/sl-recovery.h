/* sl-recovery.h — the settings of webrtcbin's loss-recovery elements.
 *
 * NACK/RTX repairs a lost video packet in one round trip
 * (recovery/sl-session-recovery.c sets the elements up).  GStreamer's
 * defaults are made for a generic call; each value here was changed for a
 * measured reason, given beside it.  Plain values and one pure function;
 * any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A jitter buffer starts passing a new stream's packets once this many
 * came in order.  By default it holds a new stream's first packet for its
 * whole latency (80 ms at the start of a session, before anything is
 * measured) in case an earlier one is still on its way, and the viewer's
 * decoding branch, made when the first packet comes out, only then
 * begins (first video packet to its branch: 87-306 ms before, 2-30 ms
 * after, three runs each; docs/PERFORMANCE.md, "Start-up").  Two packets
 * in order are evidence enough; one that arrives after them out of order
 * is handled as at any other time. */
#define SL_RECOVERY_FASTSTART_PACKETS 2

/* A lost video packet is asked for again at most this many times. */
#define SL_RECOVERY_RTX_MAX_RETRIES 3

/* The sender keeps a second of packets for retransmission, not
 * rtprtxsend's last 100: a keyframe at 4 Mbit/s is over 100 packets sent
 * at once, so the default forgot its first packets before their NACK
 * could come, the expert could only ask for another keyframe, and that
 * one was as big (every freeze under 2 % loss began this way). */
#define SL_RECOVERY_RTX_HISTORY_MS 1000

/* The viewer's regular RTCP reports come at least every 0.25-0.75 s
 * (RFC 4585's T_rr), which leaves early feedback (NACK, PLI, congestion
 * feedback) free to go as soon as it is due. */
#define SL_RECOVERY_RTCP_MIN_INTERVAL_MS 500

/* The viewer's packet store keeps this much for FEC repair. */
#define SL_RECOVERY_FEC_STORE_MS 500

/* The viewer's RTCP budget for a video of @video_kbps, in the unit
 * rtpsession's "rtcp-fraction" takes.  rtpsession sizes its RTCP budget
 * from the bit rates it has measured of the senders, so for the first
 * seconds of a session it has almost none, and with the regular interval
 * at its 5 s default an early packet may wait for the next regular one:
 * in the first 6 s, NACK to retransmission took a median 90 ms at a 32 ms
 * round trip, against 36-38 ms later, and under 2 % loss a third to two
 * thirds of the first 10 s of pictures were lost to keyframe requests.
 * 5 % of the video's bit rate is what rtpsession's own estimate gives
 * once it has measured the township (its interval settles near 7 ms); a
 * fixed 25 or 5 kB/s delayed feedback for the whole session.  Measured:
 * docs/PERFORMANCE.md, "Loss recovery". */
gdouble sl_recovery_rtcp_budget (guint video_kbps);

G_END_DECLS
