"""The plan model: segments, repeats, cadence, breath patterns and sounds.

Plans are plain frozen dataclasses that validate themselves when built, so a plan written in
Python gets the same checks as one read from YAML. Values may be given in their text form
(``duration="1m30s"``, ``spm="+5"``, ``breath="4:6"``) or as numbers; they are normalised to
exact types (``Fraction`` seconds, ``Cadence``, ``Breath``).

Errors are :class:`~runcoach.errors.PlanError` with ``field`` naming the attribute; the loader
prefixes the field path (``segments[2].spm``) and adds file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from runcoach.errors import PlanError
from runcoach.plans.units import (
    DEFAULT_SPM,
    MAX_BREATH_STEPS,
    MAX_DEPTH,
    MAX_NAME_CHARS,
    MAX_SEGMENTS,
    MAX_SPM,
    MAX_TOTAL_SECONDS,
    check_spm,
    clean_text,
    format_spm,
    parse_duration,
    parse_number,
    plural,
    quote,
)

DEFAULT_SOUND = "woodblock"
#: Click sounds the metronome can synthesize; ``off`` keeps a segment silent between cues.
SOUND_NAMES = ("woodblock", "beep", "tick", "clave", "cowbell")
SOUND_OFF = "off"

_NUM = r"\d+(?:\.\d+)?"


def _set(obj: object, **values: object) -> None:
    """Store normalised values on a frozen dataclass (from its ``__post_init__``)."""
    for name, value in values.items():
        object.__setattr__(obj, name, value)


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
        hint = 'a cadence such as 170, "+5", "-10" or "95%"'
        if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, str)):
            raise PlanError(f"expected {hint}, got {quote(value)}", field="spm")
        if not isinstance(value, str):
            cadence = cls("abs", parse_number(value, field="spm", what=hint))
        else:
            text = value.strip()
            if cls._REL.match(text):
                number = parse_number(text.replace(" ", ""), field="spm", what=hint)
                cadence = cls("rel", number)
            elif cls._PCT.match(text):
                cadence = cls("pct", parse_number(text[:-1].strip(), field="spm", what=hint))
            elif cls._ABS.match(text):
                cadence = cls("abs", parse_number(text, field="spm", what=hint))
            else:
                raise PlanError(f"expected {hint}, got {quote(value)}", field="spm")
        if cadence.kind == "abs":
            check_spm(cadence.value, shown=value)
        if cadence.kind == "pct" and not 1 <= cadence.value <= 400:
            raise PlanError(
                f"a share of the base cadence must be 1% to 400%, got {quote(value)}", field="spm"
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
                f"a ramp is a list of two cadences [start, end], got {plural(len(value), 'item')}",
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

    _PATTERN = re.compile(r"^(\d{1,6})\s*:\s*(\d{1,6})$")  # a few digits: never a huge int
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
                            f" got {quote(value)}",
                            field="breath",
                        )
                return cls(inhale, exhale)
        raise PlanError(
            'expected a pattern IN:OUT in steps such as "4:6" or "3:2", or off, got '
            f"{quote(value)}",
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
        f"unknown sound {quote(value)}; choose one of {', '.join(SOUND_NAMES)} or off",
        field="sound",
    )


def check_name(value: object, what: str) -> str:
    """A name as given, trimmed; ``PlanError`` for empty, over-long or multi-line names (a
    newline or NUL in a name would inject lines into playlists and terminals)."""
    if not isinstance(value, str) or not value.strip():
        raise PlanError(f"{what} must be non-empty text, got {quote(value)}", field="name")
    if len(value) > MAX_NAME_CHARS:
        raise PlanError(
            f"{what} is too long ({len(value)} characters, at most {MAX_NAME_CHARS})",
            field="name",
        )
    if any(c in value for c in "\n\r\x00"):
        raise PlanError(f"{what} must be one line of text, got {quote(value)}", field="name")
    return clean_text(value.strip())


@dataclass(frozen=True)
class Segment:
    """One stretch of the session at one cadence (or a ramp) and one breath pattern.

    Give exactly one of ``duration`` (seconds, or text such as ``"2m"``) and ``steps``.
    ``spm``, ``breath`` and ``sound`` left as ``None`` follow the plan's base values; each may
    be given in its text form (``spm="+5"``, ``breath="4:6"``) and is stored normalised.
    ``line`` and ``path`` locate the segment in its plan file for error messages.
    """

    name: str
    duration: Fraction | None = None
    steps: int | None = None
    spm: SpmSpec | None = None
    breath: Breath | None = None
    sound: str | None = None
    line: int | None = field(default=None, compare=False, repr=False, kw_only=True)
    path: str = field(default="", compare=False, repr=False, kw_only=True)

    def __post_init__(self) -> None:
        duration: object = self.duration
        steps: object = self.steps
        if (duration is None) == (steps is None):
            raise PlanError(
                "give exactly one of duration (e.g. 2m) or steps (e.g. 400)"
                + (", not both" if duration is not None else ""),
                field="duration",
            )
        if steps is not None:
            if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
                raise PlanError(
                    f"must be a whole number of steps above 0, got {quote(steps)}", field="steps"
                )
            if steps > MAX_TOTAL_SECONDS * MAX_SPM // 60:
                raise PlanError(
                    f"is more steps than 24 hours can hold, got {quote(steps)}", field="steps"
                )
        spm: object = self.spm
        breath: object = self.breath
        sound: object = self.sound
        _set(
            self,
            name=check_name(self.name, "a segment name"),
            duration=None if duration is None else parse_duration(duration),
            spm=None if spm is None else parse_spm(spm),
            breath=None if breath is None else Breath.parse(breath),
            sound=None if sound is None else parse_sound(sound),
        )


@dataclass(frozen=True)
class Repeat:
    """A block of segments played ``times`` times in a row; blocks may nest."""

    times: int
    segments: tuple[Segment | Repeat, ...]
    name: str | None = None
    line: int | None = field(default=None, compare=False, repr=False, kw_only=True)
    path: str = field(default="", compare=False, repr=False, kw_only=True)

    def __post_init__(self) -> None:
        times: object = self.times
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise PlanError(
                f"must be a whole number of at least 1, got {quote(times)}", field="repeat"
            )
        if times > MAX_SEGMENTS:
            raise PlanError(f"must be at most {MAX_SEGMENTS}, got {quote(times)}", field="repeat")
        _set(
            self,
            segments=_check_items(self.segments),
            name=None if self.name is None else check_name(self.name, "a block name"),
        )


def _check_items(segments: object) -> tuple[Segment | Repeat, ...]:
    if isinstance(segments, (str, bytes)) or not isinstance(segments, Sequence):
        raise PlanError(f"must be a list of segments, got {quote(segments)}", field="segments")
    items = tuple(segments)
    if not items:
        raise PlanError("must list at least one segment", field="segments")
    for item in items:
        if not isinstance(item, (Segment, Repeat)):
            raise PlanError(f"expected a Segment or Repeat, got {quote(item)}", field="segments")
    if _depth(items) > MAX_DEPTH:
        raise PlanError(f"repeat blocks nest more than {MAX_DEPTH} deep", field="segments")
    return items


def _depth(items: Sequence[Segment | Repeat]) -> int:
    return max((1 + _depth(i.segments) if isinstance(i, Repeat) else 0) for i in items)


@dataclass(frozen=True)
class SessionOrigin:
    """Where a program's session comes from: the program file and the cadence change it makes.

    A problem found only later, when the session is resolved at a base cadence (``--spm 170``
    with a week's ``spm: "+100"`` gives 270), is the program's doing: :meth:`locate` points it
    at the program file, the line and field of the change, and says where in the plan it shows.
    """

    source: str | None  #: the program file
    week: int
    session: int
    change: Fraction  #: the week's and the session's cadence change, added
    line: int | None  #: the line of the change (or of the session, when there is none)
    field: str | None  #: the field path of the change (``weeks[2].spm``)

    def locate(self, err: PlanError) -> PlanError:
        """``err`` (a problem of the session's plan) as a problem of the program."""
        sign = "+" if self.change >= 0 else "-"
        change = f"{sign}{format_spm(abs(self.change))}"
        if err.source == self.source:  # an inline plan: the segment is in the program file
            if not self.change:
                return err
            return PlanError(
                f"{err.problem} (week {self.week}, session {self.session} changes the "
                f"cadence by {change})",
                source=err.source,
                line=err.line,
                field=err.field,
            )
        how = f" with its cadence change ({change})" if self.change else ""
        where = ":".join(str(x) for x in (err.source, err.line) if x)
        inner = f"{err.field}: " if err.field else ""
        at = f" (at {where})" if where and err.source != self.source else ""
        return PlanError(
            f"week {self.week}, session {self.session}{how} fails: {inner}{err.problem}{at}",
            source=self.source,
            line=self.line,
            field=self.field,
        )


@dataclass(frozen=True)
class Plan:
    """A whole session: base cadence, breath pattern and sound, and its segments.

    ``spm`` is the base cadence that relative and percentage cadences refer to and that
    segments without ``spm`` run at; ``--spm`` on the command line replaces it.
    ``source`` names the file the plan came from, for error messages; ``origin`` is set on a
    program's session (:class:`SessionOrigin`), so its problems point at the program.
    """

    name: str
    segments: tuple[Segment | Repeat, ...]
    description: str = ""
    spm: Fraction = Fraction(DEFAULT_SPM)
    breath: Breath = DEFAULT_BREATH
    sound: str = DEFAULT_SOUND
    source: str | None = field(default=None, compare=False, kw_only=True)
    origin: SessionOrigin | None = field(default=None, compare=False, repr=False, kw_only=True)

    def __post_init__(self) -> None:
        description: object = self.description
        if not isinstance(description, str):
            raise PlanError(f"must be text, got {quote(description)}", field="description")
        spm: object = self.spm
        base = Cadence.parse(spm)
        if base.kind != "abs":
            raise PlanError(
                f"the base cadence must be a number of steps per minute, got {quote(spm)}",
                field="spm",
            )
        origin: object = self.origin
        if origin is not None and not isinstance(origin, SessionOrigin):
            raise PlanError(f"must be a SessionOrigin or None, got {quote(origin)}", field="origin")
        source: object = self.source
        if source is not None and not isinstance(source, str):
            raise PlanError(f"must be text or None, got {quote(source)}", field="source")
        _set(
            self,
            name=check_name(self.name, "the plan name"),
            description=clean_text(description.strip()),
            spm=base.value,
            breath=Breath.parse(self.breath),
            sound=parse_sound(self.sound),
            segments=_check_items(self.segments),
        )

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
