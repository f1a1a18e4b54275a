/* test-status-view.c — what a station's window says about itself
 * (sl-status-view.h): the state chosen from the station's facts, the
 * strip's words, and that the strip draws in its band only. */
#include "sl-status-view.h"

#include <string.h>

static SlStatusInfo
live_viewer (void)
{
  SlStatusInfo info = { 0 };

  info.hub_joined = TRUE;
  info.peer_present = TRUE;
  info.link = SL_STATUS_LINK_GOOD;
  info.fps = 30;
  info.kbps = 2000;
  info.rtt_ms = 12;
  info.latency_ms = 45;
  info.picture_age_ms = 20;
  info.strip = TRUE;
  return info;
}

static void
check_screen (const SlStatusInfo *info, SlStatusScreen want, const gchar *words)
{
  g_autofree gchar *text = NULL;

  g_assert_cmpint (sl_status_view_screen (info, &text), ==, want);
  g_assert_cmpstr (text, ==, words);
}

static void
test_screens (void)
{
  SlStatusInfo info = live_viewer ();

  check_screen (&info, SL_STATUS_SCREEN_LIVE, NULL);
  info.picture_age_ms = SL_STATUS_FROZEN_MS + 2500;
  check_screen (&info, SL_STATUS_SCREEN_FROZEN, "Picture frozen 3 s");
  info.link = SL_STATUS_LINK_LOST;
  check_screen (&info, SL_STATUS_SCREEN_LINK_LOST, "Link lost, recovering");
  info = live_viewer ();
  info.picture_age_ms = -1;
  check_screen (&info, SL_STATUS_SCREEN_WAITING_PICTURE,
                "Waiting for the township's picture");
  info.peer_present = FALSE;
  check_screen (&info, SL_STATUS_SCREEN_WAITING_PEER,
                "Waiting for the township");
  info.peer_was_here = TRUE;
  check_screen (&info, SL_STATUS_SCREEN_WAITING_PEER,
                "The township left; waiting for the township");
  info.hub_joined = FALSE;
  check_screen (&info, SL_STATUS_SCREEN_CONNECTING, "Connecting to the hub");
  info.hub_failures = 4;
  check_screen (&info, SL_STATUS_SCREEN_HUB_UNREACHABLE,
                "Hub unreachable, retrying (4)");
  /* A session that carries media outlives the hub connection: the link
   * speaks, not the hub. */
  info = live_viewer ();
  info.hub_joined = FALSE;
  info.hub_failures = 2;
  check_screen (&info, SL_STATUS_SCREEN_LIVE, NULL);
}

static void
test_township_screens (void)
{
  SlStatusInfo info = live_viewer ();

  info.township = TRUE;
  /* Its picture is its own: never "frozen" for lack of the peer's. */
  info.picture_age_ms = -1;
  check_screen (&info, SL_STATUS_SCREEN_LIVE, NULL);
  info.peer_present = FALSE;
  info.peer_was_here = TRUE;
  check_screen (&info, SL_STATUS_SCREEN_WAITING_PEER, "Waiting for an expert");
}

