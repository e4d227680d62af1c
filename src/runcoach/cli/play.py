"""``runcoach play``: a session through the speakers, with a live display and live controls.

A journal session (``--today``, or the explicit program session ``runcoach today`` offers) is
logged when it ends: the check-in questions are asked on a terminal, symptoms noted with ``w``
are written to the journal (see :mod:`runcoach.cli.coaching`).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated

import typer

from runcoach.cli.base import Interrupted, app, say
from runcoach.cli.coaching import (
    Coached,
    check_in_after_play,
    journal_session,
    not_logged,
    note_symptoms,
    todays_session,
)
from runcoach.cli.options import (
    AnnounceOpt,
    BreathOpt,
    ClickDbOpt,
    CountdownOpt,
    CueDbOpt,
    DurationOpt,
    GuideOpt,
    MusicDbOpt,
    MusicOpt,
    PlanOpt,
    PlayVoiceOpt,
    QuietOpt,
    RateOpt,
    SessionOpt,
    SoundOpt,
    SpmOpt,
    StartAtOpt,
    StereoOpt,
    VoiceDbOpt,
    VoiceLangOpt,
    VolumeOpt,
    WeekOpt,
    load_plan_option,
    make_layers,
    make_session,
)
from runcoach.errors import RunCoachError

if TYPE_CHECKING:
    from runcoach.live.controller import Controller
    from runcoach.live.edits import Command
    from runcoach.live.status import Status, Summary
    from runcoach.mix.layers import Layers
    from runcoach.mix.levels import MixOptions
    from runcoach.timeline import Session

#: Keys and the escape sequences of arrow keys, to the controls they press.
KEYS: dict[bytes, Command] = {
    b" ": "pause",
    b"n": "next",
    b"\x1b[C": "next",
    b"\x1bOC": "next",
    b"p": "back",
    b"\x1b[D": "back",
    b"\x1bOD": "back",
    b"+": "faster",
    b"=": "faster",
    b"-": "slower",
    b"_": "slower",
    b"b": "breath",
    b"w": "walk",
    b"q": "quit",
}


def parse_keys(data: bytes) -> list[Command]:
    """The controls pressed in ``data`` (bytes read from a terminal in cbreak mode)."""
    found: list[Command] = []
    i = 0
    while i < len(data):
        if data[i : i + 1] == b"\x1b":
            seq = data[i : i + 3]
            if seq in KEYS:
                found.append(KEYS[seq])
                i += 3
                continue
            # Another escape sequence (up arrow, function key…): skip it whole.
            i += 1
            if data[i : i + 1] in (b"[", b"O"):
                i += 1
                while i < len(data) and not 0x40 <= data[i] <= 0x7E:
                    i += 1
                i += 1
            continue
        key = data[i : i + 1].lower()
        if key in KEYS:
            found.append(KEYS[key])
        i += 1
    return found


@contextlib.contextmanager
def _keys(press: Callable[[Command], None]) -> Iterator[None]:
    """Read keys from the terminal in a thread (cbreak mode, so Ctrl-C still interrupts).

    The terminal's settings are restored however the block ends: normally, on an exception,
    on Ctrl-C or SIGTERM.
    """
    import select
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.1)
            if not ready:
                continue
            try:
                data = os.read(fd, 64)
            except OSError:
                return
            if not data:
                return
            for command in parse_keys(data):
                press(command)

    reader = threading.Thread(target=read, name="runcoach-keys", daemon=True)
    try:
        tty.setcbreak(fd)
        reader.start()
        yield
    finally:
        stop.set()
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        reader.join(0.5)


def _list_devices(backend: str | None) -> None:
    from runcoach.sinks.devices import BACKENDS, list_devices

    chosen = [backend] if backend is not None else ["miniaudio", "simpleaudio"]
    for name in chosen:
        devices, notes = list_devices(name)
        label = name if name != "miniaudio" else "miniaudio (the default)"
        typer.echo(f"{label}:")
        for dev in devices:
            default = "  (default)" if dev.default else ""
            typer.echo(f"  {dev.backend:<11} {dev.id:<24} {dev.name}{default}")
        for note in notes:
            typer.echo(f"  {note}")
        if not devices and not notes:
            typer.echo("  no output devices found")
    if backend is None:
        typer.echo(
            f"Choose with --backend ({', '.join(BACKENDS)}) and --device ID or NAME; "
            "without a device, `runcoach render` writes a file."
        )


@app.command()
def play(
    plan: PlanOpt = None,
    week: WeekOpt = None,
    session_number: SessionOpt = None,
    spm: SpmOpt = None,
    duration: DurationOpt = None,
    breath: BreathOpt = None,
    sound: SoundOpt = None,
    start_at: StartAtOpt = None,
    backend: Annotated[
        str,
        typer.Option(
            "--backend",
            metavar="NAME",
            help="miniaudio (PulseAudio or ALSA, whichever works), alsa, pulseaudio, jack, "
            "or simpleaudio (optional extra).",
        ),
    ] = "miniaudio",
    device: Annotated[
        str | None,
        typer.Option(
            "--device",
            metavar="ID|NAME",
            help="Output device: an id or name from --list-devices.",
            show_default="the system's",
        ),
    ] = None,
    list_devices: Annotated[
        bool, typer.Option("--list-devices", help="List the audio backends and devices, and exit.")
    ] = False,
    sample_rate: RateOpt = 44100,
    stereo: StereoOpt = False,
    volume: VolumeOpt = 1.0,
    guide: GuideOpt = False,
    countdown: CountdownOpt = 3,
    voice: PlayVoiceOpt = None,
    voice_lang: VoiceLangOpt = "en",
    announce_every: AnnounceOpt = None,
    music: MusicOpt = None,
    click_db: ClickDbOpt = 0.0,
    cue_db: CueDbOpt = 0.0,
    voice_db: VoiceDbOpt = 0.0,
    music_db: MusicDbOpt = 0.0,
    quiet: QuietOpt = False,
    today: Annotated[
        bool,
        typer.Option(
            "--today",
            help="Play the session `runcoach today` offers (instead of --plan, --duration, "
            "--week and --session), and log it in the journal when it ends.",
        ),
    ] = False,
) -> None:
    """Play a session live, with a display and keys to pause, skip and change the cadence.

    Keys: space pause · n/→ next segment · p/← back · +/- cadence · b breath · w symptoms now
    (walk from the next step) · q quit.

    Without a key pressed, the device gets exactly what `runcoach render -f wav` writes with
    the same options, voice and music included (--voice is off by default, as for a WAV
    file). After a key, the voice announces the changed session's segments and the music
    runs on where it was. A stop prints where to go on from: --start-at SEGMENT+TIME.

    With --today (or --plan PROGRAM --week W --session S naming the session `runcoach today`
    offers) the session is logged in the journal when it ends: on a terminal the check-in
    questions follow at once; elsewhere it prints the `runcoach log` line that logs it.

    Examples:

      runcoach play --today

      runcoach play --spm 170 --plan intervals

      runcoach play --plan my-plan.yaml --start-at "Run"

      runcoach play --plan intervals --start-at 3+0:04

      runcoach play --plan intervals --voice --music examples/music-loop.ogg

      runcoach play --spm 175 --duration 20m --breath 4:6

      runcoach play --plan return-to-run --week 3 --session 2 --spm 168
    """
    from runcoach.live.edits import start_frame_for
    from runcoach.sinks.devices import check_backend

    explicit_backend = backend if backend != "miniaudio" else None
    backend = check_backend(backend)
    if list_devices:
        _list_devices(explicit_backend)
        return
    coached: Coached | None
    if today:
        coached = todays_session(
            "playing",
            {"--plan": plan, "--duration": duration, "--week": week, "--session": session_number},
        )
        plan, week, session_number = coached.program, coached.week, coached.session
        spm = spm if spm is not None else coached.spm
    the_plan = load_plan_option(plan, duration, spm, week=week, session=session_number)
    session = make_session(the_plan, spm, breath, sound, sample_rate, countdown)
    start = start_frame_for(session, start_at)
    from runcoach.mix.levels import MixOptions

    layers = make_layers(
        voice=voice,
        lang=voice_lang,
        announce_every=announce_every,
        music=music,
        voice_db=voice_db,
        music_db=music_db,
        rate=session.rate,
        fmt="wav",  # the voice is off unless asked for, as for `render -f wav`
        warn=say,
    )
    options = MixOptions(
        stereo=stereo, volume=volume, guide=guide, click_db=click_db, cue_db=cue_db
    )
    if not today:
        coached = journal_session(plan, week, session_number)
    _play(
        session,
        start,
        options,
        layers,
        backend=backend,
        device=device,
        coached=coached,
        quiet=quiet,
    )


def _header(session: Session, start: int, stereo: bool, host: str, layers: Layers) -> str:
    from runcoach.plans.units import format_seconds, format_spm, plural

    at = f" from {format_seconds(start // session.rate)}" if start else ""
    return (
        f"Playing {session.plan.name}{at}: {format_seconds(session.total_seconds)}, "
        f"{plural(session.segment_count, 'segment')}, base {format_spm(session.base_spm)} spm, "
        f"breath {session.breath}, {session.rate / 1000:g} kHz "
        f"{'stereo' if stereo else 'mono'}, {host}"
        + (", with voice" if layers.voice is not None else "")
        + (", with music" if layers.music is not None else "")
    )


class _Silent:
    """The display of ``--quiet``: nothing at all (errors still go to stderr)."""

    def start(self, header: str) -> None:
        """Nothing."""

    def update(self, status: Status) -> None:
        """Nothing."""

    def finish(self, summary: Summary) -> None:
        """Nothing."""

    def close(self) -> None:
        """Nothing."""


def _play(
    session: Session,
    start: int,
    options: MixOptions,
    layers: Layers,
    *,
    backend: str,
    device: str | None,
    coached: Coached | None = None,
    quiet: bool = False,
) -> None:
    from runcoach.cli.display import LiveDisplay, PlainDisplay
    from runcoach.live.controller import Controller
    from runcoach.mix.levels import BLOCK_FRAMES
    from runcoach.sinks.playback import open_stream

    stream = open_stream(
        backend=backend,
        device=device,
        rate=session.rate,
        channels=options.channels,
        start_frame=start,
    )
    keys = sys.stdin.isatty()
    display: LiveDisplay | PlainDisplay | _Silent
    if quiet:
        display = _Silent()
    elif sys.stdout.isatty():
        display = LiveDisplay(keys=keys)
    else:
        display = PlainDisplay(sys.stdout)
    controller = Controller(
        session,
        options,
        stream,
        start_frame=start,
        block_frames=BLOCK_FRAMES if backend == "simpleaudio" else None,
        display=display,
        layers=layers,
    )
    try:
        with _keys(controller.command) if keys else contextlib.nullcontext():
            display.start(_header(session, start, options.stereo, backend, layers))
            summary = controller.run()
    except (KeyboardInterrupt, Interrupted):
        cut = controller.summary(completed=False, interrupted=True)
        display.finish(cut)
        _cut_short(coached, controller, cut, session)
        raise
    except RunCoachError:
        display.close()
        _cut_short(coached, controller, controller.summary(completed=False), session)
        raise
    finally:
        display.close()
    display.finish(summary)
    if coached is not None:
        note_symptoms(coached, controller.symptoms)
        check_in_after_play(coached, summary, float(session.total_seconds))


def _cut_short(
    coached: Coached | None, controller: Controller, summary: Summary, session: Session
) -> None:
    """Play of a journal session ended by Ctrl-C or an error: keep the symptoms noted, and say
    how to log the session."""
    if coached is None:
        return
    note_symptoms(coached, controller.symptoms)
    not_logged(coached, summary, float(session.total_seconds))
