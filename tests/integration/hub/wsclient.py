"""A small WebSocket client (RFC 6455) on the Python standard library.

Enough for testing sonolink-hub from outside: the opening handshake, masked
client frames, text/binary/close/ping/pong, fragmented messages, and
optional TLS.  Every read has a deadline, so a test waits for an event and
fails clearly instead of hanging.  Not a general-purpose client: no
extensions, no subprotocols.
"""

import base64
import hashlib
import json
import os
import socket
import ssl
import struct
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA


class Closed(Exception):
    """The server closed the connection; .code and .reason say how."""

    def __init__(self, code, reason):
        super().__init__("connection closed with code %s (%s)" % (code, reason))
        self.code = code
        self.reason = reason


class Timeout(Exception):
    pass


def encode_frame(opcode, payload, fin=True):
    """One masked client frame."""
    head = bytearray([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head.append(0x80 | n)
    elif n < 65536:
        head.append(0x80 | 126)
        head += struct.pack(">H", n)
    else:
        head.append(0x80 | 127)
        head += struct.pack(">Q", n)
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes(head) + mask + body


class WebSocket:
    def __init__(self, host, port, path="/ws", tls_context=None,
                 server_hostname=None, timeout=10.0, source=None):
        # source: a local address to connect from (e.g. another loopback
        # address, to stand for another client machine).
        raw = socket.create_connection(
            (host, port), timeout=timeout,
            source_address=(source, 0) if source else None)
        if tls_context is not None:
            raw = tls_context.wrap_socket(
                raw, server_hostname=server_hostname or host)
        self.sock = raw
        self.buf = b""
        self.closed = None  # (code, reason) once a close frame arrived
        self._handshake(host, port, path, timeout)

    # ---- low level ----

    def _recv_some(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Timeout("no data before the deadline")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise Timeout("no data before the deadline")
        except (ConnectionResetError, ssl.SSLError):
            data = b""
        if not data:
            raise Closed(1006, "connection lost without a close frame")
        self.buf += data

    def _read_exact(self, n, deadline):
        while len(self.buf) < n:
            self._recv_some(deadline)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _handshake(self, host, port, path, timeout):
        key = base64.b64encode(os.urandom(16)).decode()
        request = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n" % (path, host, port, key))
        self.sock.sendall(request.encode())
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            self._recv_some(deadline)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if " 101 " not in lines[0] + " ":
            raise RuntimeError("handshake refused: %s" % lines[0])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        expected = base64.b64encode(
            hashlib.sha1(key.encode() + GUID).digest()).decode()
        if headers.get("sec-websocket-accept") != expected:
            raise RuntimeError("bad Sec-WebSocket-Accept")

    def _read_frame(self, deadline):
        b0, b1 = self._read_exact(2, deadline)
        opcode, fin = b0 & 0x0F, bool(b0 & 0x80)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self._read_exact(2, deadline))[0]
        elif n == 127:
            n = struct.unpack(">Q", self._read_exact(8, deadline))[0]
        if b1 & 0x80:
            raise RuntimeError("the server masked a frame")
        return opcode, fin, self._read_exact(n, deadline)

    # ---- API ----

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_text(self, text):
        self.send_raw(encode_frame(OP_TEXT, text.encode("utf-8")))

    def send_bytes_as_text(self, payload):
        """A text frame with arbitrary bytes (for invalid UTF-8 tests)."""
        self.send_raw(encode_frame(OP_TEXT, payload))

    def send_binary(self, payload):
        self.send_raw(encode_frame(OP_BINARY, payload))

    def send_json(self, obj):
        self.send_text(json.dumps(obj))

    def recv(self, timeout=10.0):
        """The next data message as str (text) or bytes (binary).

        Answers pings on the way; raises Closed when a close frame
        arrives (after answering it) and Timeout at the deadline."""
        if self.closed:
            raise Closed(*self.closed)
        deadline = time.monotonic() + timeout
        parts, kind = [], None
        while True:
            opcode, fin, payload = self._read_frame(deadline)
            if opcode == OP_PING:
                self.send_raw(encode_frame(OP_PONG, payload))
                continue
            if opcode == OP_PONG:
                continue
            if opcode == OP_CLOSE:
                code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
                reason = payload[2:].decode("utf-8", "replace")
                self.closed = (code, reason)
                try:
                    self.send_raw(encode_frame(OP_CLOSE, payload[:2]))
                except OSError:
                    pass
                raise Closed(code, reason)
            if opcode in (OP_TEXT, OP_BINARY):
                kind = opcode
            parts.append(payload)
            if fin:
                data = b"".join(parts)
                return data.decode("utf-8") if kind == OP_TEXT else data

    def recv_json(self, timeout=10.0):
        return json.loads(self.recv(timeout))

    def wait_closed(self, timeout=10.0):
        """Reads (and returns) messages until the close frame; returns
        (code, reason, messages)."""
        messages = []
        while True:
            try:
                messages.append(self.recv(timeout))
            except Closed as closed:
                return closed.code, closed.reason, messages

    def close(self, code=1000):
        try:
            if not self.closed:
                self.send_raw(encode_frame(OP_CLOSE, struct.pack(">H", code)))
        except OSError:
            pass
        self.sock.close()
