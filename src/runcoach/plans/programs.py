"""Multi-week programs: weeks of sessions, each a plan, with a cadence change per week.

A program file is YAML with ``weeks`` instead of ``segments``::

    name: My return to running
    spm: 165                      # the runner's cadence when --spm is not given
    weeks:
      - name: Week 1
        sessions:
          - intervals             # a plan by name: a file next to this one, yours, or built-in
          - {plan: steady, spm: "-5"}     # a plan with a cadence change for this session
          - name: Easy run/walk   # or a whole plan, inline
            segments: [{name: Run, duration: 20m}]
      - name: Week 2
        spm: "+2"                 # every session of this week 2 spm faster
        sessions: [intervals, steady, intervals]

A session's base cadence is ``--spm`` (or the program's ``spm``, or else the plan's own) plus the
week's and the session's change: segments at the base or relative to it (``"+5"``, ``"-10"``)
move with it; absolute cadences (a walk at 115) stay.

Programs built in Python get the same checks as files: ``Program``, ``Week`` and
``ProgramSession`` validate themselves when built.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

from runcoach.errors import OptionError, PlanError
from runcoach.plans.loader import (
    _Builder,
    _join,
    _Map,
    _Scalar,
    _Seq,
    load_any,
    looks_like_path,
    read_file,
)
from runcoach.plans.model import (
    Cadence,
    Plan,
    Repeat,
    Segment,
    SpmSpec,
    _check_name,
    format_spm,
)

#: The most weeks a program may have.
MAX_WEEKS = 104
#: The most sessions a week may have.
MAX_SESSIONS = 21
#: The largest cadence change a week or session may make, in steps per minute.
MAX_OFFSET = 100

PROGRAM_KEYS = ("name", "description", "spm", "weeks")
WEEK_KEYS = ("name", "description", "spm", "sessions")
SESSION_KEYS = ("plan", "spm")

_OFFSET = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_T = TypeVar("_T")


def parse_offset(value: object) -> Fraction:
    """Parse a cadence change in steps per minute: ``"+2"``, ``"-3"``, ``"0"`` or a number.

    Raises ``PlanError`` (field ``spm``) for anything else, or beyond ±100.
    """
    if isinstance(value, bool):
        offset = None
    elif isinstance(value, (int, Fraction)):
        offset = Fraction(value)
    elif isinstance(value, float):
        offset = Fraction(value).limit_denominator(1000)
    elif isinstance(value, str) and _OFFSET.match(value.strip().replace(" ", "")):
        offset = Fraction(value.strip().replace(" ", ""))
    else:
        offset = None
    if offset is None:
        raise PlanError(
            f'a cadence change is a number of steps per minute such as "+2" or "-3", got {value!r}',
            field="spm",
        )
    if abs(offset) > MAX_OFFSET:
        raise PlanError(
            f"a cadence change must be within ±{MAX_OFFSET} steps per minute, got {value!r}",
            field="spm",
        )
    return offset


def _format_offset(offset: Fraction) -> str:
    return ("+" if offset >= 0 else "-") + format_spm(abs(offset))


@dataclass(frozen=True)
class ProgramSession:
    """One session of a week: a plan, and an optional cadence change (``spm``, e.g. ``"+2"``)
    added to the week's.

    ``plan`` may be a :class:`Plan` or a plan name or path, loaded at once (so a name that does
    not exist fails here). ``ref`` keeps the name it was given by.
    """

    plan: Plan
    spm: Fraction = Fraction(0)
    ref: str | None = None
    line: int | None = field(default=None, compare=False, repr=False)
    path: str = field(default="", compare=False, repr=False)

    def __init__(
        self,
        plan: Plan | str | os.PathLike[str],
        spm: object = 0,
        *,
        ref: str | None = None,
        line: int | None = None,
        path: str = "",
    ) -> None:
        if isinstance(plan, (str, os.PathLike)):
            ref = ref if ref is not None else os.fspath(plan)
            plan = _load_session_plan(os.fspath(plan), None)
        elif not isinstance(plan, Plan):
            raise PlanError(f"a session is a Plan or a plan name, got {plan!r}", field="plan")
        setter = object.__setattr__
        setter(self, "plan", plan)
        setter(self, "spm", parse_offset(spm))
        setter(self, "ref", ref)
        setter(self, "line", line)
        setter(self, "path", path)


@dataclass(frozen=True)
class Week:
    """A week of sessions, with an optional cadence change (``spm``, e.g. ``"+2"``) for all.

    ``sessions`` items are :class:`ProgramSession`, :class:`Plan` objects, or plan names.
    """

    sessions: tuple[ProgramSession, ...]
    spm: Fraction = Fraction(0)
    name: str | None = None
    description: str = ""
    line: int | None = field(default=None, compare=False, repr=False)
    path: str = field(default="", compare=False, repr=False)

    def __init__(
        self,
        sessions: Sequence[ProgramSession | Plan | str],
        spm: object = 0,
        name: str | None = None,
        description: str = "",
        *,
        line: int | None = None,
        path: str = "",
    ) -> None:
        if isinstance(sessions, (str, bytes)) or not isinstance(sessions, Sequence):
            raise PlanError(f"must be a list of sessions, got {sessions!r}", field="sessions")
        if not sessions:
            raise PlanError("a week needs at least one session", field="sessions")
        if len(sessions) > MAX_SESSIONS:
            raise PlanError(
                f"a week has at most {MAX_SESSIONS} sessions, got {len(sessions)}",
                field="sessions",
            )
        items = tuple(s if isinstance(s, ProgramSession) else ProgramSession(s) for s in sessions)
        if not isinstance(description, str):
            raise PlanError(f"must be text, got {description!r}", field="description")
        setter = object.__setattr__
        setter(self, "sessions", items)
        setter(self, "spm", parse_offset(spm))
        setter(self, "name", None if name is None else _check_name(name, "a week name"))
        setter(self, "description", description.strip())
        setter(self, "line", line)
        setter(self, "path", path)


@dataclass(frozen=True)
class Program:
    """A multi-week program: weeks of sessions, each a plan.

    ``spm`` is the runner's cadence when ``--spm`` is not given (``None``: each session's plan
    keeps its own base). Every session is checked when the program is built, so a program that
    loads can render any of its sessions. ``source`` names the file, for error messages.
    """

    name: str
    weeks: tuple[Week, ...]
    description: str = ""
    spm: Fraction | None = None
    source: str | None = field(default=None, compare=False)

    def __init__(
        self,
        name: str,
        weeks: Sequence[Week | Sequence[ProgramSession | Plan | str]],
        description: str = "",
        spm: object = None,
        *,
        source: str | None = None,
    ) -> None:
        setter = object.__setattr__
        setter(self, "name", _check_name(name, "the program name"))
        if not isinstance(description, str):
            raise PlanError(f"must be text, got {description!r}", field="description")
        setter(self, "description", description.strip())
        if spm is None:
            setter(self, "spm", None)
        else:
            base = Cadence.parse(spm)
            if base.kind != "abs":
                raise PlanError(
                    f"the program's cadence is a number of steps per minute, got {spm!r}",
                    field="spm",
                )
            setter(self, "spm", base.value)
        if isinstance(weeks, (str, bytes)) or not isinstance(weeks, Sequence):
            raise PlanError(f"must be a list of weeks, got {weeks!r}", field="weeks")
        if not weeks:
            raise PlanError("a program needs at least one week", field="weeks")
        if len(weeks) > MAX_WEEKS:
            raise PlanError(
                f"a program has at most {MAX_WEEKS} weeks, got {len(weeks)}", field="weeks"
            )
        setter(self, "weeks", tuple(w if isinstance(w, Week) else Week(w) for w in weeks))
        setter(self, "source", source)
        for _ in self.sessions():  # every session must make a valid plan
            pass

    def session(self, week: int, session: int) -> Plan:
        """The plan of session ``session`` of week ``week`` (both from 1), the week's and the
        session's cadence change applied. Raises ``OptionError`` naming the valid range."""
        self.check_week(week)
        sessions = self.weeks[week - 1].sessions
        if isinstance(session, bool) or not isinstance(session, int):
            raise OptionError(f"--session must be a whole number, got {session!r}")
        if not 1 <= session <= len(sessions):
            raise OptionError(
                f"--session must be between 1 and {len(sessions)} (week {week} of "
                f"{self.name!r} has {_count(len(sessions), 'session')}), got {session}"
            )
        return self._plan(week, session)

    def select(self, week: int | None, session: int | None) -> Plan:
        """Like :meth:`session`, but saying which choices exist when either is missing."""
        if week is None or session is None:
            missing = "--week and --session" if week is None and session is None else (
                "--week" if week is None else "--session"
            )
            raise OptionError(
                f"{self.name!r} is a program of {_count(len(self.weeks), 'week')}: "
                f"give {missing} to choose a session ({self.choice_hint()})"
            )
        return self.session(week, session)

    def choice_hint(self) -> str:
        """``--week 1-9 --session 1-3``: the choices, for messages."""
        counts = {len(w.sessions) for w in self.weeks}
        sessions = f"1-{counts.pop()}" if len(counts) == 1 else "1-N (N depends on the week)"
        return f"--week 1-{len(self.weeks)} --session {sessions}"

    def sessions(self) -> Iterator[tuple[int, int, Plan]]:
        """Yield ``(week, session, plan)`` for every session in order (numbers from 1)."""
        for w, week in enumerate(self.weeks, start=1):
            for s in range(1, len(week.sessions) + 1):
                yield w, s, self._plan(w, s)

    def check_week(self, week: int) -> None:
        """Raise ``OptionError`` naming the valid range unless ``week`` is one of the weeks."""
        if isinstance(week, bool) or not isinstance(week, int):
            raise OptionError(f"--week must be a whole number, got {week!r}")
        if not 1 <= week <= len(self.weeks):
            raise OptionError(
                f"--week must be between 1 and {len(self.weeks)} ({self.name!r} has "
                f"{_count(len(self.weeks), 'week')}), got {week}"
            )

    def _plan(self, w: int, s: int) -> Plan:
        week = self.weeks[w - 1]
        entry = week.sessions[s - 1]
        inner = entry.plan
        offset = week.spm + entry.spm
        items = [_shift(item, offset, w, inner) for item in inner.segments]
        label = f", week {w}, session {s}"
        name = self.name[: 200 - len(label)] + label
        about = inner.name + (f": {inner.description}" if inner.description else "")
        return Plan(
            name,
            items,
            description=about,
            spm=self.spm if self.spm is not None else inner.spm,
            breath=inner.breath,
            sound=inner.sound,
            source=inner.source,
        )


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _shift(item: Segment | Repeat, offset: Fraction, week: int, plan: Plan) -> Segment | Repeat:
    """Rebuild ``item`` with ``offset`` added to every cadence that follows the base."""
    if isinstance(item, Repeat):
        return Repeat(
            item.times,
            [_shift(child, offset, week, plan) for child in item.segments],
            item.name,
            line=item.line,
            path=item.path,
        )
    spm = item.spm
    if offset:
        try:
            spm = _shift_spm(spm, offset)
        except PlanError as err:
            raise PlanError(
                f"week {week} changes the cadence by {_format_offset(offset)}, which "
                f"{err.problem}",
                source=plan.source,
                line=item.line,
                field=_join(item.path, "spm"),
            ) from None
    return Segment(
        item.name,
        item.duration,
        item.steps,
        spm,
        item.breath,
        item.sound,
        line=item.line,
        path=item.path,
    )


