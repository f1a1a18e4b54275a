/* test-recorder.c — SlRecorder with a real encoder: a picture-size change
 * in the middle of a recording (the rate controller's, in a consultation)
 * neither breaks nor ends it, and the file decodes at both sizes; a disk
 * that stalls makes the recorder drop media past its bound rather than
 * hold it all or block the thread that hands it over.
 *
 * x264enc in avc framing, as the township's encoder negotiates it, with
 * the SPS and PPS taken out of the access units, as a depayloader may do:
 * the new ones arrive only in new caps (codec_data), so the recorder must
 * put them in band for the decoder to follow the change.
 */
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sl-recorder.h"

#define FRAMES 60
#define SWITCH_AT 30

/* @au (avc, 4-byte lengths) without its SPS and PPS. */
static GstBuffer *
without_parameter_sets (GstBuffer *au)
{
  GstBuffer *out = gst_buffer_new ();
  GstMapInfo map;
  gsize i = 0;

  g_assert_true (gst_buffer_map (au, &map, GST_MAP_READ));
  while (i + 4 <= map.size)
    {
      const guint8 *p = map.data + i;
      gsize n = ((gsize)p[0] << 24) | ((gsize)p[1] << 16) | ((gsize)p[2] << 8)
                | p[3];

      g_assert_cmpuint (n, <=, map.size - i - 4);
      if ((p[4] & 0x1F) != 7 && (p[4] & 0x1F) != 8)
        {
          gpointer copy = g_memdup2 (p, n + 4);

          gst_buffer_append_memory (
              out,
              gst_memory_new_wrapped (0, copy, n + 4, 0, n + 4, copy, g_free));
        }
      i += n + 4;
    }
  gst_buffer_unmap (au, &map);
  return out;
}

/* Encodes FRAMES pictures, the first SWITCH_AT at 320x240, the rest at
 * 160x120, and hands each access unit to @rec with its caps. */
static void
record_size_change (SlRecorder *rec)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipe = gst_parse_launch (
      "videotestsrc num-buffers=" G_STRINGIFY (
          FRAMES) " pattern=ball "
                  "! video/x-raw,framerate=30/1 ! videoscale "
                  "! capsfilter name=cf caps=video/x-raw,width=320,height=240 "
                  "! x264enc tune=zerolatency speed-preset=ultrafast "
                  "key-int-max=15 "
                  "! video/x-h264,stream-format=avc,alignment=au "
                  "! appsink name=out sync=false",
      &error);
  g_autoptr (GstElement) cf = NULL;
  g_autoptr (GstElement) out = NULL;
  guint n = 0;

  g_assert_no_error (error);
  cf = gst_bin_get_by_name (GST_BIN (pipe), "cf");
  out = gst_bin_get_by_name (GST_BIN (pipe), "out");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  for (;;)
    {
      g_autoptr (GstSample) s = gst_app_sink_pull_sample (GST_APP_SINK (out));
      g_autoptr (GstBuffer) au = NULL;

      if (s == NULL)
        break;
      au = without_parameter_sets (gst_sample_get_buffer (s));
      sl_recorder_add_video (rec, au, gst_sample_get_caps (s), -1);
      if (++n == SWITCH_AT)
        {
          g_autoptr (GstCaps) small
              = gst_caps_from_string ("video/x-raw,width=160,height=120");

          g_object_set (cf, "caps", small, NULL);
        }
    }
  gst_element_set_state (pipe, GST_STATE_NULL);
  g_assert_cmpuint (n, ==, FRAMES);
}

typedef struct
{
  guint frames, small;
  gboolean saw_large, saw_small;
  /* The decoding starts at keyframe @start_key (0: the first); what the
   * demuxer gave so far: access units, keyframes, and the index of the
   * access unit of the last keyframe. */
  guint start_key;
  guint demuxed, keys, last_key_at;
} Decoded;

/* Drops the access units before keyframe @start_key, as sonolink-replay
 * does before the keyframe a seek starts at. */
static GstPadProbeReturn
from_keyframe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Decoded *d = user_data;

  if (!GST_BUFFER_FLAG_IS_SET (GST_PAD_PROBE_INFO_BUFFER (info),
                               GST_BUFFER_FLAG_DELTA_UNIT))
    {
      d->last_key_at = d->demuxed;
      d->keys++;
    }
  d->demuxed++;
  return d->keys > d->start_key ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

static GstPadProbeReturn
on_decoded (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Decoded *d = user_data;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  gint w = 0;

  gst_structure_get_int (gst_caps_get_structure (caps, 0), "width", &w);
  d->saw_large |= w == 320;
  d->saw_small |= w == 160;
  d->small += w == 160;
  d->frames++;
  return GST_PAD_PROBE_OK;
}

