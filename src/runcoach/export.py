"""Export a plan or a whole program: one file per session, sortable names, an M3U playlist.

Sessions render in parallel worker processes (the MP3 encoder holds the GIL). A manifest in the
folder (``.runcoach-export.json``) records a fingerprint of each file's plan and options, so a
second export skips the files that are already up to date. Every file is written atomically;
an interrupted export leaves only complete files behind.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import Any

from runcoach._version import __version__
from runcoach.errors import OutputError, PlanError
from runcoach.interop import WORKOUT_FORMATS, workout_bytes
from runcoach.mix.layers import Layers
from runcoach.mix.levels import MixOptions
from runcoach.plans.loader import read_input
from runcoach.plans.model import Plan
from runcoach.plans.programs import Program
from runcoach.plans.units import clean_text, format_spm, slug
from runcoach.rendering import render_session, session_inputs
from runcoach.sinks.atomic import (
    atomic_output,
    check_destination,
    discard_temporaries,
    folder_lock,
    remove_stale_parts,
)
from runcoach.sinks.encoding import check_encoding
from runcoach.sinks.tags import Tags
from runcoach.timeline import Session, resolve

MANIFEST = ".runcoach-export.json"
#: The largest manifest read: a line per file, 2,184 sessions at most (104 weeks of 21).
MAX_MANIFEST_BYTES = 4_000_000


class Cancelled(BaseException):
    """Raised inside a worker when the export is being stopped (cleans up like Ctrl-C)."""


@dataclass(frozen=True)
class Settings:
    """How every session of an export is rendered."""

    spm: float | None = None
    breath: str | None = None
    sound: str | None = None
    rate: int = 44100
    countdown: int = 3
    fmt: str = "mp3"
    bitrate: int | None = None
    quality: float | None = None
    mix: MixOptions = field(default_factory=MixOptions)
    layers: Layers = field(default_factory=Layers)
    #: Watch workouts (``fmt`` ``fit`` or ``zwo``): the cadence band and FIT's cadence unit.
    tolerance: float = 3.0
    fit_cadence: str = "strides"

    @property
    def workout(self) -> bool:
        """True when the export writes watch workouts rather than audio."""
        return self.fmt in WORKOUT_FORMATS

    def describe(self) -> str:
        """Everything that changes the audio, as text for the fingerprint."""
        music = ""
        if self.layers.music is not None:
            stat = os.stat(self.layers.music)
            music = f"{os.fspath(self.layers.music)}:{stat.st_size}:{stat.st_mtime_ns}"
        return repr(
            (
                self.spm,
                self.breath,
                self.sound,
                self.rate,
                self.countdown,
                self.fmt,
                self.bitrate,
                self.quality,
                self.mix,
                self.layers.voice is not None and self.layers.voice.lang,  # False or "de"
                self.layers.announce_every,
                music,
                self.layers.voice_db,
                self.layers.music_db,
                self.tolerance,
                self.fit_cadence,
            )
        )


@dataclass(frozen=True)
class Job:
    """One file to write: its session, name, tags and fingerprint."""

    path: Path
    session: Session
    tags: Tags
    fingerprint: str


@dataclass
class Report:
    """What an export did."""

    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    playlist: Path | None = None


def _peak_spm(session: Session) -> str:
    """The session's highest cadence, from its plan's tree (a 100,000-segment session costs
    its few distinct segments, not 100,000)."""
    from runcoach.outlines import summary

    return format_spm(summary(session.plan, session.base_spm).spm_high)


def jobs_for(target: Plan | Program, folder: Path, settings: Settings) -> list[Job]:
    """The files an export of ``target`` writes into ``folder``, in play order.

    Program sessions are named ``w01-s1-<plan>-<cadence>spm.<ext>`` (the cadence is the
    session's highest), a plan ``<plan>-<cadence>spm.<ext>``. Raises ``PlanError`` or
    ``OptionError`` for a session that cannot be resolved, before anything is written.
    """
    ext = settings.fmt
    items: list[tuple[Plan, str, str, str]] = []  # plan, file stem, title, album
    if isinstance(target, Program):
        entries = list(target.sessions())
        for w, s, plan in entries:
            inner = target.weeks[w - 1].sessions[s - 1].plan.name
            items.append(
                (
                    plan,
                    f"w{w:02d}-s{s}-{slug(inner)}",
                    f"Week {w} · Session {s} · {inner}",
                    target.name,
                )
            )
    else:
        items.append((target, slug(target.name), target.name, "runcoach"))
    out = []
    count = len(items)
    base = settings.describe() + __version__
    for number, (plan, stem, title, album) in enumerate(items, start=1):
        session = resolve(
            plan,
            spm=settings.spm,
            breath=settings.breath,
            sound=settings.sound,
            rate=settings.rate,
            countdown=settings.countdown,
        )
        cadence = _peak_spm(session)
        tags = Tags(
            title=f"{title} · {cadence} spm",
            album=album,
            track=f"{number}/{count}" if count > 1 else "",
            comment=plan.description[:500],
        )
        digest = hashlib.sha256((repr(plan) + repr(tags) + base).encode()).hexdigest()
        out.append(Job(folder / f"{stem}-{cadence}spm.{ext}", session, tags, digest))
    return out


def _read_manifest(folder: Path) -> dict[str, str]:
    """The manifest's entries; none when it is missing, too large or not JSON (every file is
    then written again, and the manifest with them). Raises ``OutputError`` when it is not a
    regular file (a FIFO, a device, a link to ``/dev/zero``): that is not ours to replace."""
    path = folder / MANIFEST
    check_destination(path)
    try:
        text = read_input(path, limit=MAX_MANIFEST_BYTES, what="export manifest")
        data = json.loads(text.decode("utf-8"))
    except (PlanError, ValueError, RecursionError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def is_current(job: Job, manifest: dict[str, str]) -> bool:
    """True when ``job``'s file exists and was written for the same plan and options."""
    return manifest.get(job.path.name) == job.fingerprint and job.path.is_file()