def _shift_spm(spm: SpmSpec | None, offset: Fraction) -> SpmSpec:
    if spm is None:
        return Cadence("rel", offset)
    if isinstance(spm, tuple):
        return (_shift_one(spm[0], offset), _shift_one(spm[1], offset))
    return _shift_one(spm, offset)


def _shift_one(cadence: Cadence, offset: Fraction) -> Cadence:
    if cadence.kind == "abs":
        return cadence
    if cadence.kind == "rel":
        return Cadence("rel", cadence.value + offset)
    raise PlanError(
        f'a percentage cadence ("{cadence}") cannot follow; write it relative to the base, '
        'e.g. "-8"'
    )


def _load_session_plan(ref: str, folder: Path | None, *, builtin: bool = False) -> Plan:
    """A plan named by a session: a path (relative to the program's folder), or a name looked
    up next to the program, then in the user plan folder and the built-ins. A built-in
    program's sessions name built-in plans only, so they play the same for everyone."""
    if builtin:
        from runcoach.plans.loader import _builtin_plan, builtin_plan_names

        if ref not in builtin_plan_names():
            raise PlanError(f"no built-in plan named {ref!r}")
        return _builtin_plan(ref)
    if folder is not None:
        if looks_like_path(ref):
            candidate = Path(ref) if Path(ref).is_absolute() else folder / ref
            item = read_file(candidate)
        else:
            candidates = [folder / f"{ref}{suffix}" for suffix in (".yaml", ".yml")]
            sibling = next((c for c in candidates if c.is_file()), None)
            item = read_file(sibling) if sibling is not None else load_any(ref)
    else:
        item = load_any(ref)
    if not isinstance(item, Plan):
        raise PlanError(f"{ref!r} is a program; a session names a plan")
    return item


