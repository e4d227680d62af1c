"""The benchmark scripts still run (their figures are read by people, not asserted here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_render_benchmark_smoke(runcoach_exe):
    out = subprocess.run(
        [
            sys.executable,
            str(BENCH / "render.py"),
            "--quick",
            "--only",
            "runcoach",
            "--runcoach",
            runcoach_exe,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    rows = {line.split("  ")[0].strip() for line in out.stdout.splitlines() if line[:1] != " "}
    for row in ("WAV 2 min", "WAV 10 min", "MP3 default", "MP3 --bitrate 128", "FLAC"):
        assert row in rows, out.stdout
    assert "machine: " in out.stdout and "targets:" in out.stdout
    assert "peak memory <= 120 MB:" in out.stdout
    assert "--help <= 8 x python -c pass: " in out.stdout
    assert "WAV 60 min <= 0.5 x klick 60 min: n/a" in out.stdout  # no 60-minute run, no klick


@pytest.mark.slow
def test_export_benchmark_counts_files_and_distinct_streams(runcoach_exe):
    out = subprocess.run(
        [sys.executable, str(BENCH / "export.py"), "--quick", "--runcoach", runcoach_exe],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    # The quick program: the same jog twice and a longer run, so 3 files from 2 streams.
    assert out.stdout.count("files written        3 (playlist lists 3)") == 2
    assert out.stdout.count("distinct streams     2") == 2
    assert "audio                0.06 h" in out.stdout  # 60 + 60 + 90 s


def test_accuracy_benchmark_finds_every_click(runcoach_exe, tmp_path):
    sys.path.insert(0, str(BENCH))
    try:
        import accuracy
    finally:
        sys.path.remove(str(BENCH))
    # A short version of the plan: the warm-up walk, one block, the cool-down ramp.
    assert (
        accuracy.main(
            ["--repeat", "1", "--runcoach", runcoach_exe, "--rate", "8000", "--keep", str(tmp_path)]
        )
        == 0
    )
