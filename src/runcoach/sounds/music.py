"""The runner's own music under the session: decoded in blocks (MP3, FLAC, OGG, WAV through
libsndfile), resampled to the session's rate with soxr, looped or trimmed to its length."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from runcoach._quiet import quiet_stderr
from runcoach.errors import OptionError

#: Frames decoded at a time.
_BLOCK = 16384


def _open(path: str | os.PathLike[str]) -> Any:
    import soundfile

    if not os.path.isfile(path):
        raise OptionError(f"{path}: no such music file")
    try:
        with quiet_stderr():
            return soundfile.SoundFile(os.fspath(path))
    except (RuntimeError, soundfile.LibsndfileError):
        raise OptionError(
            f"{path}: cannot decode this music file; use MP3, FLAC, OGG or WAV audio"
        ) from None


def _remix(block: np.ndarray, channels: int) -> np.ndarray:
    if block.shape[1] == channels:
        return block
    if channels == 1:
        mono: np.ndarray = block.mean(axis=1, keepdims=True, dtype=np.float32)
        return mono
    if block.shape[1] == 1:
        return np.repeat(block, channels, axis=1)
    return block[:, :channels]


def decode(path: str | os.PathLike[str], *, rate: int, channels: int) -> Iterator[np.ndarray]:
    """Yield the file's audio once through, as float32 ``(frames, channels)`` at ``rate``.

    Raises ``OptionError`` for a missing or undecodable file.
    """
    import soxr

    handle = _open(path)
    with handle:
        native = int(handle.samplerate)
        resampler = (
            None if native == rate else soxr.ResampleStream(native, rate, channels, dtype="float32")
        )
        for block in handle.blocks(
            blocksize=_BLOCK,
            dtype="float32",
            always_2d=True,
        ):
            block = _remix(block, channels)
            if resampler is not None:
                block = resampler.resample_chunk(block)
            if len(block):
                yield block
        if resampler is not None:
            tail = resampler.resample_chunk(np.zeros((0, channels), np.float32), last=True)
            if len(tail):
                yield tail


def peak(path: str | os.PathLike[str]) -> float:
    """The highest absolute sample of the file (one decoding pass, flat memory)."""
    handle = _open(path)
    top = 0.0
    with handle:
        for block in handle.blocks(blocksize=_BLOCK, dtype="float32"):
            if len(block):
                top = max(top, float(np.max(np.abs(block))))
    return top


def looped(
    path: str | os.PathLike[str], *, rate: int, channels: int, frames: int
) -> Iterator[np.ndarray]:
    """Yield exactly ``frames`` frames of the music, starting again at its end as needed."""
    left = frames
    while left > 0:
        produced = 0
        for block in decode(path, rate=rate, channels=channels):
            block = block[:left]
            produced += len(block)
            left -= len(block)
            yield block
            if left == 0:
                return
        if produced == 0:
            raise OptionError(f"{path}: the music file holds no audio")
