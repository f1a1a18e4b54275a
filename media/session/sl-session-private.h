/* sl-session-private.h — what the files of SlSession share.
 *
 * sl-session.c          life cycle, negotiation, ICE, state machine
 * sl-session-media.c    the send and receive branches around webrtcbin
 * sl-session-stats.c    polling webrtcbin's stats and the audio meters
 * sl-session-channel.c  the control data channel and its ping
 * sl-session-link.c     liveness, loss recovery and the link's health
 * sl-session-rate.c     rate controller, degradation, keyframe requests
 * sl-session-guide.c    the guidance channels, "sl-guide" and "sl-pointer"
 */
#pragma once

#include "sl-session.h"
#include "sl-media.h"
#include "sl-jitter.h"
#include "sl-stage.h"
#include "sl-degrade.h"
#include "sl-h264-gap.h"
#include "sl-fec-policy.h"
#include "sl-link.h"

#include <gst/webrtc/webrtc.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (sl_session_debug);

/* Transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-
 * extensions-01): the sender numbers every packet in a header extension,
 * the receiver reports when each arrived, and the rate controller
 * (sl-bwe.c) reads the delays from those reports. */
#define SL_EXT_TWCC 1
#define SL_TWCC_URI                                                            \
  "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

typedef struct _SlSessionGuide SlSessionGuide;

struct _SlSession
{
  GObject parent;

  SlSessionRole role;
  gchar *peer_id;
  guint video_bitrate_kbps;
  gchar *x264_options;
  guint jitter_ms;
  SlJitterPolicy jitter_policy;       /* control thread: voice */
  SlJitterPolicy video_jitter_policy; /* control thread */
  gboolean send_audio;
  gboolean recv_audio;
  gboolean paced_display;
  GstElement *display; /* VIEWER: the display sink (or its bin), owned */
  SlSessionCallbacks callbacks;
  gpointer user_data;

  GstElement *pipeline;
  GstElement *webrtc;
  GstElement *video_sink; /* VIEWER, owned until added to the pipeline */
  GstElement *audio_sink; /* owned until added to the pipeline */
  GstAppSrc *video_src;   /* SENDER */
  GstAppSrc *audio_src;
  GstElement *encoder;
  GstWebRTCRTPTransceiver *video_trans; /* SENDER, owned */
  GstElement *scale_caps;               /* SENDER: the size the encoder gets */

  /* SENDER rate control (sl-session-rate.c), control thread unless said. */
  GstElement *bwe;     /* the aux sender, owned; NULL: none */
  gboolean fixed_rate; /* no controller: the configured rate only */
  guint min_kbps, floor_kbps;
  SlDegrade degrade;
  gboolean degrade_ready;      /* once the source size is known */
  guint encoder_kbps;          /* the bitrate x264 has now */
  guint applied_target;        /* the controller's target last applied */
  gint64 last_keyframe_us;     /* streaming thread: last keyframe allowed */
  guint keyframe_timer;        /* a deferred keyframe request */
  GstElement *audio_send_tail; /* last element of the voice branch */
  guint bus_watch;
  guint stats_timer;
  guint ping_timer;

  SlSessionState state; /* control thread only */
  gboolean closed;      /* atomic: set once by sl_session_close */
  gboolean audio_send_linked;
  gboolean video_flowing; /* atomic: SENDER, encoded video goes out */
  GMainContext *context;

  GstWebRTCDataChannel *channel; /* control thread only */
  SlSessionGuide *guide;         /* control thread only (sl-session-guide.c) */
  guint64 ping_seq;
  GArray *pings; /* element-type Ping (sl-session-channel.c) */

  /* Guards stats: the stats promise and the pad probes update it from
   * streaming threads; sl_session_get_stats reads it. */
  GMutex stats_lock;
  SlSessionStats stats;
  /* Per-frame stage timers (sl-stage.h), under stats_lock too. */
  SlStage stage_capture; /* SENDER: capture to encoder input */
  SlStage stage_encode;
  gint64 encode_begin_us;    /* input time of the frame being encoded */
  gdouble peer_send_ms;      /* VIEWER, control thread: the sender's capture
                             to encoder output, < 0 until it says */
  SlStage stage_decode;      /* VIEWER */
  SlStage stage_output;      /* VIEWER: decoder output to the picture */
  gint64 last_frame_us;      /* VIEWER, under stats_lock: last decoded */
  gdouble frame_interval_ms; /* VIEWER, under stats_lock: mean interval */
  SlH264Gap video_gap; /* VIEWER: the depayloader's streaming thread only */

