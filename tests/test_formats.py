"""Every output format decoded back: lengths to the frame, PCM, chapters and tags."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile

from conftest import read_wav
from runcoach.errors import OptionError, OutputError
from runcoach.mix.levels import MixOptions
from runcoach.mix.blocks import blocks
from runcoach.plans import parse_plan
from runcoach.rendering import render, render_session
from runcoach.sinks.codecs import write_audio
from runcoach.sinks.tags import Chapter, Tags
from runcoach.timeline import resolve

PLAN = parse_plan("""
name: Format check
spm: 170
segments:
  - {name: Warm-up walk, duration: 12s, spm: 115, breath: off}
  - {name: Run fast, duration: 15s}
  - {name: Walk it off, duration: 13.5s, spm: 110}
""")
TITLES = ["Warm-up walk", "Run fast", "Walk it off"]
RATE = 44100
TOTAL = round(40.5 * RATE)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("formats")
    paths = {}
    for fmt in ("wav", "flac", "ogg", "mp3", "m4a"):
        paths[fmt] = render(PLAN, folder / f"check.{fmt}", rate=RATE).path
    return paths


def riff_chunks(path: Path) -> dict[bytes, bytes]:
    """An independent RIFF reader: chunk id -> payload (LIST chunks keyed by their type)."""
    data = path.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
    chunks = {}
    pos = 12
    while pos < len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        payload = data[pos + 8:pos + 8 + size]
        chunks[cid + payload[:4] if cid == b"LIST" else cid] = payload
        pos += 8 + size + (size & 1)
    assert pos == len(data)
    return chunks


def test_wav_keeps_the_canonical_header_and_adds_cue_labels(rendered):
    path = rendered["wav"]
    raw = path.read_bytes()
    assert raw[36:40] == b"data"  # PCM right after the 44-byte header: simple readers work
    x, rate = read_wav(path)
    assert len(x) == TOTAL and rate == RATE
    chunks = riff_chunks(path)
    cue = chunks[b"cue "]
    count = struct.unpack("<I", cue[:4])[0]
    starts = [struct.unpack("<II4sIII", cue[4 + 24 * i: 28 + 24 * i])[1] for i in range(count)]
    session = resolve(PLAN, rate=RATE)
    assert starts == [seg.start_frame for seg in session.segments()]
    adtl = chunks[b"LISTadtl"]
    labels = []
    pos = 4
    while pos < len(adtl):
        cid, size = adtl[pos:pos + 4], struct.unpack("<I", adtl[pos + 4:pos + 8])[0]
        if cid == b"labl":
            labels.append(adtl[pos + 12:pos + 8 + size].rstrip(b"\0").decode())
        pos += 8 + size + (size & 1)
    assert labels == TITLES
    info = chunks[b"LISTINFO"]
    assert b"Format check \xc2\xb7 170 spm" in info and b"runcoach" in info


def test_flac_pcm_equals_wav_pcm(rendered):
    wav, _ = soundfile.read(rendered["wav"], dtype="int16")
    flac, rate = soundfile.read(rendered["flac"], dtype="int16")
    assert rate == RATE and len(flac) == TOTAL
    assert np.array_equal(wav, flac)


@pytest.mark.parametrize("fmt", ["ogg", "mp3"])
def test_lossy_files_decode_to_the_exact_length_and_stay_in_time(rendered, fmt):
    wav, _ = soundfile.read(rendered["wav"], dtype="float32")
    lossy, rate = soundfile.read(rendered[fmt], dtype="float32")
    assert rate == RATE
    assert len(lossy) == TOTAL  # MP3: the LAME Info frame trims encoder delay and padding
    # Gapless: the decoded audio lines up with the WAV at lag 0 (not shifted by the encoder).
    a, b = wav[: 5 * RATE], lossy[: 5 * RATE]
    lags = {lag: float(np.dot(a[max(0, -lag): len(a) - max(0, lag)],
                              b[max(0, lag): len(b) - max(0, -lag)]))
            for lag in range(-3, 4)}
    assert max(lags, key=lags.__getitem__) == 0
    assert np.corrcoef(a, b)[0, 1] > 0.95


def test_m4a_decodes_to_the_session_length(rendered):
    import av

    with av.open(str(rendered["m4a"])) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "aac"
        frames = sum(f.samples for f in container.decode(stream))
        chapters = container.chapters()
        assert float(container.duration) / 1e6 == pytest.approx(TOTAL / RATE, abs=0.03)
    # AAC pads the end to a whole 1024-frame packet; FFmpeg does not trim that tail.
    assert TOTAL <= frames < TOTAL + 1024
    assert [c["metadata"]["title"] for c in chapters] == TITLES


def test_mp3_tags_and_chapters_with_mutagen(rendered):
    from mutagen.mp3 import MP3

    audio = MP3(rendered["mp3"])
    assert audio.info.length == pytest.approx(TOTAL / RATE, abs=1e-3)
    tags = audio.tags
    assert str(tags["TIT2"]) == "Format check · 170 spm"
    assert str(tags["TPE1"]) == "runcoach"
    chaps = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    assert [str(c.sub_frames["TIT2"]) for c in chaps] == TITLES
    session = resolve(PLAN, rate=RATE)
    assert [c.start_time for c in chaps] == [round(s.start_seconds * 1000)
                                             for s in session.segments()]
    (toc,) = tags.getall("CTOC")
    assert toc.child_element_ids == [c.element_id for c in chaps]


@pytest.mark.parametrize("fmt", ["flac", "ogg"])
def test_vorbis_chapters_and_tags_with_mutagen(rendered, fmt):
    import mutagen

    audio = mutagen.File(rendered[fmt])
    assert audio["TITLE"] == ["Format check · 170 spm"]
    assert audio["CHAPTER01"] == ["00:00:00.000"]
    assert audio["CHAPTER02"] == ["00:00:12.000"]
    assert audio["CHAPTER03"] == ["00:00:27.000"]
    assert [audio[f"CHAPTER0{i}NAME"][0] for i in (1, 2, 3)] == TITLES


@pytest.mark.skipif(shutil.which("ffprobe") is None,
                    reason="ffprobe not installed (apt-get install ffmpeg)")
@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3", "m4a"])
def test_ffprobe_reads_chapters_and_title(rendered, fmt):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-show_format", "-of",
                          "json", str(rendered[fmt])], capture_output=True, text=True,
                         check=True)
    info = json.loads(out.stdout)
    titles = [c["tags"]["title"] for c in info["chapters"]]
    assert titles == TITLES
    starts = [float(c["start_time"]) for c in info["chapters"]]
    assert starts == pytest.approx([0.0, 12.0, 27.0], abs=0.002)
    tags = {k.lower(): v for k, v in info["format"].get("tags", {}).items()}
    if fmt == "ogg":  # Ogg keeps its comments on the stream
        probe = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json",
                                str(rendered[fmt])], capture_output=True, text=True, check=True)
        tags = {k.lower(): v for k, v in json.loads(probe.stdout)["streams"][0]["tags"].items()}
    assert tags["title"] == "Format check · 170 spm"


def test_format_option_overrides_the_ending_and_bitrate_changes_size(tmp_path):
    session = resolve(PLAN, rate=RATE)
    small = render_session(session, tmp_path / "a.audio", fmt="mp3", bitrate=64)
    big = render_session(session, tmp_path / "b.audio", fmt="mp3", bitrate=192)
    assert small.bytes < big.bytes * 0.5
    assert soundfile.info(str(small.path)).format == "MP3"


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"fmt": "wav", "bitrate": 128}, "--bitrate applies"),
    ({"fmt": "mp3", "bitrate": 100}, "one of"),
    ({"fmt": "ogg", "quality": 11}, "0 to 10"),
    ({"fmt": "flac", "quality": 3}, "--quality applies"),
    ({"fmt": "aiff"}, "--format"),
])
def test_impossible_encodings_are_refused(tmp_path, kwargs, fragment):
    session = resolve(PLAN, rate=RATE)
    with pytest.raises(OptionError, match=fragment):
        render_session(session, tmp_path / "x.out", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_mp3_refuses_rates_it_cannot_hold(tmp_path):
    with pytest.raises(OptionError, match="MP3 cannot hold 96000"):
        render(PLAN, tmp_path / "x.mp3", rate=96000)


@pytest.mark.parametrize("fmt", ["flac", "ogg", "mp3", "m4a"])
def test_interrupted_encode_leaves_nothing(tmp_path, fmt):
    dest = tmp_path / f"x.{fmt}"
    dest.write_bytes(b"old")
    session = resolve(PLAN, rate=RATE)

    def stopping():
        for i, block in enumerate(blocks(session, MixOptions(), block_frames=4096)):
            if i == 50:
                raise KeyboardInterrupt
            yield block

    with pytest.raises(KeyboardInterrupt):
        write_audio(dest, stopping(), fmt=fmt, rate=RATE, channels=1,
                    total_frames=session.total_frames)
    assert dest.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == [f"x.{fmt}"]


def test_short_stream_is_an_error_not_a_truncated_file(tmp_path):
    def short():
        yield np.zeros((1000, 1), dtype=np.float32)

    with pytest.raises(ValueError, match="announced"):
        write_audio(tmp_path / "x.flac", short(), fmt="flac", rate=8000, channels=1,
                    total_frames=5000)
    assert list(tmp_path.iterdir()) == []


def test_stereo_mp3_and_many_chapters(tmp_path):
    chapters = [Chapter(i * 800, (i + 1) * 800, f"Part {i}") for i in range(150)]
    data = np.zeros((120_000, 2), dtype=np.float32)
    write_audio(tmp_path / "x.mp3", iter([data]), fmt="mp3", rate=8000, channels=2,
                total_frames=120_000, tags=Tags(title="T", album="A", track="3"),
                chapters=chapters, bitrate=64)
    from mutagen.mp3 import MP3

    audio = MP3(tmp_path / "x.mp3")
    assert len(audio.tags.getall("CHAP")) == 150
    assert str(audio.tags["TRCK"]) == "3" and str(audio.tags["TALB"]) == "A"
    decoded, _ = soundfile.read(tmp_path / "x.mp3")
    assert decoded.shape == (120_000, 2)


def test_unwritable_destination(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        render(PLAN, tmp_path / "nope" / "x.mp3")


def test_cli_renders_each_format(runcoach_exe, tmp_path):
    for fmt in ("flac", "mp3"):
        out = subprocess.run([runcoach_exe, "render", "-p", "intervals", "-r", "22050", "-o",
                              f"i.{fmt}"], cwd=tmp_path, capture_output=True, text=True,
                             timeout=300)
        assert out.returncode == 0, out.stderr
        info = soundfile.info(str(tmp_path / f"i.{fmt}"))
        assert info.frames == 27 * 60 * 22050
    out = subprocess.run([runcoach_exe, "render", "-p", "intervals", "-o", "i.xyz"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "--format" in out.stderr
    out = subprocess.run([runcoach_exe, "render", "-p", "intervals", "-o", "i.wav",
                          "--bitrate", "128"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2 and "--bitrate applies to mp3 and m4a" in out.stderr
