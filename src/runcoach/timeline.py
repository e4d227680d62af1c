"""The timeline: a plan resolved against a base cadence, as a lazy stream of timed events.

Time is counted in frames. Segment boundaries are exact sums of the declared durations
(``Fraction`` seconds), converted to a frame once with ``round(seconds * rate)``. Steps are placed
in closed form from the segment's first frame (see :mod:`runcoach.metronome`), so nothing
accumulates: the last step of a three-hour session is as exact as the first.

Nothing here builds the whole session: :meth:`Session.segments` and :func:`events` are
generators, so a 24-hour plan costs the memory of one segment's chunk of steps.

Where the cues fall. Every segment's first step (step 0, on the segment's first frame) carries
its segment signal: the start chime for the session's first segment, then a rising melody when
the cadence goes up, a falling one when it goes down, a repeated note when it stays the same. That
step has its click (never accented) and no breath cue. The segment's breath cycle starts on the
next step, step 1 (:data:`runcoach.breath.FIRST_BREATH_STEP`): with pattern ``IN:OUT``, an inhale
starts on every step ``k >= 1`` with ``(k - 1) % (IN + OUT) == 0`` (an accented click) and an
exhale where ``(k - 1) % (IN + OUT) == IN``. The rule is the same for every segment, since every
segment opens with a signal. At its other end no cue may still sound when the next segment's
signal starts: a phase due less than the longer cue's length
(:func:`runcoach.breath.cue_frames`, 200 ms) before the next segment's first frame does not start,
and the phase before it runs on to that frame. So a segment of one step has no breath cue, and
one shorter than a breath cycle gets the phases that start inside it. After the finish chime, in
the session's last second, no breath cue sounds. Only which steps carry cues changes with this
rule: steps stay where the closed-form placement puts them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, NamedTuple

from runcoach.breath import FIRST_BREATH_STEP, cue_frames
from runcoach.errors import OptionError, PlanError
from runcoach.metronome import step_offset, step_offsets
from runcoach.plans.model import SOUND_OFF, Breath, Cadence, Plan, Repeat, Segment, parse_sound
from runcoach.plans.units import (
    MAX_SEGMENTS,
    MAX_SPM,
    MAX_TOTAL_SECONDS,
    MIN_SPM,
    format_seconds,
    format_spm,
    parse_number,
    quote,
)

#: Steps computed at a time inside one segment: bounds memory whatever the segment's length.
STEP_CHUNK = 4096

Signal = Literal["start", "pip", "faster", "slower", "change", "finish"]
Phase = Literal["in", "out"]


@dataclass(frozen=True)
class TimedSegment:
    """One segment of a resolved session, with its exact place in time.

    ``start_frame`` is ``round(start_seconds * rate)``; the segment ends where the next one
    starts (``end_frame``). ``spm_start``/``spm_end`` differ for a ramp. ``first_step`` counts
    the steps of all earlier segments (it decides the foot in stereo).
    """

    index: int
    name: str
    path: str
    start_seconds: Fraction
    duration_seconds: Fraction
    start_frame: int
    end_frame: int
    spm_start: Fraction
    spm_end: Fraction
    breath: Breath
    sound: str
    steps: int
    first_step: int
    rate: int

    @property
    def is_ramp(self) -> bool:
        """True when the cadence changes across the segment."""
        return self.spm_start != self.spm_end

    @property
    def frames(self) -> int:
        """Length in frames."""
        return self.end_frame - self.start_frame

    def step_offsets(self, k: Sequence[int] | range) -> list[int]:
        """Frame offsets from ``start_frame`` of steps ``k`` (see :func:`step_offset`)."""
        if isinstance(k, range) and k.step == 1:
            return step_offsets(
                k.start, k.stop, self.spm_start, self.spm_end, self.duration_seconds, self.rate
            )
        return [
            step_offset(i, self.spm_start, self.spm_end, self.duration_seconds, self.rate)
            for i in k
        ]

    def step_frame(self, k: int) -> int:
        """Absolute frame of step ``k`` of this segment."""
        return self.start_frame + step_offset(
            k, self.spm_start, self.spm_end, self.duration_seconds, self.rate
        )

    def first_step_at_or_after(self, frame: int) -> int:
        """Index of the first step whose frame is ``>= frame`` (``steps`` if none)."""
        lo, hi = 0, self.steps
        while lo < hi:
            mid = (lo + hi) // 2
            if self.step_frame(mid) >= frame:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def spm_at(self, frame: int) -> float:
        """Target cadence at an absolute frame inside this segment."""
        if not self.is_ramp or self.frames <= 0:
            return float(self.spm_start)
        share = min(max((frame - self.start_frame) / self.frames, 0.0), 1.0)
        return float(self.spm_start + (self.spm_end - self.spm_start) * Fraction(share))

    def describe_spm(self) -> str:
        """``170`` or ``160→170`` for a ramp."""
        if self.is_ramp:
            return f"{format_spm(self.spm_start)}→{format_spm(self.spm_end)}"
        return format_spm(self.spm_start)


class Step(NamedTuple):
    """A footfall, with everything that sounds on it.

    ``breath`` is set on the first step of an inhale or exhale phase, which lasts
    ``breath_steps`` steps until ``breath_end`` (a frame); phases start from the segment's second
    step (see the module docstring). ``signal`` is a segment cue sounded on this step: ``start``
    (session start), ``pip`` (countdown before a change), ``faster`` / ``slower`` / ``change`` (on
    the first step of a new segment) or ``finish``.
    """

    frame: int
    segment: int
    k: int
    foot: int  # 0 left, 1 right
    accent: bool
    sound: str
    breath: Phase | None
    breath_steps: int
    breath_end: int
    signal: Signal | None


class SegmentStart(NamedTuple):
    """The start of a segment (for displays and chapter marks; it makes no sound itself)."""

    frame: int
    segment: TimedSegment


Event = Step | SegmentStart


@dataclass(frozen=True)
class Session:
    """A plan resolved for one base cadence, breath pattern, sound and sample rate."""

    plan: Plan
    rate: int
    base_spm: Fraction
    breath: Breath
    sound: str
    total_seconds: Fraction
    total_frames: int
    segment_count: int
    countdown: int = 3

    def segments(self) -> Iterator[TimedSegment]:
        """Yield the expanded segments in order with exact start frames (lazily)."""
        start = Fraction(0)
        start_frame = 0
        first_step = 0
        # A segment inside a repeat comes back many times: its cadence, length and steps are
        # worked out once (a 100,000-segment plan is mostly repeats of a few segments).
        known: dict[int, tuple[Segment, Fraction, Fraction, Fraction, int]] = {}
        for index, seg in enumerate(self.plan.walk()):
            facts = known.get(id(seg))
            if facts is None or facts[0] is not seg:
                spm_start, spm_end = segment_spm(seg, self.base_spm)
                duration = _segment_seconds(seg, spm_start, spm_end)
                if seg.steps is not None:
                    steps = seg.steps
                else:
                    steps = math.ceil(duration * (spm_start + spm_end) / 120)
                facts = known[id(seg)] = (seg, spm_start, spm_end, duration, steps)
            _, spm_start, spm_end, duration, steps = facts
            end = start + duration
            end_frame = round(end * self.rate)
            yield TimedSegment(
                index=index,
                name=seg.name,
                path=seg.path,
                start_seconds=start,
                duration_seconds=duration,
                start_frame=start_frame,
                end_frame=end_frame,
                spm_start=spm_start,
                spm_end=spm_end,
                breath=seg.breath if seg.breath is not None else self.breath,
                sound=seg.sound if seg.sound is not None else self.sound,
                steps=steps,
                first_step=first_step,
                rate=self.rate,
            )
            start = end
            start_frame = end_frame
            first_step += steps

    @property
    def total_steps(self) -> int:
        """Steps in the whole session (walks the segments; cheap, no audio)."""
        return sum(s.steps for s in self.segments())


def resolve(
    plan: Plan,
    *,
    spm: float | Fraction | None = None,
    breath: Breath | str | None = None,
    sound: str | None = None,
    rate: int = 44100,
    countdown: int = 3,
) -> Session:
    """Resolve ``plan`` into a :class:`Session`.

    ``spm`` replaces the plan's base cadence (segments with relative or no cadence follow it);
    ``breath`` and ``sound`` replace the plan's top-level pattern and sound. Every cadence is
    checked against the base here, and the total against 24 hours, before any audio is made.
    Raises ``PlanError`` naming the segment's field, or ``OptionError`` for bad options.
    """
    if isinstance(rate, bool) or not isinstance(rate, int) or not 8000 <= rate <= 192000:
        raise OptionError(f"sample rate must be between 8000 and 192000 Hz, got {quote(rate)}")
    if isinstance(countdown, bool) or not isinstance(countdown, int) or not 0 <= countdown <= 10:
        raise OptionError(f"countdown must be 0 to 10 seconds, got {quote(countdown)}")
    if spm is None:
        base = plan.spm
    else:
        if isinstance(spm, bool) or not isinstance(spm, (int, float, Fraction)):
            raise OptionError(f"--spm must be a number, got {quote(spm)}")
        try:
            base = parse_number(spm, field="--spm").limit_denominator(1000)
        except PlanError as err:
            raise OptionError(f"--spm: {err.problem}") from None
        if not MIN_SPM <= base <= MAX_SPM:
            raise OptionError(f"--spm must be between {MIN_SPM} and {MAX_SPM}, got {quote(spm)}")
    try:
        pattern = plan.breath if breath is None else Breath.parse(breath)
        click = plan.sound if sound is None else parse_sound(sound)
    except PlanError as err:
        raise OptionError(f"--{err.field}: {err.problem}") from None
    try:
        total, count = _check_items(plan, plan.segments, base, spm is not None)
    except PlanError as err:
        # A program's session: the program's cadence change (or base) is what failed.
        raise (plan.origin.locate(err) if plan.origin is not None else err) from None
    if total > MAX_TOTAL_SECONDS:
        raise PlanError(
            f"the session lasts {format_seconds(total)}, longer than the 24 hours allowed",
            source=plan.source,
            field="segments",
        )
    if count > MAX_SEGMENTS:
        raise PlanError(
            f"expands to {count} segments, more than {MAX_SEGMENTS}",
            source=plan.source,
            field="segments",
        )
    return Session(
        plan=plan,
        rate=rate,
        base_spm=base,
        breath=pattern,
        sound=click,
        total_seconds=total,
        total_frames=round(total * rate),
        segment_count=count,
        countdown=countdown,
    )


def _check_items(
    plan: Plan, items: Sequence[Segment | Repeat], base: Fraction, overridden: bool
) -> tuple[Fraction, int]:
    """Check cadences and sum durations and segment counts without expanding repeats."""
    total = Fraction(0)
    count = 0
    for item in items:
        if isinstance(item, Repeat):
            sub_total, sub_count = _check_items(plan, item.segments, base, overridden)
            total += sub_total * item.times
            count += sub_count * item.times
            if total > MAX_TOTAL_SECONDS * 2 or count > MAX_SEGMENTS * 2:
                break  # already refused; stop before the numbers grow further
        else:
            spm_start, spm_end = segment_spm(item, base)
            for which, value in (("spm", spm_start), ("spm", spm_end)):
                if not MIN_SPM <= value <= MAX_SPM:
                    how = f" with base cadence {format_spm(base)}" + (
                        " (from --spm)" if overridden else ""
                    )
                    raise PlanError(
                        f"{_spm_text(item)} gives {format_spm(value)} steps per minute{how}; "
                        f"it must be between {MIN_SPM} and {MAX_SPM}",
                        source=plan.source,
                        line=item.line,
                        field=f"{item.path}.{which}" if item.path else which,
                    )
            total += _segment_seconds(item, spm_start, spm_end)
            count += 1
    return total, count


def _spm_text(seg: Segment) -> str:
    if isinstance(seg.spm, tuple):
        return f"the ramp [{seg.spm[0]}, {seg.spm[1]}]"
    return f"{seg.spm}" if seg.spm is not None else "the base cadence"


def segment_spm(seg: Segment, base: Fraction) -> tuple[Fraction, Fraction]:
    """A segment's cadence at its start and end (steps per minute) for base cadence ``base``."""
    if seg.spm is None:
        return base, base
    if isinstance(seg.spm, Cadence):
        value = seg.spm.resolve(base)
        return value, value
    return seg.spm[0].resolve(base), seg.spm[1].resolve(base)


