"""Live play: the block source behind ``runcoach play``, with pause, skip, cadence and breath
changes made while it plays.

Untouched, the stream is exactly ``blocks(session, options, start_frame=...)``: what the device
receives is what ``runcoach render`` writes. A live change never edits audio that is already
queued; it derives a new :class:`~runcoach.timeline.Session` whose timeline is identical up to a
*cut* frame and different after it, cuts the queue there and continues with the new session's
blocks from that frame. The new session is an ordinary plan:

- every segment before the cut is *frozen*: its resolved cadence, breath and sound written out
  as absolute values with its exact duration, so it sounds (and lasts) as it did;
- the current segment is split at its next step: the part before (frozen) and the rest, which
  gets the change (a ramp continues from the cadence it had reached);
- the segments after follow the new base cadence and breath pattern, as ``--spm`` and
  ``--breath`` would have them.

So frame positions before the cut never move, step placement stays closed-form (no drift), and
the usual cues still mark every change. ``walk`` (the ``w`` key, "symptoms now") is one more such
change: the rest of the current running segment becomes a walk, with the usual falling cue.
Time counts only audio played: a pause inserts silence in the stream without moving the
timeline.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Literal

from runcoach.errors import OptionError, PlanError, RunCoachError
from runcoach.plans.model import BREATH_OFF, Breath, Cadence, Segment
from runcoach.plans.units import (
    MAX_SPM,
    MIN_SPM,
    WALK_BELOW_SPM,
    WALK_SPM,
    format_seconds,
    format_spm,
    parse_duration,
    plural,
)
from runcoach.timeline import Session, TimedSegment, resolve, segment_spm

Command = Literal["pause", "next", "back", "faster", "slower", "breath", "walk", "quit"]
COMMANDS: tuple[Command, ...] = (
    "pause", "next", "back", "faster", "slower", "breath", "walk", "quit",
)  # fmt: skip

#: What ``b`` cycles through, in order (a pattern not listed goes to the first).
BREATH_CYCLE = (Breath(4, 6), Breath(3, 3), Breath(3, 2), Breath(2, 2), BREATH_OFF)
#: ``p`` restarts the current segment after this many seconds of it, else goes to the previous.
BACK_RESTART_SECONDS = 3


@dataclass(frozen=True)
class Part:
    """One segment of the live plan: its spec, the index of the plan segment it comes from, and
    whether it continues the part before it (the rest of a segment after a live change)."""

    segment: Segment
    origin: int
    continues: bool = False


@dataclass(frozen=True)
class Change:
    """A live change: the stream is cut at ``frame`` and continues with ``session``.

    ``end`` means the change ends the session at ``frame`` (a skip past the last segment).
    """

    frame: int
    session: Session
    parts: tuple[Part, ...]
    note: str
    end: bool = False


@dataclass
class _Cut:
    """Where a change given at frame ``now`` takes effect: on step ``k`` of segment ``j``."""

    timed: list[TimedSegment]  #: the live session's segments up to and including the current
    parts: tuple[Part, ...]
    k: int
    frame: int  #: the cut: one frame before step ``k`` (the segment's start for ``k == 0``)
    seconds: Fraction
    prefix: list[Part] = field(default_factory=list)  #: earlier segments, frozen
    split: list[Part] = field(default_factory=list)  #: ``prefix`` and the current one's head

    @property
    def j(self) -> int:
        """Index of the current segment."""
        return len(self.timed) - 1

    @property
    def cur(self) -> TimedSegment:
        """The current segment."""
        return self.timed[-1]

    @property
    def unit(self) -> int:
        """The first segment of the current one's unit (a split segment continues)."""
        unit = self.j
        while unit > 0 and self.parts[unit].continues:
            unit -= 1
        return unit

    @property
    def unit_end(self) -> int:
        """One past the last segment of the current unit."""
        end = self.j + 1
        while end < len(self.parts) and self.parts[end].continues:
            end += 1
        return end


@dataclass
class _Edit:
    """What a command makes of the live plan: its segments from the start, and the note."""

    parts: list[Part]
    note: str
    base: Fraction | None = None
    breath: Breath | None = None
    frame: int | None = None  #: a later cut than the step's (a change from the next segment)


