/* sl-session-link.c — what a session knows about its link's health.
 *
 * Three measurements feed the link monitor (sl-link.h) once a second:
 *
 * - liveness: a probe on each of webrtcbin's nicesrc elements stamps the
 *   arrival of every packet from the peer (RTP, RTCP, DTLS/SCTP).  A VIEWER
 *   gets video at the frame rate, a SENDER gets RTCP feedback many times a
 *   second, and both get the control channel's pings, so a second without
 *   a packet means the path is gone.  libnice, as webrtcbin 1.22 sets it
 *   up, has no consent freshness (RFC 7675) and would never say so itself.
 * - loss recovery, from webrtcbin's own elements: each video jitter
 *   buffer's NACKs sent, packets recovered by RTX and packets given up on
 *   (the residual loss the decoder sees), and at the SENDER the
 *   retransmissions rtprtxsend made.
 * - freezes of the decoded picture (VIEWER), by the W3C webrtc-stats rule:
 *   a frame that comes more than max(3 × the mean frame interval, the mean
 *   + 150 ms) after the one before ends a freeze.
 *
 * The probe runs on a streaming thread and only stores a 64-bit time with
 * an atomic write; everything else runs on the control thread.
 */
#include "sl-session-private.h"
#include "sl-stats.h"

#include <gst/base/gstbasesink.h>
#include <math.h>

#define GST_CAT_DEFAULT sl_session_debug

static GstPadProbeReturn
on_packet_in (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SlSession *self = user_data;

  __atomic_store_n (&self->last_rx_us, sl_media_now_us (), __ATOMIC_RELAXED);
  return GST_PAD_PROBE_OK;
}

static void
on_deep_element_added (GstBin *bin, GstBin *sub_bin, GstElement *element,
                       SlSession *self)
{
  GstElementFactory *factory = gst_element_get_factory (element);
  g_autoptr (GstPad) src = NULL;

  if (factory != NULL
      && sl_session_fec_watch_element (self, element,
                                       GST_OBJECT_NAME (factory)))
    return;
  if (factory != NULL && g_str_equal (GST_OBJECT_NAME (factory), "rtprtxsend"))
    {
      /* Keep a second of packets for retransmission, not the last 100: a
       * keyframe at 4 Mbit/s is over 100 packets sent at once, so the
       * default forgot its first packets before their NACK could come,
       * the expert could only ask for another keyframe, and that one was
       * as big (every freeze under 2 % loss began this way). */
      g_object_set (element, "max-size-packets", 0, "max-size-time", 1000,
                    NULL);
      return;
    }
  if (factory == NULL || !g_str_equal (GST_OBJECT_NAME (factory), "nicesrc"))
    return;
  src = gst_element_get_static_pad (element, "src");
  if (src != NULL)
    gst_pad_add_probe (
        src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
        on_packet_in, self, NULL);
}

/* VIEWER: feedback (NACK, PLI, congestion feedback) as soon as it is due,
 * from the first packet.  rtpsession sizes its RTCP budget from the bit
 * rates it has measured of the senders, so for the first seconds of a
 * session it has almost none, and with the RFC 4585 regular interval at
 * its 5 s default an early packet may wait for the next regular one: in
 * the first 6 s, NACK to retransmission took a median 90 ms at a 32 ms
 * round trip, against 36-38 ms later, and under 2 % loss a third to two
 * thirds of the first 10 s of pictures were lost to keyframe requests.
 * A budget of 5 % of the video's bit rate, counted in bytes a second,
 * is what rtpsession's own estimate gives once it has measured the
 * township (its interval settles near 7 ms); 25 or 5 kB/s delayed
 * feedback for the whole session.  Regular reports at least every
 * 0.25-0.75 s (T_rr 500 ms) then leave early feedback free.  Measured:
 * docs/PERFORMANCE.md, "Loss recovery". */
