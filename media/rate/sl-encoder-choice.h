/* sl-encoder-choice.h — the x264 settings the picture gets, within a CPU
 * budget the station measures.
 *
 * Measured on real ultrasound at zero latency (tests/bench/fidelity.py,
 * docs/PERFORMANCE.md): x264's `ultrafast` preset turns off CABAC, the
 * deblocking filter, the 8x8 transform and intra partitions in P frames,
 * and grey speckle becomes flat blocks.  Turning those four back on buys
 * 3.5 dB at 1 Mbit/s on a 720p clip for about the same encode time, and
 * costs more time where bits are many (CABAC works per bit); `superfast`
 * with adaptive quantisation off (AQ costs speckle about 1 dB of PSNR)
 * adds a few tenths of a decibel more for about 1.5 times the time.
 * Slower presets buy little more without look-ahead.  Three levels:
 *
 *   FAST    ultrafast + intra 4x4 partitions: the least CPU
 *           (Constrained Baseline's tools); the partitions buy 1.8-2.6 dB
 *           at 720p and 4 Mbit/s for a few tenths of a millisecond
 *   BASE    ultrafast + CABAC, deblocking (0,0), intra 4x4 partitions
 *   STRONG  superfast, AQ off
 *
 * No level uses the 8x8 transform: every level is Main profile, which a
 * browser station can take (sl-encoder-choice.c).
 *
 * The encode time a frame may take depends on the bits per pixel: where
 * bits are scarce (under SL_ENCODER_SCARCE_BPP: 1 Mbit/s at 720p30) a
 * better encode is worth a few milliseconds of latency; where they are
 * plenty (SL_ENCODER_PLENTY_BPP and over: 4 Mbit/s at 720p30) the latency
 * goal rules.  The choice is the strongest level whose predicted time fits
 * the budget, FAST if none does.  The prediction is FAST's cost per pixel
 * on this machine, learnt from the encoder's own timing of the level in
 * force (scaled by the levels' relative costs), times the picture's
 * pixels.  When the level in force stays over its budget for
 * SL_ENCODER_OVER_S seconds running (a loaded machine, a busier picture),
 * the caller is told that a lighter level is due.
 *
 * The level follows the bitrate: when the rate controller's bitrate or
 * picture size makes another level the choice for SL_ENCODER_SWITCH_S
 * seconds running, the encoder is reopened with it (a keyframe and new
 * parameter sets, at most once every SL_ENCODER_SWITCH_GAP_S seconds):
 * SlEncoderSwitch decides when.  Every level makes Main profile (FAST's
 * tools are a subset of Main's), so the caps, the payloader's
 * profile-level-id and the SDP stay what was negotiated.
 *
 * Pure: plain C, no clock, no allocation.  Not thread-safe: the caller
 * serialises calls.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  SL_ENCODER_FAST,
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
 * plenty.  The last keeps 720p at FAST: the 4 Mbit/s latency goal (p50
 * 7 ms glass to glass) has no room for more. */
#define SL_ENCODER_BUDGET_SCARCE_MS 10.0
#define SL_ENCODER_BUDGET_MID_MS 6.0
#define SL_ENCODER_BUDGET_PLENTY_MS 3.0

/* Seconds over budget, running, before the level is chosen again. */
#define SL_ENCODER_OVER_S 3

/* Seconds another level must stay the choice, running, before the
 * encoder is reopened with it, and the least seconds between two
 * reopenings: each costs a keyframe. */
#define SL_ENCODER_SWITCH_S 3
#define SL_ENCODER_SWITCH_GAP_S 10

/* x264enc settings of one level. */
typedef struct
{
  guint speed_preset;   /* x264enc's "speed-preset" value */
  const gchar *preset;  /* its name */
  const gchar *options; /* x264 option-string (static) */
  const gchar *profile; /* the H.264 profile it makes, as caps name it */
} SlEncoderSettings;

typedef struct
{
  gdouble fast_ns_per_pixel; /* learnt wall time of FAST per pixel */
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

/* The strongest level that fits the budget, FAST if none does. */
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

/* When to reopen the encoder with another level. */
typedef struct
{
  SlEncoderLevel wanted; /* the last choice that differed */
  guint wanted_s;        /* seconds it has been the choice, running */
  guint since_s;         /* seconds since the encoder was last opened */
} SlEncoderSwitch;

void sl_encoder_switch_init (SlEncoderSwitch *sw);

/* Once a second, with the level in force and the one chosen for this
 * second's bitrate and picture: TRUE when the encoder is to be reopened
 * with @choice now. */
gboolean sl_encoder_switch_tick (SlEncoderSwitch *sw, SlEncoderLevel current,
                                 SlEncoderLevel choice);

/* The x264enc settings of @level. */
const SlEncoderSettings *sl_encoder_settings (SlEncoderLevel level);

/* "fast", "base", "strong". */
const gchar *sl_encoder_level_name (SlEncoderLevel level);

G_END_DECLS
