/* linkem-core.c — the link model of sl-linkem (see linkem-core.h).
 *
 * Everything about a packet is decided when it is offered: the bottleneck
 * gives it the time it would leave (the end of its serialisation on a
 * rate-limited link, or the delivery opportunity that carries its last
 * byte on a trace), the loss model and the jitter draw follow, and the
 * packet is filed by the time it is due.  Deciding early is equivalent to
 * simulating the queue step by step, because the queue is first-in
 * first-out and its service does not depend on later arrivals; it keeps
 * the core a pure function of its inputs.  The bottleneck keeps, for the queue limits, a
 * record of the bytes that have not left it yet.
 *
 * The three random streams (random loss, bursts, jitter) are separate
 * GRand generators, so that switching on jitter does not change which
 * packets are lost for a given seed.
 */
#include "linkem-core.h"

#include <string.h>

/* G_DEFINE_QUARK makes its first argument the domain's name. */
/* clang-format off */
G_DEFINE_QUARK (sl-linkem-error-quark, sl_linkem_error)
/* clang-format on */

/* ---- Traces ---- */

struct _SlLinkemTrace
{
  grefcount ref;
  guint n;
  guint32 times[]; /* ms, non-decreasing, times[n - 1] > 0 */
};

static gboolean
is_blank (gchar c)
{
  return c == ' ' || c == '\t' || c == '\r';
}

/* Parses one line of a trace into @value_out; @blank_out says whether the
 * line held nothing. */
static gboolean
parse_trace_line (const gchar *p, gsize len, guint line, guint32 *value_out,
                  gboolean *blank_out, GError **error)
{
  guint64 value = 0;

  while (len > 0 && is_blank (p[0]))
    p++, len--;
  while (len > 0 && is_blank (p[len - 1]))
    len--;
  *blank_out = len == 0;
  for (gsize i = 0; i < len; i++)
    {
      if (p[i] < '0' || p[i] > '9')
        {
          g_set_error (error, SL_LINKEM_ERROR, SL_LINKEM_ERROR_TRACE_MALFORMED,
                       "line %u: not a whole number of milliseconds", line);
          return FALSE;
        }
      value = value * 10 + (guint64)(p[i] - '0');
      if (value > SL_LINKEM_TRACE_MAX_MS)
        {
          g_set_error (error, SL_LINKEM_ERROR, SL_LINKEM_ERROR_TRACE_TOO_BIG,
                       "line %u: a timestamp beyond %u ms (24 hours)", line,
                       (guint)SL_LINKEM_TRACE_MAX_MS);
          return FALSE;
        }
    }
  *value_out = (guint32)value;
  return TRUE;
}

/* Checks the parsed values: present, and lasting more than 0 ms (mahimahi
 * refuses such a trace too: it would repeat forever within one instant). */
static gboolean
check_trace_values (GArray *times, GError **error)
{
  if (times->len == 0)
    {
      g_set_error (error, SL_LINKEM_ERROR, SL_LINKEM_ERROR_TRACE_EMPTY,
                   "the trace has no delivery opportunity");
      return FALSE;
    }
  if (g_array_index (times, guint32, times->len - 1) == 0)
    {
      g_set_error (error, SL_LINKEM_ERROR, SL_LINKEM_ERROR_TRACE_ZERO_LENGTH,
                   "the trace lasts 0 ms (its last timestamp must be above "
                   "0, it is the period of repetition)");
      return FALSE;
    }
  return TRUE;
}

