"""Live play without a sound card: the controller, its timeline changes, the display, the keys.

The stream here is an in-memory stand-in for the device (it "plays" a fixed number of frames
each time the controller checks it); the real device path is tested in ``test_play.py``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest

from conftest import onsets
from runcoach.cli.display import PANEL_WIDTH, PlainDisplay, panel, summary_lines
from runcoach.cli.play import parse_keys
from runcoach.errors import OptionError
from runcoach.live.controller import Controller
from runcoach.live.edits import LiveTimeline, start_frame_for
from runcoach.mix.blocks import blocks
from runcoach.mix.levels import MixOptions
from runcoach.mix.pcm import to_pcm16
from runcoach.plans.catalogue import load_plan
from runcoach.plans.model import Breath, Plan, Segment
from runcoach.timeline import Session, resolve

RATE = 8000


class MemoryStream:
    """Plays into memory: each ``check`` hands ``per_check`` frames to ``played`` (silence
    while paused) and runs the hooks whose frame was reached."""

    def __init__(
        self,
        rate: int = RATE,
        channels: int = 1,
        start_frame: int = 0,
        per_check: int = 400,
        ahead: int = 4000,
    ) -> None:
        self.rate, self.channels = rate, channels
        self._bpf = 2 * channels
        self.head = start_frame
        self.buf = bytearray()
        self.played = bytearray()
        self.per_check, self.ahead = per_check, ahead
        self.eof = False
        self._paused = False
        self.hooks: list[tuple[int, Callable[[], None]]] = []
        self.closed = False

    def start(self) -> None:
        pass

    def position(self) -> int:
        return self.head

    def queued_until(self) -> int:
        return self.head + len(self.buf) // self._bpf

    def wants_audio(self) -> bool:
        return len(self.buf) < self.ahead * self._bpf

    def push(self, block: np.ndarray) -> None:
        self.buf += to_pcm16(block)
        self.eof = False

    def end(self) -> None:
        self.eof = True

    def truncate(self, frame: int) -> bool:
        if frame < self.head:
            return False
        del self.buf[(frame - self.head) * self._bpf :]
        self.eof = False
        return True

    def pause(self) -> None:
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    @property
    def paused(self) -> bool:
        return self._paused

    def done(self) -> bool:
        return self.eof and not self.buf

    def check(self) -> None:
        while self.hooks and self.head >= self.hooks[0][0]:
            self.hooks.pop(0)[1]()
        if self._paused:
            self.played += bytes(self.per_check * self._bpf)
            return
        take = min(len(self.buf), self.per_check * self._bpf)
        self.played += self.buf[:take]
        del self.buf[:take]
        self.head += take // self._bpf

    def close(self) -> None:
        self.closed = True


@pytest.fixture()
def small() -> Session:
    plan = Plan(
        "Small",
        [
            Segment("Run", duration=6),
            Segment("Walk", duration=6, spm=115, breath="off"),
            Segment("Jog", duration=5, spm="-10"),
            Segment("Strides", duration=4, spm=["-5", "+5"]),
        ],
        spm=170,
        breath="4:6",
    )
    return resolve(plan, rate=RATE)


def _play(
    session: Session, at: list[tuple[float, str]] | None = None, *, start_frame: int = 0
) -> tuple[Controller, MemoryStream]:
    stream = MemoryStream(start_frame=start_frame)
    controller = Controller(session, MixOptions(), stream, start_frame=start_frame, poll_seconds=0)
    for seconds, name in at or []:
        stream.hooks.append((round(seconds * RATE), lambda n=name: controller.command(n)))
    controller.summary_result = controller.run()  # type: ignore[attr-defined]
    return controller, stream


def _rebuilt(controller: Controller, end: int) -> bytes:
    """The stream the controller's history describes (no pauses)."""
    out = bytearray()
    history = controller.history
    for i, (frame, sess) in enumerate(history):
        stop = history[i + 1][0] if i + 1 < len(history) else end
        at = frame
        for block in blocks(sess, MixOptions(), start_frame=frame):
            if at >= stop:
                break
            part = block[: stop - at]
            out += to_pcm16(part)
            at += len(part)
    return bytes(out)


def _steps(session: Session) -> list[int]:
    from runcoach.timeline import Step, events

    return [e.frame for e in events(session) if isinstance(e, Step)]


