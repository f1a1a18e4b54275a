/* test-bwe-sender.c — the webrtcbin adapter of sl-bwe-sender.h.
 *
 * With GstHarness: buffers pass through untouched, synthetic
 * "RTPTWCCPackets" events built like rtpsession's move the target, and
 * malformed ones are survived.  Then, if rtpmanager is installed, a real
 * rtpbin pair in one pipeline (no network; the receiver's RTCP comes back
 * through an appsink/appsrc pair, as a direct link would make a loop in
 * the graph) with the TWCC header extension on the payloader:
 * rtpsession's own feedback must reach the element through rtpbin's
 * "request-aux-sender" hook, which is the path webrtcbin uses.
 */
#include "sl-bwe-sender.h"

#include <gst/app/app.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/rtp.h>

#define TWCC_URI                                                               \
  "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
static void
append_packet (GValueArray *array, guint seqnum, guint64 local_ts,
               guint64 remote_ts, guint size)
{
  GValue v = G_VALUE_INIT;

  g_value_init (&v, GST_TYPE_STRUCTURE);
  g_value_take_boxed (
      &v,
      gst_structure_new ("RTPTWCCPacket", "seqnum", G_TYPE_UINT, seqnum,
                         "local-ts", G_TYPE_UINT64, local_ts, "remote-ts",
                         G_TYPE_UINT64, remote_ts, "payload-type", G_TYPE_UCHAR,
                         96, "size", G_TYPE_UINT, size, "lost", G_TYPE_BOOLEAN,
                         !GST_CLOCK_TIME_IS_VALID (remote_ts), NULL));
  g_value_array_append (array, &v);
  g_value_unset (&v);
}

/* The event as rtpsession builds it: "packets" holds a GValueArray. */
static GstEvent *
twcc_event (GValueArray *array)
{
  GstStructure *s = gst_structure_new_empty ("RTPTWCCPackets");
  GValue v = G_VALUE_INIT;

  g_value_init (&v, g_value_array_get_type ());
  g_value_take_boxed (&v, array);
  gst_structure_take_value (s, "packets", &v);
  return gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, s);
}
G_GNUC_END_IGNORE_DEPRECATIONS

static void
count_notify (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  g_atomic_int_inc ((gint *)user_data);
}

static GstHarness *
new_harness (GstElement **element)
{
  GstHarness *h;

  *element = gst_object_ref_sink (sl_bwe_sender_new (0, 0, 1500000));
  h = gst_harness_new_with_element (*element, "sink", "src");
  gst_harness_set_src_caps_str (h, "application/x-rtp, media=video, "
                                   "clock-rate=90000, payload=96");
  return h;
}

static void
test_passthrough (void)
{
  GstElement *element;
  GstHarness *h = new_harness (&element);
  GstBuffer *in = gst_rtp_buffer_new_allocate (100, 0, 0), *out;

  gst_buffer_ref (in);
  g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
  out = gst_harness_pull (h);
  g_assert_true (out == in);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  g_assert_cmpuint (sl_bwe_sender_get_target_bitrate (SL_BWE_SENDER (element)),
                    ==, 1500000);
  gst_harness_teardown (h);
  gst_object_unref (element);
}

/* About 480 kbit/s of video (5 packets of 400 bytes a frame, 30 frames a
 * second) over a link whose queue grows by 3 ms a frame: the detector
 * must call over-use and the target fall below what gets through.  The
 * acknowledged rate counts the packets' headers too. */
