/* sl-degrade.h — what the encoder does with the bitrate it is allowed.
 *
 * When the rate controller (sl-bwe.h) lowers the target, something has
 * to give.  For a probe image the order is fixed: the frame rate stays as
 * long as it can (the expert steers the sonographer's hand by what moves
 * on screen, and a jerky image makes the coaching oscillate), so the
 * picture gets smaller first, down a ladder of sizes derived from the
 * source: full, 3/4, 1/2 and 3/8 of the width and height (about 56 %,
 * 25 % and 14 % of the area), even dimensions, none below a minimum
 * height.  Below the smallest size the frame rate gives way: a half, a
 * third and a fifth of the source's (15, 10 and 6 fps at 30), none below
 * a minimum rate.  On a link of a few hundred kbit/s a moving picture at
 * 6 fps is worth more than a full-rate one that the link's queue drops
 * (issue 13: 300 kbit/s held into a 200 kbit/s link froze the picture
 * for seconds at a time).
 *
 * The ladder's rungs are levels: 0 is the full size at the full rate,
 * then each smaller size, then the smallest size at each lower rate.  A
 * rung is left when the bits per pixel per frame drop below a "down"
 * threshold, and won back only when the upper rung would get at least an
 * "up" threshold (higher, so the two never chase each other) and that has
 * held for a while.  A change of size costs a keyframe: two are never
 * closer than the dwell time, and a larger size must have been
 * affordable for the dwell time.  A change of rate alone costs nothing
 * (the frames are dropped before the encoder): it waits only the shorter
 * rate dwell after any change, and a higher rate must have been
 * affordable for twice that.
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
/* Frame rates below the source's: at most this many rungs. */
#define SL_DEGRADE_MAX_RATES 3

/* The least the controller gives the video unless configured otherwise:
 * the smallest rung (3/8 of a 720p source at 6 fps) at about the "down"
 * threshold.  The floor follows the link down to it; a higher one (300
 * kbit/s before) is sent into a link that does not carry it, and its
 * queue drops what the picture needs (issue 13). */
#define SL_DEGRADE_MIN_VIDEO_BPS 40000
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
  gdouble fps;                 /* the source's frame rate */
  gdouble min_fps;             /* the lowest frame rate (default 5; <= 0 or not
                         below fps: the rate never changes) */
  guint floor_bps;      /* diagnostic floor (default 500 kbit/s; 0: none) */
  guint reserve_bps;    /* taken off the target first: audio, data, FEC */
  gdouble bpp_down;     /* step down below this (default 0.05) */
  gdouble bpp_up;       /* step up from this at the larger size (0.08) */
  gint64 dwell_us;      /* between size changes, stable before up (4 s) */
  gint64 rate_dwell_us; /* between any changes (1 s); a higher rate must
                           have been affordable for twice this */
  guint min_height;     /* smallest ladder height (default 180) */
} SlDegradeConfig;

typedef struct
{
  guint bitrate_bps;     /* for the encoder */
  guint width, height;   /* output size */
  gdouble fps;           /* frames per second to send */
  guint level;           /* 0: full size at the full rate */
  gboolean below_floor;  /* show the "image below diagnostic quality" flag */
  gboolean size_changed; /* the size differs from the previous decision */
  gboolean fps_changed;  /* the frame rate differs from the previous one */
} SlDegradeDecision;

typedef struct
{
  SlDegradeConfig config;
  SlDegradeSize ladder[SL_DEGRADE_MAX_STEPS];
  guint n_steps;
  gdouble rates[SL_DEGRADE_MAX_RATES]; /* below config.fps, falling */
  guint n_rates;
  guint level;
  gboolean below_floor;
  gboolean have_change, have_resize;
  gint64 last_change_us, last_resize_us;
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

/* What the voice and the data channels cost now (sl-voice-policy.h):
 * taken off the next targets first, never more than half of one. */
void sl_degrade_set_reserve (SlDegrade *degrade, guint reserve_bps);

/* The ladder, for display or tests: returns the number of sizes. */
guint sl_degrade_get_ladder (const SlDegrade *degrade,
                             const SlDegradeSize **ladder);

/* The number of levels (sizes, then lower rates at the smallest size),
 * and the size and frame rate of @level. */
guint sl_degrade_get_levels (const SlDegrade *degrade);
void sl_degrade_get_level (const SlDegrade *degrade, guint level,
                           SlDegradeSize *size, gdouble *fps);

/* Decides for @target_bps at @now_us (any monotonic clock). */
void sl_degrade_update (SlDegrade *degrade, guint target_bps, gint64 now_us,
                        SlDegradeDecision *decision);

/* Where the controller starts a session whose bounds are @min_bps ..
 * @max_bps.  A new consultation starts at the full rate: the controller
 * comes down within a few hundred milliseconds if the link cannot take
 * it, which costs less than a slow climb from thumbnail quality on a
 * link that can.  A session made again after its link failed (@resumed)
 * starts at a quarter of it: that link has just shown trouble, and on
 * the weak trace a remade session sent 4 Mbit/s into a few hundred
 * kbit/s for two to four seconds, dark at the expert, before it came
 * down; from a quarter, the start's fast climb (25 % a second) is back at
 * the full rate within about 6 s on a good link. */
guint sl_degrade_start_bps (guint min_bps, guint max_bps, gboolean resumed);

/* What x264 must be told for @kbps at @fps frames a second from a source
 * at @src_fps, with a VBV of @vbv_ms at the full rate.  With
 * tune=zerolatency x264 budgets each frame as bitrate / the caps' frame
 * rate, whatever the timestamps say (its VFR mode would wait for the next
 * frame to time the present one); the policy's lower rates drop frames in
 * front of it and leave the caps at the source's rate, so the bitrate it
 * is told is scaled up by src_fps / fps, and its VBV, counted in the same
 * scaled bits, down by fps / src_fps, to keep the same time of the link
 * (but never below two of its frames: below that, x264 undershoots by
 * half). */
void sl_degrade_x264_setting (guint kbps, gdouble fps, gdouble src_fps,
                              guint vbv_ms, guint *x264_kbps,
                              guint *x264_vbv_ms);

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