def _segment_seconds(seg: Segment, spm_start: Fraction, spm_end: Fraction) -> Fraction:
    if seg.duration is not None:
        return seg.duration
    assert seg.steps is not None
    # Cadence is linear in time, so the steps over D seconds are (s0 + s1) / 2 * D / 60.
    return Fraction(120 * seg.steps) / (spm_start + spm_end)


def events(session: Session) -> Iterator[Event]:
    """Yield every event of ``session`` in frame order, lazily.

    Each segment yields a :class:`SegmentStart`, then its :class:`Step` events computed
    ``STEP_CHUNK`` at a time. Breath phases restart with each segment: its first step carries
    the segment signal, its second starts an inhale (:data:`FIRST_BREATH_STEP`); the accent
    falls on the first step of each breath cycle.
    """
    previous: TimedSegment | None = None
    pending: TimedSegment | None = None
    for seg in session.segments():
        if pending is not None:
            yield from _segment_events(session, pending, previous, seg)
            previous = pending
        pending = seg
    if pending is not None:
        yield from _segment_events(session, pending, previous, None)


def boundary_signal(before: TimedSegment | None, after: TimedSegment) -> Signal:
    """The cue on the first step of ``after``: faster, slower, or a plain change."""
    if before is None:
        return "start"
    if after.spm_start > before.spm_end:
        return "faster"
    if after.spm_start < before.spm_end:
        return "slower"
    return "change"


