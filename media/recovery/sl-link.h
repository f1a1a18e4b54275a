/* sl-link.h — how well the link carries a session, in words users read.
 *
 * A session measures its link once a second (sl-session-stats.c): how long
 * since anything last arrived from the peer, the loss left after NACK/RTX
 * and FEC did their work, freezes of the picture, and whether the rate
 * controller holds the video below its configured rate or below the
 * diagnostic floor.  This module turns those measurements into one of four
 * states that both stations show:
 *
 *   good        nothing to say
 *   degraded    the picture is still live but worse than configured:
 *               residual loss, a recent freeze, or a constrained bitrate
 *   lost        nothing has arrived from the peer for SL_LINK_LOST_MS
 *   recovering  packets arrive again after "lost", or the session has just
 *               been re-established; "good" again after a quiet spell
 *
 * and decides when a path is dead enough that the session must be made
 * again (webrtcbin 1.22 cannot restart ICE in place): "lost" for longer
 * than the configured restart delay.  A short handover gap of a second
 * rides through without a restart; the receive path resumes by itself.
 *
 * Plain C, no pipeline: unit-tested in tests/unit/media/test-link.c.  Not
 * thread-safe; the session calls it from its control thread.
 */
#pragma once

#include "sl-link-state.h"

G_BEGIN_DECLS

/* Silence from the peer longer than this is "lost". */
#define SL_LINK_LOST_MS 1000
/* "lost" this long makes the session again, unless configured otherwise.
 * A township at the edge of coverage sees outages of several seconds
 * that end by themselves (the weak LTE trace of issue 13 has one of 3 s
 * and one of 4 s, and its uplink queue adds to the silence); a new
 * session costs a DTLS handshake, a keyframe and a controller starting
 * over, so an outage under 6 s rides through, and only a longer one,
 * where the path itself may have gone, is given up on.  (4 s was the
 * default before: the 4 s outage remade the session.) */
#define SL_LINK_RESTART_AFTER_MS 6000
/* Samples come once a second; one later than this after the previous
 * one means this process did not run meanwhile (stopped, swapped out, its
 * control thread blocked).  The peer had no chance to be heard then: that
 * time is not counted as its silence. */
#define SL_LINK_STALL_MS 3000
/* "recovering" and "degraded" last at least this long after their cause. */
#define SL_LINK_HOLD_MS 3000
/* Loss left after recovery above this share is "degraded". */
#define SL_LINK_RESIDUAL_LOSS_PCT 1.0

/* One second's measurements.  Negative values are unknown. */
typedef struct
{
  gint64 now_us;
  gint64 last_rx_us;         /* last packet from the peer, 0: none yet */
  gdouble residual_loss_pct; /* loss the decoder saw after recovery */
  guint64 freezes;           /* count of picture freezes so far */
  gboolean rate_constrained; /* controller holds video well below target */
  gboolean below_floor;      /* ... below the diagnostic floor */
} SlLinkSample;

typedef struct
{
  guint restart_after_ms; /* "lost" this long: make the session again */
  SlLinkState state;
  gint64 since_us;      /* when @state began */
  gint64 hold_until_us; /* degraded/recovering last at least until */
  guint64 last_freezes;
  gboolean ever_received;
  gint64 last_sample_us; /* the previous sample's now_us, 0: none */
  gint64 last_rx_us;     /* the previous sample's last_rx_us */
  gint64 stalled_us;     /* our own stalls since the last packet */
  gchar reason[64];      /* why the state is what it is, for the UI */
} SlLinkMonitor;

/* @restart_after_ms: 0 picks SL_LINK_RESTART_AFTER_MS. */
void sl_link_monitor_init (SlLinkMonitor *mon, guint restart_after_ms);

/* Feeds one sample; returns TRUE when the state changed.  *@restart is set
 * TRUE when the path has been lost for longer than the restart delay (the
 * caller makes a new session; the monitor of the new session starts in
 * "recovering" with sl_link_monitor_init and sl_link_monitor_restarted). */
gboolean sl_link_monitor_update (SlLinkMonitor *mon, const SlLinkSample *s,
                                 gboolean *restart);

/* A session made again after a restart starts out "recovering". */
void sl_link_monitor_restarted (SlLinkMonitor *mon, gint64 now_us);

G_END_DECLS
