/* sonolink-township — the station at the patient's bedside.
 *
 * Streams the probe picture and the room's voice to the experts and
 * trainees of a consultation room and plays the expert's voice.  A thin
 * front end: the township's own options here, those of every station in
 * sl-station-options.c, everything else in sl-station.c.
 */
#include "sl-station.h"

static const gchar description[]
    = "Joins the consultation room named in the token as its township\n"
      "station, streams the probe to every expert and trainee who joins,\n"
      "and plays their voice.  Prints a status line every second.\n"
      "\n"
      "Probe specs:\n"
      "  synthetic     the built-in phantom (default; deterministic B-mode)\n"
      "  file:PATH     a video file, looped as a live source\n"
      "  v4l2:DEVICE[?width=W&height=H&fps=N&format=F]\n"
      "                a capture card (HDMI/SDI grabber); the best raw mode\n"
      "                is chosen unless the keys pin it down\n"
      "  gst:DESC      any GStreamer source description\n"
      "If the picture is lost (card unplugged, cable pulled, a source's\n"
      "error), the experts see NO SIGNAL and the station retries by itself.\n"
      "\n"
      "Exit status: 0 stopped normally, 1 failure, 2 bad command line,\n"
      "3 token refused, 4 hub unreachable, 5 room already has a township,\n"
      "6 protocol mismatch, 7 device or media failure.\n"
      "\n"
      "Example:\n"
      "  sonolink-township --hub ws://127.0.0.1:8443 --token-file room.tok\n"
      "\n"
      "See docs/sonolink-township.md for the full manual.";

int
main (int argc, char **argv)
{
  SlStationOptions opt = { .kind = SL_STATION_TOWNSHIP };
  const GOptionEntry entries[] = {
    { "probe", 0, 0, G_OPTION_ARG_STRING, &opt.probe,
      "Where the picture comes from: synthetic, file:PATH, v4l2:DEVICE or "
      "gst:DESC (default synthetic)",
      "SPEC" },
    { "machine", 0, 0, G_OPTION_ARG_FILENAME, &opt.machine_path,
      "The ultrasound machine's profile (JSON): the image region the "
      "picture is cropped to, the rectangles masked before anything is "
      "encoded (the patient banner), the pixel spacing for calipers; "
      "see docs/probe-adapters.md",
      "FILE" },
    { "profile-snapshot", 0, 0, G_OPTION_ARG_FILENAME, &opt.profile_snapshot,
      "Write one frame of the probe, unmasked and uncropped, with a pixel "
      "grid and rulers to PNG (mode 0600), then exit: to read the "
      "rectangles of a new machine profile (with --machine, at its frame "
      "size with its rectangles outlined)",
      "PNG" },
    { "width", 0, 0, G_OPTION_ARG_INT, &opt.width,
      "Picture width in pixels (default 1280, at most 1920)", "PX" },
    { "height", 0, 0, G_OPTION_ARG_INT, &opt.height,
      "Picture height in pixels (default 720, at most 1080)", "PX" },
    { "fps", 0, 0, G_OPTION_ARG_INT, &opt.fps, "Frames per second (default 30)",
      "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &opt.seed,
      "Seed of the synthetic phantom (default 1)", "N" },
    { "bitrate", 0, 0, G_OPTION_ARG_INT, &opt.bitrate_kbps,
      "Video bitrate in kbit/s (default 4000): the start, and the most the "
      "rate controller gives the video",
      "KBPS" },
    { "min-bitrate", 0, 0, G_OPTION_ARG_INT, &opt.min_bitrate_kbps,
      "The least the rate controller gives the video, kbit/s (default 40: "
      "the picture follows the link down to 5 fps at 3/8 of its size)",
      "KBPS" },
    { "floor-bitrate", 0, 0, G_OPTION_ARG_INT, &opt.floor_kbps,
      "Diagnostic floor, kbit/s (default 500): below it both stations say "
      "the picture is not of diagnostic quality",
      "KBPS" },
    { "fixed-rate", 0, 0, G_OPTION_ARG_NONE, &opt.fixed_rate,
      "Send at --bitrate whatever the link does (no rate control; for "
      "comparisons)",
      NULL },
    { "no-fec", 0, 0, G_OPTION_ARG_NONE, &opt.no_fec,
      "Never add FEC to the video, whatever the round trip (FEC is on "
      "when the round trip is 100 ms or more and packets are lost, and "
      "the link is not full; for comparisons, or links where bandwidth "
      "counts more than delay)",
      NULL },
    { "x264-options", 0, 0, G_OPTION_ARG_STRING, &opt.x264_options,
      "Extra x264 options in x264's syntax (\"aq-mode=1:deblock=1,1\"), "
      "for tuning by media engineers; the engine's bitrate, VBV, intra "
      "period and threading take precedence",
      "OPTS" },
    { "voice-processing", 0, 0, G_OPTION_ARG_STRING, &opt.voice_processing,
      "What cleans the room's voice before it is sent: off, aec (echo "
      "cancellation, adds 8 ms; the default when a microphone and a "
      "loudspeaker are used, else off) or aec+ns (echo cancellation and "
      "noise suppression for a noisy room, adds 14 ms)",
      "MODE" },
    { "latency-stamp", 0, 0, G_OPTION_ARG_NONE, &opt.latency_stamp,
      "Write this machine's monotonic clock into the top-right corner of "
      "every frame, so the expert can measure glass-to-glass latency "
      "(covers 224x32 pixels at 720p; for tests and benchmarks)",
      NULL },
    { "preview", 0, 0, G_OPTION_ARG_STRING, &opt.preview,
      "Where the township sees its own picture with the expert's marks: "
      "auto (a window when DISPLAY or WAYLAND_DISPLAY is set, else none; "
      "the default), none, or gst:DESC",
      "SPEC" },
    { "snapshot", 0, 0, G_OPTION_ARG_FILENAME, &opt.snapshot_path,
      "Keep PATH updated with a PNG of the probe picture as captured, with "
      "the expert's marks, pointer and cue drawn over it (every 2 s and at "
      "exit)",
      "PATH" },
    { "stills-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt.stills_dir,
      "Keep a copy of every still sent to the expert in DIR (default: none "
      "kept)",
      "DIR" },
    { "guide-log", 0, 0, G_OPTION_ARG_FILENAME, &opt.guide_log,
      "Append one line per guidance message applied: \"applied TYPE ID "
      "MONOTONIC_US\" (for benchmarks)",
      "FILE" },
    { NULL },
  };

  return sl_station_main (&opt, entries, description, argc, argv);
}
