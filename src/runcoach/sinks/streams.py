"""The interface every playback stream offers (:class:`Stream`), and the bookkeeping the
backends share (:class:`QueueStream`): positions in absolute frames of the session, counting only
audio handed to the device."""

from __future__ import annotations

import threading
from typing import Protocol

import numpy as np

from runcoach.errors import PlaybackError
from runcoach.mix.pcm import to_pcm16


class Stream(Protocol):
    """What the live controller needs from an audio output."""

    rate: int
    channels: int

    def start(self) -> None:
        """Open the device (it starts sounding once enough audio is queued)."""

    def position(self) -> int:
        """The session frame up to which audio has been handed to the device."""

    def queued_until(self) -> int:
        """The session frame after the last queued frame."""

    def wants_audio(self) -> bool:
        """True while the queue has room for another block."""

    def push(self, block: np.ndarray) -> None:
        """Queue a float32 ``(frames, channels)`` block after the queued audio."""

    def end(self) -> None:
        """No more audio follows (until :meth:`truncate`): play out what is queued."""

    def truncate(self, frame: int) -> bool:
        """Drop queued audio from session ``frame`` on; False if the device is already past it."""

    def pause(self) -> None:
        """Stop sounding at once; nothing queued is lost."""

    def resume(self) -> None:
        """Sound again from where :meth:`pause` stopped."""

    @property
    def paused(self) -> bool:
        """True between :meth:`pause` and :meth:`resume`."""

    def done(self) -> bool:
        """True once :meth:`end` was called and everything queued has been played."""

    def check(self) -> None:
        """Raise ``PlaybackError`` if the device failed."""

    def close(self) -> None:
        """Stop and release the device (safe to call twice)."""


class QueueStream:
    """The PCM queue shared by both backends: bytes from session frame ``_head`` on."""

    def __init__(self, *, rate: int, channels: int, start_frame: int) -> None:
        self.rate = rate
        self.channels = channels
        self._bpf = 2 * channels
        self._lock = threading.Condition()
        self._buf = bytearray()
        self._head = start_frame  # session frame of the first queued byte
        self._eof = False
        self._paused = False
        self._error: PlaybackError | None = None

    def position(self) -> int:
        with self._lock:
            return self._head

    def queued_until(self) -> int:
        with self._lock:
            return self._head + len(self._buf) // self._bpf

    def push(self, block: np.ndarray) -> None:
        data = to_pcm16(block)
        with self._lock:
            self._buf += data
            self._eof = False

    def end(self) -> None:
        with self._lock:
            self._eof = True

    def truncate(self, frame: int) -> bool:
        with self._lock:
            if frame < self._head:
                return False
            del self._buf[(frame - self._head) * self._bpf :]
            self._eof = False
            return True

    @property
    def paused(self) -> bool:
        return self._paused

    def check(self) -> None:
        if self._error is not None:
            raise self._error
