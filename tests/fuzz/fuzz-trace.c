/* fuzz-trace.c — fuzzes the link emulator's delivery-trace parser.
 *
 * Trace files come from outside (measurement campaigns, converters).
 * Beyond "does not crash": a rejection must come with an SL_LINKEM_ERROR;
 * an accepted trace must be non-empty, non-decreasing, within the limits
 * and repeat with its last timestamp; and a link driven by it must let
 * packets out only at its opportunities, in order, and never more bytes
 * by a time than its opportunities up to then carry (1504 bytes each,
 * shared by small packets, spanned by large ones; a packet costs its
 * length and a 4-byte header).
 */
#include <stdlib.h>

#include "../linkem/linkem-core.h"
#include "sl-fuzz.h"

static void
check_trace (const SlLinkemTrace *trace)
{
  guint n;
  const guint32 *times = sl_linkem_trace_get_times (trace, &n);

  if (n == 0 || n > SL_LINKEM_TRACE_MAX_OPPORTUNITIES
      || sl_linkem_trace_get_period_ms (trace) != times[n - 1]
      || times[n - 1] == 0 || times[n - 1] > SL_LINKEM_TRACE_MAX_MS)
    abort ();
  for (guint i = 1; i < n; i++)
    if (times[i] < times[i - 1])
      abort ();
}

/* Is @ms (from the start) one of @trace's opportunities? */
static gboolean
is_opportunity (const SlLinkemTrace *trace, gint64 ms)
{
  guint n;
  const guint32 *times = sl_linkem_trace_get_times (trace, &n);
  guint32 period = times[n - 1];
  gint64 rest = ms % period;

  for (guint i = 0; i < n; i++)
    if (times[i] == rest || (rest == 0 && ms > 0 && times[i] == period))
      return TRUE;
  return FALSE;
}

/* How many opportunities @trace has at or before @ms (from the start):
 * every line of each whole repetition before, and the lines of the
 * current one up to its offset. */
static guint64
opportunities_by (const SlLinkemTrace *trace, gint64 ms)
{
  guint n;
  const guint32 *times = sl_linkem_trace_get_times (trace, &n);
  guint32 period = times[n - 1];
  guint64 count = (guint64)(ms / period) * n;

  for (guint i = 0; i < n && times[i] <= ms % period; i++)
    count++;
  return count;
}

/* Offers 64 packets of 1 to 3316 bytes, spaced and sized by the input's
 * bytes, and checks when they leave. */
static void
drive (SlLinkemTrace *trace, const uint8_t *data, size_t size)
{
  SlLinkemConfig config;
  g_autoptr (SlLinkemCore) core = NULL;
  gint64 now = 0, last = -1;
  guint64 bytes_out = 0;
  guint expect = 1;
  gsize len;
  gpointer p;

  sl_linkem_config_init (&config);
  config.trace = trace;
  core = sl_linkem_core_new (&config, 1, 0, NULL, NULL);
  if (core == NULL)
    abort ();
  for (guint i = 0; i < 64; i++)
    {
      now += (size > 0 ? data[i % size] : 1) * 997;
      len = 1 + (size > 0 ? data[(i * 7 + 3) % size] : 0) * 13;
      sl_linkem_core_push (core, now, GUINT_TO_POINTER (i + 1), len);
    }
  while ((now = sl_linkem_core_next_us (core)) != G_MAXINT64)
    {
      p = sl_linkem_core_pop (core, now, &len);
      if (p == NULL || GPOINTER_TO_UINT (p) != expect++ || now < last
          || now % 1000 != 0 || !is_opportunity (trace, now / 1000))
        abort ();
      bytes_out += len + SL_LINKEM_TRACE_HEADER_BYTES;
      if (bytes_out
          > opportunities_by (trace, now / 1000) * SL_LINKEM_TRACE_PACKET_BYTES)
        abort ();
      last = now;
    }
  if (sl_linkem_core_get_counters (core)->out.packets != 64)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SlLinkemTrace) trace = NULL;

  trace = sl_linkem_trace_parse ((const gchar *)data, size, &error);
  if (trace == NULL)
    {
      if (error == NULL || error->domain != SL_LINKEM_ERROR)
        abort ();
      return 0;
    }
  check_trace (trace);
  drive (trace, data, size);
  return 0;
}
