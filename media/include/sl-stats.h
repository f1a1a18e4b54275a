/* sl-stats.h — turning session snapshots into what users read.
 *
 * Pure functions: two SlSessionStats snapshots a second apart become one
 * SlStatsReport (rates and gauges), which formats as the one-line status a
 * station prints every second or as a JSON object for `--stats FILE`
 * (one object per line; the fields are documented in docs/stats.md).
 */
#pragma once

#include "sl-session.h"
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  SlSessionRole role;
  SlSessionState state;
  guint64 frames;         /* SENDER: frames sent; VIEWER: frames decoded */
  gdouble fps;            /* frames per second over the interval */
  gdouble bitrate_kbps;   /* video bitrate over the interval */
  gdouble rtt_ms;         /* < 0: unknown */
  gdouble loss_pct;       /* video packets lost over the interval */
  gdouble jitter_ms;      /* < 0: unknown */
  guint jitter_buffer_ms; /* receive jitter-buffer latency in force */
  gdouble stage_capture_ms, stage_encode_ms; /* < 0: unknown */
  gdouble stage_decode_ms, stage_output_ms;
  gdouble latency_estimate_ms; /* VIEWER, < 0: unknown */
  guint width, height;         /* VIEWER: decoded picture size */
  gdouble audio_level_db;      /* received voice, -G_MAXDOUBLE: none */
  gdouble audio_peak_hz;       /* strongest received frequency, 0: none */
  gdouble audio_tones_hz[SL_AUDIO_TONES_MAX]; /* distinct tones, ascending */
  guint audio_tones;
  guint64 audio_packets; /* voice packets decoded, total */
  gdouble dc_rtt_ms;     /* < 0: unknown */
  guint64 dc_roundtrips;
  /* VIEWER, over the interval: video packets the link lost, and those
   * still missing after NACK/RTX (< 0: no packets). */
  gdouble loss_before_recovery_pct, loss_after_recovery_pct;
  guint64 nacks, recovered, retransmitted; /* totals */
  guint64 fec_recovered; /* VIEWER: packets rebuilt from FEC, total */
  /* Both roles: the viewer's last second's video loss and repair, the
   * figure both stations show (< 0: unknown). */
  gdouble video_lost_pct, video_repaired_pct;
  guint fec_percent; /* SENDER: FEC packets added now, percent */
  /* SENDER rate control (SlSessionStats has the meanings); 0: unknown. */
  guint bwe_target_kbps, bwe_estimate_kbps, acked_kbps, encoder_kbps;
  gdouble bwe_loss_pct;
  gdouble bwe_queue_ms;
  guint send_width, send_height;
  gdouble send_fps;
  const gchar *encoder_level; /* static; NULL: unknown */
  guint voice_frame_ms, voice_cost_kbps;
  gboolean below_floor;
  guint64 keyframe_requests;
  guint64 freezes;                      /* VIEWER, total */
  gdouble freeze_ms, longest_freeze_ms; /* VIEWER, totals */
  gint64 last_freeze_end_us;            /* VIEWER, 0: none */
  gdouble last_freeze_ms;
  SlLinkState link_state;
  const gchar *link_reason; /* points into the snapshot; "" if none */
  gint64 silence_ms;
  guint64 display_rendered, display_dropped; /* VIEWER, totals */
} SlStatsReport;

/* The round trip to show and to size buffers with: RTCP's when known (a
 * viewer has it once it sends voice), else the data channel's ping, which
 * crosses the same path; < 0 if neither is known. */
gdouble sl_stats_rtt_ms (const SlSessionStats *stats);
/* The same choice from the two figures: RTCP's @rtcp_ms when known (>= 0),
 * else the ping's @dc_ms. */
gdouble sl_stats_pick_rtt_ms (gdouble rtcp_ms, gdouble dc_ms);

/* The distinct tones in a spectrum of @n bands of @band_hz each, given
 * in dB (GStreamer's spectrum element): bands that are local maxima
 * above -60 dB and within 20 dB of the loudest, a tone's neighbours
 * within 100 Hz counted once (its leakage into the next bands), at most
 * @max, in ascending frequency, each at its band's centre.  Two voices
 * playing test tones show both: a trainee hears the township's tone and
 * the expert's.  Returns how many were written to @tones_hz. */
guint sl_stats_find_tones (const gfloat *db, guint n, gdouble band_hz,
                           gdouble *tones_hz, guint max);

/* The viewer's glass-to-glass estimate without a stamp: the sender's
 * capture to encoder output (@send_ms, as its ping says), half the round
 * trip, decoding and output to the picture.  It leaves out packetising,
 * SRTP, the jitter buffer's pass-through and depacketising (about a
 * millisecond on loopback, docs/PERFORMANCE.md) and assumes the path is
 * symmetric.  Any input < 0 (unknown) makes it -1. */
gdouble sl_stats_latency_estimate (gdouble send_ms, gdouble rtt_ms,
                                   gdouble decode_ms, gdouble output_ms);

/* Computes @out from @prev (may be NULL: the first interval) and @cur.
 * The RTT shown is RTCP's when known, else the data channel's. */
void sl_stats_compute (const SlSessionStats *prev, const SlSessionStats *cur,
                       SlSessionRole role, SlSessionState state,
                       SlStatsReport *out);

/* Returns (transfer full) the report as a JSON object with the fields of
 * docs/stats.md; the caller may add its own before serialising. */
JsonObject *sl_stats_to_json (const SlStatsReport *report);

/* Returns (transfer full) a one-line human-readable status. */
gchar *sl_stats_to_line (const SlStatsReport *report);

G_END_DECLS