class LiveTimeline:
    """The session as live changes have made it so far, and how to derive the next change."""

    def __init__(self, session: Session) -> None:
        self.original = session
        self.session = session
        self._parts: tuple[Part, ...] | None = None  # None: the original plan, untouched
        self._plan_segments: tuple[Segment, ...] | None = None
        self._walk: tuple[Fraction, Breath] | None = None

    @property
    def changed(self) -> bool:
        """True once any live change was applied."""
        return self._parts is not None

    def continues(self, index: int) -> bool:
        """True when segment ``index`` of the live session continues the one before it."""
        return self._parts is not None and self._parts[index].continues

    def origin(self, index: int) -> int:
        """The index of the plan segment that segment ``index`` of the live session plays."""
        return index if self._parts is None else self._parts[index].origin

    def _plan(self) -> tuple[Segment, ...]:
        if self._plan_segments is None:
            self._plan_segments = tuple(self.original.plan.walk())
        return self._plan_segments

    def parts(self) -> tuple[Part, ...]:
        """The live plan's segments (the original plan's, flattened, until a change)."""
        if self._parts is None:
            return tuple(Part(seg, i) for i, seg in enumerate(self._plan()))
        return self._parts

    def apply(self, change: Change) -> None:
        """Make ``change`` the current timeline."""
        self.session = change.session
        self._parts = change.parts

    def plan_change(self, command: Command, now: int) -> Change | str:
        """Derive the timeline after ``command`` given at frame ``now``.

        The change takes effect on the first step at or after ``now``. Returns the
        :class:`Change`, or a short note saying why nothing changes.
        """
        edit = _EDITS.get(command)
        if edit is None:
            raise ValueError(f"not a timeline change: {command!r}")
        cut = self._cut(now)
        if cut is None:
            return "too close to the end"
        result = edit(self, cut, now)
        if not isinstance(result, _Edit):
            return result
        session = self.session
        base = session.base_spm if result.base is None else result.base
        breath = session.breath if result.breath is None else result.breath
        try:
            plan = replace(
                session.plan,
                segments=tuple(p.segment for p in result.parts),
                spm=base,
                breath=breath,
                sound=session.sound,
            )
            new = resolve(plan, spm=base, rate=session.rate, countdown=session.countdown)
        except RunCoachError as err:
            return f"cannot change: {err}"
        frame = cut.frame if result.frame is None else result.frame
        return Change(frame, new, tuple(result.parts), result.note)

    def _cut(self, now: int) -> _Cut | None:
        """Where a change at ``now`` cuts the live session (None: no step left to cut at)."""
        session = self.session
        if now >= session.total_frames:
            return None
        parts = self.parts()
        timed: list[TimedSegment] = []
        k = 0
        for seg in session.segments():
            timed.append(seg)
            if seg.end_frame > now:
                k = seg.first_step_at_or_after(now)
                if k < seg.steps:
                    break
        else:
            return None
        cur = timed[-1]
        j = len(timed) - 1
        prefix = [
            Part(_frozen(seg, seg.duration_seconds), parts[i].origin, parts[i].continues)
            for i, seg in enumerate(timed[:j])
        ]
        if k == 0:
            return _Cut(timed, parts, k, cur.start_frame, cur.start_seconds, prefix, prefix)
        frame = _split_frame(cur, k)
        seconds = Fraction(frame, session.rate)
        head = Part(_frozen(cur, seconds - cur.start_seconds), parts[j].origin, parts[j].continues)
        return _Cut(timed, parts, k, frame, seconds, prefix, [*prefix, head])

    def _cadence(self, cut: _Cut, now: int, step: int) -> _Edit | str:
        """``+``/``-``: the base cadence up or down by ``step`` from the next step."""
        session, cur, j = self.session, cut.cur, cut.j
        base = session.base_spm + step
        if not MIN_SPM <= base <= MAX_SPM:
            return f"the base cadence stays within {MIN_SPM}-{MAX_SPM} spm"
        note = f"base cadence {format_spm(base)} spm"
        spec, origin = cut.parts[j].segment, cut.parts[j].origin
        rest = _rest_of(spec, cur, cut.k, cut.seconds, base)
        before = _rest_of(spec, cur, cut.k, cut.seconds, session.base_spm)
        if segment_spm(rest, base) == segment_spm(before, session.base_spm):
            # This segment keeps its own cadence: only the segments after it change.
            note += f" (from the next segment; {cur.name} stays {cur.describe_spm()})"
            return _Edit([*cut.prefix, *cut.parts[j:]], note, base=base, frame=now)
        parts = [*cut.split, Part(rest, origin, cut.k > 0), *cut.parts[j + 1 :]]
        return _Edit(parts, note, base=base)

    def _faster(self, cut: _Cut, now: int) -> _Edit | str:
        return self._cadence(cut, now, 1)

    def _slower(self, cut: _Cut, now: int) -> _Edit | str:
        return self._cadence(cut, now, -1)

    def _breath(self, cut: _Cut, now: int) -> _Edit:
        """``b``: the next breath pattern, from the next step."""
        j = cut.j
        breath = _next_breath(cut.cur.breath)
        spec, origin = cut.parts[j].segment, cut.parts[j].origin
        rest = _rest_of(spec, cut.cur, cut.k, cut.seconds, self.session.base_spm, breath=breath)
        parts = [*cut.split, Part(rest, origin, cut.k > 0), *cut.parts[j + 1 :]]
        return _Edit(parts, f"breath {breath}", breath=breath)

    def _next(self, cut: _Cut, now: int) -> _Edit | Change:
        """``n``: skip to the next segment (the end, after the last)."""
        after = list(cut.parts[cut.unit_end :])
        if not after:
            return Change(cut.frame, self.session, cut.parts, "skipped the last segment", end=True)
        return _Edit([*cut.split, *after], f"skipped to {after[0].segment.name}")

    def _back(self, cut: _Cut, now: int) -> _Edit:
        """``p``: restart the segment, or in its first seconds go back to the previous one."""
        plan = self._plan()
        origin = cut.parts[cut.j].origin
        elapsed = now - cut.timed[cut.unit].start_frame
        again = [Part(plan[origin], origin)]
        if origin == 0 or elapsed > BACK_RESTART_SECONDS * self.session.rate:
            note = f"restarted {cut.cur.name}"
        else:
            previous = origin - 1  # the plan's previous segment, wherever play came from
            again.insert(0, Part(plan[previous], previous))
            note = f"back to {plan[previous].name}"
        return _Edit([*cut.split, *again, *cut.parts[cut.unit_end :]], note)

    def walk_pace(self) -> tuple[Fraction, Breath]:
        """The cadence and breath pattern ``w`` walks at: those of the plan's walk (a steady
        segment below :data:`WALK_BELOW_SPM`) that comes most often, the first on a tie; without
        one, :data:`WALK_SPM` with the breath cues off."""
        if self._walk is None:
            counts: dict[tuple[Fraction, Breath], int] = {}
            for seg in self.original.segments():
                if seg.spm_start == seg.spm_end and seg.spm_start < WALK_BELOW_SPM:
                    key = (seg.spm_start, seg.breath)
                    counts[key] = counts.get(key, 0) + 1
            most = max(counts.values(), default=0)
            self._walk = next(
                (key for key, n in counts.items() if n == most), (Fraction(WALK_SPM), BREATH_OFF)
            )
        return self._walk

    def _symptoms(self, cut: _Cut, now: int) -> _Edit | str:
        """``w`` (symptoms now): the rest of the current segment, when it is a run, becomes a
        walk from the next step at :meth:`walk_pace`; it keeps its end, so nothing after moves."""
        cur, j = cut.cur, cut.j
        if (cur.spm_start + cur.spm_end) / 2 < WALK_BELOW_SPM:
            return f"symptoms noted: keep walking ({cur.name})"
        spm, breath = self.walk_pace()
        spec, origin = cut.parts[j].segment, cut.parts[j].origin
        seconds = cur.start_seconds + cur.duration_seconds - cut.seconds
        rest = Segment(
            "Walk", duration=seconds, spm=Cadence("abs", spm), breath=breath, sound=spec.sound
        )
        continues = cut.k > 0 or cut.parts[j].continues
        parts = [*cut.split, Part(rest, origin, continues), *cut.parts[j + 1 :]]
        return _Edit(parts, f"symptoms: walking {format_spm(spm)} spm to the end of {cur.name}")


