"""Exact frame positions: segment starts, steps at constant, relative, percentage and ramp
cadence, step-count segments, nested repeats, breath phases and segment signals.

Expected values are computed here independently, with exact fractions and high-precision
decimals, from the timing rules of the plan format; never from runcoach's own placement code.
"""

from __future__ import annotations

import math
from decimal import Decimal, getcontext
from fractions import Fraction

import pytest

from runcoach.errors import OptionError, PlanError
from runcoach.plans import parse_plan
from runcoach.timeline import SegmentStart, Step, events, resolve

getcontext().prec = 50


def steps_of(session):
    return [e for e in events(session) if isinstance(e, Step)]


def starts_of(session):
    return [e for e in events(session) if isinstance(e, SegmentStart)]


def constant_frames(start: int, spm: Fraction, seconds: Fraction, rate: int) -> list[int]:
    """Step k at start + round(k*60*rate/spm) for every k with k*60/spm < duration."""
    frames = []
    k = 0
    while Fraction(k * 60) / spm < seconds:
        frames.append(start + round(Fraction(k * 60 * rate) / spm))
        k += 1
    return frames


def ramp_frames(start: int, s0: Fraction, s1: Fraction, seconds: Fraction, rate: int) -> list[int]:
    """Cadence linear in time; step k where the integral of cadence/60 reaches k."""
    a = (Decimal(s1.numerator) / s1.denominator - Decimal(s0.numerator) / s0.denominator) / (
        2 * (Decimal(seconds.numerator) / seconds.denominator)
    )
    b = Decimal(s0.numerator) / s0.denominator
    d = Decimal(seconds.numerator) / seconds.denominator
    frames = []
    k = 0
    while True:
        c = -60 * Decimal(k)
        t = (-b + (b * b - 4 * a * c).sqrt()) / (2 * a) if a != 0 else -c / b
        if t >= d:
            break
        frames.append(start + int((t * rate).to_integral_value(rounding="ROUND_HALF_EVEN")))
        k += 1
    return frames


def plan(text: str):
    return parse_plan(text, source="test.yaml")


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000, 96000])
@pytest.mark.parametrize("spm", [60, 160, 163, 170, 177, 240])
def test_constant_cadence_steps_are_exact(rate, spm):
    session = resolve(plan("segments: [{name: Run, duration: 1m30s}]"), spm=spm, rate=rate)
    frames = [s.frame for s in steps_of(session)]
    assert frames == constant_frames(0, Fraction(spm), Fraction(90), rate)
    assert session.total_frames == 90 * rate


def test_ties_round_to_even_like_python_round():
    # 160 spm at 44100 Hz: 16537.5 frames a step, so every odd step is a tie.
    session = resolve(plan("segments: [{name: Run, duration: 10s}]"), spm=160, rate=44100)
    frames = [s.frame for s in steps_of(session)]
    assert frames[1] == 16538  # round(16537.5) == 16538 (even)
    assert frames[3] == 49612  # round(49612.5) == 49612 (even)
    assert frames == [round(k * 60 * 44100 / 160) for k in range(len(frames))]


def test_fractional_spm_from_the_command_line():
    session = resolve(plan("segments: [{name: Run, duration: 30s}]"), spm=172.5, rate=44100)
    frames = [s.frame for s in steps_of(session)]
    assert frames == constant_frames(0, Fraction(345, 2), Fraction(30), 44100)


@pytest.mark.parametrize(
    ("spec", "base", "expected"),
    [
        ('"+5"', 170, Fraction(175)),
        ('"-10"', 170, Fraction(160)),
        ("-10", 170, Fraction(160)),  # unquoted: still relative
        ('"95%"', 170, Fraction(323, 2)),
        ('"105%"', 165, Fraction(693, 4)),
        ("150", 170, Fraction(150)),
    ],
)
def test_relative_and_percentage_cadence(spec, base, expected):
    text = f"spm: {base}\nsegments:\n  - {{name: A, duration: 20s}}\n  - {{name: B, duration: 45s, spm: {spec}}}\n"
    session = resolve(plan(text), rate=22050)
    _, b = session.segments()
    assert b.spm_start == b.spm_end == expected
    assert b.start_frame == 20 * 22050
    frames = [s.frame for s in steps_of(session) if s.segment == 1]
    assert frames == constant_frames(20 * 22050, expected, Fraction(45), 22050)