def test_untouched_play_is_exactly_the_rendered_stream(small):
    controller, stream = _play(small)
    expected = b"".join(to_pcm16(b) for b in blocks(small))
    assert bytes(stream.played) == expected
    summary = controller.summary_result  # type: ignore[attr-defined]
    assert summary.completed and summary.end_frame == small.total_frames
    assert summary.steps == small.total_steps
    assert summary.segments_done == summary.segment_count == 4
    assert stream.closed


def test_start_frame_plays_the_rest_exactly(small):
    start = start_frame_for(small, "jog")
    assert start == 12 * RATE
    controller, stream = _play(small, start_frame=start)
    expected = b"".join(to_pcm16(b) for b in blocks(small))[start * 2 :]
    assert bytes(stream.played) == expected
    summary = controller.summary_result  # type: ignore[attr-defined]
    assert summary.segments_done == 2 and summary.played_seconds == 9


def test_faster_changes_cadence_from_the_next_step(small):
    controller, stream = _play(small, [(2.0, "faster")])
    (_, before), (cut, after) = controller.history
    old_steps = _steps(before)
    nxt = next(f for f in old_steps if f >= 2 * RATE + 0.2 * RATE)
    assert cut == nxt - 1  # the rest of the run starts one frame before its next step
    run_rest = next(s for s in after.segments() if s.start_frame == cut)
    assert run_rest.name == "Run" and run_rest.spm_start == 171
    assert run_rest.end_frame == 6 * RATE  # boundaries never move
    # Every later step placement follows 171 spm from the cut, exactly.
    new_steps = [f for f in _steps(after) if cut <= f < 6 * RATE]
    assert new_steps == [cut + round(k * 60 * RATE / 171) for k in range(len(new_steps))]
    # Steps before the cut are untouched, and so is every frame before it.
    assert [f for f in _steps(after) if f < cut] == [f for f in old_steps if f < cut]
    assert bytes(stream.played) == _rebuilt(controller, after.total_frames)
    assert (
        bytes(stream.played)[: cut * 2] == b"".join(to_pcm16(b) for b in blocks(small))[: cut * 2]
    )
    # What the device got shows it: clicks 60*8000/171 frames apart after the cut.
    x = np.frombuffer(bytes(stream.played), "<i2").astype(np.float64)[:, None] / 32767
    found = [int(f) for f in onsets(x[cut : 6 * RATE])]
    assert found == [f - cut for f in new_steps]
    # The relative jog follows the new base; the absolute walk keeps its own.
    spms = {s.name: s.spm_start for s in after.segments()}
    assert spms["Walk"] == 115 and spms["Jog"] == 161


def test_faster_in_an_absolute_segment_changes_only_what_follows(small):
    controller, stream = _play(small, [(7.0, "faster")])
    (_, _before), (_cut, after) = controller.history
    assert [(s.name, s.start_frame, s.spm_start) for s in after.segments()][:2] == [
        ("Run", 0, 170),
        ("Walk", 6 * RATE, 115),
    ]
    assert next(s for s in after.segments() if s.name == "Jog").spm_start == 161
    assert bytes(stream.played) == _rebuilt(controller, after.total_frames)


def test_a_ramp_continues_from_where_it_was(small):
    controller, _ = _play(small, [(19.0, "slower")])
    (_, before), (cut, after) = controller.history
    old = next(s for s in before.segments() if s.name == "Strides")
    rest = next(s for s in after.segments() if s.start_frame == cut)
    assert rest.name == "Strides" and rest.end_frame == old.end_frame
    share = Fraction(cut - old.start_frame, old.frames)
    assert rest.spm_start == old.spm_start - 1 + (old.spm_end - old.spm_start) * share
    assert rest.spm_end == old.spm_end - 1


def test_breath_cycles_and_restarts_with_an_inhale(small):
    controller, _ = _play(small, [(1.0, "breath"), (3.0, "breath")])
    (_, _s0), (c1, s1), (c2, s2) = controller.history
    patterns = [
        next(s for s in sess.segments() if s.start_frame == c).breath
        for sess, c in ((s1, c1), (s2, c2))
    ]
    assert patterns == [Breath(3, 3), Breath(3, 2)]
    # Later segments without their own pattern follow; the walk keeps "off".
    assert {s.name: str(s.breath) for s in s2.segments()}["Jog"] == "3:2"
    assert {s.name: str(s.breath) for s in s2.segments()}["Walk"] == "off"


