"""``runcoach export``: every session of a plan or program into a folder, ready for a phone."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from runcoach.cli.base import app, say
from runcoach.cli.options import (
    AnnounceOpt,
    BitrateOpt,
    BreathOpt,
    ClickDbOpt,
    CountdownOpt,
    CueDbOpt,
    GuideOpt,
    MusicDbOpt,
    MusicOpt,
    QualityOpt,
    RateOpt,
    SoundOpt,
    SpmOpt,
    StereoOpt,
    VoiceDbOpt,
    VoiceOpt,
    VolumeOpt,
    make_layers,
)
from runcoach.errors import OptionError


@app.command()
def export(
    target: Annotated[
        str,
        typer.Argument(
            help="A program (e.g. return-to-run) or plan: a name or a YAML file.",
            show_default=False,
        ),
    ],
    folder: Annotated[
        Path,
        typer.Argument(help="The folder to write into (created if missing).", show_default=False),
    ],
    spm: SpmOpt = None,
    breath: BreathOpt = None,
    sound: SoundOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="wav, flac, ogg, mp3 or m4a.")] = "mp3",
    bitrate: BitrateOpt = None,
    quality: QualityOpt = None,
    sample_rate: RateOpt = 44100,
    stereo: StereoOpt = False,
    volume: VolumeOpt = 1.0,
    guide: GuideOpt = False,
    countdown: CountdownOpt = 3,
    voice: VoiceOpt = None,
    announce_every: AnnounceOpt = None,
    music: MusicOpt = None,
    click_db: ClickDbOpt = 0.0,
    cue_db: CueDbOpt = 0.0,
    voice_db: VoiceDbOpt = 0.0,
    music_db: MusicDbOpt = 0.0,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            help="Sessions rendered at once (default: one per core).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Render again even the files that are up to date.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
) -> None:
    """Render every session of a program (or a plan) into a folder, with an M3U playlist.

    Files are named to sort in order (w01-s1-<plan>-<cadence>spm.mp3); running it again skips
    the files that are already up to date for the same plan and options.

    Examples:

      runcoach export return-to-run ~/Music/runcoach --spm 168 --format mp3

      runcoach export cadence-builder-6w out/ --spm 160 --voice
    """
    from runcoach.export import Settings, total_frames
    from runcoach.export import export as run_export
    from runcoach.export import jobs as plan_jobs
    from runcoach.mix.levels import MixOptions
    from runcoach.plans.catalogue import load_any
    from runcoach.plans.units import format_seconds
    from runcoach.sinks.codecs import FORMATS, check_encoding

    kind = fmt.lower().lstrip(".")
    if kind not in FORMATS:
        raise OptionError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if jobs is not None and not 1 <= jobs <= 64:
        raise OptionError(f"--jobs must be 1 to 64, got {jobs}")
    if folder.exists() and not folder.is_dir():
        raise OptionError(f"{folder}: is a file, not a folder")
    thing = load_any(target)
    layers = make_layers(
        voice=voice,
        announce_every=announce_every,
        music=music,
        voice_db=voice_db,
        music_db=music_db,
        rate=sample_rate,
        fmt=kind,
        warn=say,
    )
    settings = Settings(
        spm=spm,
        breath=breath,
        sound=sound,
        rate=sample_rate,
        countdown=countdown,
        fmt=kind,
        bitrate=bitrate,
        quality=quality,
        mix=MixOptions(stereo=stereo, volume=volume, guide=guide, click_db=click_db, cue_db=cue_db),
        layers=layers,
    )
    planned = plan_jobs(thing, folder, settings)
    for job in planned:
        check_encoding(
            kind,
            rate=sample_rate,
            channels=2 if stereo else 1,
            total_frames=job.session.total_frames,
            bitrate=bitrate,
            quality=quality,
        )
    started = time.monotonic()
    show = not quiet and sys.stderr.isatty()
    if show:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        console = Console(stderr=True)
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as bar:
            audio = bar.add_task("Rendering audio", total=total_frames(planned))
            files = bar.add_task("Files", total=len(planned))
            report = run_export(
                thing,
                folder,
                settings,
                workers=jobs,
                force=force,
                progress=lambda n: bar.advance(audio, n),
                on_file=lambda path, skipped: bar.advance(files),
            )
    else:
        report = run_export(thing, folder, settings, workers=jobs, force=force)
    if not quiet:
        seconds = time.monotonic() - started
        total = sum(job.session.total_seconds for job in planned)
        typer.echo(
            f"Exported {thing.name} to {folder}: {len(report.written)} written, "
            f"{len(report.skipped)} up to date, {format_seconds(total)} of audio in "
            f"{seconds:.1f} s" + (f"; playlist {report.playlist.name}" if report.playlist else "")
        )
