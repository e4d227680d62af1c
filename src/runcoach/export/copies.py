"""A second file from audio already encoded: the same encoded audio, other tags.

Sessions whose audio is identical are encoded once in an export; each other file is a copy of
that file's bytes (only its data, where the file system keeps holes: a sparse WAV stays
sparse) into a temporary file beside the destination, with its own tags written by
``mutagen`` (ID3 for MP3, MP4 atoms for M4A, Vorbis comments for FLAC and OGG) or, for WAV, the
``LIST/INFO`` and cue chunks after the PCM rebuilt; then renamed into place like every output.
The tags that are changed are the ones the encoder wrote, in the same frames, so a copy reads
like a file encoded for itself; the chapters (the segments) are the same for identical audio.
"""

from __future__ import annotations

import errno
import os
import struct
from collections.abc import Callable, Sequence
from pathlib import Path

from runcoach.errors import OutputError
from runcoach.sinks.atomic import atomic_path
from runcoach.sinks.tags import Chapter, Tags, write_vorbis_tags
from runcoach.sinks.wav import wav_trailer

#: Bytes per read and write when the kernel cannot copy between the files itself.
_COPY_CHUNK = 1 << 20


def copy_with_tags(
    source: Path, dest: Path, *, fmt: str, tags: Tags, chapters: Sequence[Chapter] = ()
) -> Path:
    """Write ``dest`` with ``source``'s encoded audio (a file of format ``fmt`` that this
    export wrote) and ``tags``; ``chapters`` are the WAV's cue points (the other formats keep
    the source's chapters). Atomic: ``dest`` appears only when complete, and an interruption
    leaves no temporary file. Raises ``OutputError`` naming ``dest``.
    """
    with atomic_path(dest) as tmp:
        if fmt == "wav":
            _copy_wav(source, tmp, tags, chapters)
        else:
            copy_bytes(source, tmp)
            _retag(tmp, dest, fmt, tags)
    return dest


def copy_bytes(source: Path, dest: Path, length: int | None = None) -> None:
    """Copy the first ``length`` bytes (all by default) of ``source`` over ``dest``, skipping
    holes (they stay holes), in the kernel where it can (``copy_file_range``)."""
    with open(source, "rb") as src, open(dest, "r+b") as dst:
        size = os.fstat(src.fileno()).st_size if length is None else length
        os.ftruncate(dst.fileno(), size)
        for start, end in _data_ranges(src.fileno(), size):
            _copy_range(src.fileno(), dst.fileno(), start, end)


def _data_ranges(fd: int, size: int) -> list[tuple[int, int]]:
    """The stretches of ``fd``'s first ``size`` bytes that hold data (all of it when the file
    system cannot tell data from holes)."""
    if not hasattr(os, "SEEK_DATA"):  # pragma: no cover - not Linux or macOS
        return [(0, size)]
    ranges = []
    offset = 0
    try:
        while offset < size:
            try:
                start = os.lseek(fd, offset, os.SEEK_DATA)
            except OSError as err:
                if err.errno == errno.ENXIO:  # only a hole from here on
                    break
                raise
            if start >= size:
                break
            end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
            ranges.append((start, end))
            offset = end
    except OSError:
        return [(0, size)]
    return ranges


def _copy_range(src: int, dst: int, start: int, end: int) -> None:
    """Copy bytes ``start``..``end`` of ``src`` to the same place in ``dst``."""
    offset = start
    kernel = hasattr(os, "copy_file_range")
    while offset < end:
        if kernel:
            try:
                done = os.copy_file_range(src, dst, end - offset, offset, offset)
            except OSError as err:
                if err.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                    raise
                kernel = False
                continue
        else:
            data = os.pread(src, min(_COPY_CHUNK, end - offset), offset)
            done = os.pwrite(dst, data, offset) if data else 0
        if done <= 0:
            raise OSError(errno.EIO, f"the copy stopped at byte {offset} of {end}")
        offset += done


