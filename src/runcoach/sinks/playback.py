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
:class:`~runcoach.errors.OptionError` for an unknown backend or device) in :func:`_check`, the one
place that maps backend errors.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from runcoach._quiet import quiet_stderr
from runcoach.errors import OptionError, PlaybackError
from runcoach.mix.pcm import to_pcm16

#: ``--backend`` choices: miniaudio picks a host API itself; the next three force one.
BACKENDS = ("miniaudio", "alsa", "pulseaudio", "jack", "simpleaudio")
#: What ``miniaudio`` tries, in order (never miniaudio's Null backend, which plays into nothing).
_AUTO_HOSTS = ("pulseaudio", "alsa")
_HOST_ENUM = {"alsa": "ALSA", "pulseaudio": "PULSEAUDIO", "jack": "JACK"}
#: The suggestion every playback failure ends with.
RENDER_HINT = "`runcoach render` writes the session to a file instead"
#: simpleaudio holds each continuous stretch in memory: refuse more than this.
SIMPLEAUDIO_MAX_BYTES = 1 << 30
#: Seconds without a call from the audio thread after which the device counts as lost.
STALL_SECONDS = 2.0


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


@dataclass(frozen=True)
class Device:
    """An output device as ``--list-devices`` shows it."""

    backend: str
    id: str
    name: str
    default: bool

    def host_id(self) -> tuple[str, str]:
        """(host API, device id) as the stream opens it."""
        return self.backend, self.id


# --------------------------------------------------------------------------- errors


def _result_name(code: object) -> str:
    import miniaudio

    try:
        value = int(code)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(code)
    for name in dir(miniaudio.lib):
        if name.startswith("MA_") and "CHANNEL" not in name:
            with contextlib.suppress(Exception):
                if getattr(miniaudio.lib, name) == value:
                    return f"{name} ({value})"
    return f"error {value}"


def _check(err: BaseException, doing: str) -> PlaybackError:
    """The one place backend errors become a one-line :class:`PlaybackError`."""
    args: tuple[Any, ...] = tuple(getattr(err, "args", ()))
    if len(args) >= 2 and isinstance(args[1], int):
        detail = f"{args[0]}: {_result_name(args[1])}"
    else:
        detail = " ".join(str(a) for a in args).strip() or type(err).__name__
        # simpleaudio: "Error opening PCM device. -- CODE: -2 -- MSG: No such file or directory"
        detail = detail.replace(" -- ", "; ").replace(". ;", ";")
    return PlaybackError(f"{doing}: {detail}; {RENDER_HINT}")


_quiet_handler: Any = None


def _silence_alsa() -> None:
    """Stop libasound printing ``ALSA lib ...`` lines for each device miniaudio tries."""
    global _quiet_handler
    if _quiet_handler is not None:
        return
    import ctypes
    import ctypes.util

    try:
        asound = ctypes.CDLL(ctypes.util.find_library("asound") or "libasound.so.2")
    except OSError:
        return
    # The real prototype is variadic; a no-op with the fixed arguments is safe on x86-64/arm64.
    proto = ctypes.CFUNCTYPE(
        None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
    )
    _quiet_handler = proto(lambda *args: None)
    asound.snd_lib_error_set_handler(_quiet_handler)


def _miniaudio() -> Any:
    import os

    os.environ.setdefault("JACK_NO_START_SERVER", "1")
    try:
        import miniaudio
    except ImportError as err:  # a broken install: the wheel is a dependency
        raise PlaybackError(f"cannot load miniaudio ({err}); {RENDER_HINT}") from None
    _silence_alsa()
    return miniaudio


def check_backend(backend: str) -> str:
    """Return ``backend`` normalised; raise ``OptionError`` for an unknown one."""
    name = backend.strip().lower()
    if name == "pulse":
        name = "pulseaudio"
    if name not in BACKENDS:
        raise OptionError(
            f"unknown audio backend {backend!r}; choose one of {', '.join(BACKENDS)} "
            f"(or use {RENDER_HINT})"
        )
    return name


def _hosts(backend: str) -> tuple[str, ...]:
    return _AUTO_HOSTS if backend == "miniaudio" else (backend,)


# --------------------------------------------------------------------------- devices


def list_devices(backend: str = "miniaudio") -> tuple[list[Device], list[str]]:
    """The output devices of ``backend``, and a note for each host API that is unavailable.

    Enumerates without opening devices (miniaudio's own listing opens each, and fails on the
    first broken one). Raises ``OptionError`` for an unknown backend.
    """
    backend = check_backend(backend)
    if backend == "simpleaudio":
        try:
            import simpleaudio  # noqa: F401
        except ImportError:
            return [], ["simpleaudio: not installed (pip install 'runcoach[simpleaudio]')"]
        return [Device("simpleaudio", "default", "the ALSA default device", True)], []
    found: list[Device] = []
    notes: list[str] = []
    for host in _hosts(backend):
        try:
            found += _host_devices(host)
        except PlaybackError as err:
            notes.append(f"{host}: not available ({err})")
    return found, notes


