"""Fault injection into ``runcoach render``: a file size limit hit at each stage of the write,
destinations that cannot be written (a read-only file system, an immutable folder, a folder of
another user, a name too long), and stop signals, including a second one during the clean-up.

Every case must end with one clear line on stderr, a non-zero exit (2 for a destination, 130 for
a signal), no partial file, and an existing destination left as it was. These complement
test_cli.py (SIGINT/SIGTERM into a long render, a 1 MB size limit) and test_sinks.py (a full
tmpfs, missing folders). Cases that need root or a tool are skipped with the reason.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

OLD = b"yesterday's session"


def render_args(exe: str, dest: Path, *extra: str) -> list[str]:
    return [exe, "render", "--duration", "1m", "-r", "8000", "-o", str(dest), *extra]


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def assert_clean_failure(
    proc: subprocess.CompletedProcess[str], dest: Path, *fragments: str, code: int = 2
) -> None:
    assert proc.returncode == code, proc.stderr
    assert proc.stderr.startswith("runcoach: error: "), proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "bug" not in proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr, proc.stderr
    assert dest.read_bytes() == OLD
    assert names(dest.parent) == [dest.name]


@pytest.mark.parametrize(
    ("limit", "stage"),
    [
        (0, "the header"),
        (44 + 1000, "the first block"),
        (44 + 2 * 16384 + 10, "the second block"),
    ],
)
def test_file_size_limit_at_each_stage_of_the_write(runcoach_exe, tmp_path, limit, stage):
    dest = tmp_path / "run.wav"
    dest.write_bytes(OLD)

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    # Without coverage measurement in the child: its data file would hit the limit too.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    proc = subprocess.run(
        render_args(runcoach_exe, dest),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limited,
        env=env,
    )
    assert_clean_failure(proc, dest, str(dest), "file size limit")


def _root_with(tool: str) -> str | None:
    if os.geteuid() != 0:
        return "needs root"
    if shutil.which(tool) is None:
        return f"needs the {tool} command"
    return None


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder holding an old session, bind-mounted read-only over itself."""
    why = _root_with("mount")
    if why:
        pytest.skip(f"a read-only file system {why}")
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "run.wav").write_bytes(OLD)
    steps = [
        ["mount", "--bind", str(folder), str(folder)],
        ["mount", "-o", "remount,bind,ro", str(folder)],
    ]
    for i, step in enumerate(steps):
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            if i:
                subprocess.run(["umount", str(folder)], check=False)
            pytest.skip(f"cannot make a read-only bind mount here: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_read_only_file_system(runcoach_exe, read_only_folder):
    dest = read_only_folder / "run.wav"
    proc = subprocess.run(
        render_args(runcoach_exe, dest), capture_output=True, text=True, timeout=60
    )
    assert_clean_failure(proc, dest, str(dest), "read-only")


@pytest.fixture
def immutable_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder with the immutable attribute: not even root may create a file in it."""
    why = _root_with("chattr")
    if why:
        pytest.skip(f"an immutable folder {why}")
    folder = tmp_path / "immutable"
    folder.mkdir()
    (folder / "run.wav").write_bytes(OLD)
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"this file system has no immutable attribute: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=False)


def test_immutable_folder_even_for_root(runcoach_exe, immutable_folder):
    dest = immutable_folder / "run.wav"
    proc = subprocess.run(
        render_args(runcoach_exe, dest), capture_output=True, text=True, timeout=60
    )
    assert_clean_failure(proc, dest, str(dest), "cannot write in")


def _render_as_nobody(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run the command line as the unprivileged user ``nobody`` in a forked child (no exec: the
    interpreter may live where nobody can read it)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 99
        try:
            os.close(read)
            os.dup2(write, 2)
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            sys.stderr = os.fdopen(2, "w")  # not pytest's capture
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            sys.argv = ["runcoach", *args]
            from runcoach.cli import main

            try:
                main()
                code = 0
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else 1
        finally:
            sys.stderr.flush()
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        err = pipe.read()
    _, status = os.waitpid(pid, 0)
    return subprocess.CompletedProcess(args, os.waitstatus_to_exitcode(status), "", err)


@pytest.fixture
def open_tmp_path() -> Iterator[Path]:
    """A temporary folder that every user may look into (pytest's own are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="runcoach-faults-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_folder_another_user_owns(runcoach_exe, open_tmp_path):
    tmp_path = open_tmp_path
    folder = tmp_path / "theirs"
    folder.mkdir()
    dest = folder / "run.wav"
    dest.write_bytes(OLD)
    args = render_args(runcoach_exe, dest)
    try:
        if os.geteuid() == 0:
            # Import everything the command needs first, while root may read the interpreter.
            from typer.testing import CliRunner

            from runcoach.cli import app

            warm = CliRunner().invoke(app, [*args[1:-1], str(tmp_path / "warm.wav")])
            assert warm.exit_code == 0, warm.output
            (tmp_path / "warm.wav").unlink()
            proc = _render_as_nobody(args[1:])
        else:  # not root: a folder without write permission does it
            folder.chmod(0o555)
            proc = subprocess.run(args, capture_output=True, text=True, timeout=60)
        assert_clean_failure(proc, dest, str(dest), "permission denied")
    finally:
        folder.chmod(0o755)


def test_file_name_too_long_for_the_file_system(runcoach_exe, tmp_path):
    dest = tmp_path / "run.wav"
    dest.write_bytes(OLD)
    long_name = tmp_path / ("a" * 300 + ".wav")
    proc = subprocess.run(
        render_args(runcoach_exe, long_name), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "bug" not in proc.stderr, proc.stderr
    assert "too long" in proc.stderr.lower()
    assert names(tmp_path) == ["run.wav"] and dest.read_bytes() == OLD


def _start_long_render(exe: str, dest: Path, *extra: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [
            exe,
            "render",
            "--spm",
            "170",
            "--duration",
            "12h",
            "-r",
            "22050",
            "-o",
            str(dest),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(
            p.name.endswith(".part") and p.stat().st_size > 1_000_000 for p in dest.parent.iterdir()
        ):
            return proc
        if proc.poll() is not None:
            pytest.fail(f"render ended before it could be interrupted: {proc.stderr.read()}")
        time.sleep(0.01)
    proc.kill()
    pytest.fail("no temporary file appeared")


@pytest.mark.parametrize("first", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
@pytest.mark.parametrize("old_file", [True, False])
def test_more_signals_during_the_clean_up_change_nothing(runcoach_exe, tmp_path, first, old_file):
    """A first stop signal, then a burst more (an impatient Ctrl-C, a supervisor's SIGTERM):
    the clean-up the first one started still finishes, and one line says so."""
    dest = tmp_path / "long.wav"
    if old_file:
        dest.write_bytes(OLD)
    proc = _start_long_render(runcoach_exe, dest, "--stereo", "--guide")
    proc.send_signal(first)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err, err
    if old_file:
        assert dest.read_bytes() == OLD
        assert names(tmp_path) == ["long.wav"]
    else:
        assert names(tmp_path) == []
