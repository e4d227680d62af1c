"""The report for the physiotherapist: one self-contained HTML file, readable on a phone.

It shows the sessions done, running minutes per week, symptoms over time (leaking, heaviness,
bleeding, pain and next-day pain), the decisions taken and why, the cadence adherence of each
reviewed session and the latest reviewed session's cadence against its target band.

Nothing in the page comes from elsewhere: no scripts, no fonts, no style sheets or images to
fetch (a Content-Security-Policy says so to the browser too). Styles are inline; the charts are
SVG drawn by matplotlib (imported only by :func:`write_report`) and put into the page. Every
text a user wrote (notes, reasons, names) is escaped.

The input is plain data (:class:`ReportData`), not the journal, so any store can feed it.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from runcoach.coach import report_charts as charts
from runcoach.coach.report_data import ReportData, ReviewEntry, SessionRow, _parse_date
from runcoach.plans.units import WALK_BELOW_SPM, format_seconds
from runcoach.sinks import atomic_output


@dataclass(frozen=True)
class ReportSummary:
    """What went into the written report."""

    sessions: int
    reviews: int
    bytes: int
    notes: list[str] = field(default_factory=list)


def write_report(
    data: ReportData, path: str, *, since: dt.date | None = None, today: dt.date | None = None
) -> ReportSummary:
    """Write the report to ``path`` atomically (a failed write leaves no partial file).

    ``since`` leaves out sessions and reviews before that date. Raises ``OutputError`` when the
    file cannot be written.
    """
    rows = sorted(
        (r for r in data.sessions if since is None or _parse_date(r.date) >= since),
        key=lambda r: r.date,
    )
    reviews = sorted(
        (r for r in data.reviews if since is None or _parse_date(r.date) >= since),
        key=lambda r: r.date,
    )
    notes: list[str] = []
    page = _page(data.title, rows, reviews, since, today or dt.date.today(), notes)
    encoded = page.encode("utf-8")
    with atomic_output(path) as handle:
        handle.write(encoded)
    return ReportSummary(len(rows), len(reviews), len(encoded), notes)


# The page ---------------------------------------------------------------------------------------

_CSS = """
body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2327;
background:#fff}main{max-width:52rem;margin:auto;padding:1rem}h1{font-size:1.5rem;margin:.2rem 0}
h2{font-size:1.15rem;margin:1.8rem 0 .5rem;border-bottom:1px solid #dde3e6;padding-bottom:.2rem}
.sub{color:#5a656b;margin:0 0 1rem}.cards{display:flex;flex-wrap:wrap;gap:.6rem}
.card{flex:1 1 9rem;border:1px solid #dde3e6;border-radius:.5rem;padding:.6rem .8rem}
.card b{display:block;font-size:1.4rem}
.chart svg{width:100%;max-width:40rem;height:auto;display:block}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #eef1f3;vertical-align:top}
th{background:#f5f7f8}td.n{text-align:right;white-space:nowrap}td.d{white-space:nowrap}.yes{color:#b3261e;font-weight:600}
.empty{color:#5a656b;font-style:italic}footer{color:#5a656b;font-size:.85rem;margin-top:2rem}
"""
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _page(
    title: str,
    rows: list[SessionRow],
    reviews: list[ReviewEntry],
    since: dt.date | None,
    today: dt.date,
    notes: list[str],
) -> str:
    e = html.escape
    period = f"{rows[0].date} to {rows[-1].date}" if rows else "no sessions yet"
    if since is not None:
        period += f" (from {since.isoformat()})"
    running = [_running_seconds(r, notes) for r in rows]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body><main>",
        f"<h1>{e(title)}</h1>",
        f'<p class="sub">{e(period)} · made by runcoach on {today.isoformat()}</p>',
        _cards(rows, reviews, running),
        "<h2>Running minutes per week</h2>",
        _chart_or_empty(rows, lambda: charts.weekly_chart(rows, running), "No sessions logged."),
        "<h2>Symptoms over time</h2>",
        _chart_or_empty(rows, lambda: charts.symptom_chart(rows), "No check-ins logged."),
        "<h2>Sessions, symptoms and decisions</h2>",
        _sessions_table(rows),
        "<h2>Cadence adherence</h2>",
        _chart_or_empty(reviews, lambda: charts.adherence_chart(reviews), "No reviewed runs."),
        _reviews_table(reviews),
    ]
    if reviews:
        latest = reviews[-1]
        parts += [
            f"<h2>Latest reviewed run: {e(latest.date)}, {e(latest.label)}</h2>",
            _chart_or_empty(
                latest.trace, lambda: charts.trace_chart(latest), "No cadence trace stored."
            ),
        ]
    footer = "runcoach follows the runner's own reports; it gives no diagnosis."
    parts += [
        f"<footer>{e(footer)} {' '.join(e(n) for n in notes)}</footer>",
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _cards(rows: list[SessionRow], reviews: list[ReviewEntry], running: list[float]) -> str:
    done = sum(1 for r in rows if r.completed)
    flagged = sum(1 for r in rows if r.leak or r.heaviness or r.bleeding)
    cards = [
        ("sessions logged", str(len(rows))),
        ("completed", str(done)),
        ("stopped early", str(len(rows) - done)),
        ("running minutes", f"{sum(running) / 60:.0f}"),
        ("with leak, heaviness or bleeding", str(flagged)),
        ("runs reviewed", str(len(reviews))),
    ]
    inner = "".join(
        f'<div class="card"><b>{html.escape(v)}</b>{html.escape(k)}</div>' for k, v in cards
    )
    return f'<div class="cards">{inner}</div>'


def _chart_or_empty(items: Sequence[Any], draw: Any, empty: str) -> str:
    if not items:
        return f'<p class="empty">{html.escape(empty)}</p>'
    return f'<div class="chart">{draw()}</div>'


def _yes(value: bool | None) -> str:
    if value is None:
        return "–"
    return '<span class="yes">yes</span>' if value else "no"


def _num(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _sessions_table(rows: list[SessionRow]) -> str:
    if not rows:
        return '<p class="empty">No check-ins logged.</p>'
    e = html.escape
    head = (
        "<tr><th>Date</th><th>Session</th><th>Done</th><th>Leak</th><th>Heaviness</th>"
        "<th>Bleeding</th><th>Pain</th><th>Next day</th><th>Effort</th><th>Decision</th>"
        "<th>Why</th><th>Note</th></tr>"
    )
    body = []
    for r in rows:
        done = "yes" if r.completed else f"stopped at {_clock(r.stopped_at_seconds)}"
        body.append(
            f'<tr><td class="d">{e(r.date)}</td><td>{e(r.label)}</td><td>{e(done)}</td>'
            f"<td>{_yes(r.leak)}</td><td>{_yes(r.heaviness)}</td><td>{_yes(r.bleeding)}</td>"
            f'<td class="n">{_num(r.pain)}</td><td class="n">{_num(r.next_day_pain)}</td>'
            f'<td class="n">{_num(r.effort)}</td><td>{e(r.decision or "–")}</td>'
            f"<td>{e(r.reason or '')}</td><td>{e(r.note or '')}</td></tr>"
        )
    return f'<div class="scroll"><table>{head}{"".join(body)}</table></div>'


def _reviews_table(reviews: list[ReviewEntry]) -> str:
    if not reviews:
        return ""
    e = html.escape
    head = (
        "<tr><th>Date</th><th>Session</th><th>Mean cadence</th><th>In band</th>"
        "<th>Band</th><th>Moving</th></tr>"
    )
    body = []
    for entry in reviews:
        overall = entry.review.get("overall") or {}
        share = overall.get("in_band_fraction")
        body.append(
            f'<tr><td class="d">{e(entry.date)}</td><td>{e(entry.label)}</td>'
            f'<td class="n">{_num(overall.get("mean_spm"), 1)} spm</td>'
            f'<td class="n">{"–" if share is None else f"{100 * share:.0f} %"}</td>'
            f'<td class="n">±{_num(entry.review.get("tolerance_spm"), 0)} spm</td>'
            f'<td class="n">{_clock(overall.get("moving_seconds"))}</td></tr>'
        )
    return f'<div class="scroll"><table>{head}{"".join(body)}</table></div>'


def _clock(seconds: float | None) -> str:
    return "–" if seconds is None else format_seconds(seconds)


def _running_seconds(row: SessionRow, notes: list[str]) -> float:
    """The running time of a session: given, or the planned running segments up to where the
    runner stopped."""
    if row.running_seconds is not None:
        return float(row.running_seconds)
    if not row.program or row.week is None or row.session is None:
        return 0.0
    spans = _run_spans(row.program, row.week, row.session)
    if spans is None:
        note = f"Running minutes of {row.program} are not counted: the program was not found."
        if note not in notes:
            notes.append(note)
        return 0.0
    end = (
        float("inf") if row.completed or row.stopped_at_seconds is None else row.stopped_at_seconds
    )
    return sum(max(0.0, min(b, end) - a) for a, b in spans)


_SPANS: dict[tuple[str, int, int], list[tuple[float, float]] | None] = {}


def _run_spans(program: str, week: int, session: int) -> list[tuple[float, float]] | None:
    """The running segments of a program's session, as ``(start, end)`` seconds (cached)."""
    key = (program, week, session)
    if key not in _SPANS:
        from runcoach.errors import RunCoachError
        from runcoach.plans import load_program
        from runcoach.timeline import resolve

        try:
            plan = load_program(program).session(week, session)
            spans = [
                (float(s.start_seconds), float(s.start_seconds + s.duration_seconds))
                for s in resolve(plan).segments()
                if (s.spm_start + s.spm_end) / 2 >= WALK_BELOW_SPM
            ]
        except RunCoachError:
            spans = None
        _SPANS[key] = spans
    return _SPANS[key]
