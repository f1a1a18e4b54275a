/* sl-encoder-choice.c — see sl-encoder-choice.h.
 *
 * The relative costs of the levels are the CPU times per frame measured
 * by tests/bench/fidelity.py on the 720p lightbeam clip (docs/
 * PERFORMANCE.md): BASE about FAST's at 1 Mbit/s and 1.3 times it at
 * 4 Mbit/s, STRONG 1.4-1.6 times FAST.  The larger figures are used: a
 * prediction that errs on the slow side costs a little quality, one that
 * errs on the fast side costs latency.
 *
 * The learnt cost is an exponentially weighted mean of each second's
 * median, so one odd second (a keyframe, another program's burst) moves
 * it by a quarter of its error.  A level is reopened only after it has
 * been the choice for SL_ENCODER_SWITCH_S seconds running and at most
 * once every SL_ENCODER_SWITCH_GAP_S seconds: a machine's load that comes
 * and goes, or a rate that hovers at a band's edge, costs a keyframe
 * every ten seconds at worst, never one a second.
 */
#include "sl-encoder-choice.h"

/* FAST's wall time per pixel on the 2-core development machine under
 * the usual load: 720p in about 2.8 ms. */
#define DEFAULT_FAST_NS_PER_PIXEL 3.0
/* Weight of a new second in the learnt cost. */
#define LEARN_WEIGHT 0.25
/* The frame rate assumed when the caller does not know it. */
#define DEFAULT_FPS 30.0

static const gdouble relative_cost[SL_ENCODER_N_LEVELS] = { 1.0, 1.3, 1.6 };

/* x264enc's speed-preset values: 1 ultrafast, 2 superfast.
 *
 * Main profile for every level, FAST too: x264 then marks FAST's stream
 * Main (its tools are Constrained Baseline's, a subset), and a session
 * whose encoder is reopened at another level keeps the profile its SDP
 * negotiated; a change of profile-level-id in the payloader's caps would
 * ask webrtcbin for a new negotiation.
 *
 * Main profile, not High: Chromium's H.264 receive capabilities hold
 * Constrained Baseline, Baseline, Main and High 4:4:4 but not High, and
 * an offer whose only H.264 is High has its video refused by a browser
 * station, which then cannot answer at all (docs/browser-station.md).  The
 * 8x8 transform, High's one tool these settings used, cost BASE and
 * STRONG about 0.85 dB of PSNR on speckle at 720p and 1 Mbit/s (docs/
 * PERFORMANCE.md, "The browser station"). */
static const SlEncoderSettings settings[SL_ENCODER_N_LEVELS] = {
  { 1, "ultrafast", "weightp=1:partitions=i4x4", "main" },
  { 1, "ultrafast", "cabac=1:8x8dct=0:deblock=0,0:partitions=i4x4", "main" },
  { 2, "superfast", "aq-mode=0:8x8dct=0", "main" },
};

static const gchar *const level_names[SL_ENCODER_N_LEVELS]
    = { "fast", "base", "strong" };

void
sl_encoder_budget_init (SlEncoderBudget *budget)
{
  g_return_if_fail (budget != NULL);
  budget->fast_ns_per_pixel = DEFAULT_FAST_NS_PER_PIXEL;
  budget->over_s = 0;
}

gdouble
sl_encoder_budget_ms (guint width, guint height, gdouble fps, guint kbps)
{
  gdouble pixels = (gdouble)width * height;
  gdouble bpp;

  if (fps <= 0)
    fps = DEFAULT_FPS;
  if (pixels <= 0)
    return SL_ENCODER_BUDGET_PLENTY_MS;
  bpp = kbps * 1000.0 / (pixels * fps);
  if (bpp < SL_ENCODER_SCARCE_BPP)
    return SL_ENCODER_BUDGET_SCARCE_MS;
  if (bpp < SL_ENCODER_PLENTY_BPP)
    return SL_ENCODER_BUDGET_MID_MS;
  return SL_ENCODER_BUDGET_PLENTY_MS;
}

