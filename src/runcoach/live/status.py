"""What the display shows while a session plays (:class:`Status`), how a play ended
(:class:`Summary`), and the symptoms noted while it played (:class:`NotedSymptom`); and the
texts the display is made of, as plain strings that read the same without colour (the cadence,
the session bar, the key hints wrapped to the width, the closing lines)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol

from runcoach.plans.model import Breath
from runcoach.plans.units import format_seconds, format_spm, plural
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
    #: Where to go on from, as ``--start-at`` takes it (``3+0:04``, perhaps with ``--spm``
    #: and ``--breath``); None when the session was played to its end.
    resume: str | None = None

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


#: The keys, each as (long, short) text: the short one where the long one does not fit.
KEY_HINTS = (
    ("space pause", "space pause"),
    ("n next", "n next"),
    ("p back", "p back"),
    ("+/- spm", "+/- spm"),
    ("b breath", "b breath"),
    ("q quit", "q quit"),
    ("w symptoms now: walk from the next step", "w symptoms: walk"),
)
#: The session bar's characters: done and to go (distinct without colour).
BAR_DONE = "━"
BAR_TO_GO = "─"


def key_hint_lines(width: int) -> list[str]:
    """The key hints in lines of at most ``width`` characters (at least 20), every key named:
    the keys two spaces apart, the symptoms key on a line of its own."""
    width = max(20, width)
    lines: list[str] = []
    line = ""
    for long, short in KEY_HINTS[:-1]:
        text = long if len(long) <= width else short
        if line and len(line) + 2 + len(text) > width:
            lines.append(line)
            line = ""
        line = f"{line}  {text}" if line else text
    lines.append(line)
    long, short = KEY_HINTS[-1]
    lines.append(long if len(long) <= width else short)
    return lines


def spm_text(status: Status) -> str:
    """The cadence now: ``170 spm``, or on a ramp ``160 → 150 spm`` (one cadence once it has
    reached the end of the ramp)."""
    text = format_spm(round(status.spm))
    if status.spm_target is not None:
        target = format_spm(status.spm_target)
        if target != text and format_spm(round(status.spm_target)) != text:
            text += f" → {target}"
    return f"{text} spm"


def session_bar(status: Status, width: int) -> tuple[str, str]:
    """The session bar, ``width`` characters: the part done and the part to go, in
    :data:`BAR_DONE` and :data:`BAR_TO_GO` (no colour needed to read it)."""
    width = max(1, width)
    total = max(1, status.total_frames)
    done = min(width, max(0, status.position) * width // total)
    return BAR_DONE * done, BAR_TO_GO * (width - done)


def summary_lines(summary: Summary) -> list[str]:
    """The closing lines: how it ended (and where to pick up after a stop, as a position in
    the plan that ``--start-at`` takes), and the counts."""
    counts = (
        f"{format_seconds(summary.played_seconds)} played, {plural(summary.steps, 'step')}, "
        f"{summary.segments_done} of {plural(summary.segment_count, 'segment')} done"
    )
    if summary.skipped:
        counts += f" ({summary.skipped} skipped)"
    if summary.completed:
        return [f"Done: {summary.plan_name}.", counts + "."]
    at = format_seconds(summary.end_frame // summary.rate)
    how = "Interrupted" if summary.interrupted else "Stopped"
    if summary.resume is None:
        return [f"{how} at {at}.", counts + "."]
    return [f"{how} at {at} (go on from there with --start-at {summary.resume}).", counts + "."]
