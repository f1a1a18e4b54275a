#!/usr/bin/env python3
"""The township's preview window shows its picture with the expert's marks.

On a virtual X display (Xvfb, black root) the township runs with DISPLAY
set and its default --preview auto; the expert runs headless with a
guidance script that draws a large yellow box after a few seconds.  The
screen (grabbed with xwd) must first show the phantom with no yellow, then
the box's yellow where the township's window is.  Skipped (exit 77) where
Xvfb or xwd is not installed.
"""

import json
import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sltest import (Hub, check, read_stats, run, station_args,  # noqa: E402
                    wait_for)
from test_window import SKIP, free_display, screen_levels  # noqa: E402

BOX_AT_MS = 4000


def yellow_pixels(display):
    """Pixels of the screen close to the marks' yellow (255, 230, 0)."""
    out = subprocess.run(["xwd", "-root", "-silent", "-display",
                          ":%d" % display], capture_output=True, timeout=20)
    if out.returncode != 0:
        return 0
    data = out.stdout
    fields = struct.unpack(">25I", data[:100])
    header_size, bpp, bytes_per_line = fields[0], fields[11], fields[12]
    height, ncolors = fields[5], fields[19]
    pixels = data[header_size + 12 * ncolors:]
    if bpp != 32:
        return 0
    count = 0
    for y in range(0, height, 2):
        row = pixels[y * bytes_per_line:(y + 1) * bytes_per_line]
        # 32-bit XWD pixels from Xvfb are B, G, R, x in memory.
        for x in range(0, len(row) - 3, 8):
            b, g, r = row[x], row[x + 1], row[x + 2]
            if r > 200 and g > 180 and b < 90:
                count += 1
    return count


def main(build, procs):
    if shutil.which("Xvfb") is None or shutil.which("xwd") is None:
        print("SKIP: Xvfb or xwd is not installed")
        sys.exit(SKIP)
    display = free_display()
    xvfb = procs.start("xvfb", ["Xvfb", ":%d" % display, "-screen", "0",
                                "1600x900x24", "-br", "-nolisten", "tcp"])
    wait_for(lambda: os.path.exists("/tmp/.X11-unix/X%d" % display), 20,
             "the virtual display")

    script = os.path.join(procs.workdir, "box.jsonl")
    with open(script, "w") as f:
        f.write(json.dumps({"at_ms": BOX_AT_MS, "msg": {
            "type": "mark", "id": "b1", "kind": "box",
            "points": [[0.2, 0.2], [0.8, 0.8]], "color": "yellow",
            "width": 3}}) + "\n")
    hub = Hub(build, procs).start()
    room = "township-window"
    t_stats = os.path.join(procs.workdir, "township.jsonl")
    township = procs.start("township", [build.township] + station_args(
        hub, hub.token_file("t", hub.token(room, "township")), t_stats,
        ["--audio-in", "none", "--width", "640", "--height", "360"]),
        env={"DISPLAY": ":%d" % display})
    procs.start("expert", [build.expert] + station_args(
        hub, hub.token_file("e", hub.token(room, "expert")),
        os.path.join(procs.workdir, "expert.jsonl"),
        ["--audio-in", "none", "--sink", "none", "--guidance-script",
         script]))

    wait_for(lambda: "preview to window" in procs.log(township), 20,
             "the township to open its preview window")
    levels = wait_for(lambda: screen_levels(display) > 50 and
                      screen_levels(display), 15, "the picture on screen")
    check(levels > 50, "the township's window shows the phantom (%d grey "
          "levels)" % levels)
    before = yellow_pixels(display)
    check(before < 20, "no mark on the screen before the expert draws (%d "
          "yellow pixels)" % before)
    wait_for(lambda: any(r.get("guide_marks", 0) >= 1
                         for r in read_stats(t_stats)), 30,
             "the township to hold the expert's box")
    after = wait_for(lambda: yellow_pixels(display) > 200 and
                     yellow_pixels(display), 10, "the box on the screen")
    check(after > 200, "the township's window shows the expert's box (%d "
          "yellow pixels)" % after)
    check(procs.stop(township) == 0, "the township stops cleanly on Ctrl-C")
    procs.stop(xvfb)


if __name__ == "__main__":
    run(main)
