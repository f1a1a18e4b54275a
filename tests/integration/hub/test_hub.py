#!/usr/bin/env python3
"""sonolink-hub from the outside: the real binary on loopback.

Starts the hub with a fresh secret on an ephemeral port, talks to it with a
minimal WebSocket client (wsclient.py) and checks the behaviour
docs/signaling.md promises: joining, presence, relay, refusals with their
error codes and close codes, limits that disconnect only the offender,
the loopback-only rule for plain ws://, wss:// with a self-signed
certificate, a clean shutdown, and that no token reaches the log.

Usage: test_hub.py SONOLINK_HUB.  Exit 0 on success, 1 on failure, 77
(skip) when openssl is missing, after all other checks passed.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wsclient import Closed, WebSocket  # noqa: E402

SKIP = 77


class Failure(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failure(what)
    print("ok:", what, flush=True)


def wait_for(predicate, timeout, what):
    """Polls predicate() until it is true or the deadline passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise Failure("timed out after %.0f s waiting for %s" % (timeout, what))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Hub:
    """One sonolink-hub process and what it needs."""

    def __init__(self, exe, workdir, name="hub"):
        self.exe = exe
        self.dir = workdir
        self.name = name
        self.secret = os.path.join(workdir, "hub.secret")
        self.proc = None
        self.tokens = []  # every token handed out, to check the log

    def run(self, *args, **kwargs):
        return subprocess.run([self.exe] + list(args), capture_output=True,
                              text=True, timeout=30, **kwargs)

    def make_secret(self):
        out = self.run("secret", "--out", self.secret)
        check(out.returncode == 0, "`secret` creates a secret file")

    def token(self, room, role, ttl="1h", secret=None):
        out = self.run("token", "--secret", secret or self.secret,
                       "--room", room, "--role", role, "--ttl", ttl)
        if out.returncode != 0:
            raise Failure("token minting failed: " + out.stderr)
        token = out.stdout.strip()
        self.tokens.append(token)
        return token

    def python_token(self, room, role, iat, exp):
        """A token minted here from the format in docs/signaling.md."""
        with open(self.secret, "rb") as f:
            key = f.read().rstrip(b"\r\n")
        claims = json.dumps({"v": 1, "room": room, "role": role,
                             "iat": iat, "exp": exp}).encode()
        signed = "sl1." + b64url(claims)
        mac = hmac.new(key, signed.encode(), hashlib.sha256).digest()
        token = signed + "." + b64url(mac)
        self.tokens.append(token)
        return token

    def start(self, *extra, scheme="ws", port=0):
        self.port_file = os.path.join(self.dir, self.name + ".port")
        self.log_path = os.path.join(self.dir, self.name + ".log")
        self.out_path = os.path.join(self.dir, self.name + ".out")
        for stale in (self.port_file, self.out_path):
            if os.path.exists(stale):
                os.unlink(stale)
        self.proc = subprocess.Popen(
            [self.exe, "serve", "--listen", "127.0.0.1:%d" % port, "--secret",
             self.secret, "--port-file", self.port_file] + list(extra),
            stdout=open(self.out_path, "w"), stderr=open(self.log_path, "w"),
            stdin=subprocess.DEVNULL)
        self.port = int(wait_for(lambda: read_file(self.port_file), 15,
                                 "the port file"))
        line = wait_for(lambda: read_file(self.out_path), 5, "stdout line")
        check(line == "sonolink-hub: listening on %s://127.0.0.1:%d"
              % (scheme, self.port), "the hub prints its %s URL" % scheme)
        return self

    def log(self):
        return read_file(self.log_path) or ""

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=15)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def read_file(path):
    try:
        with open(path) as f:
            return f.read().strip() or None
    except FileNotFoundError:
        return None


def http_get(port, path, method="GET", context=None):
    if context:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10,
                                           context=context)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, resp.getheader("Content-Type"), body


