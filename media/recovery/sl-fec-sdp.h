/* sl-fec-sdp.h — the ULPFEC payload type a peer's SDP offers.
 *
 * The township offers the video with RED and ULPFEC (webrtcbin's fec-type
 * ULP_RED); the expert repairs from FEC packets of that payload type as
 * they arrive (sl-fec.h), so it reads the type from the offer:
 * "a=rtpmap:<pt> ulpfec/90000" in the video m-line.  The SDP comes from
 * the peer: only a whole number below 128 followed by " ulpfec/" counts.
 * Pure; any thread; unit-tested in tests/unit/media/test-fec-sdp.c.
 */
#pragma once

#include <gst/sdp/sdp.h>

G_BEGIN_DECLS

/* The payload type of the first video m-line's ULPFEC, or -1 if none. */
gint sl_fec_sdp_ulpfec_pt (const GstSDPMessage *sdp);

G_END_DECLS
