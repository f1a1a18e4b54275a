#!/usr/bin/env python3
"""A file probe sends the bitrate asked for, at the clip's own rate.

The file: probe plays a clip at its own pace.  When its caps announced
--fps (30) for a 25 fps clip, x264 spent --bitrate over 30 frames a
second and the station sent 5/6 of it (834 kbit/s for --bitrate 1000).
Here the township plays the shared 25 fps linear-probe clip with
--bitrate 1000: its start line must say 25 fps and what it sends, once
the session has settled, 1000 kbit/s within 10 %.  Then with --fps 15:
the source drops frames to make 15 fps, and still sends 1000 ± 10 %.
Skipped (exit 77) without ../shared/data/us-clips beside the source tree.
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sltest import Hub, check, read_stats, run, station_args  # noqa: E402

CLIP = os.path.join(HERE, "..", "..", "..", "shared", "data", "us-clips",
                    "Vir_prospective_file1.mp4")
SECONDS = 14


def consultation(build, procs, room, extra):
    hub = Hub(build, procs).start()
    t_stats = os.path.join(procs.workdir, room + "-township.jsonl")
    expert = procs.start(room + "-expert", [build.expert] + station_args(
        hub, hub.token_file(room + "-e", hub.token(room, "expert")),
        os.path.join(procs.workdir, room + "-expert.jsonl"),
        ["--audio-in", "none", "--sink", "none", "--duration",
         str(SECONDS)]))
    township = procs.start(room + "-township", [build.township] + station_args(
        hub, hub.token_file(room + "-t", hub.token(room, "township")),
        t_stats, ["--audio-in", "none", "--probe", "file:" + CLIP,
                  "--bitrate", "1000", "--duration", str(SECONDS)] + extra))
    check(procs.wait_exit(township, SECONDS + 30) == 0,
          "the township played the clip for --duration")
    check(procs.wait_exit(expert, SECONDS + 30) == 0,
          "the expert ran for --duration")
    procs.stop(hub.proc)
    connected = [r for r in read_stats(t_stats)
                 if r.get("state") == "connected"]
    # The first seconds are the session's start and the encoder's first
    # keyframes; the rest is the steady rate.
    steady = connected[5:]
    check(len(steady) >= 5, "the township sent for at least 5 steady "
          "seconds (%d)" % len(steady))
    kbps = sum(r["bitrate_kbps"] for r in steady) / len(steady)
    fps = sum(r["fps"] for r in steady) / len(steady)
    announced = re.search(r"probe file:\S+ (\d+)x(\d+) at (\d+) fps",
                          procs.log(township))
    return kbps, fps, announced and int(announced.group(3))


def main(build, procs):
    if not os.path.exists(CLIP):
        print("SKIP: no shared clip at %s" % CLIP)
        sys.exit(77)
    kbps, fps, said = consultation(build, procs, "clip-rate", [])
    check(said == 25, "the township says it plays the clip at 25 fps (%s)" %
          said)
    check(23 <= fps <= 27, "it sends about 25 pictures a second (%.1f)" % fps)
    check(900 <= kbps <= 1100,
          "it sends --bitrate 1000 within 10 %% (%.0f kbit/s)" % kbps)
    kbps, fps, said = consultation(build, procs, "clip-15", ["--fps", "15"])
    check(said == 15, "with --fps 15 it says 15 fps (%s)" % said)
    check(13.5 <= fps <= 16.5, "and sends about 15 pictures a second (%.1f)"
          % fps)
    check(900 <= kbps <= 1100,
          "still --bitrate 1000 within 10 %% (%.0f kbit/s)" % kbps)


if __name__ == "__main__":
    run(main)
