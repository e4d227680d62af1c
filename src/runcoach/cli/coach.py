"""The coach on the command line: ``runcoach start``, ``today``, ``log`` and ``resume``
(``history`` and ``journal`` are in :mod:`runcoach.cli.journal`).

Thin: parse the options, call :class:`runcoach.coach.Journal`, print. Rich prompts and tables
only on a terminal; plain lines otherwise; ``--json`` prints exactly the documented keys.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from runcoach.cli.base import app, make_console
from runcoach.cli.coaching import (
    SCORE_HELP,
    DateOpt,
    JsonOpt,
    is_terminal,
    open_journal,
    parse_day,
    print_json,
)
from runcoach.cli.coaching import ask_missing as _ask_missing
from runcoach.cli.options import SessionOpt, WeekOpt
from runcoach.errors import OptionError, PlanError
from runcoach.plans.units import MAX_SPM, MIN_SPM

if TYPE_CHECKING:
    from runcoach.coach.records import SessionRecord, Today


# -- start ----------------------------------------------------------------------------------


@app.command()
def start(
    program: Annotated[
        str,
        typer.Argument(
            metavar="PROGRAM",
            help="A program: built-in (see `runcoach plans`), yours by name, or a YAML file.",
            show_default=False,
        ),
    ],
    spm: Annotated[
        float | None,
        typer.Option(
            "--spm",
            "-s",
            metavar="SPM",
            help=f"Your base cadence in steps per minute, {MIN_SPM} to {MAX_SPM}.",
            show_default="the program's",
        ),
    ] = None,
    week: WeekOpt = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Replace the current enrolment without asking.")
    ] = False,
    date: DateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Enrol in a program at your cadence; `runcoach today` then says what to do.

    Examples:

      runcoach start return-to-run --spm 165

      runcoach start return-to-run --week 3 --yes
    """
    from runcoach.coach.records import AlreadyEnrolled

    on = parse_day(date, "--date")
    with open_journal() as journal:
        try:
            enrolment = journal.start(program, spm=spm, week=week, on=on, replace=yes)
        except AlreadyEnrolled as err:
            if not is_terminal():
                raise
            from rich.prompt import Confirm

            current = err.enrolment
            question = (
                f"You are enrolled in {current.program_name} since {current.started_on}. "
                "Replace that enrolment (every logged session stays in the journal)?"
            )
            if not Confirm.ask(question, default=False):
                typer.echo("Nothing changed.")
                return
            enrolment = journal.start(program, spm=spm, week=week, on=on)
    if as_json:
        print_json(
            {
                "program": enrolment.program,
                "program_name": enrolment.program_name,
                "spm": enrolment.spm,
                "week": enrolment.week,
                "started_on": enrolment.started_on.isoformat(),
            }
        )
        return
    from runcoach.coach.course import format_spm

    cadence = f" at {format_spm(enrolment.spm)} spm" if enrolment.spm is not None else ""
    typer.echo(
        f"Enrolled in {enrolment.program_name} ({enrolment.program}) from week "
        f"{enrolment.week}{cadence} on {enrolment.started_on}.\nNext: runcoach today"
    )


# -- today ----------------------------------------------------------------------------------


def _show_today(today: Today) -> None:
    from runcoach.coach.text import today_lines

    lines = today_lines(today)
    if not sys.stdout.isatty():
        for label, text in lines:
            typer.echo(f"{label}: {text}")
        return
    from rich.markup import escape
    from rich.panel import Panel

    styles = {
        "Stop": "bold red",
        "Physio": "bold yellow",
        "Rest day": "cyan",
        "Complete": "bold green",
        "Play it": "bold",
    }
    body = "\n".join(
        f"[{styles.get(label, 'dim')}]{label}:[/] {escape(text)}" for label, text in lines
    )
    make_console().print(Panel(body, title=f"runcoach today: {today.on}", expand=False))


