"""The plans views: the catalogue table, a plan's segments and cadence chart, a program's weeks.

Terminal UI for ``runcoach plans`` (rich), kept apart from the commands that call it.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import typer

from runcoach.cli.base import make_console
from runcoach.plans.units import format_seconds, format_spm

if TYPE_CHECKING:
    from rich.table import Table

    from runcoach.library import Entry
    from runcoach.plans.model import Plan
    from runcoach.plans.programs import Program


def _clock(seconds: float | Fraction) -> str:
    return format_seconds(seconds, tenths=True)


def short(text: str, limit: int = 90) -> str:
    """The first sentence of ``text``, cut at a word near ``limit`` characters."""
    first = text.split(". ")[0].strip().rstrip(".")
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def catalogue_table(title: str, entries: list[Entry]) -> Table:
    from rich.markup import escape
    from rich.table import Table

    from runcoach.outlines import describe_range

    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=None,
        pad_edge=False,
        show_edge=False,
        header_style="bold",
    )
    table.add_column("Name", no_wrap=True, style="bold", min_width=18)
    table.add_column("Kind", no_wrap=True, min_width=7)
    table.add_column("Time", no_wrap=True, justify="right", min_width=11)
    table.add_column("Cadence", no_wrap=True, justify="right")
    table.add_column("What it is")
    for entry in entries:
        table.add_row(
            escape(entry.name),
            entry.kind,
            _time(entry),
            "" if entry.error else describe_range(*entry.spm),
            _about(entry),
        )
    return table


def _time(entry: Entry) -> str:
    if entry.error:
        return ""
    low, high = entry.seconds
    return _clock(low) if low == high else f"{_clock(low)}–{_clock(high)}"


def _about(entry: Entry) -> str:
    from rich.markup import escape

    notes = []
    if entry.shadows:
        notes.append(f"[yellow]shadows the built-in {entry.kind}[/]")
    if entry.shadowed:
        notes.append("[yellow]shadowed by yours[/]")
    if entry.error:
        notes.append(f"[red]does not load:[/] {escape(entry.error)}")
    else:
        about = short(entry.description, 55) if entry.description else entry.title
        if entry.kind == "program":
            per_week = entry.sessions // entry.weeks if entry.weeks else 0
            sessions = (
                f"{entry.weeks} × {per_week} sessions"
                if per_week * entry.weeks == entry.sessions
                else f"{entry.weeks} weeks, {entry.sessions} sessions"
            )
            about = f"{sessions}: {about}"
        notes.append(escape(about))
    return "; ".join(notes)


def show_plan(plan: Plan, name: str, spm: float | None, breath: str | None, as_json: bool) -> None:
    import json

    from runcoach.outlines import outline

    summary = outline(plan, spm, breath=breath)
    if as_json:
        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return

    from rich.markup import escape
    from rich.table import Table

    from runcoach.outlines import cadence_chart, cadence_range, describe_range
    from runcoach.timeline import resolve

    session = resolve(plan, spm=spm, breath=breath)
    rows = summary["segments"]
    console = make_console()
    console.print(f"[bold]{escape(plan.name)}[/]  [dim]{escape(plan.source or name)}[/]")
    if plan.description:
        console.print(escape(plan.description))
    how = " (--spm)" if spm is not None else ""
    console.print(
        f"{_clock(session.total_seconds)} · {len(rows)} segments · base "
        f"{format_spm(session.base_spm)} spm{how} · cadence "
        f"{describe_range(*cadence_range(rows))} spm · breath {session.breath}",
        style="dim",
    )
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Start", justify="right", no_wrap=True)
    table.add_column("Length", justify="right", no_wrap=True)
    table.add_column("Cadence", justify="right", no_wrap=True)
    table.add_column("Breath", no_wrap=True)
    table.add_column("Segment")
    for i, row in enumerate(rows, start=1):
        if row["spm_start"] == row["spm_end"]:
            cadence = format_spm(row["spm_start"])
        else:
            cadence = f"{format_spm(row['spm_start'])}→{format_spm(row['spm_end'])}"
        table.add_row(
            str(i),
            _clock(row["start_seconds"]),
            _clock(row["duration_seconds"]),
            cadence,
            row["breath"] or "off",
            escape(row["name"]),
        )
    console.print()
    console.print(table)
    width = max(20, min(64, console.width - 8))
    chart = cadence_chart(rows, width=width, height=6)
    if chart:
        console.print()
        console.print("[bold]Cadence[/] (steps per minute) over time")
        for line in chart:
            console.print(line, style="cyan", markup=False)


def show_program(
    program: Program, name: str, spm: float | None, week: int | None, as_json: bool
) -> None:
    import json

    from runcoach.outlines import program_outline

    if week is not None:
        program.check_week(week)
    if as_json:
        data = program_outline(program, spm)
        if week is not None:
            data["weeks"] = [data["weeks"][week - 1]]
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return

    from rich.markup import escape

    console = make_console()
    console.print(f"[bold]{escape(program.name)}[/]  [dim]{escape(program.source or name)}[/]")
    if program.description:
        console.print(escape(program.description))
    count = sum(len(w.sessions) for w in program.weeks)
    base = (
        f"base {spm:g} spm (--spm)"
        if spm is not None
        else (
            f"base {format_spm(program.spm)} spm (--spm replaces it)"
            if program.spm is not None
            else "each session at its plan's base cadence (--spm replaces it)"
        )
    )
    console.print(f"{len(program.weeks)} weeks · {count} sessions · {base}", style="dim")
    table = _program_table(program, spm, week)
    console.print()
    console.print(table)
    shown = week or 1
    example_spm = f" --spm {spm:g}" if spm is not None else ""
    choose = f"--week {shown} --session 1{example_spm}"
    console.print(
        f"\n[dim]One session:  runcoach plans show {escape(name)} {choose}\n"
        f"Render it:    runcoach render --plan {escape(name)} {choose} -o w{shown}s1.wav[/]"
    )


def _program_table(program: Program, spm: float | None, week: int | None) -> Table:
    """A program's weeks and sessions (one week with ``week``): time and cadence of each."""
    from rich.markup import escape
    from rich.table import Table

    from runcoach.outlines import cadence_range, describe_range, outline

    changes = any(w.spm for w in program.weeks) or any(
        s.spm for w in program.weeks for s in w.sessions
    )
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("Week", justify="right", no_wrap=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Session")
    if changes:
        table.add_column("Change", justify="right", no_wrap=True)
    table.add_column("Time", justify="right", no_wrap=True)
    table.add_column("Cadence", justify="right", no_wrap=True)
    for w, wk in enumerate(program.weeks, start=1):
        if week is not None and w != week:
            continue
        parts = [f"[bold]{escape(wk.name)}[/]"] if wk.name and wk.name != f"Week {w}" else []
        if wk.description:
            parts.append(f"[dim]{escape(wk.description)}[/]")
        label = " · ".join(parts)
        head = [str(w), "", label] + ([""] if changes else []) + ["", ""]
        table.add_row(*head, style=None)
        for s, entry in enumerate(wk.sessions, start=1):
            plan = program.session(w, s)
            summary = outline(plan, spm)
            title = entry.plan.name + (f" [dim]({escape(entry.ref)})[/]" if entry.ref else "")
            cells = ["", str(s), title]
            if changes:
                offset = wk.spm + entry.spm
                cells.append(f"{'+' if offset >= 0 else '-'}{format_spm(abs(offset))}")
            cells += [
                _clock(summary["total_seconds"]),
                describe_range(*cadence_range(summary["segments"])),
            ]
            table.add_row(*cells, end_section=s == len(wk.sessions))
    return table
