"""Hostile input, tried as a hostile user would: the installed ``runcoach`` in a subprocess, each
call with a time limit, fed FIFOs, devices, ``/dev/zero``, files that are too big, full disks,
names that retitle a terminal, numbers that are not numbers, programs that name themselves,
``kill -9`` in the middle of an export, two exports at once.

Every case checks runcoach's promise: exit 2 (bad input), 130 (interrupted) or 1 (device);
exactly one line on stderr, never a traceback or an "unexpected error"; no partial file left
and no file replaced that was not runcoach's to replace; nothing written outside the output
folder; bounded time (each call has a timeout well under 30 s).

Cases that need root (device nodes, tmpfs mounts) are skipped with the reason elsewhere.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import signal
import stat
import struct
import subprocess
import sys
import time
import wave
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import pytest

LIMIT = 30  # seconds: the hostile set's own limit for any command
SLOW = pytest.mark.slow  # more cases of a class already covered: run with the slow tests

# --- helpers ---------------------------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, tuple[str, int, bytes]]:
    """Everything under ``folder`` (links not followed): kind, size and, for small regular
    files, the bytes; so a test can tell that nothing appeared, vanished or changed."""
    seen: dict[str, tuple[str, int, bytes]] = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        kind = stat.filemode(info.st_mode)[0]
        small = stat.S_ISREG(info.st_mode) and info.st_size < 1_000_000
        data = path.read_bytes() if small else b""
        if stat.S_ISLNK(info.st_mode):
            data = os.readlink(path).encode()
        seen[str(path.relative_to(folder))] = (kind, info.st_size, data)
    return seen


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty home, config folder and plan folder for the command."""
    for name in ("home", "home/.config", "plans", "work"):
        (tmp_path / name).mkdir()
    return tmp_path


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE_", "RUNCOACH_"))}
    env.update(
        HOME=str(home / "home"),
        XDG_CONFIG_HOME=str(home / "home/.config"),
        RUNCOACH_PLANS_DIR=str(home / "plans"),
        PYTHONIOENCODING="utf-8",
    )
    env.update(extra)
    return env


