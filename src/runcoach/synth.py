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

    @property
    def channels(self) -> int:
        """1 for mono, 2 for stereo."""
        return 2 if self.stereo else 1

    def check(self) -> None:
        """Raise ``ValueError`` for a volume outside 0–1."""
        if not 0.0 <= self.volume <= 1.0:
            raise ValueError(f"volume must be between 0 and 1, got {self.volume!r}")


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
        lv = options.levels
        clicks = {}
        for name in SOUND_NAMES:
            clicks[name, False] = _metronome.click(name, sr=sr) * np.float32(lv.click)
            clicks[name, True] = _metronome.click(name, sr=sr, accent=True) * np.float32(lv.accent)
        breaths = {p: _breath.cue(p, sr=sr) * np.float32(lv.breath) for p in ("in", "out")}
        signals = {k: _cues.signal(k, sr=sr) * np.float32(lv.signal) for k in _cues.SIGNALS}
        guide = lv.guide if options.guide else 0.0
        short = [v for k, v in signals.items() if k not in _cues.LONG_SIGNALS]
        worst = self.worst_case(
            list(clicks.values()),
            list(breaths.values()),
            list(signals.values()),
            guide,
            int(_MIN_STEP_SECONDS * sr),
            short_signals=short,
        )
        gain = np.float32(options.volume * PEAK_LIMIT / worst)
        self.clicks = {key: value * gain for key, value in clicks.items()}
        self.breath = {key: value * gain for key, value in breaths.items()}
        self.signals = {key: value * gain for key, value in signals.items()}
        self.guide_gain = np.float32(lv.guide) * gain

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
        size = max(len(x) for x in [*clicks, *breaths, *signals])
        worst_start = 0.0
        worst_step = 0.0  # a click and a breath cue together, as on any later step
        mix = np.zeros(size, dtype=np.float64)
        for click in [silent, *clicks]:
            for cue in [silent, *breaths]:
                for sig in [silent, *signals]:
                    mix[:] = 0.0
                    for part in (click, cue, sig):
                        mix[: len(part)] += part
                    peak = float(np.max(np.abs(mix)))
                    worst_start = max(worst_start, peak)
                    if sig is silent:
                        worst_step = max(worst_step, peak)
        worst = worst_start
        short = signals if short_signals is None else short_signals
        tails = [float(np.max(np.abs(sig[gap:]))) for sig in short if len(sig) > gap]
        # Only short signals may meet later steps (the finish chime rings over silent steps).
        if tails:
            worst = max(worst, max(tails) + worst_step)
        return worst + guide


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
    spans: list[tuple[Phase, int, int]] = []  # guide-tone phases: (phase, start, end)
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
                part = samples[lo - first : hi - first]
                if stereo:
                    out[lo - b0 : hi - b0, 0] += part * np.float32(pan[0])
                    out[lo - b0 : hi - b0, 1] += part * np.float32(pan[1])
                else:
                    out[lo - b0 : hi - b0, 0] += part
            if first + len(samples) > b1:
                keep.append((first, samples, pan))
        active = keep
        if spans:
            live = []
            for phase, first, end in spans:
                lo, hi = max(first, b0), min(end, b1)
                if lo < hi:
                    tone = (
                        _breath.guide(phase, first, end, lo, hi, sr=session.rate) * bank.guide_gain
                    )
                    out[lo - b0 : hi - b0] += tone[:, None]
                if end > b1:
                    live.append((phase, first, end))
            spans = live
        # A no-op by the level budget; a guard for odd plans (two steps on one frame).
        np.clip(out, -PEAK_LIMIT, PEAK_LIMIT, out=out)
        yield out
        b0 = b1


def to_pcm16(block: np.ndarray) -> bytes:
    """Convert a float32 block to interleaved 16-bit little-endian PCM bytes."""
    scaled = np.round(np.clip(block, -1.0, 1.0) * 32767.0)
    data: bytes = scaled.astype("<i2").tobytes()
    return data
