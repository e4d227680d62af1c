"""Read plans and programs from YAML: by name (the user plan folder first, then the built-ins) or
by path.

The only code in runcoach that reads YAML. It composes the YAML into nodes (never constructing
Python objects, so tags such as ``!!python/object`` are refused, not run), reads each field from
its raw text (so ``breath: 4:6`` and ``duration: 1:30`` mean what a runner wrote, not YAML 1.1
sexagesimal numbers, and ``breath: off`` works unquoted), counts the values it visits (so alias
bombs stop early), and reports every problem as ``file:line: field: problem``.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from runcoach.errors import OptionError, PlanError
from runcoach.plans.model import Plan, Repeat, Segment

if TYPE_CHECKING:
    from runcoach.plans.programs import Program

#: Largest plan file read, in bytes.
MAX_PLAN_BYTES = 1_000_000
#: Most YAML values visited while reading one plan (aliases count each time they are used).
MAX_VALUES = 20_000

PLAN_KEYS = ("name", "description", "spm", "breath", "sound", "segments")
SEGMENT_KEYS = ("name", "duration", "steps", "spm", "breath", "sound")
REPEAT_KEYS = ("repeat", "segments", "name")

_T = TypeVar("_T")

_SAFE_TAGS = {
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq")
}


@dataclass(frozen=True)
class _Scalar:
    text: str
    line: int | None
    null: bool = False


@dataclass(frozen=True)
class _Map:
    items: dict[str, tuple[int | None, Any]]  # key -> (line of the key, value)
    line: int | None


@dataclass(frozen=True)
class _Seq:
    items: list[Any]
    line: int | None


class _Reader:
    """Turns a composed YAML node tree into _Scalar/_Map/_Seq, with limits."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.visited = 0

    def error(self, problem: str, line: int | None, field: str | None = None) -> PlanError:
        return PlanError(problem, source=self.source, line=line, field=field)

    def read(self, node: yaml.Node, depth: int = 0) -> Any:
        self.visited += 1
        line = node.start_mark.line + 1
        if self.visited > MAX_VALUES:
            raise self.error(
                f"the plan has more than {MAX_VALUES} values (are YAML aliases expanding it?)", line
            )
        if depth > 64:
            raise self.error("the plan nests too deeply", line)
        if node.tag not in _SAFE_TAGS:
            raise self.error(f"YAML tag {node.tag!r} is not allowed in a plan", line)
        if isinstance(node, yaml.ScalarNode):
            return _Scalar(str(node.value), line, node.tag.endswith(":null"))
        if isinstance(node, yaml.SequenceNode):
            return _Seq([self.read(child, depth + 1) for child in node.value], line)
        if isinstance(node, yaml.MappingNode):
            items: dict[str, tuple[int | None, Any]] = {}
            for key_node, value_node in node.value:
                key = self.read(key_node, depth + 1)
                if not isinstance(key, _Scalar):
                    raise self.error("a key must be plain text", key_node.start_mark.line + 1)
                if key.text in items:
                    raise self.error(f"key {key.text!r} appears twice", key.line)
                items[key.text] = (key.line, self.read(value_node, depth + 1))
            return _Map(items, line)
        raise self.error("unsupported YAML node", line)  # pragma: no cover


