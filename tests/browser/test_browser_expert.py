#!/usr/bin/env python3
"""The browser expert station in Debian's chromium against a real township.

    test_browser_expert.py HUB TOWNSHIP EXPERT

hub (serving client/web by default, from the source tree as a hub run
from the build tree does) + sonolink-township --probe synthetic at
640x360 and 4 Mbit/s, where the encoder's level uses CABAC and deblocking
(Main profile; an offer of High alone is refused by Chromium) + chromium
(headless, fake devices, the fake microphone playing a 1000 Hz tone) on
http://127.0.0.1:PORT/#token=EXPERT_TOKEN.

Asserts, one session throughout:
- interop: the page decodes the township's picture with codec H264
  (getStats), and the decoder does not keep asking for keyframes (a
  keyframe request loop made Chromium ask three times a second);
  Chromium's answer takes the township's playout-delay extension;
  Chromium's transport-wide feedback reaches the township's rate
  controller (its acked rate);
- voice both ways: the township hears the page's tone (its stats' peak
  frequency), the page hears the township's 700 Hz test tone (a WebAudio
  AnalyserNode on the received track);
- guidance: a box drawn with the mouse shows in the township's
  --snapshot (its colour at the box's edge, the picture elsewhere); the
  live pointer arrives (the township's --snapshot shows the pointer's
  colour where the mouse rests); undo removes the box; a still asked with
  the `s` key downloads with the SHA-256 the township logged;
- side by side: an ellipse, an arrow and a freehand line drawn with the
  mouse, rendered by the page (guide.js) on a 640x360 canvas and by the
  township's C renderer in its --snapshot, cover the same pixels: each
  renderer's yellow pixels have one of the other's within a pixel (98 %
  or more), and their counts are within 20 % (the same line widths);
- a screenshot of the expert view at 1600x1000 (expert-view.png in the
  build's meson-logs when SL_SCREENSHOT_DIR is set) with the picture
  taking most of the window.
"""

import base64
import hashlib
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slbrowser  # noqa: E402
from slbrowser import (Browser, check, draw, near, overlay_point,  # noqa: E402
                       page_url, start_consultation, wait_for)
from sltest import TestFailure, last_session, run  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from slpng import read_png  # noqa: E402

W, H = 640, 360
YELLOW, CYAN = (255, 230, 0), (0, 230, 255)


def pixel(png, x, y):
    return tuple(png.pixel(int(x), int(y))[:3])


def main(build, procs):
    slbrowser.skip_unless_ready()
    d = procs.workdir
    room = "browser-expert"
    t_png = os.path.join(d, "township.png")
    t_dir = os.path.join(d, "t-stills")
    os.mkdir(t_dir)
    hub, t_stats = start_consultation(build, procs, room, [
        "--snapshot", t_png, "--stills-dir", t_dir])

    browser = Browser(d, slbrowser.write_tone(os.path.join(d, "tone.wav")))
    try:
        page = browser.open(page_url(hub, hub.token(room, "expert")))
        check_interop(browser, page, t_stats)
        check_voice(browser, page, t_stats)
        check_guidance(browser, page, t_stats, t_png, t_dir, procs)
        check_side_by_side(browser, page, t_stats, t_png, d)
        check_screenshot(browser, page, d)
    finally:
        browser.close()
    log = procs.log(hub.proc)
    check("#token" not in log and hub.token(room, "expert")[:12] not in log,
          "the hub's log holds no token")


def check_interop(browser, page, t_stats):
    wait_for(lambda: browser.probe(page, "role") == "expert", 20,
             "the page to join as expert")
    wait_for(lambda: (browser.probe(page, "framesDecoded") or 0) >= 90, 40,
             "the page to decode 90 frames")
    check(browser.probe(page, "videoCodec") == "video/H264",
          "the page decodes the township's picture as H264 (%s)"
          % browser.probe(page, "decoder"))
    # The township asks for no playout delay, and Chromium agrees to read
    # it: each picture is shown as soon as it is decoded, not held for
    # smoothness (docs/browser-station.md).
    answer = browser.probe(page, "answer") or ""
    check(re.search(r"^a=extmap:\d+ http://www\.webrtc\.org/experiments/"
                    r"rtp-hdrext/playout-delay\r?$", answer, re.M),
          "Chromium's answer takes the playout-delay extension")
    first = browser.probe(page, "keyframeRequests")
    start = browser.probe(page, "framesDecoded")
    wait_for(lambda: browser.probe(page, "framesDecoded") >= start + 90, 20,
             "90 more frames")
    asked = browser.probe(page, "keyframeRequests") - first
    check(asked == 0, "no keyframe asked for while 90 frames decoded "
          "(%d asked)" % asked)
    rec = wait_for(lambda: (last_session(t_stats).get("acked_kbps") or 0) > 500
                   and last_session(t_stats), 10,
                   "the township's rate controller to hear Chromium's "
                   "transport-wide feedback")
    check(rec["acked_kbps"] > 500, "Chromium's TWCC feedback acknowledges "
          "%d kbit/s at the township" % rec["acked_kbps"])


