"""The coach around the engine: the journal, the progression rule, reviews of recorded runs and the
report.

The Python API (imported lazily, so ``import runcoach.coach`` stays instant)::

    from runcoach.coach import Journal
    with Journal() as journal:                       # $RUNCOACH_JOURNAL or the user data folder
        journal.start("return-to-run", spm=165)
        print(journal.today().as_json())
        journal.log(leak=False, heaviness=False, pain=2, effort=5)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_LAZY = {
    "Journal": "runcoach.coach.journal",
    "journal_path": "runcoach.coach.schema",
    "AlreadyEnrolled": "runcoach.coach.records",
    "Enrolment": "runcoach.coach.records",
    "History": "runcoach.coach.records",
    "Imported": "runcoach.coach.records",
    "JournalError": "runcoach.coach.records",
    "Position": "runcoach.coach.records",
    "SessionRecord": "runcoach.coach.records",
    "Symptom": "runcoach.coach.records",
    "Today": "runcoach.coach.records",
    "WeekSummary": "runcoach.coach.records",
    "CheckIn": "runcoach.coach.progression",
    "Course": "runcoach.coach.progression",
    "Day": "runcoach.coach.progression",
    "Outcome": "runcoach.coach.progression",
    "RULE": "runcoach.coach.progression",
    "course_of": "runcoach.coach.progression",
    "decide": "runcoach.coach.progression",
    "plan_day": "runcoach.coach.progression",
}

__all__ = [
    "RULE",
    "AlreadyEnrolled",
    "CheckIn",
    "Course",
    "Day",
    "Enrolment",
    "History",
    "Imported",
    "Journal",
    "JournalError",
    "Outcome",
    "Position",
    "SessionRecord",
    "Symptom",
    "Today",
    "WeekSummary",
    "course_of",
    "decide",
    "journal_path",
    "plan_day",
]

if TYPE_CHECKING:
    from runcoach.coach.journal import Journal
    from runcoach.coach.progression import (
        RULE,
        CheckIn,
        Course,
        Day,
        Outcome,
        course_of,
        decide,
        plan_day,
    )
    from runcoach.coach.records import (
        AlreadyEnrolled,
        Enrolment,
        History,
        Imported,
        JournalError,
        Position,
        SessionRecord,
        Symptom,
        Today,
        WeekSummary,
    )
    from runcoach.coach.schema import journal_path


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runcoach.coach' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
