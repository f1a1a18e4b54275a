/* sl-probe.c — parses probe specs and builds the source bin.
 *
 * The front door of the probe adapters: it checks the configuration
 * (sizes, rate), picks the backend from the spec's prefix and leaves the
 * work to the backend's folder.  Every backend ends in the same caps, so
 * the engine never needs to know where the picture comes from.
 */
#include "sl-probe-private.h"
#include "file/sl-file-source.h"
#include "gst/sl-gst-source.h"
#include "keeper/sl-keeper-src.h"
#include "machine/sl-machine-stage.h"
#include "synthetic/sl-phantom-src.h"
#include "synthetic/sl-phantom.h"
#include "synthetic/sl-stamp.h"
#include "v4l2/sl-v4l2-source.h"

GST_DEBUG_CATEGORY_STATIC (sl_probe_debug);
#define GST_CAT_DEFAULT sl_probe_debug

#define VALID_SPECS                                                            \
  "\"synthetic\", \"file:PATH\", \"v4l2:DEVICE[?KEY=VALUE&...]\" or "          \
  "\"gst:DESCRIPTION\""

/* G_DEFINE_QUARK makes its first argument the domain's name. */
/* clang-format off */
G_DEFINE_QUARK (sl-probe-error-quark, sl_probe_error)
/* clang-format on */

static gpointer
register_once (gpointer data)
{
  GST_DEBUG_CATEGORY_INIT (sl_probe_debug, "sl-probe", 0,
                           "sonolink probe adapters");
  if (!gst_element_register (NULL, "slphantomsrc", GST_RANK_NONE,
                             SL_TYPE_PHANTOM_SRC))
    g_warning ("sl-probe: cannot register slphantomsrc");
  return NULL;
}

void
sl_probe_register_elements (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, register_once, NULL);
}

GstCaps *
sl_probe_make_caps (guint width, guint height, guint fps)
{
  GstCaps *caps = gst_caps_new_simple (
      "video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT,
      (gint)width, "height", G_TYPE_INT, (gint)height, "pixel-aspect-ratio",
      GST_TYPE_FRACTION, 1, 1, NULL);

  if (fps > 0)
    gst_caps_set_simple (caps, "framerate", GST_TYPE_FRACTION, (gint)fps, 1,
                         NULL);
  return caps;
}

gboolean
sl_probe_ghost_src (GstBin *bin, GstElement *element)
{
  GstPad *target = gst_element_get_static_pad (element, "src");
  GstPad *ghost;

  if (target == NULL)
    return FALSE;
  ghost = gst_ghost_pad_new ("src", target);
  gst_object_unref (target);
  if (ghost == NULL)
    return FALSE;
  gst_pad_set_active (ghost, TRUE);
  return gst_element_add_pad (GST_ELEMENT (bin), ghost);
}

static GstElement *
make_synthetic (const SlProbeConfig *config, SlProbeInfo *info, GError **error)
{
  GstElement *bin, *src, *filter;
  g_autoptr (GstCaps) caps = NULL;

  sl_probe_register_elements ();
  src = gst_element_factory_make ("slphantomsrc", NULL);
  filter = gst_element_factory_make ("capsfilter", NULL);
  if (src == NULL || filter == NULL)
    {
      g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SOURCE,
                   "cannot create the synthetic phantom (elements "
                   "slphantomsrc and capsfilter)");
      if (src != NULL)
        gst_object_unref (gst_object_ref_sink (src));
      if (filter != NULL)
        gst_object_unref (gst_object_ref_sink (filter));
      return NULL;
    }
  caps = sl_probe_make_caps (config->width, config->height, config->fps);
  g_object_set (src, "seed", config->seed, NULL);
  g_object_set (filter, "caps", caps, NULL);
  bin = gst_bin_new (NULL);
  gst_bin_add_many (GST_BIN (bin), src, filter, NULL);
  if (!gst_element_link (src, filter)
      || !sl_probe_ghost_src (GST_BIN (bin), filter))
    {
      g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SOURCE,
                   "cannot link the synthetic phantom");
      gst_object_unref (gst_object_ref_sink (bin));
      return NULL;
    }
  info->mm_per_pixel
      = sl_phantom_mm_per_pixel_for_size (config->width, config->height);
  /* The stamp needs a picture at least 320×64; smaller phantoms are
   * unstamped. */
  info->stamped = sl_stamp_fits (config->width, config->height);
  return bin;
}

