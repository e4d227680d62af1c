"""PyAV (FFmpeg in its wheel) for the files it writes: the MP3 muxer (ID3v2 tags, chapters, the
LAME Info frame; :mod:`runcoach.sinks.mp3`) and the M4A encoder and muxer
(:mod:`runcoach.sinks.codecs`). FFmpeg's log lines are captured, never printed, and its errors
become :class:`EncoderError` (I/O errors stay ``OSError`` for :func:`atomic_path` to name).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from runcoach.errors import OptionError
from runcoach.sinks.tags import Chapter, Tags

#: Our tag names -> FFmpeg's metadata keys (its muxers turn them into ID3 frames or MP4 atoms).
_FFMPEG_TAGS = {
    "title": "title",
    "artist": "artist",
    "album": "album",
    "tracknumber": "track",
    "comment": "comment",
}


class EncoderError(Exception):
    """An encoder or muxer failed for a reason other than I/O (which :func:`atomic_path`
    reports): the writer turns it into one ``OutputError`` line naming the file."""


def import_av() -> Any:
    """The ``av`` module (imported here, not at start-up: it is heavy)."""
    try:
        import av
    except ImportError:  # pragma: no cover - av is a dependency; guard a broken install
        raise OptionError("MP3 and M4A need PyAV: pip install av") from None
    return av


@contextlib.contextmanager
def ffmpeg_errors(av: Any) -> Iterator[None]:
    """Keep FFmpeg's log lines off stderr and turn its errors into :class:`EncoderError`.

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
                raise EncoderError(" ".join(why.split())) from None
    finally:
        av.logging.set_level(level)


@contextlib.contextmanager
def opened(av: Any, path: Path, muxer: str, options: dict[str, str]) -> Iterator[Any]:
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


def describe(container: Any, tags: Tags, chapters: Sequence[Chapter], rate: int) -> None:
    """Give the muxer the file's tags and chapters (it writes them in its container's form)."""
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
