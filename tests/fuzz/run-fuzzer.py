#!/usr/bin/env python3
"""Runs one libFuzzer target for a bounded time, as a meson test.

Usage: run-fuzzer.py TARGET CORPUS_DIR SECONDS

The committed corpus is read but never written: new inputs go to a scratch
folder that is removed afterwards, and a crash's input is kept in the
build folder (crash-*, printed) so it can be added to the corpus once
fixed.  Exit status: 0 when the time ran out with no finding, 1 for a
finding (a crash, a leak or a timeout).
"""
import os
import shutil
import subprocess
import sys
import tempfile


def main():
    target, corpus, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    scratch = tempfile.mkdtemp(prefix="sl-fuzz-")
    artifacts = os.path.join(os.getcwd(), os.path.basename(target) + "-")
    try:
        # libFuzzer exits 77 on a finding by default, which meson takes
        # for a skipped test: a crash must fail the run.
        cmd = [target, "-max_total_time=%d" % seconds, "-timeout=10",
               "-rss_limit_mb=2048", "-print_final_stats=1",
               "-error_exitcode=1", "-timeout_exitcode=1",
               "-artifact_prefix=" + artifacts, scratch, corpus]
        print("$ " + " ".join(cmd), flush=True)
        return subprocess.call(cmd)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
