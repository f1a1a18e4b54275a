/* test-linkem-core.c — the link model of linkem-core.h on synthetic
 * packet sequences, with the clock in the test's hands: delay, jitter and
 * reordering, random and bursty loss, the rate limit, trace replay, the
 * queue limits, outages and the counters.  Packets are tagged pointers
 * (their sequence number + 1), so nothing is allocated per packet. */
#include <math.h>

#include "linkem-core.h"

#define MS 1000                           /* µs */
#define T0 G_GINT64_CONSTANT (5000000000) /* an arbitrary epoch */
#define HOUR (G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC)

static gpointer
tag (guint seq)
{
  return GUINT_TO_POINTER (seq + 1);
}

static guint
untag (gpointer p)
{
  return GPOINTER_TO_UINT (p) - 1;
}

static SlLinkemCore *
new_core (const SlLinkemConfig *config, guint64 seed)
{
  g_autoptr (GError) error = NULL;
  SlLinkemCore *core = sl_linkem_core_new (config, seed, T0, NULL, &error);

  g_assert_no_error (error);
  return core;
}

/* Pops everything, in order, advancing the clock to each due time;
 * records each packet's due time (relative to T0) in @due, by tag. */
static guint
drain (SlLinkemCore *core, gint64 *due, guint *order)
{
  guint n = 0;
  gint64 t;

  while ((t = sl_linkem_core_next_us (core)) != G_MAXINT64)
    {
      gsize len;
      gpointer p;

      g_assert_null (sl_linkem_core_pop (core, t - 1, &len));
      p = sl_linkem_core_pop (core, t, &len);
      g_assert_nonnull (p);
      if (due != NULL)
        due[untag (p)] = t - T0;
      if (order != NULL)
        order[n] = untag (p);
      n++;
    }
  return n;
}

static void
check_balance (const SlLinkemCore *core)
{
  const SlLinkemCounters *c = sl_linkem_core_get_counters (core);
  guint64 held_bytes;
  guint held = sl_linkem_core_get_held (core, &held_bytes);

  g_assert_cmpuint (c->in.packets, ==,
                    c->out.packets + c->lost.packets + c->outage.packets
                        + c->overflow.packets + c->failed.packets + held);
  g_assert_cmpuint (c->in.bytes, ==,
                    c->out.bytes + c->lost.bytes + c->outage.bytes
                        + c->overflow.bytes + c->failed.bytes + held_bytes);
}

static void
test_perfect (void)
{
  SlLinkemConfig config;
  g_autoptr (SlLinkemCore) core = NULL;
  gsize len = 0;

  sl_linkem_config_init (&config);
  core = new_core (&config, 1);
  g_assert_cmpint (sl_linkem_core_next_us (core), ==, G_MAXINT64);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (sl_linkem_core_push (core, T0 + 7, tag (i), 100), ==,
                     SL_LINKEM_ACCEPTED);
  g_assert_cmpint (sl_linkem_core_next_us (core), ==, T0 + 7);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (untag (sl_linkem_core_pop (core, T0 + 7, &len)), ==, i);
  g_assert_cmpuint (len, ==, 100);
  g_assert_null (sl_linkem_core_pop (core, T0 + 7, &len));
  g_assert_cmpuint (sl_linkem_core_get_counters (core)->out.bytes, ==, 300);
  check_balance (core);
}

static void
test_delay (void)
{
  SlLinkemConfig config;
  g_autoptr (SlLinkemCore) core = NULL;
  gsize len;

  sl_linkem_config_init (&config);
  config.delay_us = 40 * MS;
  core = new_core (&config, 1);
  sl_linkem_core_push (core, T0 + 1000, tag (0), 1200);
  sl_linkem_core_push (core, T0 + 1500, tag (1), 1200);
  g_assert_cmpint (sl_linkem_core_next_us (core), ==, T0 + 41000);
  g_assert_null (sl_linkem_core_pop (core, T0 + 40999, &len));
  g_assert_cmpuint (untag (sl_linkem_core_pop (core, T0 + 41000, &len)), ==, 0);
  g_assert_cmpint (sl_linkem_core_next_us (core), ==, T0 + 41500);
  g_assert_cmpuint (untag (sl_linkem_core_pop (core, T0 + 90000, &len)), ==, 1);
  check_balance (core);
}

/* 20000 packets 1 ms apart through 30 ± 10 ms; returns how many arrived
 * after a packet sent later. */
static guint
run_jitter (gboolean reorder, gint64 delay_us, gint64 *min_out, gint64 *max_out,
            gdouble *mean_out)
{
  enum
  {
    N = 20000
  };
  SlLinkemConfig config;
  g_autoptr (SlLinkemCore) core = NULL;
  g_autofree gint64 *due = g_new (gint64, N);
  g_autofree guint *order = g_new (guint, N);
  gint64 lo = G_MAXINT64, hi = G_MININT64;
  gdouble sum = 0;
  guint inversions = 0;

  sl_linkem_config_init (&config);
  config.delay_us = delay_us;
  config.jitter_us = 10 * MS;
  config.reorder = reorder;
  core = new_core (&config, 7);
  for (guint i = 0; i < N; i++)
    g_assert_cmpint (sl_linkem_core_push (core, T0 + i * MS, tag (i), 100), ==,
                     SL_LINKEM_ACCEPTED);
  g_assert_cmpuint (drain (core, due, order), ==, N);
  for (guint i = 0; i < N; i++)
    {
      gint64 d = due[i] - i * MS;

      lo = MIN (lo, d);
      hi = MAX (hi, d);
      sum += d;
      if (i > 0 && order[i] < order[i - 1])
        inversions++;
    }
  *min_out = lo;
  *max_out = hi;
  *mean_out = sum / N;
  return inversions;
}

