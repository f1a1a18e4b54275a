/* sl-replay-export.c — see sl-replay-export.h.
 *
 *   filesrc ! matroskademux ─ video_0 ! queue ! h264parse ! COPY|BURN ! mp4mux ! filesink
 *                          └─ audio_N ! queue ! opusdec ! audioconvert ! audioresample ─┐
 *                                        audiomixer ! audioconvert ! avenc_aac ! mp4mux ◄┘
 *
 *   COPY: capsfilter (stream-format=avc3): the SPS and PPS stay in band,
 *         so a new picture size mid-recording needs no new sample entry
 *         (mp4mux refuses a change of caps, as matroskamux does);
 *   BURN: avdec_h264 ! videoconvert ! I420 (the marks blended here) !
 *         videoscale ! the first picture's size ! x264enc ! h264parse;
 *         also, without the marks, for a range a copy cannot hold (the
 *         picture changes size in it: mp4mux 1.22 stops at the new SPS).
 *
 * A voice track that holds no block at all is left out: the mixer would
 * wait for its first buffer for ever.  The whole pipeline is seeked to
 * [from, to] before it plays; a copy starts at the keyframe at or before
 * `from` (a copy cannot start between keyframes), and the VTT's times
 * count from the first picture written.
 */
#include "sl-replay-export.h"
#include "sl-replay-decode.h"
#include "sl-guide-view.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <unistd.h>

/* x264's constant quality for --burn-marks: 18 is visually lossless on
 * speckle at the sizes we send. */
#define BURN_QUALITY 18

typedef struct
{
  SlReplayFile *file;
  const SlReplayExportOptions *opt;
  GMainLoop *loop;
  GstElement *pipeline, *video_in, *mixer, *size_filter;
  GError *error;
  gint last_percent;
  /* Streaming threads write these, the control thread reads them. */
  gint64 first_ms; /* the first picture written; G_MININT64 until then */
  gint64 drawn_ms; /* BURN: the picture being drawn on */
  gboolean sized;  /* BURN: the output size is fixed */
  /* The video is decoded and encoded again: for --burn-marks, or for a
   * range a copy cannot hold (a change of picture size); the marks are
   * drawn into it only for the first. */
  gboolean reencode;
  gint64 start_ms;       /* what comes before is dropped: the keyframe before
                      from (a decoder needs it), */
  GstClockTime last_pts; /* COPY: the last access unit's time */
  gint64 keep_ms;        /* and the first picture written (from, or start_ms
                      for a copy) */
} Export;

/* Streaming thread: a buffer of the demuxer's.  Drops what comes
 * before start_ms, and ends the stream at the first buffer after to_ms
 * (the demuxer reads on to the end of the file, but nothing more goes
 * downstream). */
static GstPadProbeReturn
on_demuxed (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Export *ex = user_data;
  gint64 ms = sl_replay_buffer_ms (GST_PAD_PROBE_INFO_BUFFER (info));

  if (g_object_get_data (G_OBJECT (pad), "sl-ended") != NULL)
    return GST_PAD_PROBE_DROP;
  if (ms < 0)
    return GST_PAD_PROBE_OK;
  /* The voices start with the first picture written. */
  if (ms < (g_object_get_data (G_OBJECT (pad), "sl-video") != NULL
                ? ex->start_ms
                : ex->keep_ms))
    return GST_PAD_PROBE_DROP;
  if (ms > ex->opt->to_ms)
    {
      g_autoptr (GstPad) peer = gst_pad_get_peer (pad);

      g_object_set_data (G_OBJECT (pad), "sl-ended", GINT_TO_POINTER (1));
      if (peer != NULL)
        gst_pad_send_event (peer, gst_event_new_eos ());
      return GST_PAD_PROBE_DROP;
    }
  return GST_PAD_PROBE_OK;
}

static GstElement *
make (Export *ex, const gchar *factory)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (e == NULL && ex->error == NULL)
    g_set_error (&ex->error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_IO,
                 "the GStreamer element %s is missing (Debian: "
                 "gstreamer1.0-plugins-good, -bad, -ugly and -libav)",
                 factory);
  if (e != NULL)
    gst_bin_add (GST_BIN (ex->pipeline), e);
  return e;
}

