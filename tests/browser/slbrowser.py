"""Helpers for the browser tests: Debian's chromium driven by
playwright-core (pwdriver.mjs) beside the real hub and township of
tests/integration/sltest.py.

A test skips (exit 77) when chromium or tests/browser/node_modules is
missing; .ci/setup installs both, so CI runs them.
"""

import json
import math
import os
import shutil
import struct
import subprocess
import sys
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import sltest  # noqa: E402
from sltest import TestFailure, check, wait_for  # noqa: E402,F401

CHROMIUM = os.environ.get("SL_CHROMIUM", "/usr/bin/chromium")
PAGE_TONE_HZ = 1000


def skip_unless_ready():
    if not os.access(CHROMIUM, os.X_OK):
        print("SKIP: no chromium at %s (apt-get install chromium)" % CHROMIUM)
        sys.exit(77)
    if not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        print("SKIP: tests/browser/node_modules is missing (npm ci in "
              "tests/browser)")
        sys.exit(77)
    if shutil.which("node") is None:
        print("SKIP: no node")
        sys.exit(77)


def write_tone(path, hz=PAGE_TONE_HZ, seconds=10, rate=48000):
    """A mono 16-bit WAV of a sine at @hz: the page's fake microphone."""
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = bytearray()
        for i in range(seconds * rate):
            frames += struct.pack(
                "<h", int(12000 * math.sin(2 * math.pi * hz * i / rate)))
        w.writeframes(bytes(frames))
    return path


class Browser:
    """One chromium with any number of pages, over pwdriver.mjs."""

    def __init__(self, workdir, tone_wav=None):
        env = dict(os.environ)
        env["SL_CHROMIUM"] = CHROMIUM
        if tone_wav:
            env["SL_FAKE_AUDIO"] = tone_wav
        self.log = open(os.path.join(workdir, "chromium.log"), "wb")
        self.proc = subprocess.Popen(
            ["node", os.path.join(HERE, "pwdriver.mjs")], cwd=HERE,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
            env=env, text=True, start_new_session=True)
        self.next_id = 0

    def call(self, cmd, **kw):
        self.next_id += 1
        kw.update(id=self.next_id, cmd=cmd)
        self.proc.stdin.write(json.dumps(kw) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise TestFailure("the browser driver ended (see chromium.log)")
        answer = json.loads(line)
        if not answer.get("ok"):
            raise TestFailure("browser %s failed: %s" % (cmd, answer.get("error")))
        return answer.get("value")

    def open(self, url, width=1600, height=1000):
        return self.call("open", url=url, width=width, height=height)

    def eval(self, page, js):
        return self.call("eval", page=page, js=js)

    def probe(self, page, what):
        return self.eval(page, "window.sonolink && window.sonolink.%s" % what)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.call("quit")
            except (TestFailure, BrokenPipeError, ValueError):
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def start_consultation(build, procs, room, extra=()):
    """A hub serving client/web and a township (the synthetic phantom at
    640x360, its 700 Hz test tone) in @room; returns (hub, its stats)."""
    hub = sltest.Hub(build, procs).start()
    t_stats = os.path.join(procs.workdir, "township.jsonl")
    procs.start("township", [build.township] + sltest.station_args(
        hub, hub.token_file("township", hub.token(room, "township")),
        t_stats, ["--audio-in", "test", "--width", "640", "--height", "360",
                  "--duration", "120"] + list(extra)))
    return hub, t_stats


def near(a, b, tol):
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def overlay_point(browser, page, fx, fy):
    """Where a point of the picture (0..1) is on the page."""
    box = browser.call("box", page=page, selector="#overlay")
    return box["x"] + fx * box["width"], box["y"] + fy * box["height"]


def draw(browser, page, key, a, b):
    """Chooses a tool with its key and drags from @a to @b (0..1)."""
    browser.call("key", page=page, key=key)
    x0, y0 = overlay_point(browser, page, *a)
    x1, y1 = overlay_point(browser, page, *b)
    browser.call("mouse", page=page, steps=[
        ["move", x0, y0], ["down"], ["move", x1, y1, 10], ["up"]])


def page_url(hub, token):
    """The station's address: the token in the fragment only."""
    return "http://127.0.0.1:%d/#token=%s" % (hub.port, token)
