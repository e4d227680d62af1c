"""Sinks: where blocks of audio go. File writers live here (playback backends in ``playback``).

Every file is written to a hidden temporary file in the destination's folder and renamed over the
destination only once complete, so a failed or interrupted write (missing folder, full disk,
Ctrl-C, SIGTERM) leaves no partial file and never harms an existing one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import struct
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from runcoach.errors import OutputError
from runcoach.synth import to_pcm16

#: The largest RIFF/WAV payload (the size fields are 32-bit).
WAV_MAX_BYTES = 0xFFFFFFFF - 1024


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


def wav_header(*, rate: int, channels: int, frames: int, extra: int = 0) -> bytes:
    """A 44-byte PCM16 WAV header for ``frames`` frames; ``extra`` bytes of chunks follow data."""
    data_bytes = frames * channels * 2
    pad = data_bytes & 1
    riff = 4 + (8 + 16) + (8 + data_bytes + pad) + extra
    return (
        b"RIFF"
        + struct.pack("<I", riff)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


def write_wav(
    path: str | os.PathLike[str],
    blocks: Iterable[np.ndarray],
    *,
    rate: int,
    channels: int,
    total_frames: int,
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Stream ``blocks`` (float32, ``(frames, channels)``) into a 16-bit PCM WAV at ``path``.

    The header is written first from ``total_frames``; the file appears at ``path`` only when
    complete. ``progress`` is called with the frames written so far after each block.
    Raises ``OutputError`` (too long for WAV, cannot write) and lets ``KeyboardInterrupt`` through
    after cleaning up.
    """
    data_bytes = total_frames * channels * 2
    if data_bytes > WAV_MAX_BYTES:
        hours = WAV_MAX_BYTES / (rate * channels * 2 * 3600)
        raise OutputError(
            f"{path}: a WAV file holds at most {hours:.1f} hours at {rate} Hz "
            f"{'stereo' if channels == 2 else 'mono'}; use a lower --sample-rate or mono"
        )
    dest = Path(path)
    with atomic_output(dest) as handle:
        handle.write(wav_header(rate=rate, channels=channels, frames=total_frames))
        written = 0
        for block in blocks:
            handle.write(to_pcm16(block))
            written += len(block)
            if progress is not None:
                progress(written)
        if written != total_frames:  # pragma: no cover - a mixer bug, never a user error
            raise RuntimeError(f"mixer produced {written} frames, expected {total_frames}")
        if data_bytes & 1:
            handle.write(b"\x00")
    return dest
