"""What the coach reads of a program: how to name it again, a session's plan, its length and its
running time, and the ``runcoach play`` line that plays it.

Programs are loaded through :mod:`runcoach.plans` (YAML is read only there); the timeline gives
the same segment times as ``render`` and ``play`` use.
"""

from __future__ import annotations

import functools
import os
import shlex
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from runcoach.errors import OptionError
from runcoach.plans.units import WALK_BELOW_SPM, format_seconds

if TYPE_CHECKING:
    from runcoach.plans.programs import Program

MIN_SPM = 60
MAX_SPM = 240


def program_ref(name_or_path: str | os.PathLike[str]) -> str:
    """How the journal names a program so any folder can load it again: a built-in or user
    plan-folder name as given, a file as its absolute path."""
    from runcoach.plans import looks_like_path

    text = os.fspath(name_or_path)
    if isinstance(name_or_path, os.PathLike) or looks_like_path(text):
        return str(Path(text).expanduser().resolve())
    return text


def load(ref: str) -> Program:
    """Load the program a journal names (kept for the next call while its file is unchanged).
    Raises ``PlanError`` when it is gone or broken."""
    try:
        stamp = os.stat(ref).st_mtime_ns if os.path.isabs(ref) else 0
    except OSError:
        stamp = -1
    return _load(ref, stamp)


@functools.lru_cache(maxsize=8)
def _load(ref: str, stamp: int) -> Program:
    from runcoach.plans import load_program

    return load_program(ref)


def check_spm(spm: float | None) -> float | None:
    """``spm`` if it is a cadence runcoach plays (60-240), else ``OptionError``."""
    if spm is None:
        return None
    if isinstance(spm, bool) or not isinstance(spm, (int, float)) or not MIN_SPM <= spm <= MAX_SPM:
        raise OptionError(f"--spm must be between {MIN_SPM} and {MAX_SPM}, got {spm!r}")
    return float(spm)


def format_spm(spm: float) -> str:
    """``165`` or ``161.5``: a cadence without trailing zeros."""
    return f"{spm:.0f}" if spm == round(spm) else f"{spm:.1f}".rstrip("0")


@dataclass(frozen=True)
class SessionFacts:
    """A program session as the coach shows it: the plan's name, the base cadence it plays at,
    and (when worked out) its length and the seconds of running in it."""

    plan: str
    spm: float
    duration_seconds: float | None = None
    running_seconds: float | None = None


def facts(
    program: Program,
    week: int,
    session: int,
    spm: float | None,
    *,
    timings: bool = True,
    until_seconds: float | None = None,
) -> SessionFacts:
    """The :class:`SessionFacts` of session ``session`` of week ``week`` at base cadence
    ``spm`` (``None``: the program's, else the plan's own). With ``timings`` the session is
    resolved on the timeline (as ``render`` and ``play`` do) for its length and running time;
    ``until_seconds`` counts running only up to then (a session stopped early). Raises
    ``OptionError`` for a session the program lacks, or a stop time past the session's end."""
    plan = program.session(week, session)
    base = spm if spm is not None else float(program.spm or plan.spm)
    inner = program.weeks[week - 1].sessions[session - 1].plan.name
    if not timings:
        return SessionFacts(inner, base)
    from runcoach.timeline import resolve  # numpy comes with it: only when times are wanted

    timed = resolve(plan, spm=base)
    total = timed.total_seconds
    if until_seconds is not None and until_seconds > total:
        raise OptionError(
            f"--stopped-at {format_seconds(until_seconds)} is after the end of week {week}, "
            f"session {session} ({format_seconds(float(total))})"
        )
    cut = Fraction(until_seconds).limit_denominator(1000) if until_seconds is not None else total
    running = Fraction(0)
    for seg in timed.segments():
        if (seg.spm_start + seg.spm_end) / 2 >= WALK_BELOW_SPM:
            end = min(seg.start_seconds + seg.duration_seconds, cut)
            running += max(end - seg.start_seconds, Fraction(0))
    return SessionFacts(inner, base, float(total), round(float(running), 3))


def play_command(ref: str, week: int, session: int, spm: float) -> str:
    """The ``runcoach play`` line for one session of a program, quoted for a POSIX shell."""
    return (
        f"runcoach play --plan {shlex.quote(ref)} --week {week} --session {session} "
        f"--spm {format_spm(spm)}"
    )
