"""What the benchmark scripts share: finding the installed ``runcoach`` command."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def runcoach_exe(given: str | None = None, *, who: str = "bench") -> str:
    """``given``, else the ``runcoach`` script beside this Python, else the one on PATH."""
    if given:
        return given
    beside = Path(sys.executable).parent / "runcoach"
    if beside.exists():
        return str(beside)
    found = shutil.which("runcoach")
    if found is None:
        raise SystemExit(f"{who}: the runcoach command is not installed; run: pip install .")
    return found
