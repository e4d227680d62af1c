"""Step placement and click sounds.

Placement is closed-form from a segment's first frame, never a sum of periods, so there is no
drift however long the session. Clicks are pure functions returning float32 arrays that peak at
exactly 1.0 on their first sample (an instant attack: the onset is the step's frame); the mixer
applies levels.
"""

from __future__ import annotations

import functools
import math
import os
from fractions import Fraction
from typing import TYPE_CHECKING

from runcoach.plans.model import SOUND_NAMES

if TYPE_CHECKING:  # numpy is imported where it is used: `runcoach plans` never loads it
    import numpy as np

#: Longest click, in seconds (clicks stay short so they never blur into the next step).
CLICK_SECONDS = 0.040


def step_offset(
    k: int, spm_start: Fraction, spm_end: Fraction, duration: Fraction, rate: int
) -> int:
    """Frame offset of step ``k`` from its segment's first frame.

    Constant cadence: ``round(k * 60 * rate / spm)``, computed exactly in integers with ties to
    even, as Python's ``round``. Ramp from ``s0`` to ``s1`` over ``D`` seconds: the cadence is
    linear in time, and step ``k`` falls where its integral reaches ``k`` steps,
    ``(s0*t + (s1-s0)*t**2/(2*D)) / 60 = k``, solved in closed form.

    Parameters: ``k`` step index (0 is the segment's first frame); cadences in steps per minute;
    ``duration`` in seconds; ``rate`` in frames per second. Returns frames.
    """
    if spm_start == spm_end:
        p, q = spm_start.numerator, spm_start.denominator
        whole, rest = divmod(k * 60 * rate * q, p)
        twice = 2 * rest
        if twice > p or (twice == p and whole & 1):
            whole += 1
        return whole
    s0 = float(spm_start)
    slope = float((spm_end - spm_start) / duration)  # steps per minute, per second
    # t = 120k / (s0 + sqrt(s0^2 + 120 k slope)): the numerically stable root of the quadratic.
    t = 120.0 * k / (s0 + math.sqrt(s0 * s0 + 120.0 * k * slope))
    return round(t * rate)


#: Largest integer numpy may hold in the exact constant-cadence sums (int64 with a margin).
_INT64_SAFE = 2**62


def step_offsets(
    k0: int, k1: int, spm_start: Fraction, spm_end: Fraction, duration: Fraction, rate: int
) -> list[int]:
    """Frame offsets of steps ``k0 .. k1 - 1``: exactly ``[step_offset(k, ...) for k in ...]``.

    Vectorised with numpy, doing the same integer or IEEE double operations in the same order
    as :func:`step_offset`, so the result is identical (a test compares them); falls back to the
    scalar form where the integers could outgrow int64. Returns Python ints.
    """
    import numpy as np

    if k1 <= k0:
        return []
    if spm_start == spm_end:
        p, q = spm_start.numerator, spm_start.denominator
        scale = 60 * rate * q
        if (k1 - 1) * scale >= _INT64_SAFE or p >= _INT64_SAFE // 4:
            return [step_offset(k, spm_start, spm_end, duration, rate) for k in range(k0, k1)]
        whole, rest = np.divmod(np.arange(k0, k1, dtype=np.int64) * scale, p)
        twice = 2 * rest
        whole += (twice > p) | ((twice == p) & (whole & 1 == 1))
        offsets: list[int] = whole.tolist()
        return offsets
    s0 = float(spm_start)
    slope = float((spm_end - spm_start) / duration)
    k = np.arange(k0, k1, dtype=np.float64)
    t = 120.0 * k / (s0 + np.sqrt(s0 * s0 + 120.0 * k * slope))
    ramp: list[int] = np.rint(t * rate).astype(np.int64).tolist()
    return ramp


def _time(frames: int, sr: int) -> np.ndarray:
    import numpy as np

    return np.arange(frames, dtype=np.float64) / sr


