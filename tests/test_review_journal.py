"""Reviews kept in the journal: ``runcoach log --activity``, ``runcoach review --last`` and
``--log``, the migration that adds the reviews table, backups that carry the reviews and the
report that shows them.

Real FIT files (Garmin's encoder, :mod:`activity_files`), a real journal in a temporary folder
(``RUNCOACH_JOURNAL``), read back with plain SQL; every stored figure is compared with the same
figure worked out here or in ``activity_files.reference`` with plain loops.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from activity_files import (
    GAP,
    RUN_WALK,
    RUN_WALK_YAML,
    Recording,
    close,
    fit_bytes,
    reference,
    run_walk_recording,
)
from runcoach.cli import app
from runcoach.coach.journal import Journal
from runcoach.coach.schema import APPLICATION_ID, MIGRATIONS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SPM = 172  # the enrolment's cadence: the runs of the session are at 172, not the plan's 170
#: The plan of every session of the test program at SPM: the runs follow the base cadence.
PLAN = [(n, s, SPM if n.startswith("Run") else a, SPM if n.startswith("Run") else b)
        for n, s, a, b in RUN_WALK]  # fmt: skip
TOTAL_SECONDS = sum(seconds for _, seconds, _, _ in PLAN)
SESSION_KEYS = [
    "date", "program", "week", "session", "completed", "stopped_at_seconds", "leak",
    "heaviness", "bleeding", "pain", "next_day_pain", "effort", "note", "decision", "reason",
]  # fmt: skip
FINE = ("--completed", "--no-leak", "--no-heaviness", "--pain", "1")


def _program_text() -> str:
    """A program of three sessions, each the run/walk plan written out inline."""
    lines = RUN_WALK_YAML.strip().splitlines()
    inline = "      - " + lines[0] + "\n" + "\n".join("        " + line for line in lines[1:])
    return (
        "name: Review test program\nspm: 170\nweeks:\n  - name: Week 1\n    sessions:\n"
        f"{inline}\n{inline}\n  - name: Week 2\n    sessions:\n{inline}\n"
    )


@pytest.fixture(scope="module")
def recordings() -> dict[str, Recording]:
    """Two runs: one recorded 40 s before the session started, one on time."""
    return {"early.fit": run_walk_recording(late=40), "other.fit": run_walk_recording(seed=11)}


@pytest.fixture(scope="module")
def fit_files(recordings) -> dict[str, bytes]:
    return {name: fit_bytes(rec) for name, rec in recordings.items()}


class Coach:
    """``runcoach`` with its journal and files in a temporary folder."""

    def __init__(self, folder: Path, fit_files: dict[str, bytes]) -> None:
        self.folder = folder
        self.journal = folder / "journal.sqlite3"
        self.program = folder / "program.yaml"
        self.program.write_text(_program_text())
        for name, data in fit_files.items():
            (folder / name).write_bytes(data)
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int = 0, journal: Path | None = None):  # type: ignore[no-untyped-def]
        env = {"RUNCOACH_JOURNAL": str(journal or self.journal)}
        result = self.runner.invoke(app, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == code, (args, result.stdout, result.stderr)
        return result

    def path(self, name: str) -> str:
        return str(self.folder / name)

    def rows(self, table: str, journal: Path | None = None) -> list[dict]:
        db = sqlite3.connect(journal or self.journal)
        db.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in db.execute(f"SELECT * FROM {table} ORDER BY id")]
        finally:
            db.close()


@pytest.fixture()
def coach(tmp_path: Path, fit_files) -> Coach:
    return Coach(tmp_path, fit_files)


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory, fit_files) -> Coach:
    """A journal with two sessions, each with its run reviewed and stored (other.fit with the
    plan at the first record, early.fit aligned: 40 s), which the tests below leave as it is."""
    coach = Coach(tmp_path_factory.mktemp("reviewed"), fit_files)
    _start(coach)
    coach("log", "--date", "2024-05-01", *FINE, "--activity", coach.path("other.fit"))
    coach("log", "--date", "2024-05-03", *FINE, "--note", "hills <b>hard</b>",
          "--activity", coach.path("early.fit"))  # fmt: skip
    coach("review", coach.path("early.fit"), "--last", "--align", "auto", "--log")
    return coach


def _start(coach: Coach, journal: Path | None = None) -> None:
    coach("start", str(coach.program), "--spm", str(SPM), "--date", "2024-05-01", "--yes",
          journal=journal)  # fmt: skip


# Worked out independently ---------------------------------------------------------------------


def _weights(rec: Recording) -> list[tuple[float, float, float]]:
    """(time, spm, moving seconds) of every sample with cadence: the time to the next sample,
    at most 5 s, none inside a timer stop, none while standing (cadence 0)."""
    samples = [(t, v) for t, v in zip(rec.seconds, rec.spm, strict=True) if v is not None]
    out = []
    for i, (t, value) in enumerate(samples):
        following = samples[i + 1][0] if i + 1 < len(samples) else t
        weight = min(following - t, GAP)
        for stop, start in rec.stops:
            if stop <= t < start:
                weight = 0.0
            elif t < stop < following:
                weight = min(weight, stop - t)
        out.append((t, value, weight if value > 0 else 0.0))
    return out


def _trace(rec: Recording, offset: float, step: float = 10.0) -> list[tuple[float, float | None]]:
    """The mean cadence over moving time in each ``step`` of the plan's clock."""
    buckets = math.ceil(TOTAL_SECONDS / step)
    moving, spm_sum = [0.0] * buckets, [0.0] * buckets
    for t, value, weight in _weights(rec):
        k = math.floor((t - offset) / step)
        if 0 <= k < buckets:
            moving[k] += weight
            spm_sum[k] += weight * value
    return [(k * step, spm_sum[k] / moving[k] if moving[k] else None) for k in range(buckets)]


