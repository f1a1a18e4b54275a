#!/usr/bin/env python3
"""The expert's window says what is going on (docs/sonolink-expert.md,
THE WINDOW): the status strip, and the full-window states.

On a virtual X display the expert starts before the hub: its window opens
at once on a black picture that says the hub is unreachable (a red box)
while it retries.  The hub comes: "Waiting for the township"
(an amber box) above a strip whose link box is grey (no link).  The
township comes: the phantom shows under a strip whose link box is green.
The township is stopped (SIGSTOP, a stalled sender) for a few seconds:
the picture is dimmed and a red box says it is frozen (then that the link is lost,
which the log confirms).  The township goes on (SIGCONT): the red box
goes and the moving picture returns under a green link box.  The
township is then stopped for good (SIGTERM): the window stays, amber
again, instead of vanishing.  Each
state is checked by pixels of the colours only the state draws.  With
SL_TEST_SCREENS=DIR the screens are saved there as PNG files for a person
to look at.  Skipped (exit 77) where Xvfb or xwd is not installed.
"""

import os
import shutil
import signal
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sltest import (Hub, check, read_stats, run, station_args,  # noqa: E402
                    wait_for)
from slpng import write_png  # noqa: E402
from test_window import grab_screen, start_display, xwd_rows  # noqa: E402

# The colours of sl-status-view.c, as 8-bit RGB.
GREEN = (51, 204, 76)   # link good
AMBER = (255, 153, 0)   # waiting, recovering
RED = (242, 51, 51)     # lost, frozen
GREY = (153, 153, 153)  # no link
WHITE = (255, 255, 255)  # text, and the key help's frame


def near(px, rgb, tol=30):
    return all(abs(a - b) <= tol for a, b in zip(px, rgb))


class Screen:
    """One grab of the screen: counts of the status colours, and the
    picture's grey levels outside them."""

    def __init__(self, display, name, workdir):
        self.rows = xwd_rows(grab_screen(display))
        self.counts = {c: 0 for c in (GREEN, AMBER, RED, GREY, WHITE)}
        self.levels = set()
        for y, row in enumerate(self.rows[::2]):
            for x in range(0, len(row) - 3, 8):
                px = (row[x + 2], row[x + 1], row[x])
                for c in self.counts:
                    if near(px, c):
                        self.counts[c] += 1
                # The picture's grey levels, below the state's box and
                # above the strip (the window is 1280x720 at the top
                # left of the screen): the phantom's sector, or black.
                if 450 <= 2 * y < 650 and 400 <= x // 4 < 880 and \
                        max(px) - min(px) <= 8:
                    self.levels.add(px[1])
        self.name, self.workdir = name, workdir

    def picture(self):
        """The picture's part of the screen, above the strip."""
        return b"".join(bytes(row[400 * 4:880 * 4])
                        for row in self.rows[200:650])

    def save(self):
        keep = os.environ.get("SL_TEST_SCREENS")
        path = os.path.join(keep or self.workdir, self.name + ".png")
        if keep:
            os.makedirs(keep, exist_ok=True)
        if self.rows:
            width = len(self.rows[0]) // 4
            rgb_rows = []
            for row in self.rows:
                rgb = bytearray(width * 3)
                rgb[0::3] = row[2:width * 4:4]
                rgb[1::3] = row[1:width * 4:4]
                rgb[2::3] = row[0:width * 4:4]
                rgb_rows.append(rgb)
            write_png(path, width, len(self.rows), rgb_rows)

    def count(self, colour):
        return self.counts[colour]


def wait_screen(display, workdir, name, predicate, what, timeout=15):
    last = {}

    def look():
        last["s"] = Screen(display, name, workdir)
        return predicate(last["s"])
    try:
        wait_for(look, timeout, what, 0.2)
    except Exception:
        s = last.get("s")
        if s is not None:
            print("last screen: %s, %d grey levels" % (
                {k: v for k, v in s.counts.items()}, len(s.levels)))
            s.save()
        raise
    SEEN.append(last["s"])
    return last["s"]


# The screens each state was found on, saved at the end (for a person).
SEEN = []


def decoded(path):
    return max((r.get("frames_decoded", 0) for r in read_stats(path)),
               default=0)


