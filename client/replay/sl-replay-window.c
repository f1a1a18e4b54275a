/* sl-replay-window.c — see sl-replay-window.h.
 *
 *   filesrc ! matroskademux ─ video_0 ! queue ! h264parse ! avdec_h264 ! [time probe] ! guide-view(autovideosink)
 *                          └─ audio_N ! queue ! opusdec ! audioconvert ! audioresample ! autoaudiosink
 *
 * The time probe notes each picture's time just before the view's
 * overlay draws on it, so the marks drawn are those of that picture.
 * Keys arrive on the sink's event thread and are handed to the control
 * thread, which seeks, pauses and steps.  A note typed after `n` is read
 * from the terminal on the control thread.
 *
 * Threading: `lock` guards the timeline, which the draw function reads
 * on the display's streaming thread while the control thread adds notes.
 */
#include "sl-replay-window.h"
#include "sl-replay-decode.h"
#include "sl-guide-view.h"

#include <stdio.h>
#include <unistd.h>

#define SEEK_STEP_MS 5000
/* matroskademux, with no Cues to go by, lands a seek up to about a
 * cluster (1 s) past the time asked in our files: the window asks for
 * this much earlier and drops what comes before (see seek_to). */
#define SEEK_MARGIN_MS 2500
#define SEEK_LONG_MS 30000

typedef struct
{
  SlReplayFile *file;
  const SlReplayWindowOptions *opt;
  GMainLoop *loop;
  GstElement *pipeline, *video_in;
  GError *error;
  GMutex lock; /* guards file->timeline, shown_ms, key_ms, keep_ms, pending */
  gint64 shown_ms;
  gint64 key_ms;         /* access units before it are not decoded */
  gint64 keep_ms;        /* pictures and voices before it are not played */
  gboolean pending;      /* the picture of keep_ms has not been shown yet */
  GPtrArray *demux_pads; /* GstPad *, owned (control thread) */
  GstPad *demux_sink;    /* the demuxer's sink pad, owned */
  gboolean paused;
  gint64 notes_printed_to; /* notes up to this time were printed */
  GIOChannel *stdin_channel;
  guint stdin_watch;
  gint64 note_ms; /* where the note being typed goes; -1: none */
} Window;

/* Streaming thread: what the last seek asked to drop (see seek_to). */
static GstPadProbeReturn
drop_before (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Window *w = user_data;
  gboolean coded = g_object_get_data (G_OBJECT (pad), "sl-coded") != NULL;
  gint64 ms = sl_replay_buffer_ms (GST_PAD_PROBE_INFO_BUFFER (info));
  gint64 limit;

  if (ms < 0)
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&w->lock);
  limit = coded ? w->key_ms : w->keep_ms;
  g_mutex_unlock (&w->lock);
  return ms < limit ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement *demux, GstPad *pad, gpointer user_data)
{
  Window *w = user_data;
  g_autofree gchar *name = gst_pad_get_name (pad);
  g_autoptr (GstPad) sink = NULL;
  GstElement *bin;
  guint track;
  g_autoptr (GError) error = NULL;

  if (g_str_has_prefix (name, "video_"))
    {
      sink = gst_element_get_static_pad (w->video_in, "sink");
      if (gst_pad_is_linked (sink))
        return;
      /* Coded pictures from the keyframe on. */
      g_object_set_data (G_OBJECT (pad), "sl-coded", GINT_TO_POINTER (1));
      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, drop_before, w, NULL);
      g_ptr_array_add (w->demux_pads, gst_object_ref (pad));
      gst_pad_link (pad, sink);
      return;
    }
  if (!g_str_has_prefix (name, "audio_"))
    return;
  track = 2 + (guint)g_ascii_strtoull (name + 6, NULL, 10);
  /* A voice track with no block would hold the pipeline's preroll. */
  if (track > SL_REPLAY_MAX_TRACK || w->file->info.blocks[track] == 0)
    return;
  bin = gst_parse_bin_from_description (
      w->opt->no_audio ? "queue ! fakesink sync=true"
                       : "queue ! opusdec ! audioconvert ! audioresample ! "
                         "autoaudiosink",
      TRUE, &error);
  if (bin == NULL)
    return;
  gst_bin_add (GST_BIN (w->pipeline), bin);
  gst_element_sync_state_with_parent (bin);
  sink = gst_element_get_static_pad (bin, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, drop_before, w, NULL);
  g_ptr_array_add (w->demux_pads, gst_object_ref (pad));
  gst_pad_link (pad, sink);
}

