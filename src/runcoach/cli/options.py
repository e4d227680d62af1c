"""Options the commands share, each defined once with its limits enforced as it is parsed
(a value out of range is one line and exit 2 before any work), and the small steps that turn
them into a plan, a session and the layers over it."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from runcoach.errors import OptionError, PlanError
from runcoach.plans.units import (
    MAX_DB,
    MAX_RATE,
    MAX_SPM,
    MAX_VOLUME,
    MIN_DB,
    MIN_RATE,
    MIN_SPM,
    MIN_VOLUME,
    check_spm,
    format_spm,
    parse_number,
)

if TYPE_CHECKING:
    from runcoach.mix.layers import Layers
    from runcoach.plans.model import Plan
    from runcoach.timeline import Session


def bounded(option: str, low: float, high: float, unit: str = "") -> Callable[[str], float]:
    """A parser for a finite number from ``low`` to ``high`` (NaN and infinities refused)."""

    def parse(text: str | float) -> float:
        try:
            value = parse_number(text, field=option, what="a number")
        except PlanError as err:
            raise typer.BadParameter(err.problem) from None
        if not low <= value <= high:
            raise typer.BadParameter(
                f"must be {format_spm(low)} to {format_spm(high)}{unit}, got {str(text).strip()}"
            )
        return float(value)

    return parse


def _spm(text: str | float) -> float:
    """``--spm``: a cadence from 60 to 240 steps per minute."""
    try:
        value = parse_number(text, field="--spm", what="a cadence in steps per minute")
        check_spm(value, shown=str(text).strip())
    except PlanError as err:
        raise typer.BadParameter(err.problem) from None
    return float(value)


# Options shared by the commands that make a session (render now; play and export later).
PlanOpt = Annotated[
    str | None,
    typer.Option(
        "--plan",
        "-p",
        metavar="NAME|FILE",
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
        parser=_spm,
        metavar="SPM",
        help=f"Base cadence in steps per minute, {MIN_SPM} to {MAX_SPM}; replaces the "
        "plan's. Segments with relative or no cadence follow it.",
        show_default=False,
    ),
]
DurationOpt = Annotated[
    str | None,
    typer.Option(
        "--duration",
        "-d",
        metavar="TIME",
        help="Without a plan: one steady segment this long (e.g. 30m, 1h, 45:00).",
        show_default=False,
    ),
]
BreathOpt = Annotated[
    str | None,
    typer.Option(
        "--breath",
        "-b",
        metavar="IN:OUT",
        help='Breath pattern IN:OUT in steps ("4:6", "3:2", "2:2") '
        "or off; replaces the plan's top-level pattern.",
        show_default=False,
    ),
]
SoundOpt = Annotated[
    str | None,
    typer.Option(
        "--sound",
        metavar="NAME",
        help="Click sound: woodblock, beep, tick, clave, cowbell or off; replaces the plan's.",
        show_default=False,
    ),
]


def _rate(text: str | int) -> int:
    """``--sample-rate``: a whole number of Hz from 8000 to 192000 (the default comes as an
    ``int``)."""
    digits = str(text).strip()
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 6):
        raise typer.BadParameter(f"the sample rate is a whole number of Hz, got {digits!r}")
    rate = int(digits)
    if not MIN_RATE <= rate <= MAX_RATE:
        raise typer.BadParameter(
            f"must be {MIN_RATE} to {MAX_RATE} Hz (the sample rate), got {rate}"
        )
    return rate


RateOpt = Annotated[
    int,
    typer.Option(
        "--sample-rate",
        "-r",
        parser=_rate,
        metavar="HZ",
        help=f"Sample rate in Hz, {MIN_RATE} to {MAX_RATE}.",
    ),
]
StereoOpt = Annotated[
    bool, typer.Option("--stereo", help="Stereo: left-foot clicks lean left, right-foot right.")
]
VolumeOpt = Annotated[
    float,
    typer.Option(
        "--volume",
        parser=bounded("--volume", MIN_VOLUME, MAX_VOLUME),
        metavar=f"{MIN_VOLUME:g}-{MAX_VOLUME:g}",
        help=f"Overall volume, {MIN_VOLUME:g} to {MAX_VOLUME:g} ({MAX_VOLUME:g} peaks at -1 dBFS).",
    ),
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
        "--countdown",
        metavar="SECONDS",
        min=0,
        max=10,
        help="Seconds of countdown pips before each segment change, 0 (none) to 10.",
    ),
]
WeekOpt = Annotated[
    int | None,
    typer.Option(
        "--week",
        metavar="N",
        help="With a program (e.g. return-to-run): the week, from 1.",
        show_default=False,
    ),
]
SessionOpt = Annotated[
    int | None,
    typer.Option(
        "--session",
        metavar="N",
        help="With a program: the session of the week, from 1.",
        show_default=False,
    ),
]


def load_plan_option(
    plan: str | None,
    duration: str | None,
    spm: float | None,
    *,
    week: int | None = None,
    session: int | None = None,
) -> Plan:
    """The plan to play: ``--plan`` (a program's session with ``--week``/``--session``), or one
    steady segment of ``--duration``. Relative cadences still follow ``spm`` in ``_session``."""
    from runcoach.plans.model import Plan, Segment
    from runcoach.plans.units import DEFAULT_SPM, format_spm, parse_duration

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
    steady = (Segment("Steady", duration=seconds),)
    return Plan(f"Steady {format_spm(base)} spm", steady, spm=Fraction(base))


def make_session(
    plan: Plan, spm: float | None, breath: str | None, sound: str | None, rate: int, countdown: int
) -> Session:
    from runcoach.timeline import resolve

    return resolve(plan, spm=spm, breath=breath, sound=sound, rate=rate, countdown=countdown)


def default_output(session: Session, fmt: str = "wav") -> Path:
    from runcoach.plans.units import slug

    return Path(f"{slug(session.plan.name)}-{format_spm(session.base_spm)}spm.{fmt}")


def size_text(num: int) -> str:
    return f"{num / 1e6:.1f} MB" if num >= 1e6 else f"{num / 1e3:.0f} kB"


# Encoding options (render and export).
BitrateOpt = Annotated[
    int | None,
    typer.Option(
        "--bitrate",
        metavar="KBPS",
        help="MP3 or M4A bit rate in kbps, constant. Without it MP3 has a variable bit rate "
        "(LAME V4, about a third of the size).",
        show_default="MP3 variable, M4A 128",
    ),
]
QualityOpt = Annotated[
    float | None,
    typer.Option(
        "--quality",
        parser=bounded("--quality", 0, 10),
        metavar="0-10",
        help="OGG Vorbis quality, 0 to 10.",
        show_default="5",
    ),
]

# Options for what goes over the session (render and export).
_VOICE_HELP = (
    "Spoken announcements: each segment, halfway, one minute left, the end (the voice comes "
    "with runcoach)."
)
VoiceOpt = Annotated[
    bool | None,
    typer.Option(
        "--voice/--no-voice",
        help=_VOICE_HELP,
        show_default="on for MP3, M4A and OGG, off for WAV and FLAC",
    ),
]
#: ``play``'s ``--voice``: off unless given, as for a WAV file (so play equals ``render -f wav``).
PlayVoiceOpt = Annotated[
    bool | None, typer.Option("--voice/--no-voice", help=_VOICE_HELP, show_default="off")
]


def _voice_langs() -> str:
    from runcoach.sounds.phrases import LANGUAGES

    return ", ".join(LANGUAGES)


VoiceLangOpt = Annotated[
    str,
    typer.Option(
        "--voice-lang",
        metavar="LANG",
        help=f"Language of the announcements: {_voice_langs()}.",
    ),
]
AnnounceOpt = Annotated[
    str | None,
    typer.Option(
        "--announce-every",
        metavar="TIME",
        help="With --voice: say the time to go every so often (e.g. 5m).",
        show_default=False,
    ),
]
MusicOpt = Annotated[
    Path | None,
    typer.Option(
        "--music",
        metavar="FILE",
        help="Your music (MP3, FLAC, OGG or WAV) under the session, looped or trimmed to its "
        "length, lowered while a cue or announcement plays.",
        show_default=False,
    ),
]
_DB_RANGE = f"{MIN_DB:+g} to {MAX_DB:+g} dB"


def _db(option: str, what: str) -> Any:
    return typer.Option(
        option,
        parser=bounded(option, MIN_DB, MAX_DB, " dB"),
        metavar="DB",
        help=f"{what}, {_DB_RANGE}.",
    )


ClickDbOpt = Annotated[float, _db("--click-db", "Click level in dB, e.g. -6 for half as loud")]
CueDbOpt = Annotated[float, _db("--cue-db", "Breath cue and segment signal level in dB")]
VoiceDbOpt = Annotated[float, _db("--voice-db", "Voice level in dB")]
MusicDbOpt = Annotated[float, _db("--music-db", "Music level in dB")]


def make_layers(
    *,
    voice: bool | None,
    announce_every: str | None,
    music: Path | None,
    voice_db: float,
    music_db: float,
    rate: int,
    fmt: str,
    warn: Callable[[str], None],
    lang: str = "en",
) -> Layers:
    """Build the voice (in ``lang``) and music layers from the options; an unknown language is
    an ``OptionError``, a voice that cannot speak here a warning (the tones still play)."""
    from runcoach.mix.layers import Layers
    from runcoach.plans.units import parse_duration
    from runcoach.sounds.phrases import language
    from runcoach.sounds.voice import INSTALL_HINT, Voice, speech_available

    spoken = language(lang)
    speak = voice if voice is not None else fmt in ("mp3", "m4a", "ogg")
    the_voice = None
    if speak:
        if not speech_available():
            if voice:
                warn(f"runcoach: warning: {INSTALL_HINT}")
        else:
            the_voice = Voice(rate, lang=spoken.code)
    every = None
    if announce_every is not None:
        try:
            every = int(parse_duration(announce_every))
        except PlanError as err:
            raise OptionError(f"--announce-every: {err.problem}") from None
        if every < 60:
            raise OptionError(f"--announce-every must be at least 1m, got {announce_every}")
    if music is not None:
        from runcoach.sounds.music import check

        check(music)
    return Layers(
        voice=the_voice, announce_every=every, music=music, voice_db=voice_db, music_db=music_db
    )


# Watch workouts (workout, and export --format fit).
ToleranceOpt = Annotated[
    float,
    typer.Option(
        "--tolerance",
        parser=bounded("--tolerance", 0, 30, " spm"),
        metavar="SPM",
        help="How far the cadence may drift before the watch alerts, in steps per minute, 0 to 30.",
    ),
]
FitCadenceOpt = Annotated[
    str,
    typer.Option(
        "--fit-cadence",
        metavar="strides|steps",
        help="Unit of FIT cadence targets: strides (per minute, FIT's own: steps / 2) or steps "
        "(for devices that read steps per minute).",
    ),
]


# Added for play (issue 14); render may share them too.
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")]
StartAtOpt = Annotated[
    str | None,
    typer.Option(
        "--start-at",
        metavar="WHERE",
        help="Begin at a segment (the first whose name matches), a time (12:30: the first "
        "step from then on), or a place in the plan: SEGMENT+TIME, a segment's number (as "
        'play shows it, from 1) or name and the time into it ("3+0:04", "Run+1:30"), as '
        "play's stop line gives it.",
        show_default=False,
    ),
]
