"""The catalogue: plans and programs by name or path, and programs read from YAML.

A name is looked up in the user plan folder first (``$RUNCOACH_PLANS_DIR``, or
``runcoach/plans`` in the user config folder), then among the built-in plans and programs, then
as a file in the current folder; a value with a folder separator or a ``.yaml``/``.yml`` ending
is a path. :class:`ProgramBuilder` reads a program file (weeks of sessions naming plans) and
locates every error as the plan builder does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from runcoach.errors import OptionError, PlanError
from runcoach.plans.loader import (
    BUILTIN_PACKAGE,
    BUILTIN_PROGRAMS,
    PlanBuilder,
    builtin_plan,
    builtin_plan_names,
    builtin_program_names,
    find_plan,
    is_file,
    looks_like_path,
    read_input,
    unknown_name,
    user_file,
)
from runcoach.plans.model import Plan, Repeat, Segment
from runcoach.plans.programs import (
    MAX_SESSIONS,
    MAX_WEEKS,
    PROGRAM_KEYS,
    PROGRESSION_KEYS,
    SESSION_KEYS,
    WEEK_KEYS,
    Program,
    ProgramSession,
    Progression,
    Week,
)
from runcoach.plans.tree import Builder, Map, Scalar, Seq, is_program_tree, join, tree_of
from runcoach.plans.units import plural, quote


class ProgramBuilder(Builder):
    """Builds a :class:`Program` from the read YAML tree, locating every error."""

    def __init__(self, source: str, folder: Path | None, builtin: bool) -> None:
        super().__init__(source)
        self.folder = folder
        self.builtin = builtin
        #: Plans already read, by the name a session gives: a program naming one plan in
        #: 2,000 sessions reads (and parses) its file once.
        self.found: dict[str, Plan] = {}

    def program(self, tree: Map) -> Program:
        self.check_keys(tree, PROGRAM_KEYS, "", "program")
        values: dict[str, Any] = {}
        lines: dict[str, int | None] = {}
        for key in ("name", "description", "spm", "rest_days"):
            values[key], lines[key] = self.scalar(tree, key, "")
        if values["name"] is None:
            values["name"] = Path(self.source).stem if self.source else "program"
        values["rest_days"] = self.whole(values["rest_days"], 1, lines["rest_days"], "rest_days")
        values["progression"] = self.progression(tree)
        if values["description"] is None:
            values["description"] = ""
        line, node = tree.items["weeks"]
        if not isinstance(node, Seq):
            raise self.fail("must be a list of weeks", line, "weeks")
        if not node.items:
            raise self.fail("a program needs at least one week", line, "weeks")
        if len(node.items) > MAX_WEEKS:
            raise self.fail(
                f"a program has at most {MAX_WEEKS} weeks, got {len(node.items)}", line, "weeks"
            )
        weeks = [self.week(child, f"weeks[{i}]", i + 1) for i, child in enumerate(node.items)]
        return self.build(Program, "", lines, tree.line, weeks=weeks, source=self.source, **values)

    def whole(self, text: object, default: int, line: int | None, field: str) -> int:
        """A whole number written in the file (``default`` when absent)."""
        if text is None:
            return default
        digits = str(text).strip()
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 4):
            raise self.fail(f"must be a whole number, got {quote(text)}", line, field)
        return int(digits)

    def progression(self, tree: Map) -> Progression:
        """The optional ``progression:`` block (every key optional)."""
        if "progression" not in tree.items:
            return Progression()
        line, node = tree.items["progression"]
        if not isinstance(node, Map):
            raise self.fail("must be a mapping of thresholds", line, "progression")
        self.check_keys(node, PROGRESSION_KEYS, "progression", "progression")
        values: dict[str, int] = {}
        lines: dict[str, int | None] = {}
        for key in node.items:
            text, lines[key] = self.scalar(node, key, "progression")
            values[key] = self.whole(text, 0, lines[key], f"progression.{key}")
        return self.build(Progression, "", lines, line, **values)

    def week(self, node: Any, path: str, number: int) -> Week:
        if isinstance(node, Seq):  # a week written as just its list of sessions
            node = Map({"sessions": (node.line, node)}, node.line)
        if not isinstance(node, Map):
            raise self.fail(
                "each week is a mapping with sessions (or just a list of sessions)",
                node.line,
                path,
            )
        self.check_keys(node, WEEK_KEYS, path, "week")
        values: dict[str, Any] = {}
        lines: dict[str, int | None] = {}
        for key in ("name", "description", "spm"):
            values[key], lines[key] = self.scalar(node, key, path)
        if values["description"] is None:
            values["description"] = ""
        if values["spm"] is None:
            values["spm"] = 0
        if "sessions" not in node.items:
            raise self.fail("a week needs a list of sessions", node.line, join(path, "sessions"))
        line, seq = node.items["sessions"]
        where = join(path, "sessions")
        if not isinstance(seq, Seq):
            raise self.fail("must be a list of sessions", line, where)
        if not seq.items:
            raise self.fail("a week needs at least one session", line, where)
        if len(seq.items) > MAX_SESSIONS:
            raise self.fail(
                f"a week has at most {MAX_SESSIONS} sessions, got {len(seq.items)}", line, where
            )
        sessions = [
            self.session(child, f"{where}[{i}]", number, i + 1) for i, child in enumerate(seq.items)
        ]
        return self.build(
            Week,
            path,
            lines,
            node.line,
            sessions=sessions,
            line=node.line,
            path=path,
            spm_line=lines["spm"],
            **values,
        )

    def session(self, node: Any, path: str, week: int, number: int) -> ProgramSession:
        if isinstance(node, Scalar) and not node.null and node.text.strip():
            return self.reference(node.text.strip(), None, path, node.line, {})
        if isinstance(node, Map) and "plan" in node.items:
            self.check_keys(node, SESSION_KEYS, path, "session")
            ref, ref_line = self.scalar(node, "plan", path)
            spm, spm_line = self.scalar(node, "spm", path)
            if ref is None or not str(ref).strip():
                raise self.fail("name the plan of this session", ref_line, join(path, "plan"))
            lines = {"plan": ref_line, "spm": spm_line}
            return self.reference(str(ref).strip(), spm, path, node.line, lines)
        if isinstance(node, Map) and "segments" in node.items:
            return self.inline(node, path, week, number)
        raise self.fail(
            'each session is a plan name, {plan: NAME, spm: "+2"}, or a whole plan with segments',
            node.line,
            path,
        )

    def reference(
        self, ref: str, spm: object, path: str, line: int | None, lines: dict[str, int | None]
    ) -> ProgramSession:
        try:
            plan = self.found.get(ref) or find_plan(
                ref, self.folder, builtin_only=self.builtin, within=self.source
            )
            self.found[ref] = plan
        except PlanError as err:
            if err.source:  # a problem inside the named plan's own file: point there
                raise
            raise self.fail(
                err.problem, lines.get("plan") or line, join(path, "plan") if lines else path
            ) from None
        return self.build(
            ProgramSession,
            path,
            lines,
            line,
            plan=plan,
            spm=0 if spm is None else spm,
            ref=ref,
            line=line,
            path=path,
            spm_line=lines.get("spm"),
        )

    def inline(self, node: Map, path: str, week: int, number: int) -> ProgramSession:
        if "name" not in node.items:
            name = Scalar(f"Week {week}, session {number}", node.line)
            node = Map({"name": (node.line, name), **node.items}, node.line)
        try:
            plan = PlanBuilder(self.source).plan(node)
        except PlanError as err:
            raise PlanError(
                err.problem,
                source=err.source or self.source,
                line=err.line,
                field=join(path, err.field or ""),
            ) from None
        prefixed = replace(plan, segments=tuple(_prefix(item, path) for item in plan.segments))
        return ProgramSession(prefixed, line=node.line, path=path)


def _prefix(item: Segment | Repeat, prefix: str) -> Segment | Repeat:
    """Rebuild ``item`` with its field path under ``prefix`` (an inline plan in a program)."""
    if isinstance(item, Repeat):
        return replace(
            item,
            segments=tuple(_prefix(child, prefix) for child in item.segments),
            path=join(prefix, item.path),
        )
    return replace(item, path=join(prefix, item.path))


def build_program(tree: Any, source: str, folder: Path | None, *, builtin: bool = False) -> Program:
    """Build a :class:`Program` from a read YAML tree (a mapping with ``weeks``); a built-in
    program's sessions name built-in plans only."""
    return ProgramBuilder(source, folder, builtin).program(tree)