  SlLinkMonitor link;           /* control thread */
  gdouble send_loss_pct;        /* SENDER, control thread: smoothed RTCP loss */
  guint64 prev_sent, prev_lost; /* SENDER: last second's counters */
  gint64 last_rx_us;            /* atomic: last packet from the peer, 0: none */

  /* ULPFEC (sl-session-fec.c). */
  SlFecPolicy fec_policy; /* SENDER, control thread */
  gboolean no_fec;        /* SENDER: the policy is never asked */
  gint fec_pt;            /* VIEWER, atomic: ULPFEC's payload type, < 0: none */
  guint64 fec_recovered;  /* VIEWER, atomic: packets rebuilt from FEC */
  guint64 fec_received;   /* VIEWER, atomic: FEC packets received */
  guint64 fec_received_seen; /* VIEWER, control thread: at the last poll */
  gint64 fec_last_us;     /* VIEWER, control thread: FEC last seen, 0: never */
  guint video_ceiling_ms; /* the video jitter buffer's ceiling without FEC */
};

/* sl-session.c */
void sl_session_set_state (SlSession *self, SlSessionState state);
/* Runs @func(self, data) on the control thread, unless the session has
 * closed by then.  @data is freed with @destroy either way. */
void sl_session_invoke (SlSession *self, void (*func) (SlSession *, gpointer),
                        gpointer data, GDestroyNotify destroy);
gboolean sl_session_is_closed (SlSession *self);

/* sl-session-media.c */
gboolean sl_session_media_build_send (SlSession *self, GError **error);
gboolean sl_session_media_link_audio_send (SlSession *self, GError **error);
void sl_session_media_start_video (SlSession *self);
void sl_session_media_on_pad_added (GstElement *webrtc, GstPad *pad,
                                    SlSession *self);

/* sl-session-stats.c */
void sl_session_stats_poll (SlSession *self);
void sl_session_stats_adapt_jitter (SlSession *self);
void sl_session_stats_on_element_message (SlSession *self,
                                          const GstStructure *s);

/* sl-session-rate.c */
void sl_session_rate_init (SlSession *self);
void sl_session_rate_attach_encoder (SlSession *self);
void sl_session_rate_poll (SlSession *self);
void sl_session_rate_close (SlSession *self);
void sl_session_rate_clear (SlSession *self);

/* sl-session-fec.c */
gboolean sl_session_fec_watch_element (SlSession *self, GstElement *element,
                                       const gchar *factory);
void sl_session_fec_watch_rtpbin (SlSession *self, GstElement *rtpbin);
void sl_session_fec_attach_jitterbuffer (SlSession *self,
                                         GstElement *jitterbuffer);
gint sl_session_fec_pt_from_sdp (const GstSDPMessage *sdp);
void sl_session_fec_poll (SlSession *self);
guint sl_session_fec_video_ceiling_ms (SlSession *self);

/* sl-session-link.c */
void sl_session_link_init (SlSession *self, guint restart_after_ms,
                           gboolean resumed);
void sl_session_link_watch_webrtc (SlSession *self);
gboolean sl_session_element_has_ssrc (GstElement *element, guint ssrc);
void sl_session_link_on_frame (SlSession *self, gint64 now_us);
void sl_session_link_poll (SlSession *self);

/* sl-session-channel.c */
void sl_session_channel_attach (SlSession *self, GstWebRTCDataChannel *ch);
void sl_session_channel_create (SlSession *self);
void sl_session_channel_ping (SlSession *self);
void sl_session_channel_detach (SlSession *self);

/* sl-session-guide.c: create (SENDER) or take up (VIEWER, by label; FALSE
 * for another label) the guidance channels; close drops them. */
void sl_session_guide_create (SlSession *self);
gboolean sl_session_guide_attach (SlSession *self, GstWebRTCDataChannel *ch);
/* Any thread: connects the message handlers of a guidance channel the
 * peer announced, before anything it sends can be missed. */
void sl_session_guide_watch (SlSession *self, GstWebRTCDataChannel *ch);
void sl_session_guide_close (SlSession *self);

G_END_DECLS
