"""A resolved session as workout steps: what the watch and trainer writers write.

The plan keeps the structure (segments and repeat blocks); the timeline gives every segment its
cadence and length. :func:`workout_items` walks both together, so no cadence rule is computed
twice: each step's numbers are those of the segment the timeline yields at that place.

Repeat blocks become one :class:`WorkoutRepeat` of their steps. Watch workouts loop one level
deep, so a repeat inside a repeat is unrolled into its parent (same order, same total time), and
a block repeated once is just its steps.

Intensity (FIT's warm-up / active / rest / cool-down) follows each step's role:

- a step is a *walk* when its name says walk, walking or rest, or its highest cadence is below
  140 steps per minute (walking is roughly 100-125 spm, running 160-180);
- the session's first step (outside any repeat) is **warmup** when it is named warm-up, or is a
  walk before running;
- its last step (outside any repeat) is **cooldown** when it is named cool-down, or is a walk
  after running;
- every other walk is **rest**, and everything else **active**.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from itertools import islice
from typing import Literal

from runcoach.plans.model import Repeat, Segment
from runcoach.plans.units import WALK_BELOW_SPM
from runcoach.timeline import Session, TimedSegment

Intensity = Literal["warmup", "active", "rest", "cooldown"]

_WALK = re.compile(r"\b(walk|walking|rest)\b", re.IGNORECASE)
_WARM = re.compile(r"\bwarm[\s_-]*up\b", re.IGNORECASE)
_COOL = re.compile(r"\bcool[\s_-]*down\b", re.IGNORECASE)


@dataclass(frozen=True)
class WorkoutStep:
    """One segment as a workout step: ``milliseconds`` long (rounded once, from the exact
    length), cadence from ``spm_start`` to ``spm_end`` steps per minute."""

    name: str
    milliseconds: int
    spm_start: Fraction
    spm_end: Fraction
    intensity: Intensity = "active"

    @property
    def spm_low(self) -> Fraction:
        """The lowest cadence of the step."""
        return min(self.spm_start, self.spm_end)

    @property
    def spm_high(self) -> Fraction:
        """The highest cadence of the step."""
        return max(self.spm_start, self.spm_end)

    @property
    def is_walk(self) -> bool:
        """True when the name says walk or rest, or the cadence is a walking one."""
        return bool(_WALK.search(self.name)) or self.spm_high < WALK_BELOW_SPM


@dataclass(frozen=True)
class WorkoutRepeat:
    """Steps played ``times`` times in a row (``times`` >= 2)."""

    times: int
    steps: tuple[WorkoutStep, ...]


WorkoutItem = WorkoutStep | WorkoutRepeat


def workout_items(session: Session) -> tuple[WorkoutItem, ...]:
    """The steps and repeat blocks of ``session``, nested repeats unrolled, intensities set."""
    timed = session.segments()
    items = _items(session.plan.segments, timed, nest=True)
    return _with_intensity(items)


def expand(items: Sequence[WorkoutItem]) -> Iterator[WorkoutStep]:
    """Every step in play order, repeats expanded."""
    for item in items:
        if isinstance(item, WorkoutRepeat):
            for _ in range(item.times):
                yield from item.steps
        else:
            yield item


def _step(seg: TimedSegment) -> WorkoutStep:
    return WorkoutStep(
        seg.name, round(seg.duration_seconds * 1000), seg.spm_start, seg.spm_end, "active"
    )


def _count(nodes: Sequence[Segment | Repeat]) -> int:
    """Segments ``nodes`` expand to."""
    return sum(n.times * _count(n.segments) if isinstance(n, Repeat) else 1 for n in nodes)


def _items(
    nodes: Sequence[Segment | Repeat], timed: Iterator[TimedSegment], *, nest: bool
) -> list[WorkoutItem]:
    """Steps for ``nodes``, taking each segment's numbers from ``timed`` in play order.

    A repeat's steps come from its first pass; the later passes are the same segments, so the
    timeline's segments for them are skipped. With ``nest`` False (inside a repeat) inner
    repeats are unrolled.
    """
    out: list[WorkoutItem] = []
    for node in nodes:
        if isinstance(node, Segment):
            out.append(_step(next(timed)))
        elif node.times == 1:
            out.extend(_items(node.segments, timed, nest=nest))
        elif nest:
            body = _items(node.segments, timed, nest=False)
            for _ in islice(timed, (node.times - 1) * _count(node.segments)):
                pass
            steps = tuple(s for s in body if isinstance(s, WorkoutStep))
            out.append(WorkoutRepeat(node.times, steps))
        else:
            for _ in range(node.times):
                out.extend(_items(node.segments, timed, nest=False))
    return out


def _with_intensity(items: list[WorkoutItem]) -> tuple[WorkoutItem, ...]:
    """Set each step's intensity by the rule in the module docstring."""
    steps = list(expand(items))
    several = len(steps) > 1
    out: list[WorkoutItem] = []
    for i, item in enumerate(items):
        if isinstance(item, WorkoutRepeat):
            inner = tuple(replace(s, intensity=_plain(s)) for s in item.steps)
            out.append(WorkoutRepeat(item.times, inner))
            continue
        intensity = _plain(item)
        if (
            several
            and i == 0
            and (_WARM.search(item.name) or (item.is_walk and any(not s.is_walk for s in steps)))
        ):
            intensity = "warmup"
        elif (
            several
            and i == len(items) - 1
            and (_COOL.search(item.name) or (item.is_walk and any(not s.is_walk for s in steps)))
        ):
            intensity = "cooldown"
        out.append(replace(item, intensity=intensity))
    return tuple(out)


def _plain(step: WorkoutStep) -> Intensity:
    return "rest" if step.is_walk else "active"
