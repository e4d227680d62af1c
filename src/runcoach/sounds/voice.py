"""Spoken announcements with espeak-ng: what each segment is, halfway, one minute left, time to
go, and the end of the session.

Phrases are synthesized once per session (and cached for the process) and placed between breath
cues, so a runner outdoors hears what comes next without ever losing a breath cue under a word.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from runcoach import breath as _breath
from runcoach.errors import OptionError
from runcoach.timeline import Session, TimedSegment

INSTALL_HINT = (
    "spoken announcements need espeak-ng: install it with `sudo apt-get install espeak-ng` "
    "(Debian/Ubuntu), `brew install espeak-ng` (macOS) or from "
    "github.com/espeak-ng/espeak-ng/releases (Windows); the tones still announce every change"
)

#: Segments at least this long (seconds) get "halfway" and "one minute left".
LONG_SEGMENT = 240
#: Silence kept after a breath cue before a word starts, and before the next cue (seconds).
_CUE_MARGIN = 0.05

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


def segment_phrase(seg: TimedSegment) -> str:
    """What is said at a segment's start: "Run, two minutes, one seventy"."""
    cadence = cadence_words(seg.spm_start)
    if seg.is_ramp:
        cadence += f" to {cadence_words(seg.spm_end)}"
    return f"{seg.name}, {duration_words(seg.duration_seconds)}, {cadence}"


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


@dataclass(frozen=True)
class Announcement:
    """A phrase to be spoken from ``frame`` on."""

    frame: int
    text: str


def _cue_spans(seg: TimedSegment, sr: int) -> list[tuple[int, int]]:
    """Frames where a breath cue or segment signal of this segment sounds."""
    spans = [(seg.start_frame, seg.start_frame + int(0.3 * sr))]  # the segment's bell
    pattern = seg.breath
    if pattern.off:
        return spans
    length = int((max(_breath.INHALE_SECONDS, _breath.EXHALE_SECONDS) + _CUE_MARGIN) * sr)
    for k in range(0, seg.steps, pattern.cycle):
        for start_k in (k, k + pattern.inhale):
            if start_k < seg.steps:
                frame = seg.step_frame(start_k)
                spans.append((frame, frame + length))
    return spans


def _place(target: int, length: int, spans: list[tuple[int, int]], limit: int) -> int | None:
    """The first frame from ``target`` where ``length`` frames meet no span and end before
    ``limit``; None when there is no such room."""
    candidate = target
    for start, end in sorted(spans):
        if end <= candidate:
            continue
        if start >= candidate + length:
            break
        candidate = end
    return candidate if candidate + length <= limit else None


def announcements(
    session: Session, voice: Voice, *, every_seconds: int | None = None
) -> Iterator[tuple[Announcement, np.ndarray]]:
    """Yield what is spoken when, with its audio, in frame order.

    Each segment is announced at its start (after its bell, between breath cues), long segments
    get "halfway" and "one minute left", ``every_seconds`` adds "N minutes to go" on that grid,
    and the session ends with "Session complete". Phrases never overlap each other.
    """
    sr = session.rate
    busy_until = 0
    total = session.total_frames
    for seg in session.segments():
        spans = _cue_spans(seg, sr)
        wanted: list[tuple[int, str]] = [(seg.start_frame, segment_phrase(seg))]
        if seg.duration_seconds >= LONG_SEGMENT:
            wanted.append((seg.start_frame + seg.frames // 2, "Halfway"))
            wanted.append((seg.end_frame - 60 * sr, "One minute left"))
        if every_seconds:
            step = every_seconds * sr
            first = -(-max(seg.start_frame, 1) // step) * step
            for frame in range(first, seg.end_frame, step):
                left = round((total - frame) / sr / 60)
                if left > 0 and frame - seg.start_frame > 5 * sr:
                    minutes = "minute" if left == 1 else "minutes"
                    wanted.append((frame, f"{number_words(left)} {minutes} to go"))
        is_last = seg.end_frame == total
        if is_last:
            clip = voice.say("Session complete. Well done")
            wanted.append(
                (
                    max(seg.start_frame, total - len(clip) - int(1.5 * sr)),
                    "Session complete. Well done",
                )
            )
        for target, text in sorted(wanted):
            # Say it whole between two breath cues within the next few seconds; failing that
            # (fast breathing), say its parts in successive gaps; failing that, say it anyway.
            window = min(seg.end_frame, target + 8 * sr)
            start = max(target, busy_until)
            whole = voice.say(text)
            spot = _place(start, len(whole), spans, window)
            pieces: list[tuple[int, str]] = []
            if spot is not None:
                pieces = [(spot, text)]
            elif ", " in text:
                at = start
                for part in text.split(", "):
                    spot = _place(at, len(voice.say(part)), spans, seg.end_frame)
                    if spot is None:
                        pieces = []
                        break
                    pieces.append((spot, part))
                    at = spot + len(voice.say(part)) + int(0.1 * sr)
            if not pieces:
                pieces = [(start, text)]
            for frame, said in pieces:
                clip = voice.say(said)
                if frame + len(clip) > total:
                    continue
                busy_until = frame + len(clip) + int(0.2 * sr)
                yield Announcement(frame, said), clip
