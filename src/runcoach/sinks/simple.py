"""The simpleaudio backend (the optional extra ``runcoach[simpleaudio]``): it can only play a
whole buffer, opening the device for each one, so each continuous stretch of the session is
played from one buffer held in memory (a pause or a live change starts a new one)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from runcoach.errors import OptionError, PlaybackError
from runcoach.sinks.devices import RENDER_HINT, backend_error
from runcoach.sinks.streams import QueueStream

#: simpleaudio holds each continuous stretch in memory: refuse more than this.
SIMPLEAUDIO_MAX_BYTES = 1 << 30


class SimpleaudioStream(QueueStream):
    """Plays through simpleaudio, which cannot stream: it opens the device for each buffer and
    plays it to the end. So the whole rest of the session is queued in memory and played as one
    buffer (no gaps, one device); a pause or a live change stops it and starts a new buffer from
    the position reached, which simpleaudio only lets us estimate from the clock."""

    def __init__(self, *, rate: int, channels: int, start_frame: int = 0) -> None:
        super().__init__(rate=rate, channels=channels, start_frame=start_frame)
        self._play: Any = None
        self._play_start = 0.0  # monotonic time the current buffer started
        self._play_frames = 0  # frames in the current buffer
        self._sa: Any = None
        self.host = "simpleaudio"
        self.first_audio_at: float | None = None

    def start(self) -> None:
        try:
            import simpleaudio
        except ImportError:
            raise OptionError(
                "--backend simpleaudio: simpleaudio is not installed (it needs the ALSA headers "
                "to build: apt-get install libasound2-dev, then pip install "
                "'runcoach[simpleaudio]'); the default backend needs neither"
            ) from None
        self._sa = simpleaudio

    def wants_audio(self) -> bool:
        return not self._eof

    def push(self, block: np.ndarray) -> None:
        super().push(block)
        if len(self._buf) > SIMPLEAUDIO_MAX_BYTES:
            raise PlaybackError(
                "simpleaudio cannot stream: it needs the whole session in memory, and this one "
                f"is over {SIMPLEAUDIO_MAX_BYTES >> 20} MB; use the default backend (miniaudio), "
                "a lower --sample-rate, or " + RENDER_HINT
            )

    def _played(self) -> int:
        if self._play is None:
            return 0
        if not self._play.is_playing():
            return self._play_frames
        elapsed = int((time.monotonic() - self._play_start) * self.rate)
        return min(elapsed, self._play_frames)

    def position(self) -> int:
        with self._lock:
            return self._head + self._played()

    def _stop(self) -> None:
        """Stop the current buffer and drop what it played from the queue."""
        if self._play is None:
            return
        played = self._played()
        self._play.stop()
        self._play = None
        del self._buf[: played * self._bpf]
        self._head += played

    def _begin(self) -> None:
        if self._paused or not self._buf:
            return
        try:
            self._play = self._sa.play_buffer(bytes(self._buf), self.channels, 2, self.rate)
        except Exception as err:
            raise backend_error(
                err, "cannot play through simpleaudio (the ALSA default device)"
            ) from None
        self._play_start = time.monotonic()
        self._play_frames = len(self._buf) // self._bpf
        if self.first_audio_at is None:
            self.first_audio_at = self._play_start

    def end(self) -> None:
        super().end()
        with self._lock:
            if self._play is None:
                self._begin()

    def truncate(self, frame: int) -> bool:
        with self._lock:
            self._stop()
        return super().truncate(frame)

    def pause(self) -> None:
        with self._lock:
            self._paused = True
            self._stop()

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            if self._eof and self._play is None:
                self._begin()

    def done(self) -> bool:
        with self._lock:
            if not self._eof or self._paused:
                return False
            return (self._play is None and not self._buf) or (
                self._play is not None and not self._play.is_playing()
            )

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)

    def close(self) -> None:
        with self._lock:
            if self._play is not None:
                self._play.stop()
                self._play = None
