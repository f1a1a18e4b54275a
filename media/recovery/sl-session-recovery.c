/* sl-session-recovery.c — what a session does about lost packets.
 *
 * NACK/RTX first: the viewer's jitter buffers ask for a lost video packet
 * again (webrtcbin 1.22 leaves NACK off in them even when the transceiver
 * negotiated it, so it is turned on here), the township's rtprtxsend
 * answers from a second of history, and rtpsession sends the requests at
 * once (sl-recovery.h says why each value).  The jitter buffers wait for
 * what is missing only as long as the link needs (sl-jitter.h: sized once
 * a second from the round trip, the jitter, the measured frame interval
 * and whether FEC arrives).  What NACK/RTX and FEC could not bring back
 * is judged before the depayloader (sl-h264-gap.h): a lost video packet
 * marks the next one DISCONT, so the decoder waits for a keyframe instead
 * of showing a smeared picture, and while it waits the viewer keeps
 * asking for one (sl-keyframe-wait.h), since a request can come to
 * nothing.  The voice has no NACK: Opus's in-band FEC, told the loss the
 * viewer reports (sl-loss.h), and concealment cover it sooner than a
 * round trip could.  FEC for the video is its own file
 * (sl-session-fec.c).  Once a second the viewer also works out what the
 * link lost of the video and what was repaired (sl-loss.h,
 * SlRepairMeter), the figure both stations show: the control channel
 * carries it to the sender.
 *
 * Threads: the depayloader's probes keep their state to themselves; the
 * new-jitterbuffer handler runs on a streaming thread and only sets
 * properties; SlSessionRecovery is the control thread's.
 */
#include "sl-session-private.h"

#include "sl-h264-gap.h"
#include "sl-jitter.h"
#include "sl-keyframe-wait.h"
#include "sl-loss.h"
#include "sl-recovery.h"

#include <gst/rtp/rtp.h>
#include <gst/video/video.h>

GST_DEBUG_CATEGORY_STATIC (sl_recovery_debug);
#define GST_CAT_DEFAULT sl_recovery_debug

struct _SlSessionRecovery
{
  /* From the configuration, not changed after. */
  guint video_kbps;

  /* Control thread. */
  SlJitterPolicy voice_policy;
  SlJitterPolicy video_policy;
  SlLossMeter rtcp_loss; /* SENDER: what the viewer reports lost */
  SlLossMeter residual;  /* VIEWER: what stays lost */
  SlRepairMeter repair;  /* VIEWER: what the link lost, what was repaired */
  gdouble lost_pct, repaired_pct; /* VIEWER: its last second's */
  /* The video jitter buffers' and retransmitter's totals, as last read. */
  guint64 passed, lost, nacks, recovered, retransmitted;
};

/* ---- set-up ---- */

/* VIEWER: feedback (NACK, PLI, congestion feedback) as soon as it is due,
 * from the first packet (sl_recovery_rtcp_budget). */
static void
speed_up_feedback (SlSession *self, GstElement *rtpbin, guint session)
{
  GstElement *rtpsession = NULL;

  g_signal_emit_by_name (rtpbin, "get-session", session, &rtpsession);
  if (rtpsession == NULL)
    return;
  g_object_set (rtpsession, "rtcp-fraction",
                sl_recovery_rtcp_budget (self->recovery->video_kbps),
                "rtcp-min-interval",
                (guint64)SL_RECOVERY_RTCP_MIN_INTERVAL_MS * GST_MSECOND, NULL);
  gst_object_unref (rtpsession);
}

/* Streaming thread: rtpbin made a jitter buffer for a new stream.  Our
 * handler runs after webrtcbin's own, which was connected first.  Start
 * at once (SL_RECOVERY_FASTSTART_PACKETS).  VIEWER: NACK on for every
 * stream, since the kind is not known yet; once the stats say which SSRC
 * is the video, the others are turned off again (sl_session_recovery_tick). */
static void
on_new_jitterbuffer (GstElement *rtpbin, GstElement *jitterbuffer,
                     guint session, guint ssrc, SlSession *self)
{
  g_object_set (jitterbuffer, "faststart-min-packets",
                SL_RECOVERY_FASTSTART_PACKETS, NULL);
  if (self->role != SL_SESSION_VIEWER)
    return;
  /* Ask only for packets shown missing by a later one.  With its default
   * guess of when the next packet is due, the jitter buffer asked for
   * packets the township had not sent yet (video comes in bursts, a frame
   * at a time) and, behind a deep uplink queue, for packets that were
   * only late: thousands of requests, none recovering anything, and the
   * retransmissions filled the queue further. */
  g_object_set (jitterbuffer, "do-retransmission", TRUE, "rtx-next-seqnum",
                FALSE, "rtx-max-retries", SL_RECOVERY_RTX_MAX_RETRIES, NULL);
  sl_session_fec_attach_jitterbuffer (self, jitterbuffer);
  speed_up_feedback (self, rtpbin, session);
}

