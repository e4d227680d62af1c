"""``runcoach review``: how a recorded run held the planned cadence; ``runcoach report``: the
self-contained HTML report for a physiotherapist."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, cast

import typer

from runcoach.cli.base import app, make_console
from runcoach.cli.options import BreathOpt, SessionOpt, SpmOpt, WeekOpt
from runcoach.cli.review_options import (
    ActivityArg,
    AlignOpt,
    JsonOpt,
    LastOpt,
    LogOpt,
    OffsetOpt,
    PlanOpt,
    ToleranceOpt,
    UnitOpt,
)
from runcoach.errors import OptionError
from runcoach.plans.units import clean_text, format_seconds, plural

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from runcoach.coach.journal import Journal
    from runcoach.coach.report_data import ReportData
    from runcoach.coach.review import Review
    from runcoach.coach.reviews import LoggedSession, Recording, StoredReview
    from runcoach.interop.activities import Activity, UnitChoice
    from runcoach.plans import Plan

#: Rows of the terminal chart.
_CHART_ROWS = 12


@app.command()
def review(
    activity: ActivityArg,
    plan: PlanOpt = None,
    week: WeekOpt = None,
    session_number: SessionOpt = None,
    spm: SpmOpt = None,
    breath: BreathOpt = None,
    tolerance: ToleranceOpt = 3.0,
    offset: OffsetOpt = None,
    align: AlignOpt = None,
    cadence_unit: UnitOpt = "auto",
    as_json: JsonOpt = False,
    last: LastOpt = False,
    log: LogOpt = False,
) -> None:
    """Review a recorded run against the planned session: cadence held, segment by segment.

    Examples:

      runcoach review run.fit --plan intervals --spm 170

      runcoach review run.tcx --plan return-to-run --week 2 --session 1 --align auto

      runcoach review run.gpx --spm 172 --tolerance 4 --json

      runcoach review run.fit --last --align auto --log
    """
    if last or log:
        from runcoach.coach.journal import Journal

        with Journal() as journal:
            target = _journal_session(journal, plan, week, session_number, last=last)
            _review(activity, target.plan, None, None, spm, breath, tolerance, offset, align,
                    cadence_unit, as_json, journal=journal, target=target, log=log)  # fmt: skip
        return
    _review(activity, plan, week, session_number, spm, breath, tolerance, offset, align,
            cadence_unit, as_json)  # fmt: skip


def _review(activity: Path, plan: str | Plan | None, week: int | None, session_number: int | None,
            spm: float | None, breath: str | None, tolerance: float, offset: float | None,
            align: str | None, cadence_unit: str, as_json: bool, *, journal: Journal | None = None,
            target: LoggedSession | None = None, log: bool = False) -> None:  # fmt: skip
    """The review command once the session is known: a plan (or program) name, a logged
    session's plan (``target``, stored with its check-in in ``journal`` when ``log``), or none
    (a steady ``spm``)."""
    if align is not None and align != "auto":
        raise OptionError(f"--align takes auto, got {align!r}")
    if align is not None and offset is not None:
        raise OptionError("give --offset or --align auto, not both")
    if cadence_unit not in ("auto", "steps", "strides"):
        raise OptionError(f"--cadence-unit must be auto, steps or strides, got {cadence_unit!r}")
    the_plan = _plan(plan, week, session_number) if isinstance(plan, str) else plan
    if the_plan is None and (week is not None or session_number is not None):
        raise OptionError("--week and --session choose a session of a program given with --plan")
    if the_plan is None and spm is None:
        raise OptionError(
            "give the planned session with --plan (e.g. --plan intervals), or --spm N to "
            "review the whole run against one steady cadence"
        )
    from runcoach.interop.activities import read_activity

    recorded = read_activity(activity, unit=cast("UnitChoice", cadence_unit))
    _warn(recorded)
    if the_plan is None:
        from runcoach.coach.review import steady_plan

        assert spm is not None  # checked above: no plan needs a steady --spm
        the_plan = steady_plan(recorded.duration_seconds, spm)
    from runcoach.coach.review import review as review_activity
    from runcoach.timeline import resolve

    base = spm if spm is not None or target is None else target.spm
    result = review_activity(
        recorded,
        resolve(the_plan, spm=base, breath=breath),
        tolerance_spm=tolerance,
        offset_seconds=offset,
        align=align == "auto",
    )
    if target is not None and not as_json:
        sys.stdout.write(f"Session   {clean_text(target.label)} (from the journal)\n")
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
    elif sys.stdout.isatty():
        show(result, make_console())
    else:
        sys.stdout.write("\n".join(plain_lines(result)) + "\n")
    if log and journal is not None and target is not None:
        from runcoach.coach.reviews import Recording, file_sha256
        from runcoach.coach.text import reviewed_text

        recording = Recording(recorded, activity.name, file_sha256(activity), tolerance, offset,
                              align == "auto")  # fmt: skip
        line = clean_text(reviewed_text(journal.store_review(target, result, recording)))
        _say(line, as_json)


def _warn(recorded: Activity) -> None:
    if recorded.warning:
        sys.stderr.write(f"runcoach: warning: {clean_text(recorded.warning)}\n")


def read_for_log(path: str) -> Recording:
    """``runcoach log --activity FILE``: the recording, read (and a damaged file's warning said)
    before anything is logged, so a file that is not an activity logs nothing."""
    from runcoach.coach.reviews import read_recording

    recording = read_recording(path)
    _warn(recording.activity)
    return recording


def say_logged_review(stored: Sequence[StoredReview], recording: Recording, as_json: bool) -> None:
    """After ``runcoach log --activity``: the review stored with the check-in, in one line (on
    stderr with ``--json``, which prints the check-in alone)."""
    from runcoach.coach.text import review_summary

    for item in stored:
        if item.file_sha256 == recording.sha256:
            said = f"{review_summary(item.review)}; stored with this check-in."
            line = clean_text(f"Reviewed {item.file_name}: {said}")
            _say(line, as_json)


def _say(line: str, as_json: bool) -> None:
    """A line for the runner: on stdout, or on stderr when stdout carries JSON."""
    if as_json:
        sys.stderr.write(f"runcoach: {line}\n")
    else:
        sys.stdout.write(line + "\n")


def _journal_session(
    journal: Journal, plan: str | None, week: int | None, session: int | None, *, last: bool
) -> LoggedSession:
    """The logged session ``--last`` or ``--log`` reviews against (and stores the review with)."""
    from runcoach.coach.records import JournalError

    if last:
        if plan is not None or week is not None or session is not None:
            raise OptionError("give --last (the last session in the journal) or --plan, not both")
        found = journal.last_session()
        if found is None:
            raise JournalError(
                f"{journal.path}: no session logged yet (`runcoach log` records one after a run)"
            )
        return found
    if plan is None or week is None or session is None:
        raise OptionError(
            "--log stores the review with a check-in of the journal: give --last, or "
            "--plan PROGRAM --week W --session S of a session you logged"
        )
    _plan(plan, week, session)  # a program session, or the error that says why not
    found = journal.logged_session(plan, week, session)
    if found is None:
        raise JournalError(
            f"{journal.path}: week {week}, session {session} of {plan} has no check-in yet: "
            f"`runcoach log --week {week} --session {session} --activity FILE` logs both"
        )
    return found


def _plan(name: str, week: int | None, session: int | None) -> Plan:
    from runcoach.plans import load_plan

    return load_plan(name, week=week, session=session)


def _clock(seconds: float) -> str:
    """A time that may fall before the plan's start (a recording that began early)."""
    return ("-" if seconds < 0 else "") + format_seconds(abs(seconds))


def _spm(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def _target(start: float, end: float) -> str:
    from runcoach.plans.units import format_spm

    return format_spm(start) if start == end else f"{format_spm(start)}→{format_spm(end)}"


def header_lines(result: Review) -> list[str]:
    """The activity and alignment lines shown above the segments."""
    act = result.activity
    unit = "strides, doubled" if act.cadence_unit == "strides" else "steps"
    when = act.start.strftime("%Y-%m-%d %H:%M UTC") if act.start else "time unknown"
    how = " (found by --align auto)" if result.aligned else ""
    return [
        f"Activity  {clean_text(act.file)}: {clean_text(act.sport or 'sport unknown')}, {when}; "
        f"{_clock(act.duration_seconds)} recorded, {_clock(result.activity_moving_seconds)} "
        f"moving, mean {_spm(result.activity_mean_spm)} spm (cadence stored in {unit})",
        f"Plan      {result.plan_name}: starts {result.offset_seconds:+.0f} s into the "
        f"recording{how}; band ±{result.tolerance_spm:g} spm",
    ]


def plain_lines(result: Review) -> list[str]:
    """The review as plain lines (for pipes and files)."""
    lines = header_lines(result)
    names = max(len(seg.name) for seg in result.segments)
    for i, seg in enumerate(result.segments, 1):
        end = seg.start_seconds + seg.duration_seconds
        times = f"{_clock(seg.start_seconds)}-{_clock(end)}"
        lines.append(
            f"{i:>3}  {seg.name:<{names}}  {times:<13}  "
            f"target {_target(seg.target_spm_start, seg.target_spm_end):<7}  "
            f"mean {_spm(seg.mean_spm):>5} spm  in band {_share(seg.in_band_fraction):>7}  "
            f"moving {_clock(seg.moving_seconds):>5}  stopped {_clock(seg.stopped_seconds):>5}"
        )
    lines.append(
        f"Overall   mean {_spm(result.mean_spm)} spm  in band {_share(result.in_band_fraction)}  "
        f"moving {_clock(result.moving_seconds)}"
    )
    return lines


def show(result: Review, console: Console) -> None:
    """The review on a terminal: the header, a table per segment, and the cadence chart."""
    from rich.markup import escape
    from rich.table import Table

    for line in header_lines(result):
        console.print(line, markup=False)
    table = Table(show_edge=False, pad_edge=False)
    columns: tuple[tuple[str, Literal["left", "right"]], ...] = (
        ("#", "right"),
        ("Segment", "left"),
        ("Time", "left"),
        ("Target", "right"),
        ("Mean", "right"),
        ("In band", "right"),
        ("Moving", "right"),
        ("Stopped", "right"),
    )
    for name, justify in columns:
        table.add_column(name, justify=justify)
    for i, seg in enumerate(result.segments, 1):
        end = seg.start_seconds + seg.duration_seconds
        table.add_row(
            str(i),
            escape(seg.name),
            f"{_clock(seg.start_seconds)}-{_clock(end)}",
            _target(seg.target_spm_start, seg.target_spm_end),
            _spm(seg.mean_spm),
            _styled_share(seg.in_band_fraction),
            _clock(seg.moving_seconds),
            _clock(seg.stopped_seconds),
        )
    table.add_section()
    table.add_row(
        "",
        "Overall",
        "",
        "",
        _spm(result.mean_spm),
        _styled_share(result.in_band_fraction),
        _clock(result.moving_seconds),
        "",
        style="bold",
    )
    console.print(table)
    console.print(chart(result, width=console.width))


def _styled_share(value: float | None) -> str:
    text = _share(value)
    if value is None:
        return text
    colour = "green" if value >= 0.8 else "yellow" if value >= 0.5 else "red"
    return f"[{colour}]{text}[/{colour}]"


def chart(result: Review, *, width: int) -> Text:
    """The recorded cadence (dots) against the target band (shaded) over the session, one column
    per slice of time: green dots are in the band, red ones outside."""
    from rich.text import Text

    from runcoach.coach.review import target_at, trace

    label_width = 6
    columns = max(10, width - label_width - 1)
    end = result.segments[-1].start_seconds + result.segments[-1].duration_seconds
    points = trace(result, step_seconds=end / columns)[:columns]
    tol = result.tolerance_spm
    targets = [target_at(result, t + end / columns / 2) for t, _ in points]
    known = [t for t in targets if t is not None]
    recorded = sorted(s for _, s in points if s is not None)
    low = min(known) - tol - 8
    high = max(known) + tol + 8
    if recorded:  # room for most of what was run, but not for a stray spike
        low = min(low, recorded[len(recorded) // 20] - 2)
        high = max(high, recorded[-1 - len(recorded) // 20] + 2)
    step = (high - low) / _CHART_ROWS
    out = Text()
    for row in range(_CHART_ROWS):
        top = high - row * step
        bottom = top - step
        label = f"{(top + bottom) / 2:5.0f} " if row % 3 == 0 else " " * label_width
        out.append(label + "│", style="dim")
        for (_, value), target in zip(points, targets, strict=True):
            band = target is not None and target - tol <= top and target + tol >= bottom
            here = value is not None and (bottom <= value < top or _clamped(value, row, low, high))
            if here:
                ok = target is not None and value is not None and abs(value - target) <= tol + 1e-9
                out.append("●", style="bold green" if ok else "bold red")
            else:
                out.append("░" if band else " ", style="green" if band else "")
        out.append("\n")
    out.append(" " * label_width + "└" + "─" * len(points) + "\n", style="dim")
    right = _clock(end)
    gap = max(1, len(points) - len("0:00") - len(right))
    out.append(" " * (label_width + 1) + "0:00" + " " * gap + right + "\n", style="dim")
    out.append(
        f"{' ' * (label_width + 1)}● recorded (green: within ±{tol:g} spm of the target)  "
        "░ target band; time on the plan's clock",
        style="dim",
    )
    return out


def _clamped(value: float, row: int, low: float, high: float) -> bool:
    """Values beyond the chart show on its top or bottom row."""
    return (row == 0 and value >= high) or (row == _CHART_ROWS - 1 and value < low)


# runcoach report --------------------------------------------------------------------------------


@app.command()
def report(
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", metavar="FILE", help="The HTML file to write.", show_default=False
        ),
    ],
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="YYYY-MM-DD",
            help="Only sessions from this date on (YYYY-MM-DD).",
            show_default=False,
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", metavar="FILE", hidden=True, help="Read the report's data from a JSON file."
        ),
    ] = None,
) -> None:
    """Write a self-contained HTML report for your physiotherapist: sessions, running minutes
    per week, symptoms, decisions and cadence adherence, with charts; no network needed.

    Examples:

      runcoach report -o report.html

      runcoach report -o report.html --since 2024-05-01
    """
    import datetime as dt

    start = None
    if since is not None:
        try:
            start = dt.date.fromisoformat(since)
        except ValueError:
            raise OptionError(f"--since must be a date as YYYY-MM-DD, got {since!r}") from None
    report_data = _report_data(data)
    from runcoach.coach.report import write_report

    summary = write_report(report_data, str(output), since=start)
    counts = f"{plural(summary.sessions, 'session')}, {plural(summary.reviews, 'reviewed run')}"
    sys.stdout.write(f"wrote {output} ({counts}, {summary.bytes / 1e3:.0f} kB)\n")
    for note in summary.notes:
        sys.stderr.write(f"runcoach: note: {note}\n")


def _report_data(path: Path | None) -> ReportData:
    """The report's data: the journal's history (``runcoach history``) and its stored reviews,
    or with the hidden ``--data FILE.json`` a file of sessions and reviews (tests, and journals
    kept elsewhere)."""
    from runcoach.coach.report_data import ReportData

    if path is None:
        from dataclasses import replace

        from runcoach.coach.journal import Journal
        from runcoach.coach.reviews import report_entries

        with Journal() as journal:
            found, stored = journal.history(), journal.stored_reviews()
            data = ReportData.from_json(found.as_json(), str(journal.path))
        return replace(data, reviews=report_entries(found.sessions, stored))
    return ReportData.read(path)
