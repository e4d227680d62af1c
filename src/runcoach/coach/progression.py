"""The progression rule: the next session, chosen by how the body answered.

Pure functions of the journal's rows and the program's shape, so every row of the rule is one
line of a table here and one line of a table-driven test. The sources behind it: Goom, Donnelly &
Brockwell 2019 (*Returning to running postnatal*: leaking, heaviness or dragging, pelvic pain and
bleeding that is not a period are signals to back off or seek help); Deering et al., BJSM 2024
(progression follows symptoms, not a fixed plan); pain monitoring as physiotherapists use it
(0-3 of 10 safe, 4-5 acceptable, above 5 too much, judged during the activity and over the next
24 hours).

:data:`RULE` is read top to bottom and the first row that matches decides:

=========  ==========================================================  =========================
decision   when (defaults; a program's ``progression:`` block moves     next session
           the thresholds)
=========  ==========================================================  =========================
stop       bleeding that is not a period, or pain >= 8 (in the          none until ``resume``;
           session or at the next-day check)                            then max(w - 1, 1), 1
step_back  leaking or heaviness (session or next day), or pain >= 6     max(w - 1, 1), session 1
repeat     pain 4-5 (session or next day), stopped early, or a          the same (w, s)
           symptom noted live during the session (the ``w`` key)
advance    otherwise                                                    (w, s + 1), or (w + 1, 1)
=========  ==========================================================  =========================

Over the rows, :func:`plan_day` adds the day's view: a break of 14 days or more since the last
session steps back one week; two step-backs within 14 days recommend a pelvic-health
physiotherapist; a session the same day or the day before makes a rest day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from runcoach.coach.records import Enrolment, Position, SessionRecord
from runcoach.plans.programs import Progression
from runcoach.plans.units import format_seconds, plural

if TYPE_CHECKING:
    from runcoach.plans.programs import Program

#: The rule's thresholds when a program has no ``progression:`` block.
DEFAULT_PROGRESSION = Progression()


@dataclass(frozen=True)
class Course:
    """What the rule needs of a program: how many sessions each week has, its thresholds, and
    how many rest days it asks for between runs."""

    sessions_per_week: tuple[int, ...]
    thresholds: Progression = DEFAULT_PROGRESSION
    rest_days: int = 1

    def after(self, here: Position) -> Position | None:
        """The session after ``here``; ``None`` after the program's last session."""
        if here.session < self.sessions_per_week[here.week - 1]:
            return Position(here.week, here.session + 1)
        if here.week < len(self.sessions_per_week):
            return Position(here.week + 1, 1)
        return None

    def back(self, here: Position) -> Position:
        """One week back from ``here``: week max(w - 1, 1), session 1."""
        return Position(max(here.week - 1, 1), 1)


def course_of(program: Program) -> Course:
    """The :class:`Course` of a program: its weeks' session counts, its ``progression:``
    thresholds (the defaults when it has none) and its ``rest_days`` (default 1)."""
    return Course(
        tuple(len(week.sessions) for week in program.weeks),
        program.progression,
        program.rest_days,
    )


@dataclass(frozen=True)
class CheckIn:
    """The answers about one session (``week``, ``session``, run on ``on``): completed or
    stopped early, leaking, heaviness or dragging, bleeding that is not a period, pain 0-10,
    symptoms noted live; and the next-day check's answers, when it was made."""

    on: dt.date
    week: int
    session: int
    completed: bool = True
    stopped_at_seconds: float | None = None
    leak: bool = False
    heaviness: bool = False
    bleeding: bool = False
    pain: int = 0
    symptoms: int = 0
    next_day_on: dt.date | None = None
    next_day_pain: int | None = None
    next_day_leak: bool = False
    next_day_heaviness: bool = False
    next_day_bleeding: bool = False