void
sl_session_recovery_watch_rtpbin (SlSession *self, GstElement *rtpbin)
{
  g_signal_connect (rtpbin, "new-jitterbuffer",
                    G_CALLBACK (on_new_jitterbuffer), self);
}

gboolean
sl_session_recovery_element_added (SlSession *self, GstElement *element)
{
  if (!g_str_equal (sl_session_factory_name (element), "rtprtxsend"))
    return FALSE;
  g_object_set (element, "max-size-packets", 0, "max-size-time",
                SL_RECOVERY_RTX_HISTORY_MS, NULL);
  return TRUE;
}

void
sl_session_recovery_new (SlSession *self, const SlSessionConfig *config)
{
  SlSessionRecovery *r = g_new0 (SlSessionRecovery, 1);
  g_autoptr (GstElement) rtpbin = NULL;

  if (sl_recovery_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (sl_recovery_debug, "sl-recovery", 0,
                             "sonolink loss recovery");
  r->video_kbps = config->video_bitrate_kbps;
  r->lost_pct = r->repaired_pct = -1;
  sl_jitter_policy_init (&r->voice_policy, config->jitter_ms);
  sl_jitter_policy_init_video (&r->video_policy, config->jitter_ms);
  self->recovery = r;
  /* The jitter buffers made from now on start from the configured
   * latency; the running ones are sized once a second. */
  g_object_set (self->webrtc, "latency", r->voice_policy.current_ms, NULL);
  rtpbin = gst_bin_get_by_name (GST_BIN (self->webrtc), "rtpbin");
  if (rtpbin == NULL)
    {
      GST_WARNING_OBJECT (self->pipeline,
                          "no rtpbin in webrtcbin: lost video packets will "
                          "not be asked again, streams start late");
      return;
    }
  sl_session_recovery_watch_rtpbin (self, rtpbin);
  sl_session_fec_watch_rtpbin (self, rtpbin);
}

void
sl_session_recovery_free (SlSession *self)
{
  g_clear_pointer (&self->recovery, g_free);
}

/* ---- lost video beyond repair ---- */

/* The state of the depayloader's two probes, shared (a GRcBox, one
 * reference each).  Both run on the one streaming thread that feeds it:
 * it pushes its pictures from within its chain function. */
typedef struct
{
  SlH264Gap gap;
  SlKeyframeWait wait;
} DepayWatch;

/* Streaming thread: between rtpulpfecdec and the depayloader, marks the
 * packet after a lost one DISCONT when the lost one was video
 * (sl-h264-gap.h).  A loss rtpulpfecdec forwards without a sequence
 * number is one it could not recover.  A packet marked DISCONT, here or
 * by the jitter buffer, makes the depayloader wait for a keyframe and ask
 * for one; while it waits, the request is made again
 * (sl-keyframe-wait.h), as the depayloader itself would: a
 * force-key-unit event upstream, which webrtcbin's rtpsession sends as a
 * PLI or FIR. */
static GstPadProbeReturn
on_depay_input (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  DepayWatch *watch = user_data;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstBuffer *buf;
  gboolean video;
  gint64 now_us;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM)
    {
      GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
      const GstStructure *s = gst_event_get_structure (event);
      gboolean fec = FALSE;

      if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM
          && gst_structure_has_name (s, "GstRTPPacketLost")
          && gst_structure_get_boolean (s, "might-have-been-fec", &fec) && fec)
        sl_h264_gap_lost (&watch->gap);
      return GST_PAD_PROBE_OK;
    }
  buf = GST_PAD_PROBE_INFO_BUFFER (info);
  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  video = sl_h264_gap_packet (&watch->gap, gst_rtp_buffer_get_timestamp (&rtp),
                              gst_rtp_buffer_get_marker (&rtp),
                              gst_rtp_buffer_get_payload (&rtp),
                              gst_rtp_buffer_get_payload_len (&rtp));
  gst_rtp_buffer_unmap (&rtp);
  if (video)
    {
      GST_DEBUG_OBJECT (pad, "video lost beyond repair: resynchronising on "
                             "a keyframe");
      buf = gst_buffer_make_writable (buf);
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
      GST_PAD_PROBE_INFO_DATA (info) = buf;
    }
  now_us = sl_media_now_us ();
  if (GST_BUFFER_IS_DISCONT (buf))
    sl_keyframe_wait_discont (&watch->wait, now_us);
  else if (sl_keyframe_wait_due (&watch->wait, now_us))
    {
      GST_DEBUG_OBJECT (pad,
                        "no keyframe yet: asking again (%" G_GUINT64_FORMAT
                        " times so far)",
                        watch->wait.repeats);
      gst_pad_push_event (pad, gst_video_event_new_upstream_force_key_unit (
                                   GST_CLOCK_TIME_NONE, TRUE, 0));
    }
  return GST_PAD_PROBE_OK;
}

