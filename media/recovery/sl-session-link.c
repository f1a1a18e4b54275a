/* sl-session-link.c — what a session knows about its link's health.
 *
 * Once a second the link monitor (sl-link.h) is fed:
 *
 * - liveness: a probe on each of webrtcbin's nicesrc elements stamps the
 *   arrival of every packet from the peer (RTP, RTCP, DTLS/SCTP).  A VIEWER
 *   gets video at the frame rate, a SENDER gets RTCP feedback many times a
 *   second, and both get the control channel's pings, so a second without
 *   a packet means the path is gone.  libnice, as webrtcbin 1.22 sets it
 *   up, has no consent freshness (RFC 7675) and would never say so itself.
 * - from the tick: the loss left after recovery (sl-session-recovery.c),
 *   freezes of the picture (measure/), and whether the rate controller
 *   holds the video below its configured rate or the diagnostic floor
 *   (rate/).
 *
 * When the monitor says the path is dead, the session ends FAILED and the
 * station makes it again (webrtcbin 1.22 cannot restart ICE in place).
 *
 * Threads: the probe runs on a streaming thread and only stores a 64-bit
 * time with an atomic write; the rest of SlSessionLink is the control
 * thread's.
 */
#include "sl-session-private.h"

#include "sl-link.h"

GST_DEBUG_CATEGORY_STATIC (sl_link_debug);
#define GST_CAT_DEFAULT sl_link_debug

struct _SlSessionLink
{
  SlLinkMonitor monitor; /* control thread */
  gint64 last_rx_us;     /* atomic: last packet from the peer, 0: none */
};

static GstPadProbeReturn
on_packet_in (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SlSessionLink *link = user_data;

  __atomic_store_n (&link->last_rx_us, sl_media_now_us (), __ATOMIC_RELAXED);
  return GST_PAD_PROBE_OK;
}

gboolean
sl_session_link_element_added (SlSession *self, GstElement *element)
{
  g_autoptr (GstPad) src = NULL;

  if (!g_str_equal (sl_session_factory_name (element), "nicesrc"))
    return FALSE;
  src = gst_element_get_static_pad (element, "src");
  if (src != NULL)
    gst_pad_add_probe (
        src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
        on_packet_in, self->link, NULL);
  return TRUE;
}

void
sl_session_link_new (SlSession *self, const SlSessionConfig *config)
{
  SlSessionLink *link = g_new0 (SlSessionLink, 1);

  if (sl_link_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (sl_link_debug, "sl-link", 0,
                             "sonolink link health");
  sl_link_monitor_init (&link->monitor, config->restart_after_ms);
  if (config->resumed)
    sl_link_monitor_restarted (&link->monitor, sl_media_now_us ());
  self->stats.link_state = link->monitor.state;
  self->link = link;
}

void
sl_session_link_free (SlSession *self)
{
  g_clear_pointer (&self->link, g_free);
}

/* Control thread, once a second. */
void
sl_session_link_tick (SlSession *self, const SlSessionTick *tick)
{
  SlSessionLink *link = self->link;
  SlLinkMonitor *mon = &link->monitor;
  SlLinkSample sample = { 0 };
  gboolean changed, restart;

  sample.now_us = tick->now_us;
  sample.last_rx_us = __atomic_load_n (&link->last_rx_us, __ATOMIC_RELAXED);
  sample.residual_loss_pct = tick->residual_loss_pct;
  sample.freezes = tick->freezes;
  sample.rate_constrained = tick->rate_constrained;
  sample.below_floor = tick->below_floor;
  changed = sl_link_monitor_update (mon, &sample, &restart);
  g_mutex_lock (&self->stats_lock);
  self->stats.link_state = mon->state;
  g_strlcpy (self->stats.link_reason, mon->reason,
             sizeof self->stats.link_reason);
  self->stats.silence_ms
      = sample.last_rx_us > 0 ? (sample.now_us - sample.last_rx_us) / 1000 : 0;
  g_mutex_unlock (&self->stats_lock);
  if (changed)
    GST_INFO_OBJECT (self->pipeline, "link %s%s%s",
                     sl_link_state_name (mon->state),
                     mon->reason[0] ? ": " : "", mon->reason);
  if (restart
      && (self->state == SL_SESSION_STATE_CONNECTED
          || self->state == SL_SESSION_STATE_DISCONNECTED))
    {
      GST_WARNING_OBJECT (self->pipeline, "%s; giving up on this connection",
                          mon->reason);
      sl_session_set_state (self, SL_SESSION_STATE_FAILED);
    }
}
