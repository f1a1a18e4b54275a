/* sl-recorder.c — a recording on disk (sl-recorder.h).
 *
 * The sessions' taps and the station's guidance hand their bytes to the
 * Matroska writer and the sidecar core under `lock`; what those make
 * ready (a whole cluster, a line) is queued for the writer thread, which
 * alone touches the files: a streaming thread never waits on the disk.
 * The writer thread writes each piece whole and syncs the Matroska file
 * after each cluster (docs/recording.md, CRASHES).  A timer on the
 * control thread closes a cluster that has grown old while nothing came,
 * so a quiet moment reaches the disk too.  What waits for the writer is
 * bounded (sl-record-backlog.h): when the disk stalls, clusters and lines
 * are dropped, counted and reported, and the video resumes at a keyframe
 * the recorder asks for, rather than the station's memory filling up or
 * a streaming thread waiting.
 */
#include "sl-recorder.h"
#include "sl-record-backlog.h"
#include "sl-record-mkv.h"
#include "sl-record-sidecar.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC (sl_record_debug);
#define GST_CAT_DEFAULT sl_record_debug

/* About a second a cluster, checked four times a second: a kill loses
 * the open cluster and what waits for the disk, under two seconds. */
#define CLUSTER_MS 1000
#define CUT_CHECK_MS 250
/* How far a guidance message's media time may be from a recorded
 * picture's and still be keyed to it: a few frames. */
#define FRAME_TOLERANCE_MS 200

typedef enum
{
  TO_MKV,
  TO_SIDECAR,
  QUIT,
} Destination;

typedef struct
{
  Destination to;
  GByteArray *bytes;
  gboolean sync;
} Chunk;

struct _SlRecorder
{
  gint ref; /* atomic */
  gchar *dir, *path, *sidecar_path;
  gboolean township;
  SlRecorderFailed failed;
  gpointer user_data;
  GMainContext *context;
  GSource *cut_timer; /* control thread */

  /* Guards everything below up to the writer: the taps run on streaming
   * threads, the notes and the timer on the control thread. */
  GMutex lock;
  SlRecordMkv *mkv;
  SlRecordTimeline timeline;
  gboolean stopped;
  gint64 start_us;        /* monotonic time of the recording's 0 */
  gboolean have_media;    /* the township's media clock is known */
  gint64 media_offset_ms; /* monotonic ms less media ms */
  gint64 last_frame_t_ms; /* the newest picture recorded, -1: none */
  GByteArray *out;        /* scratch for the writer's output */
  guint64 frames;
  guint64 voice_packets[2]; /* the township's track, the expert's */
  SlRecordBacklog backlog;  /* what waits for the writer */
  gboolean keyframe_wanted; /* video waits for a keyframe after a gap */

  /* The writer thread and what it owns. */
  GThread *writer;
  GAsyncQueue *queue; /* of Chunk */
  int fd_mkv, fd_sidecar;
  gint write_failed; /* atomic */
  gsize written;     /* atomic: bytes written (or dropped by a failure) */
};

/* ---- the writer thread ---- */

typedef struct
{
  SlRecorder *rec;
  GError *error;
} FailedReport;

static gboolean
report_failed (gpointer data)
{
  FailedReport *r = data;

  g_mutex_lock (&r->rec->lock);
  r->rec->stopped = TRUE;
  g_mutex_unlock (&r->rec->lock);
  if (r->rec->failed != NULL)
    r->rec->failed (r->rec, r->error, r->rec->user_data);
  return G_SOURCE_REMOVE;
}

static void
free_report (gpointer data)
{
  FailedReport *r = data;

  g_error_free (r->error);
  sl_recorder_unref (r->rec);
  g_free (r);
}

static gboolean
write_all (int fd, const guint8 *data, gsize len, int *err)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          *err = n < 0 ? errno : ENOSPC;
          return FALSE;
        }
      data += n;
      len -= (gsize)n;
    }
  return TRUE;
}

