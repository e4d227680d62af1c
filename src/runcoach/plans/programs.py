"""Multi-week programs: weeks of sessions, each a plan, with a cadence change per week.

A program file is YAML with ``weeks`` instead of ``segments``::

    name: My return to running
    spm: 165                      # the runner's cadence when --spm is not given
    weeks:
      - name: Week 1
        sessions:
          - intervals             # a plan by name: a file next to this one, yours, or built-in
          - {plan: steady, spm: "-5"}     # a plan with a cadence change for this session
          - name: Easy run/walk   # or a whole plan, inline
            segments: [{name: Run, duration: 20m}]
      - name: Week 2
        spm: "+2"                 # every session of this week 2 spm faster
        sessions: [intervals, steady, intervals]

A session's base cadence is ``--spm`` (or the program's ``spm``, or else the plan's own) plus the
week's and the session's change: segments at the base or relative to it (``"+5"``, ``"-10"``)
move with it; absolute cadences (a walk at 115) stay.

Programs built in Python get the same checks as files: ``Program``, ``Week`` and
``ProgramSession`` validate themselves when built.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TypeVar

from runcoach.errors import OptionError, PlanError
from runcoach.plans.loader import find_plan
from runcoach.plans.model import (
    Cadence,
    Plan,
    Repeat,
    Segment,
    SessionOrigin,
    SpmSpec,
    _set,
    check_name,
)
from runcoach.plans.tree import join
from runcoach.plans.units import clean_text, format_spm, parse_number, plural, quote

#: The most weeks a program may have.
MAX_WEEKS = 104
#: The most sessions a week may have.
MAX_SESSIONS = 21
#: The largest cadence change a week or session may make, in steps per minute.
MAX_OFFSET = 100

PROGRAM_KEYS = ("name", "description", "spm", "rest_days", "progression", "weeks")
WEEK_KEYS = ("name", "description", "spm", "sessions")
SESSION_KEYS = ("plan", "spm")

_T = TypeVar("_T")


def parse_offset(value: object) -> Fraction:
    """Parse a cadence change in steps per minute: ``"+2"``, ``"-3"``, ``"0"`` or a number.

    Raises ``PlanError`` (field ``spm``) for anything else, or beyond ±100.
    """
    what = 'a cadence change in steps per minute such as "+2" or "-3"'
    text = value.replace(" ", "") if isinstance(value, str) else value
    offset = parse_number(text, field="spm", what=what)
    if abs(offset) > MAX_OFFSET:
        raise PlanError(
            f"a cadence change must be within ±{MAX_OFFSET} steps per minute, got {quote(value)}",
            field="spm",
        )
    return offset


@dataclass(frozen=True)
class Progression:
    """The thresholds of the progression rule (the coach, :mod:`runcoach.coach`): a program's
    optional ``progression:`` block. Pain is the runner's own 0–10 score."""

    stop_pain: int = 8  #: pain at or above this is a red flag: stop and see someone
    step_back_pain: int = 6  #: at or above this (or a leak, or heaviness): a week back
    repeat_pain: int = 4  #: at or above this (or a session stopped early): repeat it
    break_days: int = 14  #: this many days without a session: a week back
    physio_step_backs: int = 2  #: this many step-backs ...
    physio_window_days: int = 14  #: ... within this many days: see a physiotherapist

    def __post_init__(self) -> None:
        for name, low, high in PROGRESSION_RANGES:
            value: object = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise PlanError(
                    f"must be a whole number from {low} to {high}, got {quote(value)}",
                    field=f"progression.{name}",
                )
        if not self.repeat_pain <= self.step_back_pain <= self.stop_pain:
            raise PlanError(
                "the pain thresholds must rise: repeat_pain <= step_back_pain <= stop_pain, got "
                f"{self.repeat_pain}, {self.step_back_pain}, {self.stop_pain}",
                field="progression",
            )


PROGRESSION_RANGES = (
    ("stop_pain", 1, 10),
    ("step_back_pain", 1, 10),
    ("repeat_pain", 1, 10),
    ("break_days", 1, 365),
    ("physio_step_backs", 1, 10),
    ("physio_window_days", 1, 365),
)
PROGRESSION_KEYS = tuple(name for name, _, _ in PROGRESSION_RANGES)
#: The most rest days a program may ask for between runs.
MAX_REST_DAYS = 6