_queue: Any = None  # in a worker process: where progress goes
_stop_event: Any = None  # in a worker process: set by the parent to stop every worker
_busy = False  # in a worker process: a file is being written


def _worker_init(queue: Any, stop: Any, parent: int, lock: tuple[int, int, int] | None) -> None:
    """Set up a worker process: progress queue and stop event; the parent alone handles
    Ctrl-C (it sets the stop event, and each worker stops at its next block). A worker dies
    with its parent (``kill -9`` included), removing its temporary file."""
    global _queue, _stop_event
    _queue = queue
    _stop_event = stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_stop)
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    _let_go_of_folder(lock)
    _die_with_parent(parent)


def _let_go_of_folder(lock: tuple[int, int, int] | None) -> None:
    """Close a forked worker's copy of the parent's folder lock, so that the lock lives only
    as long as the parent (the descriptor is checked to be that folder's first)."""
    if lock is None:
        return
    fd, device, inode = lock
    try:
        info = os.fstat(fd)
    except OSError:
        return
    if (info.st_dev, info.st_ino) == (device, inode):
        os.close(fd)


#: The signal Linux sends a worker when its parent dies (``prctl(PR_SET_PDEATHSIG)``).
_ORPHAN_SIGNAL = getattr(signal, "SIGUSR1", signal.SIGTERM)
_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """End this worker when process ``parent`` dies: Linux signals it (prctl); elsewhere a
    thread watches the parent's id. Either way the temporary file goes first."""

    def orphaned(signum: int = 0, frame: object = None) -> None:
        if os.getppid() != parent:
            discard_temporaries()
            os._exit(1)

    armed = False
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            signal.signal(_ORPHAN_SIGNAL, orphaned)
            armed = libc.prctl(_PR_SET_PDEATHSIG, int(_ORPHAN_SIGNAL), 0, 0, 0) == 0
        except (OSError, AttributeError, ValueError):
            armed = False
    if os.getppid() != parent:  # the parent died before the signal was armed
        orphaned()
    if not armed:
        import threading

        def watch() -> None:
            while True:
                time.sleep(0.5)
                orphaned()

        threading.Thread(target=watch, name="runcoach-parent-watch", daemon=True).start()


def _worker_stop(signum: int, frame: object) -> None:
    # Mid-file: unwind so the temporary file is removed; idle: just leave.
    if _busy:
        raise Cancelled()
    os._exit(0)


def _render(
    job: Job, settings: Settings, progress: Callable[[int], None] | None, every: int = 1
) -> None:
    """Render one file, reporting progress as increments of at least ``every`` frames."""
    if settings.workout:
        data = workout_bytes(
            job.session,
            fmt=settings.fmt,
            tolerance=settings.tolerance,
            fit_cadence=settings.fit_cadence,
        )
        with atomic_output(job.path) as handle:
            handle.write(data)
        if progress is not None:
            progress(job.session.total_frames)
        return
    last = 0

    def report(done: int) -> None:
        nonlocal last
        if progress is not None and (done - last >= every or done == job.session.total_frames):
            progress(done - last)
            last = done

    render_session(
        job.session,
        job.path,
        settings.mix,
        fmt=settings.fmt,
        bitrate=settings.bitrate,
        quality=settings.quality,
        tags=job.tags,
        layers=settings.layers,
        progress=report,
    )