#: What each live command does to the timeline.
_EDITS: dict[str, Callable[[LiveTimeline, _Cut, int], _Edit | Change | str]] = {
    "faster": LiveTimeline._faster,
    "slower": LiveTimeline._slower,
    "breath": LiveTimeline._breath,
    "next": LiveTimeline._next,
    "back": LiveTimeline._back,
    "walk": LiveTimeline._symptoms,
}


def _frozen(seg: TimedSegment, seconds: Fraction) -> Segment:
    """The first ``seconds`` of ``seg`` with every value written out: it sounds as played."""
    if seg.is_ramp:
        end = seg.spm_start + (seg.spm_end - seg.spm_start) * seconds / seg.duration_seconds
        spm: Cadence | tuple[Cadence, Cadence] = (
            Cadence("abs", seg.spm_start),
            Cadence("abs", end),
        )
    else:
        spm = Cadence("abs", seg.spm_start)
    return Segment(seg.name, duration=seconds, spm=spm, breath=seg.breath, sound=seg.sound)


def _split_frame(seg: TimedSegment, k: int) -> int:
    """The frame where ``seg`` splits so that its first part holds exactly steps ``0..k-1``.

    One frame before step ``k``: the rest of the segment starts there, with its first step.
    """
    frame = seg.step_frame(k) - 1
    while True:
        seconds = Fraction(frame, seg.rate) - seg.start_seconds
        end = seg.spm_start + (seg.spm_end - seg.spm_start) * seconds / seg.duration_seconds
        if math.ceil(seconds * (seg.spm_start + end) / 120) <= k:
            return frame
        frame -= 1  # a rounding at the edge put step k inside: move the split earlier


