/* sl-recovery.c — the settings of the loss-recovery elements.  See
 * sl-recovery.h. */
#include "sl-recovery.h"

gdouble
sl_recovery_rtcp_budget (guint video_kbps)
{
  return (gdouble)video_kbps * 1000 / 20;
}
