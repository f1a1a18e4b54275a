#!/usr/bin/env python3
"""Glass-to-glass latency of the real product, against references.

For each case (size x bitrate) this runs the product as a user would, as
separate processes on loopback: sonolink-hub, sonolink-township streaming
the synthetic phantom with --latency-stamp (its monotonic clock written
into each frame when the frame is handed to the engine), and
sonolink-expert decoding with --latency-log (one line per decoded picture:
phantom frame index and latency) and --verify-phantom (luma PSNR and SSIM
of every picture against the exact source frame).  After a warm-up it
takes at least --frames pictures, then reports frames sent and decoded,
p50/p95/p99/max latency, fidelity, the bitrate reached and the CPU time of
each process.

In the same run, on the same source and stamp, sl-bench-latency-ref
measures the two references: "floor" (x264 with the product's settings
straight into FFmpeg's decoder, no network) and "reference" (webrtcbin as
the common examples set it up: 200 ms jitter buffer, a clock-synchronised
sink).  Ratios against them are printed, because this machine is shared
and noisy: absolute figures move from run to run, ratios much less.

    latency.py BUILD_DIR [--frames N] [--cases 720p4,1080p2,...]
               [--against OTHER_BUILD] [--runs N] [--no-reference]
               [--json FILE] [--smoke]

With --against OTHER_BUILD the product of another build directory (the
build before a change, say) is measured too, its runs alternating with
this build's (this one first), --runs times each (default 1), so that
both meet the same machine; its rows are "before", and the difference of
the median p50s is printed.

With --browser the expert is also the browser station (client/web) in
Debian's chromium, driven as tests/browser does, in the same run right
after the C expert: once with Chromium's own receive delay ("browser")
and once asking for none (`jitterBufferTarget` 0, "browser-jb0"), or
the delays of --browser-delays; with
--against, on the other build's township too ("before-browser",
"before-browser-jb0").  The
page reads the stamp from each frame it shows (requestVideoFrameCallback)
and keeps its presentation time on its own clock, performance.now(),
which Chromium takes from CLOCK_MONOTONIC as the stations do, from a
time origin of its own: the bench finds that origin by reading
performance.now() between two readings of its own monotonic clock, 50
times, and keeps the reading with the shortest round trip (its error is
at most half that round trip, printed as "clock ±").

--smoke runs one short 720p case and the two references for a few dozen
frames and checks only that stamps were read and the counts add up; it is
what `meson test` runs.  It asserts nothing about time.
"""

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from sltest import (Hub, Processes, TestFailure,  # noqa: E402
                    read_latency_log, read_stats, session_records,
                    station_args, wait_for)

CASES = {
    "720p2": (1280, 720, 2000),
    "720p4": (1280, 720, 4000),
    "1080p2": (1920, 1080, 2000),
    "1080p4": (1920, 1080, 4000),
}
FPS = 30


class Programs:
    def __init__(self, build):
        self.hub = os.path.join(build, "signaling/hub/sonolink-hub")
        self.township = os.path.join(build, "client/sonolink-township")
        self.expert = os.path.join(build, "client/sonolink-expert")
        self.ref = os.path.join(build, "tests/bench/sl-bench-latency-ref")
        for path in (self.hub, self.township, self.expert):
            if not os.access(path, os.X_OK):
                sys.exit("latency.py: %s is missing: build first" % path)


