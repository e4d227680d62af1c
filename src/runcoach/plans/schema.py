"""JSON Schemas of the plan and program formats, for editors and other tools.

Generated from the model's limits, so they cannot drift from the loader. They accept every plan
the loader accepts, read either the YAML 1.2 way (editors: ``breath: 4:6`` is text) or the
YAML 1.1 way (PyYAML: unquoted ``4:6`` and ``1:30`` become the numbers 246 and 90, ``off`` becomes
``false``), and reject what no base cadence can make valid: a cadence outside 60–240 (or a
relative one beyond ±180, a share outside 25–400 %), unknown keys, empty segment lists, a
``repeat`` below 1, a segment with both or neither of ``duration`` and ``steps``.

What only a base cadence can decide (``"+30"`` on a base of 220) is left to
``runcoach plans validate``. Relative cadences must be quoted (``"+5"``): every YAML reader turns
an unquoted ``+5`` into the number 5.
"""

from __future__ import annotations

import re
from typing import Any

from runcoach.plans.model import SOUND_NAMES, SOUND_OFF
from runcoach.plans.programs import (
    MAX_OFFSET,
    MAX_REST_DAYS,
    MAX_SESSIONS,
    MAX_WEEKS,
    PROGRESSION_RANGES,
)
from runcoach.plans.units import DURATION_UNITS, MAX_SEGMENTS, MAX_SPM, MAX_TOTAL_SECONDS, MIN_SPM

DRAFT = "http://json-schema.org/draft-07/schema#"

# Number patterns for the limits (60-240 spm; relative ±180; a share of 25-400 %; breath phases of
# 1-16 steps; cadence changes within ±100). tests/test_schema.py checks them against the model.
_ABS = r"0*(?:(?:6\d|[7-9]\d|1\d\d|2[0-3]\d)(?:\.\d+)?|240(?:\.0+)?)"
_REL = r"[+-]\s*0*(?:(?:\d{1,2}|1[0-7]\d)(?:\.\d+)?|180(?:\.0+)?)"
_PCT = r"0*(?:(?:2[5-9]|[3-9]\d|[1-3]\d\d)(?:\.\d+)?|400(?:\.0+)?)\s*%"
_BREATH_STEPS = r"0*(?:[1-9]|1[0-6])"
_OFFSET = r"[+-]?\s*0*(?:\d{1,2}(?:\.\d+)?|100(?:\.0+)?)"