static void
fail_from_writer (SlRecorder *rec, const gchar *path, int err)
{
  FailedReport *r = g_new0 (FailedReport, 1);

  if (!g_atomic_int_compare_and_exchange (&rec->write_failed, 0, 1))
    {
      g_free (r);
      return;
    }
  r->rec = sl_recorder_ref (rec);
  g_set_error (&r->error, SL_RECORD_ERROR, SL_RECORD_ERROR_IO,
               "recording stopped: cannot write %s: %s%s", path,
               g_strerror (err),
               err == ENOSPC ? " (the disk is full; what was written "
                               "before plays)"
                             : "");
  GST_ERROR ("%s", r->error->message);
  g_main_context_invoke_full (rec->context, G_PRIORITY_DEFAULT, report_failed,
                              r, free_report);
}

static gpointer
writer_main (gpointer data)
{
  SlRecorder *rec = data;

  for (;;)
    {
      Chunk *c = g_async_queue_pop (rec->queue);
      Destination to = c->to;
      int err = 0;

      if (to != QUIT && !g_atomic_int_get (&rec->write_failed))
        {
          int fd = to == TO_MKV ? rec->fd_mkv : rec->fd_sidecar;

          if (!write_all (fd, c->bytes->data, c->bytes->len, &err)
              || (c->sync && fdatasync (fd) != 0 && (err = errno) != EINVAL))
            fail_from_writer (rec, to == TO_MKV ? rec->path : rec->sidecar_path,
                              err);
        }
      if (c->bytes != NULL)
        {
          g_atomic_pointer_add (&rec->written, (gssize)c->bytes->len);
          g_byte_array_unref (c->bytes);
        }
      g_free (c);
      if (to == QUIT)
        return NULL;
    }
}

/* Under lock: whether @len more bytes may wait for the writer.  A refusal
 * drops them; the first of a gap says so, and the video then waits for a
 * keyframe (the pictures after the gap would not decode without one). */
static gboolean
may_queue (SlRecorder *rec, gsize len)
{
  guint64 gaps = rec->backlog.gaps;

  if (sl_record_backlog_offer (&rec->backlog, len,
                               (gsize)g_atomic_pointer_get (&rec->written)))
    return TRUE;
  sl_record_mkv_skip_to_keyframe (rec->mkv);
  rec->keyframe_wanted = TRUE;
  if (rec->backlog.gaps != gaps)
    GST_WARNING (
        "%s: the disk is not keeping up (%" G_GSIZE_FORMAT
        " bytes wait for it): dropping what comes until it does",
        rec->path,
        sl_record_backlog_queued (&rec->backlog,
                                  (gsize)g_atomic_pointer_get (&rec->written)));
  return FALSE;
}

/* Under lock: queues what the writer made ready in rec->out. */
static void
queue_out (SlRecorder *rec)
{
  Chunk *c;

  if (rec->out->len == 0)
    return;
  if (!may_queue (rec, rec->out->len))
    {
      g_byte_array_set_size (rec->out, 0);
      return;
    }
  c = g_new0 (Chunk, 1);
  c->to = TO_MKV;
  /* The cluster itself goes, not a copy of it: a second of video is
   * hundreds of kB, not to be copied again on a streaming thread. */
  c->bytes = g_steal_pointer (&rec->out);
  rec->out = g_byte_array_new ();
  c->sync = TRUE;
  g_async_queue_push (rec->queue, c);
}

/* Under lock: a sidecar line, and the same in the guidance track. */
static void
queue_line (SlRecorder *rec, const SlRecordEvent *event)
{
  g_autofree gchar *line = sl_record_event_to_line (event);
  Chunk *c;

  if (line == NULL)
    return;
  if (event->type != SL_RECORD_EVENT_RECORDING)
    sl_record_mkv_add_text (rec->mkv, line, event->t_ms, rec->out);
  queue_out (rec);
  if (!may_queue (rec, strlen (line) + 1))
    return;
  c = g_new0 (Chunk, 1);
  c->to = TO_SIDECAR;
  c->bytes = g_byte_array_new ();
  g_byte_array_append (c->bytes, (const guint8 *)line, (guint)strlen (line));
  g_byte_array_append (c->bytes, (const guint8 *)"\n", 1);
  g_async_queue_push (rec->queue, c);
}

