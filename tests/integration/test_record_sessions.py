#!/usr/bin/env python3
"""The township's recording covers the whole consultation, across its
sessions.

    test_record_sessions.py HUB TOWNSHIP EXPERT

hub + township (phantom 640x360, a 440 Hz test voice, --record) and, in
turn, two experts that record too:

1. expert ex1 (an 880 Hz voice) joins; the township is then stopped with
   SIGSTOP past every keep-alive and let go again, so that it sees the
   expert gave the session up and offers a new one (as test_stall.py);
2. expert ex2 (a 1300 Hz voice) joins while ex1 is there and draws a
   mark; then ex1 leaves with Ctrl-C.

The township keeps one recording (docs/recording.md, ONE CONSULTATION,
ONE FILE), which must hold each session's media:

- the H.264 slices ex1 recorded as received after the re-offer, and
  those ex2 received once ex1 had left, are bit for bit in the
  township's file (most of them: the first keyframe of a session may
  come before the expert's own recording starts);
- the mark ex2 drew while ex1's session was the one recorded is in the
  township's sidecar, with ex2 as its peer;
- its expert-voice track, decoded, carries both experts' tones;
- its sidecar names both experts' messages' peers, opens with one
  "recording" line and ends with one "stop";
- the file decodes to its end.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sltest import (Hub, Stopped, check,  # noqa: E402
                    connected_frames_since, decode_recording,
                    decode_recorded_voice, last_session, read_stats, run,
                    station_args, tone_seconds, wait_for)
from test_recording import (find_recording, sidecar,  # noqa: E402
                            timed_video_slices, video_slices)

TOWNSHIP_HZ, EXPERT1_HZ, EXPERT2_HZ = 440, 880, 1300
# As in test_stall.py: past the station's hub keep-alive and the expert's
# restart delay, short of the hub's own keep-alive.
STALL_S = 9


def decoded(path):
    return last_session(path).get("frames_decoded", 0)


def after_longest_gap(timed):
    """The slices after the longest pause between two of them: for ex1,
    those of the session the township offered after its stall."""
    gaps = [(timed[i + 1][0] - timed[i][0], i + 1)
            for i in range(len(timed) - 1)]
    longest, at = max(gaps, default=(0, 0))
    return longest, [h for _, h in timed[at:]]


def start_expert(build, procs, hub, room, name, hz, folder, stats,
                 extra=()):
    return procs.start(name, [build.expert] + station_args(
        hub, hub.token_file(name, hub.token(room, "expert")), stats,
        ["--audio-in", "test:%d" % hz, "--sink", "none", "--record", folder,
         "--peer-id", name] + list(extra)))


def main(build, procs):
    d = procs.workdir
    hub = Hub(build, procs).start()
    room = "rec-sessions"
    t_rec = os.path.join(d, "t-rec")
    e_rec = {n: os.path.join(d, n + "-rec") for n in ("ex1", "ex2")}
    t_stats = os.path.join(d, "t.jsonl")
    e_stats = {n: os.path.join(d, n + ".jsonl") for n in ("ex1", "ex2")}

    township = procs.start("township", [build.township] + station_args(
        hub, hub.token_file("township", hub.token(room, "township")), t_stats,
        ["--audio-in", "test:%d" % TOWNSHIP_HZ, "--width", "640",
         "--height", "360", "--record", t_rec, "--restart-after", "60",
         "--peer-id", "tw1"]))
    ex1 = start_expert(build, procs, hub, room, "ex1", EXPERT1_HZ,
                       e_rec["ex1"], e_stats["ex1"])
    wait_for(lambda: decoded(e_stats["ex1"]) > 60, 30,
             "ex1's first pictures")

    # The stall and the re-offer.
    stall = Stopped(township)
    wait_for(lambda: ": failed" in procs.log(ex1), 30,
             "ex1 to give the silent session up")
    stall.wait(STALL_S)
    e_lines = len(read_stats(e_stats["ex1"]))
    stall.resume()
    wait_for(lambda: connected_frames_since(e_stats["ex1"], e_lines) >= 90,
             40, "ex1 to decode three seconds of the re-offered session")
    check("dropped the session meanwhile" in procs.log(township),
          "the township offered ex1 a new session after the stall")

    # ex2 comes while ex1 is there and draws a mark; then ex1 leaves.
    script = os.path.join(d, "ex2-script.jsonl")
    with open(script, "w") as f:
        f.write(json.dumps({"at_ms": 500, "msg": {
            "type": "mark", "id": "ex2-m1", "kind": "box",
            "points": [[0.2, 0.2], [0.4, 0.4]], "color": "yellow",
            "width": 2}}) + "\n")
    ex2 = start_expert(build, procs, hub, room, "ex2", EXPERT2_HZ,
                       e_rec["ex2"], e_stats["ex2"],
                       ["--guidance-script", script])
    wait_for(lambda: decoded(e_stats["ex2"]) > 30, 30,
             "ex2's first pictures, with ex1 still there")
    check(procs.stop(ex1) == 0, "ex1 leaves cleanly")
    wait_for(lambda: "which left the room" in procs.log(township)
             or "ex1 left" in procs.log(township), 20,
             "the township to close ex1's session")
    e2_lines = len(read_stats(e_stats["ex2"]))
    wait_for(lambda: connected_frames_since(e_stats["ex2"], e2_lines) >= 90,
             30, "three seconds of pictures at ex2 after ex1 left")
    check(procs.stop(ex2) == 0, "ex2 leaves cleanly")
    check(procs.stop(township) == 0, "the township stops cleanly")

    t_mkv = find_recording(t_rec, ".mkv")
    t_side = find_recording(t_rec, ".jsonl")
    check(t_mkv is not None and t_side is not None,
          "the township made one recording for the whole consultation")
    rc, sizes, _ = decode_recording(t_mkv)
    check(rc == 0 and sum(sizes.values()) > 0,
          "the township's recording decodes to its end (%d frames)"
          % sum(sizes.values()))
    t_slices = set(video_slices(t_mkv))
    for name in ("ex1", "ex2"):
        folder = e_rec[name]
        names = [n for n in os.listdir(folder) if n.endswith(".mkv")]
        check(len(names) == 1, "%s made one recording (%s)" % (name, names))
        timed = timed_video_slices(os.path.join(folder, names[0]))
        mine = [h for _, h in timed]
        if name == "ex1":
            pause, mine = after_longest_gap(timed)
            check(pause >= (STALL_S - 3) * 1000,
                  "ex1's recording pauses %.1f s for the stall" % (pause / 1e3))
            when = "after the re-offer"
        else:
            # The township recorded ex1's session while ex1 was there,
            # ex2's after: the last two seconds ex2 received.
            mine = [h for t, h in timed if t >= timed[-1][0] - 2000]
            when = "in its last two seconds, after ex1 left"
        common = len(set(mine) & t_slices)
        check(len(mine) > 30 and common >= 0.9 * len(mine),
              "%d of the %d slices %s received %s are bit for bit in the "
              "township's recording" % (common, len(mine), name, when))

    voice = decode_recorded_voice(t_mkv, "audio_1")
    heard = {hz: tone_seconds(voice, hz) for hz in (EXPERT1_HZ, EXPERT2_HZ)}
    check(all(v >= 1 for v in heard.values()),
          "the township's expert-voice track carries both experts' voices "
          "(%s)" % ", ".join("%d Hz for %.1f s" % kv
                             for kv in sorted(heard.items())))
    lines = sidecar(t_side)
    marks = [line for line in lines if line["type"] == "guide"
             and line["msg"].get("id") == "ex2-m1"]
    check(len(marks) == 1 and marks[0]["peer"] == "ex2",
          "the township recorded the mark ex2 drew while ex1's session was "
          "the one recorded")
    check([line["type"] for line in lines].count("recording") == 1
          and lines[0]["type"] == "recording"
          and lines[-1]["type"] == "stop",
          "the sidecar opens with one recording line and ends with stop")


if __name__ == "__main__":
    run(main)