static void
speed_up_feedback (SlSession *self, GstElement *rtpbin, guint session)
{
  GstElement *rtpsession = NULL;

  g_signal_emit_by_name (rtpbin, "get-session", session, &rtpsession);
  if (rtpsession == NULL)
    return;
  g_object_set (rtpsession, "rtcp-fraction",
                (gdouble)self->video_bitrate_kbps * 1000 / 20,
                "rtcp-min-interval", (guint64)500 * GST_MSECOND, NULL);
  gst_object_unref (rtpsession);
}

/* Streaming thread: rtpbin made a jitter buffer for a new stream.  Our
 * handler runs after webrtcbin's own, which was connected first.
 *
 * Start at once: by default a jitter buffer holds a new stream's first
 * packet for its whole latency (80 ms at the start of a session, before
 * anything is measured) in case an earlier one is still on its way, and
 * the viewer's decoding branch, made when the first packet comes out, only
 * then begins (first video packet to its branch: 87-306 ms before, 2-30 ms
 * after, three runs each; docs/PERFORMANCE.md, "Start-up").  Two packets
 * in order are evidence enough; one that arrives after them out of order
 * is handled as at any other time.
 *
 * VIEWER: webrtcbin 1.22 leaves NACK off in the jitter buffers even when
 * the transceiver negotiated it, so it is turned on here, for every stream
 * since the kind is not known yet; once the stats say which SSRC is the
 * video, the others are turned off again (add_jitterbuffer). */
static void
on_new_jitterbuffer (GstElement *rtpbin, GstElement *jitterbuffer,
                     guint session, guint ssrc, SlSession *self)
{
  g_object_set (jitterbuffer, "faststart-min-packets", 2, NULL);
  if (self->role != SL_SESSION_VIEWER)
    return;
  /* Ask only for packets shown missing by a later one.  With its default
   * guess of when the next packet is due, the jitter buffer asked for
   * packets the township had not sent yet (video comes in bursts, a frame
   * at a time) and, behind a deep uplink queue, for packets that were
   * only late: thousands of requests, none recovering anything, and the
   * retransmissions filled the queue further.  Three tries at most. */
  g_object_set (jitterbuffer, "do-retransmission", TRUE, "rtx-next-seqnum",
                FALSE, "rtx-max-retries", 3, NULL);
  sl_session_fec_attach_jitterbuffer (self, jitterbuffer);
  speed_up_feedback (self, rtpbin, session);
}

void
sl_session_link_init (SlSession *self, guint restart_after_ms, gboolean resumed)
{
  sl_link_monitor_init (&self->link, restart_after_ms);
  if (resumed)
    sl_link_monitor_restarted (&self->link, sl_media_now_us ());
  self->stats.link_state = self->link.state;
  g_signal_connect (self->pipeline, "deep-element-added",
                    G_CALLBACK (on_deep_element_added), self);
}

void
sl_session_link_watch_webrtc (SlSession *self)
{
  g_autoptr (GstElement) rtpbin = NULL;

  rtpbin = gst_bin_get_by_name (GST_BIN (self->webrtc), "rtpbin");
  if (rtpbin != NULL)
    {
      g_signal_connect (rtpbin, "new-jitterbuffer",
                        G_CALLBACK (on_new_jitterbuffer), self);
      sl_session_fec_watch_rtpbin (self, rtpbin);
    }
  else
    GST_WARNING_OBJECT (self->pipeline,
                        "no rtpbin in webrtcbin: lost video packets will not "
                        "be asked again, streams start late");
}

/* Streaming thread, under stats_lock: one decoded frame at @now_us. */
void
sl_session_link_on_frame (SlSession *self, gint64 now_us)
{
  gdouble interval_ms, mean = self->frame_interval_ms;

  if (self->last_frame_us > 0)
    {
      interval_ms = (now_us - self->last_frame_us) / 1000.0;
      if (mean > 0 && interval_ms > MAX (3 * mean, mean + 150))
        {
          self->stats.freezes++;
          self->stats.freeze_ms += interval_ms;
          self->stats.longest_freeze_ms
              = MAX (self->stats.longest_freeze_ms, interval_ms);
        }
      else
        /* A freeze does not move the mean: it would hide the next one. */
        self->frame_interval_ms
            = mean > 0 ? 0.9 * mean + 0.1 * interval_ms : interval_ms;
    }
  self->last_frame_us = now_us;
}