static gint64
now_ms (SlRecorder *rec)
{
  return (g_get_monotonic_time () - rec->start_us) / 1000;
}

/* ---- life ---- */

static gboolean
on_cut_timer (gpointer data)
{
  SlRecorder *rec = data;

  g_mutex_lock (&rec->lock);
  if (!rec->stopped)
    {
      sl_record_mkv_cut_if_due (rec->mkv, now_ms (rec), rec->out);
      queue_out (rec);
    }
  g_mutex_unlock (&rec->lock);
  return G_SOURCE_CONTINUE;
}

static int
create_file (const gchar *path, GError **error)
{
  int fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

  if (fd < 0)
    g_set_error (error, SL_RECORD_ERROR, SL_RECORD_ERROR_IO,
                 "cannot create the recording %s: %s", path,
                 g_strerror (errno));
  return fd;
}

/* The folder exists (made 0700 if it did not) and is a directory. */
static gboolean
make_dir (const gchar *dir, GError **error)
{
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, SL_RECORD_ERROR, SL_RECORD_ERROR_IO,
                   "cannot make the recording folder %s: %s", dir,
                   g_strerror (errno));
      return FALSE;
    }
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, SL_RECORD_ERROR, SL_RECORD_ERROR_IO,
                   "the recording folder %s is not a folder", dir);
      return FALSE;
    }
  return TRUE;
}

/* Picks DIR/sonolink-STATION-YYYYmmdd-HHMMSS[-N].mkv that does not exist
 * yet and creates it with its sidecar. */
static gboolean
create_files (SlRecorder *rec, const gchar *station, gchar **started,
              GError **error)
{
  g_autoptr (GDateTime) utc = g_date_time_new_now_utc ();
  g_autofree gchar *stamp = g_date_time_format (utc, "%Y%m%d-%H%M%S");

  *started = g_date_time_format_iso8601 (utc);
  for (guint n = 1; n < 100; n++)
    {
      g_autofree gchar *base
          = n == 1 ? g_strdup_printf ("sonolink-%s-%s", station, stamp)
                   : g_strdup_printf ("sonolink-%s-%s-%u", station, stamp, n);
      g_autofree gchar *mkv = g_strconcat (base, ".mkv", NULL);
      g_autofree gchar *jsonl = g_strconcat (base, ".jsonl", NULL);

      rec->path = g_build_filename (rec->dir, mkv, NULL);
      rec->sidecar_path = g_build_filename (rec->dir, jsonl, NULL);
      if (!g_file_test (rec->path, G_FILE_TEST_EXISTS)
          && !g_file_test (rec->sidecar_path, G_FILE_TEST_EXISTS))
        break;
      g_clear_pointer (&rec->path, g_free);
      g_clear_pointer (&rec->sidecar_path, g_free);
    }
  if (rec->path == NULL)
    {
      g_set_error (error, SL_RECORD_ERROR, SL_RECORD_ERROR_IO,
                   "too many recordings named for this second in %s", rec->dir);
      return FALSE;
    }
  rec->fd_mkv = create_file (rec->path, error);
  if (rec->fd_mkv < 0)
    return FALSE;
  rec->fd_sidecar = create_file (rec->sidecar_path, error);
  if (rec->fd_sidecar < 0)
    {
      g_unlink (rec->path);
      return FALSE;
    }
  return TRUE;
}