class _ProgramBuilder(_Builder):
    """Builds a :class:`Program` from the read YAML tree, locating every error."""

    def __init__(self, source: str, folder: Path | None, builtin: bool) -> None:
        super().__init__(source)
        self.folder = folder
        self.builtin = builtin

    def make(
        self,
        make: Callable[..., _T],
        where: str,
        lines: dict[str, int | None],
        at: int | None,
        **kwargs: Any,
    ) -> _T:
        """Call a constructor; an error it raises without a place gets this one."""
        try:
            return make(**kwargs)
        except PlanError as err:
            if err.source:
                raise
            field = err.field or ""
            raise self.fail(err.problem, lines.get(field) or at, _join(where, field)) from None

    def program(self, tree: _Map) -> Program:
        self.check_keys(tree, PROGRAM_KEYS, "", "program")
        values: dict[str, Any] = {}
        lines: dict[str, int | None] = {}
        for key in ("name", "description", "spm"):
            values[key], lines[key] = self.scalar(tree, key, "")
        if values["name"] is None:
            values["name"] = Path(self.source).stem if self.source else "program"
        if values["description"] is None:
            values["description"] = ""
        line, node = tree.items["weeks"]
        if not isinstance(node, _Seq):
            raise self.fail("must be a list of weeks", line, "weeks")
        if not node.items:
            raise self.fail("a program needs at least one week", line, "weeks")
        if len(node.items) > MAX_WEEKS:
            raise self.fail(
                f"a program has at most {MAX_WEEKS} weeks, got {len(node.items)}", line, "weeks"
            )
        weeks = [self.week(child, f"weeks[{i}]", i + 1) for i, child in enumerate(node.items)]
        return self.make(
            Program, "", lines, tree.line, weeks=weeks, source=self.source, **values
        )

    def week(self, node: Any, path: str, number: int) -> Week:
        if isinstance(node, _Seq):  # a week written as just its list of sessions
            node = _Map({"sessions": (node.line, node)}, node.line)
        if not isinstance(node, _Map):
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
            raise self.fail("a week needs a list of sessions", node.line, _join(path, "sessions"))
        line, seq = node.items["sessions"]
        where = _join(path, "sessions")
        if not isinstance(seq, _Seq):
            raise self.fail("must be a list of sessions", line, where)
        if not seq.items:
            raise self.fail("a week needs at least one session", line, where)
        if len(seq.items) > MAX_SESSIONS:
            raise self.fail(
                f"a week has at most {MAX_SESSIONS} sessions, got {len(seq.items)}", line, where
            )
        sessions = [
            self.session(child, f"{where}[{i}]", number, i + 1)
            for i, child in enumerate(seq.items)
        ]
        return self.make(
            Week, path, lines, node.line, sessions=sessions, line=node.line, path=path, **values
        )

    def session(self, node: Any, path: str, week: int, number: int) -> ProgramSession:
        if isinstance(node, _Scalar) and not node.null and node.text.strip():
            return self.reference(node.text.strip(), None, path, node.line, {})
        if isinstance(node, _Map) and "plan" in node.items:
            self.check_keys(node, SESSION_KEYS, path, "session")
            ref, ref_line = self.scalar(node, "plan", path)
            spm, spm_line = self.scalar(node, "spm", path)
            if ref is None or not str(ref).strip():
                raise self.fail("name the plan of this session", ref_line, _join(path, "plan"))
            lines = {"plan": ref_line, "spm": spm_line}
            return self.reference(str(ref).strip(), spm, path, node.line, lines)
        if isinstance(node, _Map) and "segments" in node.items:
            return self.inline(node, path, week, number)
        raise self.fail(
            "each session is a plan name, {plan: NAME, spm: \"+2\"}, or a whole plan with "
            "segments",
            node.line,
            path,
        )

    def reference(
        self, ref: str, spm: object, path: str, line: int | None, lines: dict[str, int | None]
    ) -> ProgramSession:
        try:
            plan = _load_session_plan(ref, self.folder, builtin=self.builtin)
        except PlanError as err:
            if err.source:  # a problem inside the named plan's own file: point there
                raise
            raise self.fail(err.problem, lines.get("plan") or line, _join(path, "plan")
                            if lines else path) from None
        return self.make(
            ProgramSession,
            path,
            lines,
            line,
            plan=plan,
            spm=0 if spm is None else spm,
            ref=ref,
            line=line,
            path=path,
        )

    def inline(self, node: _Map, path: str, week: int, number: int) -> ProgramSession:
        if "name" not in node.items:
            name = _Scalar(f"Week {week}, session {number}", node.line)
            node = _Map({"name": (node.line, name), **node.items}, node.line)
        try:
            plan = _Builder(self.source).plan(node)
        except PlanError as err:
            raise PlanError(
                err.problem,
                source=err.source or self.source,
                line=err.line,
                field=_join(path, err.field or ""),
            ) from None
        prefixed = Plan(
            plan.name,
            [_prefix(item, path) for item in plan.segments],
            description=plan.description,
            spm=plan.spm,
            breath=plan.breath,
            sound=plan.sound,
            source=plan.source,
        )
        return ProgramSession(prefixed, line=node.line, path=path)


