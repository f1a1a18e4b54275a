/* sl-bwe-sender.c — the GStreamer adapter around sl-bwe.
 *
 * A pass-through element with one "sink" and one "src" pad, the shape
 * webrtcbin 1.22 requires of an aux sender (it links our sink after its
 * rtprtxsend and ghosts our src as rtpbin's send_rtp_src pad).  Buffers
 * go straight through.  Upstream "RTPTWCCPackets" events are parsed into
 * SlBwePacket reports and fed to the controller; all the congestion logic
 * lives in sl-bwe.c.
 *
 * Times: rtpsession stamps local-ts from GStreamer's system clock, so
 * "now" is read from the same clock (gst_system_clock_obtain()), whatever
 * its clock type.
 *
 * Sizes: rtpsession reports RTP payload bytes, but the link carries
 * whole packets, and the target covers everything on the transport; the
 * controller is given each packet's payload plus SL_BWE_PACKET_OVERHEAD,
 * so that the acknowledged rate is comparable with the target and with
 * what a receiver or the link emulator counts (libwebrtc also counts the
 * whole packet plus its transport overhead).
 *
 * Feedback silence (sl_bwe_update()) needs time to pass without events,
 * so it is checked from the data path, at most every 100 ms, and without
 * a lock on the way: atomics record when the oldest packet not yet
 * covered by feedback was sent and how many bytes have been sent since,
 * and the lock is taken only when a check is due.
 */
#include "sl-bwe-sender.h"
#include "sl-bwe.h"

GST_DEBUG_CATEGORY_STATIC (sl_bwe_debug);
#define GST_CAT_DEFAULT sl_bwe_debug

#define TWCC_EVENT_NAME "RTPTWCCPackets"
/* How often the data path looks for feedback silence. */
#define SILENCE_CHECK_MS 100
/* Bytes a packet carries beyond the payload rtpsession reports: IPv4 (20)
 * and UDP (8) headers, the RTP header (12), the transport-wide sequence
 * number extension in a one-byte-header block (8), and the SRTP
 * authentication tag of AES_CM_128_HMAC_SHA1_80, DTLS-SRTP's usual
 * profile (10).  IPv6 adds 20 and a TURN relay 4 to 36; other header
 * extensions or CSRCs add more.  A fixed estimate, slightly low at worst:
 * it brings a 1200-byte video packet within 1 % of its size on the wire
 * (was 5 % short) and an 80-byte voice packet within a few % (was 42 %). */
#define SL_BWE_PACKET_OVERHEAD 58
/* Beyond this the unacknowledged byte count stops growing. */
#define UNACKED_BYTES_CAP (G_MAXINT / 2)

struct _SlBweSender
{
  GstElement parent;

  GstPad *sinkpad, *srcpad;
  GstClock *clock; /* the system clock, as rtpsession's local-ts */

  /* Guards bwe, the three configured rates, started, target_bps and
   * reports.  Held by the RTCP thread while a feedback event is applied,
   * briefly by the streaming thread every SILENCE_CHECK_MS once feedback
   * has started, and by property accessors; never while pushing, sending
   * an event or notifying. */
  GMutex lock;
  SlBwe *bwe;
  guint min_bps, max_bps, start_bps;
  gboolean started; /* feedback seen: the start rate no longer applies */
  guint target_bps; /* last value notified */
  GArray *reports;  /* SlBwePacket, reused from one event to the next */

  /* Data path, lock-free.  Milliseconds since epoch_ns, compared by
   * wrapping difference (valid for 24 days between two samples). */
  GstClockTime epoch_ns;
  gint checking;      /* atomic: feedback started, silence checks run */
  gint next_check_ms; /* atomic */
  gint unacked;       /* atomic: a packet was sent since the last feedback */
  gint unacked_ms;    /* atomic: when the first of them was sent */
  gint unacked_bytes; /* atomic: bytes sent since, up to UNACKED_BYTES_CAP */
};

G_DEFINE_TYPE (SlBweSender, sl_bwe_sender, GST_TYPE_ELEMENT)

