"""Shared pieces of the security tests: a sonolink-hub on loopback, tokens,
members that join a room, raw sockets and the hub's memory.

Every test starts its own hub with a fresh secret on an ephemeral port and
speaks to it with the standard-library WebSocket client of the hub's
integration test.  Waits poll for an event with a deadline; nothing here
sleeps in place of waiting for something.  Clients may connect from other
loopback addresses (127.0.0.2, ...) to stand for other machines, since the
hub counts connections per source address.
"""

import base64
import hashlib
import hmac
import json
import os
import resource
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration", "hub"))
from wsclient import (Closed, Timeout, WebSocket, encode_frame,  # noqa: E402,F401
                      OP_CONT, OP_TEXT, OP_CLOSE)


# The integration tests' check and wait (a failed check raises Failure).
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from sltest import TestFailure as Failure, check, wait_for  # noqa: E402,F401


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def read_file(path):
    try:
        with open(path) as f:
            return f.read().strip() or None
    except FileNotFoundError:
        return None


def asan_fast_unwind(options):
    """@options (ASAN_OPTIONS) with AddressSanitizer's fast unwinder on
    every malloc and free, and without the leak check at exit.

    The ASan run asks for the slow unwinder (fast_unwind_on_malloc=0),
    which LeakSanitizer needs to match its suppressions inside GLib: it
    unwinds the whole stack through libgcc at every allocation.  Under
    the abuse run's floods that made the hub spend its time in
    _Unwind_Backtrace (gdb: the main thread inside the unwinder below
    g_free), and the stations starting during them took so long that a
    trainee did not join in 32 s.  A process that must keep up with a
    flood keeps ASan's memory-error checks with short allocation stacks;
    its leaks are checked in the tests that run it without one."""
    return ":".join(o for o in (options, "fast_unwind_on_malloc=1",
                                "detect_leaks=0") if o)