/* Streaming thread: the time of the picture about to be drawn on. */
static GstPadProbeReturn
on_picture (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Window *w = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  if (GST_BUFFER_PTS_IS_VALID (buf))
    {
      gint64 ms = (gint64)(GST_BUFFER_PTS (buf) / GST_MSECOND);

      g_mutex_lock (&w->lock);
      w->shown_ms = ms;
      /* Seeks go to a picture's own time (see seek_to): this is the
       * picture asked for, not one still on its way from before. */
      if (ms == w->keep_ms)
        w->pending = FALSE;
      g_mutex_unlock (&w->lock);
    }
  return GST_PAD_PROBE_OK;
}

/* A line of text on a dark box at (x, y), its height @size. */
static void
draw_text (cairo_t *cr, gdouble x, gdouble y, gdouble size, const gchar *text)
{
  cairo_text_extents_t ext;

  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                          CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size (cr, size);
  cairo_text_extents (cr, text, &ext);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.7);
  cairo_rectangle (cr, x - size * 0.3, y - size * 1.1,
                   ext.x_advance + size * 0.6, size * 1.5);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_move_to (cr, x, y);
  cairo_show_text (cr, text);
}

/* Display's streaming thread: the marks, then the time and the note. */
static void
draw_window (cairo_t *cr, guint width, guint height, gpointer user_data)
{
  Window *w = user_data;
  const SlReplayNote *note;
  gdouble size = MAX (12.0, height / 28.0);
  g_autofree gchar *clock = NULL;

  g_mutex_lock (&w->lock);
  sl_replay_timeline_seek (w->file->timeline, w->shown_ms);
  sl_replay_timeline_render (w->file->timeline, cr, width, height);
  clock = g_strdup_printf ("%.3f / %.3f s%s", w->shown_ms / 1000.0,
                           sl_replay_file_end_ms (w->file) / 1000.0,
                           g_atomic_int_get (&w->paused) ? "   PAUSED" : "");
  draw_text (cr, size * 0.5, height - size * 0.6, size, clock);
  note = sl_replay_timeline_note_at (w->file->timeline, w->shown_ms);
  if (note != NULL)
    {
      g_autofree gchar *text = g_strdup_printf ("note: %s", note->text);

      draw_text (cr, size * 0.5, height - size * 2.4, size, text);
    }
  g_mutex_unlock (&w->lock);
}

static gint64
shown_ms (Window *w)
{
  gint64 ms;

  g_mutex_lock (&w->lock);
  ms = w->shown_ms;
  g_mutex_unlock (&w->lock);
  return ms;
}

/* Where the next step or seek counts from: the picture the last seek
 * asked for until it is shown, then the one shown.  Keys pressed faster
 * than the pictures come (a seek takes a decode from the keyframe on)
 * so add up: N steps go N pictures on, wherever the first had got to. */
static gint64
base_ms (Window *w)
{
  gint64 ms;

  g_mutex_lock (&w->lock);
  ms = w->pending ? w->keep_ms : w->shown_ms;
  g_mutex_unlock (&w->lock);
  return ms;
}

/* Shows the picture at or after @ms next (the last one past the end).
 * The seek goes SEEK_MARGIN_MS before
 * the keyframe at or before @ms; access units before that keyframe are
 * dropped before the decoder, pictures and voices before @ms after it,
 * and the demuxer's pads are offset so that the picture of @ms has the
 * running time the segment's start would have had: playback goes on at
 * once, neither frozen while the dropped time passes nor out of step
 * with the voices.  Called on the control thread; the pads' offsets and
 * the limits are read by the streaming threads after the flush. */
static void
seek_to (Window *w, gint64 ms)
{
  gint64 key, target;

  ms = CLAMP (ms, sl_replay_file_start_ms (w->file),
              sl_replay_file_end_ms (w->file));
  ms = sl_replay_mkv_picture_next (&w->file->info, ms - 1, TRUE);
  key = sl_replay_mkv_keyframe_before (&w->file->info, ms);
  target = MAX (key - SEEK_MARGIN_MS, 0);
  g_mutex_lock (&w->lock);
  w->key_ms = key;
  w->keep_ms = ms;
  w->pending = TRUE;
  g_mutex_unlock (&w->lock);
  /* A pad whose offset changes sends its sticky events again with its
   * next buffer; a caps event that meets a flushing queue fails as
   * not-negotiated, and the demuxer stops with "Internal data stream
   * error" (keys pressed faster than seeks complete did it).  So the
   * demuxer is first flushed, which unblocks a push waiting on a full
   * queue and pauses its loop, and its loop is held (the sink pad's
   * stream lock, which the loop holds for every block it pushes) while
   * the offsets change and the seek flushes again and restarts it. */
  for (guint i = 0; i < w->demux_pads->len; i++)
    gst_pad_push_event (w->demux_pads->pdata[i], gst_event_new_flush_start ());
  GST_PAD_STREAM_LOCK (w->demux_sink);
  for (guint i = 0; i < w->demux_pads->len; i++)
    gst_pad_set_offset (w->demux_pads->pdata[i], -(ms - target) * GST_MSECOND);
  /* To the demuxer itself: the sinks' pads are flushing now, and a seek
   * sent up from them would not get through. */
  gst_element_seek_simple (GST_PAD_PARENT (w->demux_sink), GST_FORMAT_TIME,
                           GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE,
                           target * GST_MSECOND);
  GST_PAD_STREAM_UNLOCK (w->demux_sink);
}

