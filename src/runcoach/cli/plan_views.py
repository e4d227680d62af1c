"""The plans views: the catalogue table, a plan's segments and cadence chart, a program's weeks.

Terminal UI for ``runcoach plans`` (rich), kept apart from the commands that call it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

from runcoach.cli.base import make_console
from runcoach.plans.units import format_seconds, format_spm, plural

if TYPE_CHECKING:
    from rich.table import Table

    from runcoach.library import Entry
    from runcoach.outlines import SegmentRow
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
                f"{entry.weeks} × {plural(per_week, 'session')}"
                if per_week * entry.weeks == entry.sessions
                else f"{plural(entry.weeks, 'week')}, {plural(entry.sessions, 'session')}"
            )
            about = f"{sessions}: {about}"
        notes.append(escape(about))
    return "; ".join(notes)


def _write_lines(lines: Iterable[str]) -> None:
    """Write ``lines`` to stdout in large pieces (a 100,000-line listing in one go, not one
    call per line)."""
    out = sys.stdout
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= 2048:
            out.write("\n".join(batch) + "\n")
            batch.clear()
    if batch:
        out.write("\n".join(batch) + "\n")
    out.flush()


#: The segment table's columns: heading and whether it is right-aligned.
_SEGMENT_COLUMNS = (
    ("#", True),
    ("Start", True),
    ("Length", True),
    ("Cadence", True),
    ("Breath", False),
    ("Segment", False),
)


def segment_table(rows: Sequence[SegmentRow], width: int) -> Iterator[str]:
    """The segment table as text lines, heading first, at most ``width`` columns wide (long
    names wrap). Linear in the rows: each cell is formatted once, columns padded by hand."""
    from rich.cells import cell_len

    cells = [
        (
            str(i),
            _clock(row["start_seconds"]),
            _clock(row["duration_seconds"]),
            format_spm(row["spm_start"])
            if row["spm_start"] == row["spm_end"]
            else f"{format_spm(row['spm_start'])}→{format_spm(row['spm_end'])}",
            row["breath"] or "off",
        )
        for i, row in enumerate(rows, start=1)
    ]
    widths = [len(head) for head, _ in _SEGMENT_COLUMNS[:-1]]
    for line in cells:
        widths = [max(w, len(cell)) for w, cell in zip(widths, line, strict=True)]
    room = max(12, width - sum(widths) - 2 * len(widths))

    def joined(line: Sequence[str], name: str) -> str:
        parts = [
            cell.rjust(w) if right else cell.ljust(w)
            for cell, w, (_, right) in zip(line, widths, _SEGMENT_COLUMNS, strict=False)
        ]
        return "  ".join([*parts, name]).rstrip()

    yield joined([head for head, _ in _SEGMENT_COLUMNS[:-1]], _SEGMENT_COLUMNS[-1][0])
    blank = [""] * len(widths)
    for line, row in zip(cells, rows, strict=True):
        name = row["name"]
        if cell_len(name) <= room:
            yield joined(line, name)
            continue
        first, *rest = _wrap(name, room)
        yield joined(line, first)
        for more in rest:
            yield joined(blank, more)


def _wrap(text: str, width: int) -> list[str]:
    from rich.console import Console
    from rich.text import Text

    lines = Text(text).wrap(Console(width=width), width)
    return [line.plain for line in lines] or [text]


def show_plan(plan: Plan, name: str, spm: float | None, breath: str | None, as_json: bool) -> None:
    from runcoach.outlines import outline_json

    if as_json:
        _write_lines(outline_json(plan, spm, breath=breath))
        return

    from rich.markup import escape

    from runcoach.outlines import cadence_chart, cadence_range, describe_range, outline
    from runcoach.timeline import resolve

    session = resolve(plan, spm=spm, breath=breath)
    rows = outline(plan, spm, breath=breath)["segments"]
    console = make_console()
    console.print(f"[bold]{escape(plan.name)}[/]  [dim]{escape(plan.source or name)}[/]")
    if plan.description:
        console.print(escape(plan.description))
    how = " (--spm)" if spm is not None else ""
    console.print(
        f"{_clock(session.total_seconds)} · {plural(len(rows), 'segment')} · base "
        f"{format_spm(session.base_spm)} spm{how} · cadence "
        f"{describe_range(*cadence_range(rows))} spm · breath {session.breath}",
        style="dim",
    )
    console.print()
    table = segment_table(rows, console.width)
    console.print(next(table), style="bold", markup=False, highlight=False, soft_wrap=True)
    console.file.flush()
    _write_lines(table)
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
    from runcoach.outlines import program_json

    if week is not None:
        program.check_week(week)
    if as_json:
        _write_lines(program_json(program, spm, week=week))
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
    weeks = plural(len(program.weeks), "week")
    console.print(f"{weeks} · {plural(count, 'session')} · {base}", style="dim")
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

    from runcoach.outlines import describe_range, summaries

    chosen = [
        (w, s)
        for w, wk in enumerate(program.weeks, start=1)
        if week is None or w == week
        for s in range(1, len(wk.sessions) + 1)
    ]
    briefs = dict(
        zip(chosen, summaries([program.session(w, s) for w, s in chosen], spm), strict=True)
    )
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
            brief = briefs[(w, s)]
            title = escape(entry.plan.name) + (
                f" [dim]({escape(entry.ref)})[/]" if entry.ref else ""
            )
            cells = ["", str(s), title]
            if changes:
                offset = wk.spm + entry.spm
                cells.append(f"{'+' if offset >= 0 else '-'}{format_spm(abs(offset))}")
            cells += [
                _clock(brief.total_seconds),
                describe_range(float(brief.spm_low), float(brief.spm_high)),
            ]
            table.add_row(*cells, end_section=s == len(wk.sessions))
    return table