def _finish(y: np.ndarray, sr: int, *, fade: float = 0.003) -> np.ndarray:
    """Fade the tail to zero and normalise so the first sample is the 1.0 peak."""
    import numpy as np

    n = min(len(y), max(1, int(fade * sr)))
    y = y.copy()
    y[-n:] *= np.linspace(1.0, 0.0, n)
    peak = float(np.max(np.abs(y)))
    y[0] = peak if y[0] >= 0 else -peak  # the onset is the peak, to the sample
    y = y / peak
    if y[0] < 0:
        y = -y
    return y.astype(np.float32)


def _woodblock(sr: int, accent: bool) -> np.ndarray:
    import numpy as np

    t = _time(int(CLICK_SECONDS * sr), sr)
    base = 1250.0 if accent else 1000.0
    y = (
        np.cos(2 * np.pi * base * t) * np.exp(-t / 0.009)
        + 0.6 * np.cos(2 * np.pi * base * 2.41 * t) * np.exp(-t / 0.005)
        + 0.3 * np.cos(2 * np.pi * base * 4.1 * t) * np.exp(-t / 0.002)
    )
    return _finish(y, sr)


def _beep(sr: int, accent: bool) -> np.ndarray:
    import numpy as np

    t = _time(int(0.030 * sr), sr)
    freq = 2000.0 if accent else 1500.0
    y = np.cos(2 * np.pi * freq * t) * np.exp(-t / 0.010)
    return _finish(y, sr, fade=0.006)


@functools.cache
def _noise() -> np.ndarray:
    """Seeded white noise: ``numpy.random.default_rng(3).standard_normal(2304)``, stored with
    the package (identical values, without the import of numpy.random at every start)."""
    import numpy as np

    values: np.ndarray = np.load(os.path.join(os.path.dirname(__file__), "tick_noise.npy"))
    return values


def _tick(sr: int, accent: bool) -> np.ndarray:
    import numpy as np

    t = _time(int(0.012 * sr), sr)
    freq = 5200.0 if accent else 4000.0
    y = (np.cos(2 * np.pi * freq * t) + 0.5 * _noise()[: len(t)]) * np.exp(-t / 0.002)
    return _finish(y, sr, fade=0.002)


def _clave(sr: int, accent: bool) -> np.ndarray:
    import numpy as np

    t = _time(int(CLICK_SECONDS * sr), sr)
    freq = 2900.0 if accent else 2500.0
    y = np.cos(2 * np.pi * freq * t) * np.exp(-t / 0.012)
    return _finish(y, sr)


def _cowbell(sr: int, accent: bool) -> np.ndarray:
    import numpy as np

    t = _time(int(CLICK_SECONDS * sr), sr)
    scale = 1.2 if accent else 1.0
    y = np.zeros_like(t)
    for freq, amp in ((562.0, 1.0), (845.0, 0.8), (1686.0, 0.3), (2535.0, 0.2)):
        y += amp * np.cos(2 * np.pi * freq * scale * t)
    y *= np.exp(-t / 0.015)
    return _finish(y, sr)


_SYNTHS = {
    "woodblock": _woodblock,
    "beep": _beep,
    "tick": _tick,
    "clave": _clave,
    "cowbell": _cowbell,
}
assert tuple(_SYNTHS) == SOUND_NAMES


def click(name: str, *, sr: int = 44100, accent: bool = False) -> np.ndarray:
    """Synthesize one click.

    Parameters: ``name`` one of :data:`~runcoach.plans.model.SOUND_NAMES`; ``sr`` sample rate in
    Hz; ``accent`` for the brighter click on the first step of a breath cycle.
    Returns a mono float32 array of at most 40 ms whose first sample is its peak, 1.0.
    Raises ``ValueError`` for an unknown name or a sample rate outside 8000–192000 Hz.
    """
    if name not in _SYNTHS:
        raise ValueError(f"unknown click sound {name!r}; choose one of {', '.join(_SYNTHS)}")
    if not 8000 <= sr <= 192000:
        raise ValueError(f"sample rate must be 8000 to 192000 Hz, got {sr!r}")
    return _SYNTHS[name](sr, accent)
