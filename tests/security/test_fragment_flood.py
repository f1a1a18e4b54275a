#!/usr/bin/env python3
"""Issue 14, finding 4: libsoup bounds each WebSocket frame, not the
message it reassembles, so one unauthenticated connection sending endless
continuation fragments took the hub from 16 to 556 MB.  The hub must close
such a connection at the first fragment beyond the message bound (4 x the
message size limit: 256 KiB) and its memory must stay flat.

Usage: test_fragment_flood.py SONOLINK_HUB
"""
import sys

from sechub import (Failure, Hub, OP_CONT, OP_TEXT, check, closed_by_peer,
                    expect, frame_header, join, raw_websocket, relay_works,
                    run)

CHUNK = 60000
MAX_SENT = 64 * 1024 * 1024
MAX_GROWTH_KIB = 16 * 1024


def main(exe, workdir, hubs):
    hub = Hub(exe, workdir)
    hubs.append(hub)
    hub.start()
    town = join(hub, "r1", "township", "town")
    expect(town, "welcome")
    exp = join(hub, "r1", "expert", "exp")
    expect(exp, "welcome")
    before = hub.rss_kib()
    sock = raw_websocket(hub.port, source="127.0.0.7")
    payload = b"\0" * CHUNK
    sent = 0
    try:
        sock.sendall(frame_header(OP_TEXT, CHUNK, False) + payload)
        sent += CHUNK
        while sent < MAX_SENT:
            sock.sendall(frame_header(OP_CONT, CHUNK, False) + payload)
            sent += CHUNK
    except OSError:
        pass
    growth = hub.rss_kib() - before
    print("sent %d KiB of fragments; hub RSS grew by %d KiB"
          % (sent // 1024, growth))
    if sent >= MAX_SENT and not closed_by_peer(sock, 5):
        raise Failure("the hub took %d MiB of continuation fragments "
                      "without closing the connection" % (sent >> 20))
    check(closed_by_peer(sock, 5), "the fragment flood's connection is "
          "closed after %d KiB" % (sent // 1024))
    check(growth < MAX_GROWTH_KIB, "the hub's memory stays bounded "
          "(grew %d KiB, bound %d)" % (growth, MAX_GROWTH_KIB))
    check(hub.alive() and relay_works(town, exp, "after-fragments"),
          "the room carries on")
    check("WebSocket message too large" in hub.log(),
          "the refusal is logged")


if __name__ == "__main__":
    sys.exit(run(main))
