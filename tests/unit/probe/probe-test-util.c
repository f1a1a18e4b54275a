/* probe-test-util.c — see probe-test-util.h. */
#include "probe-test-util.h"
#include "sl-stamp.h"

#include <gst/app/app.h>
#include <gst/video/video.h>

GstElement *
probe_test_pipeline (GstElement *source, gboolean sync, GstElement **sink)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *appsink = gst_element_factory_make ("appsink", NULL);

  g_assert_nonnull (appsink);
  g_object_set (appsink, "sync", sync, "max-buffers", 400, NULL);
  gst_bin_add_many (GST_BIN (pipeline), source, appsink, NULL);
  g_assert_true (gst_element_link (source, appsink));
  *sink = appsink;
  return pipeline;
}

static gchar *
pop_error (GstBus *bus, gboolean *eos)
{
  GstMessage *msg;
  gchar *text = NULL;

  while (
      text == NULL
      && (msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR | GST_MESSAGE_EOS))
             != NULL)
    {
      if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
        {
          g_autoptr (GError) err = NULL;

          gst_message_parse_error (msg, &err, NULL);
          text = g_strdup (err->message);
        }
      else
        *eos = TRUE;
      gst_message_unref (msg);
    }
  return text;
}

GPtrArray *
probe_test_pull (GstElement *pipeline, GstElement *sink, guint n,
                 gdouble timeout_s, gchar **error_message)
{
  GPtrArray *samples
      = g_ptr_array_new_with_free_func ((GDestroyNotify)gst_sample_unref);
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  gint64 deadline = g_get_monotonic_time () + (gint64)(timeout_s * 1e6);
  gchar *error = NULL;
  gboolean eos = FALSE;

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE)
    error = pop_error (bus, &eos);
  while (error == NULL && !eos && samples->len < n
         && g_get_monotonic_time () < deadline)
    {
      GstSample *sample
          = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), GST_SECOND / 20);

      if (sample != NULL)
        g_ptr_array_add (samples, sample);
      error = pop_error (bus, &eos);
    }
  /* End of stream is posted once the last sample is queued in the appsink,
   * maybe before the test pulled everything. */
  while (eos && samples->len < n)
    {
      GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 0);

      if (sample == NULL)
        break;
      g_ptr_array_add (samples, sample);
    }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (error_message != NULL)
    *error_message = error;
  else
    g_free (error);
  return samples;
}

gboolean
probe_test_run_launch (const gchar *description, gdouble timeout_s)
{
  g_autoptr (GError) error = NULL;
  GstElement *pipeline = gst_parse_launch (description, &error);
  GstMessage *msg;
  gboolean ok;

  g_assert_no_error (error);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
                                    (GstClockTime)(timeout_s * GST_SECOND),
                                    GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  ok = msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  if (msg != NULL)
    gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return ok;
}

gboolean
probe_test_sample_stamp (GstSample *sample, guint64 *value)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  gboolean ok;

  g_assert_true (
      gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  g_assert_true (gst_video_frame_map (
      &frame, &info, gst_sample_get_buffer (sample), GST_MAP_READ));
  ok = sl_stamp_read (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
                      GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0),
                      GST_VIDEO_INFO_WIDTH (&info),
                      GST_VIDEO_INFO_HEIGHT (&info), value);
  gst_video_frame_unmap (&frame);
  return ok;
}
