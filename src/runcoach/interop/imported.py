"""A workout read from another tool, before it becomes a runcoach plan.

Every importer (FIT, Zwift ``.zwo``, intervals.icu text) turns its file into an
:class:`ImportedWorkout`: a tree of :class:`ImportedStep` and :class:`ImportedRepeat` with exact
durations in seconds, cadences in steps per minute (or none), and for each step where it came
from and what of it could not be kept. :mod:`runcoach.interop.plan_yaml` writes it out as a
commented plan file.

The rules every importer shares live here, once: how a pace turns distance into time, which
steps are walks, how a cadence outside the plan's range is clamped, and how the warnings about
what cannot be represented are grouped (one line per kind of loss, naming the steps).
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction

from runcoach.errors import OptionError, PlanError
from runcoach.plans.loader import read_input
from runcoach.plans.units import (
    MAX_DEPTH,
    MAX_SEGMENTS,
    MAX_SPM,
    MIN_SPM,
    format_seconds,
    format_spm,
)

#: Largest workout file read, in bytes (checked before reading).
MAX_IMPORT_BYTES = 1_000_000
#: Most steps one imported workout may have (counted before repeats are expanded).
MAX_IMPORT_STEPS = 1_000
#: How long a step that ends on a condition (lap button, heart rate, calories …) is made.
OPEN_STEP_SECONDS = Fraction(300)
#: The longest name kept for a plan or segment (the plan model allows 200 characters).
MAX_NAME_CHARS = 120

#: Warnings every importer gives in the same words (they group across steps).
TARGETS_NOT_KEPT = "heart-rate, power and pace targets are not kept, only noted in the comments"
RANGE_AS_MIDDLE = "cadence ranges are kept as their middle: runcoach plays one cadence"

_WALK_WORDS = re.compile(r"\b(walk|walking|walks|rest)\b", re.IGNORECASE)
_PACE = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*(?:/\s*km|min/km)?\s*$", re.IGNORECASE)


def one_line(text: object, limit: int = MAX_NAME_CHARS) -> str:
    """One line of printable text from ``text``: control and format characters dropped, runs of
    white space (line breaks included) made one space, cut to ``limit`` characters."""
    raw = "" if text is None else str(text)
    kept = "".join(ch for ch in raw if not unicodedata.category(ch).startswith("C"))
    line = " ".join(kept.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def is_walk_name(*texts: str | None) -> bool:
    """True when any of ``texts`` calls the step a walk or a rest."""
    return any(t and _WALK_WORDS.search(t) for t in texts)


def parse_pace(text: str | None) -> Fraction | None:
    """Parse ``--pace MIN/KM`` (``6:00``, ``5:30/km``, ``6``) into seconds per kilometre.

    Raises ``OptionError`` quoting the value; returns ``None`` for ``None``.
    """
    if text is None:
        return None
    match = _PACE.match(text)
    if not match:
        raise OptionError(
            f"--pace must be minutes per kilometre such as 6:00 or 5:30, got {text!r}"
        )
    minutes, seconds = int(match.group(1)), int(match.group(2) or 0)
    if seconds >= 60:
        raise OptionError(f"--pace: seconds must be below 60, got {text!r}")
    total = Fraction(minutes * 60 + seconds)
    if not 120 <= total <= 1800:
        raise OptionError(f"--pace must be between 2:00 and 30:00 per km, got {text!r}")
    return total


def format_pace(seconds_per_km: Fraction | float) -> str:
    """``6:00/km`` from seconds per kilometre (rounded to whole seconds)."""
    total = round(seconds_per_km)
    return f"{total // 60}:{total % 60:02d}/km"


@dataclass
class ImportedStep:
    """One step: ``seconds`` long (exact), at ``spm`` (start, end) steps per minute or, with
    ``spm`` None, at the base cadence (or the walking cadence when ``walk``)."""

    name: str
    seconds: Fraction
    spm: tuple[Fraction, Fraction] | None = None
    walk: bool = False
    origin: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class ImportedRepeat:
    """A block of steps played ``times`` times."""

    times: int
    items: list[ImportedStep | ImportedRepeat]
    origin: str = ""
    name: str | None = None
    notes: list[str] = field(default_factory=list)


ImportedItem = ImportedStep | ImportedRepeat


class Warnings:
    """What an import could not represent, grouped: one line per kind of loss, naming where."""

    def __init__(self) -> None:
        self._where: dict[str, list[str]] = {}

    def add(self, problem: str, where: str = "") -> None:
        """Record ``problem`` (the same text groups) at ``where`` (e.g. ``step 3``)."""
        places = self._where.setdefault(problem, [])
        if where and where not in places:
            places.append(where)

    def lines(self) -> list[str]:
        """One line per problem, naming where: ``heart-rate targets are not kept (step 2, 5)``."""
        out = []
        for problem, places in self._where.items():
            shown = ", ".join(places[:8]) + (
                f" and {len(places) - 8} more" if len(places) > 8 else ""
            )
            out.append(f"{problem} ({shown})" if places else problem)
        return out


@dataclass
class ImportedWorkout:
    """A whole imported workout: its name, what kind of file it came from, and its steps."""

    name: str
    kind: str
    items: list[ImportedItem]
    sport: str | None = None
    description: str = ""
    warnings: Warnings = field(default_factory=Warnings)


class Context:
    """What an importer needs while reading one file: where it is from, the pace for distances,
    and the warnings it collects."""

    def __init__(self, source: str, pace: Fraction | None) -> None:
        self.source = source
        self.pace = pace
        self.warnings = Warnings()

    def error(self, problem: str, where: str = "") -> PlanError:
        """A ``PlanError`` for this file, ``where`` (e.g. ``step 3``) leading the message."""
        return PlanError(f"{where}: {problem}" if where else problem, source=self.source)

    def distance_seconds(self, meters: Fraction, where: str, name: str) -> tuple[Fraction, str]:
        """Seconds a ``meters`` step lasts at ``--pace``, and a note saying so.

        Raises ``OptionError`` naming the step when no pace was given.
        """
        if self.pace is None:
            raise OptionError(
                f"{self.source}: {where} ({name!r}) lasts {format_spm(meters)} m: runcoach plans "
                "are timed, so give --pace MIN/KM (e.g. --pace 6:00) to turn distances into time"
            )
        seconds = meters * self.pace / 1000
        return (
            seconds,
            f"{format_spm(meters)} m at {format_pace(self.pace)} = "
            f"{format_seconds(seconds, tenths=True)}",
        )

    def cadence(self, spm: Fraction, where: str) -> Fraction:
        """``spm`` rounded to 0.1 and clamped into the plan's range (warning when clamped)."""
        value = Fraction(round(spm * 10), 10)
        if value < MIN_SPM or value > MAX_SPM:
            clamped = Fraction(MIN_SPM) if value < MIN_SPM else Fraction(MAX_SPM)
            self.warnings.add(
                f"cadences outside {MIN_SPM}-{MAX_SPM} steps per minute are clamped to the range",
                where,
            )
            return clamped
        return value

    def repeat(
        self, times: int, items: list[ImportedItem], where: str, name: str | None = None
    ) -> ImportedRepeat:
        """A repeat block, checked against the plan's limits."""
        if times > MAX_SEGMENTS:
            raise self.error(f"repeats {times} times; a plan allows at most {MAX_SEGMENTS}", where)
        block = ImportedRepeat(times, items, origin=where, name=name)
        if depth(block.items) >= MAX_DEPTH:
            raise self.error(f"repeats nest more than {MAX_DEPTH} deep", where)
        return block


def depth(items: list[ImportedItem]) -> int:
    """How deep repeat blocks nest in ``items`` (0 for plain steps)."""
    return max((1 + depth(i.items) if isinstance(i, ImportedRepeat) else 0) for i in items)


def count_steps(items: list[ImportedItem]) -> int:
    """Steps in ``items`` as written (repeats not expanded)."""
    return sum(count_steps(i.items) if isinstance(i, ImportedRepeat) else 1 for i in items)


def read_limited(path: str | os.PathLike[str], limit: int = MAX_IMPORT_BYTES) -> bytes:
    """Read a workout file of at most ``limit`` bytes through the one input reader (regular
    files only, never blocking on a FIFO, the size checked before reading). Raises
    ``PlanError`` naming the file."""
    return read_input(path, limit=limit, what="workout")
