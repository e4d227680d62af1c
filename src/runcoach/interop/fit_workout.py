"""FIT workout files, written and read with Garmin's own FIT SDK (``garmin-fit-sdk``).

Writing: ``file_id`` (type workout), ``workout`` (sport running, the plan's name, the number of
steps) and one ``workout_step`` per segment: its name, ``duration_type`` time in milliseconds,
its intensity (see :mod:`runcoach.interop.workout_steps`) and a custom cadence target. Repeat
blocks are ``repeat_until_steps_cmplt`` steps that loop back to their first step.

Cadence unit: FIT's profile gives running cadence in *strides* per minute (one foot), so targets
are written as steps / 2 by default; ``fit_cadence="steps"`` writes steps per minute for devices
that read them so. The range is the step's cadence (a ramp: the range it spans) widened by the
tolerance and rounded outwards to whole numbers, so the watch never alerts inside the tolerance.
The unit is also named in the workout's description, which :func:`read_fit` reads back.

Output is deterministic: the creation time is fixed and the file's serial number is a checksum
of its content, so the same plan gives the same bytes and different workouts different ids.
"""

from __future__ import annotations

import math
import re
import zlib
from fractions import Fraction
from pathlib import Path
from typing import Any

from runcoach.errors import OptionError, PlanError
from runcoach.interop.imported import (
    MAX_IMPORT_STEPS,
    OPEN_STEP_SECONDS,
    RANGE_AS_MIDDLE,
    TARGETS_NOT_KEPT,
    Context,
    ImportedItem,
    ImportedStep,
    ImportedWorkout,
    format_pace,
    is_walk_name,
    one_line,
)
from runcoach.interop.workout_steps import WorkoutItem, WorkoutStep, workout_items
from runcoach.plans.units import format_seconds, format_spm, plural
from runcoach.timeline import Session

#: Cadence units a FIT target can be written in.
FIT_CADENCE_UNITS = ("strides", "steps")
#: The most workout steps written (message_index is 16 bits; watches hold far fewer).
MAX_FIT_STEPS = 10_000
#: Longest name written, in UTF-8 bytes (a FIT string field holds at most 255).
MAX_FIT_NAME_BYTES = 100
#: ``file_id.time_created``: fixed (2020-01-01 00:00 UTC as FIT time) so output is reproducible.
FIXED_TIME_CREATED = 946_339_200
#: What the workout description says about the cadence unit (read back by :func:`read_fit`).
UNIT_NOTE = {
    "strides": "cadence targets in strides per minute (steps / 2)",
    "steps": "cadence targets in steps per minute",
}


def cadence_range(
    spm_low: Fraction, spm_high: Fraction, tolerance: Fraction, unit: str
) -> tuple[int, int]:
    """The FIT custom cadence target (low, high) for a step from ``spm_low`` to ``spm_high``
    steps per minute, ± ``tolerance`` spm, in ``unit`` (strides: halved), rounded outwards."""
    divisor = 2 if unit == "strides" else 1
    low = math.floor((spm_low - tolerance) / divisor)
    high = math.ceil((spm_high + tolerance) / divisor)
    return max(low, 0), high


def _fit_text(text: str) -> str:
    """``text`` without control characters, cut to whole characters within the byte limit."""
    clean = "".join(ch for ch in text if ch.isprintable())
    while len(clean.encode("utf-8")) > MAX_FIT_NAME_BYTES:
        clean = clean[:-1]
    return clean


def cadence_note(step: WorkoutStep) -> str:
    """The step's notes: ``cadence 170 spm`` or ``cadence 165 to 155 spm`` (read back on
    import to recover a ramp's direction)."""
    if step.spm_start == step.spm_end:
        return f"cadence {format_spm(step.spm_start)} spm"
    return f"cadence {format_spm(step.spm_start)} to {format_spm(step.spm_end)} spm"


def _step_message(step: WorkoutStep, index: int, tolerance: Fraction, unit: str) -> dict[str, Any]:
    low, high = cadence_range(step.spm_low, step.spm_high, tolerance, unit)
    return {
        "message_index": index,
        "wkt_step_name": _fit_text(step.name),
        "duration_type": "time",
        "duration_value": step.milliseconds,
        "target_type": "cadence",
        "target_value": 0,  # 0: a custom range, not a zone
        "custom_target_value_low": low,
        "custom_target_value_high": high,
        "intensity": step.intensity,
        "notes": cadence_note(step),
    }


