/* test-fec.c — the early FEC repair of sl-fec.h, on FEC made by
 * GStreamer's own rtpulpfecenc (the township's encoder), so that the two
 * agree on RFC 5109 bit for bit. */
#include "sl-fec.h"

#include <gst/check/gstharness.h>
#include <gst/rtp/rtp.h>
#include <string.h>

#define MEDIA_PT 96
#define FEC_PT 122

/* One video-like packet: @seq, a frame's timestamp, a payload of @size
 * bytes that differ from packet to packet, the marker on a frame's last. */
static GstBuffer *
media_packet (guint16 seq, guint32 ts, gboolean marker, gsize size)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (size, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint8 *payload;

  g_assert_true (gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp));
  gst_rtp_buffer_set_payload_type (&rtp, MEDIA_PT);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, ts);
  gst_rtp_buffer_set_ssrc (&rtp, 0x11223344);
  gst_rtp_buffer_set_marker (&rtp, marker);
  payload = gst_rtp_buffer_get_payload (&rtp);
  for (gsize i = 0; i < size; i++)
    payload[i] = (guint8)(seq * 31 + i * 7);
  gst_rtp_buffer_unmap (&rtp);
  return buf;
}

/* Runs @frames frames of @per_frame packets (sizes varying) through
 * rtpulpfecenc at @percentage and returns what it sent, in order. */
static GPtrArray *
encode (guint frames, guint per_frame, guint percentage)
{
  GstHarness *h = gst_harness_new ("rtpulpfecenc");
  GPtrArray *out
      = g_ptr_array_new_with_free_func ((GDestroyNotify)gst_buffer_unref);
  guint16 seq = 1000;
  GstBuffer *buf;

  g_object_set (h->element, "pt", FEC_PT, "percentage", percentage,
                "multipacket", TRUE, NULL);
  gst_harness_set_src_caps_str (h, "application/x-rtp, media=video, "
                                   "clock-rate=90000, encoding-name=H264, "
                                   "payload=96");
  for (guint f = 0; f < frames; f++)
    for (guint p = 0; p < per_frame; p++)
      g_assert_cmpint (
          gst_harness_push (h, media_packet (seq++, 3000 * f,
                                             p == per_frame - 1, 300 + 97 * p)),
          ==, GST_FLOW_OK);
  while ((buf = gst_harness_try_pull (h)) != NULL)
    g_ptr_array_add (out, buf);
  gst_harness_teardown (h);
  return out;
}

static gboolean
is_fec (GstBuffer *buf)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gboolean fec;

  g_assert_true (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp));
  fec = gst_rtp_buffer_get_payload_type (&rtp) == FEC_PT;
  gst_rtp_buffer_unmap (&rtp);
  return fec;
}

/* What sl_fec_push fills: the packets it rebuilt. */
static GPtrArray *
new_recovered (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
}

static gboolean
push (SlFec *fec, GstBuffer *buf, GPtrArray *recovered)
{
  GstMapInfo map;
  gboolean ok;

  g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
  ok = sl_fec_push (fec, map.data, map.size, FEC_PT, recovered);
  gst_buffer_unmap (buf, &map);
  return ok;
}

static void
assert_same (GBytes *rebuilt, GstBuffer *original)
{
  GstMapInfo map;

  g_assert_true (gst_buffer_map (original, &map, GST_MAP_READ));
  g_assert_cmpmem (g_bytes_get_data (rebuilt, NULL), g_bytes_get_size (rebuilt),
                   map.data, map.size);
  gst_buffer_unmap (original, &map);
}

/* The index of the @n-th media packet in @sent. */
static guint
nth_media (GPtrArray *sent, guint n)
{
  for (guint i = 0; i < sent->len; i++)
    if (!is_fec (sent->pdata[i]) && n-- == 0)
      return i;
  g_assert_not_reached ();
}

static void
test_one_lost_is_rebuilt (void)
{
  /* 25 % of 4 packets: one FEC packet a frame, over all four. */
  g_autoptr (GPtrArray) sent = encode (3, 4, 25);
  g_autoptr (GPtrArray) recovered = new_recovered ();
  g_autoptr (SlFec) fec = sl_fec_new ();
  guint lost = nth_media (sent, 6), n_fec = 0; /* frame 2, third packet */

  for (guint i = 0; i < sent->len; i++)
    {
      n_fec += is_fec (sent->pdata[i]);
      if (i != lost)
        g_assert_true (push (fec, sent->pdata[i], recovered));
    }
  g_assert_cmpuint (n_fec, ==, 3);
  g_assert_cmpuint (sl_fec_received (fec), ==, 3);
  g_assert_cmpuint (recovered->len, ==, 1);
  assert_same (recovered->pdata[0], sent->pdata[lost]);
  g_assert_cmpuint (sl_fec_recovered (fec), ==, 1);
}

static void
test_nothing_lost_nothing_made (void)
{
  g_autoptr (GPtrArray) sent = encode (4, 5, 40);
  g_autoptr (GPtrArray) recovered = new_recovered ();
  g_autoptr (SlFec) fec = sl_fec_new ();

  for (guint i = 0; i < sent->len; i++)
    g_assert_true (push (fec, sent->pdata[i], recovered));
  g_assert_cmpuint (recovered->len, ==, 0);
  g_assert_cmpuint (sl_fec_received (fec), >, 0);
}

