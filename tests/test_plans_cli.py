"""``runcoach plans``: list, show, validate, new, schema, and render by week and session.

Run as a new user would: real plan files in a temporary user plan folder, ``CliRunner`` for
speed and the installed command as a subprocess where the entry point matters.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import wave
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runcoach.cli import app
from runcoach.plans.catalogue import load_plan
from runcoach.plans.loader import builtin_plan_names, builtin_program_names

EXE = str(Path(sys.executable).parent / "runcoach")


@pytest.fixture()
def plans_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "my-plans"
    monkeypatch.setenv("RUNCOACH_PLANS_DIR", str(folder))
    return folder


@pytest.fixture()
def runner(plans_dir: Path) -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), catch_exceptions=False)


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return subprocess.run(
        [EXE, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def lines_fit(text: str, width: int = 80) -> bool:
    return all(len(line) <= width for line in text.splitlines())


# --- list ----------------------------------------------------------------------------------------


def test_plans_alone_lists_builtin_plans_and_programs(plans_dir):
    out = run("plans", env={"RUNCOACH_PLANS_DIR": str(plans_dir)})
    assert out.returncode == 0, out.stderr
    for name in builtin_plan_names() + builtin_program_names():
        assert name in out.stdout
    assert str(plans_dir) in out.stdout.replace("\n", "")
    listed = run("plans", "list", env={"RUNCOACH_PLANS_DIR": str(plans_dir)})
    assert listed.stdout == out.stdout


def test_list_shows_kind_time_cadence_and_description(runner):
    out = invoke(runner, "plans", "list")
    assert out.exit_code == 0
    assert lines_fit(out.stdout)
    rows = {line.split()[0]: line for line in out.stdout.splitlines() if line.strip()}
    assert re.search(r"\bplan\s+27:00\s+115–170\s+6 x 2 minutes", rows["intervals"])
    assert re.search(r"\bprogram\s+28:00–40:00\s+110–165\s+9 × 3 sessions", rows["return-to-run"])
    out = invoke(runner, "plans", "list", "--spm", "160")
    rows = {line.split()[0]: line for line in out.stdout.splitlines() if line.strip()}
    assert "115–160" in rows["intervals"] and "110–172" in rows["cadence-builder-6w"]


def test_list_shows_user_plans_shadowing_and_broken_files(runner, plans_dir):
    plans_dir.mkdir()
    (plans_dir / "intervals.yaml").write_text(
        "name: My intervals\ndescription: Shorter runs.\nsegments:\n  - {name: Run, duration: 1m}\n"
    )
    (plans_dir / "hills.yml").write_text("segments:\n  - {name: Hill, duration: 2m, spm: 150}\n")
    (plans_dir / "broken.yaml").write_text("segments:\n  - {name: Run, duration: 1m, spm: 999}\n")
    (plans_dir / "mine.yaml").write_text("weeks: [[hills, steady]]\n")
    (plans_dir / "notes.txt").write_text("not a plan")
    out = invoke(runner, "plans", "list")
    assert out.exit_code == 0
    text = out.stdout
    yours, builtin = text.split("Built-in plans and programs")
    assert "Your plans and programs" in yours
    assert re.search(
        r"intervals\s+plan\s+1:00\s+170\s+shadows the built-in plan;\s+Shorter runs", yours
    )
    assert re.search(r"hills\s+plan\s+2:00\s+150", yours)
    assert re.search(r"mine\s+program\s+2:00–30:00\s+110–170\s+1 × 2 sessions", yours)
    assert re.search(r"broken\s+plan\s+does not load:\s+line 2:\s+segments\[0\]\.spm:", yours)
    assert "notes" not in text
    assert re.search(r"intervals\s+plan\s+27:00\s+115–170\s+shadowed by yours", builtin)


# --- show ----------------------------------------------------------------------------------------


def test_show_a_plan_lists_every_segment_and_charts_the_cadence(runner):
    out = invoke(runner, "plans", "show", "intervals")
    assert out.exit_code == 0
    assert lines_fit(out.stdout)
    rows = re.findall(
        r"^\s*(\d+)\s+(\d+:\d\d)\s+(\d+:\d\d)\s+(\S+)\s+(\S+)\s+(.+?)\s*$", out.stdout, re.MULTILINE
    )
    assert len(rows) == 14  # the repeat block expanded
    assert rows[0] == ("1", "0:00", "5:00", "115", "off", "Warm-up walk")
    assert rows[1] == ("2", "5:00", "2:00", "170", "4:6", "Run")
    assert rows[-1] == ("14", "23:00", "4:00", "165→155", "4:6", "Cool-down jog")
    chart = out.stdout.split("over time", 1)[1].splitlines()[1:]
    assert chart[0].startswith("170 ┤") and "█" in chart[0]
    assert any(line.startswith("115 ┤") for line in chart)
    assert chart[-1].split() == ["0:00", "13:30", "27:00"]


def test_show_applies_spm_and_breath(runner):
    out = invoke(runner, "plans", "show", "intervals", "--spm", "160", "--breath", "3:2")
    assert "base 160 spm (--spm)" in out.stdout and "155→145" in out.stdout
    assert "3:2" in out.stdout and "4:6" not in out.stdout.split("#", 1)[1]


PLAN = """\
name: Check
spm: 164
segments:
  - {name: Warm-up walk, duration: "1:30", spm: 112, breath: off}
  - repeat: 4
    segments:
      - {name: Strides, steps: 150, spm: "+12"}
      - {name: Easy, duration: 45s, spm: "-4", breath: "3:2"}
  - {name: Ramp, duration: 2m, spm: ["+0", "110%"]}
  - {name: Steps ramp, steps: 333, spm: [150, 120]}
