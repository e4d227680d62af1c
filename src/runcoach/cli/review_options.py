"""The options of ``runcoach review`` (and of ``report``'s review part)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ActivityArg = Annotated[
    Path,
    typer.Argument(
        metavar="FILE",
        help="The recorded run: a FIT, TCX or GPX file from a watch or phone (.gz too).",
        show_default=False,
    ),
]
PlanOpt = Annotated[
    str | None,
    typer.Option(
        "--plan",
        "-p",
        metavar="NAME|FILE",
        help="The planned session: a plan or program name or a YAML file. Without it, "
        "--spm N reviews the whole run against one steady cadence.",
        show_default=False,
    ),
]
ToleranceOpt = Annotated[
    float,
    typer.Option(
        "--tolerance",
        metavar="SPM",
        help="Half-width of the cadence band around the target, in spm, 0.5 to 30.",
    ),
]
OffsetOpt = Annotated[
    float | None,
    typer.Option(
        "--offset",
        metavar="SECONDS",
        help="Seconds into the recording at which the plan started (negative: the recording "
        "started late).",
        show_default="0, the first record",
    ),
]
AlignOpt = Annotated[
    str | None,
    typer.Option(
        "--align",
        metavar="auto",
        help="auto: find the offset within 5 minutes either way where the plan's cadence "
        "profile best matches the recording.",
        show_default=False,
    ),
]
UnitOpt = Annotated[
    str,
    typer.Option(
        "--cadence-unit",
        metavar="auto|steps|strides",
        help="How the file stores cadence: auto (decided from the data), steps or strides.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the review as JSON.")]
LastOpt = Annotated[
    bool,
    typer.Option(
        "--last",
        help="Review against the last session in the journal (its program, week, session and "
        "cadence; --spm overrides the cadence).",
    ),
]
LogOpt = Annotated[
    bool,
    typer.Option(
        "--log",
        help="Store the review in the journal with the session's check-in (with --last, or "
        "--plan PROGRAM --week W --session S of a logged session).",
    ),
]
