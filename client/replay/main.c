/* sonolink-replay — a recording played, exported and annotated.
 *
 * docs/sonolink-replay.md is the manual.  This file reads the options,
 * opens the recording (sl-replay-file.h) and hands over to the window
 * (sl-replay-window.h), the snapshot and phantom check
 * (sl-replay-decode.h), the export (sl-replay-export.h) or the note.
 */
#include "sl-replay-decode.h"
#include "sl-replay-export.h"
#include "sl-replay-window.h"
#include "sl-verify.h"

#include <gst/gst.h>
#include <stdio.h>
#include <unistd.h>

enum
{
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_USAGE = 2,
  EXIT_NOT_RECORDING = 3,
  EXIT_OUTPUT = 4,
};

static const gchar description[]
    = "Plays a recording of sonolink-township --record or sonolink-expert\n"
      "--record (FILE.mkv, or its sidecar FILE.jsonl) in a window with both\n"
      "voices and the marks as the stations drew them; or writes the picture\n"
      "at a time as a PNG, exports it as an MP4, or adds a review note.\n"
      "\n"
      "Times are seconds on the recording's timeline (12.4) or\n"
      "MINUTES:SECONDS (1:02.5).\n"
      "\n"
      "Keys in the window: space pause/play, Left/Right back/forward 5 s,\n"
      "Down/Up 30 s, Home the start, . next frame, , previous frame,\n"
      "n a note at the picture shown (typed on the terminal), q quit.\n"
      "\n"
      "Exit status: 0 done, 1 the work failed, 2 bad command line (a time\n"
      "outside the recording, --from after --to, a bad note), 3 FILE is not\n"
      "a readable recording, 4 the output cannot be written.\n"
      "\n"
      "Examples:\n"
      "  sonolink-replay rec/sonolink-expert-20261205-101500.mkv\n"
      "  sonolink-replay REC.mkv --snapshot-at 12.4 mark.png\n"
      "  sonolink-replay REC.mkv --export talk.mp4 --from 60 --to 90\n"
      "  sonolink-replay REC.mkv --note \"12.4: probe too lateral\"\n"
      "\n"
      "See docs/sonolink-replay.md for the full manual.";

typedef struct
{
  gchar *snapshot_at;
  gchar *export_path;
  gchar *from, *to;
  gboolean burn_marks;
  gchar **notes;
  gboolean list_notes;
  gboolean verify;
  gint seed;
  gboolean no_audio;
  gchar *sink;
} Options;

static int
usage_error (const gchar *message)
{
  g_printerr ("sonolink-replay: %s\n(sonolink-replay --help tells more)\n",
              message);
  return EXIT_USAGE;
}

/* Reads a time option into *@ms (left alone when @arg is NULL). */
static gboolean
read_time_option (const gchar *name, const gchar *arg, gint64 *ms,
                  GError **error)
{
  if (arg == NULL)
    return TRUE;
  if (!sl_replay_time_parse (arg, ms, error))
    {
      g_prefix_error (error, "%s %s: ", name, arg);
      return FALSE;
    }
  return TRUE;
}

static int
exit_for (const GError *error)
{
  if (error->domain == G_FILE_ERROR)
    return EXIT_OUTPUT;
  if (error->domain == SL_REPLAY_ERROR
      && (error->code == SL_REPLAY_ERROR_RANGE
          || error->code == SL_REPLAY_ERROR_NOTE))
    return EXIT_USAGE;
  if (error->domain == SL_REPLAY_ERROR
      && (error->code == SL_REPLAY_ERROR_NOT_RECORDING
          || error->code == SL_REPLAY_ERROR_EMPTY))
    return EXIT_FAILED;
  return EXIT_FAILED;
}

static int
fail (const GError *error)
{
  g_printerr ("sonolink-replay: %s\n", error->message);
  return exit_for (error);
}

