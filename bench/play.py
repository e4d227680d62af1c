#!/usr/bin/env python3
"""Play benchmark: ``runcoach play`` into the capturing ALSA device of DESIGN.md.

It plays ``runcoach play --spm 170 --duration 10m --breath 4:6 --backend alsa`` (44.1 kHz mono)
as a child process whose HOME holds an ``.asoundrc`` that makes ALSA's default device a FIFO,
read at the pace of a sound card (``rate × channels × 2`` bytes a second), and reports:

- **first audio**: from spawning the command to the first byte reaching the device (median of
  ``--starts`` short runs, each stopped once sound has started);
- **CPU**: the child's user + system CPU time (``wait4``) over the session's length, as a share of
  one core;
- **memory**: the child's resident memory sampled every second from ``/proc``: at one minute,
  at the end, and the peak (``ru_maxrss``), and the growth from the first minute to the end;
- that the captured PCM has the session's length and its first minute equals ``runcoach render``.

Then whether each target of the play issue is met: first audio under 0.5 s, CPU under 5 % of one
core, memory flat (growth after the first minute under 5 %).

    python bench/play.py                # the full 10-minute session in real time
    python bench/play.py --minutes 2    # shorter
    python bench/play.py --speed 4      # read the FIFO 4× faster (CPU is then per audio second)
    python bench/play.py --layers       # with --voice and --music examples/music-loop.ogg
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from capture import Capture, alsa_available

RATE = 44100
TARGET_FIRST_AUDIO = 0.5
TARGET_CPU = 0.05
TARGET_GROWTH = 0.05
MUSIC = Path(__file__).resolve().parent.parent / "examples" / "music-loop.ogg"
#: Extra options of every play and render (``--layers``: the voice and the example music).
LAYERS: list[str] = []


def _exe() -> str:
    candidate = Path(sys.executable).parent / "runcoach"
    return str(candidate) if candidate.exists() else "runcoach"


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def first_audio(home: Path, starts: int) -> list[float]:
    """Seconds from spawn to the first byte at the device, for ``starts`` runs."""
    times = []
    for i in range(starts):
        with Capture(home / f"start{i}", rate=RATE, keep_seconds=1) as cap:
            spawned = time.monotonic()
            proc = subprocess.Popen(
                [_exe(), "play", "--spm", "170", "--duration", "1m", *LAYERS, "--backend", "alsa"],
                env=cap.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
            )
            deadline = spawned + 10
            while cap.first_byte_at is None and time.monotonic() < deadline:
                time.sleep(0.001)
            proc.terminate()
            proc.wait(10)
        if cap.first_byte_at is None:
            raise SystemExit(f"no audio reached the device: {proc.stderr and proc.stderr.read()}")
        times.append(cap.first_byte_at - spawned)
    return times


def session(home: Path, minutes: float, speed: float) -> dict[str, float]:
    """Play the whole session; CPU, memory and the capture's check."""
    seconds = minutes * 60
    args = ["--spm", "170", "--duration", f"{minutes:g}m", "--breath", "4:6", *LAYERS]
    samples: list[tuple[float, float]] = []
    with Capture(
        home / "session", rate=RATE, keep_seconds=61, speed=speed, timeout=seconds / speed + 60
    ) as cap:
        started = time.monotonic()
        proc = subprocess.Popen(
            [_exe(), "play", *args, "--backend", "alsa"],
            env=cap.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(1.0):
                rss = _rss_mb(proc.pid)
                if rss is not None:
                    samples.append((time.monotonic() - started, rss))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - started
        stop.set()
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"runcoach play failed: {proc.stderr.read() if proc.stderr else ''}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.wav"
        subprocess.run([_exe(), "render", *args, "-o", str(out), "-q"], check=True)
        with wave.open(str(out)) as handle:
            first_minute = handle.readframes(60 * RATE)
    audio = seconds / speed
    one_minute = [rss for t, rss in samples if t >= 60 / speed] or [samples[-1][1]]
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "cpu_share": (usage.ru_utime + usage.ru_stime) / audio,
        "rss_start": samples[0][1] if samples else 0.0,
        "rss_minute": one_minute[0],
        "rss_end": samples[-1][1] if samples else 0.0,
        "rss_peak": usage.ru_maxrss / 1024,
        "captured_seconds": cap.total / (RATE * 2),
        "first_minute_exact": float(bytes(cap.data[: len(first_minute)]) == first_minute),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument(
        "--layers", action="store_true", help="with --voice and --music (the example loop)"
    )
    args = parser.parse_args()
    if args.layers:
        LAYERS.extend(["--voice", "--music", str(MUSIC)])
    why = alsa_available()
    if why:
        raise SystemExit(f"cannot benchmark playback here: {why}")
    with tempfile.TemporaryDirectory(prefix="runcoach-bench-play-") as tmp:
        home = Path(tmp)
        starts = first_audio(home, args.starts)
        print(
            f"first audio: median {statistics.median(starts):.3f} s "
            f"(min {min(starts):.3f}, max {max(starts):.3f}, {len(starts)} runs)"
        )
        print(
            f"playing {args.minutes:g} min at 44.1 kHz mono"
            + (f", device read {args.speed:g}x real time" if args.speed != 1 else "")
            + " ..."
        )
        r = session(home, args.minutes, args.speed)
    growth = (r["rss_end"] - r["rss_minute"]) / r["rss_minute"] if r["rss_minute"] else 0.0
    print(
        f"session: {r['wall']:.1f} s wall, {r['captured_seconds']:.1f} s of audio captured, "
        f"first minute equal to runcoach render: {'yes' if r['first_minute_exact'] else 'NO'}"
    )
    print(
        f"CPU: {r['cpu']:.2f} s for {args.minutes * 60 / args.speed:.0f} s of play = "
        f"{100 * r['cpu_share']:.2f} % of one core"
    )
    print(
        f"memory (RSS): {r['rss_start']:.1f} MB after 1 s, {r['rss_minute']:.1f} MB at one "
        f"minute, {r['rss_end']:.1f} MB at the end, peak {r['rss_peak']:.1f} MB "
        f"(growth after the first minute {100 * growth:+.1f} %)"
    )
    checks = [
        ("first audio under 0.5 s", statistics.median(starts) < TARGET_FIRST_AUDIO),
        ("CPU under 5 % of one core", r["cpu_share"] < TARGET_CPU),
        ("memory flat (growth under 5 %)", growth < TARGET_GROWTH),
        ("captured audio equals render", bool(r["first_minute_exact"])),
    ]
    for name, ok in checks:
        print(f"  {'met ' if ok else 'MISSED'}  {name}")


if __name__ == "__main__":
    main()
