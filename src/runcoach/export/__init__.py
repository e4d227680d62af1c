"""Export a plan or a whole program: one file per session, sortable names, an M3U playlist.

Sessions whose audio is identical (a program repeats sessions) are rendered and encoded once;
the other files get the same encoded audio with their own tags (:mod:`.copies`). Distinct
streams render in parallel worker processes (:mod:`.workers`; the MP3 encoder holds the GIL).
A manifest in the folder (``.runcoach-export.json``) records a fingerprint of each file's plan
and options, so a second export skips the files that are already up to date (:mod:`.jobs`).
Every file is written atomically; an interrupted export leaves only complete files behind.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from runcoach.errors import OutputError
from runcoach.export.jobs import (
    MANIFEST,
    MAX_MANIFEST_BYTES,
    Job,
    Report,
    Settings,
    Stream,
    audio_key,
    is_current,
    jobs_for,
    read_manifest,
    streams_of,
    total_frames,
    write_json,
    write_playlist,
)
from runcoach.export.workers import Cancelled, render_file, run_parallel, write_stream
from runcoach.plans.model import Plan
from runcoach.plans.programs import Program
from runcoach.plans.units import slug
from runcoach.rendering import session_inputs
from runcoach.sinks.atomic import check_destination, folder_lock, remove_stale_parts
from runcoach.sinks.encoding import check_encoding

__all__ = [
    "MANIFEST",
    "MAX_MANIFEST_BYTES",
    "Cancelled",
    "Job",
    "Report",
    "Settings",
    "Stream",
    "audio_key",
    "export",
    "is_current",
    "jobs_for",
    "planned_jobs",
    "render_file",
    "streams_of",
    "total_frames",
    "write_playlist",
]


def planned_jobs(target: Plan | Program, folder: Path, settings: Settings) -> list[Job]:
    """The files an export of ``target`` into ``folder`` writes (:func:`jobs_for`), every
    session checked to be encodable in ``settings`` before anything is made: raises
    ``OptionError`` naming what the format cannot hold."""
    todo = jobs_for(target, folder, settings)
    for job in todo if not settings.workout else ():
        check_encoding(
            settings.fmt,
            rate=settings.rate,
            channels=settings.mix.channels,
            total_frames=job.session.total_frames,
            bitrate=settings.bitrate,
            quality=settings.quality,
        )
    return todo


def export(
    target: Plan | Program,
    folder: str | os.PathLike[str],
    settings: Settings,
    *,
    workers: int | None = None,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
    on_file: Callable[[Path, bool], None] | None = None,
    planned: list[Job] | None = None,
) -> Report:
    """Render every session of ``target`` into ``folder`` (created if missing).

    Sessions with identical audio are rendered and encoded once (``Report.encoded`` counts
    the distinct streams encoded); the other files are copies with their own tags. ``workers``
    processes render in parallel, one distinct stream each at a time (default: one per core; 1
    renders here, in this process); files already up to date are skipped unless ``force``.
    ``progress`` gets frames done (increments, every file's length counted once), ``on_file``
    each finished path and whether it was skipped; ``planned``: what :func:`planned_jobs` gave
    for the same target, folder and settings (else it is worked out here). Raises
    ``OutputError`` for a folder that cannot be made, and whatever a session raises (the other
    sessions stop, and only complete files stay).
    """
    dest = Path(folder)
    todo = planned if planned is not None else planned_jobs(target, dest, settings)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"{dest}: cannot create the folder: {err.strerror or err}") from None
    if not dest.is_dir():
        raise OutputError(f"{dest}: is not a folder")
    for job in todo:
        check_destination(job.path, inputs=session_inputs(job.session, settings.layers))
    with folder_lock(dest) as lock:
        remove_stale_parts(dest)  # left by an export killed with kill -9
        return _export_locked(target, dest, todo, settings, lock, workers, force, progress, on_file)


def _export_locked(
    target: Plan | Program,
    dest: Path,
    todo: list[Job],
    settings: Settings,
    lock: tuple[int, int, int] | None,
    workers: int | None,
    force: bool,
    progress: Callable[[int], None] | None,
    on_file: Callable[[Path, bool], None] | None,
) -> Report:
    """The export proper, with the folder locked: skip what is current, group the rest by
    identical audio, write each group."""
    manifest = {} if force else read_manifest(dest)
    if force:
        check_destination(dest / MANIFEST)
    report = Report()

    def finished(job: Job) -> None:
        manifest[job.path.name] = job.fingerprint
        write_json(dest / MANIFEST, manifest)
        report.written.append(job.path)
        if on_file is not None:
            on_file(job.path, False)

    pending = []
    for job in todo:
        if is_current(job, manifest):
            report.skipped.append(job.path)
            if progress is not None:
                progress(job.session.total_frames)
            if on_file is not None:
                on_file(job.path, True)
        else:
            pending.append(job)
    streams = streams_of(pending, settings)
    report.encoded = len(streams)
    # Workouts take milliseconds each: no worker processes for them.
    cores = 1 if settings.workout else (workers or os.cpu_count() or 1)
    count = min(len(streams), max(1, cores))
    if count <= 1:
        for stream in streams:
            write_stream(stream, settings, progress, finished)
    else:
        run_parallel(streams, settings, count, progress, finished, lock)
    report.written.sort()
    if (isinstance(target, Program) or len(todo) > 1) and not settings.workout:
        report.playlist = write_playlist(dest / f"{slug(target.name)}.m3u", todo)
    return report
