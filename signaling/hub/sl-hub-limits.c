/* sl-hub-limits.c — how many connections the hub holds, from whom, and
 * how often it says so.
 *
 * Counts live in a hash table keyed by source; an entry disappears with
 * its last connection, so a scan of many addresses costs memory only
 * while its connections are open (and those are bounded by the total).
 */
#include "sl-hub-limits.h"

#include <string.h>

struct _SlConnLimits
{
  guint max_total;
  guint max_per_source;
  guint total;
  GHashTable *per_source; /* source → count (GUINT_TO_POINTER), owned keys */
};

SlConnLimits *
sl_conn_limits_new (guint max_total, guint max_per_source)
{
  SlConnLimits *limits = g_new0 (SlConnLimits, 1);

  g_return_val_if_fail (max_total >= 1 && max_per_source >= 1, NULL);
  limits->max_total = max_total;
  limits->max_per_source = max_per_source;
  limits->per_source
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return limits;
}

void
sl_conn_limits_free (SlConnLimits *limits)
{
  if (limits == NULL)
    return;
  g_hash_table_unref (limits->per_source);
  g_free (limits);
}

gchar *
sl_conn_limits_source (GInetAddress *address)
{
  const guint8 *b;

  if (g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV6)
    return g_inet_address_to_string (address);
  b = g_inet_address_to_bytes (address);
  /* ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket. */
  if (memcmp (b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
    return g_strdup_printf ("%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
  return g_strdup_printf ("%x:%x:%x:%x::/64", b[0] << 8 | b[1],
                          b[2] << 8 | b[3], b[4] << 8 | b[5], b[6] << 8 | b[7]);
}

SlConnVerdict
sl_conn_limits_admit (SlConnLimits *limits, const gchar *source)
{
  guint count = sl_conn_limits_get_count (limits, source);

  if (limits->total >= limits->max_total)
    return SL_CONN_REFUSE_TOTAL;
  if (count >= limits->max_per_source)
    return SL_CONN_REFUSE_SOURCE;
  limits->total++;
  g_hash_table_replace (limits->per_source, g_strdup (source),
                        GUINT_TO_POINTER (count + 1));
  return SL_CONN_ADMIT;
}

void
sl_conn_limits_release (SlConnLimits *limits, const gchar *source)
{
  guint count = sl_conn_limits_get_count (limits, source);

  g_return_if_fail (count > 0 && limits->total > 0);
  limits->total--;
  if (count == 1)
    g_hash_table_remove (limits->per_source, source);
  else
    g_hash_table_replace (limits->per_source, g_strdup (source),
                          GUINT_TO_POINTER (count - 1));
}

guint
sl_conn_limits_get_total (SlConnLimits *limits)
{
  return limits->total;
}

guint
sl_conn_limits_get_count (SlConnLimits *limits, const gchar *source)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (limits->per_source, source));
}

gboolean
sl_log_throttle_allow (SlLogThrottle *throttle, gint64 now_us,
                       guint *suppressed)
{
  if (throttle->last_us != 0
      && now_us - throttle->last_us < throttle->interval_us)
    {
      throttle->suppressed++;
      return FALSE;
    }
  throttle->last_us = now_us;
  if (suppressed != NULL)
    *suppressed = throttle->suppressed;
  throttle->suppressed = 0;
  return TRUE;
}
