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
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sltest import (Hub, check, read_stats, run, station_args,  # noqa: E402
                    wait_for)
from test_window_states import (AMBER, GREEN, GREY, SEEN,  # noqa: E402
                                wait_screen)
from test_window import (grab_screen, screen_levels,  # noqa: E402
                         start_display, xwd_rows)

BOX_AT_MS = 4000


def yellow_pixels(display):
    """Pixels of the screen close to the marks' yellow (255, 230, 0)."""
    count = 0
    for row in xwd_rows(grab_screen(display))[::2]:
        for x in range(0, len(row) - 3, 8):
            b, g, r = row[x], row[x + 1], row[x + 2]
            if r > 200 and g > 180 and b < 90:
                count += 1
    return count


def main(build, procs):
    display, xvfb = start_display(procs)

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
    wait_for(lambda: "preview to window" in procs.log(township), 20,
             "the township to open its preview window")
    levels = wait_for(lambda: screen_levels(display) > 50 and
                      screen_levels(display), 15, "the picture on screen")
    check(levels > 50, "the township's window shows the phantom (%d grey "
          "levels)" % levels)
    # Alone in the room: a banner says it waits for an expert, over the
    # live picture, and the strip's link box is grey.
    waiting = wait_screen(display, procs.workdir, "township-waiting",
                          lambda s: s.count(AMBER) > 30 and
                          s.count(GREY) > 10, "the township's window to say "
                          "it waits for an expert")
    check(waiting.count(GREEN) == 0, "no green link box while alone (%s)" %
          waiting.counts)
    before = yellow_pixels(display)
    check(before < 20, "no mark on the screen before the expert draws (%d "
          "yellow pixels)" % before)
    # The expert comes once the window is up: its script draws at a fixed
    # time, which must not race a window that took a moment to open.
    procs.start("expert", [build.expert] + station_args(
        hub, hub.token_file("e", hub.token(room, "expert")),
        os.path.join(procs.workdir, "expert.jsonl"),
        ["--audio-in", "none", "--sink", "none", "--guidance-script",
         script]))
    wait_for(lambda: any(r.get("guide_marks", 0) >= 1
                         for r in read_stats(t_stats)), 30,
             "the township to hold the expert's box")
    after = wait_for(lambda: yellow_pixels(display) > 200 and
                     yellow_pixels(display), 10, "the box on the screen")
    check(after > 200, "the township's window shows the expert's box (%d "
          "yellow pixels)" % after)
    live = wait_screen(display, procs.workdir, "township-live",
                       lambda s: s.count(GREEN) > 10 and s.count(AMBER) == 0,
                       "the strip's link box green, the banner gone")
    check(True, "with the expert there the strip says the link is good "
          "(%s)" % live.counts)
    for seen in SEEN:
        seen.save()
    check(procs.stop(township) == 0, "the township stops cleanly on Ctrl-C")
    procs.stop(xvfb)


if __name__ == "__main__":
    run(main)
