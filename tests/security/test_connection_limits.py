#!/usr/bin/env python3
"""Issue 14, finding 3: anyone who could reach the hub's port could stop
it accepting for good.  With the descriptor limit at 64, 80 idle
connections made accept() fail with EMFILE, and the hub never accepted
again, even once they were all closed.  Now: it accepts again as soon as
descriptors free up (saying so in its log), connections are limited per
source and in total, and connections that never send a complete request
are closed at a deadline.

Usage: test_connection_limits.py SONOLINK_HUB
"""
import socket
import sys

from sechub import (Hub, check, closed_by_peer, expect, healthz, join,
                    relay_works, run, wait_for)


def idle_sockets(port, n, source):
    """Up to @n established connections that send nothing.  Once the
    hub's listen backlog is full a connect may time out: those are
    skipped."""
    out = []
    for _ in range(n):
        try:
            out.append(socket.create_connection(
                ("127.0.0.1", port), timeout=0.5,
                source_address=(source, 0)))
        except OSError:
            pass
    return out


def check_emfile(exe, workdir, hubs):
    hub = Hub(exe, workdir, name="hub-64")
    hubs.append(hub)
    hub.start(nofile=64)
    idle = idle_sockets(hub.port, 80, "127.0.0.2")
    wait_for(lambda: "cannot accept" in hub.log() or hub.n_fds() >= 63, 10,
             "the hub to run out of descriptors", interval=0.1)
    check(True, "80 idle connections exhaust the hub's 64 descriptors")
    for s in idle:
        s.close()
    h = wait_for(lambda: _healthz_or_none(hub.port), 20,
                 "/healthz after the idle connections closed")
    check(h["status"] == "ok",
          "the hub accepts again once the connections are closed")
    check("cannot accept" in hub.log() and "accepting connections again"
          in hub.log(), "running out of descriptors and recovering are "
          "logged")
    hub.stop()


def _healthz_or_none(port):
    try:
        return healthz(port, timeout=1)
    except OSError:
        return None


def check_limits_and_deadlines(exe, workdir, hubs):
    hub = Hub(exe, workdir, name="hub-limits")
    hubs.append(hub)
    hub.start("--max-connections-per-source", "8", "--request-timeout", "2")
    town = join(hub, "r1", "township", "town")
    expect(town, "welcome")
    exp = join(hub, "r1", "expert", "exp")
    expect(exp, "welcome")
    flood = []
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", hub.port),
                                     source_address=("127.0.0.3", 0))
        flood.append(s)
    refused = sum(closed_by_peer(s, 0.5) for s in flood[8:])
    check(refused == 12, "connections beyond 8 from one source are closed "
          "at once (%d of 12)" % refused)
    fresh = join(hub, "r1", "trainee", "fresh")
    expect(fresh, "welcome", "a station from another source")
    check(relay_works(town, exp, "during-flood"),
          "the room carries on during the flood")
    partial = socket.create_connection(("127.0.0.1", hub.port),
                                       source_address=("127.0.0.4", 0))
    partial.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-")
    check(closed_by_peer(partial, 8),
          "a partial request is closed at the request deadline")
    check(all(closed_by_peer(s, 8) for s in flood[:8]),
          "idle connections are closed at the request deadline")
    check("sent no complete request" in hub.log(),
          "the deadline is logged")
    hub.stop()


def main(exe, workdir, hubs):
    check_emfile(exe, workdir, hubs)
    check_limits_and_deadlines(exe, workdir, hubs)


if __name__ == "__main__":
    sys.exit(run(main))
