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


def stale_display(n):
    """Whether display @n's lock names a process that is gone (an Xvfb
    killed with SIGKILL leaves its lock and socket behind)."""
    try:
        with open("/tmp/.X%d-lock" % n) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return False
    return not os.path.exists("/proc/%d" % pid)


def free_display():
    for n in range(90, 140):
        if stale_display(n):
            for path in ("/tmp/.X%d-lock" % n, "/tmp/.X11-unix/X%d" % n):
                try:
                    os.unlink(path)
                except OSError:
                    pass
        if not os.path.exists("/tmp/.X11-unix/X%d" % n) and \
           not os.path.exists("/tmp/.X%d-lock" % n):
            return n
    sys.exit("no free X display number")


def start_display(procs, size="1600x900", tools=("Xvfb", "xwd")):
    """Starts Xvfb (black root) on a free display and returns (number,
    process); exits with SKIP when one of @tools is not installed."""
    for tool in tools:
        if shutil.which(tool) is None:
            print("SKIP: %s is not installed" % tool)
            sys.exit(SKIP)
    display = free_display()
    # -noreset: by default Xvfb resets itself whenever its last client
    # disconnects, and a window opened during a reset is refused ("Could not
    # initialise X output"); between two screen grabs, before any window is
    # up, that happened to one station start in four under load.  A
    # desktop's X server never resets under a running session.
    xvfb = procs.start("xvfb", ["Xvfb", ":%d" % display, "-screen", "0",
                                size + "x24", "-br", "-nolisten", "tcp",
                                "-noreset"])
    wait_for(lambda: os.path.exists("/tmp/.X11-unix/X%d" % display), 20,
             "the virtual display")
    return display, xvfb


def grab_screen(display):
    """The root window as XWD bytes (b"" if xwd failed)."""
    out = subprocess.run(["xwd", "-root", "-silent", "-display",
                          ":%d" % display], capture_output=True, timeout=20)
    return out.stdout if out.returncode == 0 else b""


def xwd_rows(xwd_bytes):
    """The pixel rows of a 32-bit XWD dump (B, G, R, x per pixel in
    memory, as Xvfb writes them); [] for anything else."""
    if len(xwd_bytes) < 100:
        return []
    fields = struct.unpack(">25I", xwd_bytes[:100])
    header_size, bpp, bytes_per_line = fields[0], fields[11], fields[12]
    height, ncolors = fields[5], fields[19]
    data = xwd_bytes[header_size + 12 * ncolors:]
    if bpp != 32:
        return []
    return [data[y * bytes_per_line:(y + 1) * bytes_per_line]
            for y in range(height)]


def grey_levels(xwd_bytes):
    """Distinct green-channel values of a 32-bit XWD screen dump."""
    levels = set()
    for row in xwd_rows(xwd_bytes)[::4]:
        levels.update(row[1::16])
    return len(levels)


def screen_levels(display):
    return grey_levels(grab_screen(display))


def main(build, procs):
    display, xvfb = start_display(procs)
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
