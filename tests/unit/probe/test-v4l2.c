/* test-v4l2.c — the capture-card backend without a card: its spec parser,
 * its choice among a card's modes (over lists like real cards give), the
 * flattening of a card's caps into modes, and the errors a user meets at
 * start. */
#include "sl-probe.h"
#include "sl-v4l2-mode.h"
#include "sl-v4l2-source.h"
#include "sl-v4l2-uri.h"

#include <string.h>

static void
test_uri_ok (void)
{
  SlV4l2Uri uri;
  g_autoptr (GError) error = NULL;

  g_assert_true (sl_v4l2_uri_parse ("/dev/video0", &uri, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (uri.device, ==, "/dev/video0");
  g_assert_null (uri.format);
  g_assert_cmpuint (uri.width + uri.height + uri.fps, ==, 0);
  sl_v4l2_uri_clear (&uri);

  g_assert_true (sl_v4l2_uri_parse (
      "/dev/v4l/by-id/usb-Magewell_0-video-index0?width=1920&height=1080"
      "&fps=60&format=yuy2",
      &uri, &error));
  g_assert_cmpstr (uri.device, ==,
                   "/dev/v4l/by-id/usb-Magewell_0-video-index0");
  g_assert_cmpuint (uri.width, ==, 1920);
  g_assert_cmpuint (uri.height, ==, 1080);
  g_assert_cmpuint (uri.fps, ==, 60);
  g_assert_cmpstr (uri.format, ==, "YUY2");
  sl_v4l2_uri_clear (&uri);
}

static void
test_uri_errors (void)
{
  static const struct
  {
    const gchar *text, *needle;
  } cases[] = {
    { "", "not a device path" },
    { "video0", "not a device path" },
    { "/", "not a device path" },
    { "/dev/vid eo0", "not a device path" },
    { "/dev/video0\" ! fakesrc", "not a device path" },
    { "/dev/video0?", "not KEY=VALUE" },
    { "/dev/video0?width", "not KEY=VALUE" },
    { "/dev/video0?width=", "not KEY=VALUE" },
    { "/dev/video0?=640", "not KEY=VALUE" },
    { "/dev/video0?size=640", "unknown key \"size\"" },
    { "/dev/video0?width=641", "even number of pixels" },
    { "/dev/video0?width=abc", "even number of pixels" },
    { "/dev/video0?width=0640", "even number of pixels" },
    { "/dev/video0?height=-2", "even number of pixels" },
    { "/dev/video0?height=8192", "even number of pixels" },
    { "/dev/video0?fps=0", "from 1 to 120" },
    { "/dev/video0?fps=121", "from 1 to 120" },
    { "/dev/video0?fps=29.97", "from 1 to 120" },
    { "/dev/video0?format=MJPG", "not a raw format" },
    { "/dev/video0?width=640&width=640", "width is given twice" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SlV4l2Uri uri;
      g_autoptr (GError) error = NULL;

      if (sl_v4l2_uri_parse (cases[i].text, &uri, &error))
        g_error ("\"%s\" was accepted", cases[i].text);
      g_assert_error (error, SL_V4L2_URI_ERROR, 0);
      if (strstr (error->message, cases[i].needle) == NULL)
        g_error ("\"%s\" gave \"%s\", not \"%s\"", cases[i].text,
                 error->message, cases[i].needle);
      g_assert_null (uri.device);
      g_assert_null (uri.format);
    }
}

/* A mode from a format, a size and a rate (its fraction left to be
 * derived, as for a rate out of a range). */
#define MODE(f, w, h, r)                                                       \
  {                                                                            \
    .format = (f), .width = (w), .height = (h), .fps = (r)                     \
  }

/* A card like many HDMI grabbers: raw YUY2 and NV12 at a few sizes, and
 * MJPG (never taken). */
static const SlV4l2Mode card[] = {
  MODE ("MJPG", 1920, 1080, 60), MODE ("YUY2", 1920, 1080, 60),
  MODE ("YUY2", 1920, 1080, 30), MODE ("NV12", 1920, 1080, 30),
  MODE ("YUY2", 1280, 720, 60),  MODE ("YUY2", 1280, 720, 30),
  MODE ("NV12", 1280, 720, 60),  MODE ("YUY2", 640, 480, 60),
  MODE ("YUY2", 3840, 2160, 5),
};

/* The session's size and rate, then the spec's keys if any. */
#define WANT(w, h, f, ...)                                                     \
  ((SlV4l2Want){ .width = (w), .height = (h), .fps = (f), __VA_ARGS__ })

static const SlV4l2Mode *
choose (const SlV4l2Mode *modes, guint n, SlV4l2Want want)
{
  gint i = sl_v4l2_mode_choose (modes, n, &want);

  return i < 0 ? NULL : &modes[i];
}

static void
assert_mode (const SlV4l2Mode *m, const gchar *format, guint w, guint h,
             gdouble fps)
{
  g_assert_nonnull (m);
  g_assert_cmpstr (m->format, ==, format);
  g_assert_cmpuint (m->width, ==, w);
  g_assert_cmpuint (m->height, ==, h);
  g_assert_cmpfloat (m->fps, ==, fps);
}

static void
test_choose (void)
{
  guint n = G_N_ELEMENTS (card);

  /* Largest size that fits the session; then the cheaper conversion
   * (NV12 over YUY2); then the rate nearest the session's. */
  assert_mode (choose (card, n, WANT (1280, 720, 30)), "YUY2", 1280, 720, 30);
  assert_mode (choose (card, n, WANT (1920, 1080, 30)), "NV12", 1920, 1080, 30);
  assert_mode (choose (card, n, WANT (1920, 1080, 60)), "YUY2", 1920, 1080, 60);
  /* The keys pin it down. */
  assert_mode (choose (card, n, WANT (1920, 1080, 30, .format = "YUY2")),
               "YUY2", 1920, 1080, 30);
  assert_mode (choose (card, n, WANT (1280, 720, 30, .mode_fps = 60)), "NV12",
               1280, 720, 60);
  assert_mode (choose (card, n, WANT (1280, 720, 30, .mode_width = 1920)),
               "NV12", 1920, 1080, 30);
  /* 4K at 5 fps is the largest picture but too slow to coach with. */
  assert_mode (choose (card, n, WANT (1920, 1080, 30, .mode_height = 2160)),
               "YUY2", 3840, 2160, 5);
  g_assert_null (choose (card, n, WANT (1280, 720, 30, .format = "RGB")));
  g_assert_null (choose (card, n, WANT (1280, 720, 30, .mode_width = 800)));
  /* Only MJPG: nothing sonolink takes. */
  g_assert_null (choose (card, 1, WANT (1280, 720, 30)));
}

static void
test_choose_orders (void)
{
  /* Rate before size: 25 fps is enough, 5 is not. */
  static const SlV4l2Mode slow_big[]
      = { MODE ("YUY2", 1920, 1080, 5), MODE ("YUY2", 1280, 720, 25) };
  /* Nothing fits a small session: the least downscale. */
  static const SlV4l2Mode big[]
      = { MODE ("YUY2", 3840, 2160, 30), MODE ("YUY2", 1920, 1080, 30) };
  /* Grey last: it drops a Doppler display's colour. */
  static const SlV4l2Mode grey[]
      = { MODE ("GRAY8", 1280, 720, 30), MODE ("BGRx", 1280, 720, 30) };
  /* 29.97 answers fps=30; the rate nearest the session's. */
  static const SlV4l2Mode ntsc[]
      = { MODE ("UYVY", 1280, 720, 59.94), MODE ("UYVY", 1280, 720, 29.97) };

  assert_mode (choose (slow_big, 2, WANT (1920, 1080, 30)), "YUY2", 1280, 720,
               25);
  /* A session at 5 fps takes the big picture. */
  assert_mode (choose (slow_big, 2, WANT (1920, 1080, 5)), "YUY2", 1920, 1080,
               5);
  assert_mode (choose (big, 2, WANT (1280, 720, 30)), "YUY2", 1920, 1080, 30);
  assert_mode (choose (grey, 2, WANT (1280, 720, 30)), "BGRx", 1280, 720, 30);
  assert_mode (choose (ntsc, 2, WANT (1280, 720, 30)), "UYVY", 1280, 720,
               29.97);
  assert_mode (choose (ntsc, 2, WANT (1280, 720, 30, .mode_fps = 60)), "UYVY",
               1280, 720, 59.94);
  g_assert_cmpint (sl_v4l2_format_rank ("I420"), ==, 0);
  g_assert_cmpint (sl_v4l2_format_rank ("MJPG"), ==, -1);
  g_assert_cmpstr (sl_v4l2_format_canonical ("bgrx"), ==, "BGRx");
}

static void
test_modes_from_caps (void)
{
  g_autoptr (GstCaps) caps = gst_caps_from_string (
      "video/x-raw,format={YUY2,NV12},width=1920,height=1080,"
      "framerate={60/1,30000/1001}; "
      "image/jpeg,width=1920,height=1080,framerate=60/1; "
      "video/x-raw,format=UYVY,width=[160,3840],height=[120,2160],"
      "framerate=[1/1,60/1]");
  SlV4l2Mode modes[32];
  guint n = sl_v4l2_modes_from_caps (caps, 1280, 720, 30, modes, 32);
  SlV4l2Want want = WANT (1280, 720, 30);

  /* 2 formats × 2 rates, then the ranges: the session's size and the
   * largest, each at the session's rate and the highest. */
  g_assert_cmpuint (n, ==, 8);
  assert_mode (&modes[0], "YUY2", 1920, 1080, 60);
  assert_mode (&modes[3], "NV12", 1920, 1080, 30000.0 / 1001);
  g_assert_cmpint (modes[3].fps_n, ==, 30000);
  g_assert_cmpint (modes[3].fps_d, ==, 1001);
  assert_mode (&modes[4], "UYVY", 1280, 720, 30);
  assert_mode (&modes[7], "UYVY", 3840, 2160, 60);
  assert_mode (&modes[sl_v4l2_mode_choose (modes, n, &want)], "UYVY", 1280, 720,
               30);
  /* A short array is not overrun. */
  g_assert_cmpuint (sl_v4l2_modes_from_caps (caps, 1280, 720, 30, modes, 3), ==,
                    3);
}

/* The chosen mode as a description GStreamer parses into v4l2src and the
 * exact caps; 29.97 fps as the card said it, 30000/1001 (asked as
 * 2997/100, the card would refuse it). */
static void
test_description (void)
{
  SlV4l2Mode mode = { "YUY2", 1920, 1080, 30000.0 / 1001, 30000, 1001 };
  g_autofree gchar *desc
      = sl_v4l2_description ("/dev/v4l/by-id/usb-card_0-video-index0", &mode);
  g_autoptr (GError) error = NULL;
  GstElement *bin = gst_parse_bin_from_description (desc, FALSE, &error);
  g_autoptr (GstElement) src = NULL, filter = NULL;
  g_autoptr (GstCaps) caps
      = NULL,
      want = gst_caps_from_string (
          "video/x-raw,format=YUY2,width=1920,height=1080,framerate=30000/"
          "1001");
  g_autofree gchar *device = NULL;
  GstIterator *it;
  GValue item = G_VALUE_INIT;

  g_assert_no_error (error);
  g_assert_nonnull (bin);
  gst_object_ref_sink (bin);
  it = gst_bin_iterate_sorted (GST_BIN (bin));
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      GstElement *e = g_value_get_object (&item);
      const gchar *factory = GST_OBJECT_NAME (gst_element_get_factory (e));

      if (g_strcmp0 (factory, "v4l2src") == 0)
        src = gst_object_ref (e);
      else if (g_strcmp0 (factory, "capsfilter") == 0)
        filter = gst_object_ref (e);
      g_value_reset (&item);
    }
  g_value_unset (&item);
  gst_iterator_free (it);
  g_assert_nonnull (src);
  g_assert_nonnull (filter);
  g_object_get (src, "device", &device, NULL);
  g_assert_cmpstr (device, ==, "/dev/v4l/by-id/usb-card_0-video-index0");
  g_object_get (filter, "caps", &caps, NULL);
  g_assert_true (gst_caps_is_equal (caps, want));
  gst_object_unref (bin);
}

static void
assert_spec_error (const gchar *spec, const gchar *needle)
{
  SlProbeConfig config = { 320, 240, 30, 0, NULL };
  g_autoptr (GError) error = NULL;

  g_assert_null (sl_probe_make_source (spec, &config, NULL, &error));
  g_assert_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SPEC);
  if (strstr (error->message, needle) == NULL)
    g_error ("%s gave \"%s\", not \"%s\"", spec, error->message, needle);
}

/* What a user meets at start: exit 2 material (SL_PROBE_ERROR_SPEC). */
static void
test_make_source_errors (void)
{
  assert_spec_error ("v4l2:/dev/sl-no-such-card9",
                     "does not exist: is the capture card plugged in?");
  assert_spec_error ("v4l2:/dev/null",
                     "cannot be opened as a video capture device");
  assert_spec_error ("v4l2:/dev/video0?colour=red", "unknown key \"colour\"");
  assert_spec_error ("v4l2:", "not a device path");
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/probe/v4l2/uri-ok", test_uri_ok);
  g_test_add_func ("/probe/v4l2/uri-errors", test_uri_errors);
  g_test_add_func ("/probe/v4l2/choose", test_choose);
  g_test_add_func ("/probe/v4l2/choose-orders", test_choose_orders);
  g_test_add_func ("/probe/v4l2/modes-from-caps", test_modes_from_caps);
  g_test_add_func ("/probe/v4l2/description", test_description);
  g_test_add_func ("/probe/v4l2/make-source-errors", test_make_source_errors);
  return g_test_run ();
}
