/* sl-replay-decode.c — see sl-replay-decode.h. */
#include "sl-replay-decode.h"
#include "sl-guide-view.h"

#include <gst/app/gstappsink.h>

/* How long one picture may take to come out of the decoder. */
#define PULL_TIMEOUT (10 * GST_SECOND)

struct _SlReplayDecoder
{
  gint64 start_ms; /* the keyframe the decoding starts at */
  GstElement *pipeline;
  GstElement *parse; /* h264parse: the video pad links to it */
  GstElement *sink;
};

gint64
sl_replay_buffer_ms (GstBuffer *buf)
{
  return GST_BUFFER_PTS_IS_VALID (buf)
             ? (gint64)(GST_BUFFER_PTS (buf) / GST_MSECOND)
             : -1;
}

GstPadProbeReturn
sl_replay_drop_before (GstPad *pad, GstPadProbeInfo *info, gpointer limit_ms)
{
  gint64 ms = sl_replay_buffer_ms (GST_PAD_PROBE_INFO_BUFFER (info));

  return ms >= 0 && ms < *(const gint64 *)limit_ms ? GST_PAD_PROBE_DROP
                                                   : GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement *demux, GstPad *pad, gpointer user_data)
{
  SlReplayDecoder *dec = user_data;
  g_autofree gchar *name = gst_pad_get_name (pad);
  g_autoptr (GstPad) sink = NULL;

  if (!g_str_has_prefix (name, "video_"))
    return;
  sink = gst_element_get_static_pad (dec->parse, "sink");
  if (!gst_pad_is_linked (sink))
    {
      /* Access units before the keyframe the decoding starts at are not
       * decoded.  The file is read from its start rather than seeked:
       * matroskademux, with no Cues to go by, lands its seeks seconds
       * away from the time asked in our files, and reading a recording's
       * clusters costs little beside decoding them. */
      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, sl_replay_drop_before,
                         &dec->start_ms, NULL);
      gst_pad_link (pad, sink);
    }
}

/* The first error on @pipeline's bus, if any, into @error. */
static gboolean
bus_error (GstElement *pipeline, GError **error)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_autoptr (GError) err = NULL;

  if (msg == NULL)
    return FALSE;
  gst_message_parse_error (msg, &err, NULL);
  g_set_error (error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_NOT_RECORDING,
               "cannot decode the recording: %s", err->message);
  return TRUE;
}

SlReplayDecoder *
sl_replay_decoder_new (SlReplayFile *file, gint64 from_ms, GError **error)
{
  g_autoptr (SlReplayDecoder) dec = g_new0 (SlReplayDecoder, 1);
  GstElement *src, *demux, *decoder;
  g_autoptr (GstCaps) caps = gst_caps_from_string ("video/x-raw,format=I420");

  dec->start_ms = sl_replay_mkv_keyframe_before (&file->info, from_ms);
  dec->pipeline = gst_pipeline_new ("replay-decode");
  src = gst_element_factory_make ("filesrc", NULL);
  demux = gst_element_factory_make ("matroskademux", NULL);
  dec->parse = gst_element_factory_make ("h264parse", NULL);
  decoder = gst_element_factory_make ("avdec_h264", NULL);
  dec->sink = gst_element_factory_make ("appsink", NULL);
  if (src == NULL || demux == NULL || dec->parse == NULL || decoder == NULL
      || dec->sink == NULL)
    {
      g_set_error (error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_IO,
                   "a GStreamer element is missing (filesrc, matroskademux: "
                   "gstreamer1.0-plugins-good; h264parse: "
                   "gstreamer1.0-plugins-bad; avdec_h264: gstreamer1.0-libav)");
      return NULL;
    }
  g_object_set (src, "location", file->mkv_path, NULL);
  g_object_set (dec->sink, "sync", FALSE, "caps", caps, "max-buffers", 4, NULL);
  gst_bin_add_many (GST_BIN (dec->pipeline), src, demux, dec->parse, decoder,
                    gst_element_factory_make ("videoconvert", "convert"),
                    dec->sink, NULL);
  gst_element_link (src, demux);
  gst_element_link_many (
      dec->parse, decoder,
      gst_bin_get_by_name (GST_BIN (dec->pipeline), "convert"), dec->sink,
      NULL);
  g_signal_connect (demux, "pad-added", G_CALLBACK (on_pad_added), dec);
  if (gst_element_set_state (dec->pipeline, GST_STATE_PAUSED)
          == GST_STATE_CHANGE_FAILURE
      || gst_element_get_state (dec->pipeline, NULL, NULL, PULL_TIMEOUT)
             == GST_STATE_CHANGE_FAILURE)
    {
      if (!bus_error (dec->pipeline, error))
        g_set_error (error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_NOT_RECORDING,
                     "cannot decode the recording");
      return NULL;
    }
  gst_element_set_state (dec->pipeline, GST_STATE_PLAYING);
  return g_steal_pointer (&dec);
}

