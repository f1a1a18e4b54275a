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

typedef struct
{
  guint gap_ms;
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

/* A keyframe the sender makes for its own reasons (a new connection, a
 * new picture size) at @now_us: the gap counts from it too. */
void sl_keyframe_limit_made (SlKeyframeLimit *limit, gint64 now_us);

G_END_DECLS
