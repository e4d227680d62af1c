"""The installed ``runcoach`` command, run as a user would: real subprocesses, real files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import onsets, read_wav
from runcoach.plans import builtin_plan_names


def run(
    exe: str, *args: str, cwd: Path | None = None, timeout: float = 120, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [exe, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout, **kwargs
    )  # type: ignore[call-overload]


def test_help_and_version(runcoach_exe):
    out = run(runcoach_exe, "--help")
    assert out.returncode == 0 and "render" in out.stdout
    out = run(runcoach_exe, "--version")
    assert out.returncode == 0 and out.stdout.startswith("runcoach ")
    out = run(runcoach_exe, "render", "--help")
    assert out.returncode == 0 and "--spm" in out.stdout and "--breath" in out.stdout


def test_python_dash_m_runs_the_same_command():
    out = subprocess.run(
        [sys.executable, "-m", "runcoach", "--version"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and out.stdout.startswith("runcoach ")


def test_readme_quick_start_renders_intervals(runcoach_exe, tmp_path):
    out = run(
        runcoach_exe,
        "render",
        "--spm",
        "170",
        "--plan",
        "intervals",
        "-o",
        "intervals.wav",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "Wrote intervals.wav" in out.stdout
    x, rate = read_wav(tmp_path / "intervals.wav")
    assert rate == 44100 and x.shape[1] == 1
    assert len(x) == (5 * 60 + 6 * 3 * 60 + 4 * 60) * 44100
    # The first minute: warm-up walk at 115 spm, a click exactly on every step.
    first = onsets(x[: 60 * rate])
    assert list(first) == [round(k * 60 * 44100 / 115) for k in range(len(first))]
    assert len(first) == 115


def test_steady_session_without_a_plan(runcoach_exe, tmp_path):
    out = run(
        runcoach_exe,
        "render",
        "--spm",
        "172",
        "--duration",
        "2m",
        "-o",
        "steady.wav",
        "-r",
        "22050",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    x, rate = read_wav(tmp_path / "steady.wav")
    assert len(x) == 120 * 22050
    found = onsets(x)
    expected = [round(k * 60 * 22050 / 172) for k in range(344)]
    finish = next(i for i, f in enumerate(expected) if f >= len(x) - rate)
    assert list(found) == expected[: finish + 1]


def test_breath_override_and_stereo(runcoach_exe, tmp_path):
    out = run(
        runcoach_exe,
        "render",
        "--plan",
        "intervals",
        "--breath",
        "3:2",
        "--stereo",
        "-o",
        "run.wav",
        "-r",
        "8000",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "breath 3:2" in out.stdout and "stereo" in out.stdout
    x, _ = read_wav(tmp_path / "run.wav")
    assert x.shape[1] == 2


def test_user_plan_file(runcoach_exe, tmp_path):
    (tmp_path / "my-plan.yaml").write_text(
        "name: Mine\nspm: 165\nbreath: 4:6\nsegments:\n"
        "  - {name: Run, duration: 30s}\n  - {name: Walk, duration: 15s, spm: 110}\n"
    )
    out = run(
        runcoach_exe,
        "render",
        "--plan",
        "my-plan.yaml",
        "-o",
        "my-run.wav",
        "-r",
        "8000",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    x, _ = read_wav(tmp_path / "my-run.wav")
    assert len(x) == 45 * 8000


def test_default_output_name(runcoach_exe, tmp_path):
    out = run(runcoach_exe, "render", "-p", "steady", "-r", "8000", "-s", "168", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "steady-cadence-168spm.wav").exists()


@pytest.mark.parametrize("name", builtin_plan_names())
def test_every_builtin_plan_renders(runcoach_exe, tmp_path, name):
    out = run(
        runcoach_exe, "render", "--plan", name, "-o", f"{name}.wav", "-r", "8000", cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    x, _ = read_wav(tmp_path / f"{name}.wav")
    assert len(x) > 60 * 8000 and len(onsets(x)) > 100


BROKEN = {
    "range.yaml": (
        "segments:\n  - {name: Run, duration: 2m, spm: 1000}\n",
        "range.yaml:2: segments[0].spm:",
    ),
    "typo.yaml": (
        "segments:\n  - {name: Run, duraton: 2m}\n",
        "typo.yaml:2: segments[0].duraton: unknown key 'duraton'; did you mean",
    ),
    "empty.yaml": ("", "empty.yaml: the plan is empty"),
    "list.yaml": ("- a\n- b\n", "list.yaml:1: a plan must be a mapping"),
    "tag.yaml": (
        "name: !!python/object/apply:os.system [ls]\nsegments: []\n",
        "tag.yaml:1: YAML tag",
    ),
    "long.yaml": (
        "segments:\n  - repeat: 25\n    segments: [{name: A, duration: 1h}]\n",
        "long.yaml: segments: the session lasts 25:00:00, longer than the 24 hours",
    ),
    "pattern.yaml": (
        "breath: 4:0\nsegments: [{name: A, duration: 1m}]\n",
        "pattern.yaml:1: breath:",
    ),
    "nosegs.yaml": ("segments: []\n", "nosegs.yaml:1: segments: must list at least one"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_plans_exit_2_with_one_line(runcoach_exe, tmp_path, name):
    text, expected = BROKEN[name]
    (tmp_path / name).write_text(text)
    (tmp_path / "out.wav").write_bytes(b"keep me")
    out = run(runcoach_exe, "render", "--plan", name, "-o", "out.wav", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith(f"runcoach: error: {expected}"), out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert (tmp_path / "out.wav").read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "out.wav"])


def test_binary_junk_plan(runcoach_exe, tmp_path):
    (tmp_path / "junk.yaml").write_bytes(os.urandom(4096))
    out = run(runcoach_exe, "render", "--plan", "junk.yaml", "-o", "x.wav", cwd=tmp_path)
    assert out.returncode == 2 and "junk.yaml" in out.stderr
    assert out.stderr.count("\n") == 1


def test_alias_bomb_plan_fails_fast_and_small(runcoach_exe, tmp_path):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    lines.append("segments: *i")
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n")
    out = run(
        runcoach_exe, "render", "--plan", "bomb.yaml", "-o", "x.wav", cwd=tmp_path, timeout=30
    )
    assert out.returncode == 2 and "bomb.yaml" in out.stderr
    assert not (tmp_path / "x.wav").exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--plan", "nope"], "unknown plan 'nope'"),
        (["--plan", "missing.yaml"], "missing.yaml: no such plan file"),
        (["--plan", "intervals", "--spm", "300"], "--spm must be between 60 and 240"),
        (["--plan", "intervals", "--spm", "40"], "--spm must be between 60 and 240"),
        (["--plan", "intervals", "--breath", "4"], "--breath"),
        (["--plan", "intervals", "--sound", "gong"], "--sound"),
        (["--plan", "intervals", "--volume", "3"], "--volume"),
        (["--plan", "intervals", "-r", "100"], "sample rate"),
        (["--duration", "forever"], "--duration"),
        (["--duration", "2m", "--plan", "steady"], "not both"),
        ([], "give a plan"),
        (["--plan", "intervals", "-o", "missing/x.wav"], "does not exist"),
        (["--plan", "intervals", "-o", "."], "is a folder"),
        (["--plan", "intervals", "-o", "x.mp4"], "cannot tell the format"),
        (["--plan", "cadence-builder", "--spm", "65"], "cadence-builder (built-in plan)"),
    ],
)
def test_bad_options_exit_2_with_one_line(runcoach_exe, tmp_path, args, fragment):
    out = run(runcoach_exe, "render", *args, cwd=tmp_path)
    assert out.returncode == 2, out.stdout + out.stderr
    assert fragment in out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert list(tmp_path.iterdir()) == []


def _wait_for_part_file(folder: Path, proc: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.name.endswith(".part") and p.stat().st_size > 1_000_000 for p in folder.iterdir()):
            return
        if proc.poll() is not None:
            pytest.fail("render finished before it could be interrupted")
        time.sleep(0.01)
    pytest.fail("no temporary file appeared")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_render_leaves_nothing_and_keeps_the_old_file(runcoach_exe, tmp_path, sig):
    dest = tmp_path / "long.wav"
    dest.write_bytes(b"yesterday's session")
    proc = subprocess.Popen(
        [
            runcoach_exe,
            "render",
            "--spm",
            "170",
            "--duration",
            "12h",
            "-r",
            "22050",
            "-o",
            str(dest),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for_part_file(tmp_path, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted" in err and "Traceback" not in err
    assert dest.read_bytes() == b"yesterday's session"
    assert [p.name for p in tmp_path.iterdir()] == ["long.wav"]


def test_file_size_limit_gives_a_clean_error(runcoach_exe, tmp_path):
    import resource

    dest = tmp_path / "run.wav"
    dest.write_bytes(b"old")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))

    proc = subprocess.run(
        [runcoach_exe, "render", "--plan", "intervals", "-o", str(dest)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
    )
    assert proc.returncode == 2
    assert str(dest) in proc.stderr and "file size limit" in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert dest.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["run.wav"]


def test_plans_command_lists_builtins(runcoach_exe):
    out = run(runcoach_exe, "plans")
    assert out.returncode == 0
    for name in builtin_plan_names():
        assert name in out.stdout
