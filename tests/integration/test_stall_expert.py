#!/usr/bin/env python3
"""The expert stalls past every keep-alive: the consultation comes back.

The other side of test_stall.py.  The expert's process is stopped with
SIGSTOP for longer than the township's restart delay and the expert's own
hub keep-alive (6 s of silence each), then let run with SIGCONT.
Meanwhile the township gives its silent session up and offers a new one
through the hub; the offer waits in the expert's socket.  On waking, the
expert must see that it stalled, keep its hub connection (which still
works: the stall was its own), not count the stall as the township's
silence, answer the new offer and decode new pictures, with nobody
touching a key (docs/link-recovery.md, "A station that stalls").
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sltest import (Hub, Stopped, check,  # noqa: E402
                    connected_frames_since, last_session, read_stats, run,
                    start_pair, wait_for)

# Longer than the township's restart delay and the expert's hub
# keep-alive (6 s each), shorter than the hub's own keep-alive (30 s).
STALL_S = 9


def main(build, procs):
    hub = Hub(build, procs).start()
    township, expert, t_stats, e_stats = start_pair(
        build, procs, hub, "stall-expert", ["--audio-in", "none"],
        ["--audio-in", "none", "--sink", "none"])
    wait_for(lambda: last_session(e_stats).get("frames_decoded", 0) > 30, 20,
             "the first pictures at the expert")

    stall = Stopped(expert)
    wait_for(lambda: ": failed" in procs.log(township), 20,
             "the township to give the silent session up")
    stall.wait(STALL_S)
    e_from = len(procs.log(expert))
    e_lines = len(read_stats(e_stats))
    stall.resume()

    wait_for(lambda: connected_frames_since(e_stats, e_lines) >= 60, 20,
             "the expert to decode new pictures after the stall")
    check(True, "the expert decodes new pictures after the stall")
    stall.check_ridden(procs, "expert", e_from)
    check("opened" in procs.log(expert)[e_from:],
          "the expert answered the township's new offer")
    check(procs.stop(expert) == 0 and procs.stop(township) == 0,
          "both stations stop cleanly")


if __name__ == "__main__":
    run(main)
