"""``runcoach workout``: sessions as FIT and Zwift workouts.

Every file is decoded with Garmin's own decoder (``garmin_fit_sdk.Decoder``) and compared with
the session as ``runcoach plans show --json`` gives it: the decoded steps are played the way a
watch plays them (repeat steps loop back) and every step's name, duration, cadence range and
intensity is checked against values computed here from the JSON, not from runcoach's writer.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from garmin_fit_sdk import Decoder, Stream
from typer.testing import CliRunner

from runcoach.cli import app
from runcoach.interop import workout_bytes
from runcoach.plans import (
    Repeat,
    Segment,
    builtin_plan_names,
    builtin_program_names,
    load_plan,
    load_program,
)
from runcoach.timeline import resolve

EXE = str(Path(sys.executable).parent / "runcoach")


@pytest.fixture()
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("RUNCOACH_PLANS_DIR", str(tmp_path / "no-user-plans"))
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


def decode(data: bytes) -> dict[str, Any]:
    """Decode with Garmin's SDK; a file with any decoding error fails the test."""
    assert Decoder(Stream.from_byte_array(bytearray(data))).is_fit()
    assert Decoder(Stream.from_byte_array(bytearray(data))).check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    return messages


def play(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps in the order a watch runs them: a repeat step jumps back to ``duration_step``
    until it has run its block ``repeat_steps`` times in all (nested loops reset)."""
    done: dict[int, int] = {}
    out: list[dict[str, Any]] = []
    i = 0
    while i < len(steps):
        step = steps[i]
        if step["duration_type"] == "repeat_until_steps_cmplt":
            count = done.get(i, 1)
            if count < step["repeat_steps"]:
                done[i] = count + 1
                i = step["duration_step"]
                continue
            done[i] = 1
        else:
            out.append(step)
        i += 1
        assert len(out) < 200_000
    return out


def shown(runner: CliRunner, *args: str) -> dict[str, Any]:
    result = invoke(runner, "plans", "show", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def expected_range(row: dict[str, Any], tolerance: Fraction, unit: str) -> tuple[int, int]:
    low = min(Fraction(str(row["spm_start"])), Fraction(str(row["spm_end"]))) - tolerance
    high = max(Fraction(str(row["spm_start"])), Fraction(str(row["spm_end"]))) + tolerance
    divisor = 2 if unit == "strides" else 1
    return math.floor(low / divisor), math.ceil(high / divisor)


def check_fit(
    data: bytes,
    summary: dict[str, Any],
    *,
    tolerance: Fraction = Fraction(3),
    unit: str = "strides",
) -> list[dict[str, Any]]:
    """Decode ``data`` and compare it, step by step, with ``plans show --json`` output."""
    messages = decode(data)
    assert messages["file_id_mesgs"][0]["type"] == "workout"
    workout = messages["workout_mesgs"][0]
    assert workout["sport"] == "running"
    assert workout["wkt_name"] == summary["name"]
    steps = sorted(messages["workout_step_mesgs"], key=lambda m: m["message_index"])
    assert [m["message_index"] for m in steps] == list(range(len(steps)))
    assert workout["num_valid_steps"] == len(steps)
    played = play(steps)
    rows = summary["segments"]
    assert len(played) == len(rows)
    for step, row in zip(played, rows, strict=True):
        assert step["wkt_step_name"] == row["name"]
        assert step["duration_type"] == "time"
        assert step["duration_time"] == pytest.approx(float(row["duration_seconds"]), abs=5e-4)
        assert step["target_type"] == "cadence"
        assert step["target_value"] == 0
        low, high = expected_range(row, tolerance, unit)
        assert (step["custom_target_cadence_low"], step["custom_target_cadence_high"]) == (
            low,
            high,
        )
    total_ms = sum(s["duration_value"] for s in played)
    assert abs(total_ms - summary["total_seconds"] * 1000) <= len(played)
    return steps


def check_repeats(steps: list[dict[str, Any]], plan_items: tuple[Segment | Repeat, ...]) -> None:
    """Each repeat block of the plan (outside others) is one FIT repeat step of its count,
    looping over the block's expanded length."""

    def length(items: tuple[Segment | Repeat, ...]) -> int:
        return sum(i.times * length(i.segments) if isinstance(i, Repeat) else 1 for i in items)

    blocks = [i for i in plan_items if isinstance(i, Repeat) and i.times > 1]
    repeats = [s for s in steps if s["duration_type"] == "repeat_until_steps_cmplt"]
    assert [r["repeat_steps"] for r in repeats] == [b.times for b in blocks]
    for step, block in zip(repeats, blocks, strict=True):
        assert step["message_index"] - step["duration_step"] == length(block.segments)


def session_args(name: str) -> list[tuple[str, ...]]:
    program = load_program(name)
    return [("--week", str(w), "--session", str(s)) for w, s, _ in program.sessions()]


# --- FIT: every built-in plan and program session --------------------------------------------


@pytest.mark.parametrize("name", builtin_plan_names())
def test_every_builtin_plan_round_trips_through_garmins_decoder(runner, name):
    out = Path("w.fit")
    result = invoke(runner, "workout", name, "-o", str(out))
    assert result.exit_code == 0, result.output
    steps = check_fit(out.read_bytes(), shown(runner, name))
    check_repeats(steps, load_plan(name).segments)


def _program_sessions(limit: int | None) -> list[tuple[str, tuple[str, ...]]]:
    cases = []
    for program in builtin_program_names():
        args = session_args(program)
        cases += [(program, a) for a in (args if limit is None else args[:limit])]
    return cases


@pytest.mark.parametrize(("program", "args"), _program_sessions(limit=2))
def test_first_sessions_of_each_program_round_trip(runner, program, args):
    out = Path("s.fit")
    result = invoke(runner, "workout", program, *args, "-o", str(out))
    assert result.exit_code == 0, result.output
    steps = check_fit(out.read_bytes(), shown(runner, program, *args))
    week, session = int(args[1]), int(args[3])
    check_repeats(steps, load_program(program).session(week, session).segments)


@pytest.mark.slow
def test_every_program_session_round_trips(runner):
    for program, args in _program_sessions(limit=None):
        week, session = int(args[1]), int(args[3])
        plan = load_program(program).session(week, session)
        for spm in (None, 158):
            data = workout_bytes(resolve(plan, spm=spm), fmt="fit")
            extra = () if spm is None else ("--spm", str(spm))
            steps = check_fit(data, shown(runner, program, *args, *extra))
            check_repeats(steps, plan.segments)


# --- FIT: the details ---------------------------------------------------------------------------


def test_intensity_follows_each_segments_role(runner):
    result = invoke(runner, "workout", "intervals", "-o", "i.fit")
    assert result.exit_code == 0
    steps = sorted(
        decode(Path("i.fit").read_bytes())["workout_step_mesgs"], key=lambda m: m["message_index"]
    )
    got = [(s.get("wkt_step_name"), s.get("intensity")) for s in steps]
    assert got == [
        ("Warm-up walk", "warmup"),
        ("Run", "active"),
        ("Walk", "rest"),
        (None, None),
        ("Cool-down jog", "cooldown"),
    ]
    # the repeat step: back to step 1, six times in all
    assert steps[3]["duration_step"] == 1 and steps[3]["repeat_steps"] == 6


def test_breath_practice_opens_with_a_walk_as_warm_up():
    steps = decode(workout_bytes(resolve(load_plan("breath-practice")), fmt="fit"))
    intensities = [s["intensity"] for s in steps["workout_step_mesgs"]]
    assert intensities == [
        "warmup",
        "active",
        "rest",
        "active",
        "rest",
        "active",
        "active",
        "cooldown",
    ]


def test_steps_unit_tolerance_and_spm_option(runner):
    result = invoke(
        runner,
        "workout",
        "cadence-builder",
        "--spm",
        "166",
        "--tolerance",
        "2.5",
        "--fit-cadence",
        "steps",
        "-o",
        "b.fit",
    )
    assert result.exit_code == 0, result.output
    summary = shown(runner, "cadence-builder", "--spm", "166")
    steps = check_fit(Path("b.fit").read_bytes(), summary, tolerance=Fraction("2.5"), unit="steps")
    ramp = next(s for s in steps if s.get("wkt_step_name") == "Ramp up")
    # a ramp from 156 to 166 spm: the range it spans, widened by the tolerance
    assert (ramp["custom_target_cadence_low"], ramp["custom_target_cadence_high"]) == (153, 169)
    description = decode(Path("b.fit").read_bytes())["workout_mesgs"][0]["wkt_description"]
    assert "steps per minute" in description


def test_summary_line_counts_what_the_file_holds(runner):
    result = invoke(
        runner, "workout", "return-to-run", "--week", "3", "--session", "2", "-o", "r.fit"
    )
    assert result.exit_code == 0, result.output
    data = Path("r.fit").read_bytes()
    steps = decode(data)["workout_step_mesgs"]
    repeats = sum(s["duration_type"] == "repeat_until_steps_cmplt" for s in steps)
    summary = shown(runner, "return-to-run", "--week", "3", "--session", "2")
    minutes, seconds = divmod(round(summary["total_seconds"]), 60)
    assert result.stdout.strip() == (
        f"Wrote r.fit: {summary['name']}, {minutes}:{seconds:02d}, {len(summary['segments'])} "
        f"segments as {len(steps)} workout steps ({repeats} repeat block"
        f"{'' if repeats == 1 else 's'}), base 165 spm, cadence targets ±3 spm in strides per "
        f"minute, {len(data)} bytes"
    )


def test_nested_repeats_are_flattened_in_order_and_time(runner, tmp_path):
    plan = tmp_path / "nested.yaml"
    plan.write_text(
        "name: Nested\nspm: 170\nsegments:\n"
        "  - {name: Warm-up walk, duration: 2m, spm: 115}\n"
        "  - repeat: 2\n    segments:\n"
        "      - {name: Long, duration: 3m}\n"
        "      - repeat: 3\n        segments:\n"
        "          - {name: Fast, steps: 100, spm: 180}\n"
        "          - {name: Walk, duration: 45s, spm: 115}\n"
        "  - {name: Cool-down, duration: 2m, spm: [160, 150]}\n"
    )
    result = invoke(runner, "workout", str(plan), "-o", "n.fit")
    assert result.exit_code == 0, result.output
    steps = check_fit(Path("n.fit").read_bytes(), shown(runner, str(plan)))
    names = [s.get("wkt_step_name") for s in steps]
    # the inner block is unrolled inside the outer one, which stays a repeat
    assert names == [
        "Warm-up walk",
        "Long",
        "Fast",
        "Walk",
        "Fast",
        "Walk",
        "Fast",
        "Walk",
        None,
        "Cool-down",
    ]
    assert steps[8]["repeat_steps"] == 2 and steps[8]["duration_step"] == 1
    fast = steps[2]
    assert fast["duration_value"] == round(Fraction(100 * 60, 180) * 1000)  # 100 steps at 180 spm


def test_same_plan_same_bytes_and_different_plans_different_ids():
    one = workout_bytes(resolve(load_plan("steady")), fmt="fit")
    assert one == workout_bytes(resolve(load_plan("steady")), fmt="fit")
    other = workout_bytes(resolve(load_plan("steady"), spm=160), fmt="fit")
    serial = [decode(d)["file_id_mesgs"][0]["serial_number"] for d in (one, other)]
    assert serial[0] != serial[1]


def test_installed_command_writes_a_fit_file(tmp_path):
    out = tmp_path / "steady.fit"
    done = subprocess.run(
        [EXE, "workout", "steady", "--spm", "172", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "RUNCOACH_PLANS_DIR": str(tmp_path / "none")},
    )
    assert done.returncode == 0, done.stderr
    steps = decode(out.read_bytes())["workout_step_mesgs"]
    assert [s["custom_target_cadence_low"] for s in steps] == [
        (115 - 3) // 2,
        (172 - 3) // 2,
        (110 - 3) // 2,
    ]


def test_default_output_name_is_the_plans(runner):
    result = invoke(runner, "workout", "return-to-run", "--week", "1", "--session", "2")
    assert result.exit_code == 0, result.output
    assert Path("return-to-run-week-1-session-2.fit").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("intervals", "-o", "x.mp3"), "cannot tell the workout format"),
        (("intervals", "--fit-cadence", "feet", "-o", "x.fit"), "--fit-cadence"),
        (("intervals", "--tolerance", "31", "-o", "x.fit"), "--tolerance"),
        (("intervals", "--tolerance", "nan", "-o", "x.fit"), "--tolerance"),
        (("intervals", "--spm", "300", "-o", "x.fit"), "--spm"),
        (("intervals", "-o", "missing/x.fit"), "does not exist"),
        (("no-such-plan", "-o", "x.fit"), "unknown plan"),
        (("return-to-run", "-o", "x.fit"), "--week"),
        (("intervals", "--format", "gpx", "-o", "x.fit"), "--format"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(runner, args, message):
    result = invoke(runner, "workout", *args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("runcoach: error:") and message in lines[0]
    assert not Path("x.fit").exists()


# --- Zwift ------------------------------------------------------------------------------------


def zwo_steps(data: bytes) -> tuple[ET.Element, list[ET.Element]]:
    root = ET.fromstring(data)
    body = root.find("workout")
    assert body is not None
    return root, list(body)


@pytest.mark.parametrize("name", builtin_plan_names())
def test_zwo_round_trip(runner, name):
    result = invoke(runner, "workout", name, "--spm", "168", "-o", "w.zwo")
    assert result.exit_code == 0, result.output
    root, elements = zwo_steps(Path("w.zwo").read_bytes())
    assert root.findtext("sportType") == "run"
    summary = shown(runner, name, "--spm", "168")
    assert root.findtext("name") == summary["name"]
    assert len(elements) == len(summary["segments"])
    for element, row in zip(elements, summary["segments"], strict=True):
        assert float(element.get("Duration")) == pytest.approx(
            float(row["duration_seconds"]), abs=5e-4
        )
        start, end = Fraction(str(row["spm_start"])), Fraction(str(row["spm_end"]))
        events = element.findall("textevent")
        assert events[0].get("message") == row["name"] and events[0].get("timeoffset") == "0"
        if start == end:
            assert element.tag == "SteadyState" and element.get("Cadence") == str(round(start))
        else:
            assert element.tag == "Ramp"
            assert (element.get("CadenceLow"), element.get("CadenceHigh")) == (
                str(round(start)),
                str(round(end)),
            )


# --- export --format fit: a whole program as watch workouts ----------------------------------


def test_export_a_program_as_fit_workouts(runner):
    result = invoke(runner, "export", "cadence-builder-6w", "watch", "--spm", "162", "-f", "fit")
    assert result.exit_code == 0, result.output
    program = load_program("cadence-builder-6w")
    files = sorted(Path("watch").glob("*.fit"))
    assert len(files) == sum(len(w.sessions) for w in program.weeks)
    assert not list(Path("watch").glob("*.m3u"))  # a playlist is for audio
    for path, (w, s, _) in zip(files, program.sessions(), strict=True):
        assert path.name.startswith(f"w{w:02d}-s{s}-")
        summary = shown(
            runner, "cadence-builder-6w", "--week", str(w), "--session", str(s), "--spm", "162"
        )
        check_fit(path.read_bytes(), summary)
    # Skip-if-current, as for audio; another tolerance is another file content.
    again = invoke(runner, "export", "cadence-builder-6w", "watch", "--spm", "162", "-f", "fit")
    assert f"0 written, {len(files)} up to date" in again.stdout
    wider = invoke(
        runner,
        "export",
        "cadence-builder-6w",
        "watch",
        "--spm",
        "162",
        "-f",
        "fit",
        "--tolerance",
        "5",
    )
    assert f"{len(files)} written" in wider.stdout
    check_fit(
        files[0].read_bytes(),
        shown(runner, "cadence-builder-6w", "--week", "1", "--session", "1", "--spm", "162"),
        tolerance=Fraction(5),
    )
