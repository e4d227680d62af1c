"""The journal: enrolments, sessions with their check-ins and the decisions made from them, in
SQLite (where: :func:`~runcoach.coach.schema.journal_path`). The only code that touches it.

Before anything is written the file is opened read-only and checked (``application_id``,
``user_version``, tables, ``quick_check``): a file that is not a runcoach journal, is damaged or
is newer is reported (:class:`~runcoach.coach.records.JournalError` naming it) and left as it
was. WAL mode; every change is one ``BEGIN IMMEDIATE`` transaction, its reads included, so
runcoach processes writing at once take turns (a busy timeout, then retries).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from runcoach.coach import checkins, course, store
from runcoach.coach.progression import course_of, plan_day
from runcoach.coach.records import (
    AlreadyEnrolled,
    Enrolment,
    History,
    Imported,
    JournalError,
    Position,
    SessionRecord,
    Symptom,
    Today,
    summarise_weeks,
)
from runcoach.coach.schema import (
    APPLICATION_ID,
    MIGRATIONS,
    SCHEMA_VERSION,
    UNTOUCHED,
    absent_sidecars,
    classify,
    journal_path,
    remove_sidecars,
)
from runcoach.coach.store import fields, header, insert, retry
from runcoach.errors import OptionError

if TYPE_CHECKING:
    from runcoach.coach.review import Review
    from runcoach.coach.reviews import LoggedSession, Recording, Reviewed, StoredReview

#: How long one statement waits for another process's write to finish (then the whole
#: transaction is tried again: :data:`runcoach.coach.store.RETRIES`).
BUSY_TIMEOUT_SECONDS = 10.0
_T = TypeVar("_T")


class Journal:
    """The runner's journal at ``path`` (default: :func:`journal_path`).

    Opened at first use and closed by :meth:`close` (or a ``with`` block). Each method is one
    transaction. Raises :class:`~runcoach.coach.records.JournalError` naming the file when it is
    not a usable runcoach journal; ``PlanError`` when the enrolled program cannot be loaded.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else journal_path()
        self._db: sqlite3.Connection | None = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database (the last connection folds the WAL back into the file)."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def _fail(self, problem: str) -> JournalError:
        return JournalError(f"{self.path}: {problem}")

    def _inspect(self) -> str:
        """Check the file read-only: ``"missing"``, ``"blank"`` (no data: safe to set up),
        ``"current"`` or ``"old"`` (a runcoach journal); anything else raises."""
        if not self.path.exists():
            return "missing"
        if self.path.is_dir():
            raise self._fail("is a folder, not a runcoach journal")
        if self.path.stat().st_size == 0:
            return "blank"
        fresh = absent_sidecars(self.path)  # a read-only look at a WAL file leaves these
        try:
            uri = self.path.resolve().as_uri() + "?mode=ro"
            ro = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS)
            try:
                app_id, version, names, check = header(ro)
            finally:
                ro.close()
        except sqlite3.DatabaseError as err:
            remove_sidecars(fresh)
            raise self._fail(f"not a runcoach journal, or damaged ({err}); {UNTOUCHED}") from None
        problem = classify(app_id, version, names, check)
        if problem in ("blank", "current", "old"):
            return problem
        remove_sidecars(fresh)
        raise self._fail(problem)

    def _open(self, *, create: bool) -> sqlite3.Connection | None:
        """The connection, opened and checked at first use; ``None`` when there is no journal
        yet and ``create`` is false."""
        if self._db is not None:
            return self._db
        state = self._inspect()
        if state in ("missing", "blank") and not create:
            return None
        if state == "missing":
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise self._fail(f"cannot create its folder ({err.strerror})") from None
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
            if state != "current":
                self._migrate(db)
            db.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            db.close()
            raise
        self._db = db
        return db

    def _migrate(self, db: sqlite3.Connection) -> None:
        """Set up a new journal, or bring an old one to :data:`SCHEMA_VERSION`, in one
        transaction (checked again inside it: another process may have done it meanwhile)."""
        if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            retry(lambda: db.execute("PRAGMA journal_mode = WAL"))

        def work(db: sqlite3.Connection) -> None:
            app_id, version, names, _ = header(db, check=False)
            if app_id == 0 and version == 0 and not names:
                version = 0
            elif app_id != APPLICATION_ID or version > SCHEMA_VERSION:
                raise self._fail("changed while being opened: not a runcoach journal")
            for statements in MIGRATIONS[version:]:
                for statement in statements:
                    db.execute(statement)
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

        self._transaction(db, work)

    def _transaction(self, db: sqlite3.Connection, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``work`` in one write transaction, begun once another process lets go."""
        retry(lambda: db.execute("BEGIN IMMEDIATE"))
        try:
            result = work(db)
            db.execute("COMMIT")
            return result
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Report database failures as one :class:`JournalError` naming the file."""
        try:
            yield
        except sqlite3.OperationalError as err:
            if store.busy(err):
                raise self._fail("busy: another runcoach kept it locked; try again") from None
            raise self._fail(f"cannot be used ({err})") from None
        except sqlite3.DatabaseError as err:
            raise self._fail(f"damaged ({err}); restore a backup (journal import)") from None

    def _write(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        with self._guard():
            db = self._open(create=True)
            assert db is not None
            return self._transaction(db, work)

    def _read(self, work: Callable[[sqlite3.Connection], _T], empty: _T) -> _T:
        with self._guard():
            db = self._open(create=False)
            if db is None:
                return empty
            db.execute("BEGIN")
            try:
                return work(db)
            finally:
                db.execute("COMMIT")

    @staticmethod
    def _current(db: sqlite3.Connection) -> Enrolment | None:
        row = db.execute("SELECT * FROM enrolments ORDER BY created_at DESC, id DESC LIMIT 1")
        return next((Enrolment.from_dict(fields(r)) for r in row), None)

    @staticmethod
    def _last(db: sqlite3.Connection, enrolment: Enrolment) -> SessionRecord | None:
        rows = db.execute(
            "SELECT * FROM sessions WHERE enrolment_uid = ? "
            "ORDER BY date DESC, logged_at DESC, id DESC LIMIT 1", (enrolment.uid,))  # fmt: skip
        return next((SessionRecord.from_dict(fields(r)) for r in rows), None)

    @staticmethod
    def _day_rows(
        db: sqlite3.Connection, enrolment: Enrolment, on: dt.date, window_days: int
    ) -> list[SessionRecord]:
        """The enrolment's sessions the rule needs for day ``on``: the last one up to that
        day and every one within ``window_days`` before it, oldest first."""
        since = (on - dt.timedelta(days=window_days)).isoformat()
        rows = db.execute(
            "SELECT * FROM sessions WHERE enrolment_uid = :uid AND date <= :on AND "
            "(date >= :since OR id = (SELECT id FROM sessions WHERE enrolment_uid = :uid AND "
            "date <= :on ORDER BY date DESC, logged_at DESC, id DESC LIMIT 1)) "
            "ORDER BY date, logged_at, id",
            {"uid": enrolment.uid, "on": on.isoformat(), "since": since},
        ).fetchall()
        return [SessionRecord.from_dict(fields(row)) for row in rows]

    def enrolment(self) -> Enrolment | None:
        """The current enrolment (the latest), or ``None`` before ``start``."""
        return self._read(self._current, None)

    def _enrolled(self) -> Enrolment:
        enrolment = self.enrolment()
        if enrolment is None:
            raise self._fail("not enrolled in a program yet: `runcoach start return-to-run`")
        return enrolment

    def start(
        self,
        program: str | os.PathLike[str],
        *,
        spm: float | None = None,
        week: int | None = None,
        on: dt.date | None = None,
        replace: bool = True,
    ) -> Enrolment:
        """Enrol in ``program`` (a built-in or user program name, or a file) at base cadence
        ``spm`` (default: the program's), from week ``week`` (default 1), on day ``on``.

        With ``replace`` false an existing enrolment raises :class:`AlreadyEnrolled`. Raises
        ``PlanError`` for a program that cannot be loaded, ``OptionError`` for a bad week or
        cadence.
        """
        enrolment = checkins.new_enrolment(program, spm=spm, week=week, on=on)

        def work(db: sqlite3.Connection) -> Enrolment:
            current = self._current(db)
            if current is not None and not replace:
                raise AlreadyEnrolled(current)
            insert(db, "enrolments", enrolment.to_dict())
            return enrolment

        return self._write(work)

    def today(self, on: dt.date | None = None, *, timings: bool = True) -> Today:
        """What to do on day ``on`` (default today): a :class:`~runcoach.coach.records.Today`
        (``timings=False`` skips the session's length and running time, which need the
        timeline). Raises :class:`JournalError` before any enrolment."""
        day_on = on or dt.date.today()
        enrolment = self._enrolled()
        program = course.load(enrolment.program)
        shape = course_of(program)
        window = shape.thresholds.physio_window_days
        none: list[SessionRecord] = []
        rows = self._read(lambda db: self._day_rows(db, enrolment, day_on, window), none)
        day = plan_day(shape, enrolment, rows, day_on)
        return checkins.today_of(program, enrolment, day, timings=timings)

    def log(
        self,
        *,
        leak: bool,
        heaviness: bool,
        pain: int,
        on: dt.date | None = None,
        week: int | None = None,
        session: int | None = None,
        completed: bool | None = None,
        stopped_at_seconds: float | None = None,
        played_seconds: float | None = None,
        bleeding: bool = False,
        effort: int | None = None,
        note: str = "",
        recording: Recording | None = None,
    ) -> SessionRecord:
        """Record the check-in of a session run on ``on`` (default today), decide what comes
        next and return the stored record. ``week``/``session``: default, today's session;
        ``completed``: default true unless ``stopped_at_seconds``; ``played_seconds``: from
        ``play``; symptoms noted that day count; ``recording``: a run reviewed against that
        session and stored with the check-in (both or neither). Raises ``OptionError`` for bad
        answers, :class:`JournalError` while stopped or once complete (unless a session is
        given), or when the recording is stored with another check-in."""
        answers = checkins.Answers.make(
            leak=leak, heaviness=heaviness, pain=pain, completed=completed,
            stopped_at_seconds=stopped_at_seconds, played_seconds=played_seconds,
            bleeding=bleeding, effort=effort, note=note,
        )  # fmt: skip
        if (week is None) != (session is None):
            raise OptionError("give --week and --session together (or neither: today's session)")
        day_on = on or dt.date.today()
        enrolment = self._enrolled()
        program = course.load(enrolment.program)
        if week is not None and session is not None:
            program.session(week, session)  # a session the program has, or OptionError
        shape = course_of(program)

        def work(db: sqlite3.Connection) -> SessionRecord:
            current = self._current(db)
            if current is None or current.uid != enrolment.uid:
                raise self._fail("the enrolment changed while logging; nothing was logged")
            rows = self._day_rows(db, enrolment, day_on, shape.thresholds.physio_window_days)
            given = Position(week, session) if week is not None and session is not None else None
            here = checkins.session_to_log(plan_day(shape, enrolment, rows, day_on), enrolment,
                                           given)  # fmt: skip
            noted = db.execute(
                "SELECT uid FROM symptoms WHERE date = ? AND session_uid IS NULL",
                (day_on.isoformat(),),
            ).fetchall()
            record = checkins.new_record(
                program, shape, enrolment, day_on, here, answers, len(noted)
            )
            insert(db, "sessions", record.to_dict())
            db.executemany(
                "UPDATE symptoms SET session_uid = ? WHERE uid = ?",
                [(record.uid, row["uid"]) for row in noted],
            )
            if recording is not None:
                from runcoach.coach import reviews

                target = reviews.logged_session(record, enrolment)
                result = reviews.review_logged(target, recording)
                store.save_review(db, reviews.StoredReview.of(record.uid, result, recording))
            return record

        return self._write(work)

    def log_next_day(
        self,
        *,
        on: dt.date | None = None,
        pain: int | None = None,
        leak: bool = False,
        heaviness: bool = False,
        bleeding: bool = False,
    ) -> SessionRecord:
        """Record the 24-hour check (made on ``on``, default today) of the last session, decide
        again (pain, leaking or heaviness since can change it) and return the amended record."""
        if pain is not None:
            checkins.check_score("--pain", pain)
        day_on = on or dt.date.today()
        enrolment = self._enrolled()
        shape = course_of(course.load(enrolment.program))

        def work(db: sqlite3.Connection) -> SessionRecord:
            last = self._last(db, enrolment)
            if last is None:
                raise JournalError("no session logged yet: log one before its next-day check")
            amended = checkins.with_next_day(
                last, shape, day_on, pain=pain, leak=leak, heaviness=heaviness, bleeding=bleeding
            )
            store.update_session(db, amended)
            return amended

        return self._write(work)

    def resume(self, on: dt.date | None = None) -> Today:
        """After a ``stop``: the runner has been seen and wishes to go on (on ``on``, default
        today). Returns what to do that day; raises :class:`JournalError` when not stopped."""
        day_on = on or dt.date.today()
        enrolment = self._enrolled()
        self._write(
            lambda db: store.update_session(db, checkins.resumed(self._last(db, enrolment), day_on))
        )
        return self.today(day_on)

    def note_symptom(
        self, at_seconds: float, *, on: dt.date | None = None, note: str = ""
    ) -> Symptom:
        """Note a symptom ``at_seconds`` into the session being played on ``on`` (the live
        ``w`` key); the session's check-in, when logged that day, counts it."""
        symptom = checkins.new_symptom(at_seconds, on=on, note=note)

        def work(db: sqlite3.Connection) -> Symptom:
            insert(db, "symptoms", symptom.to_dict())
            return symptom

        return self._write(work)

    def history(self) -> History:
        """Every session, oldest first, and the weekly summary."""

        def work(db: sqlite3.Connection) -> History:
            sessions = store.all_of(db, "sessions", SessionRecord)
            symptoms = store.all_of(db, "symptoms", Symptom)
            return History(tuple(sessions), summarise_weeks(sessions, symptoms), tuple(symptoms))

        return self._read(work, History((), ()))

    def export(self, path: str | os.PathLike[str]) -> int:
        """Write the whole journal to ``path``: JSON (everything, for :meth:`import_`) or CSV
        (the sessions, for a spreadsheet), by the file's ending; returns the number of sessions.
        Raises ``OptionError`` for another ending, ``OutputError`` when it cannot be written."""
        from runcoach.coach import backup

        kind = backup.kind_of(path)
        contents = self._read(
            lambda db: backup.Contents(
                store.all_of(db, "enrolments", Enrolment),
                store.all_of(db, "sessions", SessionRecord),
                store.all_of(db, "symptoms", Symptom),
                store.reviews(db),
            ),
            backup.Contents([], [], []),
        )
        backup.write(path, contents, kind)
        return len(contents.sessions)

    def import_(self, path: str | os.PathLike[str]) -> Imported:
        """Merge a JSON backup: records the journal lacks are added, records it has are kept
        (or replaced by a newer copy), so importing twice adds nothing."""
        from runcoach.coach import backup

        contents = backup.read(path)

        def work(db: sqlite3.Connection) -> Imported:
            counts = [0, 0, 0]
            for table in store.TABLES:
                for record in getattr(contents, table):
                    if table == "reviews":
                        counts[store.merge_review(db, record)] += 1
                    else:
                        counts[store.merge(db, table, record.to_dict())] += 1
            return Imported(*counts)

        return self._write(work)

    # -- reviews of recorded runs, kept with their check-ins ---------------------------------

    @staticmethod
    def _logged(db: sqlite3.Connection, *key: object) -> LoggedSession | None:
        found = store.latest_session(db, *key)
        from runcoach.coach.reviews import logged_session

        return logged_session(*found) if found is not None else None

    def last_session(self) -> LoggedSession | None:
        """The last session logged (the latest date, then the latest logged), with the plan it
        played and its base cadence; ``None`` before any. Raises ``PlanError`` when its program
        cannot be loaded any more."""
        return self._read(self._logged, None)

    def logged_session(
        self, program: str | os.PathLike[str], week: int, session: int
    ) -> LoggedSession | None:
        """The latest check-in of week ``week``, session ``session`` of ``program`` (a name or
        a file, as ``start`` takes it), or ``None`` when that session was never logged."""
        ref = course.program_ref(program)
        return self._read(lambda db: self._logged(db, ref, week, session), None)

    def store_review(self, target: LoggedSession, result: Review, recording: Recording) -> Reviewed:
        """Store ``result`` (the review of ``recording`` against ``target``) with the check-in
        of ``target``: added, or the same recording's stored review updated (``unchanged`` when
        its figures are the same). Raises :class:`JournalError` when the check-in is gone or the
        recording is stored with another check-in."""
        from runcoach.coach.reviews import Reviewed, StoredReview

        stored = StoredReview.of(target.record.uid, result, recording)

        def work(db: sqlite3.Connection) -> Reviewed:
            found = db.execute("SELECT 1 FROM sessions WHERE uid = ?", (target.record.uid,))
            if found.fetchone() is None:
                raise self._fail(f"the check-in of {target.record.date} is not in the journal")
            return Reviewed(stored, target.record, store.save_review(db, stored))

        return self._write(work)

    def stored_reviews(self, session_uid: str | None = None) -> tuple[StoredReview, ...]:
        """The stored reviews (of the check-in ``session_uid``, or all), in check-in order."""
        none: tuple[StoredReview, ...] = ()
        return self._read(lambda db: tuple(store.reviews(db, session_uid)), none)