static void
test_feedback_moves_target (void)
{
  GstElement *element;
  GstHarness *h = new_harness (&element);
  GstClock *clock = gst_system_clock_obtain ();
  GstClockTime base = gst_clock_get_time (clock) - 2500 * GST_MSECOND;
  gint notified = 0;
  guint seq = 65500; /* wraps on the way */
  gboolean overused = FALSE;
  guint acked = 0;

  g_signal_connect (element, "notify::target-bitrate",
                    G_CALLBACK (count_notify), &notified);
  for (guint fb = 0; fb < 20; fb++)
    {
      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      GValueArray *array = g_value_array_new (15);
      G_GNUC_END_IGNORE_DEPRECATIONS

      for (guint f = fb * 3; f < fb * 3 + 3; f++)
        for (guint i = 0; i < 5; i++)
          {
            GstClockTime sent = base + f * 33333 * GST_USECOND + i * 100000;
            GstClockTime arrived = 5 * GST_SECOND + (sent - base)
                                   + f * 3 * GST_MSECOND + 20 * GST_MSECOND;

            append_packet (array, (seq++) & 0xffff, sent, arrived, 400);
          }
      g_assert_true (gst_harness_push_upstream_event (h, twcc_event (array)));

      {
        g_autoptr (GstStructure) stats = NULL;

        g_object_get (element, "stats", &stats, NULL);
        g_assert_nonnull (stats);
        overused |= !g_strcmp0 (gst_structure_get_string (stats, "usage"),
                                "overusing");
        g_assert_true (gst_structure_get_uint (stats, "acked-bitrate", &acked));
      }
    }
  g_assert_true (overused);
  /* 480 kbit/s of payload plus 58 bytes of headers on each of the 150
   * packets a second: 550 kbit/s on the wire. */
  g_assert_cmpuint (acked, >, 500000);
  g_assert_cmpuint (acked, <, 600000);
  g_assert_cmpuint (sl_bwe_sender_get_target_bitrate (SL_BWE_SENDER (element)),
                    <, 480000);
  g_assert_cmpint (g_atomic_int_get (&notified), >=, 1);

  /* Every event also went on upstream. */
  g_assert_cmpuint (gst_harness_upstream_events_received (h), >=, 20);
  gst_object_unref (clock);
  gst_harness_teardown (h);
  gst_object_unref (element);
}

static GstEvent *
event_with_packets (const GValue *packets)
{
  GstStructure *s = gst_structure_new_empty ("RTPTWCCPackets");

  if (packets)
    gst_structure_set_value (s, "packets", packets);
  return gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, s);
}

/* Events from a future or broken rtpsession must not hurt. */
static void
test_malformed (void)
{
  GstElement *element;
  GstHarness *h = new_harness (&element);
  GValue v = G_VALUE_INIT, item = G_VALUE_INIT;
  guint target, before = gst_harness_upstream_events_received (h);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GValueArray *array = g_value_array_new (4);
  G_GNUC_END_IGNORE_DEPRECATIONS

  /* No "packets", a string instead, an empty list. */
  gst_harness_push_upstream_event (h, event_with_packets (NULL));
  g_value_init (&v, G_TYPE_STRING);
  g_value_set_string (&v, "nonsense");
  gst_harness_push_upstream_event (h, event_with_packets (&v));
  g_value_unset (&v);
  g_value_init (&v, GST_TYPE_LIST);
  gst_harness_push_upstream_event (h, event_with_packets (&v));

  /* A list of broken structures: one missing fields, one with an
   * invalid send time, a "lost" one with no arrival fields at all. */
  g_value_init (&item, GST_TYPE_STRUCTURE);
  g_value_take_boxed (&item, gst_structure_new ("RTPTWCCPacket", "seqnum",
                                                G_TYPE_UINT, 1, NULL));
  gst_value_list_append_value (&v, &item);
  g_value_take_boxed (
      &item, gst_structure_new ("RTPTWCCPacket", "seqnum", G_TYPE_UINT, 2,
                                "size", G_TYPE_UINT, 100, "local-ts",
                                G_TYPE_UINT64, GST_CLOCK_TIME_NONE, NULL));
  gst_value_list_append_value (&v, &item);
  g_value_take_boxed (
      &item, gst_structure_new ("RTPTWCCPacket", "seqnum", G_TYPE_UINT, 3,
                                "size", G_TYPE_UINT, 100, "local-ts",
                                G_TYPE_UINT64, (guint64)GST_SECOND, NULL));
  gst_value_list_append_value (&v, &item);
  g_value_unset (&item);
  gst_harness_push_upstream_event (h, event_with_packets (&v));
  g_value_unset (&v);

  /* Not structures at all, then wrong values in the 1.22 container. */
  g_value_init (&item, G_TYPE_INT);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  g_value_array_append (array, &item);
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_value_unset (&item);
  append_packet (array, 4, G_MAXUINT64 - 1, G_MAXUINT64 - 1, G_MAXUINT);
  gst_harness_push_upstream_event (h, twcc_event (array));
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gst_harness_push_upstream_event (h, twcc_event (g_value_array_new (0)));
  G_GNUC_END_IGNORE_DEPRECATIONS

  /* Other custom events pass untouched. */
  gst_harness_push_upstream_event (
      h, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
                               gst_structure_new_empty ("Something")));
  g_assert_cmpuint (gst_harness_upstream_events_received (h) - before, ==, 7);

  target = sl_bwe_sender_get_target_bitrate (SL_BWE_SENDER (element));
  g_assert_cmpuint (target, >=, 150000);
  g_assert_cmpuint (target, <=, 20000000);
  gst_harness_teardown (h);
  gst_object_unref (element);
}

