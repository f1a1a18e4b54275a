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
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sltest import (Hub, check, last_session, read_stats, run,  # noqa: E402
                    start_pair, wait_for)

# Longer than the township's restart delay and the expert's hub
# keep-alive (6 s each), shorter than the hub's own keep-alive (30 s).
STALL_S = 9


def connected_frames_since(path, start):
    """Frames decoded between the first and the last record of a connected
    session after line @start."""
    recs = [r for r in read_stats(path)[start:] if r.get("state") == "connected"]
    return recs[-1]["frames_decoded"] - recs[0]["frames_decoded"] if recs else 0


def main(build, procs):
    hub = Hub(build, procs).start()
    township, expert, t_stats, e_stats = start_pair(
        build, procs, hub, "stall-expert", ["--audio-in", "none"],
        ["--audio-in", "none", "--sink", "none"])
    wait_for(lambda: last_session(e_stats).get("frames_decoded", 0) > 30, 20,
             "the first pictures at the expert")

    os.kill(expert.pid, signal.SIGSTOP)
    stopped_at = time.monotonic()
    wait_for(lambda: ": failed" in procs.log(township), 20,
             "the township to give the silent session up")
    while time.monotonic() - stopped_at < STALL_S:
        time.sleep(0.2)
    e_from = len(procs.log(expert))
    e_lines = len(read_stats(e_stats))
    os.kill(expert.pid, signal.SIGCONT)

    wait_for(lambda: connected_frames_since(e_stats, e_lines) >= 60, 20,
             "the expert to decode new pictures after the stall")
    check(True, "the expert decodes new pictures after the stall")
    log = procs.log(expert)[e_from:]
    check("did not run for" in log, "the expert says that it stalled")
    check("opened" in log, "the expert answered the township's new offer")
    check("lost the hub" not in procs.log(expert),
          "the expert kept its hub connection")
    check(procs.stop(expert) == 0 and procs.stop(township) == 0,
          "both stations stop cleanly")


if __name__ == "__main__":
    run(main)