def _copy_wav(source: Path, dest: Path, tags: Tags, chapters: Sequence[Chapter]) -> None:
    """The source's header and PCM, then the tag and cue chunks for ``tags``: the same bytes
    as a WAV written with these tags."""
    with open(source, "rb") as handle:
        pcm_end = _wav_pcm_end(handle.fileno())
    trailer = wav_trailer(tags, chapters)
    copy_bytes(source, dest, pcm_end)
    with open(dest, "r+b") as handle:
        fd = handle.fileno()
        os.pwrite(fd, trailer, pcm_end)
        os.pwrite(fd, struct.pack("<I", pcm_end - 8 + len(trailer)), 4)


def _wav_pcm_end(fd: int) -> int:
    """Where a WAV's ``data`` chunk ends (its pad byte included)."""
    head = os.pread(fd, 12, 0)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise OSError(errno.EINVAL, "not a WAV file")
    offset = 12
    while True:
        chunk = os.pread(fd, 8, offset)
        if len(chunk) < 8:
            raise OSError(errno.EINVAL, "a WAV file without a data chunk")
        cid, size = chunk[:4], int.from_bytes(chunk[4:], "little")
        offset += 8
        if cid == b"data":
            return offset + size + (size & 1)
        offset += size + (size & 1)


# --- tags in the encoded formats ----------------------------------------------------------------


def _retag(path: Path, dest: Path, fmt: str, tags: Tags) -> None:
    """Replace the tags in the encoded file at ``path`` with ``tags`` (mutagen); errors name
    ``dest``, the file being made."""
    from mutagen import MutagenError

    try:
        _RETAGGERS[fmt](path, tags)
    except MutagenError as err:
        cause = err.args[0] if err.args else None
        if isinstance(cause, OSError):  # a full disk while mutagen rewrites the file
            raise cause from None
        raise OutputError(f"{dest}: cannot write the tags: {err}") from None


#: Our tag names -> the ID3 frames that may carry them (FFmpeg writes the comment as a TXXX).
_ID3_FRAMES = {
    "title": ("TIT2",),
    "artist": ("TPE1",),
    "album": ("TALB",),
    "tracknumber": ("TRCK",),
    "comment": ("COMM", "TXXX:comment"),
}


def _retag_mp3(path: Path, tags: Tags) -> None:
    from mutagen.id3 import COMM, ID3, Encoding, Frames, ID3NoHeaderError

    try:
        id3 = ID3(str(path))
        version = 3 if id3.version[:2] == (2, 3) else 4  # as the encoder wrote it
    except ID3NoHeaderError:
        id3, version = ID3(), 3
    values = dict(tags.items())
    for key, names in _ID3_FRAMES.items():
        value = values.get(key, "")
        found = [frame for name in names for frame in id3.getall(name)]
        for name in names:
            id3.delall(name)
        if not value:
            continue
        if not found:
            found = [
                COMM(encoding=Encoding.UTF8, lang="eng", desc="", text=[value])
                if key == "comment"
                else Frames[names[0]](encoding=Encoding.UTF8, text=[value])
            ]
        for frame in found:
            frame.text = [value]
            if not _latin1(value):
                frame.encoding = Encoding.UTF8  # written as UTF-16 in ID3v2.3
            id3.add(frame)
    id3.save(str(path), v2_version=version)


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


#: Our tag names -> MP4 atoms (FFmpeg's ipod muxer writes these).
_MP4_ATOMS = {
    "title": "\xa9nam",
    "artist": "\xa9ART",
    "album": "\xa9alb",
    "tracknumber": "trkn",
    "comment": "\xa9cmt",
}


def _retag_m4a(path: Path, tags: Tags) -> None:
    from mutagen.mp4 import MP4

    audio = MP4(str(path))
    if audio.tags is None:
        audio.add_tags()
    assert audio.tags is not None
    values = dict(tags.items())
    for key, atom in _MP4_ATOMS.items():
        value = values.get(key, "")
        if not value:
            audio.tags.pop(atom, None)
        elif atom == "trkn":
            number, _, count = value.partition("/")
            audio.tags[atom] = [(int(number), int(count or 0))]
        else:
            audio.tags[atom] = [value]
    audio.save()


_RETAGGERS: dict[str, Callable[[Path, Tags], None]] = {
    "mp3": _retag_mp3,
    "m4a": _retag_m4a,
    "flac": lambda path, tags: write_vorbis_tags(path, "flac", tags),
    "ogg": lambda path, tags: write_vorbis_tags(path, "ogg", tags),
}
