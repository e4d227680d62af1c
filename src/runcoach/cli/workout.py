"""``runcoach workout`` (a session as a watch or Zwift workout) and ``runcoach import`` (a
workout from another tool as a plan file)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from runcoach.cli.base import app
from runcoach.cli.options import (
    FitCadenceOpt,
    QuietOpt,
    SessionOpt,
    SpmOpt,
    ToleranceOpt,
    WeekOpt,
)
from runcoach.plans.units import DEFAULT_SPM, MAX_SPM, MIN_SPM

OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="The workout file to write: .fit (Garmin and other watches) or .zwo (Zwift).",
        show_default="<plan name>.fit here",
    ),
]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="fit or zwo; overrides the file ending.",
        show_default=False,
    ),
]


@app.command("workout")
def workout(
    plan: Annotated[
        str,
        typer.Argument(
            help="A plan or program name (see `runcoach plans`) or a YAML file.",
            metavar="NAME|FILE",
            show_default=False,
        ),
    ],
    output: OutputOpt = None,
    week: WeekOpt = None,
    session_number: SessionOpt = None,
    spm: SpmOpt = None,
    tolerance: ToleranceOpt = 3.0,
    fit_cadence: FitCadenceOpt = "strides",
    fmt: FormatOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Write a session as a workout for a watch (.fit) or Zwift (.zwo).

    Each segment becomes a timed workout step with its cadence as the target (a ramp: the range
    it spans), ± the tolerance; repeat blocks stay repeats. FIT cadence is in strides per minute
    (steps / 2) unless --fit-cadence steps. Copy a .fit file into GARMIN/NewFiles on the watch.

    Examples:

      runcoach workout intervals --spm 170 -o intervals.fit

      runcoach workout return-to-run --week 3 --session 2 -o w3s2.fit

      runcoach workout cadence-builder --tolerance 4 --fit-cadence steps -o builder.fit

      runcoach workout steady -o steady.zwo
    """
    from runcoach.interop import workout_bytes, workout_format_for
    from runcoach.interop.fit_workout import check_options
    from runcoach.plans import load_plan
    from runcoach.plans.units import slug
    from runcoach.sinks import atomic_output, check_destination
    from runcoach.timeline import resolve

    check_options(tolerance, fit_cadence)
    the_plan = load_plan(plan, week=week, session=session_number)
    session = resolve(the_plan, spm=spm)
    dest = output if output is not None else Path(f"{slug(the_plan.name)}.{fmt or 'fit'}")
    kind = workout_format_for(dest, fmt)
    check_destination(dest)
    data = workout_bytes(session, fmt=kind, tolerance=tolerance, fit_cadence=fit_cadence)
    with atomic_output(dest) as handle:
        handle.write(data)
    if not quiet:
        typer.echo(_summary(dest, session, kind, tolerance, fit_cadence, len(data)))


def _summary(dest: Path, session: object, kind: str, tolerance: float, unit: str, size: int) -> str:
    """``Wrote intervals.fit: Run/walk intervals, 27:00, 15 segments as 4 steps …``."""
    from runcoach.interop.workout_steps import WorkoutRepeat, workout_items
    from runcoach.plans.units import format_seconds, format_spm, plural
    from runcoach.timeline import Session

    assert isinstance(session, Session)
    items = workout_items(session)
    repeats = sum(isinstance(i, WorkoutRepeat) for i in items)
    steps = sum(len(i.steps) if isinstance(i, WorkoutRepeat) else 1 for i in items)
    if kind == "fit":
        shape = f"{plural(steps + repeats, 'workout step')} ({plural(repeats, 'repeat block')})"
        target = f"cadence targets ±{format_spm(tolerance)} spm in {unit} per minute"
    else:
        shape = plural(session.segment_count, "steady state")
        target = "cadence in steps per minute"
    return (
        f"Wrote {dest}: {session.plan.name}, {format_seconds(session.total_seconds)}, "
        f"{plural(session.segment_count, 'segment')} as {shape}, base "
        f"{format_spm(session.base_spm)} spm, {target}, {size} bytes"
    )


@app.command("import")
def import_(
    file: Annotated[
        Path,
        typer.Argument(
            help="A FIT workout (.fit), a Zwift workout (.zwo) or intervals.icu workout text.",
            metavar="FILE",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="The plan file to write.",
            show_default="print it",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name", metavar="NAME", help="The plan's name.", show_default="the workout's"
        ),
    ] = None,
    pace: Annotated[
        str | None,
        typer.Option(
            "--pace",
            metavar="MIN/KM",
            help="MIN/KM (e.g. 6:00) to turn distance steps into time (else they are refused).",
            show_default=False,
        ),
    ] = None,
    spm: Annotated[
        float | None,
        typer.Option(
            "--spm",
            "-s",
            metavar="SPM",
            help=f"The plan's base cadence in steps per minute, {MIN_SPM} to {MAX_SPM}: steps "
            "without a cadence run at it.",
            show_default=str(DEFAULT_SPM),
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="fit, zwo or icu.",
            show_default="from the file",
        ),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Turn a workout from another tool into a runcoach plan file.

    Reads FIT workout files, Zwift .zwo files and intervals.icu workout text. Each segment's
    comment says which step it came from; what runcoach cannot play (heart-rate, power and
    pace targets) is kept there as a note, and each kind of loss is one warning line.

    Examples:

      runcoach import examples/intervals.zwo -o intervals-zwift.yaml

      runcoach import examples/icu-workout.txt --spm 168 -o icu.yaml

      runcoach import my-workout.fit --pace 5:30 --name "Track session" -o track.yaml
    """
    from runcoach.interop import import_workout

    if output is not None:
        from runcoach.sinks import check_destination

        check_destination(output)
    text, warnings = import_workout(file, name=name, pace=pace, spm=spm, fmt=fmt)
    for line in warnings:
        sys.stderr.write(f"runcoach: warning: {line}\n")
    if output is None:
        typer.echo(text, nl=False)
        return
    from runcoach.sinks import atomic_output

    with atomic_output(output) as handle:
        handle.write(text.encode("utf-8"))
    if not quiet:
        typer.echo(_import_summary(output, text, len(warnings)))


def _import_summary(dest: Path, text: str, warnings: int) -> str:
    """``Wrote plan.yaml: NAME, 27:00, 15 segments, 1 warning``, read back from the text."""
    from runcoach.plans import parse_plan
    from runcoach.plans.units import format_seconds, plural
    from runcoach.timeline import resolve

    session = resolve(parse_plan(text, source=str(dest)))
    return (
        f"Wrote {dest}: {session.plan.name}, {format_seconds(session.total_seconds)}, "
        f"{plural(session.segment_count, 'segment')}, {plural(warnings, 'warning')}"
    )
