#!/usr/bin/env python3
"""The product over replayed cellular uplinks, with and without rate control.

For each trace of ../shared/data/net-traces (beside the source tree; see
its README.md) this runs the real product: sonolink-hub on the host,
listening on all addresses; sonolink-township behind sl-linkem, the link
emulator (docs/sl-linkem.md), with the trace as the capacity of its
uplink, a base delay and jitter each way and a bounded uplink queue; and
sonolink-expert on the host, on the link's host-side address.  The
township sends the synthetic phantom with --latency-stamp; the expert
decodes with --latency-log (one line per picture whose stamp it read),
--verify-phantom (luma PSNR and SSIM of each picture against the exact
source frame) and --stats.  Each trace is run twice in the same
invocation, one after the other: the product as it is ("adaptive", rate
controller on) and `sonolink-township --fixed-rate` ("fixed"), both with
the same --bitrate, which is also the most the controller gives the video.
--modes adaptive,no-fec compares with `sonolink-township --no-fec`
instead (rate control on, FEC never added), for a long round trip with
loss: --delay 125 --loss 2, say.

Timing.  The link's schedule (its trace) starts when the emulator starts
the township.  The first --lead-in seconds (default 5) are the start-up of
the session and of the controller; they replay the part of the trace just
before the window (traces repeat), so the window proper, --seconds long
from --offset into the trace, is what is measured.  Township and expert
stats are read from the records that fall in the window, and latencies
from the pictures captured in it (the phantom's frame index tells when).

Reported per trace and mode: frames sent and decoded; p50/p95 latency of
the pictures whose stamp was read; freezes and their total time (W3C rule,
the expert's `freezes`, `freeze_ms`); the mean video bitrate received; the
mean luma SSIM and how many pictures it covers; how many pictures were
decoded below the source size; and the packets the uplink queue dropped.
Then the ratios adaptive / fixed.  Note on what the stamp-based figures
cover: the frame-index and latency stamps are drawn at the source size,
with blocks sized from the picture's width, so a picture the rate
controller has scaled down (3/4, 1/2, 3/8) carries stamps that no longer
read (client/common/measure/sl-verify.c counts it in verify_stamp_errors,
the latency meter in latency_unreadable).  Latency and SSIM are therefore
over the pictures decoded at full size; the count of pictures at reduced
size is printed beside them, and the JSON also has the per-second
estimate (latency_estimate_ms) that covers every second.

    uplink.py BUILD_DIR [--traces lte,5g-driving,5g-static]
              [--seconds N] [--offset S] [--lead-in S] [--bitrate KBPS]
              [--queue-ms MS] [--delay MS] [--jitter MS] [--loss PCT]
              [--modes adaptive,fixed,no-fec] [--traces-dir DIR]
              [--json FILE] [--keep DIR] [--smoke]
    uplink.py BUILD_DIR --analyse DIR [--json FILE]

--keep DIR keeps each run's stats, logs and window; --analyse DIR reports
again from them without running anything.

It needs root and /dev/net/tun (sl-linkem); without them it exits with 77.
A full run of the three traces takes about five minutes.  --smoke runs the
adaptive mode over a few seconds of one trace and checks only that frames
are decoded, stamps read and the counts add up; it is what `meson test`
runs and asserts nothing about time.
"""

import argparse
import bisect
import json
import os
import shlex
import shutil
import sys
import tempfile
import time

# Importing the helpers beside this file must not leave caches in the tree.
sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "linkem"))
import linkem  # noqa: E402
import trace_from_throughput  # noqa: E402
from latency import fmt, percentile, summary  # noqa: E402
from sltest import (Hub, Processes, TestFailure,  # noqa: E402
                    read_latency_log, read_stats, session_records,
                    wait_for)

FPS = 30
WIDTH, HEIGHT = 1280, 720
DEFAULT_TRACES_DIR = os.path.join(SOURCE, "..", "shared", "data",
                                  "net-traces")

