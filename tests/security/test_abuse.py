#!/usr/bin/env python3
"""The hub abuse run (issue 14): a hub holding a room where a township and
an expert exchange signalling without pause, while the attacks of the
security tests run against it at once, then descriptor exhaustion.

The hub runs with 64 descriptors and 16 connections per source.  Attackers
connect from other loopback addresses (127.0.0.20 and up), the honest
stations from 127.0.0.1.  Phase 1, for PHASE_S seconds, all at once:

- idle and partial-request flood: connections that send nothing or half a
  request, reopened as the hub closes them;
- fragment flood: WebSockets sending continuation fragments until closed,
  one after the other;
- slow reader: WebSockets that send pings and never read the pongs;
- message flood: a trainee token sending candidates as fast as it can,
  rejoining after each rate-limit close.

A new expert joins in the middle of it.  Phase 2: 96 idle connections from
six sources exhaust the hub's descriptors, then close; the hub must accept
again.  After: a new member joins.  Throughout, every honest relay must
arrive and the hub's resident memory must stay under its idle size plus
RSS_BOUND_MIB.

Beside the relaying pair, a real consultation runs in a room of its own:
sonolink-township and sonolink-expert (640x360) over the same hub.  Its
picture must keep being decoded through both phases, and a trainee
station that joins during the floods, and another after the exhaustion,
must each decode the township's picture.

Prints the load held and the memory figures.  Usage: test_abuse.py
SONOLINK_HUB SONOLINK_TOWNSHIP SONOLINK_EXPERT
"""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from sechub import (Closed, Failure, Hub, OP_CONT, OP_TEXT, Timeout,
                    asan_fast_unwind, check, encode_frame, expect,
                    frame_header, healthz, join, raw_websocket, relay_works,
                    run, wait_for)
from sltest import session_records  # noqa: E402 (sechub sets the path)

PHASE_S = 12
RSS_BOUND_MIB = 64
NOFILE = 64
PER_SOURCE = 16


