"""The capturing ALSA device of DESIGN.md, for tests and the play benchmark.

A temporary HOME gets an ``.asoundrc`` that makes ALSA's default device the ``file`` plugin over
``null``, writing raw PCM into a FIFO. A thread reads the FIFO at ``rate × channels × 2`` bytes a
second, so the device is paced like a sound card (never faster, even after the reading thread
was held up on a busy machine), and keeps the first ``keep`` bytes. A process
started with :attr:`Capture.env` plays into it (``runcoach play --backend alsa``).
"""

from __future__ import annotations

import fcntl
import os
import select
import threading
import time
from pathlib import Path

ASOUNDRC = 'pcm.!default {{ type file; slave.pcm "null"; file "{raw}"; format "raw" }}\n'
_F_SETPIPE_SZ = 1031


def alsa_available() -> str | None:
    """Why the capture cannot run here (None when it can)."""
    import ctypes.util

    if ctypes.util.find_library("asound") is None:
        return "libasound2 is not installed (apt-get install libasound2)"
    try:
        import miniaudio  # noqa: F401
    except ImportError as err:  # pragma: no cover
        return f"miniaudio is not importable: {err}"
    return None


class Capture:
    """Context manager: a FIFO-backed ALSA default device in a temporary HOME.

    ``stall_after``: stop reading (but keep the FIFO open) after that many bytes, as a device
    that stops taking audio. ``reopen``: keep reading when the player closes the device, for
    the next time it opens it (then :meth:`finish` ends the capture).
    """

    def __init__(
        self,
        home: Path,
        *,
        rate: int,
        channels: int = 1,
        keep_seconds: float = 120.0,
        speed: float = 1.0,
        asoundrc: str | None = None,
        stall_after: int | None = None,
        reopen: bool = False,
        timeout: float = 120.0,
    ) -> None:
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.raw = self.home / "played.raw"
        self.rate = rate
        self.channels = channels
        self.bytes_per_second = rate * channels * 2 * speed
        self.keep = int(keep_seconds * rate * channels * 2)
        #: The most a late read takes at once (a quarter second of audio).
        self.max_burst = int(self.bytes_per_second / 4)
        self.asoundrc = asoundrc
        self.stall_after = stall_after
        self.reopen = reopen
        self.opens = 0
        self.timeout = timeout
        self.data = bytearray()
        self.total = 0
        self.first_byte_at: float | None = None
        self.stalled = threading.Event()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    @property
    def env(self) -> dict[str, str]:
        """The environment for the playing process (HOME points at the capture)."""
        env = dict(os.environ, HOME=str(self.home))
        env.pop("ALSA_CONFIG_PATH", None)
        return env

    def __enter__(self) -> Capture:
        os.mkfifo(self.raw)
        text = self.asoundrc if self.asoundrc is not None else ASOUNDRC.format(raw=self.raw)
        (self.home / ".asoundrc").write_text(text)
        if self.asoundrc is None:
            self._thread = threading.Thread(target=self._read, daemon=True)
            self._thread.start()
            self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()

    def finish(self, wait: float = 10.0) -> None:
        """Wait for the writer to close the FIFO (or ``wait`` seconds), then stop reading."""
        if self._thread is not None:
            self._thread.join(0.5 if self.reopen else wait)
            self._stop.set()
            self._thread.join(5)
        if self._error is not None:
            raise self._error

    def release(self) -> None:
        """Let a stalled reader go on reading (so the writer can close)."""
        self.stall_after = None

    def _read(self) -> None:
        try:
            # Open the read end first and non-blocking, then shrink the pipe to one page, so
            # ALSA cannot run more than a few milliseconds ahead of the pacing.
            fd = os.open(self.raw, os.O_RDONLY | os.O_NONBLOCK)
            fcntl.fcntl(fd, _F_SETPIPE_SZ, 4096)
            self._ready.set()
            deadline = time.monotonic() + self.timeout
            start: float | None = None
            base = 0  # bytes read before this opening of the device
            try:
                while not self._stop.is_set() and time.monotonic() < deadline:
                    if self.stall_after is not None and self.total >= self.stall_after:
                        self.stalled.set()
                        time.sleep(0.01)
                        continue
                    if start is not None:
                        allowed = int((time.monotonic() - start) * self.bytes_per_second)
                        allowed -= self.total - base
                        if allowed > self.max_burst:
                            # This thread was kept from running (a busy machine): go on at
                            # the card's pace from here rather than catch up in one burst,
                            # which would drain the player's queue faster than real time.
                            start += (allowed - self.max_burst) / self.bytes_per_second
                            allowed = self.max_burst
                        if allowed <= 0:
                            time.sleep(0.002)
                            continue
                    else:
                        allowed = 4096
                    select.select([fd], [], [], 0.05)
                    try:
                        chunk = os.read(fd, min(allowed, 65536))
                    except BlockingIOError:
                        continue
                    if not chunk:
                        if start is None:  # no writer yet
                            time.sleep(0.005)
                            continue
                        if not self.reopen:
                            return  # the writer closed: the device was closed
                        start = None  # wait for the next opening, paced afresh
                        continue
                    if start is None:
                        start = time.monotonic()
                        base = self.total
                        self.opens += 1
                        if self.first_byte_at is None:
                            self.first_byte_at = start
                    self.total += len(chunk)
                    room = self.keep - len(self.data)
                    if room > 0:
                        self.data += chunk[:room]
            finally:
                os.close(fd)
        except BaseException as err:  # pragma: no cover - reported by finish()
            self._error = err
            self._ready.set()
