/* sl-v4l2-source.c — the capture-card backend.  See sl-v4l2-source.h.
 *
 * The device is opened twice: once here, briefly, in READY, where v4l2src
 * answers a caps query with every mode the driver enumerates; then by
 * the pipeline.  The choice itself is sl-v4l2-mode.c's; this file turns
 * caps into its list of modes and the chosen mode into a description.
 */
#include "sl-v4l2-source.h"
#include "../gst/sl-gst-source.h"
#include "../sl-probe-private.h"

#include <gst/video/video.h>

/* Enough for a card's every format × size × rate. */
#define MAX_MODES 512

/* Calls @each for @value, or for each item when it is a list. */
static void
for_each (const GValue *value, void (*each) (const GValue *, gpointer),
          gpointer data)
{
  if (value == NULL)
    return;
  if (GST_VALUE_HOLDS_LIST (value))
    for (guint i = 0; i < gst_value_list_get_size (value); i++)
      each (gst_value_list_get_value (value, i), data);
  else
    each (value, data);
}

typedef struct
{
  guint want; /* the session's value, for ranges */
  guint out[2];
  guint n;
} Sides;

static void
add_side (const GValue *v, gpointer data)
{
  Sides *s = data;

  if (s->n >= G_N_ELEMENTS (s->out))
    return;
  if (G_VALUE_HOLDS_INT (v) && g_value_get_int (v) > 0)
    s->out[s->n++] = (guint)g_value_get_int (v);
  else if (GST_VALUE_HOLDS_INT_RANGE (v))
    {
      gint lo = gst_value_get_int_range_min (v);
      gint hi = gst_value_get_int_range_max (v);
      gint mid = CLAMP ((gint)s->want, lo, hi) & ~1;

      if (hi <= 0)
        return;
      if (mid >= lo && mid > 0 && mid != hi)
        s->out[s->n++] = (guint)mid;
      if (s->n < G_N_ELEMENTS (s->out))
        s->out[s->n++] = (guint)hi;
    }
}

typedef struct
{
  guint want;
  gint num[16], den[16];
  guint n;
} Rates;

static void
add_fraction (Rates *r, gint num, gint den)
{
  if (r->n < G_N_ELEMENTS (r->num) && num > 0 && den > 0)
    {
      r->num[r->n] = num;
      r->den[r->n++] = den;
    }
}

static void
add_rate (const GValue *v, gpointer data)
{
  Rates *r = data;
  const GValue *min, *max;
  gdouble lo, hi;

  if (GST_VALUE_HOLDS_FRACTION (v))
    add_fraction (r, gst_value_get_fraction_numerator (v),
                  gst_value_get_fraction_denominator (v));
  else if (GST_VALUE_HOLDS_FRACTION_RANGE (v))
    {
      min = gst_value_get_fraction_range_min (v);
      max = gst_value_get_fraction_range_max (v);
      gst_util_fraction_to_double (gst_value_get_fraction_numerator (min),
                                   gst_value_get_fraction_denominator (min),
                                   &lo);
      gst_util_fraction_to_double (gst_value_get_fraction_numerator (max),
                                   gst_value_get_fraction_denominator (max),
                                   &hi);
      if (r->want >= lo && r->want < hi)
        add_fraction (r, (gint)r->want, 1);
      add_fraction (r, gst_value_get_fraction_numerator (max),
                    gst_value_get_fraction_denominator (max));
    }
}

typedef struct
{
  const gchar *out[32];
  guint n;
} Formats;

static void
add_format (const GValue *v, gpointer data)
{
  Formats *f = data;

  if (f->n < G_N_ELEMENTS (f->out) && G_VALUE_HOLDS_STRING (v))
    f->out[f->n++] = g_value_get_string (v);
}

guint
sl_v4l2_modes_from_caps (GstCaps *caps, guint width, guint height, guint fps,
                         SlV4l2Mode *modes, guint max)
{
  guint n = 0;

  for (guint i = 0; caps != NULL && i < gst_caps_get_size (caps); i++)
    {
      GstStructure *s = gst_caps_get_structure (caps, i);
      Formats f = { 0 };
      Sides w = { .want = width }, h = { .want = height };
      Rates r = { .want = fps };

      if (!gst_structure_has_name (s, "video/x-raw"))
        continue;
      for_each (gst_structure_get_value (s, "format"), add_format, &f);
      for_each (gst_structure_get_value (s, "width"), add_side, &w);
      for_each (gst_structure_get_value (s, "height"), add_side, &h);
      for_each (gst_structure_get_value (s, "framerate"), add_rate, &r);
      /* A range of sizes pairs its width and height in order: clamped
       * with clamped, largest with largest. */
      for (guint a = 0; a < f.n; a++)
        for (guint b = 0; b < MAX (w.n, h.n); b++)
          for (guint c = 0; c < r.n && n < max; c++)
            if (w.n > 0 && h.n > 0)
              modes[n++] = (SlV4l2Mode){ f.out[a],
                                         w.out[MIN (b, w.n - 1)],
                                         h.out[MIN (b, h.n - 1)],
                                         (gdouble)r.num[c] / r.den[c],
                                         r.num[c],
                                         r.den[c] };
    }
  return n;
}