/* Whether @element's src pad carries the stream @ssrc.  A jitter buffer's
 * caps name only the SSRC, not the media, so the stats poll tells which
 * SSRC is the video (0: not known yet). */
gboolean
sl_session_element_has_ssrc (GstElement *element, guint ssrc)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (element, "src");
  g_autoptr (GstCaps) caps = pad ? gst_pad_get_current_caps (pad) : NULL;
  guint found;

  if (ssrc == 0 || caps == NULL || gst_caps_is_empty (caps))
    return FALSE;
  return gst_structure_get_uint (gst_caps_get_structure (caps, 0), "ssrc",
                                 &found)
         && found == ssrc;
}

typedef struct
{
  guint64 pushed, lost, nacks, recovered, retransmitted;
} Recovery;

static void
add_jitterbuffer (GstElement *jb, guint video_ssrc, Recovery *r)
{
  g_autoptr (GstStructure) s = NULL;
  guint64 v;

  if (!sl_session_element_has_ssrc (jb, video_ssrc))
    {
      /* Voice has no RTX to ask for (see on_new_jitterbuffer). */
      if (video_ssrc != 0)
        g_object_set (jb, "do-retransmission", FALSE, NULL);
      return;
    }
  g_object_get (jb, "stats", &s, NULL);
  if (s == NULL)
    return;
  if (gst_structure_get_uint64 (s, "num-pushed", &v))
    r->pushed += v;
  if (gst_structure_get_uint64 (s, "num-lost", &v))
    r->lost += v;
  if (gst_structure_get_uint64 (s, "rtx-count", &v))
    r->nacks += v;
  if (gst_structure_get_uint64 (s, "rtx-success-count", &v))
    r->recovered += v;
}

/* Sums the recovery counters of webrtcbin's elements. */
static void
read_recovery (SlSession *self, Recovery *r)
{
  g_autoptr (GstIterator) it = gst_bin_iterate_recurse (GST_BIN (self->webrtc));
  GValue item = G_VALUE_INIT;
  guint video_ssrc;

  g_mutex_lock (&self->stats_lock);
  video_ssrc = self->stats.video_ssrc_received;
  g_mutex_unlock (&self->stats_lock);
  *r = (Recovery){ 0 };
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      GstElement *e = g_value_get_object (&item);
      GstElementFactory *f = gst_element_get_factory (e);
      const gchar *name = f ? GST_OBJECT_NAME (f) : "";
      guint n = 0;

      if (g_str_equal (name, "rtpjitterbuffer"))
        add_jitterbuffer (e, video_ssrc, r);
      else if (g_str_equal (name, "rtprtxsend"))
        {
          g_object_get (e, "num-rtx-packets", &n, NULL);
          r->retransmitted += n;
        }
      g_value_reset (&item);
    }
  g_value_unset (&item);
}

/* SENDER: tells Opus the loss the viewer reports (RTCP receiver reports)
 * over the last second, smoothed, so that its in-band FEC protects in
 * proportion; 5 % is the floor its default tuning assumes. */
static void
adapt_protection (SlSession *self)
{
  guint64 sent, lost;
  gdouble loss = 0;
  GstElement *opus;

  g_mutex_lock (&self->stats_lock);
  sent = self->stats.video_packets_sent;
  lost = MAX (0, self->stats.video_packets_lost);
  g_mutex_unlock (&self->stats_lock);
  if (sent > self->prev_sent && lost >= self->prev_lost)
    loss = 100.0 * (lost - self->prev_lost) / (sent - self->prev_sent);
  self->prev_sent = sent;
  self->prev_lost = lost;
  self->send_loss_pct = 0.7 * self->send_loss_pct + 0.3 * MIN (loss, 100.0);

  opus = gst_bin_get_by_name (GST_BIN (self->pipeline), "audio-encoder");
  if (opus != NULL)
    {
      g_object_set (opus, "packet-loss-percentage",
                    (gint)CLAMP (ceil (self->send_loss_pct), 5, 50), NULL);
      gst_object_unref (opus);
    }
}

