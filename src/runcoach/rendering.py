"""Render a plan to an audio file: the flow plan → session → blocks → file sink."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from runcoach.plans.model import Breath, Plan
from runcoach.sinks import write_wav
from runcoach.synth import BLOCK_FRAMES, MixOptions, blocks
from runcoach.timeline import Session, resolve


@dataclass(frozen=True)
class RenderResult:
    """What was written: the path, the session it holds, and its size in bytes."""

    path: Path
    session: Session
    channels: int
    bytes: int


def render_session(
    session: Session,
    path: str | os.PathLike[str],
    options: MixOptions | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    block_frames: int = BLOCK_FRAMES,
) -> RenderResult:
    """Write ``session`` to ``path`` as WAV, streaming block by block (memory stays flat).

    ``progress`` is called with the number of frames written so far. Raises ``OutputError``.
    """
    options = options or MixOptions()
    dest = write_wav(
        path,
        blocks(session, options, block_frames=block_frames),
        rate=session.rate,
        channels=options.channels,
        total_frames=session.total_frames,
        progress=progress,
    )
    return RenderResult(dest, session, options.channels, dest.stat().st_size)


def render(
    plan: Plan,
    path: str | os.PathLike[str],
    *,
    spm: float | Fraction | None = None,
    breath: Breath | str | None = None,
    sound: str | None = None,
    rate: int = 44100,
    stereo: bool = False,
    volume: float = 1.0,
    guide: bool = False,
    countdown: int = 3,
) -> RenderResult:
    """Render ``plan`` to an audio file at ``path``.

    ``spm`` replaces the plan's base cadence; ``breath`` (``"4:6"``, ``"off"``) and ``sound``
    replace its top-level pattern and click; ``rate`` in Hz; ``stereo`` pans the feet left and
    right; ``volume`` 0–1; ``guide`` adds a continuous breath guide tone; ``countdown`` seconds of
    pips before each segment change. Raises ``PlanError``, ``OptionError`` or ``OutputError``.
    """
    session = resolve(plan, spm=spm, breath=breath, sound=sound, rate=rate, countdown=countdown)
    return render_session(session, path, MixOptions(stereo=stereo, volume=volume, guide=guide))
