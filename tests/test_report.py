"""``runcoach report``: one self-contained HTML file, checked as text and in headless Chromium."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from activity_files import RUN_WALK_YAML, fit_bytes, run_walk_recording
from runcoach.cli import app
from runcoach.coach.report import write_report
from runcoach.coach.report_data import ReportData, ReviewEntry, SessionRow

runner = CliRunner()
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium)"
)

EVIL_NOTE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def review_entry(tmp_path_factory: pytest.TempPathFactory) -> ReviewEntry:
    """A real review of the run/walk fixture, as the journal would store it."""
    from runcoach.coach.review import review, trace
    from runcoach.interop.activities import read_activity
    from runcoach.plans import parse_plan
    from runcoach.timeline import resolve

    folder = tmp_path_factory.mktemp("review")
    path = folder / "run.fit"
    path.write_bytes(fit_bytes(run_walk_recording(late=40)))
    result = review(read_activity(path), resolve(parse_plan(RUN_WALK_YAML)), align=True)
    return ReviewEntry(
        date="2024-05-10",
        review=result.to_json(),
        trace=trace(result, step_seconds=10),
        program="return-to-run",
        week=2,
        session=1,
    )


def _rows() -> list[SessionRow]:
    """Three weeks of check-ins; running seconds given, so the weekly sums are known."""
    return [
        SessionRow(
            date="2024-04-22",
            program="return-to-run",
            week=1,
            session=1,
            leak=False,
            heaviness=False,
            bleeding=False,
            pain=1,
            next_day_pain=0,
            effort=4,
            decision="advance",
            reason="No symptoms, pain 1/10.",
            running_seconds=480,
        ),
        SessionRow(
            date="2024-04-24",
            program="return-to-run",
            week=1,
            session=2,
            leak=True,
            heaviness=False,
            bleeding=False,
            pain=3,
            next_day_pain=2,
            effort=5,
            note=EVIL_NOTE,
            decision="repeat",
            reason="Leaking during the run.",
            running_seconds=480,
        ),
        SessionRow(
            date="2024-05-01",
            program="return-to-run",
            week=1,
            session=2,
            completed=False,
            stopped_at_seconds=900,
            leak=False,
            heaviness=True,
            bleeding=False,
            pain=5,
            next_day_pain=4,
            decision="step_back",
            reason="Heaviness & pain 5/10 <- too much.",
            running_seconds=300,
        ),
        SessionRow(
            date="2024-05-10",
            program="return-to-run",
            week=2,
            session=1,
            leak=False,
            heaviness=False,
            bleeding=False,
            pain=0,
            next_day_pain=0,
            effort=3,
            decision="advance",
            reason="No symptoms.",
            running_seconds=540,
        ),
    ]


def _data(review_entry: ReviewEntry) -> ReportData:
    return ReportData(sessions=_rows(), reviews=[review_entry])


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory, review_entry: ReviewEntry):
    """The report of :func:`_data`, written once: (path, summary, page text)."""
    path = tmp_path_factory.mktemp("report") / "report.html"
    summary = write_report(_data(review_entry), str(path), today=dt.date(2024, 5, 12))
    return path, summary, path.read_text(encoding="utf-8")


def _refs(page: str) -> list[str]:
    """Every http(s) reference in the page except the SVG namespace declaration."""
    return [
        r for r in re.findall(r"https?://[^\s\"'<>)]+", page) if r != "http://www.w3.org/2000/svg"
    ]


def test_page_is_self_contained(written):
    _path, summary, page = written
    assert summary.sessions == 4 and summary.reviews == 1 and summary.bytes == len(page.encode())
    assert _refs(page) == []
    assert "<script" not in page.lower()
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page, re.I)
    assert not re.search(r"<[^>]*\s(src|href)=", page)  # no element loads anything
    # matplotlib's SVG only points inside itself (markers drawn with <use xlink:href="#...">).
    assert all(ref.startswith("#") for ref in re.findall(r'xlink:href="([^"]*)"', page))
    assert not re.search(r"url\((?!#)", page)  # clip paths point inside the SVG only
    assert "@import" not in page and "@font-face" not in page
    assert "default-src 'none'" in page
    assert page.count("<svg") == 4  # weekly minutes, symptoms, adherence, latest trace


def test_user_text_is_escaped(written):
    page = written[2]
    assert EVIL_NOTE not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x" in page
    assert "Heaviness &amp; pain 5/10 &lt;- too much." in page


def test_figures_in_the_page(written, review_entry):
    page = written[2]
    cards = dict(
        (k, v) for v, k in re.findall(r'<div class="card"><b>([^<]*)</b>([^<]*)</div>', page)
    )
    assert cards["sessions logged"] == "4"
    assert cards["completed"] == "3"
    assert cards["stopped early"] == "1"
    assert cards["running minutes"] == f"{(480 + 480 + 300 + 540) / 60:.0f}"
    assert cards["with leak, heaviness or bleeding"] == "2"
    assert cards["runs reviewed"] == "1"
    assert "stopped at 15:00" in page
    overall = review_entry.review["overall"]
    assert f"{overall['mean_spm']:.1f} spm" in page
    assert f"{100 * overall['in_band_fraction']:.0f} %" in page
    # The weekly chart's bars: one per week from the first Monday to the last.
    weekly = page.split("<h2>Running minutes per week</h2>")[1].split("<h2>")[0]
    assert weekly.count('id="patch_') >= 3 + 2  # background patches + three week bars


def test_since_leaves_out_earlier_sessions(tmp_path, review_entry):
    path = tmp_path / "report.html"
    summary = write_report(_data(review_entry), str(path), since=dt.date(2024, 5, 1))
    page = path.read_text(encoding="utf-8")
    assert summary.sessions == 2 and summary.reviews == 1
    assert "2024-04-22" not in page and "2024-05-01 to 2024-05-10 (from 2024-05-01)" in page


def test_running_minutes_from_the_program_when_not_given(tmp_path):
    """Week 1 of return-to-run is 8 one-minute jogs: 8 running minutes a completed session."""
    rows = [
        SessionRow(date="2024-04-22", program="return-to-run", week=1, session=1),
        SessionRow(date="2024-04-24", program="return-to-run", week=1, session=2),
    ]
    path = tmp_path / "report.html"
    write_report(ReportData(sessions=rows), str(path))
    page = path.read_text(encoding="utf-8")
    assert "<b>16</b>running minutes" in page


def test_empty_journal_still_makes_a_page(tmp_path):
    path = tmp_path / "report.html"
    write_report(ReportData(sessions=[]), str(path))
    page = path.read_text(encoding="utf-8")
    assert "No sessions logged." in page and "<svg" not in page


def test_cli_report_from_a_data_file(tmp_path, review_entry):
    data = {
        "title": "Anna's return to running",
        "sessions": [{**row.__dict__, "id": 7} for row in _rows()],
        "reviews": [
            {
                "date": review_entry.date,
                "review": review_entry.review,
                "trace": [list(p) for p in review_entry.trace],
                "program": "return-to-run",
                "week": 2,
                "session": 1,
            }
        ],
    }
    source = tmp_path / "data.json"
    source.write_text(json.dumps(data))
    out = tmp_path / "report.html"
    result = runner.invoke(
        app, ["report", "-o", str(out), "--data", str(source), "--since", "2024-04-24"]
    )
    assert result.exit_code == 0, result.output + result.stderr
    size = out.stat().st_size
    assert result.stdout == f"wrote {out} (3 sessions, 1 reviewed run, {size / 1e3:.0f} kB)\n"
    assert "Anna&#x27;s return to running" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "content", "message"),
    [
        (["--since", "May 1st"], None, "--since must be a date as YYYY-MM-DD"),
        ([], "{not json", "not JSON"),
        ([], '{"sessions": [{"date": "yesterday"}]}', "sessions[0]"),
        ([], '{"sessions": [], "reviews": [{"date": "2024-05-01", "review": 3}]}', "reviews[0]"),
    ],
)
def test_cli_report_errors_are_one_line(tmp_path, args, content, message):
    source = tmp_path / "data.json"
    source.write_text(content if content is not None else '{"sessions": []}')
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "-o", str(out), "--data", str(source), *args])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("runcoach: error: ") and message in lines[0]
    assert not out.exists()


def test_cli_report_into_a_missing_folder_writes_nothing(tmp_path):
    source = tmp_path / "data.json"
    source.write_text('{"sessions": []}')
    result = runner.invoke(
        app, ["report", "-o", str(tmp_path / "no" / "r.html"), "--data", str(source)]
    )
    assert result.exit_code == 2 and "does not exist" in result.stderr
    assert list(tmp_path.iterdir()) == [source]


# In a real browser ----------------------------------------------------------------------------


def _chromium(*args: str, page: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


@needs_chromium
def test_chromium_renders_the_page(written):
    path = written[0]
    result = _chromium("--dump-dom", page=path)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    for heading in (
        "Running minutes per week",
        "Symptoms over time",
        "Sessions, symptoms and decisions",
        "Cadence adherence",
        "Latest reviewed run: 2024-05-10, return-to-run W2 S1",
    ):
        assert f"<h2>{heading}</h2>" in dom
    assert dom.count("<svg") == 4
    assert "<script" not in dom  # the escaped note stayed text
    assert "&lt;script&gt;" in dom
    assert "Refused to" not in result.stderr  # no content-security complaint: nothing to load
    assert "ERR_NAME_NOT_RESOLVED" not in result.stderr  # nothing was looked up on the network


@pytest.mark.slow
@needs_chromium
def test_chromium_screenshot_at_phone_width(tmp_path, written):
    path = written[0]
    shot = tmp_path / "shot.png"
    result = _chromium(
        f"--screenshot={shot}", "--window-size=412,3200", "--hide-scrollbars", page=path
    )
    assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
    from PIL import Image  # Pillow comes with matplotlib

    with Image.open(shot) as image:
        assert image.size == (412, 3200)
        pixels = image.convert("RGB")
        colours = pixels.getcolors(maxcolors=1 << 20) or []
    # The charts draw dark lines and coloured bands: many colours, a fair share of non-white.
    assert len(colours) > 50
    white = sum(count for count, rgb in colours if min(rgb) > 245)
    assert white < 0.97 * 412 * 3200
    greenish = sum(count for count, (r, g, b) in colours if g > r + 15 and g > b)
    assert greenish > 500  # the target band and the weekly bars


def test_cli_report_from_the_journal(tmp_path):
    """Without --data the report reads the journal (``runcoach history``): two check-ins
    logged through the command line show up, the note escaped. Week 1 of return-to-run is a
    5-minute walk, then 1-minute jogs every 2:30: the completed session runs 8 minutes, the
    one stopped at 12:00 ran the jogs at 5:00, 7:30 and 10:00, 3 minutes."""
    env = {"RUNCOACH_JOURNAL": str(tmp_path / "journal.sqlite3")}
    steps = [
        ["start", "return-to-run", "--spm", "165", "--yes"],
        [
            "log",
            "--date",
            "2024-05-01",
            "--completed",
            "--no-leak",
            "--no-heaviness",
            "--no-bleeding",
            "--pain",
            "2",
            "--effort",
            "5",
            "--note",
            "<b>calf</b> tight",
        ],
        [
            "log",
            "--date",
            "2024-05-03",
            "--stopped-at",
            "12m",
            "--leak",
            "--no-heaviness",
            "--no-bleeding",
            "--pain",
            "4",
        ],
    ]
    for args in steps:
        done = runner.invoke(app, args, env=env)
        assert done.exit_code == 0, done.output + done.stderr
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "-o", str(out)], env=env)
    assert result.exit_code == 0, result.output + result.stderr
    assert result.stdout.startswith(f"wrote {out} (2 sessions, 0 reviewed runs, ")
    page = out.read_text(encoding="utf-8")
    assert "&lt;b&gt;calf&lt;/b&gt; tight" in page
    assert "<b>11</b>running minutes" in page
    assert "<b>1</b>stopped early" in page