static void
test_jitter_reorder (void)
{
  gint64 lo, hi;
  gdouble mean;
  guint inversions = run_jitter (TRUE, 30 * MS, &lo, &hi, &mean);

  /* Uniform in [20, 40] ms: the bounds are reached, never passed. */
  g_assert_cmpint (lo, >=, 20 * MS);
  g_assert_cmpint (lo, <, 20 * MS + 100);
  g_assert_cmpint (hi, <=, 40 * MS);
  g_assert_cmpint (hi, >, 40 * MS - 100);
  g_assert_cmpfloat (fabs (mean - 30 * MS), <, 150);
  /* Packets 1 ms apart with a 20 ms spread: most are overtaken. */
  g_assert_cmpuint (inversions, >, 5000);
}

static void
test_jitter_no_reorder (void)
{
  gint64 lo, hi;
  gdouble mean;
  guint inversions = run_jitter (FALSE, 30 * MS, &lo, &hi, &mean);

  /* Waiting for the packet ahead only ever delays, within the bound. */
  g_assert_cmpuint (inversions, ==, 0);
  g_assert_cmpint (lo, >=, 20 * MS);
  g_assert_cmpint (hi, <=, 40 * MS);
  g_assert_cmpfloat (mean, >, 30 * MS);
}

static void
test_jitter_clamped (void)
{
  gint64 lo, hi;
  gdouble mean;

  /* 5 ± 10 ms: never earlier than sent. */
  run_jitter (TRUE, 5 * MS, &lo, &hi, &mean);
  g_assert_cmpint (lo, ==, 0);
  g_assert_cmpint (hi, <=, 15 * MS);
}

/* Pushes @n packets 100 µs apart; returns the loss pattern (TRUE: lost). */
static gboolean *
run_loss (const SlLinkemConfig *config, guint64 seed, guint n, guint *lost)
{
  g_autoptr (SlLinkemCore) core = new_core (config, seed);
  gboolean *pattern = g_new0 (gboolean, n);

  *lost = 0;
  for (guint i = 0; i < n; i++)
    {
      SlLinkemVerdict v
          = sl_linkem_core_push (core, T0 + i * 100, tag (i), 1000);
      gsize len;

      g_assert_true (v == SL_LINKEM_ACCEPTED || v == SL_LINKEM_DROP_LOSS);
      pattern[i] = v == SL_LINKEM_DROP_LOSS;
      *lost += pattern[i];
      g_assert_true ((sl_linkem_core_pop (core, T0 + i * 100, &len) != NULL)
                     == !pattern[i]);
    }
  g_assert_cmpuint (sl_linkem_core_get_counters (core)->lost.packets, ==,
                    *lost);
  drain (core, NULL, NULL);
  check_balance (core);
  return pattern;
}

static void
test_random_loss (void)
{
  enum
  {
    N = 100000
  };
  SlLinkemConfig config;
  g_autofree gboolean *a = NULL, *b = NULL, *c = NULL;
  guint lost_a, lost_b, lost_c;
  gdouble sd = sqrt (N * 0.1 * 0.9);

  sl_linkem_config_init (&config);
  config.loss = 0.1;
  a = run_loss (&config, 42, N, &lost_a);
  b = run_loss (&config, 42, N, &lost_b);
  c = run_loss (&config, 43, N, &lost_c);
  /* Within 4.5 standard deviations of the binomial mean. */
  g_assert_cmpfloat (fabs (lost_a - N * 0.1), <, 4.5 * sd);
  g_assert_cmpfloat (fabs (lost_c - N * 0.1), <, 4.5 * sd);
  /* The same seed loses the same packets; another seed, others. */
  g_assert_true (memcmp (a, b, N * sizeof (gboolean)) == 0);
  g_assert_false (memcmp (a, c, N * sizeof (gboolean)) == 0);
}

static gdouble
mean_burst (const gboolean *pattern, guint n)
{
  guint bursts = 0, lost = 0;

  for (guint i = 0; i < n; i++)
    if (pattern[i])
      {
        lost++;
        if (i == 0 || !pattern[i - 1])
          bursts++;
      }
  return bursts ? (gdouble)lost / bursts : 0;
}

static void
test_burst_loss (void)
{
  enum
  {
    N = 200000
  };
  SlLinkemConfig config;
  g_autofree gboolean *ge = NULL, *flat = NULL;
  guint lost_ge, lost_flat;

  /* P_GB 1 %, P_BG 25 %: bursts of 1 / 0.25 = 4 packets on average and a
   * loss rate of 0.01 / 0.26 = 3.85 %. */
  sl_linkem_config_init (&config);
  config.burst_p_gb = 0.01;
  config.burst_p_bg = 0.25;
  ge = run_loss (&config, 3, N, &lost_ge);
  g_assert_cmpfloat (fabs (mean_burst (ge, N) - 4.0), <, 0.4);
  g_assert_cmpfloat (fabs ((gdouble)lost_ge / N - 0.01 / 0.26), <, 0.005);

  /* Independent loss at the same rate has bursts of about 1.04. */
  sl_linkem_config_init (&config);
  config.loss = 0.01 / 0.26;
  flat = run_loss (&config, 3, N, &lost_flat);
  g_assert_cmpfloat (mean_burst (flat, N), <, 1.1);
}