def run(
    exe: str, home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = LIMIT
) -> subprocess.CompletedProcess[str]:
    """Run ``runcoach ARGS`` in ``home/work`` with a time limit."""
    return subprocess.run(
        [exe, *args],
        cwd=home / "work",
        env=env or environment(home),
        capture_output=True,
        encoding="utf-8",
        errors="replace",  # what a narrow terminal encoding made of it is checked as text
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def refused(proc: subprocess.CompletedProcess[str], *fragments: str, code: int = 2) -> str:
    """Assert a clean refusal: the exit code, one ``runcoach: error:`` line, no traceback.
    Returns the line."""
    err = proc.stderr
    assert proc.returncode == code, (proc.returncode, err)
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith("runcoach: error: "), err
    assert "Traceback" not in err and "unexpected error" not in err, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    return err.strip()


def succeeded(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "unexpected error" not in proc.stderr


def parts(folder: Path) -> list[str]:
    """runcoach's temporary files in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def needs_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root")


@contextlib.contextmanager
def small_disk(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``where`` (skips where mounting is not allowed)."""
    needs_root()
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(folder: Path) -> Path:
    """Fill the file system of ``folder`` to the last byte."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as handle:
        for size in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while handle.write(b"\0" * size):
                    pass
    return filler


PLAN = "name: Easy\nspm: 170\nsegments:\n  - {name: Run, duration: 20s}\n"


# --- hangs and blow-ups: only regular files are read, each with a size limit ------------------


def test_a_fifo_or_dev_zero_as_the_plan_is_refused_at_once(runcoach_exe, home):
    work = home / "work"
    os.mkfifo(work / "plan.yaml")
    (work / "zero.yaml").symlink_to("/dev/zero")
    for name in ("plan.yaml", "zero.yaml"):
        proc = run(runcoach_exe, home, "render", "--plan", name, "-r", "8000", "-o", "x.wav")
        refused(proc, name, "not a regular file")
        proc = run(runcoach_exe, home, "plans", "show", name)
        refused(proc, name, "not a regular file")
    assert sorted(p.name for p in work.iterdir()) == ["plan.yaml", "zero.yaml"]


def test_the_plans_folder_with_a_fifo_a_device_and_a_huge_file_still_lists(runcoach_exe, home):
    plans = home / "plans"
    os.mkfifo(plans / "fifo.yaml")
    (plans / "zero.yaml").symlink_to("/dev/zero")
    with open(plans / "huge.yaml", "wb") as handle:  # 300 MB, sparse: costs no disk
        handle.truncate(300_000_000)
    (plans / "loop.yaml").symlink_to("loop.yaml")
    (plans / "good.yaml").write_text(PLAN)
    before = snapshot(plans)
    proc = run(runcoach_exe, home, "plans", "list")
    succeeded(proc)
    text = " ".join(proc.stdout.split())
    assert "good plan 0:20 170" in text
    for name in ("fifo", "zero", "huge", "loop"):
        assert re.search(rf"{name} plan does not load", text), name
    assert "too large" in text and "not a regular file" in text
    assert snapshot(plans) == before
    validated = run(runcoach_exe, home, "plans", "validate", str(plans / "huge.yaml"))
    assert validated.returncode == 2 and "too large" in validated.stderr


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder"])
def test_an_export_manifest_that_is_not_a_file_is_refused(runcoach_exe, home, kind):
    out = home / "work" / "out"
    out.mkdir()
    manifest = out / ".runcoach-export.json"
    if kind == "fifo":
        os.mkfifo(manifest)
    elif kind == "dev-zero":
        manifest.symlink_to("/dev/zero")
    else:
        manifest.mkdir()
    before = snapshot(out)
    (home / "work" / "p.yaml").write_text(PLAN)
    proc = run(runcoach_exe, home, "export", "p.yaml", "out", "-f", "wav", "-r", "8000")
    refused(proc, ".runcoach-export.json")
    assert snapshot(out) == before


def test_a_huge_or_garbled_manifest_is_not_read_and_is_rewritten(runcoach_exe, home):
    out = home / "work" / "out"
    out.mkdir()
    manifest = out / ".runcoach-export.json"
    with open(manifest, "wb") as handle:  # 70 MB of nothing: never read into memory
        handle.truncate(70_000_000)
    (home / "work" / "p.yaml").write_text(PLAN)
    proc = run(runcoach_exe, home, "export", "p.yaml", "out", "-f", "wav", "-r", "8000", "-q")
    succeeded(proc)
    data = json.loads(manifest.read_text())
    assert list(data) == ["easy-170spm.wav"]
    manifest.write_text("[" * 100_000)  # deeply nested JSON
    again = run(runcoach_exe, home, "export", "p.yaml", "out", "-f", "wav", "-r", "8000", "-q")
    succeeded(again)
    assert list(json.loads(manifest.read_text())) == ["easy-170spm.wav"]
    assert parts(out) == []


def hundred_thousand(path: Path) -> Path:
    """A legal plan of exactly 100,000 segments (the limit): 50,000 run/walk pairs."""
    path.write_text(
        "name: Long pyramid\nspm: 170\nsegments:\n  - repeat: 50000\n    segments:\n"
        "      - {name: Run, duration: 0.5s}\n"
        "      - {name: Walk, duration: 0.3s, spm: ['-10', '+10']}\n"
    )
    return path


def test_show_a_100000_segment_plan_in_bounded_time(runcoach_exe, home):
    plan = hundred_thousand(home / "work" / "long.yaml")
    proc = run(runcoach_exe, home, "plans", "show", str(plan))
    succeeded(proc)
    rows = re.findall(r"^\s*(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(Run|Walk)$", proc.stdout, re.M)
    assert len(rows) == 100_000
    assert rows[-1] == ("100000", "11:06:39.7", "0:00.3", "160→180", "4:6", "Walk")
    assert "11:06:40 · 100000 segments" in proc.stdout  # 50,000 × 0.8 s = 40,000 s


@pytest.mark.slow
def test_show_json_of_a_100000_segment_plan_and_a_long_program(runcoach_exe, home):
    plan = hundred_thousand(home / "work" / "long.yaml")
    proc = run(runcoach_exe, home, "plans", "show", str(plan), "--json", "--spm", "160")
    succeeded(proc)
    data = json.loads(proc.stdout)
    assert len(data["segments"]) == 100_000 and data["total_seconds"] == 40_000
    last = data["segments"][-1]
    assert last["start_seconds"] == pytest.approx(40_000 - 0.3)
    assert (last["spm_start"], last["spm_end"]) == (150, 170)
    # The longest legal program (104 weeks; 21 sessions a week after the first, which has 2),
    # every session that plan: the table costs the size of the files, not of the sessions.
    weeks = "".join(
        f"  - spm: '+{w % 3}'\n    sessions: [{', '.join(['long'] * (21 if w else 2))}]\n"
        for w in range(104)
    )
    program = home / "work" / "marathon.yaml"
    program.write_text(f"name: Marathon\nweeks:\n{weeks}")
    shown = run(runcoach_exe, home, "plans", "show", str(program))
    succeeded(shown)
    assert "104 weeks · 2165 sessions" in shown.stdout
    assert len(re.findall(r"11:06:40\s+16[0-2]–18[0-2]\s*$", shown.stdout, re.M)) == 2165
    week = run(runcoach_exe, home, "plans", "show", str(program), "--week", "1", "--json")
    succeeded(week)  # 200,000 rows, streamed
    sessions = json.loads(week.stdout)["weeks"][0]["sessions"]
    assert len(sessions) == 2 and all(len(s["segments"]) == 100_000 for s in sessions)


@pytest.mark.slow
def test_a_program_of_2000_sessions_of_a_wide_plan_shows_lists_and_validates(runcoach_exe, home):
    # The widest plan the reader takes (about 2,800 segments written out, 20,000 YAML values),
    # named by every session of the longest program, each week with its own cadence change.
    segments = "".join(f"  - {{name: S{i}, duration: 1s, spm: '+{i % 5}'}}\n" for i in range(2800))
    (home / "plans" / "wide.yaml").write_text(f"name: Wide\nspm: 150\nsegments:\n{segments}")
    weeks = "".join(
        f"  - spm: '+{w % 50}.{w}'\n    sessions: [{', '.join(['wide'] * 21)}]\n"
        for w in range(104)
    )
    (home / "plans" / "wideprog.yaml").write_text(f"name: Wide program\nweeks:\n{weeks}")
    shown = run(runcoach_exe, home, "plans", "show", "wideprog")
    succeeded(shown)
    assert "104 weeks · 2184 sessions" in shown.stdout
    assert re.search(
        r"^\s+21\s+Wide \(wide\)\s+\+49\.5\s+46:40\s+199\.5–203\.5$", shown.stdout, re.M
    )
    succeeded(run(runcoach_exe, home, "plans", "validate", "wideprog"))
    listed = run(runcoach_exe, home, "plans", "list")
    succeeded(listed)
    assert "104 × 21 sessions" in listed.stdout


def test_a_fifo_given_to_import_is_refused(runcoach_exe, home):
    os.mkfifo(home / "work" / "workout.zwo")
    refused(run(runcoach_exe, home, "import", "workout.zwo", timeout=5), "not a regular file")


def ten_hour_wav(path: Path, rate: int = 8000) -> Path:
    """A 10-hour mono WAV that costs no disk (sparse), with one second of noise at the start."""
    frames = 10 * 3600 * rate
    header = b"RIFF" + struct.pack("<I", 36 + frames * 2) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    header += b"data" + struct.pack("<I", frames * 2)
    with open(path, "wb") as handle:
        handle.write(header)
        handle.write(os.urandom(rate * 2))
        handle.truncate(len(header) + frames * 2)
    return path


def test_ten_hours_of_music_under_a_short_session_are_not_all_decoded(runcoach_exe, home):
    ten_hour_wav(home / "work" / "long-mix.wav")
    proc = run(
        runcoach_exe,
        home,
        *("render", "--duration", "10s", "-r", "8000", "--no-voice"),
        *("--music", "long-mix.wav", "-o", "run.flac"),
    )
    succeeded(proc)
    assert "with music" in proc.stdout


@pytest.mark.parametrize(
    ("files", "target", "chain"),
    [
        ({"self.yaml": "weeks: [[self.yaml]]\n"}, "self.yaml", "(self.yaml → self.yaml)"),
        (
            {"a.yaml": "weeks: [[b.yaml]]\n", "b.yaml": "weeks: [[a.yaml]]\n"},
            "a.yaml",
            "(a.yaml → b.yaml)",
        ),
        ({"c.yaml": "weeks: [[return-to-run]]\n"}, "c.yaml", "(c.yaml → return-to-run"),
    ],
)
def test_programs_naming_themselves_or_each_other_are_refused(
    runcoach_exe, home, files, target, chain
):
    for name, text in files.items():
        (home / "work" / name).write_text(text)
    line = refused(run(runcoach_exe, home, "plans", "show", target), chain)
    assert f"{target}:1: weeks[0].sessions[0]:" in line
    render = run(runcoach_exe, home, "render", "--plan", target, "--week", "1", "--session", "1")
    refused(render, chain)


def test_a_program_in_the_plans_folder_naming_itself(runcoach_exe, home):
    (home / "plans" / "loop.yaml").write_text("name: Loop\nweeks:\n  - sessions: [steady, loop]\n")
    line = refused(run(runcoach_exe, home, "plans", "show", "loop"), "is this program itself")
    assert "weeks[0].sessions[1]" in line
    listed = run(runcoach_exe, home, "plans", "list")
    succeeded(listed)
    assert "is this program itself" in " ".join(listed.stdout.split())


# --- kill -9 and concurrency --------------------------------------------------------------------

#: Two sessions whose audio differs (a repeated one is encoded once, then copied): two workers.
SLOW_PROGRAM = (
    "name: Slow\nweeks:\n  - sessions:\n      - {name: A, segments: [{name: Run, duration: 3h}]}\n"
    "      - {name: B, segments: [{name: Jog, duration: 3h}]}\n"
)


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def start_export(exe: str, home: Path, out: Path, **popen: object) -> subprocess.Popen[bytes]:
    (home / "work" / "slow.yaml").write_text(SLOW_PROGRAM)
    return subprocess.Popen(
        [exe, "export", "slow.yaml", str(out), "-f", "mp3", "-r", "8000", "-j", "2", "--no-voice"],
        cwd=home / "work",
        env=environment(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **popen,  # type: ignore[arg-type]
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_die_with_a_killed_export_and_remove_their_files(runcoach_exe, home):
    out = home / "work" / "out"
    parent = start_export(runcoach_exe, home, out)
    workers: list[int] = []
    try:
        assert wait_for(lambda: out.is_dir() and len(parts(out)) == 2, 20), "no work started"
        workers = children_of(parent.pid)
        assert workers
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=5)
        assert wait_for(lambda: not any(alive(pid) for pid in workers), 5), "workers live on"
        assert parts(out) == []
    finally:
        for pid in [parent.pid, *workers]:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(
    "sig",
    [
        signal.SIGTERM,
        pytest.param(signal.SIGINT, marks=SLOW),
        pytest.param(signal.SIGHUP, marks=SLOW),
    ],
    ids=lambda s: signal.Signals(s).name,
)
def test_a_stopped_export_says_so_in_one_line_and_leaves_nothing(runcoach_exe, home, sig):
    out = home / "work" / "out"
    (home / "work" / "slow.yaml").write_text(SLOW_PROGRAM)
    parent = subprocess.Popen(
        [runcoach_exe, "export", "slow.yaml", "out", "-f", "ogg", "-r", "8000", "-j", "2"],
        cwd=home / "work",
        env=environment(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    workers: list[int] = []
    try:
        assert wait_for(lambda: out.is_dir() and len(parts(out)) == 2, 20), "no work started"
        workers = children_of(parent.pid)
        parent.send_signal(sig)
        _, err = parent.communicate(timeout=LIMIT)
        assert parent.returncode == 130
        assert err == "runcoach: interrupted (nothing half-written was left behind)\n"
        assert wait_for(lambda: not any(alive(pid) for pid in workers), 5)
        assert sorted(p.name for p in out.iterdir()) == []
    finally:
        for pid in [parent.pid, *workers]:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_after_kill_9_of_the_whole_group_the_next_export_removes_the_stale_files(
    runcoach_exe, home
):
    out = home / "work" / "out"
    group = start_export(runcoach_exe, home, out, start_new_session=True)
    try:
        assert wait_for(lambda: out.is_dir() and len(parts(out)) == 2, 20), "no work started"
        os.killpg(group.pid, signal.SIGKILL)
        group.wait(timeout=5)
    finally:
        with contextlib.suppress(OSError):
            os.killpg(group.pid, signal.SIGKILL)
    time.sleep(0.5)
    stale = parts(out)
    assert len(stale) == 2  # nobody was left to remove them
    (out / ".notes.abcdefgh.part.keep").write_bytes(b"not runcoach's")
    (home / "work" / "p.yaml").write_text(PLAN)
    proc = run(runcoach_exe, home, "export", "p.yaml", "out", "-f", "wav", "-r", "8000", "-q")
    succeeded(proc)
    assert parts(out) == []
    assert (out / ".notes.abcdefgh.part.keep").read_bytes() == b"not runcoach's"


def test_a_second_export_into_a_busy_folder_waits_then_says_so(runcoach_exe, home):
    out = home / "work" / "out"
    out.mkdir()
    (home / "work" / "p.yaml").write_text(PLAN)
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a running export holds it
        proc = run(runcoach_exe, home, "export", "p.yaml", "out", "-f", "wav", "-r", "8000")
        refused(proc, "busy", "another runcoach export")
        assert list(out.iterdir()) == []
    finally:
        os.close(fd)
    succeeded(run(runcoach_exe, home, "export", "p.yaml", "out", "-f", "wav", "-r", "8000"))


@pytest.mark.slow
def test_two_exports_at_once_never_lose_manifest_entries(runcoach_exe, home):
    work = home / "work"
    (work / "a.yaml").write_text(PLAN.replace("Easy", "Alpha"))
    (work / "b.yaml").write_text(PLAN.replace("Easy", "Beta"))
    args = ["-f", "wav", "-r", "8000", "-q"]
    procs = [
        subprocess.Popen(
            [runcoach_exe, "export", name, "out", *args],
            cwd=work,
            env=environment(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a.yaml", "b.yaml")
    ]
    results = [(p.wait(timeout=LIMIT), p.stderr.read() if p.stderr else "") for p in procs]
    for code, err in results:
        assert code in (0, 2) and err.count("\n") <= 1 and "Traceback" not in err
        assert code == 0 or "busy" in err
    written = json.loads((work / "out" / ".runcoach-export.json").read_text())
    expected = {"alpha-170spm.wav", "beta-170spm.wav"}
    assert set(written) == {
        n for n, (c, _) in zip(sorted(expected), results, strict=True) if c == 0
    }
    assert parts(work / "out") == []


def test_stale_parts_are_removed_only_when_no_process_holds_them(tmp_path):
    from runcoach.sinks.atomic import remove_stale_parts

    live = tmp_path / ".run.wav.abcd1234.part"
    stale = tmp_path / ".run.wav.efgh5678.part"
    other = tmp_path / ".run.wav.part"  # not runcoach's naming
    for path in (live, stale, other):
        path.write_bytes(b"x")
    fd = os.open(live, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a live writer
        assert remove_stale_parts(tmp_path) == [stale]
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])
    finally:
        os.close(fd)
    assert remove_stale_parts(tmp_path, "other.wav") == []  # another destination's only
    assert remove_stale_parts(tmp_path, "run.wav") == [live]


# --- files that are not ours --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "device", "link-to-dev-null", "link-to-fifo"])
def test_an_output_that_is_not_a_regular_file_is_never_replaced(runcoach_exe, home, kind):
    work = home / "work"
    dest = work / "out.wav"
    if kind == "fifo":
        os.mkfifo(dest)
    elif kind == "device":
        needs_root()
        os.mknod(dest, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a /dev/null of our own
    elif kind == "link-to-dev-null":
        dest.symlink_to("/dev/null")
    else:
        os.mkfifo(work / "pipe")
        dest.symlink_to("pipe")
    before = snapshot(work)
    fmt = "wav" if kind in ("fifo", "device") else "mp3"  # the WAV writer and the encoders
    proc = run(runcoach_exe, home, "render", "--duration", "5s", "-r", "8000", "-o", "out.wav",
               "-f", fmt, "--no-voice")  # fmt: skip
    refused(proc, "out.wav", "only replaces regular files")
    assert snapshot(work) == before
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_link_to_a_regular_file_is_replaced_and_its_target_kept(runcoach_exe, home):
    work = home / "work"
    (work / "target.wav").write_bytes(b"old")
    (work / "out.wav").symlink_to("target.wav")
    succeeded(run(runcoach_exe, home, "render", "--duration", "2s", "-r", "8000", "-o", "out.wav"))
    assert (work / "target.wav").read_bytes() == b"old"
    assert not (work / "out.wav").is_symlink() and (work / "out.wav").stat().st_size > 1000


@pytest.mark.parametrize(
    "how",
    [
        "same name",
        "symbolic link",
        pytest.param("hard link", marks=SLOW),
        pytest.param("other spelling", marks=SLOW),
    ],
)
def test_the_output_may_not_be_the_music(runcoach_exe, home, how):
    work = home / "work"
    made = run(runcoach_exe, home, "render", "--duration", "3s", "-r", "8000", "-o", "song.flac")
    succeeded(made)
    song = (work / "song.flac").read_bytes()
    output = {
        "same name": "song.flac",
        "symbolic link": "link.flac",
        "hard link": "hard.flac",
        "other spelling": "./sub/../song.flac",
    }[how]
    (work / "sub").mkdir()
    (work / "link.flac").symlink_to("song.flac")
    os.link(work / "song.flac", work / "hard.flac")
    before = snapshot(work)
    proc = run(runcoach_exe, home, "render", "--duration", "2s", "-r", "8000", "--no-voice",
               "--music", "song.flac", "-o", output)  # fmt: skip
    refused(proc, "same file as the input")
    assert snapshot(work) == before and (work / "song.flac").read_bytes() == song


def test_the_output_may_not_be_the_plan(runcoach_exe, home):
    work = home / "work"
    (work / "p.yaml").write_text(PLAN)
    proc = run(runcoach_exe, home, "render", "--plan", "p.yaml", "-o", "p.yaml", "-f", "wav")
    refused(proc, "same file as the input")
    assert (work / "p.yaml").read_text() == PLAN


def test_plans_new_on_a_full_disk_leaves_nothing_and_can_be_tried_again(runcoach_exe, home):
    with small_disk(home / "small", "64k") as disk:
        filler = fill(disk)
        env = environment(home, RUNCOACH_PLANS_DIR=str(disk))
        refused(run(runcoach_exe, home, "plans", "new", "hills", env=env), "disk is full")
        assert sorted(p.name for p in disk.iterdir()) == ["filler"]
        filler.unlink()
        proc = run(runcoach_exe, home, "plans", "new", "hills", env=env)
        succeeded(proc)
        assert (disk / "hills.yaml").read_text().startswith("# yaml-language-server")
        again = run(runcoach_exe, home, "plans", "new", "hills", env=env)
        refused(again, "already exists")
        assert parts(disk) == []


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("file", "is a file, not a folder"),
        ("loop", "a symbolic link that loops"),
        ("under-file", "part of the path is a file"),
        ("no-such-user", "there is no user 'nosuchuser-runcoach'"),
    ],
)
def test_plans_new_says_what_is_wrong_with_the_plans_folder(runcoach_exe, home, setup, message):
    work = home / "work"
    folder = {
        "file": work / "plans-file",
        "loop": work / "loop-a",
        "under-file": work / "plans-file" / "sub",
        "no-such-user": Path("~nosuchuser-runcoach/plans"),
    }[setup]
    (work / "plans-file").write_text("not a folder")
    (work / "loop-a").symlink_to("loop-b")
    (work / "loop-b").symlink_to("loop-a")
    before = snapshot(work)
    env = environment(home, RUNCOACH_PLANS_DIR=str(folder))
    line = refused(run(runcoach_exe, home, "plans", "new", "hills", env=env), message)
    assert "already exists" not in line
    assert snapshot(work) == before
    builtin = run(runcoach_exe, home, "plans", "show", "intervals", env=env)
    succeeded(builtin)  # built-in plans work whatever the folder


def test_nothing_is_written_outside_the_output_folder(runcoach_exe, home):
    before = {name: snapshot(home / name) for name in ("home", "plans")}
    work = home / "work"
    (work / "p.yaml").write_text(PLAN)
    succeeded(run(runcoach_exe, home, "export", "p.yaml", "out", "-f", "mp3", "-r", "8000", "-q"))
    succeeded(run(runcoach_exe, home, "render", "--plan", "p.yaml", "-o", "out/r.ogg", "-q"))
    assert sorted(p.name for p in work.iterdir()) == ["out", "p.yaml"]
    assert sorted(p.name for p in (work / "out").iterdir()) == [
        ".runcoach-export.json",
        "easy-170spm.mp3",
        "r.ogg",
    ]
    assert {name: snapshot(home / name) for name in ("home", "plans")} == before


# --- numbers and text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--spm", "nan"],
        pytest.param(["--spm", "inf"], marks=SLOW),
        pytest.param(["--spm", "-inf"], marks=SLOW),
        pytest.param(["--spm", "1e400"], marks=SLOW),
        ["--spm", "1" * 4401],
        ["--volume", "inf"],
        pytest.param(["--volume", "nan"], marks=SLOW),
        pytest.param(["--click-db", "nan"], marks=SLOW),
        pytest.param(["--music-db", "-inf"], marks=SLOW),
        pytest.param(["--sample-rate", "1e5"], marks=SLOW),
        pytest.param(["--countdown", "99999999999999999999999"], marks=SLOW),
        ["--bitrate", "1e400"],
        pytest.param(["--quality", "nan"], marks=SLOW),
        ["--duration", "1:99"],
        pytest.param(["--duration", "nan"], marks=SLOW),
        pytest.param(["--duration", "1" * 4401 + "s"], marks=SLOW),
        ["--nosuch-option"],
        pytest.param(["--spm"], marks=SLOW),
    ],
    ids=lambda a: " ".join(x[:12] for x in a),
)
def test_numbers_that_are_not_numbers_are_one_line_on_the_command_line(runcoach_exe, home, args):
    base = [] if "--duration" in args else ["--duration", "10s"]
    proc = run(runcoach_exe, home, "render", *base, "-r", "8000", "-o", "x.mp3", *args)
    line = refused(proc)
    assert len(line) < 300
    assert list((home / "work").iterdir()) == []


@pytest.mark.parametrize(
    ("yaml_text", "field"),
    [
        ("spm: " + "1" * 4401 + "\nsegments: [{name: a, duration: 1m}]", "spm"),
        pytest.param(
            "segments: [{name: a, duration: 1m, spm: '+" + "9" * 4401 + "'}]",
            "segments[0].spm",
            marks=SLOW,
        ),
        ("segments: [{name: a, duration: '1:99'}]", "segments[0].duration"),
        pytest.param("segments: [{name: a, duration: 1e400}]", "segments[0].duration", marks=SLOW),
        ("segments: [{name: a, duration: .nan}]", "segments[0].duration"),
        pytest.param("segments: [{name: a, duration: -.inf}]", "segments[0].duration", marks=SLOW),
        ("segments: [{name: a, duration: 1m, spm: '0.0000001%'}]", "segments[0].spm"),
        pytest.param(
            "segments: [{name: a, steps: " + "9" * 40 + "}]", "segments[0].steps", marks=SLOW
        ),
        pytest.param(
            "segments: [{repeat: " + "9" * 30 + ", segments: [{name: a, duration: 1s}]}]",
            "repeat",
            marks=SLOW,
        ),
        pytest.param(
            "segments: [{name: a, duration: 1m, breath: '4:" + "6" * 50 + "'}]",
            "breath",
            marks=SLOW,
        ),
        ('name: "a\\nb"\nsegments: [{name: a, duration: 1m}]', "name"),
        pytest.param('segments: [{name: "a\\0b", duration: 1m}]', "segments[0].name", marks=SLOW),
        ("x" * 900_000, ""),
    ],
    ids=lambda v: v[:30] if isinstance(v, str) else v,
)
def test_numbers_and_names_in_a_plan_are_one_short_line(runcoach_exe, home, yaml_text, field):
    (home / "work" / "bad.yaml").write_text(yaml_text + "\n")
    proc = run(runcoach_exe, home, "render", "--plan", "bad.yaml", "-r", "8000", "-o", "x.wav")
    line = refused(proc, "bad.yaml:")
    assert field in line and len(line) < 300
    assert sorted(p.name for p in (home / "work").iterdir()) == ["bad.yaml"]


@pytest.mark.parametrize(
    "fmt", [pytest.param("wav", marks=SLOW), "flac", pytest.param("ogg", marks=SLOW), "mp3", "m4a"]
)
def test_a_session_shorter_than_one_frame_is_refused_in_every_format(runcoach_exe, home, fmt):
    proc = run(runcoach_exe, home, "render", "--duration", "0.00005s", "-r", "8000",
               "-o", f"tiny.{fmt}", "--voice")  # fmt: skip
    refused(proc, "shorter than one sample")
    assert list((home / "work").iterdir()) == []


@pytest.mark.parametrize(
    "fmt", [pytest.param("wav", marks=SLOW), "flac", "ogg", pytest.param("mp3", marks=SLOW), "m4a"]
)
def test_a_full_disk_is_one_line_in_every_format(runcoach_exe, home, fmt):
    with small_disk(home / "small", "256k") as disk:
        (disk / f"old.{fmt}").write_bytes(b"yesterday")
        proc = run(runcoach_exe, home, "render", "--duration", "20m", "-r", "8000", "--no-voice",
                   "-o", str(disk / f"old.{fmt}"))  # fmt: skip
        refused(proc, f"old.{fmt}", "the disk is full", "nothing was written")
        assert sorted(p.name for p in disk.iterdir()) == [f"old.{fmt}"]
        assert (disk / f"old.{fmt}").read_bytes() == b"yesterday"


@pytest.mark.parametrize("damage", ["noise", "truncated"])
def test_damaged_music_is_one_line_and_quiet(runcoach_exe, home, damage):
    work = home / "work"
    if damage == "noise":
        (work / "song.mp3").write_bytes(os.urandom(50_000))
    else:
        succeeded(run(runcoach_exe, home, "render", "--duration", "20s", "-o", "whole.mp3", "-q"))
        data = (work / "whole.mp3").read_bytes()
        (work / "song.mp3").write_bytes(data[:3000] + os.urandom(20_000))
        (work / "whole.mp3").unlink()
    proc = run(runcoach_exe, home, "render", "--duration", "15s", "-r", "8000", "--no-voice",
               "--music", "song.mp3", "-o", "run.mp3")  # fmt: skip
    refused(proc, "song.mp3")
    assert sorted(p.name for p in work.iterdir()) == ["song.mp3"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "x.mp3", "--bitrate", "320", "-r", "8000"], "at 8000 Hz must be one of"),
        (["-o", "x.mp3", "--bitrate", "8", "-r", "44100"], "at 44100 Hz must be one of"),
        (["-o", "x.m4a", "--bitrate", "320"], "must be 32 to 264 kbps"),
        (["-o", "x.ogg", "--bitrate", "128"], "--bitrate applies to mp3 and m4a"),
        (["-o", "x.wav", "--quality", "5"], "--quality applies to ogg"),
        (["-o", "x.mp3", "-r", "96000"], "MP3 cannot hold 96000 Hz"),
    ],
)
def test_encoder_limits_are_checked_before_rendering(runcoach_exe, home, args, message):
    # Three hours: were the check after rendering, this would not finish in time.
    proc = run(runcoach_exe, home, "render", "--duration", "3h", "--no-voice", *args)
    refused(proc, message)
    assert list((home / "work").iterdir()) == []


def test_a_long_output_name_within_the_limit_works_and_leaves_nothing(runcoach_exe, home):
    work = home / "work"
    name = "r" * 246 + ".wav"  # 250 bytes: legal, though ".<name>.<random>.part" would not be
    succeeded(run(runcoach_exe, home, "render", "--duration", "3s", "-r", "8000", "-o", name))
    assert sorted(p.name for p in work.iterdir()) == [name]
    utf8 = "é" * 125 + ".wav"  # 254 bytes
    succeeded(run(runcoach_exe, home, "render", "--duration", "3s", "-r", "8000", "-o", utf8))
    assert sorted(p.name for p in work.iterdir()) == sorted([name, utf8])
    too_long = "r" * 252 + ".wav"
    refused(run(runcoach_exe, home, "render", "--duration", "3s", "-o", too_long), "too long")


def test_control_characters_in_names_reach_no_terminal_file_or_playlist(runcoach_exe, home):
    work = home / "work"
    (work / "evil.yaml").write_text(
        'name: "\\e]0;owned\\a"\nweeks:\n  - name: "W\\e[2J"\n    sessions:\n'
        '      - {name: "Run\\e[31m", segments: [{name: "\\e]2;x\\aRun", duration: 3s}]}\n'
        '      - {name: "Walk\\u0085\\u2028", segments: [{name: Walk, duration: 3s}]}\n'
    )
    for args in (["plans", "show", "evil.yaml"], ["plans", "show", "evil.yaml", "--week", "1",
                 "--session", "1"], ["plans", "list"]):  # fmt: skip
        shown = run(runcoach_exe, home, *args)
        succeeded(shown)
        assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout
    proc = run(runcoach_exe, home, "export", "evil.yaml", "out", "-f", "wav", "-r", "8000", "-q")
    succeeded(proc)
    playlist = next((work / "out").glob("*.m3u")).read_bytes().decode()
    lines = playlist.splitlines()
    assert len(lines) == 2 + 2 * 2 and all(c not in playlist for c in "\x1b\x07\x85\u2028")
    assert [line for line in lines if not line.startswith("#")] == sorted(
        p.name for p in (work / "out").glob("*.wav")
    )


def test_a_cadence_that_fails_only_at_render_time_blames_the_program(runcoach_exe, home):
    (home / "work" / "prog.yaml").write_text(
        "name: Prog\nweeks:\n  - name: Fast week\n    spm: '+100'\n    sessions: [intervals]\n"
        "  - sessions:\n      - {plan: steady, spm: '+90'}\n"
    )
    week1 = ["--plan", "prog.yaml", "--week", "1", "--session", "1", "--spm", "170"]
    line = refused(run(runcoach_exe, home, "render", *week1, "-o", "x.wav"))
    assert line.startswith("runcoach: error: prog.yaml:4: weeks[0].spm: week 1, session 1 with")
    assert "(+100)" in line and "270 steps per minute" in line
    week2 = ["--plan", "prog.yaml", "--week", "2", "--session", "1", "--spm", "170"]
    line = refused(run(runcoach_exe, home, "render", *week2, "-o", "x.wav"))
    assert "prog.yaml:7: weeks[1].sessions[0].spm:" in line and "260 steps per minute" in line
    export = run(runcoach_exe, home, "export", "prog.yaml", "out", "--spm", "170")
    refused(export, "prog.yaml:4: weeks[0].spm:")
    assert sorted(p.name for p in (home / "work").iterdir()) == ["prog.yaml"]


@pytest.mark.parametrize("encoding", ["ascii", pytest.param("latin-1", marks=SLOW)])
def test_a_narrow_terminal_encoding_crashes_nothing(runcoach_exe, home, encoding):
    env = environment(home, PYTHONIOENCODING=encoding)
    commands = [["plans", "show", "intervals"], ["plans", "list"]]
    if encoding != "ascii":  # the rest of the views, with the slow tests
        commands += [["plans", "show", "return-to-run"], ["plans", "show", "intervals", "--json"]]
    for args in commands:
        shown = run(runcoach_exe, home, *args, env=env)
        succeeded(shown)
        assert shown.stdout.isascii() or encoding != "ascii"
    bad = run(runcoach_exe, home, "render", "--plan", "nö→plan", "-o", "x.wav", env=env)
    refused(bad, "unknown plan")


@SLOW
def test_the_c_locale_crashes_nothing(runcoach_exe, home):
    c_locale = environment(home, LC_ALL="C", LANG="C")
    del c_locale["PYTHONIOENCODING"]
    succeeded(run(runcoach_exe, home, "plans", "show", "intervals", env=c_locale))


def test_a_plans_folder_for_a_user_who_does_not_exist_breaks_no_built_in(runcoach_exe, home):
    env = environment(home, RUNCOACH_PLANS_DIR="~nosuchuser-runcoach/p")
    succeeded(run(runcoach_exe, home, "plans", "show", "intervals", env=env))
    succeeded(run(runcoach_exe, home, "render", "--plan", "steady", "-r", "8000", "-q",
                  "-o", "s.wav", env=env))  # fmt: skip
    assert sorted(p.name for p in (home / "work").iterdir()) == ["s.wav"]
    with wave.open(str(home / "work" / "s.wav")) as handle:
        assert Fraction(handle.getnframes(), 8000) == 30 * 60  # steady: 30 minutes


@SLOW
def test_output_closed_early_is_quiet(runcoach_exe, home):
    hundred_thousand(home / "work" / "long.yaml")
    proc = subprocess.Popen(
        [runcoach_exe, "plans", "show", "long.yaml", "--json"],
        cwd=home / "work",
        env=environment(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(10) == b'{\n  "name"'
    proc.stdout.close()
    assert proc.wait(timeout=LIMIT) in (0, 1)
    assert proc.stderr.read() == b""
