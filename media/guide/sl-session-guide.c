/* sl-session-guide.c — the guidance layer's two data channels.
 *
 * Beside "sl-control" (sl-session-channel.c) the SENDER creates "sl-guide",
 * reliable and ordered, for marks, cues, prompts, the probe image and
 * stills, and "sl-pointer", unordered with no retransmission, for the live
 * pointer (docs/guidance.md, CHANNELS).  The VIEWER takes them up by label
 * when webrtcbin announces them.  Either side sends and receives on both.
 *
 * Text arrives on SCTP threads.  It is size-checked there (a peer cannot
 * make us copy more than SL_GUIDE_MAX_SIZE bytes a message) and handed to
 * the control thread, where it is parsed (sl_guide_parse), checked to have
 * come on the channel its type belongs to, and given to the application's
 * guide_message callback.  A refused message is logged with its reason —
 * never its content, which may be anything a peer chose to send — and
 * answered with a nack; nacks are rate-limited to SL_GUIDE_NACKS_PER_S,
 * the rest only counted, so a flood of garbage cannot be turned into a
 * flood back.  Channel state changes reach the application through the
 * guide_channel callback, also on the control thread: the township
 * announces its probe image when "sl-guide" opens, and a receiver forgets
 * the pointer's sequence when "sl-pointer" (re)opens.
 *
 * Threading: everything here but the two signal handlers runs on the
 * control thread; SlSessionGuide is touched only there.
 */
#include "sl-session-private.h"

#include <string.h>

#define GST_CAT_DEFAULT sl_session_debug

/* docs/guidance.md, NACKS: a station sends at most this many a second. */
#define SL_GUIDE_NACKS_PER_S 10

typedef enum
{
  CH_GUIDE,
  CH_POINTER,
  N_CHANNELS,
} ChannelIndex;

static const gchar *const channel_labels[N_CHANNELS] = {
  [CH_GUIDE] = SL_GUIDE_CHANNEL,
  [CH_POINTER] = SL_GUIDE_POINTER_CHANNEL,
};

struct _SlSessionGuide
{
  GstWebRTCDataChannel *channels[N_CHANNELS]; /* owned, or NULL */
  gboolean reported_open[N_CHANNELS]; /* what the application was told */
  gint64 nack_window_us; /* start of the current one-second window */
  guint nacks_in_window;
  SlSessionGuideStats stats;
};

/* What an SCTP thread hands to the control thread. */
typedef struct
{
  ChannelIndex index;
  GstWebRTCDataChannel *channel; /* owned: the channel it came on */
  gchar *text;                   /* NULL: it was over the size limit */
  gsize len;
} Incoming;

static void
incoming_free (gpointer data)
{
  Incoming *in = data;

  g_object_unref (in->channel);
  g_free (in->text);
  g_free (in);
}

static SlSessionGuide *
ensure_guide (SlSession *self)
{
  if (self->guide == NULL)
    self->guide = g_new0 (SlSessionGuide, 1);
  return self->guide;
}

static gboolean
channel_is_open (GstWebRTCDataChannel *channel)
{
  GstWebRTCDataChannelState state;

  if (channel == NULL)
    return FALSE;
  g_object_get (channel, "ready-state", &state, NULL);
  return state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN;
}

/* ---- sending ---- */

static gboolean
send_text (SlSession *self, ChannelIndex index, const gchar *text)
{
  GstWebRTCDataChannel *channel = self->guide->channels[index];
  g_autoptr (GError) error = NULL;

  if (!channel_is_open (channel))
    return FALSE;
  if (!gst_webrtc_data_channel_send_string_full (channel, text, &error))
    {
      GST_INFO_OBJECT (self->pipeline, "could not send on %s: %s",
                       channel_labels[index], error->message);
      return FALSE;
    }
  return TRUE;
}

