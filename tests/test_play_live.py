"""Live play with the voice and the music, the plan's segments counted, resuming where a stop
says, and the display read as plain text (no sound card: the in-memory stream of test_live)."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile
from typer.main import get_command

from conftest import onsets
from runcoach.cli import app
from runcoach.cli.display import panel
from runcoach.errors import OptionError
from runcoach.live.controller import Controller
from runcoach.live.edits import start_frame_for
from runcoach.live.status import Status, summary_lines
from runcoach.mix.announce import announcements, segment_phrase
from runcoach.mix.blocks import blocks
from runcoach.mix.layers import Layers, layered_blocks
from runcoach.mix.levels import PEAK_LIMIT, MixOptions
from runcoach.mix.pcm import to_pcm16
from runcoach.plans.model import Breath, Plan, Segment
from runcoach.sounds.voice import Voice, speech_available
from runcoach.timeline import Session, resolve
from test_live import RATE, MemoryStream

needs_voice = pytest.mark.skipif(
    not speech_available(), reason="no voice: neither the espeakng-loader wheel nor espeak-ng"
)


@pytest.fixture()
def small() -> Session:
    """The plan of test_live: 6 s run, 6 s walk (breath off), 5 s jog, 4 s ramp."""
    plan = Plan(
        "Small",
        [
            Segment("Run", duration=6),
            Segment("Walk", duration=6, spm=115, breath="off"),
            Segment("Jog", duration=5, spm="-10"),
            Segment("Strides", duration=4, spm=["-5", "+5"]),
        ],
        spm=170,
        breath="4:6",
    )
    return resolve(plan, rate=RATE)


def _run(
    session: Session,
    at: list[tuple[float, str]],
    *,
    layers: Layers | None = None,
    options: MixOptions | None = None,
    start_frame: int = 0,
) -> tuple[Controller, bytes]:
    stream = MemoryStream(start_frame=start_frame)
    controller = Controller(
        session,
        options or MixOptions(),
        stream,
        start_frame=start_frame,
        poll_seconds=0,
        layers=layers,
    )
    for seconds, name in at:
        stream.hooks.append((round(seconds * RATE), lambda n=name: controller.command(n)))
    controller.summary_result = controller.run()  # type: ignore[attr-defined]
    return controller, bytes(stream.played)


def _pcm(chunks: object) -> bytes:
    return b"".join(to_pcm16(b) for b in chunks)  # type: ignore[attr-defined]


# ---- the options: play has render's, the same


LAYER_OPTIONS = (
    "voice", "voice_lang", "announce_every", "music", "click_db", "cue_db", "voice_db",
    "music_db", "quiet",
)  # fmt: skip


def test_play_takes_renders_layer_options_with_the_same_names_defaults_and_help():
    group = get_command(app)
    play = {p.name: p for p in group.commands["play"].params}  # type: ignore[attr-defined]
    render = {p.name: p for p in group.commands["render"].params}  # type: ignore[attr-defined]
    for name in LAYER_OPTIONS:
        mine, theirs = play[name], render[name]
        assert (mine.opts, mine.secondary_opts) == (theirs.opts, theirs.secondary_opts), name
        assert mine.default == theirs.default, name
        assert mine.help == theirs.help, name  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--click-db", "30"], "--click-db"),
        (["--voice-lang", "xx"], "xx"),
        (["--announce-every", "30s"], "--announce-every must be at least 1m"),
        (["--music", "no-such.mp3"], "no such music file"),
    ],
)
def test_bad_layer_options_are_refused_before_playing(tmp_path, args, message):
    from typer.testing import CliRunner

    result = CliRunner().invoke(
        app, ["play", "--duration", "1m", "--backend", "alsa", *args], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert message in result.output


# ---- layers while playing live


def _sine(path: Path, seconds: float, rate: int = 11025) -> Path:
    t = np.arange(int(rate * seconds)) / rate
    soundfile.write(str(path), 0.5 * np.sin(2 * np.pi * 330 * t), rate)
    return path


def test_untouched_play_with_music_is_layered_blocks(small, tmp_path):
    layers = Layers(music=_sine(tmp_path / "loop.wav", 2.3))
    _, played = _run(small, [], layers=layers)
    assert played == _pcm(layered_blocks(small, MixOptions(), layers))
    start = start_frame_for(small, "jog")
    _, rest = _run(small, [], layers=layers, start_frame=start)
    assert rest == _pcm(layered_blocks(small, MixOptions(), layers))[start * 2 :]


def test_after_a_skip_the_music_runs_on_where_it_was(small, tmp_path):
    layers = Layers(music=_sine(tmp_path / "loop.wav", 2.3))
    controller, played = _run(small, [(2.0, "next"), (9.0, "faster")], layers=layers)
    (_, first), (cut, skipped), (cut2, faster) = controller.history
    whole = _pcm(layered_blocks(first, MixOptions(), layers))
    assert played[: cut * 2] == whole[: cut * 2]
    # From each cut: the new session's layered blocks from there, the music at the same
    # session frame as before the cut (not from its start again).
    after = _pcm(layered_blocks(skipped, MixOptions(), layers, start_frame=cut))
    assert played[cut * 2 : cut2 * 2] == after[: (cut2 - cut) * 2]
    last = _pcm(layered_blocks(faster, MixOptions(), layers, start_frame=cut2))
    assert played[cut2 * 2 :] == last
    restarted = _pcm(layered_blocks(skipped, MixOptions(), layers))[: (cut2 - cut) * 2]
    assert played[cut * 2 : cut2 * 2] != restarted


def _voice_layer(session: Session, at: list[tuple[float, str]], voice: Voice) -> np.ndarray:
    """The voice alone in what play sent: with it, less the same play without it."""
    _, spoken = _run(session, at, layers=Layers(voice=voice))
    _, plain = _run(session, at, options=MixOptions(volume=0.62))
    return (np.frombuffer(spoken, "<i2").astype(np.int32) - np.frombuffer(plain, "<i2")) / 32767


@needs_voice
def test_after_a_skip_the_voice_finishes_its_phrase_then_announces_the_new_segment(small):
    voice = Voice(RATE)
    gain = PEAK_LIMIT * 0.38
    layer = _voice_layer(small, [(0.4, "next")], voice)
    controller, _ = _run(small, [(0.4, "next")], options=MixOptions(volume=0.62))
    (_, _), (cut, after) = controller.history
    assert cut < 1 * RATE
    # The run's announcement (said in parts between the breath cues): the part being said at
    # the cut is said to its end.
    said, run = next(announcements(small, voice))
    assert said.text == "Run" and np.array_equal(run, voice.say("Run"))
    start = said.frame
    assert start < cut < start + len(run)
    assert np.allclose(layer[start : start + len(run)], run * gain, atol=3 / 32767)
    # Then, after a short gap, the walk that play skipped to is announced.
    walk_seg = next(s for s in after.segments() if s.start_frame == cut)
    walk = voice.say(segment_phrase(walk_seg))
    begin = _find(layer, walk * gain, start + len(run))
    assert start + len(run) < begin <= start + len(run) + RATE


def _find(layer: np.ndarray, clip: np.ndarray, after: int) -> int:
    """Where ``clip`` is in ``layer``, from ``after`` on (to a sample of 16-bit rounding)."""
    loud = after + int(np.flatnonzero(np.abs(layer[after:]) > 0.01)[0])
    first = int(np.flatnonzero(np.abs(clip) > 0.01)[0])
    at = loud - first
    assert np.allclose(layer[at : at + len(clip)], clip, atol=3 / 32767)
    return at


# ---- the summary and resuming


def test_a_stop_after_a_skip_names_the_place_in_the_plan_and_resumes_there(small):
    controller, played = _run(small, [(1.0, "next"), (5.0, "quit")])
    summary = controller.summary_result  # type: ignore[attr-defined]
    (_, _), (cut, _after) = controller.history
    end = summary.end_frame
    into = (end - cut) // RATE  # whole seconds of the walk (the plan's segment 2) played
    hint = f"2+0:{into:02d}"
    heard = len(onsets(np.frombuffer(played, "<i2").astype(np.float64)[:, None] / 32767))
    assert summary_lines(summary) == [
        f"Stopped at 0:{end // RATE:02d} (go on from there with --start-at {hint}).",
        f"0:{(end - 0) // RATE:02d} played, {heard} steps, 1 of 4 segments done (1 skipped).",
    ]
    # In the plan the walk starts at 6 s and steps every 60/115 s: the first step at or
    # after `into` seconds into it.
    k = math.ceil(into * 115 / 60)
    frame = 6 * RATE + round(k * 60 * RATE / 115)
    assert start_frame_for(small, hint) == frame
    _, resumed = _run(small, [], start_frame=frame)
    assert resumed == _pcm(blocks(small))[frame * 2 :]


def test_replayed_segments_are_counted_once(small):
    controller, _ = _run(small, [(10.0, "back")])
    summary = controller.summary_result  # type: ignore[attr-defined]
    assert summary.completed and summary.resume is None
    assert (summary.segments_done, summary.segment_count) == (4, 4)
    assert summary_lines(summary)[1].endswith("4 of 4 segments done.")


def test_the_hint_keeps_a_changed_cadence_and_breath(small):
    controller, _ = _run(small, [(1.0, "faster"), (1.5, "breath"), (3.0, "quit")])
    summary = controller.summary_result  # type: ignore[attr-defined]
    assert summary.resume == f"1+0:{summary.end_frame // RATE:02d} --spm 171 --breath 3:3"


def test_start_at_a_place_in_the_plan(small):
    # Segment 3 (Jog, 160 spm) starts at 12 s; 2 s in, the first step at or after.
    jog = 12 * RATE + round(math.ceil(2 * 160 / 60) * 60 * RATE / 160)
    assert start_frame_for(small, "3+0:02") == jog
    assert start_frame_for(small, "jog+2s") == jog
    assert start_frame_for(small, "3+0:00") == start_frame_for(small, "Jog") == 12 * RATE
    assert start_frame_for(small, "0:12") == 12 * RATE  # the older forms still work
    for text, message in [
        ("9+0:01", r"there is no segment 9; the plan has 4 segments \(1 to 4\)"),
        ("2+0:06", r"segment 2 \(Walk\) lasts 0:06; give a time within it"),
        ("2+soon", "'soon' is not a time into the segment"),
        ("Sprint+0:01", "no segment named 'Sprint'"),
    ]:
        with pytest.raises(OptionError, match=message):
            start_frame_for(small, text)


# ---- the display as plain text


def _status(**changes: object) -> Status:
    base = {
        "plan_name": "Small", "rate": RATE, "position": 4 * RATE, "total_frames": 20 * RATE,
        "segment": "Strides", "segment_number": 4, "segment_count": 4, "segment_left": RATE,
        "segment_start": 0, "segment_frames": 4 * RATE, "segment_key": (3, 0), "spm": 155.2,
        "spm_target": 155.0, "spm_plan": "165→155", "base_spm": 170.0, "breath": Breath(4, 6),
        "phase": "in", "phase_step": 1, "phase_steps": 4, "next_name": None,
        "next_seconds": 0.0, "next_spm": "", "paused": False, "note": "", "note_serial": 0,
    }  # fmt: skip
    base.update(changes)
    return Status(**base)  # type: ignore[arg-type]


def _plain(status: Status, width: int) -> list[str]:
    from rich.console import Console

    console = Console(width=width, record=True, file=io.StringIO(), no_color=True)
    console.print(panel(status, keys=True, width=width))
    return console.export_text().rstrip("\n").split("\n")


@pytest.mark.parametrize("width", [40, 60, 100])
def test_the_panel_reads_in_plain_text(width):
    lines = _plain(_status(), width)
    assert all(len(line) <= width for line in lines)
    text = "\n".join(lines)
    # The session bar: a fifth done (4 s of 20), the rest to go, told apart without colour.
    bar = next(line for line in lines if "session" in line)
    done, to_go = bar.count("━"), bar.count("─")
    assert done + to_go >= 10
    assert done == (done + to_go) // 5
    assert "0:04 / 0:20" in bar
    # A ramp that has ended shows one cadence.
    assert "155 spm" in text and "→ 155" not in text
    # Every key named, nothing cut short.
    for key in ("space pause", "n next", "p back", "+/- spm", "b breath", "q quit", "w symptoms"):
        assert key in text, (width, key)
    assert "…" not in text


def test_a_ramp_under_way_shows_where_it_goes():
    assert "160 → 155 spm" in "\n".join(_plain(_status(spm=160.4), 60))