@app.command()
def today(
    on: Annotated[
        str | None,
        typer.Option(
            "--on",
            "--date",
            metavar="YYYY-MM-DD",
            help="The day, YYYY-MM-DD.",
            show_default="today",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """What to do today: the session, or a rest day, or a stop, and the check-in that decided.

    JSON keys: program, week, session, plan, spm, decision (start, advance, repeat, step_back
    or stop), reason, rest_day, see_physio, command.

    Examples:

      runcoach today

      runcoach today --on 2025-03-04 --json
    """
    with open_journal() as journal:
        answer = journal.today(parse_day(on, "--on"), timings=not as_json)
    if as_json:
        print_json(answer.as_json())
    else:
        _show_today(answer)


# -- log ------------------------------------------------------------------------------------


def _seconds(text: str | None) -> float | None:
    """``--stopped-at``: a duration (``12:30``, ``12m30s``) or a whole number of seconds."""
    if text is None:
        return None
    if text.strip().isdigit() and text.isascii():
        return float(text.strip())
    from runcoach.plans import parse_duration

    try:
        return float(parse_duration(text))
    except PlanError as err:
        raise OptionError(f"--stopped-at: {err.problem}") from None


def _show_logged(record: SessionRecord, as_json: bool, *, next_day: bool = False) -> None:
    from runcoach.coach.text import logged_text

    if as_json:
        print_json(record.as_json())
    else:
        typer.echo(logged_text(record, next_day=next_day))


@app.command()
def log(
    week: WeekOpt = None,
    session: SessionOpt = None,
    date: DateOpt = None,
    completed: Annotated[
        bool, typer.Option("--completed", help="You ran the whole session.")
    ] = False,
    stopped_at: Annotated[
        str | None,
        typer.Option(
            "--stopped-at",
            metavar="TIME",
            help="You stopped early, this far in (12:30, 12m30s, or seconds).",
            show_default=False,
        ),
    ] = None,
    leak: Annotated[
        bool | None, typer.Option("--leak/--no-leak", help="Any leaking.", show_default=False)
    ] = None,
    heaviness: Annotated[
        bool | None,
        typer.Option(
            "--heaviness/--no-heaviness", help="Heaviness or dragging.", show_default=False
        ),
    ] = None,
    bleeding: Annotated[
        bool | None,
        typer.Option(
            "--bleeding/--no-bleeding", help="Bleeding that is not a period.", show_default=False
        ),
    ] = None,
    pain: Annotated[
        int | None,
        typer.Option(
            "--pain", metavar="0-10", min=0, max=10, help="Pain, " + SCORE_HELP, show_default=False
        ),
    ] = None,
    effort: Annotated[
        int | None,
        typer.Option(
            "--effort",
            metavar="0-10",
            min=0,
            max=10,
            help="Effort, " + SCORE_HELP,
            show_default=False,
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", metavar="TEXT", help="A note.", show_default=False)
    ] = None,
    next_day: Annotated[
        bool,
        typer.Option(
            "--next-day",
            help="The 24-hour check of the last session (pain, leaking, "
            "heaviness since), which can change its decision.",
        ),
    ] = False,
    activity: Annotated[
        str | None,
        typer.Option(
            "--activity",
            metavar="FILE",
            help="The run's recording (FIT, TCX or GPX): reviewed against the session and "
            "stored with this check-in.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The check-in after a session, or with --next-day the check 24 hours later.

    By default the check-in is about the session `today` offers. On a terminal it asks for the
    answers you leave out; without one, --pain, --leak/--no-leak and --heaviness/--no-heaviness
    are required, a session counts as completed unless --stopped-at is given, and bleeding
    counts as no unless --bleeding is given.

    Examples:

      runcoach log --completed --no-leak --no-heaviness --pain 2 --effort 5

      runcoach log --date 2025-03-04 --stopped-at 14m --leak --no-heaviness --pain 3

      runcoach log --next-day --pain 1 --no-leak --no-heaviness

      runcoach log --completed --no-leak --no-heaviness --pain 1 --activity run.fit
    """
    on = parse_day(date, "--date")
    if next_day:
        _log_next_day(
            on,
            pain,
            leak,
            heaviness,
            bleeding,
            as_json,
            others=(week, session, stopped_at, effort, note, completed or None, activity),
        )
        return
    if completed and stopped_at is not None:
        raise OptionError("give --completed or --stopped-at, not both")
    values: dict[str, Any] = {
        "leak": leak, "heaviness": heaviness, "pain": pain, "stopped_at": stopped_at,
        "completed": True if completed else (False if stopped_at is not None else None),
        "bleeding": bleeding, "effort": effort, "note": note,
    }  # fmt: skip
    asked = ["completed", "leak", "heaviness", "bleeding", "pain", "effort", "note"]
    required = ("leak", "heaviness", "pain")
    missing = [k for k in asked if values[k] is None and (k in required or is_terminal())]
    values = _ask_missing(values, missing)
    recording = None
    if activity is not None:  # read (or refused) before anything is logged
        from runcoach.cli.review import read_for_log

        recording = read_for_log(activity)
    with open_journal() as journal:
        record = journal.log(
            on=on, week=week, session=session, completed=values["completed"],
            stopped_at_seconds=_seconds(values["stopped_at"]), leak=values["leak"],
            heaviness=values["heaviness"], bleeding=bool(values["bleeding"]),
            pain=values["pain"], effort=values["effort"], note=values["note"] or "",
            recording=recording,
        )  # fmt: skip
        stored = journal.stored_reviews(record.uid) if recording is not None else ()
    _show_logged(record, as_json)
    if recording is not None:
        from runcoach.cli.review import say_logged_review

        say_logged_review(stored, recording, as_json)


def _log_next_day(
    on: dt.date | None,
    pain: int | None,
    leak: bool | None,
    heaviness: bool | None,
    bleeding: bool | None,
    as_json: bool,
    *,
    others: tuple[object, ...],
) -> None:
    if any(value is not None for value in others):
        raise OptionError(
            "--next-day takes --pain, --leak, --heaviness, --bleeding and --date only"
        )
    values: dict[str, Any] = {
        "pain": pain,
        "leak": leak,
        "heaviness": heaviness,
        "bleeding": bleeding,
    }
    if all(value is None for value in values.values()) or is_terminal():
        missing = [k for k, v in values.items() if v is None and (k == "pain" or is_terminal())]
        values = _ask_missing(values, missing)
    with open_journal() as journal:
        record = journal.log_next_day(
            on=on, pain=values["pain"], leak=bool(values["leak"]),
            heaviness=bool(values["heaviness"]), bleeding=bool(values["bleeding"]),
        )  # fmt: skip
    _show_logged(record, as_json, next_day=True)


# -- resume ---------------------------------------------------------------------------------


@app.command()
def resume(
    date: DateOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask to confirm.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """After a stop: you have been seen by a health professional and wish to go on running.

    Prints what to do then (as `runcoach today`; --json prints its keys).

    Example:

      runcoach resume
    """
    on = parse_day(date, "--date")
    if not yes and is_terminal():
        from rich.prompt import Confirm

        if not Confirm.ask(
            "Have you been seen by a health professional, and do you wish to go on running?",
            default=False,
        ):
            typer.echo("Nothing changed: running stays stopped.")
            return
    with open_journal() as journal:
        answer = journal.resume(on)
    if as_json:
        print_json(answer.as_json())
    else:
        _show_today(answer)
