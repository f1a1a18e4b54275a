/* sl-file-source.c — a video file played in a loop as a live probe.
 *
 * Two pipelines, so that the file's clock and seeks never disturb the
 * engine's: a private "reader" pipeline decodes, converts and scales the
 * file and paces it at the file's own rate (appsink sync=true), and an
 * appsrc inside this bin hands each frame to the engine's pipeline as a
 * live frame, timestamped on arrival.  The appsrc holds at most three
 * frames and drops the oldest when the engine falls behind, so a stalled
 * consumer sees fresh pictures, not a backlog.
 *
 *   reader: filesrc ! decodebin ! videoconvert ! videoscale ! capsfilter
 *           ! appsink  --(new-sample)-->  this bin: appsrc ! (ghost src)
 *
 * The reader follows this bin's state: paused with it, playing with it,
 * stopped when it goes to READY.  At end of file it seeks back to the
 * start.  The seek must not run on the streaming thread that reported the
 * end (it would wait for itself), so it goes to GStreamer's thread pool
 * with gst_element_call_async().  Errors on the reader's bus are re-posted
 * as this bin's element errors, naming the file.
 */
#include "sl-file-source.h"
#include "../sl-probe-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <gst/app/app.h>
#include <gst/video/video.h>

GST_DEBUG_CATEGORY_STATIC (sl_file_source_debug);
#define GST_CAT_DEFAULT sl_file_source_debug

/* Frames the appsrc may hold before it drops the oldest. */
#define QUEUED_FRAMES 3

struct _SlFileSource
{
  GstBin parent;

  gchar *path;
  GstElement *appsrc;  /* our child */
  GstElement *reader;  /* owned; never a child */
  GstElement *convert; /* in reader; decodebin's video pad links to it */
  GstElement *sink;    /* in reader: the appsink */

  gint running;   /* atomic: between READY->PAUSED and PAUSED->READY */
  gint has_video; /* atomic: decodebin exposed a video stream */
  gint failed;    /* atomic: an error was already posted */
};

G_DEFINE_TYPE (SlFileSource, sl_file_source, GST_TYPE_BIN)

static void
post_error_once (SlFileSource *self, GQuark domain, gint code, gchar *text,
                 gchar *debug)
{
  if (g_atomic_int_compare_and_exchange (&self->failed, 0, 1))
    gst_element_message_full (GST_ELEMENT (self), GST_MESSAGE_ERROR, domain,
                              code, text, debug, __FILE__, GST_FUNCTION,
                              __LINE__);
  else
    {
      g_free (text);
      g_free (debug);
    }
}

static GstBusSyncReply
on_reader_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  SlFileSource *self = user_data;
  g_autoptr (GError) error = NULL;
  gchar *debug = NULL;

  /* Nobody watches the reader's bus: every message is handled here and
   * dropped, or the bus would grow without bound. */
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    {
      gst_message_parse_error (message, &error, &debug);
      post_error_once (
          self, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
          g_strdup_printf ("Cannot play %s: %s", self->path, error->message),
          debug);
    }
  else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_WARNING)
    {
      gst_message_parse_warning (message, &error, &debug);
      GST_WARNING_OBJECT (self, "%s: %s", self->path, error->message);
      g_free (debug);
    }
  return GST_BUS_DROP;
}

static GstFlowReturn
on_new_sample (GstAppSink *sink, gpointer user_data)
{
  SlFileSource *self = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buffer;

  if (sample == NULL)
    return GST_FLOW_OK;
  /* A new buffer header over the same memory: the appsrc stamps it with
   * the engine pipeline's running time (do-timestamp), which needs the
   * file's timestamps cleared. */
  buffer = gst_buffer_copy (gst_sample_get_buffer (sample));
  gst_sample_unref (sample);
  GST_BUFFER_PTS (buffer) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION (buffer) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_OFFSET (buffer) = GST_BUFFER_OFFSET_NONE;
  GST_BUFFER_OFFSET_END (buffer) = GST_BUFFER_OFFSET_NONE;
  /* Flushing while the engine is paused or stopping is expected: the frame
   * is simply not shown. */
  gst_app_src_push_buffer (GST_APP_SRC (self->appsrc), buffer);
  return GST_FLOW_OK;
}