# name: file, its format ("mm": a delivery trace; "list": a throughput log
# to convert), the default window (offset and length, s) and the base delay
# and jitter each way (ms).  The traces README gives RTT medians of ~15 ms
# stationary and ~32 ms driving: 8 ± 2 ms and 16 ± 4 ms each way.  The
# jitter is kept at the low end of the README's 3.5-8 ms ping jitter
# because the traces' delivery times already carry the radio's scheduling.
TRACES = {
    "lte": dict(file="Verizon-LTE-short.up", kind="mm", offset=10,
                seconds=40, delay=8, jitter=2,
                what="LTE uplink, stationary"),
    "5g-driving": dict(file="nuwins-5g-mmwave-UL-driving-run2-45s.derived.mm",
                       kind="mm", offset=0, seconds=45, delay=16, jitter=4,
                       what="5G mmWave uplink, driving"),
    "5g-static": dict(file="nuwins-5g-mmwave-UL-static-toward_p1.list",
                      kind="list", offset=10, seconds=40, delay=8, jitter=2,
                      what="5G mmWave uplink, stationary (throughput log, "
                           "run 1, 1 s samples)"),
}
MODES = ("adaptive", "fixed", "no-fec")


class Programs:
    def __init__(self, build):
        self.hub = os.path.join(build, "signaling/hub/sonolink-hub")
        self.township = os.path.join(build, "client/sonolink-township")
        self.expert = os.path.join(build, "client/sonolink-expert")
        self.linkem = os.path.join(build, "tests/linkem/sl-linkem")
        for path in (self.hub, self.township, self.expert, self.linkem):
            if not os.access(path, os.X_OK):
                sys.exit("uplink.py: %s is missing: build first" % path)


class OpenHub(Hub):
    """A hub on all addresses, so that the township behind the link (in
    another network namespace) reaches it at $SL_LINKEM_HOST; plain ws://
    off loopback needs --insecure."""

    def start(self):
        port_file = os.path.join(self.dir, "hub.port")
        self.proc = self.procs.start("hub", [
            self.build.hub, "serve", "--listen", "0.0.0.0:0", "--insecure",
            "--secret", self.secret, "--port-file", port_file])
        self.port = int(wait_for(lambda: _read(port_file), 15,
                                 "the hub's port file"))
        self.url = "ws://127.0.0.1:%d" % self.port
        return self


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip() or None
    except FileNotFoundError:
        return None


# ---------------------------------------------------------------- traces

def read_mm(path):
    """Opportunities (ms) of a mahimahi trace."""
    with open(path) as f:
        return [int(line) for line in f if line.strip()]


def window_trace(opps, start_ms, length_ms):
    """The opportunities of [start_ms, start_ms + length_ms) of a trace that
    repeats with the period of its last timestamp, from 0; the last line is
    length_ms, so that the window repeats with its own length."""
    period = opps[-1]
    start_ms %= period
    out = []
    cycle = 0
    while cycle * period < start_ms + length_ms:
        shift = cycle * period
        lo = bisect.bisect_left(opps, start_ms - shift)
        hi = bisect.bisect_left(opps, start_ms + length_ms - shift)
        out.extend(t + shift - start_ms for t in opps[lo:hi])
        cycle += 1
    if not out or out[-1] < length_ms:
        out.append(length_ms)
    return out


def make_trace(spec, path, workdir, offset, seconds, lead_in, args):
    """Writes the window to play (lead-in included); returns its path and
    the mean Mbit/s of the measured part."""
    if spec["kind"] == "list":
        runs = trace_from_throughput.read_runs(path)
        opps = trace_from_throughput.convert(runs[args.static_run - 1],
                                             args.static_interval_ms)
    else:
        opps = read_mm(path)
    win = window_trace(opps, int((offset - lead_in) * 1000),
                       int((lead_in + seconds) * 1000))
    out = os.path.join(workdir, os.path.basename(path) + ".window.mm")
    trace_from_throughput.write_trace(out, win)
    measured = sum(1 for t in win if t >= lead_in * 1000) - 1
    return out, measured * 1500 * 8 / seconds / 1e6


