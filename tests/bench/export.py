#!/usr/bin/env python3
"""Export speed of sonolink-replay, as a multiple of real time.

    export.py BUILD_DIR [--seconds N] [--width W --height H] [--json FILE]
              [--smoke]

Records a consultation of N seconds of the synthetic phantom at W x H
(the expert's recording: what a trainer exports; the township with
--fixed-rate, so that the picture keeps its size and the copy can run
over the whole file), then times, on that file, one after the other:

- copy: `sonolink-replay FILE --export OUT.mp4` (H.264 copied, voices
  mixed to AAC, WebVTT);
- burn: the same with `--burn-marks` (decode, marks drawn, x264 at
  constant quality 18);
- reference: `gst-launch-1.0 filesrc ! matroskademux ! h264parse !
  avdec_h264 ! fakesink sync=false`, the decoding alone, in the same run.

Each figure is the recording's length over the wall time taken (so 10x is
ten times faster than playing it), and copy and burn are also given as
ratios to the reference (the machine is shared: the ratio moves less than
the absolute figure).  --smoke records 4 s and checks only that both
exports complete; it asserts nothing about time.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from sltest import Hub, Processes, station_args, wait_for  # noqa: E402


class Programs:
    def __init__(self, build):
        self.hub = os.path.join(build, "signaling/hub/sonolink-hub")
        self.township = os.path.join(build, "client/sonolink-township")
        self.expert = os.path.join(build, "client/sonolink-expert")
        self.replay = os.path.join(build, "client/replay/sonolink-replay")
        for path in (self.hub, self.township, self.expert, self.replay):
            if not os.access(path, os.X_OK):
                sys.exit("export.py: %s is missing: build first" % path)


def record(progs, procs, seconds, width, height):
    d = procs.workdir
    hub = Hub(progs, procs).start()
    script = os.path.join(d, "script.jsonl")
    with open(script, "w") as f:
        for i in range(max(1, seconds // 2)):
            f.write(json.dumps({"at_ms": 500 + 2000 * i, "msg": {
                "type": "mark", "id": "m%d" % i, "kind": "box",
                "points": [[0.1, 0.1], [0.3 + 0.02 * i, 0.4]],
                "color": "yellow", "width": 2, "ttl_ms": 3000}}) + "\n")
    rec = os.path.join(d, "rec")
    procs.start("township", [progs.township] + station_args(
        hub, hub.token_file("t", hub.token("bench", "township")),
        os.path.join(d, "t.jsonl"),
        ["--audio-in", "test:440", "--width", str(width), "--height",
         str(height), "--duration", str(seconds + 30), "--fixed-rate"]))
    expert = procs.start("expert", [progs.expert] + station_args(
        hub, hub.token_file("e", hub.token("bench", "expert")),
        os.path.join(d, "e.jsonl"),
        ["--audio-in", "test:880", "--sink", "none", "--record", rec,
         "--guidance-script", script, "--duration", str(seconds + 4)]))
    procs.wait_exit(expert, seconds + 60)
    return [os.path.join(rec, n) for n in os.listdir(rec)
            if n.endswith(".mkv")][0]


def timed(argv):
    t0 = time.monotonic()
    out = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    wall = time.monotonic() - t0
    if out.returncode != 0:
        sys.exit("export.py: %s failed: %s" % (argv[0], out.stderr[-500:]))
    return wall, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=720)
    ap.add_argument("--json")
    ap.add_argument("--smoke", action="store_true")
    a = ap.parse_args()
    if a.smoke:
        a.seconds, a.width, a.height = 4, 640, 360
    progs = Programs(a.build)
    with tempfile.TemporaryDirectory(prefix="sl-bench-export-") as d:
        procs = Processes(d)
        try:
            mkv = record(progs, procs, a.seconds, a.width, a.height)
        finally:
            procs.cleanup()
        _, out = timed([progs.replay, mkv, "--export",
                        os.path.join(d, "probe.mp4")])
        m = re.search(r"exported ([\d.]+) to ([\d.]+)", out.stdout)
        length = float(m.group(2)) - float(m.group(1))
        ref, _ = timed(["gst-launch-1.0", "-q", "filesrc", "location=" + mkv,
                        "!", "matroskademux", "!", "h264parse", "!",
                        "avdec_h264", "!", "fakesink", "sync=false"])
        copy, _ = timed([progs.replay, mkv, "--export",
                         os.path.join(d, "copy.mp4")])
        burn, _ = timed([progs.replay, mkv, "--export",
                         os.path.join(d, "burn.mp4"), "--burn-marks"])
    result = {
        "recording_s": round(length, 2), "size": "%dx%d" % (a.width, a.height),
        "reference_decode_x_realtime": round(length / ref, 1),
        "copy_x_realtime": round(length / copy, 1),
        "burn_x_realtime": round(length / burn, 2),
        "copy_time_over_reference": round(copy / ref, 2),
        "burn_time_over_reference": round(burn / ref, 2),
    }
    print(json.dumps(result))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main()
