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
the usual cues still mark every change. Time counts only audio played: a pause inserts silence
in the stream without moving the timeline.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Literal, Protocol

from runcoach.errors import OptionError, PlanError, RunCoachError
from runcoach.plans.model import BREATH_OFF, Breath, Cadence, Plan, Segment
from runcoach.plans.units import MAX_SPM, MIN_SPM, format_seconds, format_spm, parse_duration
from runcoach.timeline import Session, TimedSegment, resolve, segment_spm

if TYPE_CHECKING:
    import numpy as np

    from runcoach.mix.levels import MixOptions
    from runcoach.sinks.playback import Stream

Command = Literal["pause", "next", "back", "faster", "slower", "breath", "quit"]
COMMANDS: tuple[Command, ...] = ("pause", "next", "back", "faster", "slower", "breath", "quit")

#: What ``b`` cycles through, in order (a pattern not listed goes to the first).
BREATH_CYCLE = (Breath(4, 6), Breath(3, 3), Breath(3, 2), Breath(2, 2), BREATH_OFF)
#: ``p`` restarts the current segment after this many seconds of it, else goes to the previous.
BACK_RESTART_SECONDS = 3
#: How far ahead of the audio handed to the device a change may take effect (device latency).
MARGIN_SECONDS = 0.2


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


class LiveTimeline:
    """The session as live changes have made it so far, and how to derive the next change."""

    def __init__(self, session: Session) -> None:
        self.original = session
        self.session = session
        self._parts: tuple[Part, ...] | None = None  # None: the original plan, untouched
        self._plan_segments: tuple[Segment, ...] | None = None

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
        session = self.session
        if now >= session.total_frames:
            return "too close to the end"
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
            return "too close to the end"
        j = len(timed) - 1
        cur = timed[j]
        unit = j
        while unit > 0 and parts[unit].continues:
            unit -= 1
        unit_end = j + 1
        while unit_end < len(parts) and parts[unit_end].continues:
            unit_end += 1

        prefix = [
            Part(_frozen(seg, seg.duration_seconds), parts[i].origin, parts[i].continues)
            for i, seg in enumerate(timed[:j])
        ]
        if k > 0:
            cut = _split_frame(cur, k)
            cut_seconds = Fraction(cut, session.rate)
            head = Part(
                _frozen(cur, cut_seconds - cur.start_seconds), parts[j].origin, parts[j].continues
            )
            split = [*prefix, head]
        else:
            cut, cut_seconds, split = cur.start_frame, cur.start_seconds, prefix
        base, breath = session.base_spm, session.breath
        spec = parts[j].segment
        origin = parts[j].origin
        plan = self._plan()

        if command in ("faster", "slower"):
            base = base + (1 if command == "faster" else -1)
            if not MIN_SPM <= base <= MAX_SPM:
                return f"the base cadence stays within {MIN_SPM}-{MAX_SPM} spm"
            note = f"base cadence {format_spm(base)} spm"
            rest = _rest_of(spec, cur, k, cut_seconds, base)
            if segment_spm(rest, base) == segment_spm(
                _rest_of(spec, cur, k, cut_seconds, session.base_spm), session.base_spm
            ):
                # This segment keeps its own cadence: only the segments after it change.
                new_parts = [*prefix, parts[j], *parts[j + 1 :]]
                cut = now
                note += f" (from the next segment; {cur.name} stays {cur.describe_spm()})"
            else:
                new_parts = [*split, Part(rest, origin, k > 0), *parts[j + 1 :]]
        elif command == "breath":
            breath = _next_breath(cur.breath)
            note = f"breath {breath}"
            rest = _rest_of(spec, cur, k, cut_seconds, base, breath=breath)
            new_parts = [*split, Part(rest, origin, k > 0), *parts[j + 1 :]]
        elif command == "next":
            after = list(parts[unit_end:])
            if not after:
                return Change(cut, session, parts, "skipped the last segment", end=True)
            note = f"skipped to {after[0].segment.name}"
            new_parts = [*split, *after]
        elif command == "back":
            elapsed = now - timed[unit].start_frame
            again = [Part(plan[origin], origin)]
            if origin == 0 or elapsed > BACK_RESTART_SECONDS * session.rate:
                note = f"restarted {cur.name}"
            else:
                previous = origin - 1  # the plan's previous segment, wherever play came from
                again.insert(0, Part(plan[previous], previous))
                note = f"back to {plan[previous].name}"
            new_parts = [*split, *again, *parts[unit_end:]]
        else:
            raise ValueError(f"not a timeline change: {command!r}")

        try:
            new_plan = Plan(
                session.plan.name,
                [p.segment for p in new_parts],
                session.plan.description,
                spm=base,
                breath=breath,
                sound=session.sound,
                source=session.plan.source,
            )
            new = resolve(new_plan, spm=base, rate=session.rate, countdown=session.countdown)
        except RunCoachError as err:
            return f"cannot change: {err}"
        return Change(cut, new, tuple(new_parts), note)


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