def _render_job(job: Job, settings: Settings) -> None:
    """Render one file in a worker process, sending progress to the parent."""
    global _busy

    def progress(frames: int) -> None:
        if _stop_event is not None and _stop_event.is_set():
            raise Cancelled()
        if _queue is not None:
            _queue.put(frames)

    if _stop_event is not None and _stop_event.is_set():
        return
    _busy = True
    try:
        _render(job, settings, progress, every=1)
    finally:
        _busy = False


def export(
    target: Plan | Program,
    folder: str | os.PathLike[str],
    settings: Settings,
    *,
    workers: int | None = None,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
    on_file: Callable[[Path, bool], None] | None = None,
) -> Report:
    """Render every session of ``target`` into ``folder`` (created if missing).

    ``workers`` processes render in parallel (default: one per core; 1 renders here, in this
    process); files already up to date are skipped unless ``force``. ``progress`` gets frames
    rendered (increments), ``on_file`` each finished path and whether it was skipped. Raises
    ``OutputError`` for a folder that cannot be made, and whatever a session raises (the other
    sessions stop, and only complete files stay).
    """
    dest = Path(folder)
    todo = jobs_for(target, dest, settings)
    for job in todo if not settings.workout else ():  # before anything is made
        check_encoding(
            settings.fmt,
            rate=settings.rate,
            channels=settings.mix.channels,
            total_frames=job.session.total_frames,
            bitrate=settings.bitrate,
            quality=settings.quality,
        )
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
    """The export proper, with the folder locked: skip what is current, render the rest."""
    manifest = {} if force else _read_manifest(dest)
    if force:
        check_destination(dest / MANIFEST)
    report = Report()

    def finished(job: Job) -> None:
        manifest[job.path.name] = job.fingerprint
        _write_json(dest / MANIFEST, manifest)
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
    # Workouts take milliseconds each: no worker processes for them.
    cores = 1 if settings.workout else (workers or os.cpu_count() or 1)
    count = min(len(pending), max(1, cores))
    if count <= 1:
        for job in pending:
            _render(job, settings, progress)
            finished(job)
    else:
        _run_parallel(pending, settings, count, progress, finished, lock)
    report.written.sort()
    if (isinstance(target, Program) or len(todo) > 1) and not settings.workout:
        report.playlist = write_playlist(dest / f"{slug(target.name)}.m3u", todo)
    return report


def _run_parallel(
    pending: list[Job],
    settings: Settings,
    count: int,
    progress: Callable[[int], None] | None,
    finished: Callable[[Job], None],
    lock: tuple[int, int, int] | None = None,
) -> None:
    context = multiprocessing.get_context()
    queue = context.Queue()
    stop = context.Event()
    pool = ProcessPoolExecutor(
        max_workers=count,
        mp_context=context,
        initializer=_worker_init,
        initargs=(queue, stop, os.getpid(), lock),
    )
    futures = {pool.submit(_render_job, job, settings): job for job in pending}

    def drain() -> None:
        while True:
            try:
                frames = queue.get_nowait()
            except Empty:
                return
            if progress is not None:
                progress(frames)

    try:
        remaining = set(futures)
        while remaining:
            done, remaining = wait(remaining, timeout=0.1, return_when=FIRST_EXCEPTION)
            drain()
            for future in done:
                error = future.exception()
                if error is not None:
                    raise error
                finished(futures[future])
        drain()
    except BaseException:
        # Workers stop at their next block, removing their temporary files; queued sessions
        # never start. Then the pool ends as usual.
        stop.set()
        for future in futures:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def write_playlist(path: Path, items: list[Job]) -> Path:
    """An extended M3U playlist of the files (relative names, UTF-8), written atomically.
    Titles are cleaned of control characters: a name never adds a line to the playlist."""
    lines = ["#EXTM3U", f"#PLAYLIST:{clean_text(path.stem)}"]
    for job in items:
        seconds = round(job.session.total_seconds)
        lines.append(f"#EXTINF:{seconds},{clean_text(job.tags.title)}")
        lines.append(clean_text(job.path.name))
    with atomic_output(path) as handle:
        handle.write(("\n".join(lines) + "\n").encode("utf-8"))
    return path


def _write_json(path: Path, data: dict[str, str]) -> None:
    with atomic_output(path) as handle:
        handle.write(json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))


def total_frames(items: list[Job]) -> int:
    """Frames of all the files, for progress bars."""
    return sum(job.session.total_frames for job in items)
