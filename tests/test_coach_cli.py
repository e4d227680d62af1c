"""The coach on the command line, as a runner uses it: a fresh journal in a temporary folder
(``RUNCOACH_JOURNAL``), check-ins dated with ``--date`` and ``today --on`` after each one,
compared with what the rule says (worked out by hand below). ``CliRunner`` for speed; the
installed command as subprocesses where processes matter (20 writers at once, untouched files,
backups)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runcoach.cli import app
from runcoach.cli import coach as _coach  # noqa: F401  (registers start, today, log, resume)
from runcoach.cli import journal as _journal  # noqa: F401  (and history, journal)
from runcoach.cli import plans as _plans  # noqa: F401  (and `plans show`, used once)

EXE = str(Path(sys.executable).parent / "runcoach")
TODAY_KEYS = [
    "program",
    "week",
    "session",
    "plan",
    "spm",
    "decision",
    "reason",
    "rest_day",
    "see_physio",
    "command",
]
SESSION_KEYS = [
    "date",
    "program",
    "week",
    "session",
    "completed",
    "stopped_at_seconds",
    "leak",
    "heaviness",
    "bleeding",
    "pain",
    "next_day_pain",
    "effort",
    "note",
    "decision",
    "reason",
]
D0 = dt.date(2025, 3, 3)
FINE = ("--completed", "--no-leak", "--no-heaviness", "--pain", "1", "--effort", "4")


def day(n: int) -> str:
    return (D0 + dt.timedelta(days=n)).isoformat()


class Coach:
    """``runcoach`` with its journal in a temporary folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.journal = folder / "journal.sqlite3"
        self.env = {"RUNCOACH_JOURNAL": str(self.journal), "RUNCOACH_PLANS_DIR": str(folder)}
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int = 0):  # type: ignore[no-untyped-def]
        result = self.runner.invoke(app, list(args), env=self.env, catch_exceptions=False)
        assert result.exit_code == code, (args, result.stdout, result.stderr)
        return result

    def today(self, n: int) -> dict[str, object]:
        data = json.loads(self("today", "--on", day(n), "--json").stdout)
        assert list(data) == TODAY_KEYS
        return data

    def log(self, n: int, *answers: str) -> dict[str, object]:
        data = json.loads(self("log", "--date", day(n), *(answers or FINE), "--json").stdout)
        assert list(data) == SESSION_KEYS
        return data

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [EXE, *args],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **self.env},
            cwd=self.folder,
        )


@pytest.fixture()
def coach(tmp_path: Path) -> Coach:
    return Coach(tmp_path)


def at(data: dict[str, object]) -> tuple[object, object, object]:
    return data["week"], data["session"], data["decision"]


# -- the scenarios of the rule ---------------------------------------------------------------------


def test_start_then_advance_session_by_session(coach):
    out = coach("start", "return-to-run", "--spm", "165", "--date", day(0)).stdout
    assert "Enrolled in Return to run" in out and "165 spm" in out
    first = coach.today(0)
    assert first == {
        "program": "return-to-run",
        "week": 1,
        "session": 1,
        "plan": "1-minute jogs",
        "spm": 165,
        "decision": "start",
        "reason": first["reason"],
        "rest_day": False,
        "see_physio": False,
        "command": "runcoach play --plan return-to-run --week 1 --session 1 --spm 165",
    }
    logged = coach.log(0)
    assert (logged["week"], logged["session"], logged["decision"]) == (1, 1, "advance")
    assert logged["completed"] is True and logged["pain"] == 1 and logged["effort"] == 4
    assert at(coach.today(2)) == (1, 2, "advance")
    coach.log(2)
    coach.log(4)  # week 1's last session: on to week 2
    after = coach.today(6)
    assert at(after) == (2, 1, "advance")
    assert "check-in of 2025-03-07 (week 1, session 3)" in str(after["reason"])
    assert after["command"] == "runcoach play --plan return-to-run --week 2 --session 1 --spm 165"