void
sl_replay_decoder_free (SlReplayDecoder *dec)
{
  if (dec == NULL)
    return;
  if (dec->pipeline != NULL)
    {
      gst_element_set_state (dec->pipeline, GST_STATE_NULL);
      gst_object_unref (dec->pipeline);
    }
  g_free (dec);
}

GstSample *
sl_replay_decoder_next (SlReplayDecoder *dec, gint64 *pts_ms, GError **error)
{
  GstSample *sample
      = gst_app_sink_try_pull_sample (GST_APP_SINK (dec->sink), PULL_TIMEOUT);
  GstBuffer *buf;

  if (sample == NULL)
    {
      if (!bus_error (dec->pipeline, error)
          && !gst_app_sink_is_eos (GST_APP_SINK (dec->sink)))
        g_set_error (error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_NOT_RECORDING,
                     "the decoder gave no picture for 10 s");
      return NULL;
    }
  buf = gst_sample_get_buffer (sample);
  *pts_ms = GST_BUFFER_PTS_IS_VALID (buf)
                ? (gint64)(GST_BUFFER_PTS (buf) / GST_MSECOND)
                : -1;
  return sample;
}

static void
draw_marks (cairo_t *cr, guint width, guint height, gpointer user_data)
{
  sl_replay_timeline_render (user_data, cr, width, height);
}

gboolean
sl_replay_snapshot (SlReplayFile *file, gint64 at_ms, const gchar *path,
                    GError **error)
{
  g_autoptr (SlReplayDecoder) dec = NULL;
  g_autoptr (GstSample) shown = NULL;
  gint64 shown_ms = -1;

  if (at_ms < 0 || at_ms > sl_replay_file_end_ms (file))
    {
      g_set_error (error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_RANGE,
                   "%.3f s is outside the recording, whose pictures run "
                   "from %.3f to %.3f s",
                   at_ms / 1000.0, sl_replay_file_start_ms (file) / 1000.0,
                   sl_replay_file_end_ms (file) / 1000.0);
      return FALSE;
    }
  dec = sl_replay_decoder_new (file, at_ms, error);
  if (dec == NULL)
    return FALSE;
  /* Pictures from the keyframe before @at_ms up to it: the last one is
   * what a player shows at @at_ms (the first, if @at_ms comes before
   * the recording's first picture). */
  for (;;)
    {
      g_autoptr (GError) local = NULL;
      gint64 pts;
      GstSample *sample = sl_replay_decoder_next (dec, &pts, &local);

      if (sample == NULL)
        {
          if (local != NULL && shown == NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          break;
        }
      if (shown != NULL && pts > at_ms)
        {
          gst_sample_unref (sample);
          break;
        }
      g_clear_pointer (&shown, gst_sample_unref);
      shown = sample;
      shown_ms = pts;
    }
  if (shown == NULL)
    {
      g_set_error (error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_EMPTY,
                   "no picture decodes at %.3f s", at_ms / 1000.0);
      return FALSE;
    }
  g_debug ("the picture shown at %" G_GINT64_FORMAT
           " ms is the one of %" G_GINT64_FORMAT " ms",
           at_ms, shown_ms);
  /* The marks as they show at @at_ms: those keyed to pictures up to the
   * one shown, and whatever timed out by @at_ms. */
  sl_replay_timeline_seek (file->timeline, at_ms);
  return sl_guide_view_write_png (shown, draw_marks, file->timeline, path,
                                  error);
}
