#!/usr/bin/env python3
"""The township's echo cancellation and noise suppression, measured.

Two parts, in the same run:

1. The room (sl-bench-voice-room, tests/bench/voice-room.c): the
   township's own voice graph (sl_voice_build, the function the township's
   capture calls) driven 10 ms at a time.  Far-end speech (espeak-ng)
   goes to the loudspeaker's sink; what the sink received, delayed by its
   output latency and convolved with a synthetic room (direct path, then
   reflections decaying 60 dB in 200 ms), is added to near-end speech (a
   second espeak-ng voice) as the microphone.  For each loudspeaker
   latency and each --voice-processing mode it reports
   ERLE = 10*log10(E[mic^2]/E[out^2]) over the far-end-only blocks after
   2 s of far-end speech, and the near-end speech's level change over the
   double talk, and the processing's own delay of the near-end speech
   (the lag that best matches output to input).  Deterministic: no clock,
   no sound card.
   Goals (issue: voice at the township): ERLE >= 20 dB; near end
   attenuated by at most 6 dB in double talk.

2. Mouth-to-ear latency of the real stations, with the click method of
   latency.py (the township writes a click at every whole second of its
   clock into its microphone's samples, before any processing; the expert
   times the click at its decoder's output): hub, township and expert on
   loopback, runs alternating between off, aec and aec+ns so that all meet
   the same machine.  Goal: processing adds at most 10 ms.

    voice.py BUILD_DIR [--latencies 50,150,280] [--runs N] [--clicks N]
             [--json FILE] [--smoke]

--smoke runs the room once with processing off and once with aec (the
township's default) and checks the figures loosely (ERLE at least 10 dB
with processing and under 3 dB without; the near end not attenuated by
more than 10 dB); it is what `meson test` runs.  It measures no time.  Exit 77 when espeak-ng is
missing.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from latency import Programs, percentile, run_product  # noqa: E402

MODES = ("off", "aec", "aec+ns")
ERLE_GOAL_DB = 20.0
NEAR_GOAL_DB = -6.0
ADDED_LATENCY_GOAL_MS = 10.0

# What the two ends say: an expert coaching, a sonographer answering.
FAR_TEXT = ("Move the probe to the supraspinatus fossa and slide up and "
            "down slowly. There, hold it still. Now tilt the probe towards "
            "the shoulder and add colour flow. Good, keep the pressure light "
            "and rotate a little clockwise.")
NEAR_TEXT = ("I can see the tendon now. It looks thicker than on the other "
             "side. Should I press harder or keep it like this?")


def speech(workdir):
    """far.wav and near.wav from espeak-ng, two different voices."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        return None
    far = os.path.join(workdir, "far.wav")
    near = os.path.join(workdir, "near.wav")
    subprocess.run([espeak, "-w", far, "-v", "en-us", FAR_TEXT], check=True)
    subprocess.run([espeak, "-w", near, "-v", "en+f3", "-p", "70", NEAR_TEXT],
                   check=True)
    return far, near


def room(build, far, near, mode, latency_ms, extra=()):
    exe = os.path.join(build, "tests/bench/sl-bench-voice-room")
    if not os.access(exe, os.X_OK):
        sys.exit("voice.py: %s is missing: build first" % exe)
    out = subprocess.run([exe, "--far", far, "--near", near, "--processing",
                          mode, "--speaker-latency", str(latency_ms)]
                         + list(extra), capture_output=True, text=True,
                         timeout=300)
    if out.returncode != 0:
        sys.exit("voice.py: the room failed: %s" % out.stderr.strip())
    return json.loads(out.stdout)


def smoke(build, far, near):
    off = room(build, far, near, "off", 150, ["--far-only", "6",
                                              "--double-talk", "4"])
    on = room(build, far, near, "aec", 150, ["--far-only", "6",
                                             "--double-talk", "4"])
    print(json.dumps(off))
    print(json.dumps(on))
    failures = []
    if not on["erle_db"] >= 10:
        failures.append("ERLE with aec %.1f dB, under 10" % on["erle_db"])
    if not off["erle_db"] < 3:
        failures.append("ERLE with processing off %.1f dB: the room's "
                        "measure is wrong" % off["erle_db"])
    if not on["near_change_db"] >= -10:
        failures.append("near end attenuated %.1f dB in double talk"
                        % -on["near_change_db"])
    for f in failures:
        print("FAIL:", f)
    if not failures:
        print("ok: the echo is cancelled and the near end kept")
    return 1 if failures else 0


