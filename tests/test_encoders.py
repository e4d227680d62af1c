"""The encoders fed from the sparse 16-bit mixer: FLAC holds exactly the mix's 16-bit samples,
with and without the voice; MP3 from LAME (lameenc) muxed by FFmpeg keeps the exact length,
lines up at lag 0 and carries a LAME Info tag whose numbers add up; OGG keeps the length."""

from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import soundfile

from runcoach.mix.blocks import blocks, pcm16_blocks, pcm16_pieces
from runcoach.mix.layers import Layers, layered_blocks
from runcoach.mix.levels import MixOptions
from runcoach.mix.pcm import pcm16_array
from runcoach.plans import parse_plan
from runcoach.rendering import render_session
from runcoach.sinks import mp3 as mp3_sink
from runcoach.sounds.voice import Voice, speech_available
from runcoach.timeline import resolve

PLAN = parse_plan("""
name: Encoder check
spm: 170
segments:
  - {name: Walk, duration: 20s, spm: 115, breath: off}
  - {name: Run, duration: 25s}
  - {name: Easy, duration: 15.5s, spm: 160}
""")
RATE = 22050
CEILING = 10 ** (-1 / 20)  # the mix never passes -1 dBFS (DOMAIN.md)
needs_voice = pytest.mark.skipif(not speech_available(), reason="no speech synthesizer here")


def reference_pcm16(session, options=None) -> np.ndarray:
    """The dense float mix converted by the one converter: what every 16-bit path must give."""
    return pcm16_array(np.concatenate(list(blocks(session, options or MixOptions()))))


@pytest.mark.parametrize("stereo", [False, True])
@pytest.mark.parametrize("block_frames", [1000, 65536])
def test_pcm16_blocks_equal_the_converted_float_blocks(stereo, block_frames):
    session = resolve(PLAN, rate=RATE)
    options = MixOptions(stereo=stereo)
    parts = list(pcm16_blocks(session, options, block_frames=block_frames))
    assert all(p.dtype == np.dtype("<i2") for p in parts)
    assert {len(p) for p in parts[:-1]} == {block_frames}
    assert np.array_equal(np.concatenate(parts), reference_pcm16(session, options))


def test_an_overlay_is_added_where_it_sounds_and_clipped():
    session = resolve(PLAN, rate=RATE)
    total = session.total_frames
    # Two clips: one across a block edge, one loud enough to clip on top of the clicks.
    ramp = np.linspace(0, 0.5, 5000, dtype=np.float32)
    loud = np.full(3000, 0.9, dtype=np.float32)
    overlay = [(60_000, ramp), (200_000, loud)]
    got = np.concatenate(list(pcm16_blocks(session, block_frames=65536, overlay=overlay)))
    dense = np.concatenate(list(blocks(session, MixOptions())))
    for first, clip in overlay:
        dense[first : first + len(clip)] += clip[:, None]
    np.clip(dense, -CEILING, CEILING, out=dense)
    assert len(got) == total
    assert np.array_equal(got, pcm16_array(dense))
    assert got[200_000:203_000].max() == round(CEILING * 32767)


@needs_voice
@pytest.mark.parametrize("fmt", ["flac", "wav"])
def test_flac_with_the_voice_holds_the_layered_mix(tmp_path, fmt):
    session = resolve(PLAN, rate=RATE)
    layers = Layers(voice=Voice(RATE))
    out = render_session(session, tmp_path / f"v.{fmt}", layers=layers).path
    decoded, rate = soundfile.read(out, dtype="int16", always_2d=True)
    expected = pcm16_array(np.concatenate(list(layered_blocks(session, MixOptions(), layers))))
    assert rate == RATE and np.array_equal(decoded, expected)
    assert np.any(expected != reference_pcm16(session))  # the voice is really there


@pytest.mark.parametrize("stereo", [False, True])
def test_flac_holds_exactly_the_sparse_mix(tmp_path, stereo):
    session = resolve(PLAN, rate=RATE)
    options = MixOptions(stereo=stereo)
    out = render_session(session, tmp_path / "x.flac", options).path
    decoded, _ = soundfile.read(out, dtype="int16", always_2d=True)
    assert np.array_equal(decoded, reference_pcm16(session, options))


def test_ogg_from_the_16_bit_path_keeps_length_and_shape(tmp_path):
    session = resolve(PLAN, rate=RATE)
    out = render_session(session, tmp_path / "x.ogg").path
    decoded, _ = soundfile.read(out, dtype="float32")
    source = reference_pcm16(session)[:, 0] / 32767
    assert len(decoded) == session.total_frames
    assert np.corrcoef(source, decoded)[0, 1] > 0.95


# --- MP3 ------------------------------------------------------------------------------------

MPEG1_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
MPEG2_KBPS = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def mp3_frames(raw: bytes) -> list[bytes]:
    """An independent frame walker (ISO 11172-3 / 13818-3 layer III headers), after ID3v2."""
    assert raw[:3] == b"ID3"
    pos = 10 + sum(b << (7 * (3 - i)) for i, b in enumerate(raw[6:10]))
    frames = []
    while pos + 4 <= len(raw):
        head = int.from_bytes(raw[pos : pos + 4], "big")
        assert head >> 21 == 0x7FF, f"no frame header at {pos}"
        version = (head >> 19) & 3
        kbps = (MPEG1_KBPS if version == 3 else MPEG2_KBPS)[(head >> 12) & 15]
        rate = RATES[version][(head >> 10) & 3]
        size = (144 if version == 3 else 72) * kbps * 1000 // rate + ((head >> 9) & 1)
        frames.append(raw[pos : pos + size])
        pos += size
    assert pos == len(raw)
    return frames


