"""The YAML tree: plan and program files read into plain nodes with line numbers.

The only code in runcoach that reads YAML. It composes the YAML into nodes (never constructing
Python objects, so tags such as ``!!python/object`` are refused, not run), keeps each scalar's raw
text (so ``breath: 4:6`` and ``duration: 1:30`` mean what a runner wrote, not YAML 1.1
sexagesimal numbers, and ``breath: off`` works unquoted), counts the values it visits (so alias
bombs stop early), and locates every problem as ``file:line: field: problem``.

:class:`Builder` is the base the plan and program builders share: key checks with a "did you
mean" hint, raw values with their lines, and constructor errors turned into located ones.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import yaml

from runcoach.errors import PlanError
from runcoach.plans.units import quote

#: Largest plan file read, in bytes.
MAX_PLAN_BYTES = 1_000_000
#: Most YAML values visited while reading one plan (aliases count each time they are used).
MAX_VALUES = 20_000

_T = TypeVar("_T")

_SAFE_TAGS = {
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq")
}


@dataclass(frozen=True)
class Scalar:
    text: str
    line: int | None
    null: bool = False


@dataclass(frozen=True)
class Map:
    items: dict[str, tuple[int | None, Any]]  # key -> (line of the key, value)
    line: int | None


@dataclass(frozen=True)
class Seq:
    items: list[Any]
    line: int | None


class Reader:
    """Turns a composed YAML node tree into Scalar/Map/Seq, with limits."""

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
            raise self.error(f"YAML tag {quote(node.tag)} is not allowed in a plan", line)
        if isinstance(node, yaml.ScalarNode):
            return Scalar(str(node.value), line, node.tag.endswith(":null"))
        if isinstance(node, yaml.SequenceNode):
            return Seq([self.read(child, depth + 1) for child in node.value], line)
        if isinstance(node, yaml.MappingNode):
            items: dict[str, tuple[int | None, Any]] = {}
            for key_node, value_node in node.value:
                key = self.read(key_node, depth + 1)
                if not isinstance(key, Scalar):
                    raise self.error("a key must be plain text", key_node.start_mark.line + 1)
                if key.text in items:
                    raise self.error(f"key {quote(key.text)} appears twice", key.line)
                items[key.text] = (key.line, self.read(value_node, depth + 1))
            return Map(items, line)
        raise self.error("unsupported YAML node", line)  # pragma: no cover


def compose(text: str, source: str) -> Any:
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
    return Reader(source).read(node)


def from_python(value: object) -> Any:
    """Wrap a plain Python structure the way the YAML reader would (no line numbers), with the
    reader's limits: nesting, the number of values, and numbers too long to write out."""
    count = 0

    def wrap(item: object, depth: int) -> Any:
        nonlocal count
        count += 1
        if depth > 64:
            raise PlanError("the plan nests too deeply")
        if count > MAX_VALUES:
            raise PlanError(f"the plan has more than {MAX_VALUES} values")
        if isinstance(item, Mapping):
            return Map({_text(k): (None, wrap(v, depth + 1)) for k, v in item.items()}, None)
        if isinstance(item, (list, tuple)):
            return Seq([wrap(v, depth + 1) for v in item], None)
        if item is None:
            return Scalar("", None, null=True)
        if isinstance(item, bool):
            return Scalar("true" if item else "false", None)
        return Scalar(_text(item), None)

    return wrap(value, 0)


def _text(value: object) -> str:
    try:
        return str(value)
    except ValueError:  # an int past Python's 4,300-digit limit for text
        raise PlanError(f"expected a plan value, got {quote(value)}") from None


class Builder:
    """Builds model objects from the read tree, locating every error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, problem: str, line: int | None, field: str) -> PlanError:
        return PlanError(problem, source=self.source, line=line, field=field)

    def check_keys(self, node: Map, allowed: Sequence[str], path: str, what: str) -> None:
        for key, (line, _) in node.items.items():
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = (
                    f"; did you mean {close[0]!r}?"
                    if close
                    else (f"; {what} keys are {', '.join(allowed)}")
                )
                shown = key if len(key) <= 40 else key[:36] + "…"  # the field path stays short
                raise self.fail(f"unknown key {quote(key)}{hint}", line, join(path, shown))

    def scalar(self, node: Map, key: str, path: str) -> tuple[object, int | None]:
        """The raw text of ``key`` (None when absent or null), and its line."""
        if key not in node.items:
            return None, None
        line, value = node.items[key]
        if isinstance(value, Scalar):
            return (None if value.null else value.text), line
        kind = "a list" if isinstance(value, Seq) else "a mapping"
        raise self.fail(f"expected a single value, got {kind}", line, join(path, key))

    def spm(self, node: Map, path: str) -> tuple[object, int | None]:
        if "spm" in node.items:
            line, value = node.items["spm"]
            if isinstance(value, Seq):
                items = []
                for i, item in enumerate(value.items):
                    if not isinstance(item, Scalar):
                        raise self.fail(
                            "a ramp is a list of two cadences [start, end]",
                            line,
                            f"{join(path, 'spm')}[{i}]",
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
            if err.source:  # already located (a named plan's own file): keep its place
                raise
            field = err.field or ""
            line = lines.get(field) or default_line
            raise self.fail(err.problem, line, join(where, field) or field) from None


def join(path: str, key: str) -> str:
    if not key:
        return path
    return f"{path}.{key}" if path else key


def decode(data: str | bytes, source: str) -> str:
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


def tree_of(text_or_mapping: str | bytes | Mapping[str, Any], source: str) -> Any:
    """Compose YAML text or wrap a mapping into the reader's tree."""
    if isinstance(text_or_mapping, Mapping):
        return from_python(text_or_mapping)
    return compose(decode(text_or_mapping, source), source)


def is_program_tree(tree: Any) -> bool:
    """True when a read YAML tree is a program (a mapping with ``weeks``) rather than a plan."""
    return isinstance(tree, Map) and "weeks" in tree.items and "segments" not in tree.items