static void
decode (const gchar *path, Decoded *d)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *desc = g_strdup_printf (
      "filesrc location=\"%s\" ! matroskademux ! h264parse name=parse "
      "! avdec_h264 name=dec ! fakesink sync=false",
      path);
  g_autoptr (GstElement) pipe = gst_parse_launch (desc, &error);
  g_autoptr (GstElement) parse = NULL;
  g_autoptr (GstElement) dec = NULL;
  g_autoptr (GstPad) sink = NULL;
  g_autoptr (GstPad) src = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) msg = NULL;

  g_assert_no_error (error);
  parse = gst_bin_get_by_name (GST_BIN (pipe), "parse");
  sink = gst_element_get_static_pad (parse, "sink");
  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_BUFFER, from_keyframe, d, NULL);
  dec = gst_bin_get_by_name (GST_BIN (pipe), "dec");
  src = gst_element_get_static_pad (dec, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, on_decoded, d, NULL);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  bus = gst_element_get_bus (pipe);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
                                    GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_EOS);
  gst_element_set_state (pipe, GST_STATE_NULL);
}

/* The sidecar beside the recording @path (NAME.mkv: NAME.jsonl). */
static gchar *
sidecar_of (const gchar *path)
{
  return g_strdup_printf ("%.*sjsonl", (int)strlen (path) - 3, path);
}

/* Removes the recording @path and its sidecar. */
static void
remove_recording (const gchar *path)
{
  g_autofree gchar *sidecar = sidecar_of (path);

  g_unlink (path);
  g_unlink (sidecar);
}

static void
test_size_change (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("sl-rec-XXXXXX", NULL);
  g_autofree gchar *folder = g_build_filename (dir, "rec", NULL);
  g_autoptr (GError) error = NULL;
  SlRecorder *rec;
  g_autofree gchar *path = NULL;
  g_autofree gchar *sidecar = NULL;
  GStatBuf st;
  Decoded d = { 0 };

  rec = sl_recorder_new (folder, "township", NULL, NULL, &error);
  g_assert_no_error (error);
  record_size_change (rec);
  g_assert_true (sl_recorder_is_running (rec));
  g_assert_cmpuint (sl_recorder_get_frames (rec), ==, FRAMES);
  path = g_strdup (sl_recorder_get_path (rec));
  sl_recorder_stop (rec);
  sl_recorder_unref (rec);

  g_assert_cmpint (g_stat (folder, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  decode (path, &d);
  g_assert_cmpuint (d.frames, ==, FRAMES);
  g_assert_true (d.saw_large);
  g_assert_true (d.saw_small);

  sidecar = sidecar_of (path);
  g_assert_true (g_file_test (sidecar, G_FILE_TEST_IS_REGULAR));
  remove_recording (path);
  g_rmdir (folder);
  g_rmdir (dir);
}

/* A decoding can start at any keyframe of the file, as a replay's seek
 * does: the last one, which comes after the change of picture size with
 * no parameter sets of its own (the depayloader took them out, and the
 * caps did not change since the change), gives its pictures at the new
 * size, each of them.  The writer once put the parameter sets in band
 * only before the first keyframe after a change, and the replay had to
 * start a seek at that one, however far back. */
static void
test_start_at_keyframe (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("sl-rec-XXXXXX", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = NULL;
  SlRecorder *rec;
  Decoded all = { 0 }, last = { 0 };

  rec = sl_recorder_new (dir, "expert", NULL, NULL, &error);
  g_assert_no_error (error);
  record_size_change (rec);
  path = g_strdup (sl_recorder_get_path (rec));
  sl_recorder_stop (rec);
  sl_recorder_unref (rec);

  decode (path, &all);
  g_assert_cmpuint (all.frames, ==, FRAMES);
  /* key-int-max 15 and a new encoder at SWITCH_AT: 0, 15, 30, 45. */
  g_assert_cmpuint (all.keys, >=, 3);
  g_assert_cmpuint (all.last_key_at, >, SWITCH_AT);
  last.start_key = all.keys - 1;
  decode (path, &last);
  g_assert_cmpuint (last.last_key_at, ==, all.last_key_at);
  g_assert_cmpuint (last.frames, ==, FRAMES - all.last_key_at);
  g_assert_cmpuint (last.small, ==, last.frames);

  remove_recording (path);
  g_rmdir (dir);
}

/* Hands @rec @frames pictures of a live 320x240 noise source (30 a
 * second, clusters of some 250 kB, the first about 350 kB, a keyframe
 * every half second), as a township's encoder would. */
static void
record_live (SlRecorder *rec, guint frames)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *desc = g_strdup_printf (
      "videotestsrc is-live=true num-buffers=%u pattern=snow "
      "! video/x-raw,width=320,height=240,framerate=30/1 "
      "! x264enc tune=zerolatency speed-preset=ultrafast bitrate=2000 "
      "key-int-max=15 "
      "! video/x-h264,stream-format=byte-stream,alignment=au "
      "! appsink name=out sync=false",
      frames);
  g_autoptr (GstElement) pipe = gst_parse_launch (desc, &error);
  g_autoptr (GstElement) out = NULL;
  guint n = 0;

  g_assert_no_error (error);
  out = gst_bin_get_by_name (GST_BIN (pipe), "out");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  for (;;)
    {
      g_autoptr (GstSample) s = gst_app_sink_pull_sample (GST_APP_SINK (out));

      if (s == NULL)
        break;
      sl_recorder_add_video (rec, gst_sample_get_buffer (s),
                             gst_sample_get_caps (s), -1);
      n++;
    }
  gst_element_set_state (pipe, GST_STATE_NULL);
  g_assert_cmpuint (n, ==, frames);
}

/* The descriptor this process has open on @path. */
static int
fd_of (const gchar *path)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const gchar *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *link = g_build_filename ("/proc/self/fd", name, NULL);
      g_autofree gchar *target = g_file_read_link (link, NULL);

      if (g_strcmp0 (target, path) == 0)
        return atoi (name);
    }
  g_assert_not_reached ();
  return -1;
}