static void
loop_to_start (GstElement *reader, gpointer user_data)
{
  SlFileSource *self = user_data;

  if (!g_atomic_int_get (&self->running))
    return;
  GST_DEBUG_OBJECT (self, "end of %s, looping", self->path);
  if (!gst_element_seek_simple (reader, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH, 0)
      && g_atomic_int_get (&self->running))
    post_error_once (
        self, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        g_strdup_printf ("Cannot loop %s: it cannot seek back to its start",
                         self->path),
        NULL);
}

static void
on_eos (GstAppSink *sink, gpointer user_data)
{
  SlFileSource *self = user_data;

  if (g_atomic_int_get (&self->running))
    gst_element_call_async (self->reader, loop_to_start, gst_object_ref (self),
                            gst_object_unref);
}

/* Stops decodebin at encoded audio, subtitles and the like: only video is
 * decoded. */
static gboolean
on_autoplug_continue (GstElement *decodebin, GstPad *pad, GstCaps *caps,
                      gpointer user_data)
{
  const gchar *name = gst_structure_get_name (gst_caps_get_structure (caps, 0));

  return !g_str_has_prefix (name, "audio/") && !g_str_has_prefix (name, "text/")
         && !g_str_has_prefix (name, "subpicture/")
         && !g_str_has_prefix (name, "application/x-subtitle");
}

static void
on_pad_added (GstElement *decodebin, GstPad *pad, gpointer user_data)
{
  SlFileSource *self = user_data;
  g_autoptr (GstCaps) caps = gst_pad_query_caps (pad, NULL);
  GstPad *sink;

  if (caps == NULL || gst_caps_is_empty (caps)
      || !g_str_has_prefix (
          gst_structure_get_name (gst_caps_get_structure (caps, 0)),
          "video/x-raw")
      || g_atomic_int_get (&self->has_video))
    return;
  sink = gst_element_get_static_pad (self->convert, "sink");
  if (gst_pad_link (pad, sink) == GST_PAD_LINK_OK)
    g_atomic_int_set (&self->has_video, 1);
  gst_object_unref (sink);
}

static void
on_no_more_pads (GstElement *decodebin, gpointer user_data)
{
  SlFileSource *self = user_data;

  if (!g_atomic_int_get (&self->has_video))
    post_error_once (
        self, GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE,
        g_strdup_printf ("Cannot play %s: it has no video stream", self->path),
        NULL);
}

static GstStateChangeReturn
sl_file_source_change_state (GstElement *element, GstStateChange transition)
{
  SlFileSource *self = SL_FILE_SOURCE (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED)
    gst_element_set_state (self->reader, GST_STATE_PAUSED);
  else if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    {
      g_atomic_int_set (&self->running, 0);
      gst_element_set_state (self->reader, GST_STATE_NULL);
    }
  ret = GST_ELEMENT_CLASS (sl_file_source_parent_class)
            ->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    {
      g_atomic_int_set (&self->running, 1);
      g_atomic_int_set (&self->failed, 0);
      g_atomic_int_set (&self->has_video, 0);
      if (gst_element_set_state (self->reader, GST_STATE_PAUSED)
          == GST_STATE_CHANGE_FAILURE)
        return GST_STATE_CHANGE_FAILURE;
    }
  else if (transition == GST_STATE_CHANGE_PAUSED_TO_PLAYING)
    {
      if (gst_element_set_state (self->reader, GST_STATE_PLAYING)
          == GST_STATE_CHANGE_FAILURE)
        return GST_STATE_CHANGE_FAILURE;
    }
  return ret;
}