static void
test_rate (void)
{
  SlLinkemConfig config;
  g_autoptr (SlLinkemCore) core = NULL;
  gint64 due[16];

  /* 1250 bytes at 1000 kbit/s: 10 ms each, back to back. */
  sl_linkem_config_init (&config);
  config.rate_kbps = 1000;
  core = new_core (&config, 1);
  for (guint i = 0; i < 10; i++)
    sl_linkem_core_push (core, T0, tag (i), 1250);
  g_assert_cmpuint (drain (core, due, NULL), ==, 10);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpint (due[i], ==, (i + 1) * 10 * MS);
  /* An idle link banks nothing: a packet at 1 s leaves at 1.01 s. */
  sl_linkem_core_push (core, T0 + 1000 * MS, tag (10), 1250);
  g_assert_cmpuint (drain (core, due, NULL), ==, 1);
  g_assert_cmpint (due[10], ==, 1010 * MS);
}

static void
test_rate_no_drift (void)
{
  SlLinkemConfig config;
  g_autoptr (SlLinkemCore) core = NULL;
  gint64 last = 0;
  gsize len;

  /* 1 byte at 3 kbit/s is 2666.67 µs: 3000 of them take exactly 8 s, the
   * fractions do not add up to an error. */
  sl_linkem_config_init (&config);
  config.rate_kbps = 3;
  core = new_core (&config, 1);
  for (guint i = 0; i < 3000; i++)
    sl_linkem_core_push (core, T0, tag (i), 1);
  while (sl_linkem_core_next_us (core) != G_MAXINT64)
    {
      last = sl_linkem_core_next_us (core);
      sl_linkem_core_pop (core, last, &len);
    }
  g_assert_cmpint (last - T0, ==, 8 * G_USEC_PER_SEC);
}

static SlLinkemTrace *
parse (const gchar *text)
{
  g_autoptr (GError) error = NULL;
  SlLinkemTrace *trace = sl_linkem_trace_parse (text, strlen (text), &error);

  g_assert_no_error (error);
  return trace;
}

/* What a packet of @len IP bytes costs of a trace's opportunities. */
#define COST(len) ((len) + SL_LINKEM_TRACE_HEADER_BYTES)

/* A core whose capacity is @trace and whose queue holds at most
 * @queue_bytes (0: unbounded). */
static SlLinkemCore *
new_trace_core (SlLinkemTrace *trace, guint64 queue_bytes)
{
  SlLinkemConfig config;

  sl_linkem_config_init (&config);
  config.trace = trace;
  config.queue_bytes = queue_bytes;
  return new_core (&config, 1);
}

/* Offers packets of @sizes at @t (from T0), tagged @first on, and checks
 * that each is accepted. */
static void
push_sizes (SlLinkemCore *core, gint64 t, guint first, const gsize *sizes,
            guint n)
{
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (
        sl_linkem_core_push (core, T0 + t, tag (first + i), sizes[i]), ==,
        SL_LINKEM_ACCEPTED);
}

