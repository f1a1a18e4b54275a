/* test-stamp.c — the frame stamp: round trips, rejection of damaged or
 * absent stamps, and survival through H.264 at a streaming bitrate. */
#include "probe-test-util.h"
#include "sl-phantom.h"
#include "sl-stamp.h"

#include <gst/app/app.h>
#include <string.h>

#define COLS 28
#define ROWS 4

static guint32
next_random (guint64 *state)
{
  /* xorshift64*: the test's own deterministic sequence. */
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return (guint32)((*state * G_GUINT64_CONSTANT (2685821657736338717)) >> 32);
}

static guint64
next_value (guint64 *state)
{
  return (guint64)next_random (state) << 32 | next_random (state);
}

static guint8 *
random_picture (guint width, guint height, guint64 *state)
{
  guint8 *y = g_malloc ((gsize)width * height);
  gsize i;

  for (i = 0; i < (gsize)width * height; i++)
    y[i] = (guint8)next_random (state);
  return y;
}

static void
test_size (void)
{
  guint w, h;

  sl_stamp_get_size (1280, &w, &h);
  g_assert_cmpuint (w, ==, 224);
  g_assert_cmpuint (h, ==, 32);
  sl_stamp_get_size (320, &w, &h);
  g_assert_cmpuint (w, ==, 224);
  g_assert_cmpuint (h, ==, 32);
  sl_stamp_get_size (1920, &w, &h);
  g_assert_cmpuint (w, ==, 336);
  g_assert_cmpuint (h, ==, 48);
  g_assert_true (sl_stamp_fits (320, 64));
  g_assert_false (sl_stamp_fits (318, 64));
  g_assert_false (sl_stamp_fits (320, 62));
}

/* The documented layout, decoded by hand: sync blocks, value big-endian,
 * CRC-32 big-endian (0x28c7d1ae is zlib's crc32 of these 8 bytes). */
static void
test_layout (void)
{
  static const guint8 payload[12] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
                                      0xcd, 0xef, 0x28, 0xc7, 0xd1, 0xae };
  const guint w = 1280, h = 720, block = 8;
  g_autofree guint8 *y = g_malloc0 (w * h);
  guint row, col;

  g_assert_true (sl_stamp_write (y, w, w, h, 0x0123456789abcdefull));
  for (row = 0; row < ROWS; row++)
    for (col = 0; col < COLS; col++)
      {
        guint expected, k, px, py;

        if (col < 4)
          expected = ((0x8 | row) >> (3 - col)) & 1;
        else
          {
            k = row * 24 + col - 4;
            expected = (payload[k / 8] >> (7 - k % 8)) & 1;
          }
        for (py = row * block; py < (row + 1) * block; py++)
          for (px = col * block; px < (col + 1) * block; px++)
            g_assert_cmpuint (y[py * w + px], ==, expected ? 235 : 16);
      }
  /* Nothing outside the stamp is touched. */
  for (row = 0; row < ROWS * block; row++)
    g_assert_cmpuint (y[row * w + COLS * block], ==, 0);
  for (col = 0; col < w; col++)
    g_assert_cmpuint (y[ROWS * block * w + col], ==, 0);
}

static void
test_round_trip (void)
{
  static const guint sizes[][2] = {
    { 1280, 720 }, { 320, 64 }, { 1920, 1080 }, { 333, 77 }, { 640, 360 }
  };
  guint64 state = 0x1234567;
  guint s, i;

  for (s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      guint w = sizes[s][0], h = sizes[s][1];
      g_autofree guint8 *y = random_picture (w, h, &state);

      for (i = 0; i < 500; i++)
        {
          guint64 value = i < 3 ? (guint64[]){ 0, 1, G_MAXUINT64 }[i]
                                : next_value (&state);
          guint64 read = ~value;

          g_assert_true (sl_stamp_write (y, (gint)w, w, h, value));
          g_assert_true (sl_stamp_read (y, (gint)w, w, h, &read));
          g_assert_cmpuint (read, ==, value);
        }
    }
}

/* Area-average downscale of a luma plane, as videoscale would roughly do. */
static guint8 *
downscale (const guint8 *y, guint w, guint h, guint dw, guint dh)
{
  guint8 *out = g_malloc (dw * dh);

  for (guint oy = 0; oy < dh; oy++)
    for (guint ox = 0; ox < dw; ox++)
      {
        guint x0 = ox * w / dw, x1 = MAX (x0 + 1, (ox + 1) * w / dw);
        guint y0 = oy * h / dh, y1 = MAX (y0 + 1, (oy + 1) * h / dh);
        guint sum = 0, n = 0;

        for (guint py = y0; py < y1; py++)
          for (guint px = x0; px < x1; px++, n++)
            sum += y[py * w + px];
        out[oy * dw + ox] = (guint8)(sum / n);
      }
  return out;
}