def test_next_skips_to_the_next_segment_on_the_next_step(small):
    controller, stream = _play(small, [(2.0, "next")])
    (_, before), (cut, after) = controller.history
    walk = next(s for s in after.segments() if s.name == "Walk")
    assert walk.start_frame == cut < 6 * RATE
    assert after.total_frames == before.total_frames - (6 * RATE - cut)
    summary = controller.summary_result  # type: ignore[attr-defined]
    assert summary.skipped == 1 and summary.segments_done == 4 and summary.completed
    assert bytes(stream.played) == _rebuilt(controller, after.total_frames)


def test_back_restarts_then_goes_to_the_previous_segment(small):
    controller, _ = _play(small, [(10.0, "back"), (10.0 + 0.1, "back")])
    (_, _s0), (c1, s1), (c2, s2) = controller.history
    names = [(s.name, s.start_frame) for s in s1.segments()]
    assert ("Walk", c1) in names and names[1] == ("Walk", 6 * RATE)  # restarted
    names = [s.name for s in s2.segments() if s.start_frame >= c2]
    assert names == ["Run", "Walk", "Jog", "Strides"]  # then back to the run before it


def test_next_on_the_last_segment_ends_the_session(small):
    controller, stream = _play(small, [(18.0, "next")])
    summary = controller.summary_result  # type: ignore[attr-defined]
    assert not summary.completed and summary.skipped == 1
    assert len(stream.played) < small.total_frames * 2


def test_quit_stops_at_once_with_a_summary(small):
    controller, _stream = _play(small, [(3.0, "quit")])
    summary = controller.summary_result  # type: ignore[attr-defined]
    assert not summary.completed and 3 * RATE <= summary.end_frame < 4 * RATE
    assert summary.steps == sum(1 for f in _steps(small) if f < summary.end_frame)
    assert "Stopped at 0:03" in summary_lines(summary)[0]


def test_pause_inserts_silence_and_loses_nothing(small):
    stream = MemoryStream()
    controller = Controller(small, MixOptions(), stream, poll_seconds=0)
    stream.hooks.append((RATE, controller.toggle_pause))
    count = {"n": 0}
    original = stream.check

    def check() -> None:
        original()
        if stream.paused:
            count["n"] += 1
            if count["n"] == 10:
                controller.toggle_pause()

    stream.check = check  # type: ignore[method-assign]
    controller.run()
    played = bytes(stream.played)
    full = b"".join(to_pcm16(b) for b in blocks(small))
    gap = 10 * 400 * 2
    assert played[: RATE * 2] == full[: RATE * 2]
    assert played[RATE * 2 : RATE * 2 + gap] == bytes(gap)
    assert played[RATE * 2 + gap :] == full[RATE * 2 :]
    assert controller.pauses == [(RATE, True), (RATE, False)]


def test_limits_are_kept_and_said(small):
    fast = resolve(Plan("Fast", [Segment("Run", duration=3)], spm=240), rate=RATE)
    controller, _ = _play(fast, [(1.0, "faster")])
    assert len(controller.history) == 1
    assert "240" in controller._note


def test_steps_segments_keep_their_count():
    plan = Plan(
        "Strides", [Segment("Strides", steps=40, spm="+5"), Segment("Walk", duration=3)], spm=170
    )
    session = resolve(plan, rate=RATE)
    controller, _ = _play(session, [(4.0, "faster")])
    (_, _before), (_cut, after) = controller.history
    first = list(after.segments())[:2]
    assert first[0].steps + first[1].steps == 40
    assert first[1].spm_start == 176


def test_a_change_while_one_is_pending_builds_on_it(small):
    timeline = LiveTimeline(small)
    change = timeline.plan_change("faster", 2 * RATE)
    assert not isinstance(change, str)
    timeline.apply(change)
    again = timeline.plan_change("faster", change.frame)
    assert not isinstance(again, str)
    rest = next(s for s in again.session.segments() if s.start_frame == again.frame)
    assert rest.spm_start == 172


