"""The mixer: timed events in, fixed-size float32 blocks of frames out.

Sounds are rendered once per session (:class:`SoundBank`) and added at their event frames; a sound
that runs past a block's end carries into the next. The optional guide tone is computed per block
from absolute frame numbers. Blocks are independent of the block size: any split gives the same
samples, so playback and file export hear exactly the same thing.

Levels are budgeted so that the loudest moment (an accented click, a breath cue, a segment signal
and the guide tone all at once) peaks at -1 dBFS: the output never clips.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from runcoach import breath as _breath
from runcoach import metronome as _metronome
from runcoach.plans.model import SOUND_NAMES, SOUND_OFF
from runcoach.sounds import signals as _cues
from runcoach.timeline import Phase, Session, Step, events

#: Frames per block by default: about 0.37 s at 44.1 kHz.
BLOCK_FRAMES = 16384
#: The loudest the mix may get, as a linear amplitude (-1 dBFS).
PEAK_LIMIT = 10 ** (-1 / 20)


@dataclass(frozen=True)
class Levels:
    """Relative peak levels of each kind of sound; the mix is scaled so its loudest possible
    moment peaks at -1 dBFS (see :meth:`SoundBank.worst_case`)."""

    click: float = 0.75
    accent: float = 1.0
    breath: float = 0.5
    signal: float = 0.45
    guide: float = 0.12


@dataclass(frozen=True)
class MixOptions:
    """How the session sounds: channels, volume (0–1) and the guide tone."""

    stereo: bool = False
    volume: float = 1.0
    guide: bool = False
    levels: Levels = Levels()
    #: Click level and cue level (breath cues, segment signals, guide tone) in dB, relative to
    #: the defaults; lowering one leaves the others as loud as before.
    click_db: float = 0.0
    cue_db: float = 0.0

    @property
    def channels(self) -> int:
        """1 for mono, 2 for stereo."""
        return 2 if self.stereo else 1

    def check(self) -> None:
        """Raise ``ValueError`` for a volume outside 0–1 or a level outside -40..+12 dB."""
        if not 0.0 <= self.volume <= 1.0:
            raise ValueError(f"volume must be between 0 and 1, got {self.volume!r}")
        for name, db in (("click", self.click_db), ("cue", self.cue_db)):
            if not -40.0 <= db <= 12.0:
                raise ValueError(f"{name} level must be -40 to +12 dB, got {db}")

    def adjusted_levels(self) -> Levels:
        """:attr:`levels` with :attr:`click_db` and :attr:`cue_db` applied."""
        click, cue = 10 ** (self.click_db / 20), 10 ** (self.cue_db / 20)
        lv = self.levels
        return Levels(
            click=lv.click * click,
            accent=lv.accent * click,
            breath=lv.breath * cue,
            signal=lv.signal * cue,
            guide=lv.guide * cue,
        )


#: The shortest time between two steps (240 spm), in seconds.
_MIN_STEP_SECONDS = 60 / 240


class SoundBank:
    """Every sound a session can use, synthesized once at its sample rate and final level.

    All cues fall on steps, so what can sound together is known: on one step an (accented)
    click, a breath cue and a segment signal start together; a long signal's tail may meet the
    next step's click and cue, no sooner than 0.25 s later; the guide tone is under it all.
    The bank computes that worst case from the real samples and scales everything so it peaks
    at -1 dBFS at full volume.
    """

    def __init__(self, sr: int, options: MixOptions) -> None:
        options.check()
        # The default levels fix the loudness (the same for every session); adjusted levels
        # change one kind of sound against that, scaled down only if they would pass -1 dBFS.
        adjusted = options.adjusted_levels()
        (clicks, breaths, signals), worst = self._sounds(sr, adjusted, options.guide)
        reference = worst
        if adjusted != options.levels:
            _, reference = self._sounds(sr, options.levels, options.guide)
        gain = np.float32(options.volume * PEAK_LIMIT / max(reference, worst))
        self.clicks = {key: value * gain for key, value in clicks.items()}
        self.breath = {key: value * gain for key, value in breaths.items()}
        self.signals = {key: value * gain for key, value in signals.items()}
        self.guide_gain = np.float32(options.adjusted_levels().guide) * gain

    @classmethod
    def _sounds(
        cls, sr: int, lv: Levels, guide: bool
    ) -> tuple[
        tuple[dict[tuple[str, bool], np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]],
        float,
    ]:
        """Every sound at its level, and the worst case they can reach together."""
        clicks = {}
        for name in SOUND_NAMES:
            clicks[name, False] = _metronome.click(name, sr=sr) * np.float32(lv.click)
            clicks[name, True] = _metronome.click(name, sr=sr, accent=True) * np.float32(lv.accent)
        breaths = {p: _breath.cue(p, sr=sr) * np.float32(lv.breath) for p in ("in", "out")}
        signals = {k: _cues.signal(k, sr=sr) * np.float32(lv.signal) for k in _cues.SIGNALS}
        short = [v for k, v in signals.items() if k not in _cues.LONG_SIGNALS]
        worst = cls.worst_case(
            list(clicks.values()),
            list(breaths.values()),
            list(signals.values()),
            lv.guide if guide else 0.0,
            int(_MIN_STEP_SECONDS * sr),
            short_signals=short,
        )
        return (clicks, breaths, signals), worst

    @staticmethod
    def worst_case(
        clicks: list[np.ndarray],
        breaths: list[np.ndarray],
        signals: list[np.ndarray],
        guide: float,
        gap: int,
        *,
        short_signals: list[np.ndarray] | None = None,
    ) -> float:
        """The highest absolute sample any combination of these sounds can reach.

        Sounds cued on one step start on the same frame, so each combination's peak is exact;
        a signal's tail meeting later steps (no sooner than ``gap`` frames) and the guide tone
        are bounded by their peaks.
        """
        silent = np.zeros(1, dtype=np.float32)
        # While a click sounds (the first ``window`` frames) all three may meet; after it, only
        # a cue and a signal: two small searches give the same maximum as one over every
        # combination at full length.
        window = max(len(c) for c in clicks)
        size = max(len(x) for x in [*breaths, *signals])

        def peak(parts: tuple[np.ndarray, ...], lo: int, hi: int) -> float:
            mix = np.zeros(max(hi - lo, 0), dtype=np.float64)
            for part in parts:
                piece = part[lo:hi]
                mix[: len(piece)] += piece
            return float(np.max(np.abs(mix))) if len(mix) else 0.0

        worst_start = 0.0
        worst_step = 0.0  # a click and a breath cue together, as on any later step
        for cue in [silent, *breaths]:
            for sig in [silent, *signals]:
                late = peak((cue, sig), window, size)
                worst_start = max(worst_start, late)
                if sig is silent:
                    worst_step = max(worst_step, late)
                for click in [silent, *clicks]:
                    early = peak((click, cue, sig), 0, window)
                    worst_start = max(worst_start, early)
                    if sig is silent:
                        worst_step = max(worst_step, early)
        worst = worst_start
        short = signals if short_signals is None else short_signals
        tails = [float(np.max(np.abs(sig[gap:]))) for sig in short if len(sig) > gap]
        # Only short signals may meet later steps (the finish chime rings over silent steps).
        if tails:
            worst = max(worst, max(tails) + worst_step)
        return worst + guide


# The mix's clip bounds, as float32 like the samples.
_FLOOR = np.float32(-PEAK_LIMIT)
_CEILING = np.float32(PEAK_LIMIT)

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


def pcm16_pieces(
    session: Session,
    options: MixOptions | None = None,
    *,
    block_frames: int = BLOCK_FRAMES,
) -> Iterator[tuple[int, list[tuple[int, np.ndarray]]]]:
    """The session as 16-bit PCM where it sounds: for each block, its end frame and its
    sounding stretches as (first frame, ``<i2`` samples ``(frames, channels)``); everything
    else is zeros. The same samples as :func:`to_pcm16` of :func:`blocks`, computed and
    converted only where there is sound (most of a session is silence): the fast path of WAV
    export, which seeks over the silence.
    """
    for _, b1, pieces in _mixed(
        session, options, block_frames=block_frames, finish=_finish_pcm16, reuse=256
    ):
        yield b1, pieces


def _finish_pcm16(samples: np.ndarray) -> np.ndarray:
    # The mixer already clipped these samples to the ceiling (inside -1..1), so scaling and
    # rounding give exactly what to_pcm16 gives.
    np.multiply(samples, _PCM_SCALE, out=samples)
    np.rint(samples, out=samples)
    pcm: np.ndarray = samples.astype("<i2")
    return pcm


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


def _mixed(
    session: Session,
    options: MixOptions | None = None,
    *,
    block_frames: int = BLOCK_FRAMES,
    start_frame: int = 0,
    finish: Callable[[np.ndarray], np.ndarray] | None = None,
    reuse: int = 0,
) -> Iterator[tuple[int, int, list[tuple[int, np.ndarray]]]]:
    """The mixer: for each block ``[b0, b1)``, the stretches that sound, as (first frame,
    float32 samples ``(frames, channels)``), in order and not overlapping; the rest of the
    block is silence. Only sounding stretches are ever allocated or computed.

    ``finish`` turns each stretch into what is yielded (e.g. 16-bit PCM). With ``reuse`` > 0,
    that many finished stretches are remembered by exactly what sounds in them (which sounds,
    from which sample, where): a stretch made of the same is the same, so it is not mixed
    again. Such remembered stretches are shared: consumers must not change them.
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
    guide = options.guide
    # Pending sounds: (first frame, end frame, samples per channel). Sounds are added in event
    # order, so every sample sums its sounds in the same order whatever the block size.
    active: list[tuple[int, int, tuple[np.ndarray, ...]]] = []
    spans: list[tuple[Phase, int, int]] = []  # guide-tone phases: (phase, start, end)
    panned: dict[tuple[int, tuple[float, float]], tuple[np.ndarray, ...]] = {}
    keep_alive: list[np.ndarray] = []  # the sounds whose id() keys ``panned``

    def channels_of(samples: np.ndarray, pan: tuple[float, float]) -> tuple[np.ndarray, ...]:
        if not stereo:
            return (samples,)
        key = (id(samples), pan)
        found = panned.get(key)
        if found is None:
            found = (samples * np.float32(pan[0]), samples * np.float32(pan[1]))
            panned[key] = found
            keep_alive.append(samples)
        return found

    cache: OrderedDict[tuple[object, ...], np.ndarray] = OrderedDict()
    stream = events(session)
    upcoming = next(stream, None)
    b0 = start_frame
    while b0 < total:
        b1 = min(b0 + block_frames, total)
        while upcoming is not None and upcoming.frame < b1:
            if isinstance(upcoming, Step):
                frame = upcoming.frame
                for samples, pan in _sounds_for(upcoming, bank):
                    active.append((frame, frame + len(samples), channels_of(samples, pan)))
                if guide and upcoming.breath is not None:
                    spans.append((upcoming.breath, frame, upcoming.breath_end))
            upcoming = next(stream, None)
        # Where this block sounds: the union of the sounds' and guide phases' stretches.
        touched = [
            (max(first, b0), min(end, b1)) for first, end, _ in active if first < b1 and end > b0
        ]
        touched += [
            (max(first, b0), min(end, b1)) for _, first, end in spans if first < b1 and end > b0
        ]
        merged = _merge(touched)
        starts = [lo for lo, _ in merged]
        # What sounds in each stretch, in event order: (sound, from sample, at, length).
        parts_of: list[list[tuple[tuple[np.ndarray, ...], int, int, int]]] = [[] for _ in merged]
        keys_of: list[list[object]] = [[hi - lo] for lo, hi in merged]
        if active:
            keep = []
            for first, end, parts in active:
                lo, hi = max(first, b0), min(end, b1)
                if lo < hi:
                    at = bisect_right(starts, lo) - 1
                    where = (lo - first, lo - starts[at], hi - lo)
                    parts_of[at].append((parts, *where))
                    keys_of[at].append((id(parts), *where))
                if end > b1:
                    keep.append((first, end, parts))
            active = keep
        tones: list[list[tuple[Phase, int, int, int, int]]] = [[] for _ in merged]
        if spans:
            live = []
            for phase, first, end in spans:
                lo, hi = max(first, b0), min(end, b1)
                if lo < hi:
                    tones[bisect_right(starts, lo) - 1].append((phase, first, end, lo, hi))
                if end > b1:
                    live.append((phase, first, end))
            spans = live
        pieces = []
        for index, (lo, hi) in enumerate(merged):
            key: tuple[object, ...] | None = None
            if reuse and not tones[index]:
                key = tuple(keys_of[index])
                found = cache.get(key)
                if found is not None:
                    cache.move_to_end(key)
                    pieces.append((lo, found))
                    continue
            buf = np.zeros((hi - lo, channels), dtype=np.float32)
            for parts, src, at, n in parts_of[index]:
                for channel, part in enumerate(parts):
                    buf[at : at + n, channel] += part[src : src + n]
            for phase, first, end, t0, t1 in tones[index]:
                tone = _breath.guide(phase, first, end, t0, t1, sr=session.rate) * bank.guide_gain
                buf[t0 - lo : t1 - lo] += tone[:, None]
            # A no-op by the level budget; a guard for odd plans (two steps on one frame).
            np.minimum(buf, _CEILING, out=buf)
            np.maximum(buf, _FLOOR, out=buf)
            done = buf if finish is None else finish(buf)
            if key is not None:
                cache[key] = done
                if len(cache) > reuse:
                    cache.popitem(last=False)
            pieces.append((lo, done))
        yield b0, b1, pieces
        b0 = b1


_PCM_SCALE = np.float32(32767.0)


def to_pcm16(block: np.ndarray) -> bytes:
    """Convert a float32 block to interleaved 16-bit little-endian PCM bytes.

    Samples are clipped to -1..1, scaled by 32767 and rounded half to even.
    """
    data: bytes = _pcm16_array(block).tobytes()
    return data


def _pcm16_array(block: np.ndarray) -> np.ndarray:
    """:func:`to_pcm16` as an ``<i2`` array of the block's shape."""
    if block.dtype != np.float32:
        scaled = np.round(np.clip(block, -1.0, 1.0) * 32767.0)
        exact: np.ndarray = scaled.astype("<i2")
        return exact
    # Same values, fewer passes: scaling first and clipping to +-32767 equals clipping to +-1
    # and scaling (the float32 product is monotonic and 32767 is exact), in one buffer.
    work = np.multiply(block, _PCM_SCALE)
    np.clip(work, -_PCM_SCALE, _PCM_SCALE, out=work)
    np.rint(work, out=work)
    pcm: np.ndarray = work.astype("<i2")
    return pcm
