"""The report's charts: matplotlib figures rendered to SVG elements for the page.

matplotlib is imported inside each function (only ``runcoach report`` pays for it), with the
SVG backend through ``Figure.savefig`` (no pyplot, no global state). Text stays text in the SVG
(small files, sharp at any zoom, no font to embed or fetch); the same data gives the same SVG.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from runcoach.coach.report_data import ReviewEntry, SessionRow


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


_RC: Any = {
    "svg.fonttype": "none",  # text stays text: small, sharp and readable at any zoom
    "svg.hashsalt": "runcoach",  # the same data gives the same file
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _figure(
    height: float = 2.6, rows: int = 1, ratios: list[int] | None = None
) -> tuple[Figure, list[Axes]]:
    from matplotlib.figure import Figure

    # 5 inches (360 pt) wide: on a phone the SVG is drawn near its own size, so 9 pt text
    # reads as 9 px or more.
    fig = Figure(figsize=(5.0, height), layout="constrained")
    grid = fig.subplots(
        rows,
        1,
        sharex=True,
        gridspec_kw={"height_ratios": ratios} if ratios else None,
        squeeze=False,
    )
    return fig, [row[0] for row in grid]


def _svg(fig: Figure) -> str:
    """The figure as an SVG element for the page: no XML prolog, no DTD link, no fixed size."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(
            buffer,
            format="svg",
            metadata={"Creator": None, "Date": None, "Format": None, "Type": None},
        )
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    # Inline SVG in HTML needs neither the xlink namespace nor a size in points (CSS sizes it).
    head, rest = svg.split(">", 1)
    head = re.sub(r'\s(?:xmlns:xlink|width|height)="[^"]*"', "", head)
    return head.replace("<svg", '<svg role="img"', 1) + ">" + rest


def _days(dates: Sequence[dt.date], first: dt.date) -> list[float]:
    """Dates as days since ``first`` (the charts' x axis; labelled by :func:`_day_axis`)."""
    return [float((d - first).days) for d in dates]


def _day_axis(ax: Axes, first: dt.date, last: dt.date) -> None:
    """Label at most seven evenly spread days, as ``3 May`` (with the year when it changes)."""
    span = max((last - first).days, 1)
    step = max(1, -(-span // 6))
    ticks = list(range(0, span + 1, step))
    years = {first.year, last.year}
    fmt = "%d %b %Y" if len(years) > 1 else "%d %b"
    labels = [(first + dt.timedelta(days=t)).strftime(fmt).lstrip("0") for t in ticks]
    ax.set_xticks(ticks, labels)
    ax.set_xlim(-0.7 if span > 1 else -1, span + (0.7 if span > 1 else 1))


def weekly_chart(rows: list[SessionRow], running: list[float]) -> str:
    import matplotlib

    weeks: dict[dt.date, float] = {}
    for row, seconds in zip(rows, running, strict=True):
        day = _day(row.date)
        monday = day - dt.timedelta(days=day.weekday())
        weeks[monday] = weeks.get(monday, 0.0) + seconds / 60
    first, last = min(weeks), max(weeks)
    mondays = [first + dt.timedelta(weeks=k) for k in range((last - first).days // 7 + 1)]
    every = max(1, -(-len(mondays) // 8))  # at most eight labels
    labels = [
        m.strftime("%d %b").lstrip("0") if k % every == 0 else "" for k, m in enumerate(mondays)
    ]
    with matplotlib.rc_context(_RC):
        fig, (ax,) = _figure(2.2)
        minutes = [weeks.get(m, 0.0) for m in mondays]
        bars = ax.bar(range(len(mondays)), minutes, width=0.7, color="#2f7d5b")
        ax.bar_label(bars, fmt="%.0f")
        ax.set_xticks(range(len(mondays)), labels)
        ax.set_ylabel("minutes running")
        ax.set_xlabel("week starting")
    return _svg(fig)


def symptom_chart(rows: list[SessionRow]) -> str:
    import matplotlib

    dates = [_day(r.date) for r in rows]
    days = _days(dates, dates[0])
    with matplotlib.rc_context(_RC):
        fig, (top, strip) = _figure(3.4, 2, [3, 1])
        for name, values, style in (
            ("pain during", [r.pain for r in rows], "o-"),
            ("pain next day", [r.next_day_pain for r in rows], "s--"),
        ):
            points = [(d, v) for d, v in zip(days, values, strict=True) if v is not None]
            if points:
                top.plot(
                    [d for d, _ in points], [v for _, v in points], style, label=name, markersize=4
                )
        top.axhspan(0, 3, color="#e3f1e8", zorder=0)  # 0-3 of 10: the safe range physios use
        top.set_ylim(0, 10)
        top.set_ylabel("pain (0-10)")
        if top.lines:
            top.legend(loc="lower left", bbox_to_anchor=(0, 1), frameon=False, ncols=2)
        kinds = ("leak", "heaviness", "bleeding")
        for level, kind in enumerate(kinds):
            hits = [d for d, r in zip(days, rows, strict=True) if getattr(r, kind)]
            strip.scatter(hits, [level] * len(hits), marker="x", color="#b3261e", s=28)
        strip.set_yticks(range(len(kinds)), list(kinds))
        strip.set_ylim(-0.7, len(kinds) - 0.3)
        _day_axis(strip, dates[0], dates[-1])
    return _svg(fig)


def adherence_chart(reviews: list[ReviewEntry]) -> str:
    import matplotlib

    labels = [_day(r.date).strftime("%d %b").lstrip("0") for r in reviews]
    shares = [
        100 * float((r.review.get("overall") or {}).get("in_band_fraction") or 0) for r in reviews
    ]
    with matplotlib.rc_context(_RC):
        fig, (ax,) = _figure(2.4)
        bars = ax.bar(range(len(reviews)), shares, color="#3b6ea8")
        ax.bar_label(bars, fmt="%.0f%%", fontsize=8)
        ax.set_xticks(range(len(reviews)), labels, rotation=45 if len(reviews) > 8 else 0)
        ax.set_ylim(0, 105)
        ax.set_ylabel("% of running time\nin the cadence band")
    return _svg(fig)


def trace_chart(entry: ReviewEntry) -> str:
    import matplotlib

    tolerance = float(entry.review.get("tolerance_spm") or 3)
    xs: list[float] = []
    lows: list[float] = []
    highs: list[float] = []
    for seg in entry.review.get("segments") or []:
        start = float(seg["start_seconds"]) / 60
        end = start + float(seg["duration_seconds"]) / 60
        for x, target in ((start, seg["target_spm_start"]), (end, seg["target_spm_end"])):
            xs.append(x)
            lows.append(float(target) - tolerance)
            highs.append(float(target) + tolerance)
    times = [t / 60 for t, s in entry.trace]
    values = [float("nan") if s is None else s for _, s in entry.trace]
    with matplotlib.rc_context(_RC):
        fig, (ax,) = _figure(2.8)
        ax.fill_between(xs, lows, highs, color="#bfe0cc", label=f"target ±{tolerance:g} spm", lw=0)
        ax.plot(times, values, color="#1d2327", lw=1.2, label="recorded")
        ax.set_xlabel("minutes into the session")
        ax.set_ylabel("steps per minute")
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1), frameon=False, ncols=2)
    return _svg(fig)
