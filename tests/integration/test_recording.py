#!/usr/bin/env python3
"""Recording end to end: both stations record one consultation.

    test_recording.py HUB TOWNSHIP EXPERT

hub + township (phantom 640x360, test tone, --record) + expert (test tone,
--guidance-script with four marks, --record).  Checks:

- a recorder member (sonolink-expert with a recorder token) records what
  the township sends it, the lesson's voice with both tones among it, and
  refuses to run without --record (exit 3);
- the hub tells each station that all three record (their logs and their
  --stats "recorded_by"), and the expert sees the township's recording
  end when it goes;
- the township is killed with SIGKILL mid-session: its file still plays
  through matroskademux, h264parse and avdec_h264, and holds all but at
  most two seconds of the frames it had encoded by its last --stats
  record;
- the expert's file, stopped with Ctrl-C, has an H.264 track and two Opus
  tracks, and its decoded frames are plausible for the time it ran;
- the H.264 slices of the expert's recording (as received) are, bit for
  bit, slices of the township's (as encoded);
- the expert's sidecar names the still it saved;
- the expert's file carries the sidecar's guidance lines in its track 4;
- both sidecars hold the scripted marks with the media time the expert
  named: "sent" at the expert, "received" at the township, keyed there to
  a recorded picture (frame_ms) no later than when the mark arrived;
- files are mode 0600 in a folder made 0700;
- a token minted with --no-record: the station says recording is not
  allowed, writes no recording, and the consultation goes on;
- --record in a folder that cannot be made: exit 2 before joining;
- a recording that cannot be written on (the expert's file size limited
  with ulimit -f, as a full disk would refuse it): the station says why,
  the recording stops, what was written plays, and the expert keeps
  decoding.
"""

import hashlib
import json
import os
import re
import signal
import stat
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sltest import (Hub, check, decode_recorded_voice,  # noqa: E402
                    decode_recording, run, session_records, station_args,
                    tone_seconds, wait_for)

FPS = 30
TOWNSHIP_HZ, EXPERT_HZ = 440, 880
MARKS = ["m1", "m2", "m3", "m4"]


def script():
    entries = [{"at_ms": 1000 + 1000 * i,
                "msg": {"type": "mark", "id": mid, "kind": "box",
                        "points": [[0.1, 0.1], [0.3 + 0.1 * i, 0.4]],
                        "color": "yellow", "width": 2}}
               for i, mid in enumerate(MARKS)]
    entries.append({"at_ms": 2500,
                    "msg": {"type": "still_request", "req": "s1"}})
    return sorted(entries, key=lambda e: e["at_ms"])


def ebml_elements(data, pos, end):
    """Yields (id, payload start, payload end) of the elements in
    data[pos:end]; an unknown size runs to the end."""
    while pos < end:
        first = data[pos]
        n = 1
        while n <= 4 and not first & (0x80 >> (n - 1)):
            n += 1
        eid = int.from_bytes(data[pos:pos + n], "big")
        pos += n
        first = data[pos]
        m = 1
        while m <= 8 and not first & (0x80 >> (m - 1)):
            m += 1
        size = int.from_bytes(data[pos:pos + m], "big") & ((1 << (7 * m)) - 1)
        unknown = size == (1 << (7 * m)) - 1
        pos += m
        stop = end if unknown else pos + size
        if stop > end:
            return  # cut short by a crash
        yield eid, pos, stop
        pos = stop


def timed_blocks(path, track):
    """(time in ms, payload) of @track's SimpleBlocks, in order."""
    with open(path, "rb") as f:
        data = f.read()
    for eid, s, e in ebml_elements(data, 0, len(data)):
        if eid != 0x18538067:
            continue
        for cid, cs, ce in ebml_elements(data, s, e):
            if cid != 0x1F43B675:
                continue
            t0 = 0
            for bid, bs, be in ebml_elements(data, cs, ce):
                if bid == 0xE7:
                    t0 = int.from_bytes(data[bs:be], "big")
                elif bid == 0xA3 and data[bs] == 0x80 | track:
                    rel = int.from_bytes(data[bs + 1:bs + 3], "big",
                                         signed=True)
                    yield t0 + rel, data[bs + 4:be]


def blocks(path, track):
    """The payloads of @track's SimpleBlocks, in order."""
    return (payload for _, payload in timed_blocks(path, track))