static void
test_properties (void)
{
  GstElement *element = gst_object_ref_sink (sl_bwe_sender_new (0, 0, 0));
  GParamSpec *pspec;
  guint target, min_bps;
  gint notified = 0;

  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (element),
                                        "target-bitrate");
  g_assert_nonnull (pspec);
  g_assert_false (pspec->flags & G_PARAM_WRITABLE);
  g_signal_connect (element, "notify::target-bitrate",
                    G_CALLBACK (count_notify), &notified);

  /* Defaults, then a new start rate before any feedback. */
  g_object_get (element, "target-bitrate", &target, NULL);
  g_assert_cmpuint (target, ==, 1500000);
  g_object_set (element, "start-bitrate", 3000000, NULL);
  g_object_get (element, "target-bitrate", &target, NULL);
  g_assert_cmpuint (target, ==, 3000000);
  g_assert_cmpint (notified, ==, 1);

  /* Bounds clamp at once. */
  g_object_set (element, "max-bitrate", 2000000, NULL);
  g_assert_cmpuint (sl_bwe_sender_get_target_bitrate (SL_BWE_SENDER (element)),
                    ==, 2000000);
  g_object_set (element, "min-bitrate", 2500000, NULL);
  g_object_get (element, "min-bitrate", &min_bps, NULL);
  g_assert_cmpuint (min_bps, ==, 2500000);
  g_assert_cmpuint (sl_bwe_sender_get_target_bitrate (SL_BWE_SENDER (element)),
                    ==, 2500000);
  g_assert_cmpint (notified, ==, 3);
  gst_object_unref (element);
}

/* rtpbin wants aux senders with pads named after the session. */
static GstElement *
on_request_aux_sender (GstElement *rtpbin, guint session, gpointer user_data)
{
  GstElement *bin = gst_bin_new (NULL), *sender = user_data;
  g_autofree gchar *sink_name = g_strdup_printf ("sink_%u", session);
  g_autofree gchar *src_name = g_strdup_printf ("src_%u", session);
  g_autoptr (GstPad) sink = gst_element_get_static_pad (sender, "sink");
  g_autoptr (GstPad) src = gst_element_get_static_pad (sender, "src");

  gst_bin_add (GST_BIN (bin), gst_object_ref (sender));
  gst_element_add_pad (bin, gst_ghost_pad_new (sink_name, sink));
  gst_element_add_pad (bin, gst_ghost_pad_new (src_name, src));
  return bin;
}

typedef struct
{
  GMutex lock;
  GCond cond;
  guint events; /* RTPTWCCPackets seen on the sender's src pad */
} Waiter;

