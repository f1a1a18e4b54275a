#!/usr/bin/env python3
"""Drawing in the expert's window with the mouse, and a cue from the keys.

Starts a virtual X display (Xvfb), runs hub, township (phantom at 640x360,
--snapshot) and an expert with a window on it, and plays a user on the
expert's window with xdotool (XTEST, the X server's own input path, so
the events reach the video sink as a real mouse's would):

1. a left drag along a V, with pauses at its corners so that the sink
   (which polls its window every 50 ms and keeps only the latest motion)
   sees each of them.  The township must then hold one mark, and its
   --snapshot show the default mark colour (yellow) along both legs of
   the V, at the place the drag went over in the window (the window is
   the picture's size, so a window pixel is a picture pixel), while the
   picture away from the V stays grey;
2. the keys 2 and Left: the township's stats must show the cue "rock";
3. the key u: undo takes the line away again (no mark at the township).

Fails if the window's events do not reach the expert's guidance, if
coordinates are mapped wrongly, or if the keys do nothing.  Skipped
(exit 77) where Xvfb or xdotool is not installed.
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from test_window_states import GREEN, SEEN, wait_screen  # noqa: E402
from sltest import (Hub, TestFailure, check, read_stats, run,  # noqa: E402
                    session_records, station_args, wait_for)
from slpng import read_png  # noqa: E402
from test_window import start_display  # noqa: E402

W, H = 640, 360
YELLOW = (255, 230, 0)
# The drag, in window (= picture) pixels: a V across the picture.
V = [(120, 90), (320, 270), (520, 90)]


def is_colour(px, rgb):
    return all(abs(a - b) <= 45 for a, b in zip(px, rgb))


def is_grey(px):
    return max(px) - min(px) <= 30


def xdo(display, *args):
    out = subprocess.run(["xdotool"] + [str(a) for a in args],
                         capture_output=True, text=True, timeout=20,
                         env=dict(os.environ, DISPLAY=":%d" % display))
    if out.returncode != 0:
        raise TestFailure("xdotool %s: %s" % (" ".join(map(str, args)),
                                              out.stderr.strip()))
    return out.stdout


def find_window(display):
    """The expert's video window: the only visible window with a name."""
    def search():
        try:
            ids = xdo(display, "search", "--onlyvisible", "--name",
                      ".").split()
        except TestFailure:
            return None
        return ids[-1] if ids else None
    wid = wait_for(search, 15, "the expert's window", 0.2)
    geo = dict(line.split("=", 1) for line in xdo(
        display, "getwindowgeometry", "--shell", wid).split())
    return wid, int(geo["WIDTH"]), int(geo["HEIGHT"])


def along(path, steps=6):
    """Points inside each leg of path (not its ends: the pointer's disc
    rests at the last one)."""
    out = []
    for (x0, y0), (x1, y1) in zip(path, path[1:]):
        for i in range(1, steps):
            f = 0.15 + 0.7 * i / steps
            out.append((x0 + f * (x1 - x0), y0 + f * (y1 - y0)))
    return out


def colour_near(img, x, y, rgb, r=1):
    return any(is_colour(img.pixel(min(max(int(x) + dx, 0), img.width - 1),
                                   min(max(int(y) + dy, 0), img.height - 1)),
                         rgb)
               for dx in range(-r, r + 1) for dy in range(-r, r + 1))


def snapshot_shows_v(path, to_picture):
    """(True, "") if the PNG shows yellow along the V and grey off it."""
    img = read_png(path)
    if img is None:
        return False, "no snapshot yet"
    if (img.width, img.height) != (W, H):
        return False, "snapshot is %dx%d" % (img.width, img.height)
    missing = [(round(x), round(y)) for x, y in map(to_picture, along(V))
               if not colour_near(img, x, y, YELLOW)]
    # Off the V: the middle of the V's top, and under its bottom.
    off = [to_picture(p) for p in [(320, 90), (320, 330), (120, 270)]]
    coloured = [(round(x), round(y)) for x, y in off
                if not is_grey(img.pixel(int(x), int(y)))]
    if missing or coloured:
        return False, "no line at %s; not grey at %s" % (missing, coloured)
    return True, ""

# Quick crossings out of the window (see main).
CROSSINGS = 6


def township_record(path):
    recs = [r for r in session_records(path) if "guide_marks" in r]
    return recs[-1] if recs else None


def wait_township(path, pred, what, timeout=8):
    return wait_for(lambda: (lambda r: r if r and pred(r) else None)(
        township_record(path)), timeout, what, 0.2)


def start_stations(build, procs, display):
    hub = Hub(build, procs).start()
    room = "window-input"
    d = procs.workdir
    t_stats, e_stats = os.path.join(d, "t.jsonl"), os.path.join(d, "e.jsonl")
    t_png = os.path.join(d, "township.png")
    procs.start("township", [build.township] + station_args(
        hub, hub.token_file("t", hub.token(room, "township")), t_stats,
        ["--audio-in", "none", "--width", str(W), "--height", str(H),
         "--snapshot", t_png, "--duration", "80"]))
    expert = procs.start("expert", [build.expert] + station_args(
        hub, hub.token_file("e", hub.token(room, "expert")), e_stats,
        ["--audio-in", "none", "--duration", "80"]),
        env={"DISPLAY": ":%d" % display})
    return expert, t_stats, e_stats, t_png


