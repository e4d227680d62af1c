"""An export encodes each distinct session once: repeated sessions are copies of the same
encoded audio with their own tags, chapters and track numbers, written atomically."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile

import runcoach.export.workers as workers
from runcoach.export import MANIFEST, Settings, export, jobs_for, streams_of
from runcoach.plans.catalogue import load_any
from runcoach.rendering import chapters_of, render_session
from runcoach.timeline import resolve

JOG = """\
name: Jog
description: Walk, then jog
spm: 170
segments:
  - {name: Walk, duration: 6s, spm: 115, breath: off}
  - {name: Jog, duration: 9s}
"""
#: The same timing as JOG, but its second segment has another name (said by the voice, and
#: a chapter title): other audio with the voice, other chapters without.
JOG_RENAMED = JOG.replace("{name: Jog,", "{name: Run,").replace("name: Jog\n", "name: Jog 2\n")
WALK = """\
name: Walk
spm: 170
segments:
  - {name: Walk, duration: 8s, spm: 110, breath: off}
"""
PROGRAM = """\
name: Repeats
description: Sessions that come back
weeks:
  - sessions:
      - {plan: jog.yaml}
      - {plan: jog.yaml}
      - {plan: walk.yaml}
  - sessions:
      - {plan: jog.yaml}
      - {plan: jog.yaml, spm: "+2"}
      - name: Same jog, its own name
        description: Another description, the same audio
        spm: 170
        segments:
          - {name: Walk, duration: 6s, spm: 115, breath: off}
          - {name: Jog, duration: 9s}
      - {plan: jog-renamed.yaml}
