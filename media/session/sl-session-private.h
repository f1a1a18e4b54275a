/* sl-session-private.h — how the concerns of an SlSession fit together.
 *
 * An SlSession is one object split over files, one file per concern, as
 * webrtcbin is.  Each concern keeps its state in a private struct declared
 * in its own file, with its thread rule beside it; no concern reads
 * another's fields.  What one concern needs of another it gets once a
 * second in an SlSessionTick, built before any concern acts, so the order
 * in which they act changes nothing:
 *
 *   session/sl-session.c          life cycle, negotiation, ICE, state, the
 *                                 tick, the one walk of webrtcbin
 *   session/sl-session-media.c    the send and receive branches (SlSessionMedia)
 *   measure/sl-session-stats.c    webrtcbin's report, stage timers, audio
 *                                 meters, freezes, display (SlSessionMeasure)
 *   control/sl-session-channel.c  the control channel and its ping
 *                                 (SlSessionChannel)
 *   rate/sl-session-rate.c        rate controller, degradation, keyframe
 *                                 requests (SlSessionRate)
 *   recovery/sl-session-recovery.c  jitter buffers, NACK/RTX, the lost-video
 *                                 judgement, the voice's protection
 *                                 (SlSessionRecovery)
 *   recovery/sl-session-fec.c     ULPFEC for the video (SlSessionFec)
 *   recovery/sl-session-link.c    liveness and the link's health
 *                                 (SlSessionLink)
 *   guide/sl-session-guide.c      the guidance channels (SlSessionGuide)
 *   record/sl-session-record.c    the recorder's taps (SlSessionRecord)
 *
 * The published snapshot (SlSession.stats, under stats_lock) is written
 * by each concern for its own fields only and read only by
 * sl_session_get_stats: it is a window, not a blackboard.
 *
 * Each concern's debug category: sl-session, sl-media, sl-stats,
 * sl-control, sl-rate, sl-recovery, sl-fec, sl-link, sl-guide
 * (GST_DEBUG=sl-rate:5, say).
 */
#pragma once

#include "sl-session.h"
#include "sl-encoder-choice.h"
#include "sl-media.h"

#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (sl_session_debug);

/* Transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-
 * extensions-01): the sender numbers every packet in a header extension,
 * the receiver reports when each arrived, and the rate controller
 * (sl-bwe.c) reads the delays from those reports. */
#define SL_EXT_TWCC 1
/* The playout delay the township asks of a browser station: none, each
 * picture shown as soon as it is decoded (recovery/sl-playout-delay.h).
 * Written on each video packet after RED (recovery/sl-session-fec.c). */
#define SL_EXT_PLAYOUT_DELAY 2
/* The payload types the township offers; any value in the dynamic range
 * would do. */
#define SL_PT_H264 96
#define SL_PT_OPUS 111
#define SL_TWCC_URI                                                            \
  "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

typedef struct _SlSessionMedia SlSessionMedia;
typedef struct _SlSessionMeasure SlSessionMeasure;
typedef struct _SlSessionChannel SlSessionChannel;
typedef struct _SlSessionRate SlSessionRate;
typedef struct _SlSessionRecovery SlSessionRecovery;
typedef struct _SlSessionFec SlSessionFec;
typedef struct _SlSessionLink SlSessionLink;
typedef struct _SlSessionGuide SlSessionGuide;
typedef struct _SlSessionRecord SlSessionRecord;

/* The elements inside webrtcbin the concerns work on, found by one walk a
 * tick (sl-session.c).  Each array holds references, dropped with the
 * tick. */
typedef struct
{
  GPtrArray *jitterbuffers; /* rtpjitterbuffer */
  GPtrArray *rtx_senders;   /* rtprtxsend */
  GPtrArray *fec_encoders;  /* rtpulpfecenc, one per transceiver */
} SlWebrtcElements;

/* What the concerns tell each other once a second.  Filled first, by
 * each concern's *_tick_input() with what it measured (each fills only
 * its own fields); then each concern's *_tick() acts on it and on its own
 * state alone.  Unknown values are < 0. */