# ------------------------------------------------------------ one run

def run_case(progs, workdir, name, spec, trace, mbps, mode, args):
    """One consultation over the link; returns the case's result dict."""
    d = os.path.join(workdir, "%s-%s" % (name, mode))
    os.makedirs(d)
    procs = Processes(d)
    build = argparse.Namespace(hub=progs.hub, township=progs.township,
                               expert=progs.expert)
    link = None
    try:
        hub = OpenHub(build, procs).start()
        room = "uplink-%s-%s" % (name, mode)
        t_stats = os.path.join(d, "township.jsonl")
        e_stats = os.path.join(d, "expert.jsonl")
        lat_log = os.path.join(d, "latency.txt")
        env_file = os.path.join(d, "link.env")
        township = [
            progs.township,
            "--token-file", hub.token_file("t", hub.token(room, "township")),
            "--stats", t_stats, "--audio-out", "none", "--audio-in",
            "test:700", "--connect-timeout", "10", "--latency-stamp",
            "--width", str(WIDTH), "--height", str(HEIGHT), "--fps",
            str(FPS), "--bitrate", str(args.bitrate), "--quiet"]
        if mode == "fixed":
            township.append("--fixed-rate")
        elif mode == "no-fec":
            township.append("--no-fec")
        # No --ice-address: the township uses its namespace's address.  The
        # shell tells us the host's address and the link's epoch.
        script = ('echo "$SL_LINKEM_HOST $SL_LINKEM_EPOCH_US" > %s.tmp && '
                  'mv %s.tmp %s && exec "$@" --hub "ws://$SL_LINKEM_HOST:%d"'
                  % (shlex.quote(env_file), shlex.quote(env_file),
                     shlex.quote(env_file), hub.port))
        total = args.lead_in + args.seconds_of(name)
        link = linkem.Link(
            progs.linkem, ["sh", "-c", script, "sh"] + township, d,
            env={"GST_DEBUG": os.environ.get("GST_DEBUG", "sl-*:3")},
            timeout=total + 30, seed=1,
            delay=args.delay if args.delay is not None else spec["delay"],
            jitter=args.jitter if args.jitter is not None else spec["jitter"],
            loss=args.loss, up_trace=trace, up_queue=args.queue_ms)
        link.__enter__()
        text = wait_for(lambda: _read(env_file), 10, "the link's addresses")
        host, epoch_us = text.split()
        wall_minus_mono = time.time() - time.monotonic()
        epoch = int(epoch_us) / 1e6
        expert = procs.start("expert", [
            progs.expert, "--hub", hub.url,
            "--token-file", hub.token_file("e", hub.token(room, "expert")),
            "--stats", e_stats, "--ice-address", host, "--audio-out", "none",
            "--audio-in", "test:1300", "--connect-timeout", "10",
            "--sink", "none", "--verify-phantom", "--latency-log", lat_log,
            "--quiet"])
        # Until one stats record after the window's end, or an early exit.
        deadline = epoch + total + 1.5
        problems = []
        while time.monotonic() < deadline:
            if link.proc.poll() is not None:
                problems.append("the township (behind sl-linkem) exited "
                                "early, status %s" % link.proc.returncode)
                break
            if expert.poll() is not None:
                problems.append("the expert exited early, status %s"
                                % expert.returncode)
                break
            time.sleep(0.2)
        e_status = procs.stop(expert)
        t_status = link.stop()
        link.__exit__(None, None, None)
        for p in procs.procs:
            if "-CRITICAL **" in procs.log(p):
                problems.append("%s logged a GLib critical" % p.name)
        if "-CRITICAL **" in (_read(link.log_path) or ""):
            problems.append("the township logged a GLib critical")
        t0 = epoch + args.lead_in + wall_minus_mono
        t1 = t0 + args.seconds_of(name)
        window = {
            "trace": name, "mode": mode, "bitrate_kbps": args.bitrate,
            "window_s": [args.offset_of(name), args.seconds_of(name)],
            "lead_in_s": args.lead_in, "t0": t0, "t1": t1,
            "trace_mean_mbps": round(mbps, 2),
            "expert_exit": e_status, "township_exit": t_status,
            "problems": problems,
        }
        with open(os.path.join(d, "window.json"), "w") as f:
            json.dump(window, f)
        result = analyse_dir(d)
        if args.keep:
            keep = os.path.join(args.keep, "%s-%s" % (name, mode))
            shutil.copytree(d, keep, dirs_exist_ok=True)
        return result
    except TestFailure:
        procs.dump_logs()
        if link is not None:
            print("----- township (sl-linkem log) -----")
            print((_read(link.log_path) or "")[-6000:])
        raise
    finally:
        if link is not None and link.proc.poll() is None:
            link.stop()
        procs.cleanup()