enum
{
  PROP_0,
  PROP_MIN_BITRATE,
  PROP_MAX_BITRATE,
  PROP_START_BITRATE,
  PROP_TARGET_BITRATE,
  PROP_RESUMPTIONS,
  PROP_STATS,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static GstStaticPadTemplate sink_template
    = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                               GST_STATIC_CAPS ("application/x-rtp"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtp"));

static gint64
now_us (SlBweSender *self)
{
  return (gint64)(gst_clock_get_time (self->clock) / 1000);
}

static gint
ms_since_epoch (SlBweSender *self, gint64 t_us)
{
  return (gint)(guint)((t_us - (gint64)(self->epoch_ns / 1000)) / 1000);
}

static gint64
us_from_ms (SlBweSender *self, gint ms, gint64 now)
{
  gint ago = (gint)((guint)ms_since_epoch (self, now) - (guint)ms);

  return now - (gint64)ago * 1000;
}

/* Replaces the controller; only before any feedback.  Lock held. */
static void
reset_controller_locked (SlBweSender *self)
{
  SlBweConfig config;

  sl_bwe_config_init (&config);
  if (self->min_bps)
    config.min_bps = self->min_bps;
  if (self->max_bps)
    config.max_bps = self->max_bps;
  if (self->start_bps)
    config.start_bps = self->start_bps;
  g_clear_pointer (&self->bwe, sl_bwe_free);
  self->bwe = sl_bwe_new (&config);
  self->target_bps = sl_bwe_get_target (self->bwe);
}

static void
notify_target (SlBweSender *self, guint before, guint after)
{
  if (before == after)
    return;
  GST_LOG_OBJECT (self, "target %u -> %u bit/s", before, after);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TARGET_BITRATE]);
}

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
/* "packets" is a GValueArray in 1.22; a GstValueArray or list is
 * accepted too, in case a later version changes its mind. */
static guint
packets_count (const GValue *packets)
{
  if (G_VALUE_HOLDS (packets, g_value_array_get_type ()))
    {
      GValueArray *array = g_value_get_boxed (packets);

      return array ? array->n_values : 0;
    }
  if (GST_VALUE_HOLDS_ARRAY (packets))
    return gst_value_array_get_size (packets);
  if (GST_VALUE_HOLDS_LIST (packets))
    return gst_value_list_get_size (packets);
  return 0;
}

static const GValue *
packets_nth (const GValue *packets, guint i)
{
  if (G_VALUE_HOLDS (packets, g_value_array_get_type ()))
    return g_value_array_get_nth (g_value_get_boxed (packets), i);
  if (GST_VALUE_HOLDS_ARRAY (packets))
    return gst_value_array_get_value (packets, i);
  return gst_value_list_get_value (packets, i);
}
G_GNUC_END_IGNORE_DEPRECATIONS

/* One RTPTWCCPacket structure; FALSE for one we cannot use (a packet
 * rtpsession had no send time for, or a malformed entry). */
static gboolean
parse_packet (const GstStructure *s, SlBwePacket *p)
{
  guint seqnum, size;
  guint64 local_ts, remote_ts = GST_CLOCK_TIME_NONE;
  gboolean lost;

  if (!gst_structure_get_uint (s, "seqnum", &seqnum)
      || !gst_structure_get_uint (s, "size", &size)
      || !gst_structure_get_uint64 (s, "local-ts", &local_ts)
      || !GST_CLOCK_TIME_IS_VALID (local_ts) || local_ts > G_MAXINT64)
    return FALSE;
  gst_structure_get_uint64 (s, "remote-ts", &remote_ts);
  if (!gst_structure_get_boolean (s, "lost", &lost))
    lost = !GST_CLOCK_TIME_IS_VALID (remote_ts);
  if (!lost && (!GST_CLOCK_TIME_IS_VALID (remote_ts) || remote_ts > G_MAXINT64))
    return FALSE;
  p->seq = (guint16)seqnum;
  p->send_us = (gint64)(local_ts / 1000);
  p->arrival_us = lost ? SL_BWE_LOST : (gint64)(remote_ts / 1000);
  p->size = size <= G_MAXUINT - SL_BWE_PACKET_OVERHEAD
                ? size + SL_BWE_PACKET_OVERHEAD
                : G_MAXUINT;
  return TRUE;
}

