#!/usr/bin/env python3
"""Issue 14, finding 9 (tokens): a token issued a year ahead, one living
2^62 seconds, and one whose claims name the role twice must each be
refused with auth-failed (close 4401), though correctly signed.

Usage: test_tokens.py SONOLINK_HUB
"""
import json
import sys
import time

from sechub import Hub, check, expect, join, run


def refused(hub, token, what):
    ws = join(hub, "r1", "expert", "e1", token=token)
    code, _, messages = ws.wait_closed()
    errors = [json.loads(m).get("code") for m in messages]
    check(code == 4401 and "auth-failed" in errors,
          "%s is refused with auth-failed and 4401 (got %s, close %s)" % (
              what, errors, code))


def main(exe, workdir, hubs):
    hub = Hub(exe, workdir)
    hubs.append(hub)
    hub.start()
    now = int(time.time())
    year = 365 * 86400
    refused(hub, hub.raw_token(json.dumps(
        {"v": 1, "room": "r1", "role": "expert", "iat": now + year,
         "exp": now + year + 3600})), "a token issued a year ahead")
    refused(hub, hub.raw_token(json.dumps(
        {"v": 1, "room": "r1", "role": "expert", "iat": now - 60,
         "exp": 2 ** 62})), "a token with exp = 2^62")
    refused(hub, hub.raw_token(
        '{"v":1,"room":"r1","role":"trainee","iat":%d,"exp":%d,'
        '"role":"township"}' % (now - 60, now + 3600)),
        "a token naming its role twice")
    ok = join(hub, "r1", "expert", "e2", token=hub.raw_token(json.dumps(
        {"v": 1, "room": "r1", "role": "expert", "iat": now + 60,
         "exp": now + 3600})))
    expect(ok, "welcome", "a token 60 s ahead (within the clock skew)")
    check(True, "a token a minute ahead is still accepted")


if __name__ == "__main__":
    sys.exit(run(main))