# --------------------------------------------------------------------------- start-at


def start_frame_for(session: Session, start_at: str | None) -> int:
    """The frame ``--start-at`` names: a segment's start (the first whose name matches,
    ignoring case), or for a time (``12:30``, ``90s``) the first step at or after it.

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
    try:
        seconds = parse_duration(text)
    except PlanError:
        raise OptionError(
            f"--start-at: no segment named {start_at!r}, and it is not a time such as 12:30; "
            f"the segments are {', '.join(names)}"
        ) from None
    frame = round(seconds * session.rate)
    if frame >= session.total_frames:
        raise OptionError(
            f"--start-at: {start_at} is past the end; the session lasts "
            f"{format_seconds(session.total_seconds)}"
        )
    for seg in session.segments():
        if seg.end_frame > frame:
            k = seg.first_step_at_or_after(frame)
            if k < seg.steps:
                return seg.step_frame(k)
    return frame  # pragma: no cover - every segment has steps up to its end


# --------------------------------------------------------------------------- status


@dataclass(frozen=True)
class Status:
    """What the display shows, as of one moment (immutable: safe to hand to another thread)."""

    plan_name: str
    rate: int
    position: int
    total_frames: int
    segment: str
    segment_number: int
    segment_count: int
    segment_left: int
    segment_start: int
    segment_frames: int
    segment_key: tuple[int, int]  #: changes exactly when a new segment starts
    spm: float
    spm_target: float | None  #: where a ramp is heading
    spm_plan: str  #: the segment's cadence as planned: ``170`` or ``165→150``
    base_spm: float
    breath: Breath
    phase: Literal["in", "out"] | None
    phase_step: int
    phase_steps: int
    next_name: str | None
    next_seconds: float
    next_spm: str
    paused: bool
    note: str
    note_serial: int

    @property
    def seconds(self) -> float:
        """Elapsed session time (audio played), in seconds."""
        return self.position / self.rate

    @property
    def total_seconds(self) -> float:
        """The session's length, in seconds (live changes move it)."""
        return self.total_frames / self.rate


@dataclass(frozen=True)
class Summary:
    """How a play ended: time played (pauses excluded), steps heard, segments done."""

    plan_name: str
    completed: bool
    interrupted: bool
    start_frame: int
    end_frame: int
    rate: int
    steps: int
    segments_done: int
    segment_count: int
    skipped: int
    changes: int

    @property
    def played_seconds(self) -> float:
        """Seconds of the session played."""
        return (self.end_frame - self.start_frame) / self.rate


class _Cursor:
    """Follows the live session's segments forward as the position moves (lazily)."""

    def __init__(self, timeline: LiveTimeline, frame: int) -> None:
        self._timeline = timeline
        self._it = timeline.session.segments()
        self._ahead: deque[TimedSegment] = deque()
        self.cur: TimedSegment | None = None
        self.unit_start = 0
        self.unit_index = 0
        self.seek(frame)

    def _peek(self, i: int) -> TimedSegment | None:
        while len(self._ahead) <= i:
            nxt = next(self._it, None)
            if nxt is None:
                return None
            self._ahead.append(nxt)
        return self._ahead[i]

    def seek(self, frame: int) -> None:
        while self.cur is None or self.cur.end_frame <= frame:
            nxt = self._peek(0)
            if nxt is None:
                return
            self._ahead.popleft()
            if self.cur is None or not self._timeline.continues(nxt.index):
                self.unit_start = nxt.start_frame
                self.unit_index = nxt.index
            self.cur = nxt

    def _unit_from(self, i: int, end: int) -> tuple[int, int]:
        """From look-ahead ``i`` on, skip continuations: (end frame, look-ahead index after)."""
        while True:
            nxt = self._peek(i)
            if nxt is None or not self._timeline.continues(nxt.index):
                return end, i
            end = nxt.end_frame
            i += 1

    def units(self) -> tuple[int, TimedSegment | None, int]:
        """The current segment's end (with its continuations), the next segment, and its end."""
        assert self.cur is not None
        end, i = self._unit_from(0, self.cur.end_frame)
        following = self._peek(i)
        if following is None:
            return end, None, end
        next_end, _ = self._unit_from(i + 1, following.end_frame)
        return end, following, next_end


# --------------------------------------------------------------------------- the controller


