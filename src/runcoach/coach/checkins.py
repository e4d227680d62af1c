"""Check-ins turned into records, and a day's decision turned into what ``today`` shows: the
pure steps between the journal's reads and writes (no database here)."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from runcoach.coach import course
from runcoach.coach.progression import CheckIn, Course, Day, Outcome, checkin_of, decide
from runcoach.coach.records import (
    Enrolment,
    JournalError,
    Position,
    SessionRecord,
    Symptom,
    Today,
)
from runcoach.errors import OptionError

if TYPE_CHECKING:
    from runcoach.plans.programs import Program

#: The longest a session may be (as plans are), in seconds.
MAX_SECONDS = 24 * 3600


def now() -> str:
    """The time now (UTC, ISO 8601 with microseconds): when a record was logged or changed."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def check_score(name: str, value: object) -> int:
    """``value`` if it is a whole number from 0 to 10, else ``OptionError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise OptionError(f"{name} must be a whole number from 0 to 10, got {value!r}")
    return value


@dataclass(frozen=True)
class Answers:
    """The answers of a check-in, checked (see :meth:`make`)."""

    completed: bool
    stopped_at_seconds: float | None
    played_seconds: float | None
    leak: bool
    heaviness: bool
    bleeding: bool
    pain: int
    effort: int | None
    note: str

    @classmethod
    def make(
        cls,
        *,
        leak: bool,
        heaviness: bool,
        pain: int,
        completed: bool | None = None,
        stopped_at_seconds: float | None = None,
        played_seconds: float | None = None,
        bleeding: bool = False,
        effort: int | None = None,
        note: str = "",
    ) -> Answers:
        """Check the answers: pain and effort 0-10, times within 24 hours, ``completed`` and
        a stop time not both (``completed`` defaults to true unless a stop time is given).
        Raises ``OptionError`` naming the option."""
        check_score("--pain", pain)
        if effort is not None:
            check_score("--effort", effort)
        if completed and stopped_at_seconds is not None:
            raise OptionError("give --completed or --stopped-at, not both")
        for name, value in (("--stopped-at", stopped_at_seconds), ("played", played_seconds)):
            if value is not None and not 0 <= value < MAX_SECONDS:
                raise OptionError(f"{name} must be 0 to 24 hours in seconds, got {value!r}")
        done = stopped_at_seconds is None if completed is None else bool(completed)
        return cls(
            done, stopped_at_seconds, played_seconds, bool(leak), bool(heaviness),
            bool(bleeding), pain, effort, note or "",
        )  # fmt: skip

    @property
    def running_until(self) -> float | None:
        """How far into the session running counts: all of it when completed, else up to the
        stop (or as long as it played)."""
        if self.completed:
            return None
        return (
            self.stopped_at_seconds
            if self.stopped_at_seconds is not None
            else (self.played_seconds)
        )


def new_enrolment(
    program: str | os.PathLike[str],
    *,
    spm: float | None = None,
    week: int | None = None,
    on: dt.date | None = None,
) -> Enrolment:
    """An enrolment in ``program`` (loaded and checked here) at base cadence ``spm`` (default:
    the program's) from week ``week`` (default 1) on ``on`` (default today)."""
    ref = course.program_ref(program)
    loaded = course.load(ref)
    base = course.check_spm(spm)
    first = 1 if week is None else week
    loaded.check_week(first)
    return Enrolment(
        uid=uuid.uuid4().hex,
        program=ref,
        program_name=loaded.name,
        spm=base if base is not None else (float(loaded.spm) if loaded.spm else None),
        week=first,
        session=1,
        started_on=on or dt.date.today(),
        created_at=now(),
    )


def new_symptom(at_seconds: float, *, on: dt.date | None = None, note: str = "") -> Symptom:
    """A symptom noted ``at_seconds`` into the session played on ``on`` (default today)."""
    if isinstance(at_seconds, bool) or not 0 <= at_seconds < MAX_SECONDS:
        raise OptionError(f"a symptom's time must be within the session, got {at_seconds!r}")
    return Symptom(
        uuid.uuid4().hex, on or dt.date.today(), float(at_seconds), note or "", None, now()
    )


def session_to_log(day: Day, enrolment: Enrolment, given: Position | None = None) -> Position:
    """The session a check-in is about: ``given``, else the one ``today`` offers. Raises while
    running is stopped (until ``resume``, whatever the session), or, without a session given,
    once the program is complete."""
    if day.stopped:
        raise JournalError(
            f"running is stopped: {day.reason} (nothing was logged; after `runcoach resume` "
            "you can log again)"
        )
    if given is not None:
        return given
    if day.position is None:
        raise OptionError(
            f"{enrolment.program_name} is complete: give --week and --session to log a session "
            "of it, or `runcoach start` another program"
        )
    return day.position


def _decided(record: SessionRecord, outcome: Outcome) -> SessionRecord:
    return replace(
        record,
        decision=outcome.decision,
        source=outcome.source,
        finding=outcome.finding,
        reason=outcome.reason,
        next_week=outcome.next.week if outcome.next else None,
        next_session=outcome.next.session if outcome.next else None,
    )


def new_record(
    program: Program,
    shape: Course,
    enrolment: Enrolment,
    on: dt.date,
    here: Position,
    answers: Answers,
    symptoms: int,
) -> SessionRecord:
    """The record of a check-in of session ``here`` run on ``on``, decided by the rule
    (``symptoms``: how many were noted live during it)."""
    found = course.facts(
        program, here.week, here.session, enrolment.spm, until_seconds=answers.running_until
    )
    assert found.running_seconds is not None
    checkin = CheckIn(
        on, here.week, here.session, answers.completed, answers.stopped_at_seconds,
        answers.leak, answers.heaviness, answers.bleeding, answers.pain, symptoms,
    )  # fmt: skip
    stamp = now()
    record = SessionRecord(
        uid=uuid.uuid4().hex, enrolment_uid=enrolment.uid, date=on, program=enrolment.program,
        week=here.week, session=here.session, completed=answers.completed,
        stopped_at_seconds=answers.stopped_at_seconds, played_seconds=answers.played_seconds,
        running_seconds=found.running_seconds, leak=answers.leak, heaviness=answers.heaviness,
        bleeding=answers.bleeding, pain=answers.pain, effort=answers.effort, note=answers.note,
        symptoms=symptoms, next_day_on=None, next_day_pain=None, next_day_leak=None,
        next_day_heaviness=None, next_day_bleeding=None, decision="advance", source="check-in",
        finding="", reason="", next_week=None, next_session=None, resumed_on=None,
        logged_at=stamp, updated_at=stamp,
    )  # fmt: skip
    return _decided(record, decide(checkin, shape))


def with_next_day(
    last: SessionRecord,
    shape: Course,
    on: dt.date,
    *,
    pain: int | None,
    leak: bool,
    heaviness: bool,
    bleeding: bool,
) -> SessionRecord:
    """``last`` with its next-day check (made on ``on``) and the decision made again."""
    if on < last.date:
        raise OptionError(
            f"--date {on} is before the last session ({last.date}); the next-day check is about "
            "the last session"
        )
    amended = replace(
        last, next_day_on=on, next_day_pain=pain, next_day_leak=bool(leak),
        next_day_heaviness=bool(heaviness), next_day_bleeding=bool(bleeding), updated_at=now(),
    )  # fmt: skip
    return _decided(amended, decide(checkin_of(amended), shape))


def resumed(last: SessionRecord | None, on: dt.date) -> SessionRecord:
    """``last`` (a ``stop``) lifted on ``on``; raises when running is not stopped."""
    if last is None or last.decision != "stop" or last.resumed_on is not None:
        raise JournalError("nothing to resume: running is not stopped")
    if on < last.date:
        raise OptionError(f"--date {on} is before the stop ({last.date})")
    return replace(last, resumed_on=on, updated_at=now())


def today_of(program: Program, enrolment: Enrolment, day: Day, *, timings: bool = True) -> Today:
    """What ``today`` shows: the rule's ``day`` with the offered session's plan, base cadence,
    ``runcoach play`` line and (with ``timings``) length and running time; no session while
    stopped or once complete."""
    here = day.position if not day.stopped else None
    found = (
        course.facts(program, here.week, here.session, enrolment.spm, timings=timings)
        if here
        else None
    )
    return Today(
        on=day.on,
        program=enrolment.program,
        program_name=enrolment.program_name,
        week=here.week if here else None,
        session=here.session if here else None,
        plan=found.plan if found else None,
        spm=found.spm if found else enrolment.spm,
        decision=day.decision,
        reason=day.reason,
        rest_day=day.rest_day,
        see_physio=day.see_physio,
        command=course.play_command(enrolment.program, *here, found.spm)
        if here and found
        else None,
        stopped=day.stopped,
        complete=day.complete,
        next_run_on=day.next_run_on,
        physio_reason=day.physio_reason,
        duration_seconds=found.duration_seconds if found else None,
        running_seconds=found.running_seconds if found else None,
    )