typedef struct
{
  gint64 now_us;
  const SlWebrtcElements *elements;

  /* measure: webrtcbin's last report, the stage medians of the second,
   * the decoded picture's rhythm. */
  gdouble rtcp_rtt_ms;
  gdouble jitter_ms;
  guint video_ssrc;           /* VIEWER: the received video, 0: unknown */
  guint64 video_packets_sent; /* SENDER, as RTCP counts them */
  gint64 video_packets_lost;  /* SENDER: as the viewer reports */
  gdouble stage_capture_ms, stage_encode_ms; /* SENDER */
  gdouble stage_decode_ms, stage_output_ms;  /* VIEWER */
  gdouble frame_interval_ms; /* VIEWER: mean between decoded frames */
  guint64 freezes;           /* VIEWER: total */

  /* control: the ping's round trip and the sender's send time. */
  gdouble dc_rtt_ms;
  gdouble peer_send_ms; /* VIEWER: what the township's ping said */
  /* SENDER: the viewer's loss figures while fresh (its ping), else < 0. */
  gdouble peer_lost_pct, peer_repaired_pct;

  /* Both round trips together: the one to show and size buffers with
   * (sl_stats_pick_rtt_ms). */
  gdouble rtt_ms;

  /* rate, as of its last decision. */
  gboolean has_controller;
  gdouble controller_loss_pct; /* < 0 without a controller */
  gboolean rate_constrained;
  gboolean below_floor;

  /* fec. */
  guint fec_percent;     /* SENDER: the FEC share in force */
  gboolean fec_arriving; /* VIEWER: FEC packets arrive */
  guint64 fec_recovered; /* VIEWER: packets rebuilt from FEC, total */

  /* recovery: the second's loss figures. */
  /* After NACK/RTX and FEC: a VIEWER's own, a SENDER's from its
   * viewer's ping. */
  gdouble residual_loss_pct;
  gdouble rtcp_loss_pct; /* SENDER: RTCP's, smoothed */
  /* VIEWER: the video the link lost over the second and the share
   * repaired (sl-loss.h, SlRepairMeter), the figure both stations show. */
  gdouble video_lost_pct, video_repaired_pct;
} SlSessionTick;

struct _SlSession
{
  GObject parent;

  /* Set by sl_session_new and not changed after: any thread. */
  SlSessionRole role;
  gchar *peer_id;
  SlSessionCallbacks callbacks;
  gpointer user_data;
  GMainContext *context;
  GstElement *pipeline; /* owned */
  GstElement *webrtc;   /* in the pipeline */

  /* Control thread. */
  SlSessionState state;
  guint bus_watch;
  guint tick_timer;
  gboolean closed; /* atomic: set once by sl_session_close */

  /* Guards stats, the snapshot sl_session_get_stats copies; each concern
   * writes its own fields of it, from any thread, and reads none. */
  GMutex stats_lock;
  SlSessionStats stats;

  /* Guards promises: a reference to each promise handed to webrtcbin
   * that has had no reply yet (sl_session_promise_new). */
  GMutex promise_lock;
  GPtrArray *promises;

  /* One per concern; see the file index above. */
  SlSessionMedia *media;
  SlSessionMeasure *measure;
  SlSessionChannel *channel;
  SlSessionRate *rate;
  SlSessionRecovery *recovery;
  SlSessionFec *fec;
  SlSessionLink *link;
  SlSessionGuide *guide;
  SlSessionRecord *record;
};

/* ---- session/sl-session.c ---- */
void sl_session_set_state (SlSession *self, SlSessionState state);
/* Runs @func(self, data) on the control thread, unless the session has
 * closed by then.  @data is freed with @destroy either way.  Any thread;
 * always queued, so hand-offs keep their order. */
void sl_session_invoke (SlSession *self, void (*func) (SlSession *, gpointer),
                        gpointer data, GDestroyNotify destroy);
gboolean sl_session_is_closed (SlSession *self);
/* A promise for a webrtcbin action, @func called with it and a reference
 * to the session on its reply, or on its interruption when the session
 * closes with it unreplied (webrtcbin 1.22 frees, unreplied, the
 * promises of the operations still queued when it stops).  @func must
 * end with sl_session_promise_done.  Any thread. */
