"""The progression rule, row by row: every row of ``RULE`` with a check-in that reaches it, the
decision and next session written out by hand, and the day's view (start, rest days, breaks,
stop and resume, the physiotherapist recommendation, completion)."""

from __future__ import annotations

import datetime as dt

import pytest

from runcoach.coach.progression import (
    RULE,
    CheckIn,
    Course,
    checkin_of,
    course_of,
    decide,
    plan_day,
)
from runcoach.coach.records import Enrolment, Position, SessionRecord
from runcoach.plans.programs import Progression

DAY = dt.date(2025, 3, 10)
#: Three weeks: 3, 3 and 2 sessions.
COURSE = Course((3, 3, 2))


def checkin(**answers: object) -> CheckIn:
    """A check-in of week 2, session 2 on DAY: completed, no symptoms, pain 0, unless told."""
    values: dict[str, object] = {"on": DAY, "week": 2, "session": 2}
    values.update(answers)
    return CheckIn(**values)  # type: ignore[arg-type]


NEXT_DAY = DAY + dt.timedelta(days=1)

# (row of RULE that decides, answers, decision, next position, finding, source)
ROWS = [
    (0, {"bleeding": True}, "stop", (1, 1), "bleeding that is not a period", "check-in"),
    (1, {"pain": 8}, "stop", (1, 1), "pain 8 of 10", "check-in"),
    (1, {"pain": 10}, "stop", (1, 1), "pain 10 of 10", "check-in"),
    (
        2,
        {"next_day_on": NEXT_DAY, "next_day_bleeding": True},
        "stop",
        (1, 1),
        "bleeding that is not a period",
        "next-day check",
    ),
    (
        3,
        {"next_day_on": NEXT_DAY, "next_day_pain": 9},
        "stop",
        (1, 1),
        "pain 9 of 10",
        "next-day check",
    ),
    (4, {"leak": True}, "step_back", (1, 1), "leaking", "check-in"),
    (5, {"heaviness": True}, "step_back", (1, 1), "heaviness or dragging", "check-in"),
    (6, {"pain": 6}, "step_back", (1, 1), "pain 6 of 10", "check-in"),
    (6, {"pain": 7}, "step_back", (1, 1), "pain 7 of 10", "check-in"),
    (
        7,
        {"next_day_on": NEXT_DAY, "next_day_leak": True},
        "step_back",
        (1, 1),
        "leaking",
        "next-day check",
    ),
    (
        8,
        {"next_day_on": NEXT_DAY, "next_day_heaviness": True},
        "step_back",
        (1, 1),
        "heaviness or dragging",
        "next-day check",
    ),
    (
        9,
        {"next_day_on": NEXT_DAY, "next_day_pain": 6},
        "step_back",
        (1, 1),
        "pain 6 of 10",
        "next-day check",
    ),
    (10, {"pain": 4}, "repeat", (2, 2), "pain 4 of 10", "check-in"),
    (10, {"pain": 5}, "repeat", (2, 2), "pain 5 of 10", "check-in"),
    (
        11,
        {"next_day_on": NEXT_DAY, "next_day_pain": 4},
        "repeat",
        (2, 2),
        "pain 4 of 10",
        "next-day check",
    ),
    (
        12,
        {"completed": False, "stopped_at_seconds": 750.0},
        "repeat",
        (2, 2),
        "stopping early at 12:30",
        "check-in",
    ),
    (12, {"completed": False}, "repeat", (2, 2), "stopping early", "check-in"),
    (13, {"symptoms": 1}, "repeat", (2, 2), "a symptom noted during the session", "check-in"),
    (13, {"symptoms": 2}, "repeat", (2, 2), "2 symptoms noted during the session", "check-in"),
    (
        14,
        {"pain": 3},
        "advance",
        (2, 3),
        "a completed session with pain 3 of 10 and no leaking or heaviness",
        "check-in",
    ),
    (
        14,
        {"pain": 0, "next_day_on": NEXT_DAY, "next_day_pain": 3},
        "advance",
        (2, 3),
        "a completed session with pain 0 of 10 and no leaking or heaviness",
        "check-in",
    ),
]