"""
#: Sessions 1, 2, 4 and 6 sound the same; 3, 5 and 7 are each their own.
DISTINCT = 4
RATE = 8000


@pytest.fixture
def program(tmp_path: Path) -> Path:
    (tmp_path / "jog.yaml").write_text(JOG)
    (tmp_path / "jog-renamed.yaml").write_text(JOG_RENAMED)
    (tmp_path / "walk.yaml").write_text(WALK)
    path = tmp_path / "repeats.yaml"
    path.write_text(PROGRAM)
    return path


def _sessions(program: Path) -> list[tuple[int, int, object]]:
    return list(load_any(str(program)).sessions())  # type: ignore[union-attr]


def independent_groups(program: Path, folder: Path) -> list[list[int]]:
    """Group the program's sessions by what they sound like: each rendered on its own to a
    WAV, grouped by its samples and its segment names (never by runcoach's key)."""
    groups: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    folder.mkdir()
    for number, (_, _, plan) in enumerate(_sessions(program), start=1):
        session = resolve(plan, rate=RATE)  # type: ignore[arg-type]
        out = render_session(session, folder / f"{number}.wav").path
        pcm, _ = soundfile.read(str(out), dtype="int16")
        names = tuple(seg.name for seg in session.segments())
        groups.setdefault((hashlib.sha256(pcm.tobytes()).hexdigest(), names), []).append(number)
    return list(groups.values())


def decoded(path: Path) -> np.ndarray:
    """The samples a decoder gives for ``path`` (int16), M4A through PyAV."""
    if path.suffix != ".m4a":
        return soundfile.read(str(path), dtype="int16", always_2d=True)[0]
    import av

    with av.open(str(path)) as container:
        parts = [frame.to_ndarray().reshape(-1) for frame in container.decode(audio=0)]
    return (np.concatenate(parts) * 32767).astype(np.int16)


def test_streams_group_what_sounds_the_same(program, tmp_path):
    target = load_any(str(program))
    settings = Settings(rate=RATE, fmt="mp3")
    jobs = jobs_for(target, tmp_path / "out", settings)
    streams = streams_of(jobs, settings)
    expected = independent_groups(program, tmp_path / "alone")
    assert len(expected) == DISTINCT
    numbers = {job.path: i for i, job in enumerate(jobs, start=1)}
    assert [[numbers[j.path] for j in s.jobs] for s in streams] == expected
    assert [[numbers[j.path] for j in s.jobs] for s in streams] == [[1, 2, 4, 6], [3], [5], [7]]
    # Other settings, other audio: nothing groups across them (every job of one export
    # shares its settings, but the key says what it covers).
    louder = Settings(rate=RATE, fmt="mp3", spm=160)
    assert len(streams_of(jobs_for(target, tmp_path / "o", louder), louder)) == DISTINCT


def test_export_encodes_each_distinct_session_once(runcoach_exe, program, tmp_path):
    out = subprocess.run(
        [runcoach_exe, "export", str(program), "out", "-r", str(RATE), "--no-voice", "-j", "2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    groups = independent_groups(program, tmp_path / "alone")
    assert f"7 files from {len(groups)} distinct sessions (each encoded once)" in out.stdout
    assert "7 written, 0 up to date" in out.stdout
    folder = tmp_path / "out"
    files = sorted(folder.glob("*.mp3"))
    assert len(files) == 7

    from mutagen.mp3 import MP3

    sessions = _sessions(program)
    for number, (path, (week, day, plan)) in enumerate(zip(files, sessions, strict=True), 1):
        # The same samples as a render of that session on its own.
        alone = tmp_path / f"alone-{number}.mp3"
        render_session(resolve(plan, rate=RATE), alone)  # type: ignore[arg-type]
        assert np.array_equal(decoded(path), decoded(alone)), path.name
        tags = MP3(path).tags
        assert str(tags["TRCK"]) == f"{number}/7"
        assert str(tags["TIT2"]).startswith(f"Week {week} · Session {day} · ")
        assert str(tags["TALB"]) == "Repeats"
        chapters = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
        segments = list(resolve(plan, rate=RATE).segments())  # type: ignore[arg-type]
        assert [str(c.sub_frames["TIT2"]) for c in chapters] == [s.name for s in segments]
        assert [c.start_time for c in chapters] == [s.start_frame // 8 for s in segments]  # ms
    assert sorted(json.loads((folder / MANIFEST).read_text())) == [p.name for p in files]
    assert not [p for p in folder.iterdir() if p.name.endswith(".part")]

    # A missing copy is written again from one encode; the rest is current.
    files[3].unlink()
    again = subprocess.run(
        [runcoach_exe, "export", str(program), "out", "-r", str(RATE), "--no-voice"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "1 written, 6 up to date" in again.stdout
    assert "1 file from 1 distinct session" in again.stdout


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "m4a"])
def test_copies_in_every_format_hold_the_same_audio_and_their_own_tags(program, tmp_path, fmt):
    import mutagen

    target = load_any(str(program))
    settings = Settings(rate=RATE, fmt=fmt)
    encodes: list[str] = []
    real = workers.render_session

    def counting(session, path, *args, **kwargs):  # type: ignore[no-untyped-def]
        encodes.append(Path(path).name)
        return real(session, path, *args, **kwargs)

    seen: list[int] = []
    files: list[tuple[Path, bool]] = []
    workers.render_session = counting  # type: ignore[assignment]
    try:
        report = export(
            target,
            tmp_path / "out",
            settings,
            workers=1,
            progress=seen.append,
            on_file=lambda p, skipped: files.append((p, skipped)),
        )
    finally:
        workers.render_session = real  # type: ignore[assignment]
    jobs = jobs_for(target, tmp_path / "out", settings)
    assert len(encodes) == report.encoded == DISTINCT
    assert sorted(p for p, _ in files) == report.written == sorted(j.path for j in jobs)
    assert sum(seen) == sum(j.session.total_frames for j in jobs)
    for number, job in enumerate(jobs, start=1):
        alone = render_session(job.session, tmp_path / f"alone-{number}.{fmt}", tags=job.tags).path
        if fmt == "wav":  # the copy is the very file a render with its tags writes
            assert job.path.read_bytes() == alone.read_bytes()
            continue
        assert np.array_equal(decoded(job.path), decoded(alone)), job.path.name
        tags = mutagen.File(job.path).tags
        if fmt == "m4a":
            assert tags["\xa9nam"] == [job.tags.title]
            assert tags["trkn"] == [(number, 7)]
            assert tags["\xa9cmt"] == [job.tags.comment]
        else:
            assert tags["TITLE"] == [job.tags.title]
            assert tags["TRACKNUMBER"] == [f"{number}/7"]
            assert tags["COMMENT"] == [job.tags.comment]
            names = [seg.name for seg in job.session.segments()]
            assert [tags[f"CHAPTER{i:02d}NAME"][0] for i in range(1, len(names) + 1)] == names
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".part")]


def test_parallel_export_with_copies_equals_sequential(program, tmp_path):
    target = load_any(str(program))
    settings = Settings(rate=RATE, fmt="flac")
    one = export(target, tmp_path / "one", settings, workers=1)
    reported: list[Path] = []
    two = export(
        target, tmp_path / "two", settings, workers=2, on_file=lambda p, s: reported.append(p)
    )
    assert one.encoded == two.encoded == DISTINCT
    assert sorted(reported) == two.written  # each file reported once, as it was finished
    for a, b in zip(one.written, two.written, strict=True):
        assert a.name == b.name
        assert np.array_equal(decoded(a), decoded(b))
    manifest = json.loads((tmp_path / "two" / MANIFEST).read_text())
    assert sorted(manifest) == [p.name for p in two.written]


def test_an_interrupted_copy_leaves_no_temporary_file(program, tmp_path, monkeypatch):
    import runcoach.export.copies as copies

    target = load_any(str(program))
    settings = Settings(rate=RATE, fmt="flac")
    calls: list[Path] = []

    def interrupted(path: Path, dest: Path, fmt: str, tags: object) -> None:
        calls.append(path)
        assert path.name.endswith(".part") and path.stat().st_size > 0  # the copy is there
        raise KeyboardInterrupt

    monkeypatch.setattr(copies, "_retag", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export(target, tmp_path / "out", settings, workers=1)
    folder = tmp_path / "out"
    assert len(calls) == 1
    assert [p.name for p in folder.iterdir() if p.name.endswith(".part")] == []
    # Only the first stream's encoded file is there, and the manifest says so.
    first = jobs_for(target, folder, settings)[0].path.name
    assert sorted(p.name for p in folder.glob("*.flac")) == [first]
    assert list(json.loads((folder / MANIFEST).read_text())) == [first]


def test_a_wav_copy_is_a_wav_written_with_its_tags_and_stays_sparse(program, tmp_path):
    from runcoach.export.copies import copy_with_tags
    from runcoach.sinks.tags import Tags

    session = resolve(load_any(str(tmp_path / "jog.yaml")), rate=RATE)  # type: ignore[arg-type]
    source = render_session(session, tmp_path / "a.wav", tags=Tags(title="A", track="1/2")).path
    copy = copy_with_tags(
        source,
        tmp_path / "b.wav",
        fmt="wav",
        tags=Tags(title="Bee", track="2/2"),
        chapters=chapters_of(session),
    )
    direct = render_session(session, tmp_path / "c.wav", tags=Tags(title="Bee", track="2/2")).path
    assert copy.read_bytes() == direct.read_bytes()
    assert soundfile.info(str(copy)).frames == session.total_frames
    # Only the data is copied: where the file system keeps holes, the copy keeps them too.
    assert copy.stat().st_blocks <= source.stat().st_blocks + 16