def step_messages(
    items: tuple[WorkoutItem, ...], tolerance: Fraction, unit: str
) -> list[dict[str, Any]]:
    """The ``workout_step`` messages (without ``mesg_num``) for ``items``."""
    out: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, WorkoutStep):
            out.append(_step_message(item, len(out), tolerance, unit))
            continue
        first = len(out)
        for step in item.steps:
            out.append(_step_message(step, len(out), tolerance, unit))
        out.append(
            {
                "message_index": len(out),
                "duration_type": "repeat_until_steps_cmplt",
                "duration_value": first,  # the step to loop back to
                "target_value": item.times,  # how many times the block is played in all
            }
        )
        if len(out) > MAX_FIT_STEPS:
            break
    return out


def check_options(tolerance: float | Fraction, fit_cadence: str) -> Fraction:
    """Check ``--tolerance`` (0-30 spm) and ``--fit-cadence``; return the tolerance exactly."""
    if fit_cadence not in FIT_CADENCE_UNITS:
        raise OptionError(f"--fit-cadence must be strides or steps, got {fit_cadence!r}")
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float, Fraction)):
        raise OptionError(f"--tolerance must be a number of steps per minute, got {tolerance!r}")
    if isinstance(tolerance, float) and not math.isfinite(tolerance):
        raise OptionError(f"--tolerance must be a number of steps per minute, got {tolerance}")
    value = Fraction(tolerance).limit_denominator(100)
    if not 0 <= value <= 30:
        raise OptionError(f"--tolerance must be between 0 and 30 steps per minute, got {tolerance}")
    return value


def write_fit(
    session: Session, *, tolerance: float | Fraction = 3, fit_cadence: str = "strides"
) -> bytes:
    """A FIT workout file for ``session`` (see the module docstring). Raises ``OptionError`` for
    bad options, ``PlanError`` when the session needs more steps than a FIT workout holds."""
    from garmin_fit_sdk import Encoder, Profile

    tol = check_options(tolerance, fit_cadence)
    items = workout_items(session)
    steps = step_messages(items, tol, fit_cadence)
    if len(steps) > MAX_FIT_STEPS:
        raise PlanError(
            f"needs more than {MAX_FIT_STEPS} workout steps once inner repeats are unrolled; "
            "a watch cannot hold that",
            source=session.plan.source,
        )
    mesg_num = Profile["mesg_num"]
    name = _fit_text(session.plan.name)
    serial = zlib.crc32(repr((name, items, tol, fit_cadence)).encode("utf-8")) or 1
    encoder = Encoder()
    encoder.write_mesg(
        {
            "mesg_num": mesg_num["FILE_ID"],
            "type": "workout",
            "manufacturer": "development",
            "product": 0,
            "serial_number": serial,
            "time_created": FIXED_TIME_CREATED,
        }
    )
    encoder.write_mesg(
        {
            "mesg_num": mesg_num["WORKOUT"],
            "sport": "running",
            "wkt_name": name,
            "num_valid_steps": len(steps),
            "wkt_description": f"runcoach: {UNIT_NOTE[fit_cadence]}, +-{format_spm(tol)} spm",
        }
    )
    for message in steps:
        encoder.write_mesg({"mesg_num": mesg_num["WORKOUT_STEP"], **message})
    return bytes(encoder.close())


# --- reading ------------------------------------------------------------------------------------

_NOTE = re.compile(r"^cadence (\d+(?:\.\d+)?)(?: to (\d+(?:\.\d+)?))? spm$")
_DEFAULT_NAMES = {
    "warmup": "Warm-up",
    "cooldown": "Cool-down",
    "rest": "Rest",
    "recovery": "Recovery",
    "interval": "Interval",
}
_TIME_TYPES = ("time", "time_only", "repetition_time")


def _int(msg: dict[str, Any], key: str) -> int:
    """A field as a whole number (0 when missing or of another type: a damaged or odd file)."""
    value = msg.get(key)
    if isinstance(value, list) and value:
        value = value[0]
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(msg: dict[str, Any], key: str) -> str:
    """A text field as one clean line ("" when missing; the first of an array)."""
    value = msg.get(key)
    if isinstance(value, list):
        value = value[0] if value else ""
    return one_line(value) if isinstance(value, str) else ""


def _hr(raw: int) -> str:
    return f"{raw}% of max heart rate" if raw < 100 else f"{raw - 100} bpm"


def _power(raw: int) -> str:
    return f"{raw}% of FTP" if raw < 1000 else f"{raw - 1000} W"


def _condition(kind: str, value: int) -> str:
    """What ends a step that is neither timed nor a distance, in words."""
    if kind in (*_TIME_TYPES, "distance"):
        return f"a {kind.replace('_', ' ')} step without a length"
    if kind == "open":
        return "until the lap button is pressed"
    if kind.startswith("hr_"):
        return f"until heart rate is {kind[3:].replace('_', ' ')} {_hr(value)}"
    if kind.startswith("power_"):
        return f"until power is {kind.split('_', 1)[1].replace('_', ' ')} {_power(value)}"
    if kind == "calories":
        return f"until {plural(value, 'calorie')}"
    return f"until {kind.replace('_', ' ')} {value}"