static void
on_pad_added (GstElement *demux, GstPad *pad, gpointer user_data)
{
  Export *ex = user_data;
  g_autofree gchar *name = gst_pad_get_name (pad);
  GstElement *chain[5];
  guint track;
  g_autoptr (GstPad) sink = NULL;
  g_autoptr (GstPad) mix = NULL;

  if (g_str_has_prefix (name, "video_"))
    g_object_set_data (G_OBJECT (pad), "sl-video", GINT_TO_POINTER (1));
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_demuxed, ex, NULL);
  if (g_str_has_prefix (name, "video_"))
    {
      sink = gst_element_get_static_pad (ex->video_in, "sink");
      if (!gst_pad_is_linked (sink))
        gst_pad_link (pad, sink);
      return;
    }
  /* audio_0 is the township's voice (track 2), audio_1 the expert's. */
  if (!g_str_has_prefix (name, "audio_"))
    return;
  track = 2 + (guint)g_ascii_strtoull (name + 6, NULL, 10);
  if (track > SL_REPLAY_MAX_TRACK || ex->file->info.blocks[track] == 0)
    return;
  chain[0] = gst_element_factory_make ("queue", NULL);
  chain[1] = gst_element_factory_make ("opusdec", NULL);
  chain[2] = gst_element_factory_make ("audioconvert", NULL);
  chain[3] = gst_element_factory_make ("audioresample", NULL);
  chain[4] = NULL;
  for (guint i = 0; i < 4; i++)
    if (chain[i] == NULL)
      return;
  gst_bin_add_many (GST_BIN (ex->pipeline), chain[0], chain[1], chain[2],
                    chain[3], NULL);
  gst_element_link_many (chain[0], chain[1], chain[2], chain[3], NULL);
  mix = gst_element_request_pad_simple (ex->mixer, "sink_%u");
  sink = gst_element_get_static_pad (chain[0], "sink");
  {
    g_autoptr (GstPad) out = gst_element_get_static_pad (chain[3], "src");

    gst_pad_link (out, mix);
  }
  for (guint i = 0; i < 4; i++)
    gst_element_sync_state_with_parent (chain[i]);
  gst_pad_link (pad, sink);
}

/* Streaming thread: the first picture's time, and BURN's picture time. */
static GstPadProbeReturn
on_video_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Export *ex = user_data;
  gint64 ms = sl_replay_buffer_ms (GST_PAD_PROBE_INFO_BUFFER (info));

  if (ms < 0)
    return GST_PAD_PROBE_OK;
  if (g_atomic_pointer_get (&ex->first_ms) == G_MININT64)
    ex->first_ms = ms;
  ex->drawn_ms = ms;
  return GST_PAD_PROBE_OK;
}

/* Streaming thread: timestamps strictly increasing, DTS = PTS (COPY:
 * the access units; BURN: the decoded pictures).
 * The recording stamps each access unit with its arrival in ms, and
 * after a loss two can arrive within the same ms; mp4mux refuses a
 * repeated time ("Could not multiplex stream").  Such a unit goes out
 * 1 ms after the one before.  The stations' x264 makes no B-frames, so
 * decode order is presentation order. */
static GstPadProbeReturn
set_dts (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Export *ex = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime pts;

  if (!GST_BUFFER_PTS_IS_VALID (buf))
    return GST_PAD_PROBE_OK;
  pts = GST_BUFFER_PTS (buf);
  if (GST_CLOCK_TIME_IS_VALID (ex->last_pts) && pts <= ex->last_pts)
    pts = ex->last_pts + GST_MSECOND;
  ex->last_pts = pts;
  buf = gst_buffer_make_writable (buf);
  GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = pts;
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

/* Streaming thread, COPY: the MP4 keeps the first caps and the first
 * segment.  mp4mux refuses a change of caps ("Could not multiplex
 * stream"), and the rate controller changes the picture size, hence the
 * SPS, mid-recording; in avc3 every keyframe after the change carries its
 * SPS and PPS in band, so decoders take the new size from the stream, as
 * they do from the recording.  The new caps come with a new segment
 * from matroskademux, whose other start would move the running times
 * back and leave mp4mux an access unit before its segment. */
static GstPadProbeReturn
keep_first_caps (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const gchar *key;

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS)
    key = "sl-caps-sent";
  else if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT)
    key = "sl-segment-sent";
  else
    return GST_PAD_PROBE_OK;
  if (g_object_get_data (G_OBJECT (pad), key) != NULL)
    return GST_PAD_PROBE_DROP;
  g_object_set_data (G_OBJECT (pad), key, GINT_TO_POINTER (1));
  return GST_PAD_PROBE_OK;
}