def build_any(
    tree: Any, source: str, folder: Path | None, *, builtin: bool = False
) -> Plan | Program:
    """A plan, or for a tree with ``weeks`` a program; a built-in program's sessions name
    built-in plans only."""
    if is_program_tree(tree):
        return ProgramBuilder(source, folder, builtin).program(tree)
    return PlanBuilder(source).plan(tree)


def parse_any(
    text_or_mapping: str | bytes | Mapping[str, Any],
    *,
    source: str = "<string>",
    folder: str | os.PathLike[str] | None = None,
) -> Plan | Program:
    """Build a :class:`Plan` or, for a mapping with ``weeks``, a :class:`Program`. ``folder``
    is where a program's sessions that name plan files are looked up first. Raises
    ``PlanError`` with file, line and field for anything malformed."""
    where = Path(folder) if folder is not None else None
    return build_any(tree_of(text_or_mapping, source), source, where)


def parse_program(
    text_or_mapping: str | bytes | Mapping[str, Any],
    *,
    source: str = "<string>",
    folder: str | os.PathLike[str] | None = None,
) -> Program:
    """Build a :class:`Program` from YAML text or a mapping with ``weeks``.

    ``folder`` is where sessions that name plan files are looked up first. Raises ``PlanError``
    with file, line and field for anything malformed, or when the text is a plan.
    """
    item = parse_any(text_or_mapping, source=source, folder=folder)
    if isinstance(item, Plan):
        raise PlanError("this is a plan, not a program (a program lists weeks)", source=source)
    return item


