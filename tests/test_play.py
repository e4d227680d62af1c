"""``runcoach play`` through a real ALSA device: the capturing device of DESIGN.md (``file``
plugin into a FIFO read at the pace of a sound card), the installed command in a subprocess,
a pseudo-terminal for the keys.

What reaches the device is compared byte for byte with ``runcoach render`` of the same plan.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from capture import Capture, alsa_available
from conftest import onsets

pytestmark = pytest.mark.skipif(
    alsa_available() is not None, reason=f"no ALSA here: {alsa_available()}"
)

RATE = 8000
HERE = Path(__file__).parent
PLAN = """\
name: Short
spm: 170
breath: "4:6"
segments:
  - {name: Walk, duration: 3s, spm: 115, breath: off}
  - {name: Run, duration: 3s}
  - {name: Ease, duration: 3s, spm: ["-5", "-20"]}
"""
CONTROLS = """\
name: Controls
spm: 170
breath: "4:6"
segments:
  - {name: Run, duration: 4s}
  - {name: Walk, duration: 3s, spm: 115}
  - {name: Jog, duration: 3s, spm: "-10"}
  - {name: Strides, duration: 2s, spm: ["-5", "+5"]}
"""


def _write_plan(tmp_path: Path, text: str = PLAN, name: str = "short.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _rendered(exe: str, tmp_path: Path, *args: str) -> bytes:
    out = tmp_path / "rendered.wav"
    done = subprocess.run(
        [exe, "render", *args, "-o", str(out)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    with wave.open(str(out), "rb") as handle:
        return handle.readframes(handle.getnframes())


def _play(
    exe: str, cap: Capture, *args: str, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [exe, "play", *args],
        env=cap.env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_play_sends_the_device_exactly_what_render_writes(runcoach_exe, tmp_path):
    plan = _write_plan(tmp_path)
    with Capture(tmp_path / "home", rate=RATE) as cap:
        done = _play(runcoach_exe, cap, "--plan", str(plan), "-r", str(RATE), "--backend", "alsa")
    assert done.returncode == 0, done.stderr
    rendered = _rendered(runcoach_exe, tmp_path, "--plan", str(plan), "-r", str(RATE))
    captured = bytes(cap.data)
    assert len(rendered) == 9 * RATE * 2
    assert captured[: len(rendered)] == rendered  # byte for byte, nothing before it
    assert not any(captured[len(rendered) :])  # then only the device's drain silence
    # Not a terminal: one plain line per segment, then the summary.
    assert done.stdout.splitlines() == [
        "Playing Short: 0:09, 3 segments, base 170 spm, breath 4:6, 8 kHz mono, alsa",
        "0:00  1/3 Walk  0:03  115 spm  breath off",
        "0:03  2/3 Run  0:03  170 spm  breath 4:6",
        "0:06  3/3 Ease  0:03  165 → 150 spm  breath 4:6",
        "Done: Short.",
        "0:09 played, 23 steps, 3 of 3 segments done.",
    ]
    assert done.stderr == ""


@pytest.mark.slow
def test_stereo_from_a_named_segment(runcoach_exe, tmp_path):
    plan = _write_plan(tmp_path)
    with Capture(tmp_path / "home", rate=RATE, channels=2) as cap:
        done = _play(
            runcoach_exe,
            cap,
            "--plan",
            str(plan),
            "-r",
            str(RATE),
            "--stereo",
            "--start-at",
            "run",
            "--backend",
            "alsa",
        )
    assert done.returncode == 0, done.stderr
    rendered = _rendered(runcoach_exe, tmp_path, "--plan", str(plan), "-r", str(RATE), "--stereo")
    rest = rendered[3 * RATE * 4 :]  # from the run's first frame on
    assert bytes(cap.data)[: len(rest)] == rest
    assert not any(bytes(cap.data)[len(rest) :])
    assert "Playing Short from 0:03" in done.stdout and "2 of 3 segments done" in done.stdout


def _zero_runs(x: np.ndarray, longer_than: int) -> list[tuple[int, int]]:
    silent = np.concatenate([[False], x == 0, [False]])
    edges = np.flatnonzero(np.diff(silent.astype(np.int8)))
    runs = list(zip(edges[::2], edges[1::2] - edges[::2], strict=True))
    return [(int(a), int(n)) for a, n in runs if n > longer_than]


@pytest.mark.slow
def test_controls_show_in_the_captured_audio(tmp_path):
    """Pause, cadence, breath, skip and back, pressed through the controller the keys call."""
    plan = _write_plan(tmp_path, CONTROLS, "controls.yaml")
    script = [
        {"at": 0.5, "do": "pause", "for": 0.8},
        {"at": 1.0, "do": "faster"},
        {"at": 1.8, "do": "breath"},
        {"at": 2.4, "do": "next"},
        {"at": 3.0, "do": "back"},
        {"at": 5.0, "do": "slower"},
    ]
    with Capture(tmp_path / "home", rate=RATE) as cap:
        done = subprocess.run(
            [
                sys.executable,
                str(HERE / "play_driver.py"),
                str(plan),
                str(RATE),
                json.dumps(script),
                str(tmp_path),
            ],
            env=cap.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    expected = np.frombuffer((tmp_path / "expected.raw").read_bytes(), "<i2")
    captured = np.frombuffer(bytes(cap.data), "<i2")
    assert result["underrun_frames"] == 0

    # The capture is the controller's stream with one stretch of silence: the pause.
    (paused_at, _), (resumed_at, _) = result["pauses"]
    assert paused_at == resumed_at  # the timeline did not move while paused
    differ = np.flatnonzero(captured[: len(expected)] != expected[: len(captured)])
    start = int(differ[0])
    end = start
    while captured[end] == 0:
        end += 1
    gap = end - start
    # Silence for the pause: its length in the capture is only roughly the pause's, since
    # this device takes audio in bursts of a quarter second.
    assert gap >= 0.25 * 0.8 * RATE
    assert start <= paused_at + RATE // 2
    assert np.array_equal(captured[start:end], np.zeros(gap, dtype="<i2"))
    assert np.array_equal(captured[:start], expected[:start])
    assert np.array_equal(captured[end : end + len(expected) - start], expected[start:])
    assert not captured[end + len(expected) - start :].any()

    cuts = result["cuts"]
    segs = result["segments"]
    # faster: the rest of the run at 171 spm, clicks spaced for 171 in the audio itself.
    cut = cuts[1]
    rest = next(s for s in segs[1] if s[1] == cut)
    assert (rest[0], rest[3]) == ("Run", 171.0)
    audio = np.delete(captured, np.s_[start:end]).astype(np.float64)[:, None] / 32767
    clicks = onsets(audio[cut : cuts[2]])
    assert len(clicks) >= 2
    assert list(clicks) == [round(k * 60 * RATE / 171) for k in range(len(clicks))]
    # breath: the rest of the run breathes 3:3.
    assert [s[4] for s in segs[2] if s[1] == cuts[2]] == ["3:3"]
    # next: the walk starts at the cut, with its first step and the "slower" cue.
    assert [s[0] for s in segs[3] if s[1] == cuts[3]] == ["Walk"]
    assert onsets(audio[cuts[3] - 10 : cuts[3] + 10])[0] == 10
    # back, early in the walk: back to the run before it, then on as planned.
    assert [s[0] for s in segs[4] if s[1] >= cuts[4]] == ["Run", "Walk", "Jog", "Strides"]
    # slower: the base drops back to 170 from the next step of the replayed run.
    assert [s[3] for s in segs[5] if s[1] == cuts[5]] == [170.0]
    assert result["summary"]["completed"] is True
    assert result["summary"]["skipped"] == 1


def test_a_device_that_stops_is_reported(tmp_path):
    """miniaudio's stop notification (as when a device is unplugged) ends play with an error."""
    plan = _write_plan(tmp_path)
    with Capture(tmp_path / "home", rate=RATE) as cap:
        done = subprocess.run(
            [
                sys.executable,
                str(HERE / "play_driver.py"),
                str(plan),
                str(RATE),
                json.dumps([{"at": 1.0, "do": "stop-device"}]),
                str(tmp_path),
            ],
            env=cap.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 3, done.stderr
    error = json.loads((tmp_path / "result.json").read_text())["error"]
    assert error.startswith("the audio device stopped (alsa)") and "runcoach render" in error


@pytest.mark.slow
def test_a_device_that_stops_taking_audio_fails_cleanly(runcoach_exe, tmp_path):
    plan = _write_plan(tmp_path)
    with Capture(tmp_path / "home", rate=RATE, stall_after=2 * RATE * 2) as cap:
        proc = subprocess.Popen(
            [runcoach_exe, "play", "--plan", str(plan), "-r", str(RATE), "--backend", "alsa"],
            env=cap.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        try:
            out, err = proc.communicate(timeout=30)
        finally:
            cap.release()
    assert proc.returncode == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("runcoach: error: the audio device stopped taking audio (alsa)")
    assert "`runcoach render`" in lines[0]
    assert "Done" not in out


def test_no_audio_device(runcoach_exe, tmp_path):
    plan = _write_plan(tmp_path)
    broken = 'pcm.!default { type plug; slave.pcm "doesnotexist" }\n'
    with Capture(tmp_path / "home", rate=RATE, asoundrc=broken) as cap:
        done = _play(runcoach_exe, cap, "--plan", str(plan), "-r", str(RATE), "--backend", "alsa")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(
        "runcoach: error: no audio device found: cannot open the "
        "default audio device (alsa): no sound device could be opened (check that a sound "
        "device is connected"
    )
    assert "MA_" not in done.stderr  # said in words, not miniaudio's codes
    assert "write the session to a file with `runcoach render`" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--backend", "oss"], "unknown audio backend 'oss'; choose one of miniaudio, alsa"),
        (
            ["--backend", "alsa", "--device", "nosuchcard"],
            "--device: no audio device matches 'nosuchcard'",
        ),
        (["--start-at", "Sprint"], "--start-at: no segment named 'Sprint'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(runcoach_exe, tmp_path, args, message):
    plan = _write_plan(tmp_path)
    with Capture(tmp_path / "home", rate=RATE, asoundrc="") as cap:
        done = _play(runcoach_exe, cap, "--plan", str(plan), "-r", str(RATE), *args)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"runcoach: error: {message}")
    assert done.stderr.count("\n") == 1


def test_list_devices(runcoach_exe, tmp_path):
    with Capture(tmp_path / "home", rate=RATE, asoundrc="") as cap:
        done = _play(runcoach_exe, cap, "--list-devices", "--backend", "alsa")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "alsa:"
    assert any(line.split()[:2] == ["alsa", "null"] for line in done.stdout.splitlines())


def _controlling_terminal() -> None:
    """In the child, after setsid: make the pty its terminal, so Ctrl-C sends SIGINT."""
    import fcntl

    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class _Terminal:
    """The command in a pseudo-terminal: what it prints is read as it comes."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, self.slave = pty.openpty()
        termios.tcsetattr(self.slave, termios.TCSANOW, termios.tcgetattr(self.slave))
        self.saved = termios.tcgetattr(self.slave)
        env = dict(env, COLUMNS="60", LINES="20", TERM="xterm-256color")
        self.proc = subprocess.Popen(
            args,
            stdin=self.slave,
            stdout=self.slave,
            stderr=self.slave,
            env=env,
            start_new_session=True,
            preexec_fn=_controlling_terminal,
        )
        self.output = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    return
                if not data:
                    return
                self.output += data
            elif self.proc.poll() is not None:
                return

    def wait_for(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output:
            assert time.monotonic() < deadline, f"{text!r} never shown: {self.output[-2000:]!r}"
            time.sleep(0.05)

    def press(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self) -> int:
        code = self.proc.wait(timeout=30)
        self._reader.join(5)
        return code

    @property
    def restored(self) -> bool:
        return termios.tcgetattr(self.slave) == self.saved


def test_keys_in_a_terminal(runcoach_exe, tmp_path):
    plan = _write_plan(tmp_path, CONTROLS, "controls.yaml")
    with Capture(tmp_path / "home", rate=RATE) as cap:
        term = _Terminal(
            [runcoach_exe, "play", "--plan", str(plan), "-r", str(RATE), "--backend", "alsa"],
            cap.env,
        )
        term.wait_for("RUN")
        term.wait_for("q quit")
        term.press(b"+")
        term.wait_for("base cadence 171 spm")
        term.wait_for("171 spm")
        term.press(b" ")
        term.wait_for("PAUSED")
        term.press(b" ")
        term.wait_for("playing")
        term.press(b"b")
        term.wait_for("breath 3:3")
        term.press(b"\x1b[C")  # right arrow: next segment
        term.wait_for("skipped to Walk")
        term.wait_for("WALK")
        term.press(b"q")
        code = term.close()
    text = term.output.decode(errors="replace")
    assert code == 0, text[-2000:]
    assert "Stopped at" in text and "1 skipped" in text
    assert term.restored  # cbreak mode undone
    assert "\x1b[?25h" in text  # the cursor is shown again
    assert cap.total > 0


def test_ctrl_c_in_a_terminal_restores_it(runcoach_exe, tmp_path):
    plan = _write_plan(tmp_path)
    with Capture(tmp_path / "home", rate=RATE) as cap:
        term = _Terminal(
            [runcoach_exe, "play", "--plan", str(plan), "-r", str(RATE), "--backend", "alsa"],
            cap.env,
        )
        term.wait_for("WALK")
        term.press(b"\x03")  # the terminal turns it into SIGINT
        code = term.close()
    text = term.output.decode(errors="replace")
    assert code == 130, text[-2000:]
    assert "Interrupted at 0:0" in text and "Traceback" not in text
    assert term.restored


def test_sigterm_restores_the_terminal(runcoach_exe, tmp_path):
    plan = _write_plan(tmp_path)
    with Capture(tmp_path / "home", rate=RATE) as cap:
        term = _Terminal(
            [runcoach_exe, "play", "--plan", str(plan), "-r", str(RATE), "--backend", "alsa"],
            cap.env,
        )
        term.wait_for("WALK")
        term.proc.send_signal(signal.SIGTERM)
        code = term.close()
    assert code == 130
    assert term.restored


def test_a_failing_device_in_a_terminal_restores_it(runcoach_exe, tmp_path):
    plan = _write_plan(tmp_path)
    broken = 'pcm.!default { type plug; slave.pcm "doesnotexist" }\n'
    with Capture(tmp_path / "home", rate=RATE, asoundrc=broken) as cap:
        term = _Terminal(
            [runcoach_exe, "play", "--plan", str(plan), "-r", str(RATE), "--backend", "alsa"],
            cap.env,
        )
        code = term.close()
    text = term.output.decode(errors="replace")
    assert code == 1
    assert "runcoach: error: no audio device found" in text and "Traceback" not in text
    assert term.restored


def _simpleaudio() -> str | None:
    try:
        import simpleaudio  # noqa: F401
    except ImportError:
        return "simpleaudio is not installed (optional extra: runcoach[simpleaudio])"
    return None


@pytest.mark.skipif(_simpleaudio() is not None, reason=str(_simpleaudio()))
def test_simpleaudio_plays_the_session_as_one_buffer(runcoach_exe, tmp_path):
    plan = _write_plan(tmp_path)
    with Capture(tmp_path / "home", rate=RATE) as cap:
        done = _play(
            runcoach_exe, cap, "--plan", str(plan), "-r", str(RATE), "--backend", "simpleaudio"
        )
    assert done.returncode == 0, done.stderr
    rendered = _rendered(runcoach_exe, tmp_path, "--plan", str(plan), "-r", str(RATE))
    assert bytes(cap.data)[: len(rendered)] == rendered
    assert "Done: Short." in done.stdout
