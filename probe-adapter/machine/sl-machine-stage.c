/* sl-machine-stage.c — see sl-machine-stage.h.
 *
 * Threading: the pad probe runs on the backend's streaming thread and
 * owns MaskState alone (the caps event and the buffers arrive on that one
 * thread, in order); the control thread only creates it.
 */
#include "sl-machine-stage.h"
#include "../sl-probe-private.h"

#include <gst/video/video.h>

GST_DEBUG_CATEGORY_STATIC (sl_machine_debug);
#define GST_CAT_DEFAULT sl_machine_debug

typedef struct
{
  SlMachineProfile profile; /* a copy without its name */
  GstVideoInfo info;        /* from the last caps event */
  gboolean info_valid;
  gboolean failed; /* the error was posted */
} MaskState;

static void
mask_state_free (gpointer data)
{
  g_free (data);
}

/* TRUE when @info is the frame the profile's rectangles are written for. */
static gboolean
is_profile_frame (const MaskState *s)
{
  return s->info_valid
         && GST_VIDEO_INFO_FORMAT (&s->info) == GST_VIDEO_FORMAT_I420
         && (guint)GST_VIDEO_INFO_WIDTH (&s->info) == s->profile.frame_width
         && (guint)GST_VIDEO_INFO_HEIGHT (&s->info) == s->profile.frame_height;
}

static GstPadProbeReturn
refuse (GstPad *pad, MaskState *s)
{
  if (!s->failed)
    {
      GstElement *crop = gst_pad_get_parent_element (pad);

      s->failed = TRUE;
      GST_ELEMENT_ERROR (crop, STREAM, FORMAT,
                         ("The picture is not the %ux%u I420 frame the machine "
                          "profile describes: nothing is sent rather than an "
                          "unmasked picture",
                          s->profile.frame_width, s->profile.frame_height),
                         (NULL));
      gst_clear_object (&crop);
    }
  return GST_PAD_PROBE_DROP;
}

static GstPadProbeReturn
on_crop_input (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  MaskState *s = user_data;
  GstVideoFrame frame;
  GstBuffer *buffer;
  guint8 *planes[3];
  gint strides[3];

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM)
    {
      GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
      GstCaps *caps;

      if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS)
        {
          gst_event_parse_caps (event, &caps);
          s->info_valid = gst_video_info_from_caps (&s->info, caps);
        }
      return GST_PAD_PROBE_OK;
    }
  if (!is_profile_frame (s))
    return refuse (pad, s);
  buffer = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  if (!gst_video_frame_map (&frame, &s->info, buffer, GST_MAP_WRITE))
    return refuse (pad, s);
  for (guint i = 0; i < 3; i++)
    {
      planes[i] = GST_VIDEO_FRAME_PLANE_DATA (&frame, i);
      strides[i] = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, i);
    }
  sl_machine_mask_i420 (&s->profile, planes, strides);
  gst_video_frame_unmap (&frame);
  return GST_PAD_PROBE_OK;
}

static GstElement *
make (const gchar *factory, GError **error)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (e == NULL)
    g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SOURCE,
                 "--machine: GStreamer element \"%s\" is missing", factory);
  return e;
}

static void
release (GstElement *e)
{
  if (e != NULL)
    gst_object_unref (gst_object_ref_sink (e));
}

static void
add_mask_probe (GstElement *crop, const SlMachineProfile *profile)
{
  MaskState *s = g_new0 (MaskState, 1);
  GstPad *pad = gst_element_get_static_pad (crop, "sink");

  s->profile = *profile;
  s->profile.name = NULL;
  gst_pad_add_probe (
      pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      on_crop_input, s, mask_state_free);
  gst_object_unref (pad);
}

GstElement *
sl_machine_stage_new (GstElement *source, const SlMachineProfile *profile,
                      guint width, guint height, GError **error)
{
  const SlMachineRect *im = &profile->image;
  g_autoptr (GstCaps) caps = sl_probe_make_caps (width, height, 0);
  GstElement *bin, *crop, *scale = NULL, *filter = NULL;

  if (sl_machine_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (sl_machine_debug, "sl-machine", 0,
                             "sonolink machine profiles");
  crop = make ("videocrop", error);
  scale = crop ? make ("videoscale", error) : NULL;
  filter = scale ? make ("capsfilter", error) : NULL;
  if (filter == NULL)
    {
      release (source);
      release (crop);
      release (scale);
      return NULL;
    }
  g_object_set (crop, "left", (gint)im->x, "top", (gint)im->y, "right",
                (gint)(profile->frame_width - im->x - im->width), "bottom",
                (gint)(profile->frame_height - im->y - im->height), NULL);
  g_object_set (scale, "add-borders", TRUE, NULL);
  g_object_set (filter, "caps", caps, NULL);
  add_mask_probe (crop, profile);
  bin = gst_bin_new ("sl-machine");
  gst_bin_add_many (GST_BIN (bin), source, crop, scale, filter, NULL);
  if (!gst_element_link_many (source, crop, scale, filter, NULL)
      || !sl_probe_ghost_src (GST_BIN (bin), filter))
    {
      g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SOURCE,
                   "--machine: cannot link the crop and scale after the "
                   "probe");
      release (bin);
      return NULL;
    }
  GST_DEBUG ("machine %s: crop %u,%u %ux%u of %ux%u, %u masks, to %ux%u",
             profile->name ? profile->name : "(unnamed)", im->x, im->y,
             im->width, im->height, profile->frame_width, profile->frame_height,
             profile->n_masks, width, height);
  return bin;
}