static gboolean
picture_out (GstBuffer **buf, guint idx, gpointer user_data)
{
  DepayWatch *watch = user_data;

  sl_keyframe_wait_picture (
      &watch->wait, !GST_BUFFER_FLAG_IS_SET (*buf, GST_BUFFER_FLAG_DELTA_UNIT));
  return TRUE;
}

/* Streaming thread: pictures out of the depayloader; a keyframe ends the
 * wait for one. */
static GstPadProbeReturn
on_depay_output (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstBuffer *buf;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info), picture_out,
                             user_data);
  else
    {
      buf = GST_PAD_PROBE_INFO_BUFFER (info);
      picture_out (&buf, 0, user_data);
    }
  return GST_PAD_PROBE_OK;
}

void
sl_session_recovery_watch_depayloader (SlSession *self, GstElement *depay)
{
  g_autoptr (GstPad) sink = gst_element_get_static_pad (depay, "sink");
  g_autoptr (GstPad) src = gst_element_get_static_pad (depay, "src");
  DepayWatch *watch = g_rc_box_new0 (DepayWatch);

  sl_h264_gap_init (&watch->gap);
  sl_keyframe_wait_init (&watch->wait);
  gst_pad_add_probe (
      sink, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      on_depay_input, g_rc_box_acquire (watch), g_rc_box_release);
  gst_pad_add_probe (src,
                     GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     on_depay_output, watch, g_rc_box_release);
}

/* ---- the tick ---- */

static void
add_jitterbuffer (GstElement *jb, guint64 totals[4])
{
  g_autoptr (GstStructure) s = NULL;
  guint64 v;

  g_object_get (jb, "stats", &s, NULL);
  if (s == NULL)
    return;
  if (gst_structure_get_uint64 (s, "num-pushed", &v))
    totals[0] += v;
  if (gst_structure_get_uint64 (s, "num-lost", &v))
    totals[1] += v;
  if (gst_structure_get_uint64 (s, "rtx-count", &v))
    totals[2] += v;
  if (gst_structure_get_uint64 (s, "rtx-success-count", &v))
    totals[3] += v;
}

/* The recovery counters of webrtcbin's elements, summed: the video's
 * jitter buffers and the retransmitter.  Then the second's loss figures,
 * from those and from RTCP's counts (measure's part of the tick, which
 * is filled before this). */
void
sl_session_recovery_tick_input (SlSession *self, SlSessionTick *tick)
{
  SlSessionRecovery *r = self->recovery;
  const SlWebrtcElements *e = tick->elements;
  guint64 totals[4] = { 0 };
  guint n;

  r->retransmitted = 0;
  for (guint i = 0; i < e->jitterbuffers->len; i++)
    if (sl_session_element_has_ssrc (e->jitterbuffers->pdata[i],
                                     tick->video_ssrc))
      add_jitterbuffer (e->jitterbuffers->pdata[i], totals);
  for (guint i = 0; i < e->rtx_senders->len; i++)
    {
      g_object_get (e->rtx_senders->pdata[i], "num-rtx-packets", &n, NULL);
      r->retransmitted += n;
    }
  /* A SENDER has no video jitter buffer: what its viewer says stayed
   * lost (control/, filled before this) is the residual loss its link
   * state judges, so that the township does not call a link good while
   * its status line shows the expert losing the picture. */
  tick->residual_loss_pct
      = self->role == SL_SESSION_SENDER
            ? sl_loss_residual_of_peer (tick->peer_lost_pct,
                                        tick->peer_repaired_pct)
            : sl_loss_meter_residual (&r->residual, totals[0], totals[1]);
  tick->video_lost_pct = tick->video_repaired_pct = -1;
  if (self->role == SL_SESSION_VIEWER)
    sl_repair_meter_update (&r->repair, totals[0], totals[1],
                            totals[3] + tick->fec_recovered,
                            &tick->video_lost_pct, &tick->video_repaired_pct);
  r->lost_pct = tick->video_lost_pct;
  r->repaired_pct = tick->video_repaired_pct;
  r->passed = totals[0];
  r->lost = totals[1];
  r->nacks = totals[2];
  r->recovered = totals[3];
  tick->rtcp_loss_pct
      = sl_loss_meter_sent (&r->rtcp_loss, tick->video_packets_sent,
                            (guint64)MAX (0, tick->video_packets_lost));
}