def check_voice(browser, page, t_stats):
    rec = wait_for(lambda: abs((last_session(t_stats).get("audio_peak_hz") or 0)
                               - slbrowser.PAGE_TONE_HZ) <= 25
                   and last_session(t_stats), 20,
                   "the township to hear the page's tone")
    check(True, "the township hears the page's microphone at %.1f Hz"
          % rec["audio_peak_hz"])
    hz = wait_for(lambda: (lambda v: v if v and abs(v - 700) <= 25 else None)(
        browser.eval(page, "window.sonolink.voicePeakHz()")), 20,
        "the page to hear the township's 700 Hz tone")
    check(abs(hz - 700) <= 25, "the page hears the township at %.1f Hz" % hz)


def check_guidance(browser, page, t_stats, t_png, t_dir, procs):
    # A box from (0.2, 0.3) to (0.5, 0.7) with the mouse, the tool chosen
    # with its key.
    draw(browser, page, "b", (0.2, 0.3), (0.5, 0.7))
    wait_for(lambda: (last_session(t_stats).get("guide_marks") or 0) >= 1, 10,
             "the township to take the box")

    def township_sees(points, colour):
        png = read_png(t_png)
        return png is not None and all(
            near(pixel(png, fx * W, fy * H), colour, 40) for fx, fy in points)

    edges = [(0.2, 0.5), (0.5, 0.5), (0.35, 0.3), (0.35, 0.7)]
    wait_for(lambda: township_sees(edges, YELLOW), 10,
             "the box in the township's snapshot")
    check(True, "the box drawn in the page is yellow on its four sides in "
          "the township's --snapshot")
    png = read_png(t_png)
    check(not near(pixel(png, 0.35 * W, 0.5 * H), YELLOW, 40),
          "inside the box is the picture")

    # The pointer rests at (0.8, 0.2): the township draws it there.
    px, py = overlay_point(browser, page, 0.8, 0.2)
    browser.call("mouse", page=page, steps=[["move", px, py, 5]])
    wait_for(lambda: township_sees([(0.8, 0.2)], CYAN), 10,
             "the pointer in the township's snapshot")
    check(True, "the pointer moved in the page shows at the township")

    browser.call("click", page=page, selector="#undo")
    wait_for(lambda: last_session(t_stats).get("guide_marks") == 0, 10,
             "undo to remove the box at the township")
    check(True, "undo in the page removes the box at the township")

    browser.call("key", page=page, key="s")
    stills = wait_for(lambda: browser.probe(page, "stills"), 30,
                      "the still in the page")
    path = browser.call("download", page=page, selector="#stills a",
                        path=os.path.join(procs.workdir, "still.png"))
    with open(path, "rb") as f:
        got = hashlib.sha256(f.read()).hexdigest()
    copies = [n for n in os.listdir(t_dir) if n.endswith(".png")]
    check(len(copies) == 1, "the township kept one copy of the still")
    with open(os.path.join(t_dir, copies[0]), "rb") as f:
        sent = hashlib.sha256(f.read()).hexdigest()
    check(got == sent == stills[0]["sha256"],
          "the still downloaded from the page is the PNG the township sent "
          "(SHA-256 %s...)" % got[:16])
    saved = read_png(path)
    pixels = hashlib.sha256(saved.pixels()).hexdigest()
    logged = re.findall(r"pixels sha256 ([0-9a-f]{64})",
                        procs.log(procs.procs[1]))
    check(saved.channels == 1 and (saved.width, saved.height) == (W, H)
          and pixels in logged,
          "its pixels hash to the SHA-256 the township logged for the raw "
          "probe frame (%s...)" % pixels[:16])


