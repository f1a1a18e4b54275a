/* sl-stage.c — see sl-stage.h. */
#include "sl-stage.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void
sl_stage_init (SlStage *stage)
{
  memset (stage, 0, sizeof *stage);
  for (guint i = 0; i < SL_STAGE_RING; i++)
    stage->pts[i] = GST_CLOCK_TIME_NONE;
}

void
sl_stage_begin (SlStage *stage, GstClockTime pts, gint64 now_us)
{
  if (!GST_CLOCK_TIME_IS_VALID (pts))
    return;
  stage->pts[stage->head] = pts;
  stage->begin_us[stage->head] = now_us;
  stage->head = (stage->head + 1) % SL_STAGE_RING;
}

gdouble
sl_stage_end (SlStage *stage, GstClockTime pts, gint64 now_us)
{
  gdouble ms;

  if (!GST_CLOCK_TIME_IS_VALID (pts))
    return -1;
  for (guint i = 0; i < SL_STAGE_RING; i++)
    if (stage->pts[i] == pts)
      {
        stage->pts[i] = GST_CLOCK_TIME_NONE;
        ms = (now_us - stage->begin_us[i]) / 1000.0;
        sl_stage_add (stage, ms);
        return ms;
      }
  return -1;
}

void
sl_stage_add (SlStage *stage, gdouble ms)
{
  if (stage->n < SL_STAGE_WINDOW)
    stage->window_ms[stage->n++] = ms;
}

static int
compare_doubles (const void *a, const void *b)
{
  gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;

  return (x > y) - (x < y);
}

gdouble
sl_percentile (gdouble *values, guint n, gdouble p)
{
  guint rank;

  if (n == 0)
    return 0;
  qsort (values, n, sizeof *values, compare_doubles);
  /* Nearest rank: the smallest value with at least p % of the values at
   * or below it. */
  rank = (guint)ceil (CLAMP (p, 0, 100) / 100.0 * n);
  return values[rank > 0 ? rank - 1 : 0];
}

gdouble
sl_stage_take_median (SlStage *stage)
{
  gdouble median;

  if (stage->n == 0)
    return -1;
  median = sl_percentile (stage->window_ms, stage->n, 50);
  stage->n = 0;
  return median;
}
