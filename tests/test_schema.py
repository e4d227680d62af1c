"""The JSON Schemas of plans and programs, checked with ``jsonschema`` against the loader.

The loader is the reference: every plan it accepts, the schema accepts; and the schema rejects
what the issue names (out-of-range cadence, unknown keys, empty segment lists, ``repeat`` below
1) plus a segment with both or neither of duration and steps. Plans are read with PyYAML
(YAML 1.1: unquoted ``4:6`` and ``1:30`` become numbers, ``off`` becomes false), the harder
case for a schema; the loader reads the raw text.
"""

from __future__ import annotations

import json
import random
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from runcoach.cli import app
from runcoach.errors import PlanError
from runcoach.plans.catalogue import parse_any
from runcoach.plans.loader import PLAN_KEYS, REPEAT_KEYS, SEGMENT_KEYS, parse_plan
from runcoach.plans.model import SOUND_NAMES
from runcoach.plans.programs import MAX_OFFSET, PROGRAM_KEYS, SESSION_KEYS, WEEK_KEYS
from runcoach.plans.schema import plan_schema, program_schema
from runcoach.plans.units import MAX_BREATH_STEPS, MAX_SPM, MIN_SPM
from runcoach.timeline import resolve


@pytest.fixture(autouse=True)
def _empty_plans_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNCOACH_PLANS_DIR", str(tmp_path / "user-plans"))


PLAN = jsonschema.Draft7Validator(plan_schema())
PROGRAM = jsonschema.Draft7Validator(program_schema())


def schema_errors(text: str, validator: jsonschema.Draft7Validator = PLAN) -> list[str]:
    return [e.message for e in validator.iter_errors(yaml.safe_load(text))]


def loader_accepts(text: str) -> bool:
    """The loader's verdict: it parses, and resolves at its own base cadence."""
    try:
        item = parse_any(text, source="t.yaml")
        plans = [item] if not hasattr(item, "weeks") else [p for _, _, p in item.sessions()]
        for plan in plans:
            resolve(plan)
    except PlanError:
        return False
    return True


def test_the_schemas_are_valid_draft7_and_plain_json():
    for schema in (plan_schema(), program_schema()):
        jsonschema.Draft7Validator.check_schema(schema)
        assert json.loads(json.dumps(schema)) == schema


def test_the_schema_knows_the_loaders_keys_and_limits():
    definitions = plan_schema()["definitions"]
    assert set(plan_schema()["properties"]) == set(PLAN_KEYS)
    assert set(definitions["segment"]["properties"]) == set(SEGMENT_KEYS)
    assert set(definitions["repeat"]["properties"]) == set(REPEAT_KEYS)
    program = program_schema()
    assert set(program["properties"]) == set(PROGRAM_KEYS)
    assert set(program["definitions"]["week"]["anyOf"][0]["properties"]) == set(WEEK_KEYS)
    session_map = program["definitions"]["session"]["anyOf"][1]["then"]["properties"]
    assert set(session_map) == set(SESSION_KEYS)
    # the hand-written number patterns encode these limits
    assert (MIN_SPM, MAX_SPM, MAX_BREATH_STEPS, MAX_OFFSET) == (60, 240, 16, 100)
    assert all(name in json.dumps(definitions["sound"]) for name in SOUND_NAMES)


def test_the_command_prints_the_schemas(tmp_path):
    runner = CliRunner()
    out = runner.invoke(app, ["plans", "schema"])
    assert out.exit_code == 0 and json.loads(out.stdout) == plan_schema()
    out = runner.invoke(app, ["plans", "schema", "--program"])
    assert out.exit_code == 0 and json.loads(out.stdout) == program_schema()


def _builtin_texts(folder: str = "") -> list[tuple[str, str]]:
    root = resources.files("runcoach.plans")
    if folder:
        root = root / folder
    return [(e.name, e.read_text()) for e in root.iterdir() if e.name.endswith(".yaml")]


@pytest.mark.parametrize(("name", "text"), _builtin_texts())
def test_builtin_plans_are_valid(name, text):
    assert schema_errors(text) == []