GstPromise *sl_session_promise_new (SlSession *self, GstPromiseChangeFunc func);
/* Ends @func of sl_session_promise_new: drops the session's reference to
 * @promise and the promise's to the session. */
void sl_session_promise_done (SlSession *self, GstPromise *promise);
/* Whether @element's src pad carries the stream @ssrc (0: never). */
gboolean sl_session_element_has_ssrc (GstElement *element, guint ssrc);
/* The name of @element's factory, "" if it has none.  Any thread. */
const gchar *sl_session_factory_name (GstElement *element);

/* ---- session/sl-session-media.c: control thread unless said ---- */
gboolean sl_session_media_new (SlSession *self, const SlSessionConfig *config,
                               GError **error);
gboolean sl_session_media_build_send (SlSession *self, GError **error);
/* VIEWER: links the voice to the offered audio transceiver, once. */
gboolean sl_session_media_link_audio_send (SlSession *self, GError **error);
void sl_session_media_start_video (SlSession *self);
/* webrtcbin's thread: a new stream to receive. */
void sl_session_media_on_pad_added (GstElement *webrtc, GstPad *pad,
                                    SlSession *self);
GstAppSrc *sl_session_media_video_source (SlSession *self);
GstAppSrc *sl_session_media_audio_source (SlSession *self);
/* VIEWER: the display sink (transfer none; NULL before the video). */
GstElement *sl_session_media_display (SlSession *self);
void sl_session_media_free (SlSession *self);

/* ---- measure/sl-session-stats.c ---- */
void sl_session_measure_new (SlSession *self);
void sl_session_measure_request_report (SlSession *self);
void sl_session_measure_tick_input (SlSession *self, SlSessionTick *tick);
void sl_session_measure_tick (SlSession *self, const SlSessionTick *tick);
/* Fills the live fields (frame counters, picture size, freezes) of a
 * copy of the snapshot.  Any thread. */
void sl_session_measure_live (SlSession *self, SlSessionStats *stats);
/* Control thread: level and spectrum messages of the voice branch. */
void sl_session_measure_on_element_message (SlSession *self,
                                            const GstStructure *s);
/* Streaming threads: the probes on the codecs (see the file). */
void sl_session_measure_encoder_input (SlSession *self, GstClockTime pts);
gboolean sl_session_measure_encoder_output (SlSession *self);
void sl_session_measure_decoder_input (SlSession *self, GstClockTime pts);
void sl_session_measure_decoder_output (SlSession *self, GstClockTime pts);
void sl_session_measure_decoded_size (SlSession *self, guint width,
                                      guint height);
void sl_session_measure_picture_out (SlSession *self, GstClockTime pts);
/* A voice packet with content reaches the Opus decoder. */
void sl_session_measure_audio_packet (SlSession *self);
void sl_session_measure_free (SlSession *self);

/* ---- control/sl-session-channel.c: control thread ---- */
void sl_session_channel_new (SlSession *self);
void sl_session_channel_attach (SlSession *self, GstWebRTCDataChannel *ch);
void sl_session_channel_create (SlSession *self);
void sl_session_channel_tick_input (SlSession *self, SlSessionTick *tick);
void sl_session_channel_tick (SlSession *self, const SlSessionTick *tick);
void sl_session_channel_detach (SlSession *self);
void sl_session_channel_free (SlSession *self);

/* ---- rate/sl-session-rate.c: control thread unless said ---- */
void sl_session_rate_new (SlSession *self, const SlSessionConfig *config);
/* The encoder level sl_media_configure_h264_encoder chooses for that
 * picture and rate (sl-encoder-choice.h), with the default budget. */
SlEncoderLevel sl_media_encoder_level (guint bitrate_kbps, guint width,
                                       guint height, gdouble fps);
/* Sets @x264enc's preset and options to @level's (x264enc takes them
 * only when stopped). */
