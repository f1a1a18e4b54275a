#!/usr/bin/env python3
"""Picture fidelity of the real product on real ultrasound, against x264.

For each clip (the shared ones in ../shared/data/us-clips), size (720p:
the clip letterboxed into 1280x720 as a machine's screen shows it;
native: the clip's own size) and bitrate, this runs the product as a user
would: sonolink-hub, sonolink-township --probe file:CLIP and
sonolink-expert on loopback.  The expert's sink (--sink gst:) writes
every picture it is given to a raw file: that is the displayed picture,
scaled back to the sent size if the rate controller made it smaller (a
window would scale it too).  No marks are drawn, so it is also the decoded
picture, pixel for pixel (the overlay leaves unmarked pixels alone: unit
test guide-view).  Each picture is matched to the clip's frame it came
from and compared on the picture area (luma PSNR, SSIM) by
sl-bench-fidelity-compare, with the engine's own measures.  The source
frames are made by the file: probe's own elements (decodebin,
videoconvert, videoscale add-borders=true, I420 caps with square pixels).

In the same run, from the same source frames and at the bitrate the
product really sent (its township's --stats over the measured seconds),
x264 encodes offline:

  naive      tune=zerolatency speed-preset=ultrafast, x264enc's defaults
             otherwise (the usual first try at low latency)
  zl-PRESET  the product's own settings (zero latency, 300 ms VBV, one
             IDR per 10 s, 2 sliced threads) at each preset ultrafast ..
             medium, with the encode time per frame of each
  ceiling    speed-preset=medium with x264's defaults (look-ahead, B
             frames, mb-tree): not real time, an upper bound
  OPTIONS    with --options: a zero-latency preset plus x264 options
             (OPTION_SETS below), to see what each option buys; with
             --fast-causes and --fast-options, the FAST level with one
             setting changed (FAST_CAUSES, FAST_OPTIONS); with --offline,
             the references alone at the bitrates asked

The product's row also gives the township's encoder levels over the
measured seconds (its `encoder_level` stats): on a loaded machine it
lightens its level when encoding takes longer than its budget.

Encode times are the CPU time (both threads) of an encode-only pipeline
over the clip, less that of the same pipeline without the encoder, per
frame; with x264's two slice threads a frame's wall time is about half of
it on an idle machine.  This machine is shared: compare times within one
run only.

    fidelity.py BUILD_DIR [--quick] [--clips lightbeam,prospective]
                [--sizes 720p,native] [--kbps 300,600,1000,2000,4000]
                [--seconds N] [--refs naive,ceiling,...] [--options]
                [--fast-causes] [--fast-options] [--offline] [--json FILE]
                [--smoke]

--quick: one clip (lightbeam) at 720p, 1000 and 4000 kbit/s (a couple of
minutes).  --smoke: one clip, one bitrate, a few seconds, no reference but
naive; it checks that pictures were captured and matched, never a figure;
it is what `meson test` runs.
"""

import argparse
import collections
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from sltest import (Hub, Processes, TestFailure,  # noqa: E402
                    read_stats, station_args, wait_for)

CLIPS_DIR = os.path.join(HERE, "..", "..", "..", "shared", "data",
                         "us-clips")
CLIPS = {
    "lightbeam": "Cov_recommendations_lightbeam_mov6.mov",
    "prospective": "Vir_prospective_file1.mp4",
}
PRESETS = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"]
# The product's encoder settings (sl_media_configure_h264_encoder) but the
# preset; kept in step by hand.
PRODUCT = ("tune=zerolatency vbv-buf-capacity=300 key-int-max=300 "
           "sliced-threads=true threads=2 bframes=0 rc-lookahead=0")