/* Fills self->reports from the event's structure.  Lock held. */
static void
parse_reports_locked (SlBweSender *self, const GstStructure *s)
{
  const GValue *packets = gst_structure_get_value (s, "packets");
  guint n = packets ? packets_count (packets) : 0;

  g_array_set_size (self->reports, 0);
  for (guint i = 0; i < n; i++)
    {
      const GValue *v = packets_nth (packets, i);
      SlBwePacket p;

      if (v && GST_VALUE_HOLDS_STRUCTURE (v)
          && parse_packet (gst_value_get_structure (v), &p))
        g_array_append_val (self->reports, p);
    }
}

static void
on_twcc_packets (SlBweSender *self, const GstStructure *s)
{
  gint64 now = now_us (self);
  guint before, after;
  SlBweUsage usage_before;
  guint64 resumptions_before;
  SlBweStats stats;

  g_mutex_lock (&self->lock);
  sl_bwe_get_stats (self->bwe, &stats);
  usage_before = stats.usage;
  resumptions_before = stats.resumptions;
  parse_reports_locked (self, s);
  sl_bwe_on_feedback (self->bwe, (const SlBwePacket *)self->reports->data,
                      self->reports->len, now);
  self->started = TRUE;
  before = self->target_bps;
  after = self->target_bps = sl_bwe_get_target (self->bwe);
  sl_bwe_get_stats (self->bwe, &stats);
  g_mutex_unlock (&self->lock);

  g_atomic_int_set (&self->unacked, 0);
  g_atomic_int_set (&self->unacked_bytes, 0);
  if (!g_atomic_int_get (&self->checking))
    {
      g_atomic_int_set (&self->next_check_ms, ms_since_epoch (self, now));
      g_atomic_int_set (&self->checking, 1);
    }
  if (stats.usage != usage_before)
    GST_DEBUG_OBJECT (self, "link %s, target %u bit/s (acked %u, loss %.1f %%)",
                      sl_bwe_usage_to_string (stats.usage), after,
                      stats.acked_bps, stats.loss_fraction * 100);
  notify_target (self, before, after);
  if (stats.resumptions != resumptions_before)
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RESUMPTIONS]);
}

/* Data path: note the @bytes sent, and now and then look for silence. */
static void
on_sent (SlBweSender *self, gsize bytes)
{
  gint64 now;
  gint now_ms;
  guint before, after;

  now = now_us (self);
  now_ms = ms_since_epoch (self, now);
  if (!g_atomic_int_get (&self->unacked))
    {
      g_atomic_int_set (&self->unacked_ms, now_ms);
      g_atomic_int_set (&self->unacked, 1);
    }
  /* Only this thread adds, so the cap holds. */
  if (g_atomic_int_get (&self->unacked_bytes) < UNACKED_BYTES_CAP)
    g_atomic_int_add (&self->unacked_bytes,
                      (gint)MIN (bytes, (gsize)UNACKED_BYTES_CAP));
  if (!g_atomic_int_get (&self->checking)
      || (gint)((guint)now_ms - (guint)g_atomic_int_get (&self->next_check_ms))
             < 0)
    return;
  g_atomic_int_set (&self->next_check_ms,
                    (gint)((guint)now_ms + SILENCE_CHECK_MS));

  g_mutex_lock (&self->lock);
  before = self->target_bps;
  after = self->target_bps = sl_bwe_update (
      self->bwe, now,
      g_atomic_int_get (&self->unacked)
          ? us_from_ms (self, g_atomic_int_get (&self->unacked_ms), now)
          : -1,
      (guint64)g_atomic_int_get (&self->unacked_bytes));
  g_mutex_unlock (&self->lock);
  if (after < before)
    GST_DEBUG_OBJECT (self, "no feedback: target %u -> %u bit/s", before,
                      after);
  notify_target (self, before, after);
}

static GstFlowReturn
sink_chain (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  SlBweSender *self = SL_BWE_SENDER (parent);

  on_sent (self, gst_buffer_get_size (buffer));
  return gst_pad_push (self->srcpad, buffer);
}

static GstFlowReturn
sink_chain_list (GstPad *pad, GstObject *parent, GstBufferList *list)
{
  SlBweSender *self = SL_BWE_SENDER (parent);

  on_sent (self, gst_buffer_list_calculate_size (list));
  return gst_pad_push_list (self->srcpad, list);
}