def timed_video_slices(path):
    """(time in ms, SHA-256) of the H.264 slice NAL units (types 1 and 5)
    of track 1, in order."""
    out = []
    for t, au in timed_blocks(path, 1):
        p = 0
        while p + 4 <= len(au):
            n = int.from_bytes(au[p:p + 4], "big")
            nal = au[p + 4:p + 4 + n]
            if nal and nal[0] & 0x1F in (1, 5):
                out.append((t, hashlib.sha256(nal).hexdigest()))
            p += 4 + n
    return out


def video_slices(path):
    """The H.264 slice NAL units (types 1 and 5) of track 1, in order."""
    return [h for _, h in timed_video_slices(path)]


def decode(path, voices=True):
    """(exit status, decoded frames, gst-launch's output) of a recording."""
    rc, sizes, out = decode_recording(path, voices)
    return rc, sum(sizes.values()), out


def last_decoded(stats):
    return max((r.get("frames_decoded", 0) for r in session_records(stats)),
               default=0)


def find_recording(folder, ext):
    names = [n for n in os.listdir(folder) if n.endswith(ext)]
    return os.path.join(folder, names[0]) if len(names) == 1 else None


def sidecar(path):
    """The sidecar's whole lines (one being written is left out)."""
    with open(path) as f:
        lines = f.read().split("\n")[:-1]
    return [json.loads(line) for line in lines if line.strip()]


