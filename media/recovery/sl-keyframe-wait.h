/* sl-keyframe-wait.h — keep asking for a keyframe until one comes.
 *
 * After a loss of video the viewer's depayloader drops every picture
 * until a keyframe (its wait-for-keyframe) and asks the township for one
 * (its request-keyframe, sent as a PLI or FIR): once, when the
 * discontinuity reaches it.  Nothing acknowledges that request but the
 * keyframe itself, and it can come to nothing:
 *
 * - the township's rtpsession (GStreamer 1.22,
 *   rtp_session_request_local_key_unit) passes on at most one request
 *   per two round trips and drops the others without a word.  Behind a
 *   full uplink queue that round trip is hundreds of milliseconds, and
 *   the keyframe made for the request it passed on can be lost in the
 *   same queue: the request that this loss prompts is then dropped;
 * - the request travels in RTCP, which a lossy downlink can lose.
 *
 * The depayloader then waits for a keyframe nobody will make until the
 * encoder's own, up to key-int-max (ten seconds) later, however good the
 * link has become: the picture freezes while video keeps arriving.
 *
 * So the viewer asks again, every SL_KEYFRAME_WAIT_REPEAT_MS, for as long
 * as the depayloader waits.  The township sets the pace of keyframes (its
 * rtpsession's window and its own limit of one per SL_KEYFRAME_GAP_MS,
 * rate/sl-keyframe.h): a request it does not act on costs one small RTCP
 * packet, never a keyframe more than it allows, and the first request
 * after its window has passed is served.  Asking more often than it can
 * make keyframes would only add packets, so the two intervals are the
 * same.
 *
 * The waiting is read from the depayloader's edges: it begins with a
 * buffer marked DISCONT going in (the depayloader asks once itself then)
 * and ends with a keyframe coming out (a buffer without DELTA_UNIT).
 *
 * Pure: plain C, no clock of its own (times are passed in, microseconds
 * of any monotonic clock), no allocation.  Not thread-safe: the session's
 * probes on the depayloader call it from the one streaming thread that
 * feeds it (recovery/sl-session-recovery.c).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How long a request may stay unanswered before the next: the township's
 * SL_KEYFRAME_GAP_MS. */
#define SL_KEYFRAME_WAIT_REPEAT_MS 300

typedef struct
{
  gboolean waiting; /* the depayloader waits for a keyframe */
  gint64 asked_us;  /* when a keyframe was last asked for */
  guint64 repeats;  /* requests made again, total */
} SlKeyframeWait;

void sl_keyframe_wait_init (SlKeyframeWait *wait);

/* A buffer marked DISCONT went into the depayloader at @now_us: it waits
 * for a keyframe from now on and has just asked for one. */
void sl_keyframe_wait_discont (SlKeyframeWait *wait, gint64 now_us);

/* A picture came out of the depayloader; @keyframe: it was one, and the
 * wait is over. */
void sl_keyframe_wait_picture (SlKeyframeWait *wait, gboolean keyframe);

/* Whether to ask again at @now_us (a packet goes in): TRUE once the last
 * request has been unanswered for SL_KEYFRAME_WAIT_REPEAT_MS while the
 * depayloader still waits; the caller then asks, and it counts as asked. */
gboolean sl_keyframe_wait_due (SlKeyframeWait *wait, gint64 now_us);

G_END_DECLS
