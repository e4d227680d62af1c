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
    channels = options.channels
    volume = options.volume
    mix = blocks(session, replace(options, volume=volume * base_share), block_frames=block_frames)
    voice_gain = np.float32(PEAK_LIMIT * voice_share * volume)
    spoken = (
        announcements(session, layers.voice, every_seconds=layers.announce_every)
        if layers.voice is not None
        else iter(())
    )
    music_stream: Iterator[np.ndarray] | None = None
    music_gain = np.float32(0.0)
    if layers.music is not None:
        top = _music.peak(layers.music)
        if top > 0:
            music_gain = np.float32(PEAK_LIMIT * music_share * volume / top)
            music_stream = _music.looped(
                layers.music, rate=session.rate, channels=channels, frames=session.total_frames
            )
    ducks = cue_spans(session)
    ramp = max(1, int(DUCK_RAMP * session.rate))
    pending_duck: list[tuple[int, int]] = []
    upcoming_duck = next(ducks, None)
    active: list[tuple[int, np.ndarray]] = []
    upcoming = next(spoken, None)
    buffer = np.zeros((0, channels), dtype=np.float32)
    b0 = 0
    for out in mix:
        b1 = b0 + len(out)
        # Voice: phrases that start before this block ends.
        while upcoming is not None and upcoming[0].frame < b1 + ramp:
            active.append((upcoming[0].frame, upcoming[1]))
            if music_stream is not None:
                pending_duck.append((upcoming[0].frame, upcoming[0].frame + len(upcoming[1])))
            upcoming = next(spoken, None)
        keep = []
        for first, clip in active:
            lo, hi = max(first, b0), min(first + len(clip), b1)
            if lo < hi:
                out[lo - b0 : hi - b0] += (clip[lo - first : hi - first] * voice_gain)[:, None]
            if first + len(clip) > b1:
                keep.append((first, clip))
        active = keep
        if music_stream is not None:
            while len(buffer) < len(out):
                more = next(music_stream, None)
                if more is None:
                    break
                buffer = np.concatenate([buffer, more])
            part, buffer = buffer[: len(out)], buffer[len(out) :]
            while upcoming_duck is not None and upcoming_duck[0] < b1 + ramp:
                pending_duck.append(upcoming_duck)
                upcoming_duck = next(ducks, None)
            pending_duck = [(s, e) for s, e in pending_duck if e + ramp > b0]
            env = _envelope(b0, b0 + len(part), pending_duck, ramp)
            out[: len(part)] += part * (env * music_gain)[:, None]
        np.clip(out, -PEAK_LIMIT, PEAK_LIMIT, out=out)
        yield out
        b0 = b1


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
