"""Tags and chapters: what each file says about itself, in one shape for every format.

One :class:`Chapter` per segment (frames), a few :class:`Tags`; each writer turns them into its
container's form (WAV cue and LIST chunks in :mod:`runcoach.sinks.wav`, Vorbis comments here,
ID3 CHAP/CTOC and MP4 chapters in :mod:`runcoach.sinks.codecs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

#: The names :meth:`Tags.items` gives, in its order.
TAG_NAMES = ("title", "artist", "album", "tracknumber", "comment")


@dataclass(frozen=True)
class Chapter:
    """A named stretch of the file, in frames: one per segment."""

    start: int
    end: int
    title: str


@dataclass(frozen=True)
class Tags:
    """Descriptive tags written into the file."""

    title: str = ""
    artist: str = "runcoach"
    album: str = ""
    track: str = ""
    comment: str = ""

    def items(self) -> list[tuple[str, str]]:
        """Non-empty tags as (name, value) pairs."""
        values = (self.title, self.artist, self.album, self.track, self.comment)
        return [(k, v) for k, v in zip(TAG_NAMES, values, strict=True) if v]


def frame_ms(frame: int, rate: int) -> int:
    """A frame position in whole milliseconds (rounded half up)."""
    return (frame * 1000 + rate // 2) // rate


def chapter_clock(ms: int) -> str:
    """``HH:MM:SS.mmm``: the clock Vorbis chapter comments use."""
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def vorbis_chapters(chapters: Sequence[Chapter], rate: int) -> dict[str, str]:
    """``CHAPTERnn`` / ``CHAPTERnnNAME`` comments (the Xiph chapter extension)."""
    width = 2 if len(chapters) < 100 else 3
    out = {}
    for i, ch in enumerate(chapters, 1):
        out[f"CHAPTER{i:0{width}d}"] = chapter_clock(frame_ms(ch.start, rate))
        out[f"CHAPTER{i:0{width}d}NAME"] = ch.title
    return out


def write_vorbis_tags(
    path: Path, kind: str, tags: Tags, chapters: Sequence[Chapter] = (), rate: int = 1
) -> None:
    """Write ``tags`` (replacing any of the same names already there: a copy of another file
    gets its own) and ``chapters`` as Vorbis comments into the FLAC or OGG (``kind``) at
    ``path``."""
    from mutagen.flac import FLAC
    from mutagen.oggvorbis import OggVorbis

    audio = FLAC(str(path)) if kind == "flac" else OggVorbis(str(path))
    if audio.tags is None:
        audio.add_tags()
    for name in TAG_NAMES:
        if name.upper() in audio.tags:
            del audio.tags[name.upper()]
    for key, value in tags.items():
        audio.tags[key.upper()] = [value]
    for key, value in vorbis_chapters(chapters, rate).items():
        audio.tags[key] = [value]
    if kind == "flac":
        audio.save(padding=lambda info: 8192)
    else:
        audio.save()
