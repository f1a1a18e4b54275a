/* sl-media.c — engine initialisation and small shared helpers.
 *
 * Besides gst_init() this checks up front that the plugins the engine needs
 * are installed: a missing x264 or libnice plugin otherwise surfaces only
 * when the first peer joins, as an obscure negotiation failure.
 */
#include "sl-media.h"
#include "sl-session-private.h"

GST_DEBUG_CATEGORY (sl_media_debug);
#define GST_CAT_DEFAULT sl_media_debug

/* G_DEFINE_QUARK makes its first argument the domain's name. */
/* clang-format off */
G_DEFINE_QUARK (sl-media-error-quark, sl_media_error)
/* clang-format on */

/* Each element the engine uses, with the Debian package that provides it. */
static const struct
{
  const gchar *factory;
  const gchar *package;
} required_elements[] = {
  /* In the order a first call needs them, which is the order the prepare
   * worker loads them in (prepare_plugins): the offer and answer, then
   * the voice, then the video's receive side and last its send side. */
  { "webrtcbin", "gstreamer1.0-plugins-bad" },
  { "nicesrc", "gstreamer1.0-nice" },
  { "dtlssrtpenc", "gstreamer1.0-plugins-bad" },
  { "sctpenc", "gstreamer1.0-plugins-bad" },
  { "appsrc", "gstreamer1.0-plugins-base" },
  { "appsink", "gstreamer1.0-plugins-base" },
  { "audiotestsrc", "gstreamer1.0-plugins-base" },
  { "audioconvert", "gstreamer1.0-plugins-base" },
  { "audioresample", "gstreamer1.0-plugins-base" },
  { "opusenc", "gstreamer1.0-plugins-base" },
  { "opusdec", "gstreamer1.0-plugins-base" },
  { "rtpopuspay", "gstreamer1.0-plugins-good" },
  { "rtpopusdepay", "gstreamer1.0-plugins-good" },
  { "level", "gstreamer1.0-plugins-good" },
  { "spectrum", "gstreamer1.0-plugins-good" },
  { "rtph264depay", "gstreamer1.0-plugins-good" },
  { "rtph264pay", "gstreamer1.0-plugins-good" },
  { "h264parse", "gstreamer1.0-plugins-bad" },
  { "avdec_h264", "gstreamer1.0-libav" },
  { "videoconvert", "gstreamer1.0-plugins-base" },
  { "x264enc", "gstreamer1.0-plugins-ugly" },
  { "pngenc", "gstreamer1.0-plugins-good" },
};

static const gchar *
package_for (const gchar *factory)
{
  for (gsize i = 0; i < G_N_ELEMENTS (required_elements); i++)
    if (g_str_equal (required_elements[i].factory, factory))
      return required_elements[i].package;
  return NULL;
}

void
sl_media_init (int *argc, char ***argv)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      gst_init (argc, argv);
      GST_DEBUG_CATEGORY_INIT (sl_media_debug, "sl-media", 0,
                               "sonolink media engine");
      g_once_init_leave (&once, 1);
    }
}

/* Work the first call would otherwise do between "expert joined" and the
 * first picture, done on two worker threads when the station starts:
 *
 * - the DTLS certificate that every webrtcbin of the process shares is
 *   made (an RSA key generated) when the first DTLS element is created: a
 *   few hundred milliseconds before the offer;
 * - each plugin is loaded (its libraries opened and initialised) when its
 *   first element is made.  The viewer makes its decoding branch when the
 *   first video packet is through the jitter buffer, and loading the
 *   decoder (libav), parser and depacketiser there took 90-165 ms, with the
 *   stream's packets waiting.  Loaded ahead, linking the branch took
 *   5-14 ms (docs/PERFORMANCE.md, "Start-up").
 *
 * Not one after the other: GStreamer loads one plugin at a time, process
 * wide, so an expert that had just started and got its offer at once
 * waited for the certificate and then for libav (60-115 ms) before it
 * could make its answer.  Side by side, the plugins are loaded while the
 * key is still being made.  A session that starts sooner waits for the
 * same certificate, and for at most the one plugin being loaded. */
