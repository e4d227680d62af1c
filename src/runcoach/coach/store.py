"""The journal's SQL: rows into and out of its tables, and the retries while another process
writes. Only :class:`runcoach.coach.journal.Journal` calls these, each inside one of its
transactions; table and column names come from the records' own fields, never from input."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from runcoach.coach.records import Enrolment, JournalError, SessionRecord, Symptom
from runcoach.coach.schema import APPLICATION_ID

if TYPE_CHECKING:  # imported where reviews are read: `runcoach today` needs none of it
    from runcoach.coach.reviews import Outcome, StoredReview

#: How often, and after how long a wait each time, a busy journal is tried again.
RETRIES = 8
_R = TypeVar("_R", Enrolment, SessionRecord, Symptom)
#: The tables of records, in the order a backup is merged (enrolments before their sessions,
#: sessions before the reviews kept with them).
TABLES = ("enrolments", "sessions", "symptoms", "reviews")
_ORDER = {
    "enrolments": "created_at, id",
    "sessions": "date, logged_at, id",
    "symptoms": "date, logged_at, id",
}


def busy(err: sqlite3.OperationalError) -> bool:
    """True when ``err`` says another connection holds the database."""
    return getattr(err, "sqlite_errorname", "").startswith("SQLITE_BUSY") or "locked" in str(err)


def retry(step: Callable[[], object]) -> None:
    """Run ``step``; while another process holds the journal past the busy timeout, wait a
    little longer each time and try again."""
    for attempt in range(RETRIES):
        try:
            step()
            return
        except sqlite3.OperationalError as err:
            if not busy(err) or attempt == RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def header(db: sqlite3.Connection, *, check: bool = True) -> tuple[int, int, set[str], str]:
    """A database's application id, schema version, table names and ``quick_check`` verdict
    (checked only when it is a runcoach journal)."""
    app_id = int(db.execute("PRAGMA application_id").fetchone()[0])
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    names = {str(r[0]) for r in db.execute("SELECT name FROM sqlite_master")}
    verdict = "ok"
    if check and app_id == APPLICATION_ID:
        verdict = str(db.execute("PRAGMA quick_check").fetchone()[0])
    return app_id, version, names, verdict


def fields(row: sqlite3.Row) -> dict[str, Any]:
    """A row as a mapping, without its row id."""
    return {key: value for key, value in zip(row.keys(), row, strict=True) if key != "id"}


def all_of(db: sqlite3.Connection, table: str, kind: type[_R]) -> list[_R]:
    """Every record of ``table``, oldest first."""
    rows = db.execute(f"SELECT * FROM {table} ORDER BY {_ORDER[table]}").fetchall()
    return [kind.from_dict(fields(row), f"{table}[{i}]") for i, row in enumerate(rows)]


def insert(db: sqlite3.Connection, table: str, values: dict[str, Any]) -> None:
    """Add one row."""
    names = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    db.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)


def update_session(db: sqlite3.Connection, record: SessionRecord) -> None:
    """Replace a session's row by ``record`` (same uid)."""
    _replace(db, "sessions", record.to_dict())


def _replace(db: sqlite3.Connection, table: str, values: dict[str, Any]) -> None:
    sets = ", ".join(f"{name} = :{name}" for name in values if name != "uid")
    db.execute(f"UPDATE {table} SET {sets} WHERE uid = :uid", values)


def merge(db: sqlite3.Connection, table: str, values: dict[str, Any]) -> int:
    """Add a backup's record (0), replace an older copy of it (1), or keep ours (2)."""
    row = db.execute(f"SELECT * FROM {table} WHERE uid = ?", (values["uid"],)).fetchone()
    if row is None:
        insert(db, table, values)
        return 0
    if table == "sessions" and str(values["updated_at"]) > str(row["updated_at"]):
        _replace(db, table, values)
        return 1
    return 2


def latest_session(
    db: sqlite3.Connection, *key: object
) -> tuple[SessionRecord, Enrolment | None] | None:
    """The last session logged, or with ``key`` = (program, week, session) the last check-in of
    that session, with its enrolment; ``None`` when there is none."""
    where = "WHERE program = ? AND week = ? AND session = ?" if key else ""
    row = db.execute(
        f"SELECT * FROM sessions {where} ORDER BY date DESC, logged_at DESC, id DESC LIMIT 1", key
    ).fetchone()
    if row is None:
        return None
    record = SessionRecord.from_dict(fields(row))
    found = db.execute("SELECT * FROM enrolments WHERE uid = ?", (record.enrolment_uid,))
    return record, next((Enrolment.from_dict(fields(r)) for r in found), None)


# Reviews ----------------------------------------------------------------------------------------


def reviews(db: sqlite3.Connection, session_uid: str | None = None) -> list[StoredReview]:
    """The stored reviews (of one check-in, or all), in the order of their check-ins."""
    from runcoach.coach.reviews import StoredReview

    where, args = ("WHERE r.session_uid = ?", (session_uid,)) if session_uid else ("", ())
    rows = db.execute(
        "SELECT r.* FROM reviews r JOIN sessions s ON s.uid = r.session_uid "
        f"{where} ORDER BY s.date, s.logged_at, s.id, r.logged_at, r.id",
        args,
    ).fetchall()
    return [StoredReview.from_row(fields(row), f"reviews[{i}]") for i, row in enumerate(rows)]


def save_review(db: sqlite3.Connection, review: StoredReview) -> Outcome:
    """Store a review with its check-in: a recording (its sha256) already stored with that
    check-in is updated in place (or left as it is when its figures are the same). Raises
    :class:`JournalError` when the recording is stored with another check-in."""
    from runcoach.coach.reviews import StoredReview

    row = db.execute(
        "SELECT * FROM reviews WHERE file_sha256 = ?", (review.file_sha256,)
    ).fetchone()
    if row is None:
        insert(db, "reviews", review.to_row())
        return "added"
    kept = StoredReview.from_row(fields(row), "reviews")
    if kept.session_uid != review.session_uid:
        other = db.execute(
            "SELECT date, week, session FROM sessions WHERE uid = ?", (kept.session_uid,)
        ).fetchone()
        where = f"{other['date']} (week {other['week']}, session {other['session']})"
        raise JournalError(
            f"{review.file_name}: this recording is already stored with the check-in of {where}; "
            "a recording belongs to one session"
        )
    if kept.same_figures(review) and kept.file_name == review.file_name:
        return "unchanged"
    _replace(db, "reviews", {**review.to_row(), "uid": kept.uid})
    return "updated"


def merge_review(db: sqlite3.Connection, review: StoredReview) -> int:
    """Merge a backup's review: add it (0), replace our copy of the same recording when the
    backup's was stored later (1), or keep ours (2). A recording is one row whatever its uid,
    so two journals that logged the same file merge into one."""
    row = db.execute(
        "SELECT * FROM reviews WHERE file_sha256 = ?", (review.file_sha256,)
    ).fetchone()
    if row is None:
        if db.execute("SELECT 1 FROM reviews WHERE uid = ?", (review.uid,)).fetchone():
            return 2  # our review of another recording under that uid: ours stays
        insert(db, "reviews", review.to_row())
        return 0
    if review.logged_at > str(row["logged_at"]):
        values = {**review.to_row(), "uid": row["uid"]}
        _replace(db, "reviews", values)
        return 1
    return 2