static gboolean
src_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  SlBweSender *self = SL_BWE_SENDER (parent);
  const GstStructure *s = gst_event_get_structure (event);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM && s
      && gst_structure_has_name (s, TWCC_EVENT_NAME))
    on_twcc_packets (self, s);
  /* Upstream elements may want the feedback too. */
  return gst_pad_event_default (pad, parent, event);
}

guint
sl_bwe_sender_get_target_bitrate (SlBweSender *self)
{
  guint target;

  g_return_val_if_fail (SL_IS_BWE_SENDER (self), 0);
  g_mutex_lock (&self->lock);
  target = self->target_bps;
  g_mutex_unlock (&self->lock);
  return target;
}

GstStructure *
sl_bwe_sender_get_stats (SlBweSender *self)
{
  SlBweStats s;

  g_return_val_if_fail (SL_IS_BWE_SENDER (self), NULL);
  g_mutex_lock (&self->lock);
  sl_bwe_get_stats (self->bwe, &s);
  g_mutex_unlock (&self->lock);
  /* clang-format off */
  return gst_structure_new ("SlBweStats",
      "target-bitrate", G_TYPE_UINT, s.target_bps,
      "delay-bitrate", G_TYPE_UINT, s.delay_bps,
      "loss-bitrate", G_TYPE_UINT, s.loss_bps,
      "acked-bitrate", G_TYPE_UINT, s.acked_bps,
      "loss-fraction", G_TYPE_DOUBLE, s.loss_fraction,
      "usage", G_TYPE_STRING, sl_bwe_usage_to_string (s.usage),
      "rate-state", G_TYPE_STRING, sl_bwe_rate_state_to_string (s.rate_state),
      "trend", G_TYPE_DOUBLE, s.trend,
      "threshold", G_TYPE_DOUBLE, s.threshold,
      "rtt-ms", G_TYPE_DOUBLE, s.rtt_us / 1000.0,
      "feedbacks", G_TYPE_UINT64, s.feedbacks,
      "packets-received", G_TYPE_UINT64, s.packets_received,
      "packets-lost", G_TYPE_UINT64, s.packets_lost,
      "recovering", G_TYPE_BOOLEAN, s.recovering,
      "queue-ms", G_TYPE_DOUBLE, s.queue_us >= 0 ? s.queue_us / 1000.0 : -1.0,
      "resumptions", G_TYPE_UINT64, s.resumptions,
      NULL);
  /* clang-format on */
}

GstElement *
sl_bwe_sender_new (guint min_bps, guint max_bps, guint start_bps)
{
  return g_object_new (SL_TYPE_BWE_SENDER, "min-bitrate", min_bps,
                       "max-bitrate", max_bps, "start-bitrate", start_bps,
                       NULL);
}

static void
set_rate_locked (SlBweSender *self, guint prop_id, guint value)
{
  if (prop_id == PROP_MIN_BITRATE)
    self->min_bps = value;
  else if (prop_id == PROP_MAX_BITRATE)
    self->max_bps = value;
  else
    self->start_bps = value;

  if (!self->started)
    reset_controller_locked (self);
  else if (prop_id == PROP_START_BITRATE)
    GST_INFO_OBJECT (self, "start-bitrate ignored: feedback already came");
  else
    {
      SlBweConfig defaults;

      sl_bwe_config_init (&defaults);
      sl_bwe_set_bounds (self->bwe,
                         self->min_bps ? self->min_bps : defaults.min_bps,
                         self->max_bps ? self->max_bps : defaults.max_bps);
    }
}

