#!/usr/bin/env python3
"""Issue 14, finding 1 (hub half): a trainee or recorder token must not be
able to offer to the expert or the township.  The hub relays offers,
answers and candidates only along township <-> expert and township ->
trainee/recorder; anything else is answered with role-refused and never
reaches its target, and the sender keeps its connection.

Usage: test_relay_pairs.py SONOLINK_HUB
"""
import sys

from sechub import Hub, check, drain, expect, join, relay_works, run


def main(exe, workdir, hubs):
    hub = Hub(exe, workdir)
    hubs.append(hub)
    hub.start()
    town = join(hub, "r1", "township", "town")
    expect(town, "welcome")
    exp = join(hub, "r1", "expert", "exp")
    expect(exp, "welcome")
    tr = join(hub, "r1", "trainee", "tr")
    expect(tr, "welcome")
    rec = join(hub, "r1", "recorder", "rec")
    expect(rec, "welcome")
    for ws in (town, exp, tr):
        drain(ws)

    for attacker, target in ((tr, exp), (tr, town), (rec, exp), (rec, town)):
        attacker.send_json({"type": "sdp", "to": target.peer,
                            "sdp_type": "offer", "sdp": "v=0 BOGUS-OFFER"})
        msg = expect(attacker, "error", "%s's offer to %s" % (
            attacker.peer, target.peer))
        check(msg["code"] == "role-refused",
              "a %s's offer to the %s is refused with role-refused" % (
                  attacker.peer, target.peer))
    tr.send_json({"type": "ice", "to": "exp", "mline": 0,
                  "candidate": "candidate:1 1 UDP 1 192.0.2.66 9 typ host"})
    check(expect(tr, "error")["code"] == "role-refused",
          "a trainee's candidate to the expert is refused")
    exp.send_json({"type": "sdp", "to": "tr", "sdp_type": "offer",
                   "sdp": "v=0 EXPERT-TO-TRAINEE"})
    check(expect(exp, "error")["code"] == "role-refused",
          "the expert's offer to a trainee is refused")

    # Nothing of that reached the targets: the next thing each receives
    # is an honest relay.
    check(relay_works(town, exp, "honest-1"),
          "the expert received none of the refused messages")
    check(relay_works(exp, town, "honest-2"),
          "the township received none of the refused messages")
    check(relay_works(town, tr, "honest-3"),
          "the trainee received none of the refused messages")
    town.send_json({"type": "sdp", "to": "tr", "sdp_type": "offer",
                    "sdp": "v=0 TOWNSHIP-OFFER"})
    expect(tr, "sdp", "the township's offer to the trainee",
           sdp_type="offer")
    tr.send_json({"type": "sdp", "to": "town", "sdp_type": "answer",
                  "sdp": "v=0 TRAINEE-ANSWER"})
    expect(town, "sdp", "the trainee's answer", sdp_type="answer")
    check(True, "township -> trainee offer and its answer are relayed")
    check(relay_works(tr, town, "from-trainee"),
          "a trainee's candidate to the township is relayed")
    log = hub.log()
    check("role-refused" in log and "BOGUS" not in log,
          "refusals are logged, without the SDP")


if __name__ == "__main__":
    sys.exit(run(main))