def _rest_of(
    spec: Segment,
    seg: TimedSegment,
    k: int,
    cut_seconds: Fraction,
    base: Fraction,
    *,
    breath: Breath | None = None,
) -> Segment:
    """The rest of segment ``seg`` (planned as ``spec``) from its step ``k`` at ``cut_seconds``,
    as a segment resolved against ``base``; ``breath`` replaces its pattern."""
    pattern = breath if breath is not None else spec.breath
    if k == 0:
        return Segment(spec.name, spec.duration, spec.steps, spec.spm, pattern, spec.sound)
    spm = spec.spm
    if isinstance(spm, tuple):
        share = (cut_seconds - seg.start_seconds) / seg.duration_seconds
        a, b = spm
        if a.kind == b.kind and a.kind != "abs":
            start = Cadence(a.kind, a.value + (b.value - a.value) * share)
        else:
            s0, s1 = a.resolve(base), b.resolve(base)
            start = Cadence("abs", s0 + (s1 - s0) * share)
        spm = (start, b)
    if spec.steps is not None:
        return Segment(spec.name, steps=spec.steps - k, spm=spm, breath=pattern, sound=spec.sound)
    seconds = seg.start_seconds + seg.duration_seconds - cut_seconds
    return Segment(spec.name, duration=seconds, spm=spm, breath=pattern, sound=spec.sound)


def _next_breath(current: Breath) -> Breath:
    if current in BREATH_CYCLE:
        return BREATH_CYCLE[(BREATH_CYCLE.index(current) + 1) % len(BREATH_CYCLE)]
    return BREATH_CYCLE[0]


def start_frame_for(session: Session, start_at: str | None) -> int:
    """The frame ``--start-at`` names: a segment's start (the first whose name matches,
    ignoring case); for a time (``12:30``, ``90s``) the first step at or after it; for a
    position in the plan, ``SEGMENT+TIME`` (``3+0:04``: 4 s into the plan's third segment, as
    play's stop line gives it; ``Run+1:30``: 1:30 into the first segment named Run), the first
    step at or after that.

    Raises ``OptionError`` naming the value.
    """
    if start_at is None:
        return 0
    text = start_at.strip()
    wanted = text.casefold()
    names: list[str] = []
    for seg in session.segments():
        if seg.name.casefold() == wanted:
            return seg.start_frame
        if len(names) < 8 and seg.name not in names:
            names.append(seg.name)
    if "+" in text:
        return _first_step_from(session, _plan_position(session, text))
    try:
        seconds = parse_duration(text)
    except PlanError:
        raise OptionError(
            f"--start-at: no segment named {start_at!r}, and it is not a time such as 12:30 "
            f"or a segment and a time into it such as 2+0:30; the segments are "
            f"{', '.join(names)}"
        ) from None
    frame = round(seconds * session.rate)
    if frame >= session.total_frames:
        raise OptionError(
            f"--start-at: {start_at} is past the end; the session lasts "
            f"{format_seconds(session.total_seconds)}"
        )
    return _first_step_from(session, frame)


def _plan_position(session: Session, text: str) -> int:
    """The frame of ``SEGMENT+TIME``: a segment by number (from 1) or name, and a time into it."""
    head, _, tail = text.rpartition("+")
    where = head.strip()
    count = session.segment_count
    if where.isdigit():
        number = int(where)
        seg = next((s for s in session.segments() if s.index == number - 1), None)
        if seg is None:
            raise OptionError(
                f"--start-at: {text}: there is no segment {where}; the plan has "
                f"{plural(count, 'segment')} (1 to {count})"
            )
    else:
        seg = next((s for s in session.segments() if s.name.casefold() == where.casefold()), None)
        if seg is None:
            raise OptionError(f"--start-at: {text}: no segment named {where!r}")
    into = tail.strip()
    try:
        # A time into the segment may be nothing at all: "3+0:00" is its start.
        seconds = Fraction(0) if into.strip("0:.ms") == "" else parse_duration(into)
    except PlanError:
        raise OptionError(
            f"--start-at: {text}: {into!r} is not a time into the segment (e.g. 0:30)"
        ) from None
    if seconds >= seg.duration_seconds:
        raise OptionError(
            f"--start-at: {text}: segment {seg.index + 1} ({seg.name}) lasts "
            f"{format_seconds(seg.duration_seconds)}; give a time within it"
        )
    return seg.start_frame + round(seconds * session.rate)


def _first_step_from(session: Session, frame: int) -> int:
    """The frame of the first step at or after ``frame``."""
    for seg in session.segments():
        if seg.end_frame > frame:
            k = seg.first_step_at_or_after(frame)
            if k < seg.steps:
                return seg.step_frame(k)
    return frame  # pragma: no cover - every segment has steps up to its end