gdouble
sl_encoder_predicted_ms (const SlEncoderBudget *budget, SlEncoderLevel level,
                         guint width, guint height)
{
  g_return_val_if_fail (budget != NULL, 0);
  g_return_val_if_fail (level < SL_ENCODER_N_LEVELS, 0);
  return budget->fast_ns_per_pixel * width * height * relative_cost[level]
         / 1e6;
}

SlEncoderLevel
sl_encoder_choose (const SlEncoderBudget *budget, guint width, guint height,
                   gdouble fps, guint kbps)
{
  gdouble allowed = sl_encoder_budget_ms (width, height, fps, kbps);
  gint level;

  g_return_val_if_fail (budget != NULL, SL_ENCODER_FAST);
  for (level = SL_ENCODER_N_LEVELS - 1; level > SL_ENCODER_FAST; level--)
    if (sl_encoder_predicted_ms (budget, level, width, height) <= allowed)
      break;
  return (SlEncoderLevel)level;
}

gboolean
sl_encoder_budget_measured (SlEncoderBudget *budget, SlEncoderLevel current,
                            guint width, guint height, gdouble fps, guint kbps,
                            gdouble encode_ms)
{
  gdouble pixels = (gdouble)width * height, sample;

  g_return_val_if_fail (budget != NULL, FALSE);
  g_return_val_if_fail (current < SL_ENCODER_N_LEVELS, FALSE);
  if (encode_ms <= 0 || pixels <= 0)
    return FALSE;
  sample = encode_ms * 1e6 / (pixels * relative_cost[current]);
  budget->fast_ns_per_pixel
      += LEARN_WEIGHT * (sample - budget->fast_ns_per_pixel);
  if (encode_ms <= sl_encoder_budget_ms (width, height, fps, kbps))
    {
      budget->over_s = 0;
      return FALSE;
    }
  if (++budget->over_s < SL_ENCODER_OVER_S)
    return FALSE;
  budget->over_s = 0;
  if (sl_encoder_choose (budget, width, height, fps, kbps) >= current)
    return FALSE;
  g_debug ("encoding takes %.1f ms a frame at %ux%u, over its budget of "
           "%.1f ms: a lighter level than %s",
           encode_ms, width, height,
           sl_encoder_budget_ms (width, height, fps, kbps),
           level_names[current]);
  return TRUE;
}

void
sl_encoder_switch_init (SlEncoderSwitch *sw)
{
  g_return_if_fail (sw != NULL);
  sw->wanted = SL_ENCODER_FAST;
  sw->wanted_s = 0;
  sw->since_s = 0;
}

gboolean
sl_encoder_switch_tick (SlEncoderSwitch *sw, SlEncoderLevel current,
                        SlEncoderLevel choice)
{
  g_return_val_if_fail (sw != NULL, FALSE);
  g_return_val_if_fail (choice < SL_ENCODER_N_LEVELS, FALSE);
  sw->since_s++;
  if (choice == current)
    {
      sw->wanted_s = 0;
      return FALSE;
    }
  if (choice != sw->wanted)
    {
      sw->wanted = choice;
      sw->wanted_s = 0;
    }
  sw->wanted_s++;
  if (sw->wanted_s < SL_ENCODER_SWITCH_S
      || sw->since_s < SL_ENCODER_SWITCH_GAP_S)
    return FALSE;
  sw->wanted_s = 0;
  sw->since_s = 0;
  return TRUE;
}

const SlEncoderSettings *
sl_encoder_settings (SlEncoderLevel level)
{
  g_return_val_if_fail (level < SL_ENCODER_N_LEVELS, &settings[0]);
  return &settings[level];
}

const gchar *
sl_encoder_level_name (SlEncoderLevel level)
{
  g_return_val_if_fail (level < SL_ENCODER_N_LEVELS, "?");
  return level_names[level];
}
