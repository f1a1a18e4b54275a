#!/usr/bin/env python3
"""A short stall of the township, ridden through: the loss both stations
show afterwards is the current one, and a link called good shows no loss.

The township is stopped (SIGSTOP) for STALL_S seconds, then let run
(SIGCONT).  The stall is longer than the township's hub keep-alive (6 s
without a word from the hub), which counts only the time the township
runs: its hub connection, which still works, is kept, and the hub does
not tell the expert that the township left and came back.  The expert is
given a restart delay longer than the stall, so it keeps the session too,
and the session rides the stall through.
The first second after it often loses packets for real (the township's
backlog arrives in a burst), and both status lines may say so.  Then:

- within a generous wait both stations print a status line that shows a
  current loss near 0 with the link good (no LINK word), and their
  --stats say the same (video_lost_pct near 0, link "good");
- from then on, no line of either station calls the link good while its
  loss left after repair is above the 1 % the link state calls degraded
  (the township judged its link only by what it measured itself, so it
  said "good" beside the expert's 27.8 % unrepaired loss).
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sltest import (Hub, Stopped, check, last_session,  # noqa: E402
                    read_stats, run,
                    start_pair, wait_for)

# Longer than the township's hub keep-alive (6 s of silence), shorter
# than the expert's restart delay (EXPERT_RESTART_S) and the hub's own
# keep-alive (30 s).
STALL_S = 8
EXPERT_RESTART_S = 30
# The link state's threshold for residual loss (sl-link.h).
RESIDUAL_PCT = 1.0
LINE = re.compile(r"\] \S+ connected .* loss (\S+?)%? (?:\((\S+)% "
                  r"repaired\))?.*voice in \S+( .*)?$")


def status_lines(log, since):
    """(loss %, repaired %, good) of each status line after @since chars;
    loss None when unknown ("-")."""
    out = []
    for line in log[since:].splitlines():
        m = LINE.search(line)
        if not m:
            continue
        loss = None if m.group(1) == "-" else float(m.group(1))
        repaired = float(m.group(2)) if m.group(2) else 0.0
        out.append((loss, repaired, "LINK" not in (m.group(3) or "")))
    return out


def current_and_good(lines):
    return any(loss is not None and loss < 1.0 and good
               for loss, _, good in lines)


def main(build, procs):
    hub = Hub(build, procs).start()
    township, expert, t_stats, e_stats = start_pair(
        build, procs, hub, "stall-loss", ["--audio-in", "none"],
        ["--audio-in", "none", "--sink", "none",
         "--restart-after", str(EXPERT_RESTART_S)])
    wait_for(lambda: last_session(e_stats).get("frames_decoded", 0) > 60,
             30, "the first pictures at the expert")

    stall = Stopped(township)
    wait_for(lambda: "nothing from the peer" in procs.log(expert), 10,
             "the expert to see the township go silent")
    stall.wait(STALL_S)
    t_from, e_from = len(procs.log(township)), len(procs.log(expert))
    t_rec, e_rec = len(read_stats(t_stats)), len(read_stats(e_stats))
    stall.resume()

    for proc, since, who in ((expert, e_from, "expert"),
                             (township, t_from, "township")):
        wait_for(lambda: current_and_good(
            status_lines(procs.log(proc), since)), 30,
            "the %s's status to show a current loss near 0 with the link "
            "good after the stall" % who)
        check(True, "the %s shows a current loss near 0 with the link good "
              "after the stall" % who)
    check("opened" not in procs.log(expert)[e_from:],
          "the session rode through the stall (it was not made again)")
    stall.check_ridden(procs, "township", t_from)

    def stats_say_so(path, start):
        return any(r.get("state") == "connected" and r.get("link") == "good"
                   and r.get("video_lost_pct") is not None
                   and 0 <= r["video_lost_pct"] < 1.0
                   for r in read_stats(path)[start:])

    for path, start, who in ((e_stats, e_rec, "expert"),
                             (t_stats, t_rec, "township")):
        wait_for(lambda: stats_say_so(path, start), 10,
                 "the %s's --stats to say the same" % who)
        check(True, "the %s's --stats say the same: loss near 0, link good"
              % who)
    for proc, since, who in ((expert, e_from, "expert"),
                             (township, t_from, "township")):
        for loss, repaired, good in status_lines(procs.log(proc), since):
            if good and loss is not None:
                check(loss - repaired <= RESIDUAL_PCT,
                      "the %s never calls the link good beside a loss "
                      "left after repair above %.0f %% (%.1f %%, %.1f %% "
                      "repaired)" % (who, RESIDUAL_PCT, loss, repaired))
    check(procs.stop(expert) == 0 and procs.stop(township) == 0,
          "both stations stop cleanly")


if __name__ == "__main__":
    run(main)
