"""Audio devices: which backends there are, the devices each offers, and the one place that turns
a backend failure into a :class:`~runcoach.errors.PlaybackError`.

miniaudio (its wheel bundles the C library) talks to PulseAudio (or PipeWire's PulseAudio
server), ALSA or JACK at run time; ``--backend miniaudio`` tries PulseAudio, then ALSA.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from runcoach._quiet import quiet_stderr
from runcoach.errors import OptionError, PlaybackError

#: ``--backend`` choices: miniaudio picks a host API itself; the next three force one.
BACKENDS = ("miniaudio", "alsa", "pulseaudio", "jack", "simpleaudio")
#: What ``miniaudio`` tries, in order (never miniaudio's Null backend, which plays into nothing).
AUTO_HOSTS = ("pulseaudio", "alsa")
HOST_ENUM = {"alsa": "ALSA", "pulseaudio": "PULSEAUDIO", "jack": "JACK"}
#: The suggestion every playback failure ends with.
RENDER_HINT = "or write the session to a file with `runcoach render` and play that"
#: What to try when no device opens.
DEVICE_HINT = "check that a sound device is connected, switched on and not taken by another program"
#: miniaudio's result codes, in words.
_RESULTS = {
    "MA_FAILED_TO_OPEN_BACKEND_DEVICE": "no sound device could be opened",
    "MA_NO_DEVICE": "no sound device was found",
    "MA_NO_BACKEND": "no sound system (PulseAudio, PipeWire or ALSA) was found",
    "MA_FAILED_TO_INIT_BACKEND": "the sound system would not start",
    "MA_DEVICE_NOT_INITIALIZED": "the sound device was not ready",
    "MA_DEVICE_NOT_STARTED": "the sound device would not start",
    "MA_FAILED_TO_START_BACKEND_DEVICE": "the sound device would not start",
    "MA_ACCESS_DENIED": "access to the sound device was denied",
    "MA_BUSY": "the sound device is busy",
    "MA_DEVICE_TYPE_NOT_SUPPORTED": "the sound device cannot play",
    "MA_FORMAT_NOT_SUPPORTED": "the sound device cannot play this format (try a --sample-rate)",
}


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


def result_name(code: object) -> str:
    """A miniaudio result code in words (its name where no words are known)."""
    import miniaudio

    try:
        value = int(code)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(code)
    for name in dir(miniaudio.lib):
        if name.startswith("MA_") and "CHANNEL" not in name:
            with contextlib.suppress(Exception):
                if getattr(miniaudio.lib, name) == value:
                    return _RESULTS.get(name, f"{name} ({value})")
    return f"error {value}"


def backend_error(err: BaseException, doing: str) -> PlaybackError:
    """The one place backend errors become a one-line :class:`PlaybackError`."""
    args: tuple[Any, ...] = tuple(getattr(err, "args", ()))
    if len(args) >= 2 and isinstance(args[1], int):
        words = result_name(args[1])
        detail = words if words in _RESULTS.values() else f"{args[0]}: {words}"
        if "device" in words:
            detail += f" ({DEVICE_HINT}; `runcoach play --list-devices` lists them)"
    else:
        detail = " ".join(str(a) for a in args).strip() or type(err).__name__
        # simpleaudio: "Error opening PCM device. -- CODE: -2 -- MSG: No such file or directory"
        detail = detail.replace(" -- ", "; ").replace(". ;", ";")
    return PlaybackError(f"{doing}: {detail}; {RENDER_HINT}")


_quiet_handler: Any = None


def silence_alsa() -> None:
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


def load_miniaudio() -> Any:
    import os

    os.environ.setdefault("JACK_NO_START_SERVER", "1")
    try:
        import miniaudio
    except ImportError as err:  # a broken install: the wheel is a dependency
        raise PlaybackError(f"cannot load miniaudio ({err}); {RENDER_HINT}") from None
    silence_alsa()
    return miniaudio


def check_backend(backend: str) -> str:
    """Return ``backend`` normalised; raise ``OptionError`` for an unknown one."""
    name = backend.strip().lower()
    if name == "pulse":
        name = "pulseaudio"
    if name not in BACKENDS:
        raise OptionError(f"unknown audio backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return name


def hosts_for(backend: str) -> tuple[str, ...]:
    return AUTO_HOSTS if backend == "miniaudio" else (backend,)


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
    for host in hosts_for(backend):
        try:
            found += host_devices(host)
        except PlaybackError as err:
            notes.append(f"{host}: not available ({err})")
    return found, notes


@contextlib.contextmanager
def host_context(host: str) -> Iterator[Any]:
    miniaudio = load_miniaudio()
    ffi, lib = miniaudio.ffi, miniaudio.lib
    enum = getattr(miniaudio.Backend, HOST_ENUM[host])
    if enum not in miniaudio.get_enabled_backends():
        raise PlaybackError("not built into this miniaudio")
    wanted = ffi.new("ma_backend[]", [enum.value])
    ctx = ffi.new("ma_context *")
    with quiet_stderr():
        result = lib.ma_context_init(wanted, 1, ffi.NULL, ctx)
    if result != lib.MA_SUCCESS:
        raise PlaybackError(result_name(result))
    try:
        yield ctx
    finally:
        lib.ma_context_uninit(ctx)


def host_devices(host: str) -> list[Device]:
    miniaudio = load_miniaudio()
    ffi, lib = miniaudio.ffi, miniaudio.lib
    with host_context(host) as ctx:
        infos = ffi.new("ma_device_info **")
        count = ffi.new("ma_uint32 *")
        result = lib.ma_context_get_devices(ctx, infos, count, ffi.NULL, ffi.NULL)
        if result != lib.MA_SUCCESS:
            raise PlaybackError(result_name(result))
        out = []
        for i in range(count[0]):
            info = infos[0][i]
            out.append(
                Device(
                    host,
                    id_text(ffi, ffi.new("ma_device_id *", info.id)),
                    ffi.string(info.name).decode(errors="replace"),
                    bool(info.isDefault),
                )
            )
        return out


def id_text(ffi: Any, dev_id: Any) -> str:
    # ma_device_id is opaque in the cffi cdef; for ALSA and PulseAudio it is a NUL-terminated
    # char[256] (a PCM name such as "hw:0,0", or a sink name).
    raw: bytes = bytes(ffi.buffer(dev_id))
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def id_from_text(ffi: Any, text: str) -> Any:
    data = text.encode() + b"\0"
    if len(data) > 256:
        raise OptionError(f"--device: too long, got {text!r}")
    dev_id = ffi.new("ma_device_id *")
    ffi.memmove(dev_id, data, len(data))
    return dev_id


def find_device(device: str, hosts: tuple[str, ...]) -> tuple[str, str]:
    """Match ``--device`` against the listed devices: (host, id). Raises ``OptionError``."""
    listed: list[Device] = []
    for host in hosts:
        with contextlib.suppress(PlaybackError):
            listed += host_devices(host)
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
