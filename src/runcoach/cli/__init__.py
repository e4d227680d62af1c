"""The ``runcoach`` command line. Commands register themselves on ``app`` when imported."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import Any

from runcoach.cli import base as _base
from runcoach.cli.base import Interrupted, exit_for

#: Every command, in the order the help lists them: its module (importing it registers the
#: command on ``app``) and its one-line help, the first paragraph of its docstring (or of its
#: group's ``help``) exactly, so ``runcoach --help`` lists the commands without importing any.
#: ``tests/test_startup.py`` checks the table against the commands themselves.
COMMANDS: dict[str, tuple[str, str]] = {
    "start": (
        "coach",
        "Enrol in a program at your cadence; `runcoach today` then says what to do.",
    ),
    "today": (
        "coach",
        "What to do today: the session, or a rest day, or a stop, and the check-in that decided.",
    ),
    "log": (
        "coach",
        "The check-in after a session, or with --next-day the check 24 hours later.",
    ),
    "resume": (
        "coach",
        "After a stop: you have been seen by a health professional and wish to go on running.",
    ),
    "export": (
        "export",
        "Render every session of a program (or a plan) into a folder, with an M3U playlist.",
    ),
    "history": (
        "journal",
        "Your sessions and check-ins, a weekly summary and a chart of running minutes.",
    ),
    "play": (
        "play",
        "Play a session live, with a display and keys to pause, skip and change the cadence.",
    ),
    "render": ("render", "Render a session to an audio file to copy to a phone."),
    "review": (
        "review",
        "Review a recorded run against the planned session: cadence held, segment by segment.",
    ),
    "report": (
        "review",
        "Write a self-contained HTML report for your physiotherapist: sessions, running minutes\n"
        "per week, symptoms, decisions and cadence adherence, with charts; no network needed.",
    ),
    "workout": ("workout", "Write a session as a workout for a watch (.fit) or Zwift (.zwo)."),
    "import": ("workout", "Turn a workout from another tool into a runcoach plan file."),
    "journal": ("journal", "Back up, move or share the journal of sessions and check-ins."),
    "plans": (
        "plans",
        "List, show, check and create plans and multi-week programs. Alone: the list.",
    ),
}


def register() -> None:
    """Import every command module, registering every command on ``app`` (for scripts and
    ``CliRunner``; ``runcoach`` itself imports a command's module only when it is used)."""
    for module in sorted({module for module, _ in COMMANDS.values()}):
        __import__(f"runcoach.cli.{module}")  # shows in ``python -X importtime``


def __getattr__(name: str) -> Any:
    # ``runcoach.cli.app`` (for CliRunner and scripts): the app with every command registered.
    if name == "app":
        register()
        return _base.app
    raise AttributeError(f"module 'runcoach.cli' has no attribute {name!r}")


__all__ = ["app", "main"]

#: Signals that stop a command cleanly: Ctrl-C, ``kill``, and a terminal that closes.
_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def _stop(signum: int, frame: object) -> None:
    """Interrupt the command on the first stop signal and ignore the ones after it, so a second
    Ctrl-C cannot cut short the clean-up the first one started (removing a half-written file)."""
    for sig in _STOP_SIGNALS:
        # A Python no-op, not SIG_IGN: a signal already caught but not yet handled would then
        # raise "ignored due to race condition".
        signal.signal(sig, _ignore)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Interrupted()


def _ignore(signum: int, frame: object) -> None:
    """Swallow a stop signal that comes after the first."""


def _tolerant_streams() -> None:
    """Let stdout and stderr write any text: a terminal or pipe whose encoding cannot hold a
    character (``PYTHONIOENCODING=ascii``, the C locale) gets ``?`` for it, not a crash."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # a stream already closed
                reconfigure(errors="replace")


def main() -> None:
    """Entry point of the ``runcoach`` console script."""
    # runcoach does no linear algebra: spare numpy's BLAS its thread pool (faster start-up).
    for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    for sig in _STOP_SIGNALS:
        if signal.getsignal(sig) is not signal.SIG_IGN:  # keep what nohup or `&` asked for
            signal.signal(sig, _stop)
    if hasattr(signal, "SIGXFSZ"):
        # Past a file size limit, make writes fail with EFBIG (reported) instead of killing us.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    _tolerant_streams()
    _base.app.rich_markup_mode = _base.help_markup()
    try:
        _base.app()
    except (KeyboardInterrupt, Interrupted) as err:  # between the commands' own handling
        sys.exit(int(exit_for(err)))