SlRecorder *
sl_recorder_new (const gchar *dir, const gchar *station,
                 SlRecorderFailed failed, gpointer user_data, GError **error)
{
  g_autoptr (SlRecorder) rec = g_new0 (SlRecorder, 1);
  g_autofree gchar *started = NULL;
  g_autofree gchar *file = NULL;
  SlRecordEvent head = { 0 };

  if (sl_record_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (sl_record_debug, "sl-record", 0,
                             "sonolink recording");
  rec->ref = 1;
  rec->fd_mkv = rec->fd_sidecar = -1;
  rec->dir = g_strdup (dir);
  rec->township = g_strcmp0 (station, "township") == 0;
  rec->failed = failed;
  rec->user_data = user_data;
  rec->context = g_main_context_ref_thread_default ();
  g_mutex_init (&rec->lock);
  rec->mkv = sl_record_mkv_new (CLUSTER_MS);
  rec->out = g_byte_array_new ();
  rec->last_frame_t_ms = -1;
  sl_record_backlog_init (&rec->backlog, SL_RECORD_BACKLOG_DEFAULT_BYTES);
  sl_record_timeline_init (&rec->timeline);
  rec->queue = g_async_queue_new ();
  if (!make_dir (dir, error) || !create_files (rec, station, &started, error))
    {
      rec->stopped = TRUE;
      return NULL;
    }
  rec->start_us = g_get_monotonic_time ();
  rec->writer = g_thread_new ("sl-record", writer_main, rec);

  file = g_path_get_basename (rec->path);
  head.type = SL_RECORD_EVENT_RECORDING;
  head.t_ms = 0;
  head.station = (gchar *)station;
  head.file = file;
  head.started = started;
  g_mutex_lock (&rec->lock);
  queue_line (rec, &head);
  g_mutex_unlock (&rec->lock);

  rec->cut_timer = g_timeout_source_new (CUT_CHECK_MS);
  g_source_set_callback (rec->cut_timer, on_cut_timer, rec, NULL);
  g_source_attach (rec->cut_timer, rec->context);
  GST_INFO ("recording to %s", rec->path);
  return g_steal_pointer (&rec);
}

SlRecorder *
sl_recorder_ref (SlRecorder *rec)
{
  g_atomic_int_inc (&rec->ref);
  return rec;
}

void
sl_recorder_stop (SlRecorder *rec)
{
  Chunk *quit;
  SlRecordEvent stop = { 0 };

  g_mutex_lock (&rec->lock);
  if (rec->writer == NULL)
    {
      g_mutex_unlock (&rec->lock);
      return;
    }
  if (!rec->stopped)
    {
      stop.type = SL_RECORD_EVENT_STOP;
      stop.t_ms = now_ms (rec);
      stop.frames = rec->frames;
      queue_line (rec, &stop);
      sl_record_mkv_finish (rec->mkv, rec->out);
      queue_out (rec);
      rec->stopped = TRUE;
    }
  g_mutex_unlock (&rec->lock);
  if (rec->cut_timer != NULL)
    {
      g_source_destroy (rec->cut_timer);
      g_clear_pointer (&rec->cut_timer, g_source_unref);
    }
  quit = g_new0 (Chunk, 1);
  quit->to = QUIT;
  g_async_queue_push (rec->queue, quit);
  g_thread_join (g_steal_pointer (&rec->writer));
  GST_INFO ("recording %s ended, %" G_GUINT64_FORMAT " frames", rec->path,
            rec->frames);
}

void
sl_recorder_unref (SlRecorder *rec)
{
  if (rec == NULL || !g_atomic_int_dec_and_test (&rec->ref))
    return;
  sl_recorder_stop (rec);
  if (rec->fd_mkv >= 0)
    close (rec->fd_mkv);
  if (rec->fd_sidecar >= 0)
    close (rec->fd_sidecar);
  g_async_queue_unref (rec->queue);
  g_byte_array_unref (rec->out);
  sl_record_mkv_free (rec->mkv);
  g_mutex_clear (&rec->lock);
  g_main_context_unref (rec->context);
  g_free (rec->dir);
  g_free (rec->path);
  g_free (rec->sidecar_path);
  g_free (rec);
}

const gchar *
sl_recorder_get_path (SlRecorder *rec)
{
  return rec->path;
}

const gchar *
sl_recorder_get_dir (SlRecorder *rec)
{
  return rec->dir;
}

guint64
sl_recorder_get_frames (SlRecorder *rec)
{
  guint64 n;

  g_mutex_lock (&rec->lock);
  n = rec->frames;
  g_mutex_unlock (&rec->lock);
  return n;
}

guint64
sl_recorder_get_voice_packets (SlRecorder *rec, gboolean township)
{
  guint64 n;

  g_mutex_lock (&rec->lock);
  n = rec->voice_packets[township ? 0 : 1];
  g_mutex_unlock (&rec->lock);
  return n;
}

void
sl_recorder_set_backlog_limit (SlRecorder *rec, gsize bytes)
{
  g_mutex_lock (&rec->lock);
  rec->backlog.limit = MAX (bytes, 1);
  g_mutex_unlock (&rec->lock);
}

gboolean
sl_recorder_get_dropped (SlRecorder *rec, guint64 *bytes, guint64 *gaps)
{
  gboolean dropping;

  g_mutex_lock (&rec->lock);
  *bytes = rec->backlog.dropped_bytes;
  *gaps = rec->backlog.gaps;
  dropping = rec->backlog.dropping;
  g_mutex_unlock (&rec->lock);
  return dropping;
}

gboolean
sl_recorder_take_keyframe_wanted (SlRecorder *rec)
{
  gboolean wanted;

  g_mutex_lock (&rec->lock);
  wanted = rec->keyframe_wanted && !rec->backlog.dropping;
  if (wanted)
    rec->keyframe_wanted = FALSE;
  g_mutex_unlock (&rec->lock);
  return wanted;
}

gboolean
sl_recorder_is_running (SlRecorder *rec)
{
  gboolean running;

  g_mutex_lock (&rec->lock);
  running = !rec->stopped && !g_atomic_int_get (&rec->write_failed);
  g_mutex_unlock (&rec->lock);
  return running;
}

/* ---- input ---- */

void
sl_recorder_set_media_clock (SlRecorder *rec, gint64 media_now_ms)
{
  g_mutex_lock (&rec->lock);
  rec->media_offset_ms = g_get_monotonic_time () / 1000 - media_now_ms;
  rec->have_media = media_now_ms >= 0;
  g_mutex_unlock (&rec->lock);
}

/* The framing of an H.264 stream from its caps; feeds an avcC to the
 * writer.  FALSE for caps that are not H.264 access units. */
static gboolean
read_video_caps (SlRecorder *rec, GstCaps *caps, SlRecordH264Format *format,
                 gint *width, gint *height)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const gchar *stream_format = gst_structure_get_string (s, "stream-format");
  const GValue *codec_data = gst_structure_get_value (s, "codec_data");

  if (!gst_structure_has_name (s, "video/x-h264"))
    return FALSE;
  *width = *height = 0;
  gst_structure_get_int (s, "width", width);
  gst_structure_get_int (s, "height", height);
  *format = g_strcmp0 (stream_format, "avc") == 0 ? SL_RECORD_H264_AVC
                                                  : SL_RECORD_H264_BYTE_STREAM;
  if (*format == SL_RECORD_H264_AVC && codec_data != NULL
      && G_VALUE_HOLDS (codec_data, GST_TYPE_BUFFER))
    {
      GstMapInfo map;
      GstBuffer *buf = gst_value_get_buffer (codec_data);

      if (gst_buffer_map (buf, &map, GST_MAP_READ))
        {
          sl_record_mkv_set_avcc (rec->mkv, map.data, map.size);
          gst_buffer_unmap (buf, &map);
        }
    }
  return TRUE;
}