def test_start_at_names_and_times(small):
    assert start_frame_for(small, None) == 0
    assert start_frame_for(small, "WALK") == 6 * RATE
    assert start_frame_for(small, "0:12") == 12 * RATE
    at = start_frame_for(small, "0:13")  # the first step from 13 s on
    assert at in _steps(small) and at >= 13 * RATE
    with pytest.raises(OptionError, match=r"no segment named 'Sprint'.*Run, Walk, Jog"):
        start_frame_for(small, "Sprint")
    with pytest.raises(OptionError, match="past the end; the session lasts 0:21"):
        start_frame_for(small, "5:00")


def test_builtin_plan_start_at_run():
    session = resolve(load_plan("intervals"), rate=RATE)
    first_run = next(s for s in session.segments() if s.name == "Run")
    assert start_frame_for(session, "Run") == first_run.start_frame


@pytest.mark.parametrize(
    ("data", "commands"),
    [
        (b" ", ["pause"]),
        (b"n\x1b[Cp\x1b[D", ["next", "next", "back", "back"]),
        (b"+=-_", ["faster", "faster", "slower", "slower"]),
        (b"bq", ["breath", "quit"]),
        (b"N\x1bOC", ["next", "next"]),
        (b"\x1b[A\x1b[15~x", []),  # up arrow, F5, an unbound key
    ],
)
def test_keys(data, commands):
    assert parse_keys(data) == commands


def _status(small):
    stream = MemoryStream()
    controller = Controller(small, MixOptions(), stream, poll_seconds=0)
    stream.head = round(2.5 * RATE)
    return controller.status()


def test_status_breath_phase_and_next(small):
    status = _status(small)
    steps = [f for f in _steps(small) if f <= 2.5 * RATE]
    k = len(steps) - 1  # the last step heard
    pos = (k - 1) % 10  # the breath cycle starts on the segment's second step (after its melody)
    assert (status.phase, status.phase_step) == (("in", pos + 1) if pos < 4 else ("out", pos - 3))
    assert status.segment == "Run" and status.segment_number == 1 and status.segment_count == 4
    assert status.segment_left == round(3.5 * RATE)
    assert (status.next_name, status.next_seconds, status.next_spm) == ("Walk", 6.0, "115")


def test_panel_fits_sixty_columns(small):
    from rich.console import Console

    status = _status(small)
    console = Console(width=60, record=True, file=io.StringIO(), color_system=None)
    console.print(panel(status, keys=True, width=PANEL_WIDTH))
    text = console.export_text()
    lines = text.rstrip("\n").split("\n")
    assert all(len(line) <= 60 for line in lines)
    assert "RUN" in text and "0:04 left" in text
    assert "0:02 / 0:21" in text and "170 spm" in text
    assert ("IN " in text or "OUT " in text) and "(4:6)" in text
    assert "Walk · 0:06 · 115 spm" in text
    assert "q quit" in text


def test_plain_display_prints_a_line_per_segment(small):
    out = io.StringIO()
    display = PlainDisplay(out)
    stream = MemoryStream()
    controller = Controller(
        small, MixOptions(), stream, poll_seconds=0, display=display, refresh_seconds=0
    )
    summary = controller.run()
    display.finish(summary)
    lines = out.getvalue().splitlines()
    assert lines[:4] == [
        "0:00  1/4 Run  0:06  170 spm  breath 4:6",
        "0:06  2/4 Walk  0:06  115 spm  breath off",
        "0:12  3/4 Jog  0:05  160 spm  breath 4:6",
        "0:17  4/4 Strides  0:04  165 → 175 spm  breath 4:6",
    ]
    assert small.total_steps == 55
    assert lines[4:] == ["Done: Small.", "0:21 played, 55 steps, 4 of 4 segments done."]


# ---- w: symptoms now (the rest of a running segment becomes a walk)


def _signals(session: Session) -> dict[int, str]:
    from runcoach.timeline import Step, events

    return {e.frame: e.signal for e in events(session) if isinstance(e, Step) and e.signal}