/* A picture scaled down after stamping (a township sending a smaller
 * picture on a short link) still gives both stamps to the scaled reader,
 * not to the plain one; a damaged one is refused. */
static void
test_scaled (void)
{
  static const guint sizes[][2] = { { 960, 540 }, { 640, 360 }, { 480, 270 } };
  guint64 state = 0x5eed, v;
  g_autofree guint8 *y = random_picture (1280, 720, &state);

  g_assert_true (sl_stamp_write_at (SL_STAMP_TOP_LEFT, y, 1280, 1280, 720, 42));
  g_assert_true (
      sl_stamp_write_at (SL_STAMP_TOP_RIGHT, y, 1280, 1280, 720, 0xabcdef));
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      guint dw = sizes[i][0], dh = sizes[i][1];
      g_autofree guint8 *small = downscale (y, 1280, 720, dw, dh);

      g_assert_false (
          sl_stamp_read_at (SL_STAMP_TOP_LEFT, small, (gint)dw, dw, dh, &v));
      g_assert_true (sl_stamp_read_scaled (SL_STAMP_TOP_LEFT, small, (gint)dw,
                                           dw, dh, 1280, 720, &v));
      g_assert_cmpuint (v, ==, 42);
      g_assert_true (sl_stamp_read_scaled (SL_STAMP_TOP_RIGHT, small, (gint)dw,
                                           dw, dh, 1280, 720, &v));
      g_assert_cmpuint (v, ==, 0xabcdef);
      /* Another source size either lands on the same blocks (1920 wide at
       * half size is 1280 at 3/4) and reads the same, or reads nothing. */
      v = 0;
      if (sl_stamp_read_scaled (SL_STAMP_TOP_RIGHT, small, (gint)dw, dw, dh,
                                1920, 1080, &v))
        g_assert_cmpuint (v, ==, 0xabcdef);
      g_assert_false (sl_stamp_read_scaled (SL_STAMP_TOP_RIGHT, small, (gint)dw,
                                            dw, dh, 1600, 900, &v));
      /* Invert a block of the payload: the CRC refuses it. */
      for (guint py = 0; py < dh / 40; py++)
        for (guint px = dw / 20; px < dw / 20 + dw / 80; px++)
          small[py * dw + px] = 255 - small[py * dw + px];
      g_assert_false (sl_stamp_read_scaled (SL_STAMP_TOP_LEFT, small, (gint)dw,
                                            dw, dh, 1280, 720, &v));
    }
  /* Larger than the source, or blocks under two pixels: refused. */
  g_assert_false (sl_stamp_read_scaled (SL_STAMP_TOP_LEFT, y, 1280, 1280, 720,
                                        640, 360, &v));
  g_assert_false (sl_stamp_read_scaled (SL_STAMP_TOP_LEFT, y, 1280, 320, 180,
                                        1280, 720, &v));
}

/* Stamps at both corners of one picture carry their own values, neither
 * touches the other, and the top-right one sits on the 16-pixel grid. */
static void
test_corners (void)
{
  static const guint sizes[][2]
      = { { 1280, 720 }, { 1920, 1080 }, { 640, 360 } };
  guint64 state = 0x7654321;

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      guint w = sizes[s][0], h = sizes[s][1], sw, sh, x0 = w;
      g_autofree guint8 *y = random_picture (w, h, &state);
      guint64 left = next_value (&state), right = next_value (&state), got;

      g_assert_true (sl_stamp_fits_at (SL_STAMP_TOP_RIGHT, w, h));
      g_assert_true (sl_stamp_write_at (SL_STAMP_TOP_LEFT, y, w, w, h, left));
      g_assert_true (sl_stamp_write_at (SL_STAMP_TOP_RIGHT, y, w, w, h, right));
      g_assert_true (sl_stamp_read_at (SL_STAMP_TOP_LEFT, y, w, w, h, &got));
      g_assert_cmpuint (got, ==, left);
      g_assert_true (sl_stamp_read (y, w, w, h, &got));
      g_assert_cmpuint (got, ==, left);
      g_assert_true (sl_stamp_read_at (SL_STAMP_TOP_RIGHT, y, w, w, h, &got));
      g_assert_cmpuint (got, ==, right);

      /* The first column the right stamp wrote: the first that differs
       * from a picture with only the left stamp. */
      sl_stamp_get_size (w, &sw, &sh);
      for (guint col = sw; col < w && x0 == w; col++)
        if (y[col] == 16 || y[col] == 235)
          {
            gboolean block = TRUE;

            for (guint k = 0; k < 8 && block; k++)
              block = y[col + k] == y[col];
            if (block && (col % 16) == 0)
              x0 = col;
          }
      g_assert_cmpuint (x0 % 16, ==, 0);
      g_assert_cmpuint (x0 + sw, <=, w);
      g_assert_cmpuint (x0, >=, sw + 16);
    }

  /* Too narrow for two stamps: the right one is refused, nothing written. */
  {
    guint8 y[460 * 64];
    guint64 value;

    memset (y, 128, sizeof y);
    g_assert_false (sl_stamp_fits_at (SL_STAMP_TOP_RIGHT, 460, 64));
    g_assert_false (sl_stamp_write_at (SL_STAMP_TOP_RIGHT, y, 460, 460, 64, 1));
    g_assert_false (
        sl_stamp_read_at (SL_STAMP_TOP_RIGHT, y, 460, 460, 64, &value));
    for (guint i = 0; i < sizeof y; i++)
      g_assert_cmpuint (y[i], ==, 128);
  }
}

