"""Sinks: atomic file output for every writer (the formats are in ``codecs``, playback
backends in ``playback``), and the one check every destination goes through.

Every file is written to a hidden temporary file in the destination's folder and renamed over the
destination only once complete, so a failed or interrupted write (missing folder, full disk,
Ctrl-C, SIGTERM) leaves no partial file and never harms an existing one.

Only regular files are ever replaced: a destination that is a device, a FIFO or a socket (or a
symbolic link to one) is refused, and so is a destination that is the same file as one of the
inputs (compared by device and inode, so links and other spellings of the name count).

A temporary file is named ``.<destination>.<8 random characters>.part`` (the destination's name
cut so the whole stays within the file system's limit, 255 bytes) and is locked
(``fcntl.flock``) by the process writing it for as long as it exists. A process killed with
``kill -9`` leaves its temporary file unlocked: :func:`remove_stale_parts` removes those, and
never one that a live process is writing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from runcoach.errors import OutputError
from runcoach.plans.units import quote

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locks, so no clean-up of stale files
    fcntl = None  # type: ignore[assignment]

#: The longest file name, in bytes, when the file system does not say.
NAME_MAX = 255
#: The ending of every temporary file; with the leading dot and mkstemp's 8 random characters.
PART_SUFFIX = ".part"
_RANDOM_CHARS = 8  # what tempfile.mkstemp puts between prefix and suffix
_PART_NAME = re.compile(r"^\..*\.[a-z0-9_]{8}\.part$", re.DOTALL)

#: How long an export waits for another one writing into the same folder, in seconds.
BUSY_WAIT_SECONDS = 3.0

#: Temporary files this process is writing now (for :func:`discard_temporaries`).
_live: set[str] = set()


def _describe(err: OSError) -> str:
    if err.errno == errno.ENOSPC:
        return "the disk is full"
    if err.errno == errno.EDQUOT:
        return "the disk quota is exceeded"
    if err.errno == errno.EFBIG:
        return "the file is larger than allowed (file size limit)"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if err.errno == errno.EROFS:
        return "the file system is read-only"
    if err.errno == errno.ELOOP:
        return "a symbolic link that loops"
    if err.errno == errno.ENAMETOOLONG:
        return "the file name is too long"
    return err.strerror or str(err)


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_destination(
    path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str] | None] = ()
) -> Path:
    """Check that ``path`` can be written: its folder exists and can be written, and it is
    either missing or a regular file (or a symbolic link to one) that is none of ``inputs``.

    ``inputs`` are the files the output is made from (music, a plan file): the output may not be
    one of them, however it is spelled (compared by device and inode). Raises ``OutputError``
    naming the path. Returns it as a ``Path``.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise OutputError(f"the output must be a file name, got {quote(path)}")
    if os.fspath(path) == "":
        raise OutputError("no output file given")
    if "\0" in os.fspath(path):
        raise OutputError(f"{os.fspath(path)!r}: a file name cannot hold a NUL character")
    dest = Path(path)
    try:
        if dest.is_dir():
            raise OutputError(f"{dest}: is a folder; give a file name such as {dest / 'run.wav'}")
        if len(os.fsencode(dest.name)) > _name_max(dest.parent):
            raise OutputError(
                f"{dest}: the file name is too long ({len(os.fsencode(dest.name))} bytes, "
                f"at most {_name_max(dest.parent)})"
            )
        folder = dest.parent
        if not folder.exists():
            raise OutputError(f"{dest}: the folder {folder} does not exist")
        if not folder.is_dir():
            raise OutputError(f"{dest}: {folder} is not a folder")
        if not os.access(folder, os.W_OK):
            why = "the file system is read-only" if _read_only(folder) else "permission denied"
            raise OutputError(f"{dest}: cannot write in {folder} ({why})")
        info = _stat(dest)
        if info is not None and not stat.S_ISREG(info.st_mode):
            link = " (through a symbolic link)" if dest.is_symlink() else ""
            raise OutputError(
                f"{dest}: is {_kind(info.st_mode)}{link}; runcoach only replaces regular files"
            )
        if info is not None:
            for source in inputs:
                if source is not None and _same(info, source):
                    raise OutputError(
                        f"{dest}: is the same file as the input {os.fspath(source)}; "
                        "writing it would destroy the input: choose another output name"
                    )
    except OSError as err:  # e.g. a name too long for the file system, a symbolic link loop
        raise OutputError(f"{dest}: {_describe(err)}") from None
    return dest


