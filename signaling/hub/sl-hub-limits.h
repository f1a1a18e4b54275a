/* sl-hub-limits.h — how many connections the hub holds, from whom, and
 * how often it says so.
 *
 * Anyone who can reach the hub's port can open connections before proving
 * anything, so connections are counted before any byte is read: in total
 * and per source.  A source is an IPv4 address, or an IPv6 /64 prefix —
 * one subscriber is routinely given a whole /64, so counting single IPv6
 * addresses would limit nothing.  The log throttle keeps a flood of
 * refusals from becoming a flood of log lines: one line per interval, with
 * a count of the lines it swallowed.
 *
 * Plain values with no I/O; time is passed in.  Not thread-safe: use from
 * the hub's main context.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Defaults of `sonolink-hub serve` (docs/sonolink-hub.md). */
#define SL_HUB_DEFAULT_MAX_CONNECTIONS 512
#define SL_HUB_DEFAULT_MAX_PER_SOURCE 64

typedef enum
{
  SL_CONN_ADMIT,         /* counted; release it when it closes */
  SL_CONN_REFUSE_TOTAL,  /* the hub holds its maximum */
  SL_CONN_REFUSE_SOURCE, /* this source holds its maximum */
} SlConnVerdict;

typedef struct _SlConnLimits SlConnLimits;

/* Returns (transfer full) limits of @max_total connections, at most
 * @max_per_source of them from one source (both >= 1). */
SlConnLimits *sl_conn_limits_new (guint max_total, guint max_per_source);
void sl_conn_limits_free (SlConnLimits *limits);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlConnLimits, sl_conn_limits_free)

/* The source @address counts under (transfer full): "192.0.2.7",
 * "2001:db8:1:2::/64"; an IPv4-mapped IPv6 address counts as IPv4. */
gchar *sl_conn_limits_source (GInetAddress *address);

/* Decides on a new connection from @source and, when admitted, counts
 * it. */
SlConnVerdict sl_conn_limits_admit (SlConnLimits *limits, const gchar *source);

/* One admitted connection from @source has closed. */
void sl_conn_limits_release (SlConnLimits *limits, const gchar *source);

guint sl_conn_limits_get_total (SlConnLimits *limits);
guint sl_conn_limits_get_count (SlConnLimits *limits, const gchar *source);

/* At most one log line per @interval_us; a plain value. */
typedef struct
{
  gint64 interval_us;
  gint64 last_us; /* when a line was last allowed; 0: never */
  guint suppressed;
} SlLogThrottle;

#define SL_LOG_THROTTLE_INIT(interval_s)                                       \
  {                                                                            \
    (gint64) (interval_s) * G_USEC_PER_SEC, 0, 0                               \
  }

/* TRUE if a line may be logged at @now_us; then *@suppressed holds the
 * number of lines refused since the last one allowed.  FALSE counts one
 * more suppressed line. */
gboolean sl_log_throttle_allow (SlLogThrottle *throttle, gint64 now_us,
                                guint *suppressed);

G_END_DECLS