static void
set_paused (Window *w, gboolean paused)
{
  g_atomic_int_set (&w->paused, paused);
  gst_element_set_state (w->pipeline,
                         paused ? GST_STATE_PAUSED : GST_STATE_PLAYING);
}

static gboolean
on_stdin (GIOChannel *channel, GIOCondition cond, gpointer user_data)
{
  Window *w = user_data;
  g_autofree gchar *line = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;

  if (g_io_channel_read_line (channel, &line, &len, NULL, NULL)
          != G_IO_STATUS_NORMAL
      || w->note_ms < 0)
    {
      w->stdin_watch = 0;
      return G_SOURCE_REMOVE;
    }
  g_strstrip (line);
  g_mutex_lock (&w->lock);
  if (*line == '\0')
    printf ("no note added\n");
  else if (!sl_replay_file_add_note (w->file, w->note_ms, line, &error))
    fprintf (stderr, "sonolink-replay: %s\n", error->message);
  else
    printf ("note added at %.3f s\n", w->note_ms / 1000.0);
  g_mutex_unlock (&w->lock);
  fflush (stdout);
  w->note_ms = -1;
  w->stdin_watch = 0;
  return G_SOURCE_REMOVE;
}

static void
ask_note (Window *w)
{
  if (w->stdin_watch != 0)
    return;
  set_paused (w, TRUE);
  w->note_ms = shown_ms (w);
  printf ("note at %.3f s (type it and press Enter): ", w->note_ms / 1000.0);
  fflush (stdout);
  if (w->stdin_channel == NULL)
    w->stdin_channel = g_io_channel_unix_new (STDIN_FILENO);
  w->stdin_watch
      = g_io_add_watch (w->stdin_channel, G_IO_IN | G_IO_HUP, on_stdin, w);
}

/* Control thread: one key. */
static gboolean
on_key (gpointer data)
{
  gpointer *pair = data;
  Window *w = pair[0];
  const gchar *key = pair[1];

  if (g_str_equal (key, "space"))
    set_paused (w, !g_atomic_int_get (&w->paused));
  else if (g_str_equal (key, "Right"))
    seek_to (w, base_ms (w) + SEEK_STEP_MS);
  else if (g_str_equal (key, "Left"))
    seek_to (w, base_ms (w) - SEEK_STEP_MS);
  else if (g_str_equal (key, "Up"))
    seek_to (w, base_ms (w) + SEEK_LONG_MS);
  else if (g_str_equal (key, "Down"))
    seek_to (w, base_ms (w) - SEEK_LONG_MS);
  else if (g_str_equal (key, "Home"))
    seek_to (w, sl_replay_file_start_ms (w->file));
  else if (g_str_equal (key, "period") || g_str_equal (key, "comma"))
    {
      /* The picture after (before) the one shown or asked for. */
      gint64 to = sl_replay_mkv_picture_next (&w->file->info, base_ms (w),
                                              g_str_equal (key, "period"));

      set_paused (w, TRUE);
      if (to >= 0)
        seek_to (w, to);
    }
  else if (g_str_equal (key, "n"))
    ask_note (w);
  else if (g_str_equal (key, "q") || g_str_equal (key, "Escape"))
    g_main_loop_quit (w->loop);
  g_free (pair[1]);
  g_free (pair);
  return G_SOURCE_REMOVE;
}

/* The sink's event thread: hands key presses to the control thread. */
static void
on_input (const SlGuideInputEvent *event, gpointer user_data)
{
  gpointer *pair;

  if (event->type != SL_GUIDE_INPUT_KEY_PRESS)
    return;
  pair = g_new (gpointer, 2);
  pair[0] = user_data;
  pair[1] = g_strdup (event->key);
  g_main_context_invoke (NULL, on_key, pair);
}