def _check_review(got: dict, rec: Recording, offset: float) -> None:
    """A stored review's figures against the reference, to their rounding."""
    want = reference(rec, PLAN, offset)
    assert list(got) == ["activity", "offset_seconds", "tolerance_spm", "segments", "overall"]
    assert got["offset_seconds"] == offset and got["tolerance_spm"] == 3.0
    assert len(got["segments"]) == len(want["segments"])
    for g, w in zip(got["segments"], want["segments"], strict=True):
        assert g["name"] == w["name"]
        for key in ("start_seconds", "duration_seconds", "moving_seconds", "stopped_seconds"):
            assert close(g[key], w[key], 0.051), (g["name"], key)
        for key in ("target_spm_start", "target_spm_end", "mean_spm"):
            assert close(g[key], w[key], 0.0051), (g["name"], key)
        assert close(g["in_band_fraction"], w["in_band_fraction"], 0.00006), g["name"]
    for key, tol in (
        ("mean_spm", 0.0051),
        ("in_band_fraction", 0.00006),
        ("moving_seconds", 0.051),
    ):
        assert close(got["overall"][key], want["overall"][key], tol), key
    assert close(got["activity"]["mean_spm"], want["activity"]["mean_spm"], 0.0051)
    assert close(got["activity"]["moving_seconds"], want["activity"]["moving_seconds"], 0.051)


def _check_row(row: dict, coach: Coach, name: str, rec: Recording, offset: float) -> None:
    """A row of the reviews table: the file, its sha256, the review and the trace."""
    assert row["file_name"] == name
    assert row["file_sha256"] == hashlib.sha256((coach.folder / name).read_bytes()).hexdigest()
    _check_review(json.loads(row["review"]), rec, offset)
    got = json.loads(row["trace"])
    want = _trace(rec, offset)
    assert [t for t, _ in got] == [t for t, _ in want]
    for (t, g), (_, w) in zip(got, want, strict=True):
        assert close(g, w, 0.0051), (t, g, w)
    assert sum(s is None for _, s in got) >= 2  # the stand at a crossing and the timer stop


