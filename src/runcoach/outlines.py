"""A plan's outline: one row per segment (repeats expanded), totals, and a cadence chart.

The rows come from the same timeline that renders the audio (:func:`runcoach.timeline.resolve`),
so what ``runcoach plans show --json`` prints is what ``runcoach render`` plays: start times are
the exact sums of the durations before them, converted to numbers only at the end.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TypedDict

from runcoach.plans.model import Breath, Plan, Repeat, Segment
from runcoach.plans.units import format_seconds, format_spm

if TYPE_CHECKING:
    from runcoach.plans.programs import Program
    from runcoach.timeline import Session

#: Block characters for eighths of a chart cell, empty to full.
_EIGHTHS = " ▁▂▃▄▅▆▇█"


class SegmentRow(TypedDict):
    """One segment of a resolved session (a row of ``runcoach plans show --json``).

    Times in seconds from the start of the session; cadences in steps per minute (equal for a
    constant cadence, the two ends of a ramp otherwise); ``breath`` ``"4:6"`` or ``None`` (off).
    """

    name: str
    start_seconds: int | float
    duration_seconds: int | float
    spm_start: int | float
    spm_end: int | float
    breath: str | None


class PlanOutline(TypedDict):
    """A resolved session: its name, total length in seconds, and its segment rows."""

    name: str
    total_seconds: int | float
    segments: list[SegmentRow]


def _number(value: Fraction) -> int | float:
    """An exact value as JSON will write it: an ``int`` when whole, else the nearest float."""
    return int(value) if value.denominator == 1 else float(value)


def _as_plan(plan: Plan | str | os.PathLike[str]) -> Plan:
    if isinstance(plan, Plan):
        return plan
    from runcoach.plans.catalogue import load_plan

    return load_plan(plan)


def rows(session: Session) -> Iterator[SegmentRow]:
    """The rows of ``session``'s segments in play order (lazily: a 100,000-segment session
    costs one row at a time)."""
    for seg in session.segments():
        yield {
            "name": seg.name,
            "start_seconds": _number(seg.start_seconds),
            "duration_seconds": _number(seg.duration_seconds),
            "spm_start": _number(seg.spm_start),
            "spm_end": _number(seg.spm_end),
            "breath": None if seg.breath.off else str(seg.breath),
        }


def outline(
    plan: Plan | str | os.PathLike[str],
    spm: float | Fraction | None = None,
    *,
    breath: Breath | str | None = None,
) -> PlanOutline:
    """The outline of ``plan`` at base cadence ``spm``: ``{"name", "total_seconds", "segments"}``,
    exactly what ``runcoach plans show --json`` prints.

    ``plan`` is a :class:`Plan` or a plan name or path. ``spm`` and ``breath`` replace the plan's
    base cadence and top-level breath pattern, as on the command line. Raises ``PlanError`` or
    ``OptionError``.
    """
    from runcoach.timeline import resolve

    the_plan = _as_plan(plan)
    session = resolve(the_plan, spm=spm, breath=breath)
    return {
        "name": the_plan.name,
        "total_seconds": _number(session.total_seconds),
        "segments": list(rows(session)),
    }


def segments(
    plan: Plan | str | os.PathLike[str],
    spm: float | Fraction | None = None,
    *,
    breath: Breath | str | None = None,
) -> list[SegmentRow]:
    """The segments of ``plan`` in play order, repeats expanded, resolved at base cadence ``spm``.

    Each row is a dict: ``name``, ``start_seconds`` (the exact sum of the durations before it),
    ``duration_seconds``, ``spm_start`` and ``spm_end`` (steps per minute; they differ for a
    ramp), and ``breath`` (``"4:6"``, or ``None`` when off). Numbers are ``int`` when whole,
    else ``float``. These are the rows of ``runcoach plans show --json``, computed by the same
    timeline that renders the audio.

    ``plan`` is a :class:`Plan` or a plan name or path; ``spm`` replaces its base cadence and
    ``breath`` its top-level breath pattern. Raises ``PlanError`` or ``OptionError``.
    """
    return outline(plan, spm, breath=breath)["segments"]


@dataclass(frozen=True)
class Summary:
    """A resolved session in brief: its length, segment count and cadence range, worked out
    from the plan's tree without expanding its repeats (a program of long sessions costs the
    size of its files, not of its sessions)."""

    total_seconds: Fraction
    segment_count: int
    spm_low: Fraction
    spm_high: Fraction


def summary(plan: Plan, spm: float | Fraction | None = None) -> Summary:
    """The :class:`Summary` of ``plan`` at base cadence ``spm``. Raises ``PlanError`` or
    ``OptionError`` as :func:`runcoach.timeline.resolve` does."""
    from runcoach.timeline import resolve, segment_spm

    session = resolve(plan, spm=spm)
    cadences = {
        value
        for seg in _distinct_segments(plan.segments)
        for value in segment_spm(seg, session.base_spm)
    }
    return Summary(session.total_seconds, session.segment_count, min(cadences), max(cadences))


def summaries(plans: Iterable[Plan], spm: float | Fraction | None = None) -> Iterator[Summary]:
    """:func:`summary` of each of ``plans`` (a program's sessions), worked out once for
    sessions that share their segments and base cadence."""
    known: dict[tuple[int, Fraction], tuple[Plan, Summary]] = {}
    for plan in plans:
        key = (id(plan.segments), plan.spm)
        found = known.get(key)
        if found is None or found[0].segments is not plan.segments:
            found = known[key] = (plan, summary(plan, spm))
        yield found[1]


def _distinct_segments(items: Sequence[Segment | Repeat]) -> Iterator[Segment]:
    """Every segment of the tree once (each plays at least once: a repeat is at least 1)."""
    for item in items:
        if isinstance(item, Repeat):
            yield from _distinct_segments(item.segments)
        else:
            yield item


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def outline_json(
    plan: Plan, spm: float | Fraction | None = None, *, breath: Breath | str | None = None
) -> Iterator[str]:
    """:func:`outline` as JSON text, a line at a time (one line per segment): what
    ``runcoach plans show --json`` prints, in memory of one row whatever the plan's length."""
    from runcoach.timeline import resolve

    session = resolve(plan, spm=spm, breath=breath)
    yield "{"
    yield f'  "name": {_json(plan.name)},'
    yield f'  "total_seconds": {_json(_number(session.total_seconds))},'
    yield '  "segments": ['
    yield from _rows_json(session, "    ")
    yield "  ]"
    yield "}"


def _rows_json(session: Session, indent: str) -> Iterator[str]:
    """The session's rows as JSON, one line each, with the commas between them."""
    previous: str | None = None
    for row in rows(session):
        if previous is not None:
            yield previous + ","
        previous = indent + _json(row)
    if previous is not None:
        yield previous


def program_json(
    program: Program, spm: float | Fraction | None = None, *, week: int | None = None
) -> Iterator[str]:
    """:func:`program_outline` as JSON text, a line at a time (one line per segment), session
    after session: memory stays that of one row. ``week`` keeps only that week (from 1)."""
    from runcoach.timeline import resolve

    yield "{"
    yield f'  "name": {_json(program.name)},'
    yield f'  "description": {_json(program.description)},'
    yield '  "weeks": ['
    numbers = [week] if week is not None else range(1, len(program.weeks) + 1)
    for n, w in enumerate(numbers):
        the_week = program.weeks[w - 1]
        head = {
            "name": the_week.name or f"Week {w}",
            "description": the_week.description,
            "spm_change": _number(the_week.spm),
        }
        yield f"    {_json(head)[:-1]}, " + '"sessions": ['
        count = len(the_week.sessions)
        for s in range(1, count + 1):
            plan = program.session(w, s)
            session = resolve(plan, spm=spm)
            facts = {
                "name": plan.name,
                "total_seconds": _number(session.total_seconds),
                "description": plan.description,
            }
            yield f"      {_json(facts)[:-1]}, " + '"segments": ['
            yield from _rows_json(session, "        ")
            yield "      ]}" + ("," if s < count else "")
        yield "    ]}" + ("," if n < len(numbers) - 1 else "")
    yield "  ]"
    yield "}"


def program_outline(program: Program, spm: float | Fraction | None = None) -> dict[str, Any]:
    """The outline of every session of ``program``: ``{"name", "description", "weeks": [{"name",
    "description", "spm_change", "sessions": [outline, ...]}]}``, each session an
    :func:`outline` (its own name and description included) at base cadence ``spm``."""
    weeks: list[dict[str, Any]] = []
    for w, week in enumerate(program.weeks, start=1):
        sessions: list[dict[str, Any]] = []
        for s in range(1, len(week.sessions) + 1):
            plan = program.session(w, s)
            sessions.append({**outline(plan, spm), "description": plan.description})
        weeks.append(
            {
                "name": week.name or f"Week {w}",
                "description": week.description,
                "spm_change": _number(week.spm),
                "sessions": sessions,
            }
        )
    return {"name": program.name, "description": program.description, "weeks": weeks}


def cadence_range(rows: Sequence[SegmentRow]) -> tuple[float, float]:
    """The lowest and highest cadence over ``rows``, in steps per minute."""
    values = [v for row in rows for v in (row["spm_start"], row["spm_end"])]
    return float(min(values)), float(max(values))


def describe_range(low: float, high: float) -> str:
    """``115–170`` (or ``170`` when constant)."""
    if low == high:
        return format_spm(low)
    return f"{format_spm(low)}–{format_spm(high)}"


def _column_means(rows: Sequence[SegmentRow], total: float, width: int) -> list[float]:
    """The time-weighted mean cadence over each of ``width`` equal slices of the session."""
    means: list[float] = []
    i = 0
    for c in range(width):
        t0, t1 = total * c / width, total * (c + 1) / width
        area = 0.0
        while i < len(rows) and rows[i]["start_seconds"] + rows[i]["duration_seconds"] <= t0:
            i += 1
        j = i
        while j < len(rows) and rows[j]["start_seconds"] < t1:
            row = rows[j]
            start, length = float(row["start_seconds"]), float(row["duration_seconds"])
            a, b = max(t0, start), min(t1, start + length)
            if b > a and length > 0:
                s0, s1 = float(row["spm_start"]), float(row["spm_end"])
                at_a = s0 + (s1 - s0) * (a - start) / length
                at_b = s0 + (s1 - s0) * (b - start) / length
                area += (b - a) * (at_a + at_b) / 2
            j += 1
        means.append(area / (t1 - t0) if t1 > t0 else 0.0)
    return means


def cadence_chart(rows: Sequence[SegmentRow], *, width: int = 60, height: int = 6) -> list[str]:
    """A text chart of cadence over time: ``height`` lines of block characters, ``width``
    columns wide, with the highest and lowest cadence on the left and times below.

    Each column is the time-weighted mean cadence over its slice of the session. The result is
    ``width`` plus the label width (at most 5) plus 1 characters wide.
    """
    if not rows or width < 8 or height < 2:
        return []
    last = rows[-1]
    total = float(last["start_seconds"]) + float(last["duration_seconds"])
    if total <= 0:
        return []
    low, high = cadence_range(rows)
    means = _column_means(rows, total, width)
    # The lowest cadence fills the bottom line, the highest the top one.
    floor = low - (high - low) / (height - 1) if high > low else low - 1
    span = high - floor
    labels = {0: format_spm(high), height - 1: format_spm(low)}
    pad = max(len(text) for text in labels.values())
    lines: list[str] = []
    for r in range(height):
        cells = []
        for value in means:
            eighths = round((value - floor) / span * height * 8) if value > 0 else 0
            fill = min(max(eighths - (height - 1 - r) * 8, 0), 8)
            cells.append(_EIGHTHS[fill])
        label = labels.get(r, "")
        tick = "┤" if r in labels else "│"
        lines.append(f"{label:>{pad}} {tick}{''.join(cells)}")
    lines.append(" " * pad + " └" + "─" * width)
    axis = [" "] * (pad + 2 + width + 8)
    for share in (0.0, 0.5, 1.0):
        text = format_seconds(total * share)
        col = pad + 2 + round((width - 1) * share)
        start = min(max(col - len(text) // 2, pad + 2), pad + 2 + width - len(text))
        if share == 0.0:
            start = pad + 2
        axis[start : start + len(text)] = list(text)
    lines.append("".join(axis).rstrip())
    return lines