SlLinkemTrace *
sl_linkem_trace_parse (const gchar *text, gsize len, GError **error)
{
  g_autoptr (GArray) times = NULL;
  SlLinkemTrace *trace;
  gsize pos = 0;
  guint line = 0;

  g_return_val_if_fail (text != NULL || len == 0, NULL);

  if (len > SL_LINKEM_TRACE_MAX_BYTES)
    {
      g_set_error (error, SL_LINKEM_ERROR, SL_LINKEM_ERROR_TRACE_TOO_BIG,
                   "the trace is larger than %u MiB",
                   (guint)(SL_LINKEM_TRACE_MAX_BYTES / (1024 * 1024)));
      return NULL;
    }
  times = g_array_new (FALSE, FALSE, sizeof (guint32));
  while (pos < len)
    {
      const gchar *nl = memchr (text + pos, '\n', len - pos);
      gsize end = nl ? (gsize)(nl - text) : len;
      guint32 value;
      gboolean blank;

      line++;
      if (!parse_trace_line (text + pos, end - pos, line, &value, &blank,
                             error))
        return NULL;
      pos = end + 1;
      if (blank)
        continue;
      if (times->len > 0
          && value < g_array_index (times, guint32, times->len - 1))
        {
          g_set_error (error, SL_LINKEM_ERROR, SL_LINKEM_ERROR_TRACE_DECREASING,
                       "line %u: %u ms comes before the line above it", line,
                       value);
          return NULL;
        }
      if (times->len >= SL_LINKEM_TRACE_MAX_OPPORTUNITIES)
        {
          g_set_error (error, SL_LINKEM_ERROR, SL_LINKEM_ERROR_TRACE_TOO_BIG,
                       "more than %u delivery opportunities",
                       (guint)SL_LINKEM_TRACE_MAX_OPPORTUNITIES);
          return NULL;
        }
      g_array_append_val (times, value);
    }
  if (!check_trace_values (times, error))
    return NULL;

  trace = g_malloc (sizeof (SlLinkemTrace) + times->len * sizeof (guint32));
  g_ref_count_init (&trace->ref);
  trace->n = times->len;
  memcpy (trace->times, times->data, times->len * sizeof (guint32));
  return trace;
}

SlLinkemTrace *
sl_linkem_trace_ref (SlLinkemTrace *trace)
{
  g_ref_count_inc (&trace->ref);
  return trace;
}

void
sl_linkem_trace_unref (SlLinkemTrace *trace)
{
  if (trace != NULL && g_ref_count_dec (&trace->ref))
    g_free (trace);
}

const guint32 *
sl_linkem_trace_get_times (const SlLinkemTrace *trace, guint *n_out)
{
  *n_out = trace->n;
  return trace->times;
}

guint32
sl_linkem_trace_get_period_ms (const SlLinkemTrace *trace)
{
  return trace->times[trace->n - 1];
}

/* The time, in ms from the start, of opportunity @k counted over all
 * repetitions: repetition k / n, line k % n.  As in mahimahi, the line at
 * the period's end and a 0 ms line of the next repetition are two
 * opportunities at the same instant. */
static guint64
trace_time_ms (const SlLinkemTrace *trace, guint64 k)
{
  return (k / trace->n) * sl_linkem_trace_get_period_ms (trace)
         + trace->times[k % trace->n];
}

