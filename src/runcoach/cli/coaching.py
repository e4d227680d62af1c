"""What the coach's commands share (:mod:`runcoach.cli.coach`, :mod:`runcoach.cli.journal`, and
``play``/``render --today``): dates from options, the terminal test, the journal, JSON output,
the check-in questions, and the journal side of playing a session (:class:`Coached`). No
commands here."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from runcoach.cli.base import say
from runcoach.errors import ExitCode, OptionError, RunCoachError

if TYPE_CHECKING:
    from runcoach.coach.journal import Journal
    from runcoach.coach.records import SessionRecord
    from runcoach.live.status import NotedSymptom, Summary

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print JSON (the documented keys) instead of text.")
]
DateOpt = Annotated[
    str | None,
    typer.Option(
        "--date", "--on", metavar="YYYY-MM-DD", help="The day, YYYY-MM-DD.", show_default="today"
    ),
]
SCORE_HELP = "0 (none) to 10 (the worst imaginable)."


def parse_day(text: str | None, option: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` option value as a date (``None`` when not given)."""
    if text is None:
        return None
    try:
        if ISO_DATE.match(text.strip()):
            return dt.date.fromisoformat(text.strip())
    except ValueError:
        pass
    raise OptionError(f"{option} must be a date YYYY-MM-DD, got {text!r}")