def _segment_events(
    session: Session, seg: TimedSegment, before: TimedSegment | None, after: TimedSegment | None
) -> Iterator[Event]:
    yield SegmentStart(seg.start_frame, seg)
    if seg.steps == 0:
        return
    rate = session.rate
    signals = _signals(session, seg, before, after)
    # After the finish chime the session's last steps are silent: the chime rings out alone.
    quiet_from = next((k for k, sig in signals.items() if sig == "finish"), seg.steps)

    pattern = seg.breath
    cycle, inhale, exhale = pattern.cycle, pattern.inhale, pattern.exhale
    # No breath cue may still sound when the next segment's signal starts: phases start only
    # on steps at least a cue's length before the boundary; the last one runs on to it.
    breath_until = steps = seg.steps
    if after is not None and cycle:
        breath_until = seg.first_step_at_or_after(seg.end_frame - cue_frames(rate) + 1)
    start, index, first_step = seg.start_frame, seg.index, seg.first_step
    sound = seg.sound
    for k0 in range(0, steps, STEP_CHUNK):
        k1 = min(k0 + STEP_CHUNK, steps)
        # Offsets for this chunk plus the longest breath phase after it, for ``breath_end``.
        ahead = min(k1 + max(inhale, exhale), steps)
        offsets = step_offsets(
            k0, ahead, seg.spm_start, seg.spm_end, seg.duration_seconds, session.rate
        )
        for k in range(k0, k1):
            phase: Phase | None = None
            phase_steps = 0
            phase_end = 0
            accent = False
            if cycle and FIRST_BREATH_STEP <= k < breath_until:
                pos = (k - FIRST_BREATH_STEP) % cycle
                if pos == 0:
                    phase, phase_steps, accent = "in", inhale, True
                elif pos == inhale:
                    phase, phase_steps = "out", exhale
                if phase is not None:
                    end_k = k + phase_steps
                    phase_end = (
                        start + offsets[end_k - k0] if end_k < breath_until else seg.end_frame
                    )
            yield Step(
                start + offsets[k - k0],
                index,
                k,
                (first_step + k) % 2,
                accent,
                sound if k <= quiet_from else SOUND_OFF,
                phase if k < quiet_from else None,
                phase_steps,
                phase_end,
                signals.get(k),
            )


def _signals(
    session: Session, seg: TimedSegment, before: TimedSegment | None, after: TimedSegment | None
) -> dict[int, Signal]:
    """Step -> segment signal: countdown pips, the finish chime, the segment's own signal."""
    rate = session.rate
    signals: dict[int, Signal] = {}
    for n in range(session.countdown, 0, -1):
        target = seg.end_frame - n * rate
        if target > seg.start_frame:
            k = seg.first_step_at_or_after(target)
            if k < seg.steps:
                signals[k] = "pip"
    if after is None:
        # The finish chime replaces the last pip: on the first step in the final second.
        k = seg.first_step_at_or_after(session.total_frames - rate)
        if k < seg.steps:
            for key in [key for key in signals if key >= k]:
                del signals[key]
            signals[k] = "finish"
    signals[0] = boundary_signal(before, seg)
    return signals
