"""Every command the README shows runs as written, in a fresh folder (a new user's first hour).

Each fenced shell block of README.md is run line by line in order with bash, in a temporary
folder holding a copy of ``examples/``, with its own HOME, journal and plan folder. Lines that
install things, run the test tools or benchmarks, or need a sound card (``runcoach play``) are
passed over and counted; every other ``runcoach`` or ``python examples/`` line must exit 0.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: Lines run: the commands a reader types.
RUN = re.compile(r"^(runcoach |python examples/|export [A-Z_]+=)")
#: Lines passed over, and why: installs, the developer's tools, the sound card, benchmarks.
PASS_OVER = re.compile(r"^(runcoach play\b|python bench/|pip |apt-get |python3 -m venv )")


def _blocks() -> list[list[str]]:
    """The shell lines of each fenced block with no language or a shell one."""
    blocks = []
    for lang, body in re.findall(r"```(\w*)\n(.*?)```", README, re.DOTALL):
        if lang not in ("", "sh", "bash", "shell"):
            continue
        lines = []
        for raw in body.splitlines():
            line = re.sub(r"\s{2,}#.*$", "", raw).strip()  # a comment after the command
            if RUN.match(line) and not PASS_OVER.match(line):
                lines.append(line)
        if lines:
            blocks.append(lines)
    return blocks


def test_the_readme_has_commands_to_run():
    lines = [line for block in _blocks() for line in block]
    assert len(lines) >= 40
    assert any(line.startswith("runcoach render") for line in lines)
    assert any(line.startswith("runcoach today") for line in lines)


@pytest.mark.slow
def test_every_readme_command_runs_as_written(tmp_path):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = dict(os.environ)
    env.update(
        HOME=str(tmp_path / "home"),
        RUNCOACH_JOURNAL=str(tmp_path / "journal.sqlite3"),
        RUNCOACH_PLANS_DIR=str(tmp_path / "plans"),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    (tmp_path / "home").mkdir()
    failures = []
    for block in _blocks():
        script = ["set -u"]
        for line in block:
            quoted = line.replace("'", "'\\''")
            script.append(f"{line} >/dev/null 2>err.txt || {{ echo '{quoted}'; cat err.txt; }}")
        done = subprocess.run(
            ["bash", "-c", "\n".join(script)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if done.stdout.strip():
            failures.append(done.stdout.strip())
    assert not failures, "README commands that failed:\n" + "\n".join(failures)
