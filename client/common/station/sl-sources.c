/* sl-sources.c — see sl-sources.h.
 *
 * Device presence is asked of GstDeviceMonitor rather than guessed from
 * environment variables, except for the display, where DISPLAY or
 * WAYLAND_DISPLAY is what decides whether a window can open at all.
 */
#include "sl-sources.h"
#include "sl-media.h"

#include <stdlib.h>

static gboolean
have_device (const gchar *klass)
{
  g_autoptr (GstDeviceMonitor) monitor = gst_device_monitor_new ();
  GList *devices;
  gboolean found = FALSE;

  gst_device_monitor_add_filter (monitor, klass, NULL);
  devices = gst_device_monitor_get_devices (monitor);
  for (GList *l = devices; l != NULL && !found; l = l->next)
    {
      g_autoptr (GstStructure) props = gst_device_get_properties (l->data);
      const gchar *cls
          = props ? gst_structure_get_string (props, "device.class") : NULL;
      /* PulseAudio lists each speaker's "monitor" as a source too. */
      found = g_strcmp0 (cls, "monitor") != 0;
    }
  g_list_free_full (devices, gst_object_unref);
  return found;
}

static GstElement *
parse_gst (const gchar *desc, const gchar *what, GError **error)
{
  g_autoptr (GError) parse_error = NULL;
  GstElement *bin;

  if (desc[0] == '\0')
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_ARGUMENT,
                   "empty GStreamer description for %s", what);
      return NULL;
    }
  bin = gst_parse_bin_from_description (desc, TRUE, &parse_error);
  if (bin == NULL)
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_ARGUMENT,
                   "bad GStreamer description for %s: %s", what,
                   parse_error->message);
      return NULL;
    }
  return bin;
}

static GstElement *
make_tone (guint hz, gchar **description, GError **error)
{
  GstElement *src = sl_media_make_element ("audiotestsrc", "tone", error);

  if (src == NULL)
    return NULL;
  /* A quiet sine: loud enough to measure after Opus, not unpleasant if
   * someone listens. */
  g_object_set (src, "is-live", TRUE, "freq", (gdouble)hz, "volume", 0.2,
                "samplesperbuffer", 480, NULL);
  *description = g_strdup_printf ("test tone %u Hz", hz);
  return src;
}

GstElement *
sl_sources_make_audio_in (const gchar *spec, guint test_hz, gchar **description,
                          GError **error)
{
  if (spec == NULL || g_str_equal (spec, "auto"))
    {
      if (have_device ("Audio/Source"))
        {
          *description = g_strdup ("microphone");
          return sl_media_make_element ("autoaudiosrc", NULL, error);
        }
      return make_tone (test_hz, description, error);
    }
  if (g_str_equal (spec, "none"))
    return NULL;
  if (g_str_equal (spec, "test"))
    return make_tone (test_hz, description, error);
  if (g_str_has_prefix (spec, "test:"))
    {
      gchar *end = NULL;
      guint64 hz = g_ascii_strtoull (spec + 5, &end, 10);

      if (end == spec + 5 || *end != '\0' || hz < 20 || hz > 20000)
        {
          g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_ARGUMENT,
                       "--audio-in %s: the test tone must be 20..20000 Hz",
                       spec);
          return NULL;
        }
      return make_tone ((guint)hz, description, error);
    }
  if (g_str_has_prefix (spec, "gst:"))
    {
      *description = g_strdup (spec);
      return parse_gst (spec + 4, "--audio-in", error);
    }
  g_set_error (
      error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_ARGUMENT,
      "--audio-in '%s' is not one of auto, none, test, test:HZ, gst:DESC",
      spec);
  return NULL;
}

static GstElement *
make_silent_sink (gchar **description, GError **error)
{
  GstElement *sink = sl_media_make_element ("fakesink", NULL, error);

  if (sink != NULL)
    g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  *description = g_strdup ("none (no device)");
  return sink;
}

/* The sink specs of @option other than "auto": "none" and "gst:DESC". */
static GstElement *
make_sink (const gchar *spec, const gchar *option, gchar **description,
           GError **error)
{
  if (g_str_equal (spec, "none"))
    return make_silent_sink (description, error);
  if (g_str_has_prefix (spec, "gst:"))
    {
      *description = g_strdup (spec);
      return parse_gst (spec + 4, option, error);
    }
  g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_ARGUMENT,
               "%s '%s' is not one of auto, none, gst:DESC", option, spec);
  return NULL;
}

GstElement *
sl_sources_make_audio_out (const gchar *spec, gchar **description,
                           GError **error)
{
  if (spec == NULL || g_str_equal (spec, "auto"))
    {
      if (have_device ("Audio/Sink"))
        {
          *description = g_strdup ("speaker");
          return sl_media_make_element ("autoaudiosink", NULL, error);
        }
      return make_silent_sink (description, error);
    }
  return make_sink (spec, "--audio-out", description, error);
}

gboolean
sl_sources_is_stand_in (GstElement *element)
{
  GstElementFactory *factory
      = element ? gst_element_get_factory (element) : NULL;
  const gchar *name
      = factory ? gst_plugin_feature_get_name (GST_PLUGIN_FEATURE (factory))
                : NULL;

  return element == NULL || g_strcmp0 (name, "fakesink") == 0
         || g_strcmp0 (name, "audiotestsrc") == 0;
}

GstElement *
sl_sources_make_video_sink (const gchar *spec, gchar **description,
                            GError **error)
{
  if (spec == NULL || g_str_equal (spec, "auto"))
    {
      if (g_getenv ("DISPLAY") != NULL || g_getenv ("WAYLAND_DISPLAY") != NULL)
        {
          GstElement *sink
              = sl_media_make_element ("autovideosink", NULL, error);
          /* Show each frame the moment it is decoded (no clock wait). */
          if (sink != NULL)
            g_object_set (sink, "sync", FALSE, NULL);
          *description = g_strdup ("window");
          return sink;
        }
      return make_silent_sink (description, error);
    }
  return make_sink (spec, "--sink", description, error);
}
