#!/usr/bin/env python3
"""What recording costs a consultation: latency and CPU, on against off.

Each run is one consultation of the real product on loopback, measured
exactly as tests/bench/latency.py measures one (sonolink-township with
--latency-stamp, sonolink-expert with --latency-log and --verify-phantom,
a test tone each way, --frames pictures after a warm-up): "off" as it is,
"on" with both stations recording (--record DIR at the township and at
the expert).  Runs alternate off, on, off, on… in the same invocation,
so that both meet the same machine, --runs times each.  Recording
re-encodes nothing (docs/recording.md), so the goal is a p50 at most
0.3 ms higher with it.

Printed: one row a run (latency percentiles, each station's CPU as a
share of one core over the measured window, the recordings' size), then
the medians over runs of on and off, their differences (latency) and
ratios (CPU), and the recording's rate in MB a minute.

First, sl-bench-record-tap measures directly what recording adds to the
picture's way: the time the taps take on the streaming threads, per
access unit (720p, the case's bitrate, 30 a second) and per Opus packet,
against one copy of the same unit in memory in the same run — a
difference of a few tenths of a millisecond in the consultations' p50
is below what a shared machine resolves; this is not.

    recording.py BUILD_DIR [--frames N] [--runs N] [--case 720p4]
                 [--tap-units N] [--record-in DIR] [--json FILE] [--smoke]

--smoke runs the taps on a few dozen units and each mode once on a few
dozen pictures, and checks only that the taps recorded every unit, that
pictures were measured and that the "on" runs made files and the "off"
runs none; it is what `meson test` runs, and asserts
nothing about time.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from latency import CASES, Programs, percentile, run_product  # noqa: E402
from sltest import TestFailure  # noqa: E402

GOAL_P50_MS = 0.3
MODES = ("off", "on")


def recorded_bytes(folder):
    if not os.path.isdir(folder):
        return 0
    return sum(os.path.getsize(os.path.join(folder, n))
               for n in os.listdir(folder) if n.endswith(".mkv"))


def recorded_ms(folder):
    """How long the recordings in @folder ran: the t_ms of each sidecar's
    "stop" line (docs/recording.md, THE SIDECAR)."""
    total = 0
    for n in os.listdir(folder) if os.path.isdir(folder) else ():
        if n.endswith(".jsonl"):
            with open(os.path.join(folder, n)) as f:
                lines = [json.loads(x) for x in f if x.strip()]
            total += next((x["t_ms"] for x in lines if x["type"] == "stop"),
                          0)
    return total


def one_run(progs, workdir, mode, run, case, frames, warmup, record_in):
    w, h, kbps = CASES[case]
    name = "%s-%s-%d" % (case, mode, run)
    t_rec = os.path.join(record_in or workdir, name + "-t-rec")
    e_rec = os.path.join(record_in or workdir, name + "-e-rec")
    t_args = ["--record", t_rec] if mode == "on" else []
    e_args = ["--record", e_rec] if mode == "on" else []
    r = run_product(progs, workdir, name, w, h, kbps, frames, warmup,
                    t_args, e_args)
    r["mode"], r["run"] = mode, run
    r["recorded_bytes"] = {"township": recorded_bytes(t_rec),
                           "expert": recorded_bytes(e_rec)}
    r["recorded_ms"] = recorded_ms(t_rec)
    secs = max(r["seconds"], 1e-3)
    r["cpu_share"] = {k: v / secs for k, v in r["cpu_s"].items()}
    return r


def run_taps(build, case, units):
    """sl-bench-record-tap's figures (record-tap.c), as a dict."""
    exe = os.path.join(build, "tests/bench/sl-bench-record-tap")
    if not os.access(exe, os.X_OK):
        sys.exit("recording.py: %s is missing: build first" % exe)
    w, h, kbps = CASES[case]
    out = subprocess.run([exe, "--frames", str(units), "--width", str(w),
                          "--height", str(h), "--kbps", str(kbps)],
                         capture_output=True, text=True,
                         timeout=units / 30 * 3 + 120)
    if out.returncode != 0:
        raise TestFailure("sl-bench-record-tap failed: %s"
                          % out.stderr.strip()[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def print_taps(t):
    print("the taps on the streaming threads, %d units of %.0f bytes "
          "(microseconds)" % (t["units"], t["mean_unit_bytes"]))
    print("%-22s %9s %9s %9s" % ("", "p50", "p99", "max"))
    for key, what in (("video_tap_us", "video: tap"),
                      ("video_copy_us", "video: one copy"),
                      ("voice_tap_us", "voice: tap"),
                      ("voice_copy_us", "voice: one copy")):
        v = t[key]
        print("%-22s %9.1f %9.1f %9.1f" % (what, v["p50"], v["p99"],
                                            v["max"]))
    print("video tap p50 over one copy: %+.1f us, %.3f ms of the %.1f ms "
          "goal" % (t["video_tap_us"]["p50"] - t["video_copy_us"]["p50"],
                    t["video_tap_us"]["p50"] / 1000, GOAL_P50_MS))
    print()


def fmt(v, spec="%.2f"):
    return "-" if v is None else spec % v


def print_runs(results):
    head = ("%-4s %4s %6s %7s %7s %7s %8s %8s %8s %9s %9s" % (
        "mode", "run", "dec", "p50ms", "p95ms", "p99ms", "cpu hub",
        "cpu twp", "cpu exp", "rec twp", "rec exp"))
    print(head)
    print("-" * len(head))
    for r in results:
        lat, cpu, rec = r["latency_ms"] or {}, r["cpu_share"], \
            r["recorded_bytes"]
        print("%-4s %4d %6d %7s %7s %7s %7s%% %7s%% %7s%% %7s MB %7s MB" % (
            r["mode"], r["run"], r["frames_decoded"], fmt(lat.get("p50")),
            fmt(lat.get("p95")), fmt(lat.get("p99")),
            fmt(100 * cpu.get("hub", 0), "%.1f"),
            fmt(100 * cpu.get("township", 0), "%.1f"),
            fmt(100 * cpu.get("expert", 0), "%.1f"),
            fmt(rec["township"] / 1e6), fmt(rec["expert"] / 1e6)))


def medians(results, mode, key):
    return percentile([key(r) for r in results if r["mode"] == mode
                       and key(r) is not None], 50)


def summarise(results):
    """The medians over runs of each mode, and on against off."""
    out = {}
    for what, key in (("p50", lambda r: r["latency_ms"]["p50"]),
                      ("p95", lambda r: r["latency_ms"]["p95"]),
                      ("p99", lambda r: r["latency_ms"]["p99"])):
        off, on = (medians(results, m, key) for m in MODES)
        out[what] = {"off": off, "on": on,
                     "difference_ms": on - off if None not in (on, off)
                     else None}
    for station in ("township", "expert"):
        off, on = (medians(results, m, lambda r, s=station:
                           r["cpu_share"].get(s)) for m in MODES)
        out["cpu_" + station] = {"off": off, "on": on,
                                 "ratio": on / off if off else None}
    rates = [r["recorded_bytes"]["township"] / r["recorded_ms"] * 60e3 / 1e6
             for r in results if r["mode"] == "on" and r["recorded_ms"] > 0]
    out["township_mb_per_minute"] = percentile(rates, 50)
    return out


def print_summary(s, runs):
    print()
    print("median of up to %d runs  %9s %9s %11s" % (runs, "off", "on",
                                                     "on - off"))
    for what in ("p50", "p95", "p99"):
        v = s[what]
        print("latency %-16s %6s ms %6s ms %+8s ms" % (
            what, fmt(v["off"]), fmt(v["on"]),
            fmt(v["difference_ms"], "%+.2f")))
    print("%-24s %9s %9s %11s" % ("", "off", "on", "on / off"))
    for station in ("township", "expert"):
        v = s["cpu_" + station]
        print("cpu %-20s %8s%% %8s%% %10s" % (
            station, fmt(100 * v["off"] if v["off"] is not None else None,
                         "%.1f"),
            fmt(100 * v["on"] if v["on"] is not None else None, "%.1f"),
            fmt(v["ratio"], "%.3fx")))
    print("township recording: %s MB a minute" % fmt(
        s["township_mb_per_minute"], "%.1f"))
    d = s["p50"]["difference_ms"]
    if d is not None:
        print("goal: p50 at most +%.1f ms with recording: %+.2f ms, %s"
              % (GOAL_P50_MS, d, "met" if d <= GOAL_P50_MS else "NOT met"))


def check_smoke(results, taps):
    """What --smoke asserts: the taps took every unit; pictures measured;
    files made only when on."""
    if taps["frames_recorded"] != taps["units"]:
        raise TestFailure("the taps recorded %d of %d units"
                          % (taps["frames_recorded"], taps["units"]))
    print("ok: the taps recorded all %d units" % taps["units"])
    for r in results:
        what = "%s run %d" % (r["mode"], r["run"])
        if not r.get("latency_ms") or r["frames_decoded"] == 0:
            raise TestFailure("%s: no picture was measured" % what)
        made = r["recorded_bytes"]
        if r["mode"] == "on" and not (made["township"] > 0
                                      and made["expert"] > 0):
            raise TestFailure("%s: a station made no recording (%s)"
                              % (what, made))
        if r["mode"] == "off" and (made["township"] or made["expert"]):
            raise TestFailure("%s: a recording without --record" % what)
        print("ok: %s: %d pictures measured, %s" % (
            what, r["frames_decoded"],
            "recorded %d + %d bytes" % (made["township"], made["expert"])
            if r["mode"] == "on" else "nothing recorded"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build", help="the meson build directory")
    ap.add_argument("--frames", type=int, default=900,
                    help="pictures measured per run after warm-up "
                         "(default 900: 30 s)")
    ap.add_argument("--warmup", type=int, default=60,
                    help="pictures discarded first (default 60)")
    ap.add_argument("--runs", type=int, default=4,
                    help="runs of each mode, alternating (default 4)")
    ap.add_argument("--case", default="720p4",
                    help="picture size and bitrate, one of %s "
                         "(default 720p4)" % ", ".join(CASES))
    ap.add_argument("--tap-units", type=int, default=600,
                    help="access units for the taps' measure (default 600)")
    ap.add_argument("--record-in", metavar="DIR",
                    help="make the recordings in a new folder inside DIR "
                         "(another disk, or a tmpfs such as /dev/shm to "
                         "leave the disk out; default: beside the logs)")
    ap.add_argument("--json", help="write all results to this file")
    ap.add_argument("--smoke", action="store_true",
                    help="one short run of each mode; check counts only")
    args = ap.parse_args()
    if args.case not in CASES:
        sys.exit("recording.py: unknown case %s (try --help)" % args.case)
    if args.smoke:
        args.frames, args.warmup, args.runs, args.tap_units = 30, 10, 1, 30
    progs = Programs(args.build)
    results, failed = [], []
    print("# the taps, %d units" % args.tap_units, file=sys.stderr, flush=True)
    taps = run_taps(args.build, args.case, args.tap_units)
    with tempfile.TemporaryDirectory(prefix="sl-bench-rec-") as workdir, \
            tempfile.TemporaryDirectory(prefix="sl-bench-rec-",
                                        dir=args.record_in) as rec_tmp:
        record_in = rec_tmp if args.record_in else None
        for run in range(1, max(args.runs, 1) + 1):
            for mode in MODES:
                print("# %s: recording %s, run %d" % (args.case, mode, run),
                      file=sys.stderr, flush=True)
                try:
                    results.append(one_run(progs, workdir, mode, run,
                                           args.case, args.frames,
                                           args.warmup, record_in))
                except TestFailure as e:
                    # A shared machine may starve one run; the others
                    # still compare, and the count of failed runs is
                    # printed.  The smoke run fails on it.
                    if args.smoke:
                        raise
                    failed.append("%s run %d: %s" % (mode, run, e))
    print_taps(taps)
    print("recording during a consultation, %s, %d pictures a run"
          % (args.case, args.frames))
    print_runs(results)
    summary = summarise(results)
    print_summary(summary, max(args.runs, 1))
    for f in failed:
        print("failed, left out: %s" % f)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"time": time.time(), "taps": taps, "results": results,
                       "summary": summary}, f, indent=1)
    if args.smoke:
        check_smoke(results, taps)


if __name__ == "__main__":
    try:
        main()
    except TestFailure as e:
        print("FAIL:", e)
        sys.exit(1)