static GstPadProbeReturn
on_upstream_event (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Waiter *w = user_data;
  const GstStructure *s = gst_event_get_structure (info->data);

  if (s && gst_structure_has_name (s, "RTPTWCCPackets"))
    {
      g_mutex_lock (&w->lock);
      w->events++;
      g_cond_signal (&w->cond);
      g_mutex_unlock (&w->lock);
    }
  return GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement *rtpbin, GstPad *pad, gpointer user_data)
{
  GstElement *sink = user_data;
  g_autoptr (GstPad) sinkpad = gst_element_get_static_pad (sink, "sink");

  if (g_str_has_prefix (GST_PAD_NAME (pad), "recv_rtp_src_")
      && !gst_pad_is_linked (sinkpad))
    gst_pad_link (pad, sinkpad);
}

static gboolean
have_plugins (void)
{
  const gchar *names[] = { "rtpbin",        "audiotestsrc", "rtpL16pay",
                           "rtphdrexttwcc", "appsink",      "appsrc" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (GstElementFactory) f = gst_element_factory_find (names[i]);

      if (!f)
        return FALSE;
    }
  return TRUE;
}

/* The source, with the TWCC header extension on its payloader: what a
 * session must do for webrtcbin too. */
static GstElement *
make_source (void)
{
  g_autoptr (GError) error = NULL;
  GstElement *bin = gst_parse_bin_from_description (
      "audiotestsrc is-live=true samplesperbuffer=441 "
      "! audio/x-raw,rate=44100,channels=1 ! rtpL16pay name=pay",
      TRUE, &error);
  g_autoptr (GstElement) pay = NULL;
  g_autoptr (GstRTPHeaderExtension) ext = NULL;

  g_assert_no_error (error);
  pay = gst_bin_get_by_name (GST_BIN (bin), "pay");
  ext = gst_rtp_header_extension_create_from_uri (TWCC_URI);
  g_assert_nonnull (ext);
  gst_rtp_header_extension_set_id (ext, 1);
  g_signal_emit_by_name (pay, "add-extension", ext);
  return bin;
}

static GstFlowReturn
on_rtcp_sample (GstAppSink *appsink, gpointer user_data)
{
  GstSample *sample = gst_app_sink_pull_sample (appsink);

  if (sample)
    {
      gst_app_src_push_buffer (user_data,
                               gst_buffer_ref (gst_sample_get_buffer (sample)));
      gst_sample_unref (sample);
    }
  return GST_FLOW_OK;
}

/* The receiver's RTCP back to the sender, without a link. */
static void
add_rtcp_return (GstElement *pipeline, GstElement *r, GstElement *s)
{
  GstElement *out = gst_element_factory_make ("appsink", NULL);
  GstElement *in = gst_element_factory_make ("appsrc", NULL);
  GstAppSinkCallbacks callbacks = { .new_sample = on_rtcp_sample };

  g_object_set (out, "sync", FALSE, "async", FALSE, NULL);
  g_object_set (in, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp",
                TRUE, NULL);
  gst_app_src_set_caps (GST_APP_SRC (in),
                        gst_caps_new_empty_simple ("application/x-rtcp"));
  gst_app_sink_set_callbacks (GST_APP_SINK (out), &callbacks, in, NULL);
  gst_bin_add_many (GST_BIN (pipeline), out, in, NULL);
  g_assert_true (gst_element_link_pads (r, "send_rtcp_src_0", out, "sink"));
  g_assert_true (gst_element_link_pads (in, "src", s, "recv_rtcp_sink_0"));
}

