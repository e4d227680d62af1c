"""``runcoach history`` and ``runcoach journal export|import|path``: the journal on the command
line. Thin, like :mod:`runcoach.cli.coach`: rich tables only on a terminal, plain lines
otherwise, ``--json`` exactly the documented keys."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from runcoach.cli.base import ListedGroup, app, make_console
from runcoach.cli.coaching import (
    JsonOpt,
    open_journal,
    print_json,
)

if TYPE_CHECKING:
    from runcoach.coach.records import History, SessionRecord, WeekSummary

journal_app = typer.Typer(
    name="journal",
    cls=ListedGroup,
    help="Back up, move or share the journal of sessions and check-ins.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(journal_app, name="journal")


# -- history --------------------------------------------------------------------------------


def _show_history(history: History, *, everything: bool) -> None:
    from runcoach.coach import text

    sessions = history.sessions if everything else history.sessions[-30:]
    weeks = history.weeks if everything else history.weeks[-26:]
    top = max((w.running_seconds for w in weeks), default=0.0)
    if not sys.stdout.isatty():
        for record in sessions:
            typer.echo(text.session_line(record))
        for week in weeks:
            typer.echo(text.week_line(week, top))
    else:
        _rich_history(sessions, weeks, top)
    hidden = len(history.sessions) - len(sessions)
    if not history.sessions:
        typer.echo("No sessions yet: `runcoach log` records one after you run.")
    elif hidden:
        typer.echo(f"({hidden} earlier sessions: runcoach history --all)")


def _rich_history(
    sessions: Sequence[SessionRecord], weeks: Sequence[WeekSummary], top: float
) -> None:
    from rich.markup import escape
    from rich.table import Table

    from runcoach.coach import text

    console = make_console()
    table = Table(title="Sessions", title_justify="left")
    for column in ("Date", "Session", "Done", "Pain (next day)", "Symptoms", "Decision"):
        table.add_column(column)
    for r in sessions:
        pain = f"{r.pain}" + (f" ({r.next_day_pain})" if r.next_day_pain is not None else "")
        where = f"w{r.week} s{r.session}"
        found = escape(", ".join(text.symptoms(r)))
        table.add_row(str(r.date), where, text.how_it_went(r), pain, found,
                      text.decision_name(r.decision))  # fmt: skip
    console.print(table)
    chart = Table(title="Weeks: minutes of running", title_justify="left")
    for column in ("Week of", "Sessions", "Running", "Symptom days"):
        chart.add_column(column)
    chart.add_column("", no_wrap=True)
    for w in weeks:
        minutes = f"{w.running_seconds / 60:.0f} min"
        chart.add_row(str(w.week_start), str(w.sessions), minutes, str(w.symptom_days),
                      text.bar(w.running_seconds, top, 24))  # fmt: skip
    console.print(chart)


@app.command()
def history(
    as_json: JsonOpt = False,
    everything: Annotated[
        bool,
        typer.Option(
            "--all", help="Every session and week, not only the latest.", show_default=False
        ),
    ] = False,
) -> None:
    """Your sessions and check-ins, a weekly summary and a chart of running minutes.

    Each session with its check-in and the decision made from it; each calendar week with its
    sessions, minutes of running and days with a symptom. Without --all: the latest 30 sessions
    and 26 weeks.

    JSON: {"sessions": [...], "weeks": [...]}, oldest first (every session and week).

    Examples:

      runcoach history

      runcoach history --json
    """
    with open_journal() as journal:
        found = journal.history()
    if as_json:
        print_json(found.as_json())
    else:
        _show_history(found, everything=everything)


# -- journal --------------------------------------------------------------------------------


@journal_app.command("export")
def journal_export(
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="A .json file (everything) or .csv (the sessions)."),
    ],
) -> None:
    """Write the journal to a file: JSON to back it up or move it (everything, the reviews of
    recorded runs too), CSV for a spreadsheet (the sessions).

    Example:

      runcoach journal export runcoach-journal.json
    """
    from runcoach.plans.units import plural

    with open_journal() as journal:
        count = journal.export(file)
        reviewed = len(journal.stored_reviews()) if file.suffix.lower() == ".json" else 0
    runs = f" and {plural(reviewed, 'reviewed run')}" if reviewed else ""
    typer.echo(f"Wrote {plural(count, 'session')}{runs} to {file}.")


@journal_app.command("import")
def journal_import(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="A .json backup from `runcoach journal export`.")
    ],
) -> None:
    """Merge a JSON backup into the journal (records already there are not duplicated).

    Example:

      runcoach journal import runcoach-journal.json
    """
    from runcoach.plans.units import plural

    with open_journal() as journal:
        done = journal.import_(file)
    typer.echo(
        f"Imported {file}: {plural(done.added, 'record')} added, {done.updated} updated, "
        f"{done.unchanged} already there."
    )


@journal_app.command("path")
def journal_path() -> None:
    """Print where the journal is ($RUNCOACH_JOURNAL, or the user data folder)."""
    from runcoach.coach.schema import journal_path as where

    typer.echo(str(where()))