static gboolean
check_config (const SlProbeConfig *in, SlProbeConfig *out, GError **error)
{
  out->width = in && in->width ? in->width : SL_PROBE_DEFAULT_WIDTH;
  out->height = in && in->height ? in->height : SL_PROBE_DEFAULT_HEIGHT;
  out->fps = in && in->fps ? in->fps : SL_PROBE_DEFAULT_FPS;
  out->seed = in && in->seed ? in->seed : 1;
  out->machine = in ? in->machine : NULL;
  if (out->width < SL_PROBE_MIN_WIDTH || out->width > SL_PROBE_MAX_WIDTH
      || out->height < SL_PROBE_MIN_HEIGHT || out->height > SL_PROBE_MAX_HEIGHT
      || out->width % 2 != 0 || out->height % 2 != 0)
    {
      g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SPEC,
                   "video size %ux%u is not supported: width and height must "
                   "be even, from %ux%u up to %ux%u",
                   out->width, out->height, SL_PROBE_MIN_WIDTH,
                   SL_PROBE_MIN_HEIGHT, SL_PROBE_MAX_WIDTH,
                   SL_PROBE_MAX_HEIGHT);
      return FALSE;
    }
  if (out->fps > SL_PROBE_MAX_FPS)
    {
      g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SPEC,
                   "frame rate %u is not supported: at most %u frames per "
                   "second",
                   out->fps, SL_PROBE_MAX_FPS);
      return FALSE;
    }
  return TRUE;
}

/* With a machine profile the backend delivers the machine's whole screen,
 * at the profile's frame size, to the profile's stage (machine/), which
 * masks, crops and scales it to the configured size. */
static GstElement *
apply_machine (GstElement *bin, const SlProbeConfig *c, SlProbeInfo *out,
               GError **error)
{
  const SlMachineProfile *m = c->machine;

  bin = sl_machine_stage_new (bin, m, c->width, c->height, error);
  out->mm_per_pixel
      = sl_machine_output_mm_per_px (m, out->mm_per_pixel, c->width, c->height);
  out->width = c->width;
  out->height = c->height;
  out->stamped = FALSE;
  return bin;
}

static GstElement *
make_v4l2 (const gchar *text, const SlProbeConfig *c, SlProbeInfo *out,
           GError **error)
{
  SlV4l2Uri uri;
  g_autoptr (GError) uri_error = NULL;
  g_autofree gchar *chosen = NULL;
  GstElement *bin;

  if (!sl_v4l2_uri_parse (text, &uri, &uri_error))
    {
      g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SPEC, "v4l2:%s: %s",
                   text, uri_error->message);
      return NULL;
    }
  bin = sl_v4l2_source_new (&uri, c->width, c->height, c->fps, &chosen,
                            &out->fps, error);
  if (chosen != NULL)
    {
      GST_INFO ("v4l2:%s: %s", text, chosen);
      g_strlcpy (out->detail, chosen, sizeof out->detail);
    }
  sl_v4l2_uri_clear (&uri);
  return bin;
}

/* Builds the backend @spec names, with the checked config @c.  Fills
 * what the backend knows into @out. */
