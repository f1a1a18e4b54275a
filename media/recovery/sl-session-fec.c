/* sl-session-fec.c — ULPFEC for the video, switched on by the round trip.
 *
 * Both stations negotiate ULPFEC in RED for the video (webrtcbin 1.22's
 * fec-type ULP_RED), so that FEC can be switched on and off without a new
 * offer: the township's rtpulpfecenc starts at 0 % and the policy of
 * sl-fec-policy.h raises it when the round trip makes retransmission too
 * slow.  At 0 % the only cost is RED's one-byte header on each packet.
 * webrtcbin makes a FEC encoder for every transceiver, the voice's too;
 * only the video's has a FEC payload type, and only it is set.
 *
 * Three things webrtcbin 1.22 gets wrong with FEC and transport-wide
 * congestion control (TWCC, which the rate controller needs) together are
 * put right here:
 *
 * - rtpulpfecenc protects the packets as the payloader made them, with the
 *   TWCC header extension in them, but RED (rtpredenc) drops header
 *   extensions, so the viewer's packets are not the protected ones and
 *   every rebuilt packet came out wrong (131 refused as invalid in a 30 s
 *   trial).  The township removes extensions before the FEC encoder, and
 *   gives each RED packet a fresh, empty TWCC slot after rtpredenc, which
 *   the RTP session fills in as before.
 * - The viewer's packet store (rtpstorage, from which rtpulpfecdec takes
 *   FEC packets) keeps packets with that extension in them: removed there
 *   too, and it is told to keep 500 ms of packets.
 * - rtpulpfecdec repairs only after the jitter buffer has given a packet
 *   up, a round trip later with NACK on.  The viewer repairs in front of
 *   the jitter buffer instead (sl-fec.h).
 *
 * Threads: the probes run on streaming threads and keep their state to
 * themselves (one SlFec per jitter buffer); the policy runs on the control
 * thread.
 */
#include "sl-session-private.h"
#include "sl-fec.h"
#include "sl-stats.h"

#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>
#include <math.h>

#define GST_CAT_DEFAULT sl_session_debug

static GstPadProbeReturn
strip_extensions (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gboolean has;

  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  has = gst_rtp_buffer_get_extension (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  if (!has)
    return GST_PAD_PROBE_OK;
  buf = gst_buffer_make_writable (buf);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  if (gst_rtp_buffer_map (buf, GST_MAP_READWRITE, &rtp))
    {
      gst_rtp_buffer_remove_extension_data (&rtp);
      gst_rtp_buffer_unmap (&rtp);
    }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
add_twcc_slot (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  const guint8 empty[2] = { 0, 0 };

  buf = gst_buffer_make_writable (buf);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  if (gst_rtp_buffer_map (buf, GST_MAP_READWRITE, &rtp))
    {
      if (!gst_rtp_buffer_get_extension (&rtp))
        gst_rtp_buffer_add_extension_onebyte_header (&rtp, SL_EXT_TWCC, empty,
                                                     sizeof empty);
      gst_rtp_buffer_unmap (&rtp);
    }
  return GST_PAD_PROBE_OK;
}

static void
add_probe (GstElement *element, const gchar *pad_name,
           GstPadProbeCallback callback)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (element, pad_name);

  if (pad != NULL)
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, callback, NULL, NULL);
}

gboolean
sl_session_fec_watch_element (SlSession *self, GstElement *element,
                              const gchar *factory)
{
  if (g_str_equal (factory, "rtpulpfecenc"))
    {
      add_probe (element, "sink", strip_extensions);
      return TRUE;
    }
  if (g_str_equal (factory, "rtpredenc"))
    {
      add_probe (element, "src", add_twcc_slot);
      return TRUE;
    }
  return FALSE;
}

/* Streaming thread: rtpbin made the packet store for a session. */
static void
on_new_storage (GstElement *rtpbin, GstElement *storage, guint session,
                SlSession *self)
{
  g_object_set (storage, "size-time", (guint64)500 * GST_MSECOND, NULL);
  add_probe (storage, "sink", strip_extensions);
}

void
sl_session_fec_watch_rtpbin (SlSession *self, GstElement *rtpbin)
{
  if (self->role == SL_SESSION_VIEWER)
    g_signal_connect (rtpbin, "new-storage", G_CALLBACK (on_new_storage), self);
}

