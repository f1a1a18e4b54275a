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
 *   the RTP session fills in as before, and on the video the playout-delay
 *   extension the payloader wrote (recovery/sl-playout-delay.h): without
 *   it after RED, Chromium never saw it.
 * - The viewer's packet store (rtpstorage, from which rtpulpfecdec takes
 *   FEC packets) keeps packets with that extension in them: removed there
 *   too, and it is told to keep 500 ms of packets.
 * - rtpulpfecdec repairs only after the jitter buffer has given a packet
 *   up, a round trip later with NACK on.  The viewer repairs in front of
 *   the jitter buffer instead (sl-fec.h).
 *
 * When to add FEC and how much is sl-fec-policy.h's to say; the round
 * trip, the loss and whether the link is full come in the tick.  The
 * viewer's jitter buffer waits longer while FEC arrives
 * (sl_jitter_policy_set_fec); this file tells the tick whether it does.
 *
 * Threads: the probes run on streaming threads and keep their state to
 * themselves (one SlFec per jitter buffer), sharing only the counters
 * and payload type of SlSessionFec, which are atomic; the rest of
 * SlSessionFec is the control thread's.
 */
#include "sl-session-private.h"
#include "sl-fec.h"
#include "sl-fec-policy.h"
#include "sl-fec-sdp.h"
#include "sl-playout-delay.h"
#include "sl-recovery.h"

#include <gst/rtp/rtp.h>

GST_DEBUG_CATEGORY_STATIC (sl_fec_debug);
#define GST_CAT_DEFAULT sl_fec_debug

struct _SlSessionFec
{
  gboolean no_fec;      /* SENDER: the policy is never asked */
  SlFecPolicy policy;   /* SENDER, control thread */
  SlFecArrival arrival; /* VIEWER, control thread */
  gint pt;              /* VIEWER, atomic: ULPFEC's payload type, < 0: none */
  guint64 recovered;    /* VIEWER, atomic: packets rebuilt from FEC */
  guint64 received;     /* VIEWER, atomic: FEC packets received */
};

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

/* After RED, which dropped them: an empty TWCC slot on every packet, and
 * on the video's the playout delay asked of a browser station (none). */
