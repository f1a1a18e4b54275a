/* test-bwe.c — the rate controller of sl-bwe.h against a simulated link.
 *
 * The simulation runs on its own clock, with no sleeping: a sender
 * producing 30 frames a second at the controller's target, cut into
 * packets of at most 1200 bytes; a bottleneck of capacity C with a FIFO
 * queue (tail drop past a configured queueing delay) and optional random
 * loss; a receiver reporting every packet in transport-wide feedback
 * every 50-100 ms; feedback coming back over an uncongested path.
 * Like SlBweSender, the sender checks for feedback silence from its data
 * path every 100 ms.  Some tests add what the real stack does: an
 * encoder that produces less than its target, feedback that rtpsession
 * could not schedule straight away (held for 600-900 ms), a first
 * feedback that comes late, a link that goes away.
 * Random choices come from a fixed seed, so every run is the same.
 * Setting SL_BWE_TRACE prints the target and queue once a second.
 */
#include "sl-bwe.h"
#include "sl-bwe-delay.h"

#include <math.h>

#define MBPS 1000000.0
#define SEC 1000000
#define FPS 30
#define PACKET_BYTES 1200
#define ONE_WAY_US 20000

typedef struct
{
  guint16 seq;
  gint64 send_us;
  gint64 arrival_us; /* local clock; SL_BWE_LOST if dropped */
  guint size;
} SimPacket;

typedef struct
{
  gint64 deliver_us;
  GArray *reports; /* SlBwePacket */
} SimFeedback;

typedef struct
{
  SlBwe *bwe;
  GRand *rand;
  gint64 now_us;

  /* The bottleneck. */
  gdouble capacity_bps;
  gint64 queue_limit_us;
  gdouble random_loss;
  gint64 link_free_us;
  gboolean link_down; /* nothing gets through, no feedback comes back */

  /* Real-stack effects, off by default. */
  gdouble app_fraction;        /* share of the target the encoder produces */
  gint64 feedback_interval_us; /* 0: random, 50-100 ms */
  gdouble gap_chance;          /* chance that a feedback is held 600-900 ms */

  /* The adapter's silence check: bytes sent since the last feedback and
   * when the first of them left (-1: none). */
  gint64 next_check_us, unacked_send_us;
  guint64 unacked_bytes;

  /* Sender and receiver. */
  guint16 next_seq;
  gint64 next_frame_us;
  gint64 next_feedback_us;
  GArray *sent;      /* SimPacket, not yet reported, in sequence order */
  GQueue in_transit; /* SimFeedback */

  /* Measurements over the current window (see sim_window). */
  gdouble target_sum;
  guint target_n, target_min, target_max;
  gdouble queue_max_us;
  GArray *queue_us; /* gdouble per packet that got through */
  gint64 traced_s;
} Sim;

static void
sim_init (Sim *sim, gdouble capacity_mbps, guint start_bps, guint min_bps,
          guint max_bps)
{
  SlBweConfig config = { min_bps, max_bps, start_bps };

  memset (sim, 0, sizeof *sim);
  sim->bwe = sl_bwe_new (&config);
  sim->rand = g_rand_new_with_seed (20240611);
  sim->capacity_bps = capacity_mbps * MBPS;
  sim->queue_limit_us = 300000;
  sim->next_feedback_us = 50000;
  sim->app_fraction = 1.0;
  sim->unacked_send_us = -1;
  sim->sent = g_array_new (FALSE, FALSE, sizeof (SimPacket));
  sim->queue_us = g_array_new (FALSE, FALSE, sizeof (gdouble));
  g_queue_init (&sim->in_transit);
}

static void
free_feedback (gpointer data)
{
  SimFeedback *fb = data;

  g_array_unref (fb->reports);
  g_free (fb);
}

static void
sim_clear (Sim *sim)
{
  sl_bwe_free (sim->bwe);
  g_rand_free (sim->rand);
  g_array_unref (sim->sent);
  g_array_unref (sim->queue_us);
  g_queue_clear_full (&sim->in_transit, free_feedback);
}

/* One packet through the bottleneck: FIFO service at the capacity, tail
 * drop when the queue already holds more than the limit, then random
 * loss on the far side (radio loss: the packet used the link). */
static void
sim_send_packet (Sim *sim, gint64 send_us, guint size)
{
  SimPacket p = { sim->next_seq++, send_us, SL_BWE_LOST, size };
  gint64 start = MAX (send_us, sim->link_free_us);

  if (sim->unacked_send_us < 0)
    sim->unacked_send_us = send_us;
  sim->unacked_bytes += size;
  if (!sim->link_down && start - send_us <= sim->queue_limit_us)
    {
      sim->link_free_us = start + (gint64)(size * 8 * 1e6 / sim->capacity_bps);
      if (g_rand_double (sim->rand) >= sim->random_loss)
        {
          gdouble queued = start - send_us;

          p.arrival_us = sim->link_free_us + ONE_WAY_US;
          g_array_append_val (sim->queue_us, queued);
          sim->queue_max_us = MAX (sim->queue_max_us, queued);
        }
    }
  g_array_append_val (sim->sent, p);
}

