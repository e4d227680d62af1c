"""Audio file formats: WAV, FLAC, OGG Vorbis, MP3 and M4A, with tags and one chapter per segment.

Every writer streams blocks (memory stays flat) into a temporary file beside the destination,
which is renamed into place only when complete (:func:`runcoach.sinks.atomic.atomic_path`).

- WAV: our own writer: the canonical 44-byte header, the PCM, then ``LIST/INFO`` tags, a
  ``cue `` chunk with a cue point per chapter and ``LIST/adtl`` labels naming them.
- FLAC and OGG Vorbis: ``soundfile`` (libsndfile in its wheel); tags and ``CHAPTERnn`` /
  ``CHAPTERnnNAME`` Vorbis comments written with ``mutagen``.
- MP3: LAME (``lameenc``) encodes, FFmpeg's muxer (PyAV) writes the ID3v2.3 tag, the chapters
  and the LAME Info/Xing frame with the encoder delay and padding (:mod:`runcoach.sinks.mp3`).
- M4A (AAC-LC): PyAV (FFmpeg in its wheel) encodes and muxes.

Blocks are float32 or 16-bit (``<i2``, the sparse mixer's PCM: :func:`runcoach.mix.blocks.
pcm16_blocks`); WAV, FLAC, OGG and MP3 take 16-bit PCM (float blocks converted by the one
converter, :func:`runcoach.mix.pcm.pcm16_array`), M4A floats.

Chapter and tag layouts were checked with ffprobe and mutagen (see tests/test_formats.py).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from runcoach.errors import OutputError
from runcoach.mix.pcm import PCM_SCALE, pcm16_array
from runcoach.sinks.atomic import atomic_path
from runcoach.sinks.encoding import DEFAULT_BITRATE, check_encoding
from runcoach.sinks.mp3 import write_mp3
from runcoach.sinks.pyav import EncoderError, describe, ffmpeg_errors, import_av, opened
from runcoach.sinks.tags import Chapter, Tags, write_vorbis_tags
from runcoach.sinks.wav import _write_wav

#: MP3 without ``--bitrate``: LAME's VBR quality (``-V``: 0 best ... 9 smallest; 4 is the "V4"
#: class, about a third of CBR 128's size), written with a Xing frame. ``None``: CBR at
#: ``DEFAULT_BITRATE["mp3"]``.
MP3_DEFAULT_VBR: float | None = 4


def write_audio(
    path: str | os.PathLike[str],
    blocks: Iterable[np.ndarray],
    *,
    fmt: str,
    rate: int,
    channels: int,
    total_frames: int,
    tags: Tags | None = None,
    chapters: Sequence[Chapter] = (),
    bitrate: int | None = None,
    quality: float | None = None,
    progress: Callable[[int], None] | None = None,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
) -> Path:
    """Stream ``blocks`` (float32 or ``<i2``, ``(frames, channels)``) into an audio file at
    ``path``.

    ``fmt`` is one of :data:`FORMATS`; ``bitrate`` in kbps (MP3, M4A); ``quality`` 0–10 (OGG);
    ``inputs`` the files the audio is made from, which ``path`` may not be. The file appears
    only when complete. Raises ``OptionError`` for settings the format cannot encode and
    ``OutputError`` (one line: the file and the reason) when the file cannot be written or
    the encoder fails.
    """
    check_encoding(
        fmt,
        rate=rate,
        channels=channels,
        total_frames=total_frames,
        bitrate=bitrate,
        quality=quality,
    )
    tags = tags or Tags()
    counted = _counted(blocks, channels, total_frames, progress)
    writer = _WRITERS[fmt]
    with atomic_path(path, inputs=inputs) as tmp:
        try:
            writer(
                tmp,
                counted,
                rate=rate,
                channels=channels,
                total_frames=total_frames,
                tags=tags,
                chapters=chapters,
                bitrate=bitrate,
                quality=quality,
            )
        except EncoderError as err:
            raise OutputError(f"{path}: cannot encode {fmt.upper()}: {err}") from None
    return Path(path)


#: What libsndfile says for a failed system call (``strerror``), back to its ``errno``: the
#: reasons a user can act on, reported like any other write failure.
_SYSTEM_ERRORS = {
    os.strerror(code): code
    for code in (
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EFBIG,
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.EIO,
        errno.ENOENT,
    )
}


def _library_failure(reason: str) -> Exception:
    """The exception for a codec library's failure: ``OSError`` for a system error (a full
    disk: :func:`atomic_path` names it), else :class:`EncoderError`."""
    text = " ".join(reason.split()).strip().rstrip(".")
    text = re.sub(r"^System error\s*:?\s*", "", text) or "system error"
    code = _SYSTEM_ERRORS.get(text)
    return OSError(code, text) if code is not None else EncoderError(text)


def _tag_failure(err: Exception) -> Exception:
    """mutagen wraps an ``OSError`` (a full disk while it rewrites the tags) in its own error."""
    cause = err.args[0] if err.args else None
    return cause if isinstance(cause, OSError) else EncoderError(f"tags: {err}")


_BLOCK_TYPES = (np.dtype(np.float32), np.dtype("<i2"))


def pcm16(blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """``blocks`` as 16-bit PCM: float blocks converted (:func:`pcm16_array`), others as they
    are."""
    for block in blocks:
        yield block if block.dtype == np.int16 else pcm16_array(block)


def _floats(blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """``blocks`` as float32 (16-bit ones scaled back by the converter's scale)."""
    for block in blocks:
        if block.dtype == np.int16:
            block = block.astype(np.float32) / PCM_SCALE
        yield np.ascontiguousarray(block)


def _counted(
    blocks: Iterable[np.ndarray],
    channels: int,
    total_frames: int,
    progress: Callable[[int], None] | None,
) -> Iterator[np.ndarray]:
    done = 0
    for block in blocks:
        if block.ndim != 2 or block.shape[1] != channels:
            raise ValueError(f"block of shape {block.shape}, expected (n, {channels})")
        if block.dtype not in _BLOCK_TYPES:
            raise ValueError(f"blocks are float32 or int16, not {block.dtype}")
        done += len(block)
        if done > total_frames:
            raise ValueError(f"more than the {total_frames} frames announced")
        yield block
        if progress is not None:
            progress(done)
    if done != total_frames:
        raise ValueError(f"{done} frames written, {total_frames} announced")


# --- FLAC and OGG ---------------------------------------------------------------------------


def _write_soundfile(
    path: Path,
    blocks: Iterator[np.ndarray],
    *,
    fmt: str,
    subtype: str,
    rate: int,
    channels: int,
    compression: float | None,
) -> None:
    import soundfile

    kwargs: dict[str, Any] = {}
    if compression is not None:
        kwargs["compression_level"] = compression
    handle = None
    try:
        handle = soundfile.SoundFile(
            str(path),
            "w",
            samplerate=rate,
            channels=channels,
            format=fmt,
            subtype=subtype,
            **kwargs,
        )
        for block in blocks:
            # 16-bit in: the FLAC holds exactly the WAV's samples (OGG: libsndfile scales).
            convert = subtype == "PCM_16" and block.dtype != np.int16
            handle.write(pcm16_array(block) if convert else block)
        handle.close()
    except soundfile.SoundFileError as err:
        reason = _sndfile_reason(soundfile, handle, err)
        _close_quietly(handle)
        raise _library_failure(reason) from None
    except BaseException:
        _close_quietly(handle)
        raise


def _sndfile_reason(soundfile: Any, handle: Any, err: Exception) -> str:
    """libsndfile's own words for the failure: ``System error : No space left on device``
    (its error object says only ``System error``)."""
    try:
        said = soundfile._ffi.string(soundfile._snd.sf_strerror(handle._file)).decode()
    except Exception:  # no open file, or another soundfile version: its own message
        said = ""
    return said or str(err)


def _close_quietly(handle: Any) -> None:
    if handle is not None:
        with contextlib.suppress(Exception):
            handle.close()


def _tagged(path: Path, kind: str, tags: Tags, chapters: Sequence[Chapter], rate: int) -> None:
    """Vorbis comments into a finished FLAC or OGG file, failures mapped like the audio's."""
    from mutagen import MutagenError

    try:
        write_vorbis_tags(path, kind, tags, chapters, rate)
    except MutagenError as err:
        raise _tag_failure(err) from None


def _write_flac(
    path: Path,
    blocks: Iterator[np.ndarray],
    *,
    rate: int,
    channels: int,
    tags: Tags,
    chapters: Sequence[Chapter],
    **_: Any,
) -> None:
    _write_soundfile(
        path, blocks, fmt="FLAC", subtype="PCM_16", rate=rate, channels=channels, compression=None
    )
    _tagged(path, "flac", tags, chapters, rate)


def _write_ogg(
    path: Path,
    blocks: Iterator[np.ndarray],
    *,
    rate: int,
    channels: int,
    tags: Tags,
    chapters: Sequence[Chapter],
    quality: float | None,
    **_: Any,
) -> None:
    # libsndfile's Vorbis "compression level": 0 is the best quality, 1 the smallest.
    level = 1.0 - (5.0 if quality is None else quality) / 10.0
    _write_soundfile(
        path, blocks, fmt="OGG", subtype="VORBIS", rate=rate, channels=channels, compression=level
    )
    _tagged(path, "ogg", tags, chapters, rate)


# --- MP3 (LAME, muxed by PyAV) and M4A (PyAV) ----------------------------------------------


def _write_mp3(
    path: Path,
    blocks: Iterator[np.ndarray],
    *,
    rate: int,
    channels: int,
    tags: Tags,
    chapters: Sequence[Chapter],
    bitrate: int | None,
    **_: Any,
) -> None:
    vbr = MP3_DEFAULT_VBR if bitrate is None else None
    if bitrate is None and vbr is None:
        bitrate = DEFAULT_BITRATE["mp3"]
    write_mp3(
        path,
        pcm16(blocks),
        rate=rate,
        channels=channels,
        tags=tags,
        chapters=chapters,
        bitrate=bitrate,
        vbr=vbr,
    )


def _write_m4a(
    path: Path,
    blocks: Iterator[np.ndarray],
    *,
    rate: int,
    channels: int,
    tags: Tags,
    chapters: Sequence[Chapter],
    bitrate: int | None,
    **_: Any,
) -> None:
    """AAC-LC in an MP4 (``ipod``) container: FFmpeg's AAC encoder takes floats."""
    av = import_av()
    layout = "mono" if channels == 1 else "stereo"
    with ffmpeg_errors(av), opened(av, path, "ipod", {}) as container:
        describe(container, tags, chapters, rate)
        stream = container.add_stream("aac", rate=rate, layout=layout)
        stream.codec_context.time_base = Fraction(1, rate)  # packet durations in frames
        stream.codec_context.bit_rate = (bitrate or DEFAULT_BITRATE["m4a"]) * 1000
        pts = 0
        for block in _floats(blocks):
            frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="flt", layout=layout)
            frame.sample_rate = rate
            frame.pts = pts
            frame.time_base = Fraction(1, rate)
            pts += len(block)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


_WRITERS: dict[str, Callable[..., None]] = {
    "wav": _write_wav,
    "flac": _write_flac,
    "ogg": _write_ogg,
    "mp3": _write_mp3,
    "m4a": _write_m4a,
}
