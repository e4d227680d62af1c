"""``play --today`` and ``render --today``: today's session from the journal, logged when play
ends, and the ``w`` key ("symptoms now") noted in the journal.

A real journal in a temporary folder (``RUNCOACH_JOURNAL``), a tiny program so sessions last
seconds, the installed command through the capturing ALSA device of DESIGN.md (see
``capture.py``), a pseudo-terminal for the keys and the check-in questions. Sessions are logged
on the real date (``play`` logs today's session today).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shlex
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from capture import Capture, alsa_available
from runcoach.cli import app
from runcoach.cli import coach as _coach  # noqa: F401  (registers start, today, log)
from runcoach.cli import journal as _journal  # noqa: F401  (and history)
from runcoach.cli import plans as _plans  # noqa: F401  (and plans show)
from runcoach.cli import play as _play_cli  # noqa: F401  (and play)
from runcoach.cli import render as _render  # noqa: F401  (and render)
from runcoach.cli.coaching import journal_session
from runcoach.coach import Journal
from test_play import _Terminal

RATE = 8000
HERE = Path(__file__).parent
EXE = str(Path(sys.executable).parent / "runcoach")
NO_ALSA = pytest.mark.skipif(alsa_available() is not None, reason=str(alsa_available()))
# Week 1: two sessions (4 s and 5 s), week 2: one (3 s). Walks at 115 spm: the plan's walk.
PROGRAM = """\
name: Tiny program
spm: 170
weeks:
  - name: Week 1
    sessions:
      - name: Short
        breath: "4:6"
        segments:
          - {name: Walk, duration: 1s, spm: 115, breath: "off"}
          - {name: Run, duration: 2s}
          - {name: Walk, duration: 1s, spm: 115, breath: "off"}
      - name: Longer
        segments:
          - {name: Walk, duration: 1s, spm: 115, breath: "off"}
          - {name: Run, duration: 4s}
  - name: Week 2
    sessions:
      - name: Last
        segments:
          - {name: Run, duration: 3s, spm: "+5"}
"""
FINE = ("--completed", "--no-leak", "--no-heaviness", "--pain", "1")


class Coach:
    """``runcoach`` in-process (``CliRunner``) with a journal and the tiny program in a
    temporary folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.journal = folder / "journal.sqlite3"
        self.program = folder / "tiny.yaml"
        self.program.write_text(PROGRAM)
        self.env = {"RUNCOACH_JOURNAL": str(self.journal), "RUNCOACH_PLANS_DIR": str(folder)}
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int = 0):  # type: ignore[no-untyped-def]
        result = self.runner.invoke(app, list(args), env=self.env, catch_exceptions=False)
        assert result.exit_code == code, (args, result.stdout, result.stderr)
        return result

    def history(self) -> list[dict[str, object]]:
        return json.loads(self("history", "--json").stdout)["sessions"]  # type: ignore[no-any-return]

    def planned_seconds(self, week: int, session: int, spm: int) -> float:
        """The session's length as `plans show --json` gives it (not the journal's view)."""
        shown = self(
            "plans", "show", str(self.program), "--week", str(week), "--session", str(session),
            "--spm", str(spm), "--json",
        )  # fmt: skip
        return float(json.loads(shown.stdout)["total_seconds"])


@pytest.fixture()
def coach(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Coach:
    c = Coach(tmp_path)
    monkeypatch.setenv("RUNCOACH_JOURNAL", str(c.journal))
    monkeypatch.setenv("RUNCOACH_PLANS_DIR", str(tmp_path))
    return c


def _frames(path: Path) -> int:
    with wave.open(str(path), "rb") as handle:
        assert handle.getframerate() == RATE
        return handle.getnframes()


# ---- --today: which session, and when there is none


@pytest.mark.parametrize("command", ["play", "render"])
@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--plan", "intervals"], "--plan"),
        (["--duration", "5m"], "--duration"),
        (["--week", "2", "--session", "1"], "--week, --session"),
    ],
)
def test_today_leaves_the_choice_to_the_journal(coach, command, args, named):
    coach("start", str(coach.program))
    result = coach(command, "--today", *args, code=2)
    assert result.stderr == (
        f"runcoach: error: --today plays the session `runcoach today` offers: leave out {named} "
        "(or leave out --today)\n"
    )