static GstElement *
make_backend (const gchar *spec, const SlProbeConfig *c, guint asked_fps,
              SlProbeInfo *out, GError **error)
{
  SlProbeConfig backend = *c;
  GstElement *bin = NULL;

  if (c->machine != NULL)
    {
      backend.width = c->machine->frame_width;
      backend.height = c->machine->frame_height;
      if (!check_config (&backend, &backend, error))
        return NULL;
    }
  if (spec == NULL || g_strcmp0 (spec, "synthetic") == 0)
    bin = make_synthetic (&backend, out, error);
  else if (g_str_has_prefix (spec, "file:") && spec[5] != '\0')
    bin = sl_file_source_new (spec + 5, backend.width, backend.height,
                              asked_fps, &out->fps, error);
  else if (g_str_has_prefix (spec, "v4l2:"))
    bin = make_v4l2 (spec + 5, &backend, out, error);
  else if (g_str_has_prefix (spec, "gst:") && spec[4] != '\0')
    bin = sl_gst_source_new (spec + 4, backend.width, backend.height, error);
  else
    g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SPEC,
                 "unknown probe \"%s\": use " VALID_SPECS, spec);
  /* The profile's stage is part of the backend, so a source the keeper
   * builds again is masked and cropped as the first was, and the keeper's
   * NO SIGNAL picture, at the configured size, is not cropped. */
  if (bin != NULL && c->machine != NULL)
    bin = apply_machine (bin, c, out, error);
  return bin;
}

/* How the keeper builds a lost source again: the same spec, the same
 * configuration (a card that comes back is asked for its modes again). */
typedef struct
{
  gchar *spec;
  SlProbeConfig config;
  guint asked_fps;
  /* The machine profile, copied: the caller's may be gone by the time a
   * source is built again. */
  SlMachineProfile machine;
} Recipe;

static void
recipe_free (gpointer data)
{
  Recipe *recipe = data;

  g_free (recipe->spec);
  g_free (recipe);
}

static GstElement *
remake (gpointer data, GError **error)
{
  Recipe *recipe = data;
  SlProbeInfo info = { 0 };

  return make_backend (recipe->spec, &recipe->config, recipe->asked_fps, &info,
                       error);
}

/* Every backend but the phantom (which cannot fail) runs under a keeper
 * (keeper/sl-keeper-src.h): a card unplugged, a pipeline's error or a
 * file that cannot be read shows "no signal" and is retried, and never
 * ends the consultation. */
static GstElement *
keep (GstElement *bin, const gchar *spec, const SlProbeConfig *c,
      guint asked_fps, const SlProbeInfo *out)
{
  Recipe *recipe = g_new0 (Recipe, 1);

  recipe->spec = g_strdup (spec);
  recipe->config = *c;
  recipe->asked_fps = asked_fps;
  if (c->machine != NULL)
    {
      recipe->machine = *c->machine;
      recipe->machine.name = NULL;
      recipe->config.machine = &recipe->machine;
    }
  return sl_keeper_src_new (bin, remake, recipe, recipe_free, c->width,
                            c->height, out->fps);
}

GstElement *
sl_probe_make_source (const gchar *spec, const SlProbeConfig *config,
                      SlProbeInfo *info, GError **error)
{
  SlProbeConfig c;
  SlProbeInfo out = { 0 };
  GstElement *bin = NULL;
  guint asked_fps = config != NULL ? config->fps : 0;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  sl_probe_register_elements ();
  if (!check_config (config, &c, error))
    return NULL;
  out.width = c.width;
  out.height = c.height;
  out.fps = c.fps;
  bin = make_backend (spec, &c, asked_fps, &out, error);
  if (bin == NULL)
    return NULL;
  if (spec != NULL && g_strcmp0 (spec, "synthetic") != 0
      && (bin = keep (bin, spec, &c, asked_fps, &out)) == NULL)
    {
      g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SOURCE,
                   "cannot build the probe's keeper (GStreamer element "
                   "\"appsrc\" is missing)");
      return NULL;
    }
  GST_DEBUG ("probe %s: %ux%u at %u fps", spec ? spec : "synthetic", c.width,
             c.height, out.fps);
  if (info != NULL)
    *info = out;
  return bin;
}
