"""Every output format decoded back: lengths to the frame, PCM, chapters and tags."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile

from conftest import read_wav
from runcoach.errors import OptionError, OutputError
from runcoach.mix.blocks import blocks
from runcoach.mix.levels import MixOptions
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
        cid, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        payload = data[pos + 8 : pos + 8 + size]
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
    starts = [struct.unpack("<II4sIII", cue[4 + 24 * i : 28 + 24 * i])[1] for i in range(count)]
    session = resolve(PLAN, rate=RATE)
    assert starts == [seg.start_frame for seg in session.segments()]
    adtl = chunks[b"LISTadtl"]
    labels = []
    pos = 4
    while pos < len(adtl):
        cid, size = adtl[pos : pos + 4], struct.unpack("<I", adtl[pos + 4 : pos + 8])[0]
        if cid == b"labl":
            labels.append(adtl[pos + 12 : pos + 8 + size].rstrip(b"\0").decode())
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
    lags = {
        lag: float(
            np.dot(a[max(0, -lag) : len(a) - max(0, lag)], b[max(0, lag) : len(b) - max(0, -lag)])
        )
        for lag in range(-3, 4)
    }
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
    assert [c.start_time for c in chaps] == [
        round(s.start_seconds * 1000) for s in session.segments()
    ]
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


@pytest.mark.skipif(
    shutil.which("ffprobe") is None, reason="ffprobe not installed (apt-get install ffmpeg)"
)
@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3", "m4a"])
def test_ffprobe_reads_chapters_and_title(rendered, fmt):
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_chapters",
            "-show_format",
            "-of",
            "json",
            str(rendered[fmt]),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    info = json.loads(out.stdout)
    titles = [c["tags"]["title"] for c in info["chapters"]]
    assert titles == TITLES
    starts = [float(c["start_time"]) for c in info["chapters"]]
    assert starts == pytest.approx([0.0, 12.0, 27.0], abs=0.002)
    tags = {k.lower(): v for k, v in info["format"].get("tags", {}).items()}
    if fmt == "ogg":  # Ogg keeps its comments on the stream
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(rendered[fmt])],
            capture_output=True,
            text=True,
            check=True,
        )
        tags = {k.lower(): v for k, v in json.loads(probe.stdout)["streams"][0]["tags"].items()}
    assert tags["title"] == "Format check · 170 spm"


def test_format_option_overrides_the_ending_and_bitrate_changes_size(tmp_path):
    session = resolve(PLAN, rate=RATE)
    small = render_session(session, tmp_path / "a.audio", fmt="mp3", bitrate=64)
    big = render_session(session, tmp_path / "b.audio", fmt="mp3", bitrate=192)
    assert small.bytes < big.bytes * 0.5
    assert soundfile.info(str(small.path)).format == "MP3"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"fmt": "wav", "bitrate": 128}, "--bitrate applies"),
        ({"fmt": "mp3", "bitrate": 100}, "one of"),
        ({"fmt": "ogg", "quality": 11}, "0 to 10"),
        ({"fmt": "flac", "quality": 3}, "--quality applies"),
        ({"fmt": "aiff"}, "--format"),
    ],
)
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
        write_audio(
            dest, stopping(), fmt=fmt, rate=RATE, channels=1, total_frames=session.total_frames
        )
    assert dest.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == [f"x.{fmt}"]


def test_short_stream_is_an_error_not_a_truncated_file(tmp_path):
    def short():
        yield np.zeros((1000, 1), dtype=np.float32)

    with pytest.raises(ValueError, match="announced"):
        write_audio(
            tmp_path / "x.flac", short(), fmt="flac", rate=8000, channels=1, total_frames=5000
        )
    assert list(tmp_path.iterdir()) == []


def test_stereo_mp3_and_many_chapters(tmp_path):
    chapters = [Chapter(i * 800, (i + 1) * 800, f"Part {i}") for i in range(150)]
    data = np.zeros((120_000, 2), dtype=np.float32)
    write_audio(
        tmp_path / "x.mp3",
        iter([data]),
        fmt="mp3",
        rate=8000,
        channels=2,
        total_frames=120_000,
        tags=Tags(title="T", album="A", track="3"),
        chapters=chapters,
        bitrate=64,
    )
    from mutagen.mp3 import MP3

    audio = MP3(tmp_path / "x.mp3")
    assert len(audio.tags.getall("CHAP")) == 150
    assert str(audio.tags["TRCK"]) == "3" and str(audio.tags["TALB"]) == "A"
    decoded, _ = soundfile.read(tmp_path / "x.mp3")
    assert decoded.shape == (120_000, 2)


def test_unwritable_destination(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        render(PLAN, tmp_path / "nope" / "x.mp3")


@pytest.mark.slow  # two 27-minute renders: about 12 s, most of it LAME
def test_cli_renders_each_format(runcoach_exe, tmp_path):
    for fmt in ("flac", "mp3"):
        out = subprocess.run(
            [runcoach_exe, "render", "-p", "intervals", "-r", "22050", "-o", f"i.{fmt}"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, out.stderr
        assert out.stderr == ""  # nothing from FFmpeg or LAME
        info = soundfile.info(str(tmp_path / f"i.{fmt}"))
        assert info.frames == 27 * 60 * 22050
    out = subprocess.run(
        [runcoach_exe, "render", "-p", "intervals", "-o", "i.xyz"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "--format" in out.stderr
    out = subprocess.run(
        [runcoach_exe, "render", "-p", "intervals", "-o", "i.wav", "--bitrate", "128"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "--bitrate applies to mp3 and m4a" in out.stderr


# --- MP3 through PyAV: the frame count at every phase of LAME's frames, the tag's layout, VBR,
# and failures ---------------------------------------------------------------------------------

LAME_DELAY = 576  # LAME's encoder delay in frames (its Info tag says so; the decoders add 529)


def lag_of_best_match(a: np.ndarray, b: np.ndarray, reach: int = 3) -> int:
    """The shift of ``b`` against ``a`` (in frames, within ``reach``) that matches best."""
    scores = {
        lag: float(
            np.dot(a[max(0, -lag) : len(a) - max(0, lag)], b[max(0, lag) : len(b) - max(0, -lag)])
        )
        for lag in range(-reach, reach + 1)
    }
    return max(scores, key=scores.__getitem__)


def chirp(frames: int, rate: int, channels: int) -> np.ndarray:
    """A rising tone, 200 Hz to 2 kHz, at half scale: no two stretches of it look alike."""
    t = np.arange(frames) / rate
    sweep = 200 * t + (1800 / (2 * t[-1])) * t * t
    mono = (0.5 * np.sin(2 * np.pi * sweep)).astype(np.float32)
    return np.repeat(mono[:, None], channels, axis=1)


def frames_at_phase(rate: int, phase: int) -> int:
    """About a quarter second of frames, with ``(frames + LAME_DELAY) % frame_size == phase``."""
    size = 1152 if rate >= 32000 else 576
    base = rate // 4
    return base + (phase - base - LAME_DELAY) % size


@pytest.mark.parametrize(
    ("rate", "channels", "phase"),
    [
        (44100, 1, 0),
        (44100, 1, 1),
        (44100, 1, 577),
        (44100, 1, 600),
        (44100, 1, 623),
        (44100, 1, 624),
        (44100, 2, 1151),
        (48000, 2, 590),
        (22050, 1, 0),
        (22050, 2, 8),
        (22050, 1, 40),
        (22050, 1, 575),
        (8000, 1, 30),
    ],
)
def test_mp3_decodes_to_the_exact_length_at_every_frame_phase(tmp_path, rate, channels, phase):
    # Phases 577-623 (1-47 at 576 frames a frame) are where LAME flushes a frame of pure
    # padding after the last real one: FFmpeg's muxer alone would write too short a padding.
    frames = frames_at_phase(rate, phase)
    data = chirp(frames, rate, channels)
    path = tmp_path / "x.mp3"
    write_audio(path, iter([data]), fmt="mp3", rate=rate, channels=channels, total_frames=frames)

    decoded, decoded_rate = soundfile.read(path, dtype="float32", always_2d=True)  # libmpg123
    assert decoded_rate == rate and decoded.shape == (frames, channels)
    import av
    from mutagen.mp3 import MP3

    with av.open(str(path)) as container:  # FFmpeg's own decoder
        assert sum(f.samples for f in container.decode(audio=0)) == frames
    assert round(MP3(path).info.length * rate) == frames
    tail = min(frames, rate // 10)  # the end lines up too, not only the length
    assert lag_of_best_match(data[-tail:, 0], decoded[-tail:, 0]) == 0
    assert lag_of_best_match(data[:tail, 0], decoded[:tail, 0]) == 0


def id3_frames(raw: bytes) -> list[tuple[bytes, bytes]]:
    """An independent ID3v2.3 reader: (frame id, body) in file order."""
    assert raw[:3] == b"ID3" and raw[3] == 3  # version 2.3
    size = sum(b << (7 * (3 - i)) for i, b in enumerate(raw[6:10]))
    frames, pos = [], 10
    while pos + 10 <= 10 + size and raw[pos : pos + 4] != b"\0\0\0\0":
        length = struct.unpack(">I", raw[pos + 4 : pos + 8])[0]
        frames.append((raw[pos : pos + 4], raw[pos + 10 : pos + 10 + length]))
        pos += 10 + length
    return frames


def test_mp3_tag_is_id3v23_with_the_chapters_in_time_order_in_the_file(rendered):
    frames = id3_frames(rendered["mp3"].read_bytes())
    ids = [fid for fid, _ in frames]
    assert b"CTOC" in ids and ids.index(b"CTOC") < ids.index(b"CHAP")
    chapters = []
    for fid, body in frames:
        if fid == b"CHAP":
            element, rest = body.split(b"\0", 1)
            start_ms, end_ms = struct.unpack(">II", rest[:8])
            chapters.append((element.decode(), start_ms, end_ms, rest[16:]))
    session = resolve(PLAN, rate=RATE)
    assert [(c[1], c[2]) for c in chapters] == [
        (round(s.start_seconds * 1000), round((s.start_seconds + s.duration_seconds) * 1000))
        for s in session.segments()
    ]
    for (_, _, _, sub), title in zip(chapters, TITLES, strict=True):
        assert title.encode() in sub  # each chapter's TIT2 names its segment
    toc = dict(frames)[b"CTOC"]
    element, rest = toc.split(b"\0", 1)
    assert rest[1] == len(chapters)  # the entry count
    assert rest[2:].split(b"\0")[: len(chapters)] == [c[0].encode() for c in chapters]


def test_mp3_info_frame_is_lames_cbr_tag(rendered, tmp_path):
    from mutagen.mp3 import MP3, BitrateMode

    cbr = render_session(resolve(PLAN, rate=RATE), tmp_path / "cbr.mp3", bitrate=128).path
    info = MP3(cbr).info
    # "LAME3.100" in the tag: readers that trust only LAME's own tag apply delay and padding.
    assert info.encoder_info.startswith("LAME 3.100")
    assert info.bitrate_mode == BitrateMode.CBR and info.bitrate == 128_000
    assert info.sample_rate == RATE and info.channels == 1
    raw = cbr.read_bytes()
    assert b"Info" in raw[:4096] and b"Xing" not in raw[:4096]
    # Without --bitrate, MP3 is LAME V4 variable bit rate, with a Xing frame (smaller files).
    default = MP3(rendered["mp3"]).info
    assert default.bitrate_mode == BitrateMode.VBR and default.encoder_info.startswith("LAME")
    assert b"Xing" in rendered["mp3"].read_bytes()[:4096]


def test_mp3_vbr_is_one_setting_and_bitrate_still_gives_cbr(tmp_path, monkeypatch):
    from mutagen.mp3 import MP3, BitrateMode

    from runcoach.sinks import codecs

    monkeypatch.setattr(codecs, "MP3_DEFAULT_VBR", 4)  # LAME -V4 when no --bitrate is given
    vbr = render(PLAN, tmp_path / "vbr.mp3", rate=RATE).path
    cbr = render_session(resolve(PLAN, rate=RATE), tmp_path / "cbr.mp3", bitrate=128).path
    assert MP3(vbr).info.bitrate_mode == BitrateMode.VBR
    assert b"Xing" in vbr.read_bytes()[:4096]
    assert MP3(cbr).info.bitrate_mode == BitrateMode.CBR
    wav, _ = soundfile.read(render(PLAN, tmp_path / "x.wav", rate=RATE).path, dtype="float32")
    decoded, _ = soundfile.read(vbr, dtype="float32")
    assert len(decoded) == TOTAL and round(MP3(vbr).info.length * RATE) == TOTAL
    assert lag_of_best_match(wav[: 5 * RATE], decoded[: 5 * RATE]) == 0
    assert np.corrcoef(wav[: 5 * RATE], decoded[: 5 * RATE])[0, 1] > 0.95


def test_more_chapters_than_an_id3_table_of_contents_holds(tmp_path):
    # CTOC counts its entries in one byte: 300 chapters get none rather than a wrong table.
    chapters = [Chapter(i * 400, (i + 1) * 400, f"Part {i}") for i in range(300)]
    write_audio(
        tmp_path / "x.mp3",
        iter([np.zeros((120_000, 1), np.float32)]),
        fmt="mp3",
        rate=8000,
        channels=1,
        total_frames=120_000,
        tags=Tags(title="T"),
        chapters=chapters,
    )
    from mutagen.mp3 import MP3

    tags = MP3(tmp_path / "x.mp3").tags
    assert tags.getall("CHAP") == [] and tags.getall("CTOC") == []
    assert str(tags["TIT2"]) == "T"
    assert soundfile.info(str(tmp_path / "x.mp3")).frames == 120_000


def test_an_ffmpeg_error_is_one_output_error_naming_the_file(tmp_path, monkeypatch):
    from runcoach.sinks import codecs

    # Past the up-front check, LAME itself refuses the rate: FFmpeg's reason, no traceback.
    monkeypatch.setattr(codecs, "check_encoding", lambda *args, **kwargs: None)
    dest = tmp_path / "x.mp3"
    with pytest.raises(OutputError) as err:
        write_audio(
            dest,
            iter([np.zeros((960, 1), np.float32)]),
            fmt="mp3",
            rate=96000,
            channels=1,
            total_frames=960,
        )
    message = str(err.value)
    assert message.startswith(f"{dest}: cannot encode MP3: ") and "96000" in message
    assert "\n" not in message
    assert list(tmp_path.iterdir()) == []


def test_mp3_past_a_file_size_limit_leaves_the_old_file(runcoach_exe, tmp_path):
    import resource

    dest = tmp_path / "run.mp3"
    dest.write_bytes(b"old")

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    out = subprocess.run(
        [runcoach_exe, "render", "--duration", "1m", "-r", "8000", "--no-voice", "-o", str(dest)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limited,
        env=env,
    )
    assert out.returncode == 2, out.stderr
    assert out.stderr == (
        f"runcoach: error: {dest}: cannot write: the file is larger than "
        "allowed (file size limit); nothing was written\n"
    )
    assert dest.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["run.mp3"]


def _no_tmpfs() -> str | None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return "needs root to mount a small tmpfs"
    return None


@pytest.mark.skipif(_no_tmpfs() is not None, reason=str(_no_tmpfs()))
def test_mp3_on_a_full_disk_leaves_the_old_file(runcoach_exe, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        dest = disk / "run.mp3"
        dest.write_bytes(b"old")
        out = subprocess.run(
            [
                runcoach_exe,
                "render",
                "--duration",
                "1m",
                "-r",
                "22050",
                "--no-voice",
                "--bitrate",
                "128",
                "-o",
                str(dest),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 2, out.stderr
        assert out.stderr == (
            f"runcoach: error: {dest}: cannot write: the disk is full; nothing was written\n"
        )
        assert dest.read_bytes() == b"old"
        assert [p.name for p in disk.iterdir()] == ["run.mp3"]
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_cli_mp3_is_exact_and_quiet(runcoach_exe, tmp_path):
    out = subprocess.run(
        [
            runcoach_exe,
            "render",
            "--duration",
            "1m",
            "-r",
            "22050",
            "--no-voice",
            "--bitrate",
            "64",
            "-o",
            "q.mp3",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert soundfile.info(str(tmp_path / "q.mp3")).frames == 60 * 22050
