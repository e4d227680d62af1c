"""The plan format: every accepted form, and every broken plan with file, line and field."""

from __future__ import annotations

import tracemalloc
from fractions import Fraction
from pathlib import Path

import pytest

from runcoach.errors import PlanError
from runcoach.plans import (
    BREATH_OFF,
    Breath,
    Cadence,
    Plan,
    Repeat,
    Segment,
    builtin_plan_names,
    load_plan,
    parse_duration,
    parse_plan,
)
from runcoach.timeline import resolve

FULL_EXAMPLE = """\
name: Run/walk intervals
description: 6 x 2 min running with 1 min walking, for a gradual return to running
spm: 170            # base cadence; `--spm` on the command line replaces it
breath: "4:6"       # inhale steps : exhale steps, or off
sound: woodblock
segments:
  - {name: Warm-up walk, duration: 5m, spm: 115, breath: off}
  - repeat: 6
    segments:
      - {name: Run, duration: 2m}             # runs at the base cadence
      - {name: Walk, duration: 1m, spm: 115}
  - {name: Cool-down jog, duration: 4m, spm: ["-5", "-15"]}  # a ramp, relative to base
"""


def test_design_example_parses_to_the_model():
    plan = parse_plan(FULL_EXAMPLE, source="ex.yaml")
    assert plan.name == "Run/walk intervals"
    assert plan.spm == 170
    assert plan.breath == Breath(4, 6)
    assert plan.sound == "woodblock"
    warm, block, cool = plan.segments
    assert warm == Segment("Warm-up walk", duration="5m", spm=115, breath="off")
    assert warm.breath is BREATH_OFF or warm.breath == BREATH_OFF
    assert isinstance(block, Repeat) and block.times == 6
    assert block.segments[0] == Segment("Run", duration=120)
    assert cool.spm == (Cadence("rel", Fraction(-5)), Cadence("rel", Fraction(-15)))
    assert warm.line == 7 and block.line == 8 and cool.line == 12
    assert resolve(plan).total_seconds == 5 * 60 + 6 * 180 + 4 * 60


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("2m", 120),
        ("1m30s", 90),
        ("1:30", 90),
        ("1h5m", 3900),
        ("1h", 3600),
        ("45:00", 2700),
        ("1:05:00", 3900),
        ("2.5min", 150),
        ("0.5s", Fraction(1, 2)),
        ("1 h 2 m 3 s", 3723),
        ("10 minutes", 600),
        ("1:30.25", Fraction(361, 4)),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["90", "2x", "m", "1m1h", "-5s", "0s", "1:75:00", "", "25h"])
def test_bad_durations(text):
    with pytest.raises(PlanError) as err:
        parse_duration(text)
    assert err.value.field == "duration"


def test_quote_free_yaml_means_what_the_runner_wrote():
    # YAML 1.1 reads 4:6 as 246, 1:30 as 90 (base 60), off as false and +5 as 5.
    text = """
breath: 4:6
segments:
  - {name: A, duration: 1:30, breath: off}
  - {name: B, duration: 2m, spm: +5}
  - {name: C, duration: 2m, spm: -5, breath: 3:2}
  - {name: D, duration: 2m, spm: 95%, breath: no}
"""
    plan = parse_plan(text)
    a, b, c, d = plan.segments
    assert plan.breath == Breath(4, 6)
    assert a.duration == 90 and a.breath == BREATH_OFF
    assert b.spm == Cadence("rel", Fraction(5))
    assert c.spm == Cadence("rel", Fraction(-5)) and c.breath == Breath(3, 2)
    assert d.spm == Cadence("pct", Fraction(95)) and d.breath == BREATH_OFF


def test_ramp_items_may_mix_forms():
    plan = parse_plan('segments: [{name: R, duration: 5m, spm: [160, "105%"]}]')
    assert plan.segments[0].spm == (Cadence("abs", Fraction(160)), Cadence("pct", Fraction(105)))


def test_plan_name_defaults_to_the_file_name(tmp_path):
    path = tmp_path / "hill-repeats.yaml"
    path.write_text("segments: [{name: A, duration: 1m}]\n")
    plan = load_plan(str(path))
    assert plan.name == "hill-repeats" and plan.source == str(path)


def test_plans_built_in_code_match_yaml():
    built = Plan(
        "Run/walk intervals",
        [
            Segment("Warm-up walk", duration="5m", spm=115, breath="off"),
            Repeat(6, [Segment("Run", duration="2m"), Segment("Walk", duration="1m", spm=115)]),
            Segment("Cool-down jog", duration="4m", spm=["-5", "-15"]),
        ],
        description="6 x 2 min running with 1 min walking, for a gradual return to running",
    )
    assert built == parse_plan(FULL_EXAMPLE)


