#!/usr/bin/env python3
"""sonolink-replay on a recorded consultation (docs/sonolink-replay.md).

    test_replay.py HUB TOWNSHIP EXPERT REPLAY

hub + township (phantom 640x360, test tone, --record) + expert (test
tone, --verify-phantom, a guidance script, --record).  The script draws
m1 (a yellow box, kept), m2 (a cyan arrow with a 1.5 s TTL), m3 (a green
box), then undoes m3.  The township is killed with SIGKILL, the expert
stopped by --duration.  Then, with real processes:

- --snapshot-at just before a mark's picture shows none of it, at and
  after it shows it (by pixels on the box's edge); the TTL and the undo
  take m2 and m3 down at the right time, m1 stays;
- --verify-phantom on the expert's recording gives the PSNR the expert
  measured live (the same access units, decoded again);
- the SIGKILLed township's recording replays up to within 2 s of the
  kill;
- --export (copy, --burn-marks, --from/--to) writes MP4 files that
  gst-discoverer-1.0 reads to the expected duration, mode 0600, with the
  marks in the WebVTT beside them; a burnt export shows m1 in its picture;
- --note appends a note to the sidecar (still 0600, still readable line
  by line), --notes lists it, the export's VTT carries it;
- bad input: exit 2 (a time outside the recording, --from after --to, a
  bad note), 3 (not a recording), 4 (an output that cannot be written).
"""

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from slpng import read_png  # noqa: E402
from sltest import (Hub, TestFailure, check, run, session_records,  # noqa: E402
                    station_args, wait_for)

W, H = 640, 360
BOX1 = ((0.1, 0.1), (0.4, 0.5))
BOX3 = ((0.6, 0.2), (0.9, 0.7))


def script():
    return [
        {"at_ms": 1500, "msg": {"type": "mark", "id": "m1", "kind": "box",
                                "points": list(BOX1), "color": "yellow",
                                "width": 3}},
        {"at_ms": 2500, "msg": {"type": "mark", "id": "m2", "kind": "arrow",
                                "points": [[0.5, 0.8], [0.7, 0.9]],
                                "color": "cyan", "width": 3,
                                "ttl_ms": 1500}},
        {"at_ms": 4500, "msg": {"type": "mark", "id": "m3", "kind": "box",
                                "points": list(BOX3), "color": "green",
                                "width": 3}},
        {"at_ms": 6500, "msg": {"type": "undo"}},
    ]


def replay(build_replay, *args, timeout=120):
    return subprocess.run([build_replay] + list(args), capture_output=True,
                          text=True, timeout=timeout)


def replay_json(build_replay, *args):
    """The JSON a run that should succeed prints; its exit status and
    errors are the failure otherwise."""
    r = replay(build_replay, *args)
    if r.returncode != 0:
        raise TestFailure("sonolink-replay %s exited %d: %s"
                          % (" ".join(args), r.returncode, r.stderr[-2000:]))
    return json.loads(r.stdout)


def edge_colour(png, box):
    """The mean RGB along the middle third of the box's left edge."""
    (x0, y0), (_, y1) = box
    x = int(x0 * png.width)
    rows = range(int((y0 + (y1 - y0) / 3) * png.height),
                 int((y0 + 2 * (y1 - y0) / 3) * png.height))
    px = [png.pixel(x + dx, y)[:3] for y in rows for dx in (-1, 0, 1)]
    return tuple(sum(p[i] for p in px) / len(px) for i in range(3))


def is_yellow(rgb):
    return rgb[0] > 180 and rgb[1] > 180 and rgb[2] < 110


def is_green(rgb):
    return rgb[1] > 160 and rgb[0] < 120 and rgb[2] < 120


def guide_lines(sidecar):
    with open(sidecar) as f:
        return [json.loads(line) for line in f.read().split("\n")[:-1]
                if line.strip()]


def frame_of(lines, pred, what):
    found = [l["frame_ms"] for l in lines
             if l["type"] == "guide" and pred(l["msg"])]
    check(len(found) == 1, "the expert's sidecar holds %s" % what)
    return found[0]


