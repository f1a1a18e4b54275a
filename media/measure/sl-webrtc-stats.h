/* sl-webrtc-stats.h — the few numbers a session keeps of webrtcbin's
 * statistics report.
 *
 * webrtcbin answers "get-stats" with an RTCStats-style report
 * (https://www.w3.org/TR/webrtc-stats/): one GstStructure per outbound,
 * inbound, remote-inbound stream, codec and transport.  The session keeps
 * bytes and packets each way, losses, the RTCP round trip and jitter, and
 * which SSRC is the video.  Pure; any thread; unit-tested on hand-made
 * reports (tests/unit/media/test-stats.c).
 */
#pragma once

#include "sl-session.h"

G_BEGIN_DECLS

/* The longest round trip believed, in ms.  GStreamer 1.22's rtpsource
 * computes the RTCP round trip as now - LSR - DLSR from the 32-bit
 * middle of NTP times; a report block whose LSR does not match the
 * sender report it names, or whose DLSR exceeds now - LSR under load,
 * gives 0 or a figure of many minutes (one status line under load said
 * 1531633.5 ms while the link's was 250 ms).  No link we serve has a
 * round trip of a minute, so a figure over this, or not over 0, is no
 * round trip: it is dropped before any display or decision sees it. */
#define SL_WEBRTC_STATS_MAX_RTT_MS 60000.0

/* Whether @rtt_ms can be a round trip: over 0 and at most
 * SL_WEBRTC_STATS_MAX_RTT_MS. */
gboolean sl_webrtc_stats_rtt_plausible (gdouble rtt_ms);

/* Fills the RTP fields of @out from one webrtcbin stats report, leaving the
 * others as they are. */
void sl_webrtc_stats_parse (const GstStructure *report, SlSessionStats *out);

/* Copies the fields sl_webrtc_stats_parse fills from @from to @to. */
void sl_webrtc_stats_copy (const SlSessionStats *from, SlSessionStats *to);

G_END_DECLS
