#!/usr/bin/env python3
"""Machine profiles end to end (docs/probe-adapters.md): crop, masks and
pixel spacing between real stations.

    test_machine.py HUB TOWNSHIP EXPERT

- Bad profiles are refused at start with exit 2 and a message naming the
  file and what is wrong, before joining: bad JSON, an unknown member, a
  mask outside the frame, nested masks, a zero and a negative spacing, a
  missing file.
- --profile-snapshot writes one 1280x720 frame of the probe with its grid,
  mode 0600 (it may show a patient's name), and exits 0 without a hub.
- A consultation with the synthetic phantom and the shipped phantom
  profile plus two masks over speckle, sent at 640x360: the masked
  rectangles are exactly video black (RGB 0, luma 16) inside, away from
  the scaler's and the codec's edges, in what the expert decodes, in the
  still the expert saves (bit-exact luma), in the township's own
  snapshot, and in every picture of the township's recording (--record:
  the H.264 it encoded, decoded again: luma 16 within the codec's
  rounding at a macroblock edge, see check_recording); and a caliper the
  expert's script draws down the sector's centre line, from the transducer face to the bottom of the phantom's
  160 mm, reads 160.0 mm at the expert: the crop and the scale carried
  the spacing through the township's "image" message.
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sltest import (Hub, TestFailure, check, png_size,  # noqa: E402
                    recorded_lumas, run, session_records, station_args,
                    wait_for)
from slpng import read_png  # noqa: E402

SRC = os.path.join(HERE, "..", "..")
PHANTOM_PROFILE = os.path.join(SRC, "probe-adapter", "machines",
                               "phantom.json")
W, H = 640, 360
# Over the phantom's speckle, in the 1280x720 frame's pixels.
MASKS = [[700, 400, 120, 80], [480, 480, 96, 64]]
# The phantom at 1280x720 (probe-adapter/synthetic/sl-phantom.c): apex at
# the top centre, depth 0 mm at radius 41 px and 160 mm at 662 px, pixel
# centres at half pixels.
APEX_X, R_NEAR, R_FAR, DEPTH_MM = 640, 41, 662, 160
# Pixels of each side of a mask's place in the output left out: the
# scaler blends 1-2 output pixels at an edge, and the codec's blocks and
# deblocking reach a few more.
MARGIN = 6
# How far from video black a pixel inside a mask may be in the township's
# recording: the codec's rounding at a macroblock edge (check_recording).
MAX_OFF = 2


def fit(image, out_w, out_h):
    """(x, y, scale) of the image region scaled to fit out_w x out_h with
    borders, as sl_machine_output_rect computes it (videoscale
    add-borders)."""
    iw, ih = image[2], image[3]
    to_h = out_w * ih // iw
    if to_h <= out_h:
        return 0, (out_h - to_h) // 2, out_w / iw
    to_w = out_h * iw // ih
    return (out_w - to_w) // 2, 0, out_h / ih


def to_output(image, x, y):
    """Frame pixel (x, y) in the W x H output."""
    ox, oy, s = fit(image, W, H)
    return ox + (x - image[0]) * s, oy + (y - image[1]) * s


def inner(image, mask):
    x0, y0 = to_output(image, mask[0], mask[1])
    x1, y1 = to_output(image, mask[0] + mask[2], mask[1] + mask[3])
    return (int(x0) + MARGIN, int(y0) + MARGIN, int(x1) - MARGIN,
            int(y1) - MARGIN)


def not_fill(png, rect, fill):
    """Pixels of rect in the PNG that are not fill, as a count."""
    x0, y0, x1, y1 = rect
    return sum(1 for y in range(y0, y1) for x in range(x0, x1)
               if png.pixel(x, y) != fill)


def check_refused(build, procs):
    d = procs.workdir
    cases = [
        ("bad-json", '{"frame": [1280, 720],}', "not a JSON profile"),
        ("unknown", '{"frame": [1280, 720], "mask": [[0, 0, 10, 10]]}',
         'unknown member "mask"'),
        ("outside", '{"frame": [1280, 720], "masks": [[1200, 0, 100, 40]]}',
         '"masks"[0] [1200, 0, 100, 40] reaches outside the 1280x720 frame'),
        ("nested", '{"frame": [1280, 720], "masks": [[0, 0, 600, 60], '
         '[10, 10, 100, 20]]}', "one lies inside the other"),
        ("zero", '{"frame": [1280, 720], "mm_per_px": 0}',
         '"mm_per_px" 0 is not a pixel spacing'),
        ("negative", '{"frame": [1280, 720], "mm_per_px": -0.3}',
         '"mm_per_px" -0.3 is not a pixel spacing'),
    ]
    for name, text, says in cases + [("missing", None, "No such file")]:
        path = os.path.join(d, name + ".json")
        if text is not None:
            with open(path, "w") as f:
                f.write(text)
        out = subprocess.run(
            [build.township, "--hub", "ws://127.0.0.1:9", "--token", "x",
             "--audio-in", "none", "--machine", path],
            capture_output=True, text=True, timeout=30)
        check(out.returncode == 2 and "--machine " + path in out.stderr
              and says in out.stderr,
              "profile %s refused before joining: exit %d, %r" %
              (name, out.returncode, out.stderr.strip()[-150:]))


def check_profile_snapshot(build, procs):
    png = os.path.join(procs.workdir, "grid.png")
    out = subprocess.run([build.township, "--profile-snapshot", png],
                         capture_output=True, text=True, timeout=60)
    check(out.returncode == 0 and png_size(png) == (1280, 720),
          "--profile-snapshot wrote a 1280x720 PNG and exited 0 (%d, %r)" %
          (out.returncode, out.stderr.strip()[-120:]))
    mode = os.stat(png).st_mode & 0o777
    check(mode == 0o600, "the profile snapshot is mode %o (0600)" % mode)
    img = read_png(png)
    # The grid's labelled line at x = 100 is drawn light over the black
    # left of the phantom's sector.
    check(img.pixel(100, 305)[0] > 150 and img.pixel(105, 305)[0] < 60,
          "the snapshot carries the grid (x=100 %s, x=105 %s)" %
          (img.pixel(100, 305), img.pixel(105, 305)))


def script(image):
    """A caliper down the sector's centre line over the whole depth, and a
    still."""
    def norm(x, y):
        ox, oy = to_output(image, x, y)
        return [round(ox / W, 6), round(oy / H, 6)]
    # Pixel centres: radius r is at row r - 0.5 on the centre line.
    top = norm(APEX_X, R_NEAR - 0.5)
    bottom = norm(APEX_X, R_FAR - 0.5)
    return [
        {"at_ms": 0, "msg": {"type": "mark", "id": "c1", "kind": "caliper",
                             "points": [top, bottom], "color": "yellow",
                             "width": 1}},
        {"at_ms": 500, "msg": {"type": "still_request", "req": "s1"}},
    ]


def main(build, procs):
    check_refused(build, procs)
    check_profile_snapshot(build, procs)

    with open(PHANTOM_PROFILE) as f:
        profile = json.load(f)
    profile["masks"] = MASKS
    image = profile["image"]
    d = procs.workdir
    profile_path = os.path.join(d, "phantom-masked.json")
    with open(profile_path, "w") as f:
        json.dump(profile, f)
    script_path = os.path.join(d, "script.jsonl")
    with open(script_path, "w") as f:
        for entry in script(image):
            f.write(json.dumps(entry) + "\n")

    hub = Hub(build, procs).start()
    room = "machine-1"
    t_stats, e_stats = os.path.join(d, "t.jsonl"), os.path.join(d, "e.jsonl")
    t_png, e_png = os.path.join(d, "t.png"), os.path.join(d, "e.png")
    e_dir = os.path.join(d, "e-stills")
    t_rec = os.path.join(d, "t-rec")
    # --fixed-rate: a codec keeps a black rectangle black only with bits
    # to spare (at 60 kbit/s even the expert's picture has non-black
    # pixels inside a mask: prediction from the picture around it), and a
    # loaded machine can make the rate controller go that low.  What must
    # hold whatever the rate, that no masked pixel reaches the encoder, is
    # the unit test /session-pair/masks-at-encoder.
    township = procs.start("township", [build.township] + station_args(
        hub, hub.token_file("township", hub.token(room, "township")),
        t_stats, ["--audio-in", "none", "--machine", profile_path,
                  "--fixed-rate",
                  "--width", str(W), "--height", str(H), "--snapshot",
                  t_png, "--record", t_rec, "--duration", "60"]))
    expert = procs.start("expert", [build.expert] + station_args(
        hub, hub.token_file("expert", hub.token(room, "expert")), e_stats,
        ["--audio-in", "none", "--sink", "none", "--snapshot", e_png,
         "--stills-dir", e_dir, "--guidance-script", script_path,
         "--duration", "60"]))

    rec = wait_for(lambda: next(
        (r for r in session_records(e_stats)
         if "c1" in r.get("guide_calipers", {})
         and r["guide_calipers"]["c1"].endswith("mm")), None), 30,
        "the expert's caliper to read in mm")
    check("machine sonolink synthetic phantom" in procs.log(township)
          and "2 masked rectangles" in procs.log(township),
          "the township names the machine and the number of masks")
    check(rec["guide_calipers"]["c1"] == "%.1f mm" % DEPTH_MM,
          "the caliper down the phantom's whole depth reads %s (%d mm)" %
          (rec["guide_calipers"]["c1"], DEPTH_MM))

    rects = [inner(image, m) for m in MASKS]
    still = wait_for(lambda: next(
        (r for r in session_records(e_stats)
         if r.get("stills_saved", 0) >= 1), None), 20,
        "the expert to save the still")
    saved = read_png(os.path.join(e_dir, still["still_last_file"]))
    check(saved is not None and (saved.width, saved.height) == (W, H),
          "the still is %dx%d" % (W, H))
    for i, r in enumerate(rects):
        bad = not_fill(saved, r, (16, 16, 16))
        check(bad == 0, "mask %d is luma 16 in the still (%d pixels differ)"
              % (i, bad))

    # The decoded picture: wait for a snapshot taken with the marks up,
    # then every pixel inside each mask must be black.
    wait_for(lambda: rec and os.path.exists(e_png), 10, "a snapshot")
    for who, png in (("expert", e_png), ("township", t_png)):
        def clean():
            img = read_png(png)
            return img is not None and all(
                not_fill(img, r, (0, 0, 0)) == 0 for r in rects)
        try:
            wait_for(clean, 6, "the %s's snapshot" % who, 0.5)
        except TestFailure:
            img = read_png(png)
            raise TestFailure("%s's picture: %s pixels inside the masks are "
                              "not black" % (who, [not_fill(img, r, (0, 0, 0))
                                                   for r in rects]))
        check(True, "the masks are exactly black in the %s's picture" % who)
        img = read_png(png)
        check(not_fill(img, (200, 40, 440, 120), (0, 0, 0)) > 1000,
              "and the %s's picture has the phantom elsewhere" % who)

    check(procs.stop(expert) == 0, "the expert stopped cleanly")
    check(procs.stop(township) == 0, "the township stopped cleanly")
    check_recording(t_rec, rects)


def check_recording(folder, rects):
    """Every picture of the township's recording is video black (luma 16)
    inside each mask, and not elsewhere.

    Black within the codec's rounding, not bit for bit: a mask's inner
    edge meets macroblocks that straddle the mask's own edge, and the
    deblocking filter and intra prediction across that boundary can move
    a pixel there by one level (seen: luma 17 in one pixel at a
    macroblock edge, once in a few hundred pictures).  What was under a
    mask (the banner's text, the phantom's speckle) is tens of levels
    away, so any pixel off by more than MAX_OFF fails, and so do more
    than a few off by one."""
    names = [n for n in os.listdir(folder) if n.endswith(".mkv")]
    check(len(names) == 1, "the township made one recording")
    frames = inexact = total = 0
    for luma in recorded_lumas(os.path.join(folder, names[0]), W, H):
        frames += 1
        for i, (x0, y0, x1, y1) in enumerate(rects):
            for y in range(y0, y1):
                row = luma[y * W + x0:y * W + x1]
                total += len(row)
                off = [v for v in row if v != 16]
                inexact += len(off)
                worst = max((abs(v - 16) for v in off), default=0)
                if worst > MAX_OFF:
                    raise TestFailure(
                        "picture %d of the township's recording: mask %d "
                        "has luma %s in row %d (video black is 16)"
                        % (frames, i, sorted(set(off)), y))
        if frames == 1:
            phantom = sum(1 for y in range(40, 120)
                          for v in luma[y * W + 200:y * W + 440] if v != 16)
            check(phantom > 1000, "the recording's first picture has the "
                  "phantom outside the masks")
    check(frames > 30 and inexact * 10000 <= total,
          "the masks are luma 16 in all %d pictures of the township's "
          "recording (%d of %d pixels one or two levels off, at most 1 in "
          "10000)" % (frames, inexact, total))


if __name__ == "__main__":
    run(main)
