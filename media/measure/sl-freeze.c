/* sl-freeze.c — freezes of the decoded picture.  See sl-freeze.h. */
#include "sl-freeze.h"

gboolean
sl_freeze_frame (SlFreeze *freeze, gint64 now_us)
{
  gdouble interval_ms, mean = freeze->interval_ms;
  gboolean ended = FALSE;

  if (freeze->last_frame_us > 0)
    {
      interval_ms = (now_us - freeze->last_frame_us) / 1000.0;
      if (mean > 0 && interval_ms > MAX (3 * mean, mean + 150))
        {
          freeze->freezes++;
          freeze->freeze_ms += interval_ms;
          freeze->longest_ms = MAX (freeze->longest_ms, interval_ms);
          freeze->last_end_us = now_us;
          freeze->last_ms = interval_ms;
          ended = TRUE;
        }
      else
        freeze->interval_ms
            = mean > 0 ? 0.9 * mean + 0.1 * interval_ms : interval_ms;
    }
  freeze->last_frame_us = now_us;
  return ended;
}
