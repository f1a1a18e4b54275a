/* sl-ratelimit.h — a token bucket, one per hub connection.
 *
 * The bucket holds up to @burst tokens and refills at @rate tokens a
 * second; each message takes one.  A burst allowance matters here because
 * trickle ICE sends a dozen candidates within milliseconds of an offer,
 * while a steady flood is what the limit is for.  Time is passed in by the
 * caller (monotonic microseconds) so that tests need no clock.  A plain
 * value type: no allocation, not thread-safe, use from one thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gdouble rate;   /* tokens added per second */
  gdouble burst;  /* bucket capacity */
  gdouble tokens; /* tokens available now */
  gint64 last_us; /* when tokens was last brought up to date */
} SlRateLimit;

/* Starts a full bucket at @now_us.  @rate must be > 0, @burst >= 1. */
void sl_rate_limit_init (SlRateLimit *limit, gdouble rate, guint burst,
                         gint64 now_us);

/* Takes one token at @now_us.  Returns FALSE (taking nothing) if the bucket
 * is empty, i.e. the caller exceeded the rate. */
gboolean sl_rate_limit_take (SlRateLimit *limit, gint64 now_us);

G_END_DECLS