def test_spm_override_moves_relative_and_base_segments_only():
    text = """
spm: 170
segments:
  - {name: Walk, duration: 1m, spm: 115}
  - {name: Run, duration: 1m}
  - {name: Push, duration: 1m, spm: "+5"}
  - {name: Share, duration: 1m, spm: "90%"}
  - {name: Ramp, duration: 1m, spm: [150, "+0"]}
"""
    session = resolve(plan(text), spm=180)
    spms = [(s.spm_start, s.spm_end) for s in session.segments()]
    assert spms == [(115, 115), (180, 180), (185, 185), (162, 162), (150, 180)]
    assert session.base_spm == 180


@pytest.mark.parametrize("rate", [22050, 44100])
@pytest.mark.parametrize(
    ("s0", "s1", "seconds"), [(150, 170, 300), (175, 155, 240), (160, 161, 61), (100, 230, 95)]
)
def test_ramp_steps_follow_the_integral_of_cadence(rate, s0, s1, seconds):
    text = f"segments:\n  - {{name: Warm, duration: 7s, spm: 120}}\n  - {{name: Ramp, duration: {seconds}s, spm: [{s0}, {s1}]}}\n"
    session = resolve(plan(text), rate=rate)
    frames = [s.frame for s in steps_of(session) if s.segment == 1]
    expected = ramp_frames(7 * rate, Fraction(s0), Fraction(s1), Fraction(seconds), rate)
    assert frames == expected
    # The number of steps is the integral of the cadence, rounded up.
    assert len(frames) == math.ceil(Fraction(s0 + s1, 2) * seconds / 60)


def test_relative_ramp_resolves_each_end():
    session = resolve(plan('segments: [{name: Cool, duration: 4m, spm: ["-5", "-15"]}]'), spm=172)
    (seg,) = session.segments()
    assert (seg.spm_start, seg.spm_end) == (167, 157)
    assert seg.describe_spm() == "167→157"


def test_segment_starts_are_rounded_exact_sums_not_sums_of_rounded_frames():
    # 1.00001 s is 44100.441 frames: rounding each segment would drift by 1 frame per 2.
    text = "segments:\n" + "".join(
        f"  - {{name: S{i}, duration: 1.00001s, spm: 120}}\n" for i in range(6)
    )
    session = resolve(plan(text), rate=44100)
    starts = [s.start_frame for s in session.segments()]
    assert starts == [round(Fraction(100001, 100000) * i * 44100) for i in range(6)]
    assert starts[5] == 220502  # not 5 * 44100 = 220500
    assert session.total_frames == round(Fraction(600006, 100000) * 44100)
    assert [e.frame for e in starts_of(session)] == starts


def test_step_count_segment_lasts_until_step_n_would_fall():
    text = """
segments:
  - {name: Count, steps: 100, spm: 170}
  - {name: After, duration: 10s, spm: 170}
"""
    session = resolve(plan(text), rate=44100)
    count, after = session.segments()
    assert count.steps == 100
    assert count.duration_seconds == Fraction(100 * 60, 170)
    assert after.start_frame == round(Fraction(100 * 60, 170) * 44100)
    steps = [s for s in steps_of(session) if s.segment == 0]
    assert len(steps) == 100
    assert [s.frame for s in steps] == constant_frames(0, Fraction(170), Fraction(6000, 170), 44100)


def test_step_count_ramp_lasts_until_step_n_would_fall():
    session = resolve(
        plan("segments: [{name: R, steps: 300, spm: [150, 180]}, {name: T, duration: 5s}]"),
        rate=48000,
    )
    ramp, tail = session.segments()
    # Cadence linear in time: the average (165 spm) over D seconds gives 300 steps.
    assert ramp.duration_seconds == Fraction(300 * 120, 330)
    assert tail.start_frame == round(Fraction(36000, 330) * 48000)
    frames = [s.frame for s in steps_of(session) if s.segment == 0]
    assert frames == ramp_frames(0, Fraction(150), Fraction(180), Fraction(36000, 330), 48000)
    assert len(frames) == 300