static void
test_strip_text (void)
{
  SlStatusInfo info = live_viewer ();
  g_autofree gchar *live = NULL, *none = NULL, *expert = NULL;

  live = sl_status_view_strip_text (&info);
  g_assert_cmpstr (live, ==,
                   "LINK GOOD   30 fps   2000 kb/s   rtt 12 ms   latency ~45 "
                   "ms   hub connected   i: hide  ?: keys");
  info = (SlStatusInfo){ 0 };
  info.fps = info.kbps = info.rtt_ms = info.latency_ms = -1;
  none = sl_status_view_strip_text (&info);
  g_assert_cmpstr (none, ==,
                   "NO LINK   - fps   - kb/s   rtt - ms   latency - ms   hub "
                   "connecting   i: hide  ?: keys");
  info = live_viewer ();
  info.expert = TRUE;
  info.latency_measured = TRUE;
  g_strlcpy (info.tool, "arrow", sizeof info.tool);
  g_strlcpy (info.cue, "rock", sizeof info.cue);
  expert = sl_status_view_strip_text (&info);
  g_assert_nonnull (strstr (expert, "latency 45 ms"));
  info.township = TRUE;
  info.expert = FALSE;
  g_free (expert);
  expert = sl_status_view_strip_text (&info);
  g_assert_cmpstr (expert, ==,
                   "LINK GOOD   30 fps   2000 kb/s   rtt 12 ms   hub "
                   "connected   i: hide  ?: keys");
  g_free (expert);
  info.township = FALSE;
  info.expert = TRUE;
  expert = sl_status_view_strip_text (&info);
  g_assert_nonnull (strstr (expert, "tool arrow   cue rock"));
  g_assert_null (strstr (expert, "REC"));
  g_free (expert);
  info.recording = TRUE;
  expert = sl_status_view_strip_text (&info);
  g_assert_nonnull (strstr (expert, "hub connected   REC here   tool"));
  g_free (expert);
  info.others_recording = 2;
  expert = sl_status_view_strip_text (&info);
  g_assert_nonnull (strstr (expert, "REC here, REC by others"));
  g_free (expert);
  info.recording = FALSE;
  info.others_recording = 1;
  expert = sl_status_view_strip_text (&info);
  g_assert_nonnull (strstr (expert, "hub connected   REC by 1 other   tool"));
}

/* On a live picture the strip draws in its band at the bottom and
 * nowhere else; hidden, nothing is drawn. */
static void
test_strip_band (void)
{
  const guint w = 640, h = 360, band = sl_status_view_strip_height (h);
  SlStatusInfo info = live_viewer ();

  for (gint shown = 1; shown >= 0; shown--)
    {
      cairo_surface_t *s
          = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
      cairo_t *cr = cairo_create (s);
      guint inside = 0, outside = 0;
      const guint8 *data;
      gint stride;

      info.strip = shown;
      sl_status_view_draw (cr, w, h, &info);
      cairo_destroy (cr);
      cairo_surface_flush (s);
      data = cairo_image_surface_get_data (s);
      stride = cairo_image_surface_get_stride (s);
      for (guint y = 0; y < h; y++)
        for (guint x = 0; x < w; x++)
          {
            guint32 px = *(const guint32 *)(data + y * stride + x * 4);

            if (px == 0)
              continue;
            if (y >= h - band)
              inside++;
            else
              outside++;
          }
      cairo_surface_destroy (s);
      g_assert_cmpuint (outside, ==, 0);
      if (shown)
        g_assert_cmpuint (inside, ==, w * band);
      else
        g_assert_cmpuint (inside, ==, 0);
    }
}

/* The key help (`?`) draws over the picture's middle. */
static void
test_help (void)
{
  const guint w = 640, h = 360;
  SlStatusInfo info = live_viewer ();
  guint drawn[2] = { 0, 0 };

  info.strip = FALSE;
  info.expert = TRUE;
  for (gint help = 0; help <= 1; help++)
    {
      cairo_surface_t *s
          = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
      cairo_t *cr = cairo_create (s);
      const guint8 *data;

      info.help = help;
      sl_status_view_draw (cr, w, h, &info);
      cairo_destroy (cr);
      cairo_surface_flush (s);
      data = cairo_image_surface_get_data (s);
      for (guint y = h / 3; y < 2 * h / 3; y++)
        for (guint x = 0; x < w; x++)
          drawn[help]
              += *(const guint32 *)(data
                                    + y * cairo_image_surface_get_stride (s)
                                    + x * 4)
                 != 0;
      cairo_surface_destroy (s);
    }
  g_assert_cmpuint (drawn[0], ==, 0);
  g_assert_cmpuint (drawn[1], >, w * h / 6);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/status-view/screens", test_screens);
  g_test_add_func ("/status-view/township-screens", test_township_screens);
  g_test_add_func ("/status-view/strip-text", test_strip_text);
  g_test_add_func ("/status-view/strip-band", test_strip_band);
  g_test_add_func ("/status-view/help", test_help);
  return g_test_run ();
}