@pytest.mark.parametrize(("name", "text"), _builtin_texts("programs"))
def test_builtin_programs_are_valid(name, text):
    assert schema_errors(text, PROGRAM) == []
    assert schema_errors(text) != []  # a program is not a plan


def test_the_starter_files_are_valid():
    from runcoach.library import starter_plan, starter_program

    assert schema_errors(starter_plan("hill-repeats")) == []
    assert schema_errors(starter_program("my-program"), PROGRAM) == []


# Plans written the way people write them, never seen by the project: every one loads, and the
# schema accepts it.
VALID = [
    "segments:\n  - {name: Run, duration: 20m}\n",
    "segments:\n  - name: Run\n    duration: 1:30\n    breath: 4:6\n",  # unquoted: YAML numbers
    "segments:\n  - {name: Run, duration: '1:05:00', breath: '3:2', sound: beep}\n",
    "segments:\n  - {name: Walk, duration: 90s, breath: off, sound: off, spm: 110}\n",
    "segments:\n  - {name: Walk, duration: 2.5min, breath: 'OFF', sound: NONE}\n",
    "segments:\n  - {name: Walk, duration: 1h5m, breath: no, spm: '95%'}\n",
    "segments:\n  - {name: Strides, steps: 200, spm: '+10'}\n",
    "segments:\n  - {name: Strides, steps: '40', spm: -10}\n",  # unquoted -10 is relative
    "segments:\n  - {name: R, duration: 1m 30s, spm: ['-10', '+0']}\n",
    "segments:\n  - {name: R, duration: 45 sec, spm: [150, 180]}\n",
    "segments:\n  - {name: R, duration: 1 minute, spm: ['95%', 200.5]}\n",
    "segments:\n  - {name: R, duration: 2 hours}\n",
    "segments:\n  - {name: R, duration: 0:45, spm: ' 170 '}\n",
    "spm: 180\nbreath: '2:2'\nsound: Cowbell\nsegments:\n  - {name: R, duration: 10s}\n",
    "spm: '165.5'\nsegments:\n  - {name: R, duration: 10s, spm: '50%'}\n",
    "name: 2024\ndescription: 7\nsegments:\n  - {name: 5, duration: 10s}\n",
    "name: null\ndescription:\nspm:\nbreath:\nsound:\nsegments:\n  - {name: R, duration: 10s}\n",
    "segments:\n  - {name: R, duration: 10s, steps: null}\n",
    "segments:\n  - {name: R, steps: 10, duration: null, spm: null, breath: null, sound: null}\n",
    "segments:\n  - repeat: 3\n    segments:\n      - {name: Run, duration: 2m}\n",
    "segments:\n  - repeat: '2'\n    name: Block\n    segments:\n      - repeat: 2\n"
    "        segments: [{name: In, duration: 5s}]\n",
    "segments:\n  - {name: R, duration: 10s, breath: '16:16'}\n",
    "segments:\n  - {name: R, duration: 10s, breath: 16:16}\n",
    "segments:\n  - {name: R, duration: 10s, breath: 0}\n",
    "breath: 3:2\nsegments:\n  - {name: R, duration: 10s}\n",
    "spm: 60\nsegments:\n  - {name: R, duration: 10s, spm: '+180'}\n",
    "spm: 240\nsegments:\n  - {name: R, duration: 10s, spm: '-180'}\n",
    "segments:\n  - {name: R, duration: 24h}\n",
]


@pytest.mark.parametrize("text", VALID)
def test_valid_plans_load_and_match_the_schema(text):
    assert loader_accepts(text), text
    assert schema_errors(text) == [], text