@pytest.mark.parametrize("command", ["play", "render"])
def test_today_before_enrolling(coach, command):
    result = coach(command, "--today", code=2)
    assert result.stderr.startswith("runcoach: error: ")
    assert "not enrolled in a program yet" in result.stderr and result.stderr.count("\n") == 1
    assert not coach.journal.exists()  # nothing was created


@pytest.mark.parametrize("command", ["play", "render"])
def test_a_stop_plays_nothing(coach, command, tmp_path):
    coach("start", str(coach.program))
    coach("log", "--completed", "--no-leak", "--no-heaviness", "--pain", "8")
    out = tmp_path / "today.wav"
    extra = ["-o", str(out)] if command == "render" else []
    result = coach(command, "--today", *extra, code=2)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("runcoach: no session today: ")
    assert "pain 8 of 10" in lines[0] and "see a health professional" in lines[0]
    assert "runcoach resume" in lines[0]
    assert result.stdout == "" and not out.exists()


@pytest.mark.parametrize("command", ["play", "render"])
def test_a_completed_program_plays_nothing(coach, command):
    coach("start", str(coach.program), "--week", "2")
    coach("log", *FINE)
    result = coach(command, "--today", code=2)
    assert result.stderr == (
        "runcoach: no session today: Tiny program is complete; `runcoach start` another program\n"
    )


def test_render_today_writes_todays_session(coach, tmp_path):
    coach("start", str(coach.program), "--spm", "168")
    first = tmp_path / "first.wav"
    result = coach("render", "--today", "-r", str(RATE), "-o", str(first))
    assert result.stderr == ""  # no rest day before the first session
    assert result.stdout.startswith(f"Wrote {first}: Tiny program, week 1, session 1, 0:04,")
    assert _frames(first) == round(coach.planned_seconds(1, 1, 168) * RATE) == 4 * RATE
    # After a check-in that advances, today is session 2, and (logged today) a rest day:
    # said in one warning line, and rendered all the same.
    coach("log", *FINE)
    second = tmp_path / "second.wav"
    result = coach("render", "--today", "-r", str(RATE), "-o", str(second), "--spm", "172")
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    assert result.stderr == (
        "runcoach: warning: today is a rest day (the program asks for one between runs; next "
        f"run from {tomorrow}); rendering week 1, session 2 anyway\n"
    )
    assert "week 1, session 2, 0:05, 2 segments, base 172 spm" in result.stdout
    assert _frames(second) == round(coach.planned_seconds(1, 2, 172) * RATE) == 5 * RATE


def test_an_explicit_session_is_a_journal_session_only_where_today_is(coach):
    assert journal_session(str(coach.program), 1, 1) is None  # no journal yet: none made
    assert not coach.journal.exists()
    coach("start", str(coach.program), "--spm", "166")
    found = journal_session(str(coach.program), 1, 1)
    assert found is not None
    assert (found.week, found.session, found.spm, found.day) == (1, 1, 166, dt.date.today())
    assert found.program == str(coach.program.resolve())
    assert journal_session(str(coach.program), 1, 2) is None  # not today's session
    assert journal_session("return-to-run", 1, 1) is None  # not the enrolled program
    assert journal_session(str(coach.program), None, None) is None
    coach("log", "--completed", "--no-leak", "--no-heaviness", "--pain", "9")
    assert journal_session(str(coach.program), 1, 2) is None  # stopped: nothing to log


def test_an_unreadable_journal_is_not_used_for_an_explicit_session(coach, capsys):
    coach.journal.write_bytes(b"not a journal at all" * 10)
    assert journal_session(str(coach.program), 1, 1) is None
    err = capsys.readouterr().err
    assert err.startswith(
        f"runcoach: warning: the journal is not used for this session: {coach.journal}"
    )
    assert coach.journal.read_bytes() == b"not a journal at all" * 10


# ---- play: the device gets what render writes, and the journal gets the session


def _alsa_play(cap: Capture, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EXE, "play", *args, "-r", str(RATE), "--backend", "alsa"],
        env={**cap.env, **env},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


