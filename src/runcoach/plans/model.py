"""The plan model: segments, repeats, cadence, breath patterns and sounds.

Plans are plain frozen dataclasses that validate themselves when built, so a plan written in
Python gets the same checks as one read from YAML. Values may be given in their text form
(``duration="1m30s"``, ``spm="+5"``, ``breath="4:6"``) or as numbers; they are normalised to
exact types (``Fraction`` seconds, ``Cadence``, ``Breath``).

Errors are :class:`~runcoach.errors.PlanError` with ``field`` naming the attribute; the loader
prefixes the field path (``segments[2].spm``) and adds file and line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from runcoach.errors import PlanError

#: Cadence limits in steps per minute, inclusive.
MIN_SPM = 60
MAX_SPM = 240
#: The longest session a plan may describe, in seconds.
MAX_TOTAL_SECONDS = 24 * 3600
#: The most segments a plan may expand to (repeats included).
MAX_SEGMENTS = 100_000
#: Longest breath phase, in steps.
MAX_BREATH_STEPS = 16
#: Deepest nesting of repeat blocks.
MAX_DEPTH = 16

DEFAULT_SPM = 170
DEFAULT_SOUND = "woodblock"
#: Click sounds the metronome can synthesize; ``off`` keeps a segment silent between cues.
SOUND_NAMES = ("woodblock", "beep", "tick", "clave", "cowbell")
SOUND_OFF = "off"

_NUM = r"\d+(?:\.\d+)?"
_UNITS = {
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
}
_DURATION_PART = re.compile(rf"\s*({_NUM})\s*([a-z]+)\s*")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d{2}(?:\.\d+)?)$")


def parse_duration(value: object) -> Fraction:
    """Parse a duration into exact seconds.

    Accepts ``90s``, ``2m``, ``1m30s``, ``1h5m``, ``2.5min``, ``1:30`` (m:ss), ``1:05:00``
    (h:mm:ss), or a ``Fraction``/``timedelta``-free number of seconds given from Python as an
    ``int``/``Fraction``. Raises ``PlanError`` (field ``duration``) for anything else.
    """
    if isinstance(value, bool):
        raise PlanError(
            f"expected a duration such as 90s, 2m or 1:30, got {value!r}", field="duration"
        )
    if isinstance(value, (int, Fraction)):
        seconds = Fraction(value)
    elif isinstance(value, float):
        seconds = Fraction(value).limit_denominator(1000)
    elif isinstance(value, str):
        seconds = _parse_duration_text(value)
    else:
        raise PlanError(
            f"expected a duration such as 90s, 2m or 1:30, got {value!r}", field="duration"
        )
    if seconds <= 0:
        raise PlanError(f"must be longer than zero, got {value!r}", field="duration")
    if seconds > MAX_TOTAL_SECONDS:
        raise PlanError(f"must be at most 24 hours, got {value!r}", field="duration")
    return seconds


def _parse_duration_text(text: str) -> Fraction:
    raw = text.strip().lower()
    clock = _CLOCK.match(raw)
    if clock:
        hours, minutes, seconds = clock.groups()
        total = Fraction(int(hours or 0) * 3600 + int(minutes) * 60) + Fraction(seconds)
        if hours is not None and int(minutes) >= 60:
            raise PlanError(f"minutes must be below 60 in h:mm:ss, got {text!r}", field="duration")
        return total
    if re.fullmatch(_NUM, raw):
        raise PlanError(f"needs a unit, e.g. {raw}s or {raw}m, got {text!r}", field="duration")
    pos = 0
    total = Fraction(0)
    last_unit = math.inf
    while pos < len(raw):
        part = _DURATION_PART.match(raw, pos)
        if not part or part.group(2) not in _UNITS:
            raise PlanError(
                f"expected a duration such as 90s, 2m, 1m30s, 1h5m or 1:30, got {text!r}",
                field="duration",
            )
        unit = _UNITS[part.group(2)]
        if unit >= last_unit:
            raise PlanError(f"units must go from hours to seconds, got {text!r}", field="duration")
        last_unit = unit
        total += Fraction(part.group(1)) * unit
        pos = part.end()
    if pos == 0:
        raise PlanError(
            f"expected a duration such as 90s, 2m or 1:30, got {text!r}", field="duration"
        )
    return total


def format_seconds(seconds: float | Fraction) -> str:
    """Format seconds as ``m:ss`` or ``h:mm:ss`` (rounded to whole seconds)."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_spm(spm: Fraction | float) -> str:
    """Format a cadence without trailing zeros: ``170``, ``161.5``."""
    value = float(spm)
    return f"{value:.0f}" if value == round(value) else f"{value:.1f}".rstrip("0")


