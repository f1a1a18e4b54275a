/* record-tap.c — what a recording adds to the thread that carries the
 * picture (tests/bench/recording.py runs it; docs/PERFORMANCE.md).
 *
 * The stations' taps call sl_recorder_add_video on the streaming thread
 * that takes the encoder's output to the payloader (the township) or the
 * parser's output to the decoder (the expert), and sl_recorder_add_voice
 * on the voice's: whatever those calls take is added to the picture's and
 * the voice's way, frame by frame.  This measures them directly, on a real
 * recorder writing a real file, with access units of x264 at the
 * consultation's settings handed over 30 times a second, and, on the same
 * units in the same run, the floor: one copy of each into memory, which
 * any recording must make.
 *
 *     sl-bench-record-tap [--frames N] [--width W] [--height H]
 *                         [--kbps K] [--dir DIR]
 *
 * Prints one JSON line: per access unit and per Opus packet, the p50,
 * p99 and max time of the tap and of the copy, in microseconds.
 */
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <glib/gstdio.h>
#include <string.h>
#include <time.h>

#include "sl-recorder.h"

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static GPtrArray *
encode (guint frames, gint width, gint height, gint kbps, GstCaps **caps)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *desc = g_strdup_printf (
      "videotestsrc num-buffers=%u pattern=snow "
      "! video/x-raw,width=%d,height=%d,framerate=30/1 "
      "! x264enc tune=zerolatency speed-preset=ultrafast bitrate=%d "
      "key-int-max=60 "
      "! video/x-h264,stream-format=byte-stream,alignment=au "
      "! appsink name=out sync=false",
      frames, width, height, kbps);
  g_autoptr (GstElement) pipe = gst_parse_launch (desc, &error);
  g_autoptr (GstElement) out = NULL;
  GPtrArray *aus
      = g_ptr_array_new_with_free_func ((GDestroyNotify)gst_buffer_unref);

  if (pipe == NULL)
    g_error ("cannot make the encoder: %s", error->message);
  out = gst_bin_get_by_name (GST_BIN (pipe), "out");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  for (;;)
    {
      g_autoptr (GstSample) s = gst_app_sink_pull_sample (GST_APP_SINK (out));

      if (s == NULL)
        break;
      if (*caps == NULL)
        *caps = gst_caps_ref (gst_sample_get_caps (s));
      g_ptr_array_add (aus, gst_buffer_ref (gst_sample_get_buffer (s)));
    }
  gst_element_set_state (pipe, GST_STATE_NULL);
  return aus;
}

static int
cmp_i64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile, as sl_percentile. */
static gdouble
percentile_us (GArray *ns, guint p)
{
  guint rank;

  if (ns->len == 0)
    return 0;
  g_array_sort (ns, cmp_i64);
  rank = MAX (1u, (ns->len * p + 99) / 100);
  return g_array_index (ns, gint64, rank - 1) / 1000.0;
}

static void
print_times (const gchar *name, GArray *ns, gboolean last)
{
  g_print ("\"%s\": {\"p50\": %.2f, \"p99\": %.2f, \"max\": %.2f}%s", name,
           percentile_us (ns, 50), percentile_us (ns, 99),
           percentile_us (ns, 100), last ? "" : ", ");
}

