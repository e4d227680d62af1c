"""The mixer: timed events in, fixed-size float32 blocks of frames out.

Sounds are rendered once per session (:class:`SoundBank`) and added at their event frames; a sound
that runs past a block's end carries into the next. The optional guide tone is computed per block
from absolute frame numbers. Blocks are independent of the block size: any split gives the same
samples, so playback and file export hear exactly the same thing.

Levels are budgeted so that the loudest moment (an accented click, a breath cue, a segment signal
and the guide tone all at once) peaks at -1 dBFS: the output never clips.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from runcoach import breath as _breath
from runcoach import cues as _cues
from runcoach import metronome as _metronome
from runcoach.plans.model import SOUND_NAMES, SOUND_OFF
from runcoach.timeline import Session, Step, events

#: Frames per block by default: about 0.37 s at 44.1 kHz.
BLOCK_FRAMES = 16384
#: The loudest the mix may get, as a linear amplitude (-1 dBFS).
PEAK_LIMIT = 10 ** (-1 / 20)


@dataclass(frozen=True)
class Levels:
    """Linear peak levels of each kind of sound (before ``volume``)."""

    click: float = 0.36
    accent: float = 0.46
    breath: float = 0.20
    signal: float = 0.17
    guide: float = 0.06

    def worst_case(self, guide: bool) -> float:
        """The highest sum of peaks that can meet on one frame."""
        return (max(self.click, self.accent) + self.breath + self.signal
                + (self.guide if guide else 0.0))


@dataclass(frozen=True)
class MixOptions:
    """How the session sounds: channels, volume (0–1) and the guide tone."""

    stereo: bool = False
    volume: float = 1.0
    guide: bool = False
    levels: Levels = Levels()

    @property
    def channels(self) -> int:
        """1 for mono, 2 for stereo."""
        return 2 if self.stereo else 1

    def gain(self) -> float:
        """Master gain: ``volume``, scaled down if the level budget would pass -1 dBFS."""
        if not 0.0 <= self.volume <= 1.0:
            raise ValueError(f"volume must be between 0 and 1, got {self.volume!r}")
        worst = self.levels.worst_case(self.guide)
        return self.volume * min(1.0, PEAK_LIMIT / worst)


class SoundBank:
    """Every sound a session can use, synthesized once at its sample rate and level."""

    def __init__(self, sr: int, options: MixOptions) -> None:
        gain = options.gain()
        lv = options.levels
        self.clicks: dict[tuple[str, bool], np.ndarray] = {}
        for name in SOUND_NAMES:
            self.clicks[name, False] = _metronome.click(name, sr=sr) * np.float32(lv.click * gain)
            self.clicks[name, True] = (_metronome.click(name, sr=sr, accent=True)
                                       * np.float32(lv.accent * gain))
        self.breath = {p: _breath.cue(p, sr=sr) * np.float32(lv.breath * gain)
                       for p in ("in", "out")}
        self.signals = {k: _cues.signal(k, sr=sr) * np.float32(lv.signal * gain)
                        for k in _cues.SIGNALS}
        self.guide_gain = np.float32(lv.guide * gain)


# Stereo gains (left, right): each foot's click leans to its side; everything else is centred.
_FOOT_PAN = ((1.0, 0.35), (0.35, 1.0))
_CENTRE = (1.0, 1.0)


def _sounds_for(step: Step, bank: SoundBank) -> Iterator[tuple[np.ndarray, tuple[float, float]]]:
    if step.sound != SOUND_OFF:
        yield bank.clicks[step.sound, step.accent], _FOOT_PAN[step.foot]
    if step.breath is not None:
        yield bank.breath[step.breath], _CENTRE
    if step.signal is not None:
        yield bank.signals[step.signal], _CENTRE


def blocks(session: Session, options: MixOptions | None = None, *,
           block_frames: int = BLOCK_FRAMES, start_frame: int = 0) -> Iterator[np.ndarray]:
    """Yield the session's audio as float32 blocks of shape ``(frames, channels)``.

    Every block has ``block_frames`` frames except the last; together they hold exactly
    ``session.total_frames - start_frame`` frames. ``start_frame`` begins part-way (sounds that
    started earlier are heard from their middle, as if the session had run from the start).
    Raises ``ValueError`` for a bad block size or start.
    """
    options = options or MixOptions()
    if block_frames < 1:
        raise ValueError(f"block_frames must be at least 1, got {block_frames}")
    total = session.total_frames
    if not 0 <= start_frame <= total:
        raise ValueError(f"start_frame must be within 0..{total}, got {start_frame}")
    bank = SoundBank(session.rate, options)
    channels = options.channels
    stereo = options.stereo
    # Pending sounds: (first frame, samples, (left gain, right gain)).
    active: list[tuple[int, np.ndarray, tuple[float, float]]] = []
    spans: list[tuple[str, int, int]] = []  # guide-tone phases: (phase, start, end)
    stream = events(session)
    upcoming = next(stream, None)
    b0 = start_frame
    while b0 < total:
        b1 = min(b0 + block_frames, total)
        out = np.zeros((b1 - b0, channels), dtype=np.float32)
        while upcoming is not None and upcoming.frame < b1:
            if isinstance(upcoming, Step):
                for samples, pan in _sounds_for(upcoming, bank):
                    active.append((upcoming.frame, samples, pan))
                if options.guide and upcoming.breath is not None:
                    spans.append((upcoming.breath, upcoming.frame, upcoming.breath_end))
            upcoming = next(stream, None)
        keep = []
        for first, samples, pan in active:
            lo, hi = max(first, b0), min(first + len(samples), b1)
            if lo < hi:
                part = samples[lo - first:hi - first]
                if stereo:
                    out[lo - b0:hi - b0, 0] += part * np.float32(pan[0])
                    out[lo - b0:hi - b0, 1] += part * np.float32(pan[1])
                else:
                    out[lo - b0:hi - b0, 0] += part
            if first + len(samples) > b1:
                keep.append((first, samples, pan))
        active = keep
        if spans:
            live = []
            for phase, first, end in spans:
                lo, hi = max(first, b0), min(end, b1)
                if lo < hi:
                    tone = _breath.guide(phase, first, end, lo, hi,  # type: ignore[arg-type]
                                         sr=session.rate) * bank.guide_gain
                    out[lo - b0:hi - b0] += tone[:, None]
                if end > b1:
                    live.append((phase, first, end))
            spans = live
        np.clip(out, -1.0, 1.0, out=out)  # a no-op by the level budget; a guard for edge cases
        yield out
        b0 = b1


def to_pcm16(block: np.ndarray) -> bytes:
    """Convert a float32 block to interleaved 16-bit little-endian PCM bytes."""
    scaled = np.round(np.clip(block, -1.0, 1.0) * 32767.0)
    return scaled.astype("<i2").tobytes()