def lame_tag(frame: bytes) -> dict[str, object]:
    """The Xing/Info frame's numbers and LAME tag (the LAME tag spec, gabriel.mp3-tech.org)."""
    at = max(frame.find(b"Xing"), frame.find(b"Info"))
    assert at > 0
    flags, count, size = struct.unpack(">III", frame[at + 4 : at + 16])
    assert flags & 7 == 7  # frame count, byte count and TOC present: the LAME tag follows
    lame = frame[at + 120 :]
    delay_padding = int.from_bytes(lame[21:24], "big")
    return {
        "id": frame[at : at + 4],
        "frames": count,
        "bytes": size,
        "encoder": lame[:9],
        "delay": delay_padding >> 12,
        "padding": delay_padding & 0xFFF,
    }


def lag_of_best_match(a: np.ndarray, b: np.ndarray, reach: int = 3) -> int:
    scores = {
        lag: float(
            np.dot(a[max(0, -lag) : len(a) - max(0, lag)], b[max(0, lag) : len(b) - max(0, -lag)])
        )
        for lag in range(-reach, reach + 1)
    }
    return max(scores, key=scores.__getitem__)


@pytest.mark.parametrize(("rate", "bitrate"), [(44100, None), (44100, 128), (22050, None)])
def test_mp3_info_tag_counts_every_frame_and_the_exact_length(tmp_path, rate, bitrate):
    import av
    from mutagen.mp3 import MP3

    session = resolve(PLAN, rate=rate)
    out = render_session(session, tmp_path / "x.mp3", bitrate=bitrate).path
    frames = mp3_frames(out.read_bytes())
    tag = lame_tag(frames[0])
    audio = frames[1:]  # one packet per frame: the muxer counted exactly these
    assert tag["frames"] == len(audio) and tag["bytes"] == sum(map(len, frames))
    assert tag["id"] == (b"Info" if bitrate else b"Xing") and tag["encoder"] == b"LAME3.100"
    size = 1152 if rate >= 32000 else 576
    assert tag["delay"] == mp3_sink.LAME_DELAY
    assert len(audio) * size - tag["delay"] - tag["padding"] == session.total_frames
    with av.open(str(out)) as container:
        decoded = np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])
    assert len(decoded) == session.total_frames
    assert round(MP3(out).info.length * rate) == session.total_frames
    source = reference_pcm16(session)[:, 0] / 32767
    assert lag_of_best_match(source[: 5 * rate], decoded[: 5 * rate]) == 0
    assert lag_of_best_match(source[-5 * rate :], decoded[-5 * rate :]) == 0


def snr_db(source: np.ndarray, decoded: np.ndarray) -> float:
    noise = decoded - source
    return float(10 * np.log10(np.sum(source**2) / np.sum(noise**2)))


def test_mp3_quality_figure_of_the_default_settings(tmp_path):
    # The figure LAME_QUALITY was chosen by (see sinks/mp3.py): the SNR of the decoded clicks
    # against the source, for the default V4 and for CBR 128.
    session = resolve(PLAN, rate=44100)
    source = reference_pcm16(session)[:, 0] / 32767
    for bitrate, floor in ((None, 30.0), (128, 22.0)):
        out = render_session(session, tmp_path / f"{bitrate}.mp3", bitrate=bitrate).path
        decoded, _ = soundfile.read(out, dtype="float64")
        assert snr_db(source, decoded) > floor


@needs_voice
def test_mp3_with_the_voice_keeps_the_length_and_carries_the_words(tmp_path):
    session = resolve(PLAN, rate=RATE)
    layers = Layers(voice=Voice(RATE))
    out = render_session(session, tmp_path / "v.mp3", layers=layers).path
    decoded, _ = soundfile.read(out, dtype="float64")
    spoken = pcm16_array(np.concatenate(list(layered_blocks(session, MixOptions(), layers))))
    source = spoken[:, 0] / 32767
    assert len(decoded) == session.total_frames
    assert snr_db(source, decoded) > 15.0
    assert lag_of_best_match(source[: 5 * RATE], decoded[: 5 * RATE]) == 0


def test_a_setting_lame_refuses_is_an_encoder_error(tmp_path):
    from runcoach.sinks.pyav import EncoderError

    with pytest.raises(EncoderError, match="LAME"):
        mp3_sink._lame(96000, 1, None, 4)


def test_sparse_pieces_with_no_overlay_are_unchanged():
    # The overlay parameter must not change the WAV fast path's pieces.
    session = resolve(PLAN, rate=RATE)
    plain = list(pcm16_pieces(session, block_frames=65536))
    laid = list(pcm16_pieces(session, block_frames=65536, overlay=()))
    assert [b for b, _ in plain] == [b for b, _ in laid]
    for (_, a), (_, b) in zip(plain, laid, strict=True):
        assert [f for f, _ in a] == [f for f, _ in b]
        assert all(np.array_equal(x, y) for (_, x), (_, y) in zip(a, b, strict=True))


def test_chapter_times_survive_the_new_muxing(tmp_path):
    from mutagen.mp3 import MP3

    session = resolve(PLAN, rate=44100)
    out = render_session(session, tmp_path / "c.mp3").path
    chaps = sorted(MP3(out).tags.getall("CHAP"), key=lambda c: c.start_time)
    starts = [round(Fraction(s.start_frame, 44100) * 1000) for s in session.segments()]
    assert [c.start_time for c in chaps] == starts
    assert [str(c.sub_frames["TIT2"]) for c in chaps] == ["Walk", "Run", "Easy"]


def test_render_writes_nothing_else(tmp_path):
    render_session(resolve(PLAN, rate=RATE), tmp_path / "x.mp3")
    assert [p.name for p in Path(tmp_path).iterdir()] == ["x.mp3"]
