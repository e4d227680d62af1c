"""Units, limits and their text forms: the one home of every number rule in runcoach.

Every limit (cadence, durations, sample rates, volume, levels) is defined here once, and every
module that checks one imports it from here; so is every way a number enters (text from a plan,
an option, or a Python call: :func:`parse_number` refuses NaN, infinities and absurd digit
counts) and every way a time, count or name is written out (:func:`format_seconds`,
:func:`plural`, :func:`slug`, :func:`clean_text`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from fractions import Fraction

from runcoach.errors import PlanError

#: Cadence limits in steps per minute, inclusive.
MIN_SPM = 60
MAX_SPM = 240
DEFAULT_SPM = 170
#: Below this cadence a segment is a walk (run/walk plans walk at about 100-125 spm).
WALK_BELOW_SPM = 140
#: The walking cadence runcoach uses where a walk has none (imports, the live ``w`` key).
WALK_SPM = 115
#: The longest session a plan may describe, in seconds.
MAX_TOTAL_SECONDS = 24 * 3600
#: The most segments a plan may expand to (repeats included).
MAX_SEGMENTS = 100_000
#: Longest breath phase, in steps.
MAX_BREATH_STEPS = 16
#: Deepest nesting of repeat blocks.
MAX_DEPTH = 16
#: Sample rates runcoach makes, in Hz, inclusive.
MIN_RATE = 8000
MAX_RATE = 192_000
DEFAULT_RATE = 44_100
#: The overall volume: 0 (silent) to 1 (peaks at -1 dBFS).
MIN_VOLUME = 0.0
MAX_VOLUME = 1.0
#: Level changes of each layer (clicks, cues, voice, music), in dB.
MIN_DB = -40.0
MAX_DB = 12.0
#: The longest name (plan, segment, week) runcoach keeps, in characters.
MAX_NAME_CHARS = 200
#: Most digits a number may have when it enters as text (a 4,000-digit number is no cadence).
MAX_DIGITS = 30

_NUM = r"\d+(?:\.\d+)?"
_NUMBER = re.compile(rf"^[+-]?{_NUM}$")
DURATION_UNITS = {
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
_DURATION_HINT = "a duration such as 90s, 2m, 1m30s, 1h5m or 1:30"


def quote(value: object, limit: int = 80) -> str:
    """``repr(value)`` cut to about ``limit`` characters, for error messages (a number too
    long to write out is named as such)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**MAX_DIGITS:
        return f"a number of more than {MAX_DIGITS} digits"
    try:
        text = repr(value)
    except ValueError:  # an int past Python's 4,300-digit limit, inside a list or fraction
        return f"a {type(value).__name__} too large to show"
    return text if len(text) <= limit else text[: limit - 5] + "…" + text[-4:]


def parse_number(value: object, *, field: str, what: str = "a number") -> Fraction:
    """An exact number from an ``int``, ``float``, ``Fraction`` or decimal text.

    NaN, infinities, booleans and text of more than :data:`MAX_DIGITS` digits are refused with
    ``PlanError`` (field ``field``), quoting the value.
    """
    if isinstance(value, bool):
        raise PlanError(f"expected {what}, got {quote(value)}", field=field)
    if isinstance(value, (int, Fraction)):
        number = Fraction(value)
        if abs(number.numerator) >= 10**MAX_DIGITS or number.denominator >= 10**MAX_DIGITS:
            raise PlanError(f"expected {what}, got a number of absurd size", field=field)
        return number
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PlanError(f"expected {what}, got {quote(value)}", field=field)
        if abs(value) >= 10.0**MAX_DIGITS:
            raise PlanError(f"expected {what}, got a number of absurd size", field=field)
        return Fraction(value).limit_denominator(1000)
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.match(text) and sum(c.isdigit() for c in text) <= MAX_DIGITS:
            return Fraction(text)
    raise PlanError(f"expected {what}, got {quote(value)}", field=field)


def check_spm(value: Fraction | float, *, field: str = "spm", shown: object = None) -> None:
    """Refuse a cadence outside :data:`MIN_SPM`–:data:`MAX_SPM` with ``PlanError``."""
    if not MIN_SPM <= value <= MAX_SPM:
        got = quote(shown) if shown is not None else format_spm(value)
        raise PlanError(
            f"must be between {MIN_SPM} and {MAX_SPM} steps per minute, got {got}", field=field
        )