/* TRUE if one more nack may go out now (docs/guidance.md, NACKS). */
static gboolean
nack_allowed (SlSessionGuide *guide)
{
  gint64 now = sl_media_now_us ();

  if (now - guide->nack_window_us >= G_USEC_PER_SEC)
    {
      guide->nack_window_us = now;
      guide->nacks_in_window = 0;
    }
  if (guide->nacks_in_window >= SL_GUIDE_NACKS_PER_S)
    {
      guide->stats.nacks_suppressed++;
      return FALSE;
    }
  guide->nacks_in_window++;
  return TRUE;
}

gboolean
sl_session_send_guide (SlSession *self, const SlGuideMsg *msg)
{
  g_autofree gchar *text = NULL;
  ChannelIndex index;

  if (self->guide == NULL || sl_session_is_closed (self))
    return FALSE;
  index
      = g_str_equal (sl_guide_channel_for (msg->type), SL_GUIDE_POINTER_CHANNEL)
            ? CH_POINTER
            : CH_GUIDE;
  if (!channel_is_open (self->guide->channels[index]))
    return FALSE;
  if (msg->type == SL_GUIDE_NACK && !nack_allowed (self->guide))
    {
      GST_DEBUG_OBJECT (self->pipeline, "nack not sent: over %d a second",
                        SL_GUIDE_NACKS_PER_S);
      return FALSE;
    }
  text = sl_guide_serialize (msg);
  if (strlen (text) > SL_GUIDE_MAX_SIZE)
    {
      GST_WARNING_OBJECT (self->pipeline, "a %s message is over %d bytes",
                          sl_guide_type_name (msg->type), SL_GUIDE_MAX_SIZE);
      return FALSE;
    }
  if (!send_text (self, index, text))
    return FALSE;
  self->guide->stats.sent++;
  if (msg->type == SL_GUIDE_NACK)
    self->guide->stats.nacks_sent++;
  return TRUE;
}

static gboolean
send_nack (SlSession *self, const GError *error, gint64 media_ms,
           const gchar *ref_type, const gchar *ref_id)
{
  g_auto (SlGuideMsg) nack = { 0 };

  sl_guide_nack_init (&nack, error, media_ms, ref_type, ref_id);
  return sl_session_send_guide (self, &nack);
}

gboolean
sl_session_send_guide_nack (SlSession *self, const GError *error,
                            gint64 media_ms, const gchar *ref_type,
                            const gchar *ref_id)
{
  /* The application refused a message that guide_message handed it (a
   * trainee's mark at the township, a mark its state cannot take): it
   * counts as refused, not as taken. */
  if (self->guide != NULL)
    {
      if (self->guide->stats.received > 0)
        self->guide->stats.received--;
      self->guide->stats.refused++;
    }
  return send_nack (self, error, media_ms, ref_type, ref_id);
}

gboolean
sl_session_guide_is_open (SlSession *self, SlGuideType type)
{
  if (self->guide == NULL)
    return FALSE;
  return channel_is_open (
      self->guide->channels[g_str_equal (sl_guide_channel_for (type),
                                         SL_GUIDE_POINTER_CHANNEL)
                                ? CH_POINTER
                                : CH_GUIDE]);
}

guint64
sl_session_guide_buffered_amount (SlSession *self)
{
  guint64 amount = 0;

  if (self->guide == NULL || self->guide->channels[CH_GUIDE] == NULL)
    return 0;
  g_object_get (self->guide->channels[CH_GUIDE], "buffered-amount", &amount,
                NULL);
  return amount;
}

void
sl_session_get_guide_stats (SlSession *self, SlSessionGuideStats *stats)
{
  if (self->guide == NULL)
    memset (stats, 0, sizeof *stats);
  else
    *stats = self->guide->stats;
}

/* ---- receiving ---- */

static void
refuse (SlSession *self, ChannelIndex index, const GError *error,
        const SlGuideMsg *msg)
{
  const gboolean parsed = msg != NULL;

  self->guide->stats.refused++;
  GST_INFO_OBJECT (self->pipeline, "refused a guidance message on %s: %s",
                   channel_labels[index], error->message);
  /* A nack is never answered with a nack. */
  if (parsed && msg->type == SL_GUIDE_NACK)
    return;
  send_nack (self, error, parsed ? msg->media_ms : 0,
             parsed ? sl_guide_type_name (msg->type) : NULL,
             parsed && msg->type == SL_GUIDE_MARK ? msg->mark.id : NULL);
}

