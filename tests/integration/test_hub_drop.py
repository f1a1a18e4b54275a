#!/usr/bin/env python3
"""The township's hub connection alone drops: the picture carries on.

On a weak uplink the township's WebSocket to the hub starves behind the
media and the hub gives it up, while the picture still arrives at the
expert over the peer-to-peer path.  Here the township reaches the hub
through a TCP relay the test owns: the relay cuts the township's hub
connection and refuses it for a few seconds, so the hub tells the expert
the township left.  The expert must keep the session that still carries
media (docs/link-recovery.md, "The hub connection"), keep decoding, and
carry on with the same session when the township rejoins: no second
session, no renegotiation.
"""

import os
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sltest import (Hub, check, last_session, read_stats, run, station_args,
                    wait_for)


class Relay:
    """A TCP relay on loopback to @port; cut() ends every connection and
    refuses new ones until resume()."""

    def __init__(self, port):
        self.port = port
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.lock = threading.Lock()
        self.open = True
        self.pairs = []
        threading.Thread(target=self.accept_loop, daemon=True).start()

    @property
    def url(self):
        return "ws://127.0.0.1:%d" % self.listener.getsockname()[1]

    def accept_loop(self):
        while True:
            client, _ = self.listener.accept()
            with self.lock:
                if not self.open:
                    client.close()
                    continue
                upstream = socket.create_connection(("127.0.0.1", self.port))
                self.pairs.append((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(a, b),
                                 daemon=True).start()

    @staticmethod
    def pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self.lock:
            self.open = False
            for pair in self.pairs:
                for s in pair:
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            self.pairs = []

    def resume(self):
        with self.lock:
            self.open = True


def main(build, procs):
    hub = Hub(build, procs).start()
    relay = Relay(int(hub.url.rsplit(":", 1)[1]))
    room = "hub-drop"
    t_stats = os.path.join(procs.workdir, "township.jsonl")
    e_stats = os.path.join(procs.workdir, "expert.jsonl")

    township_args = station_args(
        hub, hub.token_file("t", hub.token(room, "township")), t_stats,
        ["--audio-in", "none"])
    township_args[township_args.index(hub.url)] = relay.url
    township = procs.start("township", [build.township] + township_args)
    expert = procs.start("expert", [build.expert] + station_args(
        hub, hub.token_file("e", hub.token(room, "expert")), e_stats,
        ["--audio-in", "none", "--sink", "none"]))
    wait_for(lambda: last_session(e_stats).get("frames_decoded", 0) > 30, 20,
             "the first frames at the expert")
    peer = last_session(e_stats)["peer"]

    relay.cut()
    wait_for(lambda: "lost its connection to the hub" in procs.log(expert),
             15, "the hub to tell the expert the township lost its "
             "connection")
    check("still carries media" in procs.log(expert),
          "the expert keeps the session that still carries media")
    gone_at = last_session(e_stats)["frames_decoded"]
    wait_for(lambda: last_session(e_stats).get("frames_decoded", 0)
             > gone_at + 90, 15, "frames while the township is away")
    check(True, "the picture carries on while the township is off the hub")

    relay.resume()
    wait_for(lambda: read_stats(t_stats)[-1].get("hub_connected") is True, 30,
             "the township to rejoin")
    wait_for(lambda: "is back in the room" in procs.log(expert), 10,
             "the expert to see the township back")
    back_at = last_session(e_stats)["frames_decoded"]
    wait_for(lambda: last_session(e_stats).get("frames_decoded", 0)
             > back_at + 30, 10, "frames after the rejoin")
    rec = last_session(e_stats)
    opened = procs.log(expert).count("opened")
    check(rec["peer"] == peer and rec["state"] == "connected" and opened == 1,
          "the same session carried on: one session opened, no "
          "renegotiation (%d opened)" % opened)
    check(procs.stop(expert) == 0 and procs.stop(township) == 0,
          "both stations stop cleanly")


if __name__ == "__main__":
    run(main)
