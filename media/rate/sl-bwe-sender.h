/* sl-bwe-sender.h — the rate controller plugged into webrtcbin's send path.
 *
 * SlBweSender is the element a session returns from webrtcbin's
 * "request-aux-sender" signal.  webrtcbin links it between its rtprtxsend
 * and rtpbin's RTP session, so every RTP packet of that transport passes
 * through it (untouched) and the session's transport-wide congestion
 * control feedback reaches it: GStreamer 1.22's rtpsession turns each
 * received TWCC RTCP message into a custom upstream event named
 * "RTPTWCCPackets" pushed out of its send_rtp_sink pad, that is into our
 * src pad.  Its "packets" field is a GValueArray of "RTPTWCCPacket"
 * structures with seqnum (uint), local-ts and remote-ts (guint64 ns;
 * remote-ts is GST_CLOCK_TIME_NONE when lost), payload-type (guchar),
 * size (uint, RTP payload bytes) and lost (boolean).  Each event feeds
 * the plain-C controller of sl-bwe.h; the result is the read-only
 * "target-bitrate" property (bit/s, notified when it changes), a
 * "resumptions" count (notified when feedback comes back after a second
 * or more without: the link back after an outage) and a "stats"
 * structure.  The event is then passed on upstream unchanged.
 *
 * Feedback only exists when the transport-wide-cc RTP header extension
 * is negotiated: the caller adds "rtphdrexttwcc" to the payloader (see
 * docs/rate-control.md); webrtcbin 1.22 advertises rtcp-fb transport-cc
 * by itself but does not add the extension.
 *
 * Threads: feedback events arrive on rtpbin's RTCP thread, buffers on
 * the sending streaming thread, properties from anywhere; a mutex guards
 * the controller.  "notify::target-bitrate" is emitted from the RTCP or
 * the streaming thread: handlers must only hand the value over to their
 * own main context (g_main_context_invoke) and never block.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define SL_TYPE_BWE_SENDER (sl_bwe_sender_get_type ())
G_DECLARE_FINAL_TYPE (SlBweSender, sl_bwe_sender, SL, BWE_SENDER, GstElement)

/* Returns (transfer floating) a sender starting at @start_bps within
 * [@min_bps, @max_bps] (0: the defaults of sl_bwe_config_init()).  Any
 * thread. */
GstElement *sl_bwe_sender_new (guint min_bps, guint max_bps, guint start_bps);

/* The current target in bit/s, as the property.  Any thread. */
guint sl_bwe_sender_get_target_bitrate (SlBweSender *self);

/* Returns (transfer full) the controller's state as an "SlBweStats"
 * structure (fields in docs/rate-control.md).  Any thread. */
GstStructure *sl_bwe_sender_get_stats (SlBweSender *self);

G_END_DECLS