static void
handle_incoming (SlSession *self, gpointer data)
{
  Incoming *in = data;
  g_auto (SlGuideMsg) msg = { 0 };
  g_autoptr (GError) error = NULL;

  /* A message from a channel since replaced or closed is dropped. */
  if (self->guide == NULL || self->guide->channels[in->index] != in->channel)
    return;
  if (in->text == NULL)
    {
      g_set_error (&error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_TOO_LARGE,
                   "message over %d bytes", SL_GUIDE_MAX_SIZE);
      refuse (self, in->index, error, NULL);
      return;
    }
  if (!sl_guide_parse (in->text, in->len, &msg, &error))
    {
      refuse (self, in->index, error, NULL);
      return;
    }
  if (!g_str_equal (sl_guide_channel_for (msg.type), channel_labels[in->index]))
    {
      g_set_error (&error, SL_GUIDE_ERROR, SL_GUIDE_ERROR_MALFORMED,
                   "a %s message is not accepted on %s",
                   sl_guide_type_name (msg.type), channel_labels[in->index]);
      refuse (self, in->index, error, &msg);
      return;
    }
  self->guide->stats.received++;
  if (msg.type == SL_GUIDE_NACK)
    GST_INFO_OBJECT (self->pipeline, "the peer refused a %s message: %s",
                     msg.nack.ref_type[0] ? msg.nack.ref_type : "guidance",
                     sl_guide_reason_name (msg.nack.reason));
  if (self->callbacks.guide_message != NULL)
    self->callbacks.guide_message (self, &msg, self->user_data);
}

static ChannelIndex
index_of (SlSession *self, GstWebRTCDataChannel *channel)
{
  return self->guide != NULL && self->guide->channels[CH_POINTER] == channel
             ? CH_POINTER
             : CH_GUIDE;
}

/* SCTP thread.  The channel pointer is read without the control thread's
 * knowledge only to choose a label; handle_incoming() checks it again. */
static void
on_message_string (GstWebRTCDataChannel *channel, const gchar *text,
                   SlSession *self)
{
  Incoming *in;
  gsize len;

  if (text == NULL)
    return;
  len = strnlen (text, SL_GUIDE_MAX_SIZE + 1);
  in = g_new0 (Incoming, 1);
  in->channel = g_object_ref (channel);
  in->index = GPOINTER_TO_INT (
      g_object_get_data (G_OBJECT (channel), "sl-guide-index"));
  if (len <= SL_GUIDE_MAX_SIZE)
    {
      in->text = g_strndup (text, len);
      in->len = len;
    }
  sl_session_invoke (self, handle_incoming, in, incoming_free);
}

/* Binary messages are not part of the protocol; they are refused like a
 * message that is not JSON. */
static void
on_message_data (GstWebRTCDataChannel *channel, GBytes *data, SlSession *self)
{
  Incoming *in = g_new0 (Incoming, 1);

  in->channel = g_object_ref (channel);
  in->index = GPOINTER_TO_INT (
      g_object_get_data (G_OBJECT (channel), "sl-guide-index"));
  in->text = g_strdup ("");
  sl_session_invoke (self, handle_incoming, in, incoming_free);
}

/* ---- channel life ---- */

static void
report_state (SlSession *self, gpointer data)
{
  GstWebRTCDataChannel *channel = data;
  SlSessionGuide *guide = self->guide;
  ChannelIndex index;
  gboolean open;

  if (guide == NULL)
    return;
  index = index_of (self, channel);
  if (guide->channels[index] != channel)
    return;
  open = channel_is_open (channel);
  if (open == guide->reported_open[index])
    return;
  guide->reported_open[index] = open;
  GST_INFO_OBJECT (self->pipeline, "data channel %s %s", channel_labels[index],
                   open ? "open" : "closed");
  if (open)
    guide->stats.opens[index]++;
  if (self->callbacks.guide_channel != NULL)
    self->callbacks.guide_channel (self, channel_labels[index], open,
                                   self->user_data);
}