def test_nested_repeats_expand_in_order():
    text = """
segments:
  - {name: Warm, duration: 1m, spm: 115}
  - repeat: 2
    segments:
      - {name: Run, duration: 30s}
      - repeat: 3
        segments:
          - {name: Fast, duration: 10s, spm: "+10"}
          - {name: Easy, duration: 10s, spm: "-10"}
  - {name: Cool, duration: 1m, spm: 110}
"""
    session = resolve(plan(text), rate=8000)
    names = [s.name for s in session.segments()]
    block = ["Run", "Fast", "Easy", "Fast", "Easy", "Fast", "Easy"]
    assert names == ["Warm", *block, *block, "Cool"]
    assert session.segment_count == len(names)
    assert session.total_seconds == 60 + 2 * (30 + 3 * 20) + 60
    starts = [s.start_frame for s in session.segments()]
    durations = [60, *[30, 10, 10, 10, 10, 10, 10] * 2, 60]
    assert starts == [sum(durations[:i]) * 8000 for i in range(len(durations))]


def test_no_drift_over_three_hours():
    session = resolve(plan("segments: [{name: Long, duration: 3h}]"), spm=173, rate=44100)
    (seg,) = session.segments()
    last_k = seg.steps - 1
    assert seg.steps == math.ceil(Fraction(3 * 3600 * 173, 60))
    assert seg.step_frame(last_k) == round(Fraction(last_k * 60 * 44100, 173))
    assert seg.step_frame(1) == round(Fraction(60 * 44100, 173))
    assert session.total_frames == 3 * 3600 * 44100
    # The error of the last step is the same rounding error as the first: under half a frame.
    exact_last = Fraction(last_k * 60 * 44100, 173)
    assert abs(seg.step_frame(last_k) - exact_last) <= Fraction(1, 2)


@pytest.mark.parametrize(
    ("pattern", "inhale", "exhale"), [("4:6", 4, 6), ("3:2", 3, 2), ("2:2", 2, 2), ("2:1", 2, 1)]
)
def test_breath_phases_start_on_the_right_steps(pattern, inhale, exhale):
    session = resolve(
        plan(f'breath: "{pattern}"\nsegments: [{{name: Run, duration: 1m}}]'), countdown=0
    )
    steps = steps_of(session)
    cycle = inhale + exhale
    ins = [s.k for s in steps if s.breath == "in"]
    outs = [s.k for s in steps if s.breath == "out"]
    # Breath cues stop at the finish chime, on the first step of the session's last second.
    finish = next(s.k for s in steps if s.frame >= session.total_frames - session.rate)
    assert steps[finish].signal == "finish"
    # Step 0 carries the start chime; the breath cycle starts on step 1.
    assert steps[0].signal == "start" and steps[0].breath is None and not steps[0].accent
    assert ins == [k for k in range(1, finish) if (k - 1) % cycle == 0]
    assert outs == [k for k in range(1, finish) if (k - 1) % cycle == inhale]
    assert [s.k for s in steps if s.accent] == [
        k for k in range(1, len(steps)) if (k - 1) % cycle == 0
    ]
    first_in = next(s for s in steps if s.breath == "in")
    assert first_in.k == 1 and first_in.breath_steps == inhale
    assert first_in.breath_end == steps[1 + inhale].frame
    first_out = next(s for s in steps if s.breath == "out")
    assert first_out.breath_steps == exhale
    assert first_out.breath_end == steps[1 + inhale + exhale].frame


def test_breath_restarts_each_segment_and_off_means_no_cues():
    text = """
breath: "4:6"
segments:
  - {name: A, steps: 13}
  - {name: Walk, steps: 20, spm: 115, breath: off}
  - {name: B, steps: 12, breath: "3:2"}
  - {name: C, duration: 5s}
"""
    session = resolve(plan(text), countdown=0)
    steps = steps_of(session)
    by_seg = {i: [s for s in steps if s.segment == i] for i in range(3)}
    # Each segment's first step carries its signal; its breath cycle starts on the next step.
    assert [s.k for s in by_seg[0] if s.breath == "in"] == [1, 11]
    assert [s.k for s in by_seg[0] if s.breath == "out"] == [5]
    assert not any(s.breath or s.accent for s in by_seg[1])
    assert [s.k for s in by_seg[2] if s.breath == "in"] == [1, 6, 11]
    assert [s.k for s in by_seg[2] if s.breath == "out"] == [4, 9]
    assert [s.signal for s in (by_seg[0][0], by_seg[1][0], by_seg[2][0])] == [
        "start",
        "slower",
        "faster",
    ]
    # The foot alternates across segment boundaries (13 steps: B starts on the right foot... )
    assert [s.foot for s in steps[:4]] == [0, 1, 0, 1]
    assert by_seg[1][0].foot == 13 % 2