/* Streaming thread, BURN: the output keeps the first picture's size. */
static GstPadProbeReturn
on_video_caps (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Export *ex = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstCaps *caps;
  GstStructure *s;
  gint w, h;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS || ex->sized)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (event, &caps);
  s = gst_caps_get_structure (caps, 0);
  if (gst_structure_get_int (s, "width", &w)
      && gst_structure_get_int (s, "height", &h))
    {
      g_autoptr (GstCaps) fixed = gst_caps_new_simple (
          "video/x-raw", "width", G_TYPE_INT, w, "height", G_TYPE_INT, h,
          "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);

      g_object_set (ex->size_filter, "caps", fixed, NULL);
      ex->sized = TRUE;
    }
  return GST_PAD_PROBE_OK;
}

/* Streaming thread, BURN: the marks as they show on the picture. */
static void
draw_marks (cairo_t *cr, guint width, guint height, gpointer user_data)
{
  Export *ex = user_data;

  if (!ex->opt->burn_marks)
    return;
  sl_replay_timeline_seek (ex->file->timeline, ex->drawn_ms);
  sl_replay_timeline_render (ex->file->timeline, cr, width, height);
}

/* Builds "queue ! h264parse ! COPY|BURN" and returns its last element. */
static GstElement *
build_video (Export *ex)
{
  GstElement *queue = make (ex, "queue"), *parse = make (ex, "h264parse");
  GstElement *last;
  g_autoptr (GstPad) pad = NULL;

  if (queue == NULL || parse == NULL)
    return NULL;
  ex->video_in = queue;
  gst_element_link (queue, parse);
  if (!ex->reencode)
    {
      GstElement *filter = make (ex, "capsfilter");
      g_autoptr (GstCaps) caps = gst_caps_from_string (
          "video/x-h264,stream-format=avc3,alignment=au");

      if (filter == NULL)
        return NULL;
      g_object_set (filter, "caps", caps, NULL);
      gst_element_link (parse, filter);
      pad = gst_element_get_static_pad (filter, "src");
      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_video_buffer, ex,
                         NULL);
      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                         keep_first_caps, NULL, NULL);
      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, set_dts, ex, NULL);
      return filter;
    }
  {
    GstElement *dec = make (ex, "avdec_h264"),
               *conv = make (ex, "videoconvert");
    GstElement *i420 = make (ex, "capsfilter"), *draw = make (ex, "identity");
    GstElement *scale = make (ex, "videoscale");
    GstElement *enc = make (ex, "x264enc"), *parse2 = make (ex, "h264parse");
    g_autoptr (GstCaps) caps = gst_caps_from_string ("video/x-raw,format=I420");

    ex->size_filter = make (ex, "capsfilter");
    if (ex->error != NULL)
      return NULL;
    g_object_set (i420, "caps", caps, NULL);
    g_object_set (draw, "silent", TRUE, NULL);
    gst_util_set_object_arg (G_OBJECT (enc), "pass", "quant");
    gst_util_set_object_arg (G_OBJECT (enc), "speed-preset", "faster");
    g_object_set (enc, "quantizer", BURN_QUALITY, NULL);
    gst_element_link_many (parse, dec, conv, i420, draw, scale, ex->size_filter,
                           enc, parse2, NULL);
    pad = gst_element_get_static_pad (draw, "sink");
    /* Decoded pictures before from are dropped. */
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, sl_replay_drop_before,
                       &ex->keep_ms, NULL);
    /* x264enc and mp4mux want strictly increasing times too. */
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, set_dts, ex, NULL);
    gst_clear_object (&pad);
    pad = gst_element_get_static_pad (draw, "src");
    /* First the picture's time, then the marks drawn for that time. */
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_video_buffer, ex,
                       NULL);
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_video_caps,
                       ex, NULL);
    sl_guide_view_draw_on_pad (pad, draw_marks, ex);
    last = parse2;
  }
  return last;
}

