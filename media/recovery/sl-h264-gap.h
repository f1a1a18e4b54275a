/* sl-h264-gap.h — was the packet FEC could not recover video, or FEC?
 *
 * With ULPFEC in RED (RFC 5109, RFC 2198), the township's FEC packets
 * share the video stream's sequence numbers.  GStreamer's rtpulpfecdec
 * drops the FEC packets it receives and renumbers the media packets it
 * passes on, so that the depayloader sees no gaps where FEC packets were.
 * The price: when a packet is lost and cannot be rebuilt, rtpulpfecdec
 * cannot say whether it was video or FEC either, forwards the loss with
 * "might-have-been-fec", the depayloader ignores it, and the next
 * packets carry on in sequence.  rtph264depay then joins the pieces
 * around the hole into one picture and the decoder smears every frame
 * after it until the next keyframe, which nobody asks for.  (The VP8 and
 * VP9 depayloaders settle the question with the picture ID; H.264 has no
 * such field, and rtph264depay 1.22 does not try.)
 *
 * This settles it from the packets on either side of the loss.  The
 * township sends each frame's FEC packets after the frame's last packet,
 * the one with the RTP marker bit (rtpulpfecenc protects a frame when it
 * sees its marker).  So a lost packet can only have been FEC if
 *
 * - the packet before it ended a frame (marker set, no fragment left
 *   open), and
 * - the packet after it begins the next picture: a parameter set, SEI or
 *   access unit delimiter, or the first slice of a picture
 *   (first_mb_in_slice 0, ITU-T H.264 7.3.3), alone, first in a STAP-A
 *   or as the start of an FU-A (RFC 6184), and
 * - no whole frame is missing between the two: the RTP timestamps differ
 *   by no more than half as much again as the shortest recent frame
 *   interval.
 *
 * Anything else was video, and the packet after the loss is to be marked
 * as a discontinuity: rtph264depay then drops what it had, waits for a
 * keyframe and asks for one (its request-keyframe and wait-for-keyframe,
 * both set), exactly as it does when it sees a gap in the numbers.  The
 * one loss of video this cannot see is a parameter set sent ahead of a
 * keyframe's first slice; the decoder still has the ones before it, which
 * the township repeats unchanged.
 *
 * Plain C on the bytes of each packet, no pipeline; the session feeds it
 * from probes on the depayloader's sink pad (sl-session-media.c).  Not
 * thread-safe: one streaming thread at a time.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SL_H264_GAP_INTERVALS 8

typedef struct
{
  gboolean have_prev;  /* a packet has been seen */
  guint32 prev_ts;     /* its RTP timestamp */
  gboolean prev_ended; /* it had the marker and left no fragment open */
  guint lost;          /* unrecovered losses since it */
  guint32 intervals[SL_H264_GAP_INTERVALS]; /* recent frame intervals */
  guint n_intervals;
  guint next_interval;
  guint64 video_lost; /* losses judged video (packets) */
  guint64 fec_lost;   /* losses judged FEC (packets) */
} SlH264Gap;

void sl_h264_gap_init (SlH264Gap *gap);

/* One packet was lost and could not be recovered; which kind it was is
 * decided by the next packet. */
void sl_h264_gap_lost (SlH264Gap *gap);

/* The next packet in order, with its RTP timestamp, marker bit and
 * payload (@len bytes, may be 0).  Returns TRUE when losses since the
 * packet before were video: the caller marks this packet DISCONT. */
gboolean sl_h264_gap_packet (SlH264Gap *gap, guint32 rtp_ts, gboolean marker,
                             const guint8 *payload, gsize len);

/* Whether @payload (an RTP H.264 payload) begins a new picture, by the
 * rule above.  Exposed for the unit tests. */
gboolean sl_h264_gap_starts_picture (const guint8 *payload, gsize len);

G_END_DECLS
