"""``runcoach export``: whole programs into a folder, sortable names, playlist, skip if current,
parallel workers, and interruption that leaves only complete files."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
import soundfile

from runcoach.export import MANIFEST, Settings, export, jobs_for
from runcoach.plans.catalogue import load_any

PROGRAM = """\
name: Tiny program
description: Two weeks of two short sessions
weeks:
  - sessions:
      - name: Walk and jog
        spm: 170
        segments:
          - {name: Walk, duration: 10s, spm: 115, breath: off}
          - {name: Jog, duration: 15s}
      - {plan: easy.yaml}
  - spm: "+2"
    sessions:
      - name: Longer jog
        spm: 170
        segments:
          - {name: Walk, duration: 10s, spm: 115, breath: off}
          - {name: Jog, duration: 25s}
      - {plan: easy.yaml, spm: "+1"}
"""
EASY = """\
name: Easy run
spm: 170
segments:
  - {name: Easy, duration: 20s, spm: "-5"}
"""


@pytest.fixture
def program(tmp_path: Path) -> Path:
    (tmp_path / "easy.yaml").write_text(EASY)
    path = tmp_path / "tiny.yaml"
    path.write_text(PROGRAM)
    return path


def run(exe: str, *args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def test_names_sort_in_play_order_and_carry_the_cadence(program, tmp_path):
    target = load_any(str(program))
    planned = jobs_for(target, tmp_path / "out", Settings(spm=168, fmt="mp3"))
    names = [j.path.name for j in planned]
    assert names == sorted(names)
    assert names == [
        "w01-s1-walk-and-jog-168spm.mp3",
        "w01-s2-easy-run-163spm.mp3",
        "w02-s1-longer-jog-170spm.mp3",
        "w02-s2-easy-run-166spm.mp3",
    ]
    assert [j.tags.track for j in planned] == ["1/4", "2/4", "3/4", "4/4"]
    assert planned[0].tags.album == "Tiny program"


def test_export_writes_every_session_a_playlist_and_skips_what_is_current(
    runcoach_exe, program, tmp_path
):
    out = run(
        runcoach_exe,
        "export",
        str(program),
        "out",
        "--spm",
        "168",
        "-r",
        "8000",
        "--format",
        "mp3",
        "--no-voice",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "4 written, 0 up to date" in out.stdout
    folder = tmp_path / "out"
    files = sorted(p.name for p in folder.glob("*.mp3"))
    assert len(files) == 4
    lengths = {name: soundfile.info(str(folder / name)).frames for name in files}
    assert lengths["w01-s1-walk-and-jog-168spm.mp3"] == 25 * 8000
    assert lengths["w02-s1-longer-jog-170spm.mp3"] == 35 * 8000
    playlist = (folder / "tiny-program.m3u").read_text(encoding="utf-8").splitlines()
    assert playlist[0] == "#EXTM3U"
    assert [line for line in playlist if not line.startswith("#")] == files
    assert "#EXTINF:25,Week 1 · Session 1 · Walk and jog · 168 spm" in playlist

    from mutagen.mp3 import MP3

    tags = MP3(folder / files[0]).tags
    assert str(tags["TALB"]) == "Tiny program" and str(tags["TRCK"]) == "1/4"
    assert len(tags.getall("CHAP")) == 2

    before = {name: (folder / name).stat().st_mtime_ns for name in files}
    again = run(
        runcoach_exe,
        "export",
        str(program),
        "out",
        "--spm",
        "168",
        "-r",
        "8000",
        "--format",
        "mp3",
        "--no-voice",
        cwd=tmp_path,
    )
    assert again.returncode == 0 and "0 written, 4 up to date" in again.stdout
    assert before == {name: (folder / name).stat().st_mtime_ns for name in files}

    changed = run(
        runcoach_exe,
        "export",
        str(program),
        "out",
        "--spm",
        "168",
        "-r",
        "8000",
        "--format",
        "mp3",
        "--no-voice",
        "--breath",
        "3:2",
        cwd=tmp_path,
    )
    assert "4 written, 0 up to date" in changed.stdout
    forced = run(
        runcoach_exe,
        "export",
        str(program),
        "out",
        "--spm",
        "168",
        "-r",
        "8000",
        "--format",
        "mp3",
        "--no-voice",
        "--breath",
        "3:2",
        "--force",
        cwd=tmp_path,
    )
    assert "4 written" in forced.stdout
    (folder / files[1]).unlink()
    healed = run(
        runcoach_exe,
        "export",
        str(program),
        "out",
        "--spm",
        "168",
        "-r",
        "8000",
        "--format",
        "mp3",
        "--no-voice",
        "--breath",
        "3:2",
        cwd=tmp_path,
    )
    assert "1 written, 3 up to date" in healed.stdout


def test_parallel_export_equals_sequential(program, tmp_path):
    target = load_any(str(program))
    settings = Settings(spm=170, rate=8000, fmt="wav")
    one = export(target, tmp_path / "one", settings, workers=1)
    two = export(target, tmp_path / "two", settings, workers=2)
    assert [p.name for p in one.written] == [p.name for p in two.written]
    for a, b in zip(one.written, two.written, strict=True):
        assert a.read_bytes() == b.read_bytes()
    seen: list[int] = []
    export(target, tmp_path / "three", settings, workers=2, progress=seen.append)
    assert sum(seen) == sum(j.session.total_frames for j in jobs_for(target, tmp_path, settings))


def test_export_a_single_plan(runcoach_exe, tmp_path):
    out = run(
        runcoach_exe, "export", "intervals", "one", "-r", "8000", "--format", "flac", cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == [
        MANIFEST,
        "run-walk-intervals-170spm.flac",
    ]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["nope", "out"], "unknown plan"),
        (["intervals", "out", "--format", "aiff"], "--format"),
        (["intervals", "out", "--format", "wav", "--bitrate", "96"], "--bitrate applies"),
        (["intervals", "out", "--jobs", "0"], "--jobs"),
        (["intervals", "file.txt"], "not a folder"),
    ],
)
def test_export_errors(runcoach_exe, tmp_path, args, fragment):
    (tmp_path / "file.txt").write_text("x")
    out = run(runcoach_exe, "export", *args, cwd=tmp_path)
    assert out.returncode == 2, out.stdout + out.stderr
    assert fragment in out.stderr and out.stderr.count("\n") == 1


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_export_leaves_only_complete_files(runcoach_exe, tmp_path, sig):
    proc = subprocess.Popen(
        [
            runcoach_exe,
            "export",
            "return-to-run",
            "out",
            "--format",
            "mp3",
            "-r",
            "22050",
            "--no-voice",
            "--jobs",
            "2",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    folder = tmp_path / "out"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        parts = list(folder.glob(".*.part")) if folder.exists() else []
        if any(p.stat().st_size > 200_000 for p in parts if p.exists()):
            break
        time.sleep(0.02)
    else:
        proc.kill()
        pytest.fail("the export never started writing")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    leftovers = [p.name for p in folder.iterdir() if p.name.endswith(".part")]
    assert leftovers == []
    for path in folder.glob("*.mp3"):  # whatever finished is complete
        assert soundfile.info(str(path)).frames > 0


def test_full_disk_during_an_export_stops_cleanly(runcoach_exe, tmp_path):
    import resource

    def limit() -> None:  # every worker inherits it: the first session that outgrows it fails
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000_000, 20_000_000))

    out = subprocess.run(
        [
            runcoach_exe,
            "export",
            "return-to-run",
            "out",
            "--format",
            "wav",
            "-r",
            "8000",
            "--no-voice",
            "--jobs",
            "2",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit,
    )
    assert out.returncode == 2, out.stderr
    assert "file size limit" in out.stderr and out.stderr.count("\n") == 1
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".part")]
