"""The runner's library of plans and programs: what is available, checking files, starting new
ones.

Built-ins ship in :mod:`runcoach.plans`; the user's own files live in the user plan folder
(:func:`runcoach.plans.loader.user_plans_dir`), where a file of a built-in's name shadows it.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from runcoach.errors import OptionError, OutputError, PlanError, RunCoachError
from runcoach.plans.catalogue import builtin_text, load_any, read_file
from runcoach.plans.loader import (
    PLANS_DIR_ENV,
    builtin_plan_names,
    builtin_program_names,
    read_input,
    user_plan_files,
    user_plans_dir,
)
from runcoach.plans.model import Plan
from runcoach.plans.programs import Program
from runcoach.plans.units import clean_text

#: File names of the JSON Schemas that ``new_plan_file`` keeps next to the user's plans.
PLAN_SCHEMA_FILE = "runcoach-plan.schema.json"
PROGRAM_SCHEMA_FILE = "runcoach-program.schema.json"

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Entry:
    """One plan or program a runner can use, summarised for a listing.

    ``origin`` is ``"built-in"`` or ``"user"``; ``shadows`` is set on a user file named like a
    built-in (``--plan NAME`` finds the user's), ``shadowed`` on that built-in. ``seconds`` and
    ``spm`` are the (lowest, highest) session length and cadence at the base cadence given to
    :func:`catalogue`; ``error`` the problem of a user file that does not load.
    """

    name: str
    kind: str  # "plan" or "program"
    origin: str  # "built-in" or "user"
    title: str = ""
    description: str = ""
    path: Path | None = None
    seconds: tuple[float, float] = (0.0, 0.0)
    spm: tuple[float, float] = (0.0, 0.0)
    weeks: int = 0
    sessions: int = 0
    shadows: bool = False
    shadowed: bool = False
    error: str | None = field(default=None)


def catalogue(spm: float | None = None) -> list[Entry]:
    """Every plan and program available by name: the user's first, then the built-in plans and
    programs. Each is resolved at base cadence ``spm`` (``None``: its own). A user file that
    does not load is listed with its ``error``; a bad ``spm`` raises ``OptionError``.
    """
    builtins = set(builtin_plan_names()) | set(builtin_program_names())
    users = user_plan_files()
    entries: list[Entry] = []
    for name, path in users.items():
        try:
            item = read_file(path)
            entries.append(_entry(name, item, "user", path, spm, shadows=name in builtins))
        except PlanError as err:
            kind = "program" if _mentions_weeks(path) else "plan"
            entries.append(
                Entry(
                    name, kind, "user", path=path, error=_brief(err, path), shadows=name in builtins
                )
            )
    for name in builtin_plan_names():
        entries.append(
            _entry(name, load_any_builtin(name), "built-in", None, spm, shadowed=name in users)
        )
    for name in builtin_program_names():
        entries.append(
            _entry(name, load_any_builtin(name), "built-in", None, spm, shadowed=name in users)
        )
    return entries


def _brief(err: PlanError, path: Path | None) -> str:
    """The problem, without the file name when it is the listed file itself."""
    if path is None or err.source != str(path):
        return str(err)
    line = f"line {err.line}: " if err.line else ""
    field_part = f"{err.field}: " if err.field else ""
    return f"{line}{field_part}{err.problem}"


def load_any_builtin(name: str) -> Plan | Program:
    """A built-in plan or program by name, even when a user file shadows it."""
    from runcoach.plans.catalogue import builtin_program
    from runcoach.plans.loader import builtin_plan

    return builtin_plan(name) if name in builtin_plan_names() else builtin_program(name)


def _mentions_weeks(path: Path) -> bool:
    """True when a file that does not load looks like a program (read like any plan file: a
    FIFO, a device or a huge file is never read)."""
    try:
        text = read_input(path).decode("utf-8", errors="replace")
    except PlanError:
        return False
    return re.search(r"^weeks\s*:", text, re.MULTILINE) is not None


def _entry(
    name: str,
    item: Plan | Program,
    origin: str,
    path: Path | None,
    spm: float | None,
    *,
    shadows: bool = False,
    shadowed: bool = False,
) -> Entry:
    from runcoach.outlines import summaries

    if isinstance(item, Plan):
        plans = [item]
        weeks, count, kind = 0, 1, "plan"
    else:
        plans = [plan for _, _, plan in item.sessions()]
        weeks, count, kind = len(item.weeks), len(plans), "program"
    lengths: list[Fraction] = []
    cadences: list[Fraction] = []
    try:
        for brief in summaries(plans, spm):  # from the plan trees: repeats not expanded
            lengths.append(brief.total_seconds)
            cadences += (brief.spm_low, brief.spm_high)
    except PlanError as err:
        if origin != "user":
            raise
        return Entry(
            name,
            kind,
            origin,
            item.name,
            item.description,
            path,
            error=_brief(err, path),
            shadows=shadows,
        )
    return Entry(
        name,
        kind,
        origin,
        item.name,
        item.description,
        path,
        seconds=(float(min(lengths)), float(max(lengths))),
        spm=(float(min(cadences)), float(max(cadences))),
        weeks=weeks,
        sessions=count,
        shadows=shadows,
        shadowed=shadowed,
    )


@dataclass(frozen=True)
class Checked:
    """The result of checking one plan or program: what loaded, and every problem found."""

    name: str
    item: Plan | Program | None
    problems: list[PlanError]

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems


def check(name_or_path: str | os.PathLike[str], spm: float | None = None) -> Checked:
    """Load a plan or program and resolve it (every session of a program) at base cadence
    ``spm`` (``None``: its own), collecting the problems as ``PlanError`` with file, line and
    field. A bad ``spm`` raises ``OptionError``.
    """
    from runcoach.timeline import resolve

    name = os.fspath(name_or_path)
    try:
        item = load_any(name_or_path)
    except PlanError as err:
        return Checked(name, None, [err if err.source else err.located(name)])
    problems: list[PlanError] = []
    seen: set[str] = set()
    sessions = [item] if isinstance(item, Plan) else [plan for _, _, plan in item.sessions()]
    fine: set[tuple[int, Fraction]] = set()  # sessions sharing segments and base: checked once
    for plan in sessions:
        if (id(plan.segments), plan.spm) in fine:
            continue
        try:
            resolve(plan, spm=spm)  # a program's session: located in the program file
            fine.add((id(plan.segments), plan.spm))
        except PlanError as err:
            located = err if err.source else err.located(name)
            if str(located) not in seen:  # a plan shared by many sessions: report it once
                seen.add(str(located))
                problems.append(located)
    return Checked(name, item, problems)


def problem_line(err: PlanError) -> str:
    """``file:line: field.path: problem``; without a line when the problem is the whole file
    (a missing or unreadable one), never a made-up one."""
    field_part = f"{err.field}: " if err.field else ""
    line_part = f":{err.line}" if err.line else ""
    return f"{err.source or '<plan>'}{line_part}: {field_part}{err.problem}"


def check_new_name(name: str) -> str:
    """Check a name for a new plan file (letters, digits, ``-`` and ``_``); strip a ``.yaml`` or
    ``.yml`` ending. Raises ``OptionError``."""
    stem = name[: -len(Path(name).suffix)] if name.endswith((".yaml", ".yml")) else name
    if not _SAFE_NAME.match(stem):
        raise OptionError(
            f"a plan name is 1-64 letters, digits, '-' or '_', starting with a letter or digit "
            f"(it becomes the file name), got {name!r}"
        )
    return stem


def new_plan_file(name: str, *, program: bool = False, template: str | None = None) -> Path:
    """Write a commented starter plan (or program, or a copy of ``template``: a built-in's name,
    one of the user's, or a file) as ``NAME.yaml`` in the user plan folder, creating the folder,
    and keep the JSON Schemas next to it for editors. Never overwrites; the file appears whole
    or not at all (written beside, then linked into place).

    Returns the new file's path. Raises ``OptionError`` for a bad name, ``OutputError`` when the
    file exists or the folder cannot be written, ``PlanError`` for a template that does not load.
    """
    from runcoach.sinks.atomic import atomic_output

    stem = check_new_name(name)
    folder = plans_folder_for_writing()
    if template is not None:
        text, program = _copy_of(template, stem)
    else:
        text = starter_program(stem) if program else starter_plan(stem)
    path = folder / f"{stem}.yaml"
    for existing in (path, folder / f"{stem}.yml"):
        if os.path.lexists(existing):
            raise OutputError(
                f"{existing} already exists; runcoach never overwrites a plan: edit it, or "
                "choose another name"
            )
    with atomic_output(path, replace=False) as handle:
        handle.write(text.encode("utf-8"))
    write_schemas(folder)
    return path


def plans_folder_for_writing() -> Path:
    """The user plan folder, created if missing. Raises ``OutputError`` saying what is wrong
    when it cannot be: a file in its place, a symbolic link that loops, ``~user`` for a user
    who does not exist, no permission."""
    import errno

    env = os.environ.get(PLANS_DIR_ENV, "").strip()
    folder = user_plans_dir()
    named = f"{folder} (from ${PLANS_DIR_ENV})" if env else str(folder)
    if env.startswith("~") and str(folder).startswith("~"):
        user = env[1:].split("/", 1)[0]
        raise OutputError(
            f"{named}: there is no user {user!r} whose home folder ~{user} could be; "
            f"set ${PLANS_DIR_ENV} to a folder"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        pass  # something that is not a folder: said below
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise OutputError(f"{named}: a symbolic link that loops, not a folder") from None
        if err.errno == errno.ENOTDIR:
            raise OutputError(f"{named}: part of the path is a file, not a folder") from None
        raise OutputError(f"{named}: cannot create the folder: {err.strerror or err}") from None
    try:
        info = folder.stat()
    except OSError as err:
        why = "a symbolic link that loops" if err.errno == errno.ELOOP else err.strerror
        raise OutputError(f"{named}: {why}, not a folder") from None
    if not stat.S_ISDIR(info.st_mode):
        raise OutputError(f"{named}: is a file, not a folder; move it away or set ${PLANS_DIR_ENV}")
    return folder


def write_schemas(folder: Path) -> None:
    """Write (or refresh) the plan and program JSON Schemas in ``folder``; best effort."""
    from runcoach.plans.schema import plan_schema, program_schema
    from runcoach.sinks.atomic import atomic_output

    for file_name, schema in (
        (PLAN_SCHEMA_FILE, plan_schema()),
        (PROGRAM_SCHEMA_FILE, program_schema()),
    ):
        data = (json.dumps(schema, indent=2) + "\n").encode("utf-8")
        target = folder / file_name
        try:
            if os.path.lexists(target) and read_input(target, what="schema") == data:
                continue
        except PlanError:
            continue  # not a regular file, or too large: not ours to replace
        try:
            with atomic_output(target) as handle:
                handle.write(data)
        except RunCoachError:
            pass  # the schema only helps editors; the plan itself was written


def _title(stem: str) -> str:
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:]


def _copy_of(template: str, stem: str) -> tuple[str, bool]:
    """The text of ``template`` with its name replaced, and whether it is a program."""
    if not template.strip():
        raise OptionError("--from needs a plan or program name or file")
    item = load_any(template)
    if template in builtin_plan_names() + builtin_program_names() and not _is_user_name(template):
        text = builtin_text(template)
        origin = f"the built-in {'program' if isinstance(item, Program) else 'plan'} {template}"
    else:
        source = item.source or template
        text = read_input(source).decode("utf-8-sig", errors="replace")
        origin = clean_text(source)  # a file name with a newline must not add YAML lines
    is_program = isinstance(item, Program)
    text = re.sub(r"^# yaml-language-server:.*\n", "", text)
    if stem != template:
        text = re.sub(
            r"^name:.*$", f"name: {json.dumps(_title(stem))}", text, count=1, flags=re.MULTILINE
        )
    schema = PROGRAM_SCHEMA_FILE if is_program else PLAN_SCHEMA_FILE
    header = f"# yaml-language-server: $schema={schema}\n# Adapted from {origin}.\n"
    return header + text, is_program


def _is_user_name(name: str) -> bool:
    return name in user_plan_files()


def starter_plan(stem: str) -> str:
    """The text of a commented starter plan named after ``stem``."""
    title = json.dumps(_title(stem))
    return f"""\
# yaml-language-server: $schema={PLAN_SCHEMA_FILE}
# A runcoach plan. Check it:   runcoach plans validate {stem}.yaml   (in this folder)
# See it:                      runcoach plans show {stem}
# Render it:                   runcoach render --plan {stem} --spm 170 -o {stem}.wav
name: {title}
description: >-
  Describe the session here: what it is for and how it should feel.
spm: 170          # base cadence, steps per minute (60-240); --spm on the command line replaces it
breath: "4:6"     # inhale steps : exhale steps ("4:6", "3:2", "2:2" ...), or off
sound: woodblock  # click: woodblock, beep, tick, clave, cowbell, or off
segments:
  # Each segment has a name and a duration (90s, 2m, 1m30s, "1:30") or a number of steps,
  # and optionally its own spm, breath and sound. Cadence: 115 is absolute, "+5" / "-10" are
  # relative to the base (quote them), "95%" is a share of it, ["-10", "+0"] is a ramp.
  - {{name: Warm-up walk, duration: 5m, spm: 115, breath: off}}
  - {{name: Easy run, duration: 4m, spm: "-5"}}
  - repeat: 4                 # a block of segments played 4 times in a row (blocks nest)
    segments:
      - {{name: Run, duration: 2m}}            # no spm: the base cadence
      - {{name: Walk, duration: 1m, spm: 115}}
  - {{name: Ease off, duration: 3m, spm: ["-5", "-15"]}}   # a ramp from the first to the second
  - {{name: Cool-down walk, duration: 5m, spm: 110, breath: off}}
"""


def starter_program(stem: str) -> str:
    """The text of a commented starter program named after ``stem``."""
    title = json.dumps(_title(stem))
    return f"""\
# yaml-language-server: $schema={PROGRAM_SCHEMA_FILE}
# A runcoach program: weeks of sessions. Check it:  runcoach plans validate {stem}.yaml
# See it:           runcoach plans show {stem}
# Render a session: runcoach render --plan {stem} --week 1 --session 1 --spm 165 -o w1s1.wav
name: {title}
description: >-
  Describe the program here: who it is for and how to move through it.
spm: 165            # the runner's cadence when --spm is not given
weeks:
  - name: Week 1
    description: run/walk at your cadence
    sessions:
      - intervals                   # a plan by name: a file in this folder, or a built-in
      - {{plan: steady, spm: "-5"}}   # a plan with a cadence change for this session only
      - name: Easy run/walk         # or a whole plan, written inline
        segments:
          - {{name: Warm-up walk, duration: 5m, spm: 115, breath: off}}
          - repeat: 5
            segments:
              - {{name: Run, duration: 2m}}
              - {{name: Walk, duration: 2m, spm: 115}}
          - {{name: Cool-down walk, duration: 5m, spm: 110, breath: off}}
  - name: Week 2
    spm: "+2"                       # every session this week runs 2 spm faster
    sessions: [intervals, steady, intervals]
"""
