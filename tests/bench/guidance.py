#!/usr/bin/env python3
"""Guidance timings of the real stations on loopback.

    guidance.py BUILD_DIR [--marks N] [--stills N] [--json FILE] [--smoke]

Two measures, each with the control channel's ping round trip measured in
the same session as the reference (the machine is shared and noisy: the
ratio moves less than the absolute figure):

mark: sonolink-expert replays a script of N marks 100 ms apart
  (--guidance-script) and logs the monotonic time it sent each
  (--guide-log); sonolink-township logs when its state applied each.  Both
  run on this machine, so the two CLOCK_MONOTONIC stamps compare directly:
  the difference is the time from the expert's send to the township's
  picture holding the mark (serialise, SCTP/DTLS, parse, apply).  Drawing
  it is a separate, fixed cost of the renderer, measured by the unit tests
  of sl-guide-render, not here.

still: for 720p and 1080p probes, N still requests 1.5 s apart; the
  township logs the PNG encode of each raw frame, the expert the time from
  its request to the verified file on disk.

--smoke runs a few marks and one 720p still and checks only that every
mark and still arrived; it asserts nothing about time.  It is what
`meson test` runs.
"""

import argparse
import json
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from sltest import (Hub, Processes, TestFailure, read_stats,  # noqa: E402
                    session_records, station_args, wait_for)


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * (len(s) - 1)))))]


class Programs:
    def __init__(self, build):
        self.hub = os.path.join(build, "signaling/hub/sonolink-hub")
        self.township = os.path.join(build, "client/sonolink-township")
        self.expert = os.path.join(build, "client/sonolink-expert")
        for path in (self.hub, self.township, self.expert):
            if not os.access(path, os.X_OK):
                sys.exit("guidance.py: %s is missing: build first" % path)


def write_script(path, marks, stills, still_gap_ms=1500):
    with open(path, "w") as f:
        for i in range(marks):
            x = 0.1 + 0.8 * (i % 10) / 10
            f.write(json.dumps({"at_ms": 500 + 100 * i, "msg": {
                # 20 ids, updated in turn: a receiver holds at most 64.
                "type": "mark", "id": "m%d" % (i % 20), "kind": "box",
                "points": [[x, 0.1], [x + 0.05, 0.2]]}}) + "\n")
        start = 500 + 100 * marks + 500
        for i in range(stills):
            f.write(json.dumps({"at_ms": start + still_gap_ms * i, "msg": {
                "type": "still_request", "req": "s%d" % i}}) + "\n")
    return start + still_gap_ms * stills


def read_log(path, event):
    """[monotonic µs] of the --guide-log lines of event for marks, in
    order (the channel is ordered and reliable: the n-th applied is the
    n-th sent)."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 4 and parts[0] == event and \
                        parts[1] == "mark":
                    out.append(int(parts[3]))
    except FileNotFoundError:
        pass
    return out


def run_case(prog, workdir, width, height, marks, stills, smoke=False):
    """One session: returns the measures of that run.  @smoke: fails,
    with the stations' logs, unless every mark and still arrived."""
    procs = Processes(workdir)
    try:
        hub = Hub(prog, procs).start()
        room = "bench-%dp" % height
        d = workdir
        t_log, e_log = os.path.join(d, "t.guide"), os.path.join(d, "e.guide")
        e_stats = os.path.join(d, "e.jsonl")
        script = os.path.join(d, "script.jsonl")
        end_ms = write_script(script, marks, stills)
        township = procs.start("township", [prog.township] + station_args(
            hub, hub.token_file("t", hub.token(room, "township")),
            os.path.join(d, "t.jsonl"),
            ["--audio-in", "none", "--width", str(width), "--height",
             str(height), "--guide-log", t_log]))
        expert = procs.start("expert", [prog.expert] + station_args(
            hub, hub.token_file("e", hub.token(room, "expert")), e_stats,
            ["--audio-in", "none", "--sink", "none", "--guide-log", e_log,
             "--stills-dir", os.path.join(d, "stills"),
             "--guidance-script", script]))
        wait_for(lambda: any(r.get("guide_script_done") and
                             r.get("stills_saved", 0) +
                             r.get("stills_failed", 0) >= stills
                             for r in session_records(e_stats)),
                 end_ms / 1000 + 40, "the script and its stills")
        procs.stop(expert)
        procs.stop(township)
        procs.stop(hub.proc)
        sent, applied = read_log(e_log, "sent"), read_log(t_log, "applied")
        mark_ms = [(a - s) / 1000 for s, a in zip(sent, applied)]
        rtts = [r["dc_rtt_ms"] for r in session_records(e_stats)
                if r.get("dc_rtt_ms")]
        saved = [float(m) for m in re.findall(
            r"still s\d+ saved: .* ([0-9.]+) ms after the request",
            procs.log(expert))]
        encode = [float(m) for m in re.findall(
            r"encoded in ([0-9.]+) ms", procs.log(township))]
        sizes = [int(m) for m in re.findall(
            r"PNG of (\d+) bytes", procs.log(township))]
        if smoke and (len(mark_ms) != marks or len(saved) != stills):
            raise TestFailure("smoke: %d of %d marks applied, %d of %d "
                              "stills saved" % (len(mark_ms), marks,
                                                len(saved), stills))
        return {"marks_sent": len(sent), "marks_applied": len(mark_ms),
                "mark_ms": mark_ms, "rtt_ms": rtts, "still_ms": saved,
                "encode_ms": encode, "png_bytes": sizes}
    except BaseException:
        procs.dump_logs()
        raise
    finally:
        procs.cleanup()


def summary(values):
    if not values:
        return "-"
    return "%.1f / %.1f" % (pct(values, 0.5), pct(values, 0.95))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--marks", type=int, default=100)
    ap.add_argument("--stills", type=int, default=5)
    ap.add_argument("--json")
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    prog = Programs(args.build)
    if args.smoke:
        args.marks, args.stills = 5, 1
    cases = [("720p", 1280, 720)] if args.smoke else \
        [("720p", 1280, 720), ("1080p", 1920, 1080)]
    results = {}
    for name, w, h in cases:
        with tempfile.TemporaryDirectory(prefix="sl-bench-guide-") as d:
            results[name] = run_case(prog, d, w, h, args.marks, args.stills,
                                     args.smoke)
    if args.smoke:
        print("PASS: %d marks applied, 1 still saved" % args.marks)
        return

    print("%-6s %8s %18s %18s %18s %18s %10s" % (
        "probe", "marks", "mark ms p50/p95", "dc rtt p50/p95",
        "still ms p50/p95", "encode p50/p95", "PNG kB"))
    for name, r in results.items():
        print("%-6s %4d/%-3d %18s %18s %18s %18s %10.0f" % (
            name, r["marks_applied"], r["marks_sent"], summary(r["mark_ms"]),
            summary(r["rtt_ms"]), summary(r["still_ms"]),
            summary(r["encode_ms"]),
            (sum(r["png_bytes"]) / max(1, len(r["png_bytes"]))) / 1000))
    for name, r in results.items():
        if r["mark_ms"] and r["rtt_ms"]:
            print("%s: mark p50 / (dc rtt p50 / 2) = %.2f" % (
                name, pct(r["mark_ms"], 0.5) / (pct(r["rtt_ms"], 0.5) / 2)))
        if r["still_ms"] and r["encode_ms"]:
            print("%s: still p50 / PNG encode p50 = %.2f" % (
                name, pct(r["still_ms"], 0.5) / pct(r["encode_ms"], 0.5)))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    try:
        main()
    except TestFailure as e:
        print("FAIL:", e)
        sys.exit(1)
