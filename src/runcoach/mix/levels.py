"""Levels: how loud each kind of sound is, and the budget that keeps the mix from clipping.

:class:`MixOptions` holds what a runner sets (stereo, volume, guide tone, click and cue levels in
dB); :class:`SoundBank` synthesizes every sound a session can use once, at its final level, so
the loudest possible moment peaks at -1 dBFS: the output never clips.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from runcoach import breath as _breath
from runcoach import metronome as _metronome
from runcoach.errors import OptionError, PlanError
from runcoach.plans.model import SOUND_NAMES
from runcoach.plans.units import (
    MAX_DB,
    MAX_SPM,
    MAX_VOLUME,
    MIN_DB,
    MIN_VOLUME,
    parse_number,
    quote,
)
from runcoach.sounds import signals as _cues

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
    levels: Levels = field(default_factory=Levels)
    #: Click level and cue level (breath cues, segment signals, guide tone) in dB, relative to
    #: the defaults; lowering one leaves the others as loud as before.
    click_db: float = 0.0
    cue_db: float = 0.0

    @property
    def channels(self) -> int:
        """1 for mono, 2 for stereo."""
        return 2 if self.stereo else 1

    def __post_init__(self) -> None:
        check_volume(self.volume)
        check_db("--click-db", self.click_db)
        check_db("--cue-db", self.cue_db)

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


#: The shortest time between two steps, in seconds.
_MIN_STEP_SECONDS = 60 / MAX_SPM


def _finite(option: str, value: object) -> Fraction:
    try:
        return parse_number(value, field=option, what="a number")
    except PlanError as err:
        raise OptionError(f"{option} must be a number, got {quote(value)}") from err


def check_volume(volume: float) -> None:
    """Refuse a volume outside 0–1 (or not a finite number) with ``OptionError``."""
    if not MIN_VOLUME <= _finite("--volume", volume) <= MAX_VOLUME:
        raise OptionError(f"--volume must be between 0 and 1, got {volume}")


def check_db(option: str, db: float) -> None:
    """Refuse a level change outside -40..+12 dB (or not a finite number) with ``OptionError``."""
    if not MIN_DB <= _finite(option, db) <= MAX_DB:
        raise OptionError(f"{option} must be -40 to +12 dB, got {db}")


class SoundBank:
    """Every sound a session can use, synthesized once at its sample rate and final level.

    All cues fall on steps, so what can sound together is known: on one step an (accented)
    click, a breath cue and a segment signal start together; a long signal's tail may meet the
    next step's click and cue, no sooner than 0.25 s later; the guide tone is under it all.
    The bank computes that worst case from the real samples and scales everything so it peaks
    at -1 dBFS at full volume.
    """

    def __init__(self, sr: int, options: MixOptions) -> None:
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

    def sound(self, key: tuple[object, ...]) -> np.ndarray:
        """A sound by key: ``("click", name, accent)``, ``("breath", phase)`` or
        ``("signal", kind)``."""
        kind = key[0]
        found: np.ndarray
        if kind == "click":
            found = self.clicks[str(key[1]), bool(key[2])]
        elif kind == "breath":
            found = self.breath[str(key[1])]
        else:
            found = self.signals[str(key[1])]
        return found

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