int
main (int argc, char **argv)
{
  gint frames = 300, width = 1280, height = 720, kbps = 4000;
  g_autofree gchar *dir = NULL;
  GOptionEntry entries[] = {
    { "frames", 0, 0, G_OPTION_ARG_INT, &frames, "access units (300)", "N" },
    { "width", 0, 0, G_OPTION_ARG_INT, &width, "picture width (1280)", "W" },
    { "height", 0, 0, G_OPTION_ARG_INT, &height, "picture height (720)", "H" },
    { "kbps", 0, 0, G_OPTION_ARG_INT, &kbps, "encoder bitrate (4000)", "K" },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir,
      "record here (default: a new temporary folder, removed after)", "DIR" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx
      = g_option_context_new ("— the recording taps' cost per unit");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) aus = NULL;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstBuffer) opus = NULL;
  g_autoptr (GByteArray) copy = g_byte_array_new ();
  g_autoptr (GArray) tap = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) floor_ns = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) voice = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) voice_floor = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree gchar *path = NULL;
  gboolean own_dir = FALSE;
  SlRecorder *rec;
  guint64 bytes = 0;

  gst_init (&argc, &argv);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || frames < 1
      || width < 16 || height < 16 || kbps < 1)
    {
      g_printerr ("sl-bench-record-tap: %s\n",
                  error ? error->message : "bad --frames, size or --kbps");
      return 2;
    }
  if (dir == NULL)
    {
      dir = g_dir_make_tmp ("sl-bench-tap-XXXXXX", &error);
      own_dir = TRUE;
    }
  aus = encode ((guint)frames, width, height, kbps, &caps);
  /* A voice packet of the size Opus sends at 32 kbit/s, 20 ms. */
  opus = gst_buffer_new_allocate (NULL, 80, NULL);
  gst_buffer_memset (opus, 0, 0x5A, 80);
  rec = sl_recorder_new (dir, "township", NULL, NULL, &error);
  if (rec == NULL)
    {
      g_printerr ("sl-bench-record-tap: %s\n", error->message);
      return 1;
    }
  path = g_strdup (sl_recorder_get_path (rec));
  for (guint i = 0; i < aus->len; i++)
    {
      GstBuffer *au = g_ptr_array_index (aus, i);
      GstMapInfo map;
      gint64 t0, t1, t2;

      /* The floor: one copy of the unit. */
      t0 = now_ns ();
      if (gst_buffer_map (au, &map, GST_MAP_READ))
        {
          g_byte_array_set_size (copy, 0);
          g_byte_array_append (copy, map.data, (guint)map.size);
          gst_buffer_unmap (au, &map);
        }
      t1 = now_ns ();
      sl_recorder_add_video (rec, au, caps, -1);
      t2 = now_ns ();
      g_array_append_vals (floor_ns, (gint64[]){ t1 - t0 }, 1);
      g_array_append_vals (tap, (gint64[]){ t2 - t1 }, 1);
      bytes += gst_buffer_get_size (au);
      /* Two voice packets a picture, as 20 ms packets come at 50 a
       * second and pictures at 30. */
      for (guint k = 0; k < 2; k++)
        {
          t0 = now_ns ();
          if (gst_buffer_map (opus, &map, GST_MAP_READ))
            {
              g_byte_array_set_size (copy, 0);
              g_byte_array_append (copy, map.data, (guint)map.size);
              gst_buffer_unmap (opus, &map);
            }
          t1 = now_ns ();
          sl_recorder_add_voice (rec, TRUE, opus);
          t2 = now_ns ();
          g_array_append_vals (voice_floor, (gint64[]){ t1 - t0 }, 1);
          g_array_append_vals (voice, (gint64[]){ t2 - t1 }, 1);
        }
      /* The pictures' pace, so that clusters close and are written
       * while units come, as in a consultation. */
      g_usleep (G_USEC_PER_SEC / 30);
    }
  g_print ("{\"units\": %u, \"frames_recorded\": %" G_GUINT64_FORMAT
           ", \"mean_unit_bytes\": %.0f, ",
           aus->len, sl_recorder_get_frames (rec), (gdouble)bytes / aus->len);
  sl_recorder_stop (rec);
  sl_recorder_unref (rec);
  print_times ("video_tap_us", tap, FALSE);
  print_times ("video_copy_us", floor_ns, FALSE);
  print_times ("voice_tap_us", voice, FALSE);
  print_times ("voice_copy_us", voice_floor, TRUE);
  g_print ("}\n");
  if (own_dir)
    {
      g_autofree gchar *sidecar
          = g_strdup_printf ("%.*sjsonl", (int)strlen (path) - 3, path);

      g_unlink (path);
      g_unlink (sidecar);
      g_rmdir (dir);
    }
  return 0;
}
