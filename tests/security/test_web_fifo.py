#!/usr/bin/env python3
"""Issue 14, finding 9 (web root): a file of the web root swapped for a
FIFO between the hub's check and its read froze the hub (an open() of a
FIFO without a writer blocks), and SIGTERM was then ignored.  Files must
be opened without following symbolic links, non-blocking, and served only
if they are regular.

The swap is made certain rather than raced: stat-shim.so, preloaded into
the hub, makes its stat() of "swapped.html" (a FIFO) report a regular
file, as if the swap happened right after the check.

Usage: test_web_fifo.py SONOLINK_HUB STAT_SHIM
"""
import os
import sys

from sechub import Failure, Hub, check, healthz, http_get, run


def main(exe, workdir, hubs):
    shim = os.path.abspath(sys.argv[2])
    web = os.path.join(workdir, "web")
    os.mkdir(web)
    with open(os.path.join(web, "page.html"), "w") as f:
        f.write("<html>page</html>")
    os.mkfifo(os.path.join(web, "fifo.html"))
    os.mkfifo(os.path.join(web, "swapped.html"))
    os.symlink("/etc/hostname", os.path.join(web, "link.html"))
    hub = Hub(exe, workdir)
    hubs.append(hub)
    # ASan insists on coming first among preloaded libraries; the shim
    # only wraps stat(), which ASan does not.
    asan = os.environ.get("ASAN_OPTIONS", "")
    hub.start("--web-root", web, env={
        "LD_PRELOAD": shim,
        "ASAN_OPTIONS": (asan + ":" if asan else "")
        + "verify_asan_link_order=0"})
    status, body = http_get(hub.port, "/page.html")
    check(status == 200 and b"page" in body, "a regular file is served")
    status, _ = http_get(hub.port, "/fifo.html")
    check(status == 404, "a FIFO in the web root is not served")
    status, _ = http_get(hub.port, "/link.html")
    check(status == 404, "a symbolic link out of the web root is not served")
    try:
        status, _ = http_get(hub.port, "/swapped.html", timeout=5)
    except OSError as e:
        raise Failure("a FIFO swapped in after the check froze the hub: %r"
                      % e)
    check(status == 404, "a FIFO swapped in after the check is not served")
    check(healthz(hub.port)["status"] == "ok", "the hub still answers")
    check(hub.stop() == 0, "SIGTERM stops the hub")


if __name__ == "__main__":
    sys.exit(run(main))
