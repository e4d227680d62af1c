"""The mixer and the rendered file: clicks found at their exact frames by an independent
onset detector, breath cues only at phase starts, no clipping, identical output whatever the
block size, and byte-identical files for the same inputs."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

from conftest import onsets, read_wav
from runcoach import breath as breath_sounds
from runcoach.errors import OptionError
from runcoach.mix.blocks import blocks
from runcoach.mix.levels import PEAK_LIMIT, MixOptions
from runcoach.plans import parse_plan
from runcoach.rendering import render, render_session
from runcoach.timeline import Step, events, resolve

MIXED = """
name: Mixed
spm: 170
breath: "4:6"
segments:
  - {name: Walk, duration: 20s, spm: 115, breath: off}
  - repeat: 2
    segments:
      - {name: Run, duration: 15s}
      - {name: Share, duration: 10s, spm: "95%", breath: "3:2"}
  - {name: Count, steps: 40, spm: "+6"}
  - {name: Ramp, duration: 30s, spm: ["-5", "-25"]}
"""


def expected_steps(rate: int) -> list[int]:
    """Step frames from the format's rules, computed here without runcoach's timeline."""
    segs = [
        (20, Fraction(115), Fraction(115)),
        (15, 170, 170),
        (10, Fraction(323, 2), None),
        (15, 170, 170),
        (10, Fraction(323, 2), None),
        ("count", 176, 176),
        (30, 165, 145),
    ]
    frames: list[int] = []
    start = Fraction(0)
    for seconds, s0, s1 in segs:
        s0 = Fraction(s0)
        s1 = s0 if s1 is None else Fraction(s1)
        if seconds == "count":
            seconds = Fraction(40 * 60) / s0
        seconds = Fraction(seconds)
        first = round(start * rate)
        k = 0
        while True:
            if s0 == s1:
                t = Fraction(k * 60) / s0
            else:
                a = float(s1 - s0) / (2 * float(seconds))
                t = Fraction((-float(s0) + (float(s0) ** 2 + 240 * a * k) ** 0.5) / (2 * a))
            if t >= seconds:
                break
            frames.append(first + round(t * rate))
            k += 1
        start += seconds
    return frames


@pytest.fixture(scope="module")
def mixed_wav(tmp_path_factory):
    path = tmp_path_factory.mktemp("render") / "mixed.wav"
    plan = parse_plan(MIXED, source="mixed.yaml")
    render(plan, path, rate=22050)
    return path


def test_clicks_found_at_their_exact_frames(mixed_wav):
    x, rate = read_wav(mixed_wav)
    assert rate == 22050
    expected = expected_steps(rate)
    total = round((20 + 2 * 25 + Fraction(40 * 60, 176) + 30) * rate)
    assert len(x) == total
    found = onsets(x)
    # The finish chime rings out alone: steps after it (in the final second) are silent.
    finish = next(i for i, f in enumerate(expected) if f >= total - rate)
    assert list(found) == expected[: finish + 1]


def test_breath_cues_only_at_phase_starts(mixed_wav):
    """Band energy of the breath cue (300–550 Hz) appears only after inhale/exhale steps."""
    x, rate = read_wav(mixed_wav)
    mono = x[:, 0]
    session = resolve(parse_plan(MIXED), rate=rate)
    steps = [e for e in events(session) if isinstance(e, Step)]
    window = int(0.05 * rate)
    spectrum_freqs = np.fft.rfftfreq(window, 1 / rate)
    band = (spectrum_freqs > 280) & (spectrum_freqs < 560)
    cued, plain = [], []
    for step in steps:
        if step.signal or step.sound == "off":
            continue
        seg = mono[step.frame + int(0.045 * rate) : step.frame + int(0.045 * rate) + window]
        energy = float(np.sum(np.abs(np.fft.rfft(seg))[band] ** 2))
        (cued if step.breath else plain).append(energy)
    assert cued and plain
    assert min(cued) > 100 * max(plain)


def test_breath_cue_sounds_are_in_the_file_at_the_phase_starts(mixed_wav):
    x, rate = read_wav(mixed_wav)
    session = resolve(parse_plan(MIXED), rate=rate)
    steps = [e for e in events(session) if isinstance(e, Step) and e.breath and not e.signal]
    inhale = breath_sounds.cue("in", sr=rate)
    exhale = breath_sounds.cue("out", sr=rate)
    for step in steps[:20]:
        cue = inhale if step.breath == "in" else exhale
        # Past the click (40 ms), the file holds the cue at its level and nothing else.
        lo = int(0.045 * rate)
        seg = x[step.frame + lo : step.frame + len(cue), 0]
        ref = cue[lo:]
        gain = float(np.dot(seg, ref) / np.dot(ref, ref))
        assert gain > 0.1
        assert np.max(np.abs(seg - gain * ref)) < 2e-4


def test_never_clips_even_with_every_sound_at_once(tmp_path):
    plan = parse_plan("""