/* Drains @core and checks that packets @first on left at @expect_ms. */
static void
check_due_ms (SlLinkemCore *core, guint first, const gint64 *expect_ms, guint n)
{
  g_autofree gint64 *due = g_new0 (gint64, first + n);

  g_assert_cmpuint (drain (core, due, NULL), ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (due[first + i], ==, expect_ms[i] * MS);
}

static void
test_trace_shared (void)
{
  g_autoptr (SlLinkemTrace) trace = parse ("10\n20\n");
  g_autoptr (SlLinkemCore) core = new_trace_core (trace, 0);
  gsize small[15];
  gint64 expect[15];
  static const gsize exact[] = { 1000, 496, 1 };
  static const gint64 exact_ms[] = { 30, 30, 40 };

  /* Fourteen packets of 100 bytes (104 with the header) share the
   * opportunity at 10 ms, 1456 of its 1504 bytes; the fifteenth gets its
   * 48 last bytes and leaves with the next opportunity, which carries its
   * other 56. */
  g_assert_cmpuint (14 * COST (100) + 48, ==, SL_LINKEM_TRACE_PACKET_BYTES);
  for (guint i = 0; i < 15; i++)
    {
      small[i] = 100;
      expect[i] = i < 14 ? 10 : 20;
    }
  push_sizes (core, 0, 0, small, 15);
  check_due_ms (core, 0, expect, 15);

  /* 1000 and 496 bytes, 1004 + 500 with their headers, fill the
   * opportunity at 30 ms exactly: both leave with it, and the next packet
   * waits for the one at 40 ms. */
  push_sizes (core, 25 * MS, 20, exact, 3);
  check_due_ms (core, 20, exact_ms, 3);
  check_balance (core);
}

static void
test_trace_large (void)
{
  g_autoptr (SlLinkemTrace) trace = parse ("10\n20\n");
  g_autoptr (SlLinkemCore) core = new_trace_core (trace, 0);
  static const gsize sizes[] = { 3000, 100, 3000, 1404, 1, 9000 };
  /* Each costs 4 bytes more.  3000 bytes from an empty queue: 1504 +
   * 1500, two opportunities, leaving 4 bytes of the second to the next
   * packet (104: 4 + 100, it leaves at 30 ms).  After it, 3000 bytes span
   * three: 1404 + 1504 + 96, leaving 1408, which carry the next packet
   * whole.  A 9000-byte packet (the MTU's limit) after a 1-byte one:
   * 1499 + 4 × 1504 + 1489, six opportunities. */
  static const gint64 expect[] = { 20, 30, 50, 50, 60, 110 };

  push_sizes (core, 0, 0, sizes, G_N_ELEMENTS (sizes));
  check_due_ms (core, 0, expect, G_N_ELEMENTS (expect));
  check_balance (core);
}

static void
test_trace_example (void)
{
  /* The worked example of docs/sl-linkem.md, TRACES. */
  g_autoptr (SlLinkemTrace) trace = parse ("10\n20\n");
  g_autoptr (SlLinkemCore) core = new_trace_core (trace, 0);
  static const gsize ab[] = { 100, 3000 }, c[] = { 1000 }, d[] = { 300 };
  static const gint64 expect[] = { 10, 30, 30, 40 };

  push_sizes (core, 0, 0, ab, 2);
  push_sizes (core, 24 * MS, 2, c, 1);
  push_sizes (core, 35 * MS, 3, d, 1);
  check_due_ms (core, 0, expect, 4);
}

static void
test_trace_idle_lost (void)
{
  g_autoptr (SlLinkemTrace) trace = parse ("10\n20\n");
  g_autoptr (SlLinkemCore) core = new_trace_core (trace, 0);
  static const gsize two_small[] = { 100, 100 }, one_big[] = { 2796 },
                     one_double[] = { 3004 };
  static const gint64 small_ms[] = { 10, 10 }, big_ms[] = { 30 },
                      double_ms[] = { 110 };

  /* Two 100-byte packets queued before the opportunity at 10 ms share
   * it; the 1296 bytes it has left find the queue empty and are lost:
   * 2796 bytes (2800 with the header) offered just after it need the
   * opportunities at 20 and 30 ms (banked, they would leave at 20). */
  push_sizes (core, 0, 0, two_small, 2);
  check_due_ms (core, 0, small_ms, 2);
  push_sizes (core, 10 * MS + 1, 2, one_big, 1);
  check_due_ms (core, 2, big_ms, 1);
  /* Nor are the opportunities of an idle stretch banked: 3004 bytes at
   * 95 ms take the ones at 100 and 110 ms, 1504 bytes each. */
  push_sizes (core, 95 * MS, 3, one_double, 1);
  check_due_ms (core, 3, double_ms, 1);
}

static void
test_trace_carry (void)
{
  /* 7 opportunities per 20 ms. */
  g_autoptr (SlLinkemTrace) trace = parse ("1\n2\n3\n4\n12\n13\n20\n");
  g_autoptr (SlLinkemCore) core = new_trace_core (trace, 0);
  enum
  {
    N = 10528
  };
  g_autofree gint64 *due = g_new (gint64, N + 1);
  /* 996-byte packets (1000 with the header), remainders carried from one
   * opportunity to the next: 1000 (504 left) | 504 + 496 (1008) | 1000
   * (8) | 8 + 992 (512) | 512 + 488 (1016) | 1000 (16) | 16 + 984 (520). */
  static const gint64 expect[] = { 1, 2, 2, 3, 4, 4, 12 };

  for (guint i = 0; i < N; i++)
    sl_linkem_core_push (core, T0, tag (i), 996);
  /* One more after they are all gone: the last one left no byte. */
  sl_linkem_core_push (core, T0 + 20000 * MS, tag (N), 1);
  g_assert_cmpuint (drain (core, due, NULL), ==, N + 1);
  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    g_assert_cmpint (due[i], ==, expect[i] * MS);
  /* 1000 repetitions carry 7000 × 1504 bytes: exactly N packets of 1000,
   * the last with the 1000th period's last opportunity. */
  g_assert_cmpuint (N * COST (996), ==, 7000 * SL_LINKEM_TRACE_PACKET_BYTES);
  g_assert_cmpint (due[N - 1], ==, 1000 * 20 * MS);
  g_assert_cmpint (due[N], ==, 20001 * MS);
  for (guint i = 1; i < N; i++)
    g_assert_cmpint (due[i], >=, due[i - 1]);
}

static void
test_trace_wrap (void)
{
  /* A 0 ms line, two opportunities at 5 ms, the period 10 ms: the line at
   * the period's end and the next repetition's 0 ms line are two
   * opportunities at the same instant. */
  g_autoptr (SlLinkemTrace) trace = parse ("0\n5\n5\n10\n");
  g_autoptr (SlLinkemTrace) sparse = parse ("3\n10\n");
  g_autoptr (SlLinkemCore) core = new_trace_core (trace, 0);
  static const gint64 full_ms[] = { 0, 5, 5, 10, 10, 15, 15, 20, 20, 25, 25 };
  gsize full[G_N_ELEMENTS (full_ms)];
  static const gsize across[] = { 2000, 1000 }, later[] = { 100, 3004 };
  static const gint64 across_ms[] = { 13, 13 };
  static const gint64 later_ms[] = { HOUR / MS + 3, HOUR / MS + 13 };

  /* Full-size 1500-byte packets, one per opportunity. */
  for (guint i = 0; i < G_N_ELEMENTS (full); i++)
    full[i] = 1500;
  push_sizes (core, 0, 0, full, G_N_ELEMENTS (full));
  check_due_ms (core, 0, full_ms, G_N_ELEMENTS (full_ms));
  g_clear_pointer (&core, sl_linkem_core_free);

  /* Opportunities at 3, 10, 13, 20, ... ms.  2000 bytes (2004 with the
   * header) at 9 ms span the repetition's end (1504 at 10 ms, 500 at
   * 13 ms) and leave 1004 bytes there for a packet offered at 12 ms. */
  core = new_trace_core (sparse, 0);
  push_sizes (core, 9 * MS, 0, across, 1);
  push_sizes (core, 12 * MS, 1, across + 1, 1);
  check_due_ms (core, 0, across_ms, 2);
  /* After an hour of silence the repetition is still in step, and a
   * packet offered at an opportunity's instant takes it. */
  push_sizes (core, HOUR + 3 * MS, 10, later, 2);
  check_due_ms (core, 10, later_ms, 2);
}

/* The trace link as mahimahi runs it, one opportunity after the other:
 * the packets that have arrived by an opportunity's time join the queue,
 * and its bytes are spent on the head of the queue until they run out or
 * the queue is empty; a packet leaves when its last byte is carried.
 * Fills @depart_us (from T0) for @count packets. */
static void
reference_trace (const SlLinkemTrace *trace, const gint64 *arrive_us,
                 const gsize *len, guint count, gint64 *depart_us)
{
  guint n;
  const guint32 *times = sl_linkem_trace_get_times (trace, &n);
  guint head = 0, queued = 0; /* the queue: packets [head, queued) */
  gsize carried = 0;          /* bytes of the head already carried */

  for (guint64 k = 0; head < count; k++)
    {
      gint64 t = ((gint64)(k / n) * times[n - 1] + times[k % n]) * MS;
      gsize bytes = SL_LINKEM_TRACE_PACKET_BYTES;

      while (queued < count && arrive_us[queued] <= t)
        queued++;
      while (bytes > 0 && head < queued)
        {
          gsize need = COST (len[head]) - carried;

          if (need > bytes)
            {
              carried += bytes;
              break;
            }
          bytes -= need;
          carried = 0;
          depart_us[head++] = t;
        }
    }
}

static void
test_trace_reference (void)
{
  enum
  {
    N = 4000
  };
  g_autofree gint64 *arrive = g_new (gint64, N);
  g_autofree gint64 *expect = g_new (gint64, N);
  g_autofree gint64 *due = g_new (gint64, N);
  g_autofree gsize *len = g_new (gsize, N);

  /* Random traces (repeated opportunities, gaps) and random traffic
   * (small and large packets, bursts and idle stretches): deciding each
   * packet's departure when it is offered gives what the step-by-step
   * link gives. */
  for (guint32 seed = 1; seed <= 20; seed++)
    {
      g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
      g_autoptr (GString) text = g_string_new (NULL);
      g_autoptr (SlLinkemTrace) trace = NULL;
      g_autoptr (SlLinkemCore) core = NULL;
      guint32 t = 0;
      gint64 now = 0;

      for (gint i = g_rand_int_range (rand, 1, 30); i > 0; i--)
        {
          t += g_rand_int_range (rand, 0, 3) == 0
                   ? 0
                   : g_rand_int_range (rand, 1, 9);
          g_string_append_printf (text, "%u\n", t);
        }
      g_string_append_printf (text, "%u\n", t + 1);
      trace = parse (text->str);
      core = new_trace_core (trace, 0);
      for (guint i = 0; i < N; i++)
        {
          now += g_rand_int_range (rand, 0, 50) == 0
                     ? g_rand_int_range (rand, 0, 300 * MS)
                     : g_rand_int_range (rand, 0, 2 * MS);
          arrive[i] = now;
          len[i] = g_rand_boolean (rand)
                       ? (gsize)g_rand_int_range (rand, 1, 200)
                       : (gsize)g_rand_int_range (rand, 1, 3200);
          g_assert_cmpint (
              sl_linkem_core_push (core, T0 + now, tag (i), len[i]), ==,
              SL_LINKEM_ACCEPTED);
        }
      reference_trace (trace, arrive, len, N, expect);
      g_assert_cmpuint (drain (core, due, NULL), ==, N);
      for (guint i = 0; i < N; i++)
        g_assert_cmpint (due[i], ==, expect[i]);
    }
}

static void
test_trace_parse_errors (void)
{
  static const struct
  {
    const gchar *text;
    gsize len;
    gint code;
  } bad[] = {
    { "", 0, SL_LINKEM_ERROR_TRACE_EMPTY },
    { "\n \n\r\n", 5, SL_LINKEM_ERROR_TRACE_EMPTY },
    { "1\n2x\n", 5, SL_LINKEM_ERROR_TRACE_MALFORMED },
    { "-5\n", 3, SL_LINKEM_ERROR_TRACE_MALFORMED },
    { "1.5\n", 4, SL_LINKEM_ERROR_TRACE_MALFORMED },
    { "1 2\n", 4, SL_LINKEM_ERROR_TRACE_MALFORMED },
    { "1\n\0002\n", 5, SL_LINKEM_ERROR_TRACE_MALFORMED },
    { "5\n4\n", 4, SL_LINKEM_ERROR_TRACE_DECREASING },
    { "99999999999999999999\n", 21, SL_LINKEM_ERROR_TRACE_TOO_BIG },
    { "86400001\n", 9, SL_LINKEM_ERROR_TRACE_TOO_BIG },
    { "0\n0\n", 4, SL_LINKEM_ERROR_TRACE_ZERO_LENGTH },
  };
  g_autoptr (SlLinkemTrace) ok = NULL;
  const guint32 *times;
  guint n;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_null (sl_linkem_trace_parse (bad[i].text, bad[i].len, &error));
      g_assert_error (error, SL_LINKEM_ERROR, bad[i].code);
    }
  /* CRLF, spaces, blank lines and no final newline are fine. */
  ok = parse (" 0\r\n\n007 \r\n7\n86400000");
  times = sl_linkem_trace_get_times (ok, &n);
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpuint (times[1], ==, 7);
  g_assert_cmpuint (sl_linkem_trace_get_period_ms (ok), ==, 86400000);
}

