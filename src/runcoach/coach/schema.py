"""Where the journal lives, and its schema: its application id and the migrations that build
it, version by version. Only :mod:`runcoach.coach.journal` runs these statements; they live
here as data."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

#: ``PRAGMA application_id`` of a runcoach journal ("RCJl"): tells it from other SQLite files.
APPLICATION_ID = 0x52434A6C
#: Statements taking the schema from version i to i + 1 (``MIGRATIONS[0]`` creates it).
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE enrolments (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            program TEXT NOT NULL,
            program_name TEXT NOT NULL,
            spm REAL,
            week INTEGER NOT NULL CHECK (week >= 1),
            session INTEGER NOT NULL CHECK (session >= 1),
            started_on TEXT NOT NULL,
            created_at TEXT NOT NULL)""",
        "CREATE INDEX enrolments_by_time ON enrolments (created_at)",
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            enrolment_uid TEXT NOT NULL REFERENCES enrolments (uid),
            date TEXT NOT NULL,
            program TEXT NOT NULL,
            week INTEGER NOT NULL CHECK (week >= 1),
            session INTEGER NOT NULL CHECK (session >= 1),
            completed INTEGER NOT NULL,
            stopped_at_seconds REAL,
            played_seconds REAL,
            running_seconds REAL NOT NULL,
            leak INTEGER NOT NULL,
            heaviness INTEGER NOT NULL,
            bleeding INTEGER NOT NULL,
            pain INTEGER NOT NULL CHECK (pain BETWEEN 0 AND 10),
            effort INTEGER CHECK (effort BETWEEN 0 AND 10),
            note TEXT NOT NULL DEFAULT '',
            symptoms INTEGER NOT NULL DEFAULT 0,
            next_day_on TEXT,
            next_day_pain INTEGER CHECK (next_day_pain BETWEEN 0 AND 10),
            next_day_leak INTEGER,
            next_day_heaviness INTEGER,
            next_day_bleeding INTEGER,
            decision TEXT NOT NULL CHECK (decision IN ('advance', 'repeat', 'step_back', 'stop')),
            source TEXT NOT NULL,
            finding TEXT NOT NULL,
            reason TEXT NOT NULL,
            next_week INTEGER,
            next_session INTEGER,
            resumed_on TEXT,
            logged_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        "CREATE INDEX sessions_by_enrolment ON sessions (enrolment_uid, date, logged_at)",
        "CREATE INDEX sessions_in_order ON sessions (date, logged_at)",
        """CREATE TABLE symptoms (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            date TEXT NOT NULL,
            at_seconds REAL NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            session_uid TEXT REFERENCES sessions (uid),
            logged_at TEXT NOT NULL)""",
        "CREATE INDEX symptoms_by_day ON symptoms (date)",
    ),
    # Version 2: recorded runs reviewed against a logged session, kept with its check-in. One
    # row per recording (its sha256), so the same file logged twice is stored once.
    (
        """CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            session_uid TEXT NOT NULL REFERENCES sessions (uid),
            file_name TEXT NOT NULL,
            file_sha256 TEXT NOT NULL UNIQUE CHECK (length(file_sha256) = 64),
            review TEXT NOT NULL,
            trace TEXT NOT NULL,
            logged_at TEXT NOT NULL)""",
        "CREATE INDEX reviews_by_session ON reviews (session_uid)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
#: The tables every journal has, and those a journal has from a version on.
TABLES = frozenset({"enrolments", "sessions", "symptoms"})
TABLES_SINCE = {2: frozenset({"reviews"})}
#: What every refusal to open a file ends with.
UNTOUCHED = "runcoach leaves it untouched: set RUNCOACH_JOURNAL to another file"


def classify(app_id: int, version: int, names: set[str], check: str) -> str:
    """What a database is, from its header (read-only): ``"blank"`` (no data at all: safe to
    set up), ``"current"`` or ``"old"`` (a runcoach journal of this or an older schema), or
    else the problem, as a sentence, that keeps runcoach from using it."""
    if app_id == 0 and version == 0 and not names:
        return "blank"
    if app_id != APPLICATION_ID:
        return f"not a runcoach journal (an SQLite database of another program); {UNTOUCHED}"
    if version > SCHEMA_VERSION:
        return (
            f"written by a newer runcoach (journal version {version}, this one reads up to "
            f"{SCHEMA_VERSION}); upgrade runcoach to use it"
        )
    tables = TABLES.union(*(more for since, more in TABLES_SINCE.items() if version >= since))
    if version < 1 or not names >= tables or check != "ok":
        problem = " ".join(check.split())[:120] if check != "ok" else "tables missing"
        return f"a damaged runcoach journal ({problem}); {UNTOUCHED}, or import a backup"
    return "current" if version == SCHEMA_VERSION else "old"


def journal_path() -> Path:
    """Where the journal lives: ``$RUNCOACH_JOURNAL``, else ``journal.sqlite3`` in the user
    data folder (``platformdirs.user_data_dir("runcoach")``)."""
    given = os.environ.get("RUNCOACH_JOURNAL", "").strip()
    if given:
        return Path(given).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("runcoach")) / "journal.sqlite3"


def absent_sidecars(path: Path) -> list[Path]:
    """The ``-wal`` and ``-shm`` files beside ``path`` that do not exist yet."""
    return [p for p in (Path(f"{path}-wal"), Path(f"{path}-shm")) if not p.exists()]


def remove_sidecars(created: list[Path]) -> None:
    """Remove the empty ``-wal`` and the ``-shm`` a read-only look at a file we then refused
    created beside it (the refused file itself is never touched)."""
    for side in created:
        with contextlib.suppress(OSError):
            if side.name.endswith("-shm") or side.stat().st_size == 0:
                side.unlink()
