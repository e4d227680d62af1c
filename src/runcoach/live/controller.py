"""The live controller behind ``runcoach play``: the producer loop that feeds the device, and
the controls a key reader (or a test) calls while it plays.

Untouched, the stream is exactly ``layered_blocks(session, options, layers, start_frame=...)``:
what the device receives is what ``runcoach render`` writes, voice and music included. Each
control becomes a change of the live timeline (:mod:`runcoach.live.edits`): the queue is cut at
the change's frame and continues with the new session's layered blocks from there (the voice
announces the new timeline's segments; the music runs on in session time, never from its start
again: see :class:`~runcoach.mix.layers.LayerMix`). A pause plays silence without moving the
timeline, and the music waits with it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from runcoach.breath import phase_at
from runcoach.live.edits import COMMANDS, Command, LiveTimeline
from runcoach.live.status import Cursor, Display, NotedSymptom, Status, Summary
from runcoach.mix.layers import LayerMix, Layers
from runcoach.plans.units import format_seconds, format_spm
from runcoach.timeline import Session

if TYPE_CHECKING:
    import numpy as np

    from runcoach.mix.levels import MixOptions
    from runcoach.sinks.streams import Stream

#: How far ahead of the audio handed to the device a change may take effect (device latency).
MARGIN_SECONDS = 0.2


class Controller:
    """Plays a session through a :class:`~runcoach.sinks.playback.Stream`, with live controls.

    :meth:`run` is the producer loop and runs in the calling (main) thread; the controls
    (:meth:`toggle_pause`, :meth:`next`, :meth:`back`, :meth:`faster`, :meth:`slower`,
    :meth:`cycle_breath`, :meth:`walk`, :meth:`quit`, or :meth:`command`) may be called from any
    thread, such as a key reader or a test. Every change is kept in :attr:`history` as
    ``(frame, session)``: the stream is the layered blocks of each entry's session from its frame
    to the next one's (without layers, exactly ``blocks(session)``). Each ``walk`` ("symptoms
    now") is kept in :attr:`symptoms`, whether or not it changed the timeline, for the caller to
    note in the journal.
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
        layers: Layers | None = None,
    ) -> None:
        self.timeline = LiveTimeline(session)
        self.options = options
        self.layers = layers or Layers()
        self._mix: LayerMix | None = None
        self.stream = stream
        self.start_frame = start_frame
        self.block_frames = block_frames or max(256, session.rate // 10)
        self.display = display
        self.refresh_seconds = refresh_seconds
        self.poll_seconds = poll_seconds
        self.history: list[tuple[int, Session]] = [(start_frame, session)]
        #: ``(frame, True/False)`` for each pause and resume, at the stream position.
        self.pauses: list[tuple[int, bool]] = []
        #: Each ``walk`` ("symptoms now"): when (session seconds) and in which segment.
        self.symptoms: list[NotedSymptom] = []
        self._commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._last_cut = start_frame
        self._note = ""
        self._note_serial = 0
        self._skipped = 0
        self._quit = False
        self._ended_early = False
        self._cursor: Cursor | None = None
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

    def walk(self) -> None:
        """Symptoms now: note them, and walk the rest of the current running segment from the
        next step (see :meth:`~runcoach.live.edits.LiveTimeline.walk_pace`)."""
        self.command("walk")

    def quit(self) -> None:
        """Stop at once; :meth:`run` returns the summary."""
        self.command("quit")

    # ---- the producer: the main thread

    def run(self) -> Summary:
        """Play to the end (or a quit); returns the summary. Raises ``PlaybackError``.

        ``KeyboardInterrupt`` propagates after the device is closed.
        """
        stream = self.stream
        session = self.timeline.session
        self._mix = LayerMix(session, self.options, self.layers)
        stream.start()
        source: Iterator[np.ndarray] = self._mix.blocks(
            session, block_frames=self.block_frames, start_frame=self.start_frame
        )
        exhausted = False
        completed = False
        self._cursor = Cursor(self.timeline, self.start_frame)
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
        stream = self.stream
        if name == "walk":
            status = self.status()
            self.symptoms.append(NotedSymptom(status.seconds, status.segment))
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
        self._cursor = Cursor(self.timeline, stream.position())
        assert self._mix is not None
        return self._mix.blocks(
            change.session, block_frames=self.block_frames, start_frame=change.frame, cut=True
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
            cursor = self._cursor = Cursor(self.timeline, position)
        cursor.seek(position)
        cur = cursor.cur
        assert cur is not None
        unit_end, following, following_end = cursor.units()
        last = cur.first_step_at_or_after(position + 1) - 1
        pattern = cur.breath
        phase, phase_step, phase_steps = phase_at(pattern, last)
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
        """Time played, steps heard and the plan's segments done, from the live timeline, and
        where to go on from (``--start-at`` and the options a change made differ)."""
        session = self.timeline.session
        end = min(self.position_at_end, session.total_frames)
        begin = self.start_frame
        steps = 0
        done: set[int] = set()
        unit: tuple[int, int] | None = None  # the unit so far: (plan segment, end frame)
        for seg in session.segments():
            if unit is None or not self.timeline.continues(seg.index):
                if unit is not None and begin < unit[1] <= end:
                    done.add(unit[0])
                unit = (self.timeline.origin(seg.index), seg.end_frame)
            else:
                unit = (unit[0], seg.end_frame)
            lo, hi = max(begin, seg.start_frame), min(end, seg.end_frame)
            if lo < hi:
                steps += seg.first_step_at_or_after(hi) - seg.first_step_at_or_after(lo)
        if unit is not None and begin < unit[1] <= end:
            done.add(unit[0])
        finished = completed and not self._ended_early
        return Summary(
            plan_name=session.plan.name,
            completed=finished,
            interrupted=interrupted,
            start_frame=begin,
            end_frame=end,
            rate=session.rate,
            steps=steps,
            segments_done=len(done),
            segment_count=self.timeline.original.segment_count,
            skipped=self._skipped,
            changes=len(self.history) - 1,
            resume=None if finished else self.resume_hint(end),
        )

    def resume_hint(self, frame: int) -> str | None:
        """What goes on from ``frame`` of the live session: ``3+0:04`` (the plan's third
        segment, 4 s in, as ``--start-at`` takes it), with ``--spm``/``--breath`` when a live
        change made them differ; None at the end."""
        timeline = self.timeline
        unit_start = unit_index = 0
        for seg in timeline.session.segments():
            if not timeline.continues(seg.index):
                unit_start, unit_index = seg.start_frame, seg.index
            if seg.end_frame > frame:
                break
        else:
            return None
        seconds = (frame - unit_start) // timeline.session.rate
        hint = f"{timeline.origin(unit_index) + 1}+{format_seconds(seconds)}"
        original, now = timeline.original, timeline.session
        if now.base_spm != original.base_spm:
            hint += f" --spm {format_spm(now.base_spm)}"
        if now.breath != original.breath:
            hint += f" --breath {now.breath}"
        return hint