/* A frame at the current target leaves the encoder as one burst. */
static void
sim_send_frame (Sim *sim)
{
  guint target = sl_bwe_get_target (sim->bwe);
  guint bytes = MAX ((guint)(target * sim->app_fraction / 8 / FPS), 1), i = 0;

  sim->target_sum += target;
  sim->target_n++;
  sim->target_min = sim->target_n == 1 ? target : MIN (sim->target_min, target);
  sim->target_max = MAX (sim->target_max, target);
  while (bytes > 0)
    {
      guint size = MIN (bytes, PACKET_BYTES);

      sim_send_packet (sim, sim->next_frame_us + 10 * i++, size);
      bytes -= size;
    }
  /* As SlBweSender's data path. */
  if (sim->next_frame_us >= sim->next_check_us)
    {
      sl_bwe_update (sim->bwe, sim->next_frame_us, sim->unacked_send_us,
                     sim->unacked_bytes);
      sim->next_check_us = sim->next_frame_us + 100000;
    }
  sim->next_frame_us += SEC / FPS;
}

static void
sim_schedule_feedback (Sim *sim)
{
  if (sim->gap_chance > 0 && g_rand_double (sim->rand) < sim->gap_chance)
    sim->next_feedback_us += g_rand_int_range (sim->rand, 600000, 900001);
  else if (sim->feedback_interval_us > 0)
    sim->next_feedback_us += sim->feedback_interval_us;
  else
    sim->next_feedback_us += g_rand_int_range (sim->rand, 50000, 100001);
}

/* The receiver reports everything up to the newest packet it has: the
 * ones that did not come by then are reported lost.  Its clock is offset
 * from ours by an arbitrary amount. */
static void
sim_make_feedback (Sim *sim)
{
  SimFeedback *fb;
  guint last = 0;

  if (sim->link_down)
    {
      sim_schedule_feedback (sim);
      return;
    }
  fb = g_new0 (SimFeedback, 1);
  for (guint i = 0; i < sim->sent->len; i++)
    {
      SimPacket *p = &g_array_index (sim->sent, SimPacket, i);

      if (p->arrival_us != SL_BWE_LOST && p->arrival_us <= sim->now_us)
        last = i + 1;
      else if (p->arrival_us != SL_BWE_LOST)
        break;
    }
  fb->deliver_us = sim->now_us + ONE_WAY_US;
  fb->reports = g_array_new (FALSE, FALSE, sizeof (SlBwePacket));
  for (guint i = 0; i < last; i++)
    {
      SimPacket *p = &g_array_index (sim->sent, SimPacket, i);
      SlBwePacket r = { p->seq, p->send_us, SL_BWE_LOST, p->size };

      if (p->arrival_us != SL_BWE_LOST)
        r.arrival_us = p->arrival_us + 987654321;
      g_array_append_val (fb->reports, r);
    }
  g_array_remove_range (sim->sent, 0, last);
  g_queue_push_tail (&sim->in_transit, fb);
  sim_schedule_feedback (sim);
}

static void
sim_deliver_feedback (Sim *sim)
{
  SimFeedback *fb = g_queue_pop_head (&sim->in_transit);

  sl_bwe_on_feedback (sim->bwe, (SlBwePacket *)fb->reports->data,
                      fb->reports->len, fb->deliver_us);
  sim->unacked_send_us = -1;
  sim->unacked_bytes = 0;
  free_feedback (fb);
}

static void
sim_trace (Sim *sim)
{
  SlBweStats s;

  sl_bwe_get_stats (sim->bwe, &s);
  g_printerr ("t=%5.1f C=%4.1f target=%5.2f delay=%5.2f loss=%5.2f "
              "acked=%5.2f usage=%-10s trend=%7.2f thr=%5.1f queue=%4.0f ms "
              "lossf=%.3f\n",
              sim->now_us / 1e6, sim->capacity_bps / MBPS, s.target_bps / MBPS,
              s.delay_bps / MBPS, s.loss_bps / MBPS, s.acked_bps / MBPS,
              sl_bwe_usage_to_string (s.usage), s.trend, s.threshold,
              MAX (0, sim->link_free_us - sim->now_us) / 1e3, s.loss_fraction);
}