def test_breath_override_replaces_the_top_level_pattern_only():
    text = 'breath: "4:6"\nsegments: [{name: A, duration: 20s}, {name: B, duration: 20s, breath: "2:2"}]'
    session = resolve(plan(text), breath="3:2")
    a, b = session.segments()
    assert str(a.breath) == "3:2"
    assert str(b.breath) == "2:2"
    assert str(resolve(plan(text), breath="off").segments().__next__().breath) == "off"


def test_signals_countdown_bells_and_finish():
    text = """
spm: 170
segments:
  - {name: Walk, duration: 20s, spm: 115}
  - {name: Run, duration: 20s}
  - {name: Same, duration: 20s}
  - {name: Walk, duration: 20s, spm: 115}
"""
    rate = 8000
    session = resolve(plan(text), rate=rate, countdown=3)
    steps = steps_of(session)
    signals = [(s.segment, s.frame, s.signal) for s in steps if s.signal]
    segs = list(session.segments())
    kinds = [sig for seg, _, sig in signals if sig != "pip"]
    assert kinds == ["start", "faster", "change", "slower", "finish"]
    for seg in segs:
        seg_steps = [s for s in steps if s.segment == seg.index]
        pips = [s.frame for s in seg_steps if s.signal == "pip"]
        expected = []
        for n in (3, 2, 1):
            target = seg.end_frame - n * rate
            first = next(s.frame for s in seg_steps if s.frame >= target)
            expected.append(first)
        if seg.index == len(segs) - 1:
            finish = next(s for s in seg_steps if s.signal == "finish")
            assert finish.frame == next(
                s.frame for s in seg_steps if s.frame >= session.total_frames - rate
            )
            expected = expected[:2]
            # The finish chime rings out alone: later steps make no sound.
            later = [s for s in seg_steps if s.k > finish.k]
            assert later and all(s.sound == "off" and s.breath is None for s in later)
        assert pips == expected
        assert seg_steps[0].frame == seg.start_frame


def test_countdown_zero_gives_no_pips():
    session = resolve(
        plan("segments: [{name: A, duration: 20s}, {name: B, duration: 20s}]"), countdown=0
    )
    assert not [s for s in steps_of(session) if s.signal == "pip"]


def test_override_out_of_range_names_segment_field_and_line():
    text = 'spm: 170\nsegments:\n  - {name: Run, duration: 1m}\n  - {name: Push, duration: 1m, spm: "+30"}\n'
    resolve(plan(text))  # 200 is fine
    with pytest.raises(PlanError) as err:
        resolve(plan(text), spm=220)
    message = str(err.value)
    assert message.startswith("test.yaml:4: segments[1].spm:")
    assert "250" in message and "--spm" in message


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"spm": 30}, "--spm"),
        ({"spm": 400}, "--spm"),
        ({"rate": 1000}, "sample rate"),
        ({"breath": "9:99"}, "--breath"),
        ({"sound": "trumpet"}, "--sound"),
        ({"countdown": -1}, "countdown"),
    ],
)
def test_bad_options_raise_option_error(kwargs, fragment):
    with pytest.raises(OptionError, match=fragment):
        resolve(plan("segments: [{name: A, duration: 1m}]"), **kwargs)


def test_plan_longer_than_24_hours_is_refused_before_any_work():
    text = "segments:\n  - repeat: 1000\n    segments:\n      - repeat: 1000\n        segments: [{name: A, duration: 1h}]\n"
    with pytest.raises(PlanError, match="24 hours"):
        resolve(plan(text))


def test_step_count_total_over_24_hours_is_refused():
    with pytest.raises(PlanError, match="24 hours"):
        resolve(
            plan("segments: [{name: A, steps: 200000, spm: 60}, {name: B, steps: 200000, spm: 60}]")
        )


def test_segments_are_lazy_for_huge_repeat_counts():
    text = "segments:\n  - repeat: 90000\n    segments: [{name: A, duration: 0.5s}]\n"
    session = resolve(plan(text), rate=8000)
    assert session.segment_count == 90000
    gen = session.segments()
    first = next(gen)
    assert first.name == "A" and first.end_frame == 4000