gint
sl_session_fec_pt_from_sdp (const GstSDPMessage *sdp)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);

      if (g_strcmp0 (gst_sdp_media_get_media (media), "video") != 0)
        continue;
      for (guint j = 0; j < gst_sdp_media_attributes_len (media); j++)
        {
          const GstSDPAttribute *a = gst_sdp_media_get_attribute (media, j);
          gchar *end = NULL;
          guint64 pt;

          /* "a=rtpmap:<payload type> ulpfec/90000" */
          if (g_strcmp0 (a->key, "rtpmap") != 0 || a->value == NULL)
            continue;
          pt = g_ascii_strtoull (a->value, &end, 10);
          if (end != a->value && *end == ' '
              && g_ascii_strncasecmp (end + 1, "ulpfec/", 7) == 0 && pt < 128)
            return (gint)pt;
        }
    }
  return -1;
}

/* One jitter buffer's repair state, owned by its sink pad's probe. */
typedef struct
{
  SlSession *self; /* not owned, as for the session's other probes */
  SlFec *fec;
  GPtrArray *recovered; /* element-type GBytes: rebuilt, not yet sent on */
} FecProbe;

static void
fec_probe_free (gpointer data)
{
  FecProbe *probe = data;

  sl_fec_free (probe->fec);
  g_ptr_array_unref (probe->recovered);
  g_free (probe);
}

static void
push_buffer (FecProbe *probe, GstBuffer *buf, guint fec_pt)
{
  GstMapInfo map;

  if (gst_buffer_map (buf, &map, GST_MAP_READ))
    {
      sl_fec_push (probe->fec, map.data, map.size, fec_pt, probe->recovered);
      gst_buffer_unmap (buf, &map);
    }
}

/* Streaming thread: each packet on its way into a jitter buffer.  Packets
 * rebuilt from it go in first, as late arrivals. */
static GstPadProbeReturn
on_jitterbuffer_input (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  FecProbe *probe = user_data;
  SlSession *self = probe->self;
  gint fec_pt = __atomic_load_n (&self->fec_pt, __ATOMIC_RELAXED);
  g_autoptr (GPtrArray) out = NULL;
  GstBuffer *arrived = NULL;
  guint64 before;

  if (fec_pt < 0)
    return GST_PAD_PROBE_OK;
  before = sl_fec_received (probe->fec);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    {
      GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);

      for (guint i = 0; i < gst_buffer_list_length (list); i++)
        push_buffer (probe, arrived = gst_buffer_list_get (list, i), fec_pt);
    }
  else
    push_buffer (probe, arrived = GST_PAD_PROBE_INFO_BUFFER (info), fec_pt);
  if (sl_fec_received (probe->fec) != before)
    __atomic_add_fetch (&self->fec_received,
                        sl_fec_received (probe->fec) - before,
                        __ATOMIC_RELAXED);
  if (probe->recovered->len == 0)
    return GST_PAD_PROBE_OK;
  /* Taken out first: each rebuilt packet passes this probe again on its
   * way in. */
  out = g_steal_pointer (&probe->recovered);
  probe->recovered
      = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  for (guint i = 0; i < out->len; i++)
    {
      GstBuffer *buf = gst_buffer_new_wrapped_bytes (out->pdata[i]);

      /* It arrives now, with the packet that made it. */
      GST_BUFFER_PTS (buf) = GST_BUFFER_PTS (arrived);
      GST_BUFFER_DTS (buf) = GST_BUFFER_DTS (arrived);
      __atomic_add_fetch (&self->fec_recovered, 1, __ATOMIC_RELAXED);
      gst_pad_chain (pad, buf);
    }
  return GST_PAD_PROBE_OK;
}

void
sl_session_fec_attach_jitterbuffer (SlSession *self, GstElement *jitterbuffer)
{
  g_autoptr (GstPad) sink = gst_element_get_static_pad (jitterbuffer, "sink");
  FecProbe *probe;

  if (sink == NULL)
    return;
  probe = g_new0 (FecProbe, 1);
  probe->self = self;
  probe->fec = sl_fec_new ();
  probe->recovered
      = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  gst_pad_add_probe (sink,
                     GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     on_jitterbuffer_input, probe, fec_probe_free);
}