static void
test_queue_bytes (void)
{
  SlLinkemConfig config;
  g_autoptr (SlLinkemCore) core = NULL;
  guint accepted = 0;

  /* 10 ms per packet; room for four of them, the one in service counted. */
  sl_linkem_config_init (&config);
  config.rate_kbps = 1000;
  config.queue_bytes = 5000;
  core = new_core (&config, 1);
  for (guint i = 0; i < 10; i++)
    accepted
        += sl_linkem_core_push (core, T0, tag (i), 1250) == SL_LINKEM_ACCEPTED;
  g_assert_cmpuint (accepted, ==, 4);
  g_assert_cmpuint (sl_linkem_core_get_counters (core)->overflow.packets, ==,
                    6);
  /* At 10 ms the first has left: room for one more, not two. */
  g_assert_cmpint (sl_linkem_core_push (core, T0 + 10 * MS, tag (10), 1250), ==,
                   SL_LINKEM_ACCEPTED);
  g_assert_cmpint (sl_linkem_core_push (core, T0 + 10 * MS, tag (11), 1250), ==,
                   SL_LINKEM_DROP_OVERFLOW);
  drain (core, NULL, NULL);
  check_balance (core);
}

static void
test_queue_trace_bytes (void)
{
  g_autoptr (SlLinkemTrace) trace = parse ("10\n20\n");
  g_autoptr (SlLinkemCore) core = new_trace_core (trace, 3000);
  guint accepted = 0;

  /* Room for 30 packets of 100 bytes: the bound counts IP bytes. */
  for (guint i = 0; i < 31; i++)
    accepted
        += sl_linkem_core_push (core, T0, tag (i), 100) == SL_LINKEM_ACCEPTED;
  g_assert_cmpuint (accepted, ==, 30);
  /* At 10 ms one opportunity has carried 14 of them (104 bytes each with
   * the header) and 48 bytes of the 15th, which still takes its room
   * until its last byte leaves: room for 14 more, not 15. */
  accepted = 0;
  for (guint i = 31; i < 51; i++)
    accepted += sl_linkem_core_push (core, T0 + 10 * MS, tag (i), 100)
                == SL_LINKEM_ACCEPTED;
  g_assert_cmpuint (accepted, ==, 14);
  g_assert_cmpuint (sl_linkem_core_get_counters (core)->overflow.packets, ==,
                    7);
  drain (core, NULL, NULL);
  check_balance (core);
}

