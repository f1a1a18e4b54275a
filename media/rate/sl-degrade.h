/* sl-degrade.h — what the encoder does with the bitrate it is allowed.
 *
 * When the rate controller (sl-bwe.h) lowers the target, something has
 * to give.  For a probe image the order is fixed: the frame rate stays
 * (the expert steers the sonographer's hand by what moves on screen, and
 * a jerky image makes the coaching oscillate), so the picture gets
 * smaller first, down a ladder of sizes derived from the source: full,
 * 3/4, 1/2 and 3/8 of the width and height (about 56 %, 25 % and 14 % of
 * the area), even dimensions, none below a minimum height.  A size is
 * left when the bits per pixel per frame drop below a "down" threshold,
 * and won back only when the larger size would get at least an "up"
 * threshold (higher, so the two never chase each other) and that has
 * held for the dwell time; two changes are never closer than the dwell
 * time either, because each change costs a keyframe.
 *
 * Below a configured diagnostic floor bitrate the image is no longer
 * good enough to diagnose from: the policy cannot create bandwidth, so
 * it raises `below_floor`, which both stations show to their users, and
 * lowers it again only above the floor plus 10 % so the warning does not
 * flicker.
 *
 * Pure: plain C, no clock of its own (the caller passes the time), no
 * allocation.  The caller owns the struct and serialises calls.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SL_DEGRADE_MAX_STEPS 4

/* The voice and the control channel, with their packet overhead: taken
 * off the controller's target before the video gets its share, and added
 * to the video's configured rate to make the controller's ceiling. */
#define SL_DEGRADE_RESERVE_BPS 80000
/* Video held below this share of its configured rate is "constrained":
 * the link, not the user's setting, decides the picture. */
#define SL_DEGRADE_CONSTRAINED 0.7

typedef struct
{
  guint width;
  guint height;
} SlDegradeSize;

typedef struct
{
  guint src_width, src_height; /* the probe image as captured */
  gdouble fps;                 /* kept in every decision */
  guint floor_bps;   /* diagnostic floor (default 500 kbit/s; 0: none) */
  guint reserve_bps; /* taken off the target first: audio, data, FEC */
  gdouble bpp_down;  /* step down below this (default 0.05) */
  gdouble bpp_up;    /* step up from this at the larger size (0.08) */
  gint64 dwell_us;   /* between changes, and stable before up (4 s) */
  guint min_height;  /* smallest ladder height (default 180) */
} SlDegradeConfig;

typedef struct
{
  guint bitrate_bps;     /* for the encoder */
  guint width, height;   /* output size */
  gdouble fps;           /* always the configured frame rate */
  guint level;           /* 0: full size */
  gboolean below_floor;  /* show the "image below diagnostic quality" flag */
  gboolean size_changed; /* the size differs from the previous decision */
} SlDegradeDecision;

typedef struct
{
  SlDegradeConfig config;
  SlDegradeSize ladder[SL_DEGRADE_MAX_STEPS];
  guint n_steps;
  guint level;
  gboolean below_floor;
  gboolean have_change;
  gint64 last_change_us;
  gboolean up_pending;
  gint64 up_since_us;
} SlDegrade;

/* Fills @config with the defaults above for a @width × @height source at
 * @fps frames per second. */
void sl_degrade_config_init (SlDegradeConfig *config, guint width, guint height,
                             gdouble fps);

/* The user's own choice of size and bitrate is never "too few bits": a
 * picture configured at 1080p and 2 Mbit/s (0.032 bits per pixel, below
 * the default thresholds) must stay at full size while the link carries
 * the configured @video_bps, and only step down when the controller gives
 * less.  Lowers the thresholds, when needed, to just below what
 * @video_bps gives at full size (up: 0.95 of it, down: 0.75). */
void sl_degrade_config_fit_rate (SlDegradeConfig *config, guint video_bps);

/* Sets up @degrade at full size.  Nonsensical values in @config are
 * replaced by sane ones (an "up" threshold not above "down" is raised to
 * 1.5 × "down"). */
void sl_degrade_init (SlDegrade *degrade, const SlDegradeConfig *config);

/* The ladder, for display or tests: returns the number of sizes. */
guint sl_degrade_get_ladder (const SlDegrade *degrade,
                             const SlDegradeSize **ladder);

/* Decides for @target_bps at @now_us (any monotonic clock). */
void sl_degrade_update (SlDegrade *degrade, guint target_bps, gint64 now_us,
                        SlDegradeDecision *decision);

/* The part of the controller's @target_bps left for the video and its
 * reserve when FEC adds @fec_percent packets per 100 of video: FEC takes
 * its share of the target first. */
guint sl_degrade_share_after_fec (guint target_bps, guint fec_percent);

/* Whether the link holds the video well below its configured rate: the
 * encoder's @encoder_kbps with FEC's @fec_percent on top (FEC's share is
 * the link's too) below SL_DEGRADE_CONSTRAINED of @configured_kbps.
 * FEC alone never makes a link look constrained. */
gboolean sl_degrade_is_constrained (guint encoder_kbps, guint fec_percent,
                                    guint configured_kbps);

G_END_DECLS