# What each x264 option buys over a zero-latency preset (--options): the
# options ultrafast turns off, one at a time, then together (the engine's
# BASE level), and superfast with and without adaptive quantisation (its
# STRONG level is superfast, AQ off); media/rate/sl-encoder-choice.h.
OPTION_SETS = [
    ("uf+cabac", "ultrafast", "cabac=1"),
    ("uf+8x8dct", "ultrafast", "8x8dct=1"),
    ("uf+deblock", "ultrafast", "deblock=0,0"),
    ("uf+i4x4", "ultrafast", "partitions=i4x4"),
    ("uf+subme1", "ultrafast", "subme=1"),
    ("uf+aq1", "ultrafast", "aq-mode=1"),
    ("uf+base", "ultrafast",
     "cabac=1:8x8dct=1:deblock=0,0:partitions=i8x8,i4x4"),
    ("uf+base+aq1", "ultrafast",
     "cabac=1:8x8dct=1:deblock=0,0:partitions=i8x8,i4x4:aq-mode=1"),
    ("sf+aq0", "superfast", "aq-mode=0"),
    # The levels as they are since the browser station: Main, no 8x8dct.
    ("uf+base-main", "ultrafast",
     "cabac=1:8x8dct=0:deblock=0,0:partitions=i4x4"),
    ("sf+aq0-main", "superfast", "aq-mode=0:8x8dct=0"),
]
# Why FAST (the product's settings at ultrafast) was under the naive
# reference at 720p and 4 Mbit/s: the product's settings with one of them
# put back to x264enc's default at a time (--fast-causes; a later property
# overrides the same one in PRODUCT), and the naive reference with the
# product's VBV.
FAST_CAUSES = [
    ("fast+vbv600", "vbv-buf-capacity=600"),
    ("fast+vbv1000", "vbv-buf-capacity=1000"),
    ("fast+keyint250", "key-int-max=0"),
    ("fast+threads-auto", "threads=0"),
    ("fast+frame-threads", "sliced-threads=false threads=2"),
]
# What cheap x264 options would put FAST (720p at 4 Mbit/s, where the
# latency goal rules) over the naive reference (--fast-options): the
# product's FAST level (ultrafast, weightp=1) plus one option at a time,
# each chosen for costing the decoder nothing or little.
FAST_OPTIONS = [
    ("fast", "weightp=1"),
    ("fast+i4x4", "weightp=1:partitions=i4x4"),
    ("fast+subme1", "weightp=1:subme=1"),
    ("fast+i4x4+subme1", "weightp=1:partitions=i4x4:subme=1"),
    ("fast+cabac", "weightp=1:cabac=1"),
    ("fast+me-hex", "weightp=1:me=hex"),
    ("fast+deblock", "weightp=1:deblock=0,0"),
]
WARMUP_S = 4


