"""Plans: the model (segments, repeats, cadence, breath) and the YAML loader.

Built-in plans are the ``*.yaml`` files in this package, read with ``importlib.resources``.
The loader (and PyYAML with it) is imported only when one of its functions is first used, so a
session that needs no plan file starts faster.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from runcoach.plans.model import (
    BREATH_OFF,
    Breath,
    Cadence,
    Plan,
    Repeat,
    Segment,
    parse_duration,
)

if TYPE_CHECKING:
    from runcoach.plans.loader import (
        builtin_plan_names,
        load_plan,
        looks_like_path,
        parse_plan,
        read_plan_file,
    )

_LOADER = ("builtin_plan_names", "load_plan", "looks_like_path", "parse_plan", "read_plan_file")

__all__ = [
    "BREATH_OFF",
    "Breath",
    "Cadence",
    "Plan",
    "Repeat",
    "Segment",
    "builtin_plan_names",
    "load_plan",
    "looks_like_path",
    "parse_duration",
    "parse_plan",
    "read_plan_file",
]


def __getattr__(name: str) -> Any:
    if name in _LOADER:
        value = getattr(import_module("runcoach.plans.loader"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'runcoach.plans' has no attribute {name!r}")