@pytest.mark.parametrize(("row", "answers", "decision", "nxt", "finding", "source"), ROWS)
def test_every_row_of_the_rule(row, answers, decision, nxt, finding, source):
    c = checkin(**answers)
    deciding = next(i for i, r in enumerate(RULE) if r.finding(c, COURSE.thresholds) is not None)
    assert deciding == row
    outcome = decide(c, COURSE)
    assert (outcome.decision, outcome.next, outcome.finding, outcome.source) == (
        decision,
        Position(*nxt),
        finding,
        source,
    )
    assert finding in outcome.reason
    where = (
        "next-day check of 2025-03-11" if source == "next-day check" else "check-in of 2025-03-10"
    )
    assert where in outcome.reason and "week 2, session 2" in outcome.reason


def test_the_table_covers_every_row():
    assert sorted({row for row, *_ in ROWS}) == list(range(len(RULE)))
    assert [r.decision for r in RULE] == ["stop"] * 4 + ["step_back"] * 6 + ["repeat"] * 4 + [
        "advance"
    ]


@pytest.mark.parametrize(
    ("answers", "decision"),
    [
        ({"bleeding": True, "leak": True, "pain": 5}, "stop"),  # the worst finding decides
        ({"leak": True, "pain": 5, "completed": False}, "step_back"),
        ({"pain": 3, "completed": False}, "repeat"),
        ({"heaviness": True, "next_day_on": NEXT_DAY, "next_day_pain": 8}, "stop"),
    ],
)
def test_the_first_matching_row_wins(answers, decision):
    assert decide(checkin(**answers), COURSE).decision == decision


@pytest.mark.parametrize(
    ("here", "decision", "nxt"),
    [
        ((1, 1), "advance", (1, 2)),
        ((1, 3), "advance", (2, 1)),  # a week's last session: on to the next week
        ((3, 1), "advance", (3, 2)),
        ((3, 2), "advance", None),  # the program's last session: complete
        ((1, 2), "step_back", (1, 1)),  # week 1 cannot go back further
        ((3, 2), "step_back", (2, 1)),
        ((3, 1), "stop", (2, 1)),  # where a resumed runner starts again
    ],
)
def test_next_session_at_the_edges(here, decision, nxt):
    answers = {"advance": {}, "step_back": {"leak": True}, "stop": {"pain": 9}}[decision]
    outcome = decide(checkin(week=here[0], session=here[1], **answers), COURSE)
    assert outcome.decision == decision
    assert outcome.next == (Position(*nxt) if nxt else None)
    if nxt is None:
        assert "the program is complete" in outcome.reason


def test_a_programs_thresholds_move_the_rows():
    course = Course((3, 3), Progression(stop_pain=9, step_back_pain=7, repeat_pain=5))
    assert [decide(checkin(pain=p), course).decision for p in (4, 5, 6, 7, 8, 9)] == [
        "advance",
        "repeat",
        "repeat",
        "step_back",
        "step_back",
        "stop",
    ]


# -- the day -----------------------------------------------------------------------------------

ENROLMENT = Enrolment("e1", "return-to-run", "Return to run", 165.0, 2, 1, DAY, "t0")


def record(
    day: int,
    decision: str,
    nxt: tuple[int, int] | None,
    *,
    week: int = 2,
    session: int = 1,
    resumed: int | None = None,
    finding: str = "pain 8 of 10",
    source: str = "check-in",
) -> SessionRecord:
    """A stored session ``day`` days after DAY with the given decision."""
    return SessionRecord(
        uid=f"s{day}-{decision}",
        enrolment_uid="e1",
        date=DAY + dt.timedelta(days=day),
        program="return-to-run",
        week=week,
        session=session,
        completed=True,
        stopped_at_seconds=None,
        played_seconds=None,
        running_seconds=600.0,
        leak=False,
        heaviness=False,
        bleeding=False,
        pain=1,
        effort=None,
        note="",
        symptoms=0,
        next_day_on=None,
        next_day_pain=None,
        next_day_leak=None,
        next_day_heaviness=None,
        next_day_bleeding=None,
        decision=decision,
        source=source,
        finding=finding,
        reason=f"stored reason {day}",
        next_week=nxt[0] if nxt else None,
        next_session=nxt[1] if nxt else None,
        resumed_on=DAY + dt.timedelta(days=resumed) if resumed is not None else None,
        logged_at=f"t{day:03d}",
        updated_at=f"t{day:03d}",
    )


def on(days: int) -> dt.date:
    return DAY + dt.timedelta(days=days)


def test_first_day_starts_at_the_enrolment():
    day = plan_day(COURSE, ENROLMENT, [], on(0))
    assert (day.decision, day.position, day.rest_day, day.see_physio) == (
        "start",
        Position(2, 1),
        False,
        False,
    )
    assert "Return to run" in day.reason