def test_walk_turns_the_rest_of_the_run_into_a_walk(small):
    controller, stream = _play(small, [(2.0, "walk")])
    (_, before), (cut, after) = controller.history
    old_steps = _steps(before)
    nxt = next(f for f in old_steps if f >= 2 * RATE + 0.2 * RATE)
    assert cut == nxt - 1  # from the next step, as every live change
    rest = next(s for s in after.segments() if s.start_frame == cut)
    # The plan's walk: 115 spm, breath off; the run's end (and everything after it) stays.
    assert (rest.name, rest.spm_start, rest.spm_end, str(rest.breath)) == ("Walk", 115, 115, "off")
    assert rest.end_frame == 6 * RATE and after.total_frames == small.total_frames
    later = [(s.name, s.start_frame, s.spm_start) for s in after.segments() if s.start_frame > cut]
    assert later == [(s.name, s.start_frame, s.spm_start) for s in list(small.segments())[1:]]
    # The usual falling cue on the walk's first step, and walking steps from there, exactly.
    assert _signals(after)[cut] == "slower"
    walk_steps = [f for f in _steps(after) if cut <= f < 6 * RATE]
    assert walk_steps == [cut + round(k * 60 * RATE / 115) for k in range(len(walk_steps))]
    # What the device got: the rendered stream up to the cut, then the new timeline.
    played = bytes(stream.played)
    assert played[: cut * 2] == b"".join(to_pcm16(b) for b in blocks(small))[: cut * 2]
    assert played == _rebuilt(controller, after.total_frames)
    x = np.frombuffer(played, "<i2").astype(np.float64)[:, None] / 32767
    assert [int(f) for f in onsets(x[cut : 6 * RATE])] == [f - cut for f in walk_steps]
    # The symptom is kept (when: the position the key was handled at; where: the run).
    ((seconds, segment),) = controller.symptoms
    assert segment == "Run" and 2.0 <= seconds < cut / RATE
    assert controller._note == "symptoms: walking 115 spm to the end of Run"
    summary = controller.summary_result  # type: ignore[attr-defined]
    assert summary.completed and summary.segments_done == 4 == summary.segment_count


def test_walk_in_a_walk_only_notes_the_symptom(small):
    controller, stream = _play(small, [(7.0, "walk")])
    assert len(controller.history) == 1  # nothing to change: already walking
    assert bytes(stream.played) == b"".join(to_pcm16(b) for b in blocks(small))
    ((seconds, segment),) = controller.symptoms
    assert segment == "Walk" and 7.0 <= seconds < 7.1
    assert controller._note == "symptoms noted: keep walking (Walk)"


def test_walk_pace_is_the_plans_most_common_walk():
    plan = Plan(
        "Intervals",
        [
            Segment("Warm-up walk", duration=3, spm=110, breath="off"),
            Segment("Jog", duration=3),
            Segment("Walk", duration=2, spm=118),
            Segment("Jog", duration=3, spm=["+0", "+6"]),
            Segment("Walk", duration=2, spm=118),
        ],
        spm=170,
        breath="3:3",
    )
    session = resolve(plan, rate=RATE)
    assert LiveTimeline(session).walk_pace() == (118, Breath(3, 3))
    controller, _ = _play(session, [(9.5, "walk")])  # in the ramp: a walk from the next step
    (_, _before), (cut, after) = controller.history
    rest = next(s for s in after.segments() if s.start_frame == cut)
    assert (rest.spm_start, rest.spm_end, rest.breath, rest.end_frame) == (
        118,
        118,
        Breath(3, 3),
        11 * RATE,
    )


def test_walk_without_walks_in_the_plan_is_115_with_breath_off():
    session = resolve(Plan("Steady", [Segment("Run", duration=4)], spm=172), rate=RATE)
    timeline = LiveTimeline(session)
    assert timeline.walk_pace() == (115, Breath(0, 0))
    change = timeline.plan_change("walk", 0)  # before the first step: the whole run walks
    assert not isinstance(change, str) and change.frame == 0
    (only,) = change.session.segments()
    assert (only.name, only.spm_start, only.end_frame, str(only.breath)) == (
        "Walk",
        115,
        4 * RATE,
        "off",
    )


def test_walk_key_and_its_hint(small):
    from rich.console import Console

    assert parse_keys(b"wW") == ["walk", "walk"]
    console = Console(width=60, record=True, file=io.StringIO(), color_system=None)
    console.print(panel(_status(small), keys=True, width=PANEL_WIDTH))
    text = console.export_text()
    assert "w symptoms now: walk from the next step" in text
    assert all(len(line) <= 60 for line in text.splitlines())