def checkin_of(record: SessionRecord) -> CheckIn:
    """The :class:`CheckIn` a stored session holds (to decide again after a next-day check)."""
    return CheckIn(
        on=record.date,
        week=record.week,
        session=record.session,
        completed=record.completed,
        stopped_at_seconds=record.stopped_at_seconds,
        leak=record.leak,
        heaviness=record.heaviness,
        bleeding=record.bleeding,
        pain=record.pain,
        symptoms=record.symptoms,
        next_day_on=record.next_day_on,
        next_day_pain=record.next_day_pain,
        next_day_leak=bool(record.next_day_leak),
        next_day_heaviness=bool(record.next_day_heaviness),
        next_day_bleeding=bool(record.next_day_bleeding),
    )


Finding = Callable[[CheckIn, Progression], "str | None"]


@dataclass(frozen=True)
class Row:
    """One row of the rule: when ``finding`` names something in a check-in from ``source``,
    the decision is ``decision``."""

    decision: str
    source: str
    finding: Finding


def _pain(value: int | None, at_least: int) -> str | None:
    return f"pain {value} of 10" if value is not None and value >= at_least else None


def _stopped(c: CheckIn, t: Progression) -> str | None:
    if c.completed:
        return None
    at = "" if c.stopped_at_seconds is None else f" at {format_seconds(c.stopped_at_seconds)}"
    return f"stopping early{at}"


def _noted(c: CheckIn, t: Progression) -> str | None:
    if not c.symptoms:
        return None
    return (
        "a symptom noted during the session"
        if c.symptoms == 1
        else (f"{c.symptoms} symptoms noted during the session")
    )


CHECK_IN = "check-in"
NEXT_DAY = "next-day check"

#: The rule, read top to bottom: the first row whose finding is not ``None`` decides.
RULE: tuple[Row, ...] = (
    Row("stop", CHECK_IN, lambda c, t: "bleeding that is not a period" if c.bleeding else None),
    Row("stop", CHECK_IN, lambda c, t: _pain(c.pain, t.stop_pain)),
    Row(
        "stop",
        NEXT_DAY,
        lambda c, t: "bleeding that is not a period" if c.next_day_bleeding else None,
    ),
    Row("stop", NEXT_DAY, lambda c, t: _pain(c.next_day_pain, t.stop_pain)),
    Row("step_back", CHECK_IN, lambda c, t: "leaking" if c.leak else None),
    Row("step_back", CHECK_IN, lambda c, t: "heaviness or dragging" if c.heaviness else None),
    Row("step_back", CHECK_IN, lambda c, t: _pain(c.pain, t.step_back_pain)),
    Row("step_back", NEXT_DAY, lambda c, t: "leaking" if c.next_day_leak else None),
    Row(
        "step_back",
        NEXT_DAY,
        lambda c, t: "heaviness or dragging" if c.next_day_heaviness else None,
    ),
    Row("step_back", NEXT_DAY, lambda c, t: _pain(c.next_day_pain, t.step_back_pain)),
    Row("repeat", CHECK_IN, lambda c, t: _pain(c.pain, t.repeat_pain)),
    Row("repeat", NEXT_DAY, lambda c, t: _pain(c.next_day_pain, t.repeat_pain)),
    Row("repeat", CHECK_IN, _stopped),
    Row("repeat", CHECK_IN, _noted),
    Row(
        "advance",
        CHECK_IN,
        lambda c, t: f"a completed session with pain {c.pain} of 10 and no leaking or heaviness",
    ),
)


@dataclass(frozen=True)
class Outcome:
    """A decision about one check-in: what it is, which answer decided it (``source``,
    ``finding``), the one-sentence ``reason``, and the next session (``None``: the program is
    complete; for ``stop``, the session offered after ``resume``)."""

    decision: str
    source: str
    finding: str
    reason: str
    next: Position | None


def _where(source: str, c: CheckIn) -> str:
    if source == NEXT_DAY and c.next_day_on is not None:
        return (
            f"The next-day check of {c.next_day_on} after week {c.week}, session {c.session} "
            f"({c.on})"
        )
    return f"The check-in of {c.on} (week {c.week}, session {c.session})"