/* Runs the simulation until @until_us, earliest event first. */
static void
sim_run (Sim *sim, gint64 until_us)
{
  gboolean trace = g_getenv ("SL_BWE_TRACE") != NULL;

  while (TRUE)
    {
      SimFeedback *head = g_queue_peek_head (&sim->in_transit);
      gint64 next = MIN (sim->next_frame_us, sim->next_feedback_us);

      if (head && head->deliver_us <= next)
        next = head->deliver_us;
      if (next > until_us)
        break;
      sim->now_us = next;
      if (trace && next / SEC != sim->traced_s)
        {
          sim->traced_s = next / SEC;
          sim_trace (sim);
        }
      if (head && head->deliver_us == next)
        sim_deliver_feedback (sim);
      else if (sim->next_feedback_us == next)
        sim_make_feedback (sim);
      else
        sim_send_frame (sim);
    }
  sim->now_us = until_us;
}

/* Starts a new measurement window. */
static void
sim_window (Sim *sim)
{
  sim->target_sum = 0;
  sim->target_n = sim->target_min = sim->target_max = 0;
  sim->queue_max_us = 0;
  g_array_set_size (sim->queue_us, 0);
}

static gdouble
sim_mean_target (const Sim *sim)
{
  return sim->target_n ? sim->target_sum / sim->target_n : 0;
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;

  return (x > y) - (x < y);
}

static gdouble
sim_queue_percentile (Sim *sim, gdouble p)
{
  guint n = sim->queue_us->len;

  if (n == 0)
    return 0;
  g_array_sort (sim->queue_us, compare_doubles);
  return g_array_index (sim->queue_us, gdouble, (guint)((n - 1) * p));
}

/* Runs in 100 ms steps until the target satisfies @below (or not) of
 * @bps; returns the time taken from now, or -1 after @limit_us. */
static gint64
sim_time_until (Sim *sim, gboolean below, guint bps, gint64 limit_us)
{
  gint64 start = sim->now_us;

  while (sim->now_us - start < limit_us)
    {
      guint target;

      sim_run (sim, sim->now_us + 100000);
      target = sl_bwe_get_target (sim->bwe);
      if (below ? target < bps : target >= bps)
        return sim->now_us - start;
    }
  return -1;
}

/* Steady 8 Mbit/s link: from the start rate the target climbs to the
 * capacity and then stays close below it, never collapsing, with a short
 * queue. */
static void
test_steady (void)
{
  Sim sim;
  gint64 reach;

  sim_init (&sim, 8, 1500000, 150000, 20000000);
  reach = sim_time_until (&sim, FALSE, 0.7 * 8 * MBPS, 30 * SEC);
  g_test_message ("steady 8 Mbit/s: 70 %% of capacity after %.1f s",
                  reach / 1e6);
  g_assert_cmpint (reach, >=, 0);
  g_assert_cmpint (reach, <=, 15 * SEC);

  sim_run (&sim, 30 * SEC);
  sim_window (&sim);
  sim_run (&sim, 90 * SEC);
  g_test_message ("steady 8 Mbit/s, 30-90 s: mean %.2f, min %.2f, max %.2f "
                  "Mbit/s; queue p95 %.0f ms",
                  sim_mean_target (&sim) / MBPS, sim.target_min / MBPS,
                  sim.target_max / MBPS,
                  sim_queue_percentile (&sim, 0.95) / 1e3);
  g_assert_cmpfloat (sim_mean_target (&sim), >=, 0.7 * 8 * MBPS);
  g_assert_cmpfloat (sim_mean_target (&sim), <=, 1.0 * 8 * MBPS);
  g_assert_cmpuint (sim.target_min, >=, 0.5 * 8 * MBPS);
  /* Each tooth of the sawtooth overshoots a little, and briefly. */
  g_assert_cmpuint (sim.target_max, <=, 1.15 * 8 * MBPS);
  g_assert_cmpfloat (sim_queue_percentile (&sim, 0.95), <, 100000);
  sim_clear (&sim);
}

/* Capacity falls from 8 to 2 Mbit/s: the target must be under 2 Mbit/s
 * within 2 s, and then settle near the new capacity. */
static void
test_step_down (void)
{
  Sim sim;
  gint64 took;

  sim_init (&sim, 8, 1500000, 150000, 20000000);
  sim_run (&sim, 40 * SEC);
  sim.capacity_bps = 2 * MBPS;
  took = sim_time_until (&sim, TRUE, 2 * MBPS, 10 * SEC);
  g_test_message ("step 8 -> 2 Mbit/s: target %.2f Mbit/s after %.1f s",
                  sl_bwe_get_target (sim.bwe) / MBPS, took / 1e6);
  g_assert_cmpint (took, >=, 0);
  g_assert_cmpint (took, <=, 2 * SEC);

  sim_run (&sim, 50 * SEC);
  sim_window (&sim);
  sim_run (&sim, 80 * SEC);
  g_test_message ("after the step, 50-80 s: mean %.2f, min %.2f Mbit/s, "
                  "queue p95 %.0f ms",
                  sim_mean_target (&sim) / MBPS, sim.target_min / MBPS,
                  sim_queue_percentile (&sim, 0.95) / 1e3);
  g_assert_cmpfloat (sim_mean_target (&sim), >=, 0.7 * 2 * MBPS);
  g_assert_cmpfloat (sim_mean_target (&sim), <=, 1.0 * 2 * MBPS);
  g_assert_cmpuint (sim.target_min, >=, 0.5 * 2 * MBPS);
  sim_clear (&sim);
}

