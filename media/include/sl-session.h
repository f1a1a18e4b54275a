/* sl-session.h — one WebRTC peer connection between two stations.
 *
 * An SlSession wraps one webrtcbin in a pipeline of its own.  A SENDER
 * session (at the township) sends the probe video and the room's voice and
 * receives the remote voice; it makes the offer.  A VIEWER session (expert or
 * trainee) receives the video and voice, optionally sends a voice back, and
 * answers.  The application moves SDP and ICE between the two sides through
 * the hub, feeds the sender's appsrcs from an SlCapture, and reads stats.
 *
 * Every session also carries one reliable, ordered data channel ("sl-control")
 * that both sides ping once a second to prove it and measure its round trip,
 * and the guidance layer's two channels, "sl-guide" and "sl-pointer"
 * (docs/guidance.md; sl-session-guide.c).
 *
 * Threading: all functions on the control thread; callbacks arrive on the
 * control thread except video_frame, which runs on a streaming thread.
 */
#pragma once

#include <gst/gst.h>
#include <gst/app/gstappsrc.h>

#include "sl-guide.h"
#include "sl-link-state.h"

G_BEGIN_DECLS

/* The most tones SlSessionStats lists in the received voice. */
#define SL_AUDIO_TONES_MAX 4

#define SL_TYPE_SESSION (sl_session_get_type ())
G_DECLARE_FINAL_TYPE (SlSession, sl_session, SL, SESSION, GObject)

typedef enum
{
  SL_SESSION_SENDER,
  SL_SESSION_VIEWER,
} SlSessionRole;

/* The session's life.  Transitions are validated and logged by one
 * set_state() function in sl-session.c. */
typedef enum
{
  SL_SESSION_STATE_NEW,
  SL_SESSION_STATE_NEGOTIATING,  /* SDP under way */
  SL_SESSION_STATE_CONNECTING,   /* SDP done, ICE/DTLS under way */
  SL_SESSION_STATE_CONNECTED,    /* media can flow */
  SL_SESSION_STATE_DISCONNECTED, /* ICE lost the path; may come back */
  SL_SESSION_STATE_FAILED,       /* cannot recover: recreate the session */
  SL_SESSION_STATE_CLOSED,       /* closed on purpose */
} SlSessionState;

const gchar *sl_session_state_name (SlSessionState state);

typedef struct
{
  SlSessionRole role;
  const gchar *peer_id;     /* the remote peer, for logs */
  guint video_bitrate_kbps; /* SENDER: encoder target, and the most the
                               rate controller gives the video */
  /* SENDER rate control (docs/rate-control.md): the least the controller
   * gives the video (0: 40), the diagnostic floor below which both users
   * are told the picture is not of diagnostic quality (0: 500), or no
   * controller at all (the configured rate whatever the link does). */
  guint min_bitrate_kbps;
  guint floor_kbps;
  gboolean fixed_rate;
  /* SENDER: never add FEC to the video (sl-fec-policy.h says when it
   * would). */
  gboolean no_fec;
  /* SENDER: extra x264 options ("key=value:key=value", x264's own syntax)
   * applied over the engine's settings, for tuning; NULL: none. */
  const gchar *x264_options;
  /* SENDER: the picture the capture gives, for which the encoder's preset
   * and options are chosen (docs/rate-control.md, ENCODER SETTINGS); 0:
   * unknown, 1280x720 at 30 fps assumed. */
  guint video_width, video_height, video_fps;
  guint jitter_ms; /* receive jitter-buffer latency */
  gboolean send_audio;
  /* Play the peer's voice.  FALSE: voice that arrives is dropped
   * unplayed (the offer stays sendrecv: sl-session-media.c says why). */
  gboolean recv_audio;
  /* Local addresses ICE may use (NULL: all interfaces but loopback). */
  const gchar *const *ice_addresses;
  /* Silence from the peer after which the connection is given up and the
   * session ends FAILED so that the station makes it again (0: 4000 ms;
   * sl-link.h). */
  guint restart_after_ms;
  /* This session replaces one that failed: its link starts "recovering". */
  gboolean resumed;
  /* VIEWER: the display sink waits for the clock (smooth, paced display):
   * its queue then holds up to half a second of pictures instead of one. */
  gboolean paced_display;
  /* VIEWER: sink for decoded video (transfer floating; NULL: fakesink). */
  GstElement *video_sink;
  /* VIEWER, with no video_sink: the video_frame callback is the display
   * (the station shows the pictures in a window of its own that outlives
   * the session).  No display branch is built; the frame branch's sink
   * is the one whose rendered and dropped counts the stats report, and
   * with paced_display it waits for the clock and keeps up to half a
   * second of pictures, as a paced display sink would. */
  gboolean frames_display;
  /* Sink for decoded audio (transfer floating; NULL: fakesink). */
  GstElement *audio_sink;
} SlSessionConfig;

