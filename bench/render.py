#!/usr/bin/env python3
"""Render benchmark: runcoach against the plain click tracks its peers make.

For 10-, 60- and 180-minute sessions at 170 spm, 44.1 kHz mono 16-bit WAV, it runs as child
processes, alternating and in a rotating order inside one process:

- runcoach: ``runcoach render --spm 170 --duration 60m --breath 4:6 -o OUT -q`` (clicks, 4:6
  breath cues, segment chimes);
- klick: ``klick -W OUT -r 44100 BARS 4/4 170`` (a plain click track);
- sox: one 10 ms click padded to one step (15565 frames: sox cannot repeat a fractional period,
  so its cadence is 169.997 spm), repeated and trimmed to the exact length, without dither so its
  silence is digital silence like the others'.

Each file is written to ``/dev/shm`` where it exists (so the disk does not dominate) and removed
before the next run. For each tool and length it prints the median wall time of ``--runs`` runs,
the real-time factor (audio length / wall time), the child's peak resident memory (``ru_maxrss``
from ``wait4``), and runcoach/peer ratios; then the start-up timings (``runcoach --help`` and a
one-minute plan) and whether each target of the project is met.

    python bench/render.py             # 5 runs of everything (about a minute)
    python bench/render.py --quick     # one run, short sessions: a smoke test
    python bench/render.py --runs 9 --minutes 60
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
#: sox repeats whole frames: one step at 170 spm rounded to a frame.
SOX_PERIOD = round(RATE * 60 / SPM)
SOX_CLICK = 441  # 10 ms
TOOLS = ("runcoach", "klick", "sox")
INSTALL_HINT = {
    "klick": "apt-get install klick",
    "sox": "apt-get install sox",
}

# Targets from the project's performance issue.
TARGET_VS_KLICK = 0.7
TARGET_VS_SOX = 1.0
TARGET_MAX_RSS_MB = 120.0
TARGET_RSS_GROWTH = 0.15
TARGET_HELP_SECONDS = 0.3

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
class Result:
    samples: list[Sample] = field(default_factory=list)
    frames: int | None = None  # frames in the output file (checked once)

    @property
    def wall(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def wall_range(self) -> tuple[float, float]:
        return min(s.wall for s in self.samples), max(s.wall for s in self.samples)

    @property
    def rss_mb(self) -> float:
        return max(s.rss_mb for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)


#: The children's environment: as a user's shell has it (Python may cache compiled modules).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


#: GNU time, to read a child's peak memory without counting this process's own image: a child
#: forked from here starts with this interpreter's pages, and its ``ru_maxrss`` keeps them.
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
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            message = err.read().decode(errors="replace").strip()
            raise SystemExit(f"bench: {argv[0]} failed ({proc.returncode}): {message}")
        if GNU_TIME:
            kilobytes = float(peak.read().split()[-1])
        else:
            # ru_maxrss is in kilobytes on Linux (bytes on macOS).
            kilobytes = usage.ru_maxrss / (1024 if sys.platform == "darwin" else 1)
    return Sample(wall, usage.ru_utime + usage.ru_stime, kilobytes / 1024)


def command(tool: str, minutes: int, out: Path, exe: str) -> list[str]:
    """The command line each tool gets for a ``minutes``-long click track at 170 spm."""
    beats = minutes * SPM
    total = minutes * 60 * RATE
    if tool == "runcoach":
        return [
            exe,
            "render",
            "--spm",
            str(SPM),
            "--duration",
            f"{minutes}m",
            "--breath",
            "4:6",
            "-r",
            str(RATE),
            "-o",
            str(out),
            "-q",
        ]
    if tool == "klick":
        if beats % 4:
            raise SystemExit(f"bench: {minutes} minutes is not a whole number of 4/4 bars")
        return ["klick", "-W", str(out), "-r", str(RATE), str(beats // 4), "4/4", str(SPM)]
    # sox: a 10 ms 1 kHz click faded out, padded to one step, repeated, trimmed to the length.
    return [
        "sox",
        "-V1",
        "-D",
        "-r",
        str(RATE),
        "-c",
        "1",
        "-n",
        "-b",
        "16",
        str(out),
        "synth",
        f"{SOX_CLICK}s",
        "sine",
        "1000",
        "fade",
        "q",
        "0",
        f"{SOX_CLICK}s",
        f"{SOX_CLICK - 41}s",
        "pad",
        "0",
        f"{SOX_PERIOD - SOX_CLICK}s",
        "repeat",
        str(beats - 1),
        "trim",
        "0",
        f"{total}s",
    ]


def wav_frames(path: Path) -> int:
    with wave.open(str(path), "rb") as handle:
        return handle.getnframes()


def output_folder() -> Path:
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm
    return Path(tempfile.gettempdir())


def version_of(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except OSError:
        return "?"
    text = (out.stdout + out.stderr).strip().splitlines()
    return text[0] if text else "?"


def fmt_seconds(value: float) -> str:
    return f"{value:.3f} s"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "NOT MET")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each command (median)")
    parser.add_argument(
        "--minutes",
        default="10,60,180",
        help="session lengths in minutes, comma-separated (default 10,60,180)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke mode: one run, 2- and 10-minute sessions"
    )
    parser.add_argument("--runcoach", help="the runcoach command (default: the installed one)")
    parser.add_argument(
        "--only", choices=TOOLS, action="append", help="run only this tool (repeatable)"
    )
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    minutes = [2, 10] if args.quick else [int(m) for m in args.minutes.split(",")]
    if runs < 1 or any(m < 1 for m in minutes):
        parser.error("--runs and --minutes must be positive")
    exe = runcoach_exe(args.runcoach, who="bench")
    wanted = args.only or list(TOOLS)
    available = {t: (t == "runcoach" or shutil.which(t) is not None) for t in wanted}
    tools = [t for t in wanted if available[t]]

    folder = output_folder()
    work = Path(tempfile.mkdtemp(prefix="runcoach-bench-", dir=folder))
    print("runcoach render benchmark")
    print(
        f"  machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}"
    )
    print(f"  output folder: {folder}; {runs} run(s) each, alternating, median")
    if hasattr(os, "getloadavg"):
        print(
            f"  load average before: {os.getloadavg()[0]:.2f} (other work on the machine "
            "slows every tool; the CPU column is less sensitive to it)"
        )
    print(
        "  peak memory: "
        + (
            "GNU time's %M of each child"
            if GNU_TIME
            else "the child's ru_maxrss (it includes this process's image; install GNU time, "
            "apt-get install time, for exact figures)"
        )
    )
    print(f"  runcoach: {exe} ({version_of([exe, '--version'])})")
    for tool in ("klick", "sox"):
        if tool not in wanted:
            continue
        if available[tool]:
            probe = [tool, "--version"] if tool == "sox" else [tool, "-h"]
            print(f"  {tool}: {shutil.which(tool)} ({version_of(probe)})")
        else:
            print(f"  {tool}: not installed (install it with: {INSTALL_HINT[tool]}); skipped")
    print()

    results: dict[tuple[str, int], Result] = {(t, m): Result() for t in tools for m in minutes}
    startup: dict[str, Result] = {"help": Result(), "plan": Result()}
    plan_file = work / "one-minute.yaml"
    plan_file.write_text(ONE_MINUTE_PLAN)
    try:
        # One untimed warm-up of each command: disk caches, Python's compiled-module cache.
        for tool in tools:
            warm = work / f"warm-{tool}.wav"
            run_child(command(tool, 1 if tool != "klick" else 4, warm, exe))
            warm.unlink()
        run_child([exe, "--help"])
        for run in range(runs):
            for m in minutes:
                # Rotate the order each run so no tool always goes first (cold caches).
                order = tools[run % len(tools) :] + tools[: run % len(tools)]
                for tool in order:
                    out = work / f"{tool}-{m}.wav"
                    out.unlink(missing_ok=True)
                    sample = run_child(command(tool, m, out, exe))
                    result = results[tool, m]
                    result.samples.append(sample)
                    if result.frames is None:
                        result.frames = wav_frames(out)
                    out.unlink()
            startup["help"].samples.append(run_child([exe, "--help"]))
            plan_out = work / "plan.wav"
            plan_out.unlink(missing_ok=True)
            startup["plan"].samples.append(
                run_child([exe, "render", "--plan", str(plan_file), "-o", str(plan_out), "-q"])
            )
            plan_out.unlink()
            print(f"  run {run + 1}/{runs} done", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"{'tool':<9} {'session':>8} {'wall (median)':>14} {'min-max':>15} "
        f"{'CPU':>8} {'x real time':>12} {'peak RSS':>9}  frames"
    )
    for m in minutes:
        for tool in tools:
            r = results[tool, m]
            lo, hi = r.wall_range
            length_ok = "" if r.frames == m * 60 * RATE else f" (expected {m * 60 * RATE})"
            print(
                f"{tool:<9} {m:>5} min {fmt_seconds(r.wall):>14} "
                f"{lo:>6.3f}-{hi:<6.3f}s {r.cpu:>7.3f}s {m * 60 / r.wall:>11.0f}x "
                f"{r.rss_mb:>6.1f} MB  {r.frames}{length_ok}"
            )
    print()
    if "runcoach" in tools:
        for peer in ("klick", "sox"):
            if peer in tools:
                ratios = ", ".join(
                    f"{m} min {results['runcoach', m].wall / results[peer, m].wall:.2f}"
                    for m in minutes
                )
                print(f"runcoach/{peer} wall-time ratio: {ratios}")
                ratios = ", ".join(
                    f"{m} min {results['runcoach', m].cpu / results[peer, m].cpu:.2f}"
                    for m in minutes
                )
                print(f"runcoach/{peer} CPU-time ratio:  {ratios}")
        print()
        print("start-up (what a user feels):")
        print(
            f"  runcoach --help                     {fmt_seconds(startup['help'].wall)} "
            f"(peak {startup['help'].rss_mb:.1f} MB)"
        )
        print(
            f"  runcoach render of a 1-minute plan  {fmt_seconds(startup['plan'].wall)} "
            f"(peak {startup['plan'].rss_mb:.1f} MB)"
        )
        print()

        print("targets:")
        rc60 = results.get(("runcoach", 60))
        for peer, share in (("klick", TARGET_VS_KLICK), ("sox", TARGET_VS_SOX)):
            peer60 = results.get((peer, 60))
            if rc60 is None or peer60 is None:
                why = (
                    "no 60-minute run"
                    if rc60 is None
                    else "not installed"
                    if peer in wanted
                    else "not run (--only)"
                )
                print(f"  60-min session <= {share:g} x {peer}'s time: n/a ({why})")
                continue
            ok = rc60.wall <= share * peer60.wall
            print(
                f"  60-min session <= {share:g} x {peer}'s time: {verdict(ok)} "
                f"({rc60.wall:.3f} s vs {share * peer60.wall:.3f} s)"
            )
        peak = max(results["runcoach", m].rss_mb for m in minutes)
        print(
            f"  peak memory <= {TARGET_MAX_RSS_MB:g} MB: {verdict(peak <= TARGET_MAX_RSS_MB)} "
            f"({peak:.1f} MB)"
        )
        if 10 in minutes and 180 in minutes:
            a, b = results["runcoach", 10].rss_mb, results["runcoach", 180].rss_mb
            growth = (b - a) / a
            print(
                f"  peak memory within {TARGET_RSS_GROWTH:.0%} from 10 to 180 min: "
                f"{verdict(abs(growth) <= TARGET_RSS_GROWTH)} "
                f"({a:.1f} MB -> {b:.1f} MB, {growth:+.1%})"
            )
        else:
            print(
                f"  peak memory within {TARGET_RSS_GROWTH:.0%} from 10 to 180 min: "
                "n/a (needs --minutes with 10 and 180)"
            )
        help_s = startup["help"].wall
        print(
            f"  runcoach --help < {TARGET_HELP_SECONDS:g} s: "
            f"{verdict(help_s < TARGET_HELP_SECONDS)} ({help_s:.3f} s)"
        )
    if hasattr(os, "getloadavg"):
        print(f"  load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
