#!/usr/bin/env python3
"""Issue 14, finding 9 (room places): recorder and trainee tokens must not
be able to fill a room and lock out the township and the expert.  A room's
places are divided by role.

Usage: test_room_places.py SONOLINK_HUB
"""
import sys

from sechub import Hub, check, expect, join, run


def main(exe, workdir, hubs):
    hub = Hub(exe, workdir)
    hubs.append(hub)
    hub.start()
    token = hub.token("r1", "recorder")
    held, refused = [], 0
    for i in range(64):
        ws = join(hub, "r1", "recorder", "rec-%d" % i, source="127.0.0.5",
                  token=token)
        msg = ws.recv_json()
        if msg["type"] == "welcome":
            held.append(ws)
        else:
            refused += 1
            ws.close()
    check(refused > 0, "one recorder token cannot take all 64 places "
          "(%d admitted, %d refused)" % (len(held), refused))
    town = join(hub, "r1", "township", "town")
    expect(town, "welcome", "the township after the recorder flood")
    exp = join(hub, "r1", "expert", "exp")
    expect(exp, "welcome", "the expert after the recorder flood")
    check(True, "the township and the expert still join")


if __name__ == "__main__":
    sys.exit(run(main))
