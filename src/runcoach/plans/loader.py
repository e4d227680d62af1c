"""Plans from YAML: the plan builder, and finding plan files by name or path.

A plan is read in two steps: :mod:`runcoach.plans.tree` turns YAML into plain nodes with line
numbers, and :class:`PlanBuilder` turns the nodes into the model, locating every error as
``file:line: field: problem``. Files are read by :func:`read_input`, the one reader of input
files: only regular files, with a size limit checked before reading.

Plans are found by name in the user plan folder (``$RUNCOACH_PLANS_DIR``, or ``runcoach/plans``
in the platform's user config folder), then among the built-ins shipped in this package.
Programs are one level up, in :mod:`runcoach.plans.programs` and :mod:`runcoach.plans.catalogue`.
"""

from __future__ import annotations

import difflib
import errno
import os
import stat
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from runcoach.errors import PlanError
from runcoach.plans.model import Plan, Repeat, Segment
from runcoach.plans.tree import (
    MAX_PLAN_BYTES,
    Builder,
    Map,
    Scalar,
    Seq,
    is_program_tree,
    join,
    tree_of,
)
from runcoach.plans.units import MAX_DEPTH, quote

PLAN_KEYS = ("name", "description", "spm", "breath", "sound", "segments")
SEGMENT_KEYS = ("name", "duration", "steps", "spm", "breath", "sound")
REPEAT_KEYS = ("repeat", "segments", "name")

BUILTIN_PACKAGE = "runcoach.plans"
BUILTIN_PROGRAMS = "programs"
#: The environment variable that names the user plan folder (overrides the platform default).
PLANS_DIR_ENV = "RUNCOACH_PLANS_DIR"
PLAN_SUFFIXES = (".yaml", ".yml")
#: Opening never blocks (a FIFO with no writer) and never leaks into child processes.
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


class PlanBuilder(Builder):
    """Builds a :class:`Plan` from a read YAML tree, locating every error."""

    def plan(self, tree: Any) -> Plan:
        if not isinstance(tree, Map):
            kind = "a list" if isinstance(tree, Seq) else f"the value {quote(tree.text)}"
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
        if not isinstance(node, Seq):
            got = "nothing" if isinstance(node, Scalar) and node.null else "a single value"
            if isinstance(node, Map):
                got = "a mapping"
            raise self.fail(f"must be a list of segments, got {got}", line, path)
        if not node.items:
            raise self.fail("must list at least one segment", line, path)
        if depth > MAX_DEPTH:
            raise self.fail(f"repeat blocks nest more than {MAX_DEPTH} deep", line, path)
        return [self.item(child, f"{path}[{i}]", depth) for i, child in enumerate(node.items)]

    def item(self, node: Any, path: str, depth: int) -> Segment | Repeat:
        if not isinstance(node, Map):
            raise self.fail(
                "each segment is a mapping such as {name: Run, duration: 2m}", node.line, path
            )
        if "repeat" in node.items:
            self.check_keys(node, REPEAT_KEYS, path, "repeat block")
            times_text, times_line = self.scalar(node, "repeat", path)
            text = str(times_text).strip()
            if not (text.isascii() and text.isdigit() and len(text) <= 9):
                raise self.fail(
                    f"must be a whole number of at least 1, got {quote(times_text)}",
                    times_line,
                    join(path, "repeat"),
                )
            times = int(text)
            name, name_line = self.scalar(node, "name", path)
            if "segments" not in node.items:
                raise self.fail(
                    "a repeat block needs its own list of segments",
                    node.line,
                    join(path, "segments"),
                )
            children = self.items(node.items["segments"], join(path, "segments"), depth + 1)
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
                "every segment needs a name (e.g. Run, Walk)", node.line, join(path, "name")
            )
        if values["steps"] is not None:
            text = str(values["steps"]).strip()
            if not (text.isascii() and text.isdigit() and len(text) <= 9):
                raise self.fail(
                    f"must be a whole number of steps above 0, got {quote(text)}",
                    lines["steps"],
                    join(path, "steps"),
                )
            values["steps"] = int(text)
        if values["breath"] is None and "breath" in node.items:
            values["breath"] = "off"  # `breath:` left empty or `breath: null` means no cues
        if values["sound"] is None and "sound" in node.items:
            values["sound"] = "off"
        return self.build(Segment, path, lines, node.line, line=node.line, path=path, **values)