/* Capacity rises from 2 to 8 Mbit/s: the target leaves the old
 * capacity's neighbourhood and reaches 5 Mbit/s within 15 s. */
static void
test_step_up (void)
{
  Sim sim;
  gint64 took;

  sim_init (&sim, 2, 1500000, 150000, 20000000);
  sim_run (&sim, 40 * SEC);
  g_assert_cmpuint (sl_bwe_get_target (sim.bwe), <, 2.2 * MBPS);
  sim.capacity_bps = 8 * MBPS;
  took = sim_time_until (&sim, FALSE, 5 * MBPS, 30 * SEC);
  g_test_message ("step 2 -> 8 Mbit/s: 5 Mbit/s after %.1f s", took / 1e6);
  g_assert_cmpint (took, >=, 0);
  g_assert_cmpint (took, <=, 15 * SEC);
  sim_clear (&sim);
}

/* A deep buffer (5 s, nothing ever dropped): only the delay detector can
 * see congestion, and it must keep the standing queue short. */
static void
test_bufferbloat (void)
{
  Sim sim;
  gdouble p95;

  sim_init (&sim, 4, 1500000, 150000, 20000000);
  sim.queue_limit_us = 5 * SEC;
  sim_run (&sim, 20 * SEC);
  sim_window (&sim);
  sim_run (&sim, 80 * SEC);
  p95 = sim_queue_percentile (&sim, 0.95);
  g_test_message ("bufferbloat 4 Mbit/s, 20-80 s: queue p95 %.0f ms, max "
                  "%.0f ms; mean target %.2f Mbit/s",
                  p95 / 1e3, sim.queue_max_us / 1e3,
                  sim_mean_target (&sim) / MBPS);
  g_assert_cmpfloat (p95, <, 200000);
  g_assert_cmpfloat (sim.queue_max_us, <, 400000);
  g_assert_cmpfloat (sim_mean_target (&sim), >=, 0.6 * 4 * MBPS);
  sim_clear (&sim);
}

/* A weak uplink (issue 13): 2 Mbit/s behind a 250 ms drop-tail queue
 * collapses to 0.2 Mbit/s.  The queue fills within a fraction of a
 * second and then stays full: its delay no longer rises, so the trend
 * detector, which reacts to a rising delay, goes quiet while the queue
 * drops what does not fit.  The standing queue itself must bring the
 * target down to the link, in about a second, and keep the queue short
 * after. */
static void
test_weak_collapse (void)
{
  Sim sim;
  gint64 took;
  gdouble p50;

  sim_init (&sim, 2, 1500000, 60000, 4000000);
  sim.queue_limit_us = 250000;
  sim_run (&sim, 20 * SEC);
  sim.capacity_bps = 0.2 * MBPS;
  took = sim_time_until (&sim, TRUE, 0.25 * MBPS, 10 * SEC);
  g_test_message ("collapse 2 -> 0.2 Mbit/s: target %.2f Mbit/s after %.1f s",
                  sl_bwe_get_target (sim.bwe) / MBPS, took / 1e6);
  g_assert_cmpint (took, >=, 0);
  g_assert_cmpint (took, <=, 1500000);
  sim_run (&sim, 24 * SEC);
  sim_window (&sim);
  sim_run (&sim, 40 * SEC);
  p50 = sim_queue_percentile (&sim, 0.5);
  g_test_message ("then, 24-40 s: mean %.3f Mbit/s, queue p50 %.0f ms, "
                  "p95 %.0f ms",
                  sim_mean_target (&sim) / MBPS, p50 / 1e3,
                  sim_queue_percentile (&sim, 0.95) / 1e3);
  g_assert_cmpfloat (p50, <, 100000);
  g_assert_cmpfloat (sim_mean_target (&sim), >=, 0.6 * 0.2 * MBPS);
  g_assert_cmpfloat (sim_mean_target (&sim), <=, 1.0 * 0.2 * MBPS);
  sim_clear (&sim);
}

/* The same collapse while the sender sends more than its target (on the
 * weak trace: keyframes asked for by the losses, retransmissions, the
 * voice): the queue was already full before the collapse, so its delay
 * does not rise at all when the capacity falls, and only a standing
 * queue tells. */
