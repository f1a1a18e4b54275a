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

static void
test_trace_replay (void)
{
  /* A 0 ms line, two opportunities at 5 ms, the period 10 ms. */
  g_autoptr (SlLinkemTrace) trace = parse ("0\n5\n5\n10\n");
  static const gint64 expect[] = { 0, 5, 5, 10, 10, 15, 15, 20, 20, 25, 25 };
  SlLinkemConfig config;
  g_autoptr (SlLinkemCore) core = NULL;
  gint64 due[32];

  sl_linkem_config_init (&config);
  config.trace = trace;
  core = new_core (&config, 1);
  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    sl_linkem_core_push (core, T0, tag (i), 1500);
  g_assert_cmpuint (drain (core, due, NULL), ==, G_N_ELEMENTS (expect));
  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    g_assert_cmpint (due[i], ==, expect[i] * MS);

  /* Unused opportunities are lost: a packet at 100.5 ms takes the one at
   * 105 ms; after an hour of silence, the repetition is still in step. */
  sl_linkem_core_push (core, T0 + 100500, tag (20), 100);
  sl_linkem_core_push (core, T0 + HOUR + 3 * MS, tag (21), 100);
  /* Larger than 1500 bytes: two opportunities, it leaves on the second. */
  sl_linkem_core_push (core, T0 + HOUR + 3 * MS, tag (22), 2000);
  g_assert_cmpuint (drain (core, due, NULL), ==, 3);
  g_assert_cmpint (due[20], ==, 105 * MS);
  g_assert_cmpint (due[21], ==, HOUR + 5 * MS);
  g_assert_cmpint (due[22], ==, HOUR + 10 * MS);
}

static void
test_trace_rate (void)
{
  /* 7 opportunities per 20 ms: 350 packets a second when saturated. */
  g_autoptr (SlLinkemTrace) trace = parse ("1\n2\n3\n4\n12\n13\n20\n");
  SlLinkemConfig config;
  g_autoptr (SlLinkemCore) core = NULL;
  g_autofree gint64 *due = g_new (gint64, 7000);

  sl_linkem_config_init (&config);
  config.trace = trace;
  core = new_core (&config, 1);
  for (guint i = 0; i < 7000; i++)
    sl_linkem_core_push (core, T0 + i * MS, tag (i), 1200);
  g_assert_cmpuint (drain (core, due, NULL), ==, 7000);
  /* 7000 packets in 1000 repetitions: the last at the 1000th period end. */
  g_assert_cmpint (due[6999], ==, 1000 * 20 * MS);
  g_assert_cmpint (due[7], ==, 21 * MS);
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

  /* On a trace the wait is to the opportunity: at 10, 20, 30 ms. */
  config.rate_kbps = 0;
  config.trace = trace;
  core = new_core (&config, 1);
  accepted = 0;
  for (guint i = 0; i < 4; i++)
    accepted += sl_linkem_core_push (core, T0 + 1, tag (i), 100)
                == SL_LINKEM_ACCEPTED;
  g_assert_cmpuint (accepted, ==, 2);
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
  g_test_add_func ("/linkem/trace/replay", test_trace_replay);
  g_test_add_func ("/linkem/trace/rate", test_trace_rate);
  g_test_add_func ("/linkem/trace/parse-errors", test_trace_parse_errors);
  g_test_add_func ("/linkem/queue/bytes", test_queue_bytes);
  g_test_add_func ("/linkem/queue/time", test_queue_time);
  g_test_add_func ("/linkem/outage/arrivals", test_outage);
  g_test_add_func ("/linkem/outage/queued", test_outage_queued);
  g_test_add_func ("/linkem/counters", test_counters);
  g_test_add_func ("/linkem/config-check", test_config_check);
  g_test_add_func ("/linkem/free-held", test_free_held);
  return g_test_run ();
}