/* SENDER: tells Opus the loss the viewer reports, so that its in-band FEC
 * protects in proportion. */
static void
adapt_voice_protection (SlSession *self, gdouble loss_pct)
{
  g_autoptr (GstElement) opus
      = gst_bin_get_by_name (GST_BIN (self->pipeline), "audio-encoder");

  if (opus != NULL)
    g_object_set (opus, "packet-loss-percentage",
                  sl_loss_opus_percentage (loss_pct), NULL);
}

/* Sizes the jitter buffers: the video's from its policy, the others'
 * (voice) from theirs; until the stats say which stream is the video,
 * all get the video's, the larger.  webrtcbin's own "latency" covers the
 * jitter buffers made from now on.  The voice's jitter buffers also lose
 * NACK once the video is known: the voice has no RTX to ask for. */
static void
size_jitter_buffers (SlSession *self, const SlSessionTick *tick)
{
  SlSessionRecovery *r = self->recovery;
  GPtrArray *jbs = tick->elements->jitterbuffers;
  guint before = r->video_policy.current_ms, video;
  guint before_voice = r->voice_policy.current_ms, voice;

  sl_jitter_policy_set_fec (&r->video_policy, tick->fec_arriving);
  sl_jitter_policy_set_frame_interval (&r->video_policy,
                                       tick->frame_interval_ms);
  video = sl_jitter_policy_update (&r->video_policy, tick->rtt_ms,
                                   tick->jitter_ms);
  voice = sl_jitter_policy_update (&r->voice_policy, tick->rtt_ms,
                                   tick->jitter_ms);
  for (guint i = 0; i < jbs->len; i++)
    if (tick->video_ssrc != 0
        && !sl_session_element_has_ssrc (jbs->pdata[i], tick->video_ssrc))
      g_object_set (jbs->pdata[i], "do-retransmission", FALSE, NULL);
  if (video == before && voice == before_voice)
    return;
  GST_INFO_OBJECT (self->pipeline,
                   "jitter buffers: video %u -> %u ms, voice %u -> %u ms "
                   "(rtt %.1f ms, jitter %.1f ms, frame %u ms%s)",
                   before, video, before_voice, voice, tick->rtt_ms,
                   tick->jitter_ms, r->video_policy.frame_ms,
                   tick->fec_arriving ? ", FEC arriving" : "");
  g_object_set (self->webrtc, "latency", video, NULL);
  for (guint i = 0; i < jbs->len; i++)
    g_object_set (
        jbs->pdata[i], "latency",
        tick->video_ssrc == 0
                || sl_session_element_has_ssrc (jbs->pdata[i], tick->video_ssrc)
            ? video
            : voice,
        NULL);
}

void
sl_session_recovery_tick (SlSession *self, const SlSessionTick *tick)
{
  SlSessionRecovery *r = self->recovery;

  if (self->role == SL_SESSION_SENDER)
    adapt_voice_protection (self, tick->rtcp_loss_pct);
  size_jitter_buffers (self, tick);
  g_mutex_lock (&self->stats_lock);
  self->stats.jitter_buffer_ms = r->video_policy.current_ms;
  self->stats.video_packets_decoded_in = r->passed;
  self->stats.video_packets_unrecovered = r->lost;
  self->stats.video_nacks = r->nacks;
  self->stats.video_packets_recovered = r->recovered;
  self->stats.video_packets_retransmitted = r->retransmitted;
  /* The sender's figures are the viewer's, from its ping (control/). */
  if (self->role == SL_SESSION_VIEWER)
    {
      self->stats.video_lost_pct = r->lost_pct;
      self->stats.video_repaired_pct = r->repaired_pct;
    }
  g_mutex_unlock (&self->stats_lock);
}
