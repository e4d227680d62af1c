"""What the physiotherapist's report is made of: the journal's session rows and the reviewed
runs, read from plain data (the journal's history, or a JSON file)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from runcoach.errors import OptionError, PlanError


@dataclass(frozen=True)
class SessionRow:
    """One journal check-in (the keys of the journal's history rows)."""

    date: str  #: ISO ``YYYY-MM-DD``
    program: str | None = None
    week: int | None = None
    session: int | None = None
    completed: bool = True
    stopped_at_seconds: float | None = None
    leak: bool | None = None
    heaviness: bool | None = None
    bleeding: bool | None = None
    pain: float | None = None  #: 0-10 during the run
    next_day_pain: float | None = None  #: 0-10 over the next 24 hours
    effort: float | None = None
    note: str | None = None
    decision: str | None = None
    reason: str | None = None
    #: Running (not walking) seconds done; when None, worked out from the program's session.
    running_seconds: float | None = None

    @property
    def label(self) -> str:
        """``return-to-run W2 S1``, or the date alone."""
        if self.program and self.week is not None and self.session is not None:
            return f"{self.program} W{self.week} S{self.session}"
        return self.program or self.date


@dataclass(frozen=True)
class ReviewEntry:
    """A reviewed session: the review JSON (``runcoach review --json``) and its cadence trace
    (``(plan seconds, spm or None)`` pairs)."""

    date: str
    review: Mapping[str, Any]
    trace: Sequence[tuple[float, float | None]] = ()
    program: str | None = None
    week: int | None = None
    session: int | None = None

    @property
    def label(self) -> str:
        """The session it reviewed, or the activity file."""
        if self.program and self.week is not None and self.session is not None:
            return f"{self.program} W{self.week} S{self.session}"
        activity = self.review.get("activity") or {}
        return str(activity.get("file") or self.date)


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows."""

    sessions: Sequence[SessionRow]
    reviews: Sequence[ReviewEntry] = ()
    title: str = "Running, cadence and symptoms"

    @classmethod
    def from_json(cls, data: Any, source: str) -> ReportData:
        """Build from ``{"sessions": [row, ...], "reviews": [entry, ...], "title": ...}``
        (unknown keys in rows are ignored). Raises ``PlanError`` naming the bad field."""
        if not isinstance(data, Mapping):
            raise PlanError("expected an object with sessions and reviews", source=source)
        rows = data.get("sessions", [])
        reviews = data.get("reviews", [])
        if not isinstance(rows, list) or not isinstance(reviews, list):
            raise PlanError("sessions and reviews must be lists", source=source)
        return cls(
            sessions=[
                _build(SessionRow, row, f"sessions[{i}]", source) for i, row in enumerate(rows)
            ],
            reviews=[
                _build(ReviewEntry, row, f"reviews[{i}]", source) for i, row in enumerate(reviews)
            ],
            title=str(data.get("title") or cls.title),
        )

    @classmethod
    def read(cls, path: Path) -> ReportData:
        """Read a JSON file of :meth:`from_json`'s shape. Raises ``OptionError`` when it cannot
        be read, ``PlanError`` naming the line or field when it is not such a file."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            problem = getattr(err, "strerror", None) or err
            raise OptionError(f"{path}: cannot read: {problem}") from None
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as err:
            raise PlanError(f"not JSON: {err.msg}", source=str(path), line=err.lineno) from None
        return cls.from_json(raw, str(path))


def _build(kind: Any, row: Any, where: str, source: str) -> Any:
    if not isinstance(row, Mapping):
        raise PlanError("expected an object", source=source, field=where)
    names = {f.name for f in fields(kind)}
    values = {k: v for k, v in row.items() if k in names}
    try:
        _parse_date(values.get("date"))
        if kind is ReviewEntry:
            if not isinstance(values.get("review"), Mapping):
                raise ValueError("review must be an object")
            values["trace"] = [
                (float(t), None if s is None else float(s)) for t, s in values.get("trace") or []
            ]
        return kind(**values)
    except (TypeError, ValueError) as err:
        raise PlanError(str(err), source=source, field=where) from None


def _parse_date(value: object) -> dt.date:
    if not isinstance(value, str):
        raise ValueError(f"date must be YYYY-MM-DD, got {value!r}")
    return dt.date.fromisoformat(value[:10])
