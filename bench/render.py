#!/usr/bin/env python3
"""Render benchmark: runcoach side by side with the command-line tools a runner could use.

Every command runs as a child process; within one run of the benchmark the commands are
alternated (the order rotates each round, so no tool always goes first), each is timed
``--runs`` times, and the medians are compared as ratios written "runcoach ÷ peer" (below 1:
runcoach is faster). Files go to ``/dev/shm`` where it exists (so the disk does not dominate)
and are removed after each run. The click track is 170 spm, 44.1 kHz, mono, 16-bit:

- WAV, 10, 60 and 180 minutes: ``runcoach render --spm 170 --duration Nm --breath 4:6``
  (clicks, breath cues, chimes) against ``klick -W`` (a plain click track) and ``sox``
  (one 10 ms click padded to a step, repeated, trimmed to the exact length, no dither);
- ``dd`` writing the same byte count as runcoach's 60-minute WAV: the physical limit;
- MP3, default settings (VBR; ``--no-voice``: the peers make the same click track without
  words) and ``--bitrate 128`` (CBR) against that sox track piped into ``lame -b 128`` and
  ``lame -V 4``; MP3 with the voice (the default for MP3) for information;
- FLAC against sox writing FLAC of the same length;
- start-up: ``runcoach --help``, ``runcoach plans list`` and a 1-minute WAV against a bare
  ``python -c pass`` with runcoach's own Python, and klick writing one minute;
- peak memory of each child (``ru_maxrss`` from ``wait4``, through GNU time where installed
  so the figure is the child's own) and its flatness from 10 to 180 minutes.

Then it says whether each target of the performance issue is met. A missing peer (klick, sox,
lame, dd) is skipped with the reason.

    python bench/render.py              # 5 rounds of WAV and start-up, 3 of the encoders
    python bench/render.py --quick      # one round, 2- and 10-minute sessions: a smoke test
    python bench/render.py --runs 9 --encode-runs 5 --minutes 10,60,180
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

from _runcoach import runcoach_exe  # bench/ is on sys.path when a script runs

RATE = 44100
SPM = 170
SOX_PERIOD = round(RATE * 60 / SPM)  #: sox repeats whole frames: one step, rounded
SOX_CLICK = 441  # 10 ms
PEERS = ("klick", "sox", "lame", "dd")
INSTALL_HINT = {"klick": "klick", "sox": "sox", "lame": "lame", "dd": "coreutils"}

#: Targets from the performance issue, as "runcoach ÷ peer" at most.
TARGETS = (
    ("WAV 60 min", "klick 60 min", 0.5),
    ("WAV 60 min", "sox WAV 60 min", 0.6),
    ("MP3 default", "sox|lame -b 128", 0.6),
    ("FLAC", "sox FLAC", 0.8),
    ("--help", "python -c pass", 8.0),
    ("plans list", "python -c pass", 12.0),
    ("WAV 1 min", "klick 1 min", 0.5),
)
TARGET_MAX_RSS_MB = 120.0
TARGET_RSS_GROWTH = 0.15

ONE_MINUTE_PLAN = """\
name: One minute
spm: 170
breath: "4:6"
segments:
  - {name: Walk, duration: 20s, spm: 115, breath: off}
  - {name: Run, duration: 30s}
  - {name: Ease, duration: 10s, spm: ["-5", "-20"]}
