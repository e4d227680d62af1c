"""The export progress bar on a terminal: sessions done and audio time, never raw frame counts
(issue 14). Run under a pseudo-terminal, since the bar only shows on one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from runcoach.plans.units import format_seconds

pty = pytest.importorskip("pty")

EXE = str(Path(sys.executable).parent / "runcoach")


def _on_a_terminal(args: list[str], cwd: Path) -> str:
    """Run ``runcoach ARGS`` with stdout and stderr on a pseudo-terminal; what it showed."""
    main, secondary = os.openpty()
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm"}
    proc = subprocess.Popen(
        [EXE, *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
        env=env,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(main)
    assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")
    text = b"".join(chunks).decode(errors="replace")
    return re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", text).replace("\r", "\n")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a Linux pseudo-terminal")
def test_the_bar_counts_sessions_and_audio_time(tmp_path):
    (tmp_path / "short.yaml").write_text(
        "name: Short\nspm: 170\nsegments:\n  - {name: Run, duration: 50s}\n"
        "  - {name: Walk, duration: 25s, spm: 115}\n"
    )
    total = 50 + 25  # seconds of audio: the two segments
    shown = _on_a_terminal(["export", "short.yaml", "out", "-f", "wav", "-j", "1"], tmp_path)
    bars = [line for line in shown.splitlines() if line.startswith("Rendering 1 session")]
    assert bars, shown
    clock = format_seconds(total)
    assert f"100% 1/1 session · {clock}/{clock}" in bars[-1]
    assert not re.search(r"\d{6,}", "\n".join(bars))  # no frame counts