def test_the_command_plays_the_session_today_offers(coach):
    coach("start", "return-to-run", "--spm", "168", "--week", "3", "--date", day(0))
    command = shlex.split(str(coach.today(0)["command"]))
    assert command[:3] == ["runcoach", "play", "--plan"]
    shown = json.loads(coach("plans", "show", *command[3:], "--json").stdout)
    # Week 3: 5 min walk, 2 x (90 s jog, 90 s walk, 3 min jog, 3 min walk), 5 min walk.
    assert shown["total_seconds"] == 5 * 60 + 2 * (90 + 90 + 180 + 180) + 5 * 60


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        (("--completed", "--no-leak", "--no-heaviness", "--pain", "4"), "pain 4 of 10"),
        (("--completed", "--no-leak", "--no-heaviness", "--pain", "5"), "pain 5 of 10"),
        (
            ("--stopped-at", "12:30", "--no-leak", "--no-heaviness", "--pain", "0"),
            "stopping early at 12:30",
        ),
    ],
)
def test_repeat_on_pain_4_or_5_and_on_stopping_early(coach, answers, reason):
    coach("start", "return-to-run", "--week", "2", "--date", day(0))
    coach.log(0)
    logged = coach.log(2, *answers)
    assert (logged["week"], logged["session"], logged["decision"]) == (2, 2, "repeat")
    today = coach.today(4)
    assert at(today) == (2, 2, "repeat") and reason in str(today["reason"])


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        (("--completed", "--leak", "--no-heaviness", "--pain", "0"), "leaking"),
        (("--completed", "--no-leak", "--heaviness", "--pain", "0"), "heaviness or dragging"),
        (("--completed", "--no-leak", "--no-heaviness", "--pain", "6"), "pain 6 of 10"),
    ],
)
def test_step_back_a_week_on_leak_heaviness_or_pain_6(coach, answers, reason):
    coach("start", "return-to-run", "--week", "3", "--date", day(0))
    coach.log(0)
    coach.log(2, *answers)
    today = coach.today(4)
    assert at(today) == (2, 1, "step_back") and reason in str(today["reason"])


def test_next_day_pain_6_steps_back(coach):
    coach("start", "return-to-run", "--week", "3", "--date", day(0))
    coach.log(0)
    assert at(coach.today(1)) == (3, 2, "advance")
    out = coach("log", "--next-day", "--date", day(1), "--pain", "6", "--json").stdout
    assert json.loads(out)["next_day_pain"] == 6 and json.loads(out)["decision"] == "step_back"
    today = coach.today(2)
    assert at(today) == (2, 1, "step_back")
    assert "next-day check of 2025-03-04" in str(today["reason"])


def test_stop_on_pain_8_until_resume(coach):
    coach("start", "return-to-run", "--week", "4", "--date", day(0))
    coach.log(0, "--completed", "--no-leak", "--no-heaviness", "--pain", "8")
    for n in (1, 3, 30):
        stopped = coach.today(n)
        assert stopped["decision"] == "stop"
        assert stopped["command"] is None and stopped["plan"] is None
        assert "health professional" in str(stopped["reason"])
    refused = coach("log", "--date", day(3), *FINE, code=2)
    assert "running is stopped" in refused.stderr and refused.stderr.count("\n") == 1
    resumed = json.loads(coach("resume", "--date", day(5), "--json").stdout)
    assert at(resumed) == (3, 1, "step_back") and resumed["command"]
    assert at(coach.today(6)) == (3, 1, "step_back")
    coach("resume", "--date", day(6), code=2)  # nothing left to resume


def test_bleeding_stops_too(coach):
    coach("start", "return-to-run", "--date", day(0))
    coach.log(0, "--completed", "--no-leak", "--no-heaviness", "--bleeding", "--pain", "0")
    assert coach.today(1)["decision"] == "stop"


