"""Audio file formats: WAV, FLAC, OGG Vorbis, MP3 and M4A, with tags and one chapter per segment.

Every writer streams blocks (memory stays flat) into a temporary file beside the destination,
which is renamed into place only when complete (:func:`runcoach.sinks.atomic.atomic_path`).

- WAV: our own writer: the canonical 44-byte header, the PCM, then ``LIST/INFO`` tags, a
  ``cue `` chunk with a cue point per chapter and ``LIST/adtl`` labels naming them.
- FLAC and OGG Vorbis: ``soundfile`` (libsndfile in its wheel); tags and ``CHAPTERnn`` /
  ``CHAPTERnnNAME`` Vorbis comments written with ``mutagen``.
- MP3: ``lameenc`` (LAME in its wheel), an ID3v2 tag with ``CHAP`` frames and a ``CTOC``
  written first, and a LAME "Info" frame carrying the encoder delay and padding so players
  play exactly the session's frames (lameenc cannot write that frame itself).
- M4A (AAC-LC): PyAV's bundled FFmpeg, with chapters and tags.

Chapter and tag layouts were checked with ffprobe and mutagen (see tests/test_formats.py).
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from runcoach.errors import OptionError
from runcoach.mix.blocks import to_pcm16
from runcoach.sinks.atomic import atomic_path
from runcoach.sinks.tags import Chapter, Tags, _vorbis_tags, frame_ms
from runcoach.sinks.wav import _write_wav, check_wav_size

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
        fmt = override.lower().lstrip(".")
        if fmt not in FORMATS:
            raise OptionError(f"--format must be one of {', '.join(FORMATS)}, got {override!r}")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in EXTENSIONS:
        raise OptionError(
            f"{path}: cannot tell the format from {suffix or 'a name without an ending'!r}; "
            f"name the file .wav, .flac, .ogg, .mp3 or .m4a, or give --format"
        )
    return EXTENSIONS[suffix]


def check_encoding(
    fmt: str,
    *,
    rate: int,
    channels: int,
    total_frames: int,
    bitrate: int | None,
    quality: float | None,
) -> None:
    """Refuse settings a format cannot encode, before any work. Raises ``OptionError``."""
    if fmt == "wav":
        check_wav_size(rate=rate, channels=channels, total_frames=total_frames)
    if bitrate is not None:
        if fmt not in DEFAULT_BITRATE:
            raise OptionError(f"--bitrate applies to mp3 and m4a, not {fmt}")
        if fmt == "mp3" and bitrate not in MP3_BITRATES:
            raise OptionError(
                f"--bitrate for MP3 must be one of "
                f"{', '.join(map(str, MP3_BITRATES))} kbps, got {bitrate}"
            )
        if fmt == "m4a" and not 32 <= bitrate <= 320:
            raise OptionError(f"--bitrate for M4A must be 32 to 320 kbps, got {bitrate}")
    if quality is not None:
        if fmt != "ogg":
            raise OptionError(f"--quality applies to ogg, not {fmt}")
        if not 0 <= quality <= 10:
            raise OptionError(f"--quality must be 0 to 10, got {quality}")
    if fmt == "mp3" and rate not in (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000):
        raise OptionError(f"MP3 cannot hold {rate} Hz; use 8000-48000 (e.g. 44100)")
    if fmt == "m4a" and rate not in (
        8000,
        11025,
        12000,
        16000,
        22050,
        24000,
        32000,
        44100,
        48000,
        64000,
        88200,
        96000,
    ):
        raise OptionError(f"M4A (AAC) cannot hold {rate} Hz; use e.g. 44100 or 48000")


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
) -> Path:
    """Stream ``blocks`` (float32, ``(frames, channels)``) into an audio file at ``path``.

    ``fmt`` is one of :data:`FORMATS`; ``bitrate`` in kbps (MP3, M4A); ``quality`` 0–10 (OGG).
    The file appears only when complete. Raises ``OptionError`` for settings the format cannot
    encode and ``OutputError`` when the file cannot be written.
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
    with atomic_path(path) as tmp:
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
    return Path(path)


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


def _pcm16_array(block: np.ndarray) -> np.ndarray:
    return np.frombuffer(to_pcm16(block), dtype="<i2").reshape(block.shape)


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
    with soundfile.SoundFile(
        str(path), "w", samplerate=rate, channels=channels, format=fmt, subtype=subtype, **kwargs
    ) as handle:
        for block in blocks:
            # int16 in: the FLAC holds exactly the WAV's samples.
            handle.write(_pcm16_array(block) if subtype == "PCM_16" else block)


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
    _vorbis_tags(path, "flac", tags, chapters, rate)


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
    _vorbis_tags(path, "ogg", tags, chapters, rate)


