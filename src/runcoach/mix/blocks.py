"""The mixer: timed events in, fixed-size blocks of frames out.

Sounds are rendered once per session (:class:`~runcoach.mix.levels.SoundBank`) and added at their
event frames; a sound that runs past a block's end carries into the next. The optional guide
tone is computed per block from absolute frame numbers. Blocks are independent of the block
size: any split gives the same samples, so playback and file export hear exactly the same thing.

Only the stretches where something sounds are allocated and mixed (most of a session is
silence): :func:`blocks` lays them into float32 blocks, :func:`pcm16_pieces` hands them to the
WAV writer as 16-bit PCM, remembering stretches made of the same sounds so steady segments are
mixed once, and :func:`pcm16_blocks` lays those into 16-bit blocks for the encoders (FLAC, OGG,
MP3). Both 16-bit paths can lay an overlay (the spoken announcements) over the mix, where it
sounds, exactly as the float layers do.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from runcoach import breath as _breath
from runcoach.mix.levels import BLOCK_FRAMES, PEAK_LIMIT, MixOptions, SoundBank
from runcoach.mix.pcm import finish_pcm16
from runcoach.plans.model import SOUND_OFF
from runcoach.timeline import Phase, Session, Step, events

# The mix's clip bounds, as float32 like the samples.
_FLOOR = np.float32(-PEAK_LIMIT)
_CEILING = np.float32(PEAK_LIMIT)

# Stereo gains (left, right): each foot's click leans to its side; everything else is centred.
_FOOT_PAN = ((1.0, 0.35), (0.35, 1.0))
_CENTRE = (1.0, 1.0)


#: A sound of the bank: ("click", name, accent), ("breath", phase) or ("signal", kind).
SoundKey = tuple[str, ...] | tuple[str, str, bool]


def _sounds_for(step: Step) -> Iterator[tuple[SoundKey, tuple[float, float]]]:
    """The sounds a step starts, with their stereo pan (left, right)."""
    if step.sound != SOUND_OFF:
        yield ("click", step.sound, step.accent), _FOOT_PAN[step.foot]
    if step.breath is not None:
        yield ("breath", step.breath), _CENTRE
    if step.signal is not None:
        yield ("signal", step.signal), _CENTRE


def blocks(
    session: Session,
    options: MixOptions | None = None,
    *,
    block_frames: int = BLOCK_FRAMES,
    start_frame: int = 0,
) -> Iterator[np.ndarray]:
    """Yield the session's audio as float32 blocks of shape ``(frames, channels)``.

    Every block has ``block_frames`` frames except the last; together they hold exactly
    ``session.total_frames - start_frame`` frames. ``start_frame`` begins part-way (sounds that
    started earlier are heard from their middle, as if the session had run from the start).
    Raises ``ValueError`` for a bad block size or start.
    """
    for b0, b1, pieces in _mixed(
        session, options, block_frames=block_frames, start_frame=start_frame
    ):
        out = np.zeros((b1 - b0, (options or MixOptions()).channels), dtype=np.float32)
        for first, samples in pieces:
            out[first - b0 : first - b0 + len(samples)] = samples
        yield out


#: Something laid over the mix: (first frame, float32 mono samples at their final level).
Overlay = tuple[int, np.ndarray]


def pcm16_pieces(
    session: Session,
    options: MixOptions | None = None,
    *,
    block_frames: int = BLOCK_FRAMES,
    overlay: Iterable[Overlay] = (),
) -> Iterator[tuple[int, list[tuple[int, np.ndarray]]]]:
    """The session as 16-bit PCM where it sounds: for each block, its end frame and its
    sounding stretches as (first frame, ``<i2`` samples ``(frames, channels)``); everything
    else is zeros. The same samples as :func:`to_pcm16` of :func:`blocks`, computed and
    converted only where there is sound (most of a session is silence): the fast path of WAV
    export, which seeks over the silence.

    ``overlay`` (in order of first frame) is added over the mix where it sounds, then clipped
    to the ceiling: what :func:`runcoach.mix.layers.layered_blocks` does with the voice.
    """
    for _, b1, pieces in _mixed(
        session,
        options,
        block_frames=block_frames,
        finish=finish_pcm16,
        reuse=256,
        overlay=overlay,
    ):
        yield b1, pieces


def pcm16_blocks(
    session: Session,
    options: MixOptions | None = None,
    *,
    block_frames: int = BLOCK_FRAMES,
    overlay: Iterable[Overlay] = (),
) -> Iterator[np.ndarray]:
    """:func:`pcm16_pieces` as whole ``<i2`` blocks ``(frames, channels)`` for the encoders:
    the silence is zeros (a fresh zeroed block costs next to nothing), the stretches that
    sound are copied in. The same samples as :func:`to_pcm16` of :func:`blocks`.
    """
    channels = (options or MixOptions()).channels
    b0 = 0
    for b1, pieces in pcm16_pieces(session, options, block_frames=block_frames, overlay=overlay):
        out = np.zeros((b1 - b0, channels), dtype="<i2")
        for first, pcm in pieces:
            out[first - b0 : first - b0 + len(pcm)] = pcm
        yield out
        b0 = b1


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping union of ``[lo, hi)`` spans."""
    if len(spans) <= 1:
        return spans
    spans.sort()
    merged = [spans[0]]
    for lo, hi in spans[1:]:
        last_lo, last_hi = merged[-1]
        if lo <= last_hi:
            merged[-1] = (last_lo, max(last_hi, hi))
        else:
            merged.append((lo, hi))
    return merged