static void
test_too_small (void)
{
  guint8 y[318 * 64];
  guint64 value;

  memset (y, 77, sizeof y);
  g_assert_false (sl_stamp_write (y, 318, 318, 64, 5));
  for (gsize i = 0; i < sizeof y; i++)
    g_assert_cmpuint (y[i], ==, 77);
  g_assert_false (sl_stamp_read (y, 318, 318, 64, &value));
}

static void
test_absent (void)
{
  const guint w = 640, h = 360;
  g_autofree guint8 *y = g_malloc (w * h);
  static const guint8 levels[] = { 0, 16, 126, 235, 255 };
  guint64 state = 99, value;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (levels); i++)
    {
      memset (y, levels[i], w * h);
      g_assert_false (sl_stamp_read (y, w, w, h, &value));
    }
  /* Random black and white blocks: the sync blocks and the CRC reject
   * them all. */
  for (i = 0; i < 20000; i++)
    {
      guint r, c, block = 8;

      for (r = 0; r < ROWS; r++)
        for (c = 0; c < COLS; c++)
          {
            guint8 level = next_random (&state) & 1 ? 235 : 16;
            guint py;

            for (py = r * block; py < (r + 1) * block; py++)
              memset (y + py * w + c * block, level, block);
          }
      g_assert_false (sl_stamp_read (y, w, w, h, &value));
    }
}

static void
flip_block (guint8 *y, guint stride, guint block, guint index)
{
  guint r = index / COLS, c = index % COLS, py, px;

  for (py = r * block; py < (r + 1) * block; py++)
    for (px = c * block; px < (c + 1) * block; px++)
      y[py * stride + px] = y[py * stride + px] > 125 ? 16 : 235;
}

/* One to five wrong blocks are always detected (CRC-32's Hamming distance
 * 6 at this length, plus the sync blocks): never a wrong value. */
static void
test_damaged (void)
{
  const guint w = 1280, h = 720, n = ROWS * COLS;
  g_autofree guint8 *y = g_malloc0 (w * h);
  g_autofree guint8 *clean = g_malloc (w * h);
  guint64 state = 4242, value;
  guint i, j, k;

  g_assert_true (sl_stamp_write (y, w, w, h, 0x0123456789abcdefull));
  memcpy (clean, y, w * h);
  for (i = 0; i < n; i++)
    {
      flip_block (y, w, 8, i);
      g_assert_false (sl_stamp_read (y, w, w, h, &value));
      for (j = i + 1; j < n; j++)
        {
          flip_block (y, w, 8, j);
          g_assert_false (sl_stamp_read (y, w, w, h, &value));
          flip_block (y, w, 8, j);
        }
      flip_block (y, w, 8, i);
    }
  for (i = 0; i < 20000; i++)
    {
      guint flips = 3 + i % 3, chosen[5];

      memcpy (y, clean, w * h);
      for (k = 0; k < flips; k++)
        {
          gboolean repeat;

          do
            {
              chosen[k] = next_random (&state) % n;
              repeat = FALSE;
              for (j = 0; j < k; j++)
                repeat |= chosen[j] == chosen[k];
            }
          while (repeat);
          flip_block (y, w, 8, chosen[k]);
        }
      g_assert_false (sl_stamp_read (y, w, w, h, &value));
    }
  /* A grey block (blurred or concealed) makes the stamp unreadable. */
  memcpy (y, clean, w * h);
  for (j = 0; j < 8; j++)
    memset (y + (8 + j) * w + 5 * 8, 126, 8);
  g_assert_false (sl_stamp_read (y, w, w, h, &value));
  memcpy (y, clean, w * h);
  g_assert_true (sl_stamp_read (y, w, w, h, &value));
  g_assert_cmpuint (value, ==, 0x0123456789abcdefull);
}

