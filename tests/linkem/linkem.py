"""Helpers for tests that run a program behind sl-linkem, the link emulator.

    sys.path.insert(0, "<source>/tests/linkem")
    import linkem

    linkem.skip_unless_available()        # exit 77 without root or TUN
    argv = linkem.linkem_argv(exe, delay=40, up_loss=2, outage=[(5, 0.15)])
    with linkem.Link(exe, ["my-client", "--flag"], workdir, up_rate=4000,
                     up_queue=200) as link:
        link.wait(30)
    print(link.returncode, link.stats["up"]["packets_lost"])

Keyword options are sl-linkem's option names with "_" for "-" (delay,
up_delay, down_queue_bytes, path_change, ...).  Flags take True; burst_loss
takes a pair (P_GB, P_BG) in percent; outage takes one (AT_S, LEN_S) pair or
a list of them.  A value of None or False leaves the option out.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile

_FLAGS = ("reorder",)


def available():
    """(True, None) when sl-linkem can run here, else (False, why not)."""
    if os.geteuid() != 0:
        return False, "sl-linkem needs root (network namespaces, TUN)"
    try:
        os.close(os.open("/dev/net/tun", os.O_RDWR))
    except OSError as e:
        return False, "cannot open /dev/net/tun: %s" % e.strerror
    return True, None


def skip_unless_available():
    """Exits with 77, meson's "skipped", when sl-linkem cannot run here."""
    ok, why = available()
    if not ok:
        print("SKIP:", why, flush=True)
        sys.exit(77)


def _base(name):
    for prefix in ("up_", "down_"):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _outages(value):
    if value and isinstance(value[0], (int, float)):
        return [value]
    return list(value)


def linkem_argv(exe, **options):
    """The argv prefix [exe, options..., "--"]; append CMD and its args."""
    argv = [exe]
    for name, value in options.items():
        if value is None or value is False:
            continue
        opt = "--" + name.replace("_", "-")
        base = _base(name)
        if base in _FLAGS:
            argv.append(opt)
        elif base == "burst_loss" and not isinstance(value, str):
            argv += [opt, "%g,%g" % tuple(value)]
        elif base == "outage" and not isinstance(value, str):
            for at, length in _outages(value):
                argv += [opt, "%g+%g" % (at, length)]
        else:
            argv += [opt, str(value)]
    argv.append("--")
    return argv


def read_stats(path):
    """The --stats JSON object, or None if it was not written."""
    try:
        with open(path) as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return None


class Link:
    """Runs CMD behind sl-linkem; a context manager.

    Leaving the block waits for sl-linkem to end (SIGTERM after `timeout`
    seconds, or at once if the block raised; SIGKILL to the whole session
    10 s later), then reads the stats:
    `returncode` and `stats` are set afterwards.  Output goes to `log`
    (a file object) or to workdir/linkem.log.
    """

    def __init__(self, exe, cmd, workdir=None, env=None, log=None,
                 timeout=60, **options):
        self.workdir = workdir or tempfile.mkdtemp(prefix="sl-linkem-")
        self.stats_path = options.pop("stats", None) or os.path.join(
            self.workdir, "linkem-stats.json")
        self.argv = linkem_argv(exe, stats=self.stats_path, **options) + \
            list(cmd)
        self.env = env
        self.timeout = timeout
        self.log = log
        self.log_path = None
        self.proc = None
        self.returncode = None
        self.stats = None

    def __enter__(self):
        if self.log is None:
            self.log_path = os.path.join(self.workdir, "linkem.log")
            self.log = open(self.log_path, "wb")
        env = dict(os.environ)
        env.update(self.env or {})
        # A session of its own, so that cleanup reaches CMD's children too.
        self.proc = subprocess.Popen(self.argv, stdout=self.log,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env,
                                     start_new_session=True)
        return self

    def wait(self, timeout=None):
        """Waits for the end (TimeoutExpired after `timeout` seconds)."""
        self.returncode = self.proc.wait(timeout=timeout)
        self.stats = read_stats(self.stats_path)
        return self.returncode

    def stop(self, grace=10):
        """SIGTERM (passed on to CMD), then SIGKILL after `grace` s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.wait()

    def output(self):
        """What sl-linkem and CMD printed (with the default log)."""
        if self.log_path is None:
            return ""
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is not None:
                self.stop()
            else:
                self.wait(self.timeout)
        except subprocess.TimeoutExpired:
            self.stop()
        finally:
            if self.log_path is not None:
                self.log.close()
        return False