static void
sl_bwe_sender_set_property (GObject *object, guint prop_id, const GValue *value,
                            GParamSpec *pspec)
{
  SlBweSender *self = SL_BWE_SENDER (object);
  guint before, after;

  switch (prop_id)
    {
    case PROP_MIN_BITRATE:
    case PROP_MAX_BITRATE:
    case PROP_START_BITRATE:
      g_mutex_lock (&self->lock);
      before = self->target_bps;
      set_rate_locked (self, prop_id, g_value_get_uint (value));
      after = self->target_bps = sl_bwe_get_target (self->bwe);
      g_mutex_unlock (&self->lock);
      notify_target (self, before, after);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
sl_bwe_sender_get_property (GObject *object, guint prop_id, GValue *value,
                            GParamSpec *pspec)
{
  SlBweSender *self = SL_BWE_SENDER (object);

  switch (prop_id)
    {
    case PROP_MIN_BITRATE:
    case PROP_MAX_BITRATE:
    case PROP_START_BITRATE:
      g_mutex_lock (&self->lock);
      g_value_set_uint (value, prop_id == PROP_MIN_BITRATE   ? self->min_bps
                               : prop_id == PROP_MAX_BITRATE ? self->max_bps
                                                             : self->start_bps);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_TARGET_BITRATE:
      g_value_set_uint (value, sl_bwe_sender_get_target_bitrate (self));
      break;
    case PROP_RESUMPTIONS:
      {
        SlBweStats s;

        g_mutex_lock (&self->lock);
        sl_bwe_get_stats (self->bwe, &s);
        g_mutex_unlock (&self->lock);
        g_value_set_uint64 (value, s.resumptions);
        break;
      }
    case PROP_STATS:
      g_value_take_boxed (value, sl_bwe_sender_get_stats (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static GstPad *
make_pad (SlBweSender *self, GstStaticPadTemplate *templ)
{
  GstPad *pad = gst_pad_new_from_static_template (templ, templ->name_template);

  GST_PAD_SET_PROXY_CAPS (pad);
  GST_PAD_SET_PROXY_ALLOCATION (pad);
  GST_PAD_SET_PROXY_SCHEDULING (pad);
  gst_element_add_pad (GST_ELEMENT (self), pad);
  return pad;
}

static void
sl_bwe_sender_init (SlBweSender *self)
{
  g_mutex_init (&self->lock);
  self->clock = gst_system_clock_obtain ();
  self->epoch_ns = gst_clock_get_time (self->clock);
  self->reports = g_array_new (FALSE, FALSE, sizeof (SlBwePacket));
  reset_controller_locked (self);

  self->sinkpad = make_pad (self, &sink_template);
  gst_pad_set_chain_function (self->sinkpad, sink_chain);
  gst_pad_set_chain_list_function (self->sinkpad, sink_chain_list);
  self->srcpad = make_pad (self, &src_template);
  gst_pad_set_event_function (self->srcpad, src_event);
}

static void
sl_bwe_sender_finalize (GObject *object)
{
  SlBweSender *self = SL_BWE_SENDER (object);

  g_clear_pointer (&self->bwe, sl_bwe_free);
  g_array_unref (self->reports);
  gst_object_unref (self->clock);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (sl_bwe_sender_parent_class)->finalize (object);
}

static GParamSpec *
rate_pspec (const gchar *name, const gchar *blurb)
{
  return g_param_spec_uint (name, name, blurb, 0, G_MAXUINT, 0,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
}

static void
sl_bwe_sender_class_init (SlBweSenderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (sl_bwe_debug, "sl-bwe", 0,
                           "sonolink rate controller");
  object_class->set_property = sl_bwe_sender_set_property;
  object_class->get_property = sl_bwe_sender_get_property;
  object_class->finalize = sl_bwe_sender_finalize;

  props[PROP_MIN_BITRATE] = rate_pspec (
      "min-bitrate", "Lowest target in bit/s (0: default 150 kbit/s)");
  props[PROP_MAX_BITRATE] = rate_pspec (
      "max-bitrate", "Highest target in bit/s (0: default 20 Mbit/s)");
  props[PROP_START_BITRATE] = rate_pspec (
      "start-bitrate",
      "Target until feedback arrives, bit/s (0: default 1.5 Mbit/s)");
  props[PROP_TARGET_BITRATE] = g_param_spec_uint (
      "target-bitrate", "Target bitrate",
      "What the encoders may send in total, bit/s", 0, G_MAXUINT, 0,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_RESUMPTIONS] = g_param_spec_uint64 (
      "resumptions", "Resumptions",
      "Times feedback came back after a second or more without any (the "
      "link back after an outage); notified from the RTCP thread",
      0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_STATS] = g_param_spec_boxed (
      "stats", "Statistics", "The controller's state (SlBweStats)",
      GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (
      element_class, "sonolink rate controller", "Network/RTP",
      "Google Congestion Control from transport-wide feedback", "sonolink");
}