def main(build, procs):
    d = procs.workdir
    hub = Hub(build, procs).start()
    room = "rec1"
    t_rec, e_rec = os.path.join(d, "t-rec"), os.path.join(d, "e-rec")
    t_stats, e_stats = os.path.join(d, "t.jsonl"), os.path.join(d, "e.jsonl")
    script_path = os.path.join(d, "script.jsonl")
    with open(script_path, "w") as f:
        for entry in script():
            f.write(json.dumps(entry) + "\n")

    # A folder that cannot be made: refused before joining.
    bad = subprocess.run(
        [build.expert] + station_args(
            hub, hub.token_file("x", hub.token(room, "expert")),
            os.path.join(d, "x.jsonl"),
            ["--record", os.path.join(script_path, "sub")]),
        capture_output=True, text=True, timeout=30)
    check(bad.returncode == 2 and "--record" in bad.stderr,
          "--record in a folder that cannot be made: exit 2 (%r)"
          % bad.stderr.strip())

    township = procs.start("township", [build.township] + station_args(
        hub, hub.token_file("township", hub.token(room, "township")), t_stats,
        ["--audio-in", "test:%d" % TOWNSHIP_HZ, "--width", "640", "--height", "360",
         "--record", t_rec, "--duration", "60", "--peer-id", "tw1"]))
    expert = procs.start("expert", [build.expert] + station_args(
        hub, hub.token_file("expert", hub.token(room, "expert")), e_stats,
        ["--audio-in", "test:%d" % EXPERT_HZ, "--sink", "none",
         "--record", e_rec,
         "--stills-dir", e_rec,
         "--guidance-script", script_path, "--duration", "60",
         "--peer-id", "ex1"]))

    # The room's recorder member: a recorder token without --record is
    # refused; with it, it records what the township sends it.
    r_token = hub.token_file("recorder", hub.token(room, "recorder"))
    norec = subprocess.run(
        [build.expert] + station_args(hub, r_token,
                                      os.path.join(d, "r0.jsonl"),
                                      ["--sink", "none"]),
        capture_output=True, text=True, timeout=30)
    check(norec.returncode == 3 and "--record" in norec.stderr,
          "a recorder token without --record: exit 3 (%r)"
          % norec.stderr.strip())
    r_rec = os.path.join(d, "r-rec")
    recorder = procs.start("recorder", [build.expert] + station_args(
        hub, r_token, os.path.join(d, "r.jsonl"),
        ["--sink", "none", "--audio-in", "none", "--record", r_rec,
         "--duration", "60", "--peer-id", "rc1"]))

    wait_for(lambda: any(r.get("frames_decoded", 0) > 0 for r in
                         session_records(e_stats)), 30,
             "the expert's first picture")
    for name, stats, proc in (("township", t_stats, township),
                              ("expert", e_stats, expert)):
        wait_for(lambda: any(r.get("recorded_by") == ["ex1", "rc1", "tw1"]
                             and r.get("recording")
                             for r in session_records(stats)), 15,
                 "the %s's stats to show both stations recording" % name)
        check("ex1 (expert) started recording" in procs.log(proc)
              and "tw1 (township) started recording" in procs.log(proc)
              and "rc1 (recorder) started recording" in procs.log(proc),
              "the hub told the %s that all three record" % name)
    wait_for(lambda: "started recording" in procs.log(hub.proc), 5,
             "the hub to log the recording")
    check(True, "the hub logged who records")

    # Once the marks have reached the township and the still the expert,
    # the township dies.
    def scripted_all():
        t_side = find_recording(t_rec, ".jsonl")
        e_side = find_recording(e_rec, ".jsonl")
        if t_side is None or e_side is None:
            return False
        got = {l["msg"].get("id") for l in sidecar(t_side)
               if l["type"] == "guide"}
        return (set(MARKS) <= got
                and any(l["type"] == "still" for l in sidecar(e_side)))
    wait_for(scripted_all, 30, "the marks and the still in the sidecars")
    last = [r for r in session_records(t_stats) if "frames_sent" in r][-1]
    os.kill(township.pid, signal.SIGKILL)
    township.wait()
    wait_for(lambda: "tw1 left: no longer recording" in procs.log(expert), 20,
             "the expert to see the township's recording end")
    check(True, "the expert shows that the township no longer records")
    check(procs.stop(expert) == 0, "the expert ends cleanly after Ctrl-C")
    check(procs.stop(recorder) == 0, "the recorder ends cleanly after Ctrl-C")
    rc, r_frames, _ = decode(find_recording(r_rec, ".mkv"), voices=False)
    r_decoded = last_decoded(os.path.join(d, "r.jsonl"))
    check(rc == 0 and r_decoded > 0 and r_frames >= r_decoded,
          "the recorder member's recording decodes to %d frames, as many as "
          "it had decoded by its last stats record (%d)"
          % (r_frames, r_decoded))
    # The lesson: both tones at once, each a good part of the energy.
    voice = decode_recorded_voice(find_recording(r_rec, ".mkv"), "audio_0")
    heard = {hz: tone_seconds(voice, hz, dominant=0.2)
             for hz in (TOWNSHIP_HZ, EXPERT_HZ)}
    check(all(v >= 1 for v in heard.values()),
          "the recorder's voice track holds the lesson, both voices (%s)"
          % ", ".join("%d Hz for %.1f s" % kv for kv in sorted(heard.items())))

    check(stat.S_IMODE(os.stat(t_rec).st_mode) == 0o700
          and stat.S_IMODE(os.stat(e_rec).st_mode) == 0o700,
          "the recording folders are made mode 0700")
    t_mkv, e_mkv = find_recording(t_rec, ".mkv"), find_recording(e_rec, ".mkv")
    t_side, e_side = (find_recording(t_rec, ".jsonl"),
                      find_recording(e_rec, ".jsonl"))
    check(None not in (t_mkv, e_mkv, t_side, e_side),
          "each station wrote one recording and one sidecar")
    for p in (t_mkv, e_mkv, t_side, e_side):
        check(stat.S_IMODE(os.stat(p).st_mode) == 0o600,
              "%s is mode 0600" % os.path.basename(p))

    rc, t_frames, _ = decode(t_mkv)
    check(rc == 0, "the killed township's recording plays to its end")
    check(t_frames >= last["frames_sent"] - 2 * FPS,
          "it holds %d frames of the %d encoded by its last stats record "
          "(at most 2 s lost)" % (t_frames, last["frames_sent"]))
    rc, e_frames, e_out = decode(e_mkv)
    check(rc == 0 and "video/x-h264" in e_out
          and e_out.count("audio/x-opus") >= 2,
          "the expert's recording has an H.264 and two Opus tracks")
    e_decoded = last_decoded(e_stats)
    check(e_decoded > 0 and e_frames >= e_decoded,
          "the expert's recording decodes to %d frames, as many as it had "
          "decoded by its last stats record (%d)" % (e_frames, e_decoded))

    t_sl, e_sl = video_slices(t_mkv), video_slices(e_mkv)
    common = set(t_sl) & set(e_sl)
    check(len(e_sl) > 0 and len(common) >= 0.9 * min(len(t_sl), len(e_sl)),
          "%d of the expert's %d slices are bit for bit the township's %d"
          % (len(common), len(e_sl), len(t_sl)))

    e_lines, t_lines = sidecar(e_side), sidecar(t_side)
    stills = [l for l in e_lines if l["type"] == "still"]
    check(len(stills) == 1 and "/" not in stills[0]["path"]
          and os.path.isfile(os.path.join(e_rec, stills[0]["path"]))
          and stills[0]["frame_ms"] <= stills[0]["t_ms"],
          "the expert's sidecar names the still it saved beside the "
          "recording (%s)" % (stills[0]["path"] if stills else None))
    check(e_lines[0]["type"] == "recording" and e_lines[-1]["type"] == "stop",
          "the expert's sidecar opens with the recording and ends with stop")
    sent = {l["msg"]["id"]: l for l in e_lines if l["type"] == "guide"
            and l["dir"] == "sent" and l["msg"].get("type") == "mark"}
    got = {l["msg"]["id"]: l for l in t_lines if l["type"] == "guide"
           and l["dir"] == "received" and l["msg"].get("type") == "mark"}
    check(sorted(sent) == MARKS and sorted(got) == MARKS,
          "both sidecars hold the four scripted marks")
    in_file = [json.loads(b) for b in blocks(e_mkv, 4)]
    check(all(l in in_file for l in sent.values()) and len(in_file) > 0
          and all(l in e_lines for l in in_file),
          "the expert's file carries the same %d guidance lines in its "
          "guidance track, the marks among them" % len(in_file))
    for mid in MARKS:
        check(sent[mid]["media_ms"] == got[mid]["media_ms"]
              and 0 <= got[mid]["frame_ms"] <= got[mid]["t_ms"],
              "mark %s: media time %d on both sides, keyed at the township "
              "to the picture recorded at %d ms (arrived at %d ms)"
              % (mid, got[mid]["media_ms"], got[mid]["frame_ms"],
                 got[mid]["t_ms"]))

    # A token that forbids recording.
    n_rec = os.path.join(d, "n-rec")
    out = subprocess.run([build.hub, "token", "--secret", hub.secret,
                          "--room", "rec2", "--role", "expert",
                          "--no-record"], check=True, capture_output=True,
                         text=True).stdout.strip()
    n_stats = os.path.join(d, "n.jsonl")
    nexp = procs.start("expert-norec", [build.expert] + station_args(
        hub, hub.token_file("norec", out), n_stats,
        ["--sink", "none", "--audio-in", "none", "--record", n_rec,
         "--duration", "30"]))
    wait_for(lambda: "recording is not allowed in this room"
             in procs.log(nexp), 15, "the station to say it may not record")
    check(nexp.poll() is None, "the station goes on without recording")
    check(procs.stop(nexp) == 0 and not any(
        n.endswith(".mkv") for n in os.listdir(n_rec)),
          "no recording was written under a --no-record token")

    full_disk(build, procs, hub)


