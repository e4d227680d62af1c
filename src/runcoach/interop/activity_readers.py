"""The activity readers behind :func:`runcoach.interop.activities.read_activity`: FIT with
``fitdecode``, TCX and GPX with ``defusedxml``. Each takes a file's bytes and the name shown in
messages, and gives what it collected (:class:`Raw`: times, cadence values as stored, timer
stops, laps, sport) and a description of the damage it met, if any; units and pauses are worked
out from that by :mod:`runcoach.interop.activities`.

The libraries are imported inside the readers, so listing commands stays fast.
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from runcoach.errors import RunCoachError

#: A longer wait between two samples is a pause: only its first seconds count as running.
GAP_SECONDS = 5.0
#: A record this far from the others (a corrupt timestamp) is left out.
_JUMP_SECONDS = 12 * 3600


class ActivityError(RunCoachError):
    """An activity file that cannot be used: missing, not an activity, damaged before any
    cadence, or without cadence. The message names the file."""


@dataclass
class Raw:
    """What a reader collected, in absolute seconds (any epoch), before units and pauses."""

    times: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    first: float | None = None  #: first record's time, with or without cadence
    last: float | None = None
    stops: list[tuple[float, float]] = field(default_factory=list)
    laps: list[tuple[float, float | None, int | None]] = field(default_factory=list)
    sport: str | None = None
    records: int = 0
    epoch: float = 0.0  #: add to a time for Unix seconds

    def record(self, when: float, value: float | None) -> None:
        """Note a record at ``when``; a cadence value makes it a sample (times only increase).
        A time far from the others is damage read as data, and is left out."""
        if (
            self.first is not None
            and self.last is not None
            and not self.first - _JUMP_SECONDS < when < self.last + _JUMP_SECONDS
        ):
            return
        self.records += 1
        if self.first is None or when < self.first:
            self.first = when
        if self.last is None or when > self.last:
            self.last = when
        if value is not None and value >= 0 and (not self.times or when > self.times[-1]):
            self.times.append(when)
            self.values.append(value)


# FIT ------------------------------------------------------------------------------------------

_TIMER_STOPS = frozenset({"stop", "stop_all", "stop_disable", "stop_disable_all"})


def read_fit(data: bytes, name: str) -> tuple[Raw, str | None]:
    """Collect records, timer events and laps with ``fitdecode``; stop at the first damage."""
    import fitdecode

    header = _fit_header(data, name)
    if header.body_size == 0:
        # The data size is written last: a recording that never finished leaves it 0, and the
        # reader would then see no records at all. Read what is there instead (the header is
        # the only part touched, and only in memory).
        patched = bytearray(data)
        struct.pack_into("<I", patched, 4, max(len(data) - header.header_size, 0))
        data = bytes(patched)
    raw = Raw(epoch=fitdecode.FIT_UTC_REFERENCE)
    state = _FitState(raw)
    # The checksum is checked once over the whole file below: the reader's own check, chunk by
    # chunk, would cost 40 % of the reading time.
    reader = fitdecode.FitReader(
        io.BytesIO(data),
        processor=None,
        check_crc=fitdecode.CrcCheck.DISABLED,
        error_handling=fitdecode.ErrorHandling.IGNORE,
    )
    damage = None
    try:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage):
                state.add(frame.name, {f.name: f.value for f in frame.fields})
    except Exception as err:  # any failure inside the decoder is damage at that point
        damage = _fit_damage(err, len(data), header.header_size + header.body_size + 2)
    end = header.header_size + header.body_size
    if header.body_size == 0:
        damage = "the recording did not finish: its header gives no data size"
    elif damage is None and len(data) >= end + 2:
        stored = int.from_bytes(data[end : end + 2], "little")
        if stored != fitdecode.utils.compute_crc(data, start=0, end=end):
            damage = "its checksum does not match: some values may be wrong"
    if state.file_type not in (None, "activity") and not raw.times:
        raise ActivityError(f"{name}: is a FIT {state.file_type} file, not an activity")
    state.close()
    return raw, damage


def _fit_header(data: bytes, name: str) -> Any:
    """The FIT file header, checked: a header that fails its own checksum is refused."""
    import fitdecode

    reader = fitdecode.FitReader(
        io.BytesIO(data[:64]), processor=None, check_crc=fitdecode.CrcCheck.READONLY
    )
    try:
        header = next(iter(reader))
    except (StopIteration, fitdecode.FitError, struct.error, ValueError) as err:
        raise ActivityError(f"{name}: corrupt FIT header ({_short(err) or 'empty'})") from None
    if not isinstance(header, fitdecode.FitHeader):
        raise ActivityError(f"{name}: corrupt FIT header")
    if header.crc_matched is False:
        raise ActivityError(f"{name}: corrupt FIT header (its checksum does not match)")
    return header


def _fit_damage(err: Exception, size: int, announced: int) -> str:
    """Where and how a FIT file broke, for the warning."""
    import fitdecode

    if isinstance(err, fitdecode.FitEOFError):
        if announced > size:
            return f"it ends early: {size} of the {announced} bytes its header announces"
        return f"it ends early, at byte {size}"
    offset = getattr(err, "offset", None)
    where = f"from byte {offset} of {size}" if offset is not None else "partway"
    return f"unreadable {where}: {_short(err)}"


def _short(err: BaseException) -> str:
    return str(err).splitlines()[0][:120] if str(err) else type(err).__name__


class _FitState:
    """Turns FIT messages into samples, timer pauses and laps."""

    def __init__(self, raw: Raw) -> None:
        self.raw = raw
        self.stopped_at: float | None = None
        self.file_type: str | None = None

    def add(self, kind: str, values: dict[str, Any]) -> None:
        when = values.get("timestamp")
        if kind == "record" and isinstance(when, int):
            self.raw.record(float(when), _fit_strides(values))
        elif kind == "event" and values.get("event") == "timer" and isinstance(when, int):
            event_type = values.get("event_type")
            if event_type in _TIMER_STOPS and self.stopped_at is None:
                self.stopped_at = float(when)
            elif event_type == "start" and self.stopped_at is not None:
                self.raw.stops.append((self.stopped_at, float(when)))
                self.stopped_at = None
        elif kind == "lap" and isinstance(values.get("start_time"), int):
            step = values.get("wkt_step_index")
            length = values.get("total_elapsed_time")
            self.raw.laps.append(
                (
                    float(values["start_time"]),
                    float(length) if isinstance(length, (int, float)) else None,
                    step if isinstance(step, int) else None,
                )
            )
        elif kind in ("session", "sport") and isinstance(values.get("sport"), str):
            self.raw.sport = self.raw.sport or values["sport"]
        elif kind == "file_id" and self.file_type is None:
            self.file_type = str(values.get("type")) if values.get("type") is not None else None

    def close(self) -> None:
        """A timer still stopped at the end pauses the rest of the recording."""
        if self.stopped_at is not None and self.raw.last is not None:
            self.raw.stops.append((self.stopped_at, self.raw.last))


def _fit_strides(values: dict[str, Any]) -> float | None:
    """A record's cadence as stored (strides per minute for running): whole plus fraction."""
    whole = values.get("cadence")
    if isinstance(whole, (int, float)):
        fraction = values.get("fractional_cadence")
        return float(whole) + (float(fraction) if isinstance(fraction, (int, float)) else 0.0)
    fine = values.get("cadence256")  # the same, in 1/256ths, from some devices
    return float(fine) if isinstance(fine, (int, float)) else None