@NO_ALSA
@pytest.mark.slow
def test_play_today_sends_the_device_what_render_today_writes(coach, tmp_path):
    coach("start", str(coach.program), "--spm", "168")
    with Capture(tmp_path / "home", rate=RATE) as cap:
        done = _alsa_play(cap, coach.env, "--today")
    assert done.returncode == 0, done.stderr
    rendered = tmp_path / "rendered.wav"
    coach("render", "--today", "-r", str(RATE), "-o", str(rendered))
    with wave.open(str(rendered), "rb") as handle:
        pcm = handle.readframes(handle.getnframes())
    assert len(pcm) == 2 * round(coach.planned_seconds(1, 1, 168) * RATE)
    assert bytes(cap.data)[: len(pcm)] == pcm and not any(bytes(cap.data)[len(pcm) :])
    assert done.stdout.startswith(
        "Playing Tiny program, week 1, session 1: 0:04, 3 segments, base 168"
    )


@NO_ALSA
def test_play_today_without_a_terminal_says_how_to_log_it(coach, tmp_path):
    coach("start", str(coach.program))
    with Capture(tmp_path / "home", rate=RATE, speed=4) as cap:
        done = _alsa_play(cap, coach.env, "--today")
    assert done.returncode == 0, done.stderr
    assert cap.total >= 2 * 4 * RATE  # the device took the whole session
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Playing Tiny program, week 1, session 1: 0:04, 3 segments")
    assert lines[-2] == "0:04 played, 10 steps, 3 of 3 segments done."
    head, command = lines[-1].split(
        "(elsewhere add --pain N --leak/--no-leak --heaviness/--no-heaviness): "
    )
    assert head == (
        "Check-in not logged (no terminal to ask on); log it with this command, which asks "
        "pain, leaking and heaviness on a terminal "
    )
    assert command == (
        f"runcoach log --date {dt.date.today()} --week 1 --session 1 --completed "
        "--note 'played 0:04, 3 of 3 segments done'"
    )
    assert coach.history() == []  # nothing logged without the answers
    # The line runs as written (here with the answers a terminal would have asked for).
    words = shlex.split(command)
    assert words[0] == "runcoach"
    coach(*words[1:], "--pain", "2", "--no-leak", "--no-heaviness")
    (session,) = coach.history()
    assert (session["week"], session["session"], session["completed"]) == (1, 1, True)
    assert session["note"] == "played 0:04, 3 of 3 segments done"
    assert session["decision"] == "advance"


@NO_ALSA
@pytest.mark.slow
def test_an_explicit_session_not_offered_today_is_not_logged(coach, tmp_path):
    coach("start", str(coach.program))
    with Capture(tmp_path / "home", rate=RATE, speed=4) as cap:
        done = _alsa_play(
            cap, coach.env, "--plan", str(coach.program), "--week", "2", "--session", "1"
        )
    assert done.returncode == 0, done.stderr
    steps = math.ceil(3 * (170 + 5) / 60)  # 3 s at the base + 5 spm
    assert done.stdout.splitlines()[-1] == f"0:03 played, {steps} steps, 1 of 1 segment done."
    assert "runcoach log" not in done.stdout and done.stderr == ""


@NO_ALSA
@pytest.mark.slow
def test_the_offered_session_played_explicitly_is_logged_too(coach, tmp_path):
    coach("start", str(coach.program), "--spm", "165")
    with Capture(tmp_path / "home", rate=RATE, speed=4) as cap:
        done = _alsa_play(
            cap, coach.env, "--plan", str(coach.program), "--week", "1", "--session", "1",
            "--spm", "175",
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].endswith(
        f"runcoach log --date {dt.date.today()} --week 1 --session 1 --completed "
        "--note 'played 0:04, 3 of 3 segments done'"
    )


# ---- w: symptoms now