def main(build, procs):
    if shutil.which("Xvfb") is None or shutil.which("xwd") is None:
        print("SKIP: Xvfb or xwd is not installed")
        sys.exit(77)
    display, xvfb = start_display(procs)
    env = {"DISPLAY": ":%d" % display}
    work = procs.workdir
    # The hub is not there yet: a port nothing listens on, where it will
    # be started.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    hub = Hub(build, procs, port=port)
    hub.url = "ws://127.0.0.1:%d" % port
    room = "states"
    e_stats = os.path.join(work, "expert.jsonl")
    expert = procs.start("expert", [build.expert] + station_args(
        hub, hub.token_file("e", hub.token(room, "expert")), e_stats,
        ["--audio-in", "none", "--restart-after", "30"])
        + ["--connect-timeout", "60"], env=env)
    wait_for(lambda: "picture to window" in procs.log(expert), 20,
             "the expert to open its window")

    # Unreachable: a red box on black, while the station retries.
    s = wait_screen(display, work, "0-unreachable",
                    lambda s: s.count(RED) > 50 and s.count(AMBER) == 0,
                    "the window to say the hub is unreachable")
    check("cannot reach the hub" in procs.log(expert),
          "the terminal says so too")
    hub.start()

    # Waiting: an amber box on black, the strip's link box grey.
    s = wait_screen(display, work, "1-waiting",
                    lambda s: s.count(AMBER) > 50 and s.count(GREY) > 20,
                    "the window to say it waits for the township")
    check(s.count(GREEN) == 0 and s.count(RED) == 0,
          "waiting: no link colour but grey (%s)" % s.counts)
    check(len(s.levels) < 20, "waiting: no picture yet (%d grey levels)" %
          len(s.levels))

    # Live: the phantom, the link box green, no state box.
    township = procs.start("township", [build.township] + station_args(
        hub, hub.token_file("t", hub.token(room, "township")),
        os.path.join(work, "township.jsonl"),
        ["--audio-in", "none", "--restart-after", "30"]))
    wait_for(lambda: decoded(e_stats) > 60, 30, "the expert to decode")
    s = wait_screen(display, work, "2-live",
                    lambda s: s.count(GREEN) > 20 and s.count(AMBER) == 0
                    and len(s.levels) > 30,
                    "the live picture under a green link box")
    check(s.count(RED) == 0, "live: nothing red (%s)" % s.counts)

    # Stalled: the picture frozen, dimmed, in a red box.
    os.kill(township.pid, signal.SIGSTOP)
    s = wait_screen(display, work, "3-frozen",
                    lambda s: s.count(RED) > 50, "the window to say the "
                    "picture is frozen")
    # Lost a second later (the words differ, the colour not: the log
    # says when); the stall ends then, short of the expert's restart
    # delay (6 s), after which it would make the session again.
    wait_for(lambda: "lost: nothing from the peer" in procs.log(expert), 5,
             "the expert to call the link lost")
    frozen_at = decoded(e_stats)
    os.kill(township.pid, signal.SIGCONT)
    # Back: the picture moves again under a green link box, the red box
    # gone; new pictures were decoded since the stall.
    s = wait_screen(display, work, "4-back",
                    lambda s: s.count(GREEN) > 20 and s.count(RED) == 0
                    and s.count(AMBER) == 0 and len(s.levels) > 30,
                    "the live picture again after the stall", timeout=30)
    # Moving, not a picture redrawn: a later screen's picture differs.
    wait_screen(display, work, "5-moving",
                lambda later: later.count(GREEN) > 20 and later.count(RED) == 0
                and later.picture() != s.picture(),
                "the picture to move after the stall")
    check(decoded(e_stats) > frozen_at,
          "back: new pictures decoded after the stall (%d -> %d)"
          % (frozen_at, decoded(e_stats)))
    # The township leaves: the window stays and says so.
    check(procs.stop(township) == 0, "the township stops")
    s = wait_screen(display, work, "6-left",
                    lambda s: s.count(AMBER) > 50 and s.count(GREEN) == 0,
                    "the window to say the township left", timeout=20)
    check(expert.poll() is None, "the expert runs on without a township")
    check(procs.stop(expert) == 0, "the expert stops cleanly on Ctrl-C")
    procs.stop(xvfb)
    for seen in SEEN:
        seen.save()


if __name__ == "__main__":
    run(main)