def _compose(text: str, source: str) -> Any:
    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node = yaml.compose(text, Loader=loader_cls)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "invalid YAML"
        raise PlanError(
            f"invalid YAML: {problem}", source=source, line=mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as err:
        raise PlanError(f"invalid YAML: {err}", source=source) from None
    except RecursionError:
        raise PlanError("the plan nests too deeply", source=source) from None
    if node is None:
        raise PlanError("the plan is empty", source=source)
    return _Reader(source).read(node)


def _from_python(value: object, depth: int = 0) -> Any:
    """Wrap a plain Python structure the way the YAML reader would (no line numbers)."""
    if depth > 64:
        raise PlanError("the plan nests too deeply")
    if isinstance(value, Mapping):
        return _Map({str(k): (None, _from_python(v, depth + 1)) for k, v in value.items()}, None)
    if isinstance(value, (list, tuple)):
        return _Seq([_from_python(v, depth + 1) for v in value], None)
    if value is None:
        return _Scalar("", None, null=True)
    if isinstance(value, bool):
        return _Scalar("true" if value else "false", None)
    return _Scalar(str(value), None)


class _Builder:
    """Builds model objects from the read tree, locating every error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, problem: str, line: int | None, field: str) -> PlanError:
        return PlanError(problem, source=self.source, line=line, field=field)

    def check_keys(self, node: _Map, allowed: Sequence[str], path: str, what: str) -> None:
        for key, (line, _) in node.items.items():
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = (
                    f"; did you mean {close[0]!r}?"
                    if close
                    else (f"; {what} keys are {', '.join(allowed)}")
                )
                raise self.fail(f"unknown key {key!r}{hint}", line, _join(path, key))

    def scalar(self, node: _Map, key: str, path: str) -> tuple[object, int | None]:
        """The raw text of ``key`` (None when absent or null), and its line."""
        if key not in node.items:
            return None, None
        line, value = node.items[key]
        if isinstance(value, _Scalar):
            return (None if value.null else value.text), line
        kind = "a list" if isinstance(value, _Seq) else "a mapping"
        raise self.fail(f"expected a single value, got {kind}", line, _join(path, key))

    def spm(self, node: _Map, path: str) -> tuple[object, int | None]:
        if "spm" in node.items:
            line, value = node.items["spm"]
            if isinstance(value, _Seq):
                items = []
                for i, item in enumerate(value.items):
                    if not isinstance(item, _Scalar):
                        raise self.fail(
                            "a ramp is a list of two cadences [start, end]",
                            line,
                            f"{_join(path, 'spm')}[{i}]",
                        )
                    items.append(item.text)
                return items, line
        return self.scalar(node, "spm", path)

    def build(
        self,
        make: Callable[..., _T],
        where: str,
        lines: dict[str, int | None],
        default_line: int | None,
        **kwargs: Any,
    ) -> _T:
        """Call a model constructor, turning its error into one that names file, line, field."""
        try:
            return make(**kwargs)
        except PlanError as err:
            field = err.field or ""
            line = lines.get(field) or default_line
            raise self.fail(err.problem, line, _join(where, field) or field) from None

    def plan(self, tree: Any) -> Plan:
        if not isinstance(tree, _Map):
            kind = "a list" if isinstance(tree, _Seq) else f"the value {tree.text!r}"
            raise PlanError(
                f"a plan must be a mapping with keys such as name, spm and segments; got {kind}",
                source=self.source,
                line=tree.line,
            )
        self.check_keys(tree, PLAN_KEYS, "", "plan")
        values: dict[str, Any] = {}
        lines: dict[str, int | None] = {}
        for key in ("name", "description", "breath", "sound"):
            values[key], lines[key] = self.scalar(tree, key, "")
        values["spm"], lines["spm"] = self.spm(tree, "")
        if isinstance(values["spm"], list):
            raise self.fail(
                "the base cadence is one number; ramps belong to segments", lines["spm"], "spm"
            )
        if values["name"] is None:
            values["name"] = Path(self.source).stem if self.source else "plan"
        if values["description"] is None:
            values["description"] = ""
        for key in ("spm", "breath", "sound"):
            if values[key] is None:
                del values[key]
        if "segments" not in tree.items:
            raise PlanError(
                "a plan needs a list of segments",
                source=self.source,
                line=tree.line,
                field="segments",
            )
        segments = self.items(tree.items["segments"], "segments")
        return self.build(
            Plan, "", lines, tree.line, segments=segments, source=self.source, **values
        )

    def items(
        self, entry: tuple[int | None, Any], path: str, depth: int = 0
    ) -> list[Segment | Repeat]:
        line, node = entry
        if not isinstance(node, _Seq):
            got = "nothing" if isinstance(node, _Scalar) and node.null else "a single value"
            if isinstance(node, _Map):
                got = "a mapping"
            raise self.fail(f"must be a list of segments, got {got}", line, path)
        if not node.items:
            raise self.fail("must list at least one segment", line, path)
        if depth > 16:
            raise self.fail("repeat blocks nest more than 16 deep", line, path)
        return [self.item(child, f"{path}[{i}]", depth) for i, child in enumerate(node.items)]

    def item(self, node: Any, path: str, depth: int) -> Segment | Repeat:
        if not isinstance(node, _Map):
            raise self.fail(
                "each segment is a mapping such as {name: Run, duration: 2m}", node.line, path
            )
        if "repeat" in node.items:
            self.check_keys(node, REPEAT_KEYS, path, "repeat block")
            times_text, times_line = self.scalar(node, "repeat", path)
            try:
                times = int(str(times_text).strip())
            except ValueError:
                raise self.fail(
                    f"must be a whole number of at least 1, got {times_text!r}",
                    times_line,
                    _join(path, "repeat"),
                ) from None
            name, name_line = self.scalar(node, "name", path)
            if "segments" not in node.items:
                raise self.fail(
                    "a repeat block needs its own list of segments",
                    node.line,
                    _join(path, "segments"),
                )
            children = self.items(node.items["segments"], _join(path, "segments"), depth + 1)
            return self.build(
                Repeat,
                path,
                {"repeat": times_line, "name": name_line},
                node.line,
                times=times,
                segments=children,
                name=name,
                line=node.line,
                path=path,
            )
        self.check_keys(node, SEGMENT_KEYS, path, "segment")
        values: dict[str, Any] = {}
        lines: dict[str, int | None] = {}
        for key in ("name", "duration", "steps", "breath", "sound"):
            values[key], lines[key] = self.scalar(node, key, path)
        values["spm"], lines["spm"] = self.spm(node, path)
        if values["name"] is None:
            raise self.fail(
                "every segment needs a name (e.g. Run, Walk)", node.line, _join(path, "name")
            )
        if values["steps"] is not None:
            text = str(values["steps"]).strip()
            if not (text.isascii() and text.isdigit()):
                raise self.fail(
                    f"must be a whole number of steps above 0, got {text!r}",
                    lines["steps"],
                    _join(path, "steps"),
                )
            values["steps"] = int(text)
        if values["breath"] is None and "breath" in node.items:
            values["breath"] = "off"  # `breath:` left empty or `breath: null` means no cues
        if values["sound"] is None and "sound" in node.items:
            values["sound"] = "off"
        return self.build(Segment, path, lines, node.line, line=node.line, path=path, **values)


def _join(path: str, key: str) -> str:
    if not key:
        return path
    return f"{path}.{key}" if path else key


def parse_plan(
    text_or_mapping: str | bytes | Mapping[str, Any], *, source: str = "<string>"
) -> Plan:
    """Build a :class:`Plan` from YAML text (or bytes) or from an already-parsed mapping.

    ``source`` names where it came from in error messages. Raises ``PlanError`` with file, line
    and field for anything malformed: invalid YAML, unknown keys (with a "did you mean" hint),
    bad values, YAML tags, alias bombs, binary data.
    """
    tree = _tree(text_or_mapping, source)
    if is_program_tree(tree):
        raise PlanError(
            "this is a program (it lists weeks), not a plan; read it with parse_program(), or "
            "pick a session with load_plan(name, week=W, session=S)",
            source=source,
        )
    return _Builder(source).plan(tree)


def _tree(text_or_mapping: str | bytes | Mapping[str, Any], source: str) -> Any:
    """Compose YAML text or wrap a mapping into the reader's tree."""
    if isinstance(text_or_mapping, Mapping):
        return _from_python(text_or_mapping)
    return _compose(_decode(text_or_mapping, source), source)


def is_program_tree(tree: Any) -> bool:
    """True when a read YAML tree is a program (a mapping with ``weeks``) rather than a plan."""
    return isinstance(tree, _Map) and "weeks" in tree.items and "segments" not in tree.items


def _build_any(
    tree: Any, source: str, folder: Path | None, *, builtin: bool = False
) -> Plan | Program:
    if is_program_tree(tree):
        from runcoach.plans.programs import build_program

        return build_program(tree, source, folder, builtin=builtin)
    return _Builder(source).plan(tree)


def parse_any(
    text_or_mapping: str | bytes | Mapping[str, Any],
    *,
    source: str = "<string>",
    folder: str | os.PathLike[str] | None = None,
) -> Plan | Program:
    """Build a :class:`Plan` or, for a mapping with ``weeks``, a
    :class:`~runcoach.plans.programs.Program`. ``folder`` is where a program's sessions that
    name plan files are looked up first. Raises ``PlanError`` as :func:`parse_plan` does.
    """
    where = Path(folder) if folder is not None else None
    return _build_any(_tree(text_or_mapping, source), source, where)


def _decode(data: str | bytes, source: str) -> str:
    if isinstance(data, str):
        text = data
    else:
        if len(data) > MAX_PLAN_BYTES:
            raise PlanError(f"the file is too large for a plan ({len(data)} bytes)", source=source)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PlanError("not a text file (plans are UTF-8 YAML)", source=source) from None
    if len(text) > MAX_PLAN_BYTES:
        raise PlanError(f"the text is too large for a plan ({len(text)} characters)", source=source)
    bad = next((c for c in text if c == "\x00" or (ord(c) < 32 and c not in "\t\n\r")), None)
    if bad is not None:
        line = text[: text.index(bad)].count("\n") + 1
        raise PlanError(
            "binary data in the file: plans are UTF-8 YAML text", source=source, line=line
        )
    return text


def read_plan_file(path: str | os.PathLike[str]) -> Plan:
    """Read and check a plan file. Raises ``PlanError`` naming the file for any problem
    (a program file included: pick one of its sessions with :func:`load_plan`)."""
    item = read_file(path)
    if isinstance(item, Plan):
        return item
    raise _program_needs_choice(item, os.fspath(path))


def read_file(path: str | os.PathLike[str]) -> Plan | Program:
    """Read and check a plan or program file. Raises ``PlanError`` naming the file."""
    source = os.fspath(path)
    try:
        with open(source, "rb") as handle:
            data = handle.read(MAX_PLAN_BYTES + 1)
    except FileNotFoundError:
        raise PlanError("no such plan file", source=source) from None
    except IsADirectoryError:
        raise PlanError("is a folder, not a plan file", source=source) from None
    except OSError as err:
        raise PlanError(f"cannot read the plan: {err.strerror or err}", source=source) from None
    return _build_any(_tree(data, source), source, Path(source).parent)


_BUILTIN_PACKAGE = "runcoach.plans"
_BUILTIN_PROGRAMS = "programs"
#: The environment variable that names the user plan folder (overrides the platform default).
PLANS_DIR_ENV = "RUNCOACH_PLANS_DIR"
_PLAN_SUFFIXES = (".yaml", ".yml")


def builtin_plan_names() -> list[str]:
    """Names of the plans that ship with runcoach, sorted."""
    folder = resources.files(_BUILTIN_PACKAGE)
    return sorted(
        entry.name[: -len(".yaml")] for entry in folder.iterdir() if entry.name.endswith(".yaml")
    )


def builtin_program_names() -> list[str]:
    """Names of the multi-week programs that ship with runcoach, sorted."""
    folder = resources.files(_BUILTIN_PACKAGE) / _BUILTIN_PROGRAMS
    return sorted(
        entry.name[: -len(".yaml")] for entry in folder.iterdir() if entry.name.endswith(".yaml")
    )


def _builtin_plan(name: str) -> Plan:
    entry = resources.files(_BUILTIN_PACKAGE) / f"{name}.yaml"
    return parse_plan(entry.read_bytes(), source=f"{name} (built-in plan)")


def _builtin_program(name: str) -> Program:
    from runcoach.plans.programs import Program

    entry = resources.files(_BUILTIN_PACKAGE) / _BUILTIN_PROGRAMS / f"{name}.yaml"
    source = f"{name} (built-in program)"
    item = _build_any(_tree(entry.read_bytes(), source), source, None, builtin=True)
    assert isinstance(item, Program)
    return item


def builtin_text(name: str) -> str:
    """The YAML text of a built-in plan or program (to copy and adapt). Raises ``PlanError``."""
    if name in builtin_plan_names():
        entry = resources.files(_BUILTIN_PACKAGE) / f"{name}.yaml"
    elif name in builtin_program_names():
        entry = resources.files(_BUILTIN_PACKAGE) / _BUILTIN_PROGRAMS / f"{name}.yaml"
    else:
        raise PlanError(f"no built-in plan or program named {name!r}")
    return entry.read_text(encoding="utf-8")


def user_plans_dir() -> Path:
    """The user plan folder: ``$RUNCOACH_PLANS_DIR`` when set, otherwise ``runcoach/plans`` in
    the platform's user config folder (``~/.config/runcoach/plans`` on Linux). It may not exist.
    """
    env = os.environ.get(PLANS_DIR_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("runcoach", appauthor=False)) / "plans"


def user_plan_files() -> dict[str, Path]:
    """The user's plan and program files by name (``NAME.yaml`` or ``NAME.yml``), sorted.

    A missing or unreadable folder gives an empty mapping.
    """
    folder = user_plans_dir()
    found: dict[str, Path] = {}
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return {}
    for entry in entries:
        if entry.suffix in _PLAN_SUFFIXES and not entry.name.startswith("."):
            # NAME.yaml wins over NAME.yml: sorted() puts .yaml after .yml
            found[entry.stem] = entry
    return dict(sorted(found.items()))


def _user_file(name: str) -> Path | None:
    folder = user_plans_dir()
    for suffix in (".yaml", ".yml"):
        candidate = folder / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def looks_like_path(name: str) -> bool:
    """True when ``name`` is meant as a file rather than a plan name."""
    return os.sep in name or "/" in name or name.endswith((".yaml", ".yml")) or name.startswith(".")


def load_any(name_or_path: str | os.PathLike[str]) -> Plan | Program:
    """Load a plan or a program by name or path.

    A value with a folder separator or a ``.yaml``/``.yml`` ending is a path. A name is looked
    up in the user plan folder (:func:`user_plans_dir`) first, then among the built-in plans and
    programs, then as a file in the current folder. Raises ``PlanError`` (listing what is
    available for an unknown name).
    """
    if isinstance(name_or_path, os.PathLike):
        return read_file(name_or_path)
    name = str(name_or_path)
    if looks_like_path(name):
        return read_file(name)
    if name:
        user = _user_file(name)
        if user is not None:
            return read_file(user)
    if name in builtin_plan_names():
        return _builtin_plan(name)
    if name in builtin_program_names():
        return _builtin_program(name)
    if name and Path(name).is_file():
        return read_file(name)
    available = builtin_plan_names()
    programs = builtin_program_names()
    users = list(user_plan_files())
    close = difflib.get_close_matches(name, [*users, *available, *programs], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    yours = f"; your plans: {', '.join(users)}" if users else ""
    raise PlanError(
        f"unknown plan {name!r}{hint}; built-in plans: {', '.join(available)}; "
        f"programs: {', '.join(programs)}{yours}; or give the path of a .yaml file"
    )


def load_plan(
    name_or_path: str | os.PathLike[str],
    *,
    week: int | None = None,
    session: int | None = None,
) -> Plan:
    """Load a plan by name (``"intervals"``, or one of yours) or from a YAML file path.

    A name is looked up in the user plan folder first (``$RUNCOACH_PLANS_DIR``, or
    ``runcoach/plans`` in the user config folder), then among the built-ins; a value with a
    folder separator or a ``.yaml``/``.yml`` ending is a path. For a multi-week program
    (``"return-to-run"``) give ``week`` and ``session`` (both from 1): the result is that
    session's plan, the week's cadence change applied.

    Raises ``PlanError`` for a missing or malformed plan (listing the available plans for an
    unknown name), ``OptionError`` for a missing or out-of-range week or session.
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


def _program_needs_choice(program: Program, source: str) -> PlanError:
    return PlanError(
        f"is a program of {_weeks(len(program.weeks))}, not a plan; choose a session with "
        f"{program.choice_hint()}",
        source=source,
    )


def _weeks(count: int) -> str:
    return f"{count} week" + ("" if count == 1 else "s")


def iter_builtin_plans() -> Iterator[Plan]:
    """Yield every built-in plan, loaded."""
    for name in builtin_plan_names():
        yield _builtin_plan(name)
