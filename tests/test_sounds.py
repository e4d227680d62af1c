"""Pure synthesis functions: clicks, breath cues, segment signals and the guide tone."""

from __future__ import annotations

import numpy as np
import pytest

from runcoach import breath, metronome
from runcoach.plans.model import SOUND_NAMES
from runcoach.sounds import signals as cues


def centroid(y: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(y, n=8192))
    freqs = np.fft.rfftfreq(8192, 1 / sr)
    return float(np.sum(freqs * spectrum) / np.sum(spectrum))


@pytest.mark.parametrize("sr", [8000, 22050, 44100, 48000, 96000])
@pytest.mark.parametrize("name", SOUND_NAMES)
@pytest.mark.parametrize("accent", [False, True])
def test_clicks_are_short_and_start_at_their_peak(name, sr, accent):
    y = metronome.click(name, sr=sr, accent=accent)
    assert y.dtype == np.float32 and y.ndim == 1
    assert len(y) <= int(0.040 * sr)
    assert y[0] == pytest.approx(1.0)
    assert float(np.max(np.abs(y))) == pytest.approx(1.0)
    assert abs(float(y[-1])) < 1e-3  # fades to silence: no click at the end


def test_clicks_are_deterministic_and_distinct():
    for name in SOUND_NAMES:
        assert np.array_equal(metronome.click(name), metronome.click(name))
    shapes = {name: metronome.click(name) for name in SOUND_NAMES}
    for a in SOUND_NAMES:
        for b in SOUND_NAMES:
            if a < b:
                n = min(len(shapes[a]), len(shapes[b]))
                assert not np.allclose(shapes[a][:n], shapes[b][:n], atol=0.05)


def test_accent_is_brighter():
    for name in SOUND_NAMES:
        assert centroid(metronome.click(name, accent=True), 44100) > centroid(
            metronome.click(name), 44100
        )


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"name": "trumpet"}, "unknown click"),
        ({"name": "beep", "sr": 100}, "sample rate"),
    ],
)
def test_click_bad_arguments(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        metronome.click(**kwargs)


def test_breath_cues_glide_up_and_down_below_the_clicks():
    sr = 44100
    inhale, exhale = breath.cue("in", sr=sr), breath.cue("out", sr=sr)
    assert len(inhale) < 0.25 * sr and len(exhale) < 0.25 * sr  # under one step at 240 spm
    assert float(np.max(np.abs(inhale))) == pytest.approx(1.0)

    def pitch(y: np.ndarray) -> float:
        return centroid(y * np.hanning(len(y)), sr)

    third = len(inhale) // 3
    assert pitch(inhale[:third]) < pitch(inhale[-third:])
    third = len(exhale) // 3
    assert pitch(exhale[:third]) > pitch(exhale[-third:])
    lowest_click = min(centroid(metronome.click(n), sr) for n in SOUND_NAMES)
    assert centroid(inhale, sr) < lowest_click and centroid(exhale, sr) < lowest_click
    with pytest.raises(ValueError):
        breath.cue("hold")  # type: ignore[arg-type]


def test_signals_are_distinct_melodies():
    sr = 22050
    made = {kind: cues.signal(kind, sr=sr) for kind in cues.SIGNALS}
    for kind, y in made.items():
        assert float(np.max(np.abs(y))) == pytest.approx(1.0)
        if kind not in cues.LONG_SIGNALS:
            assert len(y) < 0.25 * sr, kind

    def halves(y: np.ndarray) -> tuple[float, float]:
        half = len(y) // 2
        return centroid(y[:half], sr), centroid(y[half:], sr)

    up, down = halves(made["faster"]), halves(made["slower"])
    assert up[0] < up[1] and down[0] > down[1]
    with pytest.raises(ValueError):
        cues.signal("siren")


def test_guide_tone_is_the_same_whatever_the_split():
    whole = breath.guide("in", 1000, 20000, 0, 25000, sr=22050)
    parts = np.concatenate(
        [
            breath.guide("in", 1000, 20000, a, b, sr=22050)
            for a, b in ((0, 7000), (7000, 7001), (7001, 25000))
        ]
    )
    assert np.array_equal(whole, parts)
    assert not whole[:1000].any() and not whole[20000:].any()
    assert float(np.max(np.abs(whole))) <= 1.0


def test_stored_tick_noise_is_the_seeded_generator_output():
    # The table replaces numpy.random at start-up; it must be exactly what the seed gives.
    from runcoach.metronome import _noise

    assert np.array_equal(_noise(), np.random.default_rng(3).standard_normal(2304))
    assert len(_noise()) >= int(0.012 * 192000)
