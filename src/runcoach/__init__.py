"""runcoach: a cadence and breathing coach for runners.

Metronome clicks at 160–180 steps per minute, breath cues (inhale over 4 steps, exhale over 6 by
default) and run/walk interval plans, rendered to audio files or played live.

The Python API (imported lazily, so ``import runcoach`` stays instant)::

    import runcoach
    plan = runcoach.load_plan("intervals")          # a built-in name or a YAML file path
    runcoach.render(plan, "run.wav", spm=172, breath="4:6", stereo=True)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from runcoach._version import __version__

_LAZY = {
    **dict.fromkeys(
        (
            "load_plan",
            "parse_plan",
            "builtin_plan_names",
            "builtin_program_names",
            "load_program",
            "user_plans_dir",
            "parse_program",
            "Program",
            "Week",
            "ProgramSession",
            "Progression",
            "Plan",
            "Segment",
            "Repeat",
            "Breath",
            "Cadence",
        ),
        "runcoach.plans",
    ),
    "Journal": "runcoach.coach.journal",
    "segments": "runcoach.outlines",
    "outline": "runcoach.outlines",
    "resolve": "runcoach.timeline",
    "render": "runcoach.rendering",
    **dict.fromkeys(
        ("RunCoachError", "PlanError", "OptionError", "OutputError", "PlaybackError"),
        "runcoach.errors",
    ),
}

__all__ = [
    "Breath",
    "Cadence",
    "Journal",
    "OptionError",
    "OutputError",
    "Plan",
    "PlanError",
    "PlaybackError",
    "Program",
    "ProgramSession",
    "Progression",
    "Repeat",
    "RunCoachError",
    "Segment",
    "Week",
    "__version__",
    "builtin_plan_names",
    "builtin_program_names",
    "load_plan",
    "load_program",
    "outline",
    "parse_plan",
    "parse_program",
    "render",
    "resolve",
    "segments",
    "user_plans_dir",
]

if TYPE_CHECKING:
    from runcoach.coach.journal import Journal
    from runcoach.errors import (
        OptionError,
        OutputError,
        PlanError,
        PlaybackError,
        RunCoachError,
    )
    from runcoach.outlines import outline, segments
    from runcoach.plans import (
        Breath,
        Cadence,
        Plan,
        Program,
        ProgramSession,
        Progression,
        Repeat,
        Segment,
        Week,
        builtin_plan_names,
        builtin_program_names,
        load_plan,
        load_program,
        parse_plan,
        parse_program,
        user_plans_dir,
    )
    from runcoach.rendering import render
    from runcoach.timeline import resolve


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runcoach' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
