/* sl-playout-delay.h — the playout-delay RTP header extension
 * (http://www.webrtc.org/experiments/rtp-hdrext/playout-delay), as a
 * GstRTPHeaderExtension that the township's video payloader takes: it
 * puts the extension in the payloader's caps, and so in the offer.  The
 * payloader's copy on each packet does not survive the FEC chain (RED
 * drops header extensions); recovery/sl-session-fec.c writes the same
 * three bytes (sl_playout_delay_pack) on every video packet after RED.
 *
 * The sender tells the receiver the least and the most time it may hold
 * a picture before showing it: 12 bits each, in units of 10 ms, three
 * bytes.  A browser station (Chromium) that answers the extension then
 * sizes its jitter buffer within those bounds instead of by its own
 * smoothness target, and with both at 0 shows each picture as soon as it
 * is decoded, as the C expert does (docs/browser-station.md).  The C
 * expert's jitter buffer reads nothing from it.
 *
 * GStreamer 1.22 has no element for this extension; this one is made
 * with g_object_new, not registered as a plugin feature.
 */
#pragma once

#include <gst/rtp/rtp.h>

G_BEGIN_DECLS

#define SL_PLAYOUT_DELAY_URI                                                   \
  "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"
/* The most either bound can say: 12 bits of 10 ms. */
#define SL_PLAYOUT_DELAY_MAX_MS 40950

#define SL_TYPE_PLAYOUT_DELAY (sl_playout_delay_get_type ())
G_DECLARE_FINAL_TYPE (SlPlayoutDelay, sl_playout_delay, SL, PLAYOUT_DELAY,
                      GstRTPHeaderExtension)

/* A new extension (a full reference, not floating) that asks for @min_ms
 * to @max_ms (rounded down to 10 ms,
 * at most SL_PLAYOUT_DELAY_MAX_MS; @min_ms at most @max_ms), with the
 * extension id @id (1..14). */
GstRTPHeaderExtension *sl_playout_delay_new (guint id, guint min_ms,
                                             guint max_ms);

/* The three bytes of the extension for @min_ms and @max_ms, and back:
 * FALSE if @size is not 3.  Plain functions, for tests. */
void sl_playout_delay_pack (guint min_ms, guint max_ms, guint8 out[3]);
gboolean sl_playout_delay_unpack (const guint8 *data, gsize size, guint *min_ms,
                                  guint *max_ms);

G_END_DECLS
