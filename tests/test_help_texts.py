"""Help texts in one style (issue 14): every command's ``--help`` shows defaults one way, Typer's
``[default: …]``, never also "(default …)" in the text, and every limit of ``plans.units`` an
option enforces appears in that option's help.

The commands are walked from the app itself, so a new command or option is checked too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from runcoach.cli import app
from runcoach.plans.units import (
    MAX_DB,
    MAX_RATE,
    MAX_SPM,
    MAX_VOLUME,
    MIN_DB,
    MIN_RATE,
    MIN_SPM,
    MIN_VOLUME,
)

#: Options and the ``plans.units`` limits they enforce.
LIMITS = {
    "--spm": (MIN_SPM, MAX_SPM),
    "--sample-rate": (MIN_RATE, MAX_RATE),
    "--volume": (MIN_VOLUME, MAX_VOLUME),
    "--click-db": (MIN_DB, MAX_DB),
    "--cue-db": (MIN_DB, MAX_DB),
    "--voice-db": (MIN_DB, MAX_DB),
    "--music-db": (MIN_DB, MAX_DB),
}


def _commands():
    """(path, click command) of every command, subcommands included."""
    root = _root()

    def walk(group, path):
        ctx = group.make_context(" ".join(path) or "runcoach", [], resilient_parsing=True)
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if hasattr(command, "list_commands"):
                yield from walk(command, [*path, name])
            else:
                yield [*path, name], command

    return list(walk(root, []))


def _root():
    import typer

    return typer.main.get_command(app)


COMMANDS = _commands()


def _flat(text: str) -> str:
    """The help with the table borders and line breaks gone (a long help wraps)."""
    return re.sub(r"[\s│]+", " ", text)


def _number(value: float) -> str:
    return f"{value:g}"


def test_the_walk_finds_every_command():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"render", "export", "play", "plans show", "journal import", "log"} <= names
    assert len(names) >= 15


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p))
def test_help_shows_defaults_one_way_and_every_range(path):
    command = dict((" ".join(p), c) for p, c in COMMANDS)[" ".join(path)]
    result = CliRunner().invoke(
        app, [*path, "--help"], terminal_width=200, env={"COLUMNS": "200", "NO_COLOR": "1"}
    )
    assert result.exit_code == 0, result.output
    shown = _flat(result.output)
    for param in command.params:
        name = param.opts[0]
        text = getattr(param, "help", None) or ""
        # The default is Typer's [default: …], never also in the sentence.
        assert "(default" not in text.lower() and "default:" not in text.lower(), (name, text)
        if isinstance(getattr(param, "show_default", None), str):
            # Typer puts a described default in brackets: ``[default: (today)]``.
            assert f"[default: ({param.show_default})]" in shown, (name, param.show_default)
        if name in LIMITS:
            low, high = LIMITS[name]
            assert _number(low) in text and _number(high) in text, (name, text)
    assert "(default" not in shown.lower()


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--spm", str(MAX_SPM + 1)),
        ("--spm", str(MIN_SPM - 1)),
        ("--sample-rate", str(MAX_RATE + 1)),
        ("--volume", str(MAX_VOLUME + 0.5)),
        ("--click-db", str(MAX_DB + 1)),
        ("--music-db", str(MIN_DB - 1)),
    ],
)
def test_the_limits_in_the_help_are_the_ones_enforced(option, value, tmp_path):
    """The table above is right: each option refuses a value just past its limit (exit 2)."""
    out = tmp_path / "x.wav"
    result = CliRunner().invoke(
        app, ["render", "--duration", "1m", "-o", str(out), f"{option}={value}"]
    )
    assert result.exit_code == 2, result.output
    assert not out.exists()


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p))
def test_every_value_is_named_in_words_not_by_its_python_type(path):
    # A metavar says what to give (FILE, TIME, N, IN:OUT); without one, the plain help (a
    # pipe) shows the Python type (<str>, <int range>).
    command = dict((tuple(p), c) for p, c in COMMANDS)[tuple(path)]
    for param in command.params:
        if getattr(param, "is_flag", False) or param.param_type_name not in ("option", "argument"):
            continue
        assert param.metavar, (path, param.name)


@pytest.mark.parametrize("command", [["play"], ["review"], ["plans", "new"], ["log"]])
def test_plain_help_through_a_pipe_names_no_python_type(command):
    done = subprocess.run(
        [sys.executable, "-m", "runcoach", *command, "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "100", "NO_COLOR": "1"},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Usage: " in done.stdout and "[OPTIONS]" in done.stdout
    assert not re.search(r"<(str|int|float|path|int range|float range)>", done.stdout)
