"""Activity files recorded by watches and phones (FIT, TCX, GPX), read as timed cadence samples.

Every reader gives one thing: an :class:`Activity`, the cadence samples in steps per minute at
their time from the first record, with the pauses marked (the timer stopped, or no sample for
more than :data:`GAP_SECONDS`). The kind of file is decided from its content (the FIT header, the
XML root element), the name's ending breaking ties; gzip-compressed files (``run.fit.gz`` from a
bulk export) are read too. The readers are registered in :data:`READERS`.

Units: FIT stores running cadence in strides per minute (one foot), so steps per minute are
``2 × (cadence + fractional_cadence)``; apps that forget it show half the cadence. TCX and GPX
writers differ, so the unit is decided from the data: samples whose running part (the 90th
percentile of the non-zero samples) stays below :data:`STRIDES_BELOW` are strides. The unit
found is reported as :attr:`Activity.cadence_unit`.

Damaged files are read up to the damage, and :attr:`Activity.warning` says how much was read.
A file that is not an activity, or holds no cadence, raises :class:`ActivityError`.
"""

from __future__ import annotations

import itertools
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

from runcoach.interop.activity_readers import (
    GAP_SECONDS,
    ActivityError,
    Raw,
    read_fit,
    read_gpx,
    read_tcx,
)
from runcoach.plans.units import format_seconds, plural

#: Largest activity file read (also the limit once a ``.gz`` file is uncompressed): a day-long
#: 1 Hz GPX with every extension is about 30 MB.
MAX_ACTIVITY_BYTES = 64 * 1024 * 1024
#: The running part of the samples below this is strides per minute: 115 strides would be 230
#: steps a minute, quicker than runners step, and a recording in steps that runs at all goes
#: well above it.
STRIDES_BELOW = 115.0

CadenceUnit = Literal["steps", "strides"]
UnitChoice = Literal["auto", "steps", "strides"]

__all__ = [
    "GAP_SECONDS",
    "MAX_ACTIVITY_BYTES",
    "READERS",
    "STRIDES_BELOW",
    "Activity",
    "ActivityError",
    "CadenceUnit",
    "Lap",
    "UnitChoice",
    "read_activity",
]


@dataclass(frozen=True)
class Lap:
    """A lap as the device recorded it (seconds from the activity's first record)."""

    start_seconds: float
    duration_seconds: float | None
    workout_step: int | None  #: FIT ``wkt_step_index`` when the run was a watch workout


@dataclass(frozen=True)
class Activity:
    """Cadence samples of one recorded activity.

    ``seconds[i]`` is sample i's time from the activity's first record, ``spm[i]`` its cadence in
    steps per minute (0 while standing). ``pauses`` are ``(from, to)`` spans in the same seconds
    when the runner was not running: the timer stopped, or no sample came for more than
    :data:`GAP_SECONDS` (the span then starts that long after the last sample).
    """

    file: str
    kind: str  #: "fit", "tcx" or "gpx"
    sport: str | None
    start: datetime | None  #: the first record's time (UTC)
    duration_seconds: float  #: first to last record
    seconds: tuple[float, ...]
    spm: tuple[float, ...]
    pauses: tuple[tuple[float, float], ...]
    cadence_unit: CadenceUnit  #: how the file stored cadence (strides are doubled into spm)
    laps: tuple[Lap, ...] = ()
    warning: str | None = None  #: set when the file was damaged and read only in part


def read_activity(path: str | os.PathLike[str], *, unit: UnitChoice = "auto") -> Activity:
    """Read an activity file (FIT, TCX or GPX, optionally gzip-compressed) into cadence samples.

    ``unit`` forces how cadence values are read ("steps" or "strides"); "auto" decides from the
    data. Raises :class:`ActivityError` (one line naming the file) for a missing, special or
    oversized file, a file that is not an activity, or one without cadence. A damaged file is
    read up to the damage, with :attr:`Activity.warning` saying how much was read.
    """
    if unit not in ("auto", "steps", "strides"):
        raise ActivityError(f"cadence unit must be auto, steps or strides, got {unit!r}")
    name = os.fspath(path)
    data = _load_bytes(name)
    kind = _kind(data, name)
    if kind is None:
        raise ActivityError(
            f"{name}: not an activity file (FIT, TCX or GPX, optionally .gz): "
            f"{_describe_content(data)}"
        )
    raw, damage = READERS[kind](data, name)
    return _finish(raw, name, kind, unit, damage)


def _load_bytes(name: str) -> bytes:
    """The file's bytes: only a regular file, within the size limit, uncompressed if gzip."""
    try:
        info = os.stat(name)
    except FileNotFoundError:
        raise ActivityError(f"{name}: no such file") from None
    except OSError as err:
        raise ActivityError(f"{name}: cannot read: {err.strerror or err}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ActivityError(f"{name}: is a folder; give a FIT, TCX or GPX file")
    if not stat.S_ISREG(info.st_mode):
        raise ActivityError(
            f"{name}: not a regular file (a pipe or a device); give a FIT, TCX or GPX file"
        )
    _check_size(name, info.st_size)
    try:
        # O_NONBLOCK: should a pipe replace the file after the check, opening it cannot hang.
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise ActivityError(f"{name}: not a regular file")
            data = handle.read(MAX_ACTIVITY_BYTES + 1)
    except OSError as err:
        raise ActivityError(f"{name}: cannot read: {err.strerror or err}") from None
    _check_size(name, len(data))
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, name)
    return data


