"""Review: a recorded activity laid over the planned session, segment by segment.

The session's segments (the same :class:`~runcoach.timeline.Session` that render and play use) are
laid over the activity's cadence samples: the plan starts at the activity's first record, or
``offset_seconds`` later, or where its cadence profile best matches the recording (``align``).

Each sample weighs the time to the next sample, at most ``GAP_SECONDS`` (5 s; the reader's
rule, :mod:`runcoach.interop.activities`), and nothing inside a pause (the timer stopped). A
sample belongs to the segment its time falls in. Samples with cadence 0 are stopped time: they
count in no mean and no share. The target of a ramp is interpolated at the sample's time. A
sample is in the band when its cadence is within ``tolerance_spm`` of the target, inclusive.

All of it is vectorised with numpy (imported inside the functions: start-up is a feature).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timezone
from typing import TYPE_CHECKING, Any

from runcoach.errors import OptionError
from runcoach.interop.activities import GAP_SECONDS, Activity

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from runcoach.plans import Plan
    from runcoach.timeline import Session

    Floats = npt.NDArray[np.float64]

#: Default half-width of the band around the target, in steps per minute.
TOLERANCE_SPM = 3.0
#: ``align`` searches offsets within this many seconds either way.
ALIGN_SECONDS = 300
#: In the alignment score a second differs by at most this much (a walk against a run costs
#: as much as a second with no running at all), so pauses and stray samples cannot dominate.
_ALIGN_CAP_SPM = 25.0
#: Offsets scoring within this of the best are as good: the one nearest 0 is taken.
_ALIGN_TIE_SPM = 0.01


@dataclass(frozen=True)
class SegmentReview:
    """How one planned segment went (times on the plan's clock; spm in steps per minute)."""

    name: str
    start_seconds: float
    duration_seconds: float
    target_spm_start: float
    target_spm_end: float
    mean_spm: float | None  #: over moving time; None when the runner did not move in it
    in_band_fraction: float | None  #: share of moving time within the tolerance of the target
    moving_seconds: float
    stopped_seconds: float  #: standing (cadence 0) or paused while the recording ran


@dataclass(frozen=True)
class Review:
    """The review of one activity against one planned session."""

    activity: Activity
    plan_name: str
    offset_seconds: float  #: where the plan starts, in seconds from the first record
    aligned: bool  #: True when ``offset_seconds`` was found by alignment
    tolerance_spm: float
    segments: tuple[SegmentReview, ...]
    mean_spm: float | None  #: over the whole session's moving time
    in_band_fraction: float | None
    moving_seconds: float
    activity_mean_spm: float | None  #: over the whole recording's moving time
    activity_moving_seconds: float

    def to_json(self) -> dict[str, Any]:
        """The review as JSON-ready data (the ``review --json`` output, and what a journal
        stores): exactly the documented keys, figures rounded for reading."""
        act = self.activity
        start = (
            act.start.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if act.start else None
        )
        return {
            "activity": {
                "file": act.file,
                "sport": act.sport,
                "start": start,
                "duration_seconds": _r(act.duration_seconds, 1),
                "moving_seconds": _r(self.activity_moving_seconds, 1),
                "mean_spm": _r(self.activity_mean_spm, 2),
                "cadence_unit": act.cadence_unit,
            },
            "offset_seconds": _r(self.offset_seconds, 1),
            "tolerance_spm": _r(self.tolerance_spm, 2),
            "segments": [
                {
                    "name": seg.name,
                    "start_seconds": _r(seg.start_seconds, 1),
                    "duration_seconds": _r(seg.duration_seconds, 1),
                    "target_spm_start": _r(seg.target_spm_start, 2),
                    "target_spm_end": _r(seg.target_spm_end, 2),
                    "mean_spm": _r(seg.mean_spm, 2),
                    "in_band_fraction": _r(seg.in_band_fraction, 4),
                    "moving_seconds": _r(seg.moving_seconds, 1),
                    "stopped_seconds": _r(seg.stopped_seconds, 1),
                }
                for seg in self.segments
            ],
            "overall": {
                "mean_spm": _r(self.mean_spm, 2),
                "in_band_fraction": _r(self.in_band_fraction, 4),
                "moving_seconds": _r(self.moving_seconds, 1),
            },
        }


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def review(
    activity: Activity,
    session: Session,
    *,
    tolerance_spm: float = TOLERANCE_SPM,
    offset_seconds: float | None = None,
    align: bool = False,
) -> Review:
    """Lay ``session`` over ``activity`` and measure, segment by segment, how the cadence held.

    ``offset_seconds`` is where the plan starts in the recording (default 0: at its first record;
    negative when the recording started late). ``align`` instead searches offsets within
    :data:`ALIGN_SECONDS` either way for the one whose target profile best matches the recorded
    cadence. Raises ``OptionError`` for a tolerance outside 0.5-30 spm, an offset beyond a day,
    or both an offset and ``align``.
    """
    if not isinstance(tolerance_spm, (int, float)) or not 0.5 <= tolerance_spm <= 30:
        raise OptionError(f"--tolerance must be between 0.5 and 30 spm, got {tolerance_spm}")
    if offset_seconds is not None and align:
        raise OptionError("give --offset or --align auto, not both")
    if offset_seconds is not None and not abs(offset_seconds) <= 86400:
        raise OptionError(f"--offset must be within a day (86400 s), got {offset_seconds}")
    plan = _PlanArrays.of(session)
    samples = _Samples.of(activity)
    if align:
        offset = _align(samples, plan, activity.duration_seconds)
    else:
        offset = float(offset_seconds or 0.0)
    segments, overall = _measure(samples, plan, offset, float(tolerance_spm))
    moving = float(samples.moving.sum())
    return Review(
        activity=activity,
        plan_name=session.plan.name,
        offset_seconds=offset,
        aligned=align,
        tolerance_spm=float(tolerance_spm),
        segments=segments,
        mean_spm=overall[0],
        in_band_fraction=overall[1],
        moving_seconds=overall[2],
        activity_mean_spm=_ratio(float((samples.moving * samples.spm).sum()), moving),
        activity_moving_seconds=moving,
    )


def steady_plan(duration_seconds: float, spm: float) -> Plan:
    """One steady segment at ``spm`` as long as a recording (``review`` without a plan).
    Raises ``OptionError`` for a cadence outside what runcoach plays."""
    from fractions import Fraction

    from runcoach.plans import Plan, Segment
    from runcoach.plans.units import MAX_SPM, MIN_SPM, format_spm

    if not MIN_SPM <= spm <= MAX_SPM:
        raise OptionError(f"--spm must be between {MIN_SPM} and {MAX_SPM}, got {format_spm(spm)}")
    seconds = Fraction(max(1, round(duration_seconds)))
    base = Fraction(spm).limit_denominator(1000)
    return Plan(f"Steady {format_spm(spm)} spm", (Segment("Steady", duration=seconds),), spm=base)


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


@dataclass(frozen=True)
class _Samples:
    """The activity's samples as arrays, with each sample's moving and stopped seconds."""

    seconds: Floats
    spm: Floats
    moving: Floats  #: time to the next sample (at most GAP_SECONDS, none in a pause), if spm > 0
    stopped: Floats  #: the rest of the time to the next sample

    @classmethod
    def of(cls, activity: Activity) -> _Samples:
        import numpy as np

        t = np.asarray(activity.seconds, dtype=np.float64)
        spm = np.asarray(activity.spm, dtype=np.float64)
        following = np.append(t[1:], t[-1])  # the last sample has no next: it weighs nothing
        span = following - t
        until = np.minimum(following, t + GAP_SECONDS)
        if activity.pauses:
            starts = np.array([a for a, _ in activity.pauses])
            ends = np.array([b for _, b in activity.pauses])
            k = np.searchsorted(starts, t, side="right")  # pauses k.. start after the sample
            inside = (k > 0) & (t < ends[np.maximum(k - 1, 0)])
            next_start = np.where(k < len(starts), starts[np.minimum(k, len(starts) - 1)], np.inf)
            until = np.where(inside, t, np.minimum(until, next_start))
        run = np.clip(until - t, 0.0, None)
        moving = np.where(spm > 0, run, 0.0)
        return cls(t, spm, moving, span - moving)


@dataclass(frozen=True)
class _PlanArrays:
    """The session's segments as arrays (plan seconds, spm)."""

    names: tuple[str, ...]
    starts: Floats
    durations: Floats
    spm_start: Floats
    spm_end: Floats
    total_seconds: float

    @classmethod
    def of(cls, session: Session) -> _PlanArrays:
        import numpy as np

        segs = list(session.segments())
        return cls(
            names=tuple(s.name for s in segs),
            starts=np.array([float(s.start_seconds) for s in segs], dtype=np.float64),
            durations=np.array([float(s.duration_seconds) for s in segs], dtype=np.float64),
            spm_start=np.array([float(s.spm_start) for s in segs], dtype=np.float64),
            spm_end=np.array([float(s.spm_end) for s in segs], dtype=np.float64),
            total_seconds=float(session.total_seconds),
        )

    def locate(self, plan_seconds: Floats) -> tuple[npt.NDArray[np.intp], Floats]:
        """Each time's segment index (-1 outside the plan) and target cadence (NaN outside)."""
        import numpy as np

        idx = np.searchsorted(self.starts, plan_seconds, side="right") - 1
        safe = np.clip(idx, 0, len(self.starts) - 1)
        start = self.starts[safe]
        inside = (idx >= 0) & (plan_seconds < start + self.durations[safe])
        share = (plan_seconds - start) / np.where(self.durations[safe] > 0, self.durations[safe], 1)
        target = self.spm_start[safe] + (self.spm_end[safe] - self.spm_start[safe]) * share
        return np.where(inside, idx, -1), np.where(inside, target, np.nan)


def _measure(
    samples: _Samples, plan: _PlanArrays, offset: float, tolerance: float
) -> tuple[tuple[SegmentReview, ...], tuple[float | None, float | None, float]]:
    """Per-segment and overall figures for the plan starting ``offset`` s into the recording."""
    import numpy as np

    idx, target = plan.locate(samples.seconds - offset)
    inside = idx >= 0
    count = len(plan.names)
    seg = idx[inside]
    moving = samples.moving[inside]
    # A hair of slack: a ramp's interpolated target must not drop a sample on the band's edge.
    in_band = np.abs(samples.spm[inside] - target[inside]) <= tolerance + 1e-9
    sums = {
        "moving": np.bincount(seg, moving, count),
        "spm": np.bincount(seg, moving * samples.spm[inside], count),
        "band": np.bincount(seg, moving * in_band, count),
        "stopped": np.bincount(seg, samples.stopped[inside], count),
    }
    segments = tuple(
        SegmentReview(
            name=plan.names[i],
            start_seconds=float(plan.starts[i]),
            duration_seconds=float(plan.durations[i]),
            target_spm_start=float(plan.spm_start[i]),
            target_spm_end=float(plan.spm_end[i]),
            mean_spm=_ratio(float(sums["spm"][i]), float(sums["moving"][i])),
            in_band_fraction=_ratio(float(sums["band"][i]), float(sums["moving"][i])),
            moving_seconds=float(sums["moving"][i]),
            stopped_seconds=float(sums["stopped"][i]),
        )
        for i in range(count)
    )
    total = float(moving.sum())
    overall = (
        _ratio(float(sums["spm"].sum()), total),
        _ratio(float(sums["band"].sum()), total),
        total,
    )
    return segments, overall


def _align(samples: _Samples, plan: _PlanArrays, duration: float) -> float:
    """The whole-second offset within ±ALIGN_SECONDS whose target profile best matches the
    recorded cadence: each planned second scores the difference (capped) between the target and
    the cadence recorded then, a second with no running the cap; the lowest mean wins."""
    import numpy as np

    # The recorded cadence at the middle of each second of the recording (NaN: not running).
    centres = np.arange(math.floor(duration) + 1, dtype=np.float64) + 0.5
    i = np.clip(np.searchsorted(samples.seconds, centres, side="right") - 1, 0, None)
    running = (centres < samples.seconds[i] + samples.moving[i]) & (samples.moving[i] > 0)
    recorded = np.where(running, samples.spm[i], np.nan)
    # The target at the middle of each planned second.
    planned = np.arange(math.ceil(plan.total_seconds), dtype=np.float64) + 0.5
    _, target = plan.locate(planned)
    n = len(planned)
    pad = np.full(ALIGN_SECONDS, np.nan)
    padded = np.concatenate([pad, recorded, pad, np.full(n, np.nan)])
    offsets = np.arange(-ALIGN_SECONDS, ALIGN_SECONDS + 1)
    costs = np.empty(len(offsets))
    for j, offset in enumerate(offsets):
        window = padded[ALIGN_SECONDS + offset : ALIGN_SECONDS + offset + n]
        diff = np.abs(window - target)
        costs[j] = np.where(np.isnan(diff), _ALIGN_CAP_SPM, np.minimum(diff, _ALIGN_CAP_SPM)).mean()
    near = np.flatnonzero(costs <= costs.min() + _ALIGN_TIE_SPM)
    return float(offsets[near[np.argmin(np.abs(offsets[near]))]])


def trace(review: Review, *, step_seconds: float = 10.0) -> list[tuple[float, float | None]]:
    """The recorded cadence over the session, for charts and the journal: ``(plan seconds,
    spm)`` per ``step_seconds`` bucket from the plan's start to its end, spm being the mean over
    the bucket's moving time (None where the runner did not move)."""
    import numpy as np

    if not step_seconds > 0:
        raise OptionError(f"trace step must be positive, got {step_seconds}")
    samples = _Samples.of(review.activity)
    end = review.segments[-1].start_seconds + review.segments[-1].duration_seconds
    buckets = max(1, math.ceil(end / step_seconds))
    plan_seconds = samples.seconds - review.offset_seconds
    which = np.floor(plan_seconds / step_seconds).astype(np.int64)
    keep = (which >= 0) & (which < buckets)
    weight = np.bincount(which[keep], samples.moving[keep], buckets)
    total = np.bincount(which[keep], (samples.moving * samples.spm)[keep], buckets)
    return [
        (
            round(k * step_seconds, 3),
            round(float(total[k] / weight[k]), 2) if weight[k] > 0 else None,
        )
        for k in range(buckets)
    ]


def target_at(review: Review, plan_seconds: float) -> float | None:
    """The target cadence at a time on the plan's clock (None outside the plan)."""
    for seg in review.segments:
        if seg.start_seconds <= plan_seconds < seg.start_seconds + seg.duration_seconds:
            share = (plan_seconds - seg.start_seconds) / seg.duration_seconds
            return seg.target_spm_start + (seg.target_spm_end - seg.target_spm_start) * share
    return None