typedef struct
{
  /* Local SDP to send to the peer; @type is "offer" or "answer". */
  void (*local_description) (SlSession *session, const gchar *type,
                             const gchar *sdp, gpointer user_data);
  /* A local ICE candidate to send; "" marks the end of gathering. */
  void (*local_candidate) (SlSession *session, guint mline,
                           const gchar *candidate, gpointer user_data);
  void (*state_changed) (SlSession *session, SlSessionState state,
                         gpointer user_data);
  /* VIEWER, streaming thread: each decoded frame (I420).  Must not block. */
  void (*video_frame) (SlSession *session, GstSample *sample,
                       gpointer user_data);
  /* Streaming thread: each decoded voice buffer, as opusdec produced it
   * (S16LE, 48 kHz; @caps say the channels).  Must not block. */
  void (*audio_decoded) (SlSession *session, GstBuffer *buffer, GstCaps *caps,
                         gpointer user_data);
  /* A guidance message from the peer, parsed and found on the channel its
   * type belongs to (refused ones are logged and nacked instead, and
   * never arrive here).  @msg is valid during the call only. */
  void (*guide_message) (SlSession *session, const SlGuideMsg *msg,
                         gpointer user_data);
  /* A guidance channel (@label SL_GUIDE_CHANNEL or SL_GUIDE_POINTER_CHANNEL)
   * opened or closed.  A receiver forgets the pointer's sequence when the
   * pointer channel opens (sl_guide_state_reset_pointer). */
  void (*guide_channel) (SlSession *session, const gchar *label, gboolean open,
                         gpointer user_data);
} SlSessionCallbacks;

/* Counters and gauges of one session, as of the last poll (once a second).
 * Counters are totals since the session started; sl-stats.h turns two
 * snapshots into rates. */