@pytest.mark.parametrize("name", builtin_plan_names())
def test_builtin_plans_load_and_resolve(name):
    plan = load_plan(name)
    assert plan.description
    session = resolve(plan)
    assert 10 * 60 <= session.total_seconds <= 2 * 3600
    for seg in session.segments():
        assert 60 <= seg.spm_start <= 240 and 60 <= seg.spm_end <= 240


def test_required_builtin_plans_exist():
    assert {"steady", "intervals", "pyramid", "cadence-builder", "breath-practice"} <= set(
        builtin_plan_names()
    )


def bad(text: str | bytes) -> PlanError:
    with pytest.raises(PlanError) as err:
        parse_plan(text, source="bad.yaml")
    return err.value


@pytest.mark.parametrize(
    ("text", "line", "field", "fragment"),
    [
        (
            "segments:\n  - {name: Run, duration: 2m, spm: 1000}\n",
            2,
            "segments[0].spm",
            "between 60 and 240",
        ),
        ("segments:\n  - {name: Run, duration: 2m, spm: 30}\n", 2, "segments[0].spm", "got '30'"),
        (
            "segments:\n  - {name: Run, duraton: 2m}\n",
            2,
            "segments[0].duraton",
            "did you mean 'duration'",
        ),
        ("nme: x\nsegments:\n  - {name: Run, duration: 2m}\n", 1, "nme", "did you mean 'name'"),
        (
            "segments:\n  - name: Run\n    duration: 2m\n    breth: 4:6\n",
            4,
            "segments[0].breth",
            "did you mean 'breath'",
        ),
        ("segments:\n  - {name: Run, duration: 2 weeks}\n", 2, "segments[0].duration", "2 weeks"),
        ("segments:\n  - {name: Run}\n", 2, "segments[0].duration", "exactly one of"),
        (
            "segments:\n  - {name: Run, duration: 1m, steps: 100}\n",
            2,
            "segments[0].duration",
            "not both",
        ),
        ("segments:\n  - {name: Run, steps: -3}\n", 2, "segments[0].steps", "whole number"),
        (
            "segments:\n  - {name: Run, duration: 1m, breath: 4-6}\n",
            2,
            "segments[0].breath",
            "IN:OUT",
        ),
        (
            'segments:\n  - {name: Run, duration: 1m, breath: "0:6"}\n',
            2,
            "segments[0].breath",
            "1 to 16",
        ),
        (
            "segments:\n  - {name: Run, duration: 1m, sound: trumpet}\n",
            2,
            "segments[0].sound",
            "woodblock",
        ),
        (
            "segments:\n  - {name: Run, duration: 1m, spm: [150]}\n",
            2,
            "segments[0].spm",
            "two cadences",
        ),
        (
            "segments:\n  - {name: Run, duration: 1m, spm: [150, 160, 170]}\n",
            2,
            "segments[0].spm",
            "two cadences",
        ),
        ("segments:\n  - {name: Run, duration: 1m, spm: fast}\n", 2, "segments[0].spm", "'fast'"),
        ("segments:\n  - {duration: 1m}\n", 2, "segments[0].name", "needs a name"),
        (
            "segments:\n  - repeat: 0\n    segments: [{name: A, duration: 1m}]\n",
            2,
            "segments[0].repeat",
            "at least 1",
        ),
        (
            "segments:\n  - repeat: lots\n    segments: [{name: A, duration: 1m}]\n",
            2,
            "segments[0].repeat",
            "whole number",
        ),
        ("segments:\n  - repeat: 2\n", 2, "segments[0].segments", "needs its own list"),
        ("segments:\n  - repeat: 2\n    segments: []\n", 3, "segments[0].segments", "at least one"),
        (
            "segments:\n  - repeat: 2\n    segment: []\n",
            3,
            "segments[0].segment",
            "did you mean 'segments'",
        ),
        ("spm: 170\nsegments: []\n", 2, "segments", "at least one"),
        ("spm: 170\n", 1, "segments", "needs a list of segments"),
        ("spm: 500\nsegments: [{name: A, duration: 1m}]\n", 1, "spm", "between 60 and 240"),
        ('spm: "+5"\nsegments: [{name: A, duration: 1m}]\n', 1, "spm", "base cadence"),
        ("breath: 7\nsegments: [{name: A, duration: 1m}]\n", 1, "breath", "IN:OUT"),
        ("segments: {name: A, duration: 1m}\n", 1, "segments", "list of segments"),
        ("segments:\n  - just text\n", 2, "segments[0]", "mapping"),
        ("segments:\n  - {name: [a, b], duration: 1m}\n", 2, "segments[0].name", "single value"),
    ],
)
def test_bad_plans_name_file_line_and_field(text, line, field, fragment):
    err = bad(text)
    assert err.source == "bad.yaml"
    assert err.line == line, str(err)
    assert err.field == field, str(err)
    assert fragment in str(err)
    assert str(err).startswith(f"bad.yaml:{line}: {field}: ")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("# only a comment\n", "empty"),
        ("- a\n- b\n", "mapping"),
        ("just a string\n", "mapping"),
        ("segments: [\n", "invalid YAML"),
        ("a: b\n  c: d\n", "invalid YAML"),
        ("name: x\nname: y\nsegments: [{name: A, duration: 1m}]\n", "appears twice"),
        ("--- {segments: [{name: A, duration: 1m}]}\n--- {x: 1}\n", "invalid YAML"),
    ],
)
def test_malformed_yaml(text, fragment):
    err = bad(text)
    assert fragment in str(err)
    assert str(err).startswith("bad.yaml")


