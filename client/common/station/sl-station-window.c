/* sl-station-window.c — a station's window: the township's own picture,
 * or the picture an expert or trainee receives, with the marks, the
 * status strip and the station's state over it.
 *
 * The window belongs to the station, not to a session: it opens at start
 * and stays until the station stops, so that a viewer's window says
 * "waiting for the township" before the first session, "link lost" or
 * "picture frozen" while one stalls, and stays when the township leaves
 * instead of vanishing with the session's pipeline.  It is a pipeline of
 * its own,
 *
 *   appsrc ! queue(leaky, 1) ! videoconvert ! identity ! videoconvert ! sink
 *
 * whose identity carries the probe that blends the guidance state and
 * the status (sl_station_guide_wrap_sink) into each picture.  The
 * township's capture feeds it as one more target beside the sessions'
 * encoders (sl-capture.h); a viewer's session hands it each decoded
 * picture (SlSessionConfig.frames_display, sl_station_window_show).  It
 * shows each picture the moment it comes (no clock wait; a --paced
 * viewer's session waits for the clock before handing it over) and
 * drops what it cannot keep up with, so it never holds the source back.
 *
 * A viewer's window is opened again at the size of a picture of another
 * size (the X sinks do not resize their own window).  While no new
 * picture comes, a viewer's window is shown its last one
 * again (or a black one before the first) four times a second, so that
 * the state drawn over it stays current.  A window that fails (no
 * display, a bad gst: sink) is reported and closed; the consultation goes
 * on without it.  A display that refuses at the start is tried a few more
 * times.
 *
 * Threads: control thread, except sl_station_window_show (the session's
 * streaming thread), which pushes under st->sample_lock; closing takes
 * the same lock, so a picture is never pushed into a closed window.
 */
#include "sl-station-private.h"

#include <gst/app/gstappsrc.h>
#if SL_HAVE_X11
#include <X11/Xlib.h>
#endif
#include <gst/video/video.h>
#include <string.h>

/* How often a viewer's window is refreshed while no picture comes, and
 * how long after the last picture it starts. */
#define HOLD_MS 250
/* The black picture a viewer's window shows before the first. */
#define BLANK_WIDTH 1280
#define BLANK_HEIGHT 720

struct _SlStationWindow
{
  GstElement *pipeline;
  GstAppSrc *src; /* owned */
  guint bus_watch;
  guint hold_timer;    /* viewer */
  GstSample *blank;    /* viewer: shown before the first picture */
  guint width, height; /* viewer: the size the window was opened at */
#if SL_HAVE_X11
  /* The expert's X window, once the sink says which (have-window-handle),
   * watched for the mouse leaving it. */
  Display *display;
  Window xid;
  guint pointer_timer;
  gboolean mouse_inside;
#endif
};

/* How often the expert's window asks X where the mouse is. */
#define POINTER_WATCH_MS 100

static void
window_close (SlStation *st)
{
  SlStationWindow *w = st->window;

  if (w == NULL)
    return;
  g_mutex_lock (&st->sample_lock);
  st->window = NULL;
  g_mutex_unlock (&st->sample_lock);
  if (st->capture != NULL && st->opt->kind == SL_STATION_TOWNSHIP)
    sl_capture_remove_target (st->capture, SL_CAPTURE_VIDEO, w->src);
  g_clear_handle_id (&w->bus_watch, g_source_remove);
  g_clear_handle_id (&w->hold_timer, g_source_remove);
#if SL_HAVE_X11
  /* Before the sink destroys its window: no query on a window gone. */
  g_clear_handle_id (&w->pointer_timer, g_source_remove);
  g_clear_pointer (&w->display, XCloseDisplay);
#endif
  gst_element_set_state (w->pipeline, GST_STATE_NULL);
  gst_object_unref (w->src);
  gst_object_unref (w->pipeline);
  g_clear_pointer (&w->blank, gst_sample_unref);
  g_free (w);
}

#if SL_HAVE_X11
/* Whether X has the mouse over the expert's window now. */
static gboolean
mouse_over (SlStationWindow *w)
{
  XWindowAttributes attrs;
  Window root, child;
  int rx, ry, x, y;
  unsigned int mask;

  return XGetWindowAttributes (w->display, w->xid, &attrs)
         && XQueryPointer (w->display, w->xid, &root, &child, &rx, &ry, &x, &y,
                           &mask)
         && x >= 0 && y >= 0 && x < attrs.width && y < attrs.height;
}

