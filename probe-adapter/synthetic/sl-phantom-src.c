/* sl-phantom-src.c — slphantomsrc: adapts SlPhantom to a live source.
 *
 * Only pads, caps and time live here; the picture is sl-phantom.c's.  Like
 * videotestsrc with is-live=true, the base class waits on the pipeline
 * clock until each frame's timestamp (get_times), so frames come out in
 * real time, and the latency query reports one frame.  The phantom is
 * built when caps are set, on the streaming thread, and used only there.
 */
#include "sl-phantom-src.h"
#include "sl-phantom.h"

#include <gst/video/video.h>

GST_DEBUG_CATEGORY_STATIC (sl_phantom_src_debug);
#define GST_CAT_DEFAULT sl_phantom_src_debug

#define DEFAULT_SEED 1

enum
{
  PROP_0,
  PROP_SEED,
};

struct _SlPhantomSrc
{
  GstPushSrc parent;

  guint32 seed; /* guarded by the object lock */

  /* Written by start and set_caps, used by fill on the streaming thread.
   * The latency query also reads the rate from other threads, as
   * videotestsrc does: a torn read can at worst answer for the old caps. */
  GstVideoInfo info;
  SlPhantom *phantom;
  guint64 n_frames;
};

G_DEFINE_TYPE (SlPhantomSrc, sl_phantom_src, GST_TYPE_PUSH_SRC)

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw, format = (string) I420, "
                     "width = (int) [ 64, 1920 ], height = (int) [ 64, 1080 ], "
                     "framerate = (fraction) [ 1/1, 120/1 ], "
                     "pixel-aspect-ratio = (fraction) 1/1"));

static GstCaps *
sl_phantom_src_fixate (GstBaseSrc *base, GstCaps *caps)
{
  GstStructure *s;

  caps = gst_caps_make_writable (caps);
  caps = gst_caps_truncate (caps);
  s = gst_caps_get_structure (caps, 0);
  gst_structure_fixate_field_nearest_int (s, "width", 1280);
  gst_structure_fixate_field_nearest_int (s, "height", 720);
  gst_structure_fixate_field_nearest_fraction (s, "framerate", 30, 1);
  return GST_BASE_SRC_CLASS (sl_phantom_src_parent_class)->fixate (base, caps);
}

static gboolean
sl_phantom_src_set_caps (GstBaseSrc *base, GstCaps *caps)
{
  SlPhantomSrc *self = SL_PHANTOM_SRC (base);
  GstVideoInfo info;
  guint32 seed;

  if (!gst_video_info_from_caps (&info, caps) || info.fps_n <= 0)
    return FALSE;
  GST_OBJECT_LOCK (self);
  seed = self->seed;
  GST_OBJECT_UNLOCK (self);
  g_clear_pointer (&self->phantom, sl_phantom_free);
  self->phantom = sl_phantom_new (GST_VIDEO_INFO_WIDTH (&info),
                                  GST_VIDEO_INFO_HEIGHT (&info), seed);
  if (self->phantom == NULL)
    {
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
                         ("The phantom needs an even width and height, "
                          "not %dx%d.",
                          GST_VIDEO_INFO_WIDTH (&info),
                          GST_VIDEO_INFO_HEIGHT (&info)),
                         (NULL));
      return FALSE;
    }
  self->info = info;
  gst_base_src_set_blocksize (base, (guint)GST_VIDEO_INFO_SIZE (&info));
  GST_DEBUG_OBJECT (self, "phantom %dx%d at %d/%d fps, seed %u",
                    GST_VIDEO_INFO_WIDTH (&info), GST_VIDEO_INFO_HEIGHT (&info),
                    info.fps_n, info.fps_d, seed);
  return TRUE;
}

/* A video buffer pool, with video meta when downstream can take it, as
 * videotestsrc does. */
static gboolean
sl_phantom_src_decide_allocation (GstBaseSrc *base, GstQuery *query)
{
  GstBufferPool *pool = NULL;
  GstStructure *config;
  GstCaps *caps;
  GstVideoInfo info;
  guint size, min = 0, max = 0;
  gboolean update = gst_query_get_n_allocation_pools (query) > 0;

  gst_query_parse_allocation (query, &caps, NULL);
  if (caps == NULL || !gst_video_info_from_caps (&info, caps))
    return FALSE;
  if (update)
    gst_query_parse_nth_allocation_pool (query, 0, &pool, &size, &min, &max);
  size = (guint)GST_VIDEO_INFO_SIZE (&info);
  if (pool == NULL || !GST_IS_VIDEO_BUFFER_POOL (pool))
    {
      g_clear_object (&pool);
      pool = gst_video_buffer_pool_new ();
    }
  config = gst_buffer_pool_get_config (pool);
  gst_buffer_pool_config_set_params (config, caps, size, min, max);
  if (gst_query_find_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL))
    gst_buffer_pool_config_add_option (config,
                                       GST_BUFFER_POOL_OPTION_VIDEO_META);
  gst_buffer_pool_set_config (pool, config);
  if (update)
    gst_query_set_nth_allocation_pool (query, 0, pool, size, min, max);
  else
    gst_query_add_allocation_pool (query, pool, size, min, max);
  gst_object_unref (pool);
  return GST_BASE_SRC_CLASS (sl_phantom_src_parent_class)
      ->decide_allocation (base, query);
}