static GstPadProbeReturn
add_extensions (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  const guint8 empty[2] = { 0, 0 };
  guint8 delay[3];

  buf = gst_buffer_make_writable (buf);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  if (gst_rtp_buffer_map (buf, GST_MAP_READWRITE, &rtp))
    {
      if (!gst_rtp_buffer_get_extension (&rtp))
        {
          gst_rtp_buffer_add_extension_onebyte_header (&rtp, SL_EXT_TWCC, empty,
                                                       sizeof empty);
          if (gst_rtp_buffer_get_payload_type (&rtp) != SL_PT_OPUS)
            {
              sl_playout_delay_pack (0, 0, delay);
              gst_rtp_buffer_add_extension_onebyte_header (
                  &rtp, SL_EXT_PLAYOUT_DELAY, delay, sizeof delay);
            }
        }
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
sl_session_fec_element_added (SlSession *self, GstElement *element)
{
  const gchar *factory = sl_session_factory_name (element);

  if (g_str_equal (factory, "rtpulpfecenc"))
    {
      add_probe (element, "sink", strip_extensions);
      return TRUE;
    }
  if (g_str_equal (factory, "rtpredenc"))
    {
      add_probe (element, "src", add_extensions);
      return TRUE;
    }
  return FALSE;
}

/* Streaming thread: rtpbin made the packet store for a session. */
static void
on_new_storage (GstElement *rtpbin, GstElement *storage, guint session,
                SlSession *self)
{
  g_object_set (storage, "size-time",
                (guint64)SL_RECOVERY_FEC_STORE_MS * GST_MSECOND, NULL);
  add_probe (storage, "sink", strip_extensions);
}

void
sl_session_fec_watch_rtpbin (SlSession *self, GstElement *rtpbin)
{
  if (self->role == SL_SESSION_VIEWER)
    g_signal_connect (rtpbin, "new-storage", G_CALLBACK (on_new_storage), self);
}

void
sl_session_fec_remote_offer (SlSession *self, const GstSDPMessage *sdp)
{
  gint pt = sl_fec_sdp_ulpfec_pt (sdp);

  __atomic_store_n (&self->fec->pt, pt, __ATOMIC_RELAXED);
  if (pt < 0)
    GST_INFO_OBJECT (self->pipeline, "the offer has no ULPFEC: lost video "
                                     "is only asked for again");
  else
    GST_INFO_OBJECT (self->pipeline, "ULPFEC offered as payload type %d", pt);
}

/* One jitter buffer's repair state, owned by its sink pad's probe. */
typedef struct
{
  SlSessionFec *shared; /* not owned, as for the session's other probes */
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
  SlSessionFec *shared = probe->shared;
  gint fec_pt = __atomic_load_n (&shared->pt, __ATOMIC_RELAXED);
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
    __atomic_add_fetch (&shared->received,
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
      __atomic_add_fetch (&shared->recovered, 1, __ATOMIC_RELAXED);
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
  probe->shared = self->fec;
  probe->fec = sl_fec_new ();
  probe->recovered
      = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  gst_pad_add_probe (sink,
                     GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     on_jitterbuffer_input, probe, fec_probe_free);
}

/* The FEC encoder that protects the video: webrtcbin makes one for each
 * transceiver, and only the video's has a FEC payload type (the others
 * keep 255, "none", and pass everything through).  NULL before
 * negotiation. */
static GstElement *
video_fec_encoder (const SlWebrtcElements *elements)
{
  for (guint i = 0; i < elements->fec_encoders->len; i++)
    {
      GstElement *e = elements->fec_encoders->pdata[i];
      guint pt = 255;

      g_object_get (e, "pt", &pt, NULL);
      if (pt < 128)
        return e;
    }
  return NULL;
}

void
sl_session_fec_tick_input (SlSession *self, SlSessionTick *tick)
{
  SlSessionFec *f = self->fec;

  tick->fec_percent = f->policy.percent;
  tick->fec_recovered = __atomic_load_n (&f->recovered, __ATOMIC_RELAXED);
  if (self->role == SL_SESSION_VIEWER)
    tick->fec_arriving = sl_fec_arrival_update (
        &f->arrival, __atomic_load_n (&f->received, __ATOMIC_RELAXED),
        tick->now_us);
}

/* SENDER: the FEC share from the round trip and the loss. */
static void
decide (SlSession *self, const SlSessionTick *tick)
{
  SlSessionFec *f = self->fec;
  GstElement *encoder = video_fec_encoder (tick->elements);
  guint before = f->policy.percent, percent, in_force = 0;
  SlFecInput in;

  if (encoder == NULL)
    return;
  in.rtcp_rtt_ms = tick->rtcp_rtt_ms;
  in.dc_rtt_ms = tick->dc_rtt_ms;
  in.controller_loss_pct = tick->controller_loss_pct;
  in.rtcp_loss_pct = tick->rtcp_loss_pct;
  in.link_full = tick->rate_constrained;
  percent = sl_fec_policy_tick (&f->policy, &in);
  g_object_get (encoder, "percentage", &in_force, NULL);
  /* Compared with the element too: a renegotiation has webrtcbin set the
   * transceiver's (0 %) again. */
  if (percent != before || percent != in_force)
    {
      GST_INFO_OBJECT (self->pipeline,
                       "video FEC %u %% -> %u %% (round trip %.0f ms, "
                       "loss %.1f %%%s)",
                       before, percent, f->policy.rtt_ms, f->policy.loss_pct,
                       in.link_full ? ", the link is full" : "");
      g_object_set (encoder, "percentage", percent, NULL);
    }
}

void
sl_session_fec_tick (SlSession *self, const SlSessionTick *tick)
{
  SlSessionFec *f = self->fec;

  if (self->role == SL_SESSION_SENDER && !f->no_fec)
    decide (self, tick);
  g_mutex_lock (&self->stats_lock);
  self->stats.fec_percent = f->policy.percent;
  self->stats.video_packets_fec_recovered
      = __atomic_load_n (&f->recovered, __ATOMIC_RELAXED);
  g_mutex_unlock (&self->stats_lock);
}

void
sl_session_fec_new (SlSession *self, const SlSessionConfig *config)
{
  SlSessionFec *f = g_new0 (SlSessionFec, 1);

  if (sl_fec_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (sl_fec_debug, "sl-fec", 0, "sonolink video FEC");
  f->no_fec = config->no_fec;
  f->pt = -1;
  sl_fec_policy_init (&f->policy);
  self->fec = f;
}

void
sl_session_fec_free (SlSession *self)
{
  g_clear_pointer (&self->fec, g_free);
}
