/* linkem-core.h — the link model of sl-linkem, one direction at a time.
 *
 * A packet offered to the core goes through three stages, all decided the
 * moment it is offered (sl_linkem_core_push), so that the result depends
 * only on the configuration, the seed and the times the caller passes in:
 *
 *   1. A bottleneck: a drop-tail queue (bounded in bytes or in waiting
 *      time) in front of a link that is either unlimited, rate-limited
 *      (a serialisation-time model: a packet of B bytes occupies a link of
 *      R kbit/s for 8B/R ms) or driven by a mahimahi delivery trace, read
 *      as mahimahi reads it: each line is an opportunity to carry
 *      SL_LINKEM_TRACE_PACKET_BYTES of the queue (a packet costs its
 *      length and SL_LINKEM_TRACE_HEADER_BYTES), shared by as many packets
 *      as fit, a packet that does not fit going on in the next
 *      opportunities and leaving with its last byte; bytes that find the
 *      queue empty are lost.  A packet's wait, for the time bound, is to
 *      the moment the link starts carrying it: the end of the packets
 *      ahead on a rate, the opportunity that carries its first byte on a
 *      trace.  Scheduled outages drop every packet that arrives during a
 *      window or is still in the bottleneck when one begins: the link
 *      carries nothing then, and what was queued is flushed (a dropped
 *      packet takes no link time, and a packet that arrived behind it
 *      before the window is dropped too).  Dropping rather than holding
 *      is what a handover gap does to the packets of a real-time stream,
 *      and keeps the model simple.
 *   2. Loss, decided as the packet leaves the bottleneck, so that a lost
 *      packet has used its share of the capacity as on a radio link:
 *      independent random loss and a Gilbert–Elliott two-state chain
 *      (Gilbert, "Capacity of a burst-noise channel", 1960; as in netem's
 *      "gemodel p r"), in whose bad state every packet is lost.
 *   3. Propagation: a fixed delay plus uniform jitter in [-J, +J] (clamped
 *      at zero).  Without reordering a packet never leaves before the one
 *      ahead of it (it waits for it, as netem does with a rate); with
 *      reordering each packet leaves at its own time.
 *
 * The core does no I/O and reads no clock: times are microseconds on any
 * monotonic clock, given by the caller, never decreasing.  Packets are
 * opaque pointers that the core holds until they are due.  One core per
 * direction; a core is not thread-safe, use it from one thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SL_LINKEM_ERROR (sl_linkem_error_quark ())
GQuark sl_linkem_error_quark (void);

typedef enum
{
  SL_LINKEM_ERROR_TRACE_EMPTY,       /* no delivery opportunity at all */
  SL_LINKEM_ERROR_TRACE_MALFORMED,   /* a line that is not a whole number */
  SL_LINKEM_ERROR_TRACE_DECREASING,  /* a timestamp below the one before */
  SL_LINKEM_ERROR_TRACE_TOO_BIG,     /* file, line count or value too big */
  SL_LINKEM_ERROR_TRACE_ZERO_LENGTH, /* the last timestamp is 0 */
  SL_LINKEM_ERROR_CONFIG,            /* a configuration value out of range */
} SlLinkemError;

/* Limits of a trace: its size in bytes, its number of delivery
 * opportunities and its timestamps (24 hours). */
#define SL_LINKEM_TRACE_MAX_BYTES (128 * 1024 * 1024)
#define SL_LINKEM_TRACE_MAX_OPPORTUNITIES (10 * 1000 * 1000)
#define SL_LINKEM_TRACE_MAX_MS (24 * 3600 * 1000)
/* What one delivery opportunity carries, in bytes of the queue: several
 * small packets share one, a larger packet spans several.  These are
 * mahimahi's figures, so that its traces carry here what they carry
 * there: its TUN device hands it each packet behind a 4-byte
 * packet-information header (struct tun_pi), which counts in what the
 * packet costs, and an opportunity carries its largest read, 1504 bytes
 * (PACKET_SIZE in src/frontend/link_queue.hh).  A packet of L IP bytes
 * costs L + 4, and a full 1500-byte one exactly one opportunity. */
#define SL_LINKEM_TRACE_PACKET_BYTES 1504
#define SL_LINKEM_TRACE_HEADER_BYTES 4

/* Limits of the configuration. */
#define SL_LINKEM_MAX_DELAY_US (60 * G_USEC_PER_SEC)
#define SL_LINKEM_MAX_RATE_KBPS G_GUINT64_CONSTANT (100000000)
#define SL_LINKEM_MAX_QUEUE_US (60 * G_USEC_PER_SEC)
#define SL_LINKEM_MAX_QUEUE_BYTES G_GUINT64_CONSTANT (1024 * 1024 * 1024)
#define SL_LINKEM_MAX_OUTAGES 64
/* Times passed to a core must stay within this of its creation (~1 year),
 * which keeps the trace arithmetic far from overflowing. */
#define SL_LINKEM_MAX_RUN_US (G_GINT64_CONSTANT (1) << 45)
/* What a core holds at most, whatever its configuration: beyond, packets
 * are dropped and counted as failed. */
#define SL_LINKEM_MAX_HELD_BYTES (64 * 1024 * 1024)

/* A delivery trace: immutable, reference counted, any thread. */
typedef struct _SlLinkemTrace SlLinkemTrace;

/* Parses @len bytes of mahimahi trace text (not necessarily
 * NUL-terminated): one whole number of milliseconds per line, never
 * decreasing, each line one delivery opportunity of
 * SL_LINKEM_TRACE_PACKET_BYTES; blank lines, spaces and CR are ignored.
 * The trace repeats with a period equal to its last timestamp, which must
 * be above 0.  Returns (transfer full) the trace, or NULL with @error in
 * SL_LINKEM_ERROR saying which line is wrong. */