def drag_v(display, wid):
    """Left drag along V, with pauses for the sink's 50 ms polling."""
    args = ["mousemove", "--window", wid, V[0][0], V[0][1], "sleep", "0.3",
            "mousedown", "1", "sleep", "0.2"]
    for (x0, y0), (x1, y1) in zip(V, V[1:]):
        for i in range(1, 5):
            args += ["mousemove", "--window", wid,
                     round(x0 + i * (x1 - x0) / 4),
                     round(y0 + i * (y1 - y0) / 4), "sleep", "0.12"]
    args += ["sleep", "0.2", "mouseup", "1"]
    xdo(display, *args)


def main(build, procs):
    display, xvfb = start_display(procs, "1280x720", ("Xvfb", "xdotool"))
    expert, t_stats, e_stats, t_png = start_stations(build, procs, display)
    wait_for(lambda: any(r.get("guide_open") and
                         r.get("frames_decoded", 0) > 30
                         for r in session_records(e_stats)), 40,
             "the expert to show the picture with guidance open")
    wid, ww, wh = find_window(display)
    # ximagesink shows the picture unscaled, centred in its window.
    ox, oy = (ww - W) / 2.0, (wh - H) / 2.0
    check(ww >= W and wh >= H,
          "the expert's window %s is %dx%d (picture %dx%d)" %
          (wid, ww, wh, W, H))

    def to_picture(p):
        return (p[0] - ox, p[1] - oy)

    check(township_record(t_stats)["guide_marks"] == 0,
          "before the drag the township holds no mark")
    drag_v(display, wid)
    rec = wait_township(t_stats, lambda r: r["guide_marks"] == 1,
                        "the township to hold the line drawn with the mouse")
    drew = [ln for ln in procs.log(expert).splitlines()
            if "drew polyline" in ln]
    check(len(drew) == 1 and rec["guide_marks"] == 1,
          "the drag drew one freehand line: %s" %
          (drew[0].split("guidance: ")[-1] if drew else "none logged"))
    last = [""]

    def shows():
        ok, why = snapshot_shows_v(t_png, to_picture)
        last[0] = why
        return ok
    try:
        wait_for(shows, 8, "the township's snapshot to show the line", 0.5)
    except TestFailure:
        raise TestFailure("the township's snapshot: %s" % last[0])
    check(True, "the township's snapshot shows the line along both legs "
          "of the drag (%d points checked) and grey off it" % len(along(V)))

    # The mouse rests on the picture, then leaves the window: the X sink
    # says nothing of a leave, and the pointer stayed at the township,
    # repeated as a resting one; the station now asks X and hides it.  The
    # last crossings move on the picture and leave at once: the sink's
    # report of that move can come after the station saw the mouse go,
    # and it showed the pointer again, repeated for as long as the mouse
    # stayed away.
    for n, quick in enumerate([False] + [True] * CROSSINGS):
        xdo(display, "mousemove", "--window", wid, W // 2, H // 2)
        wait_township(t_stats, lambda r: "guide_pointer_x" in r,
                      "the township to show the pointer over the picture")
        out = ["mousemove", ww + 100, wh + 100]
        if quick:
            xdo(display, "sleep", "0.3", "mousemove", "--window", wid,
                W // 2 + 40, H // 2 + 20, *out)
        else:
            xdo(display, *out)
        wait_township(t_stats, lambda r: "guide_pointer_x" not in r,
                      "the pointer to go when the mouse leaves the window"
                      " (crossing %d)" % (n + 1), timeout=5)
    check(True, "the mouse left the window %d times, %d of them straight "
          "after a move: the township hides the pointer each time" %
          (CROSSINGS + 1, CROSSINGS))

    xdo(display, "windowfocus", "--sync", wid)
    xdo(display, "key", "--delay", "150", "2", "Left")
    wait_township(t_stats, lambda r: r.get("guide_cue") == "rock",
                  "the township to show the cue sent with the keys")
    check(True, "keys 2, Left: the township shows the cue 'rock'")
    xdo(display, "key", "u")
    wait_township(t_stats, lambda r: r["guide_marks"] == 0,
                  "undo from the key u to take the line away")
    check(True, "key u: undo took the line away at the township")

    # The window's own key i hides the status strip (its green link box
    # goes) and shows it again.
    wait_screen(display, procs.workdir, "input-strip",
                lambda s: s.count(GREEN) > 10, "the strip's green link box")
    xdo(display, "key", "i")
    wait_screen(display, procs.workdir, "input-no-strip",
                lambda s: s.count(GREEN) == 0, "the key i to hide the strip")
    xdo(display, "key", "i")
    wait_screen(display, procs.workdir, "input-strip-again",
                lambda s: s.count(GREEN) > 10, "the key i to show it again")
    check(True, "key i: the strip hides and shows again")
    for seen in SEEN:
        seen.save()
    e_rec = [r for r in read_stats(e_stats) if "guide_marks" in r][-1]
    check(e_rec["guide_marks"] == 0,
          "the expert's own picture agrees (no mark)")
    check(procs.stop(expert) == 0, "the expert stops cleanly on Ctrl-C")
    procs.stop(xvfb)


if __name__ == "__main__":
    run(main)