def latency_runs(build, workdir, runs, clicks):
    progs = Programs(build)
    frames = clicks * 30
    results = {m: [] for m in MODES}
    for run in range(runs):
        for mode in MODES:
            # 720p at 2 Mbit/s, latency.py's 720p2: a link with room, so
            # the voice goes in 10 ms Opus frames (docs/rate-control.md).
            r = run_product(progs, workdir, "voice-%s-%d" % (
                mode.replace("+", ""), run), 1280, 720, 2000, frames, 30,
                ["--voice-processing", mode])
            a = r.get("audio_latency_ms")
            print("  run %d %-7s clicks %s  p50 %s ms" % (
                run + 1, mode, "-" if a is None else "found",
                "-" if a is None else "%.1f" % a["p50"]), flush=True)
            if a is not None:
                results[mode].append(a["p50"])
    return {m: (percentile(v, 50) if v else None) for m, v in results.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build")
    ap.add_argument("--latencies", default="50,150,280",
                    help="loudspeaker output latencies, ms")
    ap.add_argument("--runs", type=int, default=2,
                    help="latency runs per mode (alternating)")
    ap.add_argument("--clicks", type=int, default=12,
                    help="about how many clicks (seconds) per latency run")
    ap.add_argument("--json")
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="sl-voice-") as workdir:
        files = speech(workdir)
        if files is None:
            print("espeak-ng is missing (Debian package espeak-ng)")
            return 77 if args.smoke else 1
        far, near = files
        if args.smoke:
            return smoke(args.build, far, near)

        rows = []
        print("room: ERLE over far-end-only speech after 2 s; near-end level "
              "change in double talk")
        print("%-8s %8s %9s %12s %12s %9s" % ("mode", "echo ms", "ERLE dB",
                                              "near dB", "echo/near dB",
                                              "delay ms"))
        for latency in [int(x) for x in args.latencies.split(",")]:
            for mode in MODES:
                r = room(args.build, far, near, mode, latency)
                rows.append(r)
                print("%-8s %8d %9.1f %12.1f %12.1f %9.2f" % (
                    mode, r["echo_path_ms"], r["erle_db"],
                    r["near_change_db"], r["echo_to_near_db"],
                    r["delay_ms"]), flush=True)

        print("mouth-to-ear latency, township to expert (click method):")
        lat = latency_runs(args.build, workdir, args.runs, args.clicks)
        off = lat.get("off")
        for mode in MODES:
            v = lat[mode]
            added = (v - off) if v is not None and off is not None else None
            print("  %-7s p50 %s ms  added %s ms" % (
                mode, "-" if v is None else "%.1f" % v,
                "-" if added is None else "%+.1f" % added))

    goals = []
    for r in rows:
        if r["processing"] == "off":
            continue
        goals.append(("ERLE %s at %d ms >= %.0f dB" % (
            r["processing"], r["echo_path_ms"], ERLE_GOAL_DB),
            r["erle_db"] >= ERLE_GOAL_DB))
        goals.append(("near end %s at %d ms >= %.0f dB" % (
            r["processing"], r["echo_path_ms"], NEAR_GOAL_DB),
            r["near_change_db"] >= NEAR_GOAL_DB))
    for mode in ("aec", "aec+ns"):
        if lat[mode] is not None and lat["off"] is not None:
            goals.append(("added latency %s <= %.0f ms" % (
                mode, ADDED_LATENCY_GOAL_MS),
                lat[mode] - lat["off"] <= ADDED_LATENCY_GOAL_MS))
        else:
            goals.append(("added latency %s measured" % mode, False))
    print("goals:")
    for name, ok in goals:
        print("  %-40s %s" % (name, "met" if ok else "NOT MET"))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"room": rows, "latency_ms": lat}, f, indent=1)
    return 0 if all(ok for _, ok in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