static void
test_queue_time (void)
{
  g_autoptr (SlLinkemTrace) trace = parse ("10\n20\n");
  SlLinkemConfig config;
  g_autoptr (SlLinkemCore) core = NULL;
  guint accepted = 0;

  /* Waits of 0, 10, 20, 30 ms: a 25 ms queue takes the first three. */
  sl_linkem_config_init (&config);
  config.rate_kbps = 1000;
  config.queue_us = 25 * MS;
  core = new_core (&config, 1);
  for (guint i = 0; i < 4; i++)
    accepted
        += sl_linkem_core_push (core, T0, tag (i), 1250) == SL_LINKEM_ACCEPTED;
  g_assert_cmpuint (accepted, ==, 3);
  g_clear_pointer (&core, sl_linkem_core_free);

  /* On a trace the wait is to the opportunity that carries a packet's
   * first byte.  100-byte packets (104 with the header): 14 and the first
   * 48 bytes of the 15th at 10 ms, then the 15th's 56 others, 13 more
   * and the first 96 bytes of the 29th at 20 ms; the 30th would start at
   * 30 ms, beyond 25. */
  config.rate_kbps = 0;
  config.trace = trace;
  core = new_core (&config, 1);
  accepted = 0;
  for (guint i = 0; i < 40; i++)
    accepted += sl_linkem_core_push (core, T0 + 1, tag (i), 100)
                == SL_LINKEM_ACCEPTED;
  g_assert_cmpuint (accepted, ==, 29);
}