# Broken plans: the loader refuses each, and so does the schema.
INVALID = [
    # out-of-range cadence
    "segments:\n  - {name: R, duration: 1m, spm: 1000}\n",
    "segments:\n  - {name: R, duration: 1m, spm: 59}\n",
    "segments:\n  - {name: R, duration: 1m, spm: 240.5}\n",
    "segments:\n  - {name: R, duration: 1m, spm: '300'}\n",
    "segments:\n  - {name: R, duration: 1m, spm: '+500'}\n",
    "segments:\n  - {name: R, duration: 1m, spm: '-181'}\n",
    "segments:\n  - {name: R, duration: 1m, spm: '1000%'}\n",
    "segments:\n  - {name: R, duration: 1m, spm: '10%'}\n",
    "segments:\n  - {name: R, duration: 1m, spm: [150, 250]}\n",
    "segments:\n  - {name: R, duration: 1m, spm: [150, 160, 170]}\n",
    "spm: 20\nsegments:\n  - {name: R, duration: 1m}\n",
    "spm: '+5'\nsegments:\n  - {name: R, duration: 1m}\n",
    "segments:\n  - repeat: 2\n    segments:\n      - {name: R, duration: 1m, spm: 400}\n",
    # unknown keys
    "segmnts: []\nsegments:\n  - {name: R, duration: 1m}\n",
    "segments:\n  - {name: R, duration: 1m, cadence: 170}\n",
    "segments:\n  - {name: R, duration: 1m, Spm: 170}\n",
    "segments:\n  - repeat: 2\n    times: 3\n    segments: [{name: R, duration: 1m}]\n",
    # empty segment lists
    "segments: []\n",
    "segments:\n  - repeat: 2\n    segments: []\n",
    "name: Nothing\n",
    # repeat below 1
    "segments:\n  - repeat: 0\n    segments: [{name: R, duration: 1m}]\n",
    "segments:\n  - repeat: -2\n    segments: [{name: R, duration: 1m}]\n",
    "segments:\n  - repeat: '0'\n    segments: [{name: R, duration: 1m}]\n",
    "segments:\n  - repeat: 1.5\n    segments: [{name: R, duration: 1m}]\n",
    # duration and steps
    "segments:\n  - {name: R, duration: 1m, steps: 100}\n",
    "segments:\n  - {name: R}\n",
    "segments:\n  - {name: R, steps: 0}\n",
    "segments:\n  - {name: R, duration: soon}\n",
    # other values
    "segments:\n  - {duration: 1m}\n",
    "segments:\n  - {name: R, duration: 1m, breath: '4:20'}\n",
    "segments:\n  - {name: R, duration: 1m, breath: fast}\n",
    "segments:\n  - {name: R, duration: 1m, sound: trumpet}\n",
    "segments: {name: R, duration: 1m}\n",
    "segments:\n  - Run for a minute\n",
]


@pytest.mark.parametrize("text", INVALID)
def test_broken_plans_are_refused_by_both(text):
    assert not loader_accepts(text), text
    assert schema_errors(text) != [], text


def _random_cadence(rng: random.Random, quoted: bool = True) -> Any:
    kind = rng.choice(["abs", "abs_text", "rel", "pct"])
    if kind == "abs":
        return rng.choice([rng.randint(100, 200), round(rng.uniform(100, 200), 1)])
    if kind == "abs_text":
        return str(rng.randint(100, 200))
    if kind == "rel":
        return f"{rng.choice('+-')}{rng.randint(0, 20)}"
    return f"{rng.randint(80, 110)}%"


def _random_items(rng: random.Random, depth: int) -> list[Any]:
    items: list[Any] = []
    for i in range(rng.randint(1, 4)):
        if depth < 3 and rng.random() < 0.25:
            block: dict[str, Any] = {
                "repeat": rng.randint(1, 4),
                "segments": _random_items(rng, depth + 1),
            }
            if rng.random() < 0.5:
                block["name"] = f"Block {i}"
            items.append(block)
            continue
        seg: dict[str, Any] = {"name": rng.choice(["Run", "Walk", "Jog", "Ease off", f"S{i}"])}
        if rng.random() < 0.7:
            seg["duration"] = rng.choice(["90s", "2m", "1m30s", "1:30", "0:45", "2.5min", "10 sec"])
        else:
            seg["steps"] = rng.randint(1, 500)
        if rng.random() < 0.6:
            seg["spm"] = (
                [_random_cadence(rng), _random_cadence(rng)]
                if rng.random() < 0.3
                else _random_cadence(rng)
            )
        if rng.random() < 0.4:
            seg["breath"] = rng.choice(["4:6", "3:2", "2:2", "off", "1:16", False])
        if rng.random() < 0.2:
            seg["sound"] = rng.choice([*SOUND_NAMES, "off"])
        items.append(seg)
    return items


