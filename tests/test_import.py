"""``runcoach import``: FIT workouts, Zwift ``.zwo`` files and intervals.icu text as plans.

The FIT files are written here with Garmin's own encoder, shaped like the FIT SDK's example
workouts (repeat steps, custom targets, individual steps, a repeat until a heart rate). Every
imported plan is checked by ``runcoach plans validate`` and then step by step: names,
durations, cadences and repeat blocks. Hostile files are one error line and exit 2.
"""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from garmin_fit_sdk import Encoder, Profile
from typer.testing import CliRunner

from runcoach.cli import app
from runcoach.interop import import_workout, workout_bytes
from runcoach.plans import Cadence, Plan, Repeat, Segment, load_plan, parse_plan
from runcoach.timeline import resolve

EXE = str(Path(sys.executable).parent / "runcoach")
MESG = Profile["mesg_num"]


@pytest.fixture()
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("RUNCOACH_PLANS_DIR", str(tmp_path / "no-user-plans"))
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


def fit_file(
    steps: list[dict[str, Any]],
    *,
    name: str = "Example",
    sport: str = "running",
    description: str | None = None,
    kind: str = "workout",
) -> bytes:
    """A FIT workout written with Garmin's encoder (``message_index`` numbered here)."""
    encoder = Encoder()
    encoder.write_mesg(
        {
            "mesg_num": MESG["FILE_ID"],
            "type": kind,
            "manufacturer": "dynastream",
            "product": 0,
            "serial_number": 1234,
            "time_created": 621_000_000,
        }
    )
    workout = {
        "mesg_num": MESG["WORKOUT"],
        "sport": sport,
        "wkt_name": name,
        "num_valid_steps": len(steps),
    }
    if description:
        workout["wkt_description"] = description
    encoder.write_mesg(workout)
    for index, step in enumerate(steps):
        encoder.write_mesg({"mesg_num": MESG["WORKOUT_STEP"], "message_index": index, **step})
    return bytes(encoder.close())


def step(
    name: str,
    kind: str,
    value: int | None,
    target: str = "open",
    zone: int = 0,
    low: int | None = None,
    high: int | None = None,
    intensity: str = "active",
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "wkt_step_name": name,
        "duration_type": kind,
        "target_type": target,
        "target_value": zone,
        "intensity": intensity,
    }
    if value is not None:
        out["duration_value"] = value
    if low is not None:
        out["custom_target_value_low"] = low
        out["custom_target_value_high"] = high
    return out


def repeat(start: int, times: int, kind: str = "repeat_until_steps_cmplt") -> dict[str, Any]:
    return {"duration_type": kind, "duration_value": start, "target_value": times}


def shape(items: tuple[Segment | Repeat, ...]) -> list[Any]:
    """A plan's segments as plain data: (name, seconds, spm) and (times, [...])."""

    def spm(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Cadence):
            assert value.kind == "abs"
            return value.value
        return tuple(spm(v) for v in value)

    return [
        (i.times, shape(i.segments)) if isinstance(i, Repeat) else (i.name, i.duration, spm(i.spm))
        for i in items
    ]


def imported(runner: CliRunner, path: Path, *args: str) -> tuple[Plan, str, list[str]]:
    """Import ``path`` to a plan file, validate it with the CLI, and load it."""
    out = path.with_suffix(".yaml")
    result = invoke(runner, "import", str(path), "-o", str(out), *args)
    assert result.exit_code == 0, result.stderr
    check = invoke(runner, "plans", "validate", str(out))
    assert check.exit_code == 0, check.stderr
    warnings = [line for line in result.stderr.splitlines() if line]
    assert all(w.startswith("runcoach: warning: ") for w in warnings)
    text = out.read_text(encoding="utf-8")
    return parse_plan(text, source=str(out)), text, warnings


