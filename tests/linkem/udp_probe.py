#!/usr/bin/env python3
"""A UDP probe for measuring a link: a paced sender and a sink.

    udp_probe.py sink --port-file F --out F [--echo]
    udp_probe.py send --port P [--host H] --count N --interval-ms I
                      [--size B] --out F [--reconnect] [--linger S]

The sender numbers its datagrams and writes its clocks into each (wall
clock and CLOCK_MONOTONIC, in ns); the sink takes each arrival's kernel
timestamp (SO_TIMESTAMPNS, wall clock), so that one-way delays do not
include the probe's own scheduling, and, with --echo, returns the first
bytes of each datagram to its sender, which timestamps the echo the same
way (round trips).  Both write what they saw as JSON: the sender when it
is done, the sink on SIGTERM.  --host defaults to $SL_LINKEM_HOST.  With
--reconnect the sender opens a new socket when sending fails, as after
sl-linkem's --path-change removed its address.
"""

import argparse
import json
import os
import select
import signal
import socket
import struct
import sys
import time

HEADER = struct.Struct("!IIqq")  # magic, seq, wall ns, monotonic ns
MAGIC = 0x534C4C4B
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
ECHO_BYTES = HEADER.size


def kernel_stamp(ancdata):
    """The SO_TIMESTAMPNS stamp of a datagram, or now if there is none."""
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            sec, nsec = struct.unpack("qq", data[:16])
            return sec * 1000000000 + nsec
    return time.time_ns()


def stamped_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    return s


def write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.rename(tmp, path)


def sink(args):
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    s = stamped_socket()
    s.bind(("0.0.0.0", 0))
    write_json(args.port_file, s.getsockname()[1])
    packets = []
    while not stop:
        if not select.select([s], [], [], 0.05)[0]:
            continue
        data, anc, _, src = s.recvmsg(65536, 64)
        recv_ns = kernel_stamp(anc)
        if len(data) < HEADER.size:
            continue
        magic, seq, wall_ns, _ = HEADER.unpack_from(data)
        if magic != MAGIC:
            continue
        packets.append([seq, src[0], wall_ns, recv_ns, len(data)])
        if args.echo:
            try:
                s.sendto(data[:ECHO_BYTES], src)
            except OSError:
                pass
    write_json(args.out, {"packets": packets})


class Sender:
    def __init__(self, args):
        self.args = args
        self.sent = []     # [seq, monotonic ns, wall ns, sent without error]
        self.echoes = []   # [seq, round trip ns]
        self.errors = []   # [seq, errno, monotonic ns]
        self.local = []    # [first seq, local address]
        self.sock = None
        self.connect(0)

    def connect(self, seq):
        if self.sock is not None:
            self.sock.close()
        self.sock = stamped_socket()
        self.sock.connect((self.args.host, self.args.port))
        self.sock.setblocking(False)
        self.local.append([seq, self.sock.getsockname()[0]])

    def receive_until(self, deadline_ns):
        while True:
            left = (deadline_ns - time.monotonic_ns()) / 1e9
            if left <= 0:
                return
            if not select.select([self.sock], [], [], left)[0]:
                continue
            try:
                data, anc, _, _ = self.sock.recvmsg(2048, 64)
            except OSError:
                continue
            if len(data) >= HEADER.size:
                magic, seq, wall_ns, _ = HEADER.unpack_from(data)
                if magic == MAGIC:
                    self.echoes.append([seq, kernel_stamp(anc) - wall_ns])

    def send(self, seq):
        mono, wall = time.monotonic_ns(), time.time_ns()
        data = HEADER.pack(MAGIC, seq, wall, mono)
        data += b"\0" * max(0, self.args.size - len(data))
        try:
            self.sock.send(data)
            ok = True
        except OSError as e:
            ok = False
            self.errors.append([seq, e.errno, mono])
            if self.args.reconnect:
                # Right after a path change the new address or its route
                # may not be there yet; the next send tries again.
                try:
                    self.connect(seq + 1)
                except OSError as e2:
                    self.errors.append([seq, e2.errno, mono])
        self.sent.append([seq, mono, wall, ok])

    def run(self):
        start = time.monotonic_ns()
        interval = int(self.args.interval_ms * 1e6)
        for seq in range(self.args.count):
            self.receive_until(start + seq * interval)
            self.send(seq)
        self.receive_until(time.monotonic_ns() + int(self.args.linger * 1e9))
        epoch = os.environ.get("SL_LINKEM_EPOCH_US")
        write_json(self.args.out, {
            "start_ns": start, "sent": self.sent, "echoes": self.echoes,
            "errors": self.errors, "local": self.local,
            "epoch_ns": int(epoch) * 1000 if epoch else None})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("sink")
    p.add_argument("--port-file", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--echo", action="store_true")
    p = sub.add_parser("send")
    p.add_argument("--host", default=os.environ.get("SL_LINKEM_HOST"))
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--interval-ms", type=float, required=True)
    p.add_argument("--size", type=int, default=100)
    p.add_argument("--out", required=True)
    p.add_argument("--reconnect", action="store_true")
    p.add_argument("--linger", type=float, default=0.5)
    args = parser.parse_args()
    if args.mode == "sink":
        sink(args)
    else:
        if not args.host:
            sys.exit("udp_probe.py: no --host and no $SL_LINKEM_HOST")
        Sender(args).run()


if __name__ == "__main__":
    main()
