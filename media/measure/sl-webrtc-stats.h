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

/* Fills the RTP fields of @out from one webrtcbin stats report, leaving the
 * others as they are. */
void sl_webrtc_stats_parse (const GstStructure *report, SlSessionStats *out);

/* Copies the fields sl_webrtc_stats_parse fills from @from to @to. */
void sl_webrtc_stats_copy (const SlSessionStats *from, SlSessionStats *to);

G_END_DECLS