SlLinkemTrace *sl_linkem_trace_parse (const gchar *text, gsize len,
                                      GError **error);
SlLinkemTrace *sl_linkem_trace_ref (SlLinkemTrace *trace);
void sl_linkem_trace_unref (SlLinkemTrace *trace);
/* The opportunities' timestamps in ms, in order; @n_out gets how many. */
const guint32 *sl_linkem_trace_get_times (const SlLinkemTrace *trace,
                                          guint *n_out);
/* The repetition period in ms: the last timestamp. */
guint32 sl_linkem_trace_get_period_ms (const SlLinkemTrace *trace);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlLinkemTrace, sl_linkem_trace_unref)

/* A window during which the link carries nothing, from the core's
 * creation. */
typedef struct
{
  gint64 start_us;
  gint64 length_us;
} SlLinkemOutage;

/* One direction's link.  sl_linkem_config_init() gives a perfect link
 * (no delay, loss or limit); a zero means "none" for every limit. */
typedef struct
{
  gint64 delay_us;    /* fixed one-way delay */
  gint64 jitter_us;   /* uniform spread around it, ± */
  gboolean reorder;   /* let jitter reorder packets */
  gdouble loss;       /* probability of random loss, 0..1 */
  gdouble burst_p_gb; /* Gilbert–Elliott P(good → bad) per packet; 0: off */
  gdouble burst_p_bg; /* P(bad → good); above 0 when burst_p_gb is */
  guint64 rate_kbps;  /* capacity in kbit/s (1000 bit/s); 0: unlimited */
  SlLinkemTrace *trace; /* (nullable) capacity from a trace instead of
                           a rate; (transfer none), the core takes a ref */
  guint64 queue_bytes;  /* drop-tail limit in bytes waiting or in service */
  gint64 queue_us;      /* drop-tail limit on a packet's wait */
  guint n_outages;
  SlLinkemOutage outages[SL_LINKEM_MAX_OUTAGES];
} SlLinkemConfig;

void sl_linkem_config_init (SlLinkemConfig *config);
/* Checks every value against the limits above and that a rate and a trace
 * are not both given; FALSE with SL_LINKEM_ERROR_CONFIG otherwise. */
gboolean sl_linkem_config_check (const SlLinkemConfig *config, GError **error);

typedef struct
{
  guint64 packets;
  guint64 bytes;
} SlLinkemCount;

/* What happened to the packets offered to a core.  Every packet offered
 * is counted in @in and, once it is out of the core, in exactly one of
 * the others: in == out + lost + outage + overflow + failed + held. */
typedef struct
{
  SlLinkemCount in;       /* offered */
  SlLinkemCount out;      /* delivered (popped) */
  SlLinkemCount lost;     /* dropped by the loss model, as configured */
  SlLinkemCount outage;   /* dropped by a scheduled outage, as configured */
  SlLinkemCount overflow; /* dropped because the queue was full */
  SlLinkemCount failed;   /* drops nobody asked for: the core's memory bound,
                             or the caller's (sl_linkem_core_count_failed) */
} SlLinkemCounters;

typedef enum
{
  SL_LINKEM_ACCEPTED,  /* the core holds the packet until it is due */
  SL_LINKEM_DROP_LOSS, /* the others: the caller keeps the packet */
  SL_LINKEM_DROP_OUTAGE,
  SL_LINKEM_DROP_OVERFLOW,
  SL_LINKEM_DROP_FAILED,
} SlLinkemVerdict;

typedef struct _SlLinkemCore SlLinkemCore;

/* Returns (transfer full) a core for @config, whose schedule (outages,
 * trace) starts at @now_us, or NULL with @error if the configuration does
 * not pass sl_linkem_config_check().  The same @seed, configuration and
 * sequence of calls give the same result on every machine.
 * @packet_free (nullable) frees the packets still held when the core is
 * freed. */
SlLinkemCore *sl_linkem_core_new (const SlLinkemConfig *config, guint64 seed,
                                  gint64 now_us, GDestroyNotify packet_free,
                                  GError **error);
void sl_linkem_core_free (SlLinkemCore *core);

/* Offers @packet (not NULL) of @len bytes at @now_us.  On
 * SL_LINKEM_ACCEPTED the core owns it until sl_linkem_core_pop() returns
 * it; on any other verdict the caller keeps it (and usually frees it). */
SlLinkemVerdict sl_linkem_core_push (SlLinkemCore *core, gint64 now_us,
                                     gpointer packet, gsize len);

/* Returns (transfer full) the next packet due at or before @now_us, with
 * its length in @len_out, or NULL if none is due yet. */
gpointer sl_linkem_core_pop (SlLinkemCore *core, gint64 now_us, gsize *len_out);

/* When the next held packet is due, or G_MAXINT64 if none is held. */
gint64 sl_linkem_core_next_us (const SlLinkemCore *core);

/* Counts a packet the caller could not deliver after popping it (for
 * instance a failed write): it moves from "out" to "failed". */
void sl_linkem_core_count_failed (SlLinkemCore *core, gsize len);

const SlLinkemCounters *sl_linkem_core_get_counters (const SlLinkemCore *core);

/* How many packets (and bytes, in @bytes_out) the core holds. */
guint sl_linkem_core_get_held (const SlLinkemCore *core, guint64 *bytes_out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlLinkemCore, sl_linkem_core_free)

G_END_DECLS
