#!/usr/bin/env python3
"""Careless options are refused at start, before joining, with exit 2.

Each case runs a real station against a real hub with a valid token and
one bad option, and asserts exit status 2, a message naming the option
and what is wrong, and that the hub never saw it join:

- --stills-dir on a read-only file system (a tmpfs mounted read-only in a
  mount namespace of the station's own): before, it was accepted and the
  patient's still was lost when it came;
- --sink and --audio-out naming an element that does not exist: before,
  accepted and failing only once a session opened;
- --width 1921 and --height 721: the message gives the real rule (even,
  64 to 1920 / 1080), not "between 0 and 1920".

And a hub that cannot be reached is said to be so while the station
retries, not "waiting for an expert to join" (which it printed for 35 s
before the final "could not reach the hub").
"""

import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sltest import Hub, check, run, station_args  # noqa: E402


def read_only_dir(workdir):
    """A command prefix that runs a program with DIR read-only, and DIR;
    None where mount namespaces are not available."""
    path = os.path.join(workdir, "read-only")
    os.makedirs(path)
    probe = subprocess.run(["unshare", "-m", "sh", "-c",
                            "mount -t tmpfs -o ro none \"$0\"", path],
                           capture_output=True)
    if probe.returncode != 0:
        return None, path
    return ["unshare", "-m", "sh", "-c",
            'mount -t tmpfs -o ro none "$0" && exec "$@"', path], path


def main(build, procs):
    hub = Hub(build, procs).start()
    room = "careless"
    t_token = hub.token_file("t", hub.token(room, "township"))
    e_token = hub.token_file("e", hub.token(room, "expert"))
    prefix, ro_dir = read_only_dir(procs.workdir)
    cases = [
        ("expert", ["--sink", "gst:bogussink"],
         'bad GStreamer description for --sink: no element "bogussink"'),
        ("expert", ["--audio-out", "gst:nosuchsink"],
         'bad GStreamer description for --audio-out: no element '
         '"nosuchsink"'),
        ("township", ["--width", "1921"],
         "--width must be an even number from 64 to 1920 (default 1280)"),
        ("township", ["--height", "721"],
         "--height must be an even number from 64 to 1080 (default 720)"),
    ]
    if prefix is not None:
        cases.append(("expert", ["--stills-dir", ro_dir],
                      "cannot write stills into --stills-dir %s: Read-only "
                      "file system" % ro_dir))
    else:
        print("info: no mount namespace here; the read-only --stills-dir "
              "case is not run")
    for role, extra, message in cases:
        exe = build.township if role == "township" else build.expert
        argv = [exe] + station_args(
            hub, t_token if role == "township" else e_token,
            os.path.join(procs.workdir, "stats.jsonl"),
            ["--audio-in", "none"] + extra)
        if "--stills-dir" in extra:
            argv = prefix + argv
        out = subprocess.run(argv, capture_output=True, text=True,
                             timeout=30)
        check(out.returncode == 2 and message in out.stderr,
              "%s %s: exit 2 and '%s' (exit %d, %s)" % (
                  role, " ".join(extra), message, out.returncode,
                  out.stderr.strip()[-300:]))
    check("joined" not in procs.log(hub.proc),
          "no station with a bad option joined the room")
    unreachable(build, procs, t_token)


def unreachable(build, procs, token):
    """A port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = "ws://127.0.0.1:%d/ws" % port
    out = subprocess.run(
        [build.township, "--hub", url, "--token-file", token, "--audio-in",
         "none", "--audio-out", "none", "--connect-timeout", "7"],
        capture_output=True, text=True, timeout=60)
    said = out.stdout + out.stderr
    check("cannot reach the hub at %s yet (" % url in said
          and "Connection refused); retrying" in said,
          "the township says it cannot reach the hub while it retries (%s)"
          % said.strip()[-300:])
    check("waiting for an expert" not in said,
          "and does not claim to wait for an expert")
    check(out.returncode == 4 and "could not reach the hub at %s within 7 s"
          % url in out.stderr,
          "it gives up after --connect-timeout with exit 4 (exit %d)" %
          out.returncode)


if __name__ == "__main__":
    run(main)