/* The first line of @trace whose timestamp is at least @ms. */
static guint
trace_lower_bound (const SlLinkemTrace *trace, guint32 ms)
{
  guint lo = 0, hi = trace->n;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (trace->times[mid] < ms)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* The first opportunity at or after @ms.  At a whole number of periods
 * the previous repetition's last line comes first. */
static guint64
trace_first_at (const SlLinkemTrace *trace, guint64 ms)
{
  guint32 period = sl_linkem_trace_get_period_ms (trace);
  guint64 cycle = ms / period;
  guint32 rest = (guint32)(ms % period);

  if (rest == 0 && cycle > 0)
    return (cycle - 1) * trace->n + trace_lower_bound (trace, period);
  return cycle * trace->n + trace_lower_bound (trace, rest);
}

/* ---- Configuration ---- */

void
sl_linkem_config_init (SlLinkemConfig *config)
{
  memset (config, 0, sizeof (*config));
}

static gboolean
config_error (GError **error, const gchar *message)
{
  g_set_error_literal (error, SL_LINKEM_ERROR, SL_LINKEM_ERROR_CONFIG, message);
  return FALSE;
}

static gboolean
is_probability (gdouble p)
{
  return p >= 0.0 && p <= 1.0; /* also FALSE for NaN */
}

gboolean
sl_linkem_config_check (const SlLinkemConfig *c, GError **error)
{
  if (c->delay_us < 0 || c->delay_us > SL_LINKEM_MAX_DELAY_US)
    return config_error (error, "the delay must be from 0 to 60 s");
  if (c->jitter_us < 0 || c->jitter_us > SL_LINKEM_MAX_DELAY_US)
    return config_error (error, "the jitter must be from 0 to 60 s");
  if (!is_probability (c->loss))
    return config_error (error, "the loss must be from 0 to 100 %");
  if (!is_probability (c->burst_p_gb) || !is_probability (c->burst_p_bg))
    return config_error (error,
                         "burst-loss probabilities must be from 0 to 100 %");
  if (c->burst_p_gb > 0 && c->burst_p_bg <= 0)
    return config_error (error, "with bursts, P(bad → good) must be above 0 "
                                "or the link stays lost forever");
  if (c->rate_kbps > SL_LINKEM_MAX_RATE_KBPS)
    return config_error (error, "the rate must be at most 100 Gbit/s");
  if (c->rate_kbps > 0 && c->trace != NULL)
    return config_error (error, "a rate and a trace cannot both set the "
                                "capacity of one direction");
  if (c->queue_bytes > SL_LINKEM_MAX_QUEUE_BYTES)
    return config_error (error, "the queue must be at most 1 GiB");
  if (c->queue_us < 0 || c->queue_us > SL_LINKEM_MAX_QUEUE_US)
    return config_error (error, "the queue must be from 0 to 60 s");
  if (c->n_outages > SL_LINKEM_MAX_OUTAGES)
    return config_error (error, "at most 64 outages per direction");
  for (guint i = 0; i < c->n_outages; i++)
    if (c->outages[i].start_us < 0 || c->outages[i].length_us <= 0
        || c->outages[i].start_us > SL_LINKEM_MAX_RUN_US
        || c->outages[i].length_us > SL_LINKEM_MAX_RUN_US)
      return config_error (error, "an outage must start at 0 s or later "
                                  "and last more than 0 s");
  return TRUE;
}

/* ---- The core ---- */

/* A packet that has not left the bottleneck yet, for the queue limits. */
typedef struct
{
  gint64 depart_us;
  gsize len;
} Slot;

/* A packet held until it is due; its link sits in the delivery queue. */
typedef struct
{
  GList link;
  gint64 due_us;
  gpointer packet;
  gsize len;
} Held;

struct _SlLinkemCore
{
  SlLinkemConfig config; /* a copy; holds a ref on config.trace */
  gint64 epoch_us;       /* time 0 of outages and trace */
  GDestroyNotify packet_free;
  GRand *loss_rand, *burst_rand, *jitter_rand;
  gboolean burst_bad; /* the Gilbert–Elliott chain's state */

  /* The bottleneck.  Rate: when the link is done with the last packet
   * accepted, in ns from the epoch (ns so that rounding does not add up).
   * Trace: the first opportunity no packet has used yet, and the bytes
   * that the one before it (the one the last packet accepted left on)
   * still has for a packet queued by its time. */
  gint64 free_at_ns;
  guint64 free_at_rem; /* the fraction of a ns below it, in 1/rate_kbps */
  guint64 trace_next;
  guint32 trace_left; /* 0 when trace_next is 0 */
  /* Packets that arrive before this time (from the epoch) would queue
   * behind one that an outage flushed, so they are flushed too. */
  gint64 flushed_before_us;
  GArray *slots; /* Slot, in departure order, from slot_head on */
  guint slot_head;
  guint64 queued_bytes; /* sum of the slots' lengths */

  /* The delivery queue, sorted by due time (FIFO among equals). */
  GQueue deliveries;
  gint64 last_due_us;
  guint64 held_bytes;

  SlLinkemCounters counters;
};

static GRand *
new_stream (guint64 seed, guint32 stream)
{
  guint32 words[3] = { (guint32)seed, (guint32)(seed >> 32), stream };

  return g_rand_new_with_seed_array (words, G_N_ELEMENTS (words));
}

SlLinkemCore *
sl_linkem_core_new (const SlLinkemConfig *config, guint64 seed, gint64 now_us,
                    GDestroyNotify packet_free, GError **error)
{
  SlLinkemCore *core;

  if (!sl_linkem_config_check (config, error))
    return NULL;
  core = g_new0 (SlLinkemCore, 1);
  core->config = *config;
  if (config->trace != NULL)
    sl_linkem_trace_ref (config->trace);
  core->epoch_us = now_us;
  core->packet_free = packet_free;
  core->loss_rand = new_stream (seed, 1);
  core->burst_rand = new_stream (seed, 2);
  core->jitter_rand = new_stream (seed, 3);
  core->slots = g_array_new (FALSE, FALSE, sizeof (Slot));
  g_queue_init (&core->deliveries);
  core->last_due_us = G_MININT64;
  core->flushed_before_us = G_MININT64;
  return core;
}

void
sl_linkem_core_free (SlLinkemCore *core)
{
  GList *l;

  if (core == NULL)
    return;
  while ((l = g_queue_pop_head_link (&core->deliveries)) != NULL)
    {
      Held *h = l->data;

      if (core->packet_free != NULL)
        core->packet_free (h->packet);
      g_free (h);
    }
  sl_linkem_trace_unref (core->config.trace);
  g_rand_free (core->loss_rand);
  g_rand_free (core->burst_rand);
  g_rand_free (core->jitter_rand);
  g_array_unref (core->slots);
  g_free (core);
}

static void
count (SlLinkemCount *c, gsize len)
{
  c->packets++;
  c->bytes += len;
}

static gboolean
in_outage (const SlLinkemCore *core, gint64 rel_us)
{
  for (guint i = 0; i < core->config.n_outages; i++)
    {
      const SlLinkemOutage *o = &core->config.outages[i];

      if (rel_us >= o->start_us && rel_us - o->start_us < o->length_us)
        return TRUE;
    }
  return FALSE;
}

/* The earliest start of an outage that begins while a packet is in the
 * bottleneck, from after its arrival at @from_us to its departure at
 * @to_us, or G_MAXINT64 if none does. */
static gint64
outage_start_within (const SlLinkemCore *core, gint64 from_us, gint64 to_us)
{
  gint64 first = G_MAXINT64;

  for (guint i = 0; i < core->config.n_outages; i++)
    {
      gint64 start = core->config.outages[i].start_us;

      if (start > from_us && start <= to_us)
        first = MIN (first, start);
    }
  return first;
}

/* Forgets the slots of packets that have left the bottleneck by @now_us
 * and compacts the array now and then. */
static void
release_slots (SlLinkemCore *core, gint64 now_us)
{
  GArray *a = core->slots;

  while (core->slot_head < a->len
         && g_array_index (a, Slot, core->slot_head).depart_us <= now_us)
    {
      core->queued_bytes -= g_array_index (a, Slot, core->slot_head).len;
      core->slot_head++;
    }
  if (core->slot_head == a->len)
    {
      g_array_set_size (a, 0);
      core->slot_head = 0;
    }
  else if (core->slot_head > 1024 && core->slot_head > a->len / 2)
    {
      g_array_remove_range (a, 0, core->slot_head);
      core->slot_head = 0;
    }
}

/* What the bottleneck would do with a packet: when it starts being carried
 * (the end of its wait) and when it leaves, both from the epoch; and the
 * state to commit if it is taken. */
typedef struct
{
  gint64 start_us;
  gint64 depart_us;
  gint64 free_at_ns;
  guint64 free_at_rem;
  guint64 trace_next;
  guint32 trace_left;
} Plan;

/* A trace carries bytes, as mahimahi's link queue does (LinkQueue::
 * rationalize in src/frontend/link_queue.cc): each opportunity carries up
 * to SL_LINKEM_TRACE_PACKET_BYTES of the queue, spent on the packets in
 * line in order, each costing its length and the TUN header mahimahi
 * counts with it; a packet that does not fit in what is left takes it and
 * goes on in the next opportunities, and leaves with the one that carries
 * its last byte.  What an opportunity has left when the queue is empty is
 * lost.  So a packet queued by the time of the opportunity the last packet
 * left on starts in that opportunity's remaining bytes, and any other
 * starts with the first opportunity at or after its arrival that no packet
 * has used.  The arithmetic is O(1) whatever the idle time: no
 * opportunity is visited one by one. */
static void
plan_trace (const SlLinkemCore *core, gint64 rel_us, gsize len, Plan *plan)
{
  const SlLinkemTrace *trace = core->config.trace;
  const guint64 size = SL_LINKEM_TRACE_PACKET_BYTES;
  guint64 cost = (guint64)len + SL_LINKEM_TRACE_HEADER_BYTES;
  guint64 first = trace_first_at (trace, (guint64)(rel_us + 999) / 1000);
  guint64 k, room, more = 0;

  if (core->trace_left > 0 && core->trace_next - 1 >= first)
    {
      k = core->trace_next - 1;
      room = core->trace_left;
    }
  else
    {
      k = MAX (first, core->trace_next);
      room = size;
    }
  if (cost > room)
    {
      /* The bytes beyond the first opportunity's, in whole opportunities;
       * the last one keeps what the packet leaves of it. */
      more = (cost - room + size - 1) / size;
      room += more * size;
    }
  plan->start_us = (gint64)trace_time_ms (trace, k) * 1000;
  plan->depart_us = (gint64)trace_time_ms (trace, k + more) * 1000;
  plan->trace_next = k + more + 1;
  plan->trace_left = (guint32)(room - cost);
}

static void
plan_bottleneck (const SlLinkemCore *core, gint64 rel_us, gsize len, Plan *plan)
{
  guint64 kbps = core->config.rate_kbps;

  plan->free_at_ns = core->free_at_ns;
  plan->free_at_rem = core->free_at_rem;
  plan->trace_next = core->trace_next;
  plan->trace_left = core->trace_left;
  if (core->config.trace != NULL)
    plan_trace (core, rel_us, len, plan);
  else if (kbps > 0)
    {
      /* Serialisation: 8 × len bits at kbps × 1000 bit/s is
       * len × 8e6 / kbps ns.  Back to back, the remainder of the division
       * is carried on, so that the fractions do not add up to a drift. */
      gboolean busy = core->free_at_ns > rel_us * 1000;
      gint64 start_ns = busy ? core->free_at_ns : rel_us * 1000;
      guint64 num = (guint64)len * 8000000 + (busy ? core->free_at_rem : 0);

      plan->free_at_ns = start_ns + (gint64)(num / kbps);
      plan->free_at_rem = num % kbps;
      plan->start_us = (start_ns + 999) / 1000;
      plan->depart_us = (plan->free_at_ns + 999) / 1000;
    }
  else
    plan->start_us = plan->depart_us = rel_us;
}

static gboolean
queue_has_room (const SlLinkemCore *core, gint64 rel_us, gsize len,
                const Plan *plan)
{
  if (core->config.queue_bytes > 0
      && core->queued_bytes + len > core->config.queue_bytes)
    return FALSE;
  if (core->config.queue_us > 0
      && plan->start_us - rel_us > core->config.queue_us)
    return FALSE;
  return TRUE;
}

/* Advances the loss models by one packet; TRUE if it is lost. */
static gboolean
draw_loss (SlLinkemCore *core)
{
  gboolean lost = FALSE;

  if (core->config.loss > 0)
    lost = g_rand_double (core->loss_rand) < core->config.loss;
  if (core->config.burst_p_gb > 0)
    {
      gdouble p
          = core->burst_bad ? core->config.burst_p_bg : core->config.burst_p_gb;

      if (g_rand_double (core->burst_rand) < p)
        core->burst_bad = !core->burst_bad;
      lost = lost || core->burst_bad;
    }
  return lost;
}

/* When a packet that leaves the bottleneck at @depart_us is due. */
static gint64
draw_due (SlLinkemCore *core, gint64 depart_us)
{
  gint64 due = depart_us + core->config.delay_us;

  if (core->config.jitter_us > 0)
    {
      gint64 j = core->config.jitter_us;

      due += (gint64)g_rand_int_range (core->jitter_rand, 0,
                                       (gint32)(2 * j + 1))
             - j;
    }
  due = MAX (due, depart_us);
  if (!core->config.reorder)
    due = MAX (due, core->last_due_us);
  core->last_due_us = MAX (core->last_due_us, due);
  return due;
}

/* Files @h by due time: from the tail, since most packets go last. */
static void
insert_held (SlLinkemCore *core, Held *h)
{
  GList *l = core->deliveries.tail;

  while (l != NULL && ((Held *)l->data)->due_us > h->due_us)
    l = l->prev;
  h->link.data = h;
  if (l == NULL)
    g_queue_push_head_link (&core->deliveries, &h->link);
  else
    g_queue_insert_after_link (&core->deliveries, l, &h->link);
}

static SlLinkemVerdict
drop (SlLinkemCount *c, gsize len, SlLinkemVerdict verdict)
{
  count (c, len);
  return verdict;
}

SlLinkemVerdict
sl_linkem_core_push (SlLinkemCore *core, gint64 now_us, gpointer packet,
                     gsize len)
{
  SlLinkemCounters *c = &core->counters;
  gint64 rel_us = CLAMP (now_us - core->epoch_us, 0, SL_LINKEM_MAX_RUN_US);
  gint64 cut_us;
  Slot slot;
  Plan plan;
  Held *h;

  g_return_val_if_fail (packet != NULL, SL_LINKEM_DROP_FAILED);

  count (&c->in, len);
  if (in_outage (core, rel_us) || rel_us < core->flushed_before_us)
    return drop (&c->outage, len, SL_LINKEM_DROP_OUTAGE);
  release_slots (core, rel_us);
  plan_bottleneck (core, rel_us, len, &plan);
  if (!queue_has_room (core, rel_us, len, &plan))
    return drop (&c->overflow, len, SL_LINKEM_DROP_OVERFLOW);
  /* A packet still in the bottleneck when an outage begins is flushed,
   * even if some of its bytes were carried; it takes no link time, and
   * nothing that arrived before the outage may pass it. */
  cut_us = outage_start_within (core, rel_us, plan.depart_us);
  if (cut_us != G_MAXINT64)
    {
      core->flushed_before_us = MAX (core->flushed_before_us, cut_us);
      return drop (&c->outage, len, SL_LINKEM_DROP_OUTAGE);
    }

  /* The bottleneck takes it. */
  core->free_at_ns = plan.free_at_ns;
  core->free_at_rem = plan.free_at_rem;
  core->trace_next = plan.trace_next;
  core->trace_left = plan.trace_left;
  if (plan.depart_us > rel_us)
    {
      slot.depart_us = plan.depart_us;
      slot.len = len;
      g_array_append_val (core->slots, slot);
      core->queued_bytes += len;
    }

  if (draw_loss (core))
    return drop (&c->lost, len, SL_LINKEM_DROP_LOSS);
  if (core->held_bytes + len > SL_LINKEM_MAX_HELD_BYTES)
    return drop (&c->failed, len, SL_LINKEM_DROP_FAILED);

  h = g_new0 (Held, 1);
  h->due_us = core->epoch_us + draw_due (core, plan.depart_us);
  h->packet = packet;
  h->len = len;
  insert_held (core, h);
  core->held_bytes += len;
  return SL_LINKEM_ACCEPTED;
}

gpointer
sl_linkem_core_pop (SlLinkemCore *core, gint64 now_us, gsize *len_out)
{
  GList *l = core->deliveries.head;
  Held *h;
  gpointer packet;

  if (l == NULL || ((Held *)l->data)->due_us > now_us)
    return NULL;
  g_queue_unlink (&core->deliveries, l);
  h = l->data;
  packet = h->packet;
  *len_out = h->len;
  core->held_bytes -= h->len;
  count (&core->counters.out, h->len);
  g_free (h);
  return packet;
}

gint64
sl_linkem_core_next_us (const SlLinkemCore *core)
{
  GList *l = core->deliveries.head;

  return l ? ((Held *)l->data)->due_us : G_MAXINT64;
}

void
sl_linkem_core_count_failed (SlLinkemCore *core, gsize len)
{
  SlLinkemCounters *c = &core->counters;

  if (c->out.packets > 0)
    {
      c->out.packets--;
      c->out.bytes -= MIN (c->out.bytes, len);
    }
  count (&c->failed, len);
}

const SlLinkemCounters *
sl_linkem_core_get_counters (const SlLinkemCore *core)
{
  return &core->counters;
}

guint
sl_linkem_core_get_held (const SlLinkemCore *core, guint64 *bytes_out)
{
  if (bytes_out != NULL)
    *bytes_out = core->held_bytes;
  return core->deliveries.length;
}
