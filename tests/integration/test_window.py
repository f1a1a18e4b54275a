#!/usr/bin/env python3
"""The expert's window: with a display, the picture is shown on screen.

Starts a virtual X display (Xvfb, black root), runs hub, township and an
expert with DISPLAY set and the default --sink auto, and checks that the
expert chose the window, keeps decoding, and that the screen (grabbed with
xwd) shows the phantom: many grey levels where the black root had one.
Skipped (exit 77) where Xvfb or xwd is not installed.
"""

import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sltest import (Hub, check, read_stats, run, station_args, wait_for)

SKIP = 77


def free_display():
    for n in range(90, 140):
        if not os.path.exists("/tmp/.X11-unix/X%d" % n) and \
           not os.path.exists("/tmp/.X%d-lock" % n):
            return n
    sys.exit("no free X display number")


def grey_levels(xwd_bytes):
    """Distinct green-channel values of a 24/32-bit XWD screen dump."""
    fields = struct.unpack(">25I", xwd_bytes[:100])
    header_size, bpp, bytes_per_line = fields[0], fields[11], fields[12]
    height, ncolors = fields[5], fields[19]
    data = xwd_bytes[header_size + 12 * ncolors:]
    if bpp != 32:
        return 0
    levels = set()
    for y in range(0, height, 4):
        row = data[y * bytes_per_line:(y + 1) * bytes_per_line]
        levels.update(row[1::16])
    return len(levels)


def screen_levels(display):
    out = subprocess.run(["xwd", "-root", "-silent", "-display",
                          ":%d" % display], capture_output=True, timeout=20)
    return grey_levels(out.stdout) if out.returncode == 0 else 0


def main(build, procs):
    if shutil.which("Xvfb") is None or shutil.which("xwd") is None:
        print("SKIP: Xvfb or xwd is not installed")
        sys.exit(SKIP)
    display = free_display()
    xvfb = procs.start("xvfb", ["Xvfb", ":%d" % display, "-screen", "0",
                                "1600x900x24", "-br", "-nolisten", "tcp"])
    wait_for(lambda: os.path.exists("/tmp/.X11-unix/X%d" % display), 20,
             "the virtual display")
    check(screen_levels(display) <= 2, "the empty screen is plain black")

    hub = Hub(build, procs).start()
    room = "window"
    e_stats = os.path.join(procs.workdir, "expert.jsonl")
    procs.start("township", [build.township] + station_args(
        hub, hub.token_file("t", hub.token(room, "township")),
        os.path.join(procs.workdir, "township.jsonl"), ["--audio-in", "none"]))
    expert = procs.start("expert", [build.expert] + station_args(
        hub, hub.token_file("e", hub.token(room, "expert")), e_stats,
        ["--audio-in", "none"]), env={"DISPLAY": ":%d" % display})

    wait_for(lambda: any(r.get("frames_decoded", 0) > 60
                         for r in read_stats(e_stats)), 30,
             "the expert to decode 60 frames")
    check("picture to window" in procs.log(expert),
          "with a display the expert shows the picture in a window")
    levels = wait_for(lambda: screen_levels(display) > 50 and
                      screen_levels(display), 15, "the picture on screen")
    check(levels > 50, "the screen shows the phantom (%d grey levels)" % levels)
    decoded = max(r.get("frames_decoded", 0) for r in read_stats(e_stats))
    wait_for(lambda: max(r.get("frames_decoded", 0)
                         for r in read_stats(e_stats)) > decoded + 30, 10,
             "the expert to keep decoding with the window open")
    check(procs.stop(expert) == 0, "the expert stops cleanly on Ctrl-C")
    procs.stop(xvfb)


if __name__ == "__main__":
    run(main)
