#!/usr/bin/env python3
"""sonolink-replay's window (docs/sonolink-replay.md, THE WINDOW).

    test_replay_window.py HUB TOWNSHIP EXPERT REPLAY

The consultation of test_replay.py is recorded (the phantom at 640x360,
a yellow box m1 drawn by the expert's script), then `sonolink-replay
FILE` plays it on a virtual X display, driven by xdotool.  Which picture
the window shows is read from the phantom's frame stamp in the window's
top-left corner (docs/probe-adapters.md, FRAME STAMP), and compared with
the stamps of the recording's own pictures, decoded in file order:

- it plays (the stamp changes), space pauses (the stamp and the whole
  picture stay);
- `.` shows the next picture exactly; five `.` sent with no delay land
  exactly five pictures on, three `,` three back;
- Left seeks 5 s back: the first picture at or after that time;
- m1 is not drawn on the picture before its own and is on it;
- `n` and a line on the terminal write a note at the picture shown to
  the sidecar; `q` quits with 0.

With SL_TEST_SCREENS=DIR the window showing m1 is saved there as a PNG
file for a person to look at.  Skipped (exit 77) where Xvfb, xwd or xdotool is not installed.
"""

import json
import os
import re
import subprocess
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sltest import check, recorded_lumas, run, wait_for  # noqa: E402
from test_replay import (BOX1, H, W, edge_colour, frame_of,  # noqa: E402
                         guide_lines, is_yellow, record_consultation)
from slpng import write_png  # noqa: E402
from test_window import grab_screen, start_display, xwd_rows  # noqa: E402
from test_window_input import find_window, xdo  # noqa: E402

BLOCK = 8  # the stamp's block side at a width of 640


def stamp(grey, scale=1.0):
    """The phantom's frame index from @grey(x, y) (a luma-like level at a
    pixel of the picture at @scale), or None if unreadable."""
    bits = []
    for row in range(4):
        for b in range(28):
            x = int((b + 0.5) * BLOCK * scale)
            y = int((row + 0.5) * BLOCK * scale)
            level = sum(grey(x + dx, y + dy) for dx in (-1, 0, 1)
                        for dy in (-1, 0, 1)) / 9
            if abs(level - 125.5) < 28:
                return None
            bits.append(1 if level > 125.5 else 0)
    payload = []
    for row in range(4):
        r = bits[row * 28:(row + 1) * 28]
        if r[:4] != [1, 0, row >> 1, row & 1]:
            return None
        for i in range(3):
            byte = r[4 + 8 * i:12 + 8 * i]
            payload.append(int("".join(map(str, byte)), 2))
    data = bytes(payload)
    if zlib.crc32(data[:8]) != int.from_bytes(data[8:], "big"):
        return None
    return int.from_bytes(data[:8], "big")


def recorded_pictures(mkv):
    """[(time in ms, stamp)] of the recording's pictures, in file order."""
    out = subprocess.run(
        ["gst-launch-1.0", "-v", "filesrc", "location=" + mkv, "!",
         "matroskademux", "!", "h264parse", "!", "avdec_h264", "!",
         "fakesink", "silent=false", "sync=false"],
        capture_output=True, text=True, timeout=120).stdout
    times = [int(m.group(1)) * 3600000 + int(m.group(2)) * 60000
             + int(round(float(m.group(3)) * 1000))
             for m in re.finditer(r"chain.*pts: (\d+):(\d+):([\d.]+)", out)]
    stamps = [stamp(lambda x, y, luma=luma: luma[y * W + x])
              for luma in recorded_lumas(mkv, W, H)]
    check(len(times) == len(stamps) > 100 and None not in stamps,
          "the recording's %d pictures have times and stamps" % len(stamps))
    return list(zip(times, stamps))