def _ci(word: str) -> str:
    """A case-insensitive regular expression for ``word`` (JSON Schema patterns have no flags)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


def _words(*words: str) -> str:
    return r"^\s*(?:" + "|".join(_ci(w) for w in words) + r")\s*$"


def _definitions() -> dict[str, Any]:
    units = "|".join(_ci(u) for u in sorted(DURATION_UNITS, key=len, reverse=True))
    text = {"type": "string", "pattern": r"\S", "maxLength": 200}
    cadence = {
        "description": 'A cadence: 170 (steps per minute, 60-240), "+5" or "-10" (relative to '
        'the base cadence; quote it), or "95%" (a share of the base).',
        "anyOf": [
            {"type": "number", "minimum": MIN_SPM, "maximum": MAX_SPM},
            {
                "description": "an unquoted -10: relative to the base cadence",
                "type": "number",
                "minimum": -(MAX_SPM - MIN_SPM),
                "exclusiveMaximum": 0,
            },
            {"type": "string", "pattern": rf"^\s*(?:{_ABS}|{_REL}|{_PCT})\s*$"},
        ],
    }
    base_spm = {
        "description": "The base cadence in steps per minute (60-240): segments without spm run "
        "at it and relative ones follow it; --spm on the command line replaces it.",
        "anyOf": [
            {"type": "number", "minimum": MIN_SPM, "maximum": MAX_SPM},
            {"type": "string", "pattern": rf"^\s*{_ABS}\s*$"},
            {"type": "null"},
        ],
    }
    sexagesimal = [{"minimum": a * 60 + 1, "maximum": a * 60 + 16} for a in range(1, 17)]
    breath = {
        "description": 'Breath pattern "IN:OUT" in steps (1-16 each), e.g. "4:6" or "3:2"; or off.',
        "anyOf": [
            {
                "type": "string",
                "pattern": rf"^\s*{_BREATH_STEPS}\s*:\s*{_BREATH_STEPS}\s*$",
            },
            {"type": "string", "pattern": _words("off", "false", "no", "none", "0")},
            {"enum": [False, None, 0]},
            {
                "description": "an unquoted 4:6 read by a YAML 1.1 parser (4 * 60 + 6)",
                "type": "integer",
                "anyOf": sexagesimal,
            },
        ],
    }
    sound = {
        "description": f"Click sound: {', '.join(SOUND_NAMES)}, or {SOUND_OFF}.",
        "anyOf": [
            {"type": "string", "pattern": _words(*SOUND_NAMES, SOUND_OFF, "none", "false", "no")},
            {"enum": [False, None]},
        ],
    }
    duration = {
        "description": "A duration: 90s, 2m, 1m30s, 1h5m, 2.5min, 1:30 (m:ss) or 1:05:00 "
        "(h:mm:ss); at most 24 hours.",
        "anyOf": [
            {
                "type": "string",
                "pattern": rf"^\s*(?:\d+(?:\.\d+)?\s*(?:{units})\s*)+$",
            },
            {"type": "string", "pattern": r"^\s*(?:\d+:)?\d+:\d{2}(?:\.\d+)?\s*$"},
            {
                "description": "an unquoted 1:30 read by a YAML 1.1 parser (90 seconds)",
                "type": "number",
                "minimum": 60,
                "maximum": MAX_TOTAL_SECONDS,
            },
        ],
    }
    steps = {
        "description": "A whole number of steps: the segment lasts until that step would fall.",
        "anyOf": [
            {"type": "integer", "minimum": 1, "maximum": MAX_TOTAL_SECONDS * MAX_SPM // 60},
            {"type": "string", "pattern": r"^\s*0*[1-9]\d*\s*$"},
        ],
    }
    ramp = {
        "description": "A linear ramp from the first cadence to the second.",
        "type": "array",
        "minItems": 2,
        "maxItems": 2,
        "items": {"$ref": "#/definitions/cadence"},
    }
    segment = {
        "description": "A segment: a name and exactly one of duration or steps; spm, breath "
        "and sound default to the plan's.",
        "type": "object",
        "properties": {
            "name": {"$ref": "#/definitions/text"},
            "duration": {"anyOf": [{"$ref": "#/definitions/duration"}, {"type": "null"}]},
            "steps": {"anyOf": [{"$ref": "#/definitions/steps"}, {"type": "null"}]},
            "spm": {
                "anyOf": [
                    {"$ref": "#/definitions/cadence"},
                    {"$ref": "#/definitions/ramp"},
                    {"type": "null"},
                ]
            },
            "breath": {"$ref": "#/definitions/breath"},
            "sound": {"$ref": "#/definitions/sound"},
        },
        "required": ["name"],
        "additionalProperties": False,
        "oneOf": [
            {
                "required": ["duration"],
                "properties": {"duration": {"not": {"type": "null"}}, "steps": {"type": "null"}},
            },
            {
                "required": ["steps"],
                "properties": {"steps": {"not": {"type": "null"}}, "duration": {"type": "null"}},
            },
        ],
    }
    repeat = {
        "description": "A block of segments played `repeat` times in a row (blocks nest).",
        "type": "object",
        "properties": {
            "repeat": {
                "description": "How many times to play the block: a whole number, at least 1.",
                "anyOf": [
                    {"type": "integer", "minimum": 1, "maximum": MAX_SEGMENTS},
                    {"type": "string", "pattern": r"^\s*\+?0*[1-9]\d*\s*$"},
                ],
            },
            "segments": {"$ref": "#/definitions/segments"},
            "name": {"anyOf": [{"$ref": "#/definitions/text"}, {"type": "null"}]},
        },
        "required": ["repeat", "segments"],
        "additionalProperties": False,
    }
    item = {
        "if": {"type": "object", "required": ["repeat"]},
        "then": {"$ref": "#/definitions/repeat"},
        "else": {"$ref": "#/definitions/segment"},
    }
    segments = {
        "description": "The segments in play order: at least one.",
        "type": "array",
        "minItems": 1,
        "items": {"$ref": "#/definitions/item"},
    }
    plan = {
        "description": "A runcoach plan: a session of segments with cadence and breath cues.",
        "type": "object",
        "properties": {
            "name": {"anyOf": [{"$ref": "#/definitions/text"}, {"type": "null"}]},
            "description": {"anyOf": [{"type": ["string", "number", "boolean"]}, {"type": "null"}]},
            "spm": {"$ref": "#/definitions/base_spm"},
            "breath": {"$ref": "#/definitions/breath"},
            "sound": {"$ref": "#/definitions/sound"},
            "segments": {"$ref": "#/definitions/segments"},
        },
        "required": ["segments"],
        "additionalProperties": False,
    }
    return {
        "text": {
            "description": "Text (a YAML number or true/false is read as its text).",
            "anyOf": [text, {"type": "number"}, {"type": "boolean"}],
        },
        "cadence": cadence,
        "base_spm": base_spm,
        "ramp": ramp,
        "breath": breath,
        "sound": sound,
        "duration": duration,
        "steps": steps,
        "segment": segment,
        "repeat": repeat,
        "item": item,
        "segments": segments,
        "plan": plan,
    }


def plan_schema() -> dict[str, Any]:
    """The JSON Schema (draft-07) of a plan file."""
    definitions = _definitions()
    root = dict(definitions["plan"])
    return {
        "$schema": DRAFT,
        "title": "runcoach plan",
        **root,
        "definitions": definitions,
    }


def program_schema() -> dict[str, Any]:
    """The JSON Schema (draft-07) of a program file (weeks of sessions)."""
    definitions = _definitions()
    offset = {
        "description": 'A cadence change in steps per minute, e.g. "+2" or "-3" (added to the '
        "base cadence of every session it applies to).",
        "anyOf": [
            {"type": "number", "minimum": -MAX_OFFSET, "maximum": MAX_OFFSET},
            {"type": "string", "pattern": rf"^\s*{_OFFSET}\s*$"},
            {"type": "null"},
        ],
    }
    reference = {
        "description": "A plan by name (a file next to the program, one of yours, or a built-in) "
        "or by path.",
        "type": "string",
        "pattern": r"\S",
    }
    session = {
        "description": 'A session: a plan name, {plan: NAME, spm: "+2"}, or a whole plan inline.',
        "anyOf": [
            {"$ref": "#/definitions/reference"},
            {
                "type": "object",
                "if": {"required": ["plan"]},
                "then": {
                    "properties": {
                        "plan": {"$ref": "#/definitions/reference"},
                        "spm": {"$ref": "#/definitions/offset"},
                    },
                    "additionalProperties": False,
                },
                "else": {"$ref": "#/definitions/plan"},
            },
        ],
    }
    sessions = {
        "description": "The sessions of the week, in order.",
        "type": "array",
        "minItems": 1,
        "maxItems": MAX_SESSIONS,
        "items": {"$ref": "#/definitions/session"},
    }
    week = {
        "description": "A week: its sessions, an optional cadence change and a name.",
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "name": {"anyOf": [{"$ref": "#/definitions/text"}, {"type": "null"}]},
                    "description": {
                        "anyOf": [{"type": ["string", "number", "boolean"]}, {"type": "null"}]
                    },
                    "spm": {"$ref": "#/definitions/offset"},
                    "sessions": {"$ref": "#/definitions/sessions"},
                },
                "required": ["sessions"],
                "additionalProperties": False,
            },
            {"$ref": "#/definitions/sessions"},
        ],
    }
    program = {
        "description": "A runcoach program: weeks of sessions, each a plan.",
        "type": "object",
        "properties": {
            "name": {"anyOf": [{"$ref": "#/definitions/text"}, {"type": "null"}]},
            "description": {"anyOf": [{"type": ["string", "number", "boolean"]}, {"type": "null"}]},
            "spm": {"$ref": "#/definitions/base_spm"},
            "rest_days": {
                "description": "Rest days the program asks for between runs (the coach's "
                "`today` says when a run comes too soon).",
                "type": "integer",
                "minimum": 0,
                "maximum": MAX_REST_DAYS,
            },
            "progression": _progression(),
            "weeks": {
                "description": "The weeks, in order.",
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_WEEKS,
                "items": {"$ref": "#/definitions/week"},
            },
        },
        "required": ["weeks"],
        "additionalProperties": False,
    }
    definitions.update(
        offset=offset, reference=reference, session=session, sessions=sessions, week=week
    )
    return {"$schema": DRAFT, "title": "runcoach program", **program, "definitions": definitions}


def _progression() -> dict[str, Any]:
    """The schema of a program's optional ``progression:`` thresholds."""
    return {
        "description": "Thresholds of the progression rule (pain is the runner's own 0-10 "
        "score; see the README's coach section).",
        "type": "object",
        "properties": {
            name: {"type": "integer", "minimum": low, "maximum": high}
            for name, low, high in PROGRESSION_RANGES
        },
        "additionalProperties": False,
    }
