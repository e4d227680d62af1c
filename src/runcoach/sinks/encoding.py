"""What each audio format can hold: format names and file endings, and the encoder constraints
(sample rates, bit rates, channels, lengths) checked before any work, so nothing is refused
after minutes of rendering and no encoder quietly substitutes another setting."""

from __future__ import annotations

import os
from pathlib import Path

from runcoach.errors import OptionError, OutputError
from runcoach.plans.units import quote
from runcoach.sinks.wav import check_wav_size

#: Format names and the file endings that choose them.
EXTENSIONS = {
    ".wav": "wav",
    ".wave": "wav",
    ".flac": "flac",
    ".ogg": "ogg",
    ".oga": "ogg",
    ".mp3": "mp3",
    ".m4a": "m4a",
}
FORMATS = ("wav", "flac", "ogg", "mp3", "m4a")
LOSSY = ("ogg", "mp3", "m4a")
#: Default bit rates in kbps for the formats that take one.
DEFAULT_BITRATE = {"mp3": 128, "m4a": 128}
MP3_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)


def format_for(path: str | os.PathLike[str], override: str | None = None) -> str:
    """The format for ``path``: ``override`` if given, else from the file ending.

    Raises ``OptionError`` for an unknown format or ending.
    """
    if override is not None:
        if not isinstance(override, str):
            raise OptionError(
                f"--format must be one of {', '.join(FORMATS)}, got {quote(override)}"
            )
        fmt = override.lower().lstrip(".")
        if fmt not in FORMATS:
            raise OptionError(
                f"--format must be one of {', '.join(FORMATS)}, got {quote(override)}"
            )
        return fmt
    if not isinstance(path, (str, os.PathLike)):
        raise OutputError(f"the output must be a file name, got {quote(path)}")
    suffix = Path(path).suffix.lower()
    if suffix not in EXTENSIONS:
        raise OptionError(
            f"{path}: cannot tell the format from {suffix or 'a name without an ending'!r}; "
            f"name the file .wav, .flac, .ogg, .mp3 or .m4a, or give --format"
        )
    return EXTENSIONS[suffix]


#: MP3 bit rates (kbps) by sample rate: MPEG-1 rates, MPEG-2 (half) and MPEG-2.5 (quarter)
#: each allow their own set (ISO 11172-3, 13818-3); LAME quietly substitutes another for a rate
#: it cannot carry, so a bit rate outside the set is refused before any work.
MP3_RATE_BITRATES = {
    **dict.fromkeys((32000, 44100, 48000), MP3_BITRATES),
    **dict.fromkeys(
        (16000, 22050, 24000), (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
    ),
    **dict.fromkeys((8000, 11025, 12000), (8, 16, 24, 32, 40, 48, 56, 64)),
}
#: Sample rates AAC (M4A) can hold.
M4A_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)
M4A_MIN_BITRATE = 32


def m4a_max_bitrate(rate: int, channels: int) -> int:
    """The highest AAC bit rate in kbps at ``rate`` Hz: 6144 bits per channel per 1024-frame
    block (FFmpeg's encoder lowers anything above it without a word)."""
    return 6144 * channels * rate // 1024 // 1000


def check_encoding(
    fmt: str,
    *,
    rate: int,
    channels: int,
    total_frames: int,
    bitrate: int | None,
    quality: float | None,
) -> None:
    """Refuse, before any work, what a format cannot encode: an empty session, a channel count,
    sample rate or bit rate the encoder would refuse or quietly change, a WAV too long for its
    32-bit sizes. Raises ``OptionError``."""
    if channels not in (1, 2):
        raise OptionError(f"files are mono or stereo, not {channels} channels")
    if total_frames <= 0:
        raise OptionError(
            f"the session is shorter than one sample at {rate} Hz: there is nothing to write; "
            "make it longer"
        )
    if fmt == "wav":
        check_wav_size(rate=rate, channels=channels, total_frames=total_frames)
    if bitrate is not None:
        _check_bitrate(fmt, bitrate, rate, channels)
    if quality is not None:
        if fmt != "ogg":
            raise OptionError(f"--quality applies to ogg, not {fmt}")
        if not 0 <= quality <= 10:
            raise OptionError(f"--quality must be 0 to 10, got {quote(quality)}")
    if fmt == "mp3" and rate not in MP3_RATE_BITRATES:
        raise OptionError(f"MP3 cannot hold {rate} Hz; use 8000-48000 (e.g. 44100)")
    if fmt == "m4a" and rate not in M4A_RATES:
        raise OptionError(f"M4A (AAC) cannot hold {rate} Hz; use e.g. 44100 or 48000")


def _check_bitrate(fmt: str, bitrate: int, rate: int, channels: int) -> None:
    if isinstance(bitrate, bool) or not isinstance(bitrate, int):
        raise OptionError(f"--bitrate must be a whole number of kbps, got {quote(bitrate)}")
    if fmt not in DEFAULT_BITRATE:
        raise OptionError(f"--bitrate applies to mp3 and m4a, not {fmt}")
    if fmt == "mp3":
        allowed = MP3_RATE_BITRATES.get(rate, MP3_BITRATES)
        if bitrate not in allowed:
            raise OptionError(
                f"--bitrate for MP3 at {rate} Hz must be one of "
                f"{', '.join(map(str, allowed))} kbps, got {quote(bitrate)}"
            )
    if fmt == "m4a":
        top = min(320, m4a_max_bitrate(rate, channels))
        if not M4A_MIN_BITRATE <= bitrate <= top:
            layout = "stereo" if channels == 2 else "mono"
            raise OptionError(
                f"--bitrate for M4A at {rate} Hz {layout} must be {M4A_MIN_BITRATE} to {top} "
                f"kbps, got {quote(bitrate)}"
            )
