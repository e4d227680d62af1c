"""The journal's records as plain frozen dataclasses: enrolments, sessions with their check-ins,
symptoms noted during play, what ``today`` answers and the history.

Each record converts to and from a plain mapping (``to_dict`` / ``from_dict``) with one table of
fields per record, so the database rows, the JSON backup and the CSV export share one
definition and one validation. Nothing here touches a file or the database.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Literal, NamedTuple, TypeVar

from runcoach.errors import RunCoachError

#: What ``today`` may decide. ``start`` is the first session of an enrolment; the others come
#: from the progression rule (:mod:`runcoach.coach.progression`).
DECISIONS = ("start", "advance", "repeat", "step_back", "stop")
Decision = Literal["start", "advance", "repeat", "step_back", "stop"]
#: Where a finding came from: the check-in after the session, or the 24-hour check after it.
SOURCES = ("check-in", "next-day check")
#: Pain above this (0-10) is outside the safe band of pain monitoring (0-3 safe, 4-5
#: acceptable, above 5 too much): such a day counts as a symptom day in the history.
SAFE_PAIN = 3
#: The highest pain or effort score.
MAX_SCORE = 10


class JournalError(RunCoachError):
    """A journal or backup file that cannot be used: the message names the file and the reason."""


class Position(NamedTuple):
    """A place in a program: ``(week, session)``, both from 1."""

    week: int
    session: int


# Field kinds: how a value is checked and converted. A trailing "?" allows None.
_Kind = str


def _convert(kind: _Kind, value: Any, where: str) -> Any:
    """Check one field value against its kind and return it in its Python type."""
    if kind.endswith("?"):
        if value is None or value == "":
            return None
        kind = kind[:-1]
    if kind == "text":
        if isinstance(value, str):
            return value
    elif kind == "date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
    elif kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
    elif kind in ("int", "score"):
        number = _integer(value)
        if number is not None and (kind == "int" or 0 <= number <= MAX_SCORE):
            return number
    elif kind == "seconds":
        seconds = _number(value)
        if seconds is not None and seconds >= 0:
            return seconds
    elif kind == "spm":
        spm = _number(value)
        if spm is not None and 60 <= spm <= 240:
            return spm
    elif kind in DECISION_KINDS and value in DECISION_KINDS[kind]:
        return value
    raise JournalError(f"{where}: expected {_EXPECTED[kind]}, got {value!r}")


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and value.isascii():
        return int(value)
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


DECISION_KINDS = {"decision": DECISIONS[1:], "source": SOURCES}
_EXPECTED = {
    "text": "text",
    "date": "a date YYYY-MM-DD",
    "bool": "true or false",
    "int": "a whole number",
    "score": f"a whole number from 0 to {MAX_SCORE}",
    "seconds": "a number of seconds, 0 or more",
    "spm": "a cadence from 60 to 240 steps per minute",
    "decision": "one of " + ", ".join(DECISIONS[1:]),
    "source": "one of " + ", ".join(SOURCES),
}


def _plain(value: Any) -> Any:
    """A value as JSON and SQLite keep it: dates as ISO text, whole floats as ints."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_R = TypeVar("_R", bound="_Record")


