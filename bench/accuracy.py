#!/usr/bin/env python3
"""Accuracy benchmark: every click of a 3-hour session, found in the rendered file.

It writes a 3-hour plan with ramps, relative and percentage cadence, step counts and repeats,
renders it with the installed ``runcoach`` command, finds every click onset in the WAV file
(a click starts at full amplitude out of silence, so its onset is the first loud sample after
a quiet stretch), and compares them with the frames the plan format's timing rules give,
computed here from the plan with exact fractions and 50-digit decimals, without runcoach's
code:

- each segment starts at ``round(start_seconds * rate)``, the exact sum of earlier durations;
- at a constant cadence step k falls at ``start + round(k * 60 * rate / spm)``;
- on a ramp (cadence linear in time) step k falls where the integral reaches k steps;
- a ``steps: N`` segment lasts ``120 N / (s0 + s1)`` seconds;
- the finish chime sounds on the first step in the final second, and the steps after it are
  silent by design.

It prints the number of onsets expected and found, the largest timing error and the drift at
the end of the session, in frames, and exits non-zero unless every onset is exact.

    python bench/accuracy.py                 # the 3-hour plan at 44.1 kHz
    python bench/accuracy.py --repeat 1      # about 25 minutes: a quick check
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, getcontext
from fractions import Fraction
from pathlib import Path

import numpy as np
from _runcoach import runcoach_exe  # bench/ is on sys.path when a script runs

getcontext().prec = 50

BASE_SPM = Fraction(170)


@dataclass(frozen=True)
class Seg:
    """One segment as the plan file says it: cadence as written, and a duration or a count."""

    name: str
    spm: str | tuple[str, str] | None  # "+6", "97%", "118", or a ramp (start, end)
    seconds: Fraction | None = None
    steps: int | None = None
    breath: str | None = None

    def yaml(self) -> str:
        parts = [f"name: {self.name}"]
        if self.seconds is not None:
            parts.append(f"duration: {_duration_text(self.seconds)}")
        else:
            parts.append(f"steps: {self.steps}")
        if isinstance(self.spm, tuple):
            parts.append(f'spm: ["{self.spm[0]}", "{self.spm[1]}"]')
        elif self.spm is not None:
            parts.append(f'spm: "{self.spm}"')
        if self.breath is not None:
            parts.append(f'breath: "{self.breath}"')
        return "{" + ", ".join(parts) + "}"


def _duration_text(seconds: Fraction) -> str:
    whole = int(seconds)
    minutes, secs = divmod(whole, 60)
    rest = seconds - whole
    text = f"{secs}" if rest == 0 else f"{secs + float(rest):.6f}".rstrip("0")
    return f"{minutes}m{text}s" if minutes else f"{text}s"


def plan_parts() -> tuple[list[Seg], list[Seg], list[Seg]]:
    """The plan: a warm-up walk, a block of five segments to repeat, a cool-down ramp."""
    warm = [Seg("Warm-up walk", "115", seconds=Fraction(600), breath="off")]
    body = [
        Seg("Build", ("-20", "+6"), seconds=Fraction(3011, 20)),  # a ramp with relative ends
        Seg("Hold", "+6", seconds=Fraction(180)),
        Seg("Count", "97%", steps=333),  # a count of steps at a share of the base
        Seg("Walk", "118", seconds=Fraction(269, 4), breath="3:2"),
        Seg("Ease", ("175", "150"), seconds=Fraction(60)),  # an absolute ramp down
    ]
    cool = [Seg("Cool-down", ("-15", "-35"), seconds=Fraction(93737, 100))]
    return warm, body, cool


def plan_yaml(repeat: int) -> str:
    warm, body, cool = plan_parts()
    lines = [
        "name: Accuracy check",
        f"spm: {BASE_SPM}",
        'breath: "4:6"',
        "segments:",
        *(f"  - {s.yaml()}" for s in warm),
        f"  - repeat: {repeat}",
        "    segments:",
        *(f"      - {s.yaml()}" for s in body),
        *(f"  - {s.yaml()}" for s in cool),
    ]
    return "\n".join(lines) + "\n"


def expanded(repeat: int) -> list[Seg]:
    warm, body, cool = plan_parts()
    return warm + body * repeat + cool


def cadence(text: str) -> Fraction:
    """A cadence as written in the plan, resolved against the base."""
    if text.endswith("%"):
        return BASE_SPM * Fraction(text[:-1]) / 100
    if text[0] in "+-":
        return BASE_SPM + Fraction(text)
    return Fraction(text)


def dec(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def expected_frames(segs: list[Seg], rate: int) -> tuple[list[int], int, int]:
    """Every step frame by the format's rules, the total frames, and the last segment's first
    step index in the list (the finish chime falls in the last segment)."""
    frames: list[int] = []
    start = Fraction(0)
    last_first = 0
    for seg in segs:
        if isinstance(seg.spm, tuple):
            s0, s1 = cadence(seg.spm[0]), cadence(seg.spm[1])
        else:
            s0 = s1 = cadence(seg.spm) if seg.spm is not None else BASE_SPM
        seconds = seg.seconds if seg.seconds is not None else Fraction(120 * seg.steps, s0 + s1)
        first = round(start * rate)
        last_first = len(frames)
        if s0 == s1:
            k = 0
            while Fraction(k * 60) / s0 < seconds:
                frames.append(first + round(Fraction(k * 60 * rate) / s0))
                k += 1
        else:
            # Steps so far at time t: (s0 t + (s1 - s0) t^2 / (2 D)) / 60 = k, solved for t.
            a = (dec(s1) - dec(s0)) / (2 * dec(seconds))
            b, d = dec(s0), dec(seconds)
            k = 0
            while True:
                t = (-b + (b * b + 4 * a * 60 * k).sqrt()) / (2 * a)
                if t >= d:
                    break
                frames.append(first + int((t * rate).to_integral_value(ROUND_HALF_EVEN)))
                k += 1
        start += seconds
    return frames, round(start * rate), last_first


def read_onsets(
    path: Path,
    *,
    threshold: float = 0.05,
    quiet: float = 0.002,
    gap: int = 200,
    chunk: int = 1 << 22,
) -> tuple[np.ndarray, int, int]:
    """Onsets in a mono or stereo 16-bit WAV, streamed in chunks: frames where a sample passes
    ``threshold`` (of full scale) after ``gap`` frames that all stay within ``quiet``.
    Returns (onset frames, frames in the file, sample rate)."""
    loud_level = threshold * 32767
    quiet_level = quiet * 32767
    found: list[np.ndarray] = []
    with wave.open(str(path), "rb") as handle:
        if handle.getsampwidth() != 2:
            raise SystemExit(f"{path}: not 16-bit PCM")
        rate, channels, total = handle.getframerate(), handle.getnchannels(), handle.getnframes()
        carry = np.zeros(gap, dtype=np.int32)  # the quiet window before the file: silence
        done = 0
        while done < total:
            data = np.frombuffer(handle.readframes(chunk), dtype="<i2")
            level = np.abs(data.astype(np.int32)).reshape(-1, channels).max(axis=1)
            both = np.concatenate([carry, level])
            noisy = np.concatenate([[0], np.cumsum(both > quiet_level)])
            idx = np.flatnonzero(both[gap:] > loud_level) + gap
            # No sample above the quiet level in the ``gap`` frames before the onset.
            onset = idx[noisy[idx] - noisy[idx - gap] == 0]
            found.append(onset - gap + done)
            carry = both[-gap:]
            done += len(level)
    return np.concatenate(found) if found else np.zeros(0, np.int64), total, rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeat",
        type=int,
        default=16,
        help="repeats of the plan's 5-segment block (16: about 3 hours)",
    )
    parser.add_argument("--rate", type=int, default=44100, help="sample rate in Hz")
    parser.add_argument("--runcoach", help="the runcoach command (default: the installed one)")
    parser.add_argument("--keep", metavar="DIR", help="keep the plan and the WAV file in DIR")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    exe = runcoach_exe(args.runcoach, who="accuracy")
    segs = expanded(args.repeat)
    expected, total, last_first = expected_frames(segs, args.rate)
    # The finish chime: the first step of the last segment in the final second; later steps
    # are silent by design.
    finish = next(
        (i for i in range(last_first, len(expected)) if expected[i] >= total - args.rate), None
    )
    audible = expected if finish is None else expected[: finish + 1]

    shm = Path("/dev/shm")
    folder = (
        Path(args.keep)
        if args.keep
        else Path(
            tempfile.mkdtemp(
                prefix="runcoach-accuracy-",
                dir=shm if shm.is_dir() and os.access(shm, os.W_OK) else None,
            )
        )
    )
    folder.mkdir(parents=True, exist_ok=True)
    plan = folder / "accuracy.yaml"
    wav = folder / "accuracy.wav"
    plan.write_text(plan_yaml(args.repeat))
    try:
        started = time.perf_counter()
        proc = subprocess.run(
            [exe, "render", "--plan", str(plan), "-r", str(args.rate), "-o", str(wav), "-q"],
            capture_output=True,
            text=True,
        )
        render_s = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"accuracy: runcoach failed ({proc.returncode}): {proc.stderr}")
        found, frames, rate = read_onsets(wav)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)

    hours = frames / rate / 3600
    print("runcoach accuracy benchmark")
    print(
        f"  plan: {len(segs)} segments ({args.repeat} x [relative ramp, +6, 333 steps at "
        f"97%, walk 3:2, ramp 175->150] between a walk and a relative ramp down), "
        f"{hours:.3f} h at {rate} Hz; rendered in {render_s:.1f} s"
    )
    print(
        f"  length: {frames} frames, expected {total}: "
        f"{'exact' if frames == total else f'off by {frames - total}'}"
    )
    print(
        f"  onsets: {len(found)} found, {len(audible)} expected "
        f"({len(expected) - len(audible)} steps after the finish chime are silent by design)"
    )
    exp = np.array(audible, dtype=np.int64)
    if len(found) == 0 or len(exp) == 0:
        print("  no onsets to compare")
        return 1
    # Match each expected onset with the nearest one found.
    pos = (
        np.clip(np.searchsorted(found, exp), 1, len(found) - 1)
        if len(found) > 1
        else np.zeros(len(exp), np.int64)
    )
    if len(found) > 1:
        left, right = found[pos - 1], found[pos]
        nearest = np.where(np.abs(left - exp) <= np.abs(right - exp), left, right)
    else:
        nearest = np.full(len(exp), found[0])
    errors = nearest - exp
    worst = int(np.max(np.abs(errors)))
    drift = int(found[-1] - exp[-1])
    unmatched = len(found) - len(np.unique(nearest))
    print(
        f"  max error: {worst} frames ({worst / rate * 1e3:.3f} ms); "
        f"mean |error|: {float(np.mean(np.abs(errors))):.3f} frames"
    )
    print(f"  end-of-session drift (last onset found - expected): {drift} frames")
    # For scale: a click track that repeats a whole-frame period (as `sox ... repeat` must).
    steady = round(rate * 60 / 170)
    print(
        f"  for scale: repeating a whole-frame step ({steady} frames at 170 spm) drifts "
        f"{abs(steady - rate * 60 / 170) * 170 * 60:.0f} frames an hour"
    )
    exact = (
        worst == 0 and drift == 0 and len(found) == len(exp) and unmatched == 0 and frames == total
    )
    print(f"  verdict: {'every onset exact (0 frames)' if exact else 'NOT EXACT'}")
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
