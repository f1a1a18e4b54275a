/* sl-keeper-src.c — a probe source that survives its source failing.
 * See sl-keeper-src.h; the decisions are sl-keeper.c's.
 *
 *   reader (private pipeline, rebuilt at will):  SOURCE ! appsink
 *        --(new-sample)-->  this bin: appsrc ! (ghost "src")
 *   keeper thread: timers; pushes "no signal" pictures into the appsrc;
 *        tears the reader down and builds it again
 *
 * The reader's bus is handled synchronously (on whichever thread posts):
 * an error or end of stream is noted in the core and wakes the keeper
 * thread, which alone starts and stops readers, since a streaming thread
 * cannot stop its own pipeline.  Messages from a reader that is no longer
 * the current one (still being torn down) are ignored.
 */
#include "sl-keeper-src.h"
#include "sl-keeper.h"
#include "sl-nosignal.h"
#include "../sl-probe-private.h"

#include <gst/app/app.h>
#include <gst/video/video.h>

GST_DEBUG_CATEGORY_STATIC (sl_keeper_debug);
#define GST_CAT_DEFAULT sl_keeper_debug

/* Frames the appsrc may hold before it drops the oldest. */
#define QUEUED_FRAMES 3

struct _SlKeeperSrc
{
  GstBin parent;

  GstElement *appsrc; /* our child */
  SlKeeperMake make;
  gpointer make_data;
  GDestroyNotify destroy;
  GstCaps *default_caps; /* the no-signal picture's until the source says */

  /* Guards everything down to "thread"; held for short moves only, never
   * across a state change or a push. */
  GMutex lock;
  GCond wake;
  SlKeeper core;
  GstElement *first;  /* the first source, until used; owned */
  GstElement *reader; /* the current private pipeline, owned, or NULL */
  GstBus *reader_bus; /* its bus, for comparison only (not a reference) */
  GstCaps *caps;      /* the real source's latest caps, or NULL */
  gboolean running;
  GThread *thread;

  /* The keeper thread's alone: the last no-signal picture, reused while
   * its clock shows the same second. */
  GstBuffer *nosignal;
  GstCaps *nosignal_caps;
  guint nosignal_seconds;
};

G_DEFINE_TYPE (SlKeeperSrc, sl_keeper_src, GST_TYPE_BIN)

static void
post_signal (SlKeeperSrc *self, gboolean lost, const gchar *reason)
{
  GstStructure *s = gst_structure_new (SL_KEEPER_SIGNAL_MESSAGE, "lost",
                                       G_TYPE_BOOLEAN, lost, NULL);

  if (reason != NULL)
    gst_structure_set (s, "reason", G_TYPE_STRING, reason, NULL);
  if (lost)
    GST_WARNING_OBJECT (self, "probe lost: %s", reason);
  else
    GST_INFO_OBJECT (self, "probe back");
  gst_element_post_message (GST_ELEMENT (self),
                            gst_message_new_element (GST_OBJECT (self), s));
}

gboolean
sl_keeper_parse_message (GstMessage *message, gboolean *lost,
                         const gchar **reason)
{
  const GstStructure *s;

  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_ELEMENT
      || (s = gst_message_get_structure (message)) == NULL
      || !gst_structure_has_name (s, SL_KEEPER_SIGNAL_MESSAGE)
      || !gst_structure_get_boolean (s, "lost", lost))
    return FALSE;
  if (reason != NULL)
    *reason = gst_structure_get_string (s, "reason");
  return TRUE;
}

/* The source failed (any thread, lock not held). */
static void
source_failed (SlKeeperSrc *self, const gchar *reason)
{
  gboolean announce;

  g_mutex_lock (&self->lock);
  announce = sl_keeper_fail (&self->core, g_get_monotonic_time ());
  g_cond_signal (&self->wake);
  g_mutex_unlock (&self->lock);
  if (announce)
    post_signal (self, TRUE, reason);
  else
    GST_DEBUG_OBJECT (self, "retry failed: %s", reason);
}

static GstBusSyncReply
on_reader_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  SlKeeperSrc *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *debug = NULL;
  gboolean current;

  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_ERROR
      && GST_MESSAGE_TYPE (message) != GST_MESSAGE_EOS)
    return GST_BUS_DROP;
  g_mutex_lock (&self->lock);
  current = bus == self->reader_bus;
  g_mutex_unlock (&self->lock);
  if (!current)
    return GST_BUS_DROP;
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS)
    {
      source_failed (self, "the source ended its stream");
      return GST_BUS_DROP;
    }
  gst_message_parse_error (message, &error, &debug);
  GST_DEBUG_OBJECT (self, "reader error from %s: %s (%s)",
                    GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), error->message,
                    debug ? debug : "");
  source_failed (self, error->message);
  return GST_BUS_DROP;
}

