#!/usr/bin/env python3
"""Benchmark: export the whole 9-week return-to-run program to MP3.

Runs the installed ``runcoach export`` command as a child process into a fresh folder (on
/dev/shm where it exists), then once more to time the skip-if-current pass, and prints wall time,
files per second, audio hours per wall second, peak memory of the child, and the output size.

    python bench/export.py                 # MP3, 44.1 kHz, one worker per core
    python bench/export.py --jobs 1        # single worker, for comparison
    python bench/export.py --voice         # with spoken announcements (the voice wheel)
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _runcoach import runcoach_exe  # bench/ is on sys.path when a script runs


def timed(cmd: list[str]) -> tuple[float, int, str]:
    """Run ``cmd``; return (wall seconds, peak RSS of the child tree in kB, stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out = proc.stdout.read() if proc.stdout else ""
    err = proc.stderr.read() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(cmd)} failed ({code}):\n{err}")
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(usage.ru_maxrss, children), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--program", default="return-to-run")
    parser.add_argument("--format", default="mp3")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--spm", default="168")
    parser.add_argument("--rate", default="44100")
    parser.add_argument("--voice", action="store_true", help="with spoken announcements")
    args = parser.parse_args()

    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    folder = Path(tempfile.mkdtemp(prefix="runcoach-export-", dir=base))
    cmd = [
        runcoach_exe(who="export"),
        "export",
        args.program,
        str(folder / "out"),
        "--spm",
        args.spm,
        "--format",
        args.format,
        "-r",
        args.rate,
        "--voice" if args.voice else "--no-voice",
    ]
    if args.jobs:
        cmd += ["--jobs", str(args.jobs)]
    try:
        print(
            f"runcoach export {args.program} -> {args.format} at {args.rate} Hz, "
            f"{args.jobs or os.cpu_count()} worker(s), {'with' if args.voice else 'no'} voice,"
            f" into {folder}"
        )
        wall, rss, out = timed(cmd)
        files = sorted((folder / "out").glob(f"*.{args.format}"))
        size = sum(p.stat().st_size for p in files)
        print(out.strip())
        hours = 0.0
        for line in (folder / "out").glob("*.m3u"):
            hours = (
                sum(
                    int(x.split(":", 1)[1].split(",", 1)[0])
                    for x in line.read_text(encoding="utf-8").splitlines()
                    if x.startswith("#EXTINF:")
                )
                / 3600
            )
        print(
            f"first export : {wall:7.1f} s wall, {len(files)} files, "
            f"{len(files) / wall:5.2f} files/s, {hours:.1f} h of audio "
            f"({hours * 3600 / wall:,.0f}x real time), peak RSS {rss / 1024:.0f} MB, "
            f"{size / 1e6:,.0f} MB written"
        )
        again, _, out = timed(cmd)
        print(f"second export: {again:7.2f} s wall (skip if current: {out.strip()})")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
