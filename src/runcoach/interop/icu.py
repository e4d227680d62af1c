"""intervals.icu workout text, read into an imported workout.

The format, as intervals.icu's workout builder takes it::

    Warmup
    - 10m 115spm Walk

    Main set 6x
    - 2m 170rpm
    - 90s Walk

    Cooldown
    - 5m ramp 165-150rpm

- A line that does not start with ``-`` is a section header; one ending in ``Nx`` (``Main set
  6x``, or ``6x`` alone) repeats the steps under it N times, up to the next blank line or header.
- A step is ``- [cue] DURATION [targets] [text]``. Durations: ``1h``, ``10m``, ``30s``,
  ``1h2m30s``, ``1m30`` (1 min 30 s), ``5'``, ``30"``, ``1'30"``; distances ``2km``,
  ``500mtr``, ``1mi`` (need ``--pace``). Text before the duration (the cue) or after the targets
  names the step; the section's name is used when there is none.
- Cadence: ``170rpm``, ``170spm``, a range ``160-170rpm`` (its middle; with ``ramp`` a ramp from
  the first to the second). intervals.icu writes every cadence as rpm: the number is taken as
  steps per minute as written.
- Power (``75%``, ``220w``, ``Z2``), heart rate (``70% HR``, ``Z2 HR``, ``LTHR``), pace
  (``5:00/km Pace``) and ``press lap`` are kept as notes in the plan's comments.
"""

from __future__ import annotations

import re
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
from runcoach.plans.units import format_seconds

#: Longest line read (a step is a few dozen characters).
MAX_LINE_CHARS = 2_000

_REPEAT = re.compile(r"^(?P<name>.*?)\s*(?P<times>\d+)\s*x$", re.IGNORECASE)
_DURATION = re.compile(
    r"""(?<![\w.:/'"-])(?:
        (?P<h>\d+(?:\.\d+)?)h(?:(?P<hm>\d+)m)?(?:(?P<hs>\d+)s)?
      | (?P<m>\d+(?:\.\d+)?)m(?:in)?(?:(?P<ms>\d+)s?)?
      | (?P<s>\d+(?:\.\d+)?)s
      | (?P<q>\d+)'(?:(?P<qs>\d+)"?)?
      | (?P<dq>\d+)"
    )(?![\w'"])""",
    re.VERBOSE | re.IGNORECASE,
)
_DISTANCE = re.compile(
    r"(?<![\w.:/-])(?P<n>\d+(?:\.\d+)?)\s?(?P<unit>km|mi|mtr|yd|y)(?!\w)", re.IGNORECASE
)
_METERS = {
    "km": Fraction(1000),
    "mi": Fraction("1609.344"),
    "mtr": Fraction(1),
    "y": Fraction("0.9144"),
    "yd": Fraction("0.9144"),
}
_CADENCE = re.compile(
    r"(?<![\w.])(?P<a>\d+(?:\.\d+)?)(?:\s*-\s*(?P<b>\d+(?:\.\d+)?))?\s*(?:rpm|spm)(?!\w)",
    re.IGNORECASE,
)
_TARGETS = re.compile(
    r"""(?<![\w.])(?:
        \d+(?::\d{2})?(?:/\w+)?(?:\s*-\s*\d+(?::\d{2})?(?:/\w+)?)?\s*pace
      | \d+(?:\.\d+)?(?:\s*-\s*\d+(?:\.\d+)?)?\s*%(?:\s*(?:lthr|hr|pace|mmp(?:\s+\d+[hms])?))?
      | \d+(?:\s*-\s*\d+)?\s*w
      | c?z\d(?:\s*-\s*c?z\d)?(?:\s*(?:hr|pace))?
      | lthr | rpe\s*\d+ | press\s+lap | freeride
    )(?!\w)""",
    re.VERBOSE | re.IGNORECASE,
)
_PRESS_LAP = "'press lap' is not kept: each step lasts its time"
_RAMP = re.compile(r"(?<!\w)ramp(?!\w)", re.IGNORECASE)


def _duration_seconds(match: re.Match[str]) -> Fraction:
    g = match.groupdict()
    if g["h"] is not None:
        return Fraction(g["h"]) * 3600 + int(g["hm"] or 0) * 60 + int(g["hs"] or 0)
    if g["m"] is not None:
        return Fraction(g["m"]) * 60 + int(g["ms"] or 0)
    if g["s"] is not None:
        return Fraction(g["s"])
    if g["q"] is not None:
        return Fraction(int(g["q"]) * 60 + int(g["qs"] or 0))
    return Fraction(int(g["dq"]))


def _words(text: str) -> str:
    return one_line(text.strip(" -:,;@")).strip()