def _range_text(low: int, high: int, convert: Any) -> str:
    a, b = convert(low), convert(high)
    return a if low == high else f"{a} to {b}"


def _other_target(kind: str, zone: int, low: int, high: int) -> str:
    """A heart-rate, power, speed or other target in words (runcoach keeps it as a note)."""
    label = kind.replace("_", " ")
    if zone:
        return f"{label} zone {zone}"
    if kind.startswith("heart_rate"):
        return "heart rate " + _range_text(low, high, _hr)
    if kind.startswith("power"):
        return "power " + _range_text(low, high, _power)
    if kind.startswith("speed") and low and high:
        # custom speed is mm/s: the higher speed is the faster pace
        return f"pace {format_pace(1_000_000 / high)} to {format_pace(1_000_000 / low)}"
    return f"{label} target {low}-{high}" if (low or high) else f"{label} target"


class _FitReader:
    """Turns decoded ``workout_step`` messages into imported steps and repeat blocks."""

    def __init__(self, ctx: Context, factor: int) -> None:
        self.ctx = ctx
        self.factor = factor  # steps per unit of FIT cadence: 2 for strides, 1 for steps

    def cadence(
        self, msg: dict[str, Any], low: int, high: int, where: str
    ) -> tuple[Fraction, Fraction] | None:
        if not (low or high):
            return None
        low, high = (low or high), (high or low)
        lo, hi = Fraction(low * self.factor), Fraction(high * self.factor)
        note = _NOTE.match(_text(msg, "notes"))
        if note:  # runcoach's own note: the exact cadence (and a ramp's direction)
            start = Fraction(note.group(1))
            end = Fraction(note.group(2) or note.group(1))
            if lo - 1 <= min(start, end) and max(start, end) <= hi + 1:
                return self.ctx.cadence(start, where), self.ctx.cadence(end, where)
        middle = self.ctx.cadence((lo + hi) / 2, where)
        if lo != hi:
            self.ctx.warnings.add(RANGE_AS_MIDDLE, where)
        return middle, middle

    def targets(
        self, msg: dict[str, Any], where: str
    ) -> tuple[tuple[Fraction, Fraction] | None, list[str]]:
        spm = None
        notes: list[str] = []
        for prefix in ("", "secondary_"):
            kind = msg.get(f"{prefix}target_type")
            if kind is None or kind == "open":
                continue
            zone = _int(msg, f"{prefix}target_value")
            low = _int(msg, f"{prefix}custom_target_value_low")
            high = _int(msg, f"{prefix}custom_target_value_high")
            if kind == "cadence" and not zone:
                found = self.cadence(msg, low, high, where)
                spm = spm if found is None else found
                if found is not None:
                    notes.append(
                        f"cadence {_range_text(low, high, str)} "
                        f"{'strides' if self.factor == 2 else 'steps'}/min"
                    )
                continue
            text = _other_target(str(kind), zone, low, high)
            notes.append(f"{text} (not kept)")
            self.ctx.warnings.add(TARGETS_NOT_KEPT, where)
        return spm, notes

    def duration(self, msg: dict[str, Any], where: str, name: str) -> tuple[Fraction, str]:
        kind = str(msg.get("duration_type"))
        raw = _int(msg, "duration_value")
        if kind in _TIME_TYPES and raw > 0:
            return Fraction(raw, 1000), f"{format_seconds(Fraction(raw, 1000), tenths=True)}"
        if kind == "distance" and raw > 0:
            return self.ctx.distance_seconds(Fraction(raw, 100), where, name)
        text = _condition(kind, raw)
        self.ctx.warnings.add(
            "steps that end on a condition such as the lap button or a heart rate last "
            f"{format_seconds(OPEN_STEP_SECONDS, tenths=True)} each: edit the plan to suit",
            where,
        )
        return OPEN_STEP_SECONDS, f"{text}: made {format_seconds(OPEN_STEP_SECONDS, tenths=True)}"

    def step(self, msg: dict[str, Any], number: int) -> ImportedStep:
        where = f"step {number}"
        intensity = str(msg.get("intensity") or "")
        name = _text(msg, "wkt_step_name") or _DEFAULT_NAMES.get(intensity, f"Step {number}")
        seconds, how = self.duration(msg, where, name)
        spm, notes = self.targets(msg, where)
        walk = intensity == "rest" or is_walk_name(name, _text(msg, "notes"))
        extra = [f"intensity {intensity}"] if intensity else []
        return ImportedStep(
            name, seconds, spm, walk, origin=f"FIT {where} {name!r}: {how}", notes=extra + notes
        )

    def build(self, messages: list[dict[str, Any]]) -> list[ImportedItem]:
        """The step tree: each repeat step wraps the items from the step it loops back to."""
        nodes: list[tuple[int, ImportedItem]] = []
        for position, msg in enumerate(messages):
            index = _index(msg, position)
            kind = str(msg.get("duration_type"))
            if not kind.startswith("repeat_until"):
                nodes.append((index, self.step(msg, index + 1)))
                continue
            where = f"step {index + 1}"
            start = msg.get("duration_value")
            first = next((i for i, (at, _) in enumerate(nodes) if at == start), None)
            if first is None or not isinstance(start, int):
                raise self.ctx.error(
                    f"repeats from step {start!r}, which is not an earlier step "
                    "that starts a block",
                    where,
                )
            body = [item for _, item in nodes[first:]]
            del nodes[first:]
            times = msg.get("target_value")
            if kind != "repeat_until_steps_cmplt":
                self.ctx.warnings.add(
                    "repeats until a condition such as a time or a heart rate are played once",
                    where,
                )
                times = 1
            if not isinstance(times, int) or times < 1:
                raise self.ctx.error(f"a repeat count must be 1 or more, got {times!r}", where)
            if times == 1:
                nodes.extend((start, item) for item in body)
                continue
            origin = f"FIT {where}: steps {start + 1}-{index} {times} times"
            nodes.append((start, self.ctx.repeat(times, body, origin)))
        return [item for _, item in nodes]


