#!/usr/bin/env python3
"""Recording through a picture-size change, on a real link.

    test_record_resize.py HUB TOWNSHIP EXPERT SL_LINKEM

The township (phantom at 1280x720) runs behind the link emulator, whose
uplink carries 3 Mbit/s for 8 s and then 0.4 Mbit/s: the rate controller
takes the picture down the size ladder (docs/rate-control.md) in the
middle of the recording.  Both stations record.  The recordings must go
on through the change — one file each, the stations never saying that
recording stopped — and decode through matroskademux, h264parse and
avdec_h264 at the first size and at a smaller one.  Skipped (77) where
the link emulator cannot run (it needs root and network namespaces).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "linkem"))
import linkem  # noqa: E402
from sltest import check, decode_recording, read_stats, run  # noqa: E402
from test_uplink import Consultation, piecewise_trace  # noqa: E402

SECONDS = 22
DROP_AT = 8


def main(build, procs):
    linkem_exe = sys.argv[4]
    d = procs.workdir
    trace = os.path.join(d, "drop.trace")
    piecewise_trace(trace, SECONDS + 10, [(0, 3000), (DROP_AT, 400)])
    t_rec, e_rec = os.path.join(d, "t-rec"), os.path.join(d, "e-rec")
    c = Consultation(build, procs, linkem_exe, SECONDS,
                     dict(delay=10, up_trace=trace, up_queue=250),
                     township=["--audio-in", "none", "--width", "1280",
                               "--height", "720", "--record", t_rec],
                     expert=["--audio-in", "none", "--record", e_rec])
    c.finish()
    widths = {r.get("send_width") for r in read_stats(c.t_stats)
              if r.get("send_width")}
    check(len(widths) >= 2,
          "the township changed its picture size on the way (%s)"
          % sorted(widths))
    for name, folder, proc in (("township", t_rec, c.township),
                               ("expert", e_rec, c.expert)):
        files = [f for f in os.listdir(folder) if f.endswith(".mkv")]
        check(len(files) == 1, "the %s made one recording" % name)
        check("recording stopped: cannot" not in procs.log(proc),
              "the %s's recording never stopped" % name)
        rc, sizes, _ = decode_recording(os.path.join(folder, files[0]))
        check(rc == 0, "the %s's recording plays to its end" % name)
        check((1280, 720) in sizes and len(sizes) >= 2,
              "the %s's recording decodes at %s" % (name, sorted(sizes.items())))


if __name__ == "__main__":
    linkem.skip_unless_available()
    run(main)
