"""``runcoach plans``: list, show, validate and create plans and programs; print the schema.

``runcoach plans`` with no subcommand lists them, as ``runcoach plans list`` does.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from runcoach.cli.base import ListedGroup, app, make_console
from runcoach.cli.options import (
    BreathOpt,
    SessionOpt,
    SpmOpt,
    WeekOpt,
)
from runcoach.cli.plan_views import catalogue_table, show_plan, show_program
from runcoach.errors import OptionError
from runcoach.plans.units import MAX_SPM, MIN_SPM, format_seconds, plural

plans_app = typer.Typer(
    name="plans",
    cls=ListedGroup,
    help="List, show, check and create plans and multi-week programs. Alone: the list.",
    invoke_without_command=True,
    no_args_is_help=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(plans_app, name="plans")


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


@plans_app.command("list")
def plans_list(
    spm: Annotated[
        float | None,
        typer.Option(
            "--spm",
            "-s",
            metavar="SPM",
            help=f"Base cadence for the cadences shown, {MIN_SPM} to {MAX_SPM}, instead of "
            "each plan's own.",
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
    console = make_console()
    folder = escape(str(user_plans_dir()))
    yours = [e for e in entries if e.origin == "user"]
    builtin = [e for e in entries if e.origin != "user"]
    if yours:
        console.print(catalogue_table(f"Your plans and programs, in {folder}", yours))
        console.print()
    console.print(catalogue_table("Built-in plans and programs", builtin))
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
        show_plan(item, name, spm, breath, as_json)
    elif session_number is None:
        if breath is not None:
            raise OptionError("--breath applies to one session: add --week and --session")
        show_program(item, name, spm, week, as_json)
    else:
        show_plan(item.select(week, session_number), name, spm, breath, as_json)


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
            metavar="SPM",
            help=f"Base cadence to check the cadences against too, {MIN_SPM} to {MAX_SPM}.",
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
                    f"plan {item.name!r}, {format_seconds(summary['total_seconds'], tenths=True)}, "
                    f"{plural(len(summary['segments']), 'segment')}"
                )
            else:
                count = sum(len(w.sessions) for w in item.weeks)
                what = (
                    f"program {item.name!r}, {plural(len(item.weeks), 'week')}, "
                    f"{plural(count, 'session')}"
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
            metavar="NAME",
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
            metavar="PLAN|FILE",
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