"""


@dataclass
class Sample:
    """One child run: wall seconds, CPU seconds and peak resident memory in MB."""

    wall: float
    cpu: float
    rss_mb: float


@dataclass
class Case:
    """One command line, timed ``runs`` times."""

    name: str
    argv: list[str]
    out: Path | None
    runs: int
    frames: int | None = None  # the WAV frames it must write (checked once)
    samples: list[Sample] = field(default_factory=list)
    size: int = 0

    @property
    def wall(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def rss_mb(self) -> float:
        return max(s.rss_mb for s in self.samples)


#: The children's environment: as a user's shell has it (Python may cache compiled modules).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
#: GNU time reads a child's peak memory (wait4's ru_maxrss) from a process that is small
#: itself: a child forked from this interpreter would report this interpreter's pages too.
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run_child(argv: list[str]) -> Sample:
    """Run ``argv`` to completion: wall time, CPU time (``wait4``) and peak resident memory."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as peak:
        full = [GNU_TIME, "-f", "%M", "-o", peak.name, *argv] if GNU_TIME else argv
        start = time.perf_counter()
        proc = subprocess.Popen(
            full, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=CHILD_ENV
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            message = err.read().decode(errors="replace").strip()
            raise SystemExit(f"bench: {' '.join(argv)} failed ({code}): {message}")
        if GNU_TIME:
            kilobytes = float(peak.read().split()[-1])
        else:  # ru_maxrss is in kilobytes on Linux (bytes on macOS)
            kilobytes = usage.ru_maxrss / (1024 if sys.platform == "darwin" else 1)
    return Sample(wall, usage.ru_utime + usage.ru_stime, kilobytes / 1024)


def sox_click_track(minutes: int, out: str, *extra: str) -> list[str]:
    """sox making the ``minutes``-long click track into ``out`` (``-`` with ``-t wav``)."""
    beats, total = minutes * SPM, minutes * 60 * RATE
    return [
        "sox", "-V1", "-D", "-r", str(RATE), "-c", "1", "-n", "-b", "16", *extra, out,
        "synth", f"{SOX_CLICK}s", "sine", "1000", "fade", "q", "0", f"{SOX_CLICK}s",
        f"{SOX_CLICK - 41}s", "pad", "0", f"{SOX_PERIOD - SOX_CLICK}s",
        "repeat", str(beats - 1), "trim", "0", f"{total}s",
    ]  # fmt: skip


def shell(*commands: list[str]) -> list[str]:
    """A pipeline run by ``sh`` (its peak memory is the largest of its processes)."""
    import shlex

    return ["sh", "-c", " | ".join(shlex.join(c) for c in commands)]


def runcoach_render(exe: str, minutes: int, out: Path, *extra: str) -> list[str]:
    return [
        exe, "render", "--spm", str(SPM), "--duration", f"{minutes}m", "--breath", "4:6",
        "-r", str(RATE), "-o", str(out), "-q", *extra,
    ]  # fmt: skip


def klick(minutes: int, out: Path) -> list[str]:
    beats = minutes * SPM
    meter = "4/4" if beats % 4 == 0 else "2/4"
    bars = beats // int(meter[0])
    return ["klick", "-W", str(out), "-r", str(RATE), str(bars), meter, str(SPM)]


def build_cases(args: argparse.Namespace, exe: str, work: Path, have: set[str]) -> list[Case]:
    """Every command of the benchmark; the peers only where installed."""
    runs, encode_runs = (1, 1) if args.quick else (args.runs, args.encode_runs)
    cases: list[Case] = []

    def add(name: str, argv: list[str], out: Path | None, n: int, frames: int | None) -> None:
        cases.append(Case(name, argv, out, n, frames))

    for m in args.wav_minutes:
        out, frames = work / f"rc-{m}.wav", m * 60 * RATE
        add(f"WAV {m} min", runcoach_render(exe, m, out), out, runs, frames)
        if "klick" in have:
            add(f"klick {m} min", klick(m, work / f"k-{m}.wav"), work / f"k-{m}.wav", runs, frames)
        if "sox" in have:
            sox = work / f"s-{m}.wav"
            add(f"sox WAV {m} min", sox_click_track(m, str(sox)), sox, runs, frames)
    e = args.encode_minutes
    for name, extra in (("MP3 default", ["--no-voice"]), ("MP3 --bitrate 128", ["--no-voice",
                        "--bitrate", "128"]), ("MP3 with voice", ["--voice"])):  # fmt: skip
        if name == "MP3 with voice" and args.quick:
            continue
        out = work / f"rc-{name.split()[-1]}.mp3"
        add(name, runcoach_render(exe, e, out, *extra), out, encode_runs, None)
    if {"sox", "lame"} <= have:
        for name, quality in (("sox|lame -b 128", ["-b", "128", "--cbr"]), ("sox|lame -V 4", [
                              "-V", "4"])):  # fmt: skip
            out = work / f"peer-{quality[1]}.mp3"
            track = sox_click_track(e, "-", "-t", "wav")
            add(name, shell(track, ["lame", "--quiet", *quality, "-", str(out)]), out,
                encode_runs, None)  # fmt: skip
    out = work / "rc.flac"
    add("FLAC", runcoach_render(exe, e, out), out, encode_runs, None)
    if "sox" in have:
        add("sox FLAC", sox_click_track(e, str(work / "s.flac")), work / "s.flac", encode_runs,
            None)  # fmt: skip
    python = python_of(exe)
    add("python -c pass", [python, "-c", "pass"], None, runs, None)
    add("--help", [exe, "--help"], None, runs, None)
    add("plans list", [exe, "plans", "list"], None, runs, None)
    plan = work / "one-minute.yaml"
    plan.write_text(ONE_MINUTE_PLAN)
    out = work / "one.wav"
    add("WAV 1 min", [exe, "render", "--plan", str(plan), "-o", str(out), "-q"], out, runs,
        60 * RATE)  # fmt: skip
    if "klick" in have:
        add("klick 1 min", klick(1, work / "k1.wav"), work / "k1.wav", runs, 60 * RATE)
    return cases


def python_of(exe: str) -> str:
    """The Python that runs the ``runcoach`` script (its ``#!`` line), else this one."""
    try:
        with open(exe, "rb") as handle:
            first = handle.readline().decode(errors="replace")
    except OSError:
        return sys.executable
    if first.startswith("#!") and "python" in first:
        return first[2:].strip().split()[0]
    return sys.executable


def run_all(cases: list[Case], dd_case: Case | None, rounds: int) -> None:
    """Run every case, rotating the order each round; a case stops after its own runs."""
    for r in range(rounds):
        todo = [c for c in ([*cases, dd_case] if dd_case else cases) if len(c.samples) < c.runs]
        if not todo:
            return
        for case in todo[r % len(todo) :] + todo[: r % len(todo)]:
            if case.out is not None:
                case.out.unlink(missing_ok=True)
            case.samples.append(run_child(case.argv))
            if case.out is not None:
                case.size = case.out.stat().st_size
                if case.frames is not None and len(case.samples) == 1:
                    with wave.open(str(case.out), "rb") as handle:
                        if handle.getnframes() != case.frames:
                            sys.exit(f"bench: {case.name} wrote {handle.getnframes()} frames")
                case.out.unlink()
        print(f"  round {r + 1}/{rounds} done", file=sys.stderr)


def machine() -> str:
    """CPU model, cores, system and Python."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}"
    )


RATIOS = (
    # (runcoach case, peer case) pairs printed as "runcoach ÷ peer"; {m} for each WAV length.
    ("WAV {m} min", "klick {m} min"),
    ("WAV {m} min", "sox WAV {m} min"),
    ("WAV {m} min", "dd {m} min"),
    ("MP3 default", "sox|lame -b 128"),
    ("MP3 default", "sox|lame -V 4"),
    ("MP3 --bitrate 128", "sox|lame -b 128"),
    ("MP3 --bitrate 128", "sox|lame -V 4"),
    ("MP3 with voice", "sox|lame -V 4"),
    ("FLAC", "sox FLAC"),
    ("--help", "python -c pass"),
    ("plans list", "python -c pass"),
    ("WAV 1 min", "python -c pass"),
    ("WAV 1 min", "klick 1 min"),
)


def report(
    cases: dict[str, Case], args: argparse.Namespace, have: set[str], wanted: set[str]
) -> None:
    """The table, the ratios, memory and the targets."""
    e = args.encode_minutes
    print(
        f"{'command':<20} {'runs':>4} {'wall (median)':>13} {'min-max':>15} {'CPU':>8} "
        f"{'x real time':>11} {'peak RSS':>9} {'size':>9}"
    )
    for case in cases.values():
        seconds = _audio_seconds(case.name, e)
        speed = f"{seconds / case.wall:>10.0f}x" if seconds else f"{'':>11}"
        lo, hi = min(s.wall for s in case.samples), max(s.wall for s in case.samples)
        print(
            f"{case.name:<20} {len(case.samples):>4} {case.wall:>11.3f} s {lo:>6.3f}-{hi:<6.3f}s "
            f"{case.cpu:>7.3f}s {speed} {case.rss_mb:>6.1f} MB {case.size / 1e6:>6.1f} MB"
        )
    print()
    print(f'ratios, "runcoach ÷ peer" of the median wall times (MP3/FLAC: {e}-minute sessions):')
    for mine, peer in _pairs(args.wav_minutes):
        if mine in cases and peer in cases:
            ratio = cases[mine].wall / cases[peer].wall
            cpu = cases[mine].cpu / max(cases[peer].cpu, 1e-6)
            print(f"  {mine:<18} ÷ {peer:<17} {ratio:6.2f}   (CPU time {cpu:.2f})")
    for peer in PEERS:
        if peer in wanted and peer not in have:
            print(f"  {peer}: skipped, not installed (apt-get install {INSTALL_HINT[peer]})")
    print()
    print("targets:")
    for mine, peer, limit in TARGETS:
        label = f"{mine} <= {limit:g} x {peer}"
        if mine not in cases or peer not in cases:
            missing = peer if mine in cases else mine
            print(f"  {label}: n/a ({missing} not run)")
            continue
        ratio = cases[mine].wall / cases[peer].wall
        print(f"  {label}: {'met' if ratio <= limit else 'NOT MET'} ({ratio:.2f})")
    ours = [c for c in cases.values() if _is_runcoach(c)]
    peak = max(c.rss_mb for c in ours)
    where = max(ours, key=lambda c: c.rss_mb).name
    verdict = "met" if peak <= TARGET_MAX_RSS_MB else "NOT MET"
    print(f"  peak memory <= {TARGET_MAX_RSS_MB:g} MB: {verdict} ({peak:.1f} MB, {where})")
    low, high = f"WAV {min(args.wav_minutes)} min", f"WAV {max(args.wav_minutes)} min"
    if low != high and low in cases and high in cases:
        a, b = cases[low].rss_mb, cases[high].rss_mb
        growth = (b - a) / a
        flat = "met" if abs(growth) <= TARGET_RSS_GROWTH else "NOT MET"
        print(
            f"  peak memory flat ({TARGET_RSS_GROWTH:.0%}) from {low} to {high}: {flat} "
            f"({a:.1f} MB -> {b:.1f} MB, {growth:+.1%})"
        )


def _pairs(minutes: list[int]) -> list[tuple[str, str]]:
    out = []
    for mine, peer in RATIOS:
        if "{m}" in mine:
            out += [(mine.format(m=m), peer.format(m=m)) for m in minutes]
        else:
            out.append((mine, peer))
    return out


def _is_runcoach(case: Case) -> bool:
    return case.name.startswith(("WAV", "MP3", "FLAC", "--help", "plans"))


def _audio_seconds(name: str, encode_minutes: int) -> int:
    """Seconds of audio a case writes (0: none)."""
    words = name.split()
    if len(words) >= 2 and words[-1] == "min" and words[-2].isdigit():
        return int(words[-2]) * 60
    if name.startswith(("MP3", "FLAC", "sox FLAC", "sox|lame")):
        return encode_minutes * 60
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of WAV and start-up (median)")
    parser.add_argument("--encode-runs", type=int, default=3, help="runs of MP3 and FLAC")
    parser.add_argument("--minutes", default="10,60,180", help="WAV lengths, comma-separated")
    parser.add_argument("--encode-minutes", type=int, default=60, help="MP3 and FLAC length")
    parser.add_argument("--quick", action="store_true", help="one run, 2 and 10 minutes (smoke)")
    parser.add_argument("--runcoach", help="the runcoach command (default: the installed one)")
    parser.add_argument(
        "--only", choices=("runcoach", *PEERS), action="append", help="only these tools"
    )
    args = parser.parse_args(argv)
    args.wav_minutes = [2, 10] if args.quick else [int(m) for m in args.minutes.split(",")]
    if args.quick:
        args.encode_minutes = 2
    if min(args.runs, args.encode_runs, args.encode_minutes, *args.wav_minutes) < 1:
        parser.error("--runs, --encode-runs and the minutes must be positive")
    exe = runcoach_exe(args.runcoach, who="bench")
    wanted = set(args.only or ("runcoach", *PEERS))
    have = {p for p in PEERS if p in wanted and shutil.which(p)}

    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())
    work = Path(tempfile.mkdtemp(prefix="runcoach-bench-", dir=base))
    print(f"runcoach render benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(f"  machine: {machine()}")
    print(f"  runcoach: {exe} ({_version([exe, '--version'])}); output in {base}")
    for peer in PEERS:
        if peer in have:
            print(f"  {peer}: {shutil.which(peer)}")
        elif peer in wanted:
            print(f"  {peer}: not installed, skipped (apt-get install {INSTALL_HINT[peer]})")
    print(
        "  peak memory: "
        + ("GNU time's %M (wait4 ru_maxrss of the child)" if GNU_TIME else "wait4 ru_maxrss")
    )
    if hasattr(os, "getloadavg"):
        print(f"  load average before: {os.getloadavg()[0]:.2f}")
    print()
    try:
        cases = build_cases(args, exe, work, have)
        if "runcoach" not in wanted:
            cases = [c for c in cases if not _is_runcoach(c)]
        dd_case = None
        if "dd" in have:
            m = 60 if 60 in args.wav_minutes else max(args.wav_minutes)
            count = 44 + m * 60 * RATE * 2
            out = work / "dd.wav"
            dd = ["dd", "if=/dev/zero", f"of={out}", "bs=1M", f"count={count}"]
            dd_case = Case(f"dd {m} min", [*dd, "iflag=count_bytes", "status=none"], out, 1)
            dd_case.runs = max(c.runs for c in cases) if cases else 1
        for case in cases:  # one untimed warm-up each: disk caches, compiled modules
            run_child(case.argv)
        run_all(cases, dd_case, max([c.runs for c in cases] or [1]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = {c.name: c for c in cases}
    if dd_case is not None:
        table[dd_case.name] = dd_case
    report(table, args, have, wanted)
    if hasattr(os, "getloadavg"):
        print(f"  load average after: {os.getloadavg()[0]:.2f}")
    return 0


def _version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except OSError:
        return "?"
    lines = (out.stdout + out.stderr).strip().splitlines()
    return lines[0] if lines else "?"


if __name__ == "__main__":
    sys.exit(main())