static void
on_ready_state (GObject *channel, GParamSpec *pspec, SlSession *self)
{
  sl_session_invoke (self, report_state, g_object_ref (channel),
                     g_object_unref);
}

static void
drop_channel (SlSession *self, ChannelIndex index)
{
  SlSessionGuide *guide = self->guide;

  if (guide->channels[index] == NULL)
    return;
  g_signal_handlers_disconnect_by_data (guide->channels[index], self);
  g_object_set_data (G_OBJECT (guide->channels[index]), "sl-guide-watched",
                     NULL);
  g_clear_object (&guide->channels[index]);
  guide->reported_open[index] = FALSE;
}

static gint
label_index (GstWebRTCDataChannel *channel)
{
  g_autofree gchar *label = NULL;

  g_object_get (channel, "label", &label, NULL);
  if (g_strcmp0 (label, SL_GUIDE_CHANNEL) == 0)
    return CH_GUIDE;
  if (g_strcmp0 (label, SL_GUIDE_POINTER_CHANNEL) == 0)
    return CH_POINTER;
  return -1;
}

/* Connects the message handlers once per channel. */
static void
watch_messages (SlSession *self, GstWebRTCDataChannel *channel, gint index)
{
  if (g_object_get_data (G_OBJECT (channel), "sl-guide-watched") != NULL)
    return;
  g_object_set_data (G_OBJECT (channel), "sl-guide-index",
                     GINT_TO_POINTER (index));
  g_object_set_data (G_OBJECT (channel), "sl-guide-watched",
                     GINT_TO_POINTER (TRUE));
  g_signal_connect (channel, "on-message-string",
                    G_CALLBACK (on_message_string), self);
  g_signal_connect (channel, "on-message-data", G_CALLBACK (on_message_data),
                    self);
}

/* webrtcbin thread, right after the attach was queued for the control
 * thread: a peer may send on a channel as soon as it has opened it, so
 * waiting for the control thread to connect the handlers would lose the
 * first messages (the township's `image`).  Queued after the attach, the
 * messages reach the control thread after it. */
void
sl_session_guide_watch (SlSession *self, GstWebRTCDataChannel *channel)
{
  gint index = label_index (channel);

  if (index >= 0)
    watch_messages (self, channel, index);
}

gboolean
sl_session_guide_attach (SlSession *self, GstWebRTCDataChannel *channel)
{
  gint index = label_index (channel);

  if (index < 0)
    return FALSE;
  ensure_guide (self);
  drop_channel (self, index);
  self->guide->channels[index] = g_object_ref (channel);
  watch_messages (self, channel, index);
  g_signal_connect (channel, "notify::ready-state", G_CALLBACK (on_ready_state),
                    self);
  /* A VIEWER is handed channels that may be open already. */
  report_state (self, channel);
  return TRUE;
}

static void
create_one (SlSession *self, const gchar *label, GstStructure *options)
{
  GstWebRTCDataChannel *channel = NULL;

  g_signal_emit_by_name (self->webrtc, "create-data-channel", label, options,
                         &channel);
  gst_structure_free (options);
  if (channel == NULL)
    {
      GST_WARNING_OBJECT (self->pipeline, "could not create data channel %s",
                          label);
      return;
    }
  sl_session_guide_attach (self, channel);
  g_object_unref (channel);
}

void
sl_session_guide_create (SlSession *self)
{
  create_one (
      self, SL_GUIDE_CHANNEL,
      gst_structure_new ("options", "ordered", G_TYPE_BOOLEAN, TRUE, NULL));
  /* A lost or late pointer position is worthless: the next replaces it. */
  create_one (self, SL_GUIDE_POINTER_CHANNEL,
              gst_structure_new ("options", "ordered", G_TYPE_BOOLEAN, FALSE,
                                 "max-retransmits", G_TYPE_INT, 0, NULL));
}

void
sl_session_guide_close (SlSession *self)
{
  if (self->guide == NULL)
    return;
  drop_channel (self, CH_GUIDE);
  drop_channel (self, CH_POINTER);
  g_clear_pointer (&self->guide, g_free);
}
