"""The benchmark scripts still run (their figures are read by people, not asserted here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
    assert "runcoach      2 min" in out.stdout and "targets:" in out.stdout
    assert "peak memory <= 120 MB:" in out.stdout


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
