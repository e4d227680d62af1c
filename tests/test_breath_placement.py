"""Where breath cues fall (issue 14): each segment's first step carries its segment signal and the
click, and its breath cycle starts one step later, so the change melody and the inhale glide are
never heard on the same step.

The expected cue steps are computed here from the documented rule and the plan's declared
lengths and patterns (step counts with exact fractions), never from runcoach's own placement
code; the audio test renders the same plan with and without breath cues and compares the
samples at every change step.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from runcoach.breath import FIRST_BREATH_STEP, phase_at
from runcoach.metronome import CLICK_SECONDS
from runcoach.mix.blocks import blocks
from runcoach.mix.levels import MixOptions, SoundBank
from runcoach.plans import Breath, parse_plan
from runcoach.timeline import Step, events, resolve

# Each plan is given twice: as YAML, and as the facts the test needs, worked out by hand:
# (steps or None, seconds, spm at the start, spm at the end, breath "IN:OUT" or None for off).
Spec = tuple[int | None, Fraction, Fraction, Fraction, str | None]

RAMPS = """
spm: 170
breath: "4:6"
segments:
  - {name: Warm-up walk, duration: 30s, spm: 115, breath: off}
  - {name: Build, duration: 40s, spm: [150, 175]}
  - {name: Run, steps: 37, breath: "3:3"}
  - {name: Ease, duration: 25s, spm: ["-5", "-30"], breath: "2:2"}
  - {name: Cool-down walk, duration: 20s, spm: 110, breath: off}
"""
RAMPS_SPEC: list[Spec] = [
    (None, Fraction(30), Fraction(115), Fraction(115), None),
    (None, Fraction(40), Fraction(150), Fraction(175), "4:6"),
    (37, Fraction(0), Fraction(170), Fraction(170), "3:3"),
    (None, Fraction(25), Fraction(165), Fraction(140), "2:2"),
    (None, Fraction(20), Fraction(110), Fraction(110), None),
]

RUN_WALK = """
spm: 165
breath: "4:6"
segments:
  - {name: Walk, duration: 15s, spm: 115, breath: "2:2"}
  - repeat: 3
    segments:
      - {name: Run, duration: 20s}
      - {name: Walk, duration: 12s, spm: 118, breath: "3:3"}
  - {name: Cool-down, duration: 10s, spm: 110, breath: off}
"""
RUN_WALK_SPEC: list[Spec] = [
    (None, Fraction(15), Fraction(115), Fraction(115), "2:2"),
    *[
        (None, Fraction(20), Fraction(165), Fraction(165), "4:6"),
        (None, Fraction(12), Fraction(118), Fraction(118), "3:3"),
    ]
    * 3,
    (None, Fraction(10), Fraction(110), Fraction(110), None),
]

# Segments shorter than a breath cycle, a one-step and a two-step segment, and a change at the
# same cadence (the repeated-note signal).
SHORT = """
spm: 170
breath: "4:6"
segments:
  - {name: One, steps: 1}
  - {name: Two, steps: 2}
  - {name: Five, steps: 5}
  - {name: Seven, steps: 7, breath: "2:2"}
  - {name: Three, steps: 3, spm: 180}
  - {name: Same, steps: 12, spm: 180}
  - {name: Late exhale, duration: 5.1s, spm: 120, breath: "3:3"}
  - {name: Late inhale, duration: 5.6s, spm: 120}
  - {name: Walk, duration: 5s, spm: 115, breath: off}