def _random_plan(rng: random.Random) -> dict[str, Any]:
    plan: dict[str, Any] = {"segments": _random_items(rng, 0)}
    if rng.random() < 0.8:
        plan["name"] = "Random plan"
    if rng.random() < 0.5:
        plan["spm"] = rng.randint(140, 200)
    if rng.random() < 0.5:
        plan["breath"] = rng.choice(["4:6", "3:3", "off"])
    return plan


@pytest.mark.parametrize("seed", range(150))
def test_generated_plans_agree(seed):
    """Plans generated from the grammar: the loader accepts each, and so does the schema; a
    mutation the issue names (unknown key, cadence out of range, empty list, repeat 0) makes
    both refuse."""
    rng = random.Random(seed)
    plan = _random_plan(rng)
    text = yaml.safe_dump(plan, sort_keys=False)
    assert loader_accepts(text), text
    assert schema_errors(text) == [], text

    broken = json.loads(json.dumps(plan))
    target = broken["segments"]
    while isinstance(target[0], dict) and "repeat" in target[0] and rng.random() < 0.7:
        target = target[0]["segments"]
    mutation = rng.choice(["key", "spm", "empty", "repeat"])
    if mutation == "key":
        target[0]["tempo"] = 3
    elif mutation == "spm":
        if "repeat" in target[0]:
            target[0] = {"name": "Fast", "duration": "1m", "spm": rng.choice([241, 30, "999"])}
        else:
            target[0]["spm"] = rng.choice([241, 30, "999", "+400", "5%", [170, 999]])
    elif mutation == "empty":
        if "repeat" in target[0]:
            target[0]["segments"] = []
        else:
            broken["segments"] = []
    else:
        target.append({"repeat": 0, "segments": [{"name": "R", "duration": "1m"}]})
    text = yaml.safe_dump(broken, sort_keys=False)
    assert not loader_accepts(text), text
    assert schema_errors(text) != [], text


PROGRAMS_VALID = [
    "weeks: [[steady]]\n",
    "name: P\nspm: 160\nweeks:\n  - name: Week 1\n    spm: '+2'\n    sessions: [steady, intervals]\n",
    "weeks:\n  - sessions:\n      - {plan: steady, spm: -3}\n      - {plan: steady, spm: '+1.5'}\n",
    "weeks:\n  - sessions:\n      - name: Inline\n        segments: [{name: R, duration: 10m}]\n",
    "weeks:\n  - [steady]\n  - description: easy\n    spm: 0\n    sessions: [pyramid]\n",
]
PROGRAMS_INVALID = [
    "weeks: []\n",
    "weeks:\n  - sessions: []\n",
    "weeks:\n  - {sessions: [steady], colour: red}\n",
    "weeks: [[steady]]\nsegments: [{name: R, duration: 1m}]\n",
    "weeks:\n  - sessions: [steady]\n    spm: '+500'\n",
    "weeks:\n  - sessions: [steady]\n    spm: '95%'\n",
    "weeks:\n  - sessions: [{plan: steady, when: monday}]\n",
    "weeks:\n  - sessions: [{name: No segments}]\n",
    "weeks:\n  - sessions:\n      - segments: [{name: R, duration: 1m, spm: 999}]\n",
    "weeks:\n  - sessions:\n      - segments: []\n",
]


@pytest.mark.parametrize("text", PROGRAMS_VALID)
def test_valid_programs_load_and_match_the_program_schema(text):
    assert loader_accepts(text), text
    assert schema_errors(text, PROGRAM) == [], text


@pytest.mark.parametrize("text", PROGRAMS_INVALID)
def test_broken_programs_are_refused_by_both(text):
    assert not loader_accepts(text), text
    assert schema_errors(text, PROGRAM) != [], text


def test_the_schema_accepts_what_parse_plan_builds_from_a_dict():
    plan = {"name": "Dict", "segments": [{"name": "R", "duration": "2m", "spm": [150, "+5"]}]}
    parse_plan(plan)
    assert list(PLAN.iter_errors(plan)) == []