static void
test_outage (void)
{
  SlLinkemConfig config;
  g_autoptr (SlLinkemCore) core = NULL;
  guint dropped = 0;

  /* Down from 100 ms for 50 ms: what arrives in [100, 150) is dropped. */
  sl_linkem_config_init (&config);
  config.delay_us = 20 * MS;
  config.n_outages = 1;
  config.outages[0] = (SlLinkemOutage){ 100 * MS, 50 * MS };
  core = new_core (&config, 1);
  for (guint i = 0; i < 300; i++)
    {
      SlLinkemVerdict v = sl_linkem_core_push (core, T0 + i * MS, tag (i), 10);

      g_assert_cmpint (v == SL_LINKEM_DROP_OUTAGE, ==, i >= 100 && i < 150);
      dropped += v == SL_LINKEM_DROP_OUTAGE;
    }
  g_assert_cmpuint (sl_linkem_core_get_counters (core)->outage.packets, ==,
                    dropped);
  g_assert_cmpuint (drain (core, NULL, NULL), ==, 250);
  check_balance (core);
}

static void
test_outage_queued (void)
{
  SlLinkemConfig config;
  g_autoptr (SlLinkemCore) core = NULL;
  gint64 due[8];

  /* 10 ms a packet, down in [25, 45) ms: of five queued at 0, the two
   * that leave before the outage get through.  The third would leave at
   * 30 ms and is dropped without using the link, and so is every one
   * behind it: an outage flushes the queue. */
  sl_linkem_config_init (&config);
  config.rate_kbps = 1000;
  config.n_outages = 1;
  config.outages[0] = (SlLinkemOutage){ 25 * MS, 20 * MS };
  core = new_core (&config, 1);
  for (guint i = 0; i < 5; i++)
    sl_linkem_core_push (core, T0, tag (i), 1250);
  g_assert_cmpuint (sl_linkem_core_get_counters (core)->outage.packets, ==, 3);
  /* Once the link is back, an arrival is carried at once. */
  sl_linkem_core_push (core, T0 + 45 * MS, tag (5), 1250);
  g_assert_cmpuint (drain (core, due, NULL), ==, 3);
  g_assert_cmpint (due[0], ==, 10 * MS);
  g_assert_cmpint (due[1], ==, 20 * MS);
  g_assert_cmpint (due[5], ==, 55 * MS);
}

static void
test_outage_trace (void)
{
  /* Opportunities at 10, 40, 50, 80, ... ms; down in [15, 25) ms. */
  g_autoptr (SlLinkemTrace) trace = parse ("10\n40\n");
  SlLinkemConfig config;
  g_autoptr (SlLinkemCore) core = NULL;
  gint64 due[4];

  sl_linkem_config_init (&config);
  config.trace = trace;
  config.n_outages = 1;
  config.outages[0] = (SlLinkemOutage){ 15 * MS, 10 * MS };
  core = new_core (&config, 1);
  /* The first leaves at 10 ms.  The second gets 500 bytes there and
   * would wait for the opportunity at 40 ms for the rest: it is in the
   * queue when the outage begins, so it is flushed, although no
   * opportunity falls in the window.  The third, 100 bytes offered
   * before the window, would fit in what is left at 10 ms, but it is
   * behind the second: flushed too. */
  g_assert_cmpint (sl_linkem_core_push (core, T0, tag (0), 1000), ==,
                   SL_LINKEM_ACCEPTED);
  g_assert_cmpint (sl_linkem_core_push (core, T0, tag (1), 1000), ==,
                   SL_LINKEM_DROP_OUTAGE);
  g_assert_cmpint (sl_linkem_core_push (core, T0 + 1 * MS, tag (2), 100), ==,
                   SL_LINKEM_DROP_OUTAGE);
  /* After the window a packet gets a whole opportunity's bytes. */
  g_assert_cmpint (sl_linkem_core_push (core, T0 + 25 * MS, tag (3), 1500), ==,
                   SL_LINKEM_ACCEPTED);
  g_assert_cmpuint (drain (core, due, NULL), ==, 2);
  g_assert_cmpint (due[0], ==, 10 * MS);
  g_assert_cmpint (due[3], ==, 40 * MS);
  g_assert_cmpuint (sl_linkem_core_get_counters (core)->outage.packets, ==, 2);
  check_balance (core);
}

