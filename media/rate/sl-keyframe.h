/* sl-keyframe.h — keyframes on request, at most one per gap.
 *
 * The viewer asks for a keyframe (PLI or FIR) when it cannot decode; a
 * burst of loss makes it ask for every frame, and a keyframe for each
 * would fill the very link that lost them (a keyframe is several times
 * the size of a frame).  So the sender makes at most one keyframe on
 * request per gap_ms: a request that comes sooner is kept and served
 * when the gap has passed, never dropped, since the viewer is still
 * waiting for it.  The limiter also counts the requests it was asked.
 *
 * The gap grows with what a keyframe costs the link: on a weak uplink a
 * keyframe is a third of a second of the video's rate (its VBV) or more,
 * and three a second, which a burst of loss asks for, took the whole
 * link; the queue then dropped the keyframes' own packets, and the
 * viewer asked again (issue 13).  So keyframes made on request take at
 * most a third of the video's rate: the gap is at least three times the
 * last keyframe's size over the rate.  The first request after a quiet
 * spell is still served at once.
 *
 * Pure: plain C, no clock of its own (times are passed in, microseconds
 * of any monotonic clock), no allocation.  Not thread-safe: the session
 * (rate/sl-session-rate.c) calls it under its own lock, since requests
 * come on a streaming thread and deferred ones are served on the control
 * thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Fewest milliseconds between two keyframes made on request. */
#define SL_KEYFRAME_GAP_MS 300

/* Keyframes made on request take at most 1/this of the video's rate. */
#define SL_KEYFRAME_RATE_SHARE 3

typedef struct
{
  guint base_gap_ms; /* the least gap, whatever the cost */
  guint gap_ms;      /* the gap in force */
  gint64 last_us;    /* the last keyframe let through; 0: none yet */
  gboolean deferred; /* a request waits for the gap to pass */
  guint64 requests;  /* requests received, total */
} SlKeyframeLimit;

/* @gap_ms: 0 picks SL_KEYFRAME_GAP_MS. */
void sl_keyframe_limit_init (SlKeyframeLimit *limit, guint gap_ms);

typedef enum
{
  SL_KEYFRAME_NOW,     /* make one now (recorded as made) */
  SL_KEYFRAME_DEFER,   /* keep it: serve it in *wait_ms */
  SL_KEYFRAME_PENDING, /* one is kept already: this one joins it */
} SlKeyframeVerdict;

/* The viewer asks for a keyframe at @now_us.  On SL_KEYFRAME_DEFER,
 * *@wait_ms (1 .. gap_ms) says when the caller must call
 * sl_keyframe_limit_serve and make it. */
SlKeyframeVerdict sl_keyframe_limit_request (SlKeyframeLimit *limit,
                                             gint64 now_us, guint *wait_ms);

/* The kept request is served (a keyframe is made) at @now_us. */
void sl_keyframe_limit_serve (SlKeyframeLimit *limit, gint64 now_us);

/* The last keyframe was @keyframe_bits and the video now gets
 * @video_bps: the gap becomes at least SL_KEYFRAME_RATE_SHARE times the
 * time such a keyframe takes at that rate (and at most 3 s), never less
 * than the base gap.  0 for either: the base gap. */
void sl_keyframe_limit_set_cost (SlKeyframeLimit *limit, guint64 keyframe_bits,
                                 guint video_bps);

/* A keyframe the sender makes for its own reasons (a new connection, a
 * new picture size) at @now_us: the gap counts from it too. */
void sl_keyframe_limit_made (SlKeyframeLimit *limit, gint64 now_us);

G_END_DECLS
