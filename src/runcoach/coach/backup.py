"""Backups of the journal: JSON (everything, to import again on another machine or after a
loss) and CSV (the sessions with their check-ins, for a spreadsheet or a physiotherapist).

Files are written to a temporary file beside the destination and renamed into place only when
complete. A backup being read is checked field by field, so a malformed one is reported with
the file and the field, and nothing of it is imported.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runcoach.coach.records import (
    HISTORY_SESSION_KEYS,
    Enrolment,
    JournalError,
    SessionRecord,
    Symptom,
)
from runcoach.coach.reviews import StoredReview
from runcoach.errors import OptionError, OutputError

#: The ``format`` key of a JSON backup, and the version of its layout (2: with the reviews of
#: recorded runs; version 1 files, without them, are read as they are).
FORMAT = "runcoach-journal"
VERSION = 2
#: The lists of records a backup holds, in the order they are merged.
PARTS = ("enrolments", "sessions", "symptoms", "reviews")
#: The columns of a CSV export: the history's, then the rest a physiotherapist may want.
CSV_COLUMNS = (
    *HISTORY_SESSION_KEYS,
    "running_seconds",
    "played_seconds",
    "symptoms",
    "next_day_on",
    "next_day_leak",
    "next_day_heaviness",
    "next_day_bleeding",
    "resumed_on",
)
_KINDS = {".json": "json", ".csv": "csv"}
#: The largest backup read, in bytes (a century of daily sessions is far less).
MAX_BYTES = 200_000_000


@dataclass(frozen=True)
class Contents:
    """Everything a journal holds, each table oldest first (reviews in their check-ins' order)."""

    enrolments: list[Enrolment]
    sessions: list[SessionRecord]
    symptoms: list[Symptom]
    reviews: list[StoredReview] = field(default_factory=list)


def kind_of(path: str | os.PathLike[str]) -> str:
    """``"json"`` or ``"csv"`` from the file's ending; ``OptionError`` for any other."""
    kind = _KINDS.get(Path(path).suffix.lower())
    if kind is None:
        raise OptionError(
            f"{os.fspath(path)}: a backup ends in .json (everything, for `runcoach journal "
            "import`) or .csv (the sessions, for a spreadsheet)"
        )
    return kind


def to_json(contents: Contents) -> str:
    """The JSON text of a full backup."""
    data = {
        "format": FORMAT,
        "version": VERSION,
        "enrolments": [e.to_dict() for e in contents.enrolments],
        "sessions": [s.to_dict() for s in contents.sessions],
        "symptoms": [s.to_dict() for s in contents.symptoms],
        "reviews": [r.to_dict() for r in contents.reviews],
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def to_csv(sessions: list[SessionRecord]) -> str:
    """The sessions as CSV text: a header row of :data:`CSV_COLUMNS`, then one row each."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in sessions:
        values = record.to_dict()
        writer.writerow(["" if values[c] is None else values[c] for c in CSV_COLUMNS])
    return out.getvalue()


def write(path: str | os.PathLike[str], contents: Contents, kind: str) -> None:
    """Write ``contents`` to ``path`` as ``kind`` (``"json"`` or ``"csv"``), atomically.

    Raises ``OutputError`` naming the file when it cannot be written.
    """
    text = to_json(contents) if kind == "json" else to_csv(contents.sessions)
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"{target}: is a folder; give a file name ending in .{kind}")
    folder = target.parent if str(target.parent) else Path(".")
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as err:
        raise OutputError(f"{target}: cannot write there ({err.strerror})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except OSError as err:
        Path(temp).unlink(missing_ok=True)
        raise OutputError(f"{target}: cannot write it ({err.strerror})") from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def read(path: str | os.PathLike[str]) -> Contents:
    """Read and check a JSON backup. Raises :class:`JournalError` naming the file and the
    first bad field, ``OptionError`` for a file that is not a ``.json`` backup."""
    source = os.fspath(path)
    if kind_of(path) != "json":
        raise OptionError(f"{source}: import reads the .json backups `journal export` writes")
    try:
        if os.path.getsize(source) > MAX_BYTES:
            raise JournalError(f"{source}: larger than any runcoach backup")
        with open(source, encoding="utf-8") as stream:
            data = json.load(stream)
    except FileNotFoundError:
        raise JournalError(f"{source}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise JournalError(f"{source}: cannot be read ({err})") from None
    except json.JSONDecodeError as err:
        raise JournalError(f"{source}:{err.lineno}: not JSON ({err.msg})") from None
    try:
        return parse(data)
    except JournalError as err:
        raise JournalError(f"{source}: {err}") from None


def parse(data: Any) -> Contents:
    """Check a backup's decoded JSON and build its records. Raises :class:`JournalError`."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise JournalError(f'not a runcoach journal backup (no "format": "{FORMAT}")')
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= VERSION:
        raise JournalError(f"version {version!r}: this runcoach reads backup versions 1-{VERSION}")
    unknown = sorted(set(data) - {"format", "version", *PARTS})
    if unknown:
        raise JournalError(f"{unknown[0]}: not a part of a backup")
    lists = {}
    for key in PARTS:
        items = data.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise JournalError(f"{key}: must be a list of records")
        lists[key] = list(enumerate(items))
    contents = Contents(
        [Enrolment.from_dict(item, f"enrolments[{i}]") for i, item in lists["enrolments"]],
        [SessionRecord.from_dict(item, f"sessions[{i}]") for i, item in lists["sessions"]],
        [Symptom.from_dict(item, f"symptoms[{i}]") for i, item in lists["symptoms"]],
        [StoredReview.from_dict(item, f"reviews[{i}]") for i, item in lists["reviews"]],
    )
    _check_links(contents)
    return contents


def _check_links(contents: Contents) -> None:
    """Every uid (and every recording) once; every session's enrolment, and every symptom's
    and review's session, in the file."""
    for key in PARTS:
        seen: set[str] = set()
        for i, record in enumerate(getattr(contents, key)):
            if record.uid in seen:
                raise JournalError(f"{key}[{i}].uid: {record.uid!r} appears twice")
            seen.add(record.uid)
    files: set[str] = set()
    for i, review in enumerate(contents.reviews):
        if review.file_sha256 in files:
            raise JournalError(f"reviews[{i}].file_sha256: the same recording appears twice")
        files.add(review.file_sha256)
    enrolments = {e.uid for e in contents.enrolments}
    for i, session in enumerate(contents.sessions):
        if session.enrolment_uid not in enrolments:
            raise JournalError(
                f"sessions[{i}].enrolment_uid: {session.enrolment_uid!r} is not an enrolment "
                "of this backup"
            )
    sessions = {s.uid for s in contents.sessions}
    for i, symptom in enumerate(contents.symptoms):
        if symptom.session_uid is not None and symptom.session_uid not in sessions:
            raise JournalError(
                f"symptoms[{i}].session_uid: {symptom.session_uid!r} is not a session of this "
                "backup"
            )
    for i, review in enumerate(contents.reviews):
        if review.session_uid not in sessions:
            raise JournalError(
                f"reviews[{i}].session_uid: {review.session_uid!r} is not a session of this backup"
            )
