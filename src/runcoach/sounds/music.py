"""The runner's own music under the session: decoded in blocks with PyAV (FFmpeg in its wheel:
MP3, AAC/M4A, FLAC, OGG, Opus, WAV …), resampled to the session's rate, looped or trimmed to its
length.

Only what the session uses is ever decoded: a ten-hour file under a twenty-minute session costs
twenty minutes of decoding, and its level is measured on those twenty minutes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from typing import Any

import numpy as np

from runcoach.errors import OptionError


def _open(path: str | os.PathLike[str]) -> Any:
    """The file opened for decoding: a regular file with an audio stream, else ``OptionError``."""
    import av

    where = os.fspath(path)
    try:
        info = os.stat(where)
    except OSError:
        raise OptionError(f"{where}: no such music file") from None
    if not stat.S_ISREG(info.st_mode):
        raise OptionError(f"{where}: not a regular file (a folder, device or FIFO): no music")
    av.logging.set_level(av.logging.PANIC)  # FFmpeg's own lines would bypass ours
    try:
        container = av.open(where, mode="r")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError):
        raise OptionError(
            f"{where}: cannot decode this music file; use MP3, M4A, FLAC, OGG or WAV audio"
        ) from None
    if not container.streams.audio:
        container.close()
        raise OptionError(f"{where}: the file holds no audio")
    return container


def check(path: str | os.PathLike[str]) -> None:
    """Refuse, before any work, a music file that cannot be decoded (``OptionError``)."""
    _open(path).close()


def decode(
    path: str | os.PathLike[str], *, rate: int, channels: int, frames: int | None = None
) -> Iterator[np.ndarray]:
    """Yield the file's audio once through (at most ``frames`` frames), as float32
    ``(frames, channels)`` at ``rate``.

    Raises ``OptionError`` for a missing or undecodable file, naming it.
    """
    import av

    layout = "mono" if channels == 1 else "stereo"
    left = frames
    with _open(path) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout=layout, rate=rate)
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    block = _block(out, channels, left)
                    if len(block):
                        left = None if left is None else left - len(block)
                        yield block
                    if left == 0:
                        return
            for out in resampler.resample(None):  # what the resampler still holds
                block = _block(out, channels, left)
                if len(block):
                    left = None if left is None else left - len(block)
                    yield block
        except av.error.FFmpegError as err:
            raise OptionError(
                f"{os.fspath(path)}: the music file is damaged ({err.strerror})"
            ) from None


def _block(frame: Any, channels: int, left: int | None) -> np.ndarray:
    """A resampled frame as ``(frames, channels)`` float32, cut to ``left`` frames."""
    data = frame.to_ndarray().reshape(-1, channels)  # packed float: interleaved channels
    block: np.ndarray = np.ascontiguousarray(data if left is None else data[:left], np.float32)
    return block


def peak(path: str | os.PathLike[str], *, rate: int, channels: int, frames: int) -> float:
    """The highest absolute sample of what a session of ``frames`` frames plays of the file
    (the file once through when it is shorter: it loops)."""
    top = 0.0
    for block in decode(path, rate=rate, channels=channels, frames=frames):
        top = max(top, float(np.max(np.abs(block))))
    return top


def looped(
    path: str | os.PathLike[str], *, rate: int, channels: int, frames: int
) -> Iterator[np.ndarray]:
    """Yield exactly ``frames`` frames of the music, starting again at its end as needed."""
    left = frames
    while left > 0:
        produced = 0
        for block in decode(path, rate=rate, channels=channels, frames=left):
            produced += len(block)
            left -= len(block)
            yield block
        if produced == 0:
            raise OptionError(f"{os.fspath(path)}: the music file holds no audio")


class Track:
    """The music looped without end, read by absolute frame (frame ``f`` of a session plays
    frame ``f`` mod the file's length), so a session started part-way, or cut and continued
    live, hears exactly what a session played from its start hears there.

    Reading on decodes on; reading back up to ``keep_frames`` comes from what was kept;
    further back decodes again from the start of that pass of the loop. The samples are
    those of :func:`looped`, frame for frame.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, rate: int, channels: int, keep_frames: int
    ) -> None:
        self.path = path
        self.rate = rate
        self.channels = channels
        self.keep_frames = keep_frames
        #: Frames in one pass of the file (known once a pass has been decoded to its end).
        self.loop_frames: int | None = None
        self._chunks: list[tuple[int, np.ndarray]] = []  # (absolute first frame, samples)
        self._stream: Iterator[np.ndarray] | None = None
        self._pass_start = 0
        self._at = 0  # absolute frame of the next sample the decoder yields

    def _restart(self, frame: int) -> None:
        """Decode again from the start of the pass that holds ``frame``."""
        loop = self.loop_frames
        self._pass_start = frame - frame % loop if loop else 0
        self._at = self._pass_start
        self._chunks = []
        self._stream = decode(self.path, rate=self.rate, channels=self.channels)

    def _pull(self) -> None:
        """Decode one more block (starting the next pass of the loop at the file's end)."""
        assert self._stream is not None
        block = next(self._stream, None)
        if block is None:
            length = self._at - self._pass_start
            if length == 0:
                raise OptionError(f"{os.fspath(self.path)}: the music file holds no audio")
            self.loop_frames = length
            self._pass_start = self._at
            self._stream = decode(self.path, rate=self.rate, channels=self.channels)
            return
        self._chunks.append((self._at, block))
        self._at += len(block)

    def read(self, first: int, frames: int) -> np.ndarray:
        """Frames ``[first, first + frames)`` of the looped music, float32 ``(frames,
        channels)``."""
        end = first + frames
        kept_from = self._chunks[0][0] if self._chunks else self._at
        if self._stream is None or first < kept_from:
            self._restart(first)
        while self._at < end:
            self._pull()
            # Keep what a read may still come back for; drop what lies further behind.
            low = min(first, end - self.keep_frames)
            while len(self._chunks) > 1 and self._chunks[0][0] + len(self._chunks[0][1]) <= low:
                self._chunks.pop(0)
        parts = [
            block[max(0, first - at) : end - at]
            for at, block in self._chunks
            if at < end and at + len(block) > first
        ]
        if not parts:
            return np.zeros((0, self.channels), dtype=np.float32)
        return np.concatenate(parts) if len(parts) > 1 else parts[0].copy()