def _prefix(item: Segment | Repeat, prefix: str) -> Segment | Repeat:
    """Rebuild ``item`` with its field path under ``prefix`` (an inline plan in a program)."""
    if isinstance(item, Repeat):
        return Repeat(
            item.times,
            [_prefix(child, prefix) for child in item.segments],
            item.name,
            line=item.line,
            path=_join(prefix, item.path),
        )
    return Segment(
        item.name,
        item.duration,
        item.steps,
        item.spm,
        item.breath,
        item.sound,
        line=item.line,
        path=_join(prefix, item.path),
    )


def build_program(tree: Any, source: str, folder: Path | None, *, builtin: bool = False) -> Program:
    """Build a :class:`Program` from a read YAML tree (a mapping with ``weeks``); a built-in
    program's sessions name built-in plans only."""
    return _ProgramBuilder(source, folder, builtin).program(tree)


def parse_program(
    text_or_mapping: str | bytes | dict[str, Any],
    *,
    source: str = "<string>",
    folder: str | os.PathLike[str] | None = None,
) -> Program:
    """Build a :class:`Program` from YAML text or a mapping with ``weeks``.

    ``folder`` is where sessions that name plan files are looked up first. Raises ``PlanError``
    with file, line and field for anything malformed, or when the text is a plan.
    """
    from runcoach.plans.loader import parse_any

    item = parse_any(text_or_mapping, source=source, folder=folder)
    if isinstance(item, Plan):
        raise PlanError("this is a plan, not a program (a program lists weeks)", source=source)
    return item