static GstElement *
make_pipeline (GstElement *sender)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *s = gst_element_factory_make ("rtpbin", "s");
  GstElement *r = gst_element_factory_make ("rtpbin", "r");
  GstElement *src = make_source ();
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GObject *session = NULL;

  g_object_set (sink, "async", FALSE, "sync", FALSE, NULL);
  /* Feedback goes out as early RTCP, as webrtcbin's SAVPF allows. */
  g_object_set (r, "rtp-profile", GST_RTP_PROFILE_AVPF, NULL);
  g_object_set (s, "rtp-profile", GST_RTP_PROFILE_AVPF, NULL);
  g_signal_connect (s, "request-aux-sender", G_CALLBACK (on_request_aux_sender),
                    sender);
  g_signal_connect (r, "pad-added", G_CALLBACK (on_pad_added), sink);
  gst_bin_add_many (GST_BIN (pipeline), src, s, r, sink, NULL);
  g_assert_true (gst_element_link_pads (src, "src", s, "send_rtp_sink_0"));
  g_assert_true (
      gst_element_link_pads (s, "send_rtp_src_0", r, "recv_rtp_sink_0"));
  g_assert_true (
      gst_element_link_pads (s, "send_rtcp_src_0", r, "recv_rtcp_sink_0"));
  add_rtcp_return (pipeline, r, s);
  /* Audio sets the marker bit only once, and the receiver sends
   * feedback on markers unless given an interval. */
  g_signal_emit_by_name (r, "get-internal-session", 0, &session);
  g_assert_nonnull (session);
  g_object_set (session, "twcc-feedback-interval", (guint64)(50 * GST_MSECOND),
                NULL);
  g_object_unref (session);
  return pipeline;
}

/* rtpsession's own TWCC feedback, from a real receiver, reaches the aux
 * sender: the acknowledged rate is the payload's 705.6 kbit/s plus the
 * headers (752 kbit/s) and the
 * round trip is read on the same clock as rtpsession's send times. */
static void
test_rtpbin_feedback (void)
{
  GstElement *sender, *pipeline;
  g_autoptr (GstPad) src = NULL;
  g_autoptr (GstStructure) stats = NULL;
  Waiter w = { 0 };
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  guint acked = 0;
  guint64 received = 0;
  gdouble rtt_ms = -1;

  if (!have_plugins ())
    {
      g_test_skip ("rtpmanager, audiotestsrc or rtpL16pay not installed");
      return;
    }
  sender = gst_object_ref_sink (sl_bwe_sender_new (0, 0, 1000000));
  src = gst_element_get_static_pad (sender, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_upstream_event,
                     &w, NULL);
  pipeline = make_pipeline (sender);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);

  /* Wait for a second of feedback, with a deadline. */
  g_mutex_lock (&w.lock);
  while (w.events < 20)
    if (!g_cond_wait_until (&w.cond, &w.lock, deadline))
      break;
  g_mutex_unlock (&w.lock);
  g_test_message ("%u feedback events", w.events);
  g_assert_cmpuint (w.events, >=, 20);

  g_object_get (sender, "stats", &stats, NULL);
  {
    g_autofree gchar *text = gst_structure_to_string (stats);

    g_test_message ("stats: %s", text);
  }
  g_assert_true (gst_structure_get_uint (stats, "acked-bitrate", &acked));
  g_assert_true (
      gst_structure_get_uint64 (stats, "packets-received", &received));
  g_assert_true (gst_structure_get_double (stats, "rtt-ms", &rtt_ms));
  g_assert_cmpuint (received, >=, 50);
  /* 705.6 kbit/s of payload and 46.4 of headers (100 packets a second). */
  g_assert_cmpuint (acked, >, 600000);
  g_assert_cmpuint (acked, <, 850000);
  g_assert_cmpfloat (rtt_ms, >, 0);
  g_assert_cmpfloat (rtt_ms, <, 1000);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  gst_object_unref (sender);
  g_mutex_clear (&w.lock);
  g_cond_clear (&w.cond);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bwe-sender/passthrough", test_passthrough);
  g_test_add_func ("/bwe-sender/feedback-moves-target",
                   test_feedback_moves_target);
  g_test_add_func ("/bwe-sender/malformed", test_malformed);
  g_test_add_func ("/bwe-sender/properties", test_properties);
  g_test_add_func ("/bwe-sender/rtpbin-feedback", test_rtpbin_feedback);
  return g_test_run ();
}