def one_error(result: Any, *fragments: str) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("runcoach: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return str(lines[0])


M = Fraction  # minutes and seconds below read as Fraction seconds


# --- FIT ----------------------------------------------------------------------------------------

SDK_REPEAT_STEPS = [  # like the FIT SDK's WorkoutRepeatSteps.fit: a cycling workout
    step("_A_", "time", 60_000, "heart_rate", zone=2, intensity="warmup"),
    step("B1_", "distance", 50_000, "power", zone=5),  # 500.00 m (centimetres)
    step("B2_", "distance", 50_000, "power", zone=3),
    repeat(1, 3),
    step("_C_", "hr_less_than", 225, "power", zone=1, intensity="cooldown"),
]


def test_fit_repeats_and_distances_at_a_pace(runner, tmp_path):
    path = tmp_path / "repeat-steps.fit"
    path.write_bytes(fit_file(SDK_REPEAT_STEPS, name="Example 2", sport="cycling"))
    plan, text, warnings = imported(runner, path, "--pace", "6:00")
    assert plan.name == "Example 2"
    assert shape(plan.segments) == [
        ("_A_", M(60), None),
        (3, [("B1_", M(180), None), ("B2_", M(180), None)]),  # 500 m at 6:00/km
        ("_C_", M(300), None),  # ends on a heart rate: made 5 minutes, with a warning
    ]
    assert plan.spm == 170
    joined = "\n".join(warnings)
    assert "heart-rate, power and pace targets are not kept" in joined
    assert "step 1, step 2, step 3, step 5" in joined
    assert "end on a condition" in joined and "cycling workout" in joined
    assert "heart rate zone 2 (not kept)" in text and "power zone 5 (not kept)" in text
    assert "until heart rate is less than 125 bpm" in text


def test_fit_distance_without_pace_is_refused_clearly(runner, tmp_path):
    path = tmp_path / "repeat-steps.fit"
    path.write_bytes(fit_file(SDK_REPEAT_STEPS))
    one_error(invoke(runner, "import", str(path)), "step 2", "500 m", "--pace")


def test_fit_custom_targets_keep_cadence_and_note_the_rest(runner, tmp_path):
    path = tmp_path / "custom.fit"
    path.write_bytes(
        fit_file(
            [
                step("Warm up", "time", 600_000, "heart_rate", low=50, high=60, intensity="warmup"),
                step("Tempo", "time", 1_200_000, "power", low=1300, high=1310),
                step("Cadence", "time", 300_000, "cadence", low=85, high=85),  # strides: 170 spm
                step(
                    "Cadence range", "time", 240_000, "cadence", low=80, high=84
                ),  # middle: 164 spm
                step("Pace", "time", 120_000, "speed", low=3333, high=3704),  # mm/s
                step("Easy", "time", 180_000, "heart_rate", low=235, high=255, intensity="rest"),
            ]
        )
    )
    plan, text, warnings = imported(runner, path, "--spm", "165", "--name", "Custom targets")
    assert plan.name == "Custom targets" and plan.spm == 165
    assert shape(plan.segments) == [
        ("Warm up", M(600), None),
        ("Tempo", M(1200), None),
        ("Cadence", M(300), M(170)),
        ("Cadence range", M(240), M(164)),
        ("Pace", M(120), None),
        ("Easy", M(180), M(115)),  # a rest step without a cadence walks
    ]
    assert "heart rate 50% of max heart rate to 60% of max heart rate (not kept)" in text
    assert "power 300 W to 310 W (not kept)" in text
    assert "pace 4:30/km to 5:00/km (not kept)" in text
    assert "heart rate 135 bpm to 155 bpm (not kept)" in text
    assert any("kept as their middle: runcoach plays one cadence (step 4)" in w for w in warnings)


def test_fit_repeat_until_a_heart_rate_is_played_once(runner, tmp_path):
    path = tmp_path / "greater.fit"
    steps = [
        *SDK_REPEAT_STEPS[:3],
        repeat(1, 180, "repeat_until_hr_greater_than"),
        *SDK_REPEAT_STEPS[4:],
    ]
    path.write_bytes(fit_file(steps))
    plan, _, warnings = imported(runner, path, "--pace", "5:00")
    assert shape(plan.segments) == [
        ("_A_", M(60), None),
        ("B1_", M(150), None),
        ("B2_", M(150), None),
        ("_C_", M(300), None),
    ]
    assert any("played once (step 4)" in w for w in warnings)


def test_fit_open_steps_nested_repeats_and_cadence_in_steps(runner, tmp_path):
    path = tmp_path / "nested.fit"
    path.write_bytes(
        fit_file(
            [
                step("Warm-up", "open", None, intensity="warmup"),
                step(
                    "Fast", "time", 30_000, "cadence", low=180, high=180
                ),  # > 120: steps per minute
                step("Float", "time", 60_000, intensity="rest"),
                repeat(1, 4),
                step("Between sets", "time", 120_000, "cadence", low=150, high=150),
                repeat(1, 2),
                step("Cool-down walk", "time", 300_000),
            ]
        )
    )
    plan, text, warnings = imported(runner, path)
    assert shape(plan.segments) == [
        ("Warm-up", M(300), None),
        (
            2,
            [
                (4, [("Fast", M(30), M(180)), ("Float", M(60), M(115))]),
                ("Between sets", M(120), M(150)),
            ],
        ),
        ("Cool-down walk", M(300), M(115)),
    ]
    assert any("read as steps per minute" in w for w in warnings)
    assert any("end on a condition" in w and "(step 1)" in w for w in warnings)
    assert "until the lap button is pressed" in text


def test_fit_fields_of_odd_types_do_not_break_the_import(runner, tmp_path):
    path = tmp_path / "arrays.fit"
    path.write_bytes(
        fit_file(
            [
                {
                    "wkt_step_name": ["Run", "again"],
                    "duration_type": "time",
                    "duration_value": [90_000, 1],
                    "target_type": "cadence",
                    "target_value": [0, 1],
                    "custom_target_value_low": [85, 1],
                    "custom_target_value_high": [85, 1],
                }
            ]
        )
    )
    plan, _, _ = imported(runner, path)
    assert shape(plan.segments) == [("Run", M(90), M(170))]


@pytest.mark.parametrize(("fmt", "unit"), [("fit", "strides"), ("fit", "steps"), ("zwo", "")])
def test_runcoach_workouts_import_back_to_the_same_plan(runner, tmp_path, fmt, unit):
    original = load_plan("cadence-builder")
    path = tmp_path / f"builder.{fmt}"
    data = workout_bytes(resolve(original, spm=166), fmt=fmt, fit_cadence=unit or "strides")
    path.write_bytes(data)
    plan, _, warnings = imported(runner, path, "--spm", "166")
    assert warnings == []
    expected = []
    for seg in resolve(original, spm=166).segments():
        start, end = seg.spm_start, seg.spm_end
        expected.append((seg.name, seg.duration_seconds, start if start == end else (start, end)))
    got = shape(plan.segments)
    if fmt == "zwo":  # Zwift has no repeats: the blocks come back expanded
        assert got == expected
    else:
        assert got[:3] == expected[:3] and got[4:] == expected[-2:]
        assert got[3] == (3, expected[3:5])


def test_the_content_decides_the_format(runner, tmp_path):
    fit = tmp_path / "downloaded.txt"
    fit.write_bytes(workout_bytes(resolve(load_plan("steady")), fmt="fit"))
    zwo = tmp_path / "workout.xml"
    zwo.write_bytes(workout_bytes(resolve(load_plan("steady")), fmt="zwo"))
    for path in (fit, zwo):
        plan, _, _ = imported(runner, path)
        assert [s.name for s in plan.segments] == ["Warm-up walk", "Steady run", "Cool-down walk"]


# --- Zwift ------------------------------------------------------------------------------------

RUN_ZWO = """<?xml version="1.0"?>
<workout_file>
  <name>Track night</name>
  <description>Run/walk with strides</description>
  <sportType>run</sportType>
  <workout>
    <Warmup Duration="300" PowerLow="0.4" PowerHigh="0.6" CadenceLow="150" CadenceHigh="165">
      <textevent timeoffset="0" message="Build up"/>
    </Warmup>
    <SteadyState Duration="600" Power="0.75" Cadence="172"/>
    <IntervalsT Repeat="4" OnDuration="60" OffDuration="90" OnPower="1.1" OffPower="0.5"
                Cadence="178" CadenceResting="120">
      <textevent timeoffset="0" message="Fast"/>
      <textevent timeoffset="60" message="Walk it off"/>
    </IntervalsT>
    <SteadyState Duration="120" Power="0.5" replacement_prescription="WALK"/>
    <Ramp Duration="240" PowerLow="0.6" PowerHigh="0.8"/>
    <FreeRide Duration="90" Cadence="168"/>
    <MaxEffort Duration="20"/>
    <gameplayevent timeoffset="10" type="GPE_CAMERA"/>
    <Cooldown Duration="180.5" PowerLow="0.6" PowerHigh="0.3">
      <textevent timeoffset="0" message="Cool-down walk"/>
      <textevent timeoffset="60" message="Well done"/>
    </Cooldown>
  </workout>
</workout_file>
"""


def test_zwo_run_workout(runner, tmp_path):
    path = tmp_path / "track.zwo"
    path.write_text(RUN_ZWO)
    plan, text, warnings = imported(runner, path, "--spm", "168")
    assert plan.name == "Track night" and plan.description == "Run/walk with strides"
    assert shape(plan.segments) == [
        ("Build up", M(300), (M(150), M(165))),  # CadenceLow/High on a ramp: start and end
        ("Steady", M(600), M(172)),
        (4, [("Fast", M(60), M(178)), ("Walk it off", M(90), M(120))]),
        ("Steady", M(120), M(115)),  # a WALK step without a cadence
        ("Ramp", M(240), None),
        ("Free run", M(90), M(168)),
        ("Max effort", M(20), None),
        ("Cool-down walk", M("180.5"), M(115)),
    ]
    joined = "\n".join(warnings)
    assert "<gameplayevent> is not a workout step: skipped (element #8)" in joined
    assert "OnPower 110% of threshold pace (not kept)" in text
    assert "text at 1:00: 'Well done'" in text


def test_zwo_bike_cadence_is_doubled_into_clicks(runner, tmp_path):
    path = tmp_path / "ride.zwo"
    path.write_text(
        "<workout_file><name>Spin</name><sportType>bike</sportType><workout>"
        '<Warmup Duration="600" PowerLow="0.5" PowerHigh="0.7"/>'
        '<IntervalsT Repeat="3" OnDuration="120" OffDuration="60" OnPower="1" OffPower="0.5" '
        'Cadence="100" CadenceResting="85"/>'
        '<SteadyState Duration="300" Power="0.8" Cadence="130"/>'
        "</workout></workout_file>"
    )
    plan, _, warnings = imported(runner, path)
    assert shape(plan.segments) == [
        ("Warm-up", M(600), None),
        (3, [("Interval", M(120), M(200)), ("Recovery", M(60), M(170))]),
        ("Steady", M(300), M(240)),  # 260 clicks a minute is above the plan's range
    ]
    joined = "\n".join(warnings)
    assert "doubled into clicks per minute" in joined
    assert "clamped" in joined and "<SteadyState> #3" in joined


def test_zwo_empty_elements_and_pace_zones(runner, tmp_path):
    path = tmp_path / "odd.zwo"
    path.write_text(
        "<workout_file><sportType>run</sportType><workout>"
        '<SteadyState Duration="0" Cadence="170"/>'
        '<SteadyState Duration="60" Power="0.9" pace="2" Cadence="174"/>'
        "</workout></workout_file>"
    )
    plan, text, warnings = imported(runner, path)
    assert shape(plan.segments) == [("Steady", M(60), M(174))]
    assert any("elements that last no time are skipped (element #1)" in w for w in warnings)
    assert "pace zone 2 (not kept)" in text and "Power 90% of threshold pace (not kept)" in text


def test_zwo_distance_workout_needs_a_pace(runner, tmp_path):
    path = tmp_path / "distance.zwo"
    path.write_text(
        "<workout_file><sportType>run</sportType><durationType>distance</durationType>"
        '<workout><SteadyState Duration="1000" Cadence="170"/></workout></workout_file>'
    )
    one_error(invoke(runner, "import", str(path)), "1000 m", "--pace")
    plan, _, _ = imported(runner, path, "--pace", "5:30")
    assert shape(plan.segments) == [("Steady", M(330), M(170))]


def test_example_zwo_imports(runner):
    example = Path(__file__).resolve().parent.parent / "examples" / "intervals.zwo"
    text, warnings = import_workout(example)
    plan = parse_plan(text)
    assert shape(plan.segments) == [
        ("Warm-up walk", M(300), M(115)),
        (6, [("Run", M(120), M(170)), ("Walk", M(60), M(115))]),
        ("Easy jog", M(180), (M(168), M(160))),
        ("Cool-down walk", M(240), M(115)),
    ]
    assert len(warnings) == 1


# --- intervals.icu ----------------------------------------------------------------------------

ICU = """Warmup
- 10m 115spm Walk

Main set 6x
- 2m 170rpm
- 90s Walk

Strides 4x
- 20s 180spm
- Jog back 40s

Cooldown
- 5m ramp 165-150rpm 70% HR
- 1m30 160spm
- 5'30" 155-165spm easy
- 1h2m30s 168spm
- 2km 5:00/km Pace press lap
"""


def test_icu_text(runner, tmp_path):
    path = tmp_path / "workout.txt"
    path.write_text(ICU)
    plan, text, warnings = imported(runner, path, "--pace", "6:00", "--spm", "172")
    assert plan.name == "workout" and plan.spm == 172
    assert shape(plan.segments) == [
        ("Walk", M(600), M(115)),
        (6, [("Main set", M(120), M(170)), ("Walk", M(90), M(115))]),
        (4, [("Strides", M(20), M(180)), ("Jog back", M(40), None)]),
        ("Cooldown", M(300), (M(165), M(150))),
        ("Cooldown", M(90), M(160)),
        ("easy", M(330), M(160)),  # a range without "ramp": its middle
        ("Cooldown", M(3750), M(168)),
        ("Cooldown", M(720), None),  # 2 km at 6:00/km
    ]
    joined = "\n".join(warnings)
    assert "targets are not kept" in joined and "(line 13, line 17)" in joined
    assert "'press lap' is not kept: each step lasts its time (line 17)" in joined
    assert "middle" in joined
    assert "line 5 '- 2m 170rpm': 2:00" in text


def test_icu_example_and_stdout(runner):
    example = Path(__file__).resolve().parent.parent / "examples" / "icu-workout.txt"
    result = invoke(runner, "import", str(example))
    assert result.exit_code == 0 and result.stderr == ""
    plan = parse_plan(result.stdout)
    assert shape(plan.segments) == [
        ("Walk", M(300), M(115)),
        (6, [("Run", M(120), M(170)), ("Walk", M(90), M(115))]),
        ("Easy jog", M(240), (M(165), M(155))),
        ("Walk", M(180), M(115)),
    ]


def test_imported_plan_renders_as_is(runner, tmp_path):
    path = tmp_path / "short.txt"
    path.write_text("- Run 20s 170spm\n- 10s Walk\n")
    out = tmp_path / "short.yaml"
    assert invoke(runner, "import", str(path), "-o", str(out)).exit_code == 0
    shown = invoke(runner, "plans", "show", str(out))
    assert shown.exit_code == 0 and "Run" in shown.stdout
    wav = tmp_path / "short.wav"
    result = invoke(runner, "render", "--plan", str(out), "-r", "8000", "-o", str(wav), "-q")
    assert result.exit_code == 0, result.stderr
    import wave

    with wave.open(str(wav)) as handle:
        assert handle.getnframes() == 30 * 8000


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("Main set\n- Z2 HR\n", ("line 2", "needs a duration")),
        ("Just some notes\nabout running\n", ("no workout steps",)),
        ("6x\n\n- 5m\n", ("line 1", "repeats no steps")),
        ("- 3km\n", ("line 1", "--pace")),
        ("- 20h\n- 5h\n", ("24 hours",)),
    ],
)
def test_icu_mistakes(runner, tmp_path, text, fragments):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    one_error(invoke(runner, "import", str(path)), "bad.txt", *fragments)