static void
show_progress (Export *ex, gint percent, gboolean final)
{
  if (ex->opt->progress_tty)
    {
      fprintf (stderr, "\rexport: %3d%%%s", percent, final ? "\n" : "");
      fflush (stderr);
    }
  else if (percent / 10 != ex->last_percent / 10 || final)
    fprintf (stderr, "export: %d%%\n", percent);
  ex->last_percent = percent;
}

static gboolean
on_tick (gpointer user_data)
{
  Export *ex = user_data;
  gint64 pos;
  gint percent;

  if (!gst_element_query_position (ex->pipeline, GST_FORMAT_TIME, &pos))
    return G_SOURCE_CONTINUE;
  percent = (gint)CLAMP (100.0 * ((gdouble)pos / GST_MSECOND - ex->opt->from_ms)
                             / (gdouble)(ex->opt->to_ms - ex->opt->from_ms),
                         0, 99);
  if (percent != ex->last_percent)
    show_progress (ex, percent, FALSE);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_bus (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  Export *ex = user_data;

  switch (GST_MESSAGE_TYPE (msg))
    {
    case GST_MESSAGE_EOS:
      g_main_loop_quit (ex->loop);
      break;
    case GST_MESSAGE_ERROR:
      {
        g_autoptr (GError) err = NULL;

        gst_message_parse_error (msg, &err, NULL);
        if (ex->error == NULL)
          g_set_error (&ex->error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_IO,
                       "the export failed: %s", err->message);
        g_main_loop_quit (ex->loop);
        break;
      }
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
build (Export *ex, const gchar *part_path)
{
  GstElement *src = make (ex, "filesrc"), *demux = make (ex, "matroskademux");
  GstElement *mux = make (ex, "mp4mux"), *sink = make (ex, "filesink");
  GstElement *video, *aconv, *aenc;

  ex->mixer = make (ex, "audiomixer");
  aconv = make (ex, "audioconvert");
  aenc = make (ex, "avenc_aac");
  if (ex->error != NULL)
    return FALSE;
  video = build_video (ex);
  if (video == NULL)
    return FALSE;
  g_object_set (src, "location", ex->file->mkv_path, NULL);
  g_object_set (sink, "location", part_path, NULL);
  gst_element_link (src, demux);
  gst_element_link (video, mux);
  gst_element_link (mux, sink);
  if (ex->file->info.blocks[2] + ex->file->info.blocks[3] > 0)
    {
      gst_element_link_many (ex->mixer, aconv, aenc, mux, NULL);
      /* The mixer would fill from the segment's start (0) with silence:
       * it starts at its first input instead, the voices dropped before
       * the first picture written (on_demuxed). */
      gst_util_set_object_arg (G_OBJECT (ex->mixer), "start-time-selection",
                               "first");
    }
  g_signal_connect (demux, "pad-added", G_CALLBACK (on_pad_added), ex);
  return TRUE;
}

/* Creates @path empty, mode 0600, so that filesink (which keeps the
 * mode of a file it truncates) never makes it readable by others. */
static gboolean
create_private (const gchar *path, GError **error)
{
  int fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  if (fd < 0 || fchmod (fd, 0600) != 0)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "cannot write %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

static gboolean
run (Export *ex, GError **error)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (ex->pipeline);
  guint tick;

  gst_bus_add_watch (bus, on_bus, ex);
  show_progress (ex, 0, FALSE);
  tick = g_timeout_add (200, on_tick, ex);
  if (gst_element_set_state (ex->pipeline, GST_STATE_PLAYING)
      != GST_STATE_CHANGE_FAILURE)
    g_main_loop_run (ex->loop);
  else
    g_main_context_iteration (NULL, FALSE);
  if (ex->error == NULL
      && GST_STATE_PENDING (ex->pipeline) == GST_STATE_VOID_PENDING
      && GST_STATE (ex->pipeline) != GST_STATE_PLAYING)
    g_set_error (&ex->error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_IO,
                 "the recording could not be opened for the export");
  g_source_remove (tick);
  gst_element_set_state (ex->pipeline, GST_STATE_NULL);
  gst_bus_remove_watch (bus);
  if (ex->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&ex->error));
      return FALSE;
    }
  show_progress (ex, 100, TRUE);
  return TRUE;
}

static gchar *
vtt_path_for (const gchar *out)
{
  g_autofree gchar *stem = g_str_has_suffix (out, ".mp4")
                               ? g_strndup (out, strlen (out) - 4)
                               : g_strdup (out);

  return g_strconcat (stem, ".vtt", NULL);
}

gboolean
sl_replay_export (SlReplayFile *file, const SlReplayExportOptions *opt,
                  GError **error)
{
  Export ex = { .file = file, .opt = opt, .last_percent = -1 };
  g_autofree gchar *part = g_strconcat (opt->out_path, ".part", NULL);
  g_autofree gchar *vtt_path = vtt_path_for (opt->out_path);
  g_autofree gchar *vtt = NULL;
  gboolean ok;

  ex.first_ms = G_MININT64;
  ex.last_pts = GST_CLOCK_TIME_NONE;
  ex.start_ms = sl_replay_mkv_keyframe_before (&file->info, opt->from_ms);
  ex.reencode = opt->burn_marks;
  /* GStreamer 1.22's mp4mux stops a copy at a new SPS in band (a new
   * picture size) even with the caps kept: such a range is encoded again,
   * at the first size, the marks still in the VTT only, and the user is
   * told (a file that plays is worth more to a trainer than a copy). */
  for (guint i = 0; !ex.reencode && i < file->info.sps_ms->len; i++)
    {
      gint64 change = g_array_index (file->info.sps_ms, gint64, i);

      if (change > ex.start_ms && change <= opt->to_ms)
        {
          fprintf (stderr,
                   "sonolink-replay: the picture changes size at %.3f s and "
                   "a copy into MP4 cannot follow it: the video is encoded "
                   "again at the first size (x264, quantizer %d), the marks "
                   "stay in the VTT; --from/--to within one size copy it "
                   "unchanged\n",
                   change / 1000.0, BURN_QUALITY);
          ex.reencode = TRUE;
        }
    }
  ex.keep_ms = ex.reencode ? opt->from_ms : ex.start_ms;
  if (!create_private (part, error))
    return FALSE;
  ex.loop = g_main_loop_new (NULL, FALSE);
  ex.pipeline = gst_pipeline_new ("replay-export");
  ok = build (&ex, part) && run (&ex, error);
  if (!ok && ex.error != NULL)
    g_propagate_error (error, g_steal_pointer (&ex.error));
  gst_object_unref (ex.pipeline);
  g_main_loop_unref (ex.loop);
  if (ok && ex.first_ms == G_MININT64)
    {
      g_set_error (error, SL_REPLAY_ERROR, SL_REPLAY_ERROR_EMPTY,
                   "no picture between %.3f and %.3f s", opt->from_ms / 1000.0,
                   opt->to_ms / 1000.0);
      ok = FALSE;
    }
  if (ok)
    {
      vtt = sl_replay_timeline_to_vtt (file->timeline, ex.first_ms, opt->to_ms);
      ok = g_file_set_contents_full (
          vtt_path, vtt, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
    }
  if (ok && g_rename (part, opt->out_path) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "cannot write %s: %s", opt->out_path, g_strerror (saved));
      ok = FALSE;
    }
  if (!ok)
    g_unlink (part);
  else
    printf ("exported %.3f to %.3f s to %s (video %s), marks and notes in "
            "%s\n",
            ex.first_ms / 1000.0, opt->to_ms / 1000.0, opt->out_path,
            !ex.reencode      ? "copied"
            : opt->burn_marks ? "encoded again, marks drawn in"
                              : "encoded again",
            vtt_path);
  return ok;
}
