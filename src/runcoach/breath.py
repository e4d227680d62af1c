"""Where breath phases fall in a segment, the breath cue sounds and the optional guide tone.

The pattern itself (:class:`~runcoach.plans.model.Breath`, ``IN:OUT`` in steps) lives with the
plan model. The rule for where its phases fall is here (:data:`FIRST_BREATH_STEP`,
:func:`phase_at`); the timeline marks the first step of each inhale and exhale by it. A segment's
first step carries its segment signal (the start chime, or the faster / slower / change melody),
so its breath cycle starts one step later: the melody and the inhale glide are never heard on
the same step. Then the sounds: a rising glide for "breathe in", a falling one for "breathe out"
(pitched well below the clicks so the ear tells them apart), and a soft continuous tone that
rises through each inhale and falls through each exhale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from runcoach.plans.model import Breath

if TYPE_CHECKING:  # numpy is imported where sound is made: `runcoach plans` never loads it
    import numpy as np

__all__ = ["CUE_SECONDS", "FIRST_BREATH_STEP", "Breath", "cue", "cue_frames", "guide", "phase_at"]

#: The step of every segment (0 is its first) on which its first breath cycle starts. Step 0
#: sounds the segment's signal and the click only; the inhale starts on the next step.
FIRST_BREATH_STEP = 1

#: Glide ranges in Hz: up for the inhale, down for the exhale.
INHALE_HZ = (330.0, 520.0)
EXHALE_HZ = (520.0, 310.0)
#: Cue lengths in seconds; both shorter than one step at 240 spm (0.25 s).
INHALE_SECONDS = 0.16
EXHALE_SECONDS = 0.20
#: The longer cue's length in seconds: a breath phase starts no later than this before the next
#: segment's signal, so no cue still sounds when the signal starts (see :func:`cue_frames`).
CUE_SECONDS = max(INHALE_SECONDS, EXHALE_SECONDS)
#: Guide tone range in Hz.
GUIDE_HZ = (196.0, 294.0)
GUIDE_FADE_SECONDS = 0.03


def phase_at(pattern: Breath, k: int) -> tuple[Literal["in", "out"] | None, int, int]:
    """Where step ``k`` of a segment falls in its breath, by the rule of :data:`FIRST_BREATH_STEP`.

    Returns ``(phase, step of the phase, steps in the phase)``: step of the phase is 1 on the
    step whose cue starts the phase. ``(None, 0, 0)`` with the pattern off or before the
    segment's first breath step (on the segment's signal step, or for ``k < 0``). A phase due
    in a segment's last 200 ms is not started (see :mod:`runcoach.timeline`); this counts on
    through it, which a display a fraction of a second from a change may ignore.
    """
    k -= FIRST_BREATH_STEP
    if not pattern.cycle or k < 0:
        return None, 0, 0
    pos = k % pattern.cycle
    if pos < pattern.inhale:
        return "in", pos + 1, pattern.inhale
    return "out", pos - pattern.inhale + 1, pattern.exhale


def cue_frames(rate: int) -> int:
    """Frames of the longer breath cue at ``rate`` Hz: the length of ``cue("out", sr=rate)``."""
    return int(CUE_SECONDS * rate)


def _glide(f0: float, f1: float, seconds: float, sr: int) -> np.ndarray:
    import numpy as np

    n = int(seconds * sr)
    t = np.arange(n, dtype=np.float64) / sr
    phase = 2 * np.pi * (f0 * t + (f1 - f0) * t * t / (2 * seconds))
    y = np.sin(phase) + 0.35 * np.sin(2 * phase) + 0.12 * np.sin(3 * phase)
    attack = max(1, int(0.015 * sr))
    env = np.ones(n)
    env[:attack] = np.linspace(0.0, 1.0, attack)
    env *= np.sin(np.pi * np.minimum(t / seconds, 1.0) * 0.5 + np.pi * 0.5) ** 0.5  # gentle fall
    release = max(1, int(0.02 * sr))
    env[-release:] *= np.linspace(1.0, 0.0, release)
    y *= env
    out: np.ndarray = (y / np.max(np.abs(y))).astype(np.float32)
    return out


def cue(phase: Literal["in", "out"], *, sr: int = 44100) -> np.ndarray:
    """Synthesize the cue sounded on the first step of an inhale (``"in"``) or exhale (``"out"``).

    Returns a mono float32 array peaking at 1.0: 160 ms rising for the inhale, 200 ms falling for
    the exhale. Raises ``ValueError`` for another phase or a sample rate outside 8000–192000 Hz.
    """
    if not 8000 <= sr <= 192000:
        raise ValueError(f"sample rate must be 8000 to 192000 Hz, got {sr!r}")
    if phase == "in":
        return _glide(*INHALE_HZ, INHALE_SECONDS, sr)
    if phase == "out":
        return _glide(*EXHALE_HZ, EXHALE_SECONDS, sr)
    raise ValueError(f"phase must be 'in' or 'out', got {phase!r}")


def guide(
    phase: Literal["in", "out"], start: int, end: int, b0: int, b1: int, *, sr: int = 44100
) -> np.ndarray:
    """The guide tone of one breath phase, for the frames ``[b0, b1)`` of the session.

    The phase runs from frame ``start`` to ``end``; its pitch glides up (inhale) or down
    (exhale) across it, with short fades at both ends. Computed from absolute frame numbers, so
    any block split gives the same samples. Returns float32 of ``b1 - b0`` frames peaking at 1.
    """
    import numpy as np

    length = end - start
    if length <= 0 or b1 <= b0:
        return np.zeros(max(b1 - b0, 0), dtype=np.float32)
    f0, f1 = GUIDE_HZ if phase == "in" else GUIDE_HZ[::-1]
    n = np.arange(b0 - start, b1 - start, dtype=np.float64)
    seconds = length / sr
    t = n / sr
    y = np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t * t / (2 * seconds)))
    fade = max(1.0, GUIDE_FADE_SECONDS * sr)
    env = np.minimum(1.0, np.minimum(n + 1, length - n) / fade)
    out: np.ndarray = (y * np.clip(env, 0.0, 1.0)).astype(np.float32)
    return out
