"""The voice: phrases spoken by libespeak-ng, in any of the languages of :mod:`.phrases`.

The speech comes from the ``espeakng-loader`` wheel, which ships libespeak-ng and its data
for 100+ languages, driven in-process through ctypes (synchronous output, the samples
collected by a callback): ``pip install runcoach`` brings the voice, no system package needed,
and a phrase costs milliseconds rather than a process. Where the wheel cannot load (a
platform it has no build for), the espeak-ng program is the fallback, as before.

Each phrase is synthesized once per process (cached) as mono float32 at the session's rate;
where and when phrases are said is the mixer's business (:mod:`runcoach.mix.announce`).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from runcoach.errors import OptionError
from runcoach.sounds.phrases import cadence_words, duration_words, language, number_words

if TYPE_CHECKING:
    import numpy as np

T = TypeVar("T")

__all__ = [
    "INSTALL_HINT",
    "Voice",
    "cadence_words",
    "duration_words",
    "espeak_path",
    "library_available",
    "library_info",
    "number_words",
    "speech_available",
]

INSTALL_HINT = (
    "spoken announcements need libespeak-ng: `pip install espeakng-loader` (it comes with "
    "runcoach on Linux x86-64, macOS arm64 and Windows x64), or the espeak-ng program "
    "(`sudo apt-get install espeak-ng`, `brew install espeak-ng`); the tones still announce "
    "every change"
)

# From espeak-ng's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # report missing data instead of exit()ing the process
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1


class _Library:
    """libespeak-ng from the espeakng-loader wheel, loaded and initialised for one phrase.

    espeak-ng carries state from one utterance to the next in its globals (the pitch
    flutter's phase, among others), so the same text said after another phrase comes out a
    few samples different. The library is therefore loaded, initialised, used for one phrase
    and unloaded again (about 15 ms): a phrase's audio depends on its text alone, as it did
    with a process per phrase, so export's workers, play and render give the same bytes
    whatever was said before. Nothing of it outlives the phrase, so nothing is pickled.
    """

    def __init__(self) -> None:
        import ctypes

        import espeakng_loader

        self._ctypes = ctypes
        self._lib = lib = ctypes.CDLL(espeakng_loader.get_library_path())
        try:
            lib.espeak_Initialize.argtypes = [
                ctypes.c_int,
                ctypes.c_int,
                ctypes.c_char_p,
                ctypes.c_int,
            ]
            lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
            lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
            # text, its size in bytes, position, its type, end position, flags, id, user data
            lib.espeak_Synth.argtypes = [
                ctypes.c_void_p,
                ctypes.c_size_t,
                ctypes.c_uint,
                ctypes.c_int,
                ctypes.c_uint,
                ctypes.c_uint,
                ctypes.c_void_p,
                ctypes.c_void_p,
            ]
            lib.espeak_Info.argtypes = [ctypes.POINTER(ctypes.c_char_p)]
            lib.espeak_Info.restype = ctypes.c_char_p
            self.data = espeakng_loader.get_data_path()
            rate = lib.espeak_Initialize(
                _AUDIO_OUTPUT_SYNCHRONOUS, 0, self.data.encode(), _INITIALIZE_DONT_EXIT
            )
            if rate <= 0:
                raise OSError(f"libespeak-ng did not start (data in {self.data!r})")
            lib.espeak_SetSynthCallback(_synth_callback())
        except BaseException:
            self._unload()
            raise
        self.rate: int = rate

    def info(self) -> tuple[str, str]:
        """The library's version and the data folder it reads."""
        path = self._ctypes.c_char_p()
        version = self._lib.espeak_Info(self._ctypes.byref(path))
        return (version or b"").decode(), (path.value or b"").decode()

    def speak(self, text: str, voice: str, words_per_minute: int) -> bytes:
        """``text`` spoken by ``voice``: native-endian 16-bit mono samples at ``rate``."""
        if self._lib.espeak_SetVoiceByName(_voice_file(self.data, voice).encode()) != 0:
            raise OptionError(f"libespeak-ng has no voice {voice!r}")
        self._lib.espeak_SetParameter(_PARAM_RATE, words_per_minute, 0)
        _CHUNKS.clear()
        data = text.encode("utf-8") + b"\0"
        failed = self._lib.espeak_Synth(
            data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        self._lib.espeak_Synchronize()
        if failed:
            raise OptionError(f"libespeak-ng failed to speak {text!r} (error {failed})")
        raw = b"".join(_CHUNKS)
        _CHUNKS.clear()
        return raw

    def close(self) -> None:
        """Free the library's memory and unload it (its state goes with it)."""
        try:
            self._lib.espeak_Terminate()
        finally:
            self._unload()

    def _unload(self) -> None:
        import _ctypes

        handle = self._lib._handle
        del self._lib
        # dlclose on Linux and macOS, FreeLibrary on Windows.
        close = getattr(_ctypes, "dlclose", None) or getattr(_ctypes, "FreeLibrary", None)
        if close is not None:
            close(handle)


@functools.cache
def _voice_file(data: str, voice: str) -> str:
    """The voice's file under ``data/lang`` ("de" → "gmw/de"): found by that path, espeak-ng
    skips reading every voice file to find it by name (10 ms a phrase). The name itself
    where there is no such file."""
    lang = Path(data, "lang")
    for family in sorted(lang.iterdir()) if lang.is_dir() else ():
        for entry in family.iterdir() if family.is_dir() else ():
            if entry.name.lower() == voice.lower():
                return f"{family.name}/{entry.name}"
    return voice


#: Held while the library is loaded: its state is the process's, one phrase at a time.
_LIBRARY_LOCK = threading.Lock()
#: The samples of the phrase being spoken, as the synth callback hands them over.
_CHUNKS: list[bytes] = []
_CALLBACK: list[Any] = []  # the one C callback, kept alive for the process
_usable: bool | None = None  # whether the wheel's library loads here (found out once)


def _collect(wav: Any, count: int, events: Any) -> int:
    """The synth callback: keep each buffer of 16-bit samples; 0 goes on synthesizing."""
    import ctypes

    if wav and count > 0:
        _CHUNKS.append(ctypes.string_at(wav, count * 2))
    return 0


def _synth_callback() -> Any:
    """The C function pointer of :func:`_collect` (made once, never freed)."""
    if not _CALLBACK:
        import ctypes

        callback_type = ctypes.CFUNCTYPE(
            ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
        )
        _CALLBACK.append(callback_type(_collect))
    return _CALLBACK[0]


def _with_library(use: Callable[[_Library], T]) -> T | None:
    """``use`` applied to a freshly loaded library; None when the wheel cannot load here."""
    global _usable
    with _LIBRARY_LOCK:
        if _usable is False:
            return None
        try:
            library = _Library()
        except (ImportError, OSError, AttributeError, RuntimeError):
            _usable = False  # no wheel for this platform: the program's turn
            return None
        _usable = True
        try:
            return use(library)
        finally:
            library.close()


def library_available() -> bool:
    """True when the wheel's libespeak-ng loads and starts here."""
    return _usable if _usable is not None else _with_library(lambda _: True) is not None


def library_info() -> tuple[str, str] | None:
    """The wheel's libespeak-ng version and data folder (None when it cannot load)."""
    return _with_library(_Library.info)


def espeak_path() -> str | None:
    """The espeak-ng (or espeak) program, if installed: the fallback to the library."""
    return shutil.which("espeak-ng") or shutil.which("espeak")


def speech_available() -> bool:
    """True when a voice can speak: the wheel's library loads, or the program is installed."""
    return library_available() or espeak_path() is not None


class Voice:
    """Says phrases in a language at a sample rate, each synthesized once.

    Speaks through the wheel's libespeak-ng when it loads, else through the espeak-ng
    program (``program`` forces that program). Raises ``OptionError`` for a language not in
    :data:`runcoach.sounds.phrases.LANGUAGES`, or when neither can speak.
    """

    def __init__(
        self,
        sr: int,
        *,
        lang: str = "en",
        program: str | None = None,
        words_per_minute: int = 165,
    ) -> None:
        spoken = language(lang)
        self.lang = spoken.code
        self.voice = spoken.voice
        self.program: str | None = program
        if program is None and not library_available():
            self.program = espeak_path()
            if self.program is None:
                raise OptionError(INSTALL_HINT)
        self.sr = sr
        self.words_per_minute = words_per_minute
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()  # export renders sessions in threads

    @property
    def backend(self) -> str:
        """What speaks: ``"library"`` (the wheel's libespeak-ng) or ``"program"``."""
        return "library" if self.program is None else "program"

    def __getstate__(self) -> dict[str, object]:
        # Sent to export's worker processes: without the lock (and the cache, rebuilt there);
        # the library is loaded per phrase, in whichever process speaks.
        state = dict(self.__dict__)
        del state["_lock"]
        state["_cache"] = {}
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def say(self, text: str) -> np.ndarray:
        """``text`` spoken, as mono float32 at the voice's rate, trimmed, peaking at 1.0."""
        with self._lock:
            if text not in self._cache:
                self._cache[text] = self._synthesize(text)
            return self._cache[text]

    def _synthesize(self, text: str) -> np.ndarray:
        import numpy as np

        if self.program is not None:
            pcm, rate = self._run_program(text)
            return _shaped(pcm, rate, self.sr, text)
        spoken = _with_library(
            lambda lib: (lib.speak(text, self.voice, self.words_per_minute), lib.rate)
        )
        if spoken is None:
            raise OptionError(INSTALL_HINT)
        return _shaped(np.frombuffer(spoken[0], dtype=np.int16), spoken[1], self.sr, text)

    def _run_program(self, text: str) -> tuple[np.ndarray, int]:
        """``text`` spoken by the espeak-ng program: its 16-bit samples and their rate."""
        import numpy as np

        assert self.program is not None
        command = [self.program, "-v", self.voice, "-s", str(self.words_per_minute), "--stdout"]
        try:
            done = subprocess.run([*command, text], capture_output=True, timeout=30, check=True)
        except (OSError, subprocess.SubprocessError) as err:
            raise OptionError(f"espeak-ng failed to speak {text!r}: {err}") from None
        raw = done.stdout
        if raw[:4] != b"RIFF" or len(raw) <= 44:
            raise OptionError(f"espeak-ng gave no audio for {text!r}")
        rate = int.from_bytes(raw[24:28], "little")
        return np.frombuffer(raw[44 : 44 + (len(raw) - 44) // 2 * 2], dtype="<i2"), rate


def _shaped(pcm: np.ndarray, rate: int, sr: int, text: str) -> np.ndarray:
    """16-bit speech at ``rate`` as float32 at ``sr``: silence trimmed (10 ms kept before,
    30 ms after), 5 ms fades, peaking at 1.0."""
    import numpy as np

    y = pcm.astype(np.float32) / 32768.0
    loud = np.flatnonzero(np.abs(y) > 0.01)
    if len(loud) == 0:
        raise OptionError(f"espeak-ng gave silence for {text!r}")
    y = y[max(0, loud[0] - int(0.01 * rate)) : loud[-1] + int(0.03 * rate)]
    if rate != sr:
        import soxr

        y = soxr.resample(y, rate, sr).astype(np.float32)
    fade = min(len(y) // 2, int(0.005 * sr))
    if fade:
        y[:fade] *= np.linspace(0.0, 1.0, fade, dtype=np.float32)
        y[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    peak = float(np.max(np.abs(y)))
    out: np.ndarray = (y / peak).astype(np.float32)
    return out
