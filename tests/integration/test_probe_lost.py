#!/usr/bin/env python3
"""The probe's picture is lost and comes back: the consultation goes on.

A capture card unplugged, a cable pulled, a source that fails: the expert
must see a clear NO SIGNAL picture (not a frozen frame), the township must
say so and retry by itself, and the real picture must come back when the
source does, all without the session being torn down.

No capture card here, so the probe is a gst: pipeline reading raw frames
over TCP from a small server in this test (plain orange frames, 15 a
second).  Stopping the server ends the stream (the source's end) and makes
every retry fail (connection refused, an error on its bus); starting it
again on the same port is the card coming back.  The checks read the
expert's --snapshot (what it decodes) and both stations' logs and stats.
"""

import os
import re
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sltest import (Hub, check, read_stats, run, session_records,  # noqa: E402
                    station_args, wait_for)
from slpng import read_png  # noqa: E402

W, H, FPS = 320, 240, 15
# Orange in video-range YUV: R about 255, G about 125, B about 20.
Y, U, V = 150, 60, 200
FRAME = bytes([Y]) * (W * H) + bytes([U]) * (W * H // 4) + \
    bytes([V]) * (W * H // 4)


class FrameServer:
    """Serves raw I420 frames to whoever connects, paced at FPS."""

    def __init__(self, port=0):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.conns = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._send, args=(conn,),
                             daemon=True).start()

    def _send(self, conn):
        next_at = time.monotonic()
        try:
            while self.running:
                conn.sendall(FRAME)
                next_at += 1.0 / FPS
                time.sleep(max(0.0, next_at - time.monotonic()))
        except OSError:
            pass

    def stop(self):
        self.running = False
        # shutdown() wakes the accept() blocked in the other thread.
        for s in [self.sock] + self.conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.thread.join(5)


def picture(path):
    """'orange', 'nosignal' or None (no snapshot yet, or neither)."""
    png = read_png(path)
    if png is None:
        return None
    w, h = png.width, png.height
    r, g, b = png.pixel(w // 2, h // 5)
    if r > 200 and 80 < g < 170 and b < 80:
        return "orange"
    corners = [png.pixel(x, y) for x, y in
               ((2, 2), (w - 3, 2), (2, h - 3), (w - 3, h - 3))]
    # The title's band (40 % down) holds white letters on black.
    band = [png.pixel(x, h * 40 // 100 + dy) for x in range(0, w, 2)
            for dy in (-4, 0, 4)]
    white = sum(1 for p in band if min(p) > 180)
    if all(max(p) < 40 for p in corners) and white > len(band) // 30:
        return "nosignal"
    return None


def main(build, procs):
    server = FrameServer()
    port = server.port
    hub = Hub(build, procs).start()
    room = "probe-lost"
    t_stats = os.path.join(procs.workdir, "township.jsonl")
    e_stats = os.path.join(procs.workdir, "expert.jsonl")
    snapshot = os.path.join(procs.workdir, "expert.png")
    probe = ("gst:tcpclientsrc host=127.0.0.1 port=%d ! rawvideoparse "
             "width=%d height=%d format=i420 framerate=%d/1" %
             (port, W, H, FPS))

    township = procs.start("township", [build.township] + station_args(
        hub, hub.token_file("t", hub.token(room, "township")), t_stats,
        ["--audio-in", "none", "--probe", probe, "--width", "640",
         "--height", "360"]))
    expert = procs.start("expert", [build.expert] + station_args(
        hub, hub.token_file("e", hub.token(room, "expert")), e_stats,
        ["--audio-in", "none", "--sink", "none", "--snapshot", snapshot]))

    wait_for(lambda: picture(snapshot) == "orange", 40,
             "the expert to show the probe's orange picture")
    check(True, "the expert sees the probe's picture")
    peer = session_records(e_stats)[-1]["peer"]

    # The card goes: the stream ends, every retry is refused.
    server.stop()
    # The township's own line; the keeper's debug log (GST_DEBUG) says
    # "probe lost: " too, a moment earlier.
    wait_for(lambda: "showing NO SIGNAL, retrying" in procs.log(township), 15,
             "the township to say the probe is lost")
    check(re.search(r"\[township\] probe lost: .*; showing NO SIGNAL, "
                    r"retrying", procs.log(township)) is not None,
          "the township says it shows NO SIGNAL and retries")
    wait_for(lambda: picture(snapshot) == "nosignal", 20,
             "the expert to show the NO SIGNAL picture")
    check(True, "the expert sees the NO SIGNAL picture, not a frozen frame")
    # Ten more NO SIGNAL pictures at two a second: about 5 s, time for
    # two or three retries to fail.
    decoded = session_records(e_stats)[-1].get("frames_decoded", 0)
    wait_for(lambda: session_records(e_stats)[-1].get("frames_decoded", 0)
             >= decoded + 10, 20, "NO SIGNAL pictures to keep coming")
    check(township.poll() is None and expert.poll() is None,
          "both stations are still running with the probe lost")
    check(picture(snapshot) == "nosignal", "still NO SIGNAL while it is away")

    # The card comes back on the same port.
    server = FrameServer(port)
    wait_for(lambda: "probe back" in procs.log(township), 20,
             "the township to say the probe is back")
    wait_for(lambda: picture(snapshot) == "orange", 20,
             "the expert to show the probe's picture again")
    check(True, "the picture came back by itself")

    records = session_records(e_stats)
    check(all(r.get("peer") == peer for r in records),
          "the expert kept one session with the township throughout")
    states = [r.get("state") for r in records]
    first = states.index("connected")
    check(all(s == "connected" for s in states[first:]),
          "the session stayed connected from start to end (%s)" %
          sorted(set(states[first:])))
    check("capture failed" not in procs.log(township),
          "the source's failure did not end the capture")
    check(procs.stop(township) == 0, "the township ends with status 0")
    check(procs.stop(expert) == 0, "the expert ends with status 0")
    procs.stop(hub.proc)
    server.stop()
    check(len(read_stats(t_stats)) > 0, "the township wrote its stats")


if __name__ == "__main__":
    run(main)