static void
test_two_lost_wait_for_a_retransmission (void)
{
  g_autoptr (GPtrArray) sent = encode (1, 4, 25);
  g_autoptr (GPtrArray) recovered = new_recovered ();
  g_autoptr (SlFec) fec = sl_fec_new ();
  guint a = nth_media (sent, 1), b = nth_media (sent, 2);

  for (guint i = 0; i < sent->len; i++)
    if (i != a && i != b)
      g_assert_true (push (fec, sent->pdata[i], recovered));
  /* Two of the run missing: XOR cannot tell them apart. */
  g_assert_cmpuint (recovered->len, ==, 0);
  /* One comes back by NACK/RTX: the FEC packet kept rebuilds the other. */
  g_assert_true (push (fec, sent->pdata[a], recovered));
  g_assert_cmpuint (recovered->len, ==, 1);
  assert_same (recovered->pdata[0], sent->pdata[b]);
}

static void
test_extensions_are_left_out (void)
{
  /* The township strips header extensions before the FEC encoder and
   * RED gives the packets a fresh TWCC slot: the viewer's copies carry an
   * extension the FEC never saw. */
  g_autoptr (GPtrArray) sent = encode (1, 3, 34);
  g_autoptr (GPtrArray) recovered = new_recovered ();
  g_autoptr (SlFec) fec = sl_fec_new ();
  guint lost = nth_media (sent, 0);
  guint8 twcc[2] = { 0x12, 0x34 };

  for (guint i = 0; i < sent->len; i++)
    {
      GstBuffer *copy;
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

      if (i == lost)
        continue;
      copy = gst_buffer_copy_deep (sent->pdata[i]);
      g_assert_true (gst_rtp_buffer_map (copy, GST_MAP_READWRITE, &rtp));
      g_assert_true (
          gst_rtp_buffer_add_extension_onebyte_header (&rtp, 1, twcc, 2));
      gst_rtp_buffer_unmap (&rtp);
      g_assert_true (push (fec, copy, recovered));
      gst_buffer_unref (copy);
    }
  g_assert_cmpuint (recovered->len, ==, 1);
  assert_same (recovered->pdata[0], sent->pdata[lost]);
}

static void
test_bad_input_is_refused (void)
{
  g_autoptr (GPtrArray) sent = encode (1, 4, 25);
  g_autoptr (GPtrArray) recovered = new_recovered ();
  g_autoptr (SlFec) fec = sl_fec_new ();
  guint8 short_rtp[5] = { 0x80, FEC_PT, 0, 1, 0 };
  guint8 v1[12] = { 0x40, MEDIA_PT };
  guint fec_index = sent->len - 1;
  GstMapInfo map;
  g_autofree guint8 *cut = NULL;

  g_assert_false (
      sl_fec_push (fec, short_rtp, sizeof short_rtp, FEC_PT, recovered));
  g_assert_false (sl_fec_push (fec, v1, sizeof v1, FEC_PT, recovered));
  /* A FEC packet whose protection length does not match its size. */
  g_assert_true (is_fec (sent->pdata[fec_index]));
  g_assert_true (gst_buffer_map (sent->pdata[fec_index], &map, GST_MAP_READ));
  cut = g_memdup2 (map.data, map.size - 1);
  g_assert_false (sl_fec_push (fec, cut, map.size - 1, FEC_PT, recovered));
  /* One with the E bit set, whole. */
  g_free (cut);
  cut = g_memdup2 (map.data, map.size);
  cut[12] |= 0x80;
  g_assert_false (sl_fec_push (fec, cut, map.size, FEC_PT, recovered));
  gst_buffer_unmap (sent->pdata[fec_index], &map);
  g_assert_cmpuint (sl_fec_received (fec), ==, 0);
  g_assert_cmpuint (recovered->len, ==, 0);
}

static void
test_corrupt_fec_rebuilds_nothing_wrong (void)
{
  /* A FEC packet whose run holds a packet longer than its protection
   * length cannot be right: nothing comes of it. */
  g_autoptr (GPtrArray) sent = encode (1, 2, 50);
  g_autoptr (GPtrArray) recovered = new_recovered ();
  g_autoptr (SlFec) fec = sl_fec_new ();
  g_autoptr (GstBuffer) longer = media_packet (1000, 0, FALSE, 1400);
  guint lost = nth_media (sent, 1);

  g_assert_true (push (fec, longer, recovered));
  for (guint i = 0; i < sent->len; i++)
    if (i != lost && i != nth_media (sent, 0))
      g_assert_true (push (fec, sent->pdata[i], recovered));
  g_assert_cmpuint (recovered->len, ==, 0);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fec/one-lost-is-rebuilt", test_one_lost_is_rebuilt);
  g_test_add_func ("/fec/nothing-lost-nothing-made",
                   test_nothing_lost_nothing_made);
  g_test_add_func ("/fec/two-lost-wait-for-a-retransmission",
                   test_two_lost_wait_for_a_retransmission);
  g_test_add_func ("/fec/extensions-are-left-out",
                   test_extensions_are_left_out);
  g_test_add_func ("/fec/bad-input-is-refused", test_bad_input_is_refused);
  g_test_add_func ("/fec/corrupt-fec-rebuilds-nothing-wrong",
                   test_corrupt_fec_rebuilds_nothing_wrong);
  return g_test_run ();
}
