"""Audio file formats: WAV, FLAC, OGG Vorbis, MP3 and M4A, with tags and one chapter per segment.

Every writer streams blocks (memory stays flat) into a temporary file beside the destination,
which is renamed into place only when complete (:func:`runcoach.sinks.atomic.atomic_path`).

- WAV: our own writer: the canonical 44-byte header, the PCM, then ``LIST/INFO`` tags, a
  ``cue `` chunk with a cue point per chapter and ``LIST/adtl`` labels naming them.
- FLAC and OGG Vorbis: ``soundfile`` (libsndfile in its wheel); tags and ``CHAPTERnn`` /
  ``CHAPTERnnNAME`` Vorbis comments written with ``mutagen``.
- MP3 and M4A (AAC-LC): PyAV (FFmpeg in its wheel) encodes (libmp3lame, FFmpeg's AAC) and
  muxes. For MP3, FFmpeg's muxer writes the ID3v2.3 tag with a ``CTOC`` and one ``CHAP`` frame
  per chapter in time order, and the LAME Info (CBR) or Xing (VBR) frame carrying the encoder
  delay and padding, so players play exactly the session's frames.

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

from runcoach.errors import OptionError, OutputError
from runcoach.mix.pcm import pcm16_array
from runcoach.sinks.atomic import atomic_path
from runcoach.sinks.encoding import DEFAULT_BITRATE, check_encoding
from runcoach.sinks.tags import Chapter, Tags, _vorbis_tags
from runcoach.sinks.wav import _write_wav


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
    """Stream ``blocks`` (float32, ``(frames, channels)``) into an audio file at ``path``.

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
        except _EncoderError as err:
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
    disk: :func:`atomic_path` names it), else :class:`_EncoderError`."""
    text = " ".join(reason.split()).strip().rstrip(".")
    text = re.sub(r"^System error\s*:?\s*", "", text) or "system error"
    code = _SYSTEM_ERRORS.get(text)
    return OSError(code, text) if code is not None else _EncoderError(text)


def _tag_failure(err: Exception) -> Exception:
    """mutagen wraps an ``OSError`` (a full disk while it rewrites the tags) in its own error."""
    cause = err.args[0] if err.args else None
    return cause if isinstance(cause, OSError) else _EncoderError(f"tags: {err}")


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
            # int16 in: the FLAC holds exactly the WAV's samples.
            handle.write(pcm16_array(block) if subtype == "PCM_16" else block)
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
        _vorbis_tags(path, kind, tags, chapters, rate)
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


# --- MP3 and M4A: PyAV (FFmpeg's encoders and muxers, in its wheel) ---------------------------

#: How LAME names itself in the Info frame it writes. FFmpeg's mp3 muxer copies the stream's
#: ``encoder`` tag into that 9-byte field ("Lavf" without one), and readers such as mutagen
#: trust the encoder delay and padding there only after a LAME name: with "Lavf" they report
#: the length 48 ms long. The encoder is LAME (libmp3lame 3.100 in PyAV's wheel).
_LAME_VERSION = "LAME3.100"
#: FFmpeg's CTOC frame counts its entries in one byte (``$xx`` in the ID3 chapter addendum):
#: an MP3 with more segments gets no chapters rather than a table of contents that lies.
MP3_MAX_CHAPTERS = 255
#: MP3 without ``--bitrate``: ``None`` is CBR at ``DEFAULT_BITRATE["mp3"]``; a number is LAME's
#: VBR quality (``-V``: 0 best … 9 smallest; 4 is the "V4" class), written with a Xing frame.
MP3_DEFAULT_VBR: float | None = 4
_FF_QP2LAMBDA = 118  #: FFmpeg's unit for ``global_quality`` (libmp3lame divides by it)
_MP3_MUXER_OPTIONS = {
    # ID3v2.3 as before, and the version FFmpeg's CHAP/CTOC writer follows: it writes their
    # sizes as plain 32-bit numbers, where v2.4 wants sync-safe ones.
    "id3v2_version": "3",
    "write_xing": "1",  # the Info/Xing frame with encoder delay and padding (gapless)
}
#: Our tag names -> FFmpeg's metadata keys (its muxers turn them into ID3 frames or MP4 atoms).
_FFMPEG_TAGS = {
    "title": "title",
    "artist": "artist",
    "album": "album",
    "tracknumber": "track",
    "comment": "comment",
}


class _EncoderError(Exception):
    """FFmpeg failed for a reason other than I/O (which :func:`atomic_path` reports)."""


def _import_av() -> Any:
    try:
        import av
    except ImportError:  # pragma: no cover - av is a dependency; guard a broken install
        raise OptionError("MP3 and M4A need PyAV: pip install av") from None
    return av


@contextlib.contextmanager
def _ffmpeg_errors(av: Any) -> Iterator[None]:
    """Keep FFmpeg's log lines off stderr and turn its errors into :class:`_EncoderError`.

    FFmpeg's error lines are captured, never printed, and the first one explains the error.
    Errors that are ``OSError`` (a full disk, a file size limit) pass through for
    :func:`atomic_path` to name.
    """
    level = av.logging.get_level()
    av.logging.set_level(av.logging.ERROR)
    try:
        with av.logging.Capture(local=False) as logs:
            try:
                yield
            except av.error.FFmpegError as err:
                if isinstance(err, OSError):
                    raise
                said = next((line.strip() for _, _, line in logs if line.strip()), "")
                why = f"{err.strerror} ({said})" if said else str(err.strerror)
                raise _EncoderError(" ".join(why.split())) from None
    finally:
        av.logging.set_level(level)


@contextlib.contextmanager
def _opened(av: Any, path: Path, muxer: str, options: dict[str, str]) -> Iterator[Any]:
    """FFmpeg's ``muxer`` writing ``path``: closed (trailer written) on success, and on failure
    closed quietly, so that the first error (a Ctrl-C, a full disk) is the one reported."""
    container = av.open(str(path), "w", format=muxer, container_options=options)
    try:
        yield container
    except BaseException:
        with contextlib.suppress(Exception):
            container.close()
        raise
    container.close()


def _encode_pyav(
    path: Path,
    blocks: Iterator[np.ndarray],
    *,
    muxer: str,
    muxer_options: dict[str, str],
    codec: str,
    pcm16: bool,
    rate: int,
    channels: int,
    tags: Tags,
    chapters: Sequence[Chapter],
    setup: Callable[[Any], None],
    last_packet: Callable[[Any, int], None] | None = None,
) -> None:
    """Encode ``blocks`` with FFmpeg's ``codec`` into its ``muxer`` at ``path``; the muxer writes
    the tags and chapters. ``pcm16`` feeds the WAV's int16 samples, else float32; ``setup``
    sets the stream's rate control; ``last_packet`` sees the final packet before the muxer
    does, with the frames of padding all packets carry at the end."""
    av = _import_av()
    layout = "mono" if channels == 1 else "stereo"
    sample_format = "s16" if pcm16 else "flt"
    with _ffmpeg_errors(av), _opened(av, path, muxer, muxer_options) as container:
        for key, value in tags.items():
            container.metadata[_FFMPEG_TAGS[key]] = value
        if chapters:
            container.set_chapters(
                [
                    {
                        "id": i + 1,
                        "start": ch.start,
                        "end": ch.end,
                        "time_base": Fraction(1, rate),
                        "metadata": {"title": ch.title},
                    }
                    for i, ch in enumerate(chapters)
                ]
            )
        stream = container.add_stream(codec, rate=rate, layout=layout)
        stream.codec_context.time_base = Fraction(1, rate)  # packet durations in frames
        setup(stream)
        pts = padding = 0
        for block in blocks:
            data = pcm16_array(block) if pcm16 else np.ascontiguousarray(block)
            frame = av.AudioFrame.from_ndarray(
                data.reshape(1, -1), format=sample_format, layout=layout
            )
            frame.sample_rate = rate
            frame.pts = pts
            frame.time_base = Fraction(1, rate)
            pts += len(block)
            packets = stream.encode(frame)
            padding += _padding_frames(stream, packets)
            container.mux(packets)
        packets = stream.encode(None)
        padding += _padding_frames(stream, packets)
        if last_packet is not None and packets:
            last_packet(packets[-1], padding)
        container.mux(packets)


def _padding_frames(stream: Any, packets: list[Any]) -> int:
    """Frames the encoder marked as padding in ``packets``: a packet lasts a whole codec frame
    except at the end, where the rest of it is padding."""
    size = stream.codec_context.frame_size
    return sum(size - packet.duration for packet in packets)


def _mp3_end_padding(packet: Any, padding: int) -> None:
    """Put the whole end padding on the last packet, the only one FFmpeg's mp3 muxer reads.

    The muxer fills the Info frame's padding from the last packet's skip-samples side data
    alone (libavformat/mp3enc.c sets ``mp3->padding`` from each packet in turn). When LAME's
    flush ends with a frame that is all padding, the frame before carries padding as well (up
    to 47 frames), and every decoder would play it: FFmpeg's own CLI files show the same. The
    side data is FFmpeg's documented AV_PKT_DATA_SKIP_SAMPLES: u32le frames to skip at the
    start, u32le at the end, two reason bytes. No library writes this for us.
    """
    side = packet.get_sidedata("skip_samples")
    data = bytearray(bytes(side))
    if len(data) < 8 or int.from_bytes(data[4:8], "little") == padding:
        return
    data[4:8] = padding.to_bytes(4, "little")
    side.update(bytes(data))
    packet.set_sidedata(side)


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

    def setup(stream: Any) -> None:
        stream.metadata["encoder"] = _LAME_VERSION  # goes into the Info frame (see above)
        context = stream.codec_context
        context.options = {"compression_level": "5"}  # LAME -q 5, as before: fast, good
        if vbr is None:
            context.bit_rate = (bitrate or DEFAULT_BITRATE["mp3"]) * 1000
        else:
            context.qscale = True  # VBR, at LAME -V global_quality / FF_QP2LAMBDA
            context.global_quality = round(vbr * _FF_QP2LAMBDA)

    _encode_pyav(
        path,
        blocks,
        muxer="mp3",
        muxer_options=_MP3_MUXER_OPTIONS,
        codec="libmp3lame",
        pcm16=True,
        rate=rate,
        channels=channels,
        tags=tags,
        chapters=chapters if len(chapters) <= MP3_MAX_CHAPTERS else (),
        setup=setup,
        last_packet=_mp3_end_padding,
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
    def setup(stream: Any) -> None:
        stream.codec_context.bit_rate = (bitrate or DEFAULT_BITRATE["m4a"]) * 1000

    _encode_pyav(
        path,
        blocks,
        muxer="ipod",
        muxer_options={},
        codec="aac",
        pcm16=False,  # AAC encodes floats: no int16 step in between
        rate=rate,
        channels=channels,
        tags=tags,
        chapters=chapters,
        setup=setup,
    )


_WRITERS: dict[str, Callable[..., None]] = {
    "wav": _write_wav,
    "flac": _write_flac,
    "ogg": _write_ogg,
    "mp3": _write_mp3,
    "m4a": _write_m4a,
}