void
sl_recorder_add_video (SlRecorder *rec, GstBuffer *buffer, GstCaps *caps,
                       gint64 capture_us)
{
  SlRecordH264Format format;
  gint width, height;
  GstMapInfo map;
  gint64 t;

  if (caps == NULL || !gst_buffer_map (buffer, &map, GST_MAP_READ))
    return;
  g_mutex_lock (&rec->lock);
  if (!rec->stopped && read_video_caps (rec, caps, &format, &width, &height))
    {
      t = now_ms (rec);
      if (sl_record_mkv_add_video (rec->mkv, map.data, map.size, format,
                                   (guint)MAX (width, 0),
                                   (guint)MAX (height, 0), t, rec->out))
        {
          rec->frames++;
          rec->last_frame_t_ms = t;
          if (rec->have_media && capture_us >= 0)
            sl_record_timeline_add (
                &rec->timeline, capture_us / 1000 - rec->media_offset_ms, t);
        }
      queue_out (rec);
    }
  g_mutex_unlock (&rec->lock);
  gst_buffer_unmap (buffer, &map);
}

void
sl_recorder_add_voice (SlRecorder *rec, gboolean own, GstBuffer *buffer)
{
  /* The township's own voice is the township's track; the expert's own
   * voice the expert's. */
  SlRecordTrack track = own == rec->township ? SL_RECORD_TRACK_VOICE_TOWNSHIP
                                             : SL_RECORD_TRACK_VOICE_EXPERT;
  GstMapInfo map;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return;
  g_mutex_lock (&rec->lock);
  if (!rec->stopped)
    {
      if (sl_record_mkv_add_voice (rec->mkv, track, map.data, map.size,
                                   now_ms (rec), rec->out))
        rec->voice_packets[track == SL_RECORD_TRACK_VOICE_TOWNSHIP ? 0 : 1]++;
      queue_out (rec);
    }
  g_mutex_unlock (&rec->lock);
  gst_buffer_unmap (buffer, &map);
}