# --- hostile and broken files -----------------------------------------------------------------

BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ).replace("&lol0;", "&lol;")
    + "]><workout_file><name>&lol9;</name></workout_file>"
)
EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<workout_file><name>&xxe;</name><workout/></workout_file>"
)


def _zwo(body: str) -> str:
    return f"<workout_file><sportType>run</sportType><workout>{body}</workout></workout_file>"


def _truncated() -> bytes:
    return workout_bytes(resolve(load_plan("intervals")), fmt="fit")[:-40]


def _corrupted() -> bytes:
    data = bytearray(workout_bytes(resolve(load_plan("intervals")), fmt="fit"))
    data[60] ^= 0xFF
    return bytes(data)


HOSTILE = {
    "bomb.zwo": (BOMB, "DTD"),
    "external.zwo": (EXTERNAL, "DTD"),
    "huge.zwo": ("<workout_file>" + " " * 1_000_001 + "</workout_file>", "too large"),
    "deep.zwo": ("<workout_file>" + "<a>" * 5000 + "</a>" * 5000 + "</workout_file>", "deeper"),
    "wide.zwo": (_zwo("<textevent/>" * 30_000), "more than 20000 elements"),
    "types.zwo": (_zwo('<SteadyState Duration="abc" Cadence="170"/>'), "Duration must be a number"),
    "nan.zwo": (_zwo('<SteadyState Duration="nan"/>'), "Duration must be a number"),
    "negative.zwo": (_zwo('<SteadyState Duration="-30"/>'), "out of range"),
    "repeat.zwo": (_zwo('<IntervalsT Repeat="2.5" OnDuration="30" OffDuration="30"/>'), "Repeat"),
    "cadence.zwo": (_zwo('<SteadyState Duration="60" Cadence="fast"/>'), "Cadence must be"),
    "endless.zwo": (
        _zwo('<IntervalsT Repeat="200000" OnDuration="30" OffDuration="30"/>'),
        "at most",
    ),
    "notxml.zwo": ("<workout_file><workout>", "not valid XML"),
    "other.zwo": ("<html><body/></html>", "not a Zwift workout"),
    "truncated.fit": (_truncated(), "damaged or cut short"),
    "corrupted.fit": (_corrupted(), "FIT"),
    "text.fit": ("just text, not a FIT file at all", "not a FIT file"),
    "empty.fit": (b"", "not a FIT file"),
    "activity.fit": (fit_file([step("x", "time", 1000)], kind="activity"), "not a workout"),
    "loop.fit": (fit_file([step("x", "time", 1000), repeat(5, 2)]), "not an earlier step"),
    "zero.fit": (fit_file([step("x", "time", 1000), repeat(0, 0)]), "repeat count"),
    "nosteps.fit": (fit_file([]), "no steps"),
    "binary.txt": (b"\x00\x01\x02 garbage", "not a text file"),
    "latin1.txt": ("- 5m Gehen \xe4".encode("latin-1"), "not UTF-8"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_and_broken_files_are_one_error_line(runner, tmp_path, name):
    content, fragment = HOSTILE[name]
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    out = tmp_path / "plan.yaml"
    one_error(invoke(runner, "import", str(path), "-o", str(out)), name, fragment)
    assert not out.exists()


def test_installed_command_refuses_an_entity_bomb_in_one_line(tmp_path):
    path = tmp_path / "bomb.zwo"
    path.write_text(BOMB)
    done = subprocess.run(
        [EXE, "import", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "RUNCOACH_PLANS_DIR": str(tmp_path / "none")},
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "refused" in done.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("missing.fit",), "no such workout file"),
        ((".",), "is a folder"),
        (("x.txt", "--pace", "fast"), "--pace"),
        (("x.txt", "--pace", "45:00"), "--pace"),
        (("x.txt", "--spm", "20"), "--spm"),
        (("x.txt", "--name", ""), "--name"),
        (("x.txt", "--format", "gpx"), "--format"),
        (("x.txt", "-o", "missing/plan.yaml"), "does not exist"),
    ],
)
def test_option_mistakes(runner, tmp_path, args, fragment):
    (tmp_path / "x.txt").write_text("- 5m 170spm\n")
    one_error(invoke(runner, "import", *args), fragment)