# ------------------------------------------------------------ analysis

def at_or_before(records, t):
    """The last record written at or before wall time t, or None."""
    last = None
    for r in records:
        if r["time"] <= t:
            last = r
    return last


def increase(records, key, t0, t1):
    """How much a cumulative per-session counter grew over (t0, t1]; a
    drop is a new session, whose count starts from 0."""
    base = at_or_before(records, t0)
    prev = base.get(key, 0) if base else 0
    total = 0
    for r in records:
        if t0 < r["time"] <= t1 and key in r:
            v = r[key]
            total += v - prev if v >= prev else v
            prev = v
    return total


def windowed_mean(records, count_key, mean_key, t0, t1):
    """Mean over (t0, t1] of a running mean reported with its count
    (verify_ssim_mean with verify_checked): (n1 m1 - n0 m0) / (n1 - n0)."""
    base = at_or_before(records, t0)
    end = at_or_before(records, t1)
    if end is None or end.get(mean_key) is None:
        return None, 0
    n0 = base.get(count_key, 0) if base else 0
    m0 = (base.get(mean_key) or 0) if base else 0
    n1, m1 = end.get(count_key, 0), end[mean_key]
    if n1 < n0:           # a new session: its own mean
        return m1, n1
    if n1 == n0:
        return None, 0
    return (n1 * m1 - n0 * m0) / (n1 - n0), n1 - n0


def capture_epoch(t_records):
    """Wall time of the phantom's frame 0: the township counts
    frames_captured from its start at FPS."""
    values = [r["time"] - r["frames_captured"] / FPS for r in t_records
              if r.get("frames_captured")]
    return percentile(values, 50) if values else None


def dark_seconds(records, t0, t1):
    """Seconds of (t0, t1] in which the expert showed no new picture, from
    its once-a-second records (a second without a session counts), and how
    many times a new session began (its counters start again from 0).
    Unlike freeze_ms this also counts a freeze still open when its session
    is replaced or the window ends."""
    base = at_or_before(records, t0)
    prev = base.get("frames_decoded") if base else None
    dark = restarts = 0
    for r in records:
        if not t0 < r["time"] <= t1:
            continue
        v = r.get("frames_decoded")
        if r.get("state") != "connected" or v is None:
            dark += 1
            continue
        if prev is not None and v < prev:
            restarts += 1
            new = v
        else:
            new = v - (prev or 0)
        prev = v
        dark += new == 0
    return dark, restarts