/* --verify-phantom: every picture against the phantom it came from. */
static int
verify (SlReplayFile *file, guint32 seed)
{
  g_autoptr (SlReplayDecoder) dec = NULL;
  g_autoptr (SlVerifier) verifier = sl_verifier_new (seed);
  g_autoptr (GError) error = NULL;
  SlVerifyStats s;
  guint64 submitted = 0;
  GstSample *sample;
  gint64 pts;

  dec = sl_replay_decoder_new (file, sl_replay_file_start_ms (file), &error);
  if (dec == NULL)
    return fail (error);
  while ((sample = sl_replay_decoder_next (dec, &pts, &error)) != NULL)
    {
      sl_verifier_check (verifier, sample);
      gst_sample_unref (sample);
      submitted++;
      /* The checker keeps up at 30 fps, not at the decoder's pace: wait
       * for it rather than let it skip pictures. */
      do
        {
          sl_verifier_get_stats (verifier, &s);
          if (submitted - (s.checked + s.skipped + s.stamp_errors) > 8)
            g_usleep (1000);
        }
      while (submitted - (s.checked + s.skipped + s.stamp_errors) > 8);
    }
  if (error != NULL)
    return fail (error);
  do
    {
      sl_verifier_get_stats (verifier, &s);
      if (s.checked + s.skipped + s.stamp_errors < submitted)
        g_usleep (1000);
    }
  while (s.checked + s.skipped + s.stamp_errors < submitted);
  printf ("{\"frames\":%" G_GUINT64_FORMAT
          ",\"verify_checked\":%" G_GUINT64_FORMAT
          ",\"verify_stamp_errors\":%" G_GUINT64_FORMAT
          ",\"verify_psnr_min\":%.3f,\"verify_psnr_mean\":%.3f,"
          "\"verify_ssim_mean\":%.5f}\n",
          submitted, s.checked, s.stamp_errors, s.psnr_min, s.psnr_mean,
          s.ssim_mean);
  return s.checked > 0 ? EXIT_OK : EXIT_FAILED;
}

static int
add_notes (SlReplayFile *file, gchar **notes)
{
  for (guint i = 0; notes[i] != NULL; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree gchar *text = NULL;
      gint64 t_ms;

      if (!sl_replay_note_parse (notes[i], &t_ms, &text, &error))
        return usage_error (error->message);
      if (t_ms > sl_replay_file_end_ms (file))
        {
          g_autofree gchar *why = g_strdup_printf (
              "--note at %.3f s: the recording ends at %.3f s", t_ms / 1000.0,
              sl_replay_file_end_ms (file) / 1000.0);

          return usage_error (why);
        }
      if (!sl_replay_file_add_note (file, t_ms, text, &error))
        return fail (error);
      printf ("note added at %.3f s\n", t_ms / 1000.0);
    }
  return EXIT_OK;
}

static void
print_notes (SlReplayFile *file)
{
  guint n;
  const SlReplayNote *notes = sl_replay_timeline_notes (file->timeline, &n);

  for (guint i = 0; i < n; i++)
    printf ("%.3f\t%s\n", notes[i].t_ms / 1000.0, notes[i].text);
}

static int
do_export (SlReplayFile *file, const Options *o, gint64 from, gint64 to)
{
  g_autoptr (GError) error = NULL;
  SlReplayExportOptions eo = {
    .out_path = o->export_path,
    .from_ms = from,
    .to_ms = to,
    .burn_marks = o->burn_marks,
    .progress_tty = isatty (STDERR_FILENO),
  };

  if (!sl_replay_export (file, &eo, &error))
    return fail (error);
  return EXIT_OK;
}

static int
run (const Options *o, const gchar *path, const gchar *png)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SlReplayFile) file = NULL;
  gint64 from, to, at = -1;

  file = sl_replay_file_open (path, &error);
  if (file == NULL)
    {
      g_printerr ("sonolink-replay: %s\n", error->message);
      return EXIT_NOT_RECORDING;
    }
  if (file->skipped_lines > 0)
    g_printerr ("sonolink-replay: %u line(s) of %s could not be read and are "
                "left out\n",
                file->skipped_lines, file->sidecar_path);
  from = sl_replay_file_start_ms (file);
  to = sl_replay_file_end_ms (file);
  if (!read_time_option ("--from", o->from, &from, &error)
      || !read_time_option ("--to", o->to, &to, &error)
      || !read_time_option ("--snapshot-at", o->snapshot_at, &at, &error))
    return usage_error (error->message);
  if (from >= to || to > sl_replay_file_end_ms (file)
      || from > sl_replay_file_end_ms (file))
    {
      g_autofree gchar *why = g_strdup_printf (
          "--from %.3f and --to %.3f: the recording's pictures run from "
          "%.3f to %.3f s, and --from must come before --to",
          from / 1000.0, to / 1000.0, sl_replay_file_start_ms (file) / 1000.0,
          sl_replay_file_end_ms (file) / 1000.0);

      return usage_error (why);
    }
  from = MAX (from, sl_replay_file_start_ms (file));
  if (o->notes != NULL)
    return add_notes (file, o->notes);
  if (o->list_notes)
    {
      print_notes (file);
      return EXIT_OK;
    }
  if (o->snapshot_at != NULL)
    {
      if (!sl_replay_snapshot (file, at, png, &error))
        return fail (error);
      return EXIT_OK;
    }
  if (o->verify)
    return verify (file, (guint32)o->seed);
  if (o->export_path != NULL)
    return do_export (file, o, from, to);
  {
    SlReplayWindowOptions wo
        = { .from_ms = from, .no_audio = o->no_audio, .sink = o->sink };

    print_notes (file);
    if (!sl_replay_window_run (file, &wo, &error))
      return fail (error);
  }
  return EXIT_OK;
}

