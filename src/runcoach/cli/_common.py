"""Transitional: the names the command modules still being written import (``app`` and
``_reporting``). The errors are mapped once, by :mod:`runcoach.cli.base`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from runcoach.cli.base import app


@contextlib.contextmanager
def _reporting() -> Iterator[None]:
    yield


__all__ = ["_reporting", "app"]