def _summary(rec: Recording, offset: float) -> str:
    overall = reference(rec, PLAN, offset)["overall"]
    moving = round(overall["moving_seconds"])
    return (
        f"mean {overall['mean_spm']:.1f} spm, {100 * overall['in_band_fraction']:.1f} % of "
        f"moving time within ±3 spm, moving {moving // 60}:{moving % 60:02d}"
    )


# log --activity -----------------------------------------------------------------------------


def test_log_with_activity_stores_the_review_with_the_check_in(coach, recordings):
    _start(coach)
    rec = recordings["early.fit"]
    out = coach("log", "--date", "2024-05-01", *FINE, "--activity", coach.path("early.fit"))
    assert out.stdout.startswith("Logged week 1, session 1 of 2024-05-01: advance.")
    assert out.stdout.endswith(
        f"Reviewed early.fit: {_summary(rec, 0.0)}; stored with this check-in.\n"
    )
    (session,) = coach.rows("sessions")
    (row,) = coach.rows("reviews")
    assert row["session_uid"] == session["uid"]
    _check_row(row, coach, "early.fit", rec, 0.0)  # the plan laid at the first record


def test_log_activity_json_prints_the_check_in_alone(coach, recordings):
    _start(coach)
    out = coach(
        "log", "--date", "2024-05-01", *FINE, "--json", "--activity", coach.path("other.fit")
    )
    assert list(json.loads(out.stdout)) == SESSION_KEYS
    summary = _summary(recordings["other.fit"], 0.0)
    assert out.stderr == f"runcoach: Reviewed other.fit: {summary}; stored with this check-in.\n"


def test_a_file_that_is_not_an_activity_logs_nothing(coach):
    _start(coach)
    (coach.folder / "notes.fit").write_text("not a recording at all\n")
    out = coach("log", "--date", "2024-05-01", *FINE, "--activity", coach.path("notes.fit"), code=2)
    assert out.stderr.count("\n") == 1 and "notes.fit" in out.stderr
    assert coach.rows("sessions") == [] and coach.rows("reviews") == []
    out = coach("log", "--next-day", "--pain", "1", "--activity", coach.path("other.fit"), code=2)
    assert "--next-day takes" in out.stderr


def test_a_recording_belongs_to_one_session(coach):
    _start(coach)
    coach("log", "--date", "2024-05-01", *FINE, "--activity", coach.path("other.fit"))
    out = coach("log", "--date", "2024-05-03", *FINE, "--activity", coach.path("other.fit"), code=2)
    assert "already stored with the check-in of 2024-05-01 (week 1, session 1)" in out.stderr
    assert len(coach.rows("sessions")) == 1 and len(coach.rows("reviews")) == 1  # nothing logged


# review --last / --log ---------------------------------------------------------------------


def test_review_last_reviews_the_last_session_at_its_cadence(coach, recordings):
    _start(coach)
    coach("log", "--date", "2024-05-01", *FINE)
    coach("log", "--date", "2024-05-03", *FINE)
    rec = recordings["early.fit"]
    got = json.loads(
        coach("review", coach.path("early.fit"), "--last", "--align", "auto", "--json").stdout
    )
    _check_review(got, rec, 40.0)
    assert got["segments"][1]["target_spm_start"] == SPM
    plain = coach("review", coach.path("early.fit"), "--last").stdout.splitlines()
    assert plain[0] == (
        "Session   2024-05-03, Review test program, week 1, session 2 at 172 spm (from the journal)"
    )
    assert plain[2].startswith("Plan      Review test program, week 1, session 2: starts +0 s")
    assert coach.rows("reviews") == []  # --last alone stores nothing


def test_review_log_replaces_the_review_of_the_same_recording(coach, recordings):
    _start(coach)
    coach("log", "--date", "2024-05-01", *FINE, "--activity", coach.path("early.fit"))
    (before,) = coach.rows("reviews")
    rec = recordings["early.fit"]
    args = ("review", coach.path("early.fit"), "--last", "--align", "auto", "--log")
    out = coach(*args)
    assert out.stdout.endswith(
        "Stored with the check-in of 2024-05-01 (week 1, session 1), replacing this recording's "
        f"earlier review: early.fit, {_summary(rec, 40.0)}.\n"
    )
    (after,) = coach.rows("reviews")
    assert after["uid"] == before["uid"] and after["session_uid"] == before["session_uid"]
    _check_row(after, coach, "early.fit", rec, 40.0)
    again = coach(*args, "--json")
    _check_review(json.loads(again.stdout), rec, 40.0)
    assert again.stderr.startswith("runcoach: Already stored with the check-in of 2024-05-01")
    assert coach.rows("reviews") == [after]