def analyse(e_stats, t_stats, lat_log, t0, t1):
    dark, restarts = dark_seconds(read_stats(e_stats), t0, t1)
    e = session_records(e_stats)
    t = session_records(t_stats)
    e_win = [r for r in e if t0 < r["time"] <= t1]
    t_win = [r for r in t if t0 < r["time"] <= t1]
    # Latency of the pictures captured in the window.
    cap0 = capture_epoch(read_stats(t_stats))
    pairs = read_latency_log(lat_log)
    if cap0 is not None:
        i0, i1 = (t0 - cap0) * FPS, (t1 - cap0) * FPS
        lat = [us / 1000.0 for i, us, _ in pairs if i0 <= i < i1]
    else:
        lat = []
    # Pictures decoded below the source size, per second.
    reduced = 0
    prev = at_or_before(e, t0)
    prev_dec = prev.get("frames_decoded", 0) if prev else 0
    sizes = {}
    for r in e_win:
        dec = r.get("frames_decoded", 0)
        n = dec - prev_dec if dec >= prev_dec else dec
        prev_dec = dec
        size = "%dx%d" % (r.get("width", 0), r.get("height", 0))
        sizes[size] = sizes.get(size, 0) + n
        if (r.get("width"), r.get("height")) != (WIDTH, HEIGHT):
            reduced += n
    ssim, ssim_n = windowed_mean(e, "verify_checked", "verify_ssim_mean",
                                 t0, t1)
    psnr, _ = windowed_mean(e, "verify_checked", "verify_psnr_mean", t0, t1)
    rates = [r["bitrate_kbps"] for r in e_win if "bitrate_kbps" in r]
    send_rates = [r["bitrate_kbps"] for r in t_win if "bitrate_kbps" in r]
    estimates = [r["latency_estimate_ms"] for r in e_win
                 if r.get("latency_estimate_ms") is not None]
    timeline = [{
        "t": round(r["time"] - t0, 2), "state": r.get("state"),
        "link": r.get("link"), "kbps": r.get("bitrate_kbps"),
        "size": "%sx%s" % (r.get("width"), r.get("height")),
        "fps": r.get("fps"), "loss_pct": r.get("loss_pct"),
        "lat_p95": r.get("latency_ms_p95"),
        "estimate_ms": r.get("latency_estimate_ms"),
        "freezes": r.get("freezes"), "freeze_ms": r.get("freeze_ms"),
    } for r in e if t0 - 5 < r["time"] <= t1 + 2]
    township_timeline = [{
        "t": round(r["time"] - t0, 2), "kbps": r.get("bitrate_kbps"),
        "target_kbps": r.get("bwe_target_kbps"),
        "delay_kbps": r.get("bwe_estimate_kbps"),
        "acked_kbps": r.get("acked_kbps"),
        "retransmitted": r.get("retransmitted"),
        "encoder_kbps": r.get("encoder_kbps"),
        "size": "%sx%s" % (r.get("send_width"), r.get("send_height")),
        "rtt_ms": r.get("rtt_ms"),
    } for r in t if t0 - 5 < r["time"] <= t1 + 2]
    last = e[-1] if e else {}
    return {
        "seconds": round(t1 - t0, 1),
        "records": len(e_win),
        "frames_sent": increase(t, "frames_sent", t0, t1),
        "frames_decoded": increase(e, "frames_decoded", t0, t1),
        "frames_reduced_size": reduced,
        "decoded_by_size": sizes,
        "latency_samples": len(lat),
        "latency_samples_run": len(pairs),
        "latency_unreadable": sum(r.get("latency_unreadable", 0)
                                  for r in e_win),
        "latency_ms": summary(lat),
        "latency_estimate_ms": summary(estimates),
        "freezes": increase(e, "freezes", t0, t1),
        "freeze_ms": increase(e, "freeze_ms", t0, t1),
        "longest_freeze_ms_session": last.get("longest_freeze_ms"),
        "bitrate_kbps_received": (sum(rates) / len(rates)) if rates
        else None,
        "bitrate_kbps_sent": (sum(send_rates) / len(send_rates))
        if send_rates else None,
        "ssim_mean": ssim, "ssim_pictures": ssim_n, "psnr_mean": psnr,
        "verify_stamp_errors": increase(e, "verify_stamp_errors", t0, t1),
        "verify_skipped": increase(e, "verify_skipped", t0, t1),
        "seconds_without_picture": dark,
        "restarts": restarts,
        "window_wall": [t0, t1],
        "seconds_not_connected": sum(1 for r in e_win
                                     if r.get("state") != "connected"),
        "seconds_link_lost": sum(1 for r in e_win
                                 if r.get("link") == "lost"),
        "first_picture_ms": next((r["first_picture_ms"] for r in e
                                  if "first_picture_ms" in r), None),
        "timeline": timeline,
        "township_timeline": township_timeline,
    }


