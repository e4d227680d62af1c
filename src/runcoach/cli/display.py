"""What ``runcoach play`` shows: a rich Live panel on a terminal, plain lines otherwise.

Everything ``play`` prints goes through here. The panel is laid out for a glance from a
treadmill: the segment name large and first, its time left, one bar for the whole session,
the cadence, the breath phase with its step count, and what comes next; it fits a 60-column
terminal. Without a terminal, one plain line per segment change (and per live change), then
the summary.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

from runcoach.live.status import key_hint_lines, session_bar, spm_text, summary_lines
from runcoach.plans.units import format_seconds

__all__ = ["PANEL_WIDTH", "LiveDisplay", "PlainDisplay", "panel", "plain_line", "summary_lines"]

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live

    from runcoach.live.status import Status, Summary

#: The widest the panel gets (it fits a 60-column terminal).
PANEL_WIDTH = 60


def _breath(status: Status) -> str:
    if status.phase is None:
        return "off" if status.breath.off else str(status.breath)
    word = "IN" if status.phase == "in" else "OUT"
    return f"{word} {status.phase_step}/{status.phase_steps}  ({status.breath})"


def _next(status: Status) -> str:
    if status.next_name is None:
        return "finish"
    return f"{status.next_name} · {format_seconds(status.next_seconds)} · {status.next_spm} spm"


def plain_line(status: Status) -> str:
    """One line for a segment start: ``1:00  3/14 Run  2:00  170 spm  breath 4:6``."""
    length = format_seconds(status.segment_frames / status.rate)
    return (
        f"{format_seconds(status.segment_start // status.rate)}  {status.segment_number}/"
        f"{status.segment_count} {status.segment}  {length}  "
        f"{status.spm_plan.replace('→', ' → ')} spm  "
        f"breath {status.breath}"
    )


class PlainDisplay:
    """Plain lines on a stream that is not a terminal: one per segment, one per live change."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._segment: tuple[int, int] | None = None
        self._note = 0
        self._header: str | None = None

    def start(self, header: str) -> None:
        """Keep the line that opens the session: it is printed once sound has started."""
        self._header = header

    def update(self, status: Status) -> None:
        """Print a line when a new segment starts or a live change happens."""
        if self._header is not None:
            self._write(self._header)
            self._header = None
        if status.note_serial != self._note and status.note:
            self._note = status.note_serial
            self._write(f"{format_seconds(status.position // status.rate)}  {status.note}")
        if status.segment_key != self._segment:
            self._segment = status.segment_key
            self._write(plain_line(status))

    def finish(self, summary: Summary) -> None:
        """Print the summary lines."""
        for line in summary_lines(summary):
            self._write(line)

    def close(self) -> None:
        """Nothing to restore."""

    def _write(self, line: str) -> None:
        self._out.write(line + "\n")
        self._out.flush()


def panel(status: Status, *, keys: bool, width: int = PANEL_WIDTH) -> RenderableType:
    """The live panel for ``status`` (``keys``: show the key hints)."""
    from rich import box
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    inner = width - 4
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=8, no_wrap=True, style="dim")
    grid.add_column(width=inner - 9, no_wrap=True, overflow="ellipsis")
    name = Text(status.segment.upper(), style="bold yellow" if status.paused else "bold cyan")
    if status.paused:
        name = Text("PAUSED  ", style="bold black on yellow") + name
    left = Text(f"{format_seconds(status.segment_left / status.rate)} left", style="bold")
    title = Table.grid(expand=True)
    title.add_column(no_wrap=True, overflow="ellipsis", ratio=1)
    title.add_column(no_wrap=True, justify="right")
    title.add_row(name, left)
    grid.add_row(f"{status.segment_number}/{status.segment_count}", title)
    played, total = status.position // status.rate, status.total_frames // status.rate
    clock = f"{format_seconds(played)} / {format_seconds(total)}"
    done, to_go = session_bar(status, inner - 9 - len(clock) - 1)
    bar = Text(done, style="bold cyan") + Text(to_go, style="dim") + Text(" " + clock)
    grid.add_row("session", bar)
    grid.add_row("cadence", Text(spm_text(status), style="bold"))
    grid.add_row("breath", Text(_breath(status), style="bold green" if status.phase else ""))
    grid.add_row("next", _next(status))
    if status.note:
        grid.add_row("", Text(status.note, style="italic"))
    body: RenderableType = grid
    if keys:
        hints = [Text(line, style="dim", no_wrap=True) for line in key_hint_lines(inner)]
        body = Group(grid, *hints)
    return Panel(
        body,
        title=f"runcoach · {status.plan_name}",
        title_align="left",
        box=box.ROUNDED,
        width=width,
    )


class LiveDisplay:
    """The rich Live panel, redrawn on each update; the summary stays below it.

    rich is imported and the panel drawn at the first update, once sound has started.
    """

    def __init__(self, *, keys: bool) -> None:
        self._keys = keys
        self._console: Console | None = None
        self._live: Live | None = None
        self._closed = False

    def start(self, header: str) -> None:
        """Nothing yet: the panel (whose title is the header) appears at the first update."""

    def _begin(self) -> Live:
        from rich.console import Console
        from rich.live import Live

        self._console = Console(highlight=False)
        self._live = Live(console=self._console, auto_refresh=False, transient=False)
        self._live.start()
        return self._live

    def update(self, status: Status) -> None:
        """Redraw the panel."""
        if self._closed:
            return
        live = self._live or self._begin()
        assert self._console is not None
        width = min(PANEL_WIDTH, self._console.width)
        live.update(panel(status, keys=self._keys, width=width), refresh=True)

    def finish(self, summary: Summary) -> None:
        """Stop drawing and print the summary."""
        self.close()
        if self._console is None:
            from rich.console import Console

            self._console = Console(highlight=False)
        for line in summary_lines(summary):
            self._console.print(line, highlight=False)

    def close(self) -> None:
        """Stop drawing (restores the cursor); safe to call twice."""
        self._closed = True
        live, self._live = self._live, None
        if live is not None:
            live.stop()