def test_review_log_with_a_program_session(coach, recordings):
    _start(coach)
    coach("log", "--date", "2024-05-01", *FINE)
    coach("log", "--date", "2024-05-03", *FINE)
    program = str(coach.program)
    out = coach("review", coach.path("other.fit"), "--plan", program, "--week", "1",
                "--session", "1", "--log")  # fmt: skip
    assert "Stored with the check-in of 2024-05-01 (week 1, session 1): other.fit" in out.stdout
    (row,) = coach.rows("reviews")
    assert row["session_uid"] == coach.rows("sessions")[0]["uid"]
    _check_row(row, coach, "other.fit", recordings["other.fit"], 0.0)
    out = coach("review", coach.path("early.fit"), "--plan", program, "--week", "2",
                "--session", "1", "--log", code=2)  # fmt: skip
    assert "week 2, session 1 of" in out.stderr and "no check-in yet" in out.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--log"], "give --last, or --plan PROGRAM --week W --session S"),
        (["--plan", "intervals", "--log"], "give --last, or --plan PROGRAM"),
        (["--last", "--plan", "intervals"], "--last (the last session in the journal) or --plan"),
        (["--last"], "no session logged yet"),
    ],
)
def test_review_journal_mistakes_are_one_line(coach, args, message):
    out = coach("review", coach.path("other.fit"), *args, code=2)
    assert out.stderr.count("\n") == 1 and message in out.stderr
    assert not coach.journal.exists()


# The migration ------------------------------------------------------------------------------

#: The schema of version 1, as it was released: the first migration is never edited.
V1 = (
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
)


def _words(statements: tuple[str, ...]) -> list[str]:
    return [" ".join(s.split()) for s in statements]


