"""``runcoach play`` with the voice and the music, and resuming where a stop says: through the
capturing ALSA device of DESIGN.md (slow: the device plays in real time), compared byte for
byte with ``runcoach render`` of the same options."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from capture import Capture, alsa_available
from test_play import RATE, _play, _rendered, _write_plan

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(alsa_available() is not None, reason=f"no ALSA here: {alsa_available()}"),
]

HERE = Path(__file__).parent
MUSIC = HERE.parent / "examples" / "music-loop.ogg"
VOICED = """\
name: Voiced
spm: 170
breath: "4:6"
segments:
  - {name: Walk, duration: 8s, spm: 115, breath: off}
  - {name: Run, duration: 12s}
  - {name: Ease, duration: 8s, spm: ["-5", "-20"]}
"""


def _no_voice() -> str | None:
    from runcoach.sounds.voice import speech_available

    if not speech_available():
        return "no voice here: neither the espeakng-loader wheel nor the espeak-ng program"
    return None


@pytest.mark.skipif(_no_voice() is not None, reason=str(_no_voice()))
def test_play_with_voice_and_music_is_render_byte_for_byte(runcoach_exe, tmp_path):
    plan = _write_plan(tmp_path, VOICED, "voiced.yaml")
    options = ["--plan", str(plan), "-r", str(RATE), "--voice", "--music", str(MUSIC)]
    with Capture(tmp_path / "home", rate=RATE) as cap:
        done = _play(runcoach_exe, cap, *options, "--backend", "alsa")
    assert done.returncode == 0, done.stderr
    rendered = _rendered(runcoach_exe, tmp_path, *options, "-f", "wav")
    assert len(rendered) == 28 * RATE * 2
    captured = bytes(cap.data)
    assert captured[: len(rendered)] == rendered  # byte for byte, nothing before it
    assert not any(captured[len(rendered) :])  # then only the device's drain silence
    # Not the plain session: the voice and the music are in it.
    plain = _rendered(runcoach_exe, tmp_path, "--plan", str(plan), "-r", str(RATE))
    assert len(plain) == len(rendered) and plain != rendered
    lines = done.stdout.splitlines()
    assert lines[0] == (
        "Playing Voiced: 0:28, 3 segments, base 170 spm, breath 4:6, 8 kHz mono, alsa, "
        "with voice, with music"
    )
    assert lines[-1] == f"0:28 played, {_steps(plan)} steps, 3 of 3 segments done."
    assert done.stderr == ""


def _steps(plan: Path) -> int:
    """Steps of the voiced plan, counted from its figures: 8 s at 115, 12 s at 170, and a
    ramp from 165 to 150 over 8 s (the mean cadence times the time, rounded up)."""
    walk, run = Fraction(8 * 115, 60), Fraction(12 * 170, 60)
    ease = Fraction(8 * (165 + 150), 2 * 60)
    return sum(-(-x // 1) for x in (walk, run, ease))


def test_stop_after_a_skip_resumes_where_the_hint_says(runcoach_exe, tmp_path):
    """Skip the walk, play a little of the run, stop: the stop names a place in the plan, and
    ``play --start-at`` with it plays render's audio from exactly there."""
    plan = _write_plan(tmp_path, VOICED, "voiced.yaml")
    script = [{"at": 1.0, "do": "next"}, {"at": 5.6, "do": "quit"}]
    with Capture(tmp_path / "home", rate=RATE) as cap:
        done = subprocess.run(
            [
                sys.executable,
                str(HERE / "play_driver.py"),
                str(plan),
                str(RATE),
                json.dumps(script),
                str(tmp_path),
            ],
            env=cap.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    summary = result["summary"]
    cut = result["cuts"][1]
    # The run (the plan's segment 2) started at the cut; it played until the stop.
    into = (summary["end_frame"] - cut) // RATE
    assert summary["resume"] == f"2+0:{into:02d}"
    assert (summary["segments_done"], summary["segment_count"]) == (1, 3)
    assert summary["lines"][0].endswith(f"(go on from there with --start-at 2+0:{into:02d}).")
    assert summary["lines"][1].endswith("1 of 3 segments done (1 skipped).")

    with Capture(tmp_path / "home2", rate=RATE) as cap:
        resumed = _play(
            runcoach_exe,
            cap,
            "--plan",
            str(plan),
            "-r",
            str(RATE),
            "--start-at",
            summary["resume"],
            "--backend",
            "alsa",
        )
    assert resumed.returncode == 0, resumed.stderr
    rendered = _rendered(runcoach_exe, tmp_path, "--plan", str(plan), "-r", str(RATE))
    # In the plan, the run starts at 8 s; its steps come every 60/170 s from there: the
    # first at or after `into` seconds into it is where play goes on.
    k = -(-into * 170 // 60)
    frame = 8 * RATE + round(Fraction(k * 60 * RATE, 170))
    rest = rendered[frame * 2 :]
    assert bytes(cap.data)[: len(rest)] == rest
    assert resumed.stdout.splitlines()[0].startswith(f"Playing Voiced from 0:{8 + into:02d}")
