#!/usr/bin/env python3
"""The README's demo command: a live consultation, and Ctrl-C stops it all.

Runs .ci/demo against the already-built tree (skipping the package set-up
step, which the CI run has just done), lets the expert decode the phantom,
then presses Ctrl-C on the demo and checks that no process it started is
left behind.
"""

import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sltest import (check, png_size, run, session_records, wait_for,
                    TestFailure)


def processes_mentioning(text):
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode("utf-8",
                                                               "replace")
        except OSError:
            continue
        if text in cmdline and "test_demo.py" not in cmdline:
            found.append((int(pid), cmdline))
    return found


def main(build, procs):
    source_root = os.path.abspath(os.path.join(
        os.path.dirname(__file__), "..", ".."))
    build_dir = os.path.dirname(os.path.dirname(os.path.abspath(build.township)))
    demo_dir = os.path.join(procs.workdir, "demo")
    env = {"SL_DEMO_SKIP_SETUP": "1", "SL_BUILD_DIR": build_dir,
           "SL_DEMO_DIR": demo_dir}
    demo = procs.start("demo", ["bash", os.path.join(source_root, ".ci",
                                                     "demo")], env=env)
    e_stats = os.path.join(demo_dir, "expert.jsonl")
    wait_for(lambda: any(r.get("frames_decoded", 0) > 60
                         for r in session_records(e_stats)), 30,
             "the demo's expert to decode 60 frames")
    check(True, "the demo's expert receives the live phantom")
    wait_for(lambda: png_size(os.path.join(demo_dir, "expert.png")), 10,
             "the demo's snapshot")
    check(png_size(os.path.join(demo_dir, "expert.png")) == (1280, 720),
          "the demo keeps a 1280x720 snapshot of the expert's view")

    check(len(processes_mentioning(demo_dir)) >= 3,
          "hub, township and expert run")
    demo.send_signal(signal.SIGINT)
    try:
        status = demo.wait(timeout=20)
    except subprocess.TimeoutExpired:
        raise TestFailure("the demo did not stop within 20 s of Ctrl-C")
    check(status in (0, 130), "the demo stops on Ctrl-C (status %d)" % status)
    left = processes_mentioning(demo_dir)
    check(not left, "no process is left behind (%s)" % left)


if __name__ == "__main__":
    run(main)
