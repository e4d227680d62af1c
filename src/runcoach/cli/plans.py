"""``runcoach plans``: list, show, validate and create plans and programs; print the schema.

``runcoach plans`` with no subcommand lists them, as ``runcoach plans list`` does.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from typing import TYPE_CHECKING, Annotated

import typer

from runcoach.cli.base import app
from runcoach.cli.options import (
    BreathOpt,
    SessionOpt,
    SpmOpt,
    WeekOpt,
)
from runcoach.errors import OptionError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from runcoach.library import Entry
    from runcoach.plans.model import Plan
    from runcoach.plans.programs import Program

plans_app = typer.Typer(
    name="plans",
    help="List, show, check and create plans and multi-week programs. Alone: the list.",
    invoke_without_command=True,
    no_args_is_help=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(plans_app, name="plans")

#: Widest a table gets, so it reads the same in any terminal of 80 columns or more.
_MAX_WIDTH = 100


@plans_app.callback(invoke_without_command=True)
def _plans(ctx: typer.Context) -> None:
    """List, show, check and create plans and multi-week programs.

    Examples:

      runcoach plans                              (the same as: runcoach plans list)

      runcoach plans show intervals --spm 168

      runcoach plans show my-plan.yaml --json

      runcoach plans validate plans/*.yaml

      runcoach plans new hill-repeats

      runcoach plans schema > runcoach-plan.schema.json
    """
    if ctx.invoked_subcommand is None:
        plans_list()


def _console() -> Console:
    from rich.console import Console

    console = Console(highlight=False)
    if console.width > _MAX_WIDTH:
        console.width = _MAX_WIDTH
    return console


def _clock(seconds: float | Fraction) -> str:
    """``m:ss`` or ``h:mm:ss``; a tenth of a second when the time is not whole."""
    from runcoach.plans.units import format_seconds

    whole, tenth = divmod(round(float(seconds) * 10), 10)
    return format_seconds(whole) + (f".{tenth}" if tenth else "")


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _short(text: str, limit: int = 90) -> str:
    """The first sentence of ``text``, cut at a word near ``limit`` characters."""
    first = text.split(". ")[0].strip().rstrip(".")
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


@plans_app.command("list")
def plans_list(
    spm: Annotated[
        float | None,
        typer.Option(
            "--spm",
            "-s",
            help="Show cadences for this base cadence (60-240) instead of each plan's own.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """List the plans and programs you can use by name: yours, then the built-ins.

    Each with its kind, length, cadence range and what it is for. Yours live in the user plan
    folder (shown below the list; $RUNCOACH_PLANS_DIR overrides it); one named like a built-in
    shadows it.
    """
    from rich.markup import escape

    from runcoach.library import catalogue
    from runcoach.plans.loader import PLANS_DIR_ENV, user_plans_dir

    entries = catalogue(spm)
    console = _console()
    folder = escape(str(user_plans_dir()))
    yours = [e for e in entries if e.origin == "user"]
    builtin = [e for e in entries if e.origin != "user"]
    if yours:
        console.print(_table(f"Your plans and programs, in {folder}", yours))
        console.print()
    console.print(_table("Built-in plans and programs", builtin))
    if not yours:
        console.print(
            f"\n[dim]Your own plans go in {folder} (or the folder ${PLANS_DIR_ENV} names): "
            "`runcoach plans new NAME` starts one.[/]"
        )
    console.print(
        "[dim]Time: a session's length (a program's shortest–longest session). Cadence in "
        "steps per minute"
        + (f" for --spm {spm:g}." if spm is not None else "; --spm replaces the base.")
        + "[/]"
    )


def _table(title: str, entries: list[Entry]) -> Table:
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
        about = _short(entry.description, 55) if entry.description else entry.title
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


NameArg = Annotated[
    str,
    typer.Argument(
        help="A plan or program name (yours, then the built-ins) or a YAML file.",
        metavar="NAME|FILE",
        show_default=False,
    ),
]
JsonOpt = Annotated[
    bool,
    typer.Option(
        "--json",
        help='Print JSON instead: {"name", "total_seconds", "segments": [{"name", '
        '"start_seconds", "duration_seconds", "spm_start", "spm_end", "breath"}]}.',
    ),
]


@plans_app.command("show")
def plans_show(
    name: NameArg,
    spm: SpmOpt = None,
    breath: BreathOpt = None,
    week: WeekOpt = None,
    session_number: SessionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a plan's segments and cadence chart, or a program's weeks and sessions.

    A plan: every segment (repeats expanded) with its start, length, cadence (a ramp as
    160→170) and breath pattern, then a chart of cadence over time. A program: its weeks and
    sessions; --week and --session show one session as a plan. --json prints the same as JSON.

    Examples:

      runcoach plans show intervals

      runcoach plans show my-plan.yaml --spm 165 --json

      runcoach plans show return-to-run

      runcoach plans show return-to-run --week 3 --session 2 --spm 168
    """
    from runcoach.plans.catalogue import load_any
    from runcoach.plans.model import Plan

    item = load_any(name)
    if isinstance(item, Plan):
        if week is not None or session_number is not None:
            raise OptionError(
                f"--week and --session choose a session of a program; {name!r} is a plan"
            )
        _show_plan(item, name, spm, breath, as_json)
    elif session_number is None:
        if breath is not None:
            raise OptionError("--breath applies to one session: add --week and --session")
        _show_program(item, name, spm, week, as_json)
    else:
        _show_plan(item.select(week, session_number), name, spm, breath, as_json)


def _show_plan(plan: Plan, name: str, spm: float | None, breath: str | None, as_json: bool) -> None:
    import json

    from runcoach.outlines import outline

    summary = outline(plan, spm, breath=breath)
    if as_json:
        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return

    from rich.markup import escape
    from rich.table import Table

    from runcoach.outlines import cadence_chart, cadence_range, describe_range
    from runcoach.plans.units import format_spm
    from runcoach.timeline import resolve

    session = resolve(plan, spm=spm, breath=breath)
    rows = summary["segments"]
    console = _console()
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


def _show_program(
    program: Program, name: str, spm: float | None, week: int | None, as_json: bool
) -> None:
    import json

    from runcoach.outlines import cadence_range, describe_range, outline, program_outline

    if week is not None:
        program.check_week(week)
    if as_json:
        data = program_outline(program, spm)
        if week is not None:
            data["weeks"] = [data["weeks"][week - 1]]
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return

    from rich.markup import escape
    from rich.table import Table

    from runcoach.plans.units import format_spm

    console = _console()
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
    console.print()
    console.print(table)
    shown = week or 1
    example_spm = f" --spm {spm:g}" if spm is not None else ""
    choose = f"--week {shown} --session 1{example_spm}"
    console.print(
        f"\n[dim]One session:  runcoach plans show {escape(name)} {choose}\n"
        f"Render it:    runcoach render --plan {escape(name)} {choose} -o w{shown}s1.wav[/]"
    )


@plans_app.command("validate")
def plans_validate(
    files: Annotated[
        list[str],
        typer.Argument(
            help="Plan or program files (or names) to check.",
            metavar="FILE...",
            show_default=False,
        ),
    ],
    spm: Annotated[
        float | None,
        typer.Option(
            "--spm",
            "-s",
            help="Check the cadences against this base cadence (60-240) too.",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the problems.")] = False,
) -> None:
    """Check plan and program files; exit 0 when all are valid, 2 otherwise.

    Each problem is one line on stderr, `file:line: field.path: problem`; each valid file one
    line on stdout (unless --quiet). Programs are checked session by session, the plans they
    name included.
    """
    from runcoach.library import check, problem_line
    from runcoach.outlines import outline
    from runcoach.plans.model import Plan

    failed = False
    for name in files:
        result = check(name, spm)
        for problem in result.problems:
            sys.stderr.write(problem_line(problem) + "\n")
        if result.problems:
            failed = True
        elif not quiet and result.item is not None:
            item = result.item
            if isinstance(item, Plan):
                summary = outline(item, spm)
                what = (
                    f"plan {item.name!r}, {_clock(summary['total_seconds'])}, "
                    f"{_count(len(summary['segments']), 'segment')}"
                )
            else:
                count = sum(len(w.sessions) for w in item.weeks)
                what = (
                    f"program {item.name!r}, {_count(len(item.weeks), 'week')}, "
                    f"{_count(count, 'session')}"
                )
            typer.echo(f"{name}: ok ({what})")
    sys.stderr.flush()
    if failed:
        raise typer.Exit(2)


@plans_app.command("new")
def plans_new(
    name: Annotated[
        str,
        typer.Argument(
            help="The new plan's name: letters, digits, '-' and '_' (the file is NAME.yaml).",
            show_default=False,
        ),
    ],
    program: Annotated[
        bool, typer.Option("--program", help="Start a multi-week program instead of a plan.")
    ] = False,
    template: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Start from a copy of this plan or program (a built-in name or a file).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Start a new plan (or program) in your plan folder, never overwriting one.

    Writes NAME.yaml, a commented example that validates, and keeps the JSON Schemas next to
    it for editors. Then `runcoach plans show NAME` and `runcoach render --plan NAME` use it.

    Examples:

      runcoach plans new hill-repeats

      runcoach plans new my-intervals --from intervals

      runcoach plans new my-program --program
    """
    from runcoach.library import new_plan_file

    if program and template is not None:
        raise OptionError("give --program or --from, not both")
    from runcoach.plans.catalogue import read_file
    from runcoach.plans.model import Plan

    path = new_plan_file(name, program=program, template=template)
    stem = path.stem
    choose = "" if isinstance(read_file(path), Plan) else " --week 1 --session 1"
    typer.echo(f"Created {path}")
    typer.echo(
        f"Edit it, then: runcoach plans validate {path}\n"
        f"               runcoach plans show {stem}\n"
        f"               runcoach render --plan {stem}{choose} -o {stem}.wav"
    )


@plans_app.command("schema")
def plans_schema(
    program: Annotated[
        bool, typer.Option("--program", help="The schema of program files instead of plans.")
    ] = False,
) -> None:
    """Print the JSON Schema of the plan format (or, with --program, of programs).

    Save it and name it on the first line of a plan file:

      runcoach plans schema > runcoach-plan.schema.json

      # yaml-language-server: $schema=runcoach-plan.schema.json
    """
    import json

    from runcoach.plans.schema import plan_schema, program_schema

    typer.echo(json.dumps(program_schema() if program else plan_schema(), indent=2))