def yellow_mask(png):
    """The set of (x, y) whose colour is the marks' yellow, on a picture
    that is grey everywhere else (the phantom)."""
    out = set()
    for y in range(png.height):
        for x in range(png.width):
            px = png.pixel(x, y)
            if png.channels == 4:
                alpha = png.pixels()[(y * png.width + x) * 4 + 3]
                if alpha < 200:
                    continue
            if px[0] > 200 and px[1] > 170 and px[2] < 90:
                out.add((x, y))
    return out


def covered(a, b):
    """Share of @a's pixels with one of @b's within a pixel."""
    if not a:
        return 0.0
    hit = sum(1 for x, y in a if any((x + dx, y + dy) in b for dx in (-1, 0, 1)
                                     for dy in (-1, 0, 1)))
    return hit / len(a)


def check_side_by_side(browser, page, t_stats, t_png, d):
    draw(browser, page, "e", (0.15, 0.2), (0.4, 0.6))
    draw(browser, page, "a", (0.55, 0.75), (0.8, 0.45))
    browser.call("key", page=page, key="f")
    path = [overlay_point(browser, page, 0.5 + 0.3 * i / 12,
                          0.2 + 0.05 * (i % 3)) for i in range(13)]
    steps = [["move", path[0][0], path[0][1]], ["down"]]
    steps += [["move", x, y, 2] for x, y in path[1:]] + [["up"]]
    browser.call("mouse", page=page, steps=steps)
    # The pointer off the picture, so it covers none of the marks.
    box = browser.call("box", page=page, selector="#overlay")
    browser.call("mouse", page=page, steps=[
        ["move", box["x"] + box["width"] + 40, box["y"] + 10, 3]])
    wait_for(lambda: last_session(t_stats).get("guide_marks") == 3, 10,
             "the township to take the three marks")
    with open(os.path.join(d, "page-marks.png"), "wb") as f:
        data = browser.probe(page, "renderMarks(%d, %d)" % (W, H))
        f.write(base64.b64decode(data.split(",", 1)[1]))
    page_mask = yellow_mask(read_png(os.path.join(d, "page-marks.png")))

    def compare():
        town = read_png(t_png)
        if town is None:
            return None
        mask = yellow_mask(town)
        a, b = covered(page_mask, mask), covered(mask, page_mask)
        ratio = len(page_mask) / max(1, len(mask))
        return (a, b, ratio) if a >= 0.98 and b >= 0.98 \
            and 0.8 <= ratio <= 1.25 else None

    try:
        a, b, ratio = wait_for(compare, 10, "the township's snapshot to "
                               "show the marks as the page draws them")
    except TestFailure:
        town = yellow_mask(read_png(t_png))
        raise TestFailure("page and C renderer differ: %.3f of the page's "
                          "yellow pixels near the township's, %.3f the "
                          "other way, %d against %d pixels" % (
                              covered(page_mask, town),
                              covered(town, page_mask), len(page_mask),
                              len(town)))
    out = os.environ.get("SL_SCREENSHOT_DIR")
    if out:
        shutil.copy(t_png, os.path.join(out, "marks-c-renderer.png"))
        shutil.copy(os.path.join(d, "page-marks.png"),
                    os.path.join(out, "marks-page.png"))
    check(True, "the page's ellipse, arrow and freehand line cover the C "
          "renderer's pixels (%.1f %% and %.1f %% within a pixel, %d "
          "yellow pixels, ratio %.2f)" % (100 * a, 100 * b, len(page_mask),
                                          ratio))


def check_screenshot(browser, page, d):
    out = os.environ.get("SL_SCREENSHOT_DIR", d)
    path = os.path.join(out, "expert-view.png")
    browser.call("screenshot", page=page, path=path)
    box = browser.call("box", page=page, selector="#overlay")
    share = box["width"] * box["height"] / (1600 * 1000)
    check(share > 0.6, "the picture takes %.0f %% of the 1600x1000 window"
          % (100 * share))
    tools = browser.call("box", page=page, selector="#tools")
    check(box["x"] + box["width"] <= tools["x"] + 0.5,
          "the tools sit beside the picture, not over it")


if __name__ == "__main__":
    run(main)