int
main (int argc, char **argv)
{
  Options o = { .seed = 1 };
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) args = NULL;
  gchar **rest = NULL;
  const GOptionEntry entries[] = {
    { "snapshot-at", 0, 0, G_OPTION_ARG_STRING, &o.snapshot_at,
      "Write the picture shown at SECONDS, with its marks, to PATH (a PNG, "
      "mode 0600) and exit",
      "SECONDS PATH" },
    { "export", 0, 0, G_OPTION_ARG_FILENAME, &o.export_path,
      "Export to OUT.mp4 (H.264 copied, voices mixed to AAC) with the marks "
      "and notes in OUT.vtt",
      "OUT.mp4" },
    { "from", 0, 0, G_OPTION_ARG_STRING, &o.from,
      "Export or play from this time (a copy starts at the keyframe before)",
      "SECONDS" },
    { "to", 0, 0, G_OPTION_ARG_STRING, &o.to, "Export up to this time",
      "SECONDS" },
    { "burn-marks", 0, 0, G_OPTION_ARG_NONE, &o.burn_marks,
      "Draw the marks into the exported picture (re-encoded with x264)", NULL },
    { "note", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.notes,
      "Append a review note to the recording's sidecar, e.g. \"12.4: probe "
      "too lateral\" (may be repeated)",
      "\"SECONDS: TEXT\"" },
    { "notes", 0, 0, G_OPTION_ARG_NONE, &o.list_notes,
      "Print the recording's notes, one a line: SECONDS<tab>TEXT", NULL },
    { "verify-phantom", 0, 0, G_OPTION_ARG_NONE, &o.verify,
      "Decode every picture, check it against the synthetic phantom it came "
      "from and print the PSNR and SSIM as one JSON line",
      NULL },
    { "phantom-seed", 0, 0, G_OPTION_ARG_INT, &o.seed,
      "Seed the township's phantom used (default 1)", "N" },
    { "no-audio", 0, 0, G_OPTION_ARG_NONE, &o.no_audio,
      "Do not play the voices", NULL },
    { "sink", 0, 0, G_OPTION_ARG_STRING, &o.sink,
      "The window's GStreamer video sink (default autovideosink)", "DESC" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL,
      NULL },
    { NULL },
  };
  int status;
  guint n_rest, want;
  gint modes;

  ctx = g_option_context_new ("FILE [PATH] — replay, export or annotate a "
                              "recording");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx, description);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  args = g_strdupv (argv);
  if (!g_option_context_parse_strv (ctx, &args, &error))
    return usage_error (error->message);
  n_rest = rest != NULL ? g_strv_length (rest) : 0;
  want = o.snapshot_at != NULL ? 2 : 1;
  modes = (o.snapshot_at != NULL) + (o.export_path != NULL) + (o.notes != NULL)
          + o.verify + o.list_notes;
  if (n_rest != want)
    status = usage_error (o.snapshot_at != NULL
                              ? "--snapshot-at takes SECONDS, then the "
                                "recording and the PNG's path"
                              : "name one recording (FILE.mkv)");
  else if (modes > 1)
    status = usage_error ("--snapshot-at, --export, --note, --notes and "
                          "--verify-phantom go one at a time");
  else if (o.burn_marks && o.export_path == NULL)
    status = usage_error ("--burn-marks goes with --export");
  else if (o.export_path != NULL && !g_str_has_suffix (o.export_path, ".mp4"))
    status = usage_error ("--export writes an MP4: name it OUT.mp4");
  else
    status = run (&o, rest[0], want == 2 ? rest[1] : NULL);
  g_strfreev (rest);
  g_free (o.snapshot_at);
  g_free (o.export_path);
  g_free (o.from);
  g_free (o.to);
  g_strfreev (o.notes);
  g_free (o.sink);
  return status;
}