static void
test_weak_overshoot (void)
{
  Sim sim;
  gint64 took;
  gdouble p50;

  sim_init (&sim, 2, 1500000, 60000, 4000000);
  sim.queue_limit_us = 250000;
  sim.app_fraction = 1.3;
  sim_run (&sim, 20 * SEC);
  sim.capacity_bps = 0.2 * MBPS;
  took = sim_time_until (&sim, TRUE, 0.2 / 1.3 * MBPS, 10 * SEC);
  g_test_message ("collapse 2 -> 0.2 Mbit/s, sending 1.3 x the target: "
                  "target %.3f Mbit/s after %.1f s",
                  sl_bwe_get_target (sim.bwe) / MBPS, took / 1e6);
  g_assert_cmpint (took, >=, 0);
  g_assert_cmpint (took, <=, 2 * SEC);
  sim_run (&sim, 25 * SEC);
  sim_window (&sim);
  sim_run (&sim, 40 * SEC);
  p50 = sim_queue_percentile (&sim, 0.5);
  g_test_message ("then, 25-40 s: mean %.3f Mbit/s, queue p50 %.0f ms",
                  sim_mean_target (&sim) / MBPS, p50 / 1e3);
  g_assert_cmpfloat (p50, <, 100000);
  sim_clear (&sim);
}

/* Random loss with no congestion behind it (a radio link): 2 % and even
 * 5 % loss with a flat delay must not hold the rate down. */
static void
test_random_loss (void)
{
  const gdouble losses[] = { 0.02, 0.05 };

  for (guint i = 0; i < G_N_ELEMENTS (losses); i++)
    {
      Sim sim;

      sim_init (&sim, 8, 1500000, 150000, 20000000);
      sim.random_loss = losses[i];
      sim_run (&sim, 30 * SEC);
      sim_window (&sim);
      sim_run (&sim, 90 * SEC);
      g_test_message ("random loss %.0f %% at 8 Mbit/s, 30-90 s: mean %.2f, "
                      "min %.2f Mbit/s",
                      losses[i] * 100, sim_mean_target (&sim) / MBPS,
                      sim.target_min / MBPS);
      g_assert_cmpfloat (sim_mean_target (&sim), >=, 0.7 * 8 * MBPS);
      g_assert_cmpuint (sim.target_min, >=, 0.5 * 8 * MBPS);
      sim_clear (&sim);
    }
}

/* 20 % loss is more than retransmission can repair: the rate must come
 * down even though the delay stays flat. */
static void
test_heavy_loss (void)
{
  Sim sim;
  guint before, after;
  SlBweStats stats;

  sim_init (&sim, 8, 1500000, 150000, 20000000);
  sim_run (&sim, 30 * SEC);
  before = sl_bwe_get_target (sim.bwe);
  sim.random_loss = 0.2;
  sim_run (&sim, 40 * SEC);
  after = sl_bwe_get_target (sim.bwe);
  sl_bwe_get_stats (sim.bwe, &stats);
  g_test_message ("20 %% loss: %.2f -> %.2f Mbit/s in 10 s, measured loss "
                  "%.1f %%",
                  before / MBPS, after / MBPS, stats.loss_fraction * 100);
  g_assert_cmpuint (after, <, before / 2);
  g_assert_cmpfloat (stats.loss_fraction, >, 0.1);
  sim_clear (&sim);
}

/* The configured bounds hold whatever the link does, and can change. */
static void
test_bounds (void)
{
  Sim sim;

  /* A fast link: the target stops at max. */
  sim_init (&sim, 50, 1000000, 500000, 3000000);
  sim_run (&sim, 40 * SEC);
  g_assert_cmpuint (sim.target_max, <=, 3000000);
  g_assert_cmpuint (sl_bwe_get_target (sim.bwe), ==, 3000000);
  /* New bounds apply at once. */
  sl_bwe_set_bounds (sim.bwe, 500000, 2000000);
  g_assert_cmpuint (sl_bwe_get_target (sim.bwe), ==, 2000000);
  sim_clear (&sim);

  /* A link slower than min: the target never goes below it. */
  sim_init (&sim, 0.2, 1000000, 500000, 3000000);
  sim_window (&sim);
  sim_run (&sim, 30 * SEC);
  g_assert_cmpuint (sim.target_min, >=, 500000);
  g_assert_cmpuint (sl_bwe_get_target (sim.bwe), ==, 500000);
  sim_clear (&sim);

  /* Inverted or zero bounds are made sane. */
  {
    SlBweConfig config = { 0, 0, 0 };
    g_autoptr (SlBwe) bwe = sl_bwe_new (&config);

    g_assert_cmpuint (sl_bwe_get_target (bwe), >=, 1);
    sl_bwe_set_bounds (bwe, 2000, 1000);
    g_assert_cmpuint (sl_bwe_get_target (bwe), ==, 2000);
  }
}

/* When feedback stops while we keep sending (a handover), the target
 * comes down by a fifth every 500 ms once the timeout has passed (here
 * its 1 s minimum: feedback came every 50-100 ms over a short round
 * trip), to half at most.  Not with nothing, or less than a congestion
 * window, in flight; not before a second feedback. */
