/* sl-profile-snapshot.c — the township's --profile-snapshot: one frame of
 * the probe, as the adapter delivers it before any machine profile, with a
 * pixel grid and rulers drawn over it, so that a person making a profile
 * for a new machine can read off the image region and the banner's
 * rectangles (docs/probe-adapters.md, "Making a profile").
 *
 * With --machine the frame is taken at the profile's frame size and the
 * profile's image region (green) and masks (red) are outlined over it, to
 * check a profile by eye.  The grid: a thin line every 10 pixels, a
 * stronger one every 50, and every 100 a labelled one, each drawn dark
 * under light so it shows on black and on white.  Runs on the control
 * thread before anything joins a hub; the PNG is mode 0600 (it may show
 * a patient's name).
 */
#include "sl-station-private.h"
#include "sl-machine.h"
#include "sl-probe.h"
#include "sl-snapshot.h"

#include <cairo.h>
#include <gst/video/video.h>

/* Frames let through before the one kept, so that a source that starts
 * with a blank or half-decoded picture has settled; and how long to wait
 * for them. */
#define SETTLE_FRAMES 5
#define WAIT_S 15

static void
line (cairo_t *cr, gdouble x0, gdouble y0, gdouble x1, gdouble y1, gdouble grey,
      gdouble alpha, gdouble width)
{
  cairo_set_source_rgba (cr, grey, grey, grey, alpha);
  cairo_set_line_width (cr, width);
  cairo_move_to (cr, x0, y0);
  cairo_line_to (cr, x1, y1);
  cairo_stroke (cr);
}

static void
label (cairo_t *cr, gdouble x, gdouble y, guint value)
{
  gchar text[16];

  g_snprintf (text, sizeof text, "%u", value);
  cairo_move_to (cr, x, y);
  cairo_text_path (cr, text);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_set_line_width (cr, 3);
  cairo_stroke_preserve (cr);
  cairo_set_source_rgb (cr, 1, 1, 0.3);
  cairo_fill (cr);
}

/* One grid line at @pos (x when @vertical) across the @w × @h frame. */
static void
grid_line (cairo_t *cr, guint pos, gboolean vertical, guint w, guint h)
{
  gdouble p = pos + 0.5, alpha = pos % 100 == 0  ? 0.9
                                 : pos % 50 == 0 ? 0.6
                                                 : 0.25;

  if (vertical)
    {
      line (cr, p + 1, 0, p + 1, h, 0, alpha, 1);
      line (cr, p, 0, p, h, 1, alpha, 1);
      if (pos % 100 == 0 && pos > 0)
        label (cr, p + 3, 14, pos);
    }
  else
    {
      line (cr, 0, p + 1, w, p + 1, 0, alpha, 1);
      line (cr, 0, p, w, p, 1, alpha, 1);
      if (pos % 100 == 0 && pos > 0)
        label (cr, 3, p - 3, pos);
    }
}

static void
outline (cairo_t *cr, const SlMachineRect *r, gdouble red, gdouble green)
{
  cairo_set_source_rgb (cr, red, green, 0);
  cairo_set_line_width (cr, 2);
  cairo_rectangle (cr, r->x + 1, r->y + 1, r->width - 2.0, r->height - 2.0);
  cairo_stroke (cr);
}

static void
draw_grid (guint8 *data, gint stride, guint w, guint h,
           const SlMachineProfile *profile)
{
  cairo_surface_t *surface = cairo_image_surface_create_for_data (
      data, CAIRO_FORMAT_RGB24, (gint)w, (gint)h, stride);
  cairo_t *cr = cairo_create (surface);

  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                          CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size (cr, 12);
  for (guint x = 10; x < w; x += 10)
    grid_line (cr, x, TRUE, w, h);
  for (guint y = 10; y < h; y += 10)
    grid_line (cr, y, FALSE, w, h);
  if (profile != NULL)
    {
      outline (cr, &profile->image, 0, 1);
      for (guint i = 0; i < profile->n_masks; i++)
        outline (cr, &profile->masks[i], 1, 0);
    }
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  cairo_surface_destroy (surface);
}

