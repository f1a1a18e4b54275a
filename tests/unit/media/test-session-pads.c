/* test-session-pads.c — a viewer's receive branches when webrtcbin adds
 * more than one pad for a stream (media/session/sl-session-media.c).
 *
 * webrtcbin adds a src pad per received stream, on its streaming
 * threads; a new SSRC on a transceiver that already has a pad gets a
 * second one.  The second video pad used to build a second video branch
 * whose element names were taken: the pipeline destroyed the first
 * element, which was then linked from (GStreamer-CRITICAL
 * "GST_IS_ELEMENT (src)"), then the station crashed.  Here the pads are
 * made by the test and given to the session's pad-added handler through
 * webrtcbin's own signal, on the test's thread and then on two threads
 * at once, so the outcome does not depend on the network.
 */
#include "sonolink.h"

#include <gst/gst.h>

typedef struct
{
  SlSession *session;
  GstElement *webrtc;
} Viewer;

static GstElement *
find_webrtcbin (GstElement *pipeline)
{
  g_autoptr (GstIterator) it = gst_bin_iterate_recurse (GST_BIN (pipeline));
  GValue item = G_VALUE_INIT;
  GstElement *found = NULL;

  while (found == NULL && gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      GstElement *e = g_value_get_object (&item);
      GstElementFactory *f = gst_element_get_factory (e);

      if (f != NULL && g_strcmp0 (GST_OBJECT_NAME (f), "webrtcbin") == 0)
        found = gst_object_ref (e);
      g_value_reset (&item);
    }
  g_value_unset (&item);
  return found;
}

static void
viewer_init (Viewer *v, gboolean recv_audio)
{
  SlSessionConfig config = { 0 };
  SlSessionCallbacks callbacks = { 0 };
  g_autoptr (GError) error = NULL;

  config.role = SL_SESSION_VIEWER;
  config.peer_id = "sender";
  config.video_bitrate_kbps = 1000;
  config.recv_audio = recv_audio;
  v->session = sl_session_new (&config, &callbacks, NULL, &error);
  g_assert_no_error (error);
  v->webrtc = find_webrtcbin (sl_session_get_pipeline (v->session));
  g_assert_nonnull (v->webrtc);
}

static void
viewer_clear (Viewer *v)
{
  gst_clear_object (&v->webrtc);
  g_clear_object (&v->session);
}

/* A src pad as webrtcbin gives one: RTP of @media. */
static GstPad *
stream_pad (const gchar *media, guint n)
{
  g_autofree gchar *text = g_strdup_printf (
      "application/x-rtp,media=%s,encoding-name=%s,clock-rate=%d", media,
      g_str_equal (media, "video") ? "H264" : "OPUS",
      g_str_equal (media, "video") ? 90000 : 48000);
  g_autoptr (GstCaps) caps = gst_caps_from_string (text);
  g_autoptr (GstPadTemplate) templ
      = gst_pad_template_new ("src_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, caps);
  g_autofree gchar *name = g_strdup_printf ("src_%u", n);

  return gst_object_ref_sink (gst_pad_new_from_template (templ, name));
}

static void
add_pad (Viewer *v, GstPad *pad)
{
  g_signal_emit_by_name (v->webrtc, "pad-added", pad);
}

static guint
count_named (GstElement *pipeline, const gchar *prefix)
{
  g_autoptr (GstIterator) it = gst_bin_iterate_elements (GST_BIN (pipeline));
  GValue item = G_VALUE_INIT;
  guint n = 0;

  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      if (g_str_has_prefix (GST_OBJECT_NAME (g_value_get_object (&item)),
                            prefix))
        n++;
      g_value_reset (&item);
    }
  g_value_unset (&item);
  return n;
}

/* The element @pad feeds. */
static GstElement *
peer_element (GstPad *pad)
{
  g_autoptr (GstPad) peer = gst_pad_get_peer (pad);

  return peer != NULL ? gst_pad_get_parent_element (peer) : NULL;
}

static void
unlink_pad (GstPad *pad)
{
  g_autoptr (GstPad) peer = gst_pad_get_peer (pad);

  g_assert_true (gst_pad_unlink (pad, peer));
}

/* A second video pad while the first is linked goes to a fakesink; one
 * that comes after the first went takes the branch; one branch
 * throughout. */
static void
test_second_video_pad (void)
{
  Viewer v;
  GstElement *pipeline;
  g_autoptr (GstPad) first = stream_pad ("video", 0);
  g_autoptr (GstPad) second = stream_pad ("video", 1);
  g_autoptr (GstPad) third = stream_pad ("video", 2);
  g_autoptr (GstElement) depay = NULL;
  g_autoptr (GstElement) other = NULL;
  g_autoptr (GstElement) again = NULL;

  viewer_init (&v, FALSE);
  pipeline = sl_session_get_pipeline (v.session);
  add_pad (&v, first);
  depay = peer_element (first);
  g_assert_nonnull (depay);
  g_assert_cmpstr (GST_OBJECT_NAME (depay), ==, "video-depay");

  add_pad (&v, second);
  other = peer_element (second);
  g_assert_nonnull (other);
  g_assert_true (other != depay);
  g_assert_cmpstr (GST_OBJECT_NAME (gst_element_get_factory (other)), ==,
                   "fakesink");
  g_assert_cmpuint (count_named (pipeline, "video-depay"), ==, 1);
  g_assert_cmpuint (count_named (pipeline, "decoder"), ==, 1);

  /* The first stream goes (webrtcbin removes its pad): a new one takes
   * the branch. */
  unlink_pad (first);
  add_pad (&v, third);
  again = peer_element (third);
  g_assert_true (again == depay);
  g_assert_cmpuint (count_named (pipeline, "video-depay"), ==, 1);

  unlink_pad (second);
  unlink_pad (third);
  viewer_clear (&v);
}

typedef struct
{
  Viewer *viewer;
  GstPad *pad;
} Adder;

static gpointer
add_pad_thread (gpointer data)
{
  Adder *a = data;

  add_pad (a->viewer, a->pad);
  return NULL;
}

/* Voice and video pads, two of each, on four threads at once (as
 * webrtcbin's streaming threads do): one branch of each, every pad
 * linked, no critical (fatal in a GTest). */
static void
test_pads_at_once (void)
{
  Viewer v;
  const gchar *media[] = { "video", "audio", "video", "audio" };
  GstPad *pads[4];
  Adder adders[4];
  GThread *threads[4];
  GstElement *pipeline;

  viewer_init (&v, TRUE);
  pipeline = sl_session_get_pipeline (v.session);
  for (guint i = 0; i < 4; i++)
    {
      pads[i] = stream_pad (media[i], i);
      adders[i].viewer = &v;
      adders[i].pad = pads[i];
    }
  for (guint i = 0; i < 4; i++)
    threads[i] = g_thread_new ("pad-added", add_pad_thread, &adders[i]);
  for (guint i = 0; i < 4; i++)
    g_thread_join (threads[i]);
  for (guint i = 0; i < 4; i++)
    g_assert_true (gst_pad_is_linked (pads[i]));
  g_assert_cmpuint (count_named (pipeline, "video-depay"), ==, 1);
  g_assert_cmpuint (count_named (pipeline, "rtpopusdepay"), ==, 1);
  for (guint i = 0; i < 4; i++)
    {
      unlink_pad (pads[i]);
      gst_object_unref (pads[i]);
    }
  viewer_clear (&v);
}

int
main (int argc, char **argv)
{
  sl_media_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/session-pads/second-video-pad", test_second_video_pad);
  g_test_add_func ("/session-pads/pads-at-once", test_pads_at_once);
  return g_test_run ();
}
