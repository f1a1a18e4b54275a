/* sl-backoff.h — reconnection delays.
 *
 * Exponential back-off with jitter: attempt 0 waits about 0.5 s, each
 * further attempt doubles the wait up to 8 s, and each delay is spread by
 * ±20 % so that many stations cut off by one hub restart do not all return
 * in the same millisecond.  Pure; any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SL_BACKOFF_BASE_MS 500
#define SL_BACKOFF_MAX_MS 8000

/* @jitter is a uniform random number in [0, 1). */
guint sl_backoff_delay_ms (guint attempt, gdouble jitter);

G_END_DECLS