def analyse_dir(d):
    """The result of one run from what it left in its directory (the
    stations' stats, the latency log, the link's counters, window.json)."""
    with open(os.path.join(d, "window.json")) as f:
        window = json.load(f)
    result = analyse(os.path.join(d, "expert.jsonl"),
                     os.path.join(d, "township.jsonl"),
                     os.path.join(d, "latency.txt"), window["t0"],
                     window["t1"])
    result.update(window)
    result["link"] = linkem.read_stats(os.path.join(d, "linkem-stats.json"))
    return result


# ------------------------------------------------------------ output

def queue_drops(r):
    up = (r.get("link") or {}).get("up") or {}
    if not up.get("packets_in"):
        return None
    return 100.0 * up.get("packets_overflow", 0) / up["packets_in"]


def print_table(results):
    head = ("%-10s %-8s %5s %5s %5s %7s %7s %4s %6s %6s %4s %6s %6s %6s "
            "%5s %6s" % ("trace", "mode", "sent", "dec", "lat n", "p50 ms",
                         "p95 ms", "frz", "frz s", "dark s", "rst", "kbps",
                         "SSIM", "ssim n", "small", "drop%"))
    print(head)
    print("-" * len(head))
    for r in results:
        if r.get("error"):
            print("%-10s %-8s failed: %s" % (r["trace"], r["mode"],
                                            r["error"]))
            continue
        lat = r.get("latency_ms") or {}
        print("%-10s %-8s %5d %5d %5d %7s %7s %4d %6s %6d %4d %6s %6s %6d "
              "%5d %6s" % (
            r["trace"], r["mode"], r["frames_sent"], r["frames_decoded"],
            r["latency_samples"], fmt(lat.get("p50")), fmt(lat.get("p95")),
            r["freezes"], fmt(r["freeze_ms"] / 1000.0, "%.2f"),
            r["seconds_without_picture"], r["restarts"],
            fmt(r["bitrate_kbps_received"], "%.0f"),
            fmt(r["ssim_mean"], "%.3f"), r["ssim_pictures"],
            r["frames_reduced_size"], fmt(queue_drops(r), "%.2f")))
    print("(lat n, SSIM, ssim n: pictures decoded at the full %dx%d whose "
          "stamps read; small: pictures decoded below it; frz, frz s: the "
          "expert's freezes; dark s: seconds with no new picture; rst: "
          "sessions made again; drop%%: uplink packets the queue dropped, "
          "whole run)" % (WIDTH, HEIGHT))
    for r in results:
        for p in r.get("problems") or ():
            print("problem: %s %s: %s" % (r["trace"], r["mode"], p))


def ratio(a, b, spec="%.2f"):
    if a is None or b is None or b == 0:
        return "-"
    return spec % (a / b)


def print_ratios(results):
    for ref in MODES[1:]:
        print_ratios_against(results, ref)


def print_ratios_against(results, ref):
    by = {(r["trace"], r["mode"]): r for r in results if not r.get("error")}
    traces = [t for t in dict.fromkeys(r["trace"] for r in results)
              if (t, "adaptive") in by and (t, ref) in by]
    if not traces:
        return
    print()
    print("adaptive / %s, same run:" % ref)
    print("%-10s %8s %8s %10s %9s %8s %9s %10s" % (
        "trace", "p50", "p95", "freeze s", "freezes", "dark s", "kbps",
        "SSIM diff"))
    for t in traces:
        a, f = by[(t, "adaptive")], by[(t, ref)]
        al, fl = a.get("latency_ms") or {}, f.get("latency_ms") or {}
        dssim = (a["ssim_mean"] - f["ssim_mean"]
                 if a["ssim_mean"] is not None and f["ssim_mean"] is not None
                 else None)
        print("%-10s %8s %8s %10s %9s %8s %9s %10s" % (
            t, ratio(al.get("p50"), fl.get("p50")),
            ratio(al.get("p95"), fl.get("p95")),
            ratio(a["freeze_ms"], f["freeze_ms"]),
            "%d/%d" % (a["freezes"], f["freezes"]),
            "%d/%d" % (a["seconds_without_picture"],
                       f["seconds_without_picture"]),
            ratio(a["bitrate_kbps_received"], f["bitrate_kbps_received"]),
            fmt(dssim, "%+.3f")))


