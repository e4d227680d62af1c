"""The Python API: load, parse, build in code, segment rows, render; and the README's example."""

from __future__ import annotations

import re
import subprocess
import sys
import wave
from fractions import Fraction
from pathlib import Path

import pytest

import runcoach
from runcoach.errors import OptionError, PlanError
from runcoach.timeline import resolve

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def plans_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "user-plans"
    folder.mkdir()
    monkeypatch.setenv("RUNCOACH_PLANS_DIR", str(folder))
    return folder


def test_the_api_is_exported_and_documented():
    for name in (
        "load_plan",
        "parse_plan",
        "segments",
        "render",
        "Plan",
        "Segment",
        "Repeat",
        "Program",
        "Week",
        "ProgramSession",
        "load_program",
        "parse_program",
        "outline",
        "builtin_program_names",
        "user_plans_dir",
    ):
        assert name in runcoach.__all__, name
        value = getattr(runcoach, name)
        assert value.__doc__ and len(value.__doc__.strip()) > 40, name
    with pytest.raises(AttributeError):
        runcoach.no_such_thing  # noqa: B018


def test_no_submodule_hides_an_api_name():
    import importlib
    import types

    for module in set(runcoach._LAZY.values()):
        importlib.import_module(module)  # importing a submodule sets it on the package
    for name in runcoach.__all__:
        assert not isinstance(getattr(runcoach, name), types.ModuleType), name