/* Prints the notes playback has passed since the last tick. */
static gboolean
on_tick (gpointer user_data)
{
  Window *w = user_data;
  gint64 now = shown_ms (w);
  const SlReplayNote *notes;
  guint n;

  g_mutex_lock (&w->lock);
  notes = sl_replay_timeline_notes (w->file->timeline, &n);
  for (guint i = 0; i < n; i++)
    if (notes[i].t_ms > w->notes_printed_to && notes[i].t_ms <= now)
      printf ("[%.3f s] note: %s\n", notes[i].t_ms / 1000.0, notes[i].text);
  w->notes_printed_to = now;
  g_mutex_unlock (&w->lock);
  fflush (stdout);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_bus (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  Window *w = user_data;

  switch (GST_MESSAGE_TYPE (msg))
    {
    case GST_MESSAGE_EOS:
      g_main_loop_quit (w->loop);
      break;
    case GST_MESSAGE_ERROR:
      {
        g_autoptr (GError) err = NULL;

        gst_message_parse_error (msg, &err, NULL);
        if (w->error == NULL)
          g_set_error (&w->error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_IO,
                       "playback failed: %s", err->message);
        g_main_loop_quit (w->loop);
        break;
      }
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
build (Window *w, GError **error)
{
  GstElement *src, *demux, *parse, *dec, *sink, *view;
  g_autoptr (GstPad) pad = NULL;

  w->pipeline = gst_pipeline_new ("replay");
  src = gst_element_factory_make ("filesrc", NULL);
  demux = gst_element_factory_make ("matroskademux", NULL);
  w->video_in = gst_element_factory_make ("queue", NULL);
  parse = gst_element_factory_make ("h264parse", NULL);
  dec = gst_element_factory_make ("avdec_h264", NULL);
  sink = w->opt->sink != NULL
             ? gst_parse_bin_from_description (w->opt->sink, TRUE, error)
             : gst_element_factory_make ("autovideosink", NULL);
  if (src == NULL || demux == NULL || w->video_in == NULL || parse == NULL
      || dec == NULL || sink == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_IO,
                     "a GStreamer element is missing (Debian: "
                     "gstreamer1.0-plugins-good, -bad and -libav)");
      return FALSE;
    }
  view = sl_guide_view_wrap_sink (sink, draw_window, on_input, w);
  g_object_set (src, "location", w->file->mkv_path, NULL);
  gst_bin_add_many (GST_BIN (w->pipeline), src, demux, w->video_in, parse, dec,
                    view, NULL);
  gst_element_link (src, demux);
  w->demux_sink = gst_element_get_static_pad (demux, "sink");
  gst_element_link_many (w->video_in, parse, dec, view, NULL);
  pad = gst_element_get_static_pad (dec, "src");
  g_object_set_data (G_OBJECT (pad), "sl-decoded", GINT_TO_POINTER (1));
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, drop_before, w, NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_picture, w, NULL);
  g_signal_connect (demux, "pad-added", G_CALLBACK (on_pad_added), w);
  return TRUE;
}

gboolean
sl_replay_window_run (SlReplayFile *file, const SlReplayWindowOptions *opt,
                      GError **error)
{
  Window w = { .file = file, .opt = opt, .note_ms = -1 };
  g_autoptr (GstBus) bus = NULL;
  guint tick;
  gboolean ok = FALSE;

  g_mutex_init (&w.lock);
  w.demux_pads = g_ptr_array_new_with_free_func (gst_object_unref);
  w.shown_ms = w.notes_printed_to = MAX (opt->from_ms, 0) - 1;
  w.loop = g_main_loop_new (NULL, FALSE);
  if (build (&w, error))
    {
      bus = gst_element_get_bus (w.pipeline);
      gst_bus_add_watch (bus, on_bus, &w);
      gst_element_set_state (w.pipeline, GST_STATE_PAUSED);
      if (gst_element_get_state (w.pipeline, NULL, NULL, 30 * GST_SECOND)
          != GST_STATE_CHANGE_SUCCESS)
        g_set_error (error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_IO,
                     "the recording could not be opened for playback");
      else
        {
          if (opt->from_ms > sl_replay_file_start_ms (file))
            seek_to (&w, opt->from_ms);
          set_paused (&w, FALSE);
          tick = g_timeout_add (200, on_tick, &w);
          g_main_loop_run (w.loop);
          g_source_remove (tick);
          ok = w.error == NULL;
          if (!ok)
            g_propagate_error (error, g_steal_pointer (&w.error));
        }
      gst_element_set_state (w.pipeline, GST_STATE_NULL);
      gst_bus_remove_watch (bus);
    }
  if (w.stdin_watch != 0)
    g_source_remove (w.stdin_watch);
  g_clear_pointer (&w.stdin_channel, g_io_channel_unref);
  g_clear_pointer (&w.pipeline, gst_object_unref);
  g_main_loop_unref (w.loop);
  g_ptr_array_unref (w.demux_pads);
  gst_clear_object (&w.demux_sink);
  g_mutex_clear (&w.lock);
  return ok;
}