def percentile(values, p):
    """Nearest-rank percentile, as sl_percentile (media/include/sl-stage.h)."""
    if not values:
        return None
    s = sorted(values)
    rank = max(1, -(-len(s) * p // 100))
    return s[int(rank) - 1]


def cpu_seconds(pid):
    """utime + stime of a running process, from /proc."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def start_township(progs, procs, hub, room, name, t_stats, width, height,
                   kbps, township_args):
    """The township of a case: the phantom with the latency stamp."""
    return procs.start("township", [progs.township] + station_args(
        hub, hub.token_file("t-" + name, hub.token(room, "township")),
        t_stats, ["--latency-stamp", "--audio-in", "test:700",
                  "--width", str(width), "--height", str(height),
                  "--fps", str(FPS), "--bitrate", str(kbps), "--quiet"]
        + list(township_args)))


def run_product(progs, workdir, name, width, height, kbps, frames, warmup,
                township_args=(), expert_args=()):
    """One consultation; returns the case's result dict."""
    procs = Processes(workdir)
    build = argparse.Namespace(hub=progs.hub, township=progs.township,
                               expert=progs.expert)
    try:
        hub = Hub(build, procs).start()
        room = "bench-" + name
        t_stats = os.path.join(workdir, name + "-township.jsonl")
        e_stats = os.path.join(workdir, name + "-expert.jsonl")
        lat_log = os.path.join(workdir, name + "-latency.txt")
        township = start_township(progs, procs, hub, room, name, t_stats,
                                  width, height, kbps, township_args)
        expert = procs.start("expert", [progs.expert] + station_args(
            hub, hub.token_file("e-" + name, hub.token(room, "expert")),
            e_stats, ["--sink", "none", "--verify-phantom", "--audio-in",
                      "test:1300", "--latency-log", lat_log, "--quiet"]
            + list(expert_args)))
        wait_for(lambda: len(read_latency_log(lat_log)) >= warmup,
                 30, "%d warm-up frames" % warmup, interval=0.2)
        start_log = len(read_latency_log(lat_log))
        start_sent = last_sent(t_stats)
        cpu0 = {p.name: cpu_seconds(p.pid) for p in (hub.proc, township,
                                                     expert)}
        t0 = time.monotonic()
        wait_for(lambda: len(read_latency_log(lat_log)) >= start_log + frames,
                 frames / FPS * 2 + 20, "%d measured frames" % frames,
                 interval=0.2)
        seconds = time.monotonic() - t0
        cpu1 = {p.name: cpu_seconds(p.pid) for p in (hub.proc, township,
                                                     expert)}
        sent = last_sent(t_stats) - start_sent
        for p in (expert, township, hub.proc):
            procs.stop(p)
        pairs = read_latency_log(lat_log)[start_log:]
        e = session_records(e_stats)
        t = session_records(t_stats)
        last = e[-1] if e else {}
        lat = [us / 1000.0 for _, us, _ in pairs]
        # The bitrate reached: the township's own send rate over the window.
        rates = [r["bitrate_kbps"] for r in t[-int(seconds):]
                 if r.get("bitrate_kbps")]
        return {
            "mode": "product", "case": name, "width": width,
            "height": height, "fps": FPS, "bitrate_kbps": kbps,
            "seconds": round(seconds, 2),
            "frames_sent": sent,
            "frames_decoded": len(pairs),
            "stamp_errors": sum(r.get("latency_unreadable", 0) for r in e),
            "latency_ms": summary(lat),
            "psnr_db": {"mean": last.get("verify_psnr_mean"),
                        "min": last.get("verify_psnr_min")},
            "ssim": {"mean": last.get("verify_ssim_mean"),
                     "min": last.get("verify_ssim_min")},
            "actual_bitrate_kbps": (sum(rates) / len(rates)) if rates
            else None,
            "stages_ms": stage_medians(t[-int(seconds):], e[-int(seconds):]),
            "latency_estimate_ms": percentile(
                [r["latency_estimate_ms"] for r in e[-int(seconds):]
                 if r.get("latency_estimate_ms") is not None], 50),
            "audio_latency_ms": summary([r["audio_latency_ms"] for r in e
                                         if "audio_latency_ms" in r]),
            "first_picture_ms": next((r["first_picture_ms"] for r in e
                                      if "first_picture_ms" in r), None),
            "cpu_s": {k: round(cpu1[k] - cpu0[k], 2)
                      for k in cpu0 if cpu0[k] is not None
                      and cpu1[k] is not None},
        }
    except TestFailure:
        procs.dump_logs()
        raise
    finally:
        procs.cleanup()


def page_clock_offset_ms(browser, page):
    """CLOCK_MONOTONIC in ms minus the page's performance.now(), from the
    reading with the shortest round trip; and half that round trip."""
    best = None
    for _ in range(50):
        a = time.monotonic()
        perf = browser.eval(page, "performance.now()")
        b = time.monotonic()
        if best is None or b - a < best[0]:
            best = (b - a, (a + b) / 2 * 1000 - perf)
    return best[1], best[0] * 1000 / 2


def run_browser(progs, workdir, name, width, height, kbps, frames, warmup,
                delay_ms=None, township_args=(), page_hub=None):
    """One consultation with the browser station as the expert, on the
    township of PROGS; the hub of PAGE_HUB (default PROGS) serves the
    page and the signalling."""
    sys.path.insert(0, os.path.join(HERE, "..", "browser"))
    import slbrowser
    slbrowser.skip_unless_ready()
    procs = Processes(workdir)
    build = argparse.Namespace(hub=(page_hub or progs).hub,
                               township=progs.township, expert=progs.expert)
    browser = None
    try:
        hub = Hub(build, procs).start()
        room = "bench-" + name
        t_stats = os.path.join(workdir, name + "-township.jsonl")
        start_township(progs, procs, hub, room, name, t_stats, width, height,
                       kbps, township_args)
        browser = slbrowser.Browser(workdir)
        url = slbrowser.page_url(hub, hub.token(room, "expert")) + "&stamps=1"
        if delay_ms is not None:
            url += "&delay_ms=%d" % delay_ms
        page = browser.open(url)
        count = "window.sonolink.stamps.length"
        wait_for(lambda: (browser.eval(page, count) or 0) >= warmup, 40,
                 "%d warm-up frames in the page" % warmup, interval=0.2)
        start = browser.eval(page, count)
        start_sent = last_sent(t_stats)
        err0 = browser.probe(page, "stampErrors")
        t0 = time.monotonic()
        wait_for(lambda: browser.eval(page, count) >= start + frames,
                 frames / FPS * 3 + 20, "%d measured frames" % frames,
                 interval=0.2)
        seconds = time.monotonic() - t0
        offset, error = page_clock_offset_ms(browser, page)
        stamps = browser.eval(page, "window.sonolink.stamps.slice(-%d)"
                              % (browser.eval(page, count) - start))
        errors = browser.probe(page, "stampErrors") - err0
        sent = last_sent(t_stats) - start_sent
        lat = [row[1] + offset - row[0] / 1000.0 for row in stamps]
        # Where it goes: up to the last packet's arrival in Chromium, and
        # from there to the hand-over for display (jitter buffer,
        # decoding, waiting for the compositor's next frame).
        arrive = [row[3] + offset - row[0] / 1000.0 for row in stamps
                  if row[3] > 0]
        inside = [row[1] - row[3] for row in stamps if row[3] > 0]
        # When Chromium expects the picture on the screen (the next frame
        # of the page after the hand-over).
        shown = [row[2] + offset - row[0] / 1000.0 for row in stamps
                 if row[2] > 0]
        t = session_records(t_stats)
        rates = [r["bitrate_kbps"] for r in t[-int(seconds):]
                 if r.get("bitrate_kbps")]
        return {
            "mode": "browser" if delay_ms is None else "browser-jb%d" % delay_ms,
            "case": name, "width": width, "height": height, "fps": FPS,
            "bitrate_kbps": kbps, "seconds": round(seconds, 2),
            "frames_sent": sent, "frames_decoded": len(stamps),
            "stamp_errors": errors, "latency_ms": summary(lat),
            "to_arrival_ms": summary(arrive) if arrive else None,
            "in_chromium_ms": summary(inside) if inside else None,
            "at_display_ms": summary(shown) if shown else None,
            "clock_error_ms": round(error, 3),
            "jitter_buffer_ms": browser.probe(page, "jitterMs"),
            "stamp_path": browser.probe(page, "stampPath"),
            "actual_bitrate_kbps": (sum(rates) / len(rates)) if rates
            else None,
        }
    except TestFailure:
        procs.dump_logs()
        raise
    finally:
        if browser is not None:
            browser.close()
        procs.cleanup()


def stage_medians(township_records, expert_records):
    """Median of each station's per-second stage medians (docs/stats.md)."""
    out = {}
    for records, names in ((township_records, ("capture", "encode")),
                           (expert_records, ("decode", "output"))):
        for name in names:
            values = [r["stage_%s_ms" % name] for r in records
                      if r.get("stage_%s_ms" % name) is not None]
            out[name] = percentile(values, 50) if values else None
    return out


def last_sent(stats_path):
    return max((r.get("frames_sent", 0) for r in read_stats(stats_path)),
               default=0)


def summary(values):
    if not values:
        return None
    return {"p50": percentile(values, 50), "p95": percentile(values, 95),
            "p99": percentile(values, 99), "max": max(values),
            "mean": sum(values) / len(values)}


def run_reference(progs, mode, width, height, kbps, frames, warmup):
    if not os.access(progs.ref, os.X_OK):
        sys.exit("latency.py: %s is missing: build first" % progs.ref)
    out = subprocess.run(
        [progs.ref, "--mode", mode, "--width", str(width), "--height",
         str(height), "--fps", str(FPS), "--bitrate", str(kbps),
         "--frames", str(frames), "--warmup", str(warmup)],
        capture_output=True, text=True, timeout=frames / FPS * 3 + 120)
    if out.returncode != 0:
        raise TestFailure("sl-bench-latency-ref --mode %s failed: %s"
                          % (mode, out.stderr.strip()[-2000:]))
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["case"] = "%dp%d" % (height, kbps // 1000)
    return result


def fmt(v, spec="%.1f"):
    return "-" if v is None else spec % v


def print_table(results):
    head = ("%-10s %-7s %6s %6s %6s %7s %7s %7s %7s %6s %6s %7s %7s %s"
            % ("mode", "case", "sent", "dec", "err", "p50ms", "p95ms",
               "p99ms", "maxms", "PSNR", "SSIM", "kbps", "1st ms", "cpu s"))
    print(head)
    print("-" * len(head))
    for r in results:
        lat = r.get("latency_ms") or {}
        cpu = r.get("cpu_s")
        cpu_text = (" ".join("%s %.1f" % kv for kv in cpu.items())
                    if isinstance(cpu, dict) else fmt(cpu))
        print("%-10s %-7s %6d %6d %6d %7s %7s %7s %7s %6s %6s %7s %7s %s" % (
            r["mode"], r["case"], r.get("frames_sent", 0),
            r.get("frames_decoded", 0), r.get("stamp_errors", 0),
            fmt(lat.get("p50")), fmt(lat.get("p95")), fmt(lat.get("p99")),
            fmt(lat.get("max")), fmt((r.get("psnr_db") or {}).get("mean")),
            fmt((r.get("ssim") or {}).get("mean"), "%.3f"),
            fmt(r.get("actual_bitrate_kbps"), "%.0f"),
            fmt(r.get("first_picture_ms"), "%.0f"), cpu_text))


def print_budget(results):
    """Where the product's p50 goes: the stations' own stage timers, and
    the rest (packetising, SRTP, RTP, network, jitter buffer, depacketising,
    parsing, thread hand-offs) as the remainder."""
    rows = [r for r in results if r["mode"] == "product" and r.get("stages_ms")
            and r.get("latency_ms")]
    if not rows:
        return
    print()
    print("%-7s %9s %8s %10s %8s %8s %8s %9s" % (
        "budget", "capture", "encode", "transport", "decode", "output",
        "p50", "estimate"))
    for r in rows:
        st = r["stages_ms"]
        known = [st.get(k) for k in ("capture", "encode", "decode", "output")]
        if any(v is None for v in known):
            continue
        rest = r["latency_ms"]["p50"] - sum(known)
        print("%-7s %9.2f %8.2f %10.2f %8.2f %8.2f %8.2f %9s" % (
            r["case"], st["capture"], st["encode"], rest, st["decode"],
            st["output"], r["latency_ms"]["p50"],
            fmt(r.get("latency_estimate_ms"), "%.2f")))


def print_audio(results):
    rows = [r for r in results if r.get("audio_latency_ms")]
    if not rows:
        return
    print()
    print("voice, mouth to ear (capture hand-off to decoder output):")
    for r in rows:
        a = r["audio_latency_ms"]
        print("  %-7s p50 %.1f ms  max %.1f ms" % (r["case"], a["p50"],
                                                   a["max"]))


def print_ratios(results):
    by = {(r["mode"], r["case"]): r for r in results}
    print()
    print("%-7s %14s %14s %12s %12s" % ("case", "ref/product p50",
                                          "ref/product p99", "product-floor",
                                          "PSNR vs ref"))
    for case in sorted({r["case"] for r in results}):
        p, ref, floor = (by.get((m, case)) for m in
                         ("product", "reference", "floor"))
        if not p or not p.get("latency_ms"):
            continue
        pl = p["latency_ms"]
        ratio50 = ratio99 = over = dpsnr = None
        if ref and ref.get("latency_ms"):
            ratio50 = ref["latency_ms"]["p50"] / pl["p50"]
            ratio99 = ref["latency_ms"]["p99"] / pl["p99"]
            if ref.get("psnr_db", {}).get("mean") and p["psnr_db"]["mean"]:
                dpsnr = p["psnr_db"]["mean"] - ref["psnr_db"]["mean"]
        if floor and floor.get("latency_ms"):
            over = pl["p50"] - floor["latency_ms"]["p50"]
        print("%-7s %14s %14s %12s %12s" % (
            case, fmt(ratio50, "%.1fx"), fmt(ratio99, "%.1fx"),
            fmt(over, "%+.1f ms"), fmt(dpsnr, "%+.2f dB")))


def print_browser(results):
    """The browser station against the C expert, same run: p50s and the
    difference of the medians over runs."""
    modes = sorted({r["mode"] for r in results if "browser" in r["mode"]})
    if not modes:
        return
    print()
    print("%-7s %-12s %12s %12s %12s %10s %9s %11s %11s %11s" % (
        "case", "mode", "p50", "p50 C expert", "difference", "p95",
        "clock ±", "to arrival", "in Chromium", "at display"))
    for case in sorted({r["case"] for r in results}):
        c = [r["latency_ms"]["p50"] for r in results if r["mode"] == "product"
             and r["case"] == case and r.get("latency_ms")]
        for mode in modes:
            rows = [r for r in results if r["mode"] == mode
                    and r["case"] == case and r.get("latency_ms")]
            if not rows or not c:
                continue
            b = percentile([r["latency_ms"]["p50"] for r in rows], 50)
            cp = percentile(c, 50)
            part = {k: [r[k]["p50"] for r in rows if r.get(k)]
                    for k in ("to_arrival_ms", "in_chromium_ms",
                              "at_display_ms")}
            print("%-7s %-12s %9.1f ms %9.1f ms %+9.1f ms %7.1f ms %6.2f ms"
                  " %11s %11s %11s"
                  % (case, mode, b, cp, b - cp,
                     percentile([r["latency_ms"]["p95"] for r in rows], 50),
                     max(r["clock_error_ms"] for r in rows),
                     *("%.1f ms" % percentile(v, 50) if v else "-"
                       for v in part.values())))


def print_against(results):
    """This build's product against the build before, same run: the
    median over runs of each one's p50, and their difference."""
    cases = sorted({r["case"] for r in results if r["mode"] == "before"})
    if not cases:
        return
    print()
    print("%-7s %12s %12s %12s %12s" % ("case", "p50 product", "p50 before",
                                        "difference", "runs"))
    for case in cases:
        p50 = {m: [r["latency_ms"]["p50"] for r in results
                   if r["mode"] == m and r["case"] == case
                   and r.get("latency_ms")] for m in ("product", "before")}
        if not p50["product"] or not p50["before"]:
            continue
        a, b = (percentile(p50[m], 50) for m in ("product", "before"))
        print("%-7s %9.2f ms %9.2f ms %+9.2f ms %12s" % (
            case, a, b, a - b, "%d + %d" % (len(p50["product"]),
                                             len(p50["before"]))))


def check_counts(results):
    """What --smoke asserts: stamps read and counts that add up."""
    for r in results:
        what = "%s %s" % (r["mode"], r["case"])
        if not r.get("latency_ms"):
            raise TestFailure("%s: no latency stamp was read" % what)
        if r.get("stamp_errors", 0) > 0.1 * max(r["frames_decoded"], 1):
            raise TestFailure("%s: %d unreadable stamps" %
                              (what, r["stamp_errors"]))
        if r["mode"] == "product" and r["frames_decoded"] > r["frames_sent"] + 5:
            raise TestFailure("%s: %d decoded but only %d sent" %
                              (what, r["frames_decoded"], r["frames_sent"]))
        # The page reads the stamp from the decoded frame's luma: through
        # a canvas, the page's thread converts every pixel of every
        # picture, and headless Chromium shows fewer, later pictures.
        if "browser" in r["mode"] and not (r.get("stamp_path") or
                                           "").startswith("copyTo"):
            raise TestFailure("%s: the page read the stamps through %s, "
                              "not the frame's own planes" %
                              (what, r.get("stamp_path")))
        if r["latency_ms"]["p50"] <= 0:
            raise TestFailure("%s: latency %.3f ms is not positive (clock "
                              "domains differ?)" % (what,
                                                   r["latency_ms"]["p50"]))
        print("ok: %s: %d frames measured" % (what, r["frames_decoded"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build", help="the meson build directory")
    ap.add_argument("--frames", type=int, default=1000,
                    help="pictures measured per case after warm-up "
                         "(default 1000)")
    ap.add_argument("--warmup", type=int, default=60,
                    help="pictures discarded first (default 60)")
    ap.add_argument("--cases", default=",".join(CASES),
                    help="comma-separated subset of %s" % ", ".join(CASES))
    ap.add_argument("--no-reference", action="store_true",
                    help="measure the product only")
    ap.add_argument("--against", metavar="OTHER_BUILD",
                    help="alternate with the product of this build "
                         "directory (rows \"before\")")
    ap.add_argument("--runs", type=int, default=1,
                    help="product runs per case and build (default 1)")
    ap.add_argument("--township-arg", action="append", default=[],
                    help="pass this argument to sonolink-township too "
                         "(repeatable; e.g. --township-arg=--x264-options=...)")
    ap.add_argument("--json", help="write all results to this file")
    ap.add_argument("--browser", action="store_true",
                    help="measure the browser station too, after the C "
                         "expert in each run (modes browser, browser-jb0)")
    ap.add_argument("--browser-delays", default="auto,0", metavar="LIST",
                    help="with --browser, the receive delays asked of "
                         "Chromium, one browser run each: auto (Chromium's "
                         "own, mode browser) or N ms (jitterBufferTarget, "
                         "mode browser-jbN); default auto,0")
    ap.add_argument("--smoke", action="store_true",
                    help="one short 720p case; check counts only")
    args = ap.parse_args()
    try:
        delays = [None if d == "auto" else int(d)
                  for d in args.browser_delays.split(",")]
    except ValueError:
        sys.exit("latency.py: --browser-delays takes auto or whole ms, "
                 "comma-separated: %s" % args.browser_delays)
    if any(d is not None and not 0 <= d <= 4000 for d in delays):
        sys.exit("latency.py: --browser-delays: 0 to 4000 ms")
    if args.smoke:
        args.frames, args.warmup, args.cases = 30, 10, "720p4"
    progs = Programs(args.build)
    builds = [("product", progs)]
    if args.against:
        builds.append(("before", Programs(args.against)))
    results = []
    with tempfile.TemporaryDirectory(prefix="sl-bench-") as workdir:
        for name in args.cases.split(","):
            if name not in CASES:
                sys.exit("latency.py: unknown case %s (try --help)" % name)
            w, h, kbps = CASES[name]
            for run in range(max(args.runs, 1)):
                for mode, build in builds:
                    print("# %s: %s, run %d" % (name, mode, run + 1),
                          file=sys.stderr, flush=True)
                    r = run_product(build, workdir, "%s-%s-%d" % (
                        name, mode, run), w, h, kbps, args.frames,
                        args.warmup, args.township_arg)
                    r["mode"], r["case"], r["run"] = mode, name, run + 1
                    results.append(r)
                if args.browser:
                    # The browser station on each build's township: with
                    # --against, "before-browser" is the build before.
                    for (mode, build), delay in itertools.product(
                            builds, delays):
                        prefix = "" if mode == "product" else mode + "-"
                        print("# %s: %sbrowser%s, run %d" % (
                            name, prefix, "" if delay is None else " delay 0",
                            run + 1), file=sys.stderr, flush=True)
                        # This build's hub serves this tree's page.
                        r = run_browser(build, workdir, "%s-%sbrowser-%s-%d" % (
                            name, prefix, delay, run), w, h, kbps,
                            args.frames, args.warmup, delay,
                            args.township_arg, page_hub=progs)
                        r["mode"] = prefix + r["mode"]
                        r["case"], r["run"] = name, run + 1
                        results.append(r)
            if args.no_reference:
                continue
            for mode in ("floor", "reference"):
                print("# %s: %s" % (name, mode), file=sys.stderr, flush=True)
                results.append(run_reference(progs, mode, w, h, kbps,
                                             args.frames, args.warmup))
    print_table(results)
    print_ratios(results)
    print_against(results)
    print_browser(results)
    print_budget(results)
    print_audio(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"time": time.time(), "results": results}, f, indent=1)
    if args.smoke:
        check_counts(results)


if __name__ == "__main__":
    try:
        main()
    except TestFailure as e:
        print("FAIL:", e)
        sys.exit(1)