static gpointer
drain (gpointer data)
{
  int fd = GPOINTER_TO_INT (data);
  GByteArray *got = g_byte_array_new ();
  guint8 buf[65536];
  ssize_t n;

  while ((n = read (fd, buf, sizeof buf)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >, 0);
      g_byte_array_append (got, buf, (guint)n);
    }
  close (fd);
  return got;
}

/* The recording's file is swapped for a pipe nobody reads, its buffer
 * made one page: the writer thread blocks in write(2) on the first
 * cluster, as on a stalled disk.  The recorder must keep
 * taking pictures without waiting (or this test hangs), hold no more than
 * its bound, drop the rest and say so; once the pipe is read again, it
 * resumes, wants a keyframe, and what reached the "disk" decodes. */
static void
test_disk_stall (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("sl-rec-XXXXXX", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) got = NULL;
  g_autofree gchar *copy = NULL;
  g_autofree gchar *path = NULL;
  GThread *drainer;
  SlRecorder *rec;
  guint64 bytes, gaps, gaps_in_stall;
  int pipe_fds[2];
  Decoded d = { 0 };

  rec = sl_recorder_new (dir, "township", NULL, NULL, &error);
  g_assert_no_error (error);
  /* Two of these clusters do not fit; the one stuck in write(2) is more
   * than half of it, so the gap lasts as long as the stall. */
  sl_recorder_set_backlog_limit (rec, 500 * 1000);
  g_assert_cmpint (pipe (pipe_fds), ==, 0);
  g_assert_cmpint (fcntl (pipe_fds[1], F_SETPIPE_SZ, 4096), >=, 4096);
  g_assert_cmpint (dup2 (pipe_fds[1], fd_of (sl_recorder_get_path (rec))), >=,
                   0);
  close (pipe_fds[1]);

  /* Four seconds while the "disk" takes nothing past the pipe's buffer. */
  record_live (rec, 120);
  g_assert_true (sl_recorder_get_dropped (rec, &bytes, &gaps));
  /* One gap; two if the first cluster alone was over the bound. */
  g_assert_cmpuint (gaps, >=, 1);
  gaps_in_stall = gaps;
  /* At least a whole cluster of the four seconds. */
  g_assert_cmpuint (bytes, >, 100 * 1000);
  g_assert_false (sl_recorder_take_keyframe_wanted (rec));
  g_assert_true (sl_recorder_is_running (rec));

  /* The disk comes back: the gap ends with the next cluster, and the
   * video waits for (and asks for) a keyframe. */
  drainer = g_thread_new ("drain", drain, GINT_TO_POINTER (pipe_fds[0]));
  record_live (rec, 60);
  g_assert_false (sl_recorder_get_dropped (rec, &bytes, &gaps));
  g_assert_cmpuint (gaps, ==, gaps_in_stall);
  g_assert_true (sl_recorder_take_keyframe_wanted (rec));
  g_assert_false (sl_recorder_take_keyframe_wanted (rec));
  path = g_strdup (sl_recorder_get_path (rec));
  sl_recorder_stop (rec);
  sl_recorder_unref (rec);
  got = g_thread_join (drainer);

  copy = g_build_filename (dir, "copy.mkv", NULL);
  g_assert_true (
      g_file_set_contents (copy, (const gchar *)got->data, got->len, NULL));
  decode (copy, &d);
  /* Pictures from before the gap and after it, but not all 180. */
  g_assert_cmpuint (d.frames, >, 30);
  g_assert_cmpuint (d.frames, <, 180 - 30);
  g_unlink (copy);
  remove_recording (path);
  g_remove (dir);
}

/* A folder that cannot be made: a clear error, no recorder. */
static void
test_bad_folder (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_null (
      sl_recorder_new ("/proc/version/rec", "expert", NULL, NULL, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "/proc/version/rec"));
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/recorder/size-change", test_size_change);
  g_test_add_func ("/recorder/start-at-keyframe", test_start_at_keyframe);
  g_test_add_func ("/recorder/bad-folder", test_bad_folder);
  g_test_add_func ("/recorder/disk-stall", test_disk_stall);
  return g_test_run ();
}