class _IcuReader:
    """Reads the lines of one workout text into steps and repeat blocks."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.items: list[ImportedItem] = []
        self.section = ""
        self.block: tuple[int, str, int, list[ImportedItem]] | None = (
            None  # times, name, line, steps
        )
        self.count = 0

    def close_block(self) -> None:
        if self.block is None:
            return
        times, name, line, steps = self.block
        self.block = None
        self.section = ""  # the block's name named its steps only
        where = f"line {line}"
        if not steps:
            raise self.ctx.error(f"{name or 'the repeat'} {times}x repeats no steps", where)
        if times == 1:
            self.items.extend(steps)
            return
        self.items.append(
            self.ctx.repeat(times, steps, f"{where}: {name or 'repeat'} {times}x", name or None)
        )

    def header(self, text: str, line: int) -> None:
        self.close_block()
        match = _REPEAT.match(text)
        if match:
            self.section = _words(match.group("name"))
            self.block = (int(match.group("times")), self.section, line, [])
        else:
            self.section = _words(text)

    def cadence(self, rest: str, where: str) -> tuple[tuple[Fraction, Fraction] | None, str]:
        match = _CADENCE.search(rest)
        if not match:
            return None, rest
        a = self.ctx.cadence(Fraction(match.group("a")), where)
        b = a if match.group("b") is None else self.ctx.cadence(Fraction(match.group("b")), where)
        rest = rest[: match.start()] + " " + rest[match.end() :]
        if a != b and not _RAMP.search(rest):
            self.ctx.warnings.add(RANGE_AS_MIDDLE, where)
            a = b = (a + b) / 2
        return (a, b), rest

    def step(self, text: str, line: int) -> ImportedStep:
        where = f"line {line}"
        found = [m for m in (_DURATION.search(text), _DISTANCE.search(text)) if m]
        if not found:
            raise self.ctx.error(f"a step needs a duration such as 10m or 90s, got {text!r}", where)
        match = min(found, key=lambda m: m.start())
        cue, rest = text[: match.start()], text[match.end() :]
        label = _words(_TARGETS.sub(" ", cue)) or None
        if match.re is _DURATION:
            seconds = _duration_seconds(match)
            how = format_seconds(seconds, tenths=True)
            if seconds <= 0:
                raise self.ctx.error(
                    f"a step must last more than 0 s, got {match.group(0)!r}", where
                )
        else:
            meters = Fraction(match.group("n")) * _METERS[match.group("unit").lower()]
            seconds, how = self.ctx.distance_seconds(meters, where, label or match.group(0))
        spm, rest = self.cadence(rest, where)
        targets = [one_line(m.group(0)) for m in _TARGETS.finditer(cue + " " + rest)]
        text_after = _words(_RAMP.sub(" ", _TARGETS.sub(" ", rest)))
        name = label or text_after or self.section or f"Step {self.count + 1}"
        notes = [f"{t} (not kept)" for t in targets]
        if text_after and text_after != name:
            notes.append(f"text {text_after!r}")
        for target in targets:
            lap = target.lower().startswith("press")
            self.ctx.warnings.add(_PRESS_LAP if lap else TARGETS_NOT_KEPT, where)
        walk = is_walk_name(label, text_after, self.section)
        source_text = one_line(f"- {text}", 120)
        return ImportedStep(
            name, seconds, spm, walk, origin=f"{where} {source_text!r}: {how}", notes=notes
        )

    def read(self, text: str) -> list[ImportedItem]:
        for number, raw in enumerate(text.splitlines(), start=1):
            if len(raw) > MAX_LINE_CHARS:
                raise self.ctx.error(
                    f"the line is longer than {MAX_LINE_CHARS} characters", f"line {number}"
                )
            line = raw.strip()
            if not line:
                self.close_block()
                continue
            if not line.startswith("-"):
                self.header(line, number)
                continue
            step = self.step(line[1:].strip(), number)
            self.count += 1
            if self.count > MAX_IMPORT_STEPS:
                raise self.ctx.error(f"the workout has more than {MAX_IMPORT_STEPS} steps")
            (self.block[3] if self.block is not None else self.items).append(step)
        self.close_block()
        return self.items


def _decode(data: bytes, ctx: Context) -> str:
    if len(data) > MAX_IMPORT_BYTES:
        raise ctx.error(f"the file is larger than {MAX_IMPORT_BYTES} bytes")
    if b"\x00" in data:
        raise ctx.error("not a text file (it holds NUL bytes): give a .fit, .zwo or workout text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ctx.error(f"not UTF-8 text (byte {err.start})") from None


def read_icu(data: bytes, *, source: str, pace: Fraction | None = None) -> ImportedWorkout:
    """Read intervals.icu workout text (``data``, named ``source`` in messages).

    Raises ``PlanError`` naming the line for a step without a duration, and for text with no
    steps at all; ``OptionError`` for a distance without ``pace`` (seconds per km).
    """
    ctx = Context(source, pace)
    items = _IcuReader(ctx).read(_decode(data, ctx))
    if not items or count_steps(items) == 0:
        raise ctx.error(
            "no workout steps found (steps are lines starting with '-', e.g. '- 10m 170rpm')"
        )
    return ImportedWorkout(
        name=Path(source).stem,
        kind="intervals.icu workout text",
        items=items,
        warnings=ctx.warnings,
    )