def discover(path):
    out = subprocess.run(["gst-discoverer-1.0", path], capture_output=True,
                         text=True, timeout=60).stdout
    m = re.search(r"Duration: (\d+):(\d+):([\d.]+)", out)
    dur = (int(m.group(1)) * 3600 + int(m.group(2)) * 60
           + float(m.group(3))) if m else None
    return dur, out


class Recording:
    """What record_consultation() leaves: the expert's recording
    (e_mkv, e_side, e_stats), the township's (t_mkv, t_side), when the
    township was killed on its timeline (kill_ms), the guidance script."""


def record_consultation(build, procs):
    """hub + township (phantom 640x360, test tone, --record) + expert
    (test tone, --verify-phantom, script(), --record); the expert is
    stopped a second after the undo, the township then SIGKILLed."""
    rec = Recording()
    d = procs.workdir
    hub = Hub(build, procs).start()
    t_rec, e_rec = os.path.join(d, "t-rec"), os.path.join(d, "e-rec")
    rec.e_stats = e_stats = os.path.join(d, "e.jsonl")
    rec.script_path = script_path = os.path.join(d, "script.jsonl")
    with open(script_path, "w") as f:
        for entry in script():
            f.write(json.dumps(entry) + "\n")
    township = procs.start("township", [build.township] + station_args(
        hub, hub.token_file("t", hub.token("rp", "township")),
        os.path.join(d, "t.jsonl"),
        ["--audio-in", "test:440", "--width", str(W), "--height", str(H),
         "--record", t_rec, "--duration", "60", "--peer-id", "tw1"]))
    expert = procs.start("expert", [build.expert] + station_args(
        hub, hub.token_file("e", hub.token("rp", "expert")), e_stats,
        ["--audio-in", "test:880", "--sink", "none", "--record", e_rec,
         "--verify-phantom", "--guidance-script", script_path,
         "--duration", "60", "--peer-id", "ex1"]))

    def sidecar_of(folder):
        if not os.path.isdir(folder):
            return None
        names = [n for n in os.listdir(folder) if n.endswith(".jsonl")]
        return os.path.join(folder, names[0]) if len(names) == 1 else None

    # A second after the undo reached the township, both stop.
    wait_for(lambda: sidecar_of(t_rec) and any(
        l["type"] == "guide" and l["msg"]["type"] == "undo"
        for l in guide_lines(sidecar_of(t_rec))), 40,
        "the undo in the township's sidecar")
    time.sleep(1)  # a second more of pictures after the undo
    check(procs.stop(expert) == 0, "the expert ends cleanly after Ctrl-C")
    t_side = sidecar_of(t_rec)
    started = guide_lines(t_side)[0]["started"]
    os.kill(township.pid, signal.SIGKILL)
    killed_at = time.time()
    township.wait()
    t0 = time.mktime(time.strptime(started[:19], "%Y-%m-%dT%H:%M:%S")) \
        - time.timezone + float("0." + started[20:-1])
    kill_ms = (killed_at - t0) * 1000

    e_mkv = [os.path.join(e_rec, n) for n in os.listdir(e_rec)
             if n.endswith(".mkv")][0]
    e_side = e_mkv[:-4] + ".jsonl"
    t_mkv = t_side[:-6] + ".mkv"
    rec.e_mkv, rec.e_side, rec.t_mkv, rec.t_side = e_mkv, e_side, t_mkv, t_side
    rec.kill_ms = kill_ms
    return rec


