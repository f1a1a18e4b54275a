/* sl-frame-gate.c — frames dropped in front of the encoder at a lower
 * frame rate; see sl-frame-gate.h. */
#include "sl-frame-gate.h"

#include <string.h>

void
sl_frame_gate_init (SlFrameGate *gate)
{
  memset (gate, 0, sizeof *gate);
}

gboolean
sl_frame_gate_pass (SlFrameGate *gate, gint64 ts_us, gint64 interval_us,
                    gint64 source_interval_us)
{
  /* Half the source's interval of slack: a frame captured a little
   * early still makes the rate, the one before it never does. */
  gint64 slack = MAX (source_interval_us, 0) / 2;

  if (ts_us < 0 || interval_us <= 0)
    {
      gate->interval_us = 0;
      goto pass;
    }
  /* The first frame, time gone back (a new segment) or a new interval:
   * the grid starts again from the last frame that passed. */
  if (!gate->have_pass || ts_us < gate->last_pass_us)
    goto pass;
  if (interval_us != gate->interval_us)
    gate->due_us = gate->last_pass_us + interval_us;
  gate->interval_us = interval_us;
  if (ts_us >= gate->due_us - slack)
    goto pass;
  gate->dropped++;
  return FALSE;

pass:
  if (ts_us >= 0)
    {
      /* On the grid, unless the frame is a whole interval behind it (a
       * stalled capture): then from the frame itself. */
      gate->due_us = gate->have_pass && ts_us < gate->due_us + interval_us
                             && gate->interval_us == interval_us
                         ? gate->due_us + interval_us
                         : ts_us + interval_us;
      gate->interval_us = interval_us;
      gate->last_pass_us = ts_us;
      gate->have_pass = TRUE;
    }
  gate->passed++;
  return TRUE;
}