/* The GstBaseSink that shows the pictures: the display element itself, or
 * the first base sink inside it when it is a bin. */
static GstElement *
find_base_sink (GstElement *display)
{
  g_autoptr (GstIterator) it = NULL;
  GValue item = G_VALUE_INIT;
  GstElement *found = NULL;

  if (GST_IS_BASE_SINK (display))
    return gst_object_ref (display);
  if (!GST_IS_BIN (display))
    return NULL;
  it = gst_bin_iterate_recurse (GST_BIN (display));
  while (found == NULL && gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      GstElement *e = g_value_get_object (&item);

      if (GST_IS_BASE_SINK (e))
        found = gst_object_ref (e);
      g_value_reset (&item);
    }
  g_value_unset (&item);
  return found;
}

/* VIEWER: what the display showed and dropped, from its base sink. */
static void
read_display (SlSession *self)
{
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstStructure) s = NULL;
  guint64 rendered = 0, dropped = 0;

  if (self->display == NULL || (sink = find_base_sink (self->display)) == NULL)
    return;
  g_object_get (sink, "stats", &s, NULL);
  if (s == NULL)
    return;
  gst_structure_get_uint64 (s, "rendered", &rendered);
  gst_structure_get_uint64 (s, "dropped", &dropped);
  g_mutex_lock (&self->stats_lock);
  self->stats.display_rendered = rendered;
  self->stats.display_dropped = dropped;
  g_mutex_unlock (&self->stats_lock);
}

/* Control thread, once a second, after the stats poll. */
void
sl_session_link_poll (SlSession *self)
{
  SlLinkSample sample = { 0 };
  Recovery r;
  gboolean changed, restart;
  guint64 pushed, lost;

  read_recovery (self, &r);
  if (self->role == SL_SESSION_SENDER)
    adapt_protection (self);
  else
    read_display (self);
  sample.now_us = sl_media_now_us ();
  sample.last_rx_us = __atomic_load_n (&self->last_rx_us, __ATOMIC_RELAXED);

  g_mutex_lock (&self->stats_lock);
  pushed = r.pushed - MIN (r.pushed, self->stats.video_packets_decoded_in);
  lost = r.lost - MIN (r.lost, self->stats.video_packets_unrecovered);
  sample.residual_loss_pct
      = pushed + lost > 0 ? 100.0 * lost / (pushed + lost) : -1;
  self->stats.video_packets_decoded_in = r.pushed;
  self->stats.video_packets_unrecovered = r.lost;
  self->stats.video_nacks = r.nacks;
  self->stats.video_packets_recovered = r.recovered;
  self->stats.video_packets_retransmitted = r.retransmitted;
  self->stats.video_packets_fec_recovered
      = __atomic_load_n (&self->fec_recovered, __ATOMIC_RELAXED);
  sample.freezes = self->stats.freezes;
  sample.rate_constrained = self->stats.rate_constrained;
  sample.below_floor = self->stats.below_floor;
  g_mutex_unlock (&self->stats_lock);

  changed = sl_link_monitor_update (&self->link, &sample, &restart);
  g_mutex_lock (&self->stats_lock);
  self->stats.link_state = self->link.state;
  g_strlcpy (self->stats.link_reason, self->link.reason,
             sizeof self->stats.link_reason);
  self->stats.silence_ms
      = sample.last_rx_us > 0 ? (sample.now_us - sample.last_rx_us) / 1000 : 0;
  g_mutex_unlock (&self->stats_lock);
  if (changed)
    GST_INFO_OBJECT (self->pipeline, "link %s%s%s",
                     sl_link_state_name (self->link.state),
                     self->link.reason[0] ? ": " : "", self->link.reason);
  if (restart
      && (self->state == SL_SESSION_STATE_CONNECTED
          || self->state == SL_SESSION_STATE_DISCONNECTED))
    {
      GST_WARNING_OBJECT (self->pipeline, "%s; giving up on this connection",
                          self->link.reason);
      sl_session_set_state (self, SL_SESSION_STATE_FAILED);
    }
}
