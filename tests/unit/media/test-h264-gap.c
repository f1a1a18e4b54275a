/* test-h264-gap.c — telling a lost video packet from a lost FEC packet
 * (sl-h264-gap.h), on packet sequences shaped like the township's: an
 * access unit delimiter, then the slice in FU-A fragments, the marker on
 * the last, then the frame's FEC packets. */
#include "sl-h264-gap.h"

#define FRAME 3000 /* 30 fps at 90 kHz */

static const guint8 aud[] = { 0x09, 0x30 };
static const guint8 fu_start[] = { 0x5c, 0x81, 0x9a }; /* S, slice, mb 0 */
static const guint8 fu_middle[] = { 0x5c, 0x01, 0x00 };
static const guint8 fu_end[] = { 0x5c, 0x41, 0x00 };

/* Feeds one frame at @ts: AUD, FU-A start, middle, end (marker).  Returns
 * how many of its packets came back "video lost". */
static guint
frame (SlH264Gap *g, guint32 ts, gint lose)
{
  const guint8 *p[] = { aud, fu_start, fu_middle, fu_end };
  guint n = 0;

  for (gint i = 0; i < 4; i++)
    {
      if (i == lose)
        {
          sl_h264_gap_lost (g);
          continue;
        }
      n += sl_h264_gap_packet (g, ts, i == 3, p[i], i == 0 ? 2 : 3);
    }
  return n;
}

static void
test_starts_picture (void)
{
  const guint8 sps_in_stap[] = { 0x18, 0x00, 0x0a, 0x67, 0x42 };
  const guint8 idr_single[] = { 0x65, 0x88 };
  const guint8 second_slice[] = { 0x41, 0x10 };
  const guint8 fu_no_start[] = { 0x5c, 0x05, 0x88 };

  g_assert_true (sl_h264_gap_starts_picture (aud, 2));
  g_assert_true (sl_h264_gap_starts_picture (fu_start, 3));
  g_assert_true (sl_h264_gap_starts_picture (sps_in_stap, 5));
  g_assert_true (sl_h264_gap_starts_picture (idr_single, 2));
  g_assert_false (sl_h264_gap_starts_picture (second_slice, 2));
  g_assert_false (sl_h264_gap_starts_picture (fu_middle, 3));
  g_assert_false (sl_h264_gap_starts_picture (fu_no_start, 3));
  /* Too short to tell: not a start. */
  g_assert_false (sl_h264_gap_starts_picture (fu_start, 2));
  g_assert_false (sl_h264_gap_starts_picture (idr_single, 1));
  g_assert_false (sl_h264_gap_starts_picture (NULL, 0));
}

static void
test_lost_fec_is_not_video (void)
{
  SlH264Gap g;

  sl_h264_gap_init (&g);
  for (guint f = 0; f < 5; f++)
    {
      g_assert_cmpuint (frame (&g, f * FRAME, -1), ==, 0);
      /* The frame's FEC packet is lost: nothing to resynchronise. */
      sl_h264_gap_lost (&g);
    }
  g_assert_cmpuint (frame (&g, 5 * FRAME, -1), ==, 0);
  g_assert_cmpuint (g.fec_lost, ==, 5);
  g_assert_cmpuint (g.video_lost, ==, 0);
}

static void
test_lost_video_is_marked (void)
{
  SlH264Gap g;

  sl_h264_gap_init (&g);
  for (guint f = 0; f < 4; f++)
    frame (&g, f * FRAME, -1);
  /* A middle fragment: the end fragment after it is marked. */
  g_assert_cmpuint (frame (&g, 4 * FRAME, 2), ==, 1);
  /* The last fragment, with the marker: the next frame's AUD. */
  g_assert_cmpuint (frame (&g, 5 * FRAME, 3), ==, 0);
  g_assert_cmpuint (frame (&g, 6 * FRAME, -1), ==, 1);
  /* The first fragment: the middle one cannot start a picture. */
  g_assert_cmpuint (frame (&g, 7 * FRAME, 1), ==, 1);
  /* The AUD: the first fragment starts a picture, after a frame ended,
   * one frame later.  Nothing of the picture is missing. */
  g_assert_cmpuint (frame (&g, 8 * FRAME, 0), ==, 0);
  g_assert_cmpuint (g.video_lost, ==, 3);
  g_assert_cmpuint (g.fec_lost, ==, 1);
}

static void
test_whole_frame_lost_is_video (void)
{
  SlH264Gap g;

  sl_h264_gap_init (&g);
  for (guint f = 0; f < 4; f++)
    frame (&g, f * FRAME, -1);
  /* A frame of one packet, lost whole: the next one starts cleanly
   * after a finished frame, but two frame intervals on. */
  sl_h264_gap_lost (&g);
  g_assert_cmpuint (frame (&g, 5 * FRAME, -1), ==, 1);
  g_assert_cmpuint (g.video_lost, ==, 1);
}

static void
test_first_packet_after_loss (void)
{
  SlH264Gap g;

  /* A loss before anything arrived: resynchronise, to be safe. */
  sl_h264_gap_init (&g);
  sl_h264_gap_lost (&g);
  g_assert_true (sl_h264_gap_packet (&g, 0, FALSE, aud, 2));
  /* A timestamp that goes back is never "the next frame". */
  sl_h264_gap_init (&g);
  frame (&g, 10 * FRAME, -1);
  sl_h264_gap_lost (&g);
  g_assert_true (sl_h264_gap_packet (&g, 9 * FRAME, FALSE, aud, 2));
}

static void
test_timestamps_wrap (void)
{
  SlH264Gap g;
  guint32 start = G_MAXUINT32 - 2 * FRAME;

  sl_h264_gap_init (&g);
  for (guint f = 0; f < 4; f++)
    frame (&g, start + f * FRAME, -1);
  sl_h264_gap_lost (&g);
  g_assert_cmpuint (frame (&g, start + 4 * FRAME, -1), ==, 0);
  g_assert_cmpuint (g.fec_lost, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/h264-gap/starts-picture", test_starts_picture);
  g_test_add_func ("/h264-gap/lost-fec-is-not-video",
                   test_lost_fec_is_not_video);
  g_test_add_func ("/h264-gap/lost-video-is-marked", test_lost_video_is_marked);
  g_test_add_func ("/h264-gap/whole-frame-lost-is-video",
                   test_whole_frame_lost_is_video);
  g_test_add_func ("/h264-gap/first-packet-after-loss",
                   test_first_packet_after_loss);
  g_test_add_func ("/h264-gap/timestamps-wrap", test_timestamps_wrap);
  return g_test_run ();
}
