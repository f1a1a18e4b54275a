#!/usr/bin/env python3
"""Guidance end to end: marks, pointer, cues and a still between real stations.

    test_guidance.py HUB TOWNSHIP EXPERT [SL_LINKEM]

hub + township (synthetic phantom at 640x360, --snapshot, --stills-dir) +
expert (--guidance-script, --snapshot, --stills-dir).  The script draws in
three phases, six seconds apart; after each the test waits for the
township's state (its --stats record) and then checks both snapshots pixel
by pixel: every live mark's colour where the script put it, on the
township's raw picture and at the same relative place on the expert's
decoded one, and grey (the picture) where a deleted, undone or cleared
mark was.  The still the script asks for must arrive bit-exact: the grey
pixels of the PNG the expert saved hash to the SHA-256 the township took of
the raw luma plane it encoded, and equal the township's own copy, while
the expert keeps decoding at full rate.  With SL_LINKEM and root, the
township runs behind `sl-linkem --down-loss 8`, so every packet from the
expert to the township (the guidance channels' direction) has an 8 %
chance of being lost: the pointer's unreliable channel still brings the
script's latest position to the township in every phase (a resting
pointer is repeated every 250 ms), and the reliable channel still
delivers every mark.  A trainee (the expert program with a trainee
token) joins after the first phase: its snapshot must show what the
township's shows in every phase, the marks it missed included.  A bad
script is refused before connecting (exit 2, FILE:LINE).
"""

import hashlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "linkem"))
from sltest import (Hub, TestFailure, check, read_stats, run, session_records,
                    station_args, wait_for, _read)  # noqa: E402
from slpng import read_png  # noqa: E402

W, H = 640, 360
YELLOW, GREEN, MAGENTA = (255, 230, 0), (77, 255, 77), (255, 89, 255)
RED, CYAN, ORANGE = (255, 64, 64), (0, 230, 255), (255, 153, 26)
PHASE_MS = 6000
P1, P2, P3 = (0.45, 0.55), (0.62, 0.35), (0.3, 0.8)


def mark(at, mid, kind, points, color):
    return {"at_ms": at, "msg": {"type": "mark", "id": mid, "kind": kind,
                                 "points": points, "color": color,
                                 "width": 2}}


def pointer_path(at, start, end, steps=20):
    out = []
    for i in range(steps + 1):
        f = i / steps
        out.append({"at_ms": at + 50 * i, "msg": {
            "type": "pointer", "x": round(start[0] + f * (end[0] - start[0]), 5),
            "y": round(start[1] + f * (end[1] - start[1]), 5)}})
    return out


def script():
    p2, p3 = PHASE_MS, 2 * PHASE_MS
    s = [mark(0, "a1", "arrow", [[0.1, 0.1], [0.3, 0.3]], "yellow"),
         mark(100, "b1", "box", [[0.5, 0.2], [0.8, 0.5]], "green"),
         mark(200, "c1", "caliper", [[0.2, 0.7], [0.6, 0.7]], "magenta"),
         mark(300, "e1", "ellipse", [[0.15, 0.4], [0.3, 0.6]], "red"),
         mark(400, "x1", "box", [[0.05, 0.85], [0.2, 0.95]], "cyan"),
         {"at_ms": 500, "msg": {"type": "cue", "cue": "slide", "dir": "left",
                                "duration_ms": 30000}}]
    s += pointer_path(600, (0.2, 0.2), P1)
    s += [{"at_ms": 3500, "msg": {"type": "still_request", "req": "s1"}}]
    # Phase 2: undo takes the last mark (x1) away, then e1 is deleted.
    s += [{"at_ms": p2, "msg": {"type": "undo"}},
          {"at_ms": p2 + 100, "msg": {"type": "delete", "id": "e1"}},
          {"at_ms": p2 + 200, "msg": {"type": "prompt", "prompt": "hold",
                                      "duration_ms": 30000}}]
    s += pointer_path(p2 + 300, P1, P2)
    # Phase 3: everything cleared, one new mark.
    s += [{"at_ms": p3, "msg": {"type": "clear"}},
          mark(p3 + 100, "z1", "box", [[0.6, 0.8], [0.9, 0.9]], "orange"),
          {"at_ms": p3 + 200, "msg": {"type": "cue", "cue": "none"}}]
    s += pointer_path(p3 + 300, P2, P3)
    return s


