/* test-fec-sdp.c — the ULPFEC payload type read from an offer
 * (media/recovery/sl-fec-sdp.h), on hand-made SDP. */
#include "sl-fec-sdp.h"

static gint
pt_of (const gchar *text)
{
  GstSDPMessage *msg = NULL;
  gint pt;

  g_assert_cmpint (gst_sdp_message_new_from_text (text, &msg), ==, GST_SDP_OK);
  pt = sl_fec_sdp_ulpfec_pt (msg);
  gst_sdp_message_free (msg);
  return pt;
}

#define HEAD "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
#define AUDIO                                                                  \
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 98\r\n"                                     \
  "a=rtpmap:111 OPUS/48000/2\r\na=rtpmap:98 ulpfec/48000\r\n"

static void
test_offer (void)
{
  /* As webrtcbin 1.22 offers it: RED, then ULPFEC, then RTX. */
  g_assert_cmpint (pt_of (HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99\r\n"
                               "a=rtpmap:96 H264/90000\r\n"
                               "a=rtpmap:97 red/90000\r\n"
                               "a=rtpmap:98 ulpfec/90000\r\n"
                               "a=rtpmap:99 rtx/90000\r\n"),
                   ==, 98);
  /* The voice's is not the video's. */
  g_assert_cmpint (pt_of (HEAD AUDIO "m=video 9 UDP/TLS/RTP/SAVPF 96 100\r\n"
                                     "a=rtpmap:96 H264/90000\r\n"
                                     "a=rtpmap:100 ULPFEC/90000\r\n"),
                   ==, 100);
}

static void
test_none (void)
{
  g_assert_cmpint (pt_of (HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                               "a=rtpmap:96 H264/90000\r\n"),
                   ==, -1);
  g_assert_cmpint (pt_of (HEAD AUDIO), ==, -1);
  g_assert_cmpint (pt_of (HEAD), ==, -1);
}

/* What a hostile or broken peer might write. */
static void
test_malformed (void)
{
  g_assert_cmpint (pt_of (HEAD "m=video 9 RTP/AVP 96\r\n"
                               "a=rtpmap:128 ulpfec/90000\r\n"),
                   ==, -1);
  g_assert_cmpint (pt_of (HEAD "m=video 9 RTP/AVP 96\r\n"
                               "a=rtpmap:-1 ulpfec/90000\r\n"),
                   ==, -1);
  g_assert_cmpint (pt_of (HEAD
                          "m=video 9 RTP/AVP 96\r\n"
                          "a=rtpmap:99999999999999999999 ulpfec/90000\r\n"),
                   ==, -1);
  g_assert_cmpint (pt_of (HEAD "m=video 9 RTP/AVP 96\r\n"
                               "a=rtpmap:ulpfec/90000\r\n"
                               "a=rtpmap\r\n"
                               "a=rtpmap:97ulpfec/90000\r\n"),
                   ==, -1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fec-sdp/offer", test_offer);
  g_test_add_func ("/fec-sdp/none", test_none);
  g_test_add_func ("/fec-sdp/malformed", test_malformed);
  return g_test_run ();
}