typedef struct
{
  gint64 time_us;           /* monotonic time of this snapshot */
  guint64 frames_sent;      /* SENDER: frames out of the encoder */
  guint64 frames_decoded;   /* VIEWER: frames out of the decoder */
  guint64 video_bytes_sent; /* RTP payload+header bytes */
  guint64 video_bytes_received;
  guint64 video_packets_sent;
  guint64 video_packets_received;
  gint64 video_packets_lost; /* as reported (receiver, or RTCP RR) */
  guint64 audio_bytes_received;
  /* Voice packets with content handed to the Opus decoder (not the
   * decoder's concealment of lost ones): a second in which this does not
   * grow had no voice from the peer. */
  guint64 audio_packets_decoded;
  guint video_width, video_height; /* VIEWER: decoded size */
  gdouble rtt_ms;                  /* RTCP round trip, < 0 if unknown */
  gdouble jitter_ms;               /* receive jitter, < 0 if unknown */
  guint jitter_buffer_ms;          /* the receive jitter buffer's latency */
  gdouble audio_level_db;          /* received voice RMS, dBFS (-inf: none) */
  gdouble audio_peak_hz;           /* strongest received frequency, 0: none */
  /* The received voice's distinct tones (sl_stats_find_tones), Hz. */
  gdouble audio_tones_hz[SL_AUDIO_TONES_MAX];
  guint audio_tones;
  gdouble dc_rtt_ms;     /* data-channel ping round trip, < 0 */
  guint64 dc_roundtrips; /* completed data-channel pings */
  /* Medians over the last second, ms, < 0 if unknown (sl-stage.h):
   * SENDER: capture to encoder input, encoding; VIEWER: decoding, decoder
   * output to the picture handed to the application. */
  gdouble stage_capture_ms, stage_encode_ms;
  gdouble stage_decode_ms, stage_output_ms;
  /* VIEWER: glass-to-glass estimate without a stamp: the sender's capture
   * to encoder output, half the round trip, decoding and output (ms, < 0
   * until all are known). */
  gdouble latency_estimate_ms;
  /* Loss recovery (sl-session-link.c), totals.  VIEWER: packets the video
   * jitter buffers passed on, NACKed, got back by RTX, and gave up on (the
   * residual loss).  SENDER: retransmissions sent. */
  guint video_ssrc_received; /* VIEWER: the video's SSRC, 0: not yet */
  guint64 video_packets_decoded_in;
  guint64 video_nacks;
  guint64 video_packets_recovered;
  guint64 video_packets_unrecovered;
  guint64 video_packets_retransmitted;
  /* VIEWER: packets rebuilt from FEC (sl-fec.h); SENDER: the share of FEC
   * packets the township adds now, percent (0: none). */
  guint64 video_packets_fec_recovered;
  guint fec_percent;
  /* The video the link lost over the viewer's last second, and the share
   * NACK/RTX and FEC repaired, percent (< 0: unknown).  VIEWER: measured;
   * SENDER: as the viewer's control-channel ping said, so both stations
   * show the same figure (sl-loss.h says why not RTCP's). */
  gdouble video_lost_pct, video_repaired_pct;
  /* SENDER rate control: the controller's target for the transport and
   * its delay-based estimate, what the viewer acknowledged, the loss it
   * reported; the encoder's bitrate, picture size and frame rate now (0:
   * not yet); keyframe requests received from the viewer (PLI/FIR). */
  guint bwe_target_kbps, bwe_estimate_kbps, acked_kbps;
  gdouble bwe_loss_pct;
  gdouble bwe_queue_ms; /* the standing queue the controller sees, < 0 */
  guint encoder_kbps, send_width, send_height;
  gdouble send_fps;
  /* SENDER: the encoder's level now, "fast", "base" or "strong"
   * (static; NULL: not a sender). */
  const gchar *encoder_level;
  /* SENDER: the voice's Opus frames now (ms, 0: no voice), and what the
   * voice, the data channels and RTCP cost on the link, the share the
   * video leaves free (kbit/s). */
  guint voice_frame_ms, voice_cost_kbps;
  guint64 keyframe_requests;
  /* VIEWER: picture freezes (W3C webrtc-stats rule), their total and
   * longest duration. */
  guint64 freezes;
  gdouble freeze_ms, longest_freeze_ms;
  /* VIEWER: when the last freeze ended (the monotonic clock of
   * sl_media_now_us, µs; 0: none yet) and how long it was: the moment the
   * picture came back, to the frame, for tests and benchmarks. */
  gint64 last_freeze_end_us;
  gdouble last_freeze_ms;
  /* Rate control: the controller holds the video well below its target,
   * or below the diagnostic floor. */
  gboolean rate_constrained, below_floor;
  /* The link's health (sl-link.h), why, and how long since the last
   * packet from the peer. */
  SlLinkState link_state;
  gchar link_reason[64];
  gint64 silence_ms;
  /* VIEWER: pictures the display sink showed, and dropped as too late
   * (its GstBaseSink "stats"; 0 for a sink that keeps none). */
  guint64 display_rendered, display_dropped;
} SlSessionStats;

/* Creates a session (does not start it).  Returns NULL with @error if an
 * element is missing.  Takes ownership of the sinks in @config. */
SlSession *sl_session_new (const SlSessionConfig *config,
                           const SlSessionCallbacks *callbacks,
                           gpointer user_data, GError **error);

