"""Playback sinks: stream blocks of audio to a sound device.

The producer (:mod:`runcoach.live.controller`) pushes float32 blocks, each converted with the same
:func:`~runcoach.mix.blocks.to_pcm16` the WAV writer uses, so the device receives exactly the PCM
that ``runcoach render`` writes. Two backends share one interface, :class:`Stream`:

- **miniaudio** (default): a bounded queue of PCM that miniaudio's audio thread pulls from, so
  memory stays flat however long the session. It talks to PulseAudio (or PipeWire's PulseAudio
  server) or ALSA; ``alsa``, ``pulseaudio`` and ``jack`` pick one of them.
- **simpleaudio** (optional extra): it can only play a whole buffer, opening the device for each
  one, so each continuous stretch of the session is played from one buffer held in memory
  (a pause or a live change starts a new one).

Positions are absolute frames of the session's timeline (``start_frame`` first), counting only
audio handed to the device: a pause inserts silence without moving them.

Every backend failure becomes one :class:`~runcoach.errors.PlaybackError` (or
:class:`~runcoach.errors.OptionError` for an unknown backend or device) in
:func:`runcoach.sinks.devices.backend_error`, the one place that maps backend errors.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from typing import Any

import numpy as np

from runcoach._quiet import quiet_stderr
from runcoach.errors import OptionError, PlaybackError
from runcoach.sinks.devices import (
    HOST_ENUM,
    RENDER_HINT,
    backend_error,
    check_backend,
    find_device,
    hosts_for,
    id_from_text,
    load_miniaudio,
)
from runcoach.sinks.simple import SimpleaudioStream
from runcoach.sinks.streams import QueueStream

#: Seconds without a call from the audio thread after which the device counts as lost.
STALL_SECONDS = 2.0


class MiniaudioStream(QueueStream):
    """Streams to a miniaudio playback device from a queue of ``ahead_ms`` of PCM.

    miniaudio's audio thread calls a generator for each period; it hands over exactly the
    frames asked for, padding with silence while paused, after the end, or (never, in practice)
    on an underrun. The device starts only once the queue holds more than the device's buffer,
    so the first frames are never padding.
    """

    def __init__(
        self,
        *,
        rate: int,
        channels: int,
        start_frame: int = 0,
        backend: str = "miniaudio",
        device: str | None = None,
        period_ms: int = 50,
        periods: int = 3,
        ahead_ms: int = 1000,
    ) -> None:
        super().__init__(rate=rate, channels=channels, start_frame=start_frame)
        self.backend = check_backend(backend)
        self.device_name = device
        self.period_ms = period_ms
        self.periods = periods
        ahead_ms = max(ahead_ms, 2 * periods * period_ms)
        self._ahead = max(1, rate * ahead_ms // 1000) * self._bpf
        self._drain_frames = periods * max(1, rate * period_ms // 1000)
        self._device: Any = None
        self._context: Any = None
        self._started = False
        self._closing = False
        self._tail = 0  # silent frames handed after the end
        self._done = False
        self._last_call = 0.0
        self.host = ""
        self.underrun_frames = 0
        self.first_audio_at: float | None = None  #: monotonic time of the first real frame

    def start(self) -> None:
        """Open the device; it starts sounding once the queue is full (or at the end)."""
        miniaudio = load_miniaudio()
        hosts = hosts_for(self.backend)
        dev_id = None
        where = "the default audio device"
        if self.device_name is not None:
            host, text = find_device(self.device_name, hosts)
            hosts = (host,)
            dev_id = id_from_text(miniaudio.ffi, text)
            where = f"audio device {self.device_name!r}"
        enabled = miniaudio.get_enabled_backends()
        wanted = [getattr(miniaudio.Backend, HOST_ENUM[h]) for h in hosts]
        wanted = [b for b in wanted if b in enabled]
        if not wanted:
            raise PlaybackError(f"{self.backend} is not built into this miniaudio; {RENDER_HINT}")
        try:
            with quiet_stderr():
                dev = miniaudio.PlaybackDevice(
                    output_format=miniaudio.SampleFormat.SIGNED16,
                    nchannels=self.channels,
                    sample_rate=self.rate,
                    buffersize_msec=self.period_ms,
                    callback_periods=self.periods,
                    device_id=dev_id,
                    backends=wanted,
                    app_name="runcoach",
                )
        except miniaudio.MiniaudioError as err:
            lead = "no audio device found: " if self.device_name is None else ""
            error = backend_error(err, f"{lead}cannot open {where} ({'/'.join(hosts)})")
            if self.device_name is not None:
                error.exit_code = OptionError.exit_code
            raise error from None
        self._device = dev
        self._context = getattr(dev, "_context", None)
        self.host = str(dev.backend).lower()
        dev.stop_callback = self._on_stop
        self._generator = self._feed()
        next(self._generator)

    # ---- the audio thread

    def _feed(self) -> Generator[bytes, int, None]:
        frames: int = yield b""
        while True:
            try:
                out = self._fill(frames)
            except BaseException as err:  # cffi would only print it: report it instead
                self._error = PlaybackError(f"audio callback failed: {err!r}; {RENDER_HINT}")
                out = b""
            frames = yield out

    def _fill(self, frames: int) -> bytes:
        need = frames * self._bpf
        with self._lock:
            self._last_call = time.monotonic()
            if self._paused:
                self._lock.notify_all()
                return bytes(need)
            take = min(need, len(self._buf))
            out = bytes(self._buf[:take])
            del self._buf[:take]
            self._head += take // self._bpf
            if take and self.first_audio_at is None:
                self.first_audio_at = self._last_call
            if take < need:
                if self._eof:
                    self._tail += frames - take // self._bpf
                    # A device buffer of silence after the last frame: it has left the device.
                    if self._tail >= self._drain_frames:
                        self._done = True
                else:
                    self.underrun_frames += frames - take // self._bpf
                out += bytes(need - take)
            self._lock.notify_all()
        return out

    def _on_stop(self) -> None:
        if not self._closing:
            self._error = PlaybackError(
                f"the audio device stopped ({self.host}): was it disconnected?; {RENDER_HINT}"
            )

    # ---- the controlling thread

    def wants_audio(self) -> bool:
        with self._lock:
            return len(self._buf) < self._ahead

    def push(self, block: np.ndarray) -> None:
        super().push(block)
        # Start only once more than the device's buffer is queued: no padding up front.
        if not self._started and self._device is not None and not self.wants_audio():
            self._begin()

    def _begin(self) -> None:
        miniaudio = load_miniaudio()
        self._last_call = time.monotonic()
        try:
            self._device.start(self._generator)
        except miniaudio.MiniaudioError as err:
            raise backend_error(err, "cannot start the audio device") from None
        self._started = True

    def end(self) -> None:
        super().end()
        if not self._started and self._device is not None:
            self._begin()

    def truncate(self, frame: int) -> bool:
        ok = super().truncate(frame)
        with self._lock:
            self._tail = 0
            self._done = False
        return ok

    def pause(self) -> None:
        with self._lock:
            self._paused = True

    def resume(self) -> None:
        with self._lock:
            self._paused = False

    def done(self) -> bool:
        return self._done

    def check(self) -> None:
        super().check()
        if not self._started or self._device is None:
            return
        miniaudio = load_miniaudio()
        if not miniaudio.lib.ma_device_is_started(self._device._device):
            self._error = PlaybackError(
                f"the audio device stopped ({self.host}): was it disconnected?; {RENDER_HINT}"
            )
        elif time.monotonic() - self._last_call > STALL_SECONDS:
            self._error = PlaybackError(
                f"the audio device stopped taking audio ({self.host}): was it disconnected?; "
                f"{RENDER_HINT}"
            )
        super().check()

    def wait(self, seconds: float) -> None:
        """Sleep until the audio thread takes audio, or ``seconds`` pass."""
        with self._lock:
            self._lock.wait(seconds)

    def close(self) -> None:
        dev, self._device = self._device, None
        if dev is None:
            return
        self._closing = True
        stalled = self._error is not None and "taking audio" in str(self._error)

        def _close() -> None:
            dev.close()
            # miniaudio-py never uninitialises a device's context: that leaks it and keeps
            # ALSA's configuration cached.
            if self._context is not None:
                load_miniaudio().lib.ma_context_uninit(self._context)
                dev._context = None

        if not stalled:
            _close()
            return
        # A device that stopped taking audio may block its own shutdown: don't wait for it.
        closer = threading.Thread(target=_close, daemon=True)
        closer.start()
        closer.join(1.0)


# --------------------------------------------------------------------------- simpleaudio


def open_stream(
    *, backend: str, device: str | None, rate: int, channels: int, start_frame: int = 0
) -> MiniaudioStream | SimpleaudioStream:
    """Make the stream for ``--backend`` and ``--device`` (not opened yet: call ``start``).

    Raises ``OptionError`` for an unknown backend, or a device given to simpleaudio.
    """
    backend = check_backend(backend)
    if backend == "simpleaudio":
        if device is not None and device != "default":
            raise OptionError(
                "--device: simpleaudio always plays through the ALSA default device; "
                "use the default backend to choose a device"
            )
        return SimpleaudioStream(rate=rate, channels=channels, start_frame=start_frame)
    return MiniaudioStream(
        rate=rate, channels=channels, start_frame=start_frame, backend=backend, device=device
    )
