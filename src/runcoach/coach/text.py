"""The coach's answers as text: the lines ``today``, ``log`` and ``history`` show. Pure functions
returning strings (the CLI prints them, plain or styled); nothing here prints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from runcoach.coach.course import format_spm
from runcoach.coach.records import SessionRecord, Today, WeekSummary
from runcoach.plans.units import plural

if TYPE_CHECKING:
    from runcoach.coach.reviews import Reviewed

#: Eighths of a chart cell, empty to full.
_EIGHTHS = " ▏▎▍▌▋▊▉█"
#: How wide a chart bar of the longest week is, in cells.
BAR_CELLS = 30


def clock(seconds: float) -> str:
    """``m:ss`` or ``h:mm:ss``, rounded to whole seconds."""
    whole = round(seconds)
    if whole >= 3600:
        return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
    return f"{whole // 60}:{whole % 60:02d}"


def decision_name(decision: str) -> str:
    """``step back`` for ``step_back``."""
    return decision.replace("_", " ")


def today_lines(today: Today) -> list[tuple[str, str]]:
    """What ``runcoach today`` says, as ``(label, text)`` lines."""
    lines = [("Program", f"{today.program_name} ({today.program}), {today.on}")]
    if today.stopped:
        lines.append(("Stop", today.reason))
        lines.append(("Next", "no session until you have been seen and run `runcoach resume`"))
        return lines
    if today.complete:
        lines.append(("Complete", today.reason))
        return lines
    length = ""
    if today.duration_seconds is not None and today.running_seconds is not None:
        length = f", {clock(today.duration_seconds)} ({clock(today.running_seconds)} running)"
    at = f", at {format_spm(today.spm)} spm" if today.spm is not None else ""
    session = f"week {today.week}, session {today.session}: {today.plan}{length}{at}"
    lines.append(("Session", session))
    lines.append(("Why", f"{decision_name(today.decision)}: {today.reason}"))
    if today.rest_day:
        rest = f"the program asks for a rest day between runs; next run from {today.next_run_on}"
        lines.append(("Rest day", rest))
    if today.see_physio and today.physio_reason:
        lines.append(("Physio", today.physio_reason))
    lines.append(("Play it", today.command or ""))
    return lines


def logged_text(record: SessionRecord, *, next_day: bool = False) -> str:
    """What ``runcoach log`` says after a check-in (or a next-day check)."""
    what = "Next-day check of" if next_day else "Logged"
    return (
        f"{what} week {record.week}, session {record.session} of {record.date}: "
        f"{decision_name(record.decision)}.\n{record.reason}\nNext: runcoach today"
    )


def how_it_went(record: SessionRecord) -> str:
    """``completed`` or ``stopped at 12:30``."""
    if record.completed:
        return "completed"
    if record.stopped_at_seconds is not None:
        return f"stopped at {clock(record.stopped_at_seconds)}"
    return "stopped early"


def symptoms(record: SessionRecord) -> list[str]:
    """The yes answers of a check-in: ``leak``, ``heaviness``, ``bleeding``."""
    return [name for name in ("leak", "heaviness", "bleeding") if getattr(record, name)]


def session_line(record: SessionRecord) -> str:
    """One session of ``runcoach history`` as a line of text."""
    later = f", next day pain {record.next_day_pain}" if record.next_day_pain is not None else ""
    effort = f", effort {record.effort}" if record.effort is not None else ""
    found = "".join(f", {name}" for name in symptoms(record))
    note = f' "{record.note}"' if record.note else ""
    return (
        f"{record.date}  week {record.week}, session {record.session}: {how_it_went(record)}, "
        f"pain {record.pain}{later}{effort}{found}{note} -> {decision_name(record.decision)}"
    )


def bar(value: float, top: float, cells: int = BAR_CELLS) -> str:
    """A bar of block characters, ``cells`` wide at ``top``, in eighths of a cell."""
    if top <= 0:
        return ""
    eighths = round(value / top * cells * 8)
    return "█" * (eighths // 8) + (_EIGHTHS[eighths % 8] if eighths % 8 else "")


def week_line(week: WeekSummary, top: float) -> str:
    """One week of ``runcoach history``: sessions, minutes of running, symptom days, a bar
    (``top``: the running seconds of the longest week shown)."""
    return (
        f"week of {week.week_start}: {plural(week.sessions, 'session')}, "
        f"{week.running_seconds / 60:.1f} min running, "
        f"{plural(week.symptom_days, 'symptom day')} {bar(week.running_seconds, top)}"
    ).rstrip()


def review_summary(review: Mapping[str, Any]) -> str:
    """``mean 163.2 spm, 84.1 % of moving time within ±3 spm, moving 25:10`` from a review's
    JSON (``runcoach review --json``)."""
    overall = review.get("overall") or {}
    mean, share = overall.get("mean_spm"), overall.get("in_band_fraction")
    said = "no running in the session" if mean is None else f"mean {mean:.1f} spm"
    if share is not None:
        band = f"±{float(review.get('tolerance_spm') or 0):g} spm"
        said += f", {100 * share:.1f} % of moving time within {band}"
    from runcoach.plans.units import format_seconds

    return f"{said}, moving {format_seconds(float(overall.get('moving_seconds') or 0))}"


def reviewed_text(done: Reviewed) -> str:
    """What storing a review with a check-in did, as one line."""
    r = done.session
    where = f"the check-in of {r.date} (week {r.week}, session {r.session})"
    said = {
        "added": f"Stored with {where}",
        "updated": f"Stored with {where}, replacing this recording's earlier review",
        "unchanged": f"Already stored with {where}: nothing changed",
    }[done.outcome]
    return f"{said}: {done.stored.file_name}, {review_summary(done.stored.review)}."
