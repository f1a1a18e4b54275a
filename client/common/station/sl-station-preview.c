/* sl-station-preview.c — the township's own picture, with the expert's
 * marks over it.
 *
 * The sonographer at the bedside looks at the probe picture while the
 * expert draws on it; the marks must appear over that same picture.  The
 * preview is one more target of the capture (sl-capture.h), beside the
 * sessions' encoders: a pipeline of its own,
 *
 *   appsrc ! queue(leaky, 1) ! videoconvert ! identity ! videoconvert ! sink
 *
 * whose identity carries the probe that blends the township's guidance
 * state, drawn by the one renderer, into each picture
 * (sl_station_guide_wrap_sink).  It shows each picture the moment it is
 * captured (no clock wait) and drops what it cannot keep up with, so it
 * never holds the capture back.  A preview that fails (no display, a bad
 * gst: sink) is reported and closed; the consultation goes on without it.
 * A display that refuses at the start is tried a few more times.
 * Control thread only.
 */
#include "sl-station-private.h"

#include <gst/app/gstappsrc.h>

struct _SlStationPreview
{
  GstElement *pipeline;
  GstAppSrc *src; /* owned */
  guint bus_watch;
};

static void
preview_close (SlStation *st)
{
  SlStationPreview *p = st->preview;

  if (p == NULL)
    return;
  st->preview = NULL;
  if (st->capture != NULL)
    sl_capture_remove_target (st->capture, SL_CAPTURE_VIDEO, p->src);
  g_clear_handle_id (&p->bus_watch, g_source_remove);
  gst_element_set_state (p->pipeline, GST_STATE_NULL);
  gst_object_unref (p->src);
  gst_object_unref (p->pipeline);
  g_free (p);
}

static gboolean
on_preview_bus (GstBus *bus, GstMessage *message, gpointer user_data)
{
  SlStation *st = user_data;
  g_autoptr (GError) error = NULL;

  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_ERROR)
    return G_SOURCE_CONTINUE;
  gst_message_parse_error (message, &error, NULL);
  g_printerr ("%s: the preview window failed (%s); going on without it\n",
              st->name, error->message);
  st->preview->bus_watch = 0;
  preview_close (st);
  return G_SOURCE_REMOVE;
}

static GstElement *
make_element (const gchar *factory, const gchar *name, GError **error)
{
  return sl_media_make_element (factory, name, error);
}

/* Builds the pipeline around @sink (floating); FALSE with @error. */
static gboolean
build (SlStation *st, SlStationPreview *p, GstElement *sink, GError **error)
{
  GstElement *src, *queue, *convert;

  p->pipeline = gst_pipeline_new ("preview");
  sl_media_use_system_clock (p->pipeline);
  src = make_element ("appsrc", "preview-src", error);
  queue = make_element ("queue", "preview-queue", error);
  convert = make_element ("videoconvert", "preview-convert", error);
  if (src == NULL || queue == NULL || convert == NULL)
    {
      g_clear_pointer (&src, gst_object_unref);
      g_clear_pointer (&queue, gst_object_unref);
      g_clear_pointer (&convert, gst_object_unref);
      gst_object_unref (gst_object_ref_sink (sink));
      return FALSE;
    }
  /* Live, stamped on arrival, never blocking the capture thread. */
  g_object_set (src, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp",
                TRUE, "max-buffers", (guint64)2, "leaky-type",
                2 /* downstream */, "block", FALSE, NULL);
  g_object_set (queue, "max-size-buffers", 1, "max-size-bytes", 0,
                "max-size-time", (guint64)0, "leaky", 2, NULL);
  p->src = GST_APP_SRC (gst_object_ref (src));
  gst_bin_add_many (GST_BIN (p->pipeline), src, queue, convert, sink, NULL);
  if (!gst_element_link_many (src, queue, convert, sink, NULL))
    {
      g_set_error (error, SL_MEDIA_ERROR, SL_MEDIA_ERROR_PIPELINE,
                   "could not link the preview to its sink");
      return FALSE;
    }
  return TRUE;
}