static gpointer
prepare_certificate (gpointer data)
{
  GstElement *dec = gst_element_factory_make ("dtlsdec", NULL);

  if (dec != NULL)
    gst_object_unref (gst_object_ref_sink (dec));
  GST_DEBUG ("DTLS certificate ready");
  return NULL;
}

static gpointer
prepare_plugins (gpointer data)
{
  for (gsize i = 0; i < G_N_ELEMENTS (required_elements); i++)
    {
      g_autoptr (GstElementFactory) factory
          = gst_element_factory_find (required_elements[i].factory);
      g_autoptr (GstPluginFeature) loaded
          = factory ? gst_plugin_feature_load (GST_PLUGIN_FEATURE (factory))
                    : NULL;

      /* The loading lock is not fair: taken again at once, it would keep
       * a session that needs a plugin now waiting for the whole list. */
      g_usleep (1000);
    }
  GST_DEBUG ("plugins loaded");
  return NULL;
}

/* The workers, joined by sl_media_finish_prepare (control thread only). */
static GThread *prepare_threads[2];

void
sl_media_prepare (void)
{
  g_autoptr (GstPlugin) dtls = NULL;

  if (prepare_threads[0] != NULL)
    return;
  /* The DTLS plugin first, here (a millisecond), so that making the key
   * does not wait behind a large plugin the other worker is loading. */
  dtls = gst_plugin_load_by_name ("dtls");
  prepare_threads[0]
      = g_thread_new ("sl-prepare-dtls", prepare_certificate, NULL);
  prepare_threads[1]
      = g_thread_new ("sl-prepare-plugins", prepare_plugins, NULL);
}

void
sl_media_finish_prepare (void)
{
  /* A process that exits while OpenSSL generates the key on the worker
   * would pull the library out from under it. */
  for (guint i = 0; i < G_N_ELEMENTS (prepare_threads); i++)
    if (prepare_threads[i] != NULL)
      g_thread_join (g_steal_pointer (&prepare_threads[i]));
}

GstElement *
sl_media_make_element (const gchar *factory, const gchar *name, GError **error)
{
  GstElement *element = gst_element_factory_make (factory, name);

  if (element == NULL)
    {
      const gchar *package = package_for (factory);
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_MISSING_ELEMENT,
                   "GStreamer element '%s' is not installed%s%s%s", factory,
                   package ? " (install the Debian package " : "",
                   package ? package : "", package ? ")" : "");
    }
  return element;
}

GstElement *
sl_media_add_chain (GstBin *bin, GstElement *first, GstElement **elements,
                    guint n, GError **error)
{
  GstElement *prev = first;

  for (guint i = 0; i < n; i++)
    if (elements[i] == NULL)
      {
        for (guint j = 0; j < n; j++)
          if (elements[j] != NULL)
            gst_object_unref (gst_object_ref_sink (elements[j]));
        return NULL;
      }
  for (guint i = 0; i < n; i++)
    {
      /* A bin that refuses an element (a name already taken) destroys it
       * when it was floating: our own reference keeps it for the error,
       * and keeps it from being linked to after it is gone. */
      g_autoptr (GstElement) element = gst_object_ref_sink (elements[i]);

      if (!gst_bin_add (bin, element))
        {
          g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                       "could not add %s to %s (its name is taken)",
                       GST_OBJECT_NAME (element), GST_OBJECT_NAME (bin));
          for (guint j = i + 1; j < n; j++)
            gst_object_unref (gst_object_ref_sink (elements[j]));
          return NULL;
        }
      if (prev != NULL && !gst_element_link (prev, element))
        {
          g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                       "could not link %s to %s", GST_OBJECT_NAME (prev),
                       GST_OBJECT_NAME (element));
          for (guint j = i + 1; j < n; j++)
            gst_object_unref (gst_object_ref_sink (elements[j]));
          return NULL;
        }
      prev = element;
    }
  return prev;
}

