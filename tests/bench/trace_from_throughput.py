#!/usr/bin/env python3
"""Turn a throughput log (Mbit/s per interval) into a mahimahi delivery trace.

sl-linkem and mahimahi take the capacity of a link as a delivery trace:
one line per opportunity to deliver 1504 bytes of the queue, each line a
whole number of milliseconds from the start (docs/sl-linkem.md, TRACES).
A packet costs its IP length and a 4-byte header, so a line carries one
full-size 1500-byte IP packet, or its worth of smaller ones.  Some
measurement data sets publish throughput instead: one figure in Mbit/s
per fixed interval.  This converts one into the other.

Each interval of T ms at R Mbit/s holds R * T * 1000 / 8 bytes of
capacity, spread evenly over its milliseconds: a credit grows by R * 125
bytes every millisecond, and each time it reaches 1500 bytes one
opportunity is written for that millisecond.  The remainder carries over
to the next interval, so the trace carries the log's bytes (of full-size
packets) to within one opportunity whatever the rates.  An interval of
0 Mbit/s gives no opportunity (an outage of the radio link, as in the
log).  A trace repeats with a period equal to its last timestamp; so that
the period is the log's length even when the log ends in silence, a last
opportunity is added at the end when none falls there.

Input format: the NUWiNS 5G mmWave uplink data set's `.list` files
(Ghoshal et al., 5G-MeMU'22): for each run a line `Run N`, then one line
of comma-separated Mbit/s figures; lines of `#` separate the runs.  A file
without `Run` lines is read as one run per line of numbers.  The data set
does not say how long a sample lasts; its runs have about 140 samples,
begin with a ramp and end at 0 Mbit/s, as the once-a-second reports of a
two-minute iperf test do, so the interval defaults to 1000 ms (change it
with --interval-ms).

    trace_from_throughput.py LIST [--run N] [--interval-ms MS] [--out FILE]

writes the trace of run N (default 1) to FILE (default standard output)
and a summary (duration, opportunities, mean Mbit/s) to standard error.
tests/bench/uplink.py imports read_runs() and convert() and writes its
trace into a temporary directory at run time; generated traces are not
kept in the source tree.
"""

import argparse
import re
import sys

PACKET_BYTES = 1500  # IP bytes of the full-size packet a line carries


def read_runs(path):
    """The runs of a throughput log: a list of lists of Mbit/s figures."""
    runs = []
    numbered = False
    current = None
    with open(path) as f:
        for line in f:
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            if re.match(r"(?i)^run\b", text):
                numbered = True
                current = []
                runs.append(current)
                continue
            values = [float(v) for v in re.split(r"[,\s]+", text) if v]
            if numbered and current is not None:
                current.extend(values)
            else:
                runs.append(values)
    return [r for r in runs if r]


def convert(samples_mbps, interval_ms=1000):
    """Delivery opportunities (ms offsets) for consecutive samples in Mbit/s,
    each lasting interval_ms; the last timestamp is the log's length."""
    if interval_ms <= 0 or int(interval_ms) != interval_ms:
        raise ValueError("the interval must be a whole number of ms above 0")
    interval_ms = int(interval_ms)
    out = []
    credit = 0.0
    for i, mbps in enumerate(samples_mbps):
        if mbps < 0:
            raise ValueError("sample %d is negative (%g Mbit/s)" % (i, mbps))
        per_ms = mbps * 1e6 / 8 / 1000
        t0 = i * interval_ms
        for ms in range(t0, t0 + interval_ms):
            credit += per_ms
            while credit >= PACKET_BYTES:
                out.append(ms)
                credit -= PACKET_BYTES
    end = len(samples_mbps) * interval_ms
    if end <= 0:
        raise ValueError("no samples")
    if not out or out[-1] < end:
        out.append(end)
    return out


def write_trace(path, opportunities):
    with open(path, "w") as f:
        f.write("".join("%d\n" % t for t in opportunities))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("list", help="the throughput log")
    ap.add_argument("--run", type=int, default=1,
                    help="which run of the log, from 1 (default 1)")
    ap.add_argument("--interval-ms", type=int, default=1000,
                    help="length of one sample, ms (default 1000)")
    ap.add_argument("--out", help="trace file to write (default stdout)")
    args = ap.parse_args()
    runs = read_runs(args.list)
    if not 1 <= args.run <= len(runs):
        sys.exit("trace_from_throughput.py: %s has %d runs, not run %d"
                 % (args.list, len(runs), args.run))
    samples = runs[args.run - 1]
    trace = convert(samples, args.interval_ms)
    if args.out:
        write_trace(args.out, trace)
    else:
        sys.stdout.write("".join("%d\n" % t for t in trace))
    seconds = len(samples) * args.interval_ms / 1000
    print("run %d: %d samples, %.0f s, %d opportunities, mean %.1f Mbit/s "
          "(log: %.1f)" % (args.run, len(samples), seconds, len(trace),
                           len(trace) * PACKET_BYTES * 8 / seconds / 1e6,
                           sum(samples) / len(samples)), file=sys.stderr)


if __name__ == "__main__":
    main()
