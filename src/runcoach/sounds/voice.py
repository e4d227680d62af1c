"""The voice: phrases spoken by espeak-ng, and numbers, cadences and durations in words.

Each phrase is synthesized once per process (cached) as mono float32 at the session's rate;
where and when phrases are said is the mixer's business (:mod:`runcoach.mix.announce`).
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from fractions import Fraction

import numpy as np

from runcoach.errors import OptionError

INSTALL_HINT = (
    "spoken announcements need espeak-ng: install it with `sudo apt-get install espeak-ng` "
    "(Debian/Ubuntu), `brew install espeak-ng` (macOS) or from "
    "github.com/espeak-ng/espeak-ng/releases (Windows); the tones still announce every change"
)


_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    """English words for 0 ≤ n < 1000: ``number_words(45) == "forty-five"``."""
    if not 0 <= n < 1000:
        raise ValueError(f"only numbers below 1000 are spoken, got {n}")
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    hundreds, rest = divmod(n, 100)
    return f"{_ONES[hundreds]} hundred" + (f" {number_words(rest)}" if rest else "")


def cadence_words(spm: Fraction | float) -> str:
    """A cadence as runners say it: 170 → "one seventy", 105 → "one oh five"."""
    value = round(spm)
    if 100 <= value < 200 and value % 100:
        rest = value % 100
        return "one " + (f"oh {_ONES[rest]}" if rest < 10 else number_words(rest))
    return number_words(value)


def duration_words(seconds: Fraction | float) -> str:
    """A segment length in words: "two minutes", "one minute thirty", "ninety seconds"."""
    total = round(seconds)
    if total < 120 and total % 60:
        return (
            f"{number_words(total)} seconds"
            if total < 100
            else (f"one minute {number_words(total - 60)}")
        )
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{number_words(hours)} hour" + ("s" if hours > 1 else ""))
    if minutes:
        parts.append(f"{number_words(minutes)} minute" + ("s" if minutes > 1 else ""))
    if secs and not hours:
        parts.append(number_words(secs))
    return " ".join(parts) or "zero seconds"


def espeak_path() -> str | None:
    """The espeak-ng (or espeak) program, if installed."""
    return shutil.which("espeak-ng") or shutil.which("espeak")


class Voice:
    """Synthesizes phrases with espeak-ng at a sample rate, once each."""

    def __init__(
        self,
        sr: int,
        *,
        program: str | None = None,
        voice: str = "en-us",
        words_per_minute: int = 165,
    ) -> None:
        found = program or espeak_path()
        if found is None:
            raise OptionError(INSTALL_HINT)
        self.program = found
        self.sr = sr
        self.voice = voice
        self.words_per_minute = words_per_minute
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()  # export renders sessions in threads

    def __getstate__(self) -> dict[str, object]:
        # Sent to export's worker processes: without the lock (and the cache, rebuilt there).
        state = dict(self.__dict__)
        del state["_lock"]
        state["_cache"] = {}
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def say(self, text: str) -> np.ndarray:
        """``text`` spoken, as mono float32 at the voice's rate, trimmed, peaking at 1.0."""
        with self._lock:
            if text not in self._cache:
                self._cache[text] = self._synthesize(text)
            return self._cache[text]

    def _synthesize(self, text: str) -> np.ndarray:
        try:
            done = subprocess.run(
                [
                    self.program,
                    "-v",
                    self.voice,
                    "-s",
                    str(self.words_per_minute),
                    "--stdout",
                    text,
                ],
                capture_output=True,
                timeout=30,
                check=True,
            )
        except (OSError, subprocess.SubprocessError) as err:
            raise OptionError(f"espeak-ng failed to speak {text!r}: {err}") from None
        raw = done.stdout
        if raw[:4] != b"RIFF" or len(raw) <= 44:
            raise OptionError(f"espeak-ng gave no audio for {text!r}")
        rate = int.from_bytes(raw[24:28], "little")
        pcm = np.frombuffer(raw[44 : 44 + (len(raw) - 44) // 2 * 2], dtype="<i2")
        y = pcm.astype(np.float32) / 32768.0
        loud = np.flatnonzero(np.abs(y) > 0.01)
        if len(loud) == 0:
            raise OptionError(f"espeak-ng gave silence for {text!r}")
        y = y[max(0, loud[0] - int(0.01 * rate)) : loud[-1] + int(0.03 * rate)]
        if rate != self.sr:
            import soxr

            y = soxr.resample(y, rate, self.sr).astype(np.float32)
        fade = min(len(y) // 2, int(0.005 * self.sr))
        if fade:
            y[:fade] *= np.linspace(0.0, 1.0, fade, dtype=np.float32)
            y[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
        peak = float(np.max(np.abs(y)))
        out: np.ndarray = (y / peak).astype(np.float32)
        return out
