#!/usr/bin/env python3
"""A station that refuses its command line exits cleanly.

Each case runs a real station with one option it must refuse before it
joins (no hub is needed: none is reached) and asserts exit status 2 and
the message naming the option.  The cases cover each place a refusal
happens: GOption's own parsing, the checks of the values, the hub's
address, and the files and devices opened at start.

Registered in the client suite, which CI runs again under AddressSanitizer
(.ci/test): there a station that leaves what it parsed unfreed on its way
out is stopped by LeakSanitizer (exit -6, "detected memory leaks"), and
the exit status no longer matches.  The strings of the command line were
leaked that way on every refusal.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sltest import check, run  # noqa: E402

# The hub is never reached: each option is refused first.
BASE = ["--hub", "ws://127.0.0.1:9", "--token", "not-a-token", "--quiet",
        "--audio-in", "test"]


def main(build, procs):
    missing = os.path.join(procs.workdir, "missing")
    cases = [
        ("township", ["--voice-processing", "aec+agc"],
         "--voice-processing 'aec+agc' is not one of off, aec, aec+ns"),
        ("township", ["--x264-options", "aq-mode=1", "--width", "1921"],
         "--width must be an even number from 64 to 1920"),
        ("township", ["--no-such-option"], "Unknown option --no-such-option"),
        ("township", ["--machine", os.path.join(missing, "m.json")],
         "--machine %s: cannot read it" % os.path.join(missing, "m.json")),
        ("township", ["--stats", os.path.join(missing, "s.jsonl")],
         "cannot open --stats %s" % os.path.join(missing, "s.jsonl")),
        ("expert", ["--jitter-ms", "5000", "--ice-address", "127.0.0.1"],
         "--jitter-ms must be between 0 and 2000"),
        ("expert", ["--guidance-script", os.path.join(missing, "g.txt"),
                    "--sink", "none", "--peer-id", "e1"],
         "--guidance-script"),
        ("expert", ["--record", "/proc/no-such-folder"],
         "--record: cannot make the folder"),
    ]
    for who, extra, message in cases:
        program = build.township if who == "township" else build.expert
        out = subprocess.run([program] + BASE + extra, capture_output=True,
                             text=True, timeout=60)
        first = out.stderr.strip().splitlines()[:1]
        check(out.returncode == 2 and message in out.stderr,
              "%s %s: exit 2 and '%s' (exit %d, %s)"
              % (who, " ".join(extra), message, out.returncode,
                 first[0] if first else "nothing on stderr"))
        check("LeakSanitizer" not in out.stderr,
              "%s %s: nothing left unfreed" % (who, " ".join(extra)))


if __name__ == "__main__":
    run(main)
