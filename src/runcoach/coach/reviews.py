"""Reviews kept in the journal: a recorded run reviewed against a logged session and stored with
that session's check-in (``runcoach review --log``, ``runcoach log --activity``).

A stored review keeps the review JSON exactly as ``runcoach review --json`` prints it, a compact
cadence trace for the report (:func:`~runcoach.coach.review.trace`, one point per
:data:`TRACE_STEP_SECONDS`), the activity file's name and the sha256 of its bytes: one recording
is one run, so the same file logged twice is stored once. The records here are plain data
(mappings in, mappings out, checked field by field for backups); the SQL is in
:mod:`runcoach.coach.store`, run only by the journal.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from runcoach.coach import course
from runcoach.coach.records import Enrolment, JournalError, SessionRecord
from runcoach.coach.review import TOLERANCE_SPM, Review, review, trace

if TYPE_CHECKING:
    from runcoach.coach.report_data import ReviewEntry
    from runcoach.interop.activities import Activity, UnitChoice
    from runcoach.plans import Plan

#: The step of the stored cadence trace, in seconds of the plan's clock.
TRACE_STEP_SECONDS = 10.0
#: The keys of a review (``runcoach review --json``), and of its overall figures.
REVIEW_KEYS = ("activity", "offset_seconds", "tolerance_spm", "segments", "overall")
OVERALL_KEYS = ("mean_spm", "in_band_fraction", "moving_seconds")
#: The fields of a stored review, in order (the backup's keys and the table's columns).
FIELDS = ("uid", "session_uid", "file_name", "file_sha256", "review", "trace", "logged_at")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
Outcome = Literal["added", "updated", "unchanged"]


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file's bytes, as 64 lowercase hex digits. Raises :class:`JournalError`
    naming the file when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    except OSError as err:
        raise JournalError(f"{os.fspath(path)}: cannot be read ({err.strerror})") from None
    return digest.hexdigest()


@dataclass(frozen=True)
class Recording:
    """An activity file read for the journal, with how the session is laid over it
    (:func:`~runcoach.coach.review.review`'s options)."""

    activity: Activity
    file_name: str  #: the file's name, without its folder
    sha256: str  #: of the file's bytes as stored (compressed or not)
    tolerance_spm: float = TOLERANCE_SPM
    offset_seconds: float | None = None
    align: bool = False


def read_recording(
    path: str | os.PathLike[str],
    *,
    unit: UnitChoice = "auto",
    tolerance_spm: float = TOLERANCE_SPM,
    offset_seconds: float | None = None,
    align: bool = False,
) -> Recording:
    """Read an activity file (as ``runcoach review`` does) and fingerprint it. Raises
    ``ActivityError`` for a file that is not a usable activity."""
    from runcoach.interop.activities import read_activity

    activity = read_activity(path, unit=unit)
    return Recording(
        activity, Path(path).name, file_sha256(path), float(tolerance_spm), offset_seconds, align
    )


@dataclass(frozen=True)
class LoggedSession:
    """A session of the journal to review a run against: its check-in, the plan it played and
    the base cadence (the enrolment's, else the program's)."""

    record: SessionRecord
    plan: Plan
    spm: float
    program_name: str  #: the program's own name, else how the journal names the program

    @property
    def label(self) -> str:
        """``2025-03-03, Return to run, week 1, session 1 at 165 spm``."""
        from runcoach.plans.units import format_spm

        r = self.record
        where = f"{self.program_name}, week {r.week}, session {r.session}"
        return f"{r.date}, {where} at {format_spm(self.spm)} spm"


def logged_session(record: SessionRecord, enrolment: Enrolment | None) -> LoggedSession:
    """The plan and cadence of a logged session. Raises ``PlanError`` when its program is gone."""
    program = course.load(record.program)
    spm = enrolment.spm if enrolment is not None else None
    facts = course.facts(program, record.week, record.session, spm, timings=False)
    plan = program.session(record.week, record.session)
    return LoggedSession(record, plan, facts.spm, program.name or record.program)


def review_logged(
    target: LoggedSession,
    recording: Recording,
    *,
    spm: float | None = None,
    breath: str | None = None,
) -> Review:
    """Review ``recording`` against a logged session (at ``spm`` when given, else the cadence it
    was run at). Raises ``OptionError`` for bad review options."""
    from runcoach.timeline import resolve

    session = resolve(target.plan, spm=spm if spm is not None else target.spm, breath=breath)
    return review(
        recording.activity,
        session,
        tolerance_spm=recording.tolerance_spm,
        offset_seconds=recording.offset_seconds,
        align=recording.align,
    )


@dataclass(frozen=True)
class StoredReview:
    """A review kept with a check-in (``session_uid``): the review JSON, its cadence trace
    (``(plan seconds, spm or None)`` every :data:`TRACE_STEP_SECONDS`), the file's name and
    sha256, and when it was stored."""

    uid: str
    session_uid: str
    file_name: str
    file_sha256: str
    review: Mapping[str, Any]
    trace: tuple[tuple[float, float | None], ...]
    logged_at: str

    @classmethod
    def of(cls, session_uid: str, result: Review, recording: Recording) -> StoredReview:
        """The review of ``recording`` to store with the check-in ``session_uid``."""
        from runcoach.coach.checkins import now

        points = trace(result, step_seconds=TRACE_STEP_SECONDS)
        return cls(
            uuid.uuid4().hex, session_uid, recording.file_name, recording.sha256,
            result.to_json(), tuple(points), now(),
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """The record as a backup keeps it (the review and trace as JSON values)."""
        return {
            "uid": self.uid,
            "session_uid": self.session_uid,
            "file_name": self.file_name,
            "file_sha256": self.file_sha256,
            "review": dict(self.review),
            "trace": [[t, spm] for t, spm in self.trace],
            "logged_at": self.logged_at,
        }

    def to_row(self) -> dict[str, Any]:
        """The record as the journal's table keeps it (the review and trace as JSON text)."""
        row = self.to_dict()
        row["review"] = _dumps(row["review"])
        row["trace"] = _dumps(row["trace"])
        return row

    @classmethod
    def from_row(cls, row: Mapping[str, Any], where: str = "") -> StoredReview:
        """The record from a table row; a row that does not decode raises :class:`JournalError`."""
        data = dict(row)
        for key in ("review", "trace"):
            try:
                data[key] = json.loads(data.get(key) or "")
            except (TypeError, json.JSONDecodeError):
                raise JournalError(f"{where}.{key}: not JSON") from None
        return cls.from_dict(data, where)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "") -> StoredReview:
        """Build the record from a mapping, checking every field; unknown keys are errors.
        Raises :class:`JournalError` naming ``where`` and the field."""
        prefix = f"{where}." if where else ""
        unknown = sorted(set(data) - set(FIELDS))
        if unknown:
            raise JournalError(f"{prefix}{unknown[0]}: not a field of a review")
        for name in FIELDS:
            if name not in data:
                raise JournalError(f"{prefix}{name}: missing")
        for name in ("uid", "session_uid", "file_name", "logged_at"):
            if not isinstance(data[name], str) or not data[name]:
                raise JournalError(f"{prefix}{name}: expected text, got {data[name]!r}")
        sha = data["file_sha256"]
        if not isinstance(sha, str) or not _SHA256.match(sha):
            raise JournalError(f"{prefix}file_sha256: expected 64 hex digits, got {sha!r}")
        return cls(
            data["uid"], data["session_uid"], data["file_name"], sha,
            _checked_review(data["review"], prefix + "review"),
            _checked_trace(data["trace"], prefix + "trace"), data["logged_at"],
        )  # fmt: skip

    def same_figures(self, other: StoredReview) -> bool:
        """True when both hold the same review and trace (whatever their uid and time)."""
        return self.to_row()["review"] == other.to_row()["review"] and self.trace == other.trace


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _checked_review(value: Any, where: str) -> dict[str, Any]:
    """A review JSON with the documented keys and its overall figures numbers (or null)."""
    if not isinstance(value, Mapping) or set(value) != set(REVIEW_KEYS):
        raise JournalError(f"{where}: expected a review with the keys {', '.join(REVIEW_KEYS)}")
    overall = value["overall"]
    if not isinstance(overall, Mapping) or not all(
        overall.get(k) is None or _finite(overall.get(k)) for k in OVERALL_KEYS
    ):
        raise JournalError(f"{where}.overall: expected {', '.join(OVERALL_KEYS)} as numbers")
    segments = value["segments"]
    if not isinstance(segments, list) or not all(isinstance(s, Mapping) for s in segments):
        raise JournalError(f"{where}.segments: expected a list of segments")
    if not isinstance(value["activity"], Mapping) or not _finite(value["tolerance_spm"]):
        raise JournalError(f"{where}: expected an activity and a tolerance_spm")
    return dict(value)


def _checked_trace(value: Any, where: str) -> tuple[tuple[float, float | None], ...]:
    """``[[seconds, spm or null], ...]`` as a tuple of pairs."""
    points: list[tuple[float, float | None]] = []
    if isinstance(value, list):
        for i, point in enumerate(value):
            ok = isinstance(point, (list, tuple)) and len(point) == 2 and _finite(point[0])
            if not ok or not (point[1] is None or _finite(point[1])):
                raise JournalError(f"{where}[{i}]: expected [seconds, spm or null], got {point!r}")
            points.append((float(point[0]), None if point[1] is None else float(point[1])))
        return tuple(points)
    raise JournalError(f"{where}: expected a list of [seconds, spm or null]")


@dataclass(frozen=True)
class Reviewed:
    """What storing a review did: the stored review (``added``, ``updated`` when the same
    recording was stored with different figures, ``unchanged``) and the check-in it is kept with."""

    stored: StoredReview
    session: SessionRecord
    outcome: Outcome


def report_entries(
    sessions: Iterable[SessionRecord], stored: Iterable[StoredReview]
) -> list[ReviewEntry]:
    """The report's reviewed sessions (:class:`~runcoach.coach.report_data.ReviewEntry`): each
    stored review dated and labelled by its check-in, in the check-ins' order."""
    from runcoach.coach.report_data import ReviewEntry

    by_uid = {s.uid: (i, s) for i, s in enumerate(sessions)}
    entries: list[tuple[int, ReviewEntry]] = []
    for item in stored:
        found = by_uid.get(item.session_uid)
        if found is None:
            continue
        order, record = found
        entry = ReviewEntry(
            date=record.date.isoformat(),
            review=item.review,
            trace=list(item.trace),
            program=record.program,
            week=record.week,
            session=record.session,
        )
        entries.append((order, entry))
    return [entry for _, entry in sorted(entries, key=lambda pair: pair[0])]
