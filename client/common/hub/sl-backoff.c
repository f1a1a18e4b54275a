/* sl-backoff.c — see sl-backoff.h. */
#include "sl-backoff.h"

guint
sl_backoff_delay_ms (guint attempt, gdouble jitter)
{
  guint delay = SL_BACKOFF_MAX_MS;

  if (attempt < 5 && (SL_BACKOFF_BASE_MS << attempt) < SL_BACKOFF_MAX_MS)
    delay = SL_BACKOFF_BASE_MS << attempt;
  jitter = CLAMP (jitter, 0.0, 1.0);
  return (guint)(delay * (0.8 + 0.4 * jitter));
}
