"""What the display shows while a session plays (:class:`Status`), how a play ended
(:class:`Summary`), and the symptoms noted while it played (:class:`NotedSymptom`)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol

from runcoach.plans.model import Breath
from runcoach.timeline import TimedSegment

if TYPE_CHECKING:
    from runcoach.live.edits import LiveTimeline


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


class NotedSymptom(NamedTuple):
    """Symptoms noted during play (the ``w`` key): ``seconds`` into the session, in
    ``segment`` (its name)."""

    seconds: float
    segment: str


class Cursor:
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


class Display(Protocol):
    """Where the controller reports (see :mod:`runcoach.cli.display`)."""

    def update(self, status: Status) -> None:
        """Show ``status`` (called several times a second)."""


def breath_phase(pattern: Breath, last_step: int) -> tuple[Literal["in", "out"] | None, int, int]:
    """Where step ``last_step`` of a segment falls in its breath: (phase, step of the phase,
    steps in the phase); ``(None, 0, 0)`` with no pattern or before the first step."""
    if not pattern.cycle or last_step < 0:
        return None, 0, 0
    pos = last_step % pattern.cycle
    if pos < pattern.inhale:
        return "in", pos + 1, pattern.inhale
    return "out", pos - pattern.inhale + 1, pattern.exhale