def main(build, procs):
    rp = sys.argv[4]
    d = procs.workdir
    rec = record_consultation(build, procs)
    e_mkv, e_side, t_mkv, e_stats = rec.e_mkv, rec.e_side, rec.t_mkv, \
        rec.e_stats
    kill_ms, script_path = rec.kill_ms, rec.script_path
    lines = guide_lines(e_side)
    f1 = frame_of(lines, lambda m: m.get("id") == "m1", "m1")
    f2 = frame_of(lines, lambda m: m.get("id") == "m2", "m2")
    f3 = frame_of(lines, lambda m: m.get("id") == "m3", "m3")
    fu = frame_of(lines, lambda m: m["type"] == "undo", "the undo")

    def snap(name, at_ms, mkv=e_mkv):
        path = os.path.join(d, name + ".png")
        r = replay(rp, mkv, "--snapshot-at", "%.3f" % (at_ms / 1000), path)
        check(r.returncode == 0, "--snapshot-at %.3f writes %s (%s)"
              % (at_ms / 1000, name, r.stderr.strip()))
        check(stat.S_IMODE(os.stat(path).st_mode) == 0o600,
              "the snapshot is mode 0600")
        return read_png(path)

    before, at, later = (snap("before", f1 - 40), snap("at", f1),
                         snap("later", fu + 500))
    check((before.width, before.height) == (W, H),
          "the snapshot is the recorded picture's size")
    check(not is_yellow(edge_colour(before, BOX1)),
          "40 ms before m1's picture its box is not drawn %r"
          % (edge_colour(before, BOX1),))
    check(is_yellow(edge_colour(at, BOX1)),
          "on m1's picture (%d ms) its box is drawn %r"
          % (f1, edge_colour(at, BOX1)))
    check(is_yellow(edge_colour(later, BOX1)),
          "m1 is still drawn after the undo of m3")
    m3_on, m3_off = snap("m3-on", fu - 100), snap("m3-off", fu)
    check(is_green(edge_colour(m3_on, BOX3))
          and not is_green(edge_colour(m3_off, BOX3)),
          "m3 shows until the undo's picture (%d ms) and not on it "
          "(%r, %r)" % (fu, edge_colour(m3_on, BOX3),
                        edge_colour(m3_off, BOX3)))
    check(f3 < fu, "m3 was drawn before the undo")

    # m2's TTL: counted in the VTT of a copy export, which lists what
    # shows and when.
    out = os.path.join(d, "copy.mp4")
    r = replay(rp, e_mkv, "--export", out)
    check(r.returncode == 0 and "100%" in r.stderr,
          "--export copies the recording, with its progress (%s)"
          % r.stderr.strip()[-1500:])
    first = float(re.search(r"exported ([\d.]+) to ([\d.]+)",
                            r.stdout).group(1)) * 1000
    with open(out[:-4] + ".vtt") as f:
        vtt = f.read()
    m = re.search(r"(\d+):(\d+):([\d.]+) --> (\d+):(\d+):([\d.]+)\n"
                  r"mark m2 \(arrow\)", vtt)
    check(m is not None, "the VTT holds m2")
    start = (int(m.group(2)) * 60 + float(m.group(3))) * 1000
    end = (int(m.group(5)) * 60 + float(m.group(6))) * 1000
    check(abs(start - (f2 - first)) <= 1 and abs(end - start - 1500) <= 1,
          "m2 shows from its picture for its TTL of 1.5 s (%.0f .. %.0f ms)"
          % (start, end))
    dur, info = discover(out)
    e_end = replay_json(rp, e_mkv, "--verify-phantom")
    check(stat.S_IMODE(os.stat(out).st_mode) == 0o600
          and "H.264" in info and "AAC" in info,
          "the copy is an MP4 of H.264 and AAC, mode 0600")

    # The same access units, decoded again: the live PSNR.
    live = [r for r in session_records(e_stats) if "verify_psnr_mean" in r][-1]
    check(e_end["verify_checked"] > 0 and abs(
        e_end["verify_psnr_mean"] - live["verify_psnr_mean"]) < 0.2,
        "the replay checks %d pictures against the phantom at %.2f dB, as "
        "the expert did live (%.2f dB over %d)"
        % (e_end["verify_checked"], e_end["verify_psnr_mean"],
           live["verify_psnr_mean"], live["verify_checked"]))

    # The end of each recording, from the refusal of a time past it.
    def end_of(mkv):
        r = replay(rp, mkv, "--snapshot-at", "9999", os.path.join(d, "x.png"))
        check(r.returncode == 2 and "outside the recording" in r.stderr,
              "a snapshot past the end: exit 2 (%s)" % r.stderr.strip())
        return float(re.search(r"from [\d.]+ to ([\d.]+) s",
                                r.stderr).group(1)) * 1000

    e_last = end_of(e_mkv)
    check(dur is not None and abs(dur * 1000 - (e_last - first)) < 100,
          "gst-discoverer reads the copy to %.2f s, the recording's %.2f s"
          % (dur or -1, (e_last - first) / 1000))
    t_last = end_of(t_mkv)
    check(kill_ms - t_last < 2000,
          "the killed township's recording replays to %.2f s, within 2 s "
          "of the kill at %.2f s" % (t_last / 1000, kill_ms / 1000))
    snap("t-end", t_last, t_mkv)

    # Burnt marks, and a range.
    burn = os.path.join(d, "burn.mp4")
    r = replay(rp, e_mkv, "--export", burn, "--burn-marks",
               "--from", "%.3f" % ((f1 + 500) / 1000),
               "--to", "%.3f" % ((f1 + 2500) / 1000))
    check(r.returncode == 0, "--burn-marks --from --to exports (%s)"
          % r.stderr.strip()[-200:])
    dur, info = discover(burn)
    check(dur is not None and abs(dur - 2.0) < 0.1,
          "gst-discoverer reads the burnt export to %.2f s (2 s asked)"
          % (dur or -1))
    frame = os.path.join(d, "burn-frame.png")
    subprocess.run(["gst-launch-1.0", "-q", "filesrc", "location=" + burn,
                    "!", "qtdemux", "!", "h264parse", "!", "avdec_h264", "!",
                    "videoconvert", "!", "pngenc", "snapshot=true", "!",
                    "filesink", "location=" + frame], check=True, timeout=60)
    check(is_yellow(edge_colour(read_png(frame), BOX1)),
          "the burnt export's first picture carries m1")
    part = os.path.join(d, "part.mp4")
    r = replay(rp, e_mkv, "--export", part, "--from",
               "%.3f" % ((f1 + 1000) / 1000), "--to",
               "%.3f" % ((f1 + 3000) / 1000))
    got = re.search(r"exported ([\d.]+) to ([\d.]+)", r.stdout)
    dur, _ = discover(part)
    want = float(got.group(2)) - float(got.group(1))
    check(r.returncode == 0 and dur is not None and abs(dur - want) < 0.1,
          "a copy of a range starts at the keyframe before --from: "
          "%.2f s as said (%.2f s)" % (dur or -1, want))

    # Notes.
    r = replay(rp, e_mkv, "--note", "%.1f: probe too lateral"
               % ((f1 + 1000) / 1000))
    check(r.returncode == 0, "--note adds a note (%s)" % r.stderr.strip())
    check(stat.S_IMODE(os.stat(e_side).st_mode) == 0o600
          and all(isinstance(l, dict) for l in guide_lines(e_side)),
          "the sidecar keeps mode 0600 and one JSON object a line")
    r = replay(rp, e_side, "--notes")
    check(r.returncode == 0 and "probe too lateral" in r.stdout,
          "--notes lists it (%s)" % r.stdout.strip())
    out2 = os.path.join(d, "noted.mp4")
    r = replay(rp, e_mkv, "--export", out2)
    with open(out2[:-4] + ".vtt") as f:
        check("note: probe too lateral" in f.read(),
              "the export's VTT carries the note")
    r = replay(rp, e_mkv, "--note", "probe too lateral")
    check(r.returncode == 2 and "SECONDS: TEXT" in r.stderr,
          "a note without a time: exit 2 (%s)" % r.stderr.strip())

    # Bad input.
    r = replay(rp, os.path.join(d, "none.mkv"))
    check(r.returncode == 3 and "cannot read" in r.stderr,
          "a missing file: exit 3 (%s)" % r.stderr.strip())
    r = replay(rp, script_path.replace(".jsonl", ".mkv"))
    with open(os.path.join(d, "junk.mkv"), "wb") as f:
        f.write(b"not a recording at all" * 10)
    r = replay(rp, os.path.join(d, "junk.mkv"), "--export", out2)
    check(r.returncode == 3 and "not a sonolink recording" in r.stderr,
          "a file that is not a recording: exit 3 (%s)" % r.stderr.strip())
    r = replay(rp, e_mkv, "--export", out2, "--from", "8", "--to", "4")
    check(r.returncode == 2 and "--from" in r.stderr,
          "--from after --to: exit 2 (%s)" % r.stderr.strip())
    r = replay(rp, e_mkv, "--export", os.path.join(d, "no", "dir", "x.mp4"))
    check(r.returncode == 4 and "cannot write" in r.stderr,
          "an output that cannot be written: exit 4 (%s)" % r.stderr.strip())


if __name__ == "__main__":
    run(main)