def test_see_physio_after_two_step_backs_within_14_days(coach):
    leak = ("--completed", "--leak", "--no-heaviness", "--pain", "1")
    coach("start", "return-to-run", "--week", "5", "--date", day(0))
    coach.log(0, *leak)  # step back to week 4 on day 0
    once = coach.today(2)
    assert at(once) == (4, 1, "step_back") and once["see_physio"] is False
    coach.log(2)
    coach.log(9, *leak)  # and again on day 9: to week 3
    twice = coach.today(11)
    assert at(twice) == (3, 1, "step_back") and twice["see_physio"] is True
    assert twice["command"]  # the session is still offered
    text = coach("today", "--on", day(11)).stdout
    assert "pelvic-health physiotherapist" in text
    assert coach.today(15)["see_physio"] is False  # day 0 is more than 14 days back


def test_rest_day_after_a_run(coach):
    coach("start", "return-to-run", "--date", day(0))
    coach.log(0)
    assert [coach.today(n)["rest_day"] for n in (0, 1, 2)] == [True, True, False]
    assert "Rest day" in coach("today", "--on", day(1)).stdout


def test_a_long_break_goes_back_a_week(coach):
    coach("start", "return-to-run", "--week", "4", "--date", day(0))
    coach.log(0)
    assert at(coach.today(13)) == (4, 2, "advance")
    back = coach.today(14)
    assert at(back) == (3, 1, "step_back")
    assert "14 days" in str(back["reason"]) and "2025-03-03" in str(back["reason"])
    logged = coach.log(14)
    assert (logged["week"], logged["session"]) == (3, 1)


def test_program_completion(coach):
    (coach.folder / "two-runs.yaml").write_text(
        "name: Two runs\nweeks:\n  - sessions: [steady]\n  - sessions: [steady]\n"
    )
    coach("start", "two-runs", "--spm", "170", "--date", day(0))
    coach.log(0)
    assert at(coach.today(2)) == (2, 1, "advance")
    coach.log(2)
    done = coach.today(4)
    assert (done["week"], done["session"], done["plan"], done["command"]) == (
        None,
        None,
        None,
        None,
    )
    assert "the program is complete" in str(done["reason"])
    assert "Complete" in coach("today", "--on", day(4)).stdout
    assert "complete" in coach("log", "--date", day(4), *FINE, code=2).stderr


# -- answers, options, messages ------------------------------------------------------------------


def test_missing_answers_without_a_terminal_exit_2_naming_them(coach):
    coach("start", "return-to-run", "--date", day(0))
    out = coach("log", "--date", day(0), "--completed", "--pain", "2", code=2)
    assert "--leak/--no-leak" in out.stderr and "--heaviness/--no-heaviness" in out.stderr
    assert "--pain" not in out.stderr.split("missing answers:")[1].split("(")[0]
    out = coach("log", "--next-day", "--date", day(1), code=2)
    assert "--pain" in out.stderr
    assert json.loads(coach("history", "--json").stdout)["sessions"] == []


@pytest.mark.parametrize(
    "args",
    [
        ("today", "--on", "2025-3-4"),
        ("today", "--on", "tomorrow"),
        ("log", "--date", "2025-02-30", *FINE),
        (
            "log",
            "--date",
            day(0),
            "--completed",
            "--stopped-at",
            "10m",
            "--no-leak",
            "--no-heaviness",
            "--pain",
            "1",
        ),
        (
            "log",
            "--date",
            day(0),
            "--stopped-at",
            "ten",
            "--no-leak",
            "--no-heaviness",
            "--pain",
            "1",
        ),
        ("log", "--next-day", "--week", "2", "--pain", "1"),
        ("start", "return-to-run", "--spm", "20", "--yes"),
        ("start", "no-such-program", "--yes"),
    ],
)
def test_bad_values_are_one_line_and_exit_2(coach, args):
    coach("start", "return-to-run", "--date", day(0))
    out = coach(*args, code=2)
    assert out.stderr.startswith("runcoach: error:") and out.stderr.count("\n") == 1