def _format_offset(offset: Fraction) -> str:
    return ("+" if offset >= 0 else "-") + format_spm(abs(offset))


@dataclass(frozen=True)
class ProgramSession:
    """One session of a week: a plan, and an optional cadence change (``spm``, e.g. ``"+2"``)
    added to the week's.

    ``plan`` may be given as a :class:`Plan` or, from Python, as a plan name or path, which is
    looked up at once (so a name that does not exist fails here); ``ref`` keeps that name.
    """

    plan: Plan
    spm: Fraction = Fraction(0)
    ref: str | None = None
    line: int | None = field(default=None, compare=False, repr=False, kw_only=True)
    path: str = field(default="", compare=False, repr=False, kw_only=True)
    #: The line of the session's ``spm`` change in its program file.
    spm_line: int | None = field(default=None, compare=False, repr=False, kw_only=True)

    def __post_init__(self) -> None:
        plan: object = self.plan
        ref = self.ref
        if isinstance(plan, (str, os.PathLike)):
            ref = ref if ref is not None else os.fspath(plan)
            plan = find_plan(os.fspath(plan))
        elif not isinstance(plan, Plan):
            raise PlanError(f"a session is a Plan or a plan name, got {quote(plan)}", field="plan")
        _set(self, plan=plan, spm=parse_offset(self.spm), ref=ref)


@dataclass(frozen=True)
class Week:
    """A week of sessions, with an optional cadence change (``spm``, e.g. ``"+2"``) for all.

    ``sessions`` items are :class:`ProgramSession`, :class:`Plan` objects, or plan names.
    """

    sessions: tuple[ProgramSession, ...]
    spm: Fraction = Fraction(0)
    name: str | None = None
    description: str = ""
    line: int | None = field(default=None, compare=False, repr=False, kw_only=True)
    path: str = field(default="", compare=False, repr=False, kw_only=True)
    #: The line of the week's ``spm`` change in its program file.
    spm_line: int | None = field(default=None, compare=False, repr=False, kw_only=True)

    def __post_init__(self) -> None:
        sessions: object = self.sessions
        if isinstance(sessions, (str, bytes)) or not isinstance(sessions, Sequence):
            raise PlanError(f"must be a list of sessions, got {quote(sessions)}", field="sessions")
        if not sessions:
            raise PlanError("a week needs at least one session", field="sessions")
        if len(sessions) > MAX_SESSIONS:
            raise PlanError(
                f"a week has at most {MAX_SESSIONS} sessions, got {len(sessions)}",
                field="sessions",
            )
        description: object = self.description
        if not isinstance(description, str):
            raise PlanError(f"must be text, got {quote(description)}", field="description")
        _set(
            self,
            sessions=tuple(
                s if isinstance(s, ProgramSession) else ProgramSession(s) for s in sessions
            ),
            spm=parse_offset(self.spm),
            name=None if self.name is None else check_name(self.name, "a week name"),
            description=clean_text(description.strip()),
        )


