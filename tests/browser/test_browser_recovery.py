#!/usr/bin/env python3
"""The browser station comes back by itself: the township stalls, the hub
restarts, the township restarts.

    test_browser_recovery.py HUB TOWNSHIP EXPERT

hub (serving client/web) + sonolink-township --probe synthetic at 640x360
with --restart-after 60 (so that only its rejoin can bring the picture
back, as in the `stall` test) + an expert page in chromium.  Nobody
touches the page.

Asserts:
- the township stopped (SIGSTOP) for longer than the page's 6 s: the
  page says `Link lost, recovering` over the picture with `LINK LOST`,
  gives the silent session up (`Waiting for the township's picture`),
  and when the township runs again (SIGCONT) answers its new offer and
  decodes the picture again (getStats: H264 frames in the new session),
  through `LINK RECOVERING` back to `LINK GOOD`, with nothing over the
  picture;
- while the township is silent the latency estimate is unknown
  (`latency -`), and once a new session's pictures flow it is shown
  again (`latency ~N ms`, the C expert's terms);
- the hub stopped under a live session: the status bar says
  `hub unreachable` while the picture goes on (the link speaks, not the
  hub); the hub started again on its port: `hub connected` again;
- the township leaves and the hub goes too: `The township left; waiting
  for the township`, then `Hub unreachable, retrying (N)` with N
  counting; the hub and a new township started: the page rejoins and
  decodes the new township's picture.
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slbrowser  # noqa: E402
from slbrowser import (Browser, check, page_url, start_consultation,  # noqa: E402
                       wait_for)
import sltest  # noqa: E402
from sltest import run  # noqa: E402

# Longer than the page's (and the C expert's) 6 s before it gives a
# silent session up, and than the township's hub keep-alive.
STALL_S = 9


def after(seq, first, then):
    """@then follows @first in @seq."""
    return first in seq and then in seq[seq.index(first):]


def live(browser, page, frames, within, what, good=True):
    """@frames pictures decoded in the page's current session, H264, and
    (@good) the link back to LINK GOOD."""
    wait_for(lambda: (browser.probe(page, "framesDecoded") or 0) >= frames
             and (not good or browser.probe(page, "link") == "LINK GOOD"),
             within, what)
    check(browser.probe(page, "videoCodec") == "video/H264",
          "%s: the page decodes H264 again" % what)


def main(build, procs):
    slbrowser.skip_unless_ready()
    d = procs.workdir
    room = "browser-recovery"
    hub, t_stats = start_consultation(build, procs, room,
                                      ["--restart-after", "60"])
    township = next(p for p in procs.procs if p.name == "township")

    browser = Browser(d, slbrowser.write_tone(os.path.join(d, "tone.wav")))
    try:
        page = browser.open(page_url(hub, hub.token(room, "expert")))
        live(browser, page, 30, 40, "the first picture", good=False)
        check(browser.probe(page, "sessions") == 1, "one session so far")

        # 1. The township stalls past the page's patience.
        os.kill(township.pid, signal.SIGSTOP)
        stopped_at = time.monotonic()
        wait_for(lambda: browser.probe(page, "notice()") ==
                 "Link lost, recovering", 5, "the page to say the link is lost")
        check(browser.probe(page, "link") == "LINK LOST",
              "the status bar says LINK LOST")
        # A round trip nothing renewed is not current: no estimate, as in
        # the C strip (the stale one would claim a live picture's delay).
        # Still the same session (not yet given up).
        wait_for(lambda: browser.eval(
            page, "document.getElementById('st-latency').textContent") ==
            "latency -" and browser.probe(page, "notice()") ==
            "Link lost, recovering", 4,
            "the latency estimate to go unknown while the link is lost")
        wait_for(lambda: after(browser.probe(page, "said"),
                               "Link lost, recovering",
                               "Waiting for the township's picture"),
                 10, "the page to give the silent session up")
        while time.monotonic() - stopped_at < STALL_S:
            time.sleep(0.2)
        os.kill(township.pid, signal.SIGCONT)
        wait_for(lambda: browser.probe(page, "sessions") == 2, 20,
                 "the township's new offer, answered")
        live(browser, page, 60, 20, "the picture after the stall")
        check(after(browser.probe(page, "links"), "LINK LOST",
                    "LINK RECOVERING"),
              "the status bar went LINK LOST, LINK RECOVERING, LINK GOOD "
              "(%s)" % browser.probe(page, "links")[-4:])
        check(browser.probe(page, "notice()") is None,
              "nothing over the picture once it is back")

        # 2. The hub goes under a live session and comes back.
        check(procs.stop(hub.proc) == 0, "the hub stops")
        wait_for(lambda: browser.probe(page, "hub") == "unreachable", 10,
                 "the page to find the hub unreachable")
        shown = browser.probe(page, "framesShown")
        wait_for(lambda: browser.probe(page, "framesShown") >= shown + 30, 5,
                 "the picture to go on without the hub")
        check(browser.probe(page, "notice()") is None and
              browser.probe(page, "link") == "LINK GOOD",
              "the live picture with nothing over it, LINK GOOD")
        restarted = sltest.read_stats(t_stats)[-1]["time"]
        hub.start()
        wait_for(lambda: browser.probe(page, "hub") == "connected", 20,
                 "the page to rejoin the hub started again")
        # The township rejoins on its own schedule, and only once it is
        # back at the hub does its leaving reach the page (its `bye`).
        wait_for(lambda: any(r.get("hub_connected") and r["time"] > restarted
                             for r in sltest.read_stats(t_stats)), 30,
                 "the township to rejoin the hub started again")

        # 3. The township leaves, the hub goes; both come back.
        check(procs.stop(township) == 0, "the township stops")
        wait_for(lambda: browser.probe(page, "notice()") ==
                 "The township left; waiting for the township", 10,
                 "the page to see the township leave")
        check(browser.probe(page, "link") == "NO LINK",
              "NO LINK without a session")
        check(procs.stop(hub.proc) == 0, "the hub stops again")
        wait_for(lambda: "Hub unreachable, retrying (2)" in
                 browser.probe(page, "said"), 15,
                 "the page to count its tries")
        check("Hub unreachable, retrying (1)" in browser.probe(page, "said"),
              "it counted from 1")
        hub.start()
        procs.start("township2", [build.township] + sltest.station_args(
            hub, hub.token_file("township2", hub.token(room, "township")),
            t_stats + ".2", ["--audio-in", "test", "--width", "640",
                             "--height", "360", "--duration", "120"]))
        wait_for(lambda: browser.probe(page, "hub") == "connected", 20,
                 "the page to rejoin the hub")
        wait_for(lambda: browser.probe(page, "sessions") == 3, 20,
                 "the new township's offer, answered")
        live(browser, page, 30, 20, "the new township's picture")
        check(browser.probe(page, "notice()") is None,
              "nothing over the new township's picture")
        latency = wait_for(lambda: (lambda t: t if t.startswith("latency ~")
                                    else None)(browser.eval(
            page, "document.getElementById('st-latency').textContent")), 10,
            "the latency estimate in the status bar")
        check(True, "the status bar shows \"%s\"" % latency)
        check(not browser.probe(page, "errors"), "no fatal error in the page")
    finally:
        browser.close()


if __name__ == "__main__":
    run(main)