@dataclass(frozen=True)
class Cadence:
    """One cadence value: absolute (``170``), relative to the base (``+5``/``-10``) or a share
    of it (``95%``)."""

    kind: Literal["abs", "rel", "pct"]
    value: Fraction

    _ABS = re.compile(rf"^{_NUM}$")
    _REL = re.compile(rf"^[+-]\s*{_NUM}$")
    _PCT = re.compile(rf"^{_NUM}\s*%$")

    @classmethod
    def parse(cls, value: object) -> Cadence:
        """Parse ``170``, ``"+5"``, ``"-10"`` or ``"95%"``; raise ``PlanError`` otherwise."""
        if isinstance(value, Cadence):
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, str)):
            raise PlanError(
                f'expected a cadence such as 170, "+5", "-10" or "95%", got {value!r}',
                field="spm",
            )
        if isinstance(value, (int, float, Fraction)):
            cadence = cls("abs", Fraction(value).limit_denominator(1000))
        else:
            text = value.strip()
            if cls._REL.match(text):
                cadence = cls("rel", Fraction(text.replace(" ", "")))
            elif cls._PCT.match(text):
                cadence = cls("pct", Fraction(text[:-1].strip()))
            elif cls._ABS.match(text):
                cadence = cls("abs", Fraction(text))
            else:
                raise PlanError(
                    f'expected a cadence such as 170, "+5", "-10" or "95%", got {value!r}',
                    field="spm",
                )
        if cadence.kind == "abs" and not MIN_SPM <= cadence.value <= MAX_SPM:
            raise PlanError(
                f"must be between {MIN_SPM} and {MAX_SPM} steps per minute, got {value!r}",
                field="spm",
            )
        if cadence.kind == "pct" and not 0 < cadence.value <= 400:
            raise PlanError(
                f"a share of the base cadence must be above 0%, got {value!r}", field="spm"
            )
        return cadence

    def resolve(self, base: Fraction) -> Fraction:
        """Return the cadence in steps per minute for a base cadence ``base``."""
        if self.kind == "abs":
            return self.value
        if self.kind == "rel":
            return base + self.value
        return base * self.value / 100

    def __str__(self) -> str:
        number = format_spm(self.value)
        if self.kind == "rel":
            return ("+" if self.value >= 0 else "") + number
        if self.kind == "pct":
            return number + "%"
        return number


#: A segment cadence: one value, or a linear ramp from the first value to the second.
SpmSpec = Cadence | tuple[Cadence, Cadence]


def parse_spm(value: object) -> SpmSpec:
    """Parse a segment cadence: one value or a two-item ramp ``[start, end]``."""
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise PlanError(
                f"a ramp is a list of two cadences [start, end], got {len(value)} items",
                field="spm",
            )
        return (Cadence.parse(value[0]), Cadence.parse(value[1]))
    return Cadence.parse(value)