def _index(msg: dict[str, Any], position: int) -> int:
    raw = msg.get("message_index")
    return raw & 0x0FFF if isinstance(raw, int) else position


def _decode(data: bytes, ctx: Context) -> dict[str, Any]:
    from garmin_fit_sdk import Decoder, Stream

    if len(data) < 12 or data[8:12] != b".FIT":
        raise ctx.error("not a FIT file (it has no FIT header)")
    try:
        messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read(
            convert_datetimes_to_dates=False, merge_heart_rates=False
        )
    except Exception as err:  # the SDK raises plain exceptions for broken files
        raise ctx.error(f"not a readable FIT file ({one_line(err, 200)})") from None
    if errors:
        raise ctx.error(
            f"the FIT file is damaged or cut short ({one_line(errors[0], 200)}); nothing was read"
        )
    return dict(messages)


def _cadence_factor(workout: dict[str, Any], steps: list[dict[str, Any]], ctx: Context) -> int:
    """2 when the file's cadence targets are strides per minute (FIT's unit), 1 for steps."""
    description = _text(workout, "wkt_description")
    if UNIT_NOTE["steps"] in description:
        return 1
    if UNIT_NOTE["strides"] in description:
        return 2
    values = [
        _int(m, f"{p}custom_target_value_{end}")
        for m in steps
        for p in ("", "secondary_")
        if m.get(f"{p}target_type") == "cadence"
        for end in ("low", "high")
    ]
    if values and max(values) > 120:
        ctx.warnings.add("cadence targets above 120 are read as steps per minute, not strides")
        return 1
    return 2


def read_fit(data: bytes, *, source: str, pace: Fraction | None = None) -> ImportedWorkout:
    """Read a FIT workout file (``data``, named ``source`` in messages) into an imported workout.

    Distance steps need ``pace`` (seconds per km). Raises ``PlanError`` for a file that is not a
    complete FIT workout, ``OptionError`` for a distance step without a pace.
    """
    ctx = Context(source, pace)
    messages = _decode(data, ctx)
    file_ids = messages.get("file_id_mesgs") or [{}]
    kind = file_ids[0].get("type")
    if kind != "workout":
        raise ctx.error(f"is a FIT {kind or 'file without a file type'} file, not a workout")
    steps = list(messages.get("workout_step_mesgs") or [])
    if not steps:
        raise ctx.error("the FIT workout has no steps")
    if len(steps) > MAX_IMPORT_STEPS:
        raise ctx.error(
            f"the workout has {len(steps)} steps; runcoach imports at most {MAX_IMPORT_STEPS}"
        )
    steps.sort(key=lambda m: _index(m, 0))
    workout = (messages.get("workout_mesgs") or [{}])[0]
    reader = _FitReader(ctx, _cadence_factor(workout, steps, ctx))
    items = reader.build(steps)
    description = _text(workout, "wkt_description")
    sport = workout.get("sport")
    if sport not in (None, "running", "walking", "generic"):
        ctx.warnings.add(f"this is a {sport} workout: imported as a running plan")
    return ImportedWorkout(
        name=_text(workout, "wkt_name") or Path(source).stem,
        kind="a FIT workout file",
        items=items,
        sport=None if sport is None else str(sport),
        description="" if description.startswith("runcoach:") else description,
        warnings=ctx.warnings,
    )
