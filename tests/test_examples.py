"""The scripts in ``examples/`` run as a user would run them, and write what they say."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

from conftest import onsets, read_wav

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_build_program_renders_every_session_of_six_weeks(tmp_path):
    out_dir = tmp_path / "program"
    done = subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "build_program.py"),
            "--start-spm",
            "158",
            "--out",
            str(out_dir),
            "--minutes",
            "1",
            "--walk-minutes",
            "0.25",
            "-r",
            "8000",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "RUNCOACH_PLANS_DIR": str(tmp_path / "no-user-plans")},
    )
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == sorted(f"week{w}-session{s}.wav" for w in range(1, 7) for s in range(1, 4))
    for path in out_dir.iterdir():
        with wave.open(str(path)) as handle:
            assert handle.getframerate() == 8000 and handle.getnchannels() == 1
            # 15 s warm-up walk + 1 min of running + 15 s cool-down walk
            assert handle.getnframes() == 90 * 8000
    lines = done.stdout.splitlines()
    assert len(lines) == 18
    for week in range(1, 7):
        target = 158 + 2 * week  # +2 spm a week from the start cadence
        for session in range(1, 4):
            line = next(x for x in lines if f"week{week}-session{session}.wav" in x)
            assert line.endswith(f"up to {target} spm"), line


def test_build_program_clicks_at_each_weeks_target(tmp_path):
    out_dir = tmp_path / "program"
    subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "build_program.py"),
            "--start-spm",
            "160",
            "--out",
            str(out_dir),
            "--minutes",
            "1",
            "--walk-minutes",
            "0.25",
            "-r",
            "8000",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    for week in (1, 6):
        # the steady session: 15 s walk, then 60 s at the week's target, then 15 s walk
        x, rate = read_wav(out_dir / f"week{week}-session3.wav")
        found = onsets(x)
        steady = found[(found > 16 * rate) & (found < 74 * rate)]
        spacing = np.median(np.diff(steady))
        assert abs(spacing - 60 * rate / (160 + 2 * week)) <= 1.0, (week, spacing)


def test_build_program_reports_mistakes_in_one_line(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "build_program.py"),
            "--start-spm",
            "235",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("build_program: ") and "between 60 and 240" in done.stderr
    assert done.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # checked before anything was written