/* A display that refuses the window at first is tried again this often,
 * this many times: the X sink's reopening of the display, after
 * autovideosink had probed it, failed ("Could not open display") about
 * once in eight starts on Xvfb, more often under load, and a later try
 * opened it; the cause inside Xlib was not found. */
#define RETRY_MS 500
#define MAX_TRIES 4

static gboolean on_retry (gpointer user_data);

/* One try at opening the preview.  SL_EXIT_USAGE for a --preview that can
 * never work; otherwise SL_EXIT_OK, with st->preview set when it opened
 * and *@retry when it is worth another try. */
static SlExitStatus
try_open (SlStation *st, gboolean *retry)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *desc = NULL;
  g_autoptr (GstBus) bus = NULL;
  SlStationPreview *p;
  GstElement *sink;

  *retry = FALSE;
  sink = sl_sources_make_video_sink (st->opt->preview, &desc, &error);
  if (sink == NULL)
    {
      g_printerr ("%s: --preview: %s\n", st->name, error->message);
      return SL_EXIT_USAGE;
    }
  if (g_str_has_prefix (desc, "none"))
    {
      gst_object_unref (gst_object_ref_sink (sink));
      return SL_EXIT_OK;
    }
  sink = sl_station_guide_wrap_sink (st, sink, desc);
  p = g_new0 (SlStationPreview, 1);
  st->preview = p;
  if (!build (st, p, sink, &error)
      || gst_element_set_state (p->pipeline, GST_STATE_PLAYING)
             == GST_STATE_CHANGE_FAILURE)
    {
      if (error == NULL)
        {
          /* The element that refused posted why (a display that cannot be
           * opened, say). */
          g_autoptr (GstBus) failed = gst_element_get_bus (p->pipeline);
          g_autoptr (GstMessage) msg
              = gst_bus_pop_filtered (failed, GST_MESSAGE_ERROR);

          if (msg != NULL)
            gst_message_parse_error (msg, &error, NULL);
        }
      *retry = error != NULL && error->domain == GST_RESOURCE_ERROR
               && st->preview_tries + 1 < MAX_TRIES;
      g_printerr ("%s: no preview: %s%s\n", st->name,
                  error ? error->message : "it would not start",
                  *retry ? "; trying again" : "");
      if (p->src == NULL)
        {
          g_clear_pointer (&p->pipeline, gst_object_unref);
          g_free (p);
          st->preview = NULL;
        }
      else
        preview_close (st);
      return SL_EXIT_OK;
    }
  bus = gst_element_get_bus (p->pipeline);
  p->bus_watch = gst_bus_add_watch (bus, on_preview_bus, st);
  sl_capture_add_target (st->capture, SL_CAPTURE_VIDEO, p->src);
  sl_station_log (st, "preview to %s", desc);
  return SL_EXIT_OK;
}

/* Tries to open the preview, and schedules the next try if this one is
 * worth repeating. */
static SlExitStatus
open_or_retry (SlStation *st)
{
  gboolean retry;
  SlExitStatus status = try_open (st, &retry);

  st->preview_tries++;
  if (retry)
    st->preview_retry = g_timeout_add (RETRY_MS, on_retry, st);
  return status;
}

static gboolean
on_retry (gpointer user_data)
{
  SlStation *st = user_data;

  st->preview_retry = 0;
  open_or_retry (st);
  return G_SOURCE_REMOVE;
}

SlExitStatus
sl_station_preview_start (SlStation *st)
{
  if (st->opt->kind != SL_STATION_TOWNSHIP || st->capture == NULL)
    return SL_EXIT_OK;
  st->preview_tries = 0;
  return open_or_retry (st);
}

void
sl_station_preview_stop (SlStation *st)
{
  g_clear_handle_id (&st->preview_retry, g_source_remove);
  preview_close (st);
}