def parse_plan(
    text_or_mapping: str | bytes | Mapping[str, Any], *, source: str = "<string>"
) -> Plan:
    """Build a :class:`Plan` from YAML text (or bytes) or from an already-parsed mapping.

    ``source`` names where it came from in error messages. Raises ``PlanError`` with file, line
    and field for anything malformed: invalid YAML, unknown keys (with a "did you mean" hint),
    bad values, YAML tags, alias bombs, binary data.
    """
    tree = tree_of(text_or_mapping, source)
    if is_program_tree(tree):
        raise PlanError(
            "this is a program (it lists weeks), not a plan; read it with parse_program(), or "
            "pick a session with load_plan(name, week=W, session=S)",
            source=source,
        )
    return PlanBuilder(source).plan(tree)


def read_input(
    path: str | os.PathLike[str], *, limit: int = MAX_PLAN_BYTES, what: str = "plan"
) -> bytes:
    """The bytes of an input file: a regular file (or a link to one) of at most ``limit`` bytes.

    FIFOs, devices, sockets and folders are refused before anything is read (a FIFO would block
    forever, ``/dev/zero`` never ends), and so is a file over the limit. Raises ``PlanError``
    naming the file.
    """
    source = os.fspath(path)
    try:
        fd = os.open(
            source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        )
    except FileNotFoundError:
        # A shell passes a pattern that matched nothing as it is: say so, not just "no such file".
        pattern = " (no file matches this pattern)" if any(c in source for c in "*?[") else ""
        raise PlanError(f"no such {what} file{pattern}", source=source) from None
    except OSError as err:
        raise PlanError(_os_problem(err, what), source=source) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise PlanError(f"is a folder, not a {what} file", source=source)
        if not stat.S_ISREG(info.st_mode):
            raise PlanError(
                f"is not a regular file (a device, FIFO or socket): not a {what} file",
                source=source,
            )
        if info.st_size > limit:
            raise PlanError(
                f"the file is too large for a {what} ({info.st_size} bytes, at most {limit})",
                source=source,
            )
        chunks = []
        size = 0
        while chunk := os.read(fd, 1 << 16):
            size += len(chunk)
            if size > limit:  # the file grew while we read it
                raise PlanError(
                    f"the file is too large for a {what} (over {limit} bytes)", source=source
                )
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as err:
        raise PlanError(_os_problem(err, what), source=source) from None
    finally:
        os.close(fd)


def _os_problem(err: OSError, what: str) -> str:
    if err.errno == errno.EISDIR:
        return f"is a folder, not a {what} file"
    if err.errno == errno.ELOOP:
        return "is a symbolic link that loops"
    return f"cannot read the {what}: {err.strerror or err}"


def read_plan(path: str | os.PathLike[str], *, program_problem: str | None = None) -> Plan:
    """Read and check a plan file. Raises ``PlanError`` naming the file for any problem (a
    program file included; :func:`runcoach.plans.catalogue.read_plan_file` says how to choose
    one of its sessions)."""
    source = os.fspath(path)
    tree = tree_of(read_input(source), source)
    if is_program_tree(tree):
        raise PlanError(
            program_problem
            or "is a program (it lists weeks), not a plan; choose one of its sessions with "
            "--week and --session",
            source=None if program_problem else source,
        )
    return PlanBuilder(source).plan(tree)


def builtin_plan_names() -> list[str]:
    """Names of the plans that ship with runcoach, sorted."""
    return _names(resources.files(BUILTIN_PACKAGE))


def builtin_program_names() -> list[str]:
    """Names of the multi-week programs that ship with runcoach, sorted."""
    return _names(resources.files(BUILTIN_PACKAGE) / BUILTIN_PROGRAMS)


def _names(folder: Any) -> list[str]:
    return sorted(e.name[: -len(".yaml")] for e in folder.iterdir() if e.name.endswith(".yaml"))


def builtin_plan(name: str) -> Plan:
    """A built-in plan by name. Raises ``PlanError`` for an unknown name."""
    if name not in builtin_plan_names():
        raise PlanError(f"no built-in plan named {quote(name)}")
    entry = resources.files(BUILTIN_PACKAGE) / f"{name}.yaml"
    return parse_plan(entry.read_bytes(), source=f"{name} (built-in plan)")


