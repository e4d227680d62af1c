"""``runcoach review``: every figure checked against the same figure worked out independently
(plain loops over the known series in ``activity_files.reference``)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from activity_files import (
    RUN_WALK,
    RUN_WALK_YAML,
    Recording,
    close,
    fit_bytes,
    gpx_text,
    plan_table,
    reference,
    run_walk_recording,
    steady_recording,
    tcx_text,
)
from runcoach.cli import app
from runcoach.errors import OptionError

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plans") / "run-walk.yaml"
    path.write_text(RUN_WALK_YAML)
    return path


def _fit(tmp_path: Path, rec: Recording, name: str = "run.fit") -> Path:
    path = tmp_path / name
    path.write_bytes(fit_bytes(rec))
    return path


def _review_json(*args: str) -> dict:
    result = runner.invoke(app, ["review", *args, "--json"])
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)


def _check(got: dict, want: dict, *, offset: float, tolerance: float = 3.0) -> None:
    """Every figure of the JSON against the independent reference (to its rounding)."""
    assert got["offset_seconds"] == offset
    assert got["tolerance_spm"] == tolerance
    assert len(got["segments"]) == len(want["segments"])
    for g, w in zip(got["segments"], want["segments"], strict=True):
        assert g["name"] == w["name"]
        for key in ("start_seconds", "duration_seconds", "moving_seconds", "stopped_seconds"):
            assert close(g[key], w[key], 0.051), (g["name"], key, g[key], w[key])
        for key in ("target_spm_start", "target_spm_end", "mean_spm"):
            assert close(g[key], w[key], 0.0051), (g["name"], key, g[key], w[key])
        assert close(g["in_band_fraction"], w["in_band_fraction"], 0.00006), (g["name"], g, w)
    assert close(got["overall"]["mean_spm"], want["overall"]["mean_spm"], 0.0051)
    assert close(got["overall"]["in_band_fraction"], want["overall"]["in_band_fraction"], 0.00006)
    assert close(got["overall"]["moving_seconds"], want["overall"]["moving_seconds"], 0.051)
    act = got["activity"]
    assert close(act["moving_seconds"], want["activity"]["moving_seconds"], 0.051)
    assert close(act["mean_spm"], want["activity"]["mean_spm"], 0.0051)
    assert close(act["duration_seconds"], want["activity"]["duration_seconds"], 0.051)


def test_json_has_exactly_the_documented_keys(tmp_path, plan_file):
    got = _review_json(str(_fit(tmp_path, run_walk_recording())), "--plan", str(plan_file))
    assert list(got) == ["activity", "offset_seconds", "tolerance_spm", "segments", "overall"]
    assert list(got["activity"]) == [
        "file",
        "sport",
        "start",
        "duration_seconds",
        "moving_seconds",
        "mean_spm",
        "cadence_unit",
    ]
    assert list(got["segments"][0]) == [
        "name",
        "start_seconds",
        "duration_seconds",
        "target_spm_start",
        "target_spm_end",
        "mean_spm",
        "in_band_fraction",
        "moving_seconds",
        "stopped_seconds",
    ]
    assert list(got["overall"]) == ["mean_spm", "in_band_fraction", "moving_seconds"]
    assert got["activity"]["sport"] == "running"
    assert got["activity"]["start"] == "2024-05-01T07:00:00Z"
    assert got["activity"]["cadence_unit"] == "strides"


def test_fit_review_matches_the_reference(tmp_path, plan_file):
    rec = run_walk_recording()
    got = _review_json(str(_fit(tmp_path, rec)), "--plan", str(plan_file))
    want = reference(rec, RUN_WALK, 0.0)
    _check(got, want, offset=0.0)
    # The fixture's stand, gap and timer stop all land in segments: stopped time is counted.
    assert sum(s["stopped_seconds"] for s in got["segments"]) > 60
    # A few samples sit outside the band by design; most are in it.
    assert 0.6 < got["overall"]["in_band_fraction"] < 1.0


@pytest.mark.parametrize("tolerance", [1.0, 5.5])
def test_tolerance_changes_the_share(tmp_path, plan_file, tolerance):
    rec = run_walk_recording()
    got = _review_json(
        str(_fit(tmp_path, rec)), "--plan", str(plan_file), "--tolerance", str(tolerance)
    )
    _check(got, reference(rec, RUN_WALK, 0.0, tolerance), offset=0.0, tolerance=tolerance)


def test_align_auto_finds_a_recording_started_40_s_early(tmp_path, plan_file):
    rec = run_walk_recording(late=40)
    path = _fit(tmp_path, rec)
    got = _review_json(str(path), "--plan", str(plan_file), "--align", "auto")
    assert got["offset_seconds"] == 40.0
    _check(got, reference(rec, RUN_WALK, 40.0), offset=40.0)
    # Without alignment the same file reads worse: the plan is 40 s off.
    plain = _review_json(str(path), "--plan", str(plan_file))
    assert plain["overall"]["in_band_fraction"] < got["overall"]["in_band_fraction"] - 0.1


def test_align_auto_finds_a_recording_started_late(tmp_path, plan_file):
    rec = run_walk_recording(late=-25)  # the plan was 25 s in when the watch started
    got = _review_json(str(_fit(tmp_path, rec)), "--plan", str(plan_file), "--align", "auto")
    assert got["offset_seconds"] == -25.0
    _check(got, reference(rec, RUN_WALK, -25.0), offset=-25.0)


def test_explicit_offset(tmp_path, plan_file):
    rec = run_walk_recording(late=40)
    got = _review_json(str(_fit(tmp_path, rec)), "--plan", str(plan_file), "--offset", "37.5")
    _check(got, reference(rec, RUN_WALK, 37.5), offset=37.5)


def test_align_on_a_steady_plan_keeps_the_start(tmp_path):
    rec = steady_recording(600, 170.0)
    got = _review_json(str(_fit(tmp_path, rec)), "--spm", "170", "--align", "auto")
    assert got["offset_seconds"] == 0.0


@pytest.mark.parametrize("kind", ["tcx", "gpx"])
def test_tcx_and_gpx_review_match_the_reference(tmp_path, plan_file, kind):
    rec = run_walk_recording(late=40, seed=11)
    path = tmp_path / f"run.{kind}"
    if kind == "tcx":
        path.write_text(tcx_text(rec, strides=True, break_at=(600.0,)))
        unit = "strides"
    else:
        path.write_text(gpx_text(rec, strides=False, break_at=(600.0,)))
        unit = "steps"
    got = _review_json(str(path), "--plan", str(plan_file), "--align", "auto")
    assert got["activity"]["cadence_unit"] == unit
    _check(got, reference(rec, RUN_WALK, 40.0), offset=40.0)


def test_steady_review_without_a_plan(tmp_path):
    rec = steady_recording(300, 171.0, step=2)
    rec.spm[10:20] = [176.0] * 10
    got = _review_json(str(_fit(tmp_path, rec)), "--spm", "172")
    want = reference(rec, [("Steady", 298, 172.0, 172.0)], 0.0)
    _check(got, want, offset=0.0)
    assert got["segments"][0]["in_band_fraction"] == pytest.approx(1 - 20 / 298, abs=1e-4)


def test_program_session(tmp_path):
    from runcoach.plans import load_plan
    from runcoach.timeline import resolve

    rec = run_walk_recording()
    got = _review_json(
        str(_fit(tmp_path, rec)),
        "--plan",
        "return-to-run",
        "--week",
        "2",
        "--session",
        "1",
        "--spm",
        "168",
    )
    session = resolve(load_plan("return-to-run", week=2, session=1), spm=168)
    segments = list(session.segments())
    assert [s["name"] for s in got["segments"]] == [s.name for s in segments]
    assert [s["target_spm_start"] for s in got["segments"]] == [
        round(float(s.spm_start), 2) for s in segments
    ]


# What a person reads --------------------------------------------------------------------------


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def test_plain_lines_match_the_reference(tmp_path, plan_file):
    rec = run_walk_recording(late=40)
    result = runner.invoke(
        app, ["review", str(_fit(tmp_path, rec)), "--plan", str(plan_file), "--align", "auto"]
    )
    assert result.exit_code == 0, result.output
    want = reference(rec, RUN_WALK, 40.0)
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"Activity  {tmp_path / 'run.fit'}: running, 2024-05-01 07:00 UTC")
    assert f"mean {want['activity']['mean_spm']:.1f} spm" in lines[0]
    assert f"{_clock(want['activity']['moving_seconds'])} moving" in lines[0]
    assert "cadence stored in strides, doubled" in lines[0]
    assert "starts +40 s into the recording (found by --align auto); band ±3 spm" in lines[1]
    pattern = re.compile(
        r"^\s*(\d+)  (.+?)  (\S+)-(\S+)\s+target (\S+)\s+mean\s+(\S+) spm\s+in band\s+(\S+) %\s+"
        r"moving\s+(\S+)\s+stopped\s+(\S+)$"
    )
    table = plan_table(RUN_WALK)
    for i, (seg, (name, start, dur, s0, s1)) in enumerate(
        zip(want["segments"], table, strict=True)
    ):
        m = pattern.match(lines[2 + i])
        assert m, lines[2 + i]
        assert m.group(2).rstrip() == name
        assert (m.group(3), m.group(4)) == (_clock(start), _clock(start + dur))
        assert m.group(5) == (f"{s0:g}" if s0 == s1 else f"{s0:g}→{s1:g}")
        assert float(m.group(6)) == pytest.approx(seg["mean_spm"], abs=0.051)
        assert float(m.group(7)) == pytest.approx(100 * seg["in_band_fraction"], abs=0.051)
        assert m.group(8) == _clock(seg["moving_seconds"])
        assert m.group(9) == _clock(seg["stopped_seconds"])
    overall = lines[2 + len(table)]
    assert overall.startswith(
        f"Overall   mean {want['overall']['mean_spm']:.1f} spm  in band "
        f"{100 * want['overall']['in_band_fraction']:.1f} %  moving "
        f"{_clock(want['overall']['moving_seconds'])}"
    )


def test_terminal_table_and_chart(tmp_path, plan_file):
    from rich.console import Console

    from runcoach.cli.review import show
    from runcoach.coach.review import review
    from runcoach.interop.activities import read_activity
    from runcoach.plans import read_plan_file
    from runcoach.timeline import resolve

    rec = run_walk_recording(late=40)
    result = review(
        read_activity(_fit(tmp_path, rec)), resolve(read_plan_file(plan_file)), align=True
    )
    console = Console(record=True, width=100, force_terminal=True, color_system="truecolor")
    show(result, console)
    text = console.export_text()
    want = reference(rec, RUN_WALK, 40.0)
    for seg in want["segments"]:
        row = next(line for line in text.splitlines() if f" {seg['name']} " in line)
        assert f"{seg['mean_spm']:.1f}" in row
        assert f"{100 * seg['in_band_fraction']:.1f} %" in row
    overall = next(line for line in text.splitlines() if "Overall" in line and "│" in line)
    assert f"{want['overall']['mean_spm']:.1f}" in overall
    chart = [line for line in text.splitlines() if "│" in line and ("●" in line or "░" in line)]
    assert len(chart) >= 8  # the chart's rows
    assert sum(line.count("●") for line in chart) >= 60  # a dot per column where the runner ran
    assert any("░" in line for line in chart)  # the target band
    assert "● recorded" in text


def test_chart_dots_sit_on_the_recorded_cadence(tmp_path):
    from runcoach.cli.review import chart
    from runcoach.coach.review import review
    from runcoach.interop.activities import read_activity
    from runcoach.plans import Plan, Segment
    from runcoach.timeline import resolve

    rec = steady_recording(600, 160.0)
    plan = Plan("Steady", (Segment("Steady", duration=600),), spm=170)
    result = review(read_activity(_fit(tmp_path, rec)), resolve(plan))
    rows = chart(result, width=80).plain.splitlines()[:12]
    dots = [i for i, line in enumerate(rows) if "●" in line]
    band = [i for i, line in enumerate(rows) if "░" in line]
    assert len(dots) == 1 and band and dots[0] > max(band)  # 160 drawn below the band at 170


# Options and errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--spm", "170", "--align", "manual"], "--align takes auto"),
        (["--spm", "170", "--align", "auto", "--offset", "3"], "not both"),
        ([], "give the planned session with --plan"),
        (["--week", "1", "--spm", "170"], "--week and --session choose a session"),
        (["--spm", "170", "--tolerance", "0"], "--tolerance must be between 0.5 and 30"),
        (["--spm", "300"], "--spm must be between 60 and 240"),
        (["--spm", "170", "--cadence-unit", "feet"], "--cadence-unit must be auto"),
        (["--plan", "no-such-plan"], "unknown plan"),
    ],
)
def test_bad_options_are_one_line(tmp_path, args, message):
    path = _fit(tmp_path, steady_recording(60, 170.0))
    result = runner.invoke(app, ["review", str(path), *args])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("runcoach: error: ") and message in lines[0]


def test_api_refuses_offset_and_align_together(tmp_path):
    from runcoach.coach.review import review
    from runcoach.interop.activities import read_activity
    from runcoach.plans import Plan, Segment
    from runcoach.timeline import resolve

    act = read_activity(_fit(tmp_path, steady_recording(60, 170.0)))
    session = resolve(Plan("Steady", (Segment("Steady", duration=60),)))
    with pytest.raises(OptionError):
        review(act, session, offset_seconds=5, align=True)


def test_trace_buckets_match_the_recording(tmp_path, plan_file):
    from runcoach.coach.review import review, trace
    from runcoach.interop.activities import read_activity
    from runcoach.plans import read_plan_file
    from runcoach.timeline import resolve

    rec = run_walk_recording(late=40)
    result = review(
        read_activity(_fit(tmp_path, rec)), resolve(read_plan_file(plan_file)), offset_seconds=40
    )
    points = trace(result, step_seconds=30)
    assert len(points) == 630 // 30
    samples = [(t, v) for t, v in zip(rec.seconds, rec.spm, strict=True) if v is not None]
    for k, (start, value) in enumerate(points):
        assert start == 30 * k
        num = den = 0.0
        for i, (t, v) in enumerate(samples):
            if 30 * k <= t - 40 < 30 * (k + 1):
                following = samples[i + 1][0] if i + 1 < len(samples) else t
                w = min(following - t, 5.0)
                if 560 <= t < 600:
                    w = 0.0
                if v > 0:
                    num += w * v
                    den += w
        assert close(value, num / den if den else None, 0.0051), k


def test_installed_command_reviews_the_example(tmp_path):
    example = ROOT / "examples" / "run-walk.fit"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "runcoach",
            "review",
            str(example),
            "--plan",
            "intervals",
            "--align",
            "auto",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["offset_seconds"] == 40.0
    assert got["activity"]["cadence_unit"] == "strides"
    assert [s["name"] for s in got["segments"]][:3] == ["Warm-up walk", "Run", "Walk"]


@pytest.mark.slow
def test_review_benchmark_smoke(runcoach_exe):
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "review.py"),
            "--hours",
            "0.2",
            "--repeat",
            "1",
            "--runcoach",
            runcoach_exe,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "review --align auto" in done.stdout
    assert "offset found by --align auto: 25.0 s" in done.stdout