/* Starts the pipeline; a SENDER then creates its offer. */
gboolean sl_session_start (SlSession *session, GError **error);

/* Applies the peer's SDP ("offer" or "answer").  A VIEWER answers an offer
 * through the local_description callback. */
gboolean sl_session_set_remote_description (SlSession *session,
                                            const gchar *type, const gchar *sdp,
                                            GError **error);

/* Adds a remote ICE candidate ("" = end of candidates, ignored). */
void sl_session_add_remote_candidate (SlSession *session, guint mline,
                                      const gchar *candidate);

/* SENDER: the appsrcs to feed from the capture (transfer none; NULL if the
 * session does not send that kind). */
GstAppSrc *sl_session_get_video_source (SlSession *session);
GstAppSrc *sl_session_get_audio_source (SlSession *session);

SlSessionState sl_session_get_state (SlSession *session);
const gchar *sl_session_get_peer_id (SlSession *session);
SlSessionRole sl_session_get_role (SlSession *session);

/* The session's pipeline (transfer none), for diagnostics (a graph dump
 * with GST_DEBUG_BIN_TO_DOT_FILE) and tests that look inside; change
 * nothing in it. */
GstElement *sl_session_get_pipeline (SlSession *session);

/* Copies the latest stats snapshot. */
void sl_session_get_stats (SlSession *session, SlSessionStats *stats);

/* ---- recording (docs/recording.md; sl-session-record.c) ---- */

typedef struct _SlRecorder SlRecorder;

/* Hands this session's media to @recorder (a reference is taken; NULL
 * stops): SENDER, its encoder's output and its own voice; VIEWER, the
 * video as received and its own voice; both, the peer's voice.  Asks for
 * a keyframe so that the recording starts at once. */
void sl_session_set_recorder (SlSession *session, SlRecorder *recorder);
/* Asks for a keyframe for the recording: the sender's encoder makes one,
 * a viewer asks its sender (a PLI).  After a gap in the recording
 * (sl_recorder_take_keyframe_wanted).  Control thread. */
void sl_session_record_keyframe (SlSession *session);

/* ---- guidance (docs/guidance.md; sl-session-guide.c) ---- */

/* Serialises @msg and sends it on the channel its type travels on
 * (sl_guide_channel_for).  Returns FALSE, sending nothing, if that channel
 * is not open, or for a nack over the limit of 10 a second. */
gboolean sl_session_send_guide (SlSession *session, const SlGuideMsg *msg);

/* Sends a nack for a message guide_message handed the application and
 * that it refused with @error (a SL_GUIDE_ERROR), rate-limited as above;
 * the message counts as refused in the guide stats, no longer as
 * received.  @ref_type and @ref_id may be NULL. */
gboolean sl_session_send_guide_nack (SlSession *session, const GError *error,
                                     gint64 media_ms, const gchar *ref_type,
                                     const gchar *ref_id);

/* TRUE if the channel a message of @type travels on is open. */
gboolean sl_session_guide_is_open (SlSession *session, SlGuideType type);

/* Bytes queued on "sl-guide" and not yet handed to SCTP: a still's chunks
 * are paced on it so that marks never wait long behind a still. */
guint64 sl_session_guide_buffered_amount (SlSession *session);

typedef struct
{
  guint64 received; /* messages taken: handed to guide_message and not
                       refused there (sl_session_send_guide_nack) */
  guint64 refused;  /* messages refused here or by the application (and
                       nacked, within the limit) */
  guint64 sent;     /* messages sent, nacks included */
  guint64 nacks_sent;
  guint64 nacks_suppressed; /* nacks not sent: over 10 a second */
  guint64 opens[2];         /* times "sl-guide" and "sl-pointer" opened */
} SlSessionGuideStats;

void sl_session_get_guide_stats (SlSession *session,
                                 SlSessionGuideStats *stats);

/* Stops media and closes the connection; idempotent.  No callback is made
 * after this returns. */
void sl_session_close (SlSession *session);

G_END_DECLS