@NO_ALSA
@pytest.mark.slow
def test_walk_sounds_like_a_segment_change(coach, tmp_path):
    """Through the controller the key calls, on the real device: the capture is render's
    stream up to the cut, then the walk's, exactly."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "name: Three\nspm: 170\nbreath: '4:6'\nsegments:\n"
        "  - {name: Walk, duration: 1s, spm: 115, breath: 'off'}\n"
        "  - {name: Run, duration: 3s}\n"
        "  - {name: Walk, duration: 1s, spm: 115, breath: 'off'}\n"
    )
    script = [{"at": 1.6, "do": "walk"}]
    with Capture(tmp_path / "home", rate=RATE) as cap:
        done = subprocess.run(
            [sys.executable, str(HERE / "play_driver.py"), str(plan), str(RATE),
             json.dumps(script), str(tmp_path)],
            env=cap.env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    expected = (tmp_path / "expected.raw").read_bytes()
    captured = bytes(cap.data)
    assert result["underrun_frames"] == 0
    assert captured[: len(expected)] == expected and not any(captured[len(expected) :])
    (_, cut) = result["cuts"]
    assert 1.6 * RATE < cut < 4 * RATE
    rendered = tmp_path / "rendered.wav"
    coach("render", "--plan", str(plan), "-r", str(RATE), "-o", str(rendered))
    with wave.open(str(rendered), "rb") as handle:
        pcm = handle.readframes(handle.getnframes())
    assert captured[: 2 * cut] == pcm[: 2 * cut]  # play == render up to the cut
    assert captured[2 * cut : len(pcm)] != pcm[2 * cut :]  # and a walk after it
    walk = [s for s in result["segments"][1] if s[1] == cut]
    assert walk == [["Walk", cut, 4 * RATE, 115.0, "off"]]
    # The walk starts at the cut with its first step, then 115 spm: heard in the capture.
    from conftest import onsets

    x = np.frombuffer(captured, "<i2").astype(np.float64)[:, None] / 32767
    found = onsets(x[cut : 4 * RATE])
    assert len(found) >= 3
    assert list(found) == [round(k * 60 * RATE / 115) for k in range(len(found))]
    assert result["summary"]["completed"] is True


@NO_ALSA
@pytest.mark.slow
def test_w_and_the_check_in_on_a_terminal(coach, tmp_path):
    """w during the run, q to stop early, then the check-in questions: the journal holds the
    session (played time, where it stopped) and the symptom, and the rule repeats it."""
    coach("start", str(coach.program))
    with Capture(tmp_path / "home", rate=RATE) as cap:
        term = _Terminal(
            [EXE, "play", "--today", "-r", str(RATE), "--backend", "alsa"], {**cap.env, **coach.env}
        )
        term.wait_for("w symptoms now")
        term.wait_for("RUN")
        term.press(b"w")
        term.wait_for("symptoms: walking 115 spm to the end of Run")
        term.wait_for("WALK")
        term.press(b"q")
        for question, answer in [
            ("Any leaking", b"n\r"),
            ("Any heaviness", b"n\r"),
            ("Any bleeding", b"n\r"),
            ("Pain, 0", b"2\r"),
            ("Effort, 0", b"5\r"),
            ("A note", b"felt it\r"),
        ]:
            term.wait_for(question)
            term.press(answer)
        term.wait_for("Next: runcoach today")
        code = term.close()
    text = term.output.decode(errors="replace")
    assert code == 0, text[-2000:]
    assert term.restored
    assert "Check-in: week 1, session 1 of " in text
    (session,) = coach.history()
    assert session["completed"] is False and session["pain"] == 2 and session["effort"] == 5
    assert session["decision"] == "repeat"
    assert session["note"].startswith("felt it (played 0:0")
    with Journal(coach.journal) as journal:
        history = journal.history()
    (record,) = history.sessions
    (symptom,) = history.symptoms
    stopped = record.stopped_at_seconds
    assert stopped is not None and 1.0 < stopped < 4.0
    assert session["stopped_at_seconds"] == pytest.approx(stopped)
    assert record.played_seconds == pytest.approx(stopped)  # from the start, no pause
    assert f"Stopped at 0:0{int(stopped)}" in text
    assert symptom.session_uid == record.uid and symptom.date == dt.date.today()
    # (the device reports its position in bursts: w and q may fall in the same one)
    assert 1.0 <= symptom.at_seconds <= stopped and symptom.note == "during Run"
    assert record.symptoms == 1
