"""Layers over the session's mix: spoken announcements and the runner's own music.

The session mix (clicks and cues, :func:`runcoach.mix.blocks.blocks`), the voice and the music each
get a share of the -1 dBFS ceiling, so their sum never clips whatever coincides; the music is
lowered while a cue or an announcement plays. Everything is computed from absolute frame numbers,
so the output does not depend on the block size, and the same inputs give the same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from runcoach.mix.announce import announcements
from runcoach.mix.blocks import blocks
from runcoach.mix.levels import BLOCK_FRAMES, PEAK_LIMIT, MixOptions, check_db
from runcoach.mix.spans import cue_spans
from runcoach.sounds import music as _music
from runcoach.sounds.voice import Voice
from runcoach.timeline import Session

#: Shares of the ceiling for (mix, voice, music), by which layers are present.
_SHARES = {
    (False, False): (1.0, 0.0, 0.0),
    (True, False): (0.62, 0.38, 0.0),
    (False, True): (0.65, 0.0, 0.35),
    (True, True): (0.5, 0.3, 0.2),
}
#: Music level while a cue or an announcement sounds, and the ramp to it (seconds).
DUCK = 0.25
DUCK_RAMP = 0.06


@dataclass(frozen=True)
class Layers:
    """What goes over the session: a voice (and how often to say the time left) and music.

    ``voice_db`` and ``music_db`` adjust those layers (negative is quieter); if raising one
    would pass the ceiling, every layer is scaled down together, so nothing ever clips.
    """

    voice: Voice | None = None
    announce_every: int | None = None
    music: str | os.PathLike[str] | None = None
    voice_db: float = 0.0
    music_db: float = 0.0

    def __post_init__(self) -> None:
        check_db("--voice-db", self.voice_db)
        check_db("--music-db", self.music_db)

    @property
    def active(self) -> bool:
        """True when there is anything to add over the session mix."""
        return self.voice is not None or self.music is not None

    def shares(self) -> tuple[float, float, float]:
        """Linear shares of the ceiling for the mix, the voice and the music."""
        base, voice, music = _SHARES[self.voice is not None, self.music is not None]
        voice *= 10 ** (self.voice_db / 20)
        music *= 10 ** (self.music_db / 20)
        total = base + voice + music
        if total > 1.0:
            base, voice, music = base / total, voice / total, music / total
        return base, voice, music


def layered_blocks(
    session: Session, options: MixOptions, layers: Layers, *, block_frames: int = BLOCK_FRAMES
) -> Iterator[np.ndarray]:
    """The session's blocks with voice and music over them (just the mix without layers)."""
    if not layers.active:
        yield from blocks(session, options, block_frames=block_frames)
        return
    base_share, voice_share, music_share = layers.shares()
    volume = options.volume
    mix = blocks(session, replace(options, volume=volume * base_share), block_frames=block_frames)
    ramp = max(1, int(DUCK_RAMP * session.rate))
    music = _Music.of(session, options, layers, PEAK_LIMIT * music_share * volume, ramp)
    voice = _Voice(session, layers, np.float32(PEAK_LIMIT * voice_share * volume), ramp)
    b0 = 0
    for out in mix:
        b1 = b0 + len(out)
        for first, end in voice.add(out, b0, b1):
            if music is not None:
                music.duck(first, end)
        if music is not None:
            music.add(out, b0, b1)
        np.clip(out, -PEAK_LIMIT, PEAK_LIMIT, out=out)
        yield out
        b0 = b1


class _Voice:
    """The announcements, laid over the blocks as they pass."""

    def __init__(self, session: Session, layers: Layers, gain: np.float32, ramp: int) -> None:
        self.spoken = (
            announcements(session, layers.voice, every_seconds=layers.announce_every)
            if layers.voice is not None
            else iter(())
        )
        self.gain = gain
        self.ramp = ramp
        self.upcoming = next(self.spoken, None)
        self.active: list[tuple[int, np.ndarray]] = []

    def add(self, out: np.ndarray, b0: int, b1: int) -> list[tuple[int, int]]:
        """Add the phrases that sound in ``[b0, b1)``; return the spans of those that start
        (the music ducks under them)."""
        started = []
        while self.upcoming is not None and self.upcoming[0].frame < b1 + self.ramp:
            said, clip = self.upcoming
            self.active.append((said.frame, clip))
            started.append((said.frame, said.frame + len(clip)))
            self.upcoming = next(self.spoken, None)
        keep = []
        for first, clip in self.active:
            lo, hi = max(first, b0), min(first + len(clip), b1)
            if lo < hi:
                out[lo - b0 : hi - b0] += (clip[lo - first : hi - first] * self.gain)[:, None]
            if first + len(clip) > b1:
                keep.append((first, clip))
        self.active = keep
        return started


class _Music:
    """The runner's music, looped or trimmed to the session, lowered under cues and words."""

    def __init__(
        self, stream: Iterator[np.ndarray], gain: np.float32, session: Session, ramp: int
    ) -> None:
        self.stream = stream
        self.gain = gain
        self.ramp = ramp
        self.buffer = np.zeros((0, 1), dtype=np.float32)
        self.ducks = cue_spans(session)
        self.upcoming_duck = next(self.ducks, None)
        self.pending: list[tuple[int, int]] = []

    @classmethod
    def of(
        cls, session: Session, options: MixOptions, layers: Layers, share: float, ramp: int
    ) -> _Music | None:
        """The music layer at ``share`` of the ceiling (None without music, or silent music)."""
        if layers.music is None:
            return None
        where = {"rate": session.rate, "channels": options.channels}
        top = _music.peak(layers.music, frames=session.total_frames, **where)
        if top <= 0:
            return None
        stream = _music.looped(layers.music, frames=session.total_frames, **where)
        music = cls(stream, np.float32(share / top), session, ramp)
        music.buffer = np.zeros((0, options.channels), dtype=np.float32)
        return music

    def duck(self, first: int, end: int) -> None:
        """Lower the music over ``[first, end)`` too (a phrase)."""
        self.pending.append((first, end))

    def add(self, out: np.ndarray, b0: int, b1: int) -> None:
        """Add the music of ``[b0, b1)``, ducked where a cue or a phrase sounds."""
        while len(self.buffer) < len(out):
            more = next(self.stream, None)
            if more is None:
                break
            self.buffer = np.concatenate([self.buffer, more])
        part, self.buffer = self.buffer[: len(out)], self.buffer[len(out) :]
        while self.upcoming_duck is not None and self.upcoming_duck[0] < b1 + self.ramp:
            self.pending.append(self.upcoming_duck)
            self.upcoming_duck = next(self.ducks, None)
        self.pending = [(s, e) for s, e in self.pending if e + self.ramp > b0]
        env = _envelope(b0, b0 + len(part), self.pending, self.ramp)
        out[: len(part)] += part * (env * self.gain)[:, None]


def _envelope(b0: int, b1: int, spans: list[tuple[int, int]], ramp: int) -> np.ndarray:
    """Music gain per frame of ``[b0, b1)``: 1, down to ``DUCK`` inside spans, with ramps."""
    env = np.ones(b1 - b0, dtype=np.float32)
    for start, end in spans:
        lo, hi = max(b0, start - ramp), min(b1, end + ramp)
        if lo >= hi:
            continue
        frames = np.arange(lo, hi)
        distance = np.maximum(np.maximum(start - frames, frames - end), 0)
        curve = DUCK + (1.0 - DUCK) * np.clip(distance / ramp, 0.0, 1.0)
        np.minimum(env[lo - b0 : hi - b0], curve.astype(np.float32), out=env[lo - b0 : hi - b0])
    return env