class Window:
    """A grab of the replay's window: its picture's pixels and stamp."""

    def __init__(self, display, geo, name, workdir):
        self.rows = xwd_rows(grab_screen(display))
        self.path = os.path.join(os.environ.get("SL_TEST_SCREENS", workdir),
                                 name + ".png")
        self.x0, self.y0, self.w, self.h = geo
        self.width, self.height = self.w, self.h
        self.scale = self.w / W

    def pixel(self, x, y):
        row = self.rows[self.y0 + y]
        i = (self.x0 + x) * 4
        return (row[i + 2], row[i + 1], row[i])

    def stamp(self):
        try:
            return stamp(lambda x, y: self.pixel(x, y)[1], self.scale)
        except IndexError:
            return None

    def save(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        write_png(self.path, self.w, self.h, [
            bytes(v for x in range(self.w) for v in self.pixel(x, y))
            for y in range(self.h)])

    def picture(self):
        return b"".join(bytes(self.rows[self.y0 + y][
            self.x0 * 4:(self.x0 + self.w) * 4]) for y in range(self.h))


def main(build, procs):
    rp = sys.argv[4]
    display, _ = start_display(procs, "1280x720", ("Xvfb", "xwd", "xdotool"))
    rec = record_consultation(build, procs)
    pics = recorded_pictures(rec.e_mkv)
    index = {s: i for i, (_, s) in enumerate(pics)}
    f1 = frame_of(guide_lines(rec.e_side), lambda m: m.get("id") == "m1",
                  "m1")

    replay = procs.start("replay", [rp, rec.e_mkv, "--no-audio"],
                         env={"DISPLAY": ":%d" % display},
                         stdin=subprocess.PIPE)
    wid, ww, wh = find_window(display)
    geo = dict(line.split("=", 1) for line in xdo(
        display, "getwindowgeometry", "--shell", wid).split())
    box = (int(geo["X"]), int(geo["Y"]), ww, wh)
    check(abs(wh / ww - H / W) < 0.02,
          "the window has the picture's shape (%dx%d)" % (ww, wh))
    shots = [0]

    def grab(what):
        shots[0] += 1
        return Window(display, box, "%02d-%s" % (shots[0], what),
                      procs.workdir)

    def key(*keys):
        xdo(display, "key", "--window", wid, "--delay", "0", *keys)

    def shown():
        s = grab("shown").stamp()
        return s if s in index else None

    first = wait_for(shown, 20, "a picture of the recording in the window",
                     0.1)
    wait_for(lambda: (shown() or -1) > first, 10,
             "playback: a later picture follows", 0.1)

    def settle(what, want=None, timeout=15):
        """The picture once two grabs half a second apart agree (and
        show @want, if given): [Window]."""
        last = {}

        def same():
            a = grab(what)
            wait_for(lambda: True, 0.5, "a pause")
            b = grab(what)
            last["w"] = b
            sa, sb = a.stamp(), b.stamp()
            return sa is not None and sa == sb and a.picture() == \
                b.picture() and (want is None or sb == want)
        try:
            wait_for(same, timeout, what, 0.1)
        except Exception:
            last["w"].save()
            print("shown: %r, wanted %r" % (last["w"].stamp(), want))
            raise
        return last["w"]

    key("space")
    paused = settle("paused")
    at = index[paused.stamp()]
    wait_for(lambda: True, 1.0, "a second")
    check(grab("still-paused").picture() == paused.picture(),
          "paused, the picture stays (picture %d)" % at)

    key("period")
    settle("step", pics[at + 1][1])
    print("ok: . shows the next picture (%d)" % (at + 1), flush=True)
    key(*["period"] * 5)
    settle("5 steps", pics[at + 6][1])
    print("ok: five quick . land five pictures on (%d)" % (at + 6),
          flush=True)
    key(*["comma"] * 3)
    settle("3 back", pics[at + 3][1])
    print("ok: three quick , land three pictures back (%d)" % (at + 3),
          flush=True)

    # Right, 5 s on, to the first picture at or after: waiting for that
    # very picture, since a seek on a loaded machine can take longer than
    # the half second over which the paused picture stays the same.
    here = at + 3
    later = min(i for i, (t, _) in enumerate(pics)
                if t >= pics[here][0] + 5000)
    key("Right")
    settle("5 s on", pics[later][1])
    print("ok: Right shows the first picture 5 s on (%d ms -> %d ms)"
          % (pics[here][0], pics[later][0]), flush=True)
    here = later
    # Left: 5 s back from the picture shown, to the first at or after.
    key("Left")
    want = min(i for i, (t, _) in enumerate(pics)
               if t >= pics[here][0] - 5000)
    settle("5 s back", pics[want][1])
    print("ok: Left shows the first picture 5 s back (%d ms -> %d ms)"
          % (pics[here][0], pics[want][0]), flush=True)

    # m1: from its picture's predecessor to its own, by steps.
    m1 = min(i for i, (t, _) in enumerate(pics) if t >= f1)
    key("Home")
    settle("home", pics[0][1])
    for i in range(0, m1 - 1, 5):
        n = min(5, m1 - 1 - i)
        key(*["period"] * n)
        before = settle("to m1", pics[i + n][1])
    check(not is_yellow(edge_colour(before, BOX1)),
          "m1 is not drawn on the picture before its own %r"
          % (edge_colour(before, BOX1),))
    key("period")
    on = settle("m1", pics[m1][1])
    check(is_yellow(edge_colour(on, BOX1)),
          "m1 is drawn on its picture (%d ms) %r"
          % (pics[m1][0], edge_colour(on, BOX1)))

    if os.environ.get("SL_TEST_SCREENS"):  # for a person to look at
        on.save()
    key("n")
    wait_for(lambda: "type it and press Enter" in procs.log(replay), 10,
             "the note's prompt")
    replay.stdin.write(b"probe too lateral\n")
    replay.stdin.flush()
    wait_for(lambda: "note added" in procs.log(replay), 10, "the note")
    notes = [l for l in guide_lines(rec.e_side) if l["type"] == "note"]
    check(len(notes) == 1 and notes[0]["text"] == "probe too lateral"
          and notes[0]["t_ms"] == pics[m1][0],
          "n writes the note at the picture shown to the sidecar (%s)"
          % json.dumps(notes))
    key("q")
    check(procs.wait_exit(replay, 15) == 0, "q quits with 0")


if __name__ == "__main__":
    run(main)