# TCX and GPX ----------------------------------------------------------------------------------

_TCX_CADENCE = ("RunCadence", "Cadence")
_GPX_CADENCE = ("cad", "cadence", "RunCadence")


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _parse_time(text: str | None) -> float | None:
    """ISO 8601 time (``2024-05-01T07:00:00.5Z``) as Unix seconds; no zone means UTC."""
    if not text:
        return None
    text = text.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    # Python 3.10's fromisoformat takes exactly 3 or 6 decimals: make them 6.
    text = re.sub(r"\.(\d+)", lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _point(elem: Any, names: tuple[str, ...]) -> tuple[float | None, float | None]:
    """A track point's time and cadence (the first of ``names`` found among its descendants)."""
    when = None
    found: dict[str, float | None] = {}
    for child in elem.iter():
        tag = _local(child.tag)
        if tag in ("Time", "time"):
            when = _parse_time(child.text)
        elif tag in names and tag not in found:
            found[tag] = _number(child.text)
    cadence = next((found[n] for n in names if found.get(n) is not None), None)
    return when, cadence


class _XmlTrack:
    """Collects the track points of a TCX or GPX file, element by element."""

    def __init__(self, point: str, breaks: str, names: tuple[str, ...], sport: str) -> None:
        self.raw = Raw()
        self.point = point  #: the track point element
        self.breaks = breaks  #: a new one of these (a track, a segment) follows a timer stop
        self.names = names  #: cadence elements, preferred first
        self.sport = sport  #: "Activity" (TCX: an attribute) or "type" (GPX: a track's text)
        self.broken = False
        self.inside = False

    def start(self, tag: str, elem: Any) -> None:
        if tag == self.point:
            self.inside = True
        elif tag == self.breaks:
            self.broken = True
        elif tag == "Activity" and self.raw.sport is None:
            self.raw.sport = elem.get("Sport") or None
        elif tag == "Lap":
            start = _parse_time(elem.get("StartTime"))
            if start is not None:
                self.raw.laps.append((start, None, None))

    def end(self, tag: str, elem: Any) -> None:
        if tag == self.point:
            self.inside = False
            when, cadence = _point(elem, self.names)
            elem.clear()  # keeps memory flat on long files
            if when is None:
                return
            times = self.raw.times
            # A new track after a wait is a timer stop: the wait is a pause from its start. (A
            # new track without a wait is only a new lap: Garmin gives each lap its own.)
            if self.broken and times and when - times[-1] > GAP_SECONDS:
                self.raw.stops.append((times[-1], when))
            self.broken = False
            self.raw.record(when, cadence)
        elif tag == self.sport == "type" and not self.inside and self.raw.sport is None:
            self.raw.sport = (elem.text or "").strip() or None


def _read_xml(data: bytes, name: str, track: _XmlTrack) -> tuple[Raw, str | None]:
    """Read the track points with a hardened parser (no entity expansion, no external
    references); stop at the first XML error, keeping what came before."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    damage = None
    try:
        for event, elem in iterparse(io.BytesIO(data), events=("start", "end")):
            if event == "start":
                track.start(_local(elem.tag), elem)
            else:
                track.end(_local(elem.tag), elem)
    except DefusedXmlException as err:
        raise ActivityError(
            f"{name}: refused: the file declares XML entities or a DTD ({type(err).__name__}); "
            "an activity file never needs them, and they can expand without limit or read "
            "other files"
        ) from None
    except ParseError as err:
        line, column = getattr(err, "position", ("?", "?"))
        reason = str(err).split(": line")[0]
        damage = f"the XML breaks at line {line}, column {column}: {reason}"
    if track.raw.records == 0 and damage is not None:
        raise ActivityError(f"{name}: not a readable activity: {damage}")
    return track.raw, damage


def read_tcx(data: bytes, name: str) -> tuple[Raw, str | None]:
    """Garmin Training Center files: ``Trackpoint`` with ``RunCadence`` (extension) or
    ``Cadence``; each new ``Track`` follows a timer stop."""
    return _read_xml(data, name, _XmlTrack("Trackpoint", "Track", _TCX_CADENCE, "Activity"))


def read_gpx(data: bytes, name: str) -> tuple[Raw, str | None]:
    """GPX files: ``trkpt`` with ``gpxtpx:cad`` or a ``cadence`` extension; each new ``trkseg``
    follows a timer stop; the sport is the track's ``<type>``."""
    return _read_xml(data, name, _XmlTrack("trkpt", "trkseg", _GPX_CADENCE, "type"))
