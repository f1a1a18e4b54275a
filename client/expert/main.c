/* sonolink-expert — the station of the coaching expert (or a trainee).
 *
 * Receives the township's probe picture and voice and sends the expert's
 * voice back.  With a display it shows the picture in a window; headless,
 * --snapshot writes what it would show.  A thin front end over sl-station.c.
 */
#include "sl-station.h"

static const gchar description[]
    = "Joins the consultation room named in the token as its expert (or, with\n"
      "a trainee token, as a trainee; with a recorder token and --record, as\n"
      "the room's recorder), shows the township's live probe picture, plays\n"
      "its voice and sends the expert's voice back.  Prints a status line\n"
      "every second.\n"
      "\n"
      "Sink specs (--sink):\n"
      "  auto          a window when a display exists, else nothing (default)\n"
      "  none          decode only (use with --snapshot or --stats)\n"
      "  gst:DESC      a GStreamer sink description taking raw video\n"
      "\n"
      "Exit status: 0 stopped normally, 1 failure, 2 bad command line,\n"
      "3 token refused (or a recorder token without --record), 4 hub\n"
      "unreachable, 6 protocol mismatch, 7 device or media failure.\n"
      "\n"
      "Example:\n"
      "  sonolink-expert --hub ws://127.0.0.1:8443 --token-file expert.tok\n"
      "\n"
      "See docs/sonolink-expert.md for the full manual.";

int
main (int argc, char **argv)
{
  SlStationOptions opt = { .kind = SL_STATION_EXPERT };
  const GOptionEntry entries[] = {
    { "sink", 0, 0, G_OPTION_ARG_STRING, &opt.sink,
      "Where the decoded picture goes: auto, none or gst:DESC", "SPEC" },
    { "snapshot", 0, 0, G_OPTION_ARG_FILENAME, &opt.snapshot_path,
      "Keep PATH updated with a PNG of the picture shown (every 2 s and "
      "at exit)",
      "PATH" },
    { "verify-phantom", 0, 0, G_OPTION_ARG_NONE, &opt.verify_phantom,
      "Check every decoded picture against the synthetic phantom it came "
      "from and report PSNR in the stats",
      NULL },
    { "phantom-seed", 0, 0, G_OPTION_ARG_INT, &opt.phantom_seed,
      "Seed the township's phantom uses (default 1)", "N" },
    { "latency-log", 0, 0, G_OPTION_ARG_FILENAME, &opt.latency_log,
      "Append one line per decoded picture that carries the township's "
      "latency stamp: \"INDEX LATENCY_US ARRIVAL_US\" (INDEX: the "
      "phantom's frame index, or -1)",
      "FILE" },
    { "paced", 0, 0, G_OPTION_ARG_NONE, &opt.paced,
      "Show each picture at its due time on the clock instead of the moment "
      "it is decoded: smoother motion over a jittery link, for the jitter "
      "buffer's latency more delay (the window, or a gst: sink that "
      "has a sync property)",
      NULL },
    { "guidance-script", 0, 0, G_OPTION_ARG_FILENAME, &opt.guidance_script,
      "Send the marks, pointer moves, cues, prompts and still requests of "
      "FILE at their times once the guidance channel is open (JSON lines; "
      "docs/guidance.md, SCRIPTS)",
      "FILE" },
    { "stills-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt.stills_dir,
      "Save the stills the township sends in DIR (default: "
      "$XDG_DATA_HOME/sonolink/stills, readable by this user only)",
      "DIR" },
    { "guide-log", 0, 0, G_OPTION_ARG_FILENAME, &opt.guide_log,
      "Append one line per guidance message sent: \"sent TYPE ID "
      "MONOTONIC_US\" (for benchmarks)",
      "FILE" },
    { NULL },
  };

  return sl_station_main (&opt, entries, description, argc, argv);
}