# Where each mark's stroke fully covers a pixel: (relative x, y).
SPOTS = {
    "a1": ((0.2, 0.2), YELLOW),     # the arrow's middle
    "b1": ((0.65, 0.2), GREEN),     # the box's top edge
    "c1": ((0.3, 0.7), MAGENTA),    # the caliper's line, clear of its label
    "e1": ((0.15, 0.5), RED),       # the ellipse's leftmost point
    "x1": ((0.125, 0.85), CYAN),    # the box's top edge
    "z1": ((0.75, 0.8), ORANGE),
}
PHASES = [
    ("phase 1", ["a1", "b1", "c1", "e1", "x1"], [], P1, "slide"),
    ("phase 2 (undo, delete)", ["a1", "b1", "c1"], ["e1", "x1"], P2,
     "slide"),
    ("phase 3 (clear, new mark)", ["z1"], ["a1", "b1", "e1", "x1"], P3, None),
]


def is_colour(px, rgb):
    return all(abs(a - b) <= 45 for a, b in zip(px, rgb))


def is_grey(px):
    return max(px) - min(px) <= 30


def picture_shows(path, present, absent):
    """(True, "") if the PNG shows the marks present and not the absent."""
    try:
        img = read_png(path)
    except (ValueError, OSError) as e:
        return False, "unreadable: %s" % e
    if img is None:
        return False, "no picture yet"
    bad = []
    for mid in present + absent:
        (rx, ry), rgb = SPOTS[mid]
        px = img.pixel(int(rx * img.width), int(ry * img.height))
        ok = is_colour(px, rgb) if mid in present else is_grey(px)
        if not ok:
            bad.append("%s %s at %s" % (mid, "missing" if mid in present
                                        else "still drawn", px))
    return not bad, "; ".join(bad)


def wait_picture(path, who, name, present, absent):
    last = [""]

    def shows():
        ok, why = picture_shows(path, present, absent)
        last[0] = why
        return ok
    try:
        wait_for(shows, 10, "%s's snapshot to show %s" % (who, name), 0.5)
    except TestFailure:
        raise TestFailure("%s's snapshot, %s: %s" % (who, name, last[0]))
    check(True, "%s's snapshot shows %s (%s drawn, %s gone)" %
          (who, name, ", ".join(present) or "none",
           ", ".join(absent) or "none"))


def township_record(path):
    """The township's latest record of its session with the expert: the
    one that receives guidance (a trainee's sends none)."""
    recs = [r for r in session_records(path)
            if "guide_marks" in r and r.get("guide_received", 0) > 0]
    return recs[-1] if recs else None


def near_pointer(rec, p):
    return (rec is not None and "guide_pointer_x" in rec
            and abs(rec["guide_pointer_x"] - p[0]) < 1e-6
            and abs(rec["guide_pointer_y"] - p[1]) < 1e-6)


def check_bad_script(build, procs, hub):
    bad = os.path.join(procs.workdir, "bad.jsonl")
    with open(bad, "w") as f:
        f.write('{"at_ms": 0, "msg": {"type": "clear"}}\n'
                '{"at_ms": 10, "msg": {"type": "mark", "id": "a",'
                ' "kind": "arrow", "points": [[0.1, 0.1]]}}\n')
    out = subprocess.run(
        [build.expert, "--hub", "ws://127.0.0.1:9", "--token", "x",
         "--guidance-script", bad], capture_output=True, text=True,
        timeout=30)
    check(out.returncode == 2 and "bad.jsonl:2:" in out.stderr,
          "a bad script is refused before connecting: exit %d, %r" %
          (out.returncode, out.stderr.strip()[-120:]))


def without(args, *options):
    """args less each of options and its value."""
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in options:
            skip = True
        else:
            out.append(a)
    return out