/* Ten times a second: the X video sinks report mouse moves over their
 * window and nothing when the mouse leaves it, so the pointer stayed on
 * the township's picture where the mouse crossed the edge, repeated as
 * a resting pointer.  The mouse that left is told to the guidance input
 * as a move off the picture, which hides the pointer at the township. */
static gboolean
on_pointer_watch (gpointer user_data)
{
  SlStation *st = user_data;
  SlStationWindow *w = st->window;
  gboolean inside = mouse_over (w);

  if (w->mouse_inside && !inside)
    sl_station_guide_mouse_left (st);
  w->mouse_inside = inside;
  return G_SOURCE_CONTINUE;
}

/* The sink made its window: an expert's is watched for the mouse
 * leaving it. */
static void
watch_window (SlStation *st, const GstStructure *s)
{
  SlStationWindow *w = st->window;
  guint64 handle = 0;

  if (st->opt->kind != SL_STATION_EXPERT || w->pointer_timer != 0
      || !gst_structure_get_uint64 (s, "window-handle", &handle) || handle == 0)
    return;
  w->display = XOpenDisplay (NULL);
  if (w->display == NULL)
    return;
  w->xid = (Window)handle;
  w->pointer_timer = g_timeout_add (POINTER_WATCH_MS, on_pointer_watch, st);
}
#endif

gboolean
sl_station_window_mouse_away (SlStation *st)
{
#if SL_HAVE_X11
  SlStationWindow *w = st->window;

  return w != NULL && w->display != NULL && !mouse_over (w);
#else
  return FALSE;
#endif
}

static gboolean
on_window_bus (GstBus *bus, GstMessage *message, gpointer user_data)
{
  SlStation *st = user_data;
  g_autoptr (GError) error = NULL;

#if SL_HAVE_X11
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT
      && gst_message_has_name (message, "have-window-handle"))
    watch_window (st, gst_message_get_structure (message));
#endif
  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_ERROR)
    return G_SOURCE_CONTINUE;
  gst_message_parse_error (message, &error, NULL);
  g_printerr ("%s: the window failed (%s); going on without it\n", st->name,
              error->message);
  st->window->bus_watch = 0;
  window_close (st);
  return G_SOURCE_REMOVE;
}

static GstElement *
make_element (const gchar *factory, const gchar *name, GError **error)
{
  return sl_media_make_element (factory, name, error);
}

/* Builds the pipeline around @sink (floating); FALSE with @error. */
static gboolean
build (SlStationWindow *w, GstElement *sink, GError **error)
{
  GstElement *src, *queue, *convert;

  w->pipeline = gst_pipeline_new ("window");
  sl_media_use_system_clock (w->pipeline);
  src = make_element ("appsrc", "window-src", error);
  queue = make_element ("queue", "window-queue", error);
  convert = make_element ("videoconvert", "window-convert", error);
  if (src == NULL || queue == NULL || convert == NULL)
    {
      g_clear_pointer (&src, gst_object_unref);
      g_clear_pointer (&queue, gst_object_unref);
      g_clear_pointer (&convert, gst_object_unref);
      gst_object_unref (gst_object_ref_sink (sink));
      return FALSE;
    }
  /* Live, stamped on arrival, never blocking the thread that pushes. */
  g_object_set (src, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp",
                TRUE, "max-buffers", (guint64)2, "leaky-type",
                2 /* downstream */, "block", FALSE, NULL);
  g_object_set (queue, "max-size-buffers", 1, "max-size-bytes", 0,
                "max-size-time", (guint64)0, "leaky", 2, NULL);
  w->src = GST_APP_SRC (gst_object_ref (src));
  gst_bin_add_many (GST_BIN (w->pipeline), src, queue, convert, sink, NULL);
  if (!gst_element_link_many (src, queue, convert, sink, NULL))
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "could not link the window to its sink");
      return FALSE;
    }
  return TRUE;
}

/* Pushes @sample into the window as a new buffer (the same memory), so
 * that the timestamp appsrc gives it does not touch the session's. */
