"""Sinks: atomic file output for every writer (the formats are in ``formats``, playback
backends in ``playback``).

Every file is written to a hidden temporary file in the destination's folder and renamed over the
destination only once complete, so a failed or interrupted write (missing folder, full disk,
Ctrl-C, SIGTERM) leaves no partial file and never harms an existing one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from runcoach.errors import OutputError


def _describe(err: OSError) -> str:
    if err.errno == errno.ENOSPC:
        return "the disk is full"
    if err.errno == errno.EFBIG:
        return "the file is larger than allowed (file size limit)"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if err.errno == errno.EROFS:
        return "the file system is read-only"
    return err.strerror or str(err)


def check_destination(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` can be a new file: its folder exists and it is not a folder itself.

    Raises ``OutputError`` naming the path. Returns it as a ``Path``.
    """
    dest = Path(path)
    if str(path) == "":
        raise OutputError("no output file given")
    try:
        if dest.is_dir():
            raise OutputError(f"{dest}: is a folder; give a file name such as {dest / 'run.wav'}")
        folder = dest.parent
        if not folder.exists():
            raise OutputError(f"{dest}: the folder {folder} does not exist")
        if not folder.is_dir():
            raise OutputError(f"{dest}: {folder} is not a folder")
        if not os.access(folder, os.W_OK):
            why = "the file system is read-only" if _read_only(folder) else "permission denied"
            raise OutputError(f"{dest}: cannot write in {folder} ({why})")
    except OSError as err:  # e.g. a name too long for the file system, a symbolic link loop
        raise OutputError(f"{dest}: {_describe(err)}") from None
    return dest


def _read_only(folder: Path) -> bool:
    """True when ``folder`` is on a file system mounted read-only."""
    if not hasattr(os, "statvfs"):  # pragma: no cover - Windows
        return False
    return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Give a temporary file's path beside ``path``; rename it to ``path`` on success.

    For writers that open the file themselves (libraries that need a file name). On any
    exception (including ``KeyboardInterrupt``) the temporary file is removed and the exception
    propagates; ``OSError`` becomes ``OutputError`` naming ``path``. An existing file at
    ``path`` is replaced only by a complete new one.
    """
    dest = check_destination(path)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    except OSError as err:
        raise OutputError(f"{dest}: cannot create a file: {_describe(err)}") from None
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.fchmod(fd, 0o666 & ~umask)
        os.close(fd)
        yield Path(tmp_name)
        with open(tmp_name, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_name, dest)
    except OSError as err:
        _remove(tmp_name)
        raise OutputError(f"{dest}: cannot write: {_describe(err)}; nothing was written") from None
    except BaseException:
        _remove(tmp_name)
        raise


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Like :func:`atomic_path`, but opens the temporary file for writing."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        yield handle


def _remove(name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name)
