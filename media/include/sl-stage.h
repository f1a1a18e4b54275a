/* sl-stage.h — how long frames spend in one stage of a pipeline.
 *
 * A stage is timed between two points that see the same frame, matched by
 * its timestamp: the encoder's input and output, the decoder's input and
 * output.  The begin point records (pts, time) in a small ring; the end
 * point looks the pts up and adds the duration to the current window, which
 * the stats poll turns into a median once a second.  This costs two pad
 * probes and no allocation per frame, so it runs in every session and the
 * status shows where the milliseconds go (docs/PERFORMANCE.md), not only
 * under a tracer.  Plain C; the caller serialises access (the session's
 * stats lock).
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define SL_STAGE_RING 16
#define SL_STAGE_WINDOW 256

typedef struct
{
  GstClockTime pts[SL_STAGE_RING];
  gint64 begin_us[SL_STAGE_RING];
  guint head;
  gdouble window_ms[SL_STAGE_WINDOW];
  guint n;
} SlStage;

void sl_stage_init (SlStage *stage);

/* A frame with @pts entered the stage at @now_us. */
void sl_stage_begin (SlStage *stage, GstClockTime pts, gint64 now_us);

/* The frame with @pts left the stage at @now_us; a pts never seen at the
 * begin point (or pushed out of the ring) is ignored.  Returns the
 * duration in ms, or -1. */
gdouble sl_stage_end (SlStage *stage, GstClockTime pts, gint64 now_us);

/* Adds a duration measured some other way to the window. */
void sl_stage_add (SlStage *stage, gdouble ms);

/* The @p-th percentile (0..100) of @values (sorted in place), by the
 * nearest-rank method; 0 if @n is 0.  Any thread. */
gdouble sl_percentile (gdouble *values, guint n, gdouble p);

/* Median of the window in ms (-1 if empty), and a new window. */
gdouble sl_stage_take_median (SlStage *stage);

G_END_DECLS
