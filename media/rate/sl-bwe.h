/* sl-bwe.h — the sender's rate controller (Google Congestion Control).
 *
 * The receiver reports, for every RTP packet we sent, when it arrived or
 * that it never did (transport-wide congestion control feedback,
 * draft-holmer-rmcat-transport-wide-cc-extensions-01).  From those
 * reports SlBwe decides how many bits per second the link can carry
 * without building a queue, following draft-ietf-rmcat-gcc-02 as
 * libwebrtc implements it today:
 *
 *  - delay-based: packets grouped into 5 ms bursts, the one-way delay
 *    variation between groups, its trend by linear regression over about
 *    20 groups, an over-use detector with an adaptive threshold, and AIMD
 *    rate control around the acknowledged bitrate (sl-bwe-delay.c,
 *    sl-bwe-aimd.c);
 *  - loss-based: a ceiling that falls by (1 - 0.5 × loss) when more than
 *    10 % of packets are lost, holds when 2-10 % are lost while the delay
 *    is rising, and otherwise rises again by 8 % a second (25 % once loss
 *    has stayed under 2 % for two intervals).  Loss with a flat delay is
 *    taken for radio loss, not congestion: slowing down would not cure
 *    it, and NACK/RTX repairs it (docs/rate-control.md);
 *  - the target is min(delay-based, loss-based) within [min, max];
 *  - after a sudden drop (below 0.66 of the last 5 s' highest target), a
 *    calm link brings the target back to 0.85 of that highest value at a
 *    doubling a second, in place of libwebrtc's probe after a drop.
 *
 * Times are microseconds: send times and "now" on the local monotonic
 * clock, arrival times on the receiver's clock (only their differences
 * are used, so the two clocks need not agree).  Sizes are the bytes the
 * target counts: the adapter gives whole packets (RTP payload plus an
 * estimate of the headers), so the target covers the transport.
 *
 * Ownership and threads: SlBwe is a plain struct owned by its creator and
 * freed with sl_bwe_free().  It is not thread-safe: call it from one
 * thread at a time (SlBweSender holds a mutex around it).  It never
 * allocates after sl_bwe_new().
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Arrival time of a packet the receiver reported as lost. */
#define SL_BWE_LOST G_MININT64

typedef struct
{
  guint16 seq;       /* transport-wide sequence number (wraps) */
  gint64 send_us;    /* when we sent it, local clock */
  gint64 arrival_us; /* when it arrived, remote clock, or SL_BWE_LOST */
  guint size;        /* bytes */
} SlBwePacket;

/* What the delay detector sees. */
typedef enum
{
  SL_BWE_USAGE_NORMAL,
  SL_BWE_USAGE_OVERUSING,
  SL_BWE_USAGE_UNDERUSING,
} SlBweUsage;

/* What the delay-based rate did last. */
typedef enum
{
  SL_BWE_RATE_HOLD,
  SL_BWE_RATE_INCREASE,
  SL_BWE_RATE_DECREASE,
} SlBweRateState;

typedef struct
{
  guint min_bps;   /* never below (default 150 kbit/s) */
  guint max_bps;   /* never above (default 20 Mbit/s) */
  guint start_bps; /* until feedback says otherwise (default 1.5 Mbit/s) */
} SlBweConfig;

typedef struct
{
  guint target_bps;      /* what the encoder should be given */
  guint delay_bps;       /* delay-based estimate */
  guint loss_bps;        /* loss-based ceiling */
  guint acked_bps;       /* what the receiver got lately; 0 while unknown */
  gdouble loss_fraction; /* lost / reported over the last loss interval */
  gdouble trend;         /* modified delay trend (ms), see docs */
  gdouble threshold;     /* the detector's threshold (ms) */
  SlBweUsage usage;
  SlBweRateState rate_state;
  gint64 rtt_us; /* feedback round trip, smoothed; 0 while unknown */
  guint64 feedbacks;
  guint64 packets_received;
  guint64 packets_lost;
  gboolean recovering; /* after a sudden drop, see docs/rate-control.md */
  gint64 queue_us;     /* standing queue at the last feedback; < 0: unknown */
  guint64 resumptions; /* feedback came back after a second or more */
} SlBweStats;

typedef struct _SlBwe SlBwe;

/* Fills @config with the defaults above. */
void sl_bwe_config_init (SlBweConfig *config);

/* Returns (transfer full) a controller at @config's start rate, clamped
 * to its bounds (@config NULL: defaults). */
SlBwe *sl_bwe_new (const SlBweConfig *config);

void sl_bwe_free (SlBwe *bwe);

/* Changes the bounds at any time; the target is clamped at once. */
void sl_bwe_set_bounds (SlBwe *bwe, guint min_bps, guint max_bps);

/* Feeds one feedback message (@n_packets reports, normally in sequence
 * order) received at @now_us and returns the new target.  Duplicates,
 * garbage times and empty batches are tolerated. */
guint sl_bwe_on_feedback (SlBwe *bwe, const SlBwePacket *packets,
                          guint n_packets, gint64 now_us);

/* Lets time pass without feedback: when packets have been sent (the
 * oldest not yet covered by any feedback at @oldest_unacked_send_us, or
 * -1 when none is waiting; @unacked_bytes sent since the last feedback)
 * and no feedback came for the timeout (twice the longest recent gap
 * between feedbacks, or four round trips, within 1-3 s), the target is
 * cut by a fifth every 500 ms, to at most half of what it was, in case
 * the link went away (a handover).  Never before a second feedback, nor
 * with less unacknowledged than a congestion window (target × (RTT +
 * 100 ms)).  If the feedback that ends the silence shows the packets got
 * through, the cuts are undone.  Returns the target. */
guint sl_bwe_update (SlBwe *bwe, gint64 now_us, gint64 oldest_unacked_send_us,
                     guint64 unacked_bytes);

guint sl_bwe_get_target (const SlBwe *bwe);

void sl_bwe_get_stats (const SlBwe *bwe, SlBweStats *stats);

/* "normal", "overusing", "underusing". */
const gchar *sl_bwe_usage_to_string (SlBweUsage usage);

/* "hold", "increase", "decrease". */
const gchar *sl_bwe_rate_state_to_string (SlBweRateState state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SlBwe, sl_bwe_free)

G_END_DECLS
