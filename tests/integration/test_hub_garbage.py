#!/usr/bin/env python3
"""A hub that sends what a station cannot read: the station says so, in
its own words, and goes on.

A stand-in hub (a WebSocket server on the standard library, here) accepts
an expert's hello, welcomes it into an empty room, then sends messages no
sonolink-hub sends: bytes that are not JSON, JSON that is not an object,
an unknown type, a known type with fields of the wrong kind.  The expert
must:

- print one clear line of its own for each ("ignored a message from the
  hub that is not one of the protocol (...)"), not a raw GLib warning
  ("sl-hub-client-WARNING **: ...") as before;
- stay joined: a well-formed peer-joined after the garbage is still
  handled (the expert logs the township that joined);
- after ten such lines, say that further ones go to the debug log and
  print no more, so that a hub sending garbage cannot flood the terminal.
"""

import base64
import hashlib
import json
import os
import socket
import struct
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "hub"))
from sltest import Hub, check, run, wait_for  # noqa: E402
from wsclient import GUID, OP_CLOSE, OP_TEXT  # noqa: E402

RAW_GLIB = ("-Message:", "-WARNING **", "-CRITICAL **", "** (")
LINE = "ignored a message from the hub that is not one of the protocol"

GARBAGE = [
    b"this is not JSON",
    b"[1, 2, 3]",
    b'{"type": "no-such-type"}',
    b'{"type": "peer-joined", "peer_id": 7, "role": "township"}',
    b'{"type": "sdp", "from": "t", "to": "e", "sdp_type": 1, "sdp": "v=0"}',
    b'{"type": "peer-joined", "peer_id": "a", "peer_id": "b", '
    b'"role": "township"}',
]


def server_frame(opcode, payload):
    """One unmasked server frame."""
    head = bytearray([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head.append(n)
    elif n < 65536:
        head.append(126)
        head += struct.pack(">H", n)
    else:
        head.append(127)
        head += struct.pack(">Q", n)
    return bytes(head) + payload


class FakeHub:
    """Accepts one station, reads its hello, welcomes it, then sends what
    the test gives it."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.hello = None
        self.conn = None
        self.buf = b""
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _read(self, n):
        while len(self.buf) < n:
            data = self.conn.recv(4096)
            if not data:
                raise EOFError("the station closed the connection")
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _read_frame(self):
        b0, b1 = self._read(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self._read(8))[0]
        mask = self._read(4) if b1 & 0x80 else b"\0\0\0\0"
        body = self._read(n)
        return b0 & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(body))

    def _accept(self):
        self.listener.settimeout(30)
        self.conn, _ = self.listener.accept()
        self.conn.settimeout(30)
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.conn.recv(4096)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        key = ""
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "sec-websocket-key":
                key = value.strip()
        accept = base64.b64encode(
            hashlib.sha1(key.encode() + GUID).digest()).decode()
        self.conn.sendall(("HTTP/1.1 101 Switching Protocols\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: %s\r\n\r\n" % accept)
                          .encode())
        while self.hello is None:
            opcode, payload = self._read_frame()
            if opcode == OP_TEXT:
                self.hello = json.loads(payload)

    def send(self, payload):
        self.conn.sendall(server_frame(OP_TEXT, payload))

    def close(self):
        if self.conn is not None:
            try:
                self.conn.sendall(server_frame(OP_CLOSE,
                                               struct.pack(">H", 1000)))
            except OSError:
                pass
            self.conn.close()
        self.listener.close()


def main(build, procs):
    hub = FakeHub()
    # A real token (the stand-in does not check it; the station reads it).
    real = Hub(build, procs)
    token = real.token_file("e", real.token("garbage", "expert"))
    expert = procs.start("expert", [
        build.expert, "--hub", "ws://127.0.0.1:%d" % hub.port,
        "--token-file", token, "--audio-in", "none", "--audio-out", "none",
        "--sink", "none", "--connect-timeout", "20"])
    wait_for(lambda: hub.hello is not None, 30, "the expert's hello")
    check(hub.hello.get("type") == "hello", "the expert said hello")
    hub.send(json.dumps({
        "type": "welcome", "version": 1, "peer_id": hub.hello["peer_id"],
        "room": "garbage", "role": "expert", "peers": []}).encode())
    wait_for(lambda: "joined the room as expert" in procs.log(expert), 15,
             "the expert to join")

    for payload in GARBAGE:
        hub.send(payload)
    hub.send(json.dumps({"type": "peer-joined", "peer_id": "town-1",
                         "role": "township"}).encode())
    wait_for(lambda: "township town-1 joined" in procs.log(expert), 15,
             "the expert to handle a good message after the garbage")
    log = procs.log(expert)
    check(log.count(LINE) == len(GARBAGE),
          "one line of the station's own for each of the %d unreadable "
          "messages (%d)" % (len(GARBAGE), log.count(LINE)))
    check("unknown message type" in log and "not a JSON object" in log,
          "the lines say what was wrong with the message")
    check(not any(raw in log for raw in RAW_GLIB),
          "no raw GLib log line (%s)" % log.strip()[-400:])

    # A flood: ten lines in all, the tenth saying where the rest go.
    for i in range(30):
        hub.send(b"garbage %d" % i)
    hub.send(json.dumps({"type": "peer-left", "peer_id": "town-1",
                         "bye": True}).encode())
    wait_for(lambda: "peer town-1 left" in procs.log(expert), 15,
             "the expert to handle a good message after the flood")
    log = procs.log(expert)
    check(log.count(LINE) == 10 and "further unreadable messages are "
          "logged at debug level" in log,
          "a flood of garbage prints ten lines, the last saying that the "
          "rest are logged at debug level (%d)" % log.count(LINE))
    check(expert.poll() is None, "the expert is still running")
    hub.close()
    procs.stop(expert)


if __name__ == "__main__":
    run(main)
