/* sl-encoder-choice.h — the x264 settings the picture gets, within a CPU
 * budget the station measures.
 *
 * Measured on real ultrasound at zero latency (tests/bench/fidelity.py,
 * docs/PERFORMANCE.md): x264's `ultrafast` preset turns off CABAC, the
 * deblocking filter, the 8x8 transform and intra partitions in P frames,
 * and grey speckle becomes flat blocks.  Turning those four back on
 * costs `ultrafast` almost nothing at 1 Mbit/s and about half again at
 * 4 Mbit/s (CABAC works per bit), and buys 3.5-4 dB; `superfast` with
 * adaptive quantisation off (AQ costs speckle about 1 dB of PSNR) adds
 * a further 0.2-0.5 dB for about 1.4 times the time.  Slower presets buy
 * little more without look-ahead.
 *
 * So there are three levels, all in x264's High profile (CABAC and the
 * 8x8 transform are on in every one, so the profile announced in the caps
 * and the SDP, SL_MEDIA_H264_PROFILE, holds whatever level is chosen):
 *
 *   LEAN    ultrafast + CABAC + 8x8 transform: the least CPU
 *   BASE    LEAN + deblocking (0,0) + intra 8x8/4x4 partitions
 *   STRONG  superfast, AQ off
 *
 * The encode time a frame may take depends on the bits per pixel: where
 * bits are scarce (under SL_ENCODER_SCARCE_BPP: 1 Mbit/s at 720p30) a
 * better encode is worth a few milliseconds of latency; where they are
 * plenty (SL_ENCODER_PLENTY_BPP and over: 4 Mbit/s at 720p30) the latency
 * goal rules.  The choice is the strongest level whose predicted time fits
 * the budget, LEAN if none does.  The prediction is LEAN's cost per pixel
 * on this machine, learnt from the encoder's own timing of the level in
 * force (scaled by the levels' relative costs), times the picture's
 * pixels.  When the level in force stays over its budget for
 * SL_ENCODER_OVER_S seconds running (a loaded machine, a busier picture),
 * the caller is told to choose again, which gives a lighter level.
 *
 * Pure: plain C, no clock, no allocation.  Not thread-safe: the caller
 * serialises calls.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  SL_ENCODER_LEAN,
  SL_ENCODER_BASE,
  SL_ENCODER_STRONG,
} SlEncoderLevel;

#define SL_ENCODER_N_LEVELS 3

/* Bits per pixel per frame under which bits are scarce, and from which
 * they are plenty. */
#define SL_ENCODER_SCARCE_BPP 0.05
#define SL_ENCODER_PLENTY_BPP 0.1

/* Encode time per frame allowed, milliseconds of the encoder's wall time
 * (its input to its output), where bits are scarce, in between, and
 * plenty. */
#define SL_ENCODER_BUDGET_SCARCE_MS 10.0
#define SL_ENCODER_BUDGET_MID_MS 6.0
#define SL_ENCODER_BUDGET_PLENTY_MS 4.0

/* Seconds over budget, running, before the level is chosen again. */
#define SL_ENCODER_OVER_S 3

/* x264enc settings of one level. */
typedef struct
{
  guint speed_preset;  /* x264enc's "speed-preset" value */
  const gchar *preset; /* its name */
  const gchar *options; /* x264 option-string (static) */
} SlEncoderSettings;

typedef struct
{
  gdouble lean_ns_per_pixel; /* learnt wall time of LEAN per pixel */
  guint over_s;              /* seconds over budget, running */
} SlEncoderBudget;

/* Starts from the cost measured on a 2-core development machine. */
void sl_encoder_budget_init (SlEncoderBudget *budget);

/* Encode time per frame allowed for a @width x @height picture at @fps
 * and @kbps, in milliseconds. */
gdouble sl_encoder_budget_ms (guint width, guint height, gdouble fps,
                              guint kbps);

/* Predicted encode time per frame of @level for that picture. */
gdouble sl_encoder_predicted_ms (const SlEncoderBudget *budget,
                                 SlEncoderLevel level, guint width,
                                 guint height);

/* The strongest level that fits the budget, LEAN if none does. */
SlEncoderLevel sl_encoder_choose (const SlEncoderBudget *budget, guint width,
                                  guint height, gdouble fps, guint kbps);

/* One second's median encode time, @encode_ms, of @current encoding a
 * @width x @height picture at @fps and @kbps.  Updates the learnt cost;
 * TRUE when @current has been over its budget for SL_ENCODER_OVER_S
 * seconds running and a choice made now is lighter than @current (the
 * count then starts again).  @encode_ms <= 0 (nothing encoded) is
 * ignored. */
gboolean sl_encoder_budget_measured (SlEncoderBudget *budget,
                                     SlEncoderLevel current, guint width,
                                     guint height, gdouble fps, guint kbps,
                                     gdouble encode_ms);

/* The x264enc settings of @level. */
const SlEncoderSettings *sl_encoder_settings (SlEncoderLevel level);

/* "lean", "base", "strong". */
const gchar *sl_encoder_level_name (SlEncoderLevel level);

G_END_DECLS