/* Under lock: the recorded picture a message of @media_ms refers to.  The
 * township knows each picture's media time; the expert keys a message to
 * the picture it had last (the one on its screen when it drew or heard
 * of it: docs/recording.md, THE TIMELINE). */
static gint64
frame_for (SlRecorder *rec, gint64 media_ms)
{
  gint64 t = -1;

  if (rec->township && media_ms >= 0)
    t = sl_record_timeline_frame_for (&rec->timeline, media_ms,
                                      FRAME_TOLERANCE_MS);
  return t >= 0 ? t : rec->last_frame_t_ms;
}

void
sl_recorder_add_guide (SlRecorder *rec, gboolean sent, const gchar *peer,
                       const SlGuideMsg *msg)
{
  g_autofree gchar *wire = sl_guide_serialize (msg);
  SlRecordEvent ev = { 0 };

  g_mutex_lock (&rec->lock);
  if (!rec->stopped)
    {
      ev.type = SL_RECORD_EVENT_GUIDE;
      ev.t_ms = now_ms (rec);
      ev.media_ms = msg->media_ms;
      ev.frame_ms = frame_for (rec, msg->media_ms);
      ev.sent = sent;
      ev.peer = (gchar *)peer;
      ev.msg = wire;
      queue_line (rec, &ev);
    }
  g_mutex_unlock (&rec->lock);
}

void
sl_recorder_add_still (SlRecorder *rec, const gchar *path, gint64 media_ms)
{
  g_autofree gchar *rel = NULL;
  SlRecordEvent ev = { 0 };

  if (g_str_has_prefix (path, rec->dir) && path[strlen (rec->dir)] == '/')
    rel = g_strdup (path + strlen (rec->dir) + 1);
  else
    rel = g_canonicalize_filename (path, NULL);
  g_mutex_lock (&rec->lock);
  if (!rec->stopped)
    {
      ev.type = SL_RECORD_EVENT_STILL;
      ev.t_ms = now_ms (rec);
      ev.media_ms = media_ms;
      ev.frame_ms = frame_for (rec, media_ms);
      ev.path = rel;
      queue_line (rec, &ev);
    }
  g_mutex_unlock (&rec->lock);
}
