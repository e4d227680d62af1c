"""Plans: the plan and program model, the YAML tree and builders, and the catalogue of plans.

- :mod:`~runcoach.plans.units`: every limit, number parser and formatter (one home per rule);
- :mod:`~runcoach.plans.model`: segments, repeats, cadence, breath, plans;
- :mod:`~runcoach.plans.programs`: weeks of sessions and the progression thresholds;
- :mod:`~runcoach.plans.tree`: YAML read into nodes with line numbers (the only YAML reader);
- :mod:`~runcoach.plans.loader`: the plan builder and plan files by name or path;
- :mod:`~runcoach.plans.catalogue`: programs from YAML, and plans or programs by name;
- :mod:`~runcoach.plans.schema`: the JSON Schema of both formats.

Built-in plans are the ``*.yaml`` files in this package (programs in ``programs/``), read with
``importlib.resources``. The loaders (and PyYAML with them) are imported only when first used.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from runcoach.plans.model import BREATH_OFF, Breath, Cadence, Plan, Repeat, Segment
from runcoach.plans.units import parse_duration

if TYPE_CHECKING:
    from runcoach.plans.catalogue import (
        load_any,
        load_plan,
        load_program,
        parse_any,
        parse_program,
        read_file,
        read_plan_file,
    )
    from runcoach.plans.loader import (
        builtin_plan_names,
        builtin_program_names,
        looks_like_path,
        parse_plan,
        user_plans_dir,
    )
    from runcoach.plans.programs import Program, ProgramSession, Progression, Week

_LAZY = {
    **dict.fromkeys(
        (
            "load_any",
            "load_plan",
            "load_program",
            "parse_any",
            "parse_program",
            "read_file",
            "read_plan_file",
        ),
        "catalogue",
    ),
    **dict.fromkeys(
        (
            "builtin_plan_names",
            "builtin_program_names",
            "looks_like_path",
            "parse_plan",
            "user_plans_dir",
        ),
        "loader",
    ),
    **dict.fromkeys(("Program", "ProgramSession", "Progression", "Week"), "programs"),
}

__all__ = [
    "BREATH_OFF",
    "Breath",
    "Cadence",
    "Plan",
    "Program",
    "ProgramSession",
    "Progression",
    "Repeat",
    "Segment",
    "Week",
    "builtin_plan_names",
    "builtin_program_names",
    "load_any",
    "load_plan",
    "load_program",
    "looks_like_path",
    "parse_any",
    "parse_duration",
    "parse_plan",
    "parse_program",
    "read_file",
    "read_plan_file",
    "user_plans_dir",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runcoach.plans' has no attribute {name!r}")
    value = getattr(import_module(f"runcoach.plans.{module}"), name)
    globals()[name] = value
    return value
