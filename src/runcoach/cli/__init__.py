"""The ``runcoach`` command line. Commands register themselves on ``app`` when imported."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from importlib import import_module
from typing import Any

from runcoach.cli import base as _base
from runcoach.cli.base import Interrupted, exit_for

#: Each command's module; importing a module registers its commands on ``app``.
COMMANDS = {
    "render": "render",
    "play": "play",
    "export": "export",
    "plans": "plans",
    "workout": "workout",
    "import": "workout",
    "review": "review",
    "report": "review",
    "start": "coach",
    "today": "coach",
    "log": "coach",
    "resume": "coach",
    "history": "journal",
    "journal": "journal",
}


def register(argv: list[str] | None = None) -> None:
    """Register the commands on ``app``: only the one ``argv`` runs, when it names one (Typer
    builds every registered command's options at each call: start-up is a feature), else all
    of them (for help, completion and mistakes)."""
    wanted = COMMANDS.get(argv[0]) if argv else None
    for module in (wanted,) if wanted else sorted(set(COMMANDS.values())):
        import_module(f"runcoach.cli.{module}")


def __getattr__(name: str) -> Any:
    # ``runcoach.cli.base`` (for CliRunner and scripts): the app with every command registered.
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
    register(sys.argv[1:2])
    try:
        _base.app()
    except (KeyboardInterrupt, Interrupted) as err:  # between the commands' own handling
        sys.exit(int(exit_for(err)))
