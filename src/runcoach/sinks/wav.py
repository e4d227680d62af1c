"""WAV: the canonical 44-byte header, the PCM, then ``LIST/INFO`` tags, a ``cue `` chunk with a
cue point per chapter and ``LIST/adtl`` labels naming them (after the PCM, so naive readers that
expect the canonical header still work).

Two writers: ``_write_wav`` streams float or 16-bit blocks (for
:func:`runcoach.sinks.codecs.write_audio`); :func:`write_wav_sparse` writes only the stretches
that sound into a pre-sized file (the render fast path). Both give the same bytes.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

from runcoach.errors import OptionError
from runcoach.mix.pcm import to_pcm16
from runcoach.sinks.atomic import atomic_path
from runcoach.sinks.tags import Chapter, Tags

#: The largest RIFF/WAV payload (its size fields are 32-bit).
WAV_MAX_BYTES = 0xFFFFFFFF - 1_000_000


def check_wav_size(*, rate: int, channels: int, total_frames: int) -> None:
    """Refuse a session too long for a WAV file's 32-bit sizes. Raises ``OptionError``."""
    if total_frames * channels * 2 > WAV_MAX_BYTES:
        hours = WAV_MAX_BYTES / (rate * channels * 2 * 3600)
        raise OptionError(
            f"a WAV file holds at most {hours:.1f} hours at {rate} Hz "
            f"{'stereo' if channels == 2 else 'mono'}; use FLAC or MP3, mono, or a lower "
            "--sample-rate"
        )


def _chunk(cid: bytes, payload: bytes) -> bytes:
    """A RIFF chunk; an odd payload gets a pad byte not counted in its size field."""
    return cid + struct.pack("<I", len(payload)) + payload + (b"\0" if len(payload) & 1 else b"")


def _zstr(text: str) -> bytes:
    return text.encode("utf-8") + b"\0"


_INFO_IDS = {
    "title": b"INAM",
    "artist": b"IART",
    "album": b"IPRD",
    "tracknumber": b"ITRK",
    "comment": b"ICMT",
}


def wav_trailer(tags: Tags, chapters: Sequence[Chapter]) -> bytes:
    """The chunks after the PCM: LIST/INFO tags, cue points and their labels."""
    info = b"".join(_chunk(_INFO_IDS[k], _zstr(v)) for k, v in tags.items())
    info += _chunk(b"ISFT", _zstr("runcoach"))
    parts = [_chunk(b"LIST", b"INFO" + info)]
    if chapters:
        cue = struct.pack("<I", len(chapters)) + b"".join(
            struct.pack("<II4sIII", i, ch.start, b"data", 0, 0, ch.start)
            for i, ch in enumerate(chapters, 1)
        )
        parts.append(_chunk(b"cue ", cue))
        # Every labl before any ltxt: ffmpeg stops reading adtl at the first other chunk.
        adtl = b"adtl" + b"".join(
            _chunk(b"labl", struct.pack("<I", i) + _zstr(ch.title))
            for i, ch in enumerate(chapters, 1)
        )
        adtl += b"".join(
            _chunk(
                b"ltxt", struct.pack("<II4sHHHH", i, max(0, ch.end - ch.start), b"rgn ", 0, 0, 0, 0)
            )
            for i, ch in enumerate(chapters, 1)
        )
        parts.append(_chunk(b"LIST", adtl))
    return b"".join(parts)


def _wav_head(rate: int, channels: int, total_frames: int, trailer: bytes) -> bytes:
    data_bytes = total_frames * channels * 2
    riff = 4 + (8 + 16) + (8 + data_bytes + (data_bytes & 1)) + len(trailer)
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * 2, channels * 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", riff)
        + b"WAVE"
        + _chunk(b"fmt ", fmt)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


def _write_wav(
    path: Path,
    blocks: Iterator[np.ndarray],
    *,
    rate: int,
    channels: int,
    total_frames: int,
    tags: Tags,
    chapters: Sequence[Chapter],
    **_: Any,
) -> None:
    data_bytes = total_frames * channels * 2
    trailer = wav_trailer(tags, chapters)
    with open(path, "wb") as handle:
        handle.write(_wav_head(rate, channels, total_frames, trailer))
        for block in blocks:
            # 16-bit blocks (the sparse mixer's) as they are, float ones converted.
            handle.write(block.tobytes() if block.dtype == np.int16 else to_pcm16(block))
        if data_bytes & 1:
            handle.write(b"\0")
        handle.write(trailer)


def write_wav_sparse(
    path: str | os.PathLike[str],
    pieces: Iterable[tuple[int, list[tuple[int, np.ndarray]]]],
    *,
    rate: int,
    channels: int,
    total_frames: int,
    tags: Tags | None = None,
    chapters: Sequence[Chapter] = (),
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Write a WAV from the stretches that sound (see :func:`runcoach.mix.blocks.pcm16_pieces`:
    per block, its end frame and its (first frame, 16-bit samples) pieces), writing only those
    and leaving the silence between them as zeros: the same bytes as :func:`write_audio`, a
    fraction of the work (and a sparse file where the file system supports it). Atomic like
    every writer.
    """
    check_wav_size(rate=rate, channels=channels, total_frames=total_frames)
    frame_bytes = channels * 2
    trailer = wav_trailer(tags or Tags(), chapters)
    with atomic_path(path) as tmp, open(tmp, "wb", buffering=0) as handle:
        fd = handle.fileno()
        head = _wav_head(rate, channels, total_frames, trailer)
        start = len(head)
        # Size the file once: writes inside it are much cheaper than writes that extend it,
        # and the silence between sounds is then already zeros (holes, where supported).
        os.ftruncate(fd, start + total_frames * frame_bytes + len(trailer))
        os.pwrite(fd, head, 0)
        done = 0
        write = os.pwrite
        for end, parts in pieces:
            if end > total_frames or (parts and parts[0][1].shape[1:] != (channels,)):
                raise ValueError(f"the pieces before frame {end} do not fit the file")
            for first, pcm in parts:
                # An ndarray is a buffer (written without a copy); typeshed's Buffer does not
                # know it. Pieces are C-contiguous (frames, channels) int16.
                write(fd, cast(bytes, pcm), start + first * frame_bytes)
            done = end
            if progress is not None:
                progress(done)
        if done != total_frames:
            raise ValueError(f"{done} frames written, {total_frames} announced")
        os.pwrite(fd, trailer, start + total_frames * frame_bytes)
    return Path(path)