def health(hub):
    status, ctype, body = http_get(hub.port, "/healthz")
    if status != 200 or not ctype.startswith("application/json"):
        raise Failure("/healthz answered %s %s" % (status, ctype))
    return json.loads(body)


def join(hub, token, peer_id, **kwargs):
    ws = WebSocket("127.0.0.1", hub.port, **kwargs)
    ws.send_json({"type": "hello", "version": 1, "token": token,
                  "peer_id": peer_id})
    return ws


def expect(ws, msg_type, what=None, **fields):
    msg = ws.recv_json()
    ok = msg.get("type") == msg_type and all(
        msg.get(k) == v for k, v in fields.items())
    if not ok:
        raise Failure("%s: expected %s %s, got %s" % (
            what or "message", msg_type, fields, msg))
    return msg


def expect_refusal(ws, code_name, close_code, what):
    code, _, messages = ws.wait_closed()
    errors = [json.loads(m).get("code") for m in messages]
    check(code_name in errors and code == close_code,
          "%s: error %s and close %d (got %s ... %s, close %s)" % (
              what, code_name, close_code, errors[:2], errors[-1:], code))


# ---- scenarios ----

def check_http(hub):
    h = health(hub)
    check(h["status"] == "ok" and h["protocol"] == 1 and h["version"]
          and "rooms" not in h and "peers" not in h,
          "/healthz reports status and versions, no room or peer counts")
    status, ctype, body = http_get(hub.port, "/")
    check(status == 200 and ctype.startswith("text/html")
          and b"station" in body, "/ serves the web root's index.html")
    status, ctype, _ = http_get(hub.port, "/app.js")
    check(status == 200 and ctype.startswith("text/javascript"),
          ".js is served as text/javascript")
    status, _, body = http_get(hub.port, "/index.html", method="HEAD")
    check(status == 200 and body == b"", "HEAD is answered without a body")
    for path in ("/../hub.secret", "/%2e%2e/hub.secret", "/.hidden",
                 "/outside/hub.secret", "/nothing.html"):
        status, _, body = http_get(hub.port, path)
        check(status == 404 and b"hub.secret" not in body,
              "%s is not served" % path)
    status, _, _ = http_get(hub.port, "/healthz", method="POST")
    check(status == 405, "POST is refused with 405")


def check_join_and_relay(hub):
    t_tok = hub.token("r1", "township")
    e_tok = hub.token("r1", "expert")
    town = join(hub, t_tok, "town-1")
    w = expect(town, "welcome", "township welcome", version=1,
               peer_id="town-1", room="r1", role="township")
    check(w["peers"] == [], "the first peer sees an empty room")
    exp = join(hub, e_tok, "exp-1")
    w = expect(exp, "welcome", "expert welcome", role="expert")
    check(w["peers"] == [{"peer_id": "town-1", "role": "township"}],
          "the expert's welcome lists the township")
    expect(town, "peer-joined", "township told", peer_id="exp-1",
           role="expert")

    exp.send_json({"type": "sdp", "to": "town-1", "from": "spoofed",
                   "sdp_type": "offer", "sdp": "v=0 SDP-MARKER-7f3a"})
    m = expect(town, "sdp", "relayed offer", sdp_type="offer")
    check(m["from"] == "exp-1" and m["sdp"] == "v=0 SDP-MARKER-7f3a",
          "sdp is relayed with 'from' set by the hub (spoofed from dropped)")
    town.send_json({"type": "ice", "to": "exp-1", "mline": 0,
                    "candidate": "candidate:1 1 UDP 1 127.0.0.1 9 typ host"})
    town.send_json({"type": "ice", "to": "exp-1", "mline": 1,
                    "candidate": ""})
    m = expect(exp, "ice", "relayed candidate", **{"from": "town-1"})
    check(m["mline"] == 0 and m["candidate"].startswith("candidate:1"),
          "ice is relayed with from set")
    expect(exp, "ice", "end of candidates", candidate="", mline=1)
    check(True, "an empty candidate (end of candidates) is relayed")

    exp.send_json({"type": "sdp", "to": "nobody", "sdp_type": "offer",
                   "sdp": "v=0"})
    expect(exp, "error", "relay to an unknown peer", code="unknown-peer")
    exp.send_json({"type": "ice", "to": "town-1", "mline": 0,
                   "candidate": "candidate:2"})
    expect(town, "ice", "relay after the error", candidate="candidate:2")
    check(True, "unknown-peer leaves the connection open")
    return town, exp


