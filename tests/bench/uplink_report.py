"""What tests/bench/uplink.py measures, from what each run left behind.

Each run of uplink.py leaves a directory: both stations' --stats records,
the expert's --latency-log, sl-linkem's counters and window.json (the
window on the wall clock, the link's epoch on the monotonic clock, and the
outages the trace holds).  analyse_dir() turns one such directory into a
result dict; print_table(), print_ratios() and check_counts() report on a
list of them.  Kept apart from the runner so that `uplink.py --analyse
DIR` reports again on kept runs without starting anything.

Outages are the trace's own: a stretch of at least --outage-min-s (1 s)
without a delivery opportunity.  A per-second record of the expert covers
the interval since its previous record; it is "inside" an outage when
that interval overlaps one, and every per-second figure below is over the
records outside.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "linkem"))
import linkem  # noqa: E402
from latency import fmt, percentile, summary  # noqa: E402
from sltest import (TestFailure, read_latency_log,  # noqa: E402
                    read_stats, session_records)

FPS = 30
WIDTH, HEIGHT = 1280, 720
# A second of the expert "shows a moving picture" with at least this many
# new pictures (issue 13's goal: 90 % of the seconds outside outages).
MOVING_PICTURES = 5
# The township's voice is a tone at this frequency (uplink.py).
TONE_HZ = 700
# A second whose received voice is below this level, or whose strongest
# frequency is not the tone, had no voice worth the name.
VOICE_MIN_DB = -40


# ------------------------------------------------------------ outages

def trace_outages(opps_ms, min_s):
    """[(start_s, end_s)] of the stretches of at least min_s without an
    opportunity in a trace (ms from the link's start)."""
    out = []
    for a, b in zip(opps_ms, opps_ms[1:]):
        if b - a >= min_s * 1000:
            out.append((a / 1000.0, b / 1000.0))
    return out


def overlaps(a0, a1, outages):
    return any(a0 < b1 and b0 < a1 for b0, b1 in outages)


# ------------------------------------------------------------ records

def at_or_before(records, t):
    """The last record written at or before wall time t, or None."""
    last = None
    for r in records:
        if r["time"] <= t:
            last = r
    return last


def increase(records, key, t0, t1):
    """How much a cumulative per-session counter grew over (t0, t1]; a
    drop is a new session, whose count starts from 0."""
    base = at_or_before(records, t0)
    prev = base.get(key, 0) if base else 0
    total = 0
    for r in records:
        if t0 < r["time"] <= t1 and key in r:
            v = r[key]
            total += v - prev if v >= prev else v
            prev = v
    return total


def windowed_mean(records, count_key, mean_key, t0, t1):
    """Mean over (t0, t1] of a running mean reported with its count
    (verify_ssim_mean with verify_checked): (n1 m1 - n0 m0) / (n1 - n0)."""
    base = at_or_before(records, t0)
    end = at_or_before(records, t1)
    if end is None or end.get(mean_key) is None:
        return None, 0
    n0 = base.get(count_key, 0) if base else 0
    m0 = (base.get(mean_key) or 0) if base else 0
    n1, m1 = end.get(count_key, 0), end[mean_key]
    if n1 < n0:           # a new session: its own mean
        return m1, n1
    if n1 == n0:
        return None, 0
    return (n1 * m1 - n0 * m0) / (n1 - n0), n1 - n0


def capture_epoch(t_records):
    """Wall time of the phantom's frame 0: the township counts
    frames_captured from its start at FPS."""
    values = [r["time"] - r["frames_captured"] / FPS for r in t_records
              if r.get("frames_captured")]
    return percentile(values, 50) if values else None


def seconds(records, t0, t1):
    """The expert's once-a-second records of (t0, t1], each with the
    interval it covers and the counters' growth over it: [(start, record,
    {key: growth})].  A counter that went back began again with a new
    session; a record with no session ("waiting") grows nothing.  The
    voice's packet count is None in a session record of a build that does
    not count them."""
    keys = ("frames_decoded", "audio_packets_decoded")
    base = at_or_before(records, t0)
    prev_t = base["time"] if base else t0
    prev = {k: (base or {}).get(k) for k in keys}
    out = []
    for r in records:
        if not t0 < r["time"] <= t1:
            continue
        grew = {}
        for k in keys:
            v = r.get(k)
            if v is None:
                counted = r.get("state") == "waiting" or k == "frames_decoded"
                grew[k] = 0 if counted else None
                continue
            p = prev.get(k)
            grew[k] = v - p if p is not None and v >= p else v
            prev[k] = v
        out.append((max(prev_t, t0), r, grew))
        prev_t = r["time"]
    return out


def restarts(records, t0, t1):
    """Sessions begun again in (t0, t1]: the expert's frame counter went
    back to zero."""
    base = at_or_before(records, t0)
    prev = base.get("frames_decoded") if base else None
    n = 0
    for r in records:
        if t0 < r["time"] <= t1 and r.get("frames_decoded") is not None:
            v = r["frames_decoded"]
            if prev is not None and v < prev:
                n += 1
            prev = v
    return n


def voiced(r):
    """Whether the expert heard the township's tone in the second of
    record r (its level and strongest frequency, measured per second)."""
    db, hz = r.get("audio_level_db"), r.get("audio_peak_hz")
    return (db is not None and db > VOICE_MIN_DB and hz is not None
            and abs(hz - TONE_HZ) < 50)


def per_second(e_stats, t0, t1, outages_wall):
    """The per-second figures outside the outages."""
    rows = seconds(session_records_all(e_stats), t0, t1)
    outside = [(s, r, g) for s, r, g in rows
               if not overlaps(s, r["time"], outages_wall)]
    new = [g["frames_decoded"] if r.get("state") == "connected" else 0
           for s, r, g in outside]
    packets = [g["audio_packets_decoded"] for s, r, g in outside]
    have_packets = all(p is not None for p in packets) and outside
    return {
        "seconds_outside": len(outside),
        "seconds_inside": len(rows) - len(outside),
        "dark_outside": sum(1 for n in new if n == 0),
        "moving_outside": sum(1 for n in new if n >= MOVING_PICTURES),
        "moving_share": (sum(1 for n in new if n >= MOVING_PICTURES)
                         / len(new)) if new else None,
        "voice_lost_tone": sum(1 for s, r, g in outside if not voiced(r)),
        "voice_lost_packets": (sum(1 for p in packets if p == 0)
                               if have_packets else None),
        "dark_all": sum(1 for s, r, g in rows
                        if r.get("state") != "connected"
                        or not g["frames_decoded"]),
    }


def session_records_all(path):
    """Every record, "waiting" ones included: a second with no session is
    a second without a picture."""
    return read_stats(path)


def back_after_outages(times_us, outages_mono, t1_mono):
    """For each outage ending before the window's last second: ms from its
    end (the link's capacity back) to the first of times_us (monotonic
    µs) after it, within 10 s."""
    times = sorted(times_us)
    out = []
    for a, b in outages_mono:
        if b > t1_mono - 1e6:
            continue
        nxt = next((t for t in times if b <= t < b + 10e6), None)
        out.append(None if nxt is None else (nxt - b) / 1000.0)
    return out


def picture_back(e_records, lat_rows, outages_mono, t1_mono):
    """When the picture came back after each outage.  The expert's
    last_freeze_end_us is the decoded frame that ended a freeze, whether
    or not its stamps read (a keyframe made at a few tens of kbit/s often
    smears the stamp's blocks); builds without it: the first stamped
    picture.  Returns (ms per outage, which measure)."""
    ends = {r["last_freeze_end_us"] for r in e_records
            if r.get("last_freeze_end_us")}
    if any("last_freeze_end_us" in r for r in e_records):
        return back_after_outages(ends, outages_mono, t1_mono), "freeze"
    stamped = [r[2] for r in lat_rows if r[2] is not None]
    return back_after_outages(stamped, outages_mono, t1_mono), "stamp"


# ------------------------------------------------------------ one run

def loss_figures(t_win, e_win):
    """Mean over the window of what each station says was lost: each
    one's loss_pct (RTP's count), video_lost_pct and video_repaired_pct
    (the figure both show, where the build has it), the township's
    bwe_loss_pct and the expert's loss before and after recovery."""
    def mean(records, key):
        v = [r[key] for r in records if r.get(key) is not None]
        return sum(v) / len(v) if v else None
    return {
        "township_loss_pct": mean(t_win, "loss_pct"),
        "township_bwe_loss_pct": mean(t_win, "bwe_loss_pct"),
        "township_lost_pct": mean(t_win, "video_lost_pct"),
        "township_repaired_pct": mean(t_win, "video_repaired_pct"),
        "expert_lost_pct": mean(e_win, "video_lost_pct"),
        "expert_repaired_pct": mean(e_win, "video_repaired_pct"),
        "expert_loss_pct": mean(e_win, "loss_pct"),
        "expert_before_pct": mean(e_win, "loss_before_recovery_pct"),
        "expert_after_pct": mean(e_win, "loss_after_recovery_pct"),
    }


def timelines(e, t, t0, t1):
    expert = [{
        "t": round(r["time"] - t0, 2), "state": r.get("state"),
        "link": r.get("link"), "kbps": r.get("bitrate_kbps"),
        "size": "%sx%s" % (r.get("width"), r.get("height")),
        "fps": r.get("fps"), "loss_pct": r.get("loss_pct"),
        "before_pct": r.get("loss_before_recovery_pct"),
        "after_pct": r.get("loss_after_recovery_pct"),
        "lat_p95": r.get("latency_ms_p95"),
        "estimate_ms": r.get("latency_estimate_ms"),
        "voice_db": r.get("audio_level_db"),
        "voice_packets": r.get("audio_packets_decoded"),
        "jb_ms": r.get("jitter_buffer_ms"),
    } for r in e if t0 - 5 < r["time"] <= t1 + 2]
    township = [{
        "t": round(r["time"] - t0, 2), "kbps": r.get("bitrate_kbps"),
        "fps": r.get("fps"),
        "target_kbps": r.get("bwe_target_kbps"),
        "delay_kbps": r.get("bwe_estimate_kbps"),
        "acked_kbps": r.get("acked_kbps"),
        "encoder_kbps": r.get("encoder_kbps"),
        "send_fps": r.get("send_fps"),
        "voice_ms": r.get("voice_frame_ms"),
        "size": "%sx%s" % (r.get("send_width"), r.get("send_height")),
        "rtt_ms": r.get("rtt_ms"), "loss_pct": r.get("loss_pct"),
        "bwe_loss_pct": r.get("bwe_loss_pct"),
        "keyframes": r.get("keyframe_requests"),
    } for r in t if t0 - 5 < r["time"] <= t1 + 2]
    return expert, township


def analyse(e_stats, t_stats, lat_log, window):
    t0, t1 = window["t0"], window["t1"]
    to_wall = window["epoch_wall"]
    outages = [tuple(o) for o in window.get("outages", [])]
    outages_wall = [(to_wall + a, to_wall + b) for a, b in outages]
    outages_mono = [(window["epoch_us"] + a * 1e6, window["epoch_us"] + b * 1e6)
                    for a, b in outages
                    if t0 < to_wall + b and to_wall + a < t1]
    e = session_records(e_stats)
    t = session_records(t_stats)
    e_win = [r for r in e if t0 < r["time"] <= t1]
    t_win = [r for r in t if t0 < r["time"] <= t1]
    # Latency of the pictures captured in the window.
    cap0 = capture_epoch(read_stats(t_stats))
    pairs = read_latency_log(lat_log)
    lat, arrivals = [], []
    if cap0 is not None:
        i0, i1 = (t0 - cap0) * FPS, (t1 - cap0) * FPS
        lat = [us / 1000.0 for i, us, _ in pairs if i0 <= i < i1]
    t1_mono = window["epoch_us"] + (t1 - to_wall) * 1e6
    back, back_by = picture_back(e, pairs, outages_mono, t1_mono)
    back_stamped = back_after_outages([p[2] for p in pairs if p[2]],
                                      outages_mono, t1_mono)
    # Pictures decoded below the source size.
    reduced = 0
    prev = at_or_before(e, t0)
    prev_dec = prev.get("frames_decoded", 0) if prev else 0
    sizes = {}
    for r in e_win:
        dec = r.get("frames_decoded", 0)
        n = dec - prev_dec if dec >= prev_dec else dec
        prev_dec = dec
        size = "%dx%d" % (r.get("width", 0), r.get("height", 0))
        sizes[size] = sizes.get(size, 0) + n
        if (r.get("width"), r.get("height")) != (WIDTH, HEIGHT):
            reduced += n
    ssim, ssim_n = windowed_mean(e, "verify_checked", "verify_ssim_mean",
                                 t0, t1)
    psnr, _ = windowed_mean(e, "verify_checked", "verify_psnr_mean", t0, t1)
    rates = [r["bitrate_kbps"] for r in e_win if "bitrate_kbps" in r]
    send_rates = [r["bitrate_kbps"] for r in t_win if "bitrate_kbps" in r]
    estimates = [r["latency_estimate_ms"] for r in e_win
                 if r.get("latency_estimate_ms") is not None
                 and not overlaps(r["time"] - 1, r["time"], outages_wall)]
    expert_tl, township_tl = timelines(e, t, t0, t1)
    result = {
        "seconds": round(t1 - t0, 1),
        "records": len(e_win),
        "outages_in_window": [(round(a - (t0 - to_wall), 2),
                               round(b - (t0 - to_wall), 2))
                              for a, b in outages
                              if t0 < to_wall + b and to_wall + a < t1],
        "frames_sent": increase(t, "frames_sent", t0, t1),
        "frames_decoded": increase(e, "frames_decoded", t0, t1),
        "frames_reduced_size": reduced,
        "decoded_by_size": sizes,
        "latency_samples": len(lat),
        "latency_samples_run": len(pairs),
        "latency_ms": summary(lat),
        "latency_estimate_ms": summary(estimates),
        "back_ms": back,
        "back_by": back_by,
        "back_stamped_ms": back_stamped,
        "freezes": increase(e, "freezes", t0, t1),
        "freeze_ms": increase(e, "freeze_ms", t0, t1),
        "bitrate_kbps_received": (sum(rates) / len(rates)) if rates
        else None,
        "bitrate_kbps_sent": (sum(send_rates) / len(send_rates))
        if send_rates else None,
        "ssim_mean": ssim, "ssim_pictures": ssim_n, "psnr_mean": psnr,
        "restarts": restarts(e, t0, t1),
        "first_picture_ms": next((r["first_picture_ms"] for r in e
                                  if "first_picture_ms" in r), None),
        "timeline": expert_tl,
        "township_timeline": township_tl,
    }
    result.update(per_second(e_stats, t0, t1, outages_wall))
    result.update(loss_figures(t_win, e_win))
    return result


def restart_causes(d):
    """Why sessions were made again, from the stations' logs: silence
    beyond --restart-after, a change of a station's network (GLib's
    network monitor also sees other programs' interfaces come and go on
    a shared machine), a hub connection given up."""
    text = ""
    for name in ("expert.log", "linkem.log"):
        try:
            with open(os.path.join(d, name), errors="replace") as f:
                text += f.read()
        except FileNotFoundError:
            pass
    return {"silence": text.count("giving up on this connection"),
            "network": text.count("the network changed"),
            "hub": text.count("lost the hub (no word")
                   + text.count("reconnecting to the hub: no word")}


def analyse_dir(d):
    """The result of one run from what it left in its directory."""
    with open(os.path.join(d, "window.json")) as f:
        window = json.load(f)
    result = analyse(os.path.join(d, "expert.jsonl"),
                     os.path.join(d, "township.jsonl"),
                     os.path.join(d, "latency.txt"), window)
    result.update(window)
    result["link"] = linkem.read_stats(os.path.join(d, "linkem-stats.json"))
    result["restart_causes"] = restart_causes(d)
    return result


# ------------------------------------------------------------ output

def queue_drops(r):
    """(packets the uplink queue dropped, their share of the packets in,
    percent), whole run."""
    up = (r.get("link") or {}).get("up") or {}
    if not up.get("packets_in"):
        return None, None
    n = up.get("packets_overflow", 0)
    return n, 100.0 * n / up["packets_in"]


def label(r):
    return "%s/%s" % (r["mode"], r.get("build", "this")) + (
        "#%d" % r["run"] if r.get("runs", 1) > 1 else "")


def fmt_back(values):
    if not values:
        return "-"
    return ",".join("-" if v is None else "%.0f" % v for v in values)


def print_table(results):
    head = ("%-10s %-18s %5s %5s %6s %5s %5s %4s %6s %6s %6s %6s %-11s "
            "%4s %4s %4s %6s %6s" % (
                "trace", "mode/build", "sent", "dec", "lat n", "p50",
                "p95", "est", "est95", "dark", ">=5", "kbps",
                "back ms", "vt", "vp", "rst", "drops", "drop%"))
    print(head)
    print("-" * len(head))
    for r in results:
        if r.get("error"):
            print("%-10s %-18s failed: %s" % (r["trace"], label(r),
                                              r["error"]))
            continue
        lat = r.get("latency_ms") or {}
        est = r.get("latency_estimate_ms") or {}
        drops, share = queue_drops(r)
        print("%-10s %-18s %5d %5d %6d %5s %5s %4s %6s %6s %6s %6s %-11s "
              "%4d %4s %4d %6s %6s" % (
                  r["trace"], label(r), r["frames_sent"],
                  r["frames_decoded"], r["latency_samples"],
                  fmt(lat.get("p50"), "%.0f"), fmt(lat.get("p95"), "%.0f"),
                  fmt(est.get("p50"), "%.0f"), fmt(est.get("p95"), "%.0f"),
                  "%d/%d" % (r["dark_outside"], r["seconds_outside"]),
                  fmt(r["moving_share"] and 100 * r["moving_share"],
                      "%.0f%%"),
                  fmt(r["bitrate_kbps_received"], "%.0f"),
                  fmt_back(r["back_ms"]) + ("*" if r.get("back_by") == "stamp"
                                            else ""),
                  r["voice_lost_tone"],
                  fmt(r["voice_lost_packets"], "%d"), r["restarts"],
                  fmt(drops, "%d"), fmt(share, "%.1f")))
    print("(lat n: pictures whose latency stamp was read, of dec decoded; "
          "p50, p95: their stamped latency, ms; est, est95: the expert's "
          "per-second estimate, ms, outside outages; dark: seconds outside "
          "the trace's outages with no new picture / all seconds outside; "
          ">=5: share of those with at least %d new pictures; back ms: from "
          "the end of each outage to the frame that ended the expert's "
          "freeze (* : to the next stamped picture, for a build that does "
          "not report it); vt: seconds "
          "outside outages without the township's tone; vp: without a "
          "voice packet decoded (- : not counted by this build); rst: "
          "sessions made again; drops, drop%%: uplink packets the queue "
          "dropped, whole run)" % MOVING_PICTURES)
    for r in results:
        if r.get("error"):
            continue
        print("loss %s %s: shown lost/repaired %%: township %s/%s, expert "
              "%s/%s; RTP's loss_pct: township %s, expert %s; township "
              "bwe %s; expert before/after recovery %s/%s" % (
                  r["trace"], label(r), fmt(r.get("township_lost_pct")),
                  fmt(r.get("township_repaired_pct")),
                  fmt(r.get("expert_lost_pct")),
                  fmt(r.get("expert_repaired_pct")),
                  fmt(r["township_loss_pct"]), fmt(r["expert_loss_pct"]),
                  fmt(r["township_bwe_loss_pct"]),
                  fmt(r["expert_before_pct"]), fmt(r["expert_after_pct"])))
        causes = r.get("restart_causes") or {}
        if any(causes.values()):
            print("restarts %s %s: %d given up after silence, %d network "
                  "changes seen, %d hub connections given up" % (
                      r["trace"], label(r), causes.get("silence", 0),
                      causes.get("network", 0), causes.get("hub", 0)))
        for p in r.get("problems") or ():
            print("problem: %s %s: %s" % (r["trace"], label(r), p))


def ratio(a, b, spec="%.2f"):
    if a is None or b is None or b == 0:
        return "-"
    return spec % (a / b)


def mean_of(rows, key):
    v = [r[key] for r in rows if r.get(key) is not None]
    return sum(v) / len(v) if v else None


def mean_lat(rows, p):
    v = [(r.get("latency_ms") or {}).get(p) for r in rows]
    v = [x for x in v if x is not None]
    return sum(v) / len(v) if v else None


def print_ratios(results, pairs):
    """Ratios a / b, same run, for each (a, b) of (mode, build) pairs,
    over the means of their runs."""
    ok = [r for r in results if not r.get("error")]
    for (ma, ba), (mb, bb) in pairs:
        traces = [t for t in dict.fromkeys(r["trace"] for r in ok)]
        lines = []
        for t in traces:
            a = [r for r in ok if (r["trace"], r["mode"],
                                   r.get("build", "this")) == (t, ma, ba)]
            b = [r for r in ok if (r["trace"], r["mode"],
                                   r.get("build", "this")) == (t, mb, bb)]
            if not a or not b:
                continue
            lines.append("%-10s %8s %8s %9s %11s %9s %8s" % (
                t, ratio(mean_lat(a, "p50"), mean_lat(b, "p50")),
                ratio(mean_lat(a, "p95"), mean_lat(b, "p95")),
                ratio(mean_of(a, "frames_decoded"),
                      mean_of(b, "frames_decoded")),
                "%s/%s" % (fmt(mean_of(a, "dark_outside"), "%.1f"),
                           fmt(mean_of(b, "dark_outside"), "%.1f")),
                ratio(mean_of(a, "bitrate_kbps_received"),
                      mean_of(b, "bitrate_kbps_received")),
                "%s/%s" % (fmt(mean_of(a, "restarts"), "%.1f"),
                           fmt(mean_of(b, "restarts"), "%.1f"))))
        if not lines:
            continue
        print()
        print("%s/%s against %s/%s, same run (ratios of means over runs):"
              % (ma, ba, mb, bb))
        print("%-10s %8s %8s %9s %11s %9s %8s" % (
            "trace", "p50", "p95", "decoded", "dark s", "kbps", "rst"))
        for line in lines:
            print(line)


def check_counts(results):
    """What --smoke asserts: pictures decoded, stamps read, counts that add
    up; nothing about time."""
    for r in results:
        what = "%s %s" % (r["trace"], label(r))
        if r.get("error"):
            raise TestFailure("%s: %s" % (what, r["error"]))
        if r["problems"]:
            raise TestFailure("%s: %s" % (what, "; ".join(r["problems"])))
        if r["frames_decoded"] <= 0:
            raise TestFailure("%s: no picture decoded in the window" % what)
        # Over the whole run: should the controller make the picture
        # smaller early on, the window's pictures may carry no readable
        # stamp.
        if not r["latency_samples_run"]:
            raise TestFailure("%s: no latency stamp was read" % what)
        # One second of slack: records and the window do not line up.
        if r["frames_decoded"] > r["frames_sent"] + FPS:
            raise TestFailure("%s: %d decoded but only %d sent" % (
                what, r["frames_decoded"], r["frames_sent"]))
        if r["latency_samples"] > r["frames_decoded"] + FPS:
            raise TestFailure("%s: %d latency samples for %d pictures" % (
                what, r["latency_samples"], r["frames_decoded"]))
        if r["latency_ms"] and r["latency_ms"]["p50"] <= 0:
            raise TestFailure("%s: latency %.3f ms is not positive" % (
                what, r["latency_ms"]["p50"]))
        if r["seconds_outside"] + r["seconds_inside"] <= 0:
            raise TestFailure("%s: no per-second record in the window"
                              % what)
        up = (r["link"] or {}).get("up") or {}
        counted = sum(up.get("packets_" + k, 0) for k in (
            "out", "lost", "outage", "overflow", "failed", "held"))
        if not up.get("packets_in") or counted != up["packets_in"]:
            raise TestFailure("%s: the link's counters do not add up: %s"
                              % (what, up))
        print("ok: %s: %d pictures decoded, %d latency samples" % (
            what, r["frames_decoded"], r["latency_samples"]))