def full_disk(build, procs, hub):
    d = procs.workdir
    room = "rec3"
    f_rec = os.path.join(d, "f-rec")
    f_stats = os.path.join(d, "f.jsonl")
    procs.start("township-3", [build.township] + station_args(
        hub, hub.token_file("t3", hub.token(room, "township")),
        os.path.join(d, "t3.jsonl"),
        ["--audio-in", "none", "--width", "640", "--height", "360",
         "--duration", "40"]))
    # 1 MB at most per file (ulimit -f counts 512-byte blocks); SIGXFSZ
    # ignored, so a write past it fails with EFBIG, as one on a full disk
    # fails with ENOSPC.
    expert = procs.start("expert-3", ["sh", "-c",
                                      'trap "" XFSZ; ulimit -f 2048; '
                                      'exec "$0" "$@"', build.expert]
                         + station_args(
        hub, hub.token_file("e3", hub.token(room, "expert")), f_stats,
        ["--sink", "none", "--audio-in", "none", "--record", f_rec,
         "--duration", "40"]))
    # The station's own line, not the recorder's debug line (GST_DEBUG)
    # that comes a moment before it with the same words.
    said = re.compile(r"^expert: recording stopped: cannot write .*; the "
                      r"consultation goes on$", re.M)
    wait_for(lambda: said.search(procs.log(expert)), 30,
             "the recording to stop on the refused write")
    check(True, "the expert says the recording stopped and the consultation "
          "goes on")
    before = max(r.get("frames_decoded", 0) for r in session_records(f_stats))
    wait_for(lambda: max(r.get("frames_decoded", 0) for r in
                         session_records(f_stats)) > before + 2 * FPS * 0.7,
             10, "the expert to keep decoding")
    check(expert.poll() is None,
          "the expert keeps decoding after the recording failed")
    rc, frames, _ = decode(find_recording(f_rec, ".mkv"), voices=False)
    check(rc == 0 and frames > 0,
          "what was written before the failure plays (%d frames)" % frames)


if __name__ == "__main__":
    run(main)