def relay_still_works(a, b, marker):
    a.send_json({"type": "ice", "to": b.peer, "mline": 0,
                 "candidate": marker})
    expect(b, "ice", "relay still works", candidate=marker)


def check_refusals(hub, town, exp, other_secret):
    town.peer, exp.peer = "town-1", "exp-1"
    forged = hub.token("r1", "expert", secret=other_secret)
    ws = join(hub, forged, "mallory")
    expect_refusal(ws, "auth-failed", 4401, "a token from another secret")
    good = hub.token("r1", "expert")
    head, _, mac = good.rpartition(".")
    flipped = head[:-3] + ("A" if head[-3] != "A" else "B") + head[-2:]
    ws = join(hub, flipped + "." + mac, "mallory")
    expect_refusal(ws, "auth-failed", 4401, "a token with a flipped byte")
    ws = join(hub, "not-a-token", "mallory")
    expect_refusal(ws, "auth-failed", 4401, "garbage instead of a token")
    relay_still_works(exp, town, "after-forgery")
    check(True, "the existing session carries on after refusals")

    now = int(time.time())
    ws = join(hub, hub.python_token("r1", "expert", now - 7200, now - 3600),
              "late")
    expect_refusal(ws, "token-expired", 4401, "an expired token")
    ws = join(hub, hub.python_token("r1", "trainee", now, now + 600), "tr-py")
    expect(ws, "welcome", "a token minted by the documented format",
           role="trainee")
    expect(town, "peer-joined", peer_id="tr-py")
    expect(exp, "peer-joined", peer_id="tr-py")
    ws.send_json({"type": "bye"})
    code, _, _ = ws.wait_closed()
    check(code == 1000, "bye closes with 1000")
    expect(town, "peer-left", "peer-left after bye", peer_id="tr-py")
    expect(exp, "peer-left", peer_id="tr-py")

    ws = join(hub, hub.token("r1", "township"), "town-2")
    expect_refusal(ws, "room-occupied", 4409, "a second township")
    ws = WebSocket("127.0.0.1", hub.port)
    ws.send_json({"type": "hello", "version": 2, "token": good,
                  "peer_id": "future"})
    expect_refusal(ws, "version-unsupported", 4426, "protocol version 2")
    relay_still_works(town, exp, "after-occupied")


def check_replacement(hub, town, exp):
    town2 = join(hub, hub.token("r1", "township"), "town-1")
    w = expect(town2, "welcome", "the reconnecting township",
               peer_id="town-1")
    check(w["peers"] == [{"peer_id": "exp-1", "role": "expert"}],
          "the replacement's welcome lists the others")
    code, reason, _ = town.wait_closed()
    check(code == 1000 and reason == "replaced",
          "the old connection is closed with 1000 'replaced'")
    town2.peer = "town-1"
    # The expert must see neither peer-left nor peer-joined: the next
    # message it receives is this relay.
    relay_still_works(town2, exp, "after-replace")
    return town2


