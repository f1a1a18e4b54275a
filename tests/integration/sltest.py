"""Helpers for sonolink's integration tests: real processes on loopback.

Each test starts the real sonolink-hub, sonolink-township and sonolink-expert
binaries, reads what they report (JSON lines from --stats, exit statuses,
snapshots) and asserts on it.  Nothing here sleeps in place of
synchronisation: waits poll for the awaited event and end at a deadline.
"""

import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time


class TestFailure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise TestFailure(message)
    print("ok:", message, flush=True)


def wait_for(predicate, timeout, what, interval=0.05):
    """Polls predicate() until it returns a true value or timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TestFailure("timed out after %.0f s waiting for %s" % (timeout, what))


class Build:
    """Paths of the built programs, given on the command line by meson."""

    def __init__(self, argv):
        if len(argv) < 4:
            sys.exit("usage: %s HUB TOWNSHIP EXPERT" % argv[0])
        self.hub, self.township, self.expert = argv[1:4]


class Processes:
    """Starts programs and makes sure none outlives the test."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.procs = []

    def start(self, name, argv, env=None, stdin=subprocess.DEVNULL):
        """@stdin: subprocess.PIPE to write to the program's terminal."""
        log = open(os.path.join(self.workdir, name + ".log"), "wb")
        full_env = dict(os.environ)
        full_env.setdefault("GST_DEBUG", "sl-*:3")
        full_env.pop("DISPLAY", None)
        full_env.pop("WAYLAND_DISPLAY", None)
        if env:
            full_env.update(env)
        # A session of its own, so that cleanup can end whatever the
        # program started too (the demo script's stations).
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                stdin=stdin, env=full_env,
                                start_new_session=True)
        proc.name = name
        proc.log_path = log.name
        self.procs.append(proc)
        return proc

    def log(self, proc):
        with open(proc.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_exit(self, proc, timeout):
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure("%s did not exit within %.0f s" %
                              (proc.name, timeout))

    def stop(self, proc, timeout=15):
        """Ctrl-C, as a user would; returns the exit status."""
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        return self.wait_exit(proc, timeout)

    def cleanup(self):
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()

    def check_no_criticals(self):
        """A GLib critical is a broken precondition in our code or a
        library's: a bug even when the test's own checks pass."""
        for proc in self.procs:
            if "-CRITICAL **" in self.log(proc):
                raise TestFailure("%s logged a GLib critical" % proc.name)
        print("ok: no process logged a GLib critical", flush=True)

    def keep_logs(self):
        """With SL_TEST_KEEP_LOGS=DIR, copies every log there, whether the
        test passed or not (to compare a failing run with passing ones)."""
        keep = os.environ.get("SL_TEST_KEEP_LOGS")
        if keep:
            os.makedirs(keep, exist_ok=True)
            for proc in self.procs:
                shutil.copy(proc.log_path, keep)

    def dump_logs(self):
        """Prints the end of each log, and keeps them (keep_logs)."""
        for proc in self.procs:
            print("----- %s (exit %s) -----" % (proc.name, proc.poll()))
            print(self.log(proc)[-6000:])
        self.keep_logs()


class Hub:
    """A hub on an ephemeral loopback port with a fresh secret."""

    def __init__(self, build, procs, port=0, listen="127.0.0.1"):
        self.build = build
        self.procs = procs
        self.listen = listen
        self.dir = procs.workdir
        self.secret = os.path.join(self.dir, "hub.secret")
        if not os.path.exists(self.secret):
            subprocess.run([build.hub, "secret", "--out", self.secret],
                           check=True)
        self.port = port
        self.proc = None

    def start(self):
        port_file = os.path.join(self.dir, "hub.port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        # A hub on every address (for stations behind the link emulator)
        # must be told that plain ws:// is meant.
        extra = [] if self.listen == "127.0.0.1" else ["--insecure"]
        self.proc = self.procs.start("hub", [
            self.build.hub, "serve", "--listen", "%s:%d" % (self.listen,
                                                            self.port),
            "--secret", self.secret, "--port-file", port_file] + extra)
        text = wait_for(lambda: _read(port_file), 15, "the hub's port file")
        self.port = int(text)
        self.url = "ws://127.0.0.1:%d" % self.port
        return self

    def token(self, room, role, ttl="1h", secret=None):
        out = subprocess.run([
            self.build.hub, "token", "--secret", secret or self.secret,
            "--room", room, "--role", role, "--ttl", ttl],
            check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def token_file(self, name, token):
        path = os.path.join(self.dir, name + ".token")
        with open(path, "w") as f:
            f.write(token + "\n")
        os.chmod(path, 0o600)
        return path


def _read(path):
    try:
        with open(path) as f:
            text = f.read().strip()
        return text or None
    except FileNotFoundError:
        return None


def station_args(hub, token_file, stats, extra=()):
    return ["--hub", hub.url, "--token-file", token_file, "--stats", stats,
            "--ice-address", "127.0.0.1", "--audio-out", "none",
            "--connect-timeout", "10"] + list(extra)


def start_pair(build, procs, hub, room, township_extra=(), expert_extra=()):
    """A township and an expert in @room, each writing --stats in the work
    directory: returns (township, expert, township stats, expert stats)."""
    t_stats = os.path.join(procs.workdir, "township.jsonl")
    e_stats = os.path.join(procs.workdir, "expert.jsonl")
    township = procs.start("township", [build.township] + station_args(
        hub, hub.token_file("t", hub.token(room, "township")), t_stats,
        list(township_extra)))
    expert = procs.start("expert", [build.expert] + station_args(
        hub, hub.token_file("e", hub.token(room, "expert")), e_stats,
        list(expert_extra)))
    return township, expert, t_stats, e_stats


def read_latency_log(path):
    """(index, latency_us, arrival_us) of each line of an expert's
    --latency-log (docs/sonolink-expert.md); arrival_us is None on a line
    without it."""
    rows = []
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2:
                    rows.append((int(parts[0]), int(parts[1]),
                                 int(parts[2]) if len(parts) > 2 else None))
    except FileNotFoundError:
        pass
    return rows


def read_stats(path):
    """All JSON records of a --stats file (a torn last line is skipped)."""
    records = []
    try:
        with open(path) as f:
            for line in f:
                try:
                    records.append(json.loads(line))
                except ValueError:
                    pass
    except FileNotFoundError:
        pass
    return records


def session_records(path):
    return [r for r in read_stats(path) if r.get("state") != "waiting"]


def last_session(path):
    """The last record of a session in a --stats file, {} before any."""
    records = session_records(path)
    return records[-1] if records else {}


def connected_frames_since(path, start):
    """Frames decoded between the first and the last record of a connected
    session after line @start of the --stats file @path (after a stall,
    those of the session made again, or of the old one had it carried
    on)."""
    recs = [r for r in read_stats(path)[start:] if r.get("state") == "connected"]
    return recs[-1]["frames_decoded"] - recs[0]["frames_decoded"] if recs else 0


class Stopped:
    """A station stopped with SIGSTOP, as a machine that freezes: @wait
    lets the stall last its length, counted from the stop, whatever the
    test waited for meanwhile; @resume lets the station run again."""

    def __init__(self, proc):
        self.proc = proc
        os.kill(proc.pid, signal.SIGSTOP)
        self.at = time.monotonic()

    def wait(self, seconds):
        while time.monotonic() - self.at < seconds:
            time.sleep(0.2)

    def resume(self):
        os.kill(self.proc.pid, signal.SIGCONT)

    def check_ridden(self, procs, who, since=0):
        """The station said that it stalled (in its log after @since
        characters) and kept its hub connection: the stall was its own,
        not the hub's silence (docs/link-recovery.md)."""
        log = procs.log(self.proc)
        check("did not run for" in log[since:],
              "the %s says that it stalled" % who)
        check("lost the hub" not in log,
              "the %s kept its hub connection" % who)


def png_size(path):
    """(width, height) of a PNG file; None if it is not (yet) one."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except FileNotFoundError:
        return None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def decode_recording(path, voices=False):
    """Decodes a recording (docs/recording.md) with GStreamer: returns
    (exit status, {(width, height): decoded frames}, gst-launch's output).
    With @voices both voice tracks are read too (a track with no packet
    at all would hold this hand-made pipeline's preroll for ever; playbin
    copes)."""
    argv = ["gst-launch-1.0", "-v", "filesrc", "location=" + path, "!",
            "matroskademux", "name=d", "d.video_0", "!", "queue", "!",
            "h264parse", "!", "avdec_h264", "!", "fakesink", "silent=false",
            "sync=false"]
    if voices:
        argv += ["d.audio_0", "!", "queue", "!", "fakesink", "sync=false",
                 "d.audio_1", "!", "queue", "!", "fakesink", "sync=false"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    sizes, size = {}, None
    for line in out.stdout.splitlines():
        m = re.search(r"avdec_h264.*src: caps = video/x-raw.*width=\(int\)"
                      r"(\d+), height=\(int\)(\d+)", line)
        if m:
            size = (int(m.group(1)), int(m.group(2)))
        elif re.search(r"fakesink0.*chain", line):
            sizes[size] = sizes.get(size, 0) + 1
    return out.returncode, sizes, out.stdout


def recorded_lumas(path, width, height):
    """Yields the luma plane (bytes, @width x @height) of every picture of
    a recording, decoded with h264parse and avdec_h264 as I420 at that
    size (a picture of another size fails the decode: TestFailure)."""
    with tempfile.NamedTemporaryFile(suffix=".yuv") as raw:
        out = subprocess.run(
            ["gst-launch-1.0", "-q", "filesrc", "location=" + path, "!",
             "matroskademux", "!", "h264parse", "!", "avdec_h264", "!",
             "video/x-raw,format=I420,width=%d,height=%d" % (width, height),
             "!", "filesink", "location=" + raw.name],
            capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise TestFailure("%s does not decode at %dx%d: %s"
                              % (path, width, height, out.stderr.strip()))
        luma = width * height
        frame = luma + 2 * ((width + 1) // 2) * ((height + 1) // 2)
        while True:
            data = raw.read(frame)
            if len(data) < frame:
                return
            yield data[:luma]


def decode_recorded_voice(path, pad, rate=16000):
    """The samples (mono, @rate Hz, floats in -1..1) of a recording's voice
    track: @pad is the demuxer's "audio_0" (the township's voice) or
    "audio_1" (the expert's), docs/recording.md."""
    with tempfile.NamedTemporaryFile(suffix=".raw") as raw:
        subprocess.run(
            ["gst-launch-1.0", "-q", "filesrc", "location=" + path, "!",
             "matroskademux", "name=d", "d." + pad, "!", "queue", "!",
             "opusdec", "!", "audioconvert", "!", "audioresample", "!",
             "audio/x-raw,format=S16LE,channels=1,rate=%d" % rate, "!",
             "filesink", "location=" + raw.name],
            check=True, capture_output=True, timeout=120)
        data = raw.read()
    n = len(data) // 2
    return [v / 32768.0 for v in struct.unpack("<%dh" % n, data[:2 * n])]


def tone_share(samples, hz, rate=16000):
    """The share (0..1) of the samples' energy at @hz (Goertzel over the
    whole signal, normalised by its total energy)."""
    import math
    coeff = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    energy = sum(x * x for x in samples)
    # A pure tone of amplitude A over N samples: power (A N / 2)^2,
    # energy A^2 N / 2, hence the factor.
    return 2 * power / (len(samples) * energy) if energy > 0 else 0.0


def tone_seconds(samples, hz, rate=16000, dominant=0.5):
    """Seconds of the samples, in half-second windows, where @hz holds
    more than @dominant of the energy (tone_share)."""
    n = rate // 2
    return sum(0.5 for i in range(0, len(samples) - n + 1, n)
               if tone_share(samples[i:i + n], hz, rate) > dominant)


def run(main):
    """Runs main(build, procs) in a fresh directory; prints logs on failure."""
    build = Build(sys.argv)
    with tempfile.TemporaryDirectory(prefix="sl-test-") as workdir:
        procs = Processes(workdir)
        try:
            main(build, procs)
            procs.check_no_criticals()
            procs.keep_logs()
        except TestFailure as e:
            print("FAIL:", e, flush=True)
            procs.dump_logs()
            procs.cleanup()
            sys.exit(1)
        except BaseException:
            procs.dump_logs()
            procs.cleanup()
            raise
        procs.cleanup()
    print("PASS")
