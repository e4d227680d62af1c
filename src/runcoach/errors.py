"""The runcoach error hierarchy and the exit codes the command line maps them to.

Only the CLI catches these; everything below it raises them with a message that quotes the bad
value, so the one line a user sees says what was wrong and where.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Process exit codes of the ``runcoach`` command."""

    OK = 0
    ERROR = 1  #: an unexpected failure (a bug): reported with its type and message
    BAD_INPUT = 2  #: a bad plan, option or destination: nothing was written
    INTERRUPTED = 130  #: Ctrl-C or SIGTERM: nothing half-written was left behind


class RunCoachError(Exception):
    """Base of every error runcoach reports to a user."""

    exit_code: ExitCode = ExitCode.BAD_INPUT


class PlanError(RunCoachError):
    """A plan that cannot be read or makes no sense.

    The message reads ``source:line: field: problem``; each part is left out when unknown, so
    ``plans/run.yaml:12: segments[2].spm: must be between 60 and 240, got 1000``.
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.problem = problem
        self.source = source
        self.line = line
        self.field = field
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.source:
            where = self.source + (f":{self.line}" if self.line else "") + ": "
        elif self.line:
            where = f"line {self.line}: "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.problem}"

    def located(self, source: str) -> PlanError:
        """Return this error with ``source`` filled in where it was not known yet."""
        if self.source:
            return self
        return PlanError(self.problem, source=source, line=self.line, field=self.field)


class OptionError(RunCoachError):
    """A command-line option or API argument that cannot be used (e.g. ``--spm 500``)."""


class OutputError(RunCoachError):
    """A destination that cannot be written: the message names the path and the reason."""


class PlaybackError(RunCoachError):
    """No audio device, a backend that fails, or a device lost mid-session."""

    exit_code = ExitCode.ERROR