def check_limits(hub, town, exp):
    big = join(hub, hub.token("r1", "trainee"), "big")
    expect(big, "welcome")
    expect(town, "peer-joined", peer_id="big")
    expect(exp, "peer-joined", peer_id="big")
    big.send_json({"type": "sdp", "to": "town-1", "sdp_type": "offer",
                   "sdp": "x" * 70000})
    expect_refusal(big, "too-large", 4413, "an oversize message")
    expect(town, "peer-left", peer_id="big")
    expect(exp, "peer-left", peer_id="big")
    relay_still_works(exp, town, "after-oversize")

    flood = join(hub, hub.token("r1", "trainee"), "flood")
    expect(flood, "welcome")
    expect(town, "peer-joined", peer_id="flood")
    expect(exp, "peer-joined", peer_id="flood")
    frame = json.dumps({"type": "ice", "to": "nobody", "mline": 0,
                        "candidate": "c"})
    for _ in range(400):
        flood.send_text(frame)
    expect_refusal(flood, "rate-limited", 4429, "a message flood")
    expect(town, "peer-left", peer_id="flood")
    expect(exp, "peer-left", peer_id="flood")
    relay_still_works(town, exp, "after-flood")

    bad = join(hub, hub.token("r1", "trainee"), "bad")
    expect(bad, "welcome")
    expect(town, "peer-joined", peer_id="bad")
    expect(exp, "peer-joined", peer_id="bad")
    bad.send_text("{not json")
    expect(bad, "error", "malformed JSON", code="bad-message")
    bad.send_bytes_as_text(b'{"type":"bye"\xff}')
    code, _, _ = bad.wait_closed()
    check(code == 1007, "invalid UTF-8 ends the connection (close %d)" % code)
    expect(town, "peer-left", peer_id="bad")
    expect(exp, "peer-left", peer_id="bad")
    relay_still_works(exp, town, "after-malformed")


def check_malformed_count(hub):
    ws = WebSocket("127.0.0.1", hub.port)
    for i in range(4):
        ws.send_text("{oops %d" % i)
        expect(ws, "error", "malformed message %d" % (i + 1),
               code="bad-message")
    ws.send_text("[]")
    expect_refusal(ws, "bad-message", 4400, "the fifth malformed message")


def check_cli_refusals(hub, workdir):
    port_file = os.path.join(workdir, "never.port")
    for listen in ("0.0.0.0:0", "[::]:0"):
        out = hub.run("serve", "--listen", listen, "--secret", hub.secret,
                      "--port-file", port_file)
        check(out.returncode == 2 and "loopback" in out.stderr
              and not os.path.exists(port_file),
              "plain ws:// on %s is refused (exit 2) before binding" % listen)
    out = hub.run("serve", "--listen", "127.0.0.1:0")
    check(out.returncode == 2 and "--secret" in out.stderr,
          "a missing --secret is refused with exit 2")
    short = os.path.join(workdir, "short.secret")
    with open(short, "w") as f:
        f.write("too-short\n")
    os.chmod(short, 0o600)
    out = hub.run("serve", "--listen", "127.0.0.1:0", "--secret", short)
    check(out.returncode == 2 and "at least 32" in out.stderr,
          "a short secret is refused with exit 2")
    out = hub.run("serve", "--listen", "127.0.0.1:0", "--secret", hub.secret,
                  "--tls-cert", short)
    check(out.returncode == 2 and "--tls-key" in out.stderr,
          "--tls-cert without --tls-key is refused")
    out = hub.run("secret", "--out", hub.secret)
    check(out.returncode == 2, "`secret` refuses to overwrite a secret")
    out = hub.run("token", "--secret", hub.secret, "--room", "r1",
                  "--role", "surgeon")
    check(out.returncode == 2 and "role" in out.stderr,
          "`token` refuses an unknown role")
    check(os.stat(hub.secret).st_mode & 0o777 == 0o600,
          "the secret file has mode 0600")


def check_shutdown(hub, town, exp):
    status = hub.stop(signal.SIGTERM)
    for ws, name in ((town, "township"), (exp, "expert")):
        code, _, _ = ws.wait_closed()
        check(code == 1001, "SIGTERM closes the %s with 1001" % name)
    check(status == 0, "the hub exits 0 after SIGTERM")


