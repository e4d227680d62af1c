"""What the coach's commands share (:mod:`runcoach.cli.coach` and :mod:`runcoach.cli.journal`):
dates from options, the terminal test, the journal, JSON and rich output. No commands here."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from runcoach.errors import OptionError

if TYPE_CHECKING:
    from runcoach.coach.journal import Journal

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print JSON (the documented keys) instead of text.")
]
DateOpt = Annotated[
    str | None,
    typer.Option(
        "--date", "--on", help="The day, YYYY-MM-DD (default: today).", show_default=False
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