typedef struct
{
  GstElement *src;
  guint width;
  guint height;
  guint n_frames;
  guint64 *values;
} Feeder;

/* Renders and pushes the frames; appsrc blocks when its queue is full, so
 * this runs on its own thread while the test pulls the decoded frames. */
static gpointer
feed_frames (gpointer data)
{
  Feeder *f = data;
  g_autoptr (SlPhantom) phantom = sl_phantom_new (f->width, f->height, 1);
  gsize luma = (gsize)f->width * f->height;
  guint64 state = 777;
  guint i;

  for (i = 0; i < f->n_frames; i++)
    {
      guint8 *data = g_malloc (luma * 3 / 2);
      GstBuffer *buffer;

      sl_phantom_render (phantom, i, data, (gint)f->width, data + luma,
                         (gint)f->width / 2, data + luma * 5 / 4,
                         (gint)f->width / 2);
      /* Values with every kind of bit pattern, not only small indices. */
      f->values[i] = i % 2 ? next_value (&state) : i;
      g_assert_true (sl_stamp_write (data, (gint)f->width, f->width, f->height,
                                     f->values[i]));
      buffer = gst_buffer_new_wrapped (data, luma * 3 / 2);
      GST_BUFFER_PTS (buffer) = gst_util_uint64_scale (i, GST_SECOND, 30);
      GST_BUFFER_DURATION (buffer) = GST_SECOND / 30;
      if (gst_app_src_push_buffer (GST_APP_SRC (f->src), buffer) != GST_FLOW_OK)
        break;
    }
  gst_app_src_end_of_stream (GST_APP_SRC (f->src));
  return NULL;
}

/* Phantom frames carrying random stamps through x264 at 1.5 Mbit/s and back:
 * every stamp must read back exactly. */
static void
test_through_h264 (void)
{
  const guint w = 1280, h = 720, n_frames = 90;
  g_autoptr (GError) error = NULL;
  g_autofree guint64 *values = g_new0 (guint64, n_frames);
  g_autofree gchar *desc = g_strdup_printf (
      "appsrc name=src format=time block=true max-bytes=%u "
      "caps=video/x-raw,format=I420,width=%u,height=%u,framerate=30/1 "
      "! x264enc tune=zerolatency speed-preset=ultrafast bitrate=1500 "
      "! avdec_h264 ! appsink name=sink sync=false",
      w * h * 6, w, h);
  Feeder feeder = { NULL, w, h, n_frames, values };
  GstElement *pipeline, *sink;
  GPtrArray *samples;
  GThread *thread;
  GstClockTime first = 0;
  guint i;

  pipeline = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  feeder.src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  thread = g_thread_new ("feeder", feed_frames, &feeder);
  samples = probe_test_pull (pipeline, sink, n_frames, 90, NULL);
  g_thread_join (thread);
  g_assert_cmpuint (samples->len, ==, n_frames);
  for (i = 0; i < samples->len; i++)
    {
      GstBuffer *buffer = gst_sample_get_buffer (samples->pdata[i]);
      guint idx;

      /* The encoder shifts timestamps by a constant (to keep DTS positive);
       * count frames from the first one. */
      if (i == 0)
        first = GST_BUFFER_PTS (buffer);
      idx = (guint)((GST_BUFFER_PTS (buffer) - first + GST_SECOND / 60) * 30
                    / GST_SECOND);
      guint64 value = 0;

      g_assert_cmpuint (idx, ==, i);
      g_assert_true (probe_test_sample_stamp (samples->pdata[i], &value));
      g_assert_cmpuint (value, ==, values[i]);
    }
  g_ptr_array_unref (samples);
  gst_object_unref (feeder.src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
}

int
main (int argc, char **argv)
{
  int ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/probe/stamp/size", test_size);
  g_test_add_func ("/probe/stamp/layout", test_layout);
  g_test_add_func ("/probe/stamp/round-trip", test_round_trip);
  g_test_add_func ("/probe/stamp/corners", test_corners);
  g_test_add_func ("/probe/stamp/scaled", test_scaled);
  g_test_add_func ("/probe/stamp/too-small", test_too_small);
  g_test_add_func ("/probe/stamp/absent", test_absent);
  g_test_add_func ("/probe/stamp/damaged", test_damaged);
  g_test_add_func ("/probe/stamp/through-h264", test_through_h264);
  ret = g_test_run ();
  gst_deinit ();
  return ret;
}