@dataclass(frozen=True)
class Program:
    """A multi-week program: weeks of sessions, each a plan.

    ``spm`` is the runner's cadence when ``--spm`` is not given (``None``: each session's plan
    keeps its own base). ``rest_days`` is the rest the program asks for between runs and
    ``progression`` the thresholds the coach follows. Every session is checked when the
    program is built, so a program that loads can render any of its sessions. ``source``
    names the file, for error messages.
    """

    name: str
    weeks: tuple[Week, ...]
    description: str = ""
    spm: Fraction | None = None
    rest_days: int = 1
    progression: Progression = field(default_factory=Progression)
    source: str | None = field(default=None, compare=False, kw_only=True)
    _shifts: dict[tuple[int, Fraction], tuple[Plan, tuple[Segment | Repeat, ...]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _plans: dict[tuple[int, int], Plan] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        description: object = self.description
        if not isinstance(description, str):
            raise PlanError(f"must be text, got {quote(description)}", field="description")
        spm: object = self.spm
        base: Fraction | None = None
        if spm is not None:
            cadence = Cadence.parse(spm)
            if cadence.kind != "abs":
                raise PlanError(
                    f"the program's cadence is a number of steps per minute, got {quote(spm)}",
                    field="spm",
                )
            base = cadence.value
        weeks: object = self.weeks
        if isinstance(weeks, (str, bytes)) or not isinstance(weeks, Sequence):
            raise PlanError(f"must be a list of weeks, got {quote(weeks)}", field="weeks")
        if not weeks:
            raise PlanError("a program needs at least one week", field="weeks")
        if len(weeks) > MAX_WEEKS:
            raise PlanError(
                f"a program has at most {MAX_WEEKS} weeks, got {len(weeks)}", field="weeks"
            )
        rest: object = self.rest_days
        if isinstance(rest, bool) or not isinstance(rest, int) or not 0 <= rest <= MAX_REST_DAYS:
            raise PlanError(
                f"must be a whole number of days from 0 to {MAX_REST_DAYS}, got {quote(rest)}",
                field="rest_days",
            )
        if not isinstance(self.progression, Progression):
            raise PlanError("must be a Progression", field="progression")
        _set(
            self,
            name=check_name(self.name, "the program name"),
            description=clean_text(description.strip()),
            spm=base,
            weeks=tuple(w if isinstance(w, Week) else Week(w) for w in weeks),
        )
        self.check()

    def check(self) -> None:
        """Build every session's plan once: a program that loads can play any session.
        Raises ``PlanError`` naming the session's plan and field."""
        for w, week in enumerate(self.weeks, start=1):
            for s in range(1, len(week.sessions) + 1):
                self._plan(w, s)

    def session(self, week: int, session: int) -> Plan:
        """The plan of session ``session`` of week ``week`` (both from 1), the week's and the
        session's cadence change applied. Raises ``OptionError`` naming the valid range."""
        self.check_week(week)
        sessions = self.weeks[week - 1].sessions
        if isinstance(session, bool) or not isinstance(session, int):
            raise OptionError(f"--session must be a whole number, got {quote(session)}")
        if not 1 <= session <= len(sessions):
            raise OptionError(
                f"--session must be between 1 and {len(sessions)} (week {week} of "
                f"{self.name!r} has {plural(len(sessions), 'session')}), got {quote(session)}"
            )
        return self._plan(week, session)

    def select(self, week: int | None, session: int | None) -> Plan:
        """Like :meth:`session`, but saying which choices exist when either is missing."""
        if week is None or session is None:
            missing = (
                "--week and --session"
                if week is None and session is None
                else ("--week" if week is None else "--session")
            )
            raise OptionError(
                f"{self.name!r} is a program of {plural(len(self.weeks), 'week')}: "
                f"give {missing} to choose a session ({self.choice_hint()})"
            )
        return self.session(week, session)

    def choice_hint(self) -> str:
        """``--week 1-9 --session 1-3``: the choices, for messages."""
        counts = {len(w.sessions) for w in self.weeks}
        sessions = f"1-{counts.pop()}" if len(counts) == 1 else "1-N (N depends on the week)"
        return f"--week 1-{len(self.weeks)} --session {sessions}"

    def sessions(self) -> Iterator[tuple[int, int, Plan]]:
        """Yield ``(week, session, plan)`` for every session in order (numbers from 1)."""
        for w, week in enumerate(self.weeks, start=1):
            for s in range(1, len(week.sessions) + 1):
                yield w, s, self._plan(w, s)

    def check_week(self, week: int) -> None:
        """Raise ``OptionError`` naming the valid range unless ``week`` is one of the weeks."""
        if isinstance(week, bool) or not isinstance(week, int):
            raise OptionError(f"--week must be a whole number, got {quote(week)}")
        if not 1 <= week <= len(self.weeks):
            raise OptionError(
                f"--week must be between 1 and {len(self.weeks)} ({self.name!r} has "
                f"{plural(len(self.weeks), 'week')}), got {quote(week)}"
            )

    def _shifted(self, inner: Plan, offset: Fraction) -> tuple[Segment | Repeat, ...]:
        """``inner``'s segments with the cadence change ``offset``, made once for every
        session that shares the plan and the change."""
        if not offset:
            return inner.segments
        known = self._shifts.get((id(inner), offset))
        if known is not None and known[0] is inner:
            return known[1]
        items = tuple(_shift(item, offset) for item in inner.segments)
        self._shifts[(id(inner), offset)] = (inner, items)
        return items

    def origin(self, w: int, s: int) -> SessionOrigin:
        """Where session ``s`` of week ``w`` is in the program file, and the cadence change it
        makes: the line and field of the session's change, else the week's, else the session."""
        week = self.weeks[w - 1]
        entry = week.sessions[s - 1]
        where: str | None
        if entry.spm:
            line, where = entry.spm_line or entry.line, join(entry.path, "spm") or "spm"
        elif week.spm:
            line, where = week.spm_line or week.line, join(week.path, "spm") or "spm"
        else:
            line, where = entry.line, entry.path or None
        return SessionOrigin(self.source, w, s, week.spm + entry.spm, line, where)

    def _plan(self, w: int, s: int) -> Plan:
        plan = self._plans.get((w, s))
        if plan is None:
            plan = self._plans[(w, s)] = self._build_plan(w, s)
        return plan

    def _build_plan(self, w: int, s: int) -> Plan:
        week = self.weeks[w - 1]
        entry = week.sessions[s - 1]
        inner = entry.plan
        origin = self.origin(w, s)
        offset = origin.change
        try:
            items = self._shifted(inner, offset)
        except PlanError as err:
            problem = (
                f"week {w}, session {s} changes the cadence by {_format_offset(offset)}, which "
            )
            if inner.source == self.source:  # an inline session: the segment is in this file
                raise PlanError(
                    problem + err.problem, source=self.source, line=err.line, field=err.field
                ) from None
            raise PlanError(
                f"{problem}{err.problem} ({inner.name!r}, {err.field})",
                source=self.source or inner.source,
                line=origin.line,
                field=origin.field,
            ) from None
        label = f", week {w}, session {s}"
        name = self.name[: 200 - len(label)] + label
        about = inner.name + (f": {inner.description}" if inner.description else "")
        return Plan(
            name,
            tuple(items),
            description=about,
            spm=self.spm if self.spm is not None else inner.spm,
            breath=inner.breath,
            sound=inner.sound,
            source=inner.source,
            origin=origin,
        )


def _shift(item: Segment | Repeat, offset: Fraction) -> Segment | Repeat:
    """Copy ``item`` with ``offset`` added to every cadence that follows the base.

    Raises ``PlanError`` whose field is the segment's path in its plan."""
    if isinstance(item, Repeat):
        return _copy_with(item, segments=tuple(_shift(c, offset) for c in item.segments))
    try:
        spm = _shift_spm(item.spm, offset)
    except PlanError as err:
        raise PlanError(err.problem, line=item.line, field=join(item.path, "spm")) from None
    return _copy_with(item, spm=spm)


def _copy_with(item: _T, **values: object) -> _T:
    """A copy of a checked segment or repeat with ``values`` in place: they are valid by
    construction (a shifted relative cadence, shifted children), so the checks are not run
    again (a program of 2,000 sessions of a 3,000-segment plan would spend minutes on them)."""
    new = copy.copy(item)
    _set(new, **values)
    return new


def _shift_spm(spm: SpmSpec | None, offset: Fraction) -> SpmSpec:
    if spm is None:
        return Cadence("rel", offset)
    if isinstance(spm, tuple):
        return (_shift_one(spm[0], offset), _shift_one(spm[1], offset))
    return _shift_one(spm, offset)


def _shift_one(cadence: Cadence, offset: Fraction) -> Cadence:
    if cadence.kind == "abs":
        return cadence
    if cadence.kind == "rel":
        return Cadence("rel", cadence.value + offset)
    raise PlanError(
        f'a percentage cadence ("{cadence}") cannot follow; write it relative to the base, '
        'e.g. "-8"'
    )