class Load:
    """Counts of what the attackers did, for the report."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}

    def add(self, what, n=1):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + n


def connect(port, source, timeout=2.0):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                    source_address=(source, 0))


def idle_flood(hub, stop, load):
    """Idle connections and half requests, replaced as they are closed."""
    socks = []
    while not stop.is_set():
        try:
            s = connect(hub.port, "127.0.0.20", timeout=0.5)
            if len(socks) % 2:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow")
            socks.append(s)
            load.add("idle or partial connections")
        except OSError:
            pass
        if len(socks) >= PER_SOURCE * 2:
            # Keep twice what the hub allows this source; drop the oldest.
            socks.pop(0).close()
    for s in socks:
        s.close()


def fragment_flood(hub, stop, load):
    chunk = b"\0" * 60000
    while not stop.is_set():
        try:
            sock = raw_websocket(hub.port, source="127.0.0.21", timeout=2)
            sock.sendall(frame_header(OP_TEXT, len(chunk), False) + chunk)
            while not stop.is_set():
                sock.sendall(frame_header(OP_CONT, len(chunk), False)
                             + chunk)
                load.add("fragment bytes", len(chunk))
        except (OSError, Failure):
            load.add("fragment connections closed by the hub")
            continue


def slow_reader(hub, stop, load):
    """Pings without ever reading the pongs."""
    ping = encode_frame(0x9, b"p" * 125)
    while not stop.is_set():
        try:
            sock = raw_websocket(hub.port, source="127.0.0.22", timeout=2)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            while not stop.is_set():
                sock.sendall(ping * 64)
                load.add("pings unread", 64)
        except (OSError, Failure):
            load.add("slow readers closed by the hub")
            continue


def message_flood(hub, stop, load):
    token = hub.token("r1", "trainee")
    frame = encode_frame(OP_TEXT, json.dumps(
        {"type": "ice", "to": "nobody", "mline": 0,
         "candidate": "c"}).encode())
    n = 0
    while not stop.is_set():
        try:
            ws = join(hub, "r1", "trainee", "flood-%d" % n,
                      source="127.0.0.23", token=token)
            n += 1
            while not stop.is_set():
                ws.send_raw(frame * 50)
                load.add("flood messages sent", 50)
        except (OSError, Failure, Closed, Timeout):
            load.add("floods closed by the hub")
            continue


class Honest:
    """A township and an expert relaying candidates to each other without
    pause, each checking that what the other sent arrives."""

    def __init__(self, hub):
        self.town = join(hub, "r1", "township", "town")
        expect(self.town, "welcome")
        self.exp = join(hub, "r1", "expert", "exp")
        expect(self.exp, "welcome")
        self.ok = 0
        self.error = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        try:
            while not self.stop.is_set():
                if not relay_works(self.town, self.exp, "t%d" % self.ok):
                    raise Failure("a township relay went missing")
                if not relay_works(self.exp, self.town, "e%d" % self.ok):
                    raise Failure("an expert relay went missing")
                self.ok += 1
                # Honest stations keep within the hub's message rate (50
                # a second): about 20 candidates a second each way.
                self.stop.wait(0.05)
        except Exception as e:  # reported by the main thread
            self.error = e


class Consultation:
    """Real stations in room "consult" on the hub: a township, an expert,
    and trainees joining later; each writes --stats."""

    def __init__(self, hub, township, expert, workdir):
        self.hub, self.dir, self.exes = hub, workdir, (township, expert)
        self.procs = []
        self.start("township", "township", township, [
            "--audio-in", "none", "--width", "640", "--height", "360"])
        self.start("expert", "expert", expert, ["--sink", "none",
                                                "--audio-in", "none"])

    def start(self, name, role, exe, extra):
        token = os.path.join(self.dir, name + ".tok")
        with open(token, "w") as f:
            f.write(self.hub.token("consult", role))
        log = open(os.path.join(self.dir, name + ".station.log"), "wb")
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = asan_fast_unwind(env.get("ASAN_OPTIONS"))
        self.procs.append(subprocess.Popen(
            [exe, "--hub", "ws://127.0.0.1:%d" % self.hub.port,
             "--token-file", token, "--stats", self.stats(name),
             "--ice-address", "127.0.0.1", "--audio-out", "none",
             "--connect-timeout", "20"] + extra,
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env))

    def trainee(self, name):
        self.start(name, "trainee", self.exes[1], ["--sink", "none",
                                                   "--audio-in", "none"])

    def stats(self, name):
        return os.path.join(self.dir, name + ".jsonl")

    def decoded(self, name):
        records = session_records(self.stats(name))
        return records[-1].get("frames_decoded", 0) if records else 0

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in self.procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


class RssSampler(threading.Thread):
    def __init__(self, hub):
        super().__init__(daemon=True)
        self.hub = hub
        self.peak = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(0.05):
            try:
                self.peak = max(self.peak, self.hub.rss_kib())
            except (OSError, Failure):
                return


def phase_floods(hub, honest, load, consult):
    stop = threading.Event()
    attackers = [threading.Thread(target=f, args=(hub, stop, load),
                                  daemon=True)
                 for f in (idle_flood, fragment_flood, slow_reader,
                           message_flood)]
    for t in attackers:
        t.start()
    deadline = time.monotonic() + PHASE_S
    wait_for(lambda: all(load.counts.get(k, 0) > 0 for k in (
        "idle or partial connections", "fragment bytes", "pings unread",
        "flood messages sent")), PHASE_S, "every flood to get going",
        interval=0.1)
    newcomer = join(hub, "r1", "expert", "exp-during")
    expect(newcomer, "welcome", "an expert joining during the floods")
    town2 = join(hub, "r2", "township", "town-2")
    expect(town2, "welcome", "a township joining another room")
    exp2 = join(hub, "r2", "expert", "exp-2")
    expect(exp2, "welcome", "an expert joining another room")
    check(relay_works(town2, exp2, "during") and relay_works(
        exp2, town2, "during-back"),
        "new members join and relay during the floods")
    consult.trainee("trainee-during")
    wait_for(lambda: consult.decoded("trainee-during") > 30, PHASE_S + 20,
             "a trainee station joining during the floods to decode")
    check(True, "a trainee station joins during the floods and decodes")
    wait_for(lambda: time.monotonic() > deadline, PHASE_S + 1,
             "the end of the flood phase", interval=0.2)
    stop.set()
    for t in attackers:
        t.join(10)
    for ws in (newcomer, town2, exp2):
        ws.close()


def phase_exhaustion(hub, load):
    held = []
    for i in range(6):
        for _ in range(PER_SOURCE):
            try:
                held.append(connect(hub.port, "127.0.0.%d" % (30 + i),
                                    timeout=0.5))
            except OSError:
                pass
    load.add("connections held to exhaust descriptors", len(held))
    wait_for(lambda: "cannot accept" in hub.log(), 10,
             "the hub to run out of descriptors", interval=0.1)
    check(True, "%d idle connections exhaust the hub's %d descriptors"
          % (len(held), NOFILE))
    for s in held:
        s.close()
    wait_for(lambda: _healthz(hub), 20, "/healthz after the exhaustion")
    check("accepting connections again" in hub.log(),
          "the hub accepts again once descriptors are free")


def _healthz(hub):
    try:
        return healthz(hub.port, timeout=1)
    except OSError:
        return None


def main(exe, workdir, hubs):
    hub = Hub(exe, workdir)
    hubs.append(hub)
    hub.start("--max-connections-per-source", str(PER_SOURCE),
              "--request-timeout", "3", "--idle-timeout", "5",
              nofile=NOFILE, fast_unwind=True)
    honest = Honest(hub)
    check(relay_works(honest.town, honest.exp, "warm-up"),
          "the honest pair relays")
    consult = Consultation(hub, sys.argv[2], sys.argv[3], workdir)
    wait_for(lambda: consult.decoded("expert") > 30, 30,
             "the consultation's first pictures")
    idle_kib = hub.rss_kib()
    sampler = RssSampler(hub)
    sampler.start()
    honest.thread.start()
    load = Load()
    try:
        before = consult.decoded("expert")
        phase_floods(hub, honest, load, consult)
        during = consult.decoded("expert")
        check(during > before + 10 * PHASE_S,
              "the consultation kept decoding through the floods (%d -> %d "
              "pictures)" % (before, during))
        phase_exhaustion(hub, load)
        wait_for(lambda: consult.decoded("expert") > during + 60, 20,
                 "pictures after the exhaustion")
        check(True, "the consultation kept decoding through the exhaustion")
        consult.trainee("trainee-after")
        wait_for(lambda: consult.decoded("trainee-after") > 30, 30,
                 "a trainee station joining after the attacks to decode")
        check(True, "a trainee station joins after the attacks and decodes")
    finally:
        consult.stop()
        honest.stop.set()
        honest.thread.join(15)
        sampler.stop.set()
        sampler.join()
    if honest.error is not None:
        raise Failure("the honest pair failed: %r" % honest.error)
    check(honest.ok > 0, "the honest pair kept relaying throughout (%d "
          "round trips)" % honest.ok)
    after = join(hub, "r1", "trainee", "after")
    expect(after, "welcome", "a trainee joining after the attacks")
    check(relay_works(honest.town, after, "to-after"),
          "a new member joins and is relayed to after the attacks")
    peak = max(sampler.peak, hub.rss_kib())
    print("load held: %s" % json.dumps(load.counts, sort_keys=True))
    print("hub RSS: idle %d KiB, peak %d KiB (+%d KiB; bound +%d MiB)"
          % (idle_kib, peak, peak - idle_kib, RSS_BOUND_MIB))
    check(peak - idle_kib < RSS_BOUND_MIB * 1024,
          "the hub's memory stayed under idle + %d MiB" % RSS_BOUND_MIB)
    check(hub.alive() and hub.stop() == 0, "the hub stops on SIGTERM")


if __name__ == "__main__":
    sys.exit(run(main))