def start_hub(build, procs, everywhere):
    """A hub on loopback, or on every address (--insecure) for a station
    behind the link emulator."""
    hub = Hub(build, procs)
    if not everywhere:
        return hub.start()
    port_file = os.path.join(procs.workdir, "hub.port")
    hub.proc = procs.start("hub", [
        build.hub, "serve", "--listen", "0.0.0.0:0", "--insecure",
        "--secret", hub.secret, "--port-file", port_file])
    hub.port = int(wait_for(lambda: _read(port_file), 15, "the hub's port"))
    hub.url = "ws://127.0.0.1:%d" % hub.port
    return hub


def main(build, procs):
    linkem_exe = sys.argv[4] if len(sys.argv) > 4 else None
    behind_link = False
    if linkem_exe:
        import linkem
        behind_link, why = linkem.available()
        if not behind_link:
            print("note: without the link emulator (%s); loss not tested" %
                  why, flush=True)
    hub = start_hub(build, procs, behind_link)
    check_bad_script(build, procs, hub)

    room = "guide-1"
    d = procs.workdir
    t_stats, e_stats = os.path.join(d, "t.jsonl"), os.path.join(d, "e.jsonl")
    t_png, e_png = os.path.join(d, "township.png"), os.path.join(d,
                                                                 "expert.png")
    tr_png = os.path.join(d, "trainee.png")
    t_dir, e_dir = os.path.join(d, "t-stills"), os.path.join(d, "e-stills")
    script_path = os.path.join(d, "script.jsonl")
    with open(script_path, "w") as f:
        f.write("# three phases of guidance\n")
        for entry in script():
            f.write(json.dumps(entry) + "\n")

    t_args = station_args(
        hub, hub.token_file("township", hub.token(room, "township")),
        t_stats, ["--audio-in", "none", "--width", str(W), "--height",
                  str(H), "--snapshot", t_png, "--stills-dir", t_dir,
                  "--duration", "60"])
    if behind_link:
        # In the emulator's namespace the hub is at $SL_LINKEM_HOST and
        # loopback is the namespace's own: no --ice-address there, and the
        # hub's URL is made by the shell that starts the township.
        import linkem
        t_args = without(t_args, "--hub", "--ice-address")
        argv = linkem.linkem_argv(linkem_exe, down_loss=8, seed=7) + [
            "sh", "-c",
            'exec "$0" --hub "ws://$SL_LINKEM_HOST:%d" "$@"' % hub.port,
            build.township] + t_args
    else:
        argv = [build.township] + t_args
    township = procs.start("township", argv)
    e_args = station_args(
        hub, hub.token_file("expert", hub.token(room, "expert")), e_stats,
        ["--audio-in", "none", "--sink", "none", "--snapshot", e_png,
         "--stills-dir", e_dir, "--guidance-script", script_path,
         "--duration", "60"])
    if behind_link:
        e_args = without(e_args, "--ice-address")
    expert = procs.start("expert", [build.expert] + e_args)

    wait_for(lambda: any(r.get("guide_open") for r in
                         session_records(e_stats)), 30,
             "the expert's guidance channel to open")
    check("picture not shown (no window), written every 2 s to %s" % e_png
          in procs.log(expert),
          "the expert says its picture goes to the snapshot file")

    for n, (name, present, absent, pointer, cue) in enumerate(PHASES):
        rec = wait_for(
            lambda: (lambda r: r if r and r["guide_marks"] == len(present)
                     and near_pointer(r, pointer) else None)(
                         township_record(t_stats)),
            PHASE_MS / 1000 + 8, "the township to apply %s" % name)
        check(True, "%s: the township holds %d marks and the pointer at the "
              "script's latest position %s (seq %d)" %
              (name, rec["guide_marks"], pointer, rec["guide_pointer_seq"]))
        check(rec.get("guide_cue") == cue,
              "%s: the township shows cue %s" % (name, cue))
        if n == 1:
            check(rec.get("guide_prompt") == "hold",
                  "phase 2: the township shows the prompt 'hold'")
            # One line on the township's terminal for each, saying what.
            said = [ln.split(": ", 1)[1] for ln in
                    procs.log(township).splitlines()
                    if "] guidance from " in ln]
            check(said[:9] == ["mark arrow a1", "mark box b1",
                               "mark caliper c1", "mark ellipse e1",
                               "mark box x1", "cue slide left", "undo",
                               "delete e1", "prompt hold"],
                  "the township announced each mark, cue and prompt it "
                  "applied, one line each: %s" % said)
        wait_picture(t_png, "the township", name, present, absent)
        wait_picture(e_png, "the expert", name, present, absent)
        if n == 0:
            # A trainee joins the lesson now: the township catches it up
            # with the marks on the picture, then passes on what the
            # expert does next (undo, delete, clear, a new mark).
            tr_args = station_args(
                hub, hub.token_file("trainee", hub.token(room, "trainee")),
                os.path.join(d, "tr.jsonl"),
                ["--audio-in", "none", "--sink", "none", "--snapshot",
                 tr_png, "--duration", "60"])
            if behind_link:
                tr_args = without(tr_args, "--ice-address")
            trainee = procs.start("trainee", [build.expert] + tr_args)
            # Caught up: the marks that stay into phase 2, which may
            # begin meanwhile.
            wait_picture(tr_png, "the trainee", "the marks it missed",
                         ["a1", "b1", "c1"], [])
        else:
            wait_picture(tr_png, "the trainee", name, present, absent)
        if n == 0:
            check_still(e_stats, t_stats, e_dir, t_dir)

    check(procs.stop(trainee) == 0, "the trainee stopped cleanly")
    check(procs.stop(expert) == 0, "the expert stopped cleanly")
    check(procs.stop(township) == 0, "the township stopped cleanly")
    for who, png in (("township", t_png), ("expert", e_png)):
        mode = os.stat(png).st_mode & 0o777
        check(mode == 0o600, "the %s's snapshot, a patient image, is "
              "readable by its user only (mode %o)" % (who, mode))
    last = township_record(t_stats)
    check(last["guide_refused"] == 0 and last["guide_nacks_sent"] == 0,
          "the township refused no guidance message")
    e_last = session_records(e_stats)[-1]
    print("note: pointer messages: expert sent %d guidance messages, "
          "township took %d" % (e_last["guide_sent"], last["guide_received"]),
          flush=True)
    if behind_link:
        check(last["guide_received"] < e_last["guide_sent"],
              "behind the emulator some pointer messages were lost (%d of "
              "%d arrived) and the pointer still followed" %
              (last["guide_received"], e_last["guide_sent"]))