@dataclass(frozen=True)
class Breath:
    """A breathing pattern: inhale over ``inhale`` steps, then exhale over ``exhale`` steps.

    ``Breath(0, 0)`` (``Breath.OFF``) means no breath cues.
    """

    inhale: int
    exhale: int

    _PATTERN = re.compile(r"^(\d+)\s*:\s*(\d+)$")
    _OFF_WORDS = frozenset({"off", "false", "no", "none", "0"})

    @property
    def off(self) -> bool:
        """True when this pattern gives no breath cues."""
        return self.inhale == 0

    @property
    def cycle(self) -> int:
        """Steps in one full breath (inhale plus exhale)."""
        return self.inhale + self.exhale

    @classmethod
    def parse(cls, value: object) -> Breath:
        """Parse ``"4:6"``, ``"3:2"`` … or ``off``/``false``/``None``; raise ``PlanError``."""
        if isinstance(value, Breath):
            return value
        if value is None or value is False:
            return BREATH_OFF
        if isinstance(value, str):
            text = value.strip().lower()
            if text in cls._OFF_WORDS:
                return BREATH_OFF
            match = cls._PATTERN.match(text)
            if match:
                inhale, exhale = int(match.group(1)), int(match.group(2))
                for steps in (inhale, exhale):
                    if not 1 <= steps <= MAX_BREATH_STEPS:
                        raise PlanError(
                            f"inhale and exhale must each last 1 to {MAX_BREATH_STEPS} steps,"
                            f" got {value!r}",
                            field="breath",
                        )
                return cls(inhale, exhale)
        raise PlanError(
            f'expected a pattern IN:OUT in steps such as "4:6" or "3:2", or off, got {value!r}',
            field="breath",
        )

    def __str__(self) -> str:
        return "off" if self.off else f"{self.inhale}:{self.exhale}"


BREATH_OFF = Breath(0, 0)
DEFAULT_BREATH = Breath(4, 6)


def parse_sound(value: object) -> str:
    """Check a click sound name (one of ``SOUND_NAMES`` or ``off``)."""
    if value is False or value is None:
        return SOUND_OFF
    if isinstance(value, str):
        name = value.strip().lower()
        if name in SOUND_NAMES or name == SOUND_OFF:
            return name
        if name in ("none", "false", "no"):
            return SOUND_OFF
    raise PlanError(
        f"unknown sound {value!r}; choose one of {', '.join(SOUND_NAMES)} or off",
        field="sound",
    )