static void
push (SlStationWindow *w, GstSample *sample)
{
  g_autoptr (GstSample) copy = NULL;
  g_autoptr (GstBuffer) buf = gst_buffer_copy (gst_sample_get_buffer (sample));

  GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
  copy = gst_sample_new (buf, gst_sample_get_caps (sample), NULL, NULL);
  gst_app_src_push_sample (w->src, copy);
}

void
sl_station_window_show (SlStation *st, GstSample *sample)
{
  g_mutex_lock (&st->sample_lock);
  if (st->window != NULL)
    push (st->window, sample);
  g_mutex_unlock (&st->sample_lock);
}

/* A black I420 picture of the last picture's size, or BLANK_* before. */
static GstSample *
make_blank (guint width, guint height)
{
  GstVideoInfo info;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstBuffer) buf = NULL;
  GstVideoFrame frame;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, width, height);
  GST_VIDEO_INFO_FPS_N (&info) = 0;
  GST_VIDEO_INFO_FPS_D (&info) = 1;
  caps = gst_video_info_to_caps (&info);
  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE);
  memset (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0), 16,
          GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0) * height);
  memset (GST_VIDEO_FRAME_PLANE_DATA (&frame, 1), 128,
          GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 1) * ((height + 1) / 2));
  memset (GST_VIDEO_FRAME_PLANE_DATA (&frame, 2), 128,
          GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 2) * ((height + 1) / 2));
  gst_video_frame_unmap (&frame);
  return gst_sample_new (buf, caps, NULL, NULL);
}

/* Viewer, four times a second: the last picture (or a black one) again
 * while none comes, so that the state drawn over it stays current. */
static SlExitStatus open_or_retry (SlStation *st);

/* The size of @sample's picture; FALSE if it has none. */
static gboolean
sample_size (GstSample *sample, guint *width, guint *height)
{
  GstVideoInfo info;

  if (sample == NULL || gst_sample_get_caps (sample) == NULL
      || !gst_video_info_from_caps (&info, gst_sample_get_caps (sample)))
    return FALSE;
  *width = GST_VIDEO_INFO_WIDTH (&info);
  *height = GST_VIDEO_INFO_HEIGHT (&info);
  return TRUE;
}

static gboolean
on_hold (gpointer user_data)
{
  SlStation *st = user_data;
  gint64 last = __atomic_load_n (&st->last_picture_us, __ATOMIC_RELAXED);
  g_autoptr (GstSample) sample = NULL;
  guint width, height;

  g_mutex_lock (&st->sample_lock);
  sample = st->last_sample ? gst_sample_ref (st->last_sample) : NULL;
  g_mutex_unlock (&st->sample_lock);
  /* The X sinks keep the window at the size of the first picture and
   * show a picture of another size cropped or offset, with the mouse's
   * positions off: a picture of a new size gets a window of its size. */
  if (sample_size (sample, &width, &height)
      && (width != st->window->width || height != st->window->height))
    {
      sl_station_window_stop (st);
      st->window_tries = 0;
      open_or_retry (st);
      return G_SOURCE_REMOVE;
    }
  if (last != 0 && sl_media_now_us () - last < HOLD_MS * 1000)
    return G_SOURCE_CONTINUE;
  if (sample == NULL)
    sample = gst_sample_ref (st->window->blank);
  sl_station_window_show (st, sample);
  return G_SOURCE_CONTINUE;
}

/* A display that refuses the window at first is tried again this often,
 * this many times: the X sink's reopening of the display, after
 * autovideosink had probed it, failed ("Could not open display") about
 * once in eight starts on Xvfb, more often under load, and a later try
 * opened it; the cause inside Xlib was not found. */
#define RETRY_MS 500
#define MAX_TRIES 4

static gboolean on_retry (gpointer user_data);

/* One try at opening the window.  SL_EXIT_USAGE for a sink option that
 * can never work; otherwise SL_EXIT_OK, with st->window set when it
 * opened and *@retry when it is worth another try. */
