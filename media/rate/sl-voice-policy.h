/* sl-voice-policy.h — how the voice is packed for the link it crosses.
 *
 * The township's voice shares the uplink with the picture.  At 10 ms
 * Opus frames (27 ms mouth to ear, docs/PERFORMANCE.md) it is 100 packets
 * a second, and on the wire each carries about 58 bytes of headers (IPv4,
 * UDP, RTP, the congestion-control extension, the SRTP tag) beside 40 of
 * voice: 78 kbit/s, a third of a 0.2 Mbit/s link.  Longer frames carry
 * the same voice in fewer packets: 20 ms frames at 24 kbit/s cost about
 * 47 kbit/s, 60 ms frames at 16 kbit/s about 24.  So the policy picks the
 * packing from the rate controller's target:
 *
 *   wide    10 ms, 32 kbit/s: the shortest delay, when the link has room
 *   medium  20 ms, 24 kbit/s
 *   tight   60 ms, 16 kbit/s and DTX (no packets through silence): the
 *           voice survives on a link of 0.1-0.3 Mbit/s, 50 ms later
 *
 * In-band FEC stays on at every packing (sl-loss.h sets how much loss it
 * covers).  A narrower packing is taken at once when the target falls
 * below its threshold; a wider one only once the target has been 30 %
 * above the threshold for 3 s, so the voice does not change packing at
 * every tooth of the controller's sawtooth (each change is seamless for
 * Opus, but the delay changes with it).  What the chosen packing costs on
 * the link, with the data channel and RTCP beside it, is what the video
 * must leave free (the degradation policy's reserve).
 *
 * Pure: plain C, no allocation, no clock of its own.  The caller owns the
 * struct and serialises calls.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  SL_VOICE_WIDE,
  SL_VOICE_MEDIUM,
  SL_VOICE_TIGHT,
} SlVoicePacking;

/* Below these targets (everything sent, bit/s) the packing narrows. */
#define SL_VOICE_MEDIUM_BELOW_BPS 1000000
#define SL_VOICE_TIGHT_BELOW_BPS 400000
/* Bytes of headers a voice packet carries on the wire: IPv4 20, UDP 8,
 * RTP 12, the transport-wide sequence number 8, the SRTP tag 10. */
#define SL_VOICE_PACKET_OVERHEAD 58
/* The control and guidance channels' steady traffic and RTCP, counted
 * with the voice. */
#define SL_VOICE_DATA_BPS 8000

typedef struct
{
  SlVoicePacking packing;
  guint frame_ms;    /* Opus frame duration */
  guint bitrate_bps; /* Opus bitrate */
  gboolean dtx;      /* no packets through silence */
  guint cost_bps;    /* voice on the wire, with the data channels and RTCP */
  gboolean changed;  /* differs from the previous decision */
} SlVoiceDecision;

typedef struct
{
  SlVoicePacking packing;
  gboolean up_pending;
  gint64 up_since_us;
} SlVoicePolicy;

/* Starts at the wide packing (a session starts at its full rate). */
void sl_voice_policy_init (SlVoicePolicy *policy);

/* Decides for the controller's @target_bps at @now_us (any monotonic
 * clock). */
void sl_voice_policy_update (SlVoicePolicy *policy, guint target_bps,
                             gint64 now_us, SlVoiceDecision *decision);

/* The settings and cost of @packing, as a decision would give them. */
void sl_voice_policy_describe (SlVoicePacking packing,
                               SlVoiceDecision *decision);

/* "wide", "medium", "tight". */
const gchar *sl_voice_packing_name (SlVoicePacking packing);

G_END_DECLS
