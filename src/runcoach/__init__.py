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

__version__ = "0.1.0"

_LAZY = {
    "load_plan": "runcoach.plans.loader",
    "parse_plan": "runcoach.plans.loader",
    "builtin_plan_names": "runcoach.plans.loader",
    "builtin_program_names": "runcoach.plans.loader",
    "load_program": "runcoach.plans.loader",
    "user_plans_dir": "runcoach.plans.loader",
    "parse_program": "runcoach.plans.programs",
    "Program": "runcoach.plans.programs",
    "Week": "runcoach.plans.programs",
    "ProgramSession": "runcoach.plans.programs",
    "segments": "runcoach.outlines",
    "outline": "runcoach.outlines",
    "Plan": "runcoach.plans.model",
    "Segment": "runcoach.plans.model",
    "Repeat": "runcoach.plans.model",
    "Breath": "runcoach.plans.model",
    "Cadence": "runcoach.plans.model",
    "resolve": "runcoach.timeline",
    "render": "runcoach.rendering",
    "RunCoachError": "runcoach.errors",
    "PlanError": "runcoach.errors",
    "OptionError": "runcoach.errors",
    "OutputError": "runcoach.errors",
    "PlaybackError": "runcoach.errors",
}

__all__ = [
    "Breath",
    "Cadence",
    "OptionError",
    "OutputError",
    "Plan",
    "PlanError",
    "PlaybackError",
    "Program",
    "ProgramSession",
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
    from runcoach.errors import (
        OptionError,
        OutputError,
        PlanError,
        PlaybackError,
        RunCoachError,
    )
    from runcoach.outlines import outline, segments
    from runcoach.plans.loader import (
        builtin_plan_names,
        builtin_program_names,
        load_plan,
        load_program,
        parse_plan,
        user_plans_dir,
    )
    from runcoach.plans.model import Breath, Cadence, Plan, Repeat, Segment
    from runcoach.plans.programs import Program, ProgramSession, Week, parse_program
    from runcoach.rendering import render
    from runcoach.timeline import resolve


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runcoach' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