def test_the_last_decision_and_its_stored_reason_are_the_days():
    day = plan_day(COURSE, ENROLMENT, [record(0, "advance", (2, 2))], on(3))
    assert (day.decision, day.reason, day.position) == ("advance", "stored reason 0", (2, 2))


@pytest.mark.parametrize(
    ("rest_days", "after", "rest"),
    [(1, 0, True), (1, 1, True), (1, 2, False), (0, 0, False), (2, 2, True), (2, 3, False)],
)
def test_rest_days(rest_days, after, rest):
    course = Course((3, 3, 2), rest_days=rest_days)
    day = plan_day(course, ENROLMENT, [record(0, "advance", (2, 2))], on(after))
    assert day.rest_day is rest
    assert day.next_run_on == (on(rest_days + 1) if rest else None)
    assert day.position == (2, 2)  # the session is still shown


@pytest.mark.parametrize(
    ("after", "position", "decision"),
    [(13, (3, 2), "advance"), (14, (2, 1), "step_back"), (60, (2, 1), "step_back")],
)
def test_a_break_of_14_days_goes_back_a_week(after, position, decision):
    day = plan_day(COURSE, ENROLMENT, [record(0, "advance", (3, 2), week=3)], on(after))
    assert (day.decision, day.position) == (decision, Position(*position))
    if decision == "step_back":
        assert f"{after} days" in day.reason and "2025-03-10" in day.reason


def test_a_program_can_set_its_own_break():
    course = Course((3, 3, 2), Progression(break_days=7))
    assert plan_day(course, ENROLMENT, [record(0, "repeat", (2, 2))], on(7)).position == (1, 1)


def test_stop_until_resume_then_a_week_back():
    stop = record(0, "stop", (1, 1), week=2, session=3)
    day = plan_day(COURSE, ENROLMENT, [stop], on(5))
    assert (day.decision, day.stopped, day.reason) == ("stop", True, "stored reason 0")
    day = plan_day(COURSE, ENROLMENT, [stop], on(40))  # no break rule while stopped
    assert (day.decision, day.stopped) == ("stop", True)
    resumed = record(0, "stop", (1, 1), week=2, session=3, resumed=4)
    day = plan_day(COURSE, ENROLMENT, [resumed], on(5))
    assert (day.decision, day.stopped, day.position) == ("step_back", False, (1, 1))
    assert "resumed on 2025-03-14" in day.reason and "pain 8 of 10" in day.reason


@pytest.mark.parametrize(
    ("backs", "asked", "physio"),
    [
        ((0, 10), 12, True),
        ((0, 14), 14, True),
        ((0, 10), 15, False),
        ((0,), 1, False),
        ((0, 5, 20), 20, False),
        ((0, 5, 20), 14, True),
        ((0, 5, 20), 19, False),
    ],
)
def test_two_step_backs_within_14_days_recommend_a_physio(backs, asked, physio):
    rows = [record(d, "step_back", (1, 1)) for d in backs]
    day = plan_day(COURSE, ENROLMENT, rows, on(asked))
    assert day.see_physio is physio
    assert day.position is not None  # the session is still offered
    assert (day.physio_reason is not None) is physio


def test_a_complete_program_stays_complete():
    rows = [record(0, "advance", None, week=3, session=2)]
    for after in (1, 30):
        day = plan_day(COURSE, ENROLMENT, rows, on(after))
        assert day.complete and day.position is None and day.decision == "advance"


def test_sessions_after_the_day_asked_are_not_counted():
    rows = [record(0, "advance", (2, 2)), record(5, "step_back", (1, 1))]
    assert plan_day(COURSE, ENROLMENT, rows, on(3)).position == (2, 2)
    assert plan_day(COURSE, ENROLMENT, rows, on(5)).position == (1, 1)


def test_checkin_of_a_record_decides_the_same():
    stored = record(0, "advance", (2, 2))
    assert decide(checkin_of(stored), COURSE).next == Position(2, 2)


def test_course_of_a_program_reads_its_shape_and_settings():
    from runcoach.plans import load_program

    program = load_program("return-to-run")
    course = course_of(program)
    assert course.sessions_per_week == tuple(len(w.sessions) for w in program.weeks)
    assert course.rest_days == 1
    assert course.thresholds == Progression()
