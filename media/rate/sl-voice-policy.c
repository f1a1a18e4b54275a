/* sl-voice-policy.c — the voice's packing from the link's rate; see
 * sl-voice-policy.h. */
#include "sl-voice-policy.h"

#include <string.h>

/* A wider packing once the target has been this much above the
 * threshold that narrowed it, for this long. */
#define UP_MARGIN 1.3
#define UP_HOLD_US (3 * G_USEC_PER_SEC)

static const struct
{
  guint frame_ms, bitrate_bps;
  gboolean dtx;
  const gchar *name;
} packings[] = {
  [SL_VOICE_WIDE] = { 10, 32000, FALSE, "wide" },
  [SL_VOICE_MEDIUM] = { 20, 24000, FALSE, "medium" },
  [SL_VOICE_TIGHT] = { 60, 16000, TRUE, "tight" },
};

void
sl_voice_policy_init (SlVoicePolicy *policy)
{
  memset (policy, 0, sizeof *policy);
  policy->packing = SL_VOICE_WIDE;
}

void
sl_voice_policy_describe (SlVoicePacking packing, SlVoiceDecision *decision)
{
  guint frame_ms = packings[packing].frame_ms;
  guint packets = 1000 / frame_ms;
  guint voice_bytes = packings[packing].bitrate_bps / 8 * frame_ms / 1000;

  decision->packing = packing;
  decision->frame_ms = frame_ms;
  decision->bitrate_bps = packings[packing].bitrate_bps;
  decision->dtx = packings[packing].dtx;
  decision->cost_bps = packets * (voice_bytes + SL_VOICE_PACKET_OVERHEAD) * 8
                       + SL_VOICE_DATA_BPS;
  decision->changed = FALSE;
}

/* The packing a target calls for, without hysteresis. */
static SlVoicePacking
packing_for (gdouble target_bps)
{
  if (target_bps < SL_VOICE_TIGHT_BELOW_BPS)
    return SL_VOICE_TIGHT;
  if (target_bps < SL_VOICE_MEDIUM_BELOW_BPS)
    return SL_VOICE_MEDIUM;
  return SL_VOICE_WIDE;
}

void
sl_voice_policy_update (SlVoicePolicy *policy, guint target_bps, gint64 now_us,
                        SlVoiceDecision *decision)
{
  SlVoicePacking old = policy->packing;
  SlVoicePacking now = packing_for (target_bps);
  /* Up only to what the target affords with the margin. */
  SlVoicePacking up = packing_for (target_bps / UP_MARGIN);

  if (now > old)
    {
      policy->packing = now;
      policy->up_pending = FALSE;
    }
  else if (up < old)
    {
      if (!policy->up_pending)
        {
          policy->up_pending = TRUE;
          policy->up_since_us = now_us;
        }
      else if (now_us - policy->up_since_us >= UP_HOLD_US)
        {
          policy->packing = up;
          policy->up_pending = FALSE;
        }
    }
  else
    policy->up_pending = FALSE;
  sl_voice_policy_describe (policy->packing, decision);
  decision->changed = policy->packing != old;
  if (decision->changed)
    g_debug ("voice %s -> %s at %u bit/s", packings[old].name,
             packings[policy->packing].name, target_bps);
}

const gchar *
sl_voice_packing_name (SlVoicePacking packing)
{
  return (guint)packing < G_N_ELEMENTS (packings) ? packings[packing].name
                                                  : "invalid";
}
