#!/usr/bin/env python3
"""Journal benchmark: how fast ``runcoach today`` answers with five years of sessions.

It builds a journal in a temporary folder through the Python API, as a runner would fill it:
three sessions a week (Monday, Wednesday, Saturday) for five years on the built-in
``return-to-run`` program, with an occasional pain-4 repeat, a leak that steps back, a next-day
check, and a new enrolment each time the program is complete. Then it times, as medians of
``--runs`` runs:

- ``runcoach today --json`` as a child process (what a runner waits for; the target is 0.3 s),
  next to ``runcoach --version`` (the interpreter and CLI start-up alone);
- ``runcoach history --json`` as a child process (every session and week);
- the ``Journal.today()`` call in this process, on a fresh ``Journal`` each time (open, check,
  read, decide) and on an open one.

    python bench/journal.py              # 9 runs each
    python bench/journal.py --runs 21
    python bench/journal.py --quick      # one year, 3 runs: a smoke test
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _runcoach import runcoach_exe  # bench/ is on sys.path when a script runs

TARGET_TODAY_SECONDS = 0.3
PROGRAM = "return-to-run"
RUN_DAYS = (0, 2, 5)  # Monday, Wednesday, Saturday


def build(path: Path, years: int) -> tuple[int, int, float]:
    """Fill a journal at ``path``: returns (sessions, enrolments, seconds it took)."""
    from runcoach.coach import Journal

    start = time.perf_counter()
    first = dt.date(2020, 1, 6)  # a Monday
    sessions = enrolments = 0
    with Journal(path) as journal:
        journal.start(PROGRAM, spm=165, on=first)
        enrolments += 1
        for week in range(years * 52):
            for offset in RUN_DAYS:
                on = first + dt.timedelta(weeks=week, days=offset)
                if journal.today(on).complete:
                    journal.start(PROGRAM, spm=165, on=on)
                    enrolments += 1
                sessions += 1
                answers: dict[str, object] = {
                    "leak": sessions % 41 == 0,
                    "heaviness": False,
                    "pain": 4 if sessions % 13 == 0 else 1,
                    "effort": 5,
                    "note": f"session {sessions}",
                }
                journal.log(on=on, **answers)  # type: ignore[arg-type]
                if sessions % 17 == 0:
                    journal.log_next_day(on=on + dt.timedelta(days=1), pain=2)
    return sessions, enrolments, time.perf_counter() - start


def median_seconds(command: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """The median wall time and median CPU time (user + system) of ``command`` run ``runs``
    times, after one warm-up run. CPU time shows the cost when other processes share the
    machine and stretch the wall time."""
    walls, cpus = [], []
    for i in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        begin = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        elapsed = time.perf_counter() - begin
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"bench: {' '.join(command)} failed: {done.stderr.strip()}")
        if i:
            walls.append(elapsed)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def median_call(call: Callable[[], object], runs: int) -> tuple[float, float]:
    """The median wall and CPU time of ``call()`` in this process."""
    walls, cpus = [], []
    for _ in range(runs):
        begin, cpu = time.perf_counter(), time.process_time()
        call()
        walls.append(time.perf_counter() - begin)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per figure (median)")
    parser.add_argument("--years", type=int, default=5, help="years of sessions (default 5)")
    parser.add_argument("--quick", action="store_true", help="one year, 3 runs")
    parser.add_argument("--runcoach", help="the runcoach command (default: the installed one)")
    args = parser.parse_args()
    years, runs = (1, 3) if args.quick else (args.years, args.runs)
    exe = runcoach_exe(args.runcoach, who="bench/journal.py")
    from runcoach.coach import Journal

    with tempfile.TemporaryDirectory(prefix="runcoach-bench-") as folder:
        path = Path(folder) / "journal.sqlite3"
        sessions, enrolments, seconds = build(path, years)
        env = {**os.environ, "RUNCOACH_JOURNAL": str(path)}
        with Journal(path) as journal:
            ask = journal.today().on  # the real today: after a break of years, a step back
            last = journal.history().sessions[-1].date
        on = (last + dt.timedelta(days=1)).isoformat()
        print(
            f"journal: {sessions} sessions over {years} years, {enrolments} enrolments, "
            f"{path.stat().st_size / 1e3:.0f} kB; built in {seconds:.1f} s"
        )
        print(f"asking about {on} (the day after the last session) and {ask} (today)")
        figures = {
            "runcoach --version": median_seconds([exe, "--version"], env, runs),
            f"runcoach today --on {on} --json": median_seconds(
                [exe, "today", "--on", on, "--json"], env, runs
            ),
            "runcoach today --json": median_seconds([exe, "today", "--json"], env, runs),
            "runcoach history --json": median_seconds([exe, "history", "--json"], env, runs),
        }

        def fresh() -> None:
            with Journal(path) as journal:
                journal.today(dt.date.fromisoformat(on))

        with Journal(path) as open_journal:
            open_journal.today(dt.date.fromisoformat(on))  # loads the program once
            figures["Journal.today() (fresh Journal)"] = median_call(fresh, runs)
            figures["Journal.today() (open Journal)"] = median_call(
                lambda: open_journal.today(dt.date.fromisoformat(on)), runs
            )
    width = max(len(name) for name in figures)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"median of {runs} runs (load average {load} on {os.cpu_count()} CPUs):")
    print(f"  {'':<{width}}     wall       CPU")
    for name, (wall, cpu) in figures.items():
        print(f"  {name:<{width}}  {wall * 1000:7.1f} ms {cpu * 1000:7.1f} ms")
    worst = max(wall for k, (wall, _) in figures.items() if k.startswith("runcoach today"))
    verdict = "met" if worst <= TARGET_TODAY_SECONDS else "NOT met"
    print(
        f"target: runcoach today within {TARGET_TODAY_SECONDS:.1f} s: {verdict} "
        f"({worst:.3f} s wall)"
    )
    if worst > TARGET_TODAY_SECONDS:
        sys.exit(1)


if __name__ == "__main__":
    main()
