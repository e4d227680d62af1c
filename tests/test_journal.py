"""The journal through its Python API: schema, refusals that leave a file untouched, writers that
take turns, check-ins and their decisions, next-day checks, symptoms, backups."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from runcoach.coach import journal as journal_module
from runcoach.coach import schema
from runcoach.coach.journal import Journal
from runcoach.coach.records import AlreadyEnrolled, JournalError
from runcoach.coach.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, journal_path
from runcoach.errors import OptionError, OutputError, PlanError

D0 = dt.date(2025, 3, 3)


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


def fine(j: Journal, n: int, **extra: object) -> object:
    """Log a session without symptoms on day n."""
    answers: dict[str, object] = {"leak": False, "heaviness": False, "pain": 1}
    answers.update(extra)
    return j.log(on=day(n), **answers)  # type: ignore[arg-type]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def j(tmp_path: Path):  # type: ignore[no-untyped-def]
    with Journal(tmp_path / "journal.sqlite3") as journal:
        yield journal


# -- where and what ------------------------------------------------------------------------------


def test_journal_path_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RUNCOACH_JOURNAL", str(tmp_path / "mine.sqlite3"))
    assert journal_path() == tmp_path / "mine.sqlite3"
    assert Journal().path == tmp_path / "mine.sqlite3"
    monkeypatch.delenv("RUNCOACH_JOURNAL")
    import platformdirs

    assert journal_path() == Path(platformdirs.user_data_dir("runcoach")) / "journal.sqlite3"


def test_a_new_journal_has_its_id_version_wal_and_tables(j):
    j.start("return-to-run", on=D0)
    j.close()
    db = sqlite3.connect(j.path)
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"enrolments", "sessions", "symptoms", "reviews"}
    db.close()


def test_reading_creates_no_journal(tmp_path):
    path = tmp_path / "none" / "journal.sqlite3"
    with Journal(path) as journal:
        assert journal.history().sessions == ()
        assert journal.enrolment() is None
        with pytest.raises(JournalError, match="not enrolled"):
            journal.today(D0)
    assert not path.parent.exists()


def test_an_empty_file_becomes_a_journal(tmp_path):
    path = tmp_path / "journal.sqlite3"
    path.touch()
    with Journal(path) as journal:
        journal.start("return-to-run", on=D0)
        assert journal.today(D0).decision == "start"


# -- files that are not ours, or damaged ---------------------------------------------------------


def _foreign(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE recipes (name TEXT)")
    db.execute("INSERT INTO recipes VALUES ('bread')")
    db.commit()
    db.close()


def _damaged(path: Path) -> None:
    with Journal(path) as journal:
        journal.start("return-to-run", on=D0)
        for n in range(20):
            fine(journal, n, note="a note long enough to fill some pages " * 4)
    data = bytearray(path.read_bytes())
    data[4096 * 2 : 4096 * 3] = b"\xa5" * 4096  # a b-tree page turned to noise
    path.write_bytes(bytes(data))


def _newer(path: Path) -> None:
    with Journal(path) as journal:
        journal.start("return-to-run", on=D0)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()


MAKERS = {
    "garbage": lambda p: p.write_bytes(b"this is a shopping list, not a database\n" * 50),
    "foreign": _foreign,
    "damaged": _damaged,
    "truncated": lambda p: (_damaged(p), p.write_bytes(p.read_bytes()[:5000])),
    "newer": _newer,
}
ACTIONS = {
    "today": lambda jr: jr.today(D0),
    "history": lambda jr: jr.history(),
    "log": lambda jr: fine(jr, 1),
    "start": lambda jr: jr.start("return-to-run"),
    "symptom": lambda jr: jr.note_symptom(30.0),
    "export": lambda jr: jr.export(jr.path.parent / "out.json"),
}


@pytest.mark.parametrize("kind", list(MAKERS))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_a_file_that_is_not_a_usable_journal_is_left_untouched(tmp_path, kind, action):
    path = tmp_path / "journal.sqlite3"
    MAKERS[kind](path)
    for side in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        side.unlink(missing_ok=True)
    before, listing = digest(path), sorted(os.listdir(tmp_path))
    with Journal(path) as journal, pytest.raises(JournalError) as caught:
        ACTIONS[action](journal)
    message = str(caught.value)
    assert message.startswith(str(path)) and "\n" not in message
    expected = {
        "garbage": "not a runcoach journal",
        "foreign": "another program",
        "damaged": "damaged",
        "truncated": "damaged",
        "newer": "newer runcoach",
    }[kind]
    assert expected in message
    assert digest(path) == before
    assert sorted(os.listdir(tmp_path)) == listing  # nothing created beside it either


def test_a_folder_is_not_a_journal(tmp_path):
    with Journal(tmp_path) as journal, pytest.raises(JournalError, match="is a folder"):
        journal.today(D0)


def test_an_older_journal_is_migrated_in_place(tmp_path, monkeypatch):
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as journal:
        journal.start("return-to-run", on=D0)
        fine(journal, 0)
    step = ("CREATE TABLE shoes (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",)
    migrations = (*MIGRATIONS, step)
    monkeypatch.setattr(journal_module, "MIGRATIONS", migrations)
    monkeypatch.setattr(journal_module, "SCHEMA_VERSION", len(migrations))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(migrations))
    with Journal(path) as journal:
        assert len(journal.history().sessions) == 1
        fine(journal, 2)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(migrations)
    assert db.execute("SELECT count(*) FROM shoes").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 2
    db.close()


# -- writers take turns ----------------------------------------------------------------------------


def test_a_writer_waits_for_another_to_finish(tmp_path):
    path = tmp_path / "journal.sqlite3"
    with Journal(path) as journal:
        journal.start("return-to-run", on=D0)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    released = threading.Event()

    def release() -> None:
        time.sleep(0.4)
        holder.execute("COMMIT")
        released.set()

    thread = threading.Thread(target=release)
    thread.start()
    with Journal(path) as journal:
        record = fine(journal, 0)
    thread.join()
    holder.close()
    assert released.is_set()
    with Journal(path) as journal:
        assert [s.uid for s in journal.history().sessions] == [record.uid]  # type: ignore[attr-defined]


# -- enrolment, check-ins, decisions ---------------------------------------------------------------


def test_start_asks_before_replacing(j):
    first = j.start("return-to-run", spm=165, on=D0)
    with pytest.raises(AlreadyEnrolled) as caught:
        j.start("return-to-run", week=3, replace=False)
    assert caught.value.enrolment == first
    second = j.start("return-to-run", week=3, on=day(1))
    assert j.enrolment() == second
    today = j.today(day(1))
    assert (today.week, today.session, today.decision) == (3, 1, "start")


def test_start_checks_program_week_and_cadence(j):
    with pytest.raises(PlanError):
        j.start("no-such-program")
    with pytest.raises(OptionError, match="--week must be between 1 and 9"):
        j.start("return-to-run", week=10)
    with pytest.raises(OptionError, match="--spm"):
        j.start("return-to-run", spm=300)
    assert j.enrolment() is None


def test_a_program_file_is_kept_by_its_absolute_path(j, tmp_path, monkeypatch):
    folder = tmp_path / "my programs"
    folder.mkdir()
    (folder / "short.yaml").write_text(
        "name: Short\nrest_days: 2\nprogression: {repeat_pain: 2, step_back_pain: 5}\n"
        "weeks:\n  - sessions:\n      - segments: [{name: Walk, duration: 4m, spm: 110},"
        " {name: Run, duration: 2m}]\n      - steady\n"
    )
    monkeypatch.chdir(folder)
    j.start("short.yaml", on=D0)
    monkeypatch.chdir(tmp_path)
    today = j.today(D0)
    assert today.program == str(folder / "short.yaml")
    assert today.command == (
        f"runcoach play --plan '{folder / 'short.yaml'}' --week 1 --session 1 --spm 170"
    )
    assert today.spm == 170  # no program cadence: the plan's own base (170)
    assert (today.duration_seconds, today.running_seconds) == (360, 120)
    assert fine(j, 0, pain=2).decision == "repeat"  # the program's repeat_pain: 2
    assert j.today(day(2)).rest_day is True  # rest_days: 2
    assert j.today(day(3)).rest_day is False


def test_log_records_the_answers_and_the_running_time(j):
    j.start("return-to-run", spm=165, on=D0)
    record = j.log(on=D0, leak=False, heaviness=False, pain=2, effort=6, note="windy")
    # Week 1 of return-to-run: 8 x 1-minute jogs between walks.
    assert (record.week, record.session, record.running_seconds) == (1, 1, 480)
    assert (record.completed, record.pain, record.effort, record.note) == (True, 2, 6, "windy")
    assert (record.decision, record.next_position) == ("advance", (1, 2))
    stopped = j.log(on=day(2), leak=False, heaviness=False, pain=0, stopped_at_seconds=720.0)
    # 5 min walk, then jog 5:00-6:00, 7:30-8:30, 10:00-11:00: three minutes by 12:00.
    assert (stopped.session, stopped.completed, stopped.running_seconds) == (2, False, 180)
    assert stopped.decision == "repeat"


def test_log_refuses_bad_answers(j):
    j.start("return-to-run", on=D0)
    for kwargs, match in [
        ({"pain": 11}, "--pain"),
        ({"pain": 2, "effort": -1}, "--effort"),
        ({"pain": 2, "week": 2}, "together"),
        ({"pain": 2, "week": 2, "session": 4}, "--session must be between 1 and 3"),
        ({"pain": 2, "completed": True, "stopped_at_seconds": 60.0}, "not both"),
        ({"pain": 2, "stopped_at_seconds": 3 * 3600.0}, "after the end"),
    ]:
        with pytest.raises(OptionError, match=match):
            j.log(on=D0, leak=False, heaviness=False, **kwargs)
    assert j.history().sessions == ()


def test_next_day_check_amends_the_last_session_only(j):
    j.start("return-to-run", week=2, on=D0)
    assert fine(j, 0).decision == "advance"
    amended = j.log_next_day(on=day(1), pain=6)
    assert (amended.decision, amended.next_position, amended.next_day_pain) == (
        "step_back",
        (1, 1),
        6,
    )
    assert "next-day check of 2025-03-04" in amended.reason
    assert j.today(day(2)).decision == "step_back"
    fine(j, 2)
    with pytest.raises(OptionError, match="before the last session"):
        j.log_next_day(on=day(1), pain=7)  # the earlier session is no longer the last
    assert [s.decision for s in j.history().sessions] == ["step_back", "advance"]


def test_stop_refuses_logging_until_resume(j):
    j.start("return-to-run", week=3, on=D0)
    assert fine(j, 0, bleeding=True).decision == "stop"
    today = j.today(day(1))
    assert (today.decision, today.command, today.plan) == ("stop", None, None)
    with pytest.raises(JournalError, match="running is stopped"):
        fine(j, 2)
    with pytest.raises(JournalError, match="running is stopped"):
        fine(j, 2, week=3, session=1)  # not even a session named outright
    resumed = j.resume(day(3))
    assert (resumed.decision, resumed.week, resumed.session) == ("step_back", 2, 1)
    with pytest.raises(JournalError, match="nothing to resume"):
        j.resume(day(3))
    assert fine(j, 3).week == 2


def test_a_symptom_noted_in_play_is_counted_by_that_days_check_in(j):
    j.start("return-to-run", on=D0)
    j.note_symptom(600.0, on=D0, note="w key")
    record = fine(j, 0)
    assert (record.symptoms, record.decision) == (1, "repeat")
    assert fine(j, 2).symptoms == 0  # attached once only
    history = j.history()
    assert [s.date for s in history.symptoms] == [D0]
    assert history.weeks[0].symptom_days == 1


def test_complete_program_offers_no_session(j):
    j.start("return-to-run", week=9, on=D0)
    for n in range(3):
        fine(j, 2 * n)
    today = j.today(day(7))
    assert today.complete and today.command is None and today.decision == "advance"
    assert "the program is complete" in today.reason
    with pytest.raises(OptionError, match="complete"):
        fine(j, 8)
    assert fine(j, 8, week=9, session=3).session == 3


# -- history and backups ---------------------------------------------------------------------------


def test_history_weeks_count_sessions_running_and_symptom_days(j):
    j.start("return-to-run", spm=165, on=D0)  # D0 is a Monday
    fine(j, 0)  # week 1 session 1: 480 s running
    fine(j, 2, pain=4)  # week 1 session 2: repeat, a symptom day (pain above 3)
    j.log_next_day(on=day(3), pain=2, leak=True)  # the next day: a symptom day too
    fine(j, 16)  # after a break (and a week with nothing)
    weeks = [w.as_json() for w in j.history().weeks]
    assert weeks == [
        {"week_start": "2025-03-03", "sessions": 2, "running_seconds": 960, "symptom_days": 2},
        {"week_start": "2025-03-10", "sessions": 0, "running_seconds": 0, "symptom_days": 0},
        {"week_start": "2025-03-17", "sessions": 1, "running_seconds": 480, "symptom_days": 0},
    ]


def test_export_then_import_into_an_empty_journal_is_the_same(j, tmp_path):
    j.start("return-to-run", spm=165, on=D0)
    fine(j, 0)
    fine(j, 2, leak=True)
    j.log_next_day(on=day(3), pain=3)
    j.note_symptom(120.0, on=day(5))
    fine(j, 5, stopped_at_seconds=600.0)
    j.export(tmp_path / "backup.json")
    with Journal(tmp_path / "copy.sqlite3") as copy:
        done = copy.import_(tmp_path / "backup.json")
        assert (done.added, done.updated, done.unchanged) == (5, 0, 0)
        assert copy.history().as_json() == j.history().as_json()
        assert copy.today(day(9)).as_json() == j.today(day(9)).as_json()
        again = copy.import_(tmp_path / "backup.json")
        assert (again.added, again.updated, again.unchanged) == (0, 0, 5)
        assert len(copy.history().sessions) == 3


def test_import_merges_and_keeps_the_newer_copy(j, tmp_path):
    j.start("return-to-run", on=D0)
    fine(j, 0)
    j.export(tmp_path / "before.json")
    j.log_next_day(on=day(1), pain=6)
    fine(j, 2)
    j.export(tmp_path / "after.json")
    with Journal(tmp_path / "other.sqlite3") as other:
        other.import_(tmp_path / "before.json")
        done = other.import_(tmp_path / "after.json")
        assert (done.added, done.updated, done.unchanged) == (1, 1, 1)
        assert other.history().as_json() == j.history().as_json()
        assert other.import_(tmp_path / "before.json").updated == 0  # an older copy never wins


def test_csv_export_has_a_row_per_session(j, tmp_path):
    import csv

    j.start("return-to-run", on=D0)
    fine(j, 0, note='said "easy", then ran')
    fine(j, 2, heaviness=True)
    j.export(tmp_path / "sessions.csv")
    rows = list(csv.DictReader((tmp_path / "sessions.csv").open(encoding="utf-8")))
    assert [(r["date"], r["decision"], r["heaviness"]) for r in rows] == [
        ("2025-03-03", "advance", "False"),
        ("2025-03-05", "step_back", "True"),
    ]
    assert rows[0]["note"] == 'said "easy", then ran' and rows[0]["running_seconds"] == "480"


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.update(format="other"), "not a runcoach journal backup"),
        (lambda d: d.update(version=9), "backup versions"),
        (lambda d: d["sessions"][0].update(pain=12), r"sessions\[0\]\.pain: expected a whole"),
        (lambda d: d["sessions"][0].update(date="3 March"), r"sessions\[0\]\.date"),
        (lambda d: d["sessions"][0].pop("decision"), r"sessions\[0\]\.decision: missing"),
        (lambda d: d["sessions"][0].update(shoes="red"), r"sessions\[0\]\.shoes"),
        (lambda d: d["enrolments"].clear(), "not an enrolment of this backup"),
        (lambda d: d["sessions"].append(dict(d["sessions"][0])), "appears twice"),
    ],
)
def test_a_malformed_backup_is_refused_whole(j, tmp_path, change, match):
    j.start("return-to-run", on=D0)
    fine(j, 0)
    j.export(tmp_path / "backup.json")
    data = json.loads((tmp_path / "backup.json").read_text())
    change(data)
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with Journal(tmp_path / "fresh.sqlite3") as fresh:
        with pytest.raises(JournalError, match=match) as caught:
            fresh.import_(tmp_path / "bad.json")
        assert str(caught.value).startswith(str(tmp_path / "bad.json"))
        assert fresh.history().sessions == ()


def test_export_destinations(j, tmp_path):
    j.start("return-to-run", on=D0)
    with pytest.raises(OptionError, match=r"\.json .* or \.csv"):
        j.export(tmp_path / "backup.txt")
    with pytest.raises(OutputError, match="cannot write"):
        j.export(tmp_path / "no" / "such" / "folder.json")
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        j.export(tmp_path / "dir.json")
    with pytest.raises(JournalError, match="no such file"):
        j.import_(tmp_path / "missing.json")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(JournalError, match=r"broken\.json:1: not JSON"):
        j.import_(tmp_path / "broken.json")