sound: beep
segments:
  - {name: A, duration: 3s, spm: 240, breath: "1:1"}
  - {name: B, duration: 3s, spm: 60, breath: "1:1"}
  - {name: C, duration: 3s, spm: 240, breath: "1:1", sound: tick}
  - {name: D, duration: 4s, spm: 239, breath: "1:1", sound: cowbell}
""")
    session = resolve(plan, rate=44100, countdown=3)
    for guide in (False, True):
        for stereo in (False, True):
            peak = max(
                float(np.max(np.abs(b)))
                for b in blocks(session, MixOptions(guide=guide, stereo=stereo))
            )
            assert peak <= PEAK_LIMIT + 1e-6
            assert peak > 0.5 * PEAK_LIMIT  # and it is not timid either


@pytest.mark.parametrize("block_frames", [1, 777, 4096, 100_000])
def test_blocks_are_identical_whatever_the_block_size(block_frames):
    plan = parse_plan(MIXED)
    session = resolve(plan, rate=8000)
    options = MixOptions(stereo=True, guide=True)
    reference = np.concatenate(list(blocks(session, options)))
    if block_frames == 1:  # frame-by-frame over a short stretch is enough
        frames = itertools.islice(blocks(session, options, block_frames=1), 3000)
        got = np.concatenate(list(frames))
        assert np.array_equal(got, reference[:3000])
        return
    got = np.concatenate(list(blocks(session, options, block_frames=block_frames)))
    assert np.array_equal(got, reference)
    sizes = [len(b) for b in blocks(session, options, block_frames=block_frames)]
    assert all(s == block_frames for s in sizes[:-1]) and 0 < sizes[-1] <= block_frames


def test_start_frame_continues_the_same_audio():
    session = resolve(parse_plan(MIXED), rate=8000)
    whole = np.concatenate(list(blocks(session)))
    part = np.concatenate(list(blocks(session, start_frame=123_457)))
    assert np.array_equal(part, whole[123_457:])


def test_same_inputs_give_byte_identical_files(tmp_path):
    plan = parse_plan(MIXED)
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    render(plan, a, rate=16000, stereo=True, guide=True)
    render(plan, b, rate=16000, stereo=True, guide=True)
    assert a.read_bytes() == b.read_bytes()


def test_stereo_pans_each_foot_to_its_side(tmp_path):
    plan = parse_plan("breath: off\nsegments: [{name: A, duration: 10s, spm: 120}]")
    path = tmp_path / "s.wav"
    render(plan, path, rate=8000, stereo=True, countdown=0)
    x, rate = read_wav(path)
    assert x.shape[1] == 2
    session = resolve(plan, rate=rate, countdown=0)
    for step in [e for e in events(session) if isinstance(e, Step)][1:8]:
        left, right = abs(x[step.frame, 0]), abs(x[step.frame, 1])
        if step.foot == 0:
            assert left > 2 * right
        else:
            assert right > 2 * left


def test_volume_scales_and_sound_off_is_silent_between_cues(tmp_path):
    plan = parse_plan("breath: off\nsegments: [{name: A, duration: 10s, spm: 120}]")
    session = resolve(plan, rate=8000, countdown=0)
    loud = np.concatenate(list(blocks(session, MixOptions(volume=1.0))))
    soft = np.concatenate(list(blocks(session, MixOptions(volume=0.25))))
    assert np.max(np.abs(soft)) == pytest.approx(np.max(np.abs(loud)) * 0.25, rel=1e-3)
    silent = resolve(plan, rate=8000, countdown=0, sound="off")
    quiet = np.concatenate(list(blocks(silent)))
    # Only the start and finish chimes remain.
    assert len(onsets(quiet[:, 0], threshold=0.01)) <= 2
    with pytest.raises(OptionError, match="volume"):
        next(blocks(session, MixOptions(volume=2.0)))


def test_guide_tone_fills_breath_phases(tmp_path):
    plan = parse_plan('breath: "4:6"\nsound: off\nsegments: [{name: A, duration: 20s}]')
    session = resolve(plan, rate=8000, countdown=0)
    with_guide = np.concatenate(list(blocks(session, MixOptions(guide=True))))[:, 0]
    without = np.concatenate(list(blocks(session, MixOptions(guide=False))))[:, 0]
    # Between cues (sound off, after the breath cue ends) only the guide tone sounds.
    session_steps = [e for e in events(session) if isinstance(e, Step)]
    gap = slice(session_steps[5].frame + 2000, session_steps[6].frame - 10)
    assert np.max(np.abs(without[gap])) == 0.0
    assert np.max(np.abs(with_guide[gap])) > 0.02


def test_render_session_reports_size(tmp_path):
    session = resolve(parse_plan("segments: [{name: A, duration: 5s}]"), rate=8000)
    result = render_session(session, tmp_path / "x.wav")
    assert result.bytes == (tmp_path / "x.wav").stat().st_size
    assert result.bytes > 44 + 5 * 8000 * 2  # header, PCM, then tags and chapter labels