def user_plans_dir() -> Path:
    """The user plan folder: ``$RUNCOACH_PLANS_DIR`` when set, otherwise ``runcoach/plans`` in
    the platform's user config folder (``~/.config/runcoach/plans`` on Linux). It may not exist.
    """
    env = os.environ.get(PLANS_DIR_ENV, "").strip()
    if env:
        folder = Path(env)
        try:
            return folder.expanduser()
        except RuntimeError:  # ~user that does not exist: taken as written
            return folder
    import platformdirs

    return Path(platformdirs.user_config_dir("runcoach", appauthor=False)) / "plans"


def user_plan_files() -> dict[str, Path]:
    """The user's plan and program files by name (``NAME.yaml`` or ``NAME.yml``), sorted.

    A missing or unreadable folder gives an empty mapping; hidden files are passed over.
    """
    try:
        entries = sorted(user_plans_dir().iterdir())
    except OSError:
        return {}
    found: dict[str, Path] = {}
    for entry in entries:
        if entry.suffix in PLAN_SUFFIXES and not entry.name.startswith("."):
            # NAME.yaml wins over NAME.yml: sorted() puts .yaml after .yml
            found[entry.stem] = entry
    return dict(sorted(found.items()))


def user_file(name: str) -> Path | None:
    """The user's file for plan or program ``name``, if there is one."""
    folder = user_plans_dir()
    for suffix in PLAN_SUFFIXES:
        candidate = folder / f"{name}{suffix}"
        if _exists(candidate):
            return candidate
    return None


def looks_like_path(name: str) -> bool:
    """True when ``name`` is meant as a file rather than a plan name."""
    return os.sep in name or "/" in name or name.endswith(PLAN_SUFFIXES) or name.startswith(".")


def find_plan(
    ref: str,
    folder: Path | None = None,
    *,
    builtin_only: bool = False,
    within: str | None = None,
) -> Plan:
    """A plan named by a program's session (or by a caller): a path (relative to ``folder``),
    or a name looked up next to ``folder``, then in the user plan folder, the built-ins and the
    current folder. With ``builtin_only`` (a built-in program's sessions) only built-in plans,
    so they play the same for everyone. ``within`` is the program file naming it: a session
    that names a program (that program itself, or another) is refused naming the chain.
    Raises ``PlanError`` listing the plans."""
    if builtin_only:
        return builtin_plan(ref)
    found: Path | None
    if looks_like_path(ref):
        path = Path(ref)
        found = path if folder is None or path.is_absolute() else folder / path
    else:
        siblings = [folder / f"{ref}{suffix}" for suffix in PLAN_SUFFIXES] if folder else []
        found = next((c for c in siblings if _exists(c)), None) or user_file(ref)
    if found is not None:
        return read_plan(found, program_problem=_program_problem(ref, found, within))
    if ref in builtin_plan_names():
        return builtin_plan(ref)
    if ref in builtin_program_names():
        raise PlanError(_program_problem(ref, None, within))
    if ref and is_file(Path(ref)):
        return read_plan(ref, program_problem=_program_problem(ref, Path(ref), within))
    raise unknown_name(ref, "plan")


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # a name too long or with a NUL, a folder not searchable
        return False


def is_file(path: Path) -> bool:
    """True when ``path`` is a regular file (or a link to one); False for anything else,
    including a name too long for the file system or one holding a NUL."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _program_problem(ref: str, found: Path | None, within: str | None) -> str:
    """Why a session may not name a program, with the chain of files when there is one."""
    problem = f"{quote(ref)} is a program; a session names a plan"
    if within is None:
        return problem
    target = os.fspath(found) if found is not None else f"{ref} (built-in program)"
    if found is not None and _same_file(found, within):
        return f"{quote(ref)} is this program itself ({within} → {target}); a session names a plan"
    return f"{problem}, and a program cannot include another ({within} → {target})"


def _same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def unknown_name(name: str, what: str) -> PlanError:
    """The error for a name that is no plan or program: what there is, and a close match."""
    available = builtin_plan_names()
    programs = builtin_program_names()
    users = list(user_plan_files())
    close = difflib.get_close_matches(name, [*users, *available, *programs], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    yours = f"; your plans: {', '.join(users)}" if users else ""
    return PlanError(
        f"unknown {what} {quote(name)}{hint}; built-in plans: {', '.join(available)}; "
        f"programs: {', '.join(programs)}{yours}; or give the path of a .yaml file"
    )