def check_counts(results):
    """What --smoke asserts: pictures decoded, stamps read, counts that add
    up; nothing about time."""
    for r in results:
        what = "%s %s" % (r["trace"], r["mode"])
        if r.get("error"):
            raise TestFailure("%s: %s" % (what, r["error"]))
        if r["problems"]:
            raise TestFailure("%s: %s" % (what, "; ".join(r["problems"])))
        if r["frames_decoded"] <= 0:
            raise TestFailure("%s: no picture decoded in the window" % what)
        # Over the whole run: should the controller make the picture
        # smaller early on, the window's pictures carry no readable stamp.
        if not r["latency_samples_run"]:
            raise TestFailure("%s: no latency stamp was read" % what)
        # One second of slack: records and the window do not line up.
        if r["frames_decoded"] > r["frames_sent"] + FPS:
            raise TestFailure("%s: %d decoded but only %d sent" % (
                what, r["frames_decoded"], r["frames_sent"]))
        if r["latency_samples"] > r["frames_decoded"] + FPS:
            raise TestFailure("%s: %d latency samples for %d pictures" % (
                what, r["latency_samples"], r["frames_decoded"]))
        if r["latency_ms"] and r["latency_ms"]["p50"] <= 0:
            raise TestFailure("%s: latency %.3f ms is not positive" % (
                what, r["latency_ms"]["p50"]))
        up = (r["link"] or {}).get("up") or {}
        counted = sum(up.get("packets_" + k, 0) for k in (
            "out", "lost", "outage", "overflow", "failed", "held"))
        if not up.get("packets_in") or counted != up["packets_in"]:
            raise TestFailure("%s: the link's counters do not add up: %s"
                              % (what, up))
        print("ok: %s: %d pictures decoded, %d latency samples" % (
            what, r["frames_decoded"], r["latency_samples"]))


