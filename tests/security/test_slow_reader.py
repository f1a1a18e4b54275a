#!/usr/bin/env python3
"""Issue 14, finding 5: the hub queued without limit toward a member that
never reads (relaying 64 kB SDPs to one grew the hub by 59 MB in 25 s).
Now the bytes queued toward a station are capped (1 MiB by default): a
station that lets more pile up is closed as a slow reader (4507, logged),
the others are told it left, and the hub's memory stays flat.

Usage: test_slow_reader.py SONOLINK_HUB
"""
import json
import socket
import sys
import threading

from sechub import (Hub, check, encode_frame, expect, join, relay_works, run,
                    wait_for, ws_upgrade_request, OP_TEXT)

N_OFFERS = 400
SDP = "v=0 " + "a" * 60000
MAX_GROWTH_KIB = 16 * 1024


def slow_member(hub):
    """A trainee that joins, reads its welcome, then never reads again,
    with a small receive buffer so that the hub's queue is what fills."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.bind(("127.0.0.8", 0))
    sock.connect(("127.0.0.1", hub.port))
    sock.sendall(ws_upgrade_request(hub.port))
    hello = {"type": "hello", "version": 1,
             "token": hub.token("r1", "trainee"), "peer_id": "slow"}
    sock.sendall(encode_frame(OP_TEXT, json.dumps(hello).encode()))
    data = b""
    while b'"welcome"' not in data:
        data += sock.recv(4096)
    return sock


def reader(ws, seen, stop):
    """Drains the township's socket so that it is not a slow reader
    itself, noting the peer-left of the slow member."""
    ws.sock.settimeout(0.2)
    data = b""
    while not stop.is_set():
        try:
            chunk = ws.sock.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return
        if not chunk:
            return
        data = data[-200:] + chunk
        if b'"peer-left","peer_id":"slow"' in data:
            seen.set()


def main(exe, workdir, hubs):
    hub = Hub(exe, workdir)
    hubs.append(hub)
    hub.start("--rate", "1000", "--burst", "1000")
    town = join(hub, "r1", "township", "town")
    expect(town, "welcome")
    slow = slow_member(hub)
    expect(town, "peer-joined", peer_id="slow")
    before = hub.rss_kib()
    seen, stop = threading.Event(), threading.Event()
    thread = threading.Thread(target=reader, args=(town, seen, stop),
                              daemon=True)
    thread.start()
    frame = json.dumps({"type": "sdp", "to": "slow", "sdp_type": "offer",
                        "sdp": SDP})
    for _ in range(N_OFFERS):
        town.send_text(frame)
    left = seen.wait(15)
    growth = hub.rss_kib() - before
    stop.set()
    thread.join()
    print("relayed %d offers of %d KiB; hub RSS grew by %d KiB"
          % (N_OFFERS, len(SDP) // 1024, growth))
    check(left, "the member that does not read is closed and the room "
          "told it left")
    check(growth < MAX_GROWTH_KIB, "the hub's memory stays bounded (grew "
          "%d KiB, bound %d)" % (growth, MAX_GROWTH_KIB))
    check("slow-reader" in hub.log() and "4507" in hub.log(),
          "the slow reader is logged with its close code")
    exp = join(hub, "r1", "expert", "exp")
    expect(exp, "welcome")
    town2 = join(hub, "r1", "township", "town")
    expect(town2, "welcome", "the township reconnecting")
    check(relay_works(town2, exp, "after-slow"), "the room carries on")
    slow.close()


if __name__ == "__main__":
    sys.exit(run(main))
