"""``runcoach render``: a session to an audio file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from runcoach.cli.base import app, say
from runcoach.cli.options import (
    AnnounceOpt,
    BitrateOpt,
    BreathOpt,
    ClickDbOpt,
    CountdownOpt,
    CueDbOpt,
    DurationOpt,
    GuideOpt,
    MusicDbOpt,
    MusicOpt,
    PlanOpt,
    QualityOpt,
    QuietOpt,
    RateOpt,
    SessionOpt,
    SoundOpt,
    SpmOpt,
    StereoOpt,
    VoiceDbOpt,
    VoiceLangOpt,
    VoiceOpt,
    VolumeOpt,
    WeekOpt,
    default_output,
    load_plan_option,
    make_layers,
    make_session,
    size_text,
)

if TYPE_CHECKING:
    from runcoach.mix.layers import Layers
    from runcoach.mix.levels import MixOptions
    from runcoach.timeline import Session


@app.command()
def render(
    plan: PlanOpt = None,
    spm: SpmOpt = None,
    week: WeekOpt = None,
    session_number: SessionOpt = None,
    duration: DurationOpt = None,
    breath: BreathOpt = None,
    sound: SoundOpt = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="The file to write: .wav, .flac, .ogg, .mp3 or .m4a (the ending picks the "
            "format).",
            show_default="<plan>-<spm>spm.wav here",
        ),
    ] = None,
    sample_rate: RateOpt = 44100,
    stereo: StereoOpt = False,
    volume: VolumeOpt = 1.0,
    guide: GuideOpt = False,
    countdown: CountdownOpt = 3,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="wav, flac, ogg, mp3 or m4a; overrides the file ending.",
            show_default=False,
        ),
    ] = None,
    bitrate: BitrateOpt = None,
    quality: QualityOpt = None,
    voice: VoiceOpt = None,
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
            help="Render the session `runcoach today` offers (instead of --plan, --duration, "
            "--week and --session).",
        ),
    ] = False,
) -> None:
    """Render a session to an audio file to copy to a phone.

    Examples:

      runcoach render --spm 170 --plan intervals -o run.wav

      runcoach render --plan my-plan.yaml -o my-run.wav

      runcoach render --spm 172 --duration 30m -o steady.wav

      runcoach render --plan intervals --breath 3:2 --stereo -o run.wav

      runcoach render --plan intervals --spm 170 -o intervals.mp3

      runcoach render --plan intervals --voice -o intervals.m4a

      runcoach render --plan intervals --music examples/music-loop.ogg -o run-with-music.mp3

      runcoach render --plan return-to-run --week 3 --session 2 --spm 168 -o w3s2.wav

      runcoach render --today -o today.mp3
    """
    if today:
        from runcoach.cli.coaching import todays_session

        coached = todays_session(
            "rendering",
            {"--plan": plan, "--duration": duration, "--week": week, "--session": session_number},
        )
        plan, week, session_number = coached.program, coached.week, coached.session
        spm = spm if spm is not None else coached.spm
    the_plan = load_plan_option(plan, duration, spm, week=week, session=session_number)
    the_session = make_session(the_plan, spm, breath, sound, sample_rate, countdown)
    from runcoach.sinks.atomic import check_destination
    from runcoach.sinks.encoding import check_encoding, format_for

    dest = output if output is not None else default_output(the_session, fmt or "wav")
    check_destination(dest)
    kind = format_for(dest, fmt)
    check_encoding(
        kind,
        rate=the_session.rate,
        channels=2 if stereo else 1,
        total_frames=the_session.total_frames,
        bitrate=bitrate,
        quality=quality,
    )
    from runcoach.mix.levels import MixOptions

    layers = make_layers(
        voice=voice,
        lang=voice_lang,
        announce_every=announce_every,
        music=music,
        voice_db=voice_db,
        music_db=music_db,
        rate=the_session.rate,
        fmt=kind,
        warn=say,
    )
    options = MixOptions(
        stereo=stereo, volume=volume, guide=guide, click_db=click_db, cue_db=cue_db
    )
    _render(
        the_session,
        dest,
        options,
        quiet=quiet,
        fmt=kind,
        bitrate=bitrate,
        quality=quality,
        layers=layers,
    )


def _render(
    session: Session,
    dest: Path,
    options: MixOptions,
    *,
    quiet: bool,
    fmt: str = "wav",
    bitrate: int | None = None,
    quality: float | None = None,
    layers: Layers | None = None,
) -> None:
    from runcoach.plans.units import format_seconds, format_spm, plural
    from runcoach.rendering import render_session

    stereo = options.stereo
    show_progress = not quiet and sys.stderr.isatty()
    if show_progress:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task(f"Rendering {dest.name}", total=session.total_frames)
            result = render_session(
                session,
                dest,
                options,
                fmt=fmt,
                bitrate=bitrate,
                quality=quality,
                layers=layers,
                progress=lambda done: bar.update(task, completed=done),
            )
    else:
        result = render_session(
            session, dest, options, fmt=fmt, bitrate=bitrate, quality=quality, layers=layers
        )
    if not quiet:
        rate_khz = f"{session.rate / 1000:g} kHz"
        typer.echo(
            f"Wrote {result.path}: {session.plan.name}, {format_seconds(session.total_seconds)}, "
            f"{plural(session.segment_count, 'segment')}, base {format_spm(session.base_spm)} spm, "
            f"breath {session.breath}, {rate_khz} {'stereo' if stereo else 'mono'}, "
            f"{size_text(result.bytes)}"
            + (", with voice" if layers is not None and layers.voice is not None else "")
            + (", with music" if layers is not None and layers.music is not None else "")
        )
