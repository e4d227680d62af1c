"""Counts in messages say "1 segment", "1 week", "1 day" ... never "1 segments" (issue 14).

Each test drives the real command (``CliRunner``) into the singular case, with a journal and a
plans folder in a temporary directory, and checks the sentence as a runner reads it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runcoach.cli import app
from runcoach.cli import coach as _coach  # noqa: F401  (registers start, today, log)
from runcoach.cli import journal as _journal  # noqa: F401  (history, journal)
from runcoach.cli import plans as _plans  # noqa: F401  (plans list, show, validate)
from runcoach.cli import review as _review  # noqa: F401  (review)

ONE_SEGMENT = "name: Short\nsegments:\n  - {name: Run, duration: 1m}\n"
ONE_WEEK = """
name: Single
weeks:
  - name: Week 1
    sessions:
      - segments: [{name: Run, duration: 1m}]
"""
# Thresholds of 1 (the smallest a program may set): the messages that name them say "1 day".
TIGHT = """
name: Tight
rest_days: 0
progression:
  break_days: 1
  physio_step_backs: 1
  physio_window_days: 1
weeks:
  - name: Week 1
    sessions:
      - segments: [{name: Run, duration: 1m}]
  - name: Week 2
    sessions:
      - segments: [{name: Run, duration: 1m}]
"""
ONE_POINT_GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
<trk><trkseg>
<trkpt lat="52.0" lon="5.0"><time>2025-03-03T08:00:00Z</time></trkpt>
</trkseg></trk>
</gpx>
"""


class Cli:
    """``runcoach`` with its journal and plans folder in ``folder``."""

    def __init__(self, folder: Path, journal: str = "journal.sqlite3") -> None:
        self.folder = folder
        self.env = {
            "RUNCOACH_JOURNAL": str(folder / journal),
            "RUNCOACH_PLANS_DIR": str(folder),
            "COLUMNS": "200",
        }
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int = 0) -> str:
        result = self.runner.invoke(app, list(args), env=self.env, catch_exceptions=False)
        assert result.exit_code == code, (args, result.stdout, result.stderr)
        return result.stdout if code == 0 else result.stderr


@pytest.fixture()
def cli(tmp_path: Path) -> Cli:
    (tmp_path / "short.yaml").write_text(ONE_SEGMENT)
    (tmp_path / "single.yaml").write_text(ONE_WEEK)
    (tmp_path / "tight.yaml").write_text(TIGHT)
    return Cli(tmp_path)


def test_plans_show_one_segment_and_one_week(cli):
    assert "1:00 · 1 segment · base 170 spm" in cli("plans", "show", "short")
    assert "1 week · 1 session · " in cli("plans", "show", "single")
    shown = cli("plans", "show", "tight")
    assert "2 weeks · 2 sessions · " in shown


def test_plans_list_one_session_a_week(cli):
    listed = cli("plans", "list")
    (single,) = [line for line in listed.splitlines() if line.startswith("single ")]
    assert "1 × 1 session: Single" in single
    (tight,) = [line for line in listed.splitlines() if line.startswith("tight ")]
    assert "2 × 1 session: Tight" in tight


def test_a_one_item_ramp_is_one_item(cli):
    bad = cli.folder / "bad.yaml"
    bad.write_text("name: Bad\nsegments:\n  - {name: Run, duration: 1m, spm: [150]}\n")
    err = cli("plans", "validate", str(bad), code=2)
    assert "a ramp is a list of two cadences [start, end], got 1 item\n" in err


def test_an_activity_of_one_track_point(cli):
    gpx = cli.folder / "one.gpx"
    gpx.write_text(ONE_POINT_GPX)
    err = cli("review", str(gpx), "--plan", "short", code=2)
    assert "has no cadence (1 track point, none with cadence)" in err


def test_one_day_one_step_back_one_session_one_symptom_day(cli):
    cli("start", "tight", "--week", "2", "--date", "2025-03-03")
    cli(
        "log",
        "--date",
        "2025-03-03",
        "--completed",
        "--leak",
        "--no-heaviness",
        "--pain",
        "1",
        "--effort",
        "3",
    )
    today = cli("today", "--on", "2025-03-04")
    assert (
        "was 1 day before 2025-03-04: after a break of 1 day or more, back to week 1, session 1."
        in today
    )
    assert "1 step-back within 1 day (2025-03-03): see a pelvic-health physiotherapist" in today
    later = cli("today", "--on", "2025-03-05")
    assert "was 2 days before 2025-03-05: after a break of 1 day or more" in later
    history = cli("history")
    assert "week of 2025-03-03: 1 session, 1.0 min running, 1 symptom day " in history


def test_one_record_imported_and_one_session_exported(cli):
    cli("start", "tight", "--date", "2025-03-03")
    backup = cli.folder / "enrolment.json"
    assert cli("journal", "export", str(backup)) == f"Wrote 0 sessions to {backup}.\n"
    data = json.loads(backup.read_text())
    records = sum(len(v) for v in data.values() if isinstance(v, list))
    assert records == 1  # the enrolment alone
    other = Cli(cli.folder, "other.sqlite3")
    out = other("journal", "import", str(backup))
    assert out == f"Imported {backup}: 1 record added, 0 updated, 0 already there.\n"
    cli("log", "--date", "2025-03-03", "--completed", "--no-leak", "--no-heaviness", "--pain", "1")
    again = cli.folder / "one.json"
    assert cli("journal", "export", str(again)) == f"Wrote 1 session to {again}.\n"