static void
test_feedback_silence (void)
{
  Sim sim;
  guint before, t;
  gint64 silent_since;
  const guint64 lots = G_MAXUINT;
  SlBweConfig config = { 150000, 20000000, 1500000 };
  SlBwePacket one = { 1, 0, 20000, 1200 };
  g_autoptr (SlBwe) fresh = sl_bwe_new (&config);

  t = sl_bwe_on_feedback (fresh, &one, 1, 40000);
  g_assert_cmpuint (sl_bwe_update (fresh, 10 * SEC, 0, lots), ==, t);

  sim_init (&sim, 8, 1500000, 150000, 20000000);
  sim_run (&sim, 30 * SEC);
  before = sl_bwe_get_target (sim.bwe);
  silent_since = sim.now_us;
  g_assert_cmpuint (
      sl_bwe_update (sim.bwe, silent_since + 100000, silent_since, lots), ==,
      before);
  g_assert_cmpuint (sl_bwe_update (sim.bwe, silent_since + 2 * SEC, -1, 0), ==,
                    before);
  g_assert_cmpuint (
      sl_bwe_update (sim.bwe, silent_since + 2 * SEC, silent_since, 1200), ==,
      before);
  /* The old rule's 500 ms is no silence any more. */
  g_assert_cmpuint (
      sl_bwe_update (sim.bwe, silent_since + 600000, silent_since, lots), ==,
      before);
  t = sl_bwe_update (sim.bwe, silent_since + 1100000, silent_since, lots);
  g_assert_cmpuint (t, <, before);
  g_assert_cmpuint (t, >=, 0.8 * before - 1);
  /* Not again within 500 ms. */
  g_assert_cmpuint (
      sl_bwe_update (sim.bwe, silent_since + 1300000, silent_since, lots), ==,
      t);
  for (gint64 dt = 1600000; dt < 10 * SEC; dt += 100000)
    t = sl_bwe_update (sim.bwe, silent_since + dt, silent_since, lots);
  g_assert_cmpuint (t, >=, before / 2 - 1);
  g_assert_cmpuint (t, <=, before / 2 + 1);
  sim_clear (&sim);
}

/* A capacity dip (a 5G blockage): @capacity_mbps, then 0.3 Mbit/s for
 * @dip_us, then @capacity_mbps again.  Returns how long after the dip
 * the target took to reach @goal_bps (-1: not within 20 s) and the
 * queue's 95th percentile from the end of the dip to 15 s after it. */
static gint64
sim_dip (gdouble capacity_mbps, guint max_bps, gdouble app_fraction,
         gint64 dip_us, guint goal_bps, gdouble *p95_us)
{
  Sim sim;
  gint64 took, end;

  sim_init (&sim, capacity_mbps, MIN (max_bps, 1500000), 150000, max_bps);
  sim.app_fraction = app_fraction;
  sim_run (&sim, 30 * SEC);
  sim.capacity_bps = 0.3 * MBPS;
  sim_run (&sim, 30 * SEC + dip_us);
  sim.capacity_bps = capacity_mbps * MBPS;
  end = sim.now_us;
  sim_window (&sim);
  took = sim_time_until (&sim, FALSE, goal_bps, 20 * SEC);
  sim_run (&sim, end + 15 * SEC);
  *p95_us = sim_queue_percentile (&sim, 0.95);
  g_test_message ("dip %.0f -> 0.3 Mbit/s for %.1f s (max %.2f, encoder at "
                  "%.0f %%): %.2f Mbit/s %.1f s after; queue p95 %.0f ms, "
                  "max %.0f ms; target then %.2f",
                  capacity_mbps, dip_us / 1e6, max_bps / MBPS,
                  app_fraction * 100, goal_bps / MBPS, took / 1e6,
                  *p95_us / 1e3, sim.queue_max_us / 1e3,
                  sl_bwe_get_target (sim.bwe) / MBPS);
  sim_clear (&sim);
  return took;
}

/* After a dip the link is back as it was: recovery must not crawl at the
 * 8 %/s of a fresh search (from 0.3 to 3.5 Mbit/s that is 32 s), nor
 * build a queue.  6 s covers the second it takes to see a calm link (a
 * loss interval and no over-use) and a doubling a second from the dip's
 * rate to 85 % of the rate before it.  The second case is the product's:
 * a fast link, the target at its 4.08 Mbit/s max, and an encoder that
 * produces 85 % of it (x264 below its bitrate, the audio reserve). */
static void
test_dip_recovery (void)
{
  gdouble p95;
  gint64 took;

  took = sim_dip (8, 20000000, 1.0, 2 * SEC, 3500000, &p95);
  g_assert_cmpint (took, >=, 0);
  g_assert_cmpint (took, <=, 6 * SEC);
  g_assert_cmpfloat (p95, <, 100000);
  took = sim_dip (50, 4080000, 0.85, 2200000, 3400000, &p95);
  g_assert_cmpint (took, >=, 0);
  g_assert_cmpint (took, <=, 6 * SEC);
  took = sim_dip (50, 4080000, 0.85, 2200000, 4080000, &p95);
  g_assert_cmpint (took, >=, 0);
  g_assert_cmpint (took, <=, 10 * SEC);
  g_assert_cmpfloat (p95, <, 100000);
}