static GstFlowReturn
on_reader_sample (GstAppSink *sink, gpointer user_data)
{
  SlKeeperSrc *self = user_data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);
  GstCaps *caps;
  gboolean current, back = FALSE;

  if (sample == NULL)
    return GST_FLOW_EOS;
  caps = gst_sample_get_caps (sample);
  g_mutex_lock (&self->lock);
  current = self->reader != NULL
            && GST_OBJECT_PARENT (sink) == GST_OBJECT (self->reader);
  if (current)
    {
      back = sl_keeper_frame (&self->core, g_get_monotonic_time ());
      if (caps != NULL
          && (self->caps == NULL || !gst_caps_is_equal (caps, self->caps)))
        gst_caps_replace (&self->caps, caps);
    }
  g_mutex_unlock (&self->lock);
  if (!current)
    return GST_FLOW_OK;
  if (back)
    post_signal (self, FALSE, NULL);
  gst_app_src_push_sample (GST_APP_SRC (self->appsrc), sample);
  return GST_FLOW_OK;
}

/* Builds a reader around @source (transfer floating), makes it current
 * and starts it.  Keeper thread, lock not held.  A failure to start is
 * reported like any failure of the source. */
static void
start_reader (SlKeeperSrc *self, GstElement *source)
{
  GstAppSinkCallbacks callbacks = { .new_sample = on_reader_sample };
  GstElement *pipeline = gst_pipeline_new ("sl-keeper-reader");
  GstElement *sink = gst_element_factory_make ("appsink", NULL);
  g_autoptr (GstBus) bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));

  if (sink == NULL)
    {
      gst_object_unref (gst_object_ref_sink (source));
      gst_object_unref (pipeline);
      source_failed (self, "GStreamer element \"appsink\" is missing");
      return;
    }
  /* sync=false: the source paces itself, as in the engine's capture. */
  g_object_set (sink, "sync", FALSE, "max-buffers", 1, "drop", TRUE,
                "enable-last-sample", FALSE, NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, self, NULL);
  gst_bin_add_many (GST_BIN (pipeline), source, sink, NULL);
  gst_bus_set_sync_handler (bus, on_reader_message, self, NULL);
  g_mutex_lock (&self->lock);
  self->reader = pipeline;
  self->reader_bus = bus;
  sl_keeper_restarted (&self->core, g_get_monotonic_time ());
  g_mutex_unlock (&self->lock);
  if (!gst_element_link (source, sink))
    source_failed (self, "the source does not produce raw video");
  else if (gst_element_set_state (pipeline, GST_STATE_PLAYING)
           == GST_STATE_CHANGE_FAILURE)
    /* Its error, if it posted one, was reported first with the reason. */
    source_failed (self, "the source could not start");
}

/* Stops and drops the current reader, if any.  Lock not held. */
static void
stop_reader (SlKeeperSrc *self)
{
  GstElement *reader;

  g_mutex_lock (&self->lock);
  reader = self->reader;
  self->reader = NULL;
  self->reader_bus = NULL;
  g_mutex_unlock (&self->lock);
  if (reader == NULL)
    return;
  gst_element_set_state (reader, GST_STATE_NULL);
  gst_object_unref (reader);
}

static void
rebuild (SlKeeperSrc *self)
{
  g_autoptr (GError) error = NULL;
  GstElement *source;

  stop_reader (self);
  g_mutex_lock (&self->lock);
  source = g_steal_pointer (&self->first);
  g_mutex_unlock (&self->lock);
  if (source == NULL)
    source = self->make (self->make_data, &error);
  if (source == NULL)
    {
      g_mutex_lock (&self->lock);
      sl_keeper_restarted (&self->core, g_get_monotonic_time ());
      g_mutex_unlock (&self->lock);
      source_failed (self, error ? error->message : "cannot build the source");
      return;
    }
  start_reader (self, source);
}

static void
push_nosignal (SlKeeperSrc *self, GstCaps *caps, guint seconds)
{
  g_autoptr (GstSample) sample = NULL;
  g_autoptr (GstBuffer) copy = NULL;
  GstVideoInfo info;

  if (self->nosignal == NULL || seconds != self->nosignal_seconds
      || !gst_caps_is_equal (caps, self->nosignal_caps))
    {
      GstVideoFrame frame;
      GstBuffer *buffer;
      guint8 *planes[3];
      gint strides[3];

      if (!gst_video_info_from_caps (&info, caps)
          || GST_VIDEO_INFO_FORMAT (&info) != GST_VIDEO_FORMAT_I420)
        return;
      buffer = gst_buffer_new_allocate (NULL, info.size, NULL);
      if (!gst_video_frame_map (&frame, &info, buffer, GST_MAP_WRITE))
        {
          gst_buffer_unref (buffer);
          return;
        }
      for (guint i = 0; i < 3; i++)
        {
          planes[i] = GST_VIDEO_FRAME_PLANE_DATA (&frame, i);
          strides[i] = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, i);
        }
      sl_nosignal_draw (planes, strides, (guint)info.width, (guint)info.height,
                        seconds);
      gst_video_frame_unmap (&frame);
      gst_buffer_replace (&self->nosignal, buffer);
      gst_buffer_unref (buffer);
      gst_caps_replace (&self->nosignal_caps, caps);
      self->nosignal_seconds = seconds;
    }
  /* A new header over the same memory: the appsrc stamps it. */
  copy = gst_buffer_copy (self->nosignal);
  sample = gst_sample_new (copy, caps, NULL, NULL);
  gst_app_src_push_sample (GST_APP_SRC (self->appsrc), sample);
}

