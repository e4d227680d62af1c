"""Spoken announcements, music under the session, and separately adjustable levels."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import soundfile

from runcoach.errors import OptionError
from runcoach.mix.announce import announcements, segment_phrase
from runcoach.mix.blocks import blocks
from runcoach.mix.layers import DUCK, Layers, layered_blocks
from runcoach.mix.levels import PEAK_LIMIT, MixOptions
from runcoach.plans import parse_plan
from runcoach.rendering import render_session
from runcoach.sinks.codecs import write_audio
from runcoach.sounds.voice import (
    Voice,
    cadence_words,
    duration_words,
    number_words,
    speech_available,
)
from runcoach.timeline import Step, events, resolve

needs_voice = pytest.mark.skipif(
    not speech_available(), reason="no voice: neither the espeakng-loader wheel nor espeak-ng"
)

PLAN = parse_plan("""
name: Layer check
spm: 170
breath: "4:6"
segments:
  - {name: Walk, duration: 30s, spm: 115, breath: off}
  - {name: Run, duration: 4m}
  - {name: Cool down, duration: 40s, spm: [160, 150]}
""")


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (15, "fifteen"),
        (40, "forty"),
        (45, "forty-five"),
        (100, "one hundred"),
        (170, "one hundred seventy"),
    ],
)
def test_number_words(n, words):
    assert number_words(n) == words


@pytest.mark.parametrize(
    ("spm", "words"),
    [
        (170, "one seventy"),
        (115, "one fifteen"),
        (105, "one oh five"),
        (100, "one hundred"),
        (90, "ninety"),
        (Fraction(323, 2), "one sixty-two"),
        (200, "two hundred"),
    ],
)
def test_cadence_words(spm, words):
    assert cadence_words(spm) == words


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (120, "two minutes"),
        (60, "one minute"),
        (90, "ninety seconds"),
        (30, "thirty seconds"),
        (150, "two minutes thirty"),
        (3600, "one hour"),
        (3900, "one hour five minutes"),
    ],
)
def test_duration_words(seconds, words):
    assert duration_words(seconds) == words


def test_segment_phrase_matches_the_issue_example():
    session = resolve(parse_plan("segments: [{name: Run, duration: 2m}]"), spm=170)
    (seg,) = session.segments()
    assert segment_phrase(seg) == "Run, two minutes, one seventy"
    ramp = next(iter(resolve(PLAN).segments().__iter__().__next__() for _ in [0]))
    assert segment_phrase(ramp) == "Walk, thirty seconds, one fifteen"
    cool = list(resolve(PLAN).segments())[2]
    assert segment_phrase(cool) == "Cool down, forty seconds, one sixty to one fifty"


@needs_voice
def test_announcements_fall_between_breath_cues_and_never_overlap():
    session = resolve(PLAN, rate=16000)
    voice = Voice(16000)
    said = list(announcements(session, voice, every_seconds=120))
    texts = [a.text for a, _ in said]
    assert texts[0] == "Walk, thirty seconds, one fifteen"
    # Too long for one gap between 4:6 cues at 170 spm: said in parts, one gap each.
    run = texts.index("Run")
    assert texts[run : run + 3] == ["Run", "four minutes", "one seventy"]
    assert "Halfway" in texts and "One minute left" in texts
    assert any(t.endswith("minutes to go") for t in texts)
    assert texts[-1] == "Session complete. Well done"
    cue_frames = []
    for e in events(session):
        if isinstance(e, Step) and (e.breath or e.signal):
            cue_frames.append((e.frame, e.frame + int(0.25 * 16000)))
    spans = [(a.frame, a.frame + len(clip)) for a, clip in said]
    for (_s0, e0), (s1, _) in itertools.pairwise(spans):
        assert e0 <= s1  # one phrase at a time
    segs = list(session.segments())
    for (start, end), (ann, _) in zip(spans, said, strict=True):
        assert end <= session.total_frames
        if ann.text == "Run":
            assert start >= segs[1].start_frame
        if ann.text in ("Halfway", "Run", "four minutes", "one seventy", "One minute left"):
            # In the run (4:6 at 170 spm) there is room between cues: no cue under a word.
            assert not any(c0 < end and start < c1 for c0, c1 in cue_frames), ann.text
    # Phrases are synthesized once and reused: a second pass synthesizes nothing new.
    assert set(texts) <= set(voice._cache)
    cached = dict(voice._cache)
    again = list(announcements(session, voice, every_seconds=120))
    assert voice._cache == cached and [a.text for a, _ in again] == texts


@needs_voice
def test_voice_layer_is_in_the_file_and_stays_under_the_ceiling(tmp_path):
    session = resolve(PLAN, rate=16000)
    options = MixOptions()
    plain = np.concatenate(list(blocks(session, options)))
    spoken = np.concatenate(list(layered_blocks(session, options, Layers(voice=Voice(16000)))))
    assert spoken.shape == plain.shape
    assert float(np.max(np.abs(spoken))) <= PEAK_LIMIT + 1e-6
    difference = spoken - plain * 0.62
    assert float(np.max(np.abs(difference))) > 0.1  # the voice is there


def sine_file(
    path: Path, *, rate: int, seconds: float, channels: int, freq: float = 220.0, amp: float = 0.5
) -> None:
    t = np.arange(int(rate * seconds)) / rate
    y = np.repeat((amp * np.sin(2 * np.pi * freq * t))[:, None], channels, axis=1)
    if path.suffix == ".mp3":  # libsndfile's own MP3 writer drops the last half second
        write_audio(
            path,
            iter([y.astype(np.float32)]),
            fmt="mp3",
            rate=rate,
            channels=channels,
            total_frames=len(y),
        )
    else:
        soundfile.write(str(path), y, rate)


@pytest.mark.parametrize("ext", ["wav", "flac", "ogg", "mp3"])
def test_music_is_looped_resampled_and_ducked_under_cues(tmp_path, ext):
    music = tmp_path / f"music.{ext}"
    sine_file(music, rate=48000, seconds=7.0, channels=2)
    plan = parse_plan('breath: "4:6"\nsound: off\nsegments: [{name: Run, duration: 20s}]')
    session = resolve(plan, rate=22050, countdown=0)
    options = MixOptions()
    out = np.concatenate(list(layered_blocks(session, options, Layers(music=music))))
    base = np.concatenate(list(blocks(session, MixOptions(volume=0.65))))
    assert out.shape == (20 * 22050, 1)
    layer = (out - base)[:, 0]
    assert float(np.max(np.abs(out))) <= PEAK_LIMIT + 1e-6
    # Between cues the music plays at its full share of the ceiling; it loops past 7 s.
    steps = [e for e in events(session) if isinstance(e, Step)]
    quiet_spans = []
    for a, b in itertools.pairwise(steps):
        # Away from cues, and before the finish chime of the last second.
        if a.breath is None and b.breath is None and b.frame < session.total_frames - 2 * 22050:
            quiet_spans.append((a.frame + 3000, b.frame - 3000))
    full = PEAK_LIMIT * 0.35
    tolerance = 0.06 if ext in ("wav", "flac") else 0.2  # lossy coding changes peaks a little
    for lo, hi in quiet_spans[:3] + quiet_spans[-3:]:
        assert float(np.max(np.abs(layer[lo:hi]))) == pytest.approx(full, rel=tolerance)
    # Ducked while a breath cue sounds.
    cue = next(s for s in steps[1:] if s.breath is not None)
    during = layer[cue.frame + 2000 : cue.frame + 3000]
    assert float(np.max(np.abs(during))) == pytest.approx(full * DUCK, rel=tolerance)
    # Dominant frequency of the music part is still 220 Hz after resampling 48 -> 22.05 kHz.
    lo, hi = quiet_spans[-1]
    segment = layer[lo:hi] * np.hanning(hi - lo)
    freqs = np.fft.rfftfreq(len(segment), 1 / 22050)
    assert freqs[int(np.argmax(np.abs(np.fft.rfft(segment))))] == pytest.approx(220, abs=10)


def test_music_longer_than_the_session_is_trimmed(tmp_path):
    music = tmp_path / "long.wav"
    sine_file(music, rate=44100, seconds=30, channels=1)
    session = resolve(parse_plan("segments: [{name: A, duration: 5s}]"), rate=44100)
    out = render_session(session, tmp_path / "x.flac", layers=Layers(music=music))
    info = soundfile.info(str(out.path))
    assert info.frames == 5 * 44100


def test_level_shares_never_pass_the_ceiling():
    assert sum(Layers().shares()) == 1.0
    layers = Layers(voice=object(), music="m.mp3", voice_db=12, music_db=12)  # type: ignore[arg-type]
    assert sum(layers.shares()) == pytest.approx(1.0)
    quieter = Layers(music="m.mp3", music_db=-6).shares()
    assert quieter[2] == pytest.approx(0.35 * 10 ** (-6 / 20))
    with pytest.raises(OptionError, match="--music-db"):
        Layers(music="m.mp3", music_db=-60)


def test_click_and_cue_levels_are_separate_and_loudness_is_fixed():
    session = resolve(PLAN, rate=8000)
    steps = [e for e in events(session) if isinstance(e, Step)]
    normal = np.concatenate(list(blocks(session)))[:, 0]
    softer = np.concatenate(list(blocks(session, MixOptions(click_db=-6))))[:, 0]
    plain = next(s for s in steps if s.breath is None and s.signal is None and s.k > 0)
    assert softer[plain.frame] == pytest.approx(normal[plain.frame] * 10 ** (-6 / 20), rel=1e-3)
    cue = next(s for s in steps if s.breath == "in" and s.signal is None)
    after_click = slice(cue.frame + 400, cue.frame + 1200)  # 50-150 ms: only the breath cue
    assert np.allclose(softer[after_click], normal[after_click], atol=1e-6)
    louder_cues = np.concatenate(list(blocks(session, MixOptions(cue_db=12))))[:, 0]
    assert float(np.max(np.abs(louder_cues))) <= PEAK_LIMIT + 1e-6
    # Two different plans with the same sounds peak the same: the loudness is the bank's.
    other = resolve(parse_plan("segments: [{name: X, duration: 30s}]"), rate=8000)
    assert float(np.max(np.abs(np.concatenate(list(blocks(other)))))) == pytest.approx(
        float(np.max(np.abs(normal))), rel=1e-6
    )


@pytest.mark.slow
@needs_voice
def test_cli_voice_and_music(runcoach_exe, tmp_path):
    sine_file(tmp_path / "mix.wav", rate=44100, seconds=20, channels=2)
    out = subprocess.run(
        [
            runcoach_exe,
            "render",
            "-p",
            "intervals",
            "--voice",
            "--music",
            "mix.wav",
            "--announce-every",
            "5m",
            "-o",
            "run.mp3",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "with voice, with music" in out.stdout
    x, rate = soundfile.read(tmp_path / "run.mp3")
    assert len(x) == 27 * 60 * rate
    assert float(np.max(np.abs(x))) <= 10 ** (-0.9 / 20)  # lossy coding may add a hair


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--music", "missing.mp3"], "no such music file"),
        (["--music", "junk.mp3"], "cannot decode"),
        (["--announce-every", "30s"], "at least 1m"),
        (["--voice-db", "50"], "--voice-db"),
        (["--click-db", "-90"], "--click-db"),
    ],
)
def test_cli_layer_errors(runcoach_exe, tmp_path, args, fragment):
    (tmp_path / "junk.mp3").write_bytes(os.urandom(5000))
    out = subprocess.run(
        [runcoach_exe, "render", "-p", "intervals", "-o", "x.mp3", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2, out.stderr
    assert fragment in out.stderr and out.stderr.count("\n") == 1
    assert not (tmp_path / "x.mp3").exists()


def test_python_has_soundfile_mp3_support():
    # The music decoder relies on libsndfile >= 1.1 (MP3) from the soundfile wheel.
    assert "MP3" in soundfile.available_formats(), sys.version
    assert shutil.which(sys.executable)


SHORT = parse_plan("""
name: Start check
spm: 170
breath: "4:6"
segments:
  - {name: Walk, duration: 8s, spm: 115, breath: off}
  - {name: Run, duration: 12s}
  - {name: Ease, duration: 10s, spm: ["-5", "-20"]}