def gst_launch(args, what, timeout=600):
    """Runs gst-launch-1.0 -q with ARGS; the CPU time (user and system, all
    threads) it took, in seconds: on a shared machine far steadier than
    the wall time, which counts the time other programs had the cores."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(["gst-launch-1.0", "-q"] + args,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=timeout)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        sys.exit("fidelity.py: %s failed:\n%s" %
                 (what, out.stdout.decode("utf-8", "replace")[-3000:]))
    return (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def clip_geometry(clip):
    """(width, height, fps as "N/D") of the clip's decoded video."""
    out = subprocess.run(
        ["gst-launch-1.0", "-v", "filesrc", "location=" + clip, "!",
         "decodebin", "!", "video/x-raw", "!", "fakesink", "num-buffers=1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    text = out.stdout.decode("utf-8", "replace")
    m = re.search(r"video/x-raw.*?width=\(int\)(\d+).*?height=\(int\)(\d+)"
                  r".*?framerate=\(fraction\)(\d+/\d+)", text)
    if not m:
        sys.exit("fidelity.py: cannot read the size and rate of %s" % clip)
    return int(m.group(1)), int(m.group(2)), m.group(3)


def picture_area(cw, ch, width, height):
    """The clip's image inside a WIDTHxHEIGHT frame made by videoscale
    add-borders=true (square pixels, centred), shrunk by 2 pixels each side
    so the comparison never touches the scaler's edge: X,Y,W,H."""
    if cw * height > ch * width:
        w, h = width, ch * width // cw
    else:
        w, h = cw * height // ch, height
    x, y = (width - w) // 2, (height - h) // 2
    # The expert's status strip covers the bottom rows of what its sink
    # gets (sl_status_view_strip_height): left out of every comparison,
    # the references' too, so that all compare the same pixels.
    bottom = min(y + h - 2, height - max(16, (height + 15) // 30))
    return "%d,%d,%d,%d" % (x + 2, y + 2, w - 4, bottom - (y + 2))


def source_frames(clip, width, height, out):
    """The clip's frames as the file: probe makes them, raw I420."""
    gst_launch(["filesrc", "location=" + clip, "!", "decodebin", "!",
                "videoconvert", "!", "videoscale", "add-borders=true", "!",
                "video/x-raw,format=I420,width=%d,height=%d,"
                "pixel-aspect-ratio=1/1" % (width, height), "!",
                "filesink", "location=" + out], "decoding " + clip)
    return os.path.getsize(out) // (width * height * 3 // 2)


def compare(progs, src, test, width, height, rect, aligned, skip=0):
    args = [progs.compare, "--size", "%dx%d" % (width, height), "--rect",
            rect, "--skip", str(skip), src, test]
    if aligned:
        args.insert(1, "--aligned")
    out = subprocess.run(args, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=1200)
    if out.returncode != 0:
        raise TestFailure("compare failed: %s" % out.stderr.decode())
    return json.loads(out.stdout)


def raw_parse(src, width, height, fps):
    return ["filesrc", "location=" + src, "!", "rawvideoparse",
            "width=%d" % width, "height=%d" % height, "format=i420",
            "framerate=" + fps, "!"]


def reference(progs, work, src, n, width, height, fps, rect, kbps, props,
              null_s):
    """Encodes the source offline with x264enc PROPS at KBPS, decodes it
    and compares; adds the encode time per frame (ms)."""
    h264 = os.path.join(work, "ref.h264")
    dec = os.path.join(work, "ref.i420")
    enc_s = gst_launch(raw_parse(src, width, height, fps)
                       + ["x264enc", "bitrate=%d" % kbps] + props.split()
                       + ["!", "video/x-h264,stream-format=byte-stream", "!",
                          "filesink", "location=" + h264], "x264 " + props)
    gst_launch(["filesrc", "location=" + h264, "!", "h264parse", "!",
                "avdec_h264", "!", "video/x-raw,format=I420", "!",
                "filesink", "location=" + dec], "decoding the reference")
    r = compare(progs, src, dec, width, height, rect, aligned=True)
    r["encode_ms"] = round(max(0.0, enc_s - null_s) * 1000 / n, 2)
    seconds = n / eval_fraction(fps)
    r["kbps"] = round(os.path.getsize(h264) * 8 / seconds / 1000)
    os.unlink(dec)
    return r


def eval_fraction(text):
    num, den = text.split("/")
    return int(num) / int(den)


def run_product(progs, work, clip, width, height, kbps, seconds, rect, src,
                fps):
    """One consultation; the displayed pictures compared to the source."""
    procs = Processes(work)
    build = argparse.Namespace(hub=progs.hub, township=progs.township,
                               expert=progs.expert)
    shown = os.path.join(work, "shown.i420")
    t_stats = os.path.join(work, "township.jsonl")
    e_stats = os.path.join(work, "expert.jsonl")
    for path in (t_stats, e_stats):
        if os.path.exists(path):
            os.unlink(path)
    sink = ("gst:videoconvert ! videoscale ! video/x-raw,format=I420,"
            "width=%d,height=%d,pixel-aspect-ratio=1/1 ! filesink "
            "location=%s" % (width, height, shown))
    try:
        hub = Hub(build, procs).start()
        room = "fidelity"
        expert = procs.start("expert", [progs.expert] + station_args(
            hub, hub.token_file("e", hub.token(room, "expert")), e_stats,
            ["--sink", sink, "--audio-in", "none", "--quiet"]))
        township = procs.start("township", [progs.township] + station_args(
            hub, hub.token_file("t", hub.token(room, "township")), t_stats,
            ["--probe", "file:" + clip, "--width", str(width), "--height",
             str(height), "--bitrate", str(kbps), "--audio-in", "none",
             "--quiet"]))
        # Counted from the session, not from the start: on a busy machine
        # joining and connecting take seconds of their own.
        wait_for(lambda: len([r for r in read_stats(t_stats)
                              if r.get("state") == "connected"])
                 >= WARMUP_S + seconds, WARMUP_S + seconds + 60,
                 "the township to send for %d s" % (WARMUP_S + seconds))
        if procs.stop(township) != 0:
            raise TestFailure("the township failed")
        procs.stop(expert)
        procs.stop(hub.proc)
    except TestFailure:
        procs.dump_logs()
        raise
    finally:
        procs.cleanup()
    connected = [r for r in read_stats(t_stats)
                 if r.get("state") == "connected"]
    steady = connected[WARMUP_S:]
    if not steady:
        raise TestFailure("the township never sent for long")
    sent = sum(r.get("bitrate_kbps", 0) for r in steady) / len(steady)
    enc = sorted(r["stage_encode_ms"] for r in steady
                 if r.get("stage_encode_ms") is not None)
    e = [r for r in read_stats(e_stats) if r.get("state") == "connected"]
    sizes = sorted({(r.get("width"), r.get("height")) for r in e
                    if r.get("width")})
    r = compare(progs, src, shown, width, height, rect, aligned=False,
                skip=int(WARMUP_S * eval_fraction(fps)))
    r["kbps"] = round(sent)
    r["encode_ms"] = enc[len(enc) // 2] if enc else None
    r["decoded_sizes"] = ["%sx%s" % s for s in sizes]
    # The encoder levels of the measured seconds (docs/rate-control.md):
    # the township lightens its level when encoding takes longer than its
    # budget, as on a machine loaded by other work.
    r["levels"] = dict(collections.Counter(
        rec.get("encoder_level", "?") for rec in steady))
    if not os.environ.get("SL_FIDELITY_KEEP"):
        os.unlink(shown)
    return r


class Programs:
    def __init__(self, build):
        self.hub = os.path.join(build, "signaling/hub/sonolink-hub")
        self.township = os.path.join(build, "client/sonolink-township")
        self.expert = os.path.join(build, "client/sonolink-expert")
        self.compare = os.path.join(build,
                                    "tests/bench/sl-bench-fidelity-compare")
        for path in (self.hub, self.township, self.expert, self.compare):
            if not os.access(path, os.X_OK):
                sys.exit("fidelity.py: %s is missing: build first" % path)


def variants(args):
    out = [("naive", "tune=zerolatency speed-preset=ultrafast")]
    if args.smoke:
        return out
    out += [("zl-" + p, PRODUCT + " speed-preset=" + p) for p in PRESETS]
    if args.options:
        for name, preset, opts in OPTION_SETS:
            out.append((name, PRODUCT + " speed-preset=%s option-string=%s"
                        % (preset, opts)))
    if args.fast_causes:
        fast = PRODUCT + " speed-preset=ultrafast "
        out += [(name, fast + props) for name, props in FAST_CAUSES]
        out.append(("naive+vbv300", "tune=zerolatency speed-preset=ultrafast"
                    " vbv-buf-capacity=300"))
    if args.fast_options:
        out += [(name, PRODUCT + " speed-preset=ultrafast option-string=" + o)
                for name, o in FAST_OPTIONS]
    out.append(("ceiling", "speed-preset=medium"))
    if args.refs:
        wanted = args.refs.split(",")
        out = [v for v in out if v[0] in wanted]
    return out


def run_case(progs, work, args, clip_name, size, kbps_list):
    clip = os.path.join(CLIPS_DIR, CLIPS[clip_name])
    cw, ch, fps = clip_geometry(clip)
    if size == "720p":
        width, height = 1280, 720
    else:
        width, height = cw + cw % 2, ch + ch % 2
    rect = picture_area(cw, ch, width, height)
    src = os.path.join(work, "src.i420")
    n = source_frames(clip, width, height, src)
    null_s = gst_launch(raw_parse(src, width, height, fps) + ["fakesink"],
                        "reading the source")
    rows = []
    for kbps in kbps_list:
        row = {"clip": clip_name, "size": "%dx%d" % (width, height),
               "fps": round(eval_fraction(fps), 2), "bitrate": kbps}
        if args.offline:
            sent = kbps
        else:
            row["product"] = run_product(progs, work, clip, width, height,
                                         kbps, args.seconds, rect, src, fps)
            print("%s %s %d: product %s" % (clip_name, size, kbps,
                                            row["product"]), flush=True)
            sent = row["product"]["kbps"]
        for name, props in variants(args):
            row[name] = reference(progs, work, src, n, width, height, fps,
                                  rect, sent, props, null_s)
            print("  %-16s %s" % (name, row[name]), flush=True)
        rows.append(row)
    if not os.environ.get("SL_FIDELITY_KEEP"):
        os.unlink(src)
    return rows


def table(rows, names):
    head = ["clip", "size", "asked", "sent", "product (displayed)",
            "levels (s)"] + names
    lines = ["| " + " | ".join(head) + " |",
             "|" + "---|" * len(head)]
    for r in rows:
        p = r.get("product", {"kbps": r["bitrate"], "psnr": 0, "ssim": 0})
        cells = [r["clip"], r["size"], str(r["bitrate"]), str(p["kbps"]),
                 "%.2f / %.3f" % (p["psnr"], p["ssim"])
                 if "frames" in p else "-",
                 " ".join("%s %d" % kv for kv in
                          sorted(p.get("levels", {}).items()))]
        for name in names:
            v = r.get(name)
            cells.append("%.2f / %.3f (%.1f ms)" %
                         (v["psnr"], v["ssim"], v["encode_ms"])
                         if v else "")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build")
    ap.add_argument("--clips", default="lightbeam,prospective")
    ap.add_argument("--sizes", default="720p,native")
    ap.add_argument("--kbps", default="300,600,1000,2000,4000")
    ap.add_argument("--seconds", type=int, default=14,
                    help="seconds of each consultation after its warm-up")
    ap.add_argument("--refs",
                    help="only these references (naive, zl-PRESET, ceiling, "
                    "option names), comma-separated")
    ap.add_argument("--options", action="store_true",
                    help="also measure OPTION_SETS one at a time")
    ap.add_argument("--fast-causes", action="store_true",
                    help="also measure the product's ultrafast settings with "
                    "one of them at x264enc's default at a time "
                    "(FAST_CAUSES)")
    ap.add_argument("--fast-options", action="store_true",
                    help="also measure FAST with one cheap x264 option at a "
                    "time (FAST_OPTIONS)")
    ap.add_argument("--offline", action="store_true",
                    help="references only, at the bitrates asked (no "
                    "stations)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    if args.quick:
        args.clips, args.sizes, args.kbps = "lightbeam", "720p", "1000,4000"
        args.seconds = min(args.seconds, 10)
    if args.smoke:
        args.clips, args.sizes, args.kbps = "prospective", "native", "1000"
        args.seconds = 4
    clips = args.clips.split(",")
    for c in clips:
        if c not in CLIPS:
            ap.error("unknown clip %s (known: %s)" % (c, ", ".join(CLIPS)))
        if not os.path.exists(os.path.join(CLIPS_DIR, CLIPS[c])):
            print("SKIP: no shared clip %s" % CLIPS[c])
            sys.exit(77)
    try:
        kbps_list = [int(k) for k in args.kbps.split(",")]
    except ValueError:
        ap.error("--kbps takes numbers separated by commas")
    progs = Programs(os.path.abspath(args.build))
    work = tempfile.mkdtemp(prefix="sl-fidelity-")
    rows = []
    try:
        for clip in clips:
            for size in args.sizes.split(","):
                if size not in ("720p", "native"):
                    ap.error("--sizes takes 720p and native")
                rows += run_case(progs, work, args, clip, size, kbps_list)
    except TestFailure as e:
        print("FAIL: %s" % e)
        return 1
    finally:
        if os.environ.get("SL_FIDELITY_KEEP"):
            print("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    names = [n for n, _ in variants(args)]
    print(table(rows, names))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    if args.smoke:
        p = rows[0]["product"]
        ok = p["frames"] > 0 and rows[0]["naive"]["frames"] > 0
        print("%s: %d pictures matched to the clip, %d resyncs" %
              ("ok" if ok else "FAIL", p["frames"], p["resyncs"]))
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
