#!/usr/bin/env python3
"""Issue 14, finding 9 (/healthz): anyone may ask the health check, so it
must not tell how many rooms and stations the hub holds.

Usage: test_healthz.py SONOLINK_HUB
"""
import sys

from sechub import Hub, check, expect, healthz, join, run


def main(exe, workdir, hubs):
    hub = Hub(exe, workdir)
    hubs.append(hub)
    hub.start()
    town = join(hub, "r1", "township", "town")
    expect(town, "welcome")
    h = healthz(hub.port)
    check(h.get("status") == "ok" and h.get("protocol") == 1,
          "/healthz says the hub is up and its protocol")
    check(set(h) == {"status", "version", "protocol"},
          "/healthz shows no room or peer counts (got %s)" % sorted(h))


if __name__ == "__main__":
    sys.exit(run(main))
