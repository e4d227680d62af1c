"""MP3: LAME (3.100, from the ``lameenc`` wheel) encodes the 16-bit PCM; FFmpeg's mp3 muxer
(PyAV) writes the file around LAME's frames: the ID3v2.3 tag with a ``CTOC`` and one ``CHAP``
frame per chapter in time order, and the Info (CBR) or Xing (VBR) frame with the LAME tag that
carries the encoder delay and end padding, so that decoders play exactly the session's frames.

Why two libraries: the LAME in PyAV's wheel is slow (a 60-minute session took 16 s in
``stream.encode``, the same LAME 3.100 from ``lameenc`` 4.3 s), and ``lameenc`` writes bare
frames (no Info/LAME tag, no ID3): FFmpeg's muxer adds those, as it did for its own encoder.

How the muxer learns the gapless numbers (libavformat/mp3enc.c): the encoder delay from the
first packet's ``AV_PKT_DATA_SKIP_SAMPLES`` side data (frames to skip at the start), the end
padding from the last packet's (frames to drop at the end); both in FFmpeg's convention, which
counts the MP3 decoder's own 529-frame delay (528 + 1) in. Its stream parameters (rate, layout,
bit rate) come from a ``libmp3lame`` codec context that PyAV opens when it writes the header
but that is never fed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from runcoach.sinks.pyav import EncoderError, describe, ffmpeg_errors, import_av, opened
from runcoach.sinks.tags import Chapter, Tags

#: LAME's algorithm quality (``-q``, 0 best ... 9 fastest), by measurement on a 10-minute
#: 170 spm session (tests/test_encoders.py has the method): at V4, -q 0 to 4 give the same
#: bytes and -q 5 nearly (SNR of the decoded clicks against the source 33.80 dB for both,
#: 0.7 s of CPU either way); -q 7 saves 0.05 s and loses 2.1 dB. At CBR 128 -q 5 costs 1.3 s
#: against 2.6 s for -q 2, for the same SNR (25.7 dB).
LAME_QUALITY = 5
#: How LAME names itself in the Info frame. FFmpeg's mp3 muxer copies the stream's ``encoder``
#: tag into that 9-byte field ("Lavf" without one), and readers such as mutagen trust the
#: encoder delay and padding there only after a LAME name.
_LAME_VERSION = "LAME3.100"
#: FFmpeg's CTOC frame counts its entries in one byte (``$xx`` in the ID3 chapter addendum):
#: an MP3 with more segments gets no chapters rather than a table of contents that lies.
MP3_MAX_CHAPTERS = 255
#: LAME 3.100's encoder delay in frames (what its own Info tag says), and the MP3 decoder's
#: delay that FFmpeg adds to it in skip-samples side data.
LAME_DELAY = 576
_DECODER_DELAY = 528 + 1
_FF_QP2LAMBDA = 118  #: FFmpeg's unit for ``global_quality`` (libmp3lame divides by it)
_LAME_VBR_MTRH = 4  #: LAME's ``vbr_mtrh``: its default VBR algorithm (``lame -V``)
_MUXER_OPTIONS = {
    # ID3v2.3 as before, and the version FFmpeg's CHAP/CTOC writer follows: it writes their
    # sizes as plain 32-bit numbers, where v2.4 wants sync-safe ones.
    "id3v2_version": "3",
    "write_xing": "1",  # the Info/Xing frame with encoder delay and padding (gapless)
}


def write_mp3(
    path: Path,
    blocks: Iterator[np.ndarray],
    *,
    rate: int,
    channels: int,
    tags: Tags,
    chapters: Sequence[Chapter],
    bitrate: int | None,
    vbr: float | None,
) -> None:
    """Encode 16-bit ``blocks`` (``<i2``, ``(frames, channels)``) into an MP3 at ``path``: CBR
    at ``bitrate`` kbps when given, else LAME VBR quality ``vbr`` (``-V``: 0 best ... 9
    smallest). Raises :class:`EncoderError` when FFmpeg or LAME refuse the settings."""
    av = import_av()
    with ffmpeg_errors(av), opened(av, path, "mp3", _MUXER_OPTIONS) as container:
        describe(container, tags, chapters if len(chapters) <= MP3_MAX_CHAPTERS else (), rate)
        stream = container.add_stream(
            "libmp3lame", rate=rate, layout="mono" if channels == 1 else "stereo"
        )
        stream.metadata["encoder"] = _LAME_VERSION  # goes into the Info frame (see above)
        context = stream.codec_context
        context.time_base = Fraction(1, rate)
        if bitrate is not None:
            context.bit_rate = bitrate * 1000
        else:
            context.qscale = True
            context.global_quality = round((vbr or 0) * _FF_QP2LAMBDA)
        # The header now: FFmpeg refuses what it cannot hold before any audio is encoded.
        container.start_encoding()
        lame = _lame(rate, channels, bitrate, vbr)
        frames = _Frames(av, container, stream, rate)
        total = 0
        for block in blocks:
            total += len(block)
            frames.add(_encoded(lame, block))
        frames.finish(_encoded(lame, None), total)


def _lame(rate: int, channels: int, bitrate: int | None, vbr: float | None) -> Any:
    """A LAME encoder for ``rate`` Hz in and out (never resampled), CBR or VBR."""
    import lameenc

    lame = lameenc.Encoder()
    try:
        lame.set_in_sample_rate(rate)
        lame.set_out_sample_rate(rate)
        lame.set_channels(channels)
        if bitrate is not None:
            lame.set_bit_rate(bitrate)
        else:
            lame.set_vbr(_LAME_VBR_MTRH)
            lame.set_vbr_quality(vbr)
        lame.set_quality(LAME_QUALITY)
    except RuntimeError as err:
        raise EncoderError(f"LAME: {err} ({rate} Hz, {channels} channels)") from None
    lame.silence()  # LAME's own messages stay off stdout
    return lame


def _encoded(lame: Any, block: np.ndarray | None) -> bytes:
    """LAME's output for ``block`` (any number of frames, the last perhaps partial), or for
    the end of the stream (``None``: the flush)."""
    try:
        data = lame.encode(np.ascontiguousarray(block)) if block is not None else lame.flush()
    except RuntimeError as err:
        raise EncoderError(f"LAME: {err}") from None
    return bytes(data)


class _Frames:
    """LAME's byte stream cut into one packet per MP3 frame (FFmpeg's mpegaudio parser) and
    muxed; the last packet is held back until the end, when its padding is known."""

    def __init__(self, av: Any, container: Any, stream: Any, rate: int) -> None:
        self.av = av
        self.container = container
        self.stream = stream
        self.time_base = Fraction(1, rate)
        self.frame_size = 1152 if rate >= 32000 else 576  # MPEG-1 or MPEG-2/2.5 layer III
        self.parser = av.CodecContext.create("mp3", "r")
        self.count = 0
        self.held: Any = None

    def add(self, data: bytes) -> None:
        """Mux the whole frames in ``data`` (the parser keeps a partial one for later)."""
        if data:
            self._mux(self.parser.parse(data))

    def finish(self, data: bytes, total_frames: int) -> None:
        """Mux the rest and the held last frame, which carries the end padding: every frame
        LAME wrote, less its delay and the session's frames."""
        self.add(data)
        self._mux(self.parser.parse(None))
        if self.held is None:
            raise EncoderError("LAME wrote no audio")
        padding = (self.count + 1) * self.frame_size - total_frames - LAME_DELAY
        if padding < _DECODER_DELAY:  # LAME always pads past the decoder's delay
            raise EncoderError(f"LAME wrote {self.count + 1} frames for {total_frames} samples")
        self._stamp(self.held, padding - _DECODER_DELAY)
        self.container.mux_one(self.held)

    def _mux(self, packets: list[Any]) -> None:
        if not packets:
            return
        if self.held is not None:
            packets.insert(0, self.held)
        self.held = packets.pop()
        for packet in packets:
            self._stamp(packet)
        self.container.mux(packets)

    def _stamp(self, packet: Any, end: int | None = None) -> None:
        """Time the next packet; the first carries the encoder delay and the last (``end``
        given) the end padding, as FFmpeg's AV_PKT_DATA_SKIP_SAMPLES side data: u32le frames
        to skip at the start, u32le at the end (both counting the decoder's delay), two
        reason bytes. FFmpeg documents the layout; no library writes it for us."""
        packet.stream = self.stream
        packet.time_base = self.time_base
        packet.pts = packet.dts = self.count * self.frame_size
        packet.duration = self.frame_size
        start = LAME_DELAY + _DECODER_DELAY if self.count == 0 else 0
        self.count += 1
        if start or end is not None:
            kind = self.av.packet.packet_sidedata_type_from_literal("skip_samples")
            side = self.av.packet.PacketSideData(kind, 10)
            skip = start.to_bytes(4, "little") + (end or 0).to_bytes(4, "little")
            side.update(skip + b"\0\0")
            packet.set_sidedata(side)