def test_import_runcoach_stays_light():
    code = (
        "import sys, runcoach; runcoach.__version__; "
        "print(sorted(m for m in ('numpy', 'yaml', 'platformdirs', 'rich', 'jsonschema') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


PLAN_TEXT = """\
name: Mixed
spm: 170
breath: "4:6"
segments:
  - {name: Warm-up walk, duration: 1:30, spm: 115, breath: off}
  - repeat: 3
    segments:
      - {name: Strides, steps: 200, spm: "+10"}
      - {name: Walk, duration: 1m30s, spm: 115}
  - {name: Ramp, steps: 301, spm: ["95%", "-20"]}
  - {name: Tempo, duration: 2.5min, spm: "102%", breath: "3:2"}
"""


def expected_rows(base: Fraction) -> list[dict[str, object]]:
    """The rows worked out by hand from the plan text, exactly, for a base cadence."""
    out: list[dict[str, object]] = []
    t = Fraction(0)

    def add(name: str, seconds: Fraction, s0: Fraction, s1: Fraction, breath: str | None) -> None:
        nonlocal t
        out.append(
            {"name": name, "start": t, "duration": seconds, "s0": s0, "s1": s1, "breath": breath}
        )
        t += seconds

    add("Warm-up walk", Fraction(90), Fraction(115), Fraction(115), None)
    for _ in range(3):
        add("Strides", Fraction(200 * 60) / (base + 10), base + 10, base + 10, "4:6")
        add("Walk", Fraction(90), Fraction(115), Fraction(115), "4:6")
    s0, s1 = base * Fraction(95, 100), base - 20
    add("Ramp", Fraction(301 * 120) / (s0 + s1), s0, s1, "4:6")  # mean cadence over the ramp
    add("Tempo", Fraction(150), base * Fraction(102, 100), base * Fraction(102, 100), "3:2")
    return out


@pytest.mark.parametrize("spm", [None, 160, 166.5])
def test_segments_rows_equal_independently_computed_totals(spm):
    plan = runcoach.parse_plan(PLAN_TEXT, source="mixed.yaml")
    rows = runcoach.segments(plan, spm=spm)
    want = expected_rows(Fraction(170) if spm is None else Fraction(spm))
    assert [r["name"] for r in rows] == [w["name"] for w in want]
    for row, w in zip(rows, want, strict=True):
        assert set(row) == {
            "name",
            "start_seconds",
            "duration_seconds",
            "spm_start",
            "spm_end",
            "breath",
        }
        # exact where the value is a whole number, else the nearest float to the exact value
        assert row["start_seconds"] == float(w["start"])  # type: ignore[arg-type]
        assert row["duration_seconds"] == float(w["duration"])  # type: ignore[arg-type]
        assert row["spm_start"] == float(w["s0"]) and row["spm_end"] == float(w["s1"])  # type: ignore[arg-type]
        assert row["breath"] == w["breath"]
        for key in ("start_seconds", "duration_seconds", "spm_start", "spm_end"):
            assert isinstance(row[key], int) == (float(row[key]) == int(row[key]))  # type: ignore[arg-type]
    total = runcoach.outline(plan, spm)["total_seconds"]
    assert total == float(want[-1]["start"] + want[-1]["duration"])  # type: ignore[operator]


def test_segments_come_from_the_rendering_timeline():
    plan = runcoach.load_plan("cadence-builder")
    for spm in (None, 150, 183):
        rows = runcoach.segments(plan, spm)
        timed = list(resolve(plan, spm=spm).segments())
        assert len(rows) == len(timed) == resolve(plan, spm=spm).segment_count
        for row, seg in zip(rows, timed, strict=True):
            assert row["start_seconds"] == seg.start_seconds
            assert row["duration_seconds"] == seg.duration_seconds
            assert (row["spm_start"], row["spm_end"]) == (seg.spm_start, seg.spm_end)


def test_segments_accept_names_paths_and_breath(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(PLAN_TEXT)
    assert runcoach.segments(str(path)) == runcoach.segments(path)
    assert runcoach.segments("intervals")[1]["breath"] == "4:6"
    assert {r["breath"] for r in runcoach.segments("intervals", breath="3:2")} == {None, "3:2"}
    with pytest.raises(OptionError, match="--spm must be between 60 and 240"):
        runcoach.segments("intervals", spm=300)
    with pytest.raises(PlanError, match="unknown plan"):
        runcoach.segments("no-such-plan")


def test_parse_plan_takes_text_bytes_and_mappings_and_names_the_source():
    from_text = runcoach.parse_plan(PLAN_TEXT)
    from_bytes = runcoach.parse_plan(PLAN_TEXT.encode(), source="b.yaml")
    from_dict = runcoach.parse_plan(
        {
            "name": "Mixed",
            "spm": 170,
            "breath": "4:6",
            "segments": [
                {"name": "Warm-up walk", "duration": "1:30", "spm": 115, "breath": "off"},
                {
                    "repeat": 3,
                    "segments": [
                        {"name": "Strides", "steps": 200, "spm": "+10"},
                        {"name": "Walk", "duration": "1m30s", "spm": 115},
                    ],
                },
                {"name": "Ramp", "steps": 301, "spm": ["95%", "-20"]},
                {"name": "Tempo", "duration": "2.5min", "spm": "102%", "breath": "3:2"},
            ],
        }
    )
    assert from_text == from_bytes == from_dict
    with pytest.raises(PlanError) as caught:
        runcoach.parse_plan("segments:\n  - {name: R, duration: 1m, spm: 1000}\n", source="c.yaml")
    assert str(caught.value).startswith("c.yaml:2: segments[0].spm: ")


def test_plans_built_in_code_equal_the_yaml_ones():
    built = runcoach.Plan(
        "Mixed",
        [
            runcoach.Segment("Warm-up walk", duration="1:30", spm=115, breath="off"),
            runcoach.Repeat(
                3,
                [
                    runcoach.Segment("Strides", steps=200, spm="+10"),
                    runcoach.Segment("Walk", duration=90, spm=115),
                ],
            ),
            runcoach.Segment("Ramp", steps=301, spm=["95%", "-20"]),
            runcoach.Segment("Tempo", duration=Fraction(150), spm="102%", breath="3:2"),
        ],
        spm=170,
        breath="4:6",
    )
    assert built == runcoach.parse_plan(PLAN_TEXT)
    assert runcoach.segments(built, 160) == runcoach.segments(runcoach.parse_plan(PLAN_TEXT), 160)


def _nested(depth: int) -> str:
    import yaml

    item: dict[str, object] = {"name": "R", "duration": "1m"}
    for _ in range(depth):
        item = {"repeat": 2, "segments": [item]}
    return yaml.safe_dump({"segments": [item]})


def _nested_code(depth: int) -> runcoach.Plan:
    item: runcoach.Segment | runcoach.Repeat = runcoach.Segment("R", duration="1m")
    for _ in range(depth):
        item = runcoach.Repeat(2, [item])
    return runcoach.Plan("Nested", [item])


@pytest.mark.parametrize(
    ("yaml_text", "build", "field", "fragment"),
    [
        (
            "segments:\n  - repeat: 0\n    segments: [{name: R, duration: 1m}]\n",
            lambda: runcoach.Repeat(0, [runcoach.Segment("R", duration="1m")]),
            "repeat",
            "at least 1",
        ),
        (
            "segments:\n  - repeat: -3\n    segments: [{name: R, duration: 1m}]\n",
            lambda: runcoach.Repeat(-3, [runcoach.Segment("R", duration="1m")]),
            "repeat",
            "at least 1",
        ),
        (
            "segments:\n  - repeat: 2\n    segments: []\n",
            lambda: runcoach.Repeat(2, []),
            "segments",
            "at least one segment",
        ),
        ("segments: []\n", lambda: runcoach.Plan("P", []), "segments", "at least one segment"),
        (
            "segments:\n  - repeat: 200000\n    segments: [{name: R, duration: 1s}]\n",
            lambda: runcoach.Repeat(200_000, [runcoach.Segment("R", duration=1)]),
            "repeat",
            "at most 100000",
        ),
        (
            "segments:\n  - {name: R, duration: 1m, steps: 10}\n",
            lambda: runcoach.Segment("R", duration="1m", steps=10),
            "duration",
            "exactly one",
        ),
        ("segments:\n  - {name: R}\n", lambda: runcoach.Segment("R"), "duration", "exactly one"),
        (
            "segments:\n  - {name: R, steps: 0}\n",
            lambda: runcoach.Segment("R", steps=0),
            "steps",
            "above 0",
        ),
        (
            "segments:\n  - {name: R, duration: 1m, spm: 300}\n",
            lambda: runcoach.Segment("R", duration="1m", spm=300),
            "spm",
            "between 60 and 240",
        ),
        (
            "segments:\n  - {name: R, duration: 1m, spm: [150]}\n",
            lambda: runcoach.Segment("R", duration="1m", spm=[150]),
            "spm",
            "two cadences",
        ),
        (
            "segments:\n  - {name: R, duration: 1m, breath: '4:20'}\n",
            lambda: runcoach.Segment("R", duration="1m", breath="4:20"),
            "breath",
            "1 to 16",
        ),
        (
            "segments:\n  - {name: R, duration: 0s}\n",
            lambda: runcoach.Segment("R", duration="0s"),
            "duration",
            "longer than zero",
        ),
        (
            "segments:\n  - {name: ' ', duration: 1m}\n",
            lambda: runcoach.Segment(" ", duration="1m"),
            "name",
            "non-empty",
        ),
        (_nested(17), lambda: _nested_code(17), "segments", "16 deep"),
    ],
)
def test_code_and_yaml_are_checked_alike(yaml_text, build, field, fragment):
    with pytest.raises(PlanError) as from_yaml:
        runcoach.parse_plan(yaml_text, source="t.yaml")
    with pytest.raises(PlanError) as from_code:
        build()
    assert fragment in from_yaml.value.problem and fragment in from_code.value.problem
    assert from_code.value.field == field
    assert from_yaml.value.field is not None and from_yaml.value.field.endswith(field)


def test_sixteen_levels_of_repeats_are_fine_in_both():
    from_yaml = runcoach.parse_plan(_nested(16))
    assert from_yaml.segments == _nested_code(16).segments


def test_render_takes_a_plan_a_name_or_a_path(tmp_path):
    plan = runcoach.Plan("Short", [runcoach.Segment("Run", duration="20s", spm=180)])
    result = runcoach.render(plan, tmp_path / "a.wav", rate=8000)
    with wave.open(str(result.path)) as handle:
        assert handle.getnframes() == 20 * 8000 and handle.getnchannels() == 1
    path = tmp_path / "p.yaml"
    path.write_text("segments: [{name: Run, duration: 15s}]\n")
    result = runcoach.render(str(path), tmp_path / "b.wav", spm=172, rate=8000, stereo=True)
    with wave.open(str(result.path)) as handle:
        assert handle.getnframes() == 15 * 8000 and handle.getnchannels() == 2
    result = runcoach.render("steady", tmp_path / "c.wav", breath="off", rate=8000)
    assert result.session.total_seconds == 30 * 60 and result.session.breath.off


def test_program_sessions_through_the_api(tmp_path):
    session = runcoach.load_plan("return-to-run", week=1, session=1)
    rows = runcoach.segments(session, spm=162)
    assert rows[0]["name"] == "Warm-up walk" and rows[-1]["name"] == "Cool-down walk"
    assert sum(r["duration_seconds"] for r in rows) == 30 * 60
    assert {r["spm_start"] for r in rows if r["name"] == "Jog"} == {162}
    program = runcoach.load_program("cadence-builder-6w")
    assert [w for w, _, _ in program.sessions()] == [w for w in range(1, 7) for _ in range(3)]


def _readme_python_example() -> str:
    section = README.split("### The Python API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)  # type: ignore[union-attr]


def test_the_readme_python_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(_readme_python_example(), "README.md", "exec"), {})
    with wave.open(str(tmp_path / "hills.wav")) as handle:
        assert handle.getframerate() == 22050 and handle.getnchannels() == 2
        assert handle.getnframes() == (5 + 6 * 3 + 5) * 60 * 22050
    assert (tmp_path / "steady.wav").stat().st_size > 1000


def test_the_readme_program_example_loads(tmp_path):
    section = README.split("### Programs", 1)[1]
    text = re.search(r"```yaml\n(.*?)```", section, re.DOTALL).group(1)  # type: ignore[union-attr]
    program = runcoach.parse_program(text, source="readme.yaml")
    assert [len(w.sessions) for w in program.weeks] == [3, 3, 3]
    assert program.weeks[1].spm == 2
