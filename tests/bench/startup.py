#!/usr/bin/env python3
"""Start-up: how long from "both stations are in the room" to the first
decoded picture, over repeated consultations of the real product.

Each run starts a fresh hub and two fresh stations on loopback, as a user
would: the township (synthetic phantom, 720p30, 4 Mbit/s), then two
seconds later the expert, which joins as soon as it is up (so a station
that has just started pays for its DTLS key too, as one does in use).
With --expert-first the expert waits in the room and the township comes.
The figure is the expert's own `first_picture_ms` (docs/stats.md): from
the moment it saw both stations in the room to its first decoded picture.

With --against OTHER_BUILD the same runs alternate between the two builds
(this one first), so that both see the same machine; the medians and their
ratio are printed.  This machine is shared and noisy: compare ratios from
one run, not figures across runs.

    startup.py BUILD_DIR [--runs N] [--against OTHER_BUILD]
               [--expert-first] [--json FILE] [--smoke]

--smoke is one run, checking only that a first picture was seen; it is
what `meson test` runs.  It asserts nothing about time.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from sltest import (Hub, Processes, TestFailure,  # noqa: E402
                    session_records, station_args, wait_for)


class Build:
    def __init__(self, path):
        self.path = path
        self.hub = os.path.join(path, "signaling", "hub", "sonolink-hub")
        self.township = os.path.join(path, "client", "sonolink-township")
        self.expert = os.path.join(path, "client", "sonolink-expert")
        for exe in (self.hub, self.township, self.expert):
            if not os.access(exe, os.X_OK):
                sys.exit("startup.py: %s is missing: build first" % exe)


def first_picture(stats_path):
    for record in session_records(stats_path):
        if "first_picture_ms" in record:
            return record["first_picture_ms"]
    return None


def one_run(build, workdir, expert_first):
    """One consultation; returns the expert's first_picture_ms."""
    os.makedirs(workdir, exist_ok=True)
    procs = Processes(workdir)
    try:
        hub = Hub(build, procs).start()
        room = "startup"
        e_stats = os.path.join(workdir, "expert.jsonl")

        def township():
            return procs.start("township", [build.township] + station_args(
                hub, hub.token_file("t", hub.token(room, "township")),
                os.path.join(workdir, "township.jsonl"),
                ["--audio-in", "test:700", "--width", "1280", "--height",
                 "720", "--bitrate", "4000", "--quiet"]))

        def expert():
            return procs.start("expert", [build.expert] + station_args(
                hub, hub.token_file("e", hub.token(room, "expert")), e_stats,
                ["--sink", "none", "--audio-in", "test:1300", "--quiet"]))

        first, second = (expert, township) if expert_first else (township,
                                                                  expert)
        first()
        time.sleep(2)
        second()
        return wait_for(lambda: first_picture(e_stats), 20,
                        "the expert's first picture", interval=0.1)
    except TestFailure:
        procs.dump_logs()
        raise
    finally:
        for proc in reversed(procs.procs):
            procs.stop(proc)
        procs.cleanup()


def summary(values):
    return {"runs": len(values), "median_ms": statistics.median(values),
            "min_ms": min(values), "max_ms": max(values),
            "all_ms": values}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build", help="the meson build directory")
    ap.add_argument("--runs", type=int, default=8,
                    help="consultations per build (default 8)")
    ap.add_argument("--against", metavar="OTHER_BUILD",
                    help="alternate with this build directory, as the "
                    "reference")
    ap.add_argument("--expert-first", action="store_true",
                    help="the expert waits in the room, the township comes")
    ap.add_argument("--json", help="write the results to this file")
    ap.add_argument("--smoke", action="store_true",
                    help="one run; check only that a picture came")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    builds = [("product", Build(args.build))]
    if args.against:
        builds.append(("reference", Build(args.against)))
    runs = 1 if args.smoke else args.runs
    results = {name: [] for name, _ in builds}
    with tempfile.TemporaryDirectory(prefix="sl-startup-") as tmp:
        for i in range(runs):
            for name, build in builds:
                ms = one_run(build, os.path.join(tmp, "%s-%d" % (name, i)),
                             args.expert_first)
                results[name].append(ms)
                print("run %d %-9s first picture %.0f ms" % (i + 1, name, ms),
                      flush=True)

    if args.smoke:
        if results["product"][0] <= 0:
            raise TestFailure("no first picture time")
        print("ok: the expert saw its first picture and timed it")
        return

    out = {name: summary(v) for name, v in results.items()}
    out["order"] = "expert first" if args.expert_first else "township first"
    print("\n%-9s %5s %8s %8s %8s" % ("build", "runs", "median", "min",
                                      "max"))
    for name, _ in builds:
        s = out[name]
        print("%-9s %5d %6.0f ms %5.0f ms %5.0f ms" % (
            name, s["runs"], s["median_ms"], s["min_ms"], s["max_ms"]))
    if args.against:
        ratio = out["product"]["median_ms"] / out["reference"]["median_ms"]
        out["median_ratio"] = ratio
        print("product / reference, median: %.2f" % ratio)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    try:
        main()
    except TestFailure as e:
        print("FAIL: %s" % e, file=sys.stderr)
        sys.exit(1)
