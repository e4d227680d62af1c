"""Other formats in and out: activity files read as cadence samples, watch workouts written and
read.

Workouts:

- :func:`workout_bytes` writes a resolved session as a watch or trainer workout (``fit``:
  Garmin's FIT workout file; ``zwo``: a Zwift run workout);
- :func:`import_workout` reads a workout from another tool (a FIT workout, a Zwift ``.zwo``,
  intervals.icu workout text) into the text of a commented runcoach plan file that
  ``runcoach plans validate`` accepts, with the warnings about what could not be kept.

Each format is one row of :data:`WORKOUT_FORMATS` (its file endings, its writer and reader),
loaded only when used: the FIT SDK and the XML parser cost nothing to a command that does not
need them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runcoach.errors import OptionError, PlanError

if TYPE_CHECKING:
    from runcoach.interop.imported import ImportedWorkout
    from runcoach.timeline import Session


@dataclass(frozen=True)
class WorkoutFormat:
    """A workout format: its name, what it is, its file endings and the functions (by name, in
    ``module``) that write and read it (``None`` where runcoach does not)."""

    name: str
    title: str
    suffixes: tuple[str, ...]
    module: str
    writer: str | None
    reader: str | None


#: Every workout format, by name.
WORKOUT_FORMATS: dict[str, WorkoutFormat] = {
    "fit": WorkoutFormat(
        "fit",
        "FIT workout file",
        (".fit",),
        "runcoach.interop.fit_workout",
        "write_fit",
        "read_fit",
    ),
    "zwo": WorkoutFormat(
        "zwo", "Zwift workout", (".zwo",), "runcoach.interop.zwo", "write_zwo", "read_zwo"
    ),
    "icu": WorkoutFormat(
        "icu",
        "intervals.icu workout text",
        (".txt", ".icu"),
        "runcoach.interop.icu",
        None,
        "read_icu",
    ),
}


def _names(role: str) -> str:
    return ", ".join(f.name for f in WORKOUT_FORMATS.values() if getattr(f, role))


def _function(fmt: str, role: str) -> Any:
    spec = WORKOUT_FORMATS[fmt]
    name = getattr(spec, role)
    assert name is not None
    return getattr(import_module(spec.module), name)


def workout_format_for(
    path: str | os.PathLike[str], fmt: str | None = None, *, role: str = "writer"
) -> str:
    """The workout format to write (``role="writer"``) or read (``"reader"``) ``path`` in:
    ``fmt`` when given, else the one its ending names. Raises ``OptionError`` listing them."""
    if fmt is not None:
        chosen = fmt.strip().lower().lstrip(".")
        if chosen not in WORKOUT_FORMATS or getattr(WORKOUT_FORMATS[chosen], role) is None:
            raise OptionError(f"--format must be one of {_names(role)}, got {fmt!r}")
        return chosen
    suffix = Path(path).suffix.lower()
    for spec in WORKOUT_FORMATS.values():
        if suffix in spec.suffixes and getattr(spec, role) is not None:
            return spec.name
    endings = ", ".join(s for f in WORKOUT_FORMATS.values() if getattr(f, role) for s in f.suffixes)
    raise OptionError(
        f"{path}: cannot tell the workout format from the name; give a file ending in "
        f"{endings}, or --format ({_names(role)})"
    )


def sniff_format(data: bytes) -> str:
    """The format ``data`` looks like: ``fit`` (a FIT header), ``zwo`` (XML) or ``icu`` (text)."""
    if len(data) >= 12 and data[8:12] == b".FIT":
        return "fit"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "zwo"
    return "icu"


def workout_bytes(
    session: Session, *, fmt: str, tolerance: float = 3, fit_cadence: str = "strides"
) -> bytes:
    """``session`` as a workout file in format ``fmt`` (``fit`` or ``zwo``), as bytes.

    ``tolerance`` (steps per minute, 0-30) widens each FIT cadence target around the segment's
    cadence; ``fit_cadence`` is the FIT target's unit, ``strides`` (FIT's own: steps / 2) or
    ``steps``. Raises ``OptionError`` for a bad option, ``PlanError`` for a session a watch
    cannot hold.
    """
    from runcoach.interop.fit_workout import check_options

    check_options(tolerance, fit_cadence)
    if fmt not in WORKOUT_FORMATS or WORKOUT_FORMATS[fmt].writer is None:
        raise OptionError(f"workouts are written as {_names('writer')}, got {fmt!r}")
    data: bytes = _function(fmt, "writer")(session, tolerance=tolerance, fit_cadence=fit_cadence)
    return data


def read_workout(
    path: str | os.PathLike[str], *, pace: str | None = None, fmt: str | None = None
) -> ImportedWorkout:
    """Read a workout file from another tool (its format from ``fmt``, its ending, or its
    content). ``pace`` (``MIN/KM`` text such as ``6:00``) turns distance steps into time.

    Raises ``OptionError`` for a missing file or a bad pace, ``PlanError`` (one line naming the
    file) for content that is not a usable workout.
    """
    from runcoach.interop.imported import parse_pace, read_limited

    seconds_per_km = parse_pace(pace)
    data = read_limited(path)
    if fmt is None:
        # the content decides (a FIT header, XML); the name's ending breaks the tie for text
        fmt = sniff_format(data)
        suffix = Path(path).suffix.lower()
        if (
            fmt == "icu"
            and suffix in WORKOUT_FORMATS["fit"].suffixes + WORKOUT_FORMATS["zwo"].suffixes
        ):
            fmt = "fit" if suffix in WORKOUT_FORMATS["fit"].suffixes else "zwo"
    else:
        fmt = workout_format_for(path, fmt, role="reader")
    workout: ImportedWorkout = _function(fmt, "reader")(
        data, source=os.fspath(path), pace=seconds_per_km
    )
    return workout


def import_workout(
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    pace: str | None = None,
    spm: float | None = None,
    fmt: str | None = None,
) -> tuple[str, list[str]]:
    """A workout file from another tool as the text of a runcoach plan file, and the warnings
    (one line each) about what could not be represented.

    ``name`` replaces the workout's name; ``pace`` (``MIN/KM``) converts distance steps; ``spm``
    is the plan's base cadence (default 170), which steps without a cadence follow. The text is
    checked by the plan loader and the timeline before it is returned, so it validates.
    Raises ``OptionError`` for bad options, ``PlanError`` for an unusable file.
    """
    from runcoach.interop.plan_yaml import plan_yaml
    from runcoach.plans.units import MAX_SPM, MIN_SPM

    base = None
    if spm is not None:
        if (
            isinstance(spm, bool)
            or not isinstance(spm, (int, float, Fraction))
            or not MIN_SPM <= spm <= MAX_SPM
        ):
            raise OptionError(f"--spm must be between {MIN_SPM} and {MAX_SPM}, got {spm!r}")
        base = Fraction(spm).limit_denominator(10)
    if name is not None and (not name.strip() or len(name) > 200):
        raise OptionError(f"--name must be 1 to 200 characters, got {name!r}")
    workout = read_workout(path, pace=pace, fmt=fmt)
    text = plan_yaml(workout, source=os.fspath(path), name=name, spm=base)
    _check_plan(text, os.fspath(path))
    return text, workout.warnings.lines()


def _check_plan(text: str, source: str) -> None:
    """Load and resolve the plan text; a problem (such as a total over 24 hours) is reported
    against the imported file."""
    from runcoach.plans import parse_plan
    from runcoach.timeline import resolve

    try:
        resolve(parse_plan(text, source=f"{source} (imported)"))
    except PlanError as err:
        raise PlanError(f"cannot be a runcoach plan: {err.problem}", source=source) from None


__all__ = [
    "WORKOUT_FORMATS",
    "WorkoutFormat",
    "import_workout",
    "read_workout",
    "sniff_format",
    "workout_bytes",
    "workout_format_for",
]
