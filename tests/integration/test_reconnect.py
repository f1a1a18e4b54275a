#!/usr/bin/env python3
"""The hub restarts mid-consultation: stations reconnect, media carries on.

Media flows peer to peer, not through the hub, so while the hub is down the
expert keeps decoding; when it is back (same address), both stations rejoin
with back-off on their own, keeping their peer ids, and the session is not
renegotiated.  Also: a station started against an address where no hub
listens gives up after --connect-timeout with exit status 4.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sltest import (Hub, check, last_session, read_stats, run, station_args,
                    wait_for)


def main(build, procs):
    hub = Hub(build, procs).start()
    room = "reconnect"
    t_stats = os.path.join(procs.workdir, "township.jsonl")
    e_stats = os.path.join(procs.workdir, "expert.jsonl")

    township = procs.start("township", [build.township] + station_args(
        hub, hub.token_file("t", hub.token(room, "township")), t_stats,
        ["--audio-in", "none"]))
    # The expert's picture goes to a gst: sink that prerolls (async, as a
    # display sink does): adding it to a running session must not stall
    # the stream, neither at the first offer nor at the re-offers below.
    expert = procs.start("expert", [build.expert] + station_args(
        hub, hub.token_file("e", hub.token(room, "expert")), e_stats,
        ["--audio-in", "none", "--sink", "gst:fakesink sync=false"]))

    wait_for(lambda: last_session(e_stats).get("frames_decoded", 0) > 30, 20,
             "the first frames at the expert")
    peer_before = last_session(e_stats)["peer"]

    check(procs.stop(hub.proc) == 0, "the hub stops")
    wait_for(lambda: read_stats(e_stats)[-1].get("hub_connected") is False,
             10, "the expert to notice the hub is gone")
    down_at = last_session(e_stats)["frames_decoded"]
    wait_for(lambda: last_session(e_stats).get("frames_decoded", 0)
             > down_at + 60, 10, "frames to keep arriving without the hub")
    check(True, "media continues while the hub is down")

    hub.start()  # the same port, recorded by the first start
    for path, name in ((t_stats, "township"), (e_stats, "expert")):
        wait_for(lambda: read_stats(path)[-1].get("hub_connected") is True,
                 20, "the %s to rejoin the restarted hub" % name)
        check(True, "the %s rejoined the restarted hub by itself" % name)

    back_at = last_session(e_stats)["frames_decoded"]
    wait_for(lambda: last_session(e_stats).get("frames_decoded", 0)
             > back_at + 30, 10, "frames after the rejoin")
    rec = last_session(e_stats)
    check(rec["peer"] == peer_before and rec["state"] == "connected",
          "the same session carried on (no renegotiation)")

    check(procs.stop(expert) == 0 and procs.stop(township) == 0,
          "both stations stop cleanly")
    procs.stop(hub.proc)

    # Nobody listens on this port any more: give up after the timeout.
    lonely = procs.start("lonely", [build.expert] + station_args(
        hub, hub.token_file("e2", hub.token(room, "expert")),
        os.path.join(procs.workdir, "lonely.jsonl"),
        ["--sink", "none", "--audio-in", "none", "--connect-timeout", "2"]))
    check(procs.wait_exit(lonely, 20) == 4,
          "an unreachable hub ends the station with exit status 4")
    check("could not reach the hub" in procs.log(lonely),
          "the station says it could not reach the hub")


if __name__ == "__main__":
    run(main)
