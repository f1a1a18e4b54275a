#!/usr/bin/env python3
"""security-unasked-stills: stills a real expert did not ask for, or not as
promised (issue 14, finding 7).

    test_unasked_stills.py HUB TOWNSHIP EXPERT ROGUE_STATION

A real hub and expert (--stills-dir, a script asking for the stills
"notpng", "baddims" and "good"), and rogue-station in township mode: it
offers the expert a picture and, once the guidance channel is open, sends
40 stills nobody asked for (64 KiB of random bytes each, with a right
SHA-256, the first at media time 1000 ms), then answers "notpng" with
random bytes, "baddims" with a PNG of another size than promised and
"good" with a right PNG at media time 1000 ms, which it then sends once
more unasked.  The stills folder already holds
sonolink-ROOM-1000ms.png, a patient image saved earlier.

The expert must save only "good", once, as a new file of mode 0600 beside
the earlier one (sonolink-ROOM-1000ms-2.png), bit for bit the PNG the
rogue sent; leave the earlier file as it was; and refuse the rest
(docs/guidance.md, STILLS).  Before, every one of them was saved, the
earlier file overwritten.  Every problem found is listed before the test
fails.
"""

import hashlib
import json
import os
import stat
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from sltest import (Hub, TestFailure, check, png_size, run,  # noqa: E402
                    session_records, station_args, wait_for)

ROOM = "unasked-stills"
PRECIOUS = b"an earlier patient image, not to be touched\n"
REQUESTS = [(1500, "notpng"), (2500, "baddims"), (3500, "good")]


def rogue_lines(procs, rogue):
    return procs.log(rogue).splitlines()


def main(build, procs):
    rogue_exe = sys.argv[4]
    hub = Hub(build, procs).start()
    d = procs.workdir
    stills = os.path.join(d, "stills")
    os.makedirs(stills, mode=0o700)
    precious = os.path.join(stills, "sonolink-%s-1000ms.png" % ROOM)
    with open(precious, "wb") as f:
        f.write(PRECIOUS)
    script = os.path.join(d, "script.jsonl")
    with open(script, "w") as f:
        for at, req in REQUESTS:
            f.write(json.dumps({"at_ms": at, "msg": {
                "type": "still_request", "req": req}}) + "\n")
    e_stats = os.path.join(d, "expert.jsonl")
    rogue = procs.start("rogue", [
        rogue_exe, "township", hub.url, hub.token(ROOM, "township"),
        "rogue-town"])
    procs.start("expert", [build.expert] + station_args(
        hub, hub.token_file("expert", hub.token(ROOM, "expert")), e_stats,
        ["--audio-in", "none", "--sink", "none", "--stills-dir", stills,
         "--guidance-script", script, "--duration", "60"]))

    wait_for(lambda: "guide-open" in rogue_lines(procs, rogue), 40,
             "the rogue township's guidance channel")
    # Every still the rogue means to send has gone: 40 unasked, three
    # answers and the unasked repeat of "good".
    wait_for(lambda: sum(line.startswith("still ")
                         for line in rogue_lines(procs, rogue)) >= 44, 40,
             "the rogue's stills to be sent")
    check(True, "the rogue township sent 40 unasked stills, three answers "
          "and a repeat")
    good_sha = [line.split()[1] for line in rogue_lines(procs, rogue)
                if line.startswith("good-sha256 ")][0]
    # The expert has taken everything in: its record counts each still.
    seen = lambda r: r.get("stills_saved", 0) + r.get(  # noqa: E731
        "stills_failed", 0) + r.get("stills_refused", 0)
    try:
        wait_for(lambda: any(seen(r) >= 44 for r in
                             session_records(e_stats)), 15,
                 "the expert to count every still")
    except TestFailure:
        pass  # an expert that overwrites files counts less: checked below
    rec = [r for r in session_records(e_stats) if "stills_saved" in r][-1]

    problems = []
    with open(precious, "rb") as f:
        if f.read() != PRECIOUS:
            problems.append("the earlier still was overwritten")
    files = sorted(n for n in os.listdir(stills)
                   if n != os.path.basename(precious))
    expected = "sonolink-%s-1000ms-2.png" % ROOM
    if files != [expected]:
        problems.append("the folder holds %d new files, not just %s: %s"
                        % (len(files), expected, files[:6]))
    good = os.path.join(stills, expected)
    if os.path.exists(good):
        with open(good, "rb") as f:
            data = f.read()
        if hashlib.sha256(data).hexdigest() != good_sha:
            problems.append("%s is not the PNG sent as \"good\"" % expected)
        if png_size(good) != (64, 48):
            problems.append("%s is not a 64x48 PNG" % expected)
        mode = stat.S_IMODE(os.lstat(good).st_mode)
        if mode != 0o600:
            problems.append("%s has mode %o, not 600" % (expected, mode))
    if rec.get("stills_saved") != 1:
        problems.append("the expert saved %s stills, not 1"
                        % rec.get("stills_saved"))
    if rec.get("stills_refused", 0) < 41 or rec.get("stills_failed", 0) < 2:
        problems.append("the expert refused %s stills and abandoned %s, not "
                        "41 (40 unasked and the repeat) and 2 (notpng, "
                        "baddims)" % (rec.get("stills_refused"),
                                      rec.get("stills_failed")))
    if not any(line.startswith("nack still_meta ")
               for line in rogue_lines(procs, rogue)):
        problems.append("the expert nacked none of the unasked stills")

    for p in problems:
        print("problem:", p, flush=True)
    check(not problems, "the expert saved only the still it asked for, as a "
          "new 0600 file beside the earlier one, and refused the rest")


if __name__ == "__main__":
    run(main)