def test_pain_and_effort_are_0_to_10(coach):
    coach("start", "return-to-run", "--date", day(0))
    for option in ("--pain", "--effort"):
        args = {"--pain": "1", "--effort": "4"}
        args[option] = "11"
        flat = [x for k, v in args.items() for x in (k, v)]
        out = coach(
            "log", "--date", day(0), "--completed", "--no-leak", "--no-heaviness", *flat, code=2
        )
        assert option in out.stderr


def test_today_before_start_says_how_to_begin(coach):
    out = coach("today", code=2)
    assert "runcoach start" in out.stderr and not coach.journal.exists()


def test_start_again_needs_yes_without_a_terminal(coach):
    coach("start", "return-to-run", "--date", day(0))
    out = coach("start", "return-to-run", "--week", "2", code=2)
    assert "--yes" in out.stderr
    data = json.loads(coach("start", "return-to-run", "--week", "2", "--yes", "--json").stdout)
    assert data["week"] == 2 and data["program"] == "return-to-run"
    assert coach.today(0)["week"] == 2


def test_plain_output_without_a_terminal(coach):
    coach("start", "return-to-run", "--spm", "165", "--date", day(0))
    lines = coach("today", "--on", day(0)).stdout.splitlines()
    assert lines[0] == "Program: Return to run (return-to-run), 2025-03-03"
    assert lines[1] == "Session: week 1, session 1: 1-minute jogs, 30:00 (8:00 running), at 165 spm"
    assert lines[-1] == "Play it: runcoach play --plan return-to-run --week 1 --session 1 --spm 165"
    assert "\x1b[" not in "\n".join(lines)


def test_history_json_and_text(coach):
    coach("start", "return-to-run", "--spm", "165", "--date", day(0))
    coach.log(0, "--completed", "--no-leak", "--no-heaviness", "--pain", "2", "--note", "easy")
    coach.log(2, "--stopped-at", "12m", "--leak", "--no-heaviness", "--pain", "3")
    coach("log", "--next-day", "--date", day(3), "--pain", "2")
    data = json.loads(coach("history", "--json").stdout)
    assert list(data) == ["sessions", "weeks"]
    first, second = data["sessions"]
    assert list(first) == SESSION_KEYS
    assert (first["date"], first["note"], first["decision"], first["next_day_pain"]) == (
        "2025-03-03",
        "easy",
        "advance",
        None,
    )
    assert (
        second["completed"],
        second["stopped_at_seconds"],
        second["leak"],
        second["next_day_pain"],
        second["decision"],
    ) == (False, 720, True, 2, "step_back")
    # 8 min of jogging, then 3 min before stopping at 12:00; one symptom day (the leak).
    assert data["weeks"] == [
        {"week_start": "2025-03-03", "sessions": 2, "running_seconds": 660, "symptom_days": 1},
    ]
    text = coach("history").stdout
    assert "2025-03-05  week 1, session 2: stopped at 12:00" in text
    assert "week of 2025-03-03: 2 sessions, 11.0 min running, 1 symptom day █" in text


def test_journal_path(coach):
    assert coach("journal", "path").stdout.strip() == str(coach.journal)