@contextlib.contextmanager
def _context(host: str) -> Iterator[Any]:
    miniaudio = _miniaudio()
    ffi, lib = miniaudio.ffi, miniaudio.lib
    enum = getattr(miniaudio.Backend, _HOST_ENUM[host])
    if enum not in miniaudio.get_enabled_backends():
        raise PlaybackError("not built into this miniaudio")
    wanted = ffi.new("ma_backend[]", [enum.value])
    ctx = ffi.new("ma_context *")
    with quiet_stderr():
        result = lib.ma_context_init(wanted, 1, ffi.NULL, ctx)
    if result != lib.MA_SUCCESS:
        raise PlaybackError(_result_name(result))
    try:
        yield ctx
    finally:
        lib.ma_context_uninit(ctx)


def _host_devices(host: str) -> list[Device]:
    miniaudio = _miniaudio()
    ffi, lib = miniaudio.ffi, miniaudio.lib
    with _context(host) as ctx:
        infos = ffi.new("ma_device_info **")
        count = ffi.new("ma_uint32 *")
        result = lib.ma_context_get_devices(ctx, infos, count, ffi.NULL, ffi.NULL)
        if result != lib.MA_SUCCESS:
            raise PlaybackError(_result_name(result))
        out = []
        for i in range(count[0]):
            info = infos[0][i]
            out.append(
                Device(
                    host,
                    _id_text(ffi, ffi.new("ma_device_id *", info.id)),
                    ffi.string(info.name).decode(errors="replace"),
                    bool(info.isDefault),
                )
            )
        return out


def _id_text(ffi: Any, dev_id: Any) -> str:
    # ma_device_id is opaque in the cffi cdef; for ALSA and PulseAudio it is a NUL-terminated
    # char[256] (a PCM name such as "hw:0,0", or a sink name).
    raw: bytes = bytes(ffi.buffer(dev_id))
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def _id_from_text(ffi: Any, text: str) -> Any:
    data = text.encode() + b"\0"
    if len(data) > 256:
        raise OptionError(f"--device: too long, got {text!r}")
    dev_id = ffi.new("ma_device_id *")
    ffi.memmove(dev_id, data, len(data))
    return dev_id


def _find_device(device: str, hosts: tuple[str, ...]) -> tuple[str, str]:
    """Match ``--device`` against the listed devices: (host, id). Raises ``OptionError``."""
    listed: list[Device] = []
    for host in hosts:
        with contextlib.suppress(PlaybackError):
            listed += _host_devices(host)
    for dev in listed:
        if device in (dev.id, dev.name):
            return dev.host_id()
    folded = device.casefold()
    partial = [d for d in listed if folded in d.name.casefold()]
    if len(partial) == 1:
        return partial[0].host_id()
    if ("alsa" in hosts and ":" in device) or device in ("default", "null", "pulse", "pipewire"):
        return "alsa", device  # an ALSA PCM name ("plughw:1,0"): tried as given
    names = ", ".join(sorted({d.id for d in listed})[:6]) or "none found"
    raise OptionError(
        f"--device: no audio device matches {device!r} (devices: {names}); "
        f"`runcoach play --list-devices` lists them, {RENDER_HINT}"
    )


# --------------------------------------------------------------------------- miniaudio


class _QueueStream:
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


class MiniaudioStream(_QueueStream):
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
        miniaudio = _miniaudio()
        hosts = _hosts(self.backend)
        dev_id = None
        where = "the default audio device"
        if self.device_name is not None:
            host, text = _find_device(self.device_name, hosts)
            hosts = (host,)
            dev_id = _id_from_text(miniaudio.ffi, text)
            where = f"audio device {self.device_name!r}"
        enabled = miniaudio.get_enabled_backends()
        wanted = [getattr(miniaudio.Backend, _HOST_ENUM[h]) for h in hosts]
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
            error = _check(err, f"{lead}cannot open {where} ({'/'.join(hosts)})")
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
        miniaudio = _miniaudio()
        self._last_call = time.monotonic()
        try:
            self._device.start(self._generator)
        except miniaudio.MiniaudioError as err:
            raise _check(err, "cannot start the audio device") from None
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
        miniaudio = _miniaudio()
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
                _miniaudio().lib.ma_context_uninit(self._context)
                dev._context = None

        if not stalled:
            _close()
            return
        # A device that stopped taking audio may block its own shutdown: don't wait for it.
        closer = threading.Thread(target=_close, daemon=True)
        closer.start()
        closer.join(1.0)


# --------------------------------------------------------------------------- simpleaudio


class SimpleaudioStream(_QueueStream):
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
            raise _check(err, "cannot play through simpleaudio (the ALSA default device)") from None
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
