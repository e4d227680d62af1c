"""Plans: the model (segments, repeats, cadence, breath) and the YAML loader.

Built-in plans are the ``*.yaml`` files in this package, read with ``importlib.resources``.
"""

from runcoach.plans.loader import (
    builtin_plan_names,
    load_plan,
    looks_like_path,
    parse_plan,
    read_plan_file,
)
from runcoach.plans.model import (
    BREATH_OFF,
    Breath,
    Cadence,
    Plan,
    Repeat,
    Segment,
    parse_duration,
)

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
