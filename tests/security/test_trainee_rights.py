#!/usr/bin/env python3
"""security-trainee-rights: a patched trainee at a real township (issue 14,
finding 2).

    test_trainee_rights.py HUB TOWNSHIP EXPERT ROGUE_STATION

A real hub and township (a test tone for its own voice), and
rogue-station in trainee mode: a trainee token with a patched client that
answers with a voice of its own (1500 Hz) and sends, every 500 ms, a mark,
a cue, a prompt, the pointer and a still request.  The township must play
nothing from it, apply none of its guidance, send it no still, and keep
the session up whatever the trainee sends (docs/security.md,
docs/guidance.md).
Then the hub restarts and the rogue does not rejoin, while its session
carries on: the township's new roster no longer knows the trainee, and
still nothing it sends is applied (before, a peer missing from the roster
read as role 0, the township, and its marks were drawn).

Every problem found is listed before the test fails, so that a run
against a station without the fixes shows each of them.
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from sltest import (Hub, TestFailure, check, read_stats, run,  # noqa: E402
                    station_args, wait_for)

ROOM = "trainee-rights"
ROGUE = "rogue-trn"
TONE_HZ = 1500
BATCHES = 8  # 4 s of everything, per phase


def rogue_lines(procs, rogue):
    return procs.log(rogue).splitlines()


def batches(procs, rogue):
    n = [int(m.group(1)) for m in
         (re.match(r"batch (\d+)$", line) for line in rogue_lines(procs, rogue))
         if m]
    return max(n) if n else 0


def rogue_record(path, after=0.0):
    """The township's newest record of its session with the rogue."""
    recs = [r for r in read_stats(path)
            if r.get("peer") == ROGUE and r.get("time", 0) > after]
    return recs[-1] if recs else None


def problems_in(rec, phase):
    """What the township took from the trainee, as its record shows."""
    found = []
    if rec is None:
        return ["%s: no record of the trainee's session" % phase]
    if rec.get("state") != "connected":
        found.append("%s: the trainee's session is %s, not connected"
                     % (phase, rec.get("state")))
    if rec.get("audio_level_db") is not None or abs(
            (rec.get("audio_peak_hz") or 0) - TONE_HZ) < 100:
        found.append("%s: the township plays the trainee's voice "
                     "(level %s dB, peak %s Hz)"
                     % (phase, rec.get("audio_level_db"),
                        rec.get("audio_peak_hz")))
    if rec.get("guide_marks", 0) > 0:
        found.append("%s: %d of the trainee's marks applied"
                     % (phase, rec["guide_marks"]))
    for field in ("guide_cue", "guide_prompt", "guide_pointer_x"):
        if field in rec:
            found.append("%s: the trainee's %s applied (%s)"
                         % (phase, field[6:], rec[field]))
    if rec.get("stills_sent", 0) > 0:
        found.append("%s: %d still(s) sent to the trainee"
                     % (phase, rec["stills_sent"]))
    return found


def wait_batches(procs, rogue, n, what):
    wait_for(lambda: batches(procs, rogue) >= n, 30, what, 0.2)


def main(build, procs):
    rogue_exe = sys.argv[4]
    hub = Hub(build, procs).start()
    d = procs.workdir
    t_stats = os.path.join(d, "township.jsonl")
    township = procs.start("township", [build.township] + station_args(
        hub, hub.token_file("township", hub.token(ROOM, "township")),
        t_stats, ["--audio-in", "test:700", "--width", "320", "--height",
                  "240", "--duration", "120"]))
    rogue = procs.start("rogue", [
        rogue_exe, "trainee", hub.url, hub.token(ROOM, "trainee"), ROGUE,
        "--tone", str(TONE_HZ), "--no-rejoin"])
    problems = []

    wait_for(lambda: "guide-open" in rogue_lines(procs, rogue), 40,
             "the rogue trainee's guidance channel")
    check(True, "the rogue trainee has a session and its guidance channel")
    wait_batches(procs, rogue, BATCHES, "%d batches" % BATCHES)
    seen = rogue_record(t_stats)
    wait_for(lambda: (lambda r: r and r["time"] > seen["time"] + 1.5)(
        rogue_record(t_stats)), 10, "the township's next records")
    problems += problems_in(rogue_record(t_stats), "in the roster")
    nacks = [line for line in rogue_lines(procs, rogue)
             if line.startswith("nack ")]
    if not any(n.startswith("nack mark ") for n in nacks) \
            or not any(n.startswith("nack still_request ") for n in nacks):
        problems.append("the township did not refuse the trainee's marks "
                        "and still requests with a nack: %s"
                        % sorted(set(nacks)))

    # The hub restarts on its port; the township rejoins, the rogue
    # does not, and its session carries on.
    procs.stop(hub.proc)
    hub2 = Hub(build, procs, port=hub.port)
    hub2.start()
    wait_for(lambda: "hub-left" in rogue_lines(procs, rogue), 20,
             "the rogue to leave the hub")
    restarted = read_stats(t_stats)[-1]["time"]
    wait_for(lambda: any(r.get("hub_connected") and r["time"] > restarted
                         for r in read_stats(t_stats)), 30,
             "the township to rejoin the restarted hub")
    check(True, "the township rejoined the restarted hub without the trainee")
    rejoined = batches(procs, rogue)
    wait_batches(procs, rogue, rejoined + BATCHES,
                 "%d more batches after the restart" % BATCHES)
    seen = rogue_record(t_stats)
    wait_for(lambda: (lambda r: r and r["time"] > seen["time"] + 1.5)(
        rogue_record(t_stats)), 10, "the township's next records")
    problems += problems_in(rogue_record(t_stats),
                            "after a hub restart, not in the roster")

    failed = procs.log(township).count("session with %s: failed" % ROGUE)
    if failed:
        problems.append("the trainee's session failed %d time(s) at the "
                        "township" % failed)
    for p in problems:
        print("problem:", p, flush=True)
    check(not problems, "the township took nothing from the trainee "
          "(voice, marks, cue, prompt, pointer, stills) and kept its session, "
          "in the roster and after a hub restart without it")


if __name__ == "__main__":
    run(main)
