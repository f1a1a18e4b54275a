/* sl-ratelimit.c — a token bucket, one per hub connection.
 *
 * The bucket is refilled lazily: on each take, the time elapsed since the
 * last one is converted into tokens, capped at the burst size.  Time that
 * runs backwards (it should not, with a monotonic clock) adds nothing.
 */
#include "sl-ratelimit.h"

void
sl_rate_limit_init (SlRateLimit *limit, gdouble rate, guint burst,
                    gint64 now_us)
{
  g_return_if_fail (limit != NULL);
  g_return_if_fail (rate > 0);
  g_return_if_fail (burst >= 1);

  limit->rate = rate;
  limit->burst = burst;
  limit->tokens = burst;
  limit->last_us = now_us;
}

gboolean
sl_rate_limit_take (SlRateLimit *limit, gint64 now_us)
{
  if (now_us > limit->last_us)
    {
      gdouble elapsed_s = (gdouble)(now_us - limit->last_us) / G_USEC_PER_SEC;

      limit->tokens
          = MIN (limit->burst, limit->tokens + elapsed_s * limit->rate);
      limit->last_us = now_us;
    }
  /* The tolerance absorbs rounding in the refill: a caller exactly on
   * schedule must not be refused for want of 1e-15 of a token. */
  if (limit->tokens < 1.0 - 1e-9)
    return FALSE;
  limit->tokens = MAX (0.0, limit->tokens - 1.0);
  return TRUE;
}