static void
sl_file_source_dispose (GObject *object)
{
  SlFileSource *self = SL_FILE_SOURCE (object);

  if (self->reader != NULL)
    {
      g_atomic_int_set (&self->running, 0);
      gst_element_set_state (self->reader, GST_STATE_NULL);
      gst_clear_object (&self->reader);
    }
  G_OBJECT_CLASS (sl_file_source_parent_class)->dispose (object);
}

static void
sl_file_source_finalize (GObject *object)
{
  SlFileSource *self = SL_FILE_SOURCE (object);

  g_free (self->path);
  G_OBJECT_CLASS (sl_file_source_parent_class)->finalize (object);
}

static void
sl_file_source_class_init (SlFileSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (sl_file_source_debug, "sl-probe-file", 0,
                           "sonolink file: probe backend");
  object_class->dispose = sl_file_source_dispose;
  object_class->finalize = sl_file_source_finalize;
  element_class->change_state = sl_file_source_change_state;
}

static void
sl_file_source_init (SlFileSource *self)
{
}

static gboolean
check_file (const gchar *path, GError **error)
{
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SOURCE,
                   "file:%s: no such file", path);
      return FALSE;
    }
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SOURCE,
                   "file:%s: is a directory, not a video file", path);
      return FALSE;
    }
  if (g_access (path, R_OK) != 0)
    {
      int saved = errno;

      g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SOURCE,
                   "file:%s: cannot read it: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* The reader pipeline; FALSE with @error naming a missing element.
 * @fps: 0 to play the file at its own frame rate, else frames dropped
 * or repeated (videorate) to make that rate. */
static gboolean
build_reader (SlFileSource *self, GstCaps *caps, guint fps, GError **error)
{
  static const gchar *factories[]
      = { "filesrc",    "decodebin", "videoconvert", "videoscale",
          "capsfilter", "appsink",   "videorate" };
  guint n = fps > 0 ? G_N_ELEMENTS (factories) : G_N_ELEMENTS (factories) - 1;
  GstElement *e[G_N_ELEMENTS (factories)];
  GstAppSinkCallbacks callbacks = { 0 };
  g_autoptr (GstBus) bus = NULL;
  gboolean linked;
  guint i;

  for (i = 0; i < n; i++)
    if ((e[i] = gst_element_factory_make (factories[i], NULL)) == NULL)
      {
        g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SOURCE,
                     "file:%s: GStreamer element \"%s\" is missing", self->path,
                     factories[i]);
        while (i-- > 0)
          gst_object_unref (gst_object_ref_sink (e[i]));
        return FALSE;
      }
  self->reader = gst_object_ref_sink (gst_pipeline_new ("sl-file-reader"));
  for (i = 0; i < n; i++)
    gst_bin_add (GST_BIN (self->reader), e[i]);
  self->convert = e[2];
  self->sink = e[5];
  g_object_set (e[0], "location", self->path, NULL);
  g_object_set (e[3], "add-borders", TRUE, NULL);
  g_object_set (e[4], "caps", caps, NULL);
  /* sync: the reader plays the file at its own pace. */
  g_object_set (e[5], "sync", TRUE, "max-buffers", 2, "drop", TRUE, NULL);
  if (fps > 0)
    linked = gst_element_link_many (e[2], e[3], e[6], e[4], e[5], NULL);
  else
    linked = gst_element_link_many (e[2], e[3], e[4], e[5], NULL);
  if (!gst_element_link (e[0], e[1]) || !linked)
    {
      g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SOURCE,
                   "file:%s: cannot link the decoding pipeline", self->path);
      return FALSE;
    }
  g_signal_connect (e[1], "autoplug-continue",
                    G_CALLBACK (on_autoplug_continue), self);
  g_signal_connect (e[1], "pad-added", G_CALLBACK (on_pad_added), self);
  g_signal_connect (e[1], "no-more-pads", G_CALLBACK (on_no_more_pads), self);
  callbacks.eos = on_eos;
  callbacks.new_sample = on_new_sample;
  gst_app_sink_set_callbacks (GST_APP_SINK (e[5]), &callbacks, self, NULL);
  bus = gst_pipeline_get_bus (GST_PIPELINE (self->reader));
  gst_bus_set_sync_handler (bus, on_reader_message, self, NULL);
  return TRUE;
}