"""


def expected(base: Fraction) -> list[tuple[str, Fraction, Fraction, Fraction, str | None]]:
    """(name, duration, spm_start, spm_end, breath), worked out by hand from PLAN."""
    rows: list[tuple[str, Fraction, Fraction, Fraction, str | None]] = [
        ("Warm-up walk", Fraction(90), Fraction(112), Fraction(112), None)
    ]
    for _ in range(4):
        rows.append(("Strides", Fraction(150 * 60) / (base + 12), base + 12, base + 12, "4:6"))
        rows.append(("Easy", Fraction(45), base - 4, base - 4, "3:2"))
    rows.append(("Ramp", Fraction(120), base, base * Fraction(110, 100), "4:6"))
    rows.append(("Steps ramp", Fraction(333 * 120, 150 + 120), Fraction(150), Fraction(120), "4:6"))
    return rows


@pytest.mark.parametrize("spm", [None, "158", "171.5"])
def test_show_json_matches_independently_computed_totals(runner, tmp_path, spm):
    path = tmp_path / "check.yaml"
    path.write_text(PLAN)
    args = ["plans", "show", str(path), "--json"] + (["--spm", spm] if spm else [])
    out = invoke(runner, *args)
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert set(data) == {"name", "total_seconds", "segments"} and data["name"] == "Check"
    want = expected(Fraction(spm) if spm else Fraction(164))
    assert len(data["segments"]) == len(want)
    start = Fraction(0)
    for row, (name, seconds, s0, s1, breath) in zip(data["segments"], want, strict=True):
        assert set(row) == {
            "name",
            "start_seconds",
            "duration_seconds",
            "spm_start",
            "spm_end",
            "breath",
        }
        assert row["name"] == name and row["breath"] == breath
        assert row["start_seconds"] == pytest.approx(float(start), abs=1e-9)
        assert row["duration_seconds"] == pytest.approx(float(seconds), abs=1e-9)
        assert row["spm_start"] == pytest.approx(float(s0)) and row["spm_end"] == pytest.approx(
            float(s1)
        )
        start += seconds
    assert data["total_seconds"] == pytest.approx(float(start), abs=1e-9)
    # whole numbers print as whole numbers
    assert data["segments"][0]["duration_seconds"] == 90
    assert isinstance(data["segments"][0]["duration_seconds"], int)


def test_show_json_of_the_installed_command_matches_a_render(tmp_path):
    path = tmp_path / "check.yaml"
    path.write_text(PLAN)
    out = run("plans", "show", str(path), "--json", "--spm", "166")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    wav = tmp_path / "check.wav"
    done = run("render", "--plan", str(path), "--spm", "166", "-r", "8000", "-q", "-o", str(wav))
    assert done.returncode == 0, done.stderr
    with wave.open(str(wav)) as handle:
        assert handle.getnframes() == round(Fraction(data["total_seconds"]) * 8000)


def test_show_a_program_lists_weeks_and_sessions(runner):
    out = invoke(runner, "plans", "show", "return-to-run")
    assert out.exit_code == 0
    assert lines_fit(out.stdout)
    sessions = re.findall(
        r"^\s+(\d)\s+(.+?)\s+(\d+:\d\d)\s+(\d+–\d+)\s*$", out.stdout, re.MULTILINE
    )
    assert len(sessions) == 27
    assert sessions[0] == ("1", "1-minute jogs", "30:00", "110–165")
    assert sessions[-1] == ("3", "30-minute run", "40:00", "110–165")
    assert "9 weeks · 27 sessions" in out.stdout
    week = invoke(runner, "plans", "show", "return-to-run", "--week", "3", "--spm", "170")
    assert (
        len(
            re.findall(
                r"^\s+\d\s+90-second and 3-minute jogs\s+28:00\s+110–170\s*$",
                week.stdout,
                re.MULTILINE,
            )
        )
        == 3
    )
    assert "1-minute jogs" not in week.stdout


def test_show_a_program_with_changes(runner):
    out = invoke(runner, "plans", "show", "cadence-builder-6w", "--spm", "158")
    assert out.exit_code == 0
    assert re.search(r"Steady cadence \(steady\)\s+\+12\s+30:00\s+110–170", out.stdout)


def test_show_one_session_of_a_program(runner):
    out = invoke(
        runner, "plans", "show", "return-to-run", "--week", "3", "--session", "2", "--spm", "168"
    )
    assert out.exit_code == 0
    assert "Return to run, week 3, session 2" in out.stdout and "168" in out.stdout
    data = json.loads(
        invoke(
            runner,
            "plans",
            "show",
            "return-to-run",
            "--week",
            "3",
            "--session",
            "2",
            "--spm",
            "168",
            "--json",
        ).stdout
    )
    assert data["total_seconds"] == 28 * 60
    assert [r["spm_start"] for r in data["segments"]][:3] == [110, 168, 115]


def test_show_program_json(runner):
    data = json.loads(invoke(runner, "plans", "show", "cadence-builder-6w", "--json").stdout)
    assert len(data["weeks"]) == 6 and [w["spm_change"] for w in data["weeks"]] == [
        2,
        4,
        6,
        8,
        10,
        12,
    ]
    session = data["weeks"][5]["sessions"][2]
    assert set(session) == {"name", "total_seconds", "segments", "description"}
    assert max(r["spm_end"] for r in session["segments"]) == 172


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["return-to-run", "--week", "10"], "--week must be between 1 and 9"),
        (["return-to-run", "--week", "2", "--session", "4"], "--session must be between 1 and 3"),
        (["return-to-run", "--session", "2"], "give --week"),
        (["intervals", "--week", "1"], "is a plan"),
        (["no-such-plan"], "unknown plan 'no-such-plan'"),
        (["intervals", "--spm", "500"], "--spm must be between 60 and 240"),
    ],
)
def test_show_errors_are_one_line_and_exit_2(runner, args, message):
    out = runner.invoke(app, ["plans", "show", *args])
    assert out.exit_code == 2
    assert message in out.stderr and out.stderr.count("\n") == 1


# --- validate --------------------------------------------------------------------------------------

BROKEN = {
    "spm.yaml": (
        "segments:\n  - {name: Walk, duration: 2m}\n  - repeat: 2\n    segments:\n"
        "      - {name: Run, duration: 1m, spm: 1000}\n",
        5,
        "segments[1].segments[0].spm",
    ),
    "key.yaml": (
        "segments:\n  - {name: Run, duration: 1m, cadense: 170}\n",
        2,
        "segments[0].cadense",
    ),
    "empty-list.yaml": ("name: Empty\nsegments: []\n", 2, "segments"),
    "repeat.yaml": (
        "segments:\n  - repeat: 0\n    segments:\n      - {name: R, duration: 1m}\n",
        2,
        "segments[0].repeat",
    ),
    "relative.yaml": (
        "spm: 170\nsegments:\n  - {name: R, duration: 1m}\n"
        "  - {name: Crawl, duration: 1m, spm: '-150'}\n",
        4,
        "segments[1].spm",
    ),
    "duration.yaml": ("segments:\n  - {name: R, duration: soon}\n", 2, "segments[0].duration"),
    "program.yaml": ("weeks:\n  - sessions: [steady]\n  - sessions: []\n", 3, "weeks[1].sessions"),
    "program-ref.yaml": ("weeks:\n  - [steady, nosuch]\n", 2, "weeks[0].sessions[1]"),
    "program-change.yaml": ("weeks:\n  - spm: '+80'\n    sessions: [steady]\n", 2, "weeks[0].spm"),
}


def test_validate_reports_each_problem_with_file_line_and_field(runner, tmp_path):
    paths = []
    for name, (text, _, _) in BROKEN.items():
        (tmp_path / name).write_text(text)
        paths.append(str(tmp_path / name))
    good = tmp_path / "good.yaml"
    good.write_text("segments:\n  - {name: Run, duration: 1m}\n")
    out = runner.invoke(app, ["plans", "validate", str(good), *paths])
    assert out.exit_code == 2
    problems = out.stderr.splitlines()
    assert len(problems) == len(BROKEN)
    for line, (name, (_, number, field)) in zip(problems, BROKEN.items(), strict=True):
        assert line.startswith(f"{tmp_path / name}:{number}: {field}: "), line
    assert out.stdout == f"{good}: ok (plan 'good', 1:00, 1 segment)\n"


def test_validate_names_a_missing_file_without_a_made_up_line(runner, tmp_path):
    # A shell passes a pattern that matched nothing as it is (issue 14: it said "plans/*.yaml:1:").
    pattern = str(tmp_path / "plans" / "*.yaml")
    missing = str(tmp_path / "gone.yaml")
    out = runner.invoke(app, ["plans", "validate", pattern, missing])
    assert out.exit_code == 2
    assert out.stderr.splitlines() == [
        f"{pattern}: no such plan file (no file matches this pattern)",
        f"{missing}: no such plan file",
    ]


def test_validate_all_valid_exits_0(runner, tmp_path):
    (tmp_path / "a.yaml").write_text("segments:\n  - {name: Run, duration: 1m}\n")
    (tmp_path / "b.yml").write_text("weeks: [[steady, intervals], [pyramid]]\n")
    out = runner.invoke(
        app,
        [
            "plans",
            "validate",
            str(tmp_path / "a.yaml"),
            str(tmp_path / "b.yml"),
            "intervals",
            "return-to-run",
        ],
    )
    assert out.exit_code == 0, out.output
    assert out.stderr == ""
    assert "b.yml: ok (program 'b', 2 weeks, 3 sessions)" in out.stdout
    assert "return-to-run: ok (program 'Return to run', 9 weeks, 27 sessions)" in out.stdout
    quiet = runner.invoke(app, ["plans", "validate", "-q", str(tmp_path / "a.yaml")])
    assert quiet.exit_code == 0 and quiet.output == ""


def test_validate_with_spm_checks_relative_cadences_against_it(runner, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("segments:\n  - {name: Fast, duration: 1m, spm: '+30'}\n")
    assert runner.invoke(app, ["plans", "validate", str(path)]).exit_code == 0
    out = runner.invoke(app, ["plans", "validate", str(path), "--spm", "220"])
    assert out.exit_code == 2
    assert out.stderr.startswith(f"{path}:2: segments[0].spm: +30 gives 250 steps per minute")


def test_validate_the_installed_command_on_missing_broken_and_binary_files(tmp_path):
    (tmp_path / "bin.yaml").write_bytes(b"\x00\x01\x02")
    (tmp_path / "syntax.yaml").write_text("segments: [\n")
    (tmp_path / "empty.yaml").write_text("")
    files = ["bin.yaml", "syntax.yaml", "empty.yaml", "missing.yaml"]
    out = run("plans", "validate", *files, cwd=tmp_path)
    assert out.returncode == 2 and out.stdout == ""
    problems = out.stderr.splitlines()
    assert len(problems) == 4
    for line, name in zip(problems, files, strict=True):
        # file:line: where a line is known, file: for a problem of the whole file (no line 1).
        assert re.match(rf"^{re.escape(name)}(:\d+)?: \S", line), line
    assert problems[1].startswith("syntax.yaml:2: ")  # the YAML parser's own line
    assert problems[2] == "empty.yaml: the plan is empty"
    assert problems[3] == "missing.yaml: no such plan file"


def test_validate_a_program_reports_a_plan_that_fails_only_in_it(runner, tmp_path):
    (tmp_path / "fast.yaml").write_text("segments:\n  - {name: Run, duration: 1m, spm: '+20'}\n")
    (tmp_path / "p.yaml").write_text("spm: 200\nweeks:\n  - spm: '+25'\n    sessions: [fast]\n")
    assert runner.invoke(app, ["plans", "validate", str(tmp_path / "fast.yaml")]).exit_code == 0
    out = runner.invoke(app, ["plans", "validate", str(tmp_path / "p.yaml")])
    assert out.exit_code == 2
    line = out.stderr.strip()
    assert line.startswith(f"{tmp_path / 'p.yaml'}:3: weeks[0].spm: week 1, session 1")
    assert "(+25)" in line and f"{tmp_path / 'fast.yaml'}:2" in line


# --- new -------------------------------------------------------------------------------------------


def test_new_writes_a_commented_starter_plan_that_validates(runner, plans_dir):
    out = invoke(runner, "plans", "new", "hill-repeats")
    assert out.exit_code == 0
    path = plans_dir / "hill-repeats.yaml"
    assert f"Created {path}" in out.stdout
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=runcoach-plan.schema.json\n")
    assert text.count("#") > 10  # commented
    assert (plans_dir / "runcoach-plan.schema.json").is_file()
    assert (plans_dir / "runcoach-program.schema.json").is_file()
    assert invoke(runner, "plans", "validate", str(path)).exit_code == 0
    plan = load_plan("hill-repeats")  # found by name in the user folder
    assert plan.name == "Hill repeats"
    shown = invoke(runner, "plans", "show", "hill-repeats")
    assert shown.exit_code == 0 and "Hill repeats" in shown.stdout
    listed = invoke(runner, "plans", "list")
    assert re.search(r"hill-repeats\s+plan", listed.stdout)


def test_new_never_overwrites(runner, plans_dir):
    assert invoke(runner, "plans", "new", "mine").exit_code == 0
    path = plans_dir / "mine.yaml"
    path.write_text("# my edits\nsegments: [{name: Run, duration: 1m}]\n")
    out = runner.invoke(app, ["plans", "new", "mine"])
    assert out.exit_code == 2
    assert "already exists" in out.stderr and out.stderr.count("\n") == 1
    assert path.read_text().startswith("# my edits")
    (plans_dir / "other.yml").write_text("segments: [{name: Run, duration: 1m}]\n")
    assert runner.invoke(app, ["plans", "new", "other"]).exit_code == 2
    assert not (plans_dir / "other.yaml").exists()


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", "", "x" * 65, "sp ace", "ü"])
def test_new_refuses_unsafe_names(runner, plans_dir, name):
    out = runner.invoke(app, ["plans", "new", name])
    assert out.exit_code == 2 and "plan name" in out.stderr
    assert not plans_dir.exists() or not any(plans_dir.iterdir())


def test_new_program_and_copies(runner, plans_dir):
    out = invoke(runner, "plans", "new", "my-program", "--program")
    assert out.exit_code == 0 and "--week 1 --session 1" in out.stdout
    path = plans_dir / "my-program.yaml"
    assert path.read_text().startswith("# yaml-language-server: $schema=runcoach-program")
    assert invoke(runner, "plans", "validate", str(path)).exit_code == 0
    assert invoke(runner, "plans", "new", "my-intervals.yaml", "--from", "intervals").exit_code == 0
    copy = load_plan("my-intervals")
    assert copy.name == "My intervals"
    assert copy.segments == load_plan("intervals").segments
    assert invoke(runner, "plans", "new", "r2r", "--from", "return-to-run").exit_code == 0
    out = invoke(runner, "plans", "show", "r2r", "--week", "9", "--session", "1", "--json")
    assert json.loads(out.stdout)["total_seconds"] == 40 * 60
    assert runner.invoke(app, ["plans", "new", "x", "--from", "nope"]).exit_code == 2


# --- schema and help ------------------------------------------------------------------------------


def test_schema_is_json_on_stdout(runner):
    out = invoke(runner, "plans", "schema")
    assert out.exit_code == 0
    schema = json.loads(out.stdout)
    assert schema["$schema"].startswith("http://json-schema.org/draft-07")
    assert schema["required"] == ["segments"] and schema["additionalProperties"] is False


def test_help_lists_the_subcommands_and_stays_fast_to_import():
    out = run("plans", "--help")
    assert out.returncode == 0
    for command in ("list", "show", "validate", "new", "schema"):
        # rich's boxes in a terminal, click's plain list through a pipe: the name starts a row
        assert re.search(rf"^[│ ]\s*{command}\s", out.stdout, re.MULTILINE), command
    code = (
        "import sys, runcoach.cli; print(sorted(m for m in ('numpy', 'yaml', 'rich.table', "
        "'platformdirs', 'jsonschema', 'runcoach.timeline') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# --- render a program's session ------------------------------------------------------------------


def test_render_a_program_session_by_week_and_session(tmp_path):
    out = run(
        "render",
        "--plan",
        "return-to-run",
        "--week",
        "1",
        "--session",
        "2",
        "--spm",
        "168",
        "-r",
        "8000",
        "-o",
        "w1s2.wav",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "Return to run, week 1, session 2" in out.stdout and "base 168 spm" in out.stdout
    with wave.open(str(tmp_path / "w1s2.wav")) as handle:
        # 5 min walk, 8 x (1 min jog + 90 s walk), 5 min walk
        assert handle.getnframes() == (5 * 60 + 8 * 150 + 5 * 60) * 8000


def test_render_default_name_says_week_and_session(tmp_path):
    out = run(
        "render",
        "--plan",
        "cadence-builder-6w",
        "--week",
        "2",
        "--session",
        "3",
        "--spm",
        "150",
        "-r",
        "8000",
        "-q",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert [p.name for p in tmp_path.iterdir()] == [
        "cadence-builder-6-weeks-week-2-session-3-150spm.wav"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plan", "return-to-run"], "give --week and --session"),
        (
            ["--plan", "return-to-run", "--week", "12", "--session", "1"],
            "--week must be between 1 and 9",
        ),
        (
            ["--plan", "return-to-run", "--week", "3", "--session", "0"],
            "--session must be between 1 and 3",
        ),
        (["--plan", "steady", "--week", "1", "--session", "1"], "is a plan"),
        (["--week", "1", "--session", "1", "--duration", "5m"], "give it with --plan"),
    ],
)
def test_render_week_and_session_errors(tmp_path, args, message):
    out = run("render", *args, "-o", "x.wav", cwd=tmp_path)
    assert out.returncode == 2
    assert message in out.stderr and out.stderr.count("\n") == 1
    assert not (tmp_path / "x.wav").exists()
