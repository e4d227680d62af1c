"""Make examples/music-loop.ogg: a six-second groove to run to (kick, hi-hat, a bass line),
synthesized here so it is free to use and nothing is downloaded.

    python examples/make_music.py            # writes examples/music-loop.ogg
    python examples/make_music.py out.flac   # or any file soundfile writes (.wav, .flac, .ogg)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import soundfile

RATE = 44100
BPM = 84  # a beat every other step at 168 spm
BARS = 2


def _kick(n: int) -> np.ndarray:
    t = np.arange(n) / RATE
    pitch = 50 + 90 * np.exp(-t * 30)  # a falling sine: the classic drum-machine kick
    return np.sin(2 * np.pi * np.cumsum(pitch) / RATE) * np.exp(-t * 9)


def _hat(n: int, rng: np.random.Generator) -> np.ndarray:
    noise = rng.standard_normal(n)
    bright = np.diff(noise, prepend=0.0)  # a first difference tilts the noise towards treble
    return bright * np.exp(-np.arange(n) / RATE * 60) * 0.25


def _bass(n: int, freq: float) -> np.ndarray:
    t = np.arange(n) / RATE
    tone = np.sin(2 * np.pi * freq * t) + 0.3 * np.sin(2 * np.pi * 2 * freq * t)
    return tone * np.minimum(1.0, t * 200) * np.exp(-t * 3) * 0.5


def groove() -> np.ndarray:
    """The loop as float32 stereo, peaking at -3 dBFS; the same samples every time."""
    rng = np.random.default_rng(84)
    beat = int(RATE * 60 / BPM)
    total = beat * 4 * BARS
    out = np.zeros(total)
    notes = [55.0, 55.0, 65.41, 49.0] * BARS  # A, A, C, G: one bass note a beat
    for i in range(4 * BARS):
        at = i * beat
        out[at : at + beat] += _kick(beat) * 0.9
        out[at : at + beat] += _bass(beat, notes[i])
        half = at + beat // 2
        out[half : half + beat // 2] += _hat(beat // 2, rng)
    out *= 10 ** (-3 / 20) / np.max(np.abs(out))
    stereo = np.stack([out, np.roll(out, 40)], axis=1)  # a touch of width
    return stereo.astype(np.float32)


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("music-loop.ogg")
    soundfile.write(str(target), groove(), RATE)
    print(f"Wrote {target}: {BARS * 4 * 60 / BPM:.1f} s at {BPM} bpm")


if __name__ == "__main__":
    main()