"""
SHORT_SPEC: list[Spec] = [
    (1, Fraction(0), Fraction(170), Fraction(170), "4:6"),
    (2, Fraction(0), Fraction(170), Fraction(170), "4:6"),
    (5, Fraction(0), Fraction(170), Fraction(170), "4:6"),
    (7, Fraction(0), Fraction(170), Fraction(170), "2:2"),
    (3, Fraction(0), Fraction(180), Fraction(180), "4:6"),
    (12, Fraction(0), Fraction(180), Fraction(180), "4:6"),
    # 11 steps, the last (an exhale, step 10) 0.1 s before the end: too late for a cue.
    (None, Fraction(51, 10), Fraction(120), Fraction(120), "3:3"),
    # 12 steps, the last (an inhale, step 11) 0.1 s before the end: too late for a cue.
    (None, Fraction(56, 10), Fraction(120), Fraction(120), "4:6"),
    (None, Fraction(5), Fraction(115), Fraction(115), None),
]

PLANS = {
    "ramps": (RAMPS, RAMPS_SPEC),
    "run-walk": (RUN_WALK, RUN_WALK_SPEC),
    "short": (SHORT, SHORT_SPEC),
}


def step_count(spec: Spec) -> int:
    """Steps of a segment: a step falls at every whole step count reached before its end."""
    steps, seconds, s0, s1, _ = spec
    if steps is not None:
        return steps
    # Cadence is linear in time: (s0 + s1) / 2 * seconds / 60 steps, the last one before the end.
    return math.ceil(seconds * (s0 + s1) / 120)


def expected_cues(
    spec: Spec, frames: list[int] | None = None, end_frame: int = 0, rate: int = 0
) -> dict[int, tuple[str, int]]:
    """Step -> (phase, phase length) under the documented rule: nothing on step 0 (the signal
    step), an inhale on step 1 and every cycle after it, an exhale ``IN`` steps after each;
    with ``frames`` (the segment's step frames, when another segment follows it), no phase
    starts less than the longer cue's length (200 ms) before ``end_frame``."""
    n, pattern = step_count(spec), spec[4]
    if pattern is None:
        return {}
    inhale, exhale = (int(x) for x in pattern.split(":"))
    cues: dict[int, tuple[str, int]] = {}
    k = 1
    while k < n:
        cues[k] = ("in", inhale)
        if k + inhale < n:
            cues[k + inhale] = ("out", exhale)
        k += inhale + exhale
    if frames is not None:
        cue_frames = int(Fraction(1, 5) * rate)
        cues = {k: v for k, v in cues.items() if frames[k] + cue_frames <= end_frame}
    return cues


def by_segment(session) -> dict[int, list[Step]]:
    out: dict[int, list[Step]] = {}
    for e in events(session):
        if isinstance(e, Step):
            out.setdefault(e.segment, []).append(e)
    return out


@pytest.mark.parametrize("rate", [8000, 44100])
@pytest.mark.parametrize("name", sorted(PLANS))
def test_breath_cues_start_one_step_after_each_segment_signal(name, rate):
    text, spec = PLANS[name]
    session = resolve(parse_plan(text), rate=rate)
    segments = list(session.segments())
    steps = by_segment(session)
    assert len(segments) == len(spec)
    total = Fraction(0)
    for seg, seg_spec in zip(segments, spec, strict=True):
        got = steps.get(seg.index, [])
        assert len(got) == step_count(seg_spec), seg.name
        total += seg_spec[1] if seg_spec[0] is None else Fraction(60 * seg_spec[0], seg_spec[2])
        end_frame = round(total * rate)
        assert seg.end_frame == end_frame
        # (Step frames themselves are checked against exact values in test_timeline.)
        frames = [s.frame for s in got] if seg.index < len(spec) - 1 else None
        want = expected_cues(seg_spec, frames, end_frame, rate)
        cues = {s.k: (s.breath, s.breath_steps) for s in got if s.breath is not None}
        assert cues == want, (seg.index, seg.name)
        # The accent marks each breath cycle's first step: the inhales, never the signal step.
        assert {s.k for s in got if s.accent} == {k for k, (p, _) in want.items() if p == "in"}
        # The signal step: its click and its signal, no breath cue.
        assert got[0].signal in ("start", "faster", "slower", "change")
        assert got[0].breath is None and not got[0].accent and got[0].sound != "off"
        # Each phase lasts its steps, or runs on to the segment's end when no phase follows.
        for s in got:
            if s.breath is not None:
                end_k = s.k + s.breath_steps
                assert s.breath_end == (got[end_k].frame if end_k in want else end_frame)


def test_segment_signals_are_the_expected_ones():
    """The rule applies to every kind of segment signal: start, faster, slower, change."""
    session = resolve(parse_plan(SHORT), rate=8000)
    firsts = [got[0].signal for _, got in sorted(by_segment(session).items())]
    assert firsts == [
        *["start", "change", "change", "change", "faster", "change"],
        *["slower", "change", "slower"],
    ]
    # The two late segments lose their last phase: the one before runs on to the boundary.
    segs = [got for _, got in sorted(by_segment(session).items())]
    late_exhale, late_inhale, walk = segs[6:9]
    assert [s.k for s in late_exhale if s.breath] == [1, 4, 7]
    assert late_exhale[7].breath_end == late_inhale[0].frame  # the inhale runs on to the end
    assert [s.k for s in late_inhale if s.breath] == [1, 5]
    assert late_inhale[5].breath_end == walk[0].frame
    assert len(late_inhale) == 12 and not late_inhale[11].accent


@pytest.mark.parametrize("pattern", ["3:3", "4:6", "2:2"])
def test_breath_stops_at_the_finish_chime(pattern):
    """A single segment breathing to the end: the cues run from step 1 until the finish chime,
    on the first step of the session's last second, after which nothing sounds."""
    rate = 8000
    spm = Fraction(170)
    text = f'spm: 170\nbreath: "{pattern}"\nsegments: [{{name: Run, duration: 30s}}]'
    session = resolve(parse_plan(text), rate=rate)
    (got,) = by_segment(session).values()
    total_frames = 30 * rate
    frames = [round(Fraction(k * 60 * rate) / spm) for k in range(math.ceil(30 * spm / 60))]
    finish = next(k for k, f in enumerate(frames) if f >= total_frames - rate)
    want = {
        k: v
        for k, v in expected_cues((None, Fraction(30), spm, spm, pattern)).items()
        if k < finish
    }
    assert [s.frame for s in got] == frames
    assert got[finish].signal == "finish"
    assert {s.k: (s.breath, s.breath_steps) for s in got if s.breath} == want


@pytest.mark.parametrize("override", ["3:3", "2:2", "4:6"])
def test_a_breath_override_follows_the_same_rule(override):
    session = resolve(parse_plan(RUN_WALK), rate=8000, breath=override)
    steps = by_segment(session)
    for seg in session.segments():
        # Segments with their own pattern keep it; the others take the override.
        pattern = None if seg.breath.off else str(seg.breath)
        spec: Spec = (seg.steps, Fraction(0), Fraction(0), Fraction(0), pattern)
        cues = {s.k: (s.breath, s.breath_steps) for s in steps[seg.index] if s.breath}
        assert cues == expected_cues(spec)
    runs = [s for s in session.segments() if s.name == "Run"]
    assert runs and all(str(s.breath) == override for s in runs)


def test_phase_at_agrees_with_the_timeline():
    """``phase_at`` (for displays) names a phase's first step exactly where a cue sounds."""
    session = resolve(parse_plan(RAMPS), rate=8000)
    steps = by_segment(session)
    for seg in session.segments():
        for s in steps[seg.index]:
            phase, step_of_phase, length = phase_at(seg.breath, s.k)
            if s.breath is not None:
                assert (phase, step_of_phase, length) == (s.breath, 1, s.breath_steps)
            elif s.k < FIRST_BREATH_STEP or seg.breath.off:
                assert phase is None
            else:
                assert phase is not None and step_of_phase > 1
    assert phase_at(Breath(4, 6), 0) == (None, 0, 0)
    assert phase_at(Breath(4, 6), 1) == ("in", 1, 4)
    assert phase_at(Breath(4, 6), 5) == ("out", 1, 6)
    assert phase_at(Breath(4, 6), 10) == ("out", 6, 6)
    assert phase_at(Breath(4, 6), 11) == ("in", 1, 4)
    assert phase_at(Breath(0, 0), 7) == (None, 0, 0)


def _render(text: str, rate: int) -> np.ndarray:
    session = resolve(parse_plan(text), rate=rate)
    return np.concatenate([b[:, 0] for b in blocks(session, MixOptions())])


# Every kind of change, with breath on every segment, several patterns and a ramp.
AUDIO = """
spm: 170
breath: "4:6"
segments:
  - {name: Walk, duration: 8s, spm: 115, breath: "2:2"}
  - {name: Run, duration: 8s}
  - {name: Same, duration: 6s, breath: "3:3"}
  - {name: Ramp, duration: 8s, spm: ["-5", "+20"]}
  - {name: Fast, duration: 5s, spm: 240, breath: "1:1"}
  - {name: Walk, duration: 8s, spm: 115, breath: "2:2"}
"""


def test_no_breath_cue_sounds_on_a_change_step_in_the_rendered_audio():
    """At every change step the audio is the click and the signal alone: the same samples as
    the same plan rendered with every breath cue off, up to the next step. On the next step the
    inhale cue sounds (the difference between the two renders is the cue itself)."""
    rate = 8000
    with_breath = _render(AUDIO, rate)
    silent = AUDIO.replace('breath: "4:6"', "breath: off")
    for pattern in ('"2:2"', '"3:3"', '"1:1"'):
        silent = silent.replace(f"breath: {pattern}", "breath: off")
    without = _render(silent, rate)
    assert len(with_breath) == len(without)
    session = resolve(parse_plan(AUDIO), rate=rate)
    steps = by_segment(session)
    inhale = SoundBank(rate, MixOptions()).sound(("breath", "in"))
    click = int(CLICK_SECONDS * rate)
    assert len(steps) == 6
    for got in steps.values():
        change, first = got[0].frame, got[1].frame
        assert got[0].signal is not None and got[1].breath == "in"
        assert np.array_equal(with_breath[change:first], without[change:first])
        # After the (accented) click, what the breath adds on step 1 is the inhale cue.
        diff = (
            with_breath[first + click : first + len(inhale)]
            - without[first + click : first + len(inhale)]
        )
        assert np.max(np.abs(inhale[click:])) > 0.05
        np.testing.assert_allclose(diff, inhale[click:], atol=1e-5)
