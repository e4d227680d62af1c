"""Shared test helpers: reading WAV files back and finding click onsets in them."""

from __future__ import annotations

import shutil
import sys
import wave
from pathlib import Path

import numpy as np
import pytest


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Read a 16-bit PCM WAV with the standard library: (float array (frames, channels), rate)."""
    with wave.open(str(path), "rb") as handle:
        assert handle.getsampwidth() == 2
        rate = handle.getframerate()
        channels = handle.getnchannels()
        data = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")
    return data.reshape(-1, channels).astype(np.float64) / 32767.0, rate


def onsets(
    x: np.ndarray, *, threshold: float = 0.05, quiet: float = 0.002, gap: int = 200
) -> np.ndarray:
    """Frames where the signal jumps above ``threshold`` after ``gap`` near-silent frames.

    An independent detector: it knows nothing of the timeline, only that clicks start at full
    amplitude out of silence.
    """
    mono = np.max(np.abs(x), axis=1) if x.ndim == 2 else np.abs(x)
    loud = np.flatnonzero(mono > threshold)
    if len(loud) == 0:
        return loud
    # Only the first sample of each run of loud samples can be an onset.
    starts = loud[np.diff(loud, prepend=-2) > 1]
    found = [int(i) for i in starts if i == 0 or np.max(mono[max(0, i - gap) : i]) <= quiet]
    return np.array(found, dtype=np.int64)


@pytest.fixture(scope="session")
def runcoach_exe() -> str:
    """The installed ``runcoach`` console script (next to this Python, or on PATH)."""
    candidate = Path(sys.executable).parent / "runcoach"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("runcoach")
    if found is None:
        pytest.fail("the runcoach command is not installed; run: pip install '.[test]'")
    return found


def _hypothesis_profiles() -> None:
    """Hypothesis profiles: ``ci`` (quick, reproducible), ``dev`` (default), ``long`` (fuzzing).

    ``HYPOTHESIS_PROFILE`` picks one; otherwise ``CI=true`` selects ``ci``.
    """
    import os

    from hypothesis import HealthCheck, settings

    quiet = [HealthCheck.too_slow, HealthCheck.filter_too_much]
    settings.register_profile(
        "ci",
        max_examples=30,
        deadline=None,
        derandomize=True,
        print_blob=True,
        suppress_health_check=quiet,
    )
    settings.register_profile("dev", max_examples=150, deadline=None, suppress_health_check=quiet)
    settings.register_profile(
        "long", max_examples=2_000, deadline=None, print_blob=True, suppress_health_check=quiet
    )
    default = "ci" if os.environ.get("CI", "").lower() == "true" else "dev"
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", default))


_hypothesis_profiles()