static void
test_counters (void)
{
  g_autoptr (SlLinkemTrace) trace = parse ("1\n1\n3\n");
  SlLinkemConfig config;
  g_autoptr (SlLinkemCore) core = NULL;
  g_autoptr (SlLinkemCore) twin = NULL;
  const SlLinkemCounters *c;
  gsize len;

  /* Everything at once; the same seed behaves the same. */
  sl_linkem_config_init (&config);
  config.delay_us = 15 * MS;
  config.jitter_us = 5 * MS;
  config.reorder = TRUE;
  config.loss = 0.05;
  config.burst_p_gb = 0.02;
  config.burst_p_bg = 0.3;
  config.trace = trace;
  config.queue_bytes = 30000;
  config.n_outages = 1;
  config.outages[0] = (SlLinkemOutage){ 2000 * MS, 300 * MS };
  core = new_core (&config, 9);
  twin = new_core (&config, 9);
  for (guint i = 0; i < 20000; i++)
    {
      gint64 t = T0 + i * 250;

      g_assert_cmpint (sl_linkem_core_push (core, t, tag (i), 200 + i % 1300),
                       ==,
                       sl_linkem_core_push (twin, t, tag (i), 200 + i % 1300));
      g_assert_cmpint (sl_linkem_core_next_us (core), ==,
                       sl_linkem_core_next_us (twin));
      while (sl_linkem_core_pop (core, t, &len) != NULL)
        g_assert_nonnull (sl_linkem_core_pop (twin, t, &len));
      check_balance (core);
    }
  c = sl_linkem_core_get_counters (core);
  g_assert_cmpuint (c->lost.packets, >, 0);
  g_assert_cmpuint (c->outage.packets, >, 0);
  g_assert_cmpuint (c->overflow.packets, >, 0);
  g_assert_cmpuint (c->failed.packets, ==, 0);
  g_assert_cmpuint (sl_linkem_core_get_held (core, NULL), >, 0);

  /* A packet the caller could not write moves from out to failed. */
  sl_linkem_core_count_failed (core, 300);
  g_assert_cmpuint (c->failed.packets, ==, 1);
  check_balance (core);
}

static void
test_config_check (void)
{
  g_autoptr (SlLinkemTrace) trace = parse ("1\n");
  SlLinkemConfig ok, bad[9];
  guint n = 0;

  sl_linkem_config_init (&ok);
  g_assert_true (sl_linkem_config_check (&ok, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    bad[i] = ok;
  bad[n++].loss = 1.2;
  bad[n++].loss = NAN;
  bad[n++].delay_us = -1;
  bad[n++].jitter_us = SL_LINKEM_MAX_DELAY_US + 1;
  bad[n].burst_p_gb = 0.1, bad[n++].burst_p_bg = 0;
  bad[n].rate_kbps = 100, bad[n++].trace = trace;
  bad[n++].queue_us = -5;
  bad[n].n_outages = 1, bad[n++].outages[0].length_us = 0;
  bad[n++].n_outages = SL_LINKEM_MAX_OUTAGES + 1;
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (bad));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_null (sl_linkem_core_new (&bad[i], 1, 0, NULL, &error));
      g_assert_error (error, SL_LINKEM_ERROR, SL_LINKEM_ERROR_CONFIG);
    }
}

static void
test_free_held (void)
{
  SlLinkemConfig config;
  SlLinkemCore *core;

  /* Packets still held are freed with the core (the sanitizer build
   * would report a leak otherwise). */
  sl_linkem_config_init (&config);
  config.delay_us = G_USEC_PER_SEC;
  core = sl_linkem_core_new (&config, 1, 0, g_free, NULL);
  for (guint i = 0; i < 10; i++)
    sl_linkem_core_push (core, i, g_malloc (64), 64);
  g_assert_cmpuint (sl_linkem_core_get_held (core, NULL), ==, 10);
  sl_linkem_core_free (core);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/linkem/perfect", test_perfect);
  g_test_add_func ("/linkem/delay", test_delay);
  g_test_add_func ("/linkem/jitter/reorder", test_jitter_reorder);
  g_test_add_func ("/linkem/jitter/no-reorder", test_jitter_no_reorder);
  g_test_add_func ("/linkem/jitter/clamped", test_jitter_clamped);
  g_test_add_func ("/linkem/loss/random", test_random_loss);
  g_test_add_func ("/linkem/loss/burst", test_burst_loss);
  g_test_add_func ("/linkem/rate/serialisation", test_rate);
  g_test_add_func ("/linkem/rate/no-drift", test_rate_no_drift);
  g_test_add_func ("/linkem/trace/shared", test_trace_shared);
  g_test_add_func ("/linkem/trace/large", test_trace_large);
  g_test_add_func ("/linkem/trace/example", test_trace_example);
  g_test_add_func ("/linkem/trace/idle-lost", test_trace_idle_lost);
  g_test_add_func ("/linkem/trace/carry", test_trace_carry);
  g_test_add_func ("/linkem/trace/wrap", test_trace_wrap);
  g_test_add_func ("/linkem/trace/reference", test_trace_reference);
  g_test_add_func ("/linkem/trace/parse-errors", test_trace_parse_errors);
  g_test_add_func ("/linkem/queue/bytes", test_queue_bytes);
  g_test_add_func ("/linkem/queue/trace-bytes", test_queue_trace_bytes);
  g_test_add_func ("/linkem/queue/time", test_queue_time);
  g_test_add_func ("/linkem/outage/arrivals", test_outage);
  g_test_add_func ("/linkem/outage/queued", test_outage_queued);
  g_test_add_func ("/linkem/outage/trace", test_outage_trace);
  g_test_add_func ("/linkem/counters", test_counters);
  g_test_add_func ("/linkem/config-check", test_config_check);
  g_test_add_func ("/linkem/free-held", test_free_held);
  return g_test_run ();
}
