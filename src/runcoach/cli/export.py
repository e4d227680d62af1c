"""``runcoach export``: every session of a plan or program into a folder, ready for a phone."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from runcoach.cli.base import app, say
from runcoach.cli.options import (
    AnnounceOpt,
    BitrateOpt,
    BreathOpt,
    ClickDbOpt,
    CountdownOpt,
    CueDbOpt,
    FitCadenceOpt,
    GuideOpt,
    MusicDbOpt,
    MusicOpt,
    QualityOpt,
    QuietOpt,
    RateOpt,
    SoundOpt,
    SpmOpt,
    StereoOpt,
    ToleranceOpt,
    VoiceDbOpt,
    VoiceLangOpt,
    VoiceOpt,
    VolumeOpt,
    make_layers,
)
from runcoach.errors import OptionError
from runcoach.plans.units import format_seconds, plural

if TYPE_CHECKING:
    from runcoach.export import Job, Report, Settings
    from runcoach.plans.model import Plan
    from runcoach.plans.programs import Program


@app.command()
def export(
    target: Annotated[
        str,
        typer.Argument(
            metavar="PLAN|PROGRAM",
            help="A program (e.g. return-to-run) or plan: a name or a YAML file.",
            show_default=False,
        ),
    ],
    folder: Annotated[
        Path,
        typer.Argument(
            metavar="FOLDER",
            help="The folder to write into (created if missing).",
            show_default=False,
        ),
    ],
    spm: SpmOpt = None,
    breath: BreathOpt = None,
    sound: SoundOpt = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="wav, flac, ogg, mp3 or m4a (audio), or fit or zwo (watch and Zwift workouts).",
        ),
    ] = "mp3",
    bitrate: BitrateOpt = None,
    quality: QualityOpt = None,
    sample_rate: RateOpt = 44100,
    stereo: StereoOpt = False,
    volume: VolumeOpt = 1.0,
    guide: GuideOpt = False,
    countdown: CountdownOpt = 3,
    voice: VoiceOpt = None,
    voice_lang: VoiceLangOpt = "en",
    announce_every: AnnounceOpt = None,
    music: MusicOpt = None,
    click_db: ClickDbOpt = 0.0,
    cue_db: CueDbOpt = 0.0,
    voice_db: VoiceDbOpt = 0.0,
    music_db: MusicDbOpt = 0.0,
    tolerance: ToleranceOpt = 3.0,
    fit_cadence: FitCadenceOpt = "strides",
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            min=1,
            max=64,
            help="Sessions rendered at once, 1 to 64.",
            show_default="one per core",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Render again even the files that are up to date.")
    ] = False,
    quiet: QuietOpt = False,
) -> None:
    """Render every session of a program (or a plan) into a folder, with an M3U playlist.

    Files are named to sort in order (w01-s1-<plan>-<cadence>spm.mp3); running it again skips
    the files that are already up to date for the same plan and options.

    Examples:

      runcoach export return-to-run ~/Music/runcoach --spm 168 --format mp3

      runcoach export cadence-builder-6w out/ --spm 160 --voice

      runcoach export return-to-run watch/ --spm 168 --format fit
    """
    from runcoach.interop import WORKOUT_FORMATS
    from runcoach.plans.catalogue import load_any
    from runcoach.plans.units import format_seconds
    from runcoach.sinks.encoding import FORMATS

    kind = fmt.lower().lstrip(".")
    if kind not in (*FORMATS, *WORKOUT_FORMATS):
        choices = ", ".join((*FORMATS, *WORKOUT_FORMATS))
        raise OptionError(f"--format must be one of {choices}, got {fmt!r}")
    if folder.exists() and not folder.is_dir():
        raise OptionError(f"{folder}: is a file, not a folder")
    thing = load_any(target)
    settings = _settings(
        kind,
        spm=spm,
        breath=breath,
        sound=sound,
        rate=sample_rate,
        countdown=countdown,
        bitrate=bitrate,
        quality=quality,
        mix={"stereo": stereo, "volume": volume, "guide": guide},
        levels=(click_db, cue_db, voice_db, music_db),
        voice=(voice, announce_every, voice_lang),
        music=music,
        tolerance=tolerance,
        fit_cadence=fit_cadence,
    )
    started = time.monotonic()
    report, planned = _export(thing, folder, settings, jobs=jobs, force=force, quiet=quiet)
    if not quiet:
        seconds = time.monotonic() - started
        total = sum(job.session.total_seconds for job in planned)
        typer.echo(
            f"Exported {thing.name} to {folder}: {len(report.written)} written, "
            f"{len(report.skipped)} up to date, {format_seconds(total)} of "
            f"{'sessions' if settings.workout else 'audio'} in "
            f"{seconds:.1f} s" + (f"; playlist {report.playlist.name}" if report.playlist else "")
        )
        if report.written and not settings.workout:
            typer.echo(
                f"{plural(len(report.written), 'file')} from "
                f"{plural(report.encoded, 'distinct session')} (each encoded once)"
            )


def _settings(
    kind: str,
    *,
    mix: dict[str, Any],
    levels: tuple[float, float, float, float],
    voice: tuple[bool | None, str | None, str],
    music: Path | None,
    **session: Any,
) -> Settings:
    """The export settings from the options (voice, music and levels checked here)."""
    from runcoach.export import Settings
    from runcoach.interop.fit_workout import check_options
    from runcoach.mix.levels import MixOptions

    check_options(session["tolerance"], session["fit_cadence"])
    click_db, cue_db, voice_db, music_db = levels
    layers = make_layers(
        voice=voice[0],
        announce_every=voice[1],
        lang=voice[2],
        music=music,
        voice_db=voice_db,
        music_db=music_db,
        rate=session["rate"],
        fmt=kind,
        warn=say,
    )
    options = MixOptions(**mix, click_db=click_db, cue_db=cue_db)
    return Settings(fmt=kind, mix=options, layers=layers, **session)


def _export(
    thing: Plan | Program,
    folder: Path,
    settings: Settings,
    *,
    jobs: int | None,
    force: bool,
    quiet: bool,
) -> tuple[Report, list[Job]]:
    """Check every session can be encoded, then export, with a progress bar on a terminal."""
    from runcoach.export import export, planned_jobs, total_frames

    planned = planned_jobs(thing, folder, settings)  # before a progress bar shows
    if quiet or not sys.stderr.isatty():
        return export(thing, folder, settings, workers=jobs, force=force, planned=planned), planned
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[files]}/{task.fields[of]} ·"),
        _audio_column(settings.rate),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task(
            f"Rendering {plural(len(planned), 'session')}",
            total=total_frames(planned),
            files=0,
            of=plural(len(planned), "session"),
        )
        report = export(
            thing,
            folder,
            settings,
            workers=jobs,
            force=force,
            progress=lambda n: bar.advance(task, n),
            planned=planned,
            on_file=lambda path, skipped: bar.update(task, files=bar.tasks[0].fields["files"] + 1),
        )
    return report, planned


def _audio_column(rate: int) -> Any:
    """A progress column: the audio rendered so far and in all, as clock times (the bar counts
    frames; nobody wants to read 2356263000/2356263000)."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class AudioColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            done = format_seconds(int(task.completed) // rate)
            total = format_seconds(int(task.total or 0) // rate)
            return Text(f"{done}/{total}")

    return AudioColumn()
