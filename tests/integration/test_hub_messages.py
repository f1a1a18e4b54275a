#!/usr/bin/env python3
"""What a station says when its hub cannot be used, and its exit status.

- wss:// to a hub that serves plain ws:// (no --tls-cert), with
  --connect-timeout 4: the station gives up at its own deadline, before
  libsoup's 10 s I/O time-out would have ended the attempt (so the reason
  is "no answer", not "Socket I/O timed out" as before, after 10.3 s),
  with a hint to try ws://, and exit 4;
- ws:// to a hub that serves wss://: a hint to try wss://, exit 4
  (skipped where openssl is missing);
- a port where nothing listens: "Connection refused", no TLS hint;
- an expert given a township's token: exit 3, "expert needs an expert, a
  trainee or a recorder token";
- none of them prints a raw GLib log line ("sl-station-Message: ...").
"""

import os
import shutil
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "hub"))
from sltest import Hub, check, run, wait_for  # noqa: E402
from test_hub import make_cert  # noqa: E402

RAW_GLIB = ("-Message:", "-WARNING **", "-CRITICAL **", "** (")


def station(exe, url, token, timeout_s):
    out = subprocess.run(
        [exe, "--hub", url, "--token-file", token, "--audio-in", "none",
         "--audio-out", "none", "--sink", "none", "--connect-timeout",
         str(timeout_s)],
        capture_output=True, text=True, timeout=60)
    said = out.stdout + out.stderr
    check(not any(raw in said for raw in RAW_GLIB),
          "no raw GLib log line in what the station printed (%s)" %
          said.strip()[-300:])
    return out.returncode, said


def main(build, procs):
    hub = Hub(build, procs).start()
    room = "messages"
    e_token = hub.token_file("e", hub.token(room, "expert"))
    t_token = hub.token_file("t", hub.token(room, "township"))
    port = hub.url.rsplit(":", 1)[1]

    status, said = station(build.expert, "wss://127.0.0.1:%s" % port,
                           e_token, 4)
    check(status == 4 and "within 4 s: no answer (is the hub serving plain "
          "ws://? a hub without --tls-cert does: try ws://)" in said,
          "wss:// to a plain hub: given up at --connect-timeout 4 with a "
          "hint to try ws://, exit 4 (exit %d: %s)" % (status,
                                                       said.strip()[-300:]))

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    status, said = station(build.expert, "ws://127.0.0.1:%d" % free,
                           e_token, 3)
    check(status == 4 and "Connection refused" in said and "try ws" not in
          said, "a port nothing listens on: refused, no TLS hint, exit 4 "
          "(exit %d: %s)" % (status, said.strip()[-300:]))

    status, said = station(build.expert, hub.url, t_token, 10)
    check(status == 3 and "this token is for the township role; expert "
          "needs an expert, a trainee or a recorder token" in said,
          "an expert with a township's token: exit 3 and which token it "
          "needs (exit %d: %s)" % (status, said.strip()[-300:]))

    if shutil.which("openssl") is None:
        print("info: openssl is not installed; the ws:// to wss:// case is "
              "not run")
        return
    cert, key = make_cert(procs.workdir)
    port_file = os.path.join(procs.workdir, "tls.port")
    procs.start("tls-hub", [build.hub, "serve", "--listen", "127.0.0.1:0",
                            "--secret", hub.secret, "--port-file", port_file,
                            "--tls-cert", cert, "--tls-key", key])
    tls_port = wait_for(lambda: os.path.exists(port_file) and
                        open(port_file).read().strip(), 15,
                        "the TLS hub's port file")
    status, said = station(build.expert, "ws://127.0.0.1:%s" % tls_port,
                           e_token, 4)
    check(status == 4 and "(is the hub serving wss://? a hub with "
          "--tls-cert does: try wss://)" in said,
          "ws:// to a TLS hub: a hint to try wss://, exit 4 (exit %d: %s)"
          % (status, said.strip()[-300:]))


if __name__ == "__main__":
    run(main)