class Display(Protocol):
    """Where the controller reports (see :mod:`runcoach.cli.display`)."""

    def update(self, status: Status) -> None:
        """Show ``status`` (called several times a second)."""


class Controller:
    """Plays a session through a :class:`~runcoach.sinks.playback.Stream`, with live controls.

    :meth:`run` is the producer loop and runs in the calling (main) thread; the controls
    (:meth:`toggle_pause`, :meth:`next`, :meth:`back`, :meth:`faster`, :meth:`slower`,
    :meth:`cycle_breath`, :meth:`quit`, or :meth:`command`) may be called from any thread, such as
    a key reader or a test. Every change is kept in :attr:`history` as ``(frame, session)``: the
    stream is ``blocks(session)`` of each entry from its frame to the next one's.
    """

    def __init__(
        self,
        session: Session,
        options: MixOptions,
        stream: Stream,
        *,
        start_frame: int = 0,
        block_frames: int | None = None,
        display: Display | None = None,
        refresh_seconds: float = 0.2,
        poll_seconds: float = 0.05,
    ) -> None:
        self.timeline = LiveTimeline(session)
        self.options = options
        self.stream = stream
        self.start_frame = start_frame
        self.block_frames = block_frames or max(256, session.rate // 10)
        self.display = display
        self.refresh_seconds = refresh_seconds
        self.poll_seconds = poll_seconds
        self.history: list[tuple[int, Session]] = [(start_frame, session)]
        #: ``(frame, True/False)`` for each pause and resume, at the stream position.
        self.pauses: list[tuple[int, bool]] = []
        self._commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._last_cut = start_frame
        self._note = ""
        self._note_serial = 0
        self._skipped = 0
        self._quit = False
        self._ended_early = False
        self._cursor: _Cursor | None = None
        self.position_at_end = start_frame

    # ---- controls: any thread

    def command(self, name: Command) -> None:
        """Queue a control by name (see :data:`COMMANDS`)."""
        if name not in COMMANDS:
            raise ValueError(f"unknown command {name!r}; choose one of {', '.join(COMMANDS)}")
        if name == "pause":
            self.toggle_pause()
            return
        self._commands.put(name)
        self._wake.set()

    def toggle_pause(self) -> None:
        """Pause (sound stops at once) or resume where it stopped."""
        if self.stream.paused:
            self.stream.resume()
            self.pauses.append((self.stream.position(), False))
            self._set_note("playing")
        else:
            self.stream.pause()
            self.pauses.append((self.stream.position(), True))
            self._set_note("paused: space to go on")
        self._wake.set()

    def next(self) -> None:
        """Skip to the next segment (on the next step)."""
        self.command("next")

    def back(self) -> None:
        """Restart the current segment, or go to the previous one in its first seconds."""
        self.command("back")

    def faster(self) -> None:
        """Raise the base cadence by 1 spm from the next step on."""
        self.command("faster")

    def slower(self) -> None:
        """Lower the base cadence by 1 spm from the next step on."""
        self.command("slower")

    def cycle_breath(self) -> None:
        """Switch to the next breath pattern (4:6, 3:3, 3:2, 2:2, off)."""
        self.command("breath")

    def quit(self) -> None:
        """Stop at once; :meth:`run` returns the summary."""
        self.command("quit")

    # ---- the producer: the main thread

    def run(self) -> Summary:
        """Play to the end (or a quit); returns the summary. Raises ``PlaybackError``.

        ``KeyboardInterrupt`` propagates after the device is closed.
        """
        from runcoach.mix.blocks import blocks

        stream = self.stream
        session = self.timeline.session
        stream.start()
        source: Iterator[np.ndarray] = blocks(
            session, self.options, block_frames=self.block_frames, start_frame=self.start_frame
        )
        exhausted = False
        completed = False
        self._cursor = _Cursor(self.timeline, self.start_frame)
        last_shown = 0.0
        try:
            while True:
                while True:
                    try:
                        name = self._commands.get_nowait()
                    except queue.Empty:
                        break
                    if name == "quit":
                        self._quit = True
                        break
                    replaced = self._change(name, source, exhausted)
                    if replaced is not None:
                        source, exhausted = replaced, False
                if self._quit:
                    break
                stream.check()
                while not exhausted and stream.wants_audio():
                    block = next(source, None)
                    if block is None:
                        exhausted = True
                        stream.end()
                    else:
                        stream.push(block)
                if exhausted and stream.done():
                    completed = True
                    break
                now = time.monotonic()
                if self.display is not None and now - last_shown >= self.refresh_seconds:
                    self.display.update(self.status())
                    last_shown = now
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
        finally:
            self.position_at_end = stream.position()
            stream.close()
        if completed:
            self.position_at_end = self.timeline.session.total_frames
        return self.summary(completed=completed)

    def _change(
        self, name: Command, source: Iterator[np.ndarray], exhausted: bool
    ) -> Iterator[np.ndarray] | None:
        """Apply one timeline change: cut the queue and return the new source (or None)."""
        from runcoach.mix.blocks import blocks

        stream = self.stream
        margin = round(MARGIN_SECONDS * self.timeline.session.rate)
        for _attempt in range(3):
            now = max(stream.position() + margin, self._last_cut)
            change = self.timeline.plan_change(name, now)
            if isinstance(change, str):
                self._set_note(change)
                return None
            if change.end:
                self._set_note(change.note)
                self._skipped += 1
                self._ended_early = True
                self._quit = True
                return None
            # Audio before the cut stays as queued: make sure it is all there.
            while not exhausted and stream.queued_until() < change.frame:
                block = next(source, None)
                if block is None:
                    exhausted = True
                else:
                    stream.push(block)
            if stream.truncate(change.frame):
                break
        else:  # pragma: no cover - the device ran past three fresh cuts in a row
            self._set_note("busy: try again")
            return None
        self.timeline.apply(change)
        self.history.append((change.frame, change.session))
        self._last_cut = change.frame
        if name == "next":
            self._skipped += 1
        self._set_note(change.note)
        self._cursor = _Cursor(self.timeline, stream.position())
        return blocks(
            change.session, self.options, block_frames=self.block_frames, start_frame=change.frame
        )

    def _set_note(self, text: str) -> None:
        self._note = text
        self._note_serial += 1

    # ---- reporting

    def status(self) -> Status:
        """The state to display now (call from the thread running :meth:`run`)."""
        session = self.timeline.session
        position = min(self.stream.position(), session.total_frames)
        cursor = self._cursor
        if cursor is None:
            cursor = self._cursor = _Cursor(self.timeline, position)
        cursor.seek(position)
        cur = cursor.cur
        assert cur is not None
        unit_end, following, following_end = cursor.units()
        last = cur.first_step_at_or_after(position + 1) - 1
        phase: Literal["in", "out"] | None = None
        phase_step = phase_steps = 0
        pattern = cur.breath
        if pattern.cycle and last >= 0:
            pos = last % pattern.cycle
            if pos < pattern.inhale:
                phase, phase_step, phase_steps = "in", pos + 1, pattern.inhale
            else:
                phase, phase_step, phase_steps = "out", pos - pattern.inhale + 1, pattern.exhale
        next_seconds = 0.0
        next_spm = ""
        if following is not None:
            next_seconds = (following_end - following.start_frame) / session.rate
            next_spm = following.describe_spm()
        return Status(
            plan_name=session.plan.name,
            rate=session.rate,
            position=position,
            total_frames=session.total_frames,
            segment=cur.name,
            segment_number=self.timeline.origin(cursor.unit_index) + 1,
            segment_count=self.timeline.original.segment_count,
            segment_left=max(0, unit_end - position),
            segment_start=cursor.unit_start,
            segment_frames=unit_end - cursor.unit_start,
            segment_key=(cursor.unit_index, cursor.unit_start),
            spm=cur.spm_at(position),
            spm_target=float(cur.spm_end) if cur.is_ramp else None,
            spm_plan=cur.describe_spm(),
            base_spm=float(session.base_spm),
            breath=pattern,
            phase=phase,
            phase_step=phase_step,
            phase_steps=phase_steps,
            next_name=following.name if following is not None else None,
            next_seconds=next_seconds,
            next_spm=next_spm,
            paused=self.stream.paused,
            note=self._note,
            note_serial=self._note_serial,
        )

    def summary(self, *, completed: bool, interrupted: bool = False) -> Summary:
        """Time played, steps heard and segments done, from the live timeline."""
        session = self.timeline.session
        end = min(self.position_at_end, session.total_frames)
        begin = self.start_frame
        steps = 0
        done = 0
        units = 0
        unit_end = -1
        for seg in session.segments():
            if not self.timeline.continues(seg.index):
                if begin < unit_end <= end:
                    done += 1
                units += 1
            unit_end = seg.end_frame
            lo, hi = max(begin, seg.start_frame), min(end, seg.end_frame)
            if lo < hi:
                steps += seg.first_step_at_or_after(hi) - seg.first_step_at_or_after(lo)
        if begin < unit_end <= end:
            done += 1
        return Summary(
            plan_name=session.plan.name,
            completed=completed and not self._ended_early,
            interrupted=interrupted,
            start_frame=begin,
            end_frame=end,
            rate=session.rate,
            steps=steps,
            segments_done=done,
            segment_count=units,
            skipped=self._skipped,
            changes=len(self.history) - 1,
        )