static gboolean
sl_phantom_src_query (GstBaseSrc *base, GstQuery *query)
{
  SlPhantomSrc *self = SL_PHANTOM_SRC (base);

  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY && self->info.fps_n > 0)
    {
      GstClockTime frame = gst_util_uint64_scale_int (
          GST_SECOND, self->info.fps_d, self->info.fps_n);

      gst_query_set_latency (query, gst_base_src_is_live (base), frame,
                             GST_CLOCK_TIME_NONE);
      return TRUE;
    }
  return GST_BASE_SRC_CLASS (sl_phantom_src_parent_class)->query (base, query);
}

static void
sl_phantom_src_get_times (GstBaseSrc *base, GstBuffer *buffer,
                          GstClockTime *start, GstClockTime *end)
{
  *start = *end = GST_CLOCK_TIME_NONE;
  if (!gst_base_src_is_live (base) || !GST_BUFFER_PTS_IS_VALID (buffer))
    return;
  *start = GST_BUFFER_PTS (buffer);
  if (GST_BUFFER_DURATION_IS_VALID (buffer))
    *end = *start + GST_BUFFER_DURATION (buffer);
}

static GstFlowReturn
sl_phantom_src_fill (GstPushSrc *push, GstBuffer *buffer)
{
  SlPhantomSrc *self = SL_PHANTOM_SRC (push);
  GstVideoFrame frame;
  guint64 n = self->n_frames;
  GstClockTime pts, next;

  if (self->phantom == NULL)
    return GST_FLOW_NOT_NEGOTIATED;
  if (!gst_video_frame_map (&frame, &self->info, buffer, GST_MAP_WRITE))
    {
      GST_ELEMENT_ERROR (self, RESOURCE, WRITE, (NULL),
                         ("cannot map the output buffer"));
      return GST_FLOW_ERROR;
    }
  sl_phantom_render (self->phantom, n, GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
                     GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0),
                     GST_VIDEO_FRAME_PLANE_DATA (&frame, 1),
                     GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 1),
                     GST_VIDEO_FRAME_PLANE_DATA (&frame, 2),
                     GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 2));
  gst_video_frame_unmap (&frame);

  pts = gst_util_uint64_scale (n, GST_SECOND * self->info.fps_d,
                               self->info.fps_n);
  next = gst_util_uint64_scale (n + 1, GST_SECOND * self->info.fps_d,
                                self->info.fps_n);
  GST_BUFFER_PTS (buffer) = pts;
  GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION (buffer) = next - pts;
  GST_BUFFER_OFFSET (buffer) = n;
  GST_BUFFER_OFFSET_END (buffer) = n + 1;
  if (n == 0)
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
  self->n_frames = n + 1;
  GST_LOG_OBJECT (self, "frame %" G_GUINT64_FORMAT, n);
  return GST_FLOW_OK;
}

static gboolean
sl_phantom_src_start (GstBaseSrc *base)
{
  SlPhantomSrc *self = SL_PHANTOM_SRC (base);

  self->n_frames = 0;
  gst_video_info_init (&self->info);
  return TRUE;
}

static gboolean
sl_phantom_src_stop (GstBaseSrc *base)
{
  SlPhantomSrc *self = SL_PHANTOM_SRC (base);

  g_clear_pointer (&self->phantom, sl_phantom_free);
  return TRUE;
}

static void
sl_phantom_src_set_property (GObject *object, guint prop_id,
                             const GValue *value, GParamSpec *pspec)
{
  SlPhantomSrc *self = SL_PHANTOM_SRC (object);

  switch (prop_id)
    {
    case PROP_SEED:
      GST_OBJECT_LOCK (self);
      self->seed = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
sl_phantom_src_get_property (GObject *object, guint prop_id, GValue *value,
                             GParamSpec *pspec)
{
  SlPhantomSrc *self = SL_PHANTOM_SRC (object);

  switch (prop_id)
    {
    case PROP_SEED:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->seed);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
sl_phantom_src_finalize (GObject *object)
{
  SlPhantomSrc *self = SL_PHANTOM_SRC (object);

  g_clear_pointer (&self->phantom, sl_phantom_free);
  G_OBJECT_CLASS (sl_phantom_src_parent_class)->finalize (object);
}

static void
sl_phantom_src_class_init (SlPhantomSrcClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *base_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *push_class = GST_PUSH_SRC_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (sl_phantom_src_debug, "sl-probe", 0,
                           "sonolink probe adapters");
  object_class->set_property = sl_phantom_src_set_property;
  object_class->get_property = sl_phantom_src_get_property;
  object_class->finalize = sl_phantom_src_finalize;
  g_object_class_install_property (
      object_class, PROP_SEED,
      g_param_spec_uint ("seed", "Seed",
                         "Seed of the phantom's tissue; the same seed and size "
                         "give the same pictures",
                         0, G_MAXUINT32, DEFAULT_SEED,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
                             | GST_PARAM_MUTABLE_READY));

  gst_element_class_set_static_metadata (
      element_class, "sonolink ultrasound phantom", "Source/Video",
      "A deterministic, live, B-mode-like ultrasound picture with its frame "
      "index stamped in",
      "sonolink");
  gst_element_class_add_static_pad_template (element_class, &src_template);

  base_class->fixate = sl_phantom_src_fixate;
  base_class->set_caps = sl_phantom_src_set_caps;
  base_class->decide_allocation = sl_phantom_src_decide_allocation;
  base_class->query = sl_phantom_src_query;
  base_class->get_times = sl_phantom_src_get_times;
  base_class->start = sl_phantom_src_start;
  base_class->stop = sl_phantom_src_stop;
  push_class->fill = sl_phantom_src_fill;
}

static void
sl_phantom_src_init (SlPhantomSrc *self)
{
  self->seed = DEFAULT_SEED;
  gst_video_info_init (&self->info);
  gst_base_src_set_live (GST_BASE_SRC (self), TRUE);
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
}