_Finish = Callable[[np.ndarray], np.ndarray]
#: A sound laid in a block's stretch: (its channels, from sample, at offset, frames).
_Part = tuple[tuple[np.ndarray, ...], int, int, int]
#: A guide-tone phase laid in a stretch: (phase, phase start, phase end, from frame, to frame).
_Tone = tuple[Phase, int, int, int, int]


@dataclass
class _Stretch:
    """One sounding stretch ``[lo, hi)`` of a block: what sounds in it, and its memo key."""

    lo: int
    hi: int
    parts: list[_Part] = field(default_factory=list)
    tones: list[_Tone] = field(default_factory=list)
    key: list[object] = field(default_factory=list)


class _Mixer:
    """Mixes a session block by block, keeping the sounds that carry from block to block."""

    def __init__(self, session: Session, options: MixOptions, reuse: int) -> None:
        self.session = session
        self.options = options
        self.bank = SoundBank(session.rate, options)
        self.reuse = reuse
        self.cache: OrderedDict[tuple[object, ...], np.ndarray] = OrderedDict()
        # Sounding: (first frame, end frame, key, channels); added in event order, so every
        # sample sums its sounds in the same order whatever the block size.
        self.active: list[tuple[int, int, object, tuple[np.ndarray, ...]]] = []
        self.phases: list[tuple[Phase, int, int]] = []  # guide-tone phases: (phase, start, end)
        self.panned: dict[tuple[SoundKey, tuple[float, float]], tuple[np.ndarray, ...]] = {}
        self.stream = events(session)
        self.upcoming = next(self.stream, None)

    def channels_of(self, key: SoundKey, pan: tuple[float, float]) -> tuple[np.ndarray, ...]:
        """The bank's sound ``key`` as one array per channel (panned in stereo)."""
        samples = self.bank.sound(key)
        if not self.options.stereo:
            return (samples,)
        found = self.panned.get((key, pan))
        if found is None:
            found = (samples * np.float32(pan[0]), samples * np.float32(pan[1]))
            self.panned[key, pan] = found
        return found

    def take_events(self, b1: int) -> None:
        """Start every sound whose step comes before frame ``b1``."""
        while self.upcoming is not None and self.upcoming.frame < b1:
            step = self.upcoming
            if isinstance(step, Step):
                for key, pan in _sounds_for(step):
                    parts = self.channels_of(key, pan)
                    end = step.frame + len(parts[0])
                    self.active.append((step.frame, end, (key, pan), parts))
                if self.options.guide and step.breath is not None:
                    self.phases.append((step.breath, step.frame, step.breath_end))
            self.upcoming = next(self.stream, None)

    def stretches(self, b0: int, b1: int) -> list[_Stretch]:
        """The block's sounding stretches and what sounds in each; sounds that end here are
        dropped, the others carry on."""
        touched = [(max(f, b0), min(e, b1)) for f, e, _, _ in self.active if f < b1 and e > b0]
        touched += [(max(f, b0), min(e, b1)) for _, f, e in self.phases if f < b1 and e > b0]
        out = [_Stretch(lo, hi, key=[hi - lo]) for lo, hi in _merge(touched)]
        starts = [s.lo for s in out]
        keep = []
        for first, end, key, parts in self.active:
            lo, hi = max(first, b0), min(end, b1)
            if lo < hi:
                stretch = out[bisect_right(starts, lo) - 1]
                where = (lo - first, lo - stretch.lo, hi - lo)
                stretch.parts.append((parts, *where))
                stretch.key.append((key, *where))
            if end > b1:
                keep.append((first, end, key, parts))
        self.active = keep
        live = []
        for phase, first, end in self.phases:
            lo, hi = max(first, b0), min(end, b1)
            if lo < hi:
                out[bisect_right(starts, lo) - 1].tones.append((phase, first, end, lo, hi))
            if end > b1:
                live.append((phase, first, end))
        self.phases = live
        return out

    def mix(
        self,
        stretch: _Stretch,
        finish: Callable[[np.ndarray], np.ndarray] | None,
        *,
        remember: bool = True,
    ) -> np.ndarray:
        """The samples of one stretch (remembered when it holds no guide tone and
        ``remember``)."""
        key = tuple(stretch.key) if self.reuse and remember and not stretch.tones else None
        if key is not None and key in self.cache:
            self.cache.move_to_end(key)
            return self.cache[key]
        lo = stretch.lo
        buf = np.zeros((stretch.hi - lo, self.options.channels), dtype=np.float32)
        for parts, src, at, n in stretch.parts:
            for channel, part in enumerate(parts):
                buf[at : at + n, channel] += part[src : src + n]
        rate = self.session.rate
        for phase, first, end, t0, t1 in stretch.tones:
            tone = _breath.guide(phase, first, end, t0, t1, sr=rate) * self.bank.guide_gain
            buf[t0 - lo : t1 - lo] += tone[:, None]
        # A no-op by the level budget; a guard for odd plans (two steps on one frame).
        np.minimum(buf, _CEILING, out=buf)
        np.maximum(buf, _FLOOR, out=buf)
        done = buf if finish is None else finish(buf)
        if key is not None:
            self.cache[key] = done
            if len(self.cache) > self.reuse:
                self.cache.popitem(last=False)
        return done