static gpointer
keeper_thread (gpointer data)
{
  SlKeeperSrc *self = data;

  rebuild (self);
  g_mutex_lock (&self->lock);
  while (self->running)
    {
      gint64 now = g_get_monotonic_time (), wake = now;
      guint actions = sl_keeper_tick (&self->core, now, &wake);
      g_autofree gchar *why = NULL;
      g_autoptr (GstCaps) caps = NULL;
      guint seconds = sl_keeper_lost_seconds (&self->core, now);

      if (actions == SL_KEEPER_DO_NOTHING)
        {
          g_cond_wait_until (&self->wake, &self->lock, wake);
          continue;
        }
      if (actions & SL_KEEPER_DO_ANNOUNCE_LOST)
        why = self->core.last_frame_us == 0
                  ? g_strdup_printf ("no picture %d s after the source "
                                     "started",
                                     (int)(SL_KEEPER_START_US / G_USEC_PER_SEC))
                  : g_strdup_printf (
                      "no picture for %d s",
                      (int)(SL_KEEPER_STALL_US / G_USEC_PER_SEC));
      caps = gst_caps_ref (self->caps ? self->caps : self->default_caps);
      g_mutex_unlock (&self->lock);
      if (why != NULL)
        post_signal (self, TRUE, why);
      if (actions & SL_KEEPER_DO_NOSIGNAL)
        push_nosignal (self, caps, seconds);
      if (actions & SL_KEEPER_DO_RESTART)
        rebuild (self);
      g_mutex_lock (&self->lock);
    }
  g_mutex_unlock (&self->lock);
  stop_reader (self);
  return NULL;
}

static void
start_keeping (SlKeeperSrc *self)
{
  g_mutex_lock (&self->lock);
  sl_keeper_init (&self->core, g_get_monotonic_time ());
  self->running = TRUE;
  g_mutex_unlock (&self->lock);
  self->thread = g_thread_new ("sl-keeper", keeper_thread, self);
}

static void
stop_keeping (SlKeeperSrc *self)
{
  if (self->thread == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->running = FALSE;
  g_cond_signal (&self->wake);
  g_mutex_unlock (&self->lock);
  g_thread_join (g_steal_pointer (&self->thread));
}

static GstStateChangeReturn
sl_keeper_src_change_state (GstElement *element, GstStateChange transition)
{
  SlKeeperSrc *self = SL_KEEPER_SRC (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    stop_keeping (self);
  ret = GST_ELEMENT_CLASS (sl_keeper_src_parent_class)
            ->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED
      && ret != GST_STATE_CHANGE_FAILURE)
    start_keeping (self);
  return ret;
}

static void
sl_keeper_src_finalize (GObject *object)
{
  SlKeeperSrc *self = SL_KEEPER_SRC (object);

  stop_keeping (self);
  stop_reader (self);
  if (self->first != NULL)
    gst_object_unref (self->first);
  if (self->destroy != NULL)
    self->destroy (self->make_data);
  gst_clear_caps (&self->default_caps);
  gst_clear_caps (&self->caps);
  gst_clear_caps (&self->nosignal_caps);
  gst_clear_buffer (&self->nosignal);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->wake);
  G_OBJECT_CLASS (sl_keeper_src_parent_class)->finalize (object);
}

static void
sl_keeper_src_class_init (SlKeeperSrcClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sl_keeper_src_finalize;
  GST_ELEMENT_CLASS (klass)->change_state = sl_keeper_src_change_state;
  GST_DEBUG_CATEGORY_INIT (sl_keeper_debug, "sl-keeper", 0,
                           "sonolink probe keeper");
}

static void
sl_keeper_src_init (SlKeeperSrc *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->wake);
}

GstElement *
sl_keeper_src_new (GstElement *first, SlKeeperMake make, gpointer data,
                   GDestroyNotify destroy, guint width, guint height, guint fps)
{
  SlKeeperSrc *self = g_object_new (SL_TYPE_KEEPER_SRC, NULL);

  self->first = gst_object_ref_sink (first);
  self->make = make;
  self->make_data = data;
  self->destroy = destroy;
  self->default_caps = sl_probe_make_caps (width, height, fps);
  self->appsrc = gst_element_factory_make ("appsrc", NULL);
  if (self->appsrc == NULL)
    {
      gst_object_unref (gst_object_ref_sink (self));
      return NULL;
    }
  g_object_set (self->appsrc, "is-live", TRUE, "format", GST_FORMAT_TIME,
                "do-timestamp", TRUE, "block", FALSE, "max-buffers",
                (guint64)QUEUED_FRAMES, "leaky-type",
                GST_APP_LEAKY_TYPE_DOWNSTREAM, NULL);
  gst_bin_add (GST_BIN (self), self->appsrc);
  if (!sl_probe_ghost_src (GST_BIN (self), self->appsrc))
    {
      gst_object_unref (gst_object_ref_sink (self));
      return NULL;
    }
  return GST_ELEMENT (self);
}