""")


@needs_voice
def test_layered_blocks_from_any_frame_are_the_whole_stream_from_there(tmp_path):
    """Property: started at frame N, any block size, voice and music: the same samples."""
    rate = 8000
    music = tmp_path / "loop.wav"
    sine_file(music, rate=11025, seconds=2.3, channels=1, freq=330)  # loops 13 times
    session = resolve(SHORT, rate=rate)
    options = MixOptions()
    layers = Layers(voice=Voice(rate), music=music, announce_every=None)
    whole = np.concatenate(list(layered_blocks(session, options, layers, block_frames=4096)))
    assert whole.shape == (session.total_frames, 1)
    spoken = [(a.frame, len(clip)) for a, clip in announcements(session, layers.voice)]
    assert len(spoken) >= 4
    first, length = spoken[1]
    inside_phrase = first + length // 3  # a phrase heard from its middle
    loop = round(2.3 * rate)
    starts = [0, 1, inside_phrase, 3 * loop + 17, session.total_frames - 5, session.total_frames]
    for n, size in itertools.product(starts, (1000, 7777)):
        part = list(layered_blocks(session, options, layers, block_frames=size, start_frame=n))
        assert all(len(b) == size for b in part[:-1])
        got = np.concatenate(part) if part else np.zeros((0, 1), np.float32)
        assert np.array_equal(got, whole[n:]), (n, size)
    # The phrase heard from its middle is there: the voice layer is not silent at its start.
    assert np.any(whole[inside_phrase : inside_phrase + 400] != 0)