/* The device's caps, opened in READY; NULL with @error when it cannot be
 * opened as a capture device. */
static GstCaps *
device_caps (const gchar *device, GError **error)
{
  GstElement *src = gst_element_factory_make ("v4l2src", NULL);
  g_autoptr (GstBus) bus = NULL;
  GstCaps *caps = NULL;
  GstPad *pad;

  if (src == NULL)
    {
      g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SOURCE,
                   "v4l2:%s: GStreamer element \"v4l2src\" is missing "
                   "(Debian package gstreamer1.0-plugins-good)",
                   device);
      return NULL;
    }
  gst_object_ref_sink (src);
  bus = gst_bus_new ();
  gst_element_set_bus (src, bus);
  g_object_set (src, "device", device, NULL);
  if (gst_element_set_state (src, GST_STATE_READY) == GST_STATE_CHANGE_FAILURE)
    {
      g_autoptr (GstMessage) msg
          = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
      g_autoptr (GError) why = NULL;

      if (msg != NULL)
        gst_message_parse_error (msg, &why, NULL);
      g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SPEC,
                   "v4l2:%s cannot be opened as a video capture device: %s",
                   device, why ? why->message : "unknown reason");
    }
  else if ((pad = gst_element_get_static_pad (src, "src")) != NULL)
    {
      caps = gst_pad_query_caps (pad, NULL);
      gst_object_unref (pad);
    }
  gst_element_set_state (src, GST_STATE_NULL);
  gst_element_set_bus (src, NULL);
  gst_object_unref (src);
  return caps;
}

/* What the card offers, for an error message ("YUY2 1920x1080 60,
 * MJPG..."), at most about 40 modes. */
static gchar *
offered (const SlV4l2Mode *modes, guint n)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < n && i < 40; i++)
    g_string_append_printf (text, "%s%s %ux%u at %.4g fps", i ? ", " : "",
                            modes[i].format, modes[i].width, modes[i].height,
                            modes[i].fps);
  if (n > 40)
    g_string_append (text, "...");
  if (n == 0)
    g_string_append (text, "no raw video mode");
  return g_string_free (text, FALSE);
}

gchar *
sl_v4l2_description (const gchar *device, const SlV4l2Mode *mode)
{
  gint num = mode->fps_n, den = mode->fps_d;

  if (num <= 0 || den <= 0)
    gst_util_double_to_fraction (mode->fps, &num, &den);
  /* An explicit capsfilter: bare caps at the end of a description are
   * not parsed as one. */
  return g_strdup_printf ("v4l2src device=\"%s\" ! capsfilter "
                          "caps=\"video/x-raw,format=%s,width=%u,height=%u,"
                          "framerate=%d/%d\"",
                          device, mode->format, mode->width, mode->height, num,
                          den);
}

GstElement *
sl_v4l2_source_new (const SlV4l2Uri *uri, guint width, guint height, guint fps,
                    gchar **chosen, guint *fps_out, GError **error)
{
  g_autoptr (GstCaps) caps = NULL;
  g_autofree SlV4l2Mode *modes = NULL;
  g_autofree gchar *desc = NULL;
  SlV4l2Want want
      = { width, height, fps, uri->format, uri->width, uri->height, uri->fps };
  const SlV4l2Mode *m;
  guint n;
  gint best;

  if (!g_file_test (uri->device, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SPEC,
                   "v4l2:%s does not exist: is the capture card plugged "
                   "in? (v4l2-ctl --list-devices lists the cards)",
                   uri->device);
      return NULL;
    }
  if ((caps = device_caps (uri->device, error)) == NULL)
    return NULL;
  modes = g_new0 (SlV4l2Mode, MAX_MODES);
  n = sl_v4l2_modes_from_caps (caps, width, height, fps, modes, MAX_MODES);
  best = sl_v4l2_mode_choose (modes, n, &want);
  if (best < 0)
    {
      g_autofree gchar *list = offered (modes, n);

      g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SPEC,
                   "v4l2:%s offers no mode sonolink can take%s; it offers "
                   "%s",
                   uri->device,
                   uri->format || uri->width || uri->height || uri->fps
                       ? " with the keys given"
                       : "",
                   list);
      return NULL;
    }
  m = &modes[best];
  desc = sl_v4l2_description (uri->device, m);
  if (chosen != NULL)
    *chosen
        = g_strdup_printf ("capturing %s %ux%u at %.4g fps from %s", m->format,
                           m->width, m->height, m->fps, uri->device);
  if (fps_out != NULL)
    *fps_out = (guint)(m->fps + 0.5);
  return sl_gst_source_new (desc, width, height, error);
}
