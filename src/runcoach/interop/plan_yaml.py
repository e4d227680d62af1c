"""An imported workout as a commented runcoach plan file.

The text is written, not dumped: each segment is one flow mapping (``{name: …, duration: …,
spm: …}``) under a comment that says which step of the source file it came from and what of it
runcoach does not play (heart-rate, power and pace targets, conditions). Strings are written as
JSON strings, which YAML reads as double-quoted scalars, so no name can break the file.
The result is checked by the plan loader itself before it is returned.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from fractions import Fraction

from runcoach.interop.imported import (
    ImportedItem,
    ImportedStep,
    ImportedWorkout,
    one_line,
)
from runcoach.plans.units import DEFAULT_SPM, WALK_SPM, format_spm

_INDENT = "  "


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def format_duration(seconds: Fraction) -> str:
    """A plan duration for ``seconds``, rounded to the millisecond: ``5m``, ``1m30s``,
    ``1h5m``, or ``168.5s`` when it is not whole seconds."""
    millis = round(seconds * 1000)
    if millis % 1000:
        return f"{millis / 1000:.3f}".rstrip("0") + "s"
    whole = millis // 1000
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (secs, "s")) if n]
    return "".join(parts) or "0s"


def _spm_text(spm: tuple[Fraction, Fraction]) -> str:
    start, end = spm
    if start == end:
        return format_spm(start)
    return f"[{format_spm(start)}, {format_spm(end)}]"


def _comment(step_or_block: ImportedItem) -> str:
    parts = [step_or_block.origin, *step_or_block.notes]
    return one_line("; ".join(p for p in parts if p), limit=400)


def _step_lines(step: ImportedStep, indent: str) -> Iterator[str]:
    comment = _comment(step)
    fields = [f"name: {_quote(one_line(step.name) or 'Step')}"]
    fields.append(f"duration: {format_duration(step.seconds)}")
    if step.spm is not None:
        fields.append(f"spm: {_spm_text(step.spm)}")
        how = ""
    elif step.walk:
        fields.append(f"spm: {format_spm(WALK_SPM)}")
        how = "a walk without a cadence: walking cadence"
    else:
        how = "no cadence given: runs at the base cadence"
    text = "; ".join(x for x in (comment, how) if x)
    if text:
        yield f"{indent}# {text}"
    yield f"{indent}- {{{', '.join(fields)}}}"


def _item_lines(items: list[ImportedItem], indent: str) -> Iterator[str]:
    for item in items:
        if isinstance(item, ImportedStep):
            yield from _step_lines(item, indent)
            continue
        comment = _comment(item)
        if comment:
            yield f"{indent}# {comment}"
        yield f"{indent}- repeat: {item.times}"
        if item.name:
            yield f"{indent}  name: {_quote(one_line(item.name))}"
        yield f"{indent}  segments:"
        yield from _item_lines(item.items, indent + _INDENT * 2)


def plan_yaml(
    workout: ImportedWorkout,
    *,
    source: str,
    name: str | None = None,
    spm: Fraction | None = None,
) -> str:
    """The plan file text for ``workout`` read from ``source`` (a file name for the comments).

    ``name`` replaces the workout's name; ``spm`` is the base cadence (default 170) that steps
    without a cadence follow. Walks without a cadence get :data:`WALK_SPM`.
    """
    title = one_line(name if name is not None else workout.name) or "Imported workout"
    base = spm if spm is not None else Fraction(DEFAULT_SPM)
    sport = f", sport {workout.sport}" if workout.sport else ""
    lines = [
        f"# Imported by runcoach from {one_line(source, 300)} ({workout.kind}{sport}).",
        "# Each segment's comment names the step it came from, and keeps as notes what",
        "# runcoach does not play (heart-rate, power and pace targets, end conditions).",
        "# Steps without a cadence run at the base cadence below (or --spm); walks at "
        f"{format_spm(WALK_SPM)} spm.",
    ]
    warnings = workout.warnings.lines()
    if warnings:
        lines.append("# Warnings:")
        lines.extend(f"#   - {one_line(w, 400)}" for w in warnings)
    lines.append(f"name: {_quote(title)}")
    description = one_line(workout.description, 2000)
    if description:
        lines.append(f"description: {_quote(description)}")
    lines.append(f"spm: {format_spm(base)}  # base cadence, steps per minute")
    lines.append("segments:")
    lines.extend(_item_lines(workout.items, _INDENT))
    return "\n".join(lines) + "\n"