def _stat(path: Path) -> os.stat_result | None:
    """``os.stat`` of ``path`` following links; ``None`` when nothing is there (or a dangling
    link, which is replaced like a missing file)."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def _same(info: os.stat_result, other: str | os.PathLike[str]) -> bool:
    try:
        theirs = os.stat(other)
    except (OSError, ValueError):
        return False
    return (info.st_dev, info.st_ino) == (theirs.st_dev, theirs.st_ino)


def _read_only(folder: Path) -> bool:
    """True when ``folder`` is on a file system mounted read-only."""
    if not hasattr(os, "statvfs"):  # pragma: no cover - Windows
        return False
    return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)


def _name_max(folder: Path) -> int:
    """The longest file name ``folder``'s file system takes, in bytes."""
    try:
        return min(NAME_MAX, os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return NAME_MAX


def part_prefix(name: str, name_max: int = NAME_MAX) -> str:
    """The start of the temporary file names for destination ``name``: ``.<name>.``, with
    ``name`` cut (at a character boundary) so that the whole temporary name, random part and
    ``.part`` included, stays within ``name_max`` bytes."""
    room = name_max - 2 - _RANDOM_CHARS - len(PART_SUFFIX)
    raw = os.fsencode(name)
    if len(raw) > room:
        raw = raw[:room]
        while raw:
            try:
                raw.decode("utf-8")
                break
            except UnicodeDecodeError:
                raw = raw[:-1]
    return "." + os.fsdecode(raw) + "."


def is_part_name(name: str) -> bool:
    """True for a name runcoach gives its temporary files (``.<name>.<random>.part``)."""
    return bool(_PART_NAME.match(name))


def remove_stale_parts(folder: str | os.PathLike[str], name: str | None = None) -> list[Path]:
    """Remove the temporary files in ``folder`` that no live process is writing (left by a
    process killed with ``kill -9``): only runcoach's own names, only regular files, only
    unlocked. With ``name``, only the temporary files of that destination. Returns what was
    removed; never raises for a file it cannot remove."""
    if fcntl is None:  # pragma: no cover - no locks: no way to tell a live writer
        return []
    where = Path(folder)
    prefix = part_prefix(name, _name_max(where)) if name is not None else None
    removed: list[Path] = []
    try:
        entries = list(os.scandir(where))
    except OSError:
        return removed
    for entry in entries:
        if not is_part_name(entry.name) or (prefix and not entry.name.startswith(prefix)):
            continue
        path = where / entry.name
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while its writer lives
            os.unlink(path)
            removed.append(path)
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed


def discard_temporaries() -> None:
    """Remove the temporary files this process is writing (a process about to end at once,
    e.g. a worker whose parent died)."""
    for name in list(_live):
        _remove(name)


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike[str],
    *,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    replace: bool = True,
) -> Iterator[Path]:
    """Give a temporary file's path beside ``path``; rename it to ``path`` on success.

    For writers that open the file themselves (libraries that need a file name). The
    destination is checked first (:func:`check_destination`, with ``inputs``). On any exception
    (including ``KeyboardInterrupt``) the temporary file is removed and the exception
    propagates; ``OSError`` becomes ``OutputError`` naming ``path``. An existing file at ``path``
    is replaced only by a complete new one; with ``replace=False`` it is never replaced (an
    ``OutputError`` says it exists).
    """
    dest = check_destination(path, inputs=inputs)
    remove_stale_parts(dest.parent, dest.name)
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=part_prefix(dest.name, _name_max(dest.parent)),
            suffix=PART_SUFFIX,
            dir=dest.parent,
        )
    except OSError as err:
        raise OutputError(f"{dest}: cannot create a file: {_describe(err)}") from None
    _live.add(tmp_name)
    umask = os.umask(0)
    os.umask(umask)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # ours while it exists
        os.fchmod(fd, 0o666 & ~umask)
        yield Path(tmp_name)
        with open(tmp_name, "rb+") as handle:
            os.fsync(handle.fileno())
        _put_in_place(tmp_name, dest, replace)
    except OSError as err:
        _remove(tmp_name)
        raise OutputError(f"{dest}: cannot write: {_describe(err)}; nothing was written") from None
    except BaseException:
        _remove(tmp_name)
        raise
    finally:
        _live.discard(tmp_name)
        os.close(fd)


def _put_in_place(tmp_name: str, dest: Path, replace: bool) -> None:
    if replace:
        os.replace(tmp_name, dest)
        return
    try:
        os.link(tmp_name, dest)  # fails if anything is there, atomically
    except FileExistsError:
        raise OutputError(f"{dest}: already exists; it was left as it is") from None
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if os.path.lexists(dest):  # no hard links here: check, then rename
            raise OutputError(f"{dest}: already exists; it was left as it is") from None
        os.replace(tmp_name, dest)
        return
    _remove(tmp_name)


@contextlib.contextmanager
def folder_lock(
    folder: Path, wait_seconds: float = BUSY_WAIT_SECONDS
) -> Iterator[tuple[int, int, int] | None]:
    """Hold an exclusive lock on ``folder`` (``fcntl.flock`` on the folder itself, so no lock
    file is left behind): one export at a time writes into a folder, and its manifest. Waits
    up to ``wait_seconds`` for another export, then raises ``OutputError`` saying the folder is
    busy. Yields ``(descriptor, device, inode)`` of the lock (``None`` without ``fcntl``)."""
    if fcntl is None:  # pragma: no cover - Windows: no lock
        yield None
        return
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_CLOEXEC)
    except OSError as err:
        raise OutputError(f"{folder}: cannot open the folder: {err.strerror or err}") from None
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OutputError(
                        f"{folder}: the folder is busy: another runcoach export is writing "
                        "into it; try again when it has finished"
                    ) from None
                time.sleep(0.1)
        info = os.fstat(fd)
        yield fd, info.st_dev, info.st_ino
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike[str],
    *,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    replace: bool = True,
) -> Iterator[BinaryIO]:
    """Like :func:`atomic_path`, but opens the temporary file for writing."""
    with atomic_path(path, inputs=inputs, replace=replace) as tmp, open(tmp, "wb") as handle:
        yield handle


def _remove(name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name)