def parse_duration(value: object) -> Fraction:
    """Parse a duration into exact seconds.

    Accepts ``90s``, ``2m``, ``1m30s``, ``1h5m``, ``2.5min``, ``1:30`` (m:ss), ``1:05:00``
    (h:mm:ss), or a number of seconds given from Python (``int``, ``Fraction``, finite
    ``float``). Raises ``PlanError`` (field ``duration``) for anything else, for zero and for
    more than 24 hours.
    """
    if isinstance(value, str):
        seconds = _parse_duration_text(value)
    elif isinstance(value, (int, float, Fraction)) and not isinstance(value, bool):
        seconds = parse_number(value, field="duration", what=_DURATION_HINT)
    else:
        raise PlanError(f"expected {_DURATION_HINT}, got {quote(value)}", field="duration")
    if seconds <= 0:
        raise PlanError(f"must be longer than zero, got {quote(value)}", field="duration")
    if seconds > MAX_TOTAL_SECONDS:
        raise PlanError(f"must be at most 24 hours, got {quote(value)}", field="duration")
    return seconds


def _parse_duration_text(text: str) -> Fraction:
    raw = text.strip().lower()
    if len(raw) > 40:
        raise PlanError(f"expected {_DURATION_HINT}, got {quote(text)}", field="duration")
    clock = _CLOCK.match(raw)
    if clock:
        hours, minutes, seconds = clock.groups()
        if hours is not None and int(minutes) >= 60:
            raise PlanError(f"minutes must be below 60 in h:mm:ss, got {text!r}", field="duration")
        if Fraction(seconds) >= 60:
            raise PlanError(f"seconds must be below 60 in m:ss, got {text!r}", field="duration")
        return Fraction(int(hours or 0) * 3600 + int(minutes) * 60) + Fraction(seconds)
    if re.fullmatch(_NUM, raw):
        raise PlanError(f"needs a unit, e.g. {raw}s or {raw}m, got {text!r}", field="duration")
    pos = 0
    total = Fraction(0)
    last_unit = math.inf
    while pos < len(raw):
        part = _DURATION_PART.match(raw, pos)
        if not part or part.group(2) not in DURATION_UNITS:
            raise PlanError(f"expected {_DURATION_HINT}, got {quote(text)}", field="duration")
        unit = DURATION_UNITS[part.group(2)]
        if unit >= last_unit:
            raise PlanError(f"units must go from hours to seconds, got {text!r}", field="duration")
        last_unit = unit
        total += Fraction(part.group(1)) * unit
        pos = part.end()
    if pos == 0:
        raise PlanError(f"expected {_DURATION_HINT}, got {quote(text)}", field="duration")
    return total


def format_seconds(seconds: float | Fraction, *, tenths: bool = False) -> str:
    """Format seconds as ``m:ss`` or ``h:mm:ss``, rounded to whole seconds (with ``tenths``, a
    tenth of a second is added when the time is not whole: ``1:02.5``)."""
    if tenths:
        whole, tenth = divmod(round(float(seconds) * 10), 10)
        return format_seconds(whole) + (f".{tenth}" if tenth else "")
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_spm(spm: Fraction | float) -> str:
    """Format a cadence without trailing zeros: ``170``, ``161.5``."""
    value = float(spm)
    return f"{value:.0f}" if value == round(value) else f"{value:.1f}".rstrip("0")


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 segment``, ``2 segments`` (``many`` for an irregular plural)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def slug(text: str, *, limit: int = 60, default: str = "session") -> str:
    """A file-name-safe form of ``text``: lower-case ASCII letters and digits joined by ``-``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-") or default


def clean_text(text: str) -> str:
    """``text`` safe to print or write into a file: control characters (terminal escapes,
    newlines, NUL) become ``?`` and nothing else changes."""
    return "".join(
        "?" if (unicodedata.category(c) in ("Cc", "Cf") and c not in "\u200d") else c for c in text
    )