# -- processes, files, backups -----------------------------------------------------------------------


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", ["corrupt", "foreign"])
def test_a_corrupt_or_foreign_journal_is_left_byte_identical(coach, kind):
    if kind == "corrupt":
        assert coach.run("start", "return-to-run", "--date", day(0)).returncode == 0
        data = bytearray(coach.journal.read_bytes())
        data[100:4096] = os.urandom(3996)
        coach.journal.write_bytes(bytes(data))
    else:
        db = sqlite3.connect(coach.journal)
        db.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
        db.execute("INSERT INTO contacts VALUES ('Ann', '555')")
        db.commit()
        db.close()
    backup = coach.folder / "backup.json"
    backup.write_text('{"format": "runcoach-journal", "version": 1}')
    before, listing = _sha(coach.journal), sorted(os.listdir(coach.folder))
    commands = [
        ("today",),
        ("log", *FINE),
        ("history", "--json"),
        ("resume",),
        ("start", "return-to-run", "--yes"),
        ("journal", "import", str(backup)),
    ]
    for i, args in enumerate(commands):
        out = coach.run(*args) if i < 2 else coach(*args, code=2)  # the real command, then fast
        assert getattr(out, "returncode", 2) == 2, (args, out.stderr)
        assert out.stderr.count("\n") == 1 and str(coach.journal) in out.stderr
        assert out.stdout == ""
    assert _sha(coach.journal) == before
    assert sorted(os.listdir(coach.folder)) == listing


def test_export_then_import_into_an_empty_journal_gives_the_same_history(coach, tmp_path):
    coach("start", "return-to-run", "--spm", "166", "--date", day(0))
    for n, answers in (
        (0, FINE),
        (
            2,
            (
                "--stopped-at",
                "20m",
                "--no-leak",
                "--no-heaviness",
                "--pain",
                "4",
                "--note",
                "rain, 5 °C",
            ),
        ),
        (4, FINE),
    ):
        coach.log(n, *answers)
    coach("log", "--next-day", "--date", day(5), "--pain", "6")
    history = coach("history", "--json").stdout
    assert len(json.loads(history)["sessions"]) == 3
    out = coach.run("journal", "export", "backup.json")
    assert out.returncode == 0 and "3 sessions" in out.stdout
    coach("journal", "export", str(coach.folder / "sessions.csv"))
    assert len((coach.folder / "sessions.csv").read_text().splitlines()) == 4
    other = Coach(tmp_path / "elsewhere")
    other.folder.mkdir()
    out = other.run("journal", "import", str(coach.folder / "backup.json"))
    assert out.returncode == 0, out.stderr
    assert other.run("history", "--json").stdout == history
    assert other.today(6) == coach.today(6)
    again = other("journal", "import", str(coach.folder / "backup.json"))
    assert "0 records added" in again.stdout
    assert other("history", "--json").stdout == history


@pytest.mark.slow
def test_twenty_concurrent_logs_are_all_recorded(coach):
    assert coach.run("start", "return-to-run", "--spm", "165", "--date", day(0)).returncode == 0
    env = {**os.environ, **coach.env}
    procs = [
        subprocess.Popen(
            [EXE, "log", "--date", day(0), *FINE, "--note", f"runner {i}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i in range(20)
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    for p in procs:
        for stream in (p.stdout, p.stderr):
            if stream:
                stream.close()
    assert all(code == 0 for code, _ in results), results
    sessions = json.loads(coach.run("history", "--json").stdout)["sessions"]
    assert sorted(s["note"] for s in sessions) == sorted(f"runner {i}" for i in range(20))
    # Each check-in saw the one before it: the 20 sessions are the program's first 20 in order.
    order = [(w, s) for w in range(1, 10) for s in range(1, 4)][:20]
    assert [(s["week"], s["session"]) for s in sessions] == order
    assert at(coach.today(1)) == (7, 3, "advance")


def test_stopped_at_in_seconds_and_date_aliases(coach):
    coach("start", "return-to-run", "--on", day(0))
    logged = coach(
        "log",
        "--on",
        day(0),
        "--stopped-at",
        "600",
        "--no-leak",
        "--no-heaviness",
        "--pain",
        "1",
        "--json",
    )
    data = json.loads(logged.stdout)
    assert (data["date"], data["stopped_at_seconds"], data["decision"]) == (day(0), 600, "repeat")
    by_date = json.loads(coach("today", "--date", day(2), "--json").stdout)
    assert by_date == coach.today(2)
