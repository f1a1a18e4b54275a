#!/usr/bin/env python3
"""The lesson's voices, with real processes on loopback.

hub + township (700 Hz test voice) + expert (1300 Hz) + trainee (the expert
program with a trainee token, and a 1900 Hz voice input it must not send).
Asserts on what each station's --stats says it receives:

- the trainee hears both voices of the lesson: the township's tone and the
  expert's (the township mixes the expert's voice into what it sends to
  trainees, docs/sonolink-township.md);
- the expert hears the township and never itself (no 1300 Hz);
- nobody hears the trainee (no 1900 Hz anywhere);
- the trainee says that it listens only, rather than announcing a voice
  input that is not sent.

Then --voice-processing: a bad value is refused before joining (exit 2,
message naming the option), and with aec+ns forced on, the lesson still
reaches the trainee with both voices.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sltest import (Hub, check, read_stats, run, session_records,
                    station_args, wait_for)

TOWNSHIP_HZ = 700
EXPERT_HZ = 1300
TRAINEE_HZ = 1900
# The tones are listed at the centre of a 25 Hz band.
TOLERANCE_HZ = 30


def hears(record, hz):
    return any(abs(t - hz) <= TOLERANCE_HZ
               for t in record.get("audio_tones_hz", []))


def recent(path, n=3):
    return session_records(path)[-n:]


def lesson(build, procs, hub, room, township_extra):
    d = procs.workdir
    t_stats = os.path.join(d, room + "-t.jsonl")
    e_stats = os.path.join(d, room + "-e.jsonl")
    tr_stats = os.path.join(d, room + "-tr.jsonl")
    township = procs.start(room + "-township", [build.township] + station_args(
        hub, hub.token_file(room + "-t", hub.token(room, "township")),
        t_stats, ["--audio-in", "test:%d" % TOWNSHIP_HZ, "--width", "640",
                  "--height", "360", "--bitrate", "800"]
        + township_extra))
    expert = procs.start(room + "-expert", [build.expert] + station_args(
        hub, hub.token_file(room + "-e", hub.token(room, "expert")),
        e_stats, ["--audio-in", "test:%d" % EXPERT_HZ, "--sink", "none"]))
    trainee = procs.start(room + "-trainee", [build.expert] + station_args(
        hub, hub.token_file(room + "-tr", hub.token(room, "trainee")),
        tr_stats, ["--audio-in", "test:%d" % TRAINEE_HZ, "--sink", "none"]))

    def trainee_hears_both():
        return any(hears(r, TOWNSHIP_HZ) and hears(r, EXPERT_HZ)
                   for r in recent(tr_stats))

    wait_for(trainee_hears_both, 30,
             "the trainee to hear the township's %d Hz and the expert's "
             "%d Hz" % (TOWNSHIP_HZ, EXPERT_HZ))
    wait_for(lambda: any(hears(r, TOWNSHIP_HZ) for r in recent(e_stats)), 10,
             "the expert to hear the township")
    # Both voices have flowed for a while: look at the last seconds.
    wait_for(lambda: len(session_records(e_stats)) >= 8, 15,
             "eight seconds of the expert's session")
    for r in recent(e_stats, 4):
        check(not hears(r, EXPERT_HZ),
              "the expert does not hear itself: %s"
              % r.get("audio_tones_hz"))
    for path, who in ((e_stats, "expert"), (tr_stats, "trainee"),
                      (t_stats, "township")):
        for r in recent(path, 4):
            check(not hears(r, TRAINEE_HZ),
                  "the %s does not hear the trainee: %s"
                  % (who, r.get("audio_tones_hz")))

    log = procs.log(trainee)
    check("listens" in log and "voice to the township" not in log,
          "the trainee says it listens only:\n" + log)
    check("voice to the township: test tone %d Hz" % EXPERT_HZ
          in procs.log(expert), "the expert says which voice it sends")
    for p in (trainee, expert, township):
        check(procs.stop(p) == 0, "%s stopped cleanly" % p.name)
    return t_stats


def bad_value(build, procs, hub):
    out = subprocess.run(
        [build.township] + station_args(
            hub, hub.token_file("bad", hub.token("bad", "township")),
            os.path.join(procs.workdir, "bad.jsonl"),
            ["--voice-processing", "aec+agc"]),
        capture_output=True, text=True, timeout=20)
    check(out.returncode == 2, "a bad --voice-processing exits 2, not %d"
          % out.returncode)
    check("--voice-processing 'aec+agc' is not one of off, aec, aec+ns"
          in out.stderr, "the message names the option:\n" + out.stderr)


def main(build, procs):
    hub = Hub(build, procs).start()
    bad_value(build, procs, hub)
    lesson(build, procs, hub, "lesson-1", [])
    t_log = procs.log(next(p for p in procs.procs
                           if p.name == "lesson-1-township"))
    check("voice processing: off" in t_log,
          "with no loudspeaker the processing is off by default:\n" + t_log)
    lesson(build, procs, hub, "lesson-2", ["--voice-processing", "aec+ns"])


if __name__ == "__main__":
    run(main)
