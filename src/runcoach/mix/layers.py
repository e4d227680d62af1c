"""Layers over the session's mix: spoken announcements and the runner's own music.

The session mix (clicks and cues, :func:`runcoach.mix.blocks.blocks`), the voice and the music each
get a share of the -1 dBFS ceiling, so their sum never clips whatever coincides; the music is
lowered while a cue or an announcement plays. Everything is computed from absolute frame numbers,
so the output does not depend on the block size, and the same inputs give the same bytes.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from runcoach.mix.announce import PHRASE_GAP_SECONDS, Announcement, announcements
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
#: How far back (seconds) the music can be read again without decoding it anew: a live cut
#: lands within the audio queued for the device, well under this.
KEEP_SECONDS = 10


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
    session: Session,
    options: MixOptions,
    layers: Layers,
    *,
    block_frames: int = BLOCK_FRAMES,
    start_frame: int = 0,
) -> Iterator[np.ndarray]:
    """The session's blocks with voice and music over them (just the mix without layers).

    ``start_frame`` begins part-way: the blocks, put together, are exactly those of the whole
    session from that frame on (a phrase said from before it is heard from its middle, the
    music is where it would be then). Raises ``ValueError`` for a bad block size or start.
    """
    yield from LayerMix(session, options, layers).blocks(
        session, block_frames=block_frames, start_frame=start_frame
    )


def mix_and_voice_levels(options: MixOptions, layers: Layers) -> tuple[MixOptions, np.float32]:
    """The session mix's options at its share of the ceiling, and the gain of the voice's
    samples: the one place both :class:`LayerMix` and the 16-bit encoders' voice overlay
    (:mod:`runcoach.rendering`) take them from, so the two paths give the same samples."""
    base_share, voice_share, _ = layers.shares()
    volume = options.volume
    return replace(options, volume=volume * base_share), np.float32(
        PEAK_LIMIT * voice_share * volume
    )


class LayerMix:
    """The layers of one play, over its session's blocks and, live, over the blocks of each
    session a change makes (:meth:`blocks` with ``cut=True``).

    The music's level is measured once, on the session play began with, and the music runs on
    in session time: frame ``f`` of any of these sessions hears the music's frame ``f`` (looped),
    so at a cut it goes on where it was, as if nothing had happened (it never starts again
    from its beginning). A phrase being said at a cut is said to its end; the new session's
    announcements from the cut on follow it.
    """

    def __init__(self, session: Session, options: MixOptions, layers: Layers) -> None:
        self.options = options
        self.layers = layers
        self._base, self._voice_gain = mix_and_voice_levels(options, layers)
        self._ramp = max(1, int(DUCK_RAMP * session.rate))
        music_share = layers.shares()[2]
        self._track, self._music_gain = _music_of(
            session, options, layers, PEAK_LIMIT * music_share * options.volume
        )
        # The latest phrases taken by a stream (phrases never overlap: a few are plenty).
        self._said: deque[tuple[int, np.ndarray]] = deque(maxlen=16)

    def blocks(
        self,
        session: Session,
        *,
        block_frames: int = BLOCK_FRAMES,
        start_frame: int = 0,
        cut: bool = False,
    ) -> Iterator[np.ndarray]:
        """``session``'s blocks from ``start_frame`` with the layers over them.

        ``cut``: ``session`` replaces the one played so far from ``start_frame`` on (a live
        change): the phrase being said there goes on, and of ``session``'s announcements only
        those from ``start_frame`` on are said. Without it, exactly
        :func:`layered_blocks` of ``session`` from ``start_frame``.
        """
        if not self.layers.active:
            yield from blocks(
                session, self.options, block_frames=block_frames, start_frame=start_frame
            )
            return
        mix = blocks(session, self._base, block_frames=block_frames, start_frame=start_frame)
        levels = (self._voice_gain, self._ramp)
        since = start_frame if cut else None
        voice = _Voice(session, self.layers, levels, self._said, since=since)
        music = None
        if self._track is not None:
            music = _Music(self._track, self._music_gain, session, self._ramp)
        b0 = start_frame
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


def _music_of(
    session: Session, options: MixOptions, layers: Layers, share: float
) -> tuple[_music.Track | None, np.float32]:
    """The music at ``share`` of the ceiling, and its gain (None without music, or silent)."""
    if layers.music is None:
        return None, np.float32(0)
    rate, channels = session.rate, options.channels
    top = _music.peak(layers.music, frames=session.total_frames, rate=rate, channels=channels)
    if top <= 0:
        return None, np.float32(0)
    track = _music.Track(
        layers.music, rate=rate, channels=channels, keep_frames=KEEP_SECONDS * rate
    )
    return track, np.float32(share / top)


class _Voice:
    """The announcements, laid over the blocks as they pass.

    ``since`` (a live cut): only the announcements from that frame on, after the ``carry``
    (the phrase being said at the cut, said to its end).
    """

    def __init__(
        self,
        session: Session,
        layers: Layers,
        levels: tuple[np.float32, int],
        said: deque[tuple[int, np.ndarray]],
        *,
        since: int | None = None,
    ) -> None:
        self.gain, self.ramp = levels
        carry = [(f, c) for f, c in said if since is not None and f < since < f + len(c)]
        self.spoken: Iterator[tuple[Announcement, np.ndarray]] = iter(())
        if layers.voice is not None:
            busy = max((f + len(c) for f, c in carry), default=0)
            if busy:
                busy += int(PHRASE_GAP_SECONDS * session.rate)
            self.spoken = announcements(
                session,
                layers.voice,
                every_seconds=layers.announce_every,
                since=since or 0,
                busy_until=busy,
            )
        self.said = said
        said.clear()
        said.extend(carry)
        self.active = carry
        self.carried = [(first, first + len(clip)) for first, clip in carry]
        self.upcoming = next(self.spoken, None)

    def add(self, out: np.ndarray, b0: int, b1: int) -> list[tuple[int, int]]:
        """Add the phrases that sound in ``[b0, b1)``; return the spans of those that start
        (the music ducks under them)."""
        started, self.carried = self.carried, []
        while self.upcoming is not None and self.upcoming[0].frame < b1 + self.ramp:
            said, clip = self.upcoming
            self.active.append((said.frame, clip))
            self.said.append((said.frame, clip))
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

    def __init__(self, track: _music.Track, gain: np.float32, session: Session, ramp: int) -> None:
        self.track = track
        self.gain = gain
        self.ramp = ramp
        self.ducks = cue_spans(session)
        self.upcoming_duck = next(self.ducks, None)
        self.pending: list[tuple[int, int]] = []

    def duck(self, first: int, end: int) -> None:
        """Lower the music over ``[first, end)`` too (a phrase)."""
        self.pending.append((first, end))

    def add(self, out: np.ndarray, b0: int, b1: int) -> None:
        """Add the music of ``[b0, b1)``, ducked where a cue or a phrase sounds."""
        part = self.track.read(b0, b1 - b0)
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