# --- MP3 -------------------------------------------------------------------------------------

LAME_DELAY = 576  #: LAME 3.100's encoder delay in frames (decoders add their own 529)
_MP3_KBPS = {
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mp3_header(header: bytes) -> tuple[int, int, int, bool] | None:
    """(frame bytes, samples per frame, version bits, mono) of an MPEG layer III header."""
    if len(header) < 4 or header[0] != 0xFF or (header[1] & 0xE0) != 0xE0:
        return None
    version = (header[1] >> 3) & 3
    if version == 1 or ((header[1] >> 1) & 3) != 1:
        return None
    rate_i, kbps_i, pad = (header[2] >> 2) & 3, header[2] >> 4, (header[2] >> 1) & 1
    if kbps_i in (0, 15) or rate_i == 3:
        return None
    kbps = _MP3_KBPS[1 if version == 3 else 2][kbps_i]
    rate = _MP3_RATES[version][rate_i]
    samples = 1152 if version == 3 else 576
    return (samples // 8) * kbps * 1000 // rate + pad, samples, version, header[3] >> 6 == 3


class _Mp3Frames:
    """Counts the MPEG frames of the encoder's output (chunks may split frames)."""

    def __init__(self) -> None:
        self.frames = 0
        self.first: bytes | None = None
        self._skip = 0
        self._carry = b""

    def feed(self, data: bytes) -> None:
        if self._skip >= len(data):
            self._skip -= len(data)
            return
        data = self._carry + data[self._skip :]
        self._skip = 0
        pos = 0
        while pos + 4 <= len(data):
            parsed = _mp3_header(data[pos : pos + 4])
            if parsed is None:
                raise RuntimeError(f"lost MP3 frame sync after frame {self.frames}")
            if self.first is None:
                self.first = data[pos : pos + 4]
            self.frames += 1
            pos += parsed[0]
        if pos > len(data):
            self._skip, self._carry = pos - len(data), b""
        else:
            self._carry = data[pos:]


def _crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def _info_header(first: bytes) -> bytes:
    header = bytearray(first)
    header[1] |= 0x01  # no CRC
    header[2] &= 0xFC  # no padding, no private bit
    return bytes(header)


def lame_info_frame(
    first: bytes, frames: int, stream_bytes: int, delay: int, padding: int, kbps: int
) -> bytes:
    """A CBR "Info" frame with the LAME extension: frame and byte counts, a TOC, and the
    encoder delay and padding, so decoders trim to the exact length (gapless)."""
    header = _info_header(first)
    parsed = _mp3_header(header)
    assert parsed is not None
    size, _, version, mono = parsed
    side = (17 if mono else 32) if version == 3 else (9 if mono else 17)
    at = 4 + side
    if at + 156 > size:
        raise OptionError("the MP3 bit rate is too low for this sample rate; raise --bitrate")
    frame = bytearray(size)
    frame[0:4] = header
    frame[at : at + 4] = b"Info"
    struct.pack_into(">III", frame, at + 4, 0x0F, frames, stream_bytes)
    frame[at + 16 : at + 116] = bytes(min(255, i * 256 // 100) for i in range(100))
    struct.pack_into(">I", frame, at + 116, 100)
    lame = at + 120
    frame[lame : lame + 9] = b"LAME3.100"
    frame[lame + 9] = 0x01  # CBR
    frame[lame + 20] = min(kbps, 255)
    frame[lame + 21 : lame + 24] = ((delay << 12) | padding).to_bytes(3, "big")
    struct.pack_into(">I", frame, lame + 28, stream_bytes)
    struct.pack_into(">H", frame, lame + 34, _crc16(bytes(frame[: lame + 34])))
    return bytes(frame)


def id3_tag(tags: Tags, chapters: Sequence[Chapter], rate: int) -> bytes:
    """An ID3v2.3 tag: title, artist, album, track, and CHAP frames in time order + CTOC."""
    from mutagen.id3 import CHAP, COMM, CTOC, ID3, TALB, TIT2, TPE1, TRCK, TSSE, CTOCFlags
    from mutagen.id3._tags import save_frame

    class _OrderedID3(ID3):  # type: ignore[misc]
        # mutagen orders frames by size; players number chapters in file order.
        def _write(self, config: Any) -> bytes:
            return b"".join(save_frame(frame, config=config) for frame in self.values())

    tag = _OrderedID3()
    frames = {"title": TIT2, "artist": TPE1, "album": TALB, "tracknumber": TRCK}
    for key, value in tags.items():
        if key == "comment":
            tag.add(COMM(encoding=3, lang="eng", desc="", text=[value]))
        else:
            tag.add(frames[key](encoding=3, text=[value]))
    tag.add(TSSE(encoding=3, text=["runcoach (LAME 3.100)"]))
    ids = []
    for i, ch in enumerate(chapters):
        ids.append(f"chp{i}")
        tag.add(
            CHAP(
                element_id=f"chp{i}",
                start_time=frame_ms(ch.start, rate),
                end_time=frame_ms(ch.end, rate),
                start_offset=0xFFFFFFFF,
                end_offset=0xFFFFFFFF,
                sub_frames=[TIT2(encoding=3, text=[ch.title])],
            )
        )
    if ids:
        tag.add(
            CTOC(
                element_id="toc",
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[TIT2(encoding=3, text=["Segments"])],
            )
        )
    buffer = io.BytesIO()
    tag.save(buffer, v1=0, v2_version=3, padding=lambda info: 1024)
    return buffer.getvalue()


def _write_mp3(
    path: Path,
    blocks: Iterator[np.ndarray],
    *,
    rate: int,
    channels: int,
    total_frames: int,
    tags: Tags,
    chapters: Sequence[Chapter],
    bitrate: int | None,
    **_: Any,
) -> None:
    import lameenc

    kbps = bitrate or DEFAULT_BITRATE["mp3"]
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(kbps)
    encoder.set_in_sample_rate(rate)
    encoder.set_out_sample_rate(rate)  # else LAME may resample silently
    encoder.set_channels(channels)
    encoder.set_quality(5)
    encoder.silence()
    counter = _Mp3Frames()
    with open(path, "wb") as handle:
        handle.write(id3_tag(tags, chapters, rate))
        info_at = handle.tell()
        reserved = 0
        audio_bytes = 0

        def out(data: bytes) -> None:
            nonlocal reserved, audio_bytes
            if not data:
                return
            data = bytes(data)
            first_chunk = counter.first is None
            counter.feed(data)
            if first_chunk and counter.first is not None:
                parsed = _mp3_header(_info_header(counter.first))
                assert parsed is not None
                reserved = parsed[0]
                handle.write(b"\0" * reserved)  # the Info frame, filled in at the end
            handle.write(data)
            audio_bytes += len(data)

        for block in blocks:
            out(encoder.encode(to_pcm16(block)))
        out(encoder.flush())
        if counter.first is None:
            raise RuntimeError("the MP3 encoder produced no audio")
        parsed = _mp3_header(counter.first)
        assert parsed is not None
        padding = counter.frames * parsed[1] - LAME_DELAY - total_frames
        if not 0 <= padding < 4096:
            raise RuntimeError(f"unexpected MP3 encoder padding {padding}")
        info = lame_info_frame(
            counter.first, counter.frames, reserved + audio_bytes, LAME_DELAY, padding, kbps
        )
        handle.seek(info_at)
        handle.write(info)


# --- M4A -------------------------------------------------------------------------------------


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
    try:
        import av
    except ImportError:  # pragma: no cover - av is a dependency; guard a broken install
        raise OptionError("M4A needs PyAV: pip install av") from None
    layout = "mono" if channels == 1 else "stereo"
    with av.open(str(path), "w", format="ipod") as container:
        names = {
            "title": "title",
            "artist": "artist",
            "album": "album",
            "tracknumber": "track",
            "comment": "comment",
        }
        for key, value in tags.items():
            container.metadata[names[key]] = value
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
        stream = container.add_stream("aac", rate=rate, layout=layout)
        stream.bit_rate = (bitrate or DEFAULT_BITRATE["m4a"]) * 1000
        pts = 0
        for block in blocks:
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(block).reshape(1, -1), format="flt", layout=layout
            )
            frame.sample_rate = rate
            frame.pts = pts
            frame.time_base = Fraction(1, rate)
            pts += len(block)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


_WRITERS: dict[str, Callable[..., None]] = {
    "wav": _write_wav,
    "flac": _write_flac,
    "ogg": _write_ogg,
    "mp3": _write_mp3,
    "m4a": _write_m4a,
}
