#!/usr/bin/env python3
"""Benchmark: export a whole program (the 9-week return-to-run) to MP3, voice off and on.

Runs the installed ``runcoach export`` command as a child process into a fresh folder (on
/dev/shm where it exists), then once more to time the skip-if-current pass. For each voice
setting it prints: files written and distinct audio streams encoded (sessions with identical
audio are encoded once), wall time, audio hours, peak memory, output size, and the ratio
"runcoach ÷ sox|lame": runcoach's wall time against ``sox … | lame`` encoding the same total
audio. That peer figure is an estimate: one click track as long as the program's longest
session is timed through ``sox | lame`` (one process pair, at the same rate and, like
runcoach's default, VBR ``-V 4``; CBR ``-b N`` with ``--bitrate N``) and scaled by the total
audio. ``lame`` and ``sox`` missing: the ratio is skipped, with the reason.

    python bench/export.py                  # MP3, 44.1 kHz, one worker per core, voice off and on
    python bench/export.py --voice off      # one setting only
    python bench/export.py --jobs 1         # a single worker, for comparison
    python bench/export.py --quick          # smoke test: a tiny program at 8 kHz
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _runcoach import runcoach_exe  # bench/ is on sys.path when a script runs

SPM = 170
QUICK_PROGRAM = """\
name: Quick program
weeks:
  - sessions:
      - {plan: jog.yaml}
      - {plan: jog.yaml}
      - {name: Long, spm: 170, segments: [{name: Run, duration: 90s}]}
"""
QUICK_JOG = """\
name: Jog
spm: 170
segments: [{name: Walk, duration: 20s, spm: 115}, {name: Run, duration: 40s}]
"""


def timed(cmd: list[str]) -> tuple[float, int, str]:
    """Run ``cmd``; return (wall seconds, peak RSS in kB of the child or any process it waited
    for, its workers included (``wait4``), stdout)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code
        out.seek(0)
        err.seek(0)
        if code != 0:
            sys.exit(f"{' '.join(cmd)} failed ({code}):\n{err.read().decode(errors='replace')}")
        return wall, usage.ru_maxrss, out.read().decode(errors="replace")


def playlist_seconds(folder: Path) -> tuple[list[int], int]:
    """Each file's length in seconds from the playlist, and how many files it lists."""
    lengths: list[int] = []
    for line in folder.glob("*.m3u"):
        for entry in line.read_text(encoding="utf-8").splitlines():
            if entry.startswith("#EXTINF:"):
                lengths.append(int(entry.split(":", 1)[1].split(",", 1)[0]))
    return lengths, len(lengths)