/* The LTE case: capacity anywhere in 4.8-12.9 Mbit/s, drawn afresh every
 * 500 ms, 1 % random loss, the product's 4.08 Mbit/s max and an encoder
 * at 85 %; a 2.2 s dip at 20 s.  The old controller was at 1.6 Mbit/s
 * 26 s later; the link can carry the max at any moment, so 8 s (the 6 s
 * above plus a tooth on the way) is the bound. */
static void
test_dip_variable (void)
{
  Sim sim;
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  gint64 reached = -1;

  sim_init (&sim, 8, 4080000, 150000, 4080000);
  sim.app_fraction = 0.85;
  sim.random_loss = 0.01;
  for (gint64 t = 0; t < 40 * SEC && reached < 0; t += 500000)
    {
      gboolean dip = t >= 20 * SEC && t < 22200000;

      sim.capacity_bps
          = dip ? 0.3 * MBPS : g_rand_double_range (rand, 4.8, 12.9) * MBPS;
      sim_run (&sim, t + 500000);
      if (t >= 22200000 && sl_bwe_get_target (sim.bwe) >= 3400000)
        reached = sim.now_us - 22200000;
    }
  g_test_message ("LTE-like link: 3.4 Mbit/s %.1f s after a dip",
                  reached / 1e6);
  g_assert_cmpint (reached, >=, 0);
  g_assert_cmpint (reached, <=, 8 * SEC);
  sim_clear (&sim);
}

/* A healthy fast link whose feedback comes every 100 ms but now and then
 * 600-900 ms late (rtpsession could not schedule it), the first one only
 * after 1.5 s (ICE and DTLS): the target must stay at its max. */
static void
test_feedback_gaps (void)
{
  Sim sim;

  sim_init (&sim, 50, 4080000, 150000, 4080000);
  sim.feedback_interval_us = 100000;
  sim.gap_chance = 0.05;
  sim.next_feedback_us = 1500000;
  sim_window (&sim);
  sim_run (&sim, 60 * SEC);
  g_test_message ("late feedback on a 50 Mbit/s link: target min %.2f, "
                  "mean %.2f Mbit/s",
                  sim.target_min / MBPS, sim_mean_target (&sim) / MBPS);
  g_assert_cmpuint (sim.target_min, ==, 4080000);
  sim_clear (&sim);
}

/* The link really goes away for 2 s: the target must come down before it
 * is back, with feedback that was regular and with feedback that had
 * gaps, but by no more than half. */
static void
test_link_cut (void)
{
  for (guint gaps = 0; gaps < 2; gaps++)
    {
      Sim sim;
      guint before, after;

      sim_init (&sim, gaps ? 50 : 8, 1500000, 150000,
                gaps ? 4080000 : 20000000);
      if (gaps)
        {
          sim.feedback_interval_us = 100000;
          sim.gap_chance = 0.05;
        }
      SlBweStats s;

      sim_run (&sim, 30 * SEC);
      before = sl_bwe_get_target (sim.bwe);
      /* Feedback held 600-900 ms now and then is not an outage. */
      sl_bwe_get_stats (sim.bwe, &s);
      g_assert_cmpuint (s.resumptions, ==, 0);
      sim.link_down = TRUE;
      sim_run (&sim, 32 * SEC);
      after = sl_bwe_get_target (sim.bwe);
      g_test_message ("link cut for 2 s (%s feedback): %.2f -> %.2f Mbit/s",
                      gaps ? "gappy" : "regular", before / MBPS, after / MBPS);
      g_assert_cmpuint (after, <, before);
      g_assert_cmpuint (after, >=, before / 2 - 1);
      /* The first feedback after it counts as the link back. */
      sim.link_down = FALSE;
      sim_run (&sim, 33 * SEC);
      sl_bwe_get_stats (sim.bwe, &s);
      g_assert_cmpuint (s.resumptions, ==, 1);
      sim_clear (&sim);
    }
}

static void
assert_sane (SlBwe *bwe, guint min_bps, guint max_bps)
{
  SlBweStats s;

  sl_bwe_get_stats (bwe, &s);
  g_assert_cmpuint (s.target_bps, >=, min_bps);
  g_assert_cmpuint (s.target_bps, <=, max_bps);
  g_assert_true (isfinite (s.trend));
  g_assert_true (isfinite (s.threshold));
  g_assert_true (isfinite (s.loss_fraction));
  g_assert_cmpfloat (s.loss_fraction, >=, 0);
  g_assert_cmpfloat (s.loss_fraction, <=, 1);
  g_assert_cmpint (s.rtt_us, >=, 0);
}

