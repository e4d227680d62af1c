"""Zwift workout files (``.zwo``): written for runs, read for runs and rides.

Writing: ``<sportType>run</sportType>`` and one ``<SteadyState>`` per segment (repeats
expanded: Zwift's only repeat, ``IntervalsT``, holds two steps of fixed intensity) with the
segment's cadence (whole steps per minute) and a text event showing its name. A cadence ramp is
a ``<Ramp>`` whose ``CadenceLow``/``CadenceHigh`` are its start and end cadence, as
``PowerLow``/``PowerHigh`` are on Zwift's ramps, with ``Cadence`` its middle. runcoach has no
pace targets, so ``Power`` (a share of threshold pace on a run) is 0.5 for walks and 0.75 for
running: edit it in Zwift's workout editor to suit.

Reading: ``SteadyState``, ``Warmup``, ``Cooldown``, ``Ramp``, ``IntervalsT``, ``FreeRide`` and
``MaxEffort``, with their ``Cadence``/``CadenceLow``/``CadenceHigh``/``CadenceResting``
attributes and text events. A run's cadence is steps per minute; a ride's is revolutions per
minute, doubled into clicks per minute (one per pedal stroke, as a stride is two steps).
XML is parsed with ``defusedxml`` only (no DTD, no entities, nothing external), after a size
check, and the parse stops at a depth or element count no workout reaches.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

from runcoach.interop.imported import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_STEPS,
    RANGE_AS_MIDDLE,
    TARGETS_NOT_KEPT,
    Context,
    ImportedItem,
    ImportedStep,
    ImportedWorkout,
    count_steps,
    is_walk_name,
    one_line,
)
from runcoach.interop.workout_steps import WorkoutStep, expand, workout_items
from runcoach.plans.units import format_seconds
from runcoach.timeline import Session

#: Deepest element nesting read (workout_file > workout > step > textevent is 4).
MAX_XML_DEPTH = 8
#: Most elements read from one file.
MAX_XML_ELEMENTS = 20_000
#: ``Power`` written for walks and for running (a share of threshold pace on a Zwift run).
WALK_POWER, RUN_POWER = "0.5", "0.75"


def _number(value: Fraction) -> str:
    """Seconds to the millisecond, without trailing zeros: ``300``, ``176.471``."""
    millis = round(value * 1000)
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis / 1000:.3f}".rstrip("0")


def _element(step: WorkoutStep) -> ET.Element:
    attrs = {
        "Duration": _number(Fraction(step.milliseconds, 1000)),
        "Power": WALK_POWER if step.is_walk else RUN_POWER,
    }
    if step.spm_start == step.spm_end:
        node = ET.Element("SteadyState", attrs, Cadence=str(round(step.spm_start)))
    else:
        middle = round((step.spm_start + step.spm_end) / 2)
        node = ET.Element(
            "Ramp",
            attrs,
            PowerLow=attrs["Power"],
            PowerHigh=attrs["Power"],
            Cadence=str(middle),
            CadenceLow=str(round(step.spm_start)),
            CadenceHigh=str(round(step.spm_end)),
        )
        del node.attrib["Power"]
    ET.SubElement(node, "textevent", timeoffset="0", message=one_line(step.name))
    return node


def write_zwo(
    session: Session, *, tolerance: float | Fraction = 3, fit_cadence: str = "strides"
) -> bytes:
    """A Zwift run workout for ``session`` (UTF-8 XML). ``tolerance`` and ``fit_cadence`` are
    FIT options, accepted so every writer takes the same arguments."""
    root = ET.Element("workout_file")
    ET.SubElement(root, "author").text = "runcoach"
    ET.SubElement(root, "name").text = one_line(session.plan.name)
    about = one_line(session.plan.description, 2000)
    ET.SubElement(root, "description").text = (
        about + " " if about else ""
    ) + "Cadence in steps per minute."
    ET.SubElement(root, "sportType").text = "run"
    ET.SubElement(ET.SubElement(root, "tags"), "tag", name="runcoach")
    workout = ET.SubElement(root, "workout")
    for step in expand(workout_items(session)):
        workout.append(_element(step))
    ET.indent(root, space="    ")
    text: bytes = ET.tostring(root, encoding="unicode").encode("utf-8")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + text + b"\n"


# --- reading ------------------------------------------------------------------------------------


def _parse(data: bytes, ctx: Context) -> ET.Element:
    """Parse with defusedxml, refusing DTDs and entities, stopping past the depth/size limits."""
    import defusedxml
    import defusedxml.ElementTree as DET

    if len(data) > MAX_IMPORT_BYTES:
        raise ctx.error(f"the file is larger than {MAX_IMPORT_BYTES} bytes")
    depth = count = 0
    root: ET.Element | None = None
    try:
        for event, element in DET.iterparse(io.BytesIO(data), ("start", "end"), forbid_dtd=True):
            if event == "end":
                depth -= 1
                continue
            depth += 1
            count += 1
            root = element if root is None else root
            if depth > MAX_XML_DEPTH:
                raise ctx.error(f"the XML nests deeper than {MAX_XML_DEPTH} levels; not a workout")
            if count > MAX_XML_ELEMENTS:
                raise ctx.error(f"the XML has more than {MAX_XML_ELEMENTS} elements; not a workout")
    except defusedxml.DefusedXmlException as err:
        what = {"DTDForbidden": "a DTD (<!DOCTYPE>)", "EntitiesForbidden": "entities"}.get(
            type(err).__name__, "an external reference"
        )
        raise ctx.error(
            f"refused: the XML declares {what}; DTDs and entities are not allowed in a workout file"
        ) from None
    except ET.ParseError as err:
        raise ctx.error(f"not valid XML ({err})") from None
    if root is None:
        raise ctx.error("not valid XML (no element)")
    return root


def _child_text(root: ET.Element, tag: str) -> str:
    for child in root:
        if child.tag.lower() == tag.lower():
            return one_line(child.text or "", 2000)
    return ""


class _ZwoReader:
    """Reads the step elements of one ``<workout>``."""

    def __init__(self, ctx: Context, bike: bool, distance: bool, ours: bool) -> None:
        self.ctx = ctx
        self.bike = bike
        self.distance = distance  # Duration values are metres (durationType distance)
        self.ours = ours  # written by runcoach: its Power values are placeholders

    def number(
        self, node: ET.Element, name: str, where: str, default: str | None = None
    ) -> Fraction | None:
        raw = _attr(node, name, default)
        if raw is None:
            return None
        try:
            value = Fraction(raw.strip())
        except (ValueError, ZeroDivisionError):
            raise self.ctx.error(f"{name} must be a number, got {raw!r}", where) from None
        if value < 0 or value > 10**7:
            raise self.ctx.error(f"{name} is out of range, got {raw!r}", where)
        return value

    def seconds(self, node: ET.Element, name: str, where: str, label: str) -> tuple[Fraction, str]:
        value = self.number(node, name, where)
        if value is None:
            raise self.ctx.error(f"needs a {name}", where)
        if value == 0:
            raise _Empty()
        if self.distance:
            return self.ctx.distance_seconds(value, where, label)
        return value, format_seconds(value, tenths=True)

    def spm(self, value: Fraction | None, where: str) -> Fraction | None:
        if value is None or value == 0:
            return None
        if self.bike:
            self.ctx.warnings.add(
                "a ride's cadence (rpm) is doubled into clicks per minute, one per pedal stroke"
            )
            value *= 2
        return self.ctx.cadence(value, where)

    def cadence(self, node: ET.Element, where: str, ramp: bool) -> tuple[Fraction, Fraction] | None:
        one = self.spm(self.number(node, "Cadence", where), where)
        low = self.spm(self.number(node, "CadenceLow", where), where)
        high = self.spm(self.number(node, "CadenceHigh", where), where)
        if low is not None and high is not None:
            if ramp:  # on ramps Low/High are the start and end, as PowerLow/PowerHigh are
                return low, high
            if one is None:
                self.ctx.warnings.add(RANGE_AS_MIDDLE, where)
                one = (low + high) / 2
        single = one if one is not None else (low if low is not None else high)
        return None if single is None else (single, single)

    def step(self, node: ET.Element, number: int, default_name: str) -> ImportedStep:
        where = f"<{node.tag}> #{number}"
        texts = list(_texts(node))
        name = texts[0][1] if texts and texts[0][0] == 0 else default_name
        seconds, how = self.seconds(node, "Duration", where, name)
        ramp = node.tag.lower() in ("warmup", "cooldown", "ramp")
        spm = self.cadence(node, where, ramp)
        notes = self.power(node, where) + [
            f"text at {format_seconds(t, tenths=True)}: {m!r}" for t, m in texts if m != name
        ]
        walk = (_attr(node, "replacement_prescription") or "").upper() == "WALK" or is_walk_name(
            name
        )
        return ImportedStep(name, seconds, spm, walk, origin=f"{where}: {how}", notes=notes)

    def power(self, node: ET.Element, where: str, prefix: str = "") -> list[str]:
        """Power and pace attributes as notes (runcoach does not play them), with a warning."""
        notes = [] if self.ours else _power_notes(node, self.bike, prefix)
        if notes:
            self.ctx.warnings.add(TARGETS_NOT_KEPT, where)
        return notes

    def intervals(self, node: ET.Element, number: int) -> list[ImportedItem]:
        where = f"<{node.tag}> #{number}"
        times_raw = self.number(node, "Repeat", where, "1")
        if times_raw is None or times_raw.denominator != 1 or times_raw < 1:
            raise self.ctx.error(
                f"Repeat must be a whole number of at least 1, got {_attr(node, 'Repeat')!r}", where
            )
        on_s, on_how = self.seconds(node, "OnDuration", where, "on")
        off_s, off_how = self.seconds(node, "OffDuration", where, "off")
        texts = list(_texts(node))
        on_name = next((m for t, m in texts if t == 0), "Interval")
        off_name = next((m for t, m in texts if t == on_s), "Recovery")
        on = ImportedStep(
            on_name,
            on_s,
            self.cadence(node, where, False),
            is_walk_name(on_name),
            origin=f"{where} on: {on_how}",
            notes=self.power(node, where, "On"),
        )
        rest = self.spm(self.number(node, "CadenceResting", where), where)
        off = ImportedStep(
            off_name,
            off_s,
            None if rest is None else (rest, rest),
            is_walk_name(off_name),
            origin=f"{where} off: {off_how}",
            notes=self.power(node, where, "Off"),
        )
        times = int(times_raw)
        if times == 1:
            return [on, off]
        return [self.ctx.repeat(times, [on, off], f"{where}: {times} x (on, off)")]


_DEFAULT_NAMES = {
    "steadystate": "Steady",
    "warmup": "Warm-up",
    "cooldown": "Cool-down",
    "ramp": "Ramp",
    "freeride": "Free run",
    "maxeffort": "Max effort",
}


def _attr(node: ET.Element, name: str, default: str | None = None) -> str | None:
    """An attribute by name, ignoring case (Zwift files mix ``pace`` and ``Pace``)."""
    for key, value in node.attrib.items():
        if key.lower() == name.lower():
            return value
    return default


def _texts(node: ET.Element) -> Iterator[tuple[Fraction, str]]:
    for child in node:
        if child.tag.lower() == "textevent":
            offset = _attr(child, "timeoffset", "0") or "0"
            try:
                at = Fraction(offset)
            except (ValueError, ZeroDivisionError):
                at = Fraction(-1)
            yield at, one_line(_attr(child, "message", ""))


def _power_notes(node: ET.Element, bike: bool, prefix: str = "") -> list[str]:
    """``Power``-like attributes (and a run's ``pace`` zone) as notes."""
    what = "FTP" if bike else "threshold pace"
    out = []
    for key, value in node.attrib.items():
        low = key.lower()
        if low == "pace" and not bike and not prefix:
            out.append(f"pace zone {one_line(value, 20)} (not kept)")
        if not low.startswith(f"{prefix}power".lower()):
            continue
        try:
            share = f"{float(value) * 100:.0f}% of {what}" if "zone" not in low else value
        except ValueError:
            share = repr(value)
        out.append(f"{key} {one_line(share, 40)} (not kept)")
    return out


def read_zwo(data: bytes, *, source: str, pace: Fraction | None = None) -> ImportedWorkout:
    """Read a Zwift workout (``data``, named ``source`` in messages) into an imported workout.

    Raises ``PlanError`` (one line) for hostile or malformed XML and wrong attribute types.
    """
    ctx = Context(source, pace)
    root = _parse(data, ctx)
    if root.tag != "workout_file":
        raise ctx.error(f"not a Zwift workout (its root element is <{one_line(root.tag, 40)}>)")
    sport = (_child_text(root, "sportType") or "bike").lower()
    reader = _ZwoReader(
        ctx,
        bike=sport != "run",
        distance=_child_text(root, "durationType").lower() == "distance",
        ours=_child_text(root, "author") == "runcoach",
    )
    body = next((c for c in root if c.tag == "workout"), None)
    if body is None:
        raise ctx.error("the Zwift workout has no <workout> element")
    items = _read_items(body, reader)
    if not items:
        raise ctx.error("the Zwift workout has no steps")
    return ImportedWorkout(
        name=_child_text(root, "name") or Path(source).stem,
        kind="a Zwift workout",
        items=items,
        sport=sport,
        description=_child_text(root, "description"),
        warnings=ctx.warnings,
    )


class _Empty(Exception):
    """An element that lasts no time: skipped with a warning."""


def _read_items(body: ET.Element, reader: _ZwoReader) -> list[ImportedItem]:
    items: list[ImportedItem] = []
    for number, node in enumerate(body, start=1):
        tag = node.tag.lower()
        where = f"element #{number}"
        try:
            if tag == "intervalst":
                items.extend(reader.intervals(node, number))
            elif tag in _DEFAULT_NAMES:
                items.append(reader.step(node, number, _DEFAULT_NAMES[tag]))
            else:
                reader.ctx.warnings.add(
                    f"<{one_line(node.tag, 40)}> is not a workout step: skipped", where
                )
        except _Empty:
            reader.ctx.warnings.add("elements that last no time are skipped", where)
        if len(items) > MAX_IMPORT_STEPS:
            break
    if count_steps(items) > MAX_IMPORT_STEPS:
        raise reader.ctx.error(f"the workout has more than {MAX_IMPORT_STEPS} steps")
    return items