def sox_lame_seconds(seconds: int, rate: int, bitrate: str | None, work: Path) -> float | None:
    """Wall time of ``sox`` making a ``seconds``-long click track piped into ``lame``."""
    if not (shutil.which("sox") and shutil.which("lame")):
        return None
    period = round(rate * 60 / SPM)
    click = rate // 100
    sox = [
        "sox", "-V1", "-D", "-r", str(rate), "-c", "1", "-n", "-b", "16", "-t", "wav", "-",
        "synth", f"{click}s", "sine", "1000", "fade", "q", "0", f"{click}s", f"{click - 41}s",
        "pad", "0", f"{period - click}s", "repeat", str(seconds * SPM // 60),
        "trim", "0", f"{seconds * rate}s",
    ]  # fmt: skip
    quality = ["-b", bitrate, "--cbr"] if bitrate else ["-V", "4"]
    lame = ["lame", "--quiet", *quality, "-", str(work / "peer.mp3")]
    start = time.perf_counter()
    producer = subprocess.Popen(sox, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    encoder = subprocess.run(lame, stdin=producer.stdout, capture_output=True)
    if producer.stdout:
        producer.stdout.close()
    producer.wait()
    wall = time.perf_counter() - start
    (work / "peer.mp3").unlink(missing_ok=True)
    return wall if encoder.returncode == 0 else None


def one_setting(args: argparse.Namespace, program: str, voice: bool, work: Path) -> None:
    """Export once with ``voice`` on or off, then again (skip if current); print the figures."""
    out = work / ("voice" if voice else "plain")
    cmd = [
        runcoach_exe(args.runcoach, who="export"),
        "export", program, str(out), "--spm", args.spm, "--format", args.format,
        "-r", args.rate, "--voice" if voice else "--no-voice",
    ]  # fmt: skip
    if args.jobs:
        cmd += ["--jobs", str(args.jobs)]
    if args.bitrate:
        cmd += ["--bitrate", args.bitrate]
    wall, rss, said = timed(cmd)
    files = sorted(out.glob(f"*.{args.format}"))
    size = sum(p.stat().st_size for p in files)
    lengths, listed = playlist_seconds(out)
    hours = sum(lengths) / 3600
    found = re.search(r"(\d+) files? from (\d+) distinct sessions?", said)
    streams = found.group(2) if found else "? (not reported: this runcoach encodes every file)"
    print(f"voice {'on' if voice else 'off'}:")
    print(f"  files written        {len(files)} (playlist lists {listed})")
    print(f"  distinct streams     {streams}")
    print(f"  wall time            {wall:.1f} s")
    print(f"  audio                {hours:.2f} h ({hours * 3600 / wall:,.0f} x real time)")
    print(f"  peak RSS             {rss / 1024:.0f} MB; {size / 1e6:,.1f} MB written")
    if lengths and not args.no_peer:
        longest = max(lengths)
        peer = sox_lame_seconds(longest, int(args.rate), args.bitrate, work)
        if peer is None:
            print(
                "  runcoach ÷ sox|lame  skipped: sox or lame is missing (apt-get install sox lame)"
            )
        else:
            estimate = peer * sum(lengths) / longest
            print(
                f"  runcoach ÷ sox|lame  {wall / estimate:.2f} (sox|lame, one process pair, "
                f"estimated {estimate:.1f} s for the same {hours:.2f} h: {peer:.2f} s for the "
                f"longest session, {longest} s, scaled by the total audio)"
            )
    again, _, said = timed(cmd)
    print(f"  second export        {again:.2f} s (skip if current: {said.strip().splitlines()[0]})")
    if args.baseline is not None and not voice:
        print(f"  vs the issue's {args.baseline:g} s: {args.baseline / wall:.2f} x faster")
    if args.baseline_voice is not None and voice:
        print(
            f"  vs the issue's {args.baseline_voice:g} s: {args.baseline_voice / wall:.2f} x faster"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--program", default="return-to-run")
    parser.add_argument("--format", default="mp3")
    parser.add_argument("--bitrate", help="--bitrate for runcoach (CBR), -b for lame")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--spm", default="168")
    parser.add_argument("--rate", default="44100")
    parser.add_argument("--voice", choices=("off", "on", "both"), default="both")
    parser.add_argument("--runcoach", help="the runcoach command (default: the installed one)")
    parser.add_argument("--no-peer", action="store_true", help="skip the sox|lame estimate")
    parser.add_argument("--baseline", type=float, default=171.0, help="seconds before (no voice)")
    parser.add_argument(
        "--baseline-voice", type=float, default=213.0, help="seconds before (voice)"
    )
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny program, 8 kHz")
    args = parser.parse_args(argv)

    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    work = Path(tempfile.mkdtemp(prefix="runcoach-export-", dir=base))
    program = args.program
    if args.quick:
        program = str(work / "quick.yaml")
        Path(program).write_text(QUICK_PROGRAM)
        (work / "jog.yaml").write_text(QUICK_JOG)
        args.rate, args.baseline, args.baseline_voice = "8000", None, None
    try:
        print(f"runcoach export benchmark, {time.strftime('%Y-%m-%d %H:%M')}")
        print(
            f"  machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}"
        )
        print(
            f"  {program} -> {args.format} at {args.rate} Hz, "
            f"{args.jobs or os.cpu_count()} worker(s), into {work}"
        )
        settings = {"off": [False], "on": [True], "both": [False, True]}[args.voice]
        for voice in settings:
            one_setting(args, program, voice, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def cpu_model() -> str:
    """The CPU's model name (Linux), else what ``platform`` says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


if __name__ == "__main__":
    sys.exit(main())