/* Nonsense in the feedback must not crash or poison the state. */
static void
test_garbage (void)
{
  SlBweConfig config = { 100000, 5000000, 1000000 };
  g_autoptr (SlBwe) bwe = sl_bwe_new (&config);
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  SlBwePacket batch[64];
  gint64 now = 1000000;

  /* Empty batches, a NULL array. */
  sl_bwe_on_feedback (bwe, NULL, 10, now);
  sl_bwe_on_feedback (bwe, batch, 0, now);
  assert_sane (bwe, 100000, 5000000);

  for (guint round = 0; round < 2000; round++)
    {
      for (guint i = 0; i < G_N_ELEMENTS (batch); i++)
        {
          SlBwePacket *p = &batch[i];
          guint kind = g_rand_int_range (rand, 0, 8);

          p->seq = (guint16)g_rand_int (rand);
          p->send_us = now - g_rand_int_range (rand, -50000, 500000);
          p->arrival_us = now + g_rand_int_range (rand, -5000000, 5000000);
          p->size = g_rand_int_range (rand, 0, 1500);
          if (kind == 0)
            p->arrival_us = SL_BWE_LOST;
          else if (kind == 1)
            p->send_us = g_rand_boolean (rand) ? G_MAXINT64 : G_MININT64;
          else if (kind == 2)
            p->arrival_us = G_MAXINT64 - g_rand_int (rand);
          else if (kind == 3)
            p->size = G_MAXUINT;
          else if (kind == 4 && i > 0)
            *p = batch[i - 1]; /* a duplicate */
        }
      /* Time itself sometimes goes backwards or leaps. */
      now += g_rand_int_range (rand, -100000, 200000);
      if (round % 500 == 499)
        now += 3600 * (gint64)SEC;
      sl_bwe_on_feedback (bwe, batch, g_rand_int_range (rand, 0, 65), now);
      sl_bwe_update (bwe, now, now - g_rand_int_range (rand, -SEC, SEC),
                     g_rand_int (rand));
      assert_sane (bwe, 100000, 5000000);
    }
  sl_bwe_on_feedback (bwe, batch, G_N_ELEMENTS (batch), G_MAXINT64);
  sl_bwe_update (bwe, G_MININT64, G_MAXINT64, G_MAXUINT64);
  assert_sane (bwe, 100000, 5000000);
}

/* The detector alone: flat delay is normal, a growing queue is
 * over-use, a draining one under-use. */
static void
feed_delay (SlBweDelay *d, gint64 *t, guint groups, gdouble growth_ms)
{
  for (guint g = 0; g < groups; g++)
    {
      gint64 send = *t, arrival = *t + 30000 + (gint64)(g * growth_ms * 1000);

      for (guint i = 0; i < 5; i++)
        sl_bwe_delay_add (d, send + i * 100, arrival + i * 100, *t + 30000);
      *t += 33333;
    }
}

static void
test_detector (void)
{
  SlBweDelay d;
  gint64 t = 0;

  sl_bwe_delay_init (&d);
  feed_delay (&d, &t, 100, 0);
  g_assert_cmpint (d.usage, ==, SL_BWE_USAGE_NORMAL);
  g_assert_cmpfloat (fabs (d.modified_trend), <, d.threshold_ms);

  /* The queue grows by 5 ms a frame (the sender sends 15 % too fast). */
  feed_delay (&d, &t, 20, 5);
  g_assert_cmpint (d.usage, ==, SL_BWE_USAGE_OVERUSING);

  sl_bwe_delay_init (&d);
  t = 0;
  feed_delay (&d, &t, 40, 0);
  feed_delay (&d, &t, 20, -5);
  g_assert_cmpint (d.usage, ==, SL_BWE_USAGE_UNDERUSING);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bwe/detector", test_detector);
  g_test_add_func ("/bwe/steady", test_steady);
  g_test_add_func ("/bwe/step-down", test_step_down);
  g_test_add_func ("/bwe/step-up", test_step_up);
  g_test_add_func ("/bwe/bufferbloat", test_bufferbloat);
  g_test_add_func ("/bwe/weak-collapse", test_weak_collapse);
  g_test_add_func ("/bwe/weak-overshoot", test_weak_overshoot);
  g_test_add_func ("/bwe/random-loss", test_random_loss);
  g_test_add_func ("/bwe/heavy-loss", test_heavy_loss);
  g_test_add_func ("/bwe/bounds", test_bounds);
  g_test_add_func ("/bwe/dip-recovery", test_dip_recovery);
  g_test_add_func ("/bwe/dip-variable", test_dip_variable);
  g_test_add_func ("/bwe/feedback-silence", test_feedback_silence);
  g_test_add_func ("/bwe/feedback-gaps", test_feedback_gaps);
  g_test_add_func ("/bwe/link-cut", test_link_cut);
  g_test_add_func ("/bwe/garbage", test_garbage);
  return g_test_run ();
}