class _Record:
    """Shared conversions; each record lists its fields' kinds in ``KINDS``."""

    KINDS: ClassVar[Mapping[str, _Kind]] = {}

    def to_dict(self) -> dict[str, Any]:
        """The record as a plain mapping (dates as ISO text), in field order."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls: type[_R], data: Mapping[str, Any], where: str = "") -> _R:
        """Build the record from a mapping, checking every field; unknown keys are errors.

        Raises :class:`JournalError` naming ``where`` and the field.
        """
        prefix = f"{where}." if where else ""
        unknown = sorted(set(data) - set(cls.KINDS))
        if unknown:
            raise JournalError(f"{prefix}{unknown[0]}: not a field of a {cls.__name__.lower()}")
        values = {}
        for name, kind in cls.KINDS.items():
            if name not in data and not kind.endswith("?"):
                raise JournalError(f"{prefix}{name}: missing")
            values[name] = _convert(kind, data.get(name), prefix + name)
        return cls(**values)


@dataclass(frozen=True)
class Enrolment(_Record):
    """An enrolment in a program: where the runner starts (``week``, ``session``) and at which
    base cadence. ``program`` is how ``runcoach play --plan`` finds it (a name, or an absolute
    path for the runner's own file); the latest enrolment is the current one."""

    uid: str
    program: str
    program_name: str
    spm: float | None
    week: int
    session: int
    started_on: dt.date
    created_at: str

    KINDS: ClassVar[Mapping[str, _Kind]] = {
        "uid": "text",
        "program": "text",
        "program_name": "text",
        "spm": "spm?",
        "week": "int",
        "session": "int",
        "started_on": "date",
        "created_at": "text",
    }

    @property
    def position(self) -> Position:
        """Where the enrolment starts."""
        return Position(self.week, self.session)


#: The keys of one session in ``runcoach history --json``, in order.
HISTORY_SESSION_KEYS = (
    "date", "program", "week", "session", "completed", "stopped_at_seconds", "leak",
    "heaviness", "bleeding", "pain", "next_day_pain", "effort", "note", "decision", "reason",
)  # fmt: skip


@dataclass(frozen=True)
class SessionRecord(_Record):
    """One session and its check-in, with the decision the rule made from it.

    ``next_week``/``next_session`` is where the decision sends the runner (both ``None`` when the
    program is complete); ``source`` and ``finding`` say which answer decided (``"check-in"``,
    ``"pain 6 of 10"``). ``next_day_*`` hold the 24-hour check, ``symptoms`` the count of
    symptoms noted live during the session, ``resumed_on`` the day a ``stop`` was lifted.
    """

    uid: str
    enrolment_uid: str
    date: dt.date
    program: str
    week: int
    session: int
    completed: bool
    stopped_at_seconds: float | None
    played_seconds: float | None
    running_seconds: float
    leak: bool
    heaviness: bool
    bleeding: bool
    pain: int
    effort: int | None
    note: str
    symptoms: int
    next_day_on: dt.date | None
    next_day_pain: int | None
    next_day_leak: bool | None
    next_day_heaviness: bool | None
    next_day_bleeding: bool | None
    decision: str
    source: str
    finding: str
    reason: str
    next_week: int | None
    next_session: int | None
    resumed_on: dt.date | None
    logged_at: str
    updated_at: str

    KINDS: ClassVar[Mapping[str, _Kind]] = {
        "uid": "text",
        "enrolment_uid": "text",
        "date": "date",
        "program": "text",
        "week": "int",
        "session": "int",
        "completed": "bool",
        "stopped_at_seconds": "seconds?",
        "played_seconds": "seconds?",
        "running_seconds": "seconds",
        "leak": "bool",
        "heaviness": "bool",
        "bleeding": "bool",
        "pain": "score",
        "effort": "score?",
        "note": "text",
        "symptoms": "int",
        "next_day_on": "date?",
        "next_day_pain": "score?",
        "next_day_leak": "bool?",
        "next_day_heaviness": "bool?",
        "next_day_bleeding": "bool?",
        "decision": "decision",
        "source": "source",
        "finding": "text",
        "reason": "text",
        "next_week": "int?",
        "next_session": "int?",
        "resumed_on": "date?",
        "logged_at": "text",
        "updated_at": "text",
    }

    @property
    def position(self) -> Position:
        """The session this check-in is about."""
        return Position(self.week, self.session)

    @property
    def next_position(self) -> Position | None:
        """Where the decision sends the runner; ``None`` once the program is complete."""
        if self.next_week is None or self.next_session is None:
            return None
        return Position(self.next_week, self.next_session)

    def as_json(self) -> dict[str, Any]:
        """The session as ``runcoach history --json`` prints it (exactly those keys)."""
        full = self.to_dict()
        return {key: full[key] for key in HISTORY_SESSION_KEYS}

    def symptom_dates(self) -> set[dt.date]:
        """The days this record reports a symptom on: leaking, heaviness, bleeding, pain above
        the safe band, or a symptom noted live (the session's day); the same findings at the
        next-day check (that check's day)."""
        days = set()
        if self.leak or self.heaviness or self.bleeding or self.pain > SAFE_PAIN or self.symptoms:
            days.add(self.date)
        later = (
            self.next_day_leak
            or self.next_day_heaviness
            or self.next_day_bleeding
            or (self.next_day_pain or 0) > SAFE_PAIN
        )
        if later:
            days.add(self.next_day_on or self.date)
        return days


@dataclass(frozen=True)
class Symptom(_Record):
    """A symptom noted during play (the ``w`` key) at ``at_seconds`` into the session; attached
    to the session's record (``session_uid``) when that session is logged."""

    uid: str
    date: dt.date
    at_seconds: float
    note: str
    session_uid: str | None
    logged_at: str

    KINDS: ClassVar[Mapping[str, _Kind]] = {
        "uid": "text",
        "date": "date",
        "at_seconds": "seconds",
        "note": "text",
        "session_uid": "text?",
        "logged_at": "text",
    }


#: The keys of ``runcoach today --json``, in order.
TODAY_KEYS = (
    "program", "week", "session", "plan", "spm", "decision", "reason", "rest_day",
    "see_physio", "command",
)  # fmt: skip


@dataclass(frozen=True)
class Today:
    """What to do on day ``on``: the session (``week``, ``session``, its ``plan`` name, base
    ``spm`` and the ``command`` that plays it) and the decision that led there.

    ``stopped`` (a red flag, until ``runcoach resume``) and ``complete`` (the program is done)
    offer no session: ``plan`` and ``command`` are ``None``. ``rest_day`` says the program asks
    for a rest day (the next run from ``next_run_on``); ``see_physio`` recommends a pelvic-health
    physiotherapist (``physio_reason`` says why). ``duration_seconds`` and ``running_seconds``
    describe the offered session.
    """

    on: dt.date
    program: str
    program_name: str
    week: int | None
    session: int | None
    plan: str | None
    spm: float | None
    decision: str
    reason: str
    rest_day: bool
    see_physio: bool
    command: str | None
    stopped: bool = False
    complete: bool = False
    next_run_on: dt.date | None = None
    physio_reason: str | None = None
    duration_seconds: float | None = None
    running_seconds: float | None = None

    def as_json(self) -> dict[str, Any]:
        """Exactly the keys of ``runcoach today --json``."""
        return {key: _plain(getattr(self, key)) for key in TODAY_KEYS}


@dataclass(frozen=True)
class WeekSummary:
    """One calendar week (from Monday ``week_start``): sessions, seconds of running, and the
    number of days with a symptom."""

    week_start: dt.date
    sessions: int
    running_seconds: float
    symptom_days: int

    def as_json(self) -> dict[str, Any]:
        """The week as ``runcoach history --json`` prints it."""
        return {
            "week_start": self.week_start.isoformat(),
            "sessions": self.sessions,
            "running_seconds": _plain(round(self.running_seconds, 3)),
            "symptom_days": self.symptom_days,
        }


@dataclass(frozen=True)
class History:
    """Every session, oldest first, with a summary of every calendar week from the first
    session's to the last (weeks without sessions included, so breaks show)."""

    sessions: tuple[SessionRecord, ...]
    weeks: tuple[WeekSummary, ...]
    symptoms: tuple[Symptom, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """``{"sessions": [...], "weeks": [...]}`` as ``runcoach history --json`` prints it."""
        return {
            "sessions": [s.as_json() for s in self.sessions],
            "weeks": [w.as_json() for w in self.weeks],
        }


def monday(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def summarise_weeks(
    sessions: Iterable[SessionRecord], symptoms: Iterable[Symptom] = ()
) -> tuple[WeekSummary, ...]:
    """Sessions, running seconds and symptom days per calendar week, every week from the first
    to the last that has a session or a symptom, oldest first."""
    counts: dict[dt.date, int] = {}
    running: dict[dt.date, float] = {}
    symptom_days: set[dt.date] = set()
    for record in sessions:
        week = monday(record.date)
        counts[week] = counts.get(week, 0) + 1
        running[week] = running.get(week, 0.0) + record.running_seconds
        symptom_days |= record.symptom_dates()
    symptom_days |= {s.date for s in symptoms}
    weeks = set(counts) | {monday(day) for day in symptom_days}
    if not weeks:
        return ()
    per_week: dict[dt.date, int] = {}
    for day in symptom_days:
        per_week[monday(day)] = per_week.get(monday(day), 0) + 1
    first, last = min(weeks), max(weeks)
    summary = []
    week = first
    while week <= last:
        summary.append(
            WeekSummary(week, counts.get(week, 0), running.get(week, 0.0), per_week.get(week, 0))
        )
        week += dt.timedelta(days=7)
    return tuple(summary)


class AlreadyEnrolled(JournalError):
    """``start`` without ``replace`` while an enrolment exists (``enrolment`` is the current)."""

    def __init__(self, enrolment: Enrolment) -> None:
        self.enrolment = enrolment
        super().__init__(
            f"already enrolled in {enrolment.program_name} since {enrolment.started_on}; "
            "give --yes to replace the enrolment (the journal keeps every session)"
        )


@dataclass(frozen=True)
class Imported:
    """What an import did: records added, records updated (the backup's copy was newer) and
    records already there."""

    added: int
    updated: int
    unchanged: int
