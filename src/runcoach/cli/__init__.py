"""The ``runcoach`` command line. Commands register themselves on ``app`` when imported."""

from __future__ import annotations

import os
import signal
import sys

from runcoach.cli import export, plans, play, render  # noqa: F401  (registers the commands)
from runcoach.cli._common import Interrupted, _on_sigterm, app
from runcoach.errors import ExitCode

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``runcoach`` console script."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    if hasattr(signal, "SIGXFSZ"):
        # Past a file size limit, make writes fail with EFBIG (reported) instead of killing us.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        app()
    except (KeyboardInterrupt, Interrupted):
        sys.stderr.write("\nruncoach: interrupted\n")
        sys.exit(int(ExitCode.INTERRUPTED))
    except Exception as err:  # a bug: say so in one line, keep the traceback for debugging
        if os.environ.get("RUNCOACH_DEBUG"):
            raise
        sys.stderr.write(
            f"runcoach: unexpected error ({type(err).__name__}: {err}); this is a bug, please "
            "report it (set RUNCOACH_DEBUG=1 to see the traceback)\n"
        )
        sys.exit(int(ExitCode.ERROR))
