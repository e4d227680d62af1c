"""The WAV sink: valid files, and failed or interrupted writes that leave nothing behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from runcoach.errors import OptionError, OutputError
from runcoach.plans import parse_plan
from runcoach.rendering import render
from runcoach.sinks.atomic import atomic_output
from runcoach.sinks.codecs import write_audio
from runcoach.timeline import resolve


def tone_blocks(frames: int, channels: int, size: int = 1000) -> Iterator[np.ndarray]:
    t = np.arange(frames) / 8000
    y = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    data = np.repeat(y[:, None], channels, axis=1)
    for i in range(0, frames, size):
        yield data[i : i + size]


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("frames", [1, 999, 8000])
def test_wav_round_trips_through_the_standard_library(tmp_path, channels, frames):
    path = tmp_path / "t.wav"
    write_audio(
        path,
        tone_blocks(frames, channels),
        fmt="wav",
        rate=8000,
        channels=channels,
        total_frames=frames,
    )
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getframerate(), w.getsampwidth()) == (channels, 8000, 2)
        assert w.getnframes() == frames
        data = np.frombuffer(w.readframes(frames), "<i2").reshape(-1, channels)
    expected = np.round(0.5 * np.sin(2 * np.pi * 440 * np.arange(frames) / 8000) * 32767)
    assert np.array_equal(data[:, 0], expected.astype(np.int16))
    # The PCM follows the canonical 44-byte header; tags and chapter labels come after it.
    raw = path.read_bytes()
    assert raw[36:40] == b"data" and raw[44 + frames * channels * 2 :][:4] == b"LIST"
    assert [p.name for p in tmp_path.iterdir()] == ["t.wav"]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_interrupted_write_leaves_nothing_and_keeps_the_old_file(tmp_path):
    dest = tmp_path / "run.wav"
    dest.write_bytes(b"precious")

    def interrupted() -> Iterator[np.ndarray]:
        yield from tone_blocks(3000, 1)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_audio(dest, interrupted(), fmt="wav", rate=8000, channels=1, total_frames=8000)
    assert dest.read_bytes() == b"precious"
    assert leftovers(tmp_path) == ["run.wav"]


def test_failed_write_becomes_output_error_and_cleans_up(tmp_path):
    dest = tmp_path / "run.wav"

    def failing() -> Iterator[np.ndarray]:
        yield from tone_blocks(3000, 1)
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match="disk is full") as err:
        write_audio(dest, failing(), fmt="wav", rate=8000, channels=1, total_frames=8000)
    assert str(dest) in str(err.value)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda d: d / "missing" / "x.wav", "does not exist"),
        (lambda d: d, "is a folder"),
        (lambda d: (d / "file").write_text("x") and d / "file" / "x.wav", "not a folder"),
    ],
)
def test_bad_destinations(tmp_path, make, fragment):
    with pytest.raises(OutputError, match=fragment), atomic_output(make(tmp_path)):
        pass


def test_too_long_for_wav_is_refused_before_writing(tmp_path):
    plan = parse_plan("segments: [{name: A, duration: 23h}]")
    with pytest.raises(OptionError, match="WAV file holds at most"):
        render(plan, tmp_path / "long.wav", rate=96000, stereo=True)
    assert leftovers(tmp_path) == []


def test_file_mode_follows_umask(tmp_path):
    path = tmp_path / "m.wav"
    render(parse_plan("segments: [{name: A, duration: 1s}]"), path, rate=8000)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def _can_mount() -> str | None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return "needs root to mount a small tmpfs"
    return None


@pytest.mark.skipif(_can_mount() is not None, reason=str(_can_mount()))
def test_full_disk_on_a_real_small_file_system(tmp_path, runcoach_exe):
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        dest = disk / "run.wav"
        dest.write_bytes(b"old session")
        proc = subprocess.run(
            [runcoach_exe, "render", "--plan", "intervals", "-o", str(dest)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 2
        assert "disk is full" in proc.stderr and str(dest) in proc.stderr
        assert "Traceback" not in proc.stderr
        assert proc.stderr.count("\n") == 1
        assert dest.read_bytes() == b"old session"
        assert leftovers(disk) == ["run.wav"]
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_resolve_then_write_streams_blocks(tmp_path):
    # A long session written in blocks: the sink never holds more than one block.
    session = resolve(parse_plan("segments: [{name: A, duration: 20m}]"), rate=8000)
    seen = []
    from runcoach.rendering import render_session

    render_session(session, tmp_path / "long.wav", progress=seen.append)
    assert seen[-1] == session.total_frames
    from runcoach.rendering import WAV_BLOCK_FRAMES

    steps = np.diff([0, *seen])
    assert max(steps) <= WAV_BLOCK_FRAMES