void sl_media_set_encoder_level (GstElement *x264enc, SlEncoderLevel level);
/* SENDER, control thread: reopens the encoder with @level's settings
 * (and --x264-options after them) just before the next frame enters it;
 * that frame is a keyframe with new parameter sets. */
void sl_session_media_reopen_encoder (SlSession *self, SlEncoderLevel level);
/* SENDER: the encoder and the scaler's caps filter in front of it. */
void sl_session_rate_attach_encoder (SlSession *self, GstElement *encoder,
                                     GstElement *scale_caps);
/* The voice's Opus encoder, whose packing follows the link. */
void sl_session_rate_attach_voice (SlSession *self, GstElement *opusenc);
/* A keyframe now, for the sender's own reasons (a new connection). */
void sl_session_rate_force_keyframe (SlSession *self);
void sl_session_rate_tick_input (SlSession *self, SlSessionTick *tick);
void sl_session_rate_tick (SlSession *self, const SlSessionTick *tick);
void sl_session_rate_close (SlSession *self);
void sl_session_rate_free (SlSession *self);

/* ---- recovery/sl-session-recovery.c ---- */
void sl_session_recovery_new (SlSession *self, const SlSessionConfig *config);
/* Any thread: an element appeared inside the pipeline; TRUE if taken. */
gboolean sl_session_recovery_element_added (SlSession *self,
                                            GstElement *element);
void sl_session_recovery_watch_rtpbin (SlSession *self, GstElement *rtpbin);
/* VIEWER: the depayloader of the received video. */
void sl_session_recovery_watch_depayloader (SlSession *self, GstElement *depay);
void sl_session_recovery_tick_input (SlSession *self, SlSessionTick *tick);
void sl_session_recovery_tick (SlSession *self, const SlSessionTick *tick);
void sl_session_recovery_free (SlSession *self);

/* ---- recovery/sl-session-fec.c ---- */
void sl_session_fec_new (SlSession *self, const SlSessionConfig *config);
gboolean sl_session_fec_element_added (SlSession *self, GstElement *element);
void sl_session_fec_watch_rtpbin (SlSession *self, GstElement *rtpbin);
/* VIEWER, streaming thread: a jitter buffer rtpbin made. */
void sl_session_fec_attach_jitterbuffer (SlSession *self,
                                         GstElement *jitterbuffer);
/* VIEWER: the offer's ULPFEC payload type (sl-fec-sdp.h). */
void sl_session_fec_remote_offer (SlSession *self, const GstSDPMessage *sdp);
void sl_session_fec_tick_input (SlSession *self, SlSessionTick *tick);
void sl_session_fec_tick (SlSession *self, const SlSessionTick *tick);
void sl_session_fec_free (SlSession *self);

/* ---- recovery/sl-session-link.c ---- */
void sl_session_link_new (SlSession *self, const SlSessionConfig *config);
gboolean sl_session_link_element_added (SlSession *self, GstElement *element);
void sl_session_link_tick (SlSession *self, const SlSessionTick *tick);
void sl_session_link_free (SlSession *self);

/* ---- record/sl-session-record.c ---- */
void sl_session_record_new (SlSession *self);
void sl_session_record_free (SlSession *self);
/* Streaming threads: an H.264 access unit on @pad (SENDER: the encoder's
 * output; VIEWER: the decoder's input), a voice packet (@own: this
 * station's, from its encoder; else the peer's, before the decoder). */
void sl_session_record_video (SlSession *self, GstPad *pad, GstBuffer *buffer);
void sl_session_record_voice (SlSession *self, gboolean own, GstBuffer *buffer);

/* ---- guide/sl-session-guide.c: control thread unless said ---- */
/* Create (SENDER) or take up (VIEWER, by label; FALSE for another label)
 * the guidance channels; close drops them. */
void sl_session_guide_create (SlSession *self);
gboolean sl_session_guide_attach (SlSession *self, GstWebRTCDataChannel *ch);
/* Any thread: connects the message handlers of a guidance channel the
 * peer announced, before anything it sends can be missed. */
void sl_session_guide_watch (SlSession *self, GstWebRTCDataChannel *ch);
void sl_session_guide_close (SlSession *self);

G_END_DECLS
