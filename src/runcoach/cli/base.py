"""The ``runcoach`` application: the Typer app every command registers on, and the one place that
turns what a command raises into one line on stderr and an exit code.

Commands only parse, call the core and print; they raise. :class:`_Group` wraps every command
(under ``main`` and under Typer's ``CliRunner`` alike): a :class:`~runcoach.errors.RunCoachError`
becomes ``runcoach: error: <message>`` and its exit code, a usage mistake one line and exit 2,
Ctrl-C or SIGTERM exit 130, anything else a one-line bug report and exit 1 (httpie's
``raw_main`` is the model).
"""

from __future__ import annotations

import os
import sys
from difflib import get_close_matches
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
import typer.core
import typer.main

try:  # typer 0.28 carries its own copy of click
    from typer._click import exceptions as _click
except ImportError:  # pragma: no cover - earlier typer uses click itself
    from click import exceptions as _click  # type: ignore[no-redef]

from runcoach._version import __version__
from runcoach.errors import ExitCode, RunCoachError

if TYPE_CHECKING:
    from rich.console import Console


class Interrupted(BaseException):
    """Raised in the main thread on SIGTERM or SIGHUP, so clean-up runs as for Ctrl-C."""


def say(message: str) -> None:
    """Write one line to stderr (warnings and errors; control characters made harmless)."""
    from runcoach.plans.units import clean_text

    sys.stderr.write(clean_text(message) + "\n")
    sys.stderr.flush()


#: Widest a table or chart gets, so it reads the same in any terminal of 80 columns or more.
MAX_WIDTH = 100


def make_console() -> Console:
    """A rich console for tables and charts on stdout, at most :data:`MAX_WIDTH` wide."""
    from rich.console import Console

    console = Console(highlight=False)
    console.width = min(console.width, MAX_WIDTH)
    return console


def exit_for(err: BaseException) -> ExitCode:
    """Report ``err`` in one line on stderr and return the exit code it maps to."""
    if isinstance(err, RunCoachError):
        say(f"runcoach: error: {err}")
        return err.exit_code
    if isinstance(err, (KeyboardInterrupt, Interrupted)):
        if _is_terminal(sys.stderr):
            sys.stderr.write("\n")  # off the line where the terminal echoed ^C
        say("runcoach: interrupted (nothing half-written was left behind)")
        return ExitCode.INTERRUPTED
    if isinstance(err, _click.NoArgsIsHelpError):
        sys.stderr.write(err.format_message() + "\n")
        return ExitCode.BAD_INPUT
    if isinstance(err, _click.BadParameter) and err.param is not None and err.param.opts:
        name = max(err.param.opts, key=len)  # --spm rather than -s
        joint = " " if err.message.startswith("must ") else ": "
        say(f"runcoach: error: {name}{joint}{err.message}")
        return ExitCode.BAD_INPUT
    if isinstance(err, _click.UsageError):
        where = err.ctx.command_path if err.ctx is not None else "runcoach"
        say(f"runcoach: error: {err.format_message()} (see `{where} --help`)")
        return ExitCode.BAD_INPUT
    if isinstance(err, _click.ClickException):
        say(f"runcoach: error: {err.format_message()}")
        return ExitCode.BAD_INPUT
    if isinstance(err, BrokenPipeError):  # `runcoach plans show big | head`: nothing to say
        _quiet_stdout()
        return ExitCode.ERROR
    if isinstance(err, OSError) and err.filename:  # a file the core did not expect to fail
        say(f"runcoach: error: {err.filename}: {err.strerror or err}")
        return ExitCode.BAD_INPUT
    say(
        f"runcoach: unexpected error ({type(err).__name__}: {err}); this is a bug, please "
        "report it (set RUNCOACH_DEBUG=1 to see the traceback)"
    )
    return ExitCode.ERROR


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that Python's last flush at exit finds no closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real stdout (a test runner's)
        pass


def fail(err: BaseException) -> NoReturn:
    """Report ``err`` and stop the command with its exit code."""
    raise typer.Exit(int(exit_for(err)))


def help_markup() -> typer.core.MarkupMode:
    """Typer's rich help for a terminal; click's plain help for a pipe or a file: the same text
    without boxes or colours, and without importing rich (about 80 ms of start-up)."""
    terminal = _is_terminal(sys.stdout) or bool(os.environ.get("FORCE_COLOR"))
    return typer.core.DEFAULT_MARKUP_MODE if terminal else None


def _command_table() -> dict[str, tuple[str, str]]:
    """``runcoach.cli.COMMANDS``: each command's module and one-line help."""
    from runcoach.cli import COMMANDS

    return COMMANDS


class ListedGroup(typer.core.TyperGroup):
    """A command group whose plain help (a pipe, a file) lists each command's whole one-line
    help, as the rich help does, where click would cut it at the first full stop or the width."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                text = command.short_help or (command.help or "").split("\n\n")[0]
                rows.append((name, " ".join(word for word in text.split() if word != "\b")))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class _Group(ListedGroup):
    """The command group: every command runs inside the one error mapping, and each command's
    module is imported only when that command runs or shows its help (click's lazy group). The
    group's help lists the commands from :data:`runcoach.cli.COMMANDS` without importing them."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(_command_table())

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = self.commands.get(cmd_name)
        entry = _command_table().get(cmd_name)
        if command is not None or entry is None:
            return command
        if self._listing:  # a stand-in that carries what the list shows
            return typer.core.TyperCommand(cmd_name, help=entry[1])
        # Importing the module registers its commands on ``app``. ``__import__``, unlike
        # ``importlib.import_module``, shows in ``python -X importtime``.
        __import__(f"runcoach.cli.{entry[0]}")
        self.commands.update(typer.main.get_group(app).commands)
        return self.commands.get(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        # Typer suggests from the commands built so far; suggest from every command instead.
        suggest, self.suggest_commands = self.suggest_commands, False
        try:
            return super().resolve_command(ctx, args)
        except _click.UsageError as err:
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if suggest and matches:
                suggestions = ", ".join(f"{m!r}" for m in matches)
                err.message = f"{err.message.rstrip('.')}. Did you mean {suggestions}?"
            raise
        finally:
            self.suggest_commands = suggest

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort):
            raise
        except (Exception, KeyboardInterrupt, Interrupted) as err:
            if os.environ.get("RUNCOACH_DEBUG") and not isinstance(
                err, (RunCoachError, _click.ClickException, KeyboardInterrupt, Interrupted)
            ):
                raise
            fail(err)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Any = None,
        **extra: Any,
    ) -> Any:
        # Parse errors of the top level (before any command runs) are one line too.
        try:
            return super().make_context(info_name, args, parent, **extra)
        except _click.ClickException as err:
            fail(err)


app = typer.Typer(
    name="runcoach",
    cls=_Group,
    help="A cadence and breathing coach for runners: metronome clicks at your target cadence, "
    "breath cues (inhale 4 steps, exhale 6) and run/walk intervals, rendered to audio files or "
    "played live.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"runcoach {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """A cadence and breathing coach for runners."""