def is_terminal() -> bool:
    """True when a person can answer questions (stdin and stdout are a terminal)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def open_journal() -> Journal:
    from runcoach.coach.journal import Journal

    return Journal()


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


# -- the check-in questions (``runcoach log``, and ``play`` when a session ends) --------------

OPTION_NAMES = {
    "completed": "--completed or --stopped-at",
    "leak": "--leak/--no-leak",
    "heaviness": "--heaviness/--no-heaviness",
    "bleeding": "--bleeding/--no-bleeding",
    "pain": "--pain",
    "effort": "--effort",
    "note": "--note",
}
QUESTIONS = {
    "leak": "Any leaking (urine or bowel)?",
    "heaviness": "Any heaviness or dragging in the pelvis?",
    "bleeding": "Any bleeding that is not a period?",
    "pain": "Pain, 0 (none) to 10 (the worst imaginable)",
    "effort": "Effort, 0 (rest) to 10 (all-out)",
    "note": "A note (optional)",
}


def ask_missing(values: dict[str, Any], missing: list[str]) -> dict[str, Any]:
    """Ask for the missing answers on a terminal, or exit 2 naming them."""
    if not missing:
        return values
    if not is_terminal():
        raise OptionError(
            "missing answers: "
            + ", ".join(OPTION_NAMES[name] for name in missing)
            + " (no terminal to ask on: give them as options)"
        )
    from rich.prompt import Confirm, IntPrompt, Prompt

    for name in missing:
        if name == "completed":
            values["completed"] = Confirm.ask("Did you complete the whole session?")
            if not values["completed"]:
                values["stopped_at"] = Prompt.ask("Where did you stop (e.g. 12m or 12:30)?")
        elif name in ("pain", "effort"):
            values[name] = IntPrompt.ask(
                QUESTIONS[name], choices=[str(i) for i in range(11)], show_choices=False
            )
        elif name == "note":
            values["note"] = Prompt.ask(QUESTIONS[name], default="")
        else:
            values[name] = Confirm.ask(QUESTIONS[name])
    return values


# -- a session played for the journal: ``play``/``render --today``, and ``play``'s check-in ---


@dataclass(frozen=True)
class Coached:
    """A session of the enrolled program played for the journal: session ``session`` of week
    ``week`` of ``program`` (the journal's name for it) at base cadence ``spm``, on ``day``."""

    program: str
    program_name: str
    week: int
    session: int
    spm: float
    day: dt.date


def todays_session(doing: str, given: dict[str, object]) -> Coached:
    """The session ``runcoach today`` offers today, for ``--today`` (``doing``: ``playing`` or
    ``rendering``, for the rest-day warning). ``given``: the options that would choose another
    session (option name to value, ``None`` when not given); any given raises ``OptionError``
    naming it. While running is stopped or once the program is complete, say so in one line
    and exit 2; on a rest day, warn and go on."""
    clash = [name for name, value in given.items() if value is not None]
    if clash:
        raise OptionError(
            f"--today plays the session `runcoach today` offers: leave out {', '.join(clash)} "
            "(or leave out --today)"
        )
    day = dt.date.today()
    with open_journal() as journal:
        today = journal.today(day, timings=False)
    if today.stopped:
        say(f"runcoach: no session today: {today.reason}")
        raise typer.Exit(ExitCode.BAD_INPUT)
    if today.week is None or today.session is None or today.spm is None:
        say(
            f"runcoach: no session today: {today.program_name} is complete; "
            "`runcoach start` another program"
        )
        raise typer.Exit(ExitCode.BAD_INPUT)
    if today.rest_day:
        later = f"; next run from {today.next_run_on}" if today.next_run_on else ""
        say(
            f"runcoach: warning: today is a rest day (the program asks for one between runs"
            f"{later}); {doing} week {today.week}, session {today.session} anyway"
        )
    return Coached(today.program, today.program_name, today.week, today.session, today.spm, day)


def journal_session(plan: str | None, week: int | None, session: int | None) -> Coached | None:
    """The journal session an explicit ``--plan PROGRAM --week W --session S`` plays: the one
    ``runcoach today`` offers today, when the enrolment is in that program (else ``None``). A
    journal that cannot be read is not used: one warning line, and play goes on."""
    if plan is None or week is None or session is None:
        return None
    from runcoach.coach.course import program_ref

    day = dt.date.today()
    try:
        with open_journal() as journal:
            enrolment = journal.enrolment()
            if enrolment is None or enrolment.program != program_ref(plan):
                return None
            today = journal.today(day, timings=False)
    except RunCoachError as err:
        say(f"runcoach: warning: the journal is not used for this session: {err}")
        return None
    if today.stopped or (today.week, today.session) != (week, session) or today.spm is None:
        return None
    return Coached(today.program, today.program_name, week, session, today.spm, day)


def _stop_seconds(summary: Summary, planned_seconds: float) -> float | None:
    """Where play stopped in the session (``None`` when it played to the end), at most the
    planned session's length."""
    if summary.completed:
        return None
    return min(summary.end_frame / summary.rate, planned_seconds)


def play_note(summary: Summary) -> str:
    """What play adds to the check-in's note: ``played 12:30, 5 of 14 segments done``."""
    from runcoach.plans.units import format_seconds, plural

    note = (
        f"played {format_seconds(summary.played_seconds)}, "
        f"{summary.segments_done} of {plural(summary.segment_count, 'segment')} done"
    )
    return note + (f", {summary.skipped} skipped" if summary.skipped else "")


def log_command(coached: Coached, summary: Summary, planned_seconds: float) -> str:
    """The ``runcoach log`` line that logs the played session (a terminal asks the rest)."""
    from runcoach.plans.units import format_seconds

    stopped = _stop_seconds(summary, planned_seconds)
    if stopped is None:
        how = "--completed"
    else:
        tenths = math.floor(stopped * 10) / 10  # never past the end
        how = "--stopped-at " + (format_seconds(tenths, tenths=True) if tenths > 0 else "0")
    return (
        f"runcoach log --date {coached.day} --week {coached.week} --session {coached.session} "
        f"{how} --note {shlex.quote(play_note(summary))}"
    )


def note_symptoms(coached: Coached, symptoms: Sequence[NotedSymptom]) -> None:
    """Note in the journal each time ``w`` was pressed (before the check-in, which counts
    them)."""
    if not symptoms:
        return
    with open_journal() as journal:
        for symptom in symptoms:
            journal.note_symptom(symptom.seconds, on=coached.day, note=f"during {symptom.segment}")


def not_logged(coached: Coached, summary: Summary, planned_seconds: float) -> None:
    """After play was cut short (Ctrl-C, a lost device): say how to log the session."""
    say(
        "runcoach: the session was not logged; log it with: "
        + log_command(coached, summary, planned_seconds)
    )


def check_in_after_play(
    coached: Coached, summary: Summary, planned_seconds: float
) -> SessionRecord | None:
    """Log the played session: on a terminal, ask the check-in questions now and log it
    with the time played and where it stopped; without one, print the ``runcoach log`` line
    that logs it (the journal needs the pain, leaking and heaviness answers) and log nothing."""
    command = log_command(coached, summary, planned_seconds)
    if not is_terminal():
        typer.echo(
            "Check-in not logged (no terminal to ask on); log it with this command, which asks "
            "pain, leaking and heaviness on a terminal (elsewhere add --pain N "
            f"--leak/--no-leak --heaviness/--no-heaviness): {command}"
        )
        return None
    typer.echo(f"Check-in: week {coached.week}, session {coached.session} of {coached.day}")
    values: dict[str, Any] = dict.fromkeys(("leak", "heaviness", "bleeding", "pain", "effort"))
    try:
        values = ask_missing(values, [*values, "note"])
    except (KeyboardInterrupt, EOFError) as err:
        say(f"runcoach: nothing was logged; log it with: {command}")
        if isinstance(err, EOFError):
            raise OptionError("the check-in was not answered") from None
        raise
    note = play_note(summary)
    if values["note"]:
        note = f"{values['note']} ({note})"
    with open_journal() as journal:
        record = journal.log(
            on=coached.day, week=coached.week, session=coached.session,
            completed=summary.completed,
            stopped_at_seconds=_stop_seconds(summary, planned_seconds),
            played_seconds=summary.played_seconds, leak=values["leak"],
            heaviness=values["heaviness"], bleeding=bool(values["bleeding"]),
            pain=values["pain"], effort=values["effort"], note=note,
        )  # fmt: skip
    from runcoach.coach.text import logged_text

    typer.echo(logged_text(record))
    return record
