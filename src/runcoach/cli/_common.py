"""The ``runcoach`` command: parse options, call the core, report.

Each command lives in its own module of this package and registers itself on :data:`app`.

Thin by design: every decision lives in the core modules, which raise
:class:`~runcoach.errors.RunCoachError`; here each becomes one line on stderr and an exit code.
Heavy modules (numpy, the synthesizer, rich) are imported inside the commands that need them, so
``runcoach --help`` answers at once.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from runcoach import __version__
from runcoach.errors import ExitCode, OptionError, PlanError, RunCoachError

if TYPE_CHECKING:
    from runcoach.mix.layers import Layers
    from runcoach.plans.model import Plan
    from runcoach.timeline import Session

app = typer.Typer(
    name="runcoach",
    help="A cadence and breathing coach for runners: metronome clicks at your target cadence, "
    "breath cues (inhale 4 steps, exhale 6) and run/walk intervals, rendered to audio files or "
    "played live.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Interrupted(BaseException):
    """Raised in the main thread on SIGTERM, so clean-up runs as for Ctrl-C."""


def _on_sigterm(signum: int, frame: object) -> NoReturn:
    raise Interrupted()


def _fail(message: str, code: ExitCode = ExitCode.BAD_INPUT) -> NoReturn:
    sys.stderr.write(f"runcoach: error: {message}\n")
    sys.stderr.flush()
    raise typer.Exit(int(code))


@contextlib.contextmanager
def _reporting() -> Iterator[None]:
    """Turn runcoach errors and interruptions into one line and an exit code."""
    try:
        yield
    except RunCoachError as err:
        _fail(str(err), err.exit_code)
    except (KeyboardInterrupt, Interrupted):
        sys.stderr.write("\nruncoach: interrupted; no partial file was left behind\n")
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"runcoach {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """A cadence and breathing coach for runners."""


# Options shared by the commands that make a session (render now; play and export later).
PlanOpt = Annotated[
    str | None,
    typer.Option(
        "--plan",
        "-p",
        help="A plan or program name (yours, then the built-ins; see `runcoach plans`) or a "
        "YAML file.",
        show_default=False,
    ),
]
SpmOpt = Annotated[
    float | None,
    typer.Option(
        "--spm",
        "-s",
        help="Base cadence in steps per minute (60-240); replaces the "
        "plan's. Segments with relative or no cadence follow it.",
        show_default=False,
    ),
]
DurationOpt = Annotated[
    str | None,
    typer.Option(
        "--duration",
        "-d",
        help="Without a plan: one steady segment this long (e.g. 30m, 1h, 45:00).",
        show_default=False,
    ),
]
BreathOpt = Annotated[
    str | None,
    typer.Option(
        "--breath",
        "-b",
        help='Breath pattern IN:OUT in steps ("4:6", "3:2", "2:2") '
        "or off; replaces the plan's top-level pattern.",
        show_default=False,
    ),
]
SoundOpt = Annotated[
    str | None,
    typer.Option(
        "--sound",
        help="Click sound: woodblock, beep, tick, clave, cowbell or off; replaces the plan's.",
        show_default=False,
    ),
]
RateOpt = Annotated[
    int, typer.Option("--sample-rate", "-r", help="Sample rate in Hz (8000-192000).")
]
StereoOpt = Annotated[
    bool, typer.Option("--stereo", help="Stereo: left-foot clicks lean left, right-foot right.")
]
VolumeOpt = Annotated[
    float, typer.Option("--volume", help="Overall volume, 0 to 1 (1 peaks at -1 dBFS).")
]
GuideOpt = Annotated[
    bool,
    typer.Option(
        "--guide",
        help="Add a soft tone that rises through each inhale and falls through each exhale.",
    ),
]
CountdownOpt = Annotated[
    int,
    typer.Option(
        "--countdown", help="Seconds of countdown pips before each segment change (0 for none)."
    ),
]
WeekOpt = Annotated[
    int | None,
    typer.Option(
        "--week",
        help="With a program (e.g. return-to-run): the week, from 1.",
        show_default=False,
    ),
]
SessionOpt = Annotated[
    int | None,
    typer.Option(
        "--session",
        help="With a program: the session of the week, from 1.",
        show_default=False,
    ),
]


def _load(
    plan: str | None,
    duration: str | None,
    spm: float | None,
    *,
    week: int | None = None,
    session: int | None = None,
) -> Plan:
    """The plan to play: ``--plan`` (a program's session with ``--week``/``--session``), or one
    steady segment of ``--duration``. Relative cadences still follow ``spm`` in ``_session``."""
    from runcoach.plans.units import DEFAULT_SPM, format_spm, parse_duration
    from runcoach.plans.model import Plan, Segment

    if plan is not None and duration is not None:
        raise OptionError(
            "--duration makes a one-segment session without a plan; "
            "give --plan or --duration, not both"
        )
    if plan is None and (week is not None or session is not None):
        raise OptionError(
            "--week and --session choose a session of a program: give it with --plan "
            "(e.g. --plan return-to-run --week 1 --session 1)"
        )
    if plan is not None:
        from runcoach.plans.catalogue import load_plan

        return load_plan(plan, week=week, session=session)
    if duration is None:
        raise OptionError(
            "give a plan (--plan intervals, or --plan my-plan.yaml) or a "
            "--duration for one steady segment; `runcoach plans` lists the plans"
        )
    try:
        seconds = parse_duration(duration)
    except PlanError as err:
        raise OptionError(f"--duration: {err.problem}") from None
    base = spm if spm is not None else DEFAULT_SPM
    if not 60 <= base <= 240:
        raise OptionError(f"--spm must be between 60 and 240, got {format_spm(base)}")
    return Plan(f"Steady {format_spm(base)} spm", [Segment("Steady", duration=seconds)], spm=base)


def _session(
    plan: Plan, spm: float | None, breath: str | None, sound: str | None, rate: int, countdown: int
) -> Session:
    from runcoach.timeline import resolve

    return resolve(plan, spm=spm, breath=breath, sound=sound, rate=rate, countdown=countdown)


def _default_output(session: Session, fmt: str = "wav") -> Path:
    import re

    from runcoach.plans.units import format_spm

    slug = re.sub(r"[^a-z0-9]+", "-", session.plan.name.lower()).strip("-") or "session"
    return Path(f"{slug}-{format_spm(session.base_spm)}spm.{fmt}")


def _size(num: int) -> str:
    return f"{num / 1e6:.1f} MB" if num >= 1e6 else f"{num / 1e3:.0f} kB"


# Encoding options (render and export).
BitrateOpt = Annotated[
    int | None,
    typer.Option("--bitrate", help="MP3/M4A bit rate in kbps (default 128).", show_default=False),
]
QualityOpt = Annotated[
    float | None,
    typer.Option("--quality", help="OGG Vorbis quality, 0-10 (default 5).", show_default=False),
]

# Options for what goes over the session (render and export).
VoiceOpt = Annotated[
    bool | None,
    typer.Option(
        "--voice/--no-voice",
        help="Spoken announcements (needs espeak-ng): each segment, halfway, one minute left, "
        "the end. Default: on for MP3, M4A and OGG when espeak-ng is installed.",
        show_default=False,
    ),
]
AnnounceOpt = Annotated[
    str | None,
    typer.Option(
        "--announce-every",
        help="With --voice: say the time to go every so often (e.g. 5m).",
        show_default=False,
    ),
]
MusicOpt = Annotated[
    Path | None,
    typer.Option(
        "--music",
        help="Your music (MP3, FLAC, OGG or WAV) under the session, looped or trimmed to its "
        "length, lowered while a cue or announcement plays.",
        show_default=False,
    ),
]
ClickDbOpt = Annotated[
    float, typer.Option("--click-db", help="Click level in dB (e.g. -6 for half as loud).")
]
CueDbOpt = Annotated[
    float, typer.Option("--cue-db", help="Breath cue and segment signal level in dB.")
]
VoiceDbOpt = Annotated[float, typer.Option("--voice-db", help="Voice level in dB.")]
MusicDbOpt = Annotated[float, typer.Option("--music-db", help="Music level in dB.")]


def _layers(
    *,
    voice: bool | None,
    announce_every: str | None,
    music: Path | None,
    voice_db: float,
    music_db: float,
    rate: int,
    fmt: str,
    warn: Callable[[str], None],
) -> Layers:
    """Build the voice and music layers from the options (warns when espeak-ng is missing)."""
    from runcoach.mix.layers import Layers
    from runcoach.plans.units import parse_duration
    from runcoach.sounds.voice import INSTALL_HINT, Voice, espeak_path

    speak = voice if voice is not None else fmt in ("mp3", "m4a", "ogg")
    the_voice = None
    if speak:
        if espeak_path() is None:
            if voice:
                warn(f"runcoach: warning: {INSTALL_HINT}")
        else:
            the_voice = Voice(rate)
    every = None
    if announce_every is not None:
        try:
            every = int(parse_duration(announce_every))
        except PlanError as err:
            raise OptionError(f"--announce-every: {err.problem}") from None
        if every < 60:
            raise OptionError(f"--announce-every must be at least 1m, got {announce_every}")
    if music is not None and not music.is_file():
        raise OptionError(f"{music}: no such music file")
    for name, db in (("--voice-db", voice_db), ("--music-db", music_db)):
        if not -40 <= db <= 12:
            raise OptionError(f"{name} must be -40 to +12, got {db}")
    return Layers(
        voice=the_voice, announce_every=every, music=music, voice_db=voice_db, music_db=music_db
    )


def _check_levels(click_db: float, cue_db: float) -> None:
    for name, db in (("--click-db", click_db), ("--cue-db", cue_db)):
        if not -40 <= db <= 12:
            raise OptionError(f"{name} must be -40 to +12, got {db}")


def _warn(message: str) -> None:
    """Write a warning line to stderr (the command goes on)."""
    sys.stderr.write(message + "\n")