class Hub:
    """One sonolink-hub process, its secret and its log."""

    def __init__(self, exe, workdir, name="hub"):
        self.exe = exe
        self.dir = workdir
        self.name = name
        self.secret = os.path.join(workdir, name + ".secret")
        self.proc = None
        out = subprocess.run([exe, "secret", "--out", self.secret],
                             capture_output=True, timeout=30)
        if out.returncode != 0:
            raise Failure("cannot make a secret: %s" % out.stderr)

    def start(self, *extra, nofile=None, env=None, fast_unwind=False):
        self.port_file = os.path.join(self.dir, self.name + ".port")
        self.log_path = os.path.join(self.dir, self.name + ".log")
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)

        def limit_fds():
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        env = dict(os.environ, **(env or {}))
        # Under AddressSanitizer freed memory waits in a quarantine of
        # 256 MiB, which would read as growth in the memory checks: a
        # small one keeps use-after-free detection and honest figures.
        env["ASAN_OPTIONS"] = ":".join(
            o for o in (env.get("ASAN_OPTIONS"), "quarantine_size_mb=4") if o)
        if fast_unwind:
            env["ASAN_OPTIONS"] = asan_fast_unwind(env["ASAN_OPTIONS"])
        self.proc = subprocess.Popen(
            [self.exe, "serve", "--listen", "127.0.0.1:0", "--secret",
             self.secret, "--port-file", self.port_file] + list(extra),
            stdout=subprocess.DEVNULL, stderr=open(self.log_path, "w"),
            stdin=subprocess.DEVNULL, preexec_fn=limit_fds, env=env)
        self.port = int(wait_for(lambda: read_file(self.port_file), 15,
                                 "the hub's port file"))
        return self

    def token(self, room, role, ttl="1h"):
        out = subprocess.run([self.exe, "token", "--secret", self.secret,
                              "--room", room, "--role", role, "--ttl", ttl],
                             capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            raise Failure("token minting failed: " + out.stderr)
        return out.stdout.strip()

    def raw_token(self, claims_text):
        """A token over claims given as raw JSON text (docs/signaling.md)."""
        with open(self.secret, "rb") as f:
            key = f.read().rstrip(b"\r\n")
        signed = "sl1." + b64url(claims_text.encode())
        mac = hmac.new(key, signed.encode(), hashlib.sha256).digest()
        return signed + "." + b64url(mac)

    def alive(self):
        return self.proc.poll() is None

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise Failure("no VmRSS for the hub")

    def n_fds(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def log(self):
        return read_file(self.log_path) or ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise Failure("the hub ignored SIGTERM for 15 s")
        return self.proc.returncode if self.proc else None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def http_get(port, path, timeout=5.0, source=None):
    """A bare HTTP/1.1 GET; returns (status, body) or raises on timeout."""
    sock = socket.create_connection(
        ("127.0.0.1", port), timeout=timeout,
        source_address=(source, 0) if source else None)
    try:
        sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Connection: close\r\n\r\n" % path).encode())
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    return status, body


def healthz(port, timeout=5.0):
    status, body = http_get(port, "/healthz", timeout)
    if status != 200:
        raise Failure("/healthz answered %s" % status)
    return json.loads(body)


def join(hub, room, role, peer_id, source=None, token=None):
    ws = WebSocket("127.0.0.1", hub.port, source=source)
    ws.send_json({"type": "hello", "version": 1,
                  "token": token or hub.token(room, role),
                  "peer_id": peer_id})
    ws.peer = peer_id
    return ws


def expect(ws, msg_type, what=None, timeout=10.0, **fields):
    msg = ws.recv_json(timeout)
    if msg.get("type") != msg_type or any(
            msg.get(k) != v for k, v in fields.items()):
        raise Failure("%s: expected %s %s, got %s" % (
            what or "message", msg_type, fields,
            {k: (v[:60] if isinstance(v, str) else v)
             for k, v in msg.items()}))
    return msg


def drain(ws, timeout=0.3):
    """Reads and returns what arrives within @timeout (presence noise)."""
    got = []
    while True:
        try:
            got.append(ws.recv_json(timeout))
        except Timeout:
            return got


def relay_works(a, b, marker):
    """a sends b a candidate; b must receive it next, skipping presence
    and relays from other members."""
    a.send_json({"type": "ice", "to": b.peer, "mline": 0,
                 "candidate": marker})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        msg = b.recv_json(max(0.1, deadline - time.monotonic()))
        if msg.get("type") == "ice" and msg.get("from") == a.peer:
            return msg.get("candidate") == marker
        if msg.get("type") not in ("peer-joined", "peer-left", "ice", "sdp"):
            return False
    return False


def ws_upgrade_request(port, key="dGhlIHNhbXBsZSBub25jZQ=="):
    return ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n" % (port, key)).encode()


def raw_websocket(port, source=None, timeout=10.0):
    """A socket past the WebSocket upgrade, for hand-made frames."""
    sock = socket.create_connection(
        ("127.0.0.1", port), timeout=timeout,
        source_address=(source, 0) if source else None)
    sock.sendall(ws_upgrade_request(port))
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise Failure("the hub closed during the upgrade")
        data += chunk
    if b" 101 " not in data.split(b"\r\n", 1)[0] + b" ":
        raise Failure("upgrade refused: %r" % data[:80])
    return sock


def closed_by_peer(sock, timeout):
    """True if the other end closes @sock within @timeout (data read on
    the way is discarded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            return False
        except OSError:
            return True
    return False


def frame_header(opcode, length, fin):
    """A masked client frame header (mask 0, so the payload goes as is)."""
    head = bytearray([(0x80 if fin else 0) | opcode])
    if length < 126:
        head.append(0x80 | length)
    elif length < 65536:
        head.append(0x80 | 126)
        head += struct.pack(">H", length)
    else:
        head.append(0x80 | 127)
        head += struct.pack(">Q", length)
    return bytes(head) + b"\0\0\0\0"


def run(main):
    """Runs main(exe, workdir); prints PASS or FAIL with the hub's log."""
    if len(sys.argv) < 2:
        sys.exit("usage: %s SONOLINK_HUB" % sys.argv[0])
    hubs = []
    with tempfile.TemporaryDirectory(prefix="sl-security-") as workdir:
        try:
            main(sys.argv[1], workdir, hubs)
        except (Failure, Closed, Timeout, OSError, ValueError, KeyError) as e:
            print("FAIL:", repr(e), flush=True)
            for hub in hubs:
                print("----- %s log (end) -----" % hub.name)
                print(hub.log()[-6000:] if hub.proc else "")
            for name in sorted(os.listdir(workdir)):
                if name.endswith(".station.log"):
                    with open(os.path.join(workdir, name), "rb") as f:
                        text = f.read().decode(errors="replace")
                    print("----- %s (start) -----" % name)
                    print(text[:2000])
                    print("----- %s (end) -----" % name)
                    print(text[-1500:])
            return 1
        finally:
            for hub in hubs:
                hub.kill()
    print("PASS")
    return 0
