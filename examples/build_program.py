"""Build a personalised 6-week cadence program in Python and render every session.

Cadence is raised gradually, a few steps per minute at a time: week 1 runs 2 spm above the
runner's current cadence, week 6 runs 12 above. Each week has three sessions: run/walk
intervals, a ramp up to the week's target, and a steady run. Plans built in code get the same
checks as plan files, so a mistake (a cadence of 300, an empty block) fails at once, naming the
field.

    python examples/build_program.py --start-spm 158 --out my-program
    python examples/build_program.py --start-spm 158 --minutes 20 --stereo -r 22050

Writes ``week1-session1.wav`` … ``week6-session3.wav`` into ``--out`` and prints what each is.
"""

from __future__ import annotations

import argparse
from fractions import Fraction
from pathlib import Path

import runcoach

WALK_SPM = 115


def sessions(minutes: Fraction, walk: Fraction) -> list[runcoach.Plan]:
    """The week's three sessions, relative to the base cadence (the week's target)."""
    warm_up = runcoach.Segment("Warm-up walk", duration=walk * 60, spm=WALK_SPM, breath="off")
    cool_down = runcoach.Segment("Cool-down walk", duration=walk * 60, spm=110, breath="off")
    blocks = max(1, round(minutes / 3))  # about one run/walk block every 3 minutes
    run, rest = minutes * 60 * 2 / 3 / blocks, minutes * 60 / 3 / blocks
    intervals = runcoach.Plan(
        "Intervals at the target",
        [
            warm_up,
            runcoach.Repeat(
                blocks,
                [
                    runcoach.Segment("Run", duration=run),  # the base cadence: the target
                    runcoach.Segment("Walk", duration=rest, spm=WALK_SPM),
                ],
            ),
            cool_down,
        ],
        breath="4:6",
    )
    ramp = runcoach.Plan(
        "Ramp up to the target",
        [
            warm_up,
            runcoach.Segment("Ramp up", duration=minutes * 30, spm=["-6", "+0"]),
            runcoach.Segment("Hold the target", duration=minutes * 30),
            cool_down,
        ],
        breath="4:6",
    )
    steady = runcoach.Plan(
        "Steady at the target",
        [warm_up, runcoach.Segment("Steady run", duration=minutes * 60), cool_down],
        breath="4:6",
    )
    return [intervals, ramp, steady]


def build_program(
    start_spm: int, *, minutes: Fraction = Fraction(20), walk: Fraction = Fraction(5)
) -> runcoach.Program:
    """Six weeks from ``start_spm``, +2 spm a week; ``minutes`` of running per session between
    warm-up and cool-down walks of ``walk`` minutes."""
    week_sessions = sessions(minutes, walk)
    weeks = [
        runcoach.Week(
            week_sessions,
            spm=f"+{2 * week}",
            name=f"Week {week}",
            description=f"target {start_spm + 2 * week} spm",
        )
        for week in range(1, 7)
    ]
    return runcoach.Program(
        f"Cadence +2 a week from {start_spm}",
        weeks,
        description="A personalised cadence program: 2 spm more every week for six weeks.",
        spm=start_spm,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--start-spm",
        type=int,
        default=160,
        help="your current cadence in steps per minute (default 160)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("cadence-program"),
        help="folder to write the sessions to (default ./cadence-program)",
    )
    parser.add_argument(
        "--minutes",
        type=Fraction,
        default=Fraction(20),
        help="minutes of running per session (default 20)",
    )
    parser.add_argument(
        "--walk-minutes",
        type=Fraction,
        default=Fraction(5),
        help="minutes of the warm-up and of the cool-down walk (default 5)",
    )
    parser.add_argument(
        "-r", "--sample-rate", type=int, default=44100, help="sample rate in Hz (default 44100)"
    )
    parser.add_argument("--stereo", action="store_true", help="pan left and right feet")
    args = parser.parse_args(argv)

    try:
        program = build_program(args.start_spm, minutes=args.minutes, walk=args.walk_minutes)
        # Resolve every session before writing anything: a cadence that only week 6 pushes
        # past 240 fails now, not after five weeks of files.
        tops = {
            (w, s): max(row["spm_end"] for row in runcoach.segments(plan))
            for w, s, plan in program.sessions()
        }
        args.out.mkdir(parents=True, exist_ok=True)
        for week, session, plan in program.sessions():
            top = tops[week, session]
            path = args.out / f"week{week}-session{session}.wav"
            result = runcoach.render(plan, path, rate=args.sample_rate, stereo=args.stereo)
            minutes = float(result.session.total_seconds) / 60
            print(f"{path}: {plan.description}, {minutes:.1f} min, up to {top:g} spm")
    except runcoach.RunCoachError as err:
        raise SystemExit(f"build_program: {err}") from None


if __name__ == "__main__":
    main()
