#!/usr/bin/env python3
"""The browser trainee station, and tokens the page must refuse.

    test_browser_trainee.py HUB TOWNSHIP EXPERT

hub (serving client/web) + sonolink-township --probe synthetic at 640x360
+ chromium with two pages: an expert that draws a box and an arrow with
the mouse, then a trainee that joins after them.

Asserts:
- the trainee page decodes the picture (H264) and hears the township;
- it shows the marks the expert drew before it joined (the township
  passes the lesson on), drawn on its overlay in the marks' colour;
- it cannot send any: it has no tools, and a drag and the drawing,
  cue, prompt and still keys on it reach nothing at the township (its
  session there receives no guidance message at all);
- a page with a token the hub refuses says so plainly, and one with an
  expired token says it has expired; neither joins;
- a page opened with no token asks for one, and joins with the token
  typed in, which it keeps in the fragment only (no query string);
- a screenshot of the trainee view at 1600x1000 (trainee-view.png in
  SL_SCREENSHOT_DIR when set) with the picture taking most of it.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slbrowser  # noqa: E402
from slbrowser import (Browser, check, draw, near, overlay_point,  # noqa: E402
                       page_url, start_consultation, wait_for)
from sltest import run, session_records  # noqa: E402

YELLOW = (255, 230, 0)


def session_of(path, peer):
    recs = [r for r in session_records(path) if r.get("peer") == peer]
    return recs[-1] if recs else {}


def main(build, procs):
    slbrowser.skip_unless_ready()
    d = procs.workdir
    room = "browser-trainee"
    hub, t_stats = start_consultation(build, procs, room)
    expired = hub.token(room, "expert", ttl="1s")

    browser = Browser(d, slbrowser.write_tone(os.path.join(d, "tone.wav")))
    try:
        expert = browser.open(page_url(hub, hub.token(room, "expert")))
        wait_for(lambda: (browser.probe(expert, "framesDecoded") or 0) >= 30,
                 40, "the expert page's picture")
        draw(browser, expert, "b", (0.2, 0.3), (0.5, 0.7))
        draw(browser, expert, "a", (0.6, 0.8), (0.8, 0.5))
        wait_for(lambda: len(browser.probe(expert, "marks()")) == 2, 5,
                 "the expert's two marks")

        trainee = browser.open(page_url(hub, hub.token(room, "trainee")))
        wait_for(lambda: browser.probe(trainee, "role") == "trainee", 20,
                 "the trainee page to join")
        check(browser.eval(trainee,
                           "document.getElementById('tools').hidden"),
              "the trainee page shows no tools")
        wait_for(lambda: (browser.probe(trainee, "framesDecoded") or 0) >= 30,
                 40, "the trainee page's picture")
        check(browser.probe(trainee, "videoCodec") == "video/H264",
              "the trainee decodes the township's picture as H264")
        hz = wait_for(lambda: (lambda v: v if v and abs(v - 700) <= 25
                               else None)(
            browser.eval(trainee, "window.sonolink.voicePeakHz()")), 20,
            "the trainee page to hear the township")
        check(True, "the trainee hears the township (%.1f Hz)" % hz)
        marks = wait_for(lambda: (lambda m: m if len(m) == 2 else None)(
            browser.probe(trainee, "marks()")), 10,
            "the trainee to get the marks drawn before it joined")
        check(sorted(marks) == ["draw-1", "draw-2"],
              "the trainee has the expert's box and arrow (%s)" % marks)
        px = browser.probe(trainee, "overlayAt(0.2, 0.5)")
        check(near(px[:3], YELLOW, 40) and px[3] > 200,
              "the trainee's overlay draws the box's edge in yellow (%s)"
              % px)
        px = browser.probe(trainee, "overlayAt(0.35, 0.5)")
        check(px[3] == 0, "and leaves the picture inside the box alone")

        check_cannot_send(browser, trainee, t_stats)
        check_screenshot(browser, trainee, d)
        check_asks_for_token(browser, hub, hub.token(room, "trainee"))
        check_refused(browser, hub, "not-a-token",
                      "The room token was refused", "a wrong token")
        check_refused(browser, hub, expired, "has expired",
                      "an expired token")
    finally:
        browser.close()


def check_cannot_send(browser, trainee, t_stats):
    peer = browser.probe(trainee, "peerId")
    rec = wait_for(lambda: session_of(t_stats, peer).get("guide_open")
                   and session_of(t_stats, peer), 10,
                   "the township's record of the trainee's session")
    before = (rec.get("guide_received", 0), rec.get("guide_refused", 0))
    draw(browser, trainee, "b", (0.1, 0.1), (0.4, 0.4))
    x, y = overlay_point(browser, trainee, 0.5, 0.5)
    browser.call("mouse", page=trainee, steps=[["move", x, y, 8]])
    for key in ("s", "1", "ArrowLeft", "d", "u", "c"):
        browser.call("key", page=trainee, key=key)
    # The township writes its stats every second: two more records.
    seen = len(session_records(t_stats))
    wait_for(lambda: len(session_records(t_stats)) >= seen + 4, 10,
             "two more seconds of the township's stats")
    rec = session_of(t_stats, peer)
    after = (rec.get("guide_received", 0), rec.get("guide_refused", 0))
    check(before == after == (0, 0),
          "a drag, the pointer and the guidance keys on the trainee page "
          "send nothing to the township (received, refused: %s)"
          % (after,))
    check(browser.probe(trainee, "marks()") == ["draw-1", "draw-2"],
          "the trainee's picture keeps the expert's marks only")


def check_screenshot(browser, page, d):
    out = os.environ.get("SL_SCREENSHOT_DIR", d)
    browser.call("screenshot", page=page,
                 path=os.path.join(out, "trainee-view.png"))
    box = browser.call("box", page=page, selector="#overlay")
    share = box["width"] * box["height"] / (1600 * 1000)
    check(share > 0.75, "the trainee's picture takes %.0f %% of the "
          "1600x1000 window" % (100 * share))


def check_asks_for_token(browser, hub, token):
    page = browser.open("http://127.0.0.1:%d/" % hub.port)
    check(browser.eval(page, "document.getElementById('join').open"),
          "a page opened without a token asks for one")
    browser.call("fill", page=page, selector="#join-token", text=token)
    browser.call("click", page=page, selector="#join-form button")
    wait_for(lambda: browser.probe(page, "role") == "trainee", 20,
             "the page to join with the token typed in")
    where = browser.eval(page, "[location.search, location.hash]")
    check(where[0] == "" and where[1].startswith("#token=sl1."),
          "it joins, the token in the fragment and no query string")


def check_refused(browser, hub, token, words, what):
    page = browser.open(page_url(hub, token))
    notice = wait_for(lambda: (lambda n: n if n and words in n else None)(
        browser.probe(page, "notice()")), 15, "the page to refuse " + what)
    check(browser.probe(page, "role") is None,
          "%s: the page says \"%s\" and does not join" % (what, notice))


if __name__ == "__main__":
    run(main)
