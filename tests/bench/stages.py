#!/usr/bin/env python3
"""Where the glass-to-glass latency goes, stage by stage.

Runs one consultation as latency.py does (hub, township with
--latency-stamp, expert with --latency-log) with GStreamer's latency
tracer on in both stations (GST_TRACERS="latency(flags=element)"), which
logs, for each buffer, the time it spent in each element: from entering
the element's sink pad to leaving its source pad.  The median per element
is summed into the stages of the latency budget:

  township: capture hand-off (the queue after the session's appsrc),
            encode (x264), packetise (RTP payloader), send (webrtcbin's
            RTP session, FEC/RTX/RED stages, SRTP, funnels)
  expert:   receive (DTLS/SRTP, RTP session and demuxers), jitter buffer,
            depacketise, parse, decode, render (the display branch)

and set beside the glass-to-glass p50 measured from the stamps in the
same run; what no element accounts for (the loopback network, socket
queues, thread hand-offs) is the remainder.  The tracer itself costs a
little, so read the shares, not the last tenth of a millisecond.  Shared
webrtcbin elements carry voice packets too; for elements that exist once
per stream (jitter buffer, payload demuxer), the video one is the one
that handles the most buffers.

    stages.py BUILD_DIR [--case 720p4] [--seconds 20]
"""

import argparse
import os
import re
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from latency import CASES, FPS, Programs, percentile, read_latency_log  # noqa
from sltest import (Hub, Processes, TestFailure, station_args,  # noqa: E402
                    wait_for)

RECORD = re.compile(r"element-latency, element-id=\(string\)[^,]*, "
                    r"element=\(string\)([^,]*), src=\(string\)[^,]*, "
                    r"time=\(guint64\)(\d+)")

# Stage name, then the elements (exact names, or a prefix ending in '*'
# for webrtcbin's numbered internals) whose medians make it up.
TOWNSHIP_STAGES = [
    ("capture hand-off", ["video-queue"]),
    ("encode", ["encoder"]),
    ("packetise", ["video-pay", "video-caps"]),
    ("send (webrtcbin)", ["rtpsession*", "rtpfunnel*", "rtprtxsend*",
                          "rtpulpfecenc*", "rtpredenc*", "srtpenc*",
                          "funnel*", "clocksync*"]),
]
EXPERT_STAGES = [
    ("receive (webrtcbin)", ["dtlssrtpdemux*", "srtpdec*", "rtpsession*",
                             "rtpssrcdemux*", "rtpstorage*",
                             "rtprtxreceive*", "rtpulpfecdec*",
                             "rtpreddec*", "rtpptdemux*"]),
    ("jitter buffer", ["rtpjitterbuffer*"]),
    ("depacketise", ["video-depay"]),
    ("parse", ["video-parse"]),
    ("decode", ["decoder"]),
    ("render", ["video-tee", "display-queue", "display-convert"]),
]


def parse_trace(path):
    """element name -> list of per-buffer times in ms."""
    times = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = RECORD.search(line)
            if m:
                times.setdefault(m.group(1), []).append(int(m.group(2)) / 1e6)
    return times


def pick(times, pattern):
    """The elements matching @pattern; of a numbered family, the busiest."""
    if not pattern.endswith("*"):
        return [pattern] if pattern in times else []
    family = [n for n in times if n.startswith(pattern[:-1])]
    if pattern in ("rtpjitterbuffer*", "rtpptdemux*", "rtpulpfecdec*"):
        return sorted(family, key=lambda n: len(times[n]))[-1:]
    return family


def budget(times, stages):
    rows = []
    for stage, patterns in stages:
        names = [n for p in patterns for n in pick(times, p)]
        med = sum(statistics.median(times[n]) for n in names)
        p95 = sum(percentile(times[n], 95) for n in names)
        rows.append((stage, med, p95, names))
    return rows


def run(progs, workdir, case, seconds):
    width, height, kbps = CASES[case]
    procs = Processes(workdir)
    build = argparse.Namespace(hub=progs.hub, township=progs.township,
                               expert=progs.expert)
    env_t = {"GST_TRACERS": "latency(flags=element)",
             "GST_DEBUG": "GST_TRACER:7", "GST_DEBUG_NO_COLOR": "1",
             "GST_DEBUG_FILE": os.path.join(workdir, "township.trace")}
    env_e = dict(env_t, GST_DEBUG_FILE=os.path.join(workdir, "expert.trace"))
    try:
        hub = Hub(build, procs).start()
        lat_log = os.path.join(workdir, "latency.txt")
        township = procs.start("township", [progs.township] + station_args(
            hub, hub.token_file("t", hub.token("stages", "township")),
            os.path.join(workdir, "t.jsonl"),
            ["--latency-stamp", "--audio-in", "test:700", "--width",
             str(width), "--height", str(height), "--bitrate", str(kbps),
             "--duration", str(seconds + 10)]), env=env_t)
        expert = procs.start("expert", [progs.expert] + station_args(
            hub, hub.token_file("e", hub.token("stages", "expert")),
            os.path.join(workdir, "e.jsonl"),
            ["--sink", "none", "--audio-in", "test:1300", "--latency-log",
             lat_log, "--duration", str(seconds)]), env=env_e)
        procs.wait_exit(expert, seconds + 30)
        procs.stop(township)
        procs.stop(hub.proc)
        lat = [us / 1000.0 for _, us in read_latency_log(lat_log)[FPS:]]
        return (parse_trace(env_t["GST_DEBUG_FILE"]),
                parse_trace(env_e["GST_DEBUG_FILE"]), lat)
    except TestFailure:
        procs.dump_logs()
        raise
    finally:
        procs.cleanup()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build", help="the meson build directory")
    ap.add_argument("--case", default="720p4", choices=sorted(CASES))
    ap.add_argument("--seconds", type=int, default=20,
                    help="how long the expert watches (default 20)")
    args = ap.parse_args()
    progs = Programs(args.build)
    with tempfile.TemporaryDirectory(prefix="sl-stages-") as workdir:
        t_times, e_times, lat = run(progs, workdir, args.case, args.seconds)
    if not lat:
        sys.exit("stages.py: no latency stamp was read")
    rows = budget(t_times, TOWNSHIP_STAGES) + budget(e_times, EXPERT_STAGES)
    total = percentile(lat, 50)
    print("%s, %d frames, glass-to-glass p50 %.2f ms (tracer on)"
          % (args.case, len(lat), total))
    print("%-22s %9s %9s  %s" % ("stage", "median ms", "p95 ms", "elements"))
    for stage, med, p95, names in rows:
        print("%-22s %9.2f %9.2f  %s" % (stage, med, p95,
                                         " ".join(sorted(names)) or "-"))
    accounted = sum(r[1] for r in rows)
    print("%-22s %9.2f" % ("sum of stages", accounted))
    print("%-22s %9.2f  %s" % ("remainder", total - accounted,
                               "network, socket queues, thread hand-offs"))


if __name__ == "__main__":
    try:
        main()
    except TestFailure as e:
        print("FAIL:", e)
        sys.exit(1)
