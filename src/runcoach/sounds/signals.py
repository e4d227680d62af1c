"""Segment-change sounds: countdown pips, the "faster" / "slower" / "change" bells, the start and
the finish chimes. Outdoors the runner has only sound to know what comes next, so each is a
distinct short melody: rising for faster, falling for slower or walk, repeated for a change at
the same cadence.
"""

from __future__ import annotations

import numpy as np

#: Notes (Hz) of each signal, played one after another.
_MELODIES: dict[str, tuple[float, ...]] = {
    "pip": (1568.0,),
    "start": (784.0, 988.0, 1175.0),
    "faster": (784.0, 1175.0),
    "slower": (1175.0, 784.0),
    "change": (988.0, 988.0),
    "finish": (1175.0, 988.0, 784.0, 1568.0),
}
_NOTE_SECONDS = {"pip": 0.07, "start": 0.08}
_DEFAULT_NOTE_SECONDS = 0.12
#: Signals that ring longer than one step at 240 spm; only the finish, after which the session's
#: last steps are silent, so it never overlaps a click.
LONG_SIGNALS = ("finish",)
SIGNALS = tuple(_MELODIES)


def _bell_note(freq: float, seconds: float, sr: int) -> np.ndarray:
    t = np.arange(int(seconds * sr), dtype=np.float64) / sr
    y = (
        np.sin(2 * np.pi * freq * t)
        + 0.4 * np.sin(2 * np.pi * 2 * freq * t)
        + 0.15 * np.sin(2 * np.pi * 3.01 * freq * t)
    )
    env = np.exp(-t / (seconds * 0.6))
    attack = max(1, int(0.012 * sr))
    env[:attack] *= np.linspace(0.0, 1.0, attack)
    release = max(1, int(0.01 * sr))
    env[-release:] *= np.linspace(1.0, 0.0, release)
    return y * env


def signal(kind: str, *, sr: int = 44100) -> np.ndarray:
    """Synthesize a segment signal (one of :data:`SIGNALS`) as mono float32 peaking at 1.0.

    Raises ``ValueError`` for an unknown kind or a sample rate outside 8000–192000 Hz.
    """
    if kind not in _MELODIES:
        raise ValueError(f"unknown signal {kind!r}; choose one of {', '.join(_MELODIES)}")
    if not 8000 <= sr <= 192000:
        raise ValueError(f"sample rate must be 8000 to 192000 Hz, got {sr!r}")
    seconds = _NOTE_SECONDS.get(kind, _DEFAULT_NOTE_SECONDS)
    notes = [_bell_note(f, seconds, sr) for f in _MELODIES[kind]]
    if kind == "finish":
        notes[-1] = _bell_note(_MELODIES[kind][-1], seconds * 2.5, sr)
    y = np.concatenate(notes)
    out: np.ndarray = (y / np.max(np.abs(y))).astype(np.float32)
    return out
