#!/usr/bin/env python3
"""Benchmark: ``runcoach review`` of a 3-hour, 1 Hz FIT recording (target: 1.5 s or less).

Writes the recording with Garmin's FIT encoder (``garmin-fit-sdk``, in the ``test`` extra): one
``record`` a second with what a watch logs (time, position, distance, speed, altitude, heart
rate, cadence and fractional cadence, power, temperature), and a 3-hour run/walk plan to match;
then runs the installed ``runcoach review`` as a child process N times, with and without
``--align auto``, and prints the median, fastest and slowest wall times (process start-up
included, as a runner waits for it) and the median CPU time (steadier on a busy machine).

    python bench/review.py                # 3 hours, 5 runs each
    python bench/review.py --repeat 9
    python bench/review.py --hours 0.2 --repeat 1   # a quick smoke run
"""

from __future__ import annotations

import argparse
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _runcoach import runcoach_exe  # bench/ is on sys.path when a script runs

TARGET_SECONDS = 1.5
START = datetime(2024, 6, 1, 6, 0, 0, tzinfo=timezone.utc)
RUN_SECONDS, WALK_SECONDS = 240, 60


def plan_yaml(hours: float) -> str:
    """Run 4 minutes, walk 1, for ``hours``."""
    blocks = max(1, round(hours * 3600 / (RUN_SECONDS + WALK_SECONDS)))
    return (
        "name: Long run/walk\nspm: 170\nsegments:\n"
        f"  - repeat: {blocks}\n    segments:\n"
        f"      - {{name: Run, duration: {RUN_SECONDS}s}}\n"
        f"      - {{name: Walk, duration: {WALK_SECONDS}s, spm: 115}}\n"
    )


def write_fit(path: Path, hours: float, late: int = 25) -> int:
    """A recording of the plan, started ``late`` seconds before it. Returns the record count."""
    from garmin_fit_sdk import Encoder, Profile

    num = Profile["mesg_num"]
    enc = Encoder()
    enc.write_mesg(
        {
            "mesg_num": num["FILE_ID"],
            "type": "activity",
            "manufacturer": "development",
            "product": 1,
            "serial_number": 1,
            "time_created": START,
        }
    )
    enc.write_mesg(
        {"mesg_num": num["EVENT"], "timestamp": START, "event": "timer", "event_type": "start"}
    )
    records = int(hours * 3600) + late
    for t in range(records):
        plan_t = (t - late) % (RUN_SECONDS + WALK_SECONDS)
        spm = (170 if plan_t < RUN_SECONDS else 115) + 3 * math.sin(t / 17)
        strides = round(spm / 2 * 128) / 128
        enc.write_mesg(
            {
                "mesg_num": num["RECORD"],
                "timestamp": START + timedelta(seconds=t),
                "position_lat": 620_000_000 + 40 * t,
                "position_long": 150_000_000 + 30 * t,
                "distance": 2.8 * t,
                "enhanced_speed": 2.8,
                "enhanced_altitude": 80 + math.sin(t / 300),
                "heart_rate": 130 + t % 25,
                "cadence": int(strides),
                "fractional_cadence": strides - int(strides),
                "power": 240 + t % 40,
                "temperature": 18,
            }
        )
    end = START + timedelta(seconds=records - 1)
    enc.write_mesg(
        {"mesg_num": num["EVENT"], "timestamp": end, "event": "timer", "event_type": "stop_all"}
    )
    enc.write_mesg(
        {
            "mesg_num": num["SESSION"],
            "timestamp": end,
            "start_time": START,
            "sport": "running",
            "total_elapsed_time": float(records - 1),
        }
    )
    path.write_bytes(enc.close())
    return records


def timed(cmd: list[str]) -> tuple[float, float, str]:
    """Run ``cmd``: (wall seconds, CPU seconds of the child, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=3.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--runcoach", default=None, help="the runcoach command to time")
    args = parser.parse_args(argv)

    exe = runcoach_exe(args.runcoach, who="review")
    with tempfile.TemporaryDirectory(prefix="runcoach-review-") as folder:
        fit = Path(folder) / "long-run.fit"
        plan = Path(folder) / "long-run-walk.yaml"
        plan.write_text(plan_yaml(args.hours))
        began = time.perf_counter()
        records = write_fit(fit, args.hours)
        print(
            f"recording: {args.hours:g} h at 1 Hz, {records} records, "
            f"{fit.stat().st_size / 1e6:.2f} MB (written in {time.perf_counter() - began:.1f} s)"
        )
        base = [exe, "review", str(fit), "--plan", str(plan), "--json"]
        failed = False
        for label, extra in (("review", []), ("review --align auto", ["--align", "auto"])):
            walls, cpus = [], []
            for _ in range(args.repeat):
                wall, cpu, out = timed(base + extra)
                walls.append(wall)
                cpus.append(cpu)
            median = statistics.median(walls)
            ok = median <= TARGET_SECONDS
            failed |= not ok
            print(
                f"{label:<22} median {median:.3f} s  fastest {min(walls):.3f} s  slowest "
                f"{max(walls):.3f} s  CPU {statistics.median(cpus):.3f} s  ({args.repeat} runs)  "
                f"target <= {TARGET_SECONDS} s: {'met' if ok else 'MISSED'}"
            )
        offset = out.split('"offset_seconds": ')[1].split(",")[0]
        print(f"offset found by --align auto: {offset} s (the recording started 25 s early)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