def decide(checkin: CheckIn, course: Course) -> Outcome:
    """Apply :data:`RULE` to ``checkin`` for a program shaped like ``course``.

    Returns the :class:`Outcome`: the decision, the answer that decided it, a one-sentence
    reason naming the check-in, and the next session.
    """
    here = Position(checkin.week, checkin.session)
    for row in RULE:
        finding = row.finding(checkin, course.thresholds)
        if finding is not None:
            break
    else:  # pragma: no cover - the last row always matches
        raise AssertionError("the rule's last row must always match")
    where = _where(row.source, checkin)
    nxt: Position | None
    if row.decision == "stop":
        nxt = course.back(here)
        then = (
            "stop running and see a health professional before running again, then confirm "
            "with `runcoach resume`"
        )
    elif row.decision == "step_back":
        nxt = course.back(here)
        then = f"back to week {nxt.week}, session {nxt.session}"
    elif row.decision == "repeat":
        nxt = here
        then = f"repeat week {here.week}, session {here.session}"
    else:
        nxt = course.after(here)
        then = (
            "that was the program's last session: the program is complete"
            if nxt is None
            else f"on to week {nxt.week}, session {nxt.session}"
        )
    return Outcome(row.decision, row.source, finding, f"{where} reported {finding}: {then}.", nxt)


@dataclass(frozen=True)
class Day:
    """The rule's answer for one day: the ``decision`` and ``reason`` that put the runner at
    ``position`` (``None`` when the program is complete), whether running is stopped (until
    ``resume``), whether it is a rest day (the next run from ``next_run_on``), and whether a
    pelvic-health physiotherapist is recommended (``physio_reason`` says why)."""

    on: dt.date
    decision: str
    reason: str
    position: Position | None
    stopped: bool = False
    rest_day: bool = False
    next_run_on: dt.date | None = None
    see_physio: bool = False
    physio_reason: str | None = None

    @property
    def complete(self) -> bool:
        """True when the program's last session is done."""
        return self.position is None


def plan_day(
    course: Course,
    enrolment: Enrolment,
    sessions: Sequence[SessionRecord],
    on: dt.date,
) -> Day:
    """What the rule says for day ``on``, from the enrolment and its sessions (oldest first;
    at least the last one and those within the physiotherapist window; sessions after ``on``
    are not counted)."""
    rows = [r for r in sessions if r.date <= on]
    t = course.thresholds
    if not rows:
        reason = (
            f"You enrolled in {enrolment.program_name} on {enrolment.started_on} at week "
            f"{enrolment.week}, session {enrolment.session}: no check-in yet, this is the first "
            "session."
        )
        return Day(on, "start", reason, enrolment.position)
    last = rows[-1]
    stopped = last.decision == "stop" and last.resumed_on is None
    decision, reason, position = last.decision, last.reason, last.next_position
    if last.decision == "stop" and not stopped:
        decision = "step_back"
        told = last.next_day_on if last.source == NEXT_DAY and last.next_day_on else last.date
        reason = (
            f"You resumed on {last.resumed_on} after the stop at week {last.week}, session "
            f"{last.session} ({last.finding} at the {last.source} of {told}): back to week "
            f"{position.week if position else 1}, session 1."
        )
    idle = (on - last.date).days
    if position is not None and not stopped and idle >= t.break_days:
        position = course.back(position)
        decision = "step_back"
        reason = (
            f"The last check-in ({last.date}, week {last.week}, session {last.session}) was "
            f"{plural(idle, 'day')} before {on}: after a break of "
            f"{plural(t.break_days, 'day')} or more, back to "
            f"week {position.week}, session 1."
        )
    rest_day = course.rest_days > 0 and 0 <= idle <= course.rest_days
    next_run = last.date + dt.timedelta(days=course.rest_days + 1) if rest_day else None
    backs = [
        r for r in rows if r.decision == "step_back" and (on - r.date).days <= t.physio_window_days
    ]
    physio = len(backs) >= t.physio_step_backs
    physio_reason = (
        f"{plural(len(backs), 'step-back')} within {plural(t.physio_window_days, 'day')} ("
        + ", ".join(str(r.date) for r in backs)
        + "): see a pelvic-health physiotherapist, who can guide your return to running; the "
        "session is still offered."
        if physio
        else None
    )
    return Day(on, decision, reason, position, stopped, rest_day, next_run, physio, physio_reason)