gboolean
sl_media_check_plugins (GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (required_elements); i++)
    {
      g_autoptr (GstElementFactory) factory
          = gst_element_factory_find (required_elements[i].factory);
      if (factory == NULL)
        {
          g_set_error (
              error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_MISSING_ELEMENT,
              "GStreamer element '%s' is not installed (install the Debian "
              "package %s)",
              required_elements[i].factory, required_elements[i].package);
          return FALSE;
        }
    }
  return TRUE;
}

void
sl_media_use_system_clock (GstElement *pipeline)
{
  g_autoptr (GstClock) clock = gst_system_clock_obtain ();

  g_object_set (clock, "clock-type", GST_CLOCK_TYPE_MONOTONIC, NULL);
  gst_pipeline_use_clock (GST_PIPELINE (pipeline), clock);
}

/* Intra period.  Every session starts on a keyframe of its own and a
 * receiver that loses one asks for another (PLI), so periodic IDR frames
 * only bound the worst case; each costs quality (0.6 dB at 2 s against
 * 10 s on the phantom at 4 Mbit/s), so one every 10 s at 30 fps. */
#define SL_KEYFRAME_INTERVAL_FRAMES 300

/* The VBV bounds how far a frame may exceed the mean.  One to three
 * frames' worth (33-100 ms) made x264 undershoot its target by a sixth and
 * cost 2-3 dB of luma PSNR on the phantom; 300 ms keeps within about
 * 0.5 dB of x264's default (600 ms) at no measurable latency cost on
 * loopback (docs/PERFORMANCE.md).  What a larger burst costs on a narrow
 * uplink is the rate controller's to manage, not the encoder's to avoid by
 * blurring the image. */
#define SL_VBV_MS SL_MEDIA_VBV_MS

/* The picture assumed when the caller does not know it. */
#define SL_DEFAULT_WIDTH 1280
#define SL_DEFAULT_HEIGHT 720
#define SL_DEFAULT_FPS 30.0

SlEncoderLevel
sl_media_encoder_level (guint bitrate_kbps, guint width, guint height,
                        gdouble fps)
{
  SlEncoderBudget budget;

  sl_encoder_budget_init (&budget);
  if (width == 0 || height == 0)
    {
      width = SL_DEFAULT_WIDTH;
      height = SL_DEFAULT_HEIGHT;
    }
  return sl_encoder_choose (&budget, width, height,
                            fps > 0 ? fps : SL_DEFAULT_FPS, bitrate_kbps);
}

void
sl_media_set_encoder_level (GstElement *x264enc, SlEncoderLevel level)
{
  const SlEncoderSettings *s = sl_encoder_settings (level);

  g_object_set (x264enc, "speed-preset", s->speed_preset, "option-string",
                s->options, NULL);
}

const gchar *
sl_media_configure_h264_encoder (GstElement *x264enc, guint bitrate_kbps,
                                 guint width, guint height, gdouble fps)
{
  SlEncoderLevel level
      = sl_media_encoder_level (bitrate_kbps, width, height, fps);

  sl_media_set_encoder_level (x264enc, level);
  g_object_set (x264enc, "tune", 0x4 /* zerolatency */, "bitrate", bitrate_kbps,
                "vbv-buf-capacity", SL_VBV_MS, "key-int-max",
                SL_KEYFRAME_INTERVAL_FRAMES, "sliced-threads", TRUE, "threads",
                2, "bframes", 0, "rc-lookahead", 0, NULL);
  return sl_encoder_settings (level)->profile;
}

void
sl_media_configure_h264_decoder (GstElement *avdec)
{
  /* Slice threads decode one frame with both cores; frame threads would
   * hold a frame per thread back.  Corrupt frames are not shown: a smeared
   * image is worse than a short freeze for diagnosis. */
  g_object_set (avdec, "thread-type", 2 /* slice */, "max-threads", 2,
                "output-corrupt", FALSE, NULL);
}

gint64
sl_media_now_us (void)
{
  return g_get_monotonic_time ();
}