/* Runs @source (transfer floating) in the station's own capture until it
 * has given SETTLE_FRAMES + 1 frames, and returns (transfer full) the
 * last as BGRx; NULL with @error.  The capture's bus watch needs the main
 * context, which nothing else runs yet: it is iterated here. */
static GstSample *
grab_frame (GstElement *source, GError **error)
{
  g_autoptr (SlCapture) capture = sl_capture_new (source, NULL, error);
  g_autoptr (GstCaps) caps = gst_caps_from_string ("video/x-raw,format=BGRx");
  g_autoptr (GstSample) frame = NULL;
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  GError *failed = NULL;

  if (capture == NULL)
    return NULL;
  sl_capture_keep_frames (capture, 1);
  if (!sl_capture_start (capture, error))
    return NULL;
  while (sl_capture_get_frames (capture) <= SETTLE_FRAMES
         && (failed = sl_capture_get_error (capture)) == NULL
         && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (10 * 1000);
  if (failed != NULL)
    {
      g_propagate_error (error, failed);
      return NULL;
    }
  frame = sl_capture_get_frame (capture, -1, NULL);
  if (frame == NULL || sl_capture_get_frames (capture) <= SETTLE_FRAMES)
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "no picture from the probe within %d s", WAIT_S);
      return NULL;
    }
  return gst_video_convert_sample (frame, caps, WAIT_S * GST_SECOND, error);
}

static gboolean
write_snapshot (GstSample *sample, const SlMachineProfile *profile,
                const gchar *path, GError **error)
{
  g_autoptr (GstBuffer) buffer
      = gst_buffer_copy_deep (gst_sample_get_buffer (sample));
  g_autoptr (GstSample) out = NULL;
  GstVideoInfo info;
  GstVideoFrame frame;

  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample))
      || !gst_video_frame_map (&frame, &info, buffer, GST_MAP_WRITE))
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "cannot read the probe's picture");
      return FALSE;
    }
  draw_grid (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
             GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), info.width, info.height,
             profile);
  gst_video_frame_unmap (&frame);
  out = gst_sample_new (buffer, gst_sample_get_caps (sample), NULL, NULL);
  return sl_snapshot_write_png (out, path, error);
}

SlExitStatus
sl_profile_snapshot_run (SlStationOptions *opt)
{
  g_autoptr (SlMachineProfile) profile = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GstSample) sample = NULL;
  SlProbeConfig config
      = { opt->width, opt->height, opt->fps, (guint32)opt->seed, NULL };
  SlProbeInfo info = { 0 };
  GstElement *source;

  if (!sl_station_options_check (opt, &error)
      || (opt->machine_path != NULL
          && (profile = sl_station_load_machine (opt, &error)) == NULL))
    {
      g_printerr ("township: %s\n", error->message);
      return SL_EXIT_USAGE;
    }
  if (profile != NULL)
    {
      config.width = profile->frame_width;
      config.height = profile->frame_height;
    }
  source = sl_probe_make_source (opt->probe, &config, &info, &error);
  if (source == NULL)
    {
      g_printerr ("township: --probe: %s\n", error->message);
      return g_error_matches (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SPEC)
                 ? SL_EXIT_USAGE
                 : SL_EXIT_MEDIA;
    }
  sample = grab_frame (source, &error);
  if (sample == NULL)
    {
      g_printerr ("township: --profile-snapshot: %s\n", error->message);
      return SL_EXIT_MEDIA;
    }
  if (!write_snapshot (sample, profile, opt->profile_snapshot, &error))
    {
      g_printerr ("township: --profile-snapshot %s: %s\n",
                  opt->profile_snapshot, error->message);
      return SL_EXIT_FAILURE;
    }
  g_print ("%s: one %ux%u frame of the probe with a pixel grid (lines every "
           "10 px, labels every 100 px)\n",
           opt->profile_snapshot, info.width, info.height);
  return SL_EXIT_OK;
}
