/* Unit tests for sl-playout-delay.c: the extension's three bytes, and a
 * real rtph264pay writing them in the packets it makes. */
#include "sl-playout-delay.h"

#include <gst/gst.h>
#include <gst/rtp/rtp.h>

static void
test_pack (void)
{
  guint8 b[3];
  guint min_ms, max_ms;

  /* 100 and 400 ms: 10 and 40 units of 10 ms, 12 bits each. */
  sl_playout_delay_pack (100, 400, b);
  g_assert_cmphex (b[0], ==, 0x00);
  g_assert_cmphex (b[1], ==, 0xA0);
  g_assert_cmphex (b[2], ==, 0x28);
  g_assert_true (sl_playout_delay_unpack (b, 3, &min_ms, &max_ms));
  g_assert_cmpuint (min_ms, ==, 100);
  g_assert_cmpuint (max_ms, ==, 400);

  /* None at all: each picture shown as soon as it is decoded. */
  sl_playout_delay_pack (0, 0, b);
  g_assert_cmphex (b[0] | b[1] | b[2], ==, 0);

  /* Past 12 bits, the most they say; a least over the most raises the
   * most; odd milliseconds round down. */
  sl_playout_delay_pack (50000, 90000, b);
  g_assert_true (sl_playout_delay_unpack (b, 3, &min_ms, &max_ms));
  g_assert_cmpuint (min_ms, ==, SL_PLAYOUT_DELAY_MAX_MS);
  g_assert_cmpuint (max_ms, ==, SL_PLAYOUT_DELAY_MAX_MS);
  sl_playout_delay_pack (205, 19, b);
  g_assert_true (sl_playout_delay_unpack (b, 3, &min_ms, &max_ms));
  g_assert_cmpuint (min_ms, ==, 200);
  g_assert_cmpuint (max_ms, ==, 200);

  /* Anything but three bytes is not the extension. */
  g_assert_false (sl_playout_delay_unpack (b, 2, &min_ms, &max_ms));
  g_assert_false (sl_playout_delay_unpack (b, 4, &min_ms, &max_ms));
  g_assert_false (sl_playout_delay_unpack (NULL, 3, &min_ms, &max_ms));
}

/* x264 ! rtph264pay with the extension: every packet carries it, with
 * its id and the bounds asked, and the payloader's caps name it (which
 * is what puts it in webrtcbin's offer). */
static void
test_payloader_writes_it (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (
      "videotestsrc num-buffers=3 ! video/x-raw,width=320,height=240 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast ! "
      "rtph264pay name=pay mtu=400 ! appsink name=out sync=false",
      &error);
  g_autoptr (GstElement) pay = NULL;
  g_autoptr (GstElement) out = NULL;
  g_autoptr (GstRTPHeaderExtension) ext = sl_playout_delay_new (3, 0, 120);
  g_autoptr (GstCaps) caps = NULL;
  guint packets = 0;
  GstSample *sample;

  g_assert_no_error (error);
  g_assert_cmpstr (gst_rtp_header_extension_get_uri (ext), ==,
                   SL_PLAYOUT_DELAY_URI);
  pay = gst_bin_get_by_name (GST_BIN (pipeline), "pay");
  out = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  g_signal_emit_by_name (pay, "add-extension", ext);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  for (;;)
    {
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
      gpointer data = NULL;
      guint size = 0;
      guint min_ms, max_ms;

      g_signal_emit_by_name (out, "pull-sample", &sample);
      if (sample == NULL)
        break;
      if (caps == NULL)
        caps = gst_caps_ref (gst_sample_get_caps (sample));
      g_assert_true (gst_rtp_buffer_map (gst_sample_get_buffer (sample),
                                         GST_MAP_READ, &rtp));
      g_assert_true (gst_rtp_buffer_get_extension_onebyte_header (
          &rtp, 3, 0, &data, &size));
      g_assert_true (sl_playout_delay_unpack (data, size, &min_ms, &max_ms));
      g_assert_cmpuint (min_ms, ==, 0);
      g_assert_cmpuint (max_ms, ==, 120);
      gst_rtp_buffer_unmap (&rtp);
      gst_sample_unref (sample);
      packets++;
    }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  /* Three pictures, the first over several packets of 400 bytes. */
  g_assert_cmpuint (packets, >, 3);
  g_assert_nonnull (caps);
  g_assert_cmpstr (
      gst_structure_get_string (gst_caps_get_structure (caps, 0), "extmap-3"),
      ==, SL_PLAYOUT_DELAY_URI);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/playout-delay/pack", test_pack);
  g_test_add_func ("/playout-delay/payloader-writes-it",
                   test_payloader_writes_it);
  return g_test_run ();
}