def read_file(path: str | os.PathLike[str]) -> Plan | Program:
    """Read and check a plan or program file. Raises ``PlanError`` naming the file."""
    source = os.fspath(path)
    return build_any(tree_of(read_input(source), source), source, Path(source).parent)


def builtin_program(name: str) -> Program:
    """A built-in program by name. Raises ``PlanError`` for an unknown name."""
    if name not in builtin_program_names():
        raise PlanError(f"no built-in program named {quote(name)}")
    entry = resources.files(BUILTIN_PACKAGE) / BUILTIN_PROGRAMS / f"{name}.yaml"
    source = f"{name} (built-in program)"
    item = build_any(tree_of(entry.read_bytes(), source), source, None, builtin=True)
    assert isinstance(item, Program)
    return item


def builtin_text(name: str) -> str:
    """The YAML text of a built-in plan or program (to copy and adapt). Raises ``PlanError``."""
    if name in builtin_plan_names():
        entry = resources.files(BUILTIN_PACKAGE) / f"{name}.yaml"
    elif name in builtin_program_names():
        entry = resources.files(BUILTIN_PACKAGE) / BUILTIN_PROGRAMS / f"{name}.yaml"
    else:
        raise PlanError(f"no built-in plan or program named {quote(name)}")
    return entry.read_text(encoding="utf-8")


def load_any(name_or_path: str | os.PathLike[str]) -> Plan | Program:
    """Load a plan or a program by name or path.

    A value with a folder separator or a ``.yaml``/``.yml`` ending is a path. A name is looked
    up in the user plan folder first, then among the built-in plans and programs, then as a
    file in the current folder. Raises ``PlanError`` (listing what is available for an unknown
    name).
    """
    if isinstance(name_or_path, os.PathLike):
        return read_file(name_or_path)
    name = str(name_or_path)
    if looks_like_path(name):
        return read_file(name)
    user = user_file(name) if name else None
    if user is not None:
        return read_file(user)
    if name in builtin_plan_names():
        return builtin_plan(name)
    if name in builtin_program_names():
        return builtin_program(name)
    if name and is_file(Path(name)):
        return read_file(name)
    raise unknown_name(name, "plan")


def load_plan(
    name_or_path: str | os.PathLike[str],
    *,
    week: int | None = None,
    session: int | None = None,
) -> Plan:
    """Load a plan by name (``"intervals"``, or one of yours) or from a YAML file path.

    For a multi-week program (``"return-to-run"``) give ``week`` and ``session`` (both from 1):
    the result is that session's plan, the week's cadence change applied. Raises ``PlanError``
    for a missing or malformed plan (listing the available plans for an unknown name),
    ``OptionError`` for a missing or out-of-range week or session.
    """
    item = load_any(name_or_path)
    if isinstance(item, Plan):
        if week is not None or session is not None:
            raise OptionError(
                f"--week and --session choose a session of a program; {item.name!r} is a plan"
            )
        return item
    return item.select(week, session)


def load_program(name_or_path: str | os.PathLike[str]) -> Program:
    """Load a multi-week program by name or path (looked up like :func:`load_plan`).

    Raises ``PlanError`` when it is missing, malformed, or a plan rather than a program.
    """
    item = load_any(name_or_path)
    if isinstance(item, Plan):
        raise PlanError(
            f"{item.name!r} is a plan, not a program (a program lists weeks of sessions)",
            source=item.source,
        )
    return item


def read_plan_file(path: str | os.PathLike[str]) -> Plan:
    """Read a plan file; for a program file, say how to pick a session. Raises ``PlanError``."""
    item = read_file(path)
    if isinstance(item, Plan):
        return item
    raise PlanError(
        f"is a program of {plural(len(item.weeks), 'week')}, not a plan; choose a session with "
        f"{item.choice_hint()}",
        source=os.fspath(path),
    )
