/* sl-fec.h — repair lost video packets from ULPFEC as they arrive.
 *
 * When the round trip is long, the township adds ULPFEC packets (RFC 5109)
 * to its video, in RED (RFC 2198), through webrtcbin's own encoders: each
 * one is the XOR of a run of a frame's packets, so any one packet of the
 * run that is lost can be rebuilt from the others (sl-session-fec.c says
 * when and how much).
 *
 * GStreamer 1.22 rebuilds packets only after the jitter buffer: its
 * rtpulpfecdec waits for the jitter buffer to give a packet up as lost.
 * With NACK on, the jitter buffer first asks for the packet again and
 * waits for its latency, a round trip or two, so a packet FEC could have
 * rebuilt at once holds every frame behind it for as long as a
 * retransmission would have, and FEC saves no time at all.  With NACK off,
 * the few packets FEC cannot rebuild (two lost in one run) cost a keyframe
 * each, a round trip and more of frozen picture.
 *
 * So the viewer rebuilds in front of the jitter buffer: this core sees
 * every packet of the stream on its way in, remembers the last
 * SL_FEC_WINDOW media packets, and when a FEC packet (or a packet that
 * completes one's run) leaves exactly one packet of a run missing,
 * rebuilds it.  The session hands the rebuilt packet to the jitter
 * buffer, which takes it as a late arrival: it cancels its retransmission
 * request and lets the frame out.  Packets FEC cannot rebuild are still
 * asked for with NACK.
 *
 * The township strips header extensions before the FEC encoder (see
 * sl-session-fec.c), so the packets were protected without them; this
 * core leaves them out of its arithmetic too, and rebuilt packets have
 * none.  Timestamps, marker and payload type are rebuilt; the SSRC is the
 * FEC packet's own (in RED, FEC and media share the stream).
 *
 * Plain C on the packets' bytes, no pipeline.  Not thread-safe: one
 * streaming thread at a time.  Every packet is outside input: anything
 * malformed is ignored, never trusted (fuzz target tests/fuzz/fuzz-fec.c).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Media packets remembered: about a second of video at 4 Mbit/s, which
 * covers any run a FEC packet can protect (48 packets at most). */
#define SL_FEC_WINDOW 512

/* FEC packets kept while two or more of their run are missing. */
#define SL_FEC_PENDING 64

typedef struct _SlFec SlFec;

SlFec *sl_fec_new (void);
void sl_fec_free (SlFec *fec);

/* Feeds one RTP packet as it arrives.  @fec_pt is the payload type of the
 * ULPFEC packets (after RED is undone); every other payload type is media.
 * Packets rebuilt because of it are appended to @recovered as GBytes
 * (transfer full), each a whole RTP packet, oldest first.  Returns FALSE
 * when the packet is not RTP or not a valid FEC packet; it is then ignored
 * (the caller passes it on regardless). */
gboolean sl_fec_push (SlFec *fec, const guint8 *data, gsize len, guint fec_pt,
                      GPtrArray *recovered);

/* Packets rebuilt so far. */
guint64 sl_fec_recovered (const SlFec *fec);
/* FEC packets received so far (valid ones). */
guint64 sl_fec_received (const SlFec *fec);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlFec, sl_fec_free)

G_END_DECLS