/* Control thread, once a second (VIEWER): with FEC arriving (the township
 * adds it only when the round trip is long and packets are lost), the
 * video jitter buffer may wait up to 800 ms: up to a 380 ms round trip a
 * second retransmission then still fits, and when it does not come, a
 * keyframe costs a round trip and more on top of the wait (at 250 ms and
 * 2 %, 95.2-99.1 % of frames decoded with 400 ms, 98.2-99.3 % with 800).
 * Without FEC the ceiling stays at 400 ms: a long round trip without FEC
 * is mostly a queue filling up, where waiting longer only adds to the
 * delay (the uplink-step test's median latency after the step went from
 * 50-82 ms to 95-113 ms with 800 ms always). */
guint
sl_session_fec_video_ceiling_ms (SlSession *self)
{
  guint64 n = __atomic_load_n (&self->fec_received, __ATOMIC_RELAXED);
  gint64 now = sl_media_now_us ();

  if (n != self->fec_received_seen)
    {
      self->fec_received_seen = n;
      self->fec_last_us = now;
    }
  if (self->fec_last_us > 0 && now - self->fec_last_us < 5 * G_USEC_PER_SEC)
    return MAX (self->video_ceiling_ms, 800);
  return self->video_ceiling_ms;
}

/* The FEC encoder that protects the video: webrtcbin makes one for each
 * transceiver, and only the video's has a FEC payload type (the others
 * keep 255, "none", and pass everything through).  NULL before
 * negotiation. */
static GstElement *
find_video_fec_encoder (SlSession *self)
{
  g_autoptr (GstIterator) it = gst_bin_iterate_recurse (GST_BIN (self->webrtc));
  GValue item = G_VALUE_INIT;
  GstElement *found = NULL;

  while (found == NULL && gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      GstElement *e = g_value_get_object (&item);
      GstElementFactory *f = gst_element_get_factory (e);
      guint pt = 255;

      if (f != NULL && g_str_equal (GST_OBJECT_NAME (f), "rtpulpfecenc"))
        {
          g_object_get (e, "pt", &pt, NULL);
          if (pt < 128)
            found = gst_object_ref (e);
        }
      g_value_reset (&item);
    }
  g_value_unset (&item);
  return found;
}

/* Control thread, once a second (SENDER): the FEC share from the round
 * trip and the loss the viewer reports. */
void
sl_session_fec_poll (SlSession *self)
{
  g_autoptr (GstElement) encoder = NULL;
  guint before = self->fec_policy.percent, percent, in_force = 0;
  gdouble rtt, loss;
  gboolean full;

  if (self->role != SL_SESSION_SENDER || self->no_fec
      || (encoder = find_video_fec_encoder (self)) == NULL)
    return;
  g_mutex_lock (&self->stats_lock);
  rtt = self->stats.rtt_ms >= 0 && self->stats.dc_rtt_ms >= 0
            ? MIN (self->stats.rtt_ms, self->stats.dc_rtt_ms)
            : sl_stats_rtt_ms (&self->stats);
  /* The controller's loss; with a fixed rate there is no controller and
   * only RTCP's view, which misses what NACK repaired. */
  loss = self->bwe != NULL ? self->stats.bwe_loss_pct : self->send_loss_pct;
  full = self->stats.rate_constrained;
  g_mutex_unlock (&self->stats_lock);
  percent = sl_fec_policy_update (&self->fec_policy, rtt, loss, full);
  g_object_get (encoder, "percentage", &in_force, NULL);
  /* Compared with the element too: a renegotiation has webrtcbin set the
   * transceiver's (0 %) again. */
  if (percent != before || percent != in_force)
    {
      GST_INFO_OBJECT (self->pipeline,
                       "video FEC %u %% -> %u %% (round trip %.0f ms, "
                       "loss %.1f %%%s)",
                       before, percent, rtt, self->fec_policy.loss_pct,
                       full ? ", the link is full" : "");
      g_object_set (encoder, "percentage", percent, NULL);
      /* The encoder's share of the target changes: the rate poll, next,
       * applies it again. */
      self->applied_target = 0;
    }
  g_mutex_lock (&self->stats_lock);
  self->stats.fec_percent = percent;
  g_mutex_unlock (&self->stats_lock);
}