def check_restart(hub):
    """Stations reconnect to the address they know, so a restarted hub must
    bind the same port at once, whatever the old sockets' TCP state."""
    port = hub.port
    hub.start(port=port)
    check(hub.port == port, "a restarted hub binds the same port at once")
    # Without --web-root, a hub run from the build tree serves the browser
    # station of the source tree (client/web).
    status, ctype, body = http_get(hub.port, "/")
    check(status == 200 and b"<title>sonolink station</title>" in body,
          "without --web-root, / serves the browser station")
    status, ctype, _ = http_get(hub.port, "/station.js")
    check(status == 200 and ctype.startswith("text/javascript"),
          "and its script")
    ws = join(hub, hub.token("r1", "expert"), "exp-1")
    expect(ws, "welcome", "welcome after the restart", peer_id="exp-1")
    ws.close()
    check(hub.stop(signal.SIGINT) == 0, "the restarted hub exits 0 on SIGINT")


def check_log(hub, refusals=True):
    log = hub.log()
    leaked = [t for t in hub.tokens if t in log or t.split(".")[2] in log]
    check(not leaked, "no token appears in the hub's log")
    with open(hub.secret) as f:
        check(f.read().strip() not in log, "the secret is not in the log")
    check("SDP-MARKER" not in log, "no SDP appears in the log")
    if refusals:
        check("auth-failed" in log and "from 127.0.0.1" in log,
              "refusals are logged with their reason and address")


def make_cert(workdir):
    cert = os.path.join(workdir, "cert.pem")
    key = os.path.join(workdir, "key.pem")
    out = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        capture_output=True, timeout=60)
    if out.returncode != 0:
        raise Failure("openssl failed: %s" % out.stderr.decode())
    return cert, key


def check_wss(exe, workdir):
    cert, key = make_cert(workdir)
    hub = Hub(exe, workdir, name="tls-hub")
    try:
        hub.start("--tls-cert", cert, "--tls-key", key, "--hello-timeout",
                  "1", scheme="wss")
        context = ssl.create_default_context(cafile=cert)
        ws = join(hub, hub.token("tls", "expert"), "e1", tls_context=context)
        expect(ws, "welcome", "welcome over wss", room="tls")
        check(True, "a station joins over wss:// with a verified certificate")
        status, _, body = http_get(hub.port, "/healthz", context=context)
        check(status == 200 and json.loads(body)["status"] == "ok",
              "/healthz over https")
        idle = WebSocket("127.0.0.1", hub.port, tls_context=context)
        code, _, messages = idle.wait_closed(timeout=10)
        check(code == 4408, "a connection without hello is closed with 4408")
        check(hub.stop(signal.SIGINT) == 0, "the TLS hub exits 0 on SIGINT")
        check_log(hub, refusals=False)
    finally:
        hub.kill()


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: %s SONOLINK_HUB" % sys.argv[0])
    exe = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="sl-hub-test-") as workdir:
        hub = Hub(exe, workdir)
        try:
            hub.make_secret()
            other = os.path.join(workdir, "other.secret")
            hub.run("secret", "--out", other)
            web = os.path.join(workdir, "web")
            os.mkdir(web)
            with open(os.path.join(web, "index.html"), "w") as f:
                f.write("<html>web station</html>")
            with open(os.path.join(web, "app.js"), "w") as f:
                f.write("console.log(1);")
            with open(os.path.join(web, ".hidden"), "w") as f:
                f.write("hidden")
            os.symlink(workdir, os.path.join(web, "outside"))

            hub.start("--web-root", web)
            check_http(hub)
            town, exp = check_join_and_relay(hub)
            check_refusals(hub, town, exp, other)
            town = check_replacement(hub, town, exp)
            check_limits(hub, town, exp)
            check_malformed_count(hub)
            check_cli_refusals(hub, workdir)
            check_shutdown(hub, town, exp)
            check_log(hub)
            check_restart(hub)
            if shutil.which("openssl") is None:
                print("SKIP: openssl not found; wss:// not tested")
                return SKIP
            check_wss(exe, workdir)
        except (Failure, Closed, OSError, ValueError, KeyError) as e:
            print("FAIL:", repr(e), flush=True)
            print("----- hub log -----")
            print((hub.log() if hub.proc else "")[-8000:])
            return 1
        finally:
            hub.kill()
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