def check_still(e_stats, t_stats, e_dir, t_dir):
    rec = wait_for(lambda: next((r for r in session_records(e_stats)
                                 if r.get("stills_saved", 0) >= 1), None),
                   20, "the expert to save the still")
    name = rec["still_last_file"]
    saved = read_png(os.path.join(e_dir, name))
    check(saved is not None and saved.channels == 1 and
          (saved.width, saved.height) == (W, H),
          "the still %s is a %dx%d greyscale PNG" % (name, W, H))
    t_rec = wait_for(lambda: next((r for r in session_records(t_stats)
                                   if r.get("still_pixels_sha256")), None),
                     5, "the township's still checksum")
    digest = hashlib.sha256(saved.pixels()).hexdigest()
    check(digest == t_rec["still_pixels_sha256"],
          "the still's pixels are bit-exact to the raw probe frame "
          "(sha256 %s...)" % digest[:16])
    with open(os.path.join(e_dir, name), "rb") as a, \
            open(os.path.join(t_dir, name), "rb") as b:
        check(a.read() == b.read(),
              "the saved PNG equals the township's own copy")
    # Live video kept flowing: the record of the second the still came
    # in, and the ones around it, show the full rate and no freeze.
    recs = [r for r in session_records(e_stats) if "fps" in r]
    i = next(i for i, r in enumerate(recs) if r.get("stills_saved", 0) >= 1)
    around = recs[max(0, i - 1):i + 2]
    check(all(r["fps"] >= 20 for r in around) and
          all(r.get("freezes", 0) == recs[max(0, i - 1)].get("freezes", 0)
              for r in around),
          "video kept being decoded during the still (%s fps)" %
          ", ".join("%.0f" % r["fps"] for r in around))
    check(rec.get("still_last_ms", 1e9) < 5000,
          "the still arrived %.0f ms after the request" %
          rec.get("still_last_ms", -1))


if __name__ == "__main__":
    run(main)