def _check_name(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PlanError(f"{what} must be non-empty text, got {value!r}", field="name")
    if len(value) > 200:
        raise PlanError(f"{what} is too long ({len(value)} characters, at most 200)", field="name")
    return value.strip()


@dataclass(frozen=True)
class Segment:
    """One stretch of the session at one cadence (or a ramp) and one breath pattern.

    Give exactly one of ``duration`` (seconds, or text such as ``"2m"``) and ``steps``.
    ``spm``, ``breath`` and ``sound`` left as ``None`` follow the plan's base values.
    ``line`` and ``path`` locate the segment in its plan file for error messages.
    """

    name: str
    duration: Fraction | None = None
    steps: int | None = None
    spm: SpmSpec | None = None
    breath: Breath | None = None
    sound: str | None = None
    line: int | None = field(default=None, compare=False, repr=False)
    path: str = field(default="", compare=False, repr=False)

    def __init__(
        self,
        name: str,
        duration: object = None,
        steps: object = None,
        spm: object = None,
        breath: object = None,
        sound: object = None,
        *,
        line: int | None = None,
        path: str = "",
    ) -> None:
        setter = object.__setattr__
        setter(self, "name", _check_name(name, "a segment name"))
        if (duration is None) == (steps is None):
            raise PlanError(
                "give exactly one of duration (e.g. 2m) or steps (e.g. 400)"
                + (", not both" if duration is not None else ""),
                field="duration",
            )
        setter(self, "duration", None if duration is None else parse_duration(duration))
        if steps is not None:
            if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
                raise PlanError(
                    f"must be a whole number of steps above 0, got {steps!r}", field="steps"
                )
            if steps > MAX_TOTAL_SECONDS * MAX_SPM // 60:
                raise PlanError(f"is more steps than 24 hours can hold, got {steps}", field="steps")
        setter(self, "steps", steps)
        setter(self, "spm", None if spm is None else parse_spm(spm))
        setter(self, "breath", None if breath is None else Breath.parse(breath))
        setter(self, "sound", None if sound is None else parse_sound(sound))
        setter(self, "line", line)
        setter(self, "path", path)


@dataclass(frozen=True)
class Repeat:
    """A block of segments played ``times`` times in a row; blocks may nest."""

    times: int
    segments: tuple[Segment | Repeat, ...]
    name: str | None = None
    line: int | None = field(default=None, compare=False, repr=False)
    path: str = field(default="", compare=False, repr=False)

    def __init__(
        self,
        times: int,
        segments: Sequence[Segment | Repeat],
        name: str | None = None,
        *,
        line: int | None = None,
        path: str = "",
    ) -> None:
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise PlanError(f"must be a whole number of at least 1, got {times!r}", field="repeat")
        if times > MAX_SEGMENTS:
            raise PlanError(f"must be at most {MAX_SEGMENTS}, got {times}", field="repeat")
        items = _check_items(segments)
        setter = object.__setattr__
        setter(self, "times", times)
        setter(self, "segments", items)
        setter(self, "name", None if name is None else _check_name(name, "a block name"))
        setter(self, "line", line)
        setter(self, "path", path)


def _check_items(segments: Sequence[Segment | Repeat]) -> tuple[Segment | Repeat, ...]:
    if isinstance(segments, (str, bytes)) or not isinstance(segments, Sequence):
        raise PlanError(f"must be a list of segments, got {segments!r}", field="segments")
    items = tuple(segments)
    if not items:
        raise PlanError("must list at least one segment", field="segments")
    for item in items:
        if not isinstance(item, (Segment, Repeat)):
            raise PlanError(f"expected a Segment or Repeat, got {item!r}", field="segments")
    if _depth(items) > MAX_DEPTH:
        raise PlanError(f"repeat blocks nest more than {MAX_DEPTH} deep", field="segments")
    return items


def _depth(items: Sequence[Segment | Repeat]) -> int:
    return max((1 + _depth(i.segments) if isinstance(i, Repeat) else 0) for i in items)


@dataclass(frozen=True)
class Plan:
    """A whole session: base cadence, breath pattern and sound, and its segments.

    ``spm`` is the base cadence that relative and percentage cadences refer to and that
    segments without ``spm`` run at; ``--spm`` on the command line replaces it.
    ``source`` names the file the plan came from, for error messages.
    """

    name: str
    segments: tuple[Segment | Repeat, ...]
    description: str = ""
    spm: Fraction = Fraction(DEFAULT_SPM)
    breath: Breath = DEFAULT_BREATH
    sound: str = DEFAULT_SOUND
    source: str | None = field(default=None, compare=False)

    def __init__(
        self,
        name: str,
        segments: Sequence[Segment | Repeat],
        description: str = "",
        spm: object = DEFAULT_SPM,
        breath: object = DEFAULT_BREATH,
        sound: object = DEFAULT_SOUND,
        *,
        source: str | None = None,
    ) -> None:
        setter = object.__setattr__
        setter(self, "name", _check_name(name, "the plan name"))
        if not isinstance(description, str):
            raise PlanError(f"must be text, got {description!r}", field="description")
        setter(self, "description", description.strip())
        base = Cadence.parse(spm)
        if base.kind != "abs":
            raise PlanError(
                f"the base cadence must be a number of steps per minute, got {spm!r}", field="spm"
            )
        setter(self, "spm", base.value)
        setter(self, "breath", Breath.parse(breath))
        setter(self, "sound", parse_sound(sound))
        setter(self, "source", source)
        setter(self, "segments", _check_items(segments))

    def walk(self) -> Iterator[Segment]:
        """Yield the segments in play order, repeats expanded (lazily)."""
        yield from _walk(self.segments)


def _walk(items: Sequence[Segment | Repeat]) -> Iterator[Segment]:
    for item in items:
        if isinstance(item, Repeat):
            for _ in range(item.times):
                yield from _walk(item.segments)
        else:
            yield item