def _check_size(name: str, size: int) -> None:
    if size > MAX_ACTIVITY_BYTES:
        raise ActivityError(
            f"{name}: {size / 1e6:.0f} MB is more than the {MAX_ACTIVITY_BYTES // 2**20} MiB "
            "an activity file may have"
        )


def _gunzip(data: bytes, name: str) -> bytes:
    """Uncompress at most the size limit (a small file cannot unpack into gigabytes)."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, MAX_ACTIVITY_BYTES + 1)
    except zlib.error as err:
        raise ActivityError(f"{name}: damaged gzip file ({err})") from None
    if len(out) > MAX_ACTIVITY_BYTES:
        raise ActivityError(
            f"{name}: uncompresses to more than the {MAX_ACTIVITY_BYTES // 2**20} MiB an "
            "activity file may have"
        )
    return out  # a truncated .gz gives what it holds; the reader reports the damage


_XML_ROOT = re.compile(rb"<(?![?!])(?:[\w.\-]+:)?([\w.\-]+)")
_ROOTS = {b"TrainingCenterDatabase": "tcx", b"gpx": "gpx"}


def _kind(data: bytes, name: str) -> str | None:
    """The reader for ``data``: from the content, else from the name's ending."""
    if len(data) >= 12 and data[8:12] == b".FIT":
        return "fit"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        root = _XML_ROOT.search(re.sub(rb"<!--.*?-->", b"", head, flags=re.S))
        if root is not None and root.group(1) in _ROOTS:
            return _ROOTS[root.group(1)]
    suffix = name.lower().removesuffix(".gz").rpartition(".")[2]
    return suffix if suffix in READERS else None


def _describe_content(data: bytes) -> str:
    if not data:
        return "the file is empty"
    if data.lstrip()[:1] == b"<":
        return "an XML file that is neither TCX nor GPX"
    return "no FIT header and no XML"


def _finish(raw: Raw, name: str, kind: str, unit: UnitChoice, damage: str | None) -> Activity:
    """Turn collected values into an :class:`Activity` (units, times from start, pauses)."""
    if not raw.times or not any(raw.values):
        if damage is not None and not raw.times:
            raise ActivityError(f"{name}: damaged before any cadence sample ({damage})")
        what = "record" if kind == "fit" else "track point"
        count = plural(raw.records, what)
        why = "none with cadence" if not raw.times else "every cadence is 0"
        raise ActivityError(
            f"{name}: has no cadence ({count}, {why}); record with a watch or phone that "
            "measures cadence, or a foot pod"
        )
    assert raw.first is not None and raw.last is not None
    found: CadenceUnit = _decide_unit(raw.values) if unit == "auto" else unit
    factor = 2.0 if found == "strides" else 1.0
    zero = raw.first
    seconds = tuple(t - zero for t in raw.times)
    end = raw.last - zero
    pauses = [(a - zero, b - zero) for a, b in raw.stops]
    pauses += [(a + GAP_SECONDS, b) for a, b in itertools.pairwise(seconds) if b - a > GAP_SECONDS]
    warning = None
    if damage is not None:
        warning = (
            f"{name}: damaged file ({damage}): read {format_seconds(end)} of the activity, "
            f"{len(seconds)} cadence samples"
        )
    return Activity(
        file=name,
        kind=kind,
        sport=raw.sport,
        start=datetime.fromtimestamp(zero + raw.epoch, tz=timezone.utc),
        duration_seconds=end,
        seconds=seconds,
        spm=tuple(v * factor for v in raw.values),
        pauses=_merge(pauses, end),
        cadence_unit=found,
        laps=tuple(Lap(start - zero, length, step) for start, length, step in raw.laps),
        warning=warning,
    )


def _decide_unit(values: Iterable[float]) -> CadenceUnit:
    """Strides when the running part of the samples (90th percentile of the non-zero ones) is
    below :data:`STRIDES_BELOW`, steps otherwise."""
    moving = sorted(v for v in values if v > 0)
    high = moving[int(0.9 * (len(moving) - 1))]
    return "strides" if high < STRIDES_BELOW else "steps"


def _merge(spans: list[tuple[float, float]], end: float) -> tuple[tuple[float, float], ...]:
    """Sorted, non-overlapping spans clipped to ``[0, end]``."""
    merged: list[tuple[float, float]] = []
    for a, b in sorted((max(a, 0.0), min(b, end)) for a, b in spans):
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return tuple(merged)


#: The readers by kind of file: each takes the bytes and the name shown in messages and gives the
#: collected values and a description of the damage found (``None`` for a whole file).
READERS: dict[str, Callable[[bytes, str], tuple[Raw, str | None]]] = {
    "fit": read_fit,
    "tcx": read_tcx,
    "gpx": read_gpx,
}