static gboolean
build_appsrc (SlFileSource *self, GstCaps *caps, GError **error)
{
  GstVideoInfo info;

  self->appsrc = gst_element_factory_make ("appsrc", NULL);
  if (self->appsrc == NULL)
    {
      g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SOURCE,
                   "file:%s: GStreamer element \"appsrc\" is missing",
                   self->path);
      return FALSE;
    }
  gst_video_info_from_caps (&info, caps);
  g_object_set (self->appsrc, "caps", caps, "is-live", TRUE, "format",
                GST_FORMAT_TIME, "do-timestamp", TRUE, "block", FALSE,
                "max-bytes", (guint64)(QUEUED_FRAMES * info.size), "leaky-type",
                GST_APP_LEAKY_TYPE_DOWNSTREAM, NULL);
  gst_bin_add (GST_BIN (self), self->appsrc);
  return sl_probe_ghost_src (GST_BIN (self), self->appsrc);
}

/* The frame rate the reader gives the file at, read from its first
 * picture (the reader prerolled once, then stopped); FALSE when the file
 * does not say (a variable rate, a still image) or does not play: the
 * latter is reported when the engine starts the source, as before. */
static gboolean
clip_frame_rate (SlFileSource *self, gint *num, gint *den)
{
  g_autoptr (GstSample) preroll = NULL;
  GstStructure *s;
  gboolean known = FALSE;

  if (gst_element_set_state (self->reader, GST_STATE_PAUSED)
          != GST_STATE_CHANGE_FAILURE
      && gst_element_get_state (self->reader, NULL, NULL, 10 * GST_SECOND)
             == GST_STATE_CHANGE_SUCCESS
      && (preroll
          = gst_app_sink_try_pull_preroll (GST_APP_SINK (self->sink), 0))
             != NULL
      && gst_sample_get_caps (preroll) != NULL)
    {
      s = gst_caps_get_structure (gst_sample_get_caps (preroll), 0);
      known = gst_structure_get_fraction (s, "framerate", num, den) && *num > 0
              && *den > 0;
    }
  gst_element_set_state (self->reader, GST_STATE_NULL);
  return known;
}

GstElement *
sl_file_source_new (const gchar *path, guint width, guint height, guint fps,
                    guint *fps_out, GError **error)
{
  g_autoptr (GstCaps) reader_caps = sl_probe_make_caps (width, height, fps);
  g_autoptr (GstCaps) caps = NULL;
  SlFileSource *self;
  gint num = fps > 0 ? (gint)fps : SL_PROBE_DEFAULT_FPS, den = 1;

  if (!check_file (path, error))
    return NULL;
  self = g_object_new (SL_TYPE_FILE_SOURCE, NULL);
  self->path = g_strdup (path);
  if (build_reader (self, reader_caps, fps, error) && fps == 0
      && !clip_frame_rate (self, &num, &den))
    {
      num = SL_PROBE_DEFAULT_FPS;
      den = 1;
      GST_INFO_OBJECT (self, "%s does not say its frame rate: %d fps assumed",
                       path, num);
    }
  caps = sl_probe_make_caps (width, height, 0);
  gst_caps_set_simple (caps, "framerate", GST_TYPE_FRACTION, num, den, NULL);
  if (self->reader == NULL || !build_appsrc (self, caps, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, SL_PROBE_ERROR, SL_PROBE_ERROR_SOURCE,
                     "file:%s: cannot build the source", path);
      gst_object_unref (gst_object_ref_sink (self));
      return NULL;
    }
  GST_DEBUG_OBJECT (self, "looping %s at %ux%u, %d/%d fps", path, width, height,
                    num, den);
  if (fps_out != NULL)
    *fps_out = (guint)((num + den / 2) / den);
  return GST_ELEMENT (self);
}
