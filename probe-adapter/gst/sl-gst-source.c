/* sl-gst-source.c — builds the "gst:DESC" backend's bin.
 *
 * The user's description and our converters are parsed as one
 * description, "DESC ! videoconvert ! videoscale ! capsfilter", so that
 * gst_parse's delayed linking copes with sources whose pads appear later
 * (decodebin, uridecodebin).  The capsfilter's pad becomes the bin's ghost
 * "src" pad.  gst_parse's own ghosting of unlinked pads is not used: it
 * would also ghost videoconvert's sink pad, still unlinked while decodebin
 * has no pads yet, and so steal it from the delayed link.
 */
#include "sl-gst-source.h"
#include "../sl-probe-private.h"

GST_DEBUG_CATEGORY_STATIC (sl_gst_source_debug);
#define GST_CAT_DEFAULT sl_gst_source_debug

static void
ensure_debug_category (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      GST_DEBUG_CATEGORY_INIT (sl_gst_source_debug, "sl-probe-gst", 0,
                               "sonolink gst: probe backend");
      g_once_init_leave (&done, 1);
    }
}

GstElement *
sl_gst_source_new (const gchar *description, guint width, guint height,
                   GError **error)
{
  g_autoptr (GstCaps) caps = sl_probe_make_caps (width, height, 0);
  g_autofree gchar *caps_str = gst_caps_to_string (caps);
  g_autofree gchar *full = NULL;
  g_autoptr (GError) parse_error = NULL;
  GstElement *bin, *out;
  gboolean ok;

  ensure_debug_category ();
  full = g_strdup_printf ("%s ! videoconvert ! videoscale add-borders=true "
                          "! capsfilter name=sl-probe-out caps=\"%s\"",
                          description, caps_str);
  GST_DEBUG ("parsing %s", full);
  bin = gst_parse_bin_from_description (full, FALSE, &parse_error);
  /* gst_parse may return a bin together with a "recoverable" error (an
   * unknown property, say); a probe spec with a mistake is still wrong. */
  if (bin == NULL || parse_error != NULL)
    {
      g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SOURCE, "gst:%s: %s",
                   description,
                   parse_error ? parse_error->message
                               : "cannot build this pipeline");
      if (bin != NULL)
        gst_object_unref (gst_object_ref_sink (bin));
      return NULL;
    }
  out = gst_bin_get_by_name (GST_BIN (bin), "sl-probe-out");
  ok = out != NULL && sl_probe_ghost_src (GST_BIN (bin), out);
  gst_clear_object (&out);
  if (!ok)
    {
      g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SOURCE,
                   "gst:%s: the description has no video output", description);
      gst_object_unref (gst_object_ref_sink (bin));
      return NULL;
    }
  return bin;
}
