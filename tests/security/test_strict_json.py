#!/usr/bin/env python3
"""Issue 14, finding 6: escapes that strict JSON refuses must be refused
by the hub.  json-glib read "\\377" as a raw 0xff byte, which then made
libsoup log a critical (fatal under G_DEBUG=fatal-criticals) when the hub
relayed it; "\\0" cut a string short, and "\\q" passed.  Each must be
answered with bad-message, relayed to no one, and leave the hub running.

Usage: test_strict_json.py SONOLINK_HUB
"""
import sys

from sechub import Hub, check, drain, expect, join, relay_works, run

BAD = [
    r'{"type":"sdp","to":"exp","sdp_type":"offer","sdp":"v=0\377"}',
    r'{"type":"sdp","to":"exp","sdp_type":"offer","sdp":"v=0\0HIDDEN"}',
    r'{"type":"sdp","to":"exp","sdp_type":"offer","sdp":"v=0\q"}',
    r'{"type":"sdp","to":"exp","sdp_type":"offer","sdp":"v=0","sdp":"v=1"}',
]


def main(exe, workdir, hubs):
    hub = Hub(exe, workdir)
    hubs.append(hub)
    hub.start("--burst", "1000", env={"G_DEBUG": "fatal-criticals"})
    town = join(hub, "r1", "township", "town")
    expect(town, "welcome")
    exp = join(hub, "r1", "expert", "exp")
    expect(exp, "welcome")
    drain(town)
    for i, text in enumerate(BAD):
        town.send_text(text)
        msg = expect(town, "error", "non-strict message %d" % i)
        check(msg["code"] == "bad-message" and hub.alive(),
              "non-strict message %d is refused as bad-message" % i)
        if i == 2:
            # Five malformed messages close a connection: start afresh.
            town.close()
            town = join(hub, "r1", "township", "town")
            expect(town, "welcome")
    check(hub.alive(), "the hub is still running under fatal-criticals")
    check(relay_works(town, exp, "after-strict"),
          "the expert received none of them, and relay still works")


if __name__ == "__main__":
    sys.exit(run(main))
