#!/usr/bin/env python3
"""The township stalls past every keep-alive: the consultation comes back.

A capture box that freezes for several seconds (swapping, a USB grabber
wedging the kernel, a debugger) sends nothing at all: no media, no pings
to the hub.  Here the test stops the township with SIGSTOP for longer
than the expert's restart delay and the township's hub keep-alive, so
that the expert gives its session up, then lets it run again with
SIGCONT.  The township wakes with its old session still "connected" and
its hub connection, which still works, silent for longer than its
keep-alive.  It must see that it stalled, keep its hub connection (the
stall was its own, not the hub's), see that the expert no longer answers
and offer again, and the expert must decode new pictures, with nobody
touching a key (docs/link-recovery.md, "A station that stalls").
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sltest import (Hub, Stopped, check,  # noqa: E402
                    connected_frames_since, last_session, read_stats, run,
                    station_args, wait_for)

# Longer than the station's hub keep-alive (6 s without a word from the
# hub) and the expert's restart delay (6 s), shorter than the hub's own
# keep-alive (30 s).
STALL_S = 9
# The township would give up on its silent session by itself only after
# this, longer than the test: the picture must come back because the
# township sees that the expert dropped the session, not by that timer.
RESTART_AFTER_S = 60


def decoded(path):
    return last_session(path).get("frames_decoded", 0)


def main(build, procs):
    hub = Hub(build, procs).start()
    room = "stall"
    t_stats = os.path.join(procs.workdir, "township.jsonl")
    e_stats = os.path.join(procs.workdir, "expert.jsonl")

    township = procs.start("township", [build.township] + station_args(
        hub, hub.token_file("t", hub.token(room, "township")), t_stats,
        ["--audio-in", "none", "--restart-after", str(RESTART_AFTER_S)]))
    expert = procs.start("expert", [build.expert] + station_args(
        hub, hub.token_file("e", hub.token(room, "expert")), e_stats,
        ["--audio-in", "none", "--sink", "none"]))
    wait_for(lambda: decoded(e_stats) > 30, 20,
             "the first frames at the expert")

    stall = Stopped(township)
    wait_for(lambda: "nothing from the peer" in procs.log(expert), 15,
             "the expert to see the township's link go")
    frozen_at = decoded(e_stats)
    wait_for(lambda: ": failed" in procs.log(expert), 20,
             "the expert to give the silent session up")
    # The stall itself is the scenario: it lasts STALL_S, whatever the
    # expert did meanwhile.
    stall.wait(STALL_S)
    check(decoded(e_stats) <= frozen_at,
          "no picture while the township is stopped")
    t_lines = len(read_stats(t_stats))
    e_lines = len(read_stats(e_stats))
    stall.resume()

    wait_for(lambda: any(r.get("hub_connected") is True
                         for r in read_stats(t_stats)[t_lines:]), 30,
             "the township to be on the hub after the stall")
    wait_for(lambda: connected_frames_since(e_stats, e_lines) >= 60, 20,
             "the expert to decode new pictures after the stall")
    check(True, "the expert decodes new pictures after the stall")
    check("dropped the session meanwhile" in procs.log(township),
          "the township saw that the expert dropped the session and "
          "offered a new one")
    stall.check_ridden(procs, "township")
    check(procs.stop(expert) == 0 and procs.stop(township) == 0,
          "both stations stop cleanly")


if __name__ == "__main__":
    run(main)