def _mixed(
    session: Session,
    options: MixOptions | None = None,
    *,
    block_frames: int = BLOCK_FRAMES,
    start_frame: int = 0,
    finish: Callable[[np.ndarray], np.ndarray] | None = None,
    reuse: int = 0,
    overlay: Iterable[Overlay] = (),
) -> Iterator[tuple[int, int, list[tuple[int, np.ndarray]]]]:
    """For each block ``[b0, b1)``, the stretches that sound, as (first frame, samples
    ``(frames, channels)``), in order and not overlapping; the rest of the block is silence.

    ``finish`` turns each stretch into what is yielded (e.g. 16-bit PCM). With ``reuse`` > 0,
    that many finished stretches are remembered by exactly what sounds in them (which sounds,
    from which sample, where): a stretch made of the same is the same, so it is not mixed
    again. Remembered stretches are shared: consumers must not change them. ``overlay`` is
    added where it sounds (see :func:`pcm16_pieces`).
    """
    if block_frames < 1:
        raise ValueError(f"block_frames must be at least 1, got {block_frames}")
    total = session.total_frames
    if not 0 <= start_frame <= total:
        raise ValueError(f"start_frame must be within 0..{total}, got {start_frame}")
    mixer = _Mixer(session, options or MixOptions(), reuse)
    laid = _Overlays(overlay)
    b0 = start_frame
    while b0 < total:
        b1 = min(b0 + block_frames, total)
        mixer.take_events(b1)
        stretches = mixer.stretches(b0, b1)
        clips = laid.within(b0, b1)
        if clips:
            pieces = _overlaid(mixer, stretches, clips, (b0, b1), finish)
        else:
            pieces = [(s.lo, mixer.mix(s, finish)) for s in stretches]
        yield b0, b1, pieces
        b0 = b1


class _Overlays:
    """The overlay's clips as the blocks pass: those that sound in each."""

    def __init__(self, overlay: Iterable[Overlay]) -> None:
        self.upcoming = iter(overlay)
        self.next = next(self.upcoming, None)
        self.active: list[Overlay] = []

    def within(self, b0: int, b1: int) -> list[Overlay]:
        """The clips that sound in ``[b0, b1)``, in order; those that end here are dropped."""
        while self.next is not None and self.next[0] < b1:
            self.active.append(self.next)
            self.next = next(self.upcoming, None)
        found = [(f, c) for f, c in self.active if f < b1 and f + len(c) > b0]
        self.active = [(f, c) for f, c in self.active if f + len(c) > b1]
        return found


def _overlaid(
    mixer: _Mixer,
    stretches: list[_Stretch],
    clips: list[Overlay],
    block: tuple[int, int],
    finish: _Finish | None,
) -> list[tuple[int, np.ndarray]]:
    """A block's pieces with the overlay's clips added: the mix's stretches (unclipped sums
    clipped by the mixer, as in :func:`blocks`), the clips over them in order, the sum
    clipped to the ceiling, as :func:`runcoach.mix.layers.layered_blocks` does."""
    b0, b1 = block
    spans = [(s.lo, s.hi) for s in stretches]
    spans += [(max(f, b0), min(f + len(c), b1)) for f, c in clips]
    channels = mixer.options.channels
    pieces = []
    for lo, hi in _merge(spans):
        buf = np.zeros((hi - lo, channels), dtype=np.float32)
        for s in stretches:
            if lo <= s.lo < hi:
                buf[s.lo - lo : s.hi - lo] = mixer.mix(s, None, remember=False)
        for first, clip in clips:
            c0, c1 = max(first, lo), min(first + len(clip), hi)
            if c0 < c1:
                buf[c0 - lo : c1 - lo] += clip[c0 - first : c1 - first, None]
        np.clip(buf, -PEAK_LIMIT, PEAK_LIMIT, out=buf)
        pieces.append((lo, buf if finish is None else finish(buf)))
    return pieces
