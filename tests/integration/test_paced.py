#!/usr/bin/env python3
"""The expert's paced display (--paced): the window waits for the clock.

With --paced the window's sink shows each picture at its running time plus
the pipeline's latency instead of the moment it is decoded.  A sink that
waits on the clock inside a live webrtcbin pipeline can stall the stream
if it prerolls at the wrong moment, and a one-picture queue in front of it
would drop most pictures; this checks, on a virtual X display, that the
paced window shows the phantom and that what it shows keeps changing,
while the expert keeps decoding at the full rate.  Skipped (exit 77) where
Xvfb or xwd is not installed.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sltest import (Hub, check, read_stats, run, station_args,  # noqa: E402
                    wait_for)
from test_window import grab_screen, screen_levels, start_display  # noqa: E402


def decoded(path):
    return max((r.get("frames_decoded", 0) for r in read_stats(path)),
               default=0)


def main(build, procs):
    display, xvfb = start_display(procs)

    hub = Hub(build, procs).start()
    room = "paced"
    e_stats = os.path.join(procs.workdir, "expert.jsonl")
    procs.start("township", [build.township] + station_args(
        hub, hub.token_file("t", hub.token(room, "township")),
        os.path.join(procs.workdir, "township.jsonl"), ["--audio-in", "none"]))
    expert = procs.start("expert", [build.expert] + station_args(
        hub, hub.token_file("e", hub.token(room, "expert")), e_stats,
        ["--audio-in", "none", "--paced"]), env={"DISPLAY": ":%d" % display})

    wait_for(lambda: decoded(e_stats) > 60, 30, "the expert to decode 60 "
             "frames")
    check("picture to window" in procs.log(expert),
          "the paced expert shows the picture in a window")
    levels = wait_for(lambda: screen_levels(display) > 50 and
                      screen_levels(display), 15, "the picture on screen")
    check(levels > 50, "the screen shows the phantom (%d grey levels)" %
          levels)
    # The phantom moves: two grabs a second apart differ when the window
    # keeps showing new pictures (a stalled paced sink would freeze it).
    first = grab_screen(display)
    time.sleep(1.0)  # the interval between the two looks, not a wait
    second = grab_screen(display)
    check(first and second and first != second,
          "the paced window keeps showing new pictures")
    before = decoded(e_stats)
    wait_for(lambda: decoded(e_stats) > before + 60, 10,
             "the expert to keep decoding at full rate")
    # The window's sink says what it showed: nearly every decoded picture
    # (a one-picture queue in front of a waiting sink would drop most).
    last = [r for r in read_stats(e_stats) if "display_rendered" in r][-1]
    shown, dropped = last["display_rendered"], last["display_dropped"]
    check(shown >= 0.9 * last["frames_decoded"] - 30,
          "the paced window showed nearly every picture (%d shown, %d "
          "dropped, %d decoded)" % (shown, dropped, last["frames_decoded"]))
    check(procs.stop(expert) == 0, "the expert stops cleanly on Ctrl-C")
    procs.stop(xvfb)


if __name__ == "__main__":
    run(main)
