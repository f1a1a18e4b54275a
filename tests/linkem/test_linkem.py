#!/usr/bin/env python3
"""sl-linkem end to end: a UDP probe measures the link it emulates.

    test_linkem.py SL_LINKEM SCENARIO

The probe's sender runs behind the link (in sl-linkem's namespace), its
sink on the host at $SL_LINKEM_HOST; udp_probe.py says how they timestamp.
Each scenario sets one feature and checks, on medians and counts, that the
measurement matches the setting within a tolerance wide enough for a busy
two-core machine yet far from what the link would show without the
feature (a 40 ms delay measured at 40 to 42 ms, not 0).  The "cli"
scenario only checks the command line and needs no privileges; the others
exit with 77 (skipped) without root or /dev/net/tun.
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import linkem  # noqa: E402
from sltest import TestFailure, check, wait_for  # noqa: E402

PROBE = os.path.join(HERE, "udp_probe.py")
IP_UDP_HEADERS = 28


def pct(values, q):
    """The q-quantile (0..1) of values, nearest rank."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * (len(s) - 1)))))]


def _read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return None


class Run:
    """One probe run through one link: what the sink and sender saw."""

    def __init__(self, sink, sender, link):
        self.link = link
        self.stats = link.stats
        self.sender = sender
        # seq -> [source, sent (wall ns), received (wall ns), bytes]
        self.received = {p[0]: p[1:] for p in sink["packets"]}
        self.arrival_order = [p[0] for p in sink["packets"]]
        self.sent = sender["sent"]
        # Wall clock minus CLOCK_MONOTONIC, to put arrivals on the clock
        # of sl-linkem's schedule.
        self.wall_minus_mono = sorted(s[2] - s[1] for s in self.sent)[
            len(self.sent) // 2]
        self.epoch_ns = sender["epoch_ns"]

    def one_way_ms(self):
        return [(r[2] - r[1]) / 1e6 for r in self.received.values()]

    def rtt_ms(self):
        return [e[1] / 1e6 for e in self.sender["echoes"]]

    def since_epoch_s(self, mono_ns):
        return (mono_ns - self.epoch_ns) / 1e9

    def arrival_since_epoch_ms(self, seq):
        return (self.received[seq][2] - self.wall_minus_mono -
                self.epoch_ns) / 1e6

    def lost(self):
        return [s[0] for s in self.sent if s[0] not in self.received]


class Probe:
    def __init__(self, exe, workdir):
        self.exe = exe
        self.workdir = workdir
        self.runs = 0

    def run(self, count, interval_ms, size=100, echo=False, reconnect=False,
            **options):
        self.runs += 1
        d = os.path.join(self.workdir, "run%d" % self.runs)
        os.makedirs(d)
        port_file = os.path.join(d, "port.json")
        sink_out = os.path.join(d, "sink.json")
        send_out = os.path.join(d, "send.json")
        sink = subprocess.Popen(
            [sys.executable, PROBE, "sink", "--port-file", port_file,
             "--out", sink_out] + (["--echo"] if echo else []))
        try:
            port = wait_for(lambda: _read_json(port_file), 10,
                            "the sink's port")
            cmd = [sys.executable, PROBE, "send", "--port", str(port),
                   "--count", str(count), "--interval-ms", str(interval_ms),
                   "--size", str(size), "--out", send_out]
            if reconnect:
                cmd.append("--reconnect")
            with linkem.Link(self.exe, cmd, d, timeout=40, **options) as link:
                pass
        finally:
            sink.terminate()
            sink.wait(10)
        if link.returncode != 0:
            print(link.output())
        check(link.returncode == 0 and link.stats is not None,
              "the sender behind the link ran (exit 0, stats written)")
        return Run(_read_json(sink_out), _read_json(send_out), link)


def check_near(value, low, high, what):
    check(low <= value <= high,
          "%s: %.2f, within [%.2f, %.2f]" % (what, value, low, high))


def scenario_delay(probe):
    """Asymmetric delays: the one-way delay up and the round trip."""
    r = probe.run(300, 5, echo=True, up_delay=40, down_delay=15)
    check(len(r.received) == 300 and len(r.rtt_ms()) == 300,
          "every packet and every echo arrived")
    up = r.one_way_ms()
    check(min(up) >= 39.9, "no packet left early (min %.2f ms)" % min(up))
    check_near(pct(up, 0.5), 40, 42, "uplink delay p50 (ms), set to 40")
    check_near(pct(r.rtt_ms(), 0.5), 55, 58,
               "round trip p50 (ms), set to 40 + 15")
    check(r.stats["up"]["packets_out"] == 300
          and r.stats["down"]["packets_out"] == 300,
          "the stats count 300 packets out each way (up %s, down %s)" % (
              r.stats["up"], r.stats["down"]))


def inversions(order):
    """How many packets arrived after one sent later."""
    top, n = -1, 0
    for seq in order:
        if seq < top:
            n += 1
        top = max(top, seq)
    return n


def scenario_jitter(probe):
    """30 ± 10 ms: bounds and spread, in order unless --reorder."""
    r = probe.run(400, 5, up_delay=30, up_jitter=10)
    d = r.one_way_ms()
    check(min(d) >= 19.9, "no packet below delay - jitter (min %.2f ms)" %
          min(d))
    check_near(pct(d, 0.9) - pct(d, 0.1), 8, 21, "p90 - p10 spread (ms)")
    check_near(pct(d, 0.5), 30, 38,
               "p50 (ms) without reordering, skewed up from 30")
    check(inversions(r.arrival_order) == 0, "no packet overtook another")

    r = probe.run(400, 5, up_delay=30, up_jitter=10, up_reorder=True)
    d = r.one_way_ms()
    check(min(d) >= 19.9, "with --reorder, min %.2f ms >= 20" % min(d))
    check_near(pct(d, 0.5), 28, 33, "p50 (ms) with reordering")
    check_near(pct(d, 0.9) - pct(d, 0.1), 12, 20,
               "p90 - p10 spread (ms), uniform: 16")
    n = inversions(r.arrival_order)
    check(n >= 80, "with --reorder, %d packets arrived out of order" % n)


def mean_burst(lost, count):
    lost = set(lost)
    bursts = sum(1 for s in lost if s - 1 not in lost)
    return len(lost) / bursts if bursts else 0.0


def scenario_loss(probe):
    """Random loss in a binomial band; bursts from Gilbert–Elliott."""
    n = 2000
    r = probe.run(n, 1, up_loss=10, seed=5)
    lost = r.lost()
    # 10 % of 2000: mean 200, standard deviation 13.4; ±4.5 of them.
    check_near(len(lost), 140, 260, "packets lost of 2000 at 10 %")
    check(r.stats["up"]["packets_lost"] == len(lost),
          "the stats count the same losses (%d)" %
          r.stats["up"]["packets_lost"])
    check(mean_burst(lost, n) < 1.4,
          "random loss is not bursty (mean burst %.2f)" % mean_burst(lost, n))

    r = probe.run(n, 1, up_burst_loss=(2, 25), seed=5)
    lost = r.lost()
    # Expected: 2 / 27 = 7.4 % lost, bursts of 1 / 0.25 = 4 packets.
    check_near(len(lost) / n * 100, 3, 13, "percent lost with bursts 2,25")
    check_near(mean_burst(lost, n), 2.5, 6.5, "mean burst length, set to 4")
    check(r.stats["up"]["packets_lost"] == len(lost),
          "the stats count the same losses")


def steady_rate_kbps(r, skip_s=0.5):
    """Throughput seen by the sink after the first skip_s seconds."""
    times = sorted((p[2], p[3]) for p in r.received.values())
    start = times[0][0] + skip_s * 1e9
    window = [t for t in times if t[0] >= start]
    bits = sum((size + IP_UDP_HEADERS) * 8 for _, size in window[1:])
    return bits / ((window[-1][0] - window[0][0]) / 1e9) / 1000


def scenario_rate(probe):
    """2000 kbit/s behind a 100 ms queue, offered about twice that."""
    r = probe.run(1500, 2, size=1000, up_rate=2000, up_queue=100)
    check_near(steady_rate_kbps(r), 1800, 2200, "throughput (kbit/s), set "
               "to 2000, offered 4100")
    d = r.one_way_ms()
    check_near(pct(d, 0.5), 80, 112, "p50 delay (ms) with the queue full")
    check(max(d) <= 125, "no packet queued beyond the 100 ms limit (max "
          "%.1f ms)" % max(d))
    check(r.stats["up"]["packets_overflow"] > 400,
          "the queue dropped %d packets" % r.stats["up"]["packets_overflow"])


# What one delivery opportunity of a trace carries, and what a packet
# costs of it beyond its IP bytes (mahimahi's figures, docs/sl-linkem.md).
TRACE_BYTES = 1504
TRACE_HEADER = 4


def trace_run(probe, trace, size):
    """2500 packets of size bytes, one a millisecond, through trace; the
    arrivals since the epoch (ms) and the packets per second after the
    first 0.5 s."""
    r = probe.run(2500, 1, size=size, up_trace=trace, up_queue_bytes=30000)
    arrivals = sorted(r.arrival_since_epoch_ms(s) for s in r.received)
    window = [t for t in arrivals if t >= arrivals[0] + 500]
    return r, arrivals, (len(window) - 1) / ((window[-1] - window[0]) / 1000)


def scenario_trace(probe):
    """One opportunity every 20 ms: 1504 bytes of the queue each, shared.

    50 opportunities a second carry 50 * 1504 bytes a second of packets,
    each costing its IP size and 4: 569 packets of 128 bytes (100 of
    payload) or 73 of 1028, both offered at 1000 a second.  A model that
    gave each packet a whole opportunity would let 50 a second through
    either way."""
    trace = os.path.join(probe.workdir, "sparse.mm")
    with open(trace, "w") as f:
        f.write("20\n")
    pps = {}
    for size in (100, 1000):
        cost = size + IP_UDP_HEADERS + TRACE_HEADER
        expected = 50 * TRACE_BYTES / cost
        r, arrivals, pps[size] = trace_run(probe, trace, size)
        check_near(pps[size] / expected, 0.9, 1.1,
                   "%d-byte packets: %.1f a second, over the %.1f the "
                   "trace's bytes give" % (size, pps[size], expected))
        check(r.stats["up"]["packets_overflow"] > 0,
              "the link was saturated (%d overflow drops)" %
              r.stats["up"]["packets_overflow"])
        # Packets leave only with an opportunity, at 0 ms into each 20 ms
        # period; a constant rate would put about 4 % of them there.
        on_time = sum(1 for t in arrivals if (t + 0.1) % 20 <= 0.8)
        check(on_time >= 0.75 * len(arrivals),
              "%.0f %% of packets left within 0.7 ms of an opportunity" %
              (100 * on_time / len(arrivals)))
    # The small ones share opportunities: about 11.4 to each.
    check(pps[100] > 5 * 50, "small packets share opportunities (%.0f a "
          "second through 50 opportunities)" % pps[100])


def scenario_outage(probe):
    """Down from 1 s for 0.5 s, both ways."""
    r = probe.run(500, 5, echo=True, delay=50, outage=(1, 0.5))
    sent_at = {s[0]: r.since_epoch_s(s[1]) for s in r.sent}
    lost = r.lost()
    check_near(len(lost), 88, 112, "packets lost in 0.5 s at one per 5 ms")
    # Slack for the time from send() to the emulator's read.
    early = [s for s in lost if not 0.95 <= sent_at[s] <= 1.5]
    check(not early, "only packets sent during the outage were lost (%s)" %
          early[:5])
    through = [s for s in sent_at if 1.0 <= sent_at[s] < 1.45 and s not in
               lost]
    check(not through, "no packet sent in the outage got through")
    check(r.stats["up"]["packets_outage"] == len(lost),
          "the stats count the same outage drops")
    check(r.stats["down"]["packets_outage"] >= 3,
          "the outage dropped echoes too (%d)" %
          r.stats["down"]["packets_outage"])


def scenario_path_change(probe):
    """At 1 s CMD's address changes: the old socket fails, a new one works."""
    r = probe.run(200, 10, echo=True, reconnect=True, delay=5, path_change=1)
    old, new = r.stats["addr"], r.stats.get("new_addr")
    check(r.stats["path_changed"] and new and new != old,
          "the address changed from %s to %s" % (old, new))
    sources = [r.received[s][0] for s in r.arrival_order]
    switch = sources.index(new) if new in sources else len(sources)
    check(switch > 20 and set(sources[:switch]) == {old}
          and set(sources[switch:]) == {new},
          "packets came from the old address, then only from the new")
    errors = r.sender["errors"]
    check(errors and 0.99 <= r.since_epoch_s(errors[0][2]) <= 1.3,
          "the old socket failed right after the change (errno %s)" %
          (errors[0][1] if errors else None))
    first_new = r.sender["local"][-1][0]
    echoes = [e[0] for e in r.sender["echoes"] if e[0] >= first_new]
    check(len(echoes) > 50, "%d echoes came back to the new address" %
          len(echoes))


def expect_refused(exe, args, words, code=2, cmd=("--", "true")):
    out = subprocess.run([exe] + args + list(cmd), capture_output=True,
                         text=True, timeout=10)
    check(out.returncode == code and all(w in out.stderr for w in words),
          "%s refused (exit %d): %s" % (" ".join(args), out.returncode,
                                        out.stderr.strip().split("\n")[0]))


def scenario_cli(exe, workdir):
    """Bad options are refused with a message naming them; --help."""
    bad_trace = os.path.join(workdir, "bad.mm")
    with open(bad_trace, "w") as f:
        f.write("5\n10\n7\n")
    expect_refused(exe, ["--loss", "120"], ["--loss 120", "0 to 100"])
    expect_refused(exe, ["--up-loss=-1"], ["--up-loss -1"])
    expect_refused(exe, ["--burst-loss", "5"], ["P_GB,P_BG"])
    expect_refused(exe, ["--burst-loss", "5,0"], ["P_BG"])
    expect_refused(exe, ["--rate", "0"], ["--rate 0"])
    expect_refused(exe, ["--down-delay", "ten"], ["--down-delay ten"])
    expect_refused(exe, ["--rate", "100", "--trace", bad_trace],
                   ["--rate 100 already"])
    expect_refused(exe, ["--queue", "10", "--queue-bytes", "100"],
                   ["--queue 10 already"])
    expect_refused(exe, ["--up-trace", bad_trace], ["line 3"])
    expect_refused(exe, ["--outage", "5"], ["AT_S+LEN_S"])
    expect_refused(exe, ["--mtu", "100"], ["MTU"])
    expect_refused(exe, ["--seed"], ["needs a value"], cmd=())
    expect_refused(exe, ["--up-seed", "3"], ["unknown option --up-seed"])
    out = subprocess.run([exe, "--help"], capture_output=True, text=True,
                         timeout=10)
    options = ["--delay", "--jitter", "--reorder", "--loss", "--burst-loss",
               "--rate", "--trace", "--queue", "--queue-bytes", "--outage",
               "--path-change", "--seed", "--stats", "--mtu", "--up-",
               "--down-", "SL_LINKEM_HOST", "SL_LINKEM_ADDR"]
    missing = [o for o in options if o not in out.stdout]
    check(out.returncode == 0 and not missing,
          "--help explains every option (missing: %s)" % missing)
    argv = linkem.linkem_argv(exe, delay=40, up_loss=2, reorder=True,
                              down_burst_loss=(1, 25), outage=[(1, 0.5),
                                                                (3, 1)],
                              up_queue_bytes=1500, jitter=None)
    check(argv == [exe, "--delay", "40", "--up-loss", "2", "--reorder",
                   "--down-burst-loss", "1,25", "--outage", "1+0.5",
                   "--outage", "3+1", "--up-queue-bytes", "1500", "--"],
          "linkem_argv builds the command line")


SCENARIOS = {
    "delay": scenario_delay,
    "jitter": scenario_jitter,
    "loss": scenario_loss,
    "rate": scenario_rate,
    "trace": scenario_trace,
    "outage": scenario_outage,
    "path-change": scenario_path_change,
}


def main():
    import tempfile

    if len(sys.argv) != 3 or (sys.argv[2] not in SCENARIOS
                              and sys.argv[2] != "cli"):
        sys.exit("usage: %s SL_LINKEM %s" % (
            sys.argv[0], "|".join(list(SCENARIOS) + ["cli"])))
    exe, name = sys.argv[1], sys.argv[2]
    if name != "cli":
        linkem.skip_unless_available()
    with tempfile.TemporaryDirectory(prefix="sl-linkem-test-") as workdir:
        try:
            if name == "cli":
                scenario_cli(exe, workdir)
            else:
                SCENARIOS[name](Probe(exe, workdir))
        except TestFailure as e:
            print("FAIL:", e, flush=True)
            sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