static SlExitStatus
try_open (SlStation *st, gboolean *retry)
{
  const gboolean township = st->opt->kind == SL_STATION_TOWNSHIP;
  const gchar *option = township ? "--preview" : "--sink";
  g_autoptr (GError) error = NULL;
  g_autofree gchar *desc = NULL;
  g_autoptr (GstBus) bus = NULL;
  SlStationWindow *w;
  GstElement *sink;

  *retry = FALSE;
  sink = sl_sources_make_video_sink (
      township ? st->opt->preview : st->opt->sink, &desc, &error);
  if (sink == NULL)
    {
      g_printerr ("%s: %s: %s\n", st->name, option, error->message);
      return SL_EXIT_USAGE;
    }
  if (g_str_has_prefix (desc, "none"))
    {
      gst_object_unref (gst_object_ref_sink (sink));
      return SL_EXIT_OK;
    }
  sink = sl_station_guide_wrap_sink (st, sink, desc);
  w = g_new0 (SlStationWindow, 1);
  if (!build (w, sink, &error)
      || gst_element_set_state (w->pipeline, GST_STATE_PLAYING)
             == GST_STATE_CHANGE_FAILURE)
    {
      if (error == NULL)
        {
          /* The element that refused posted why (a display that cannot be
           * opened, say). */
          g_autoptr (GstBus) failed = gst_element_get_bus (w->pipeline);
          g_autoptr (GstMessage) msg
              = gst_bus_pop_filtered (failed, GST_MESSAGE_ERROR);

          if (msg != NULL)
            gst_message_parse_error (msg, &error, NULL);
        }
      *retry = error != NULL && error->domain == GST_RESOURCE_ERROR
               && st->window_tries + 1 < MAX_TRIES;
      g_printerr ("%s: no window: %s%s\n", st->name,
                  error ? error->message : "it would not start",
                  *retry ? "; trying again" : "");
      if (w->pipeline != NULL)
        gst_element_set_state (w->pipeline, GST_STATE_NULL);
      g_clear_pointer (&w->src, gst_object_unref);
      g_clear_pointer (&w->pipeline, gst_object_unref);
      g_free (w);
      return SL_EXIT_OK;
    }
  bus = gst_element_get_bus (w->pipeline);
  w->bus_watch = gst_bus_add_watch (bus, on_window_bus, st);
  g_mutex_lock (&st->sample_lock);
  st->window = w;
  g_mutex_unlock (&st->sample_lock);
  if (township)
    {
      sl_capture_add_target (st->capture, SL_CAPTURE_VIDEO, w->src);
      sl_station_log (st, "preview to %s", desc);
    }
  else
    {
      g_autoptr (GstSample) last = NULL;

      g_mutex_lock (&st->sample_lock);
      last = st->last_sample ? gst_sample_ref (st->last_sample) : NULL;
      g_mutex_unlock (&st->sample_lock);
      if (!sample_size (last, &w->width, &w->height))
        {
          w->width = BLANK_WIDTH;
          w->height = BLANK_HEIGHT;
        }
      w->blank = make_blank (w->width, w->height);
      w->hold_timer = g_timeout_add (HOLD_MS, on_hold, st);
      on_hold (st);
      if (st->window_opened++ == 0)
        sl_station_log (st, "picture to %s", desc);
      else
        sl_station_log (st, "the window follows the picture to %ux%u", w->width,
                        w->height);
    }
  return SL_EXIT_OK;
}

/* Tries to open the window, and schedules the next try if this one is
 * worth repeating. */
static SlExitStatus
open_or_retry (SlStation *st)
{
  gboolean retry;
  SlExitStatus status = try_open (st, &retry);

  st->window_tries++;
  if (retry)
    st->window_retry = g_timeout_add (RETRY_MS, on_retry, st);
  return status;
}

static gboolean
on_retry (gpointer user_data)
{
  SlStation *st = user_data;

  st->window_retry = 0;
  open_or_retry (st);
  return G_SOURCE_REMOVE;
}

SlExitStatus
sl_station_window_start (SlStation *st)
{
  if (st->opt->kind == SL_STATION_TOWNSHIP && st->capture == NULL)
    return SL_EXIT_OK;
  st->window_tries = 0;
  return open_or_retry (st);
}

void
sl_station_window_stop (SlStation *st)
{
  g_clear_handle_id (&st->window_retry, g_source_remove);
  window_close (st);
}
