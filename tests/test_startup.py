"""Start-up: each command imports only what it uses, and the help lists every command without
importing any of them (``runcoach.cli.COMMANDS``, checked here against the commands themselves).

Structural, not timed: a real ``python -X importtime -m runcoach ...`` per case, whose stderr
names every module the process imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer._click import Command, Context

from runcoach.cli import COMMANDS, base, register

#: The command modules: ``runcoach.cli.render`` and so on.
COMMAND_MODULES = {f"runcoach.cli.{module}" for module, _ in COMMANDS.values()}
HEAVY = ("numpy", "rich", "yaml", "matplotlib", "av", "soundfile", "miniaudio", "platformdirs")


def _first_paragraph(text: str) -> str:
    return text.split("\n\n")[0]


def _flat(text: str) -> str:
    return " ".join(text.split())


def run_traced(*args: str, env: dict[str, str] | None = None) -> tuple[set[str], str, str, int]:
    """Run ``python -X importtime -m runcoach ARGS`` with stdout a pipe; return the modules it
    imported, its stdout, the rest of its stderr and its exit code."""
    environ = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TYPER_USE_RICH")}
    environ.update(env or {})
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "runcoach", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )
    modules, errors = set(), []
    for line in done.stderr.splitlines():
        if line.startswith("import time:"):
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                modules.add(name)
        else:
            errors.append(line)
    return modules, done.stdout, "\n".join(errors), done.returncode


def _loaded(modules: set[str], package: str) -> list[str]:
    return sorted(m for m in modules if m == package or m.startswith(package + "."))


@pytest.fixture
def plans_dir(tmp_path: Path) -> dict[str, str]:
    """An empty user plan folder, so ``plans list`` shows the built-ins only."""
    folder = tmp_path / "plans"
    folder.mkdir()
    return {"RUNCOACH_PLANS_DIR": str(folder)}


def test_help_through_a_pipe_imports_no_command_and_nothing_heavy() -> None:
    modules, out, err, code = run_traced("--help")
    assert code == 0, err
    assert "runcoach.cli" in modules  # the trace works
    for package in HEAVY:
        assert _loaded(modules, package) == [], package
    assert sorted(modules & COMMAND_MODULES) == []
    assert "typer.rich_utils" not in modules
    # Plain click help, complete: every command with its whole one-line help, no boxes.
    assert out.startswith("Usage: ") and "runcoach [OPTIONS] COMMAND [ARGS]..." in out
    assert not set("╭╮╰╯│─") & set(out)
    listed = [
        line.split()[0] for line in out.split("Commands:\n")[1].splitlines() if line[2] != " "
    ]
    assert listed == list(COMMANDS)
    for _, help_text in COMMANDS.values():
        assert _flat(help_text) in _flat(out)


def test_version_and_a_mistyped_command_import_no_command() -> None:
    modules, out, _, code = run_traced("--version")
    assert (code, sorted(modules & COMMAND_MODULES)) == (0, [])
    assert out.startswith("runcoach ")
    # Suggestions come from the whole table, though no command was imported.
    modules, _, err, code = run_traced("plan")
    assert code == 2 and sorted(modules & COMMAND_MODULES) == []
    assert err.strip() == (
        "runcoach: error: No such command 'plan'. Did you mean 'plans', 'play'? "
        "(see `python -m runcoach --help`)"
    )


def test_a_command_help_imports_that_command_only() -> None:
    modules, out, err, code = run_traced("render", "--help")
    assert code == 0, err
    assert sorted(modules & COMMAND_MODULES) == ["runcoach.cli.render"]
    assert "--spm" in out and "--breath" in out
    assert _loaded(modules, "rich") == []  # plain help through a pipe
    assert _loaded(modules, "numpy") == []


def test_plans_list_imports_no_numpy_and_no_other_command(plans_dir: dict[str, str]) -> None:
    modules, out, err, code = run_traced("plans", "list", env=plans_dir)
    assert code == 0, err
    assert sorted(modules & COMMAND_MODULES) == ["runcoach.cli.plans"]
    assert _loaded(modules, "numpy") == []
    assert "typer.rich_utils" not in modules
    assert "yaml._yaml" in modules  # the built-ins are parsed with libyaml's C loader
    assert "intervals" in out and "return-to-run" in out


def test_forced_colour_gives_the_rich_help() -> None:
    modules, out, err, code = run_traced("--help", env={"FORCE_COLOR": "1"})
    assert code == 0, err
    assert "typer.rich_utils" in modules
    assert "Commands" in out and "╭" in out
    assert sorted(modules & COMMAND_MODULES) == []


def test_help_markup_follows_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setattr(sys, "stdout", Terminal())
    assert base.help_markup() == typer.core.DEFAULT_MARKUP_MODE
    monkeypatch.setattr(sys, "stdout", open(os.devnull, "w"))  # noqa: SIM115
    try:
        assert base.help_markup() is None
    finally:
        sys.stdout.close()


def _registered() -> dict[str, tuple[str, Command]]:
    """Every command registered on ``app`` once all modules are imported: name -> (the module
    that defines it, its click command)."""
    register()
    group = typer.main.get_group(base.app)
    where: dict[str, str] = {}
    for info in base.app.registered_commands:
        assert info.callback is not None
        name = info.name or typer.main.get_command_name(info.callback.__name__)
        where[name] = info.callback.__module__
    for group_info in base.app.registered_groups:
        sub = group_info.typer_instance
        assert sub is not None and group_info.name
        callback = sub.registered_commands[0].callback
        assert callback is not None
        where[group_info.name] = callback.__module__
    return {name: (where[name], command) for name, command in group.commands.items()}


def test_the_table_matches_every_command_and_its_module() -> None:
    registered = _registered()
    assert sorted(registered) == sorted(COMMANDS)
    for name, (module, help_text) in COMMANDS.items():
        defined_in, command = registered[name]
        assert defined_in == f"runcoach.cli.{module}", name
        assert command.short_help is None and not command.hidden, name
        # The table's help is the first paragraph of the command's own docstring, exactly.
        assert help_text == _first_paragraph(command.help or ""), (
            f"update COMMANDS[{name!r}] in src/runcoach/cli/__init__.py to the first paragraph "
            "of the command's docstring"
        )


@pytest.mark.parametrize("markup", [None, "rich"])
def test_the_lazy_listing_prints_what_the_commands_would(
    markup: str | None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    registered = _registered()
    monkeypatch.setattr(base.app, "rich_markup_mode", markup)
    monkeypatch.setenv("COLUMNS", "100")

    def top_help(lazy: bool) -> str:
        group = typer.main.get_group(base.app)
        if lazy:
            group.commands.clear()  # as `runcoach --help` starts: nothing imported
        with Context(group, info_name="runcoach") as ctx:
            text = group.get_help(ctx)  # rich prints its help; click returns it
        assert group.commands == {} if lazy else sorted(group.commands) == sorted(registered)
        return text + capsys.readouterr().out

    lazy, loaded = top_help(True), top_help(False)
    assert "Commands" in lazy and "render" in lazy
    assert lazy == loaded