def test_yaml_tags_that_build_python_objects_are_refused():
    err = bad("name: !!python/object/apply:os.system ['touch /tmp/pwned']\nsegments: []\n")
    assert "tag" in str(err) and err.line == 1
    err = bad("segments:\n  - !custom {name: A, duration: 1m}\n")
    assert "tag" in str(err) and err.line == 2


def test_binary_junk_is_refused():
    err = bad(bytes(range(256)) * 10)
    assert "UTF-8" in str(err) or "binary" in str(err)
    err = bad(b"segments: []\x00\x01\x02")
    assert "binary" in str(err)


def test_alias_bomb_is_refused_quickly_and_without_memory():
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines.append("segments: *a9")
    tracemalloc.start()
    try:
        err = bad("\n".join(lines) + "\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "aliases" in str(err) or "unknown key" in str(err)
    assert peak < 50_000_000


def test_alias_bomb_inside_segments_is_refused():
    lines = ["x0: &x0 [{name: A, duration: 1s}, {name: A, duration: 1s}]"]
    for i in range(1, 25):
        lines.append(f"x{i}: &x{i} [*x{i - 1}, *x{i - 1}]")
    err = bad("\n".join(lines) + "\nsegments: *x24\n")
    assert "aliases" in str(err) or "unknown key" in str(err)
    # Aliases inside the allowed keys only: still stopped by the value budget.
    text = "segments:\n  - repeat: 2\n    segments: &s0 [{name: A, duration: 1s}]\n"
    for i in range(1, 20):
        text += (
            f"  - repeat: 2\n    segments: &s{i} [{{repeat: 2, segments: *s{i - 1}}}, "
            f"{{repeat: 2, segments: *s{i - 1}}}]\n"
        )
    err = bad(text)
    assert "aliases" in str(err)


def test_deep_nesting_is_refused():
    err = bad("segments: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "deep" in str(err) or "invalid YAML" in str(err)


def test_huge_file_is_refused(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"# " + b"x" * 2_000_000 + b"\n")
    with pytest.raises(PlanError, match="too large"):
        load_plan(str(path))


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(PlanError, match="no such plan file") as err:
        load_plan(str(tmp_path / "nope.yaml"))
    assert str(tmp_path / "nope.yaml") in str(err.value)
    with pytest.raises(PlanError, match="folder"):
        load_plan(tmp_path)
    (tmp_path / "dir.yaml").mkdir()
    with pytest.raises(PlanError, match="folder"):
        load_plan(str(tmp_path / "dir.yaml"))


def test_unknown_plan_name_lists_the_available_ones():
    with pytest.raises(PlanError) as err:
        load_plan("interval")
    message = str(err.value)
    assert "did you mean 'intervals'" in message
    for name in builtin_plan_names():
        assert name in message


def test_model_validates_in_code():
    with pytest.raises(PlanError, match="between 60 and 240"):
        Segment("Run", duration="1m", spm=300)
    with pytest.raises(PlanError, match="at least one"):
        Plan("Empty", [])
    with pytest.raises(PlanError, match="at least 1"):
        Repeat(0, [Segment("A", duration=60)])
    with pytest.raises(PlanError, match="non-empty"):
        Segment("  ", duration=60)
    with pytest.raises(PlanError, match="Segment or Repeat"):
        Plan("x", ["not a segment"])  # type: ignore[list-item]


def test_example_plan_file_in_readme_is_valid():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    plan = parse_plan(block, source="README.md")
    assert resolve(plan).segment_count >= 14