# ------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build", help="the meson build directory")
    ap.add_argument("--traces", default=",".join(TRACES),
                    help="comma-separated subset of %s" % ", ".join(TRACES))
    ap.add_argument("--traces-dir", default=DEFAULT_TRACES_DIR,
                    help="where the traces are (default: "
                         "../shared/data/net-traces beside the source tree)")
    ap.add_argument("--seconds", type=float,
                    help="measured window per trace (default: 40 s, the "
                         "5G driving trace's 45)")
    ap.add_argument("--offset", type=float,
                    help="start of the window in each trace, s (default "
                         "10, 0 for the 5G driving trace)")
    ap.add_argument("--lead-in", type=float, default=5,
                    help="seconds played before the window, for the start "
                         "of the session (default 5)")
    ap.add_argument("--bitrate", type=int, default=4000,
                    help="--bitrate of the township in both modes, kbit/s "
                         "(default 4000)")
    ap.add_argument("--queue-ms", type=int, default=200,
                    help="bound of the uplink's drop-tail queue, ms "
                         "(default 200)")
    ap.add_argument("--delay", type=float,
                    help="one-way base delay, ms (default: per trace)")
    ap.add_argument("--jitter", type=float,
                    help="jitter each way, ms (default: per trace)")
    ap.add_argument("--loss", type=float,
                    help="random loss each way, %% (default none)")
    ap.add_argument("--modes", default="adaptive,fixed",
                    help="comma-separated subset of %s" % ", ".join(MODES))
    ap.add_argument("--static-run", type=int, default=1,
                    help="run of the 5G static throughput log (default 1)")
    ap.add_argument("--static-interval-ms", type=int, default=1000,
                    help="sample interval of that log (default 1000)")
    ap.add_argument("--json", help="write all results to this file")
    ap.add_argument("--keep", help="copy each run's logs and stats here")
    ap.add_argument("--analyse", metavar="DIR",
                    help="run nothing: report again on the runs a --keep "
                         "DIR holds")
    ap.add_argument("--smoke", action="store_true",
                    help="a few seconds of one trace, adaptive only; "
                         "check counts only")
    args = ap.parse_args()
    if args.smoke:
        # The static 5G trace has capacity to spare: the picture keeps its
        # size, so its stamps are read (see above).
        args.traces, args.modes = "5g-static", "adaptive"
        args.seconds, args.lead_in = 4, 3
    args.seconds_of = lambda n: (args.seconds if args.seconds is not None
                                 else TRACES[n]["seconds"])
    args.offset_of = lambda n: (args.offset if args.offset is not None
                                else TRACES[n]["offset"])
    if args.analyse:
        results = [analyse_dir(os.path.join(args.analyse, n))
                   for n in sorted(os.listdir(args.analyse),
                                   key=case_order)
                   if os.path.exists(os.path.join(args.analyse, n,
                                                  "window.json"))]
        report(results, args)
        return
    linkem.skip_unless_available()
    progs = Programs(args.build)
    names = args.traces.split(",")
    modes = args.modes.split(",")
    for n in names:
        if n not in TRACES:
            sys.exit("uplink.py: unknown trace %s (try --help)" % n)
    for m in modes:
        if m not in MODES:
            sys.exit("uplink.py: unknown mode %s (try --help)" % m)
    present = []
    for n in names:
        path = os.path.join(args.traces_dir, TRACES[n]["file"])
        if os.path.exists(path):
            present.append((n, path))
        else:
            print("SKIP: %s: %s is missing (--traces-dir)" % (n, path),
                  flush=True)
    if not present:
        print("SKIP: no trace found in %s" % os.path.abspath(args.traces_dir))
        sys.exit(77)
    results = []
    with tempfile.TemporaryDirectory(prefix="sl-uplink-") as workdir:
        for name, path in present:
            spec = TRACES[name]
            trace, mbps = make_trace(spec, path, workdir, args.offset_of(name),
                                     args.seconds_of(name), args.lead_in,
                                     args)
            print("# %s: %s, %g s from %g s (mean %.1f Mbit/s), %g ± %g ms "
                  "each way, %d ms queue" % (
                      name, spec["what"], args.seconds_of(name),
                      args.offset_of(name), mbps,
                      args.delay if args.delay is not None else spec["delay"],
                      args.jitter if args.jitter is not None
                      else spec["jitter"], args.queue_ms),
                  file=sys.stderr, flush=True)
            for mode in modes:
                print("# %s: %s" % (name, mode), file=sys.stderr, flush=True)
                try:
                    r = run_case(progs, workdir, name, spec, trace, mbps,
                                 mode, args)
                except TestFailure as e:
                    if args.smoke:
                        raise
                    r = {"trace": name, "mode": mode, "error": str(e)}
                results.append(r)
    report(results, args)
    if args.smoke:
        check_counts(results)


def case_order(dirname):
    """Directories TRACE-MODE in the order of TRACES and MODES."""
    for i, t in enumerate(TRACES):
        for j, m in enumerate(MODES):
            if dirname == "%s-%s" % (t, m):
                return (i, j)
    return (len(TRACES), dirname)


def report(results, args):
    print_table(results)
    print_ratios(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"time": time.time(), "queue_ms": args.queue_ms,
                       "results": results}, f, indent=1)


if __name__ == "__main__":
    try:
        main()
    except TestFailure as e:
        print("FAIL:", e)
        sys.exit(1)