def _version_1_journal(path: Path, program: Path) -> None:
    """A journal as runcoach's schema version 1 wrote it: an enrolment, a session, a symptom."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("BEGIN")
    for statement in V1:
        db.execute(statement)
    stamp = "2024-05-01T06:00:00.000000+00:00"
    db.execute(
        "INSERT INTO enrolments (uid, program, program_name, spm, week, session, started_on, "
        "created_at) VALUES ('e1', ?, 'Review test program', ?, 1, 1, '2024-05-01', ?)",
        (str(program), SPM, stamp),
    )
    db.execute(
        "INSERT INTO sessions (uid, enrolment_uid, date, program, week, session, completed, "
        "running_seconds, leak, heaviness, bleeding, pain, effort, note, symptoms, decision, "
        "source, finding, reason, next_week, next_session, logged_at, updated_at) VALUES "
        "('s1', 'e1', '2024-05-01', ?, 1, 1, 1, 270, 0, 0, 0, 2, 5, 'easy', 1, 'advance', "
        "'check-in', 'pain 2 of 10', 'On to week 1, session 2.', 1, 2, ?, ?)",
        (str(program), stamp, stamp),
    )
    db.execute(
        "INSERT INTO symptoms (uid, date, at_seconds, note, session_uid, logged_at) VALUES "
        "('y1', '2024-05-01', 300, 'twinge', 's1', ?)",
        (stamp,),
    )
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute("PRAGMA user_version = 1")
    db.execute("COMMIT")
    db.close()


def test_a_version_1_journal_migrates_on_open_and_keeps_its_rows(coach, recordings):
    assert _words(MIGRATIONS[0]) == _words(V1)  # the first migration is never edited
    _version_1_journal(coach.journal, coach.program)
    kept = {table: coach.rows(table) for table in ("enrolments", "sessions", "symptoms")}
    history = json.loads(coach("history", "--json").stdout)
    assert [(s["date"], s["note"], s["pain"]) for s in history["sessions"]] == [
        ("2024-05-01", "easy", 2)
    ]
    db = sqlite3.connect(coach.journal)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) == 2
    assert db.execute("SELECT count(*) FROM reviews").fetchone()[0] == 0
    db.close()
    assert {table: coach.rows(table) for table in kept} == kept
    coach("review", coach.path("other.fit"), "--last", "--log")
    (row,) = coach.rows("reviews")
    assert row["session_uid"] == "s1"
    _check_row(row, coach, "other.fit", recordings["other.fit"], 0.0)


# Backups ----------------------------------------------------------------------------------


def test_export_then_import_into_an_empty_journal_gives_the_same_reviews(reviewed, recordings):
    coach = reviewed
    backup = coach.folder / "backup.json"
    out = coach("journal", "export", str(backup))
    assert out.stdout == f"Wrote 2 sessions and 2 reviewed runs to {backup}.\n"
    data = json.loads(backup.read_text())
    assert data["version"] == 2
    stored = {r["file_name"]: r for r in data["reviews"]}
    rows = {r["file_name"]: r for r in coach.rows("reviews")}
    for name, offset in (("other.fit", 0.0), ("early.fit", 40.0)):
        _check_review(stored[name]["review"], recordings[name], offset)
        assert stored[name]["review"] == json.loads(rows[name]["review"])
        assert stored[name]["trace"] == json.loads(rows[name]["trace"])
        assert stored[name]["file_sha256"] == rows[name]["file_sha256"]
    copy = coach.folder / "copy.sqlite3"
    out = coach("journal", "import", str(backup), journal=copy)
    assert out.stdout == f"Imported {backup}: 5 records added, 0 updated, 0 already there.\n"
    with Journal(coach.journal) as first, Journal(copy) as second:
        assert [r.to_dict() for r in second.stored_reviews()] == [
            r.to_dict() for r in first.stored_reviews()
        ]
    history = coach("history", "--json", journal=copy).stdout
    assert history == coach("history", "--json").stdout
    assert all(list(s) == SESSION_KEYS for s in json.loads(history)["sessions"])
    again = coach("journal", "import", str(backup), journal=copy)
    assert again.stdout.endswith("0 records added, 0 updated, 5 already there.\n")
    assert len(coach.rows("reviews", copy)) == 2


def test_the_same_recording_logged_in_two_journals_merges_into_one(reviewed):
    coach = reviewed
    coach("journal", "export", str(coach.folder / "a.json"))
    other = coach.folder / "other.sqlite3"
    _start(coach, other)
    coach(
        "log", "--date", "2024-05-01", *FINE, "--activity", coach.path("other.fit"), journal=other
    )
    (mine,) = coach.rows("reviews", other)
    coach("journal", "import", str(coach.folder / "a.json"), journal=other)
    rows = coach.rows("reviews", other)
    assert len(rows) == 2  # other.fit once (ours, stored later, kept), early.fit added
    assert [r for r in rows if r["file_name"] == "other.fit"] == [mine]


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d["reviews"][0].update(file_sha256="abc"), r"reviews\[0\]\.file_sha256"),
        (lambda d: d["reviews"][0].update(session_uid="nope"), "is not a session of this backup"),
        (lambda d: d["reviews"][0]["review"].pop("overall"), r"reviews\[0\]\.review"),
        (lambda d: d["reviews"][0]["trace"].append([1, "fast"]), r"reviews\[0\]\.trace\[\d+\]"),
        (lambda d: d["reviews"].append(dict(d["reviews"][0], uid="x")), "appears twice"),
    ],
)
def test_a_backup_with_a_bad_review_is_refused_whole(coach, change, match):
    _start(coach)
    coach("log", "--date", "2024-05-01", *FINE, "--activity", coach.path("other.fit"))
    coach("journal", "export", str(coach.folder / "backup.json"))
    data = json.loads((coach.folder / "backup.json").read_text())
    change(data)
    (coach.folder / "bad.json").write_text(json.dumps(data))
    fresh = coach.folder / "fresh.sqlite3"
    out = coach("journal", "import", str(coach.folder / "bad.json"), journal=fresh, code=2)
    assert re.search(match, out.stderr) and out.stderr.count("\n") == 1
    assert json.loads(coach("history", "--json", journal=fresh).stdout)["sessions"] == []


def test_a_version_1_backup_without_reviews_still_imports(coach):
    _start(coach)
    coach("log", "--date", "2024-05-01", *FINE)
    coach("journal", "export", str(coach.folder / "backup.json"))
    data = json.loads((coach.folder / "backup.json").read_text())
    assert data.pop("reviews") == []
    data["version"] = 1
    (coach.folder / "v1.json").write_text(json.dumps(data))
    out = coach(
        "journal", "import", str(coach.folder / "v1.json"), journal=coach.folder / "n.sqlite3"
    )
    assert "2 records added" in out.stdout


# The report ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_page(reviewed: Coach) -> tuple[Path, str]:
    """The report of the reviewed journal, written once: (path, what the command printed)."""
    path = reviewed.folder / "report.html"
    return path, reviewed("report", "-o", str(path)).stdout


def test_the_report_shows_every_reviewed_session(reviewed, report_page, recordings):
    page_path, printed = report_page
    assert printed.startswith(f"wrote {page_path} (2 sessions, 2 reviewed runs, ")
    page = page_path.read_text(encoding="utf-8")
    table = page.split("<h2>Cadence adherence</h2>")[1].split("<h2>")[0]
    rows = re.findall(r"<tr><td class=\"d\">([^<]*)</td><td>([^<]*)</td>"
                      r"<td class=\"n\">([^<]*)</td><td class=\"n\">([^<]*)</td>", table)  # fmt: skip
    program = str(reviewed.program)
    want = []
    for date, week, session, name, offset in (
        ("2024-05-01", 1, 1, "other.fit", 0.0),
        ("2024-05-03", 1, 2, "early.fit", 40.0),
    ):
        overall = reference(recordings[name], PLAN, offset)["overall"]
        want.append((date, f"{program} W{week} S{session}", f"{overall['mean_spm']:.1f} spm",
                     f"{100 * overall['in_band_fraction']:.0f} %"))  # fmt: skip
    assert rows == want
    assert f"<h2>Latest reviewed run: 2024-05-03, {program} W1 S2</h2>" in page
    assert page.count("<svg") == 4  # weekly minutes, symptoms, adherence, the latest trace
    assert "hills &lt;b&gt;hard&lt;/b&gt;" in page
    out = reviewed("report", "-o", str(reviewed.folder / "r.html"), "--since", "2024-05-02")
    assert out.stdout.startswith(f"wrote {reviewed.folder / 'r.html'} (1 session, 1 reviewed run, ")


@pytest.mark.slow
@pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium)"
)
def test_chromium_renders_the_reviewed_sessions(reviewed, report_page):
    assert CHROMIUM is not None
    program = str(reviewed.program)
    shown = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
         "--disable-background-networking", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--enable-logging=stderr", "--v=0", report_page[0].as_uri()],
        capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert f"<h2>Latest reviewed run: 2024-05-03, {program} W1 S2</h2>" in shown.stdout
    assert (
        f"<td>{program} W1 S1</td>" in shown.stdout and f"<td>{program} W1 S2</td>" in shown.stdout
    )
    assert shown.stdout.count("<svg") == 4
    assert "Refused to" not in shown.stderr and "ERR_NAME_NOT_RESOLVED" not in shown.stderr


def test_stored_reviews_through_the_python_api(reviewed, recordings):
    with Journal(reviewed.journal) as journal:
        stored = journal.stored_reviews()
        last = journal.last_session()
        assert last is not None and last.spm == SPM and last.record.date == dt.date(2024, 5, 3)
        assert [s.file_name for s in journal.stored_reviews(last.record.uid)] == ["early.fit"]
    assert [s.file_name for s in stored] == ["other.fit", "early.fit"]
    _check_review(dict(stored[1].review), recordings["early.fit"], 40.0)
