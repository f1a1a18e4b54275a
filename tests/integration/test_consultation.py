#!/usr/bin/env python3
"""One live consultation end to end, with real processes on loopback.

hub + township (synthetic phantom, 700 Hz test voice) + expert (1300 Hz test
voice, --verify-phantom) for about ten seconds.  Asserts on what arrived:
frames decoded, their size and fidelity against the exact phantom frame each
came from, the voice both ways, the data-channel round trip; and that a
forged expert token and a second township are refused while the legitimate
session carries on.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sltest import (Hub, check, png_size, read_stats, run, session_records,
                    station_args, wait_for)

# Luma PSNR floor for every decoded picture against its source frame.  At
# 4 Mbit/s the phantom's speckle codes at about 30-35 dB with ultrafast x264;
# a picture matched against the wrong source frame (drifting speckle, moving
# structures) or a corrupted decode lands near 15-20 dB, so 25 dB separates
# "this is the frame it claims to be, faithfully coded" from any mismatch.
PSNR_FLOOR_DB = 25.0

TOWNSHIP_HZ = 700
EXPERT_HZ = 1300
# spectrum reports the centre of a 25 Hz band.
TONE_TOLERANCE_HZ = 30

SESSION_SECONDS = 12


def near(value, target, tolerance):
    return value is not None and abs(value - target) <= tolerance


def main(build, procs):
    hub = Hub(build, procs).start()
    room = "consult-1"
    t_stats = os.path.join(procs.workdir, "township.jsonl")
    e_stats = os.path.join(procs.workdir, "expert.jsonl")
    snapshot = os.path.join(procs.workdir, "expert.png")

    township = procs.start("township", [build.township] + station_args(
        hub, hub.token_file("township", hub.token(room, "township")),
        t_stats, ["--audio-in", "test:%d" % TOWNSHIP_HZ,
                  "--latency-stamp"]))
    expert = procs.start("expert", [build.expert] + station_args(
        hub, hub.token_file("expert", hub.token(room, "expert")),
        e_stats, ["--audio-in", "test:%d" % EXPERT_HZ, "--sink", "none",
                  "--snapshot", snapshot, "--verify-phantom",
                  "--duration", str(SESSION_SECONDS)]))

    # The picture flows.
    wait_for(lambda: any(r.get("frames_decoded", 0) > 30
                         for r in read_stats(e_stats)), 20,
             "the expert to decode 30 frames")

    # An intruder with a forged token (signed with another secret) is
    # refused with the "token refused" exit status...
    other_secret = os.path.join(procs.workdir, "other.secret")

    subprocess.run([build.hub, "secret", "--out", other_secret], check=True)
    forged = hub.token(room, "expert", secret=other_secret)
    intruder = procs.start("intruder", [build.expert] + station_args(
        hub, hub.token_file("forged", forged),
        os.path.join(procs.workdir, "intruder.jsonl"), ["--sink", "none"]))
    check(procs.wait_exit(intruder, 20) == 3,
          "an expert with a forged token is refused (exit 3)")
    check(forged not in procs.log(intruder),
          "the refused token is not echoed in the station's output")

    # ...and so is a second township (exit 5, "room occupied").
    second = procs.start("second-township", [build.township] + station_args(
        hub, hub.token_file("township2", hub.token(room, "township")),
        os.path.join(procs.workdir, "second.jsonl"),
        ["--audio-in", "none"]))
    check(procs.wait_exit(second, 20) == 5,
          "a second township in the room is refused (exit 5)")

    decoded_before = max(r.get("frames_decoded", 0)
                         for r in read_stats(e_stats))

    # The expert stops by itself at --duration; clean exit.
    check(procs.wait_exit(expert, SESSION_SECONDS + 20) == 0,
          "the expert ran for --duration and exited cleanly")
    # It said bye: the township is told so and ends the session at once,
    # instead of keeping it as for a peer that lost its hub connection.
    t_log = wait_for(lambda: "left (said goodbye)" in procs.log(township)
                     and procs.log(township), 10,
                     "the township to hear the expert said goodbye")
    check("kept while it reconnects" not in t_log,
          "the township did not keep the session of an expert that quit")
    check(procs.stop(township) == 0, "the township stops cleanly on Ctrl-C")
    check(procs.stop(hub.proc) == 0, "the hub stops cleanly on Ctrl-C")

    e = session_records(e_stats)
    t = session_records(t_stats)
    check(len(e) >= 5 and len(t) >= 5, "both stations wrote stats every second"
          " (%d expert, %d township records)" % (len(e), len(t)))
    last = e[-1]
    check(last["frames_decoded"] > decoded_before,
          "the session carried on while intruders were refused (%d -> %d)"
          % (decoded_before, last["frames_decoded"]))
    check((last["width"], last["height"]) == (1280, 720),
          "decoded pictures are 1280x720 (got %sx%s)"
          % (last["width"], last["height"]))

    # Frames sent: the township's count of frames out of its encoder for
    # this session; the expert's last record comes after its last frame.
    sent = max(r.get("frames_sent", 0) for r in t)
    ratio = last["frames_decoded"] / max(sent, 1)
    check(sent > 200 and ratio >= 0.90,
          "%.1f %% of the %d frames sent were decoded"
          % (100 * ratio, sent))
    # The phantom's frame indices say the same from the pictures themselves:
    # the span the expert saw holds the frames it decoded, and nothing from
    # before the session started was sent late.
    span = last["verify_last_index"] - last["verify_first_index"] + 1
    check(last["frames_decoded"] >= 0.90 * span and span <= sent + 30,
          "decoded pictures cover %d consecutive phantom frames" % span)
    check(last["verify_checked"] >= 0.9 * last["frames_decoded"],
          "stamps read from %d of %d decoded pictures"
          % (last["verify_checked"], last["frames_decoded"]))
    check(last["verify_skipped"] == 0,
          "every stamped picture was compared (none skipped)")
    check(last["verify_psnr_min"] >= PSNR_FLOOR_DB,
          "every decoded picture matches its phantom frame (min PSNR %.1f dB"
          ", mean %.1f dB, floor %.0f dB)" % (last["verify_psnr_min"],
                                              last["verify_psnr_mean"],
                                              PSNR_FLOOR_DB))

    # Latency is measured from the township's clock stamp in every picture
    # (both stations share this machine's monotonic clock).  Only its sanity
    # is asserted here, not its size: positive and under ten seconds means
    # the stamp was read and both ends used the same clock.
    measured = sum(r.get("latency_frames", 0) for r in e)
    unreadable = sum(r.get("latency_unreadable", 0) for r in e)
    check(measured >= 0.9 * last["frames_decoded"] and unreadable == 0,
          "latency stamps read from %d of %d decoded pictures (%d unreadable)"
          % (measured, last["frames_decoded"], unreadable))
    p50s = [r["latency_ms_p50"] for r in e if "latency_ms_p50" in r]
    check(p50s and all(0 < v < 10000 for v in p50s),
          "the measured latency is a sane figure (p50 per second: %s ms)"
          % ", ".join("%.1f" % v for v in p50s[-3:]))

    # The stamp-free estimate (township's send time over the control
    # channel, half the round trip, the expert's decode and output) is
    # reported too.
    estimates = [r["latency_estimate_ms"] for r in e
                 if r.get("latency_estimate_ms") is not None]
    check(len(estimates) >= 5 and all(0 < v < 10000 for v in estimates),
          "the expert reports a latency estimate (%s ms)"
          % ", ".join("%.1f" % v for v in estimates[-3:]))

    # The voice's latency clicks (same option) are found at the expert.
    clicks = [r["audio_latency_ms"] for r in e if "audio_latency_ms" in r]
    check(len(clicks) >= 5 and all(0 < v < 900 for v in clicks),
          "mouth-to-ear clicks found in %d seconds (%s ms)"
          % (len(clicks), ", ".join("%.0f" % v for v in clicks[-3:])))

    # Voice both ways: each side hears the other's tone.
    check(any(near(r.get("audio_peak_hz"), TOWNSHIP_HZ, TONE_TOLERANCE_HZ)
              for r in e[-4:]),
          "the expert hears the township's %d Hz voice (got %s)"
          % (TOWNSHIP_HZ, [r.get("audio_peak_hz") for r in e[-4:]]))
    check(any(near(r.get("audio_peak_hz"), EXPERT_HZ, TONE_TOLERANCE_HZ)
              for r in t[-4:]),
          "the township hears the expert's %d Hz voice (got %s)"
          % (EXPERT_HZ, [r.get("audio_peak_hz") for r in t[-4:]]))

    # The data channel round trip, both directions.
    check(last["dc_roundtrips"] >= 3 and last["dc_rtt_ms"] is not None,
          "the expert's data-channel pings come back (%d, %.1f ms)"
          % (last["dc_roundtrips"], last["dc_rtt_ms"] or -1))
    check(max(r["dc_roundtrips"] for r in t) >= 3,
          "the township's data-channel pings come back")
    check(max(r["frames_sent"] for r in t) > 200,
          "the township sent frames (%d)" % max(r["frames_sent"] for r in t))

    size = png_size(snapshot)
    check(size == (1280, 720), "the expert's snapshot is a 1280x720 PNG "
          "(got %s)" % (size,))


if __name__ == "__main__":
    run(main)
