"""Writing an export's files: one distinct audio stream at a time (rendered and encoded once,
then copied with each file's tags), here or in worker processes.

Workers are a ``ProcessPoolExecutor`` (the MP3 encoder holds the GIL) with one task per
distinct stream. They send progress (frames, as ``int``) and each finished file (its name, as
``str``) to the parent through a queue. The parent alone handles Ctrl-C: it sets a stop event
and every worker stops at its next block, removing its temporary file.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from queue import Empty
from typing import Any

from runcoach.export.copies import copy_with_tags
from runcoach.export.jobs import Job, Settings, Stream
from runcoach.interop import workout_bytes
from runcoach.rendering import chapters_of, render_session
from runcoach.sinks.atomic import atomic_output, discard_temporaries


class Cancelled(BaseException):
    """Raised inside a worker when the export is being stopped (cleans up like Ctrl-C)."""


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


def render_file(
    job: Job, settings: Settings, progress: Callable[[int], None] | None, every: int = 1
) -> None:
    """Render and encode one file, reporting progress as increments of at least ``every``
    frames."""
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


def write_stream(
    stream: Stream,
    settings: Settings,
    progress: Callable[[int], None] | None,
    finished: Callable[[Job], None],
    check: Callable[[], None] | None = None,
) -> None:
    """Write every file of ``stream``: the first rendered and encoded, each other one a copy
    of its encoded audio with its own tags. ``progress`` gets frames (a copy counts its whole
    length when done), ``finished`` each file as it is complete; ``check`` is called before
    each copy (it raises to stop)."""
    first, *others = stream.jobs
    render_file(first, settings, progress)
    finished(first)
    chapters = chapters_of(first.session) if settings.fmt == "wav" else []
    for job in others:
        if check is not None:
            check()
        copy_with_tags(first.path, job.path, fmt=settings.fmt, tags=job.tags, chapters=chapters)
        if progress is not None:
            progress(job.session.total_frames)
        finished(job)


def _write_stream_job(stream: Stream, settings: Settings) -> None:
    """Write one stream's files in a worker process, telling the parent how it goes."""
    global _busy

    def check() -> None:
        if _stop_event is not None and _stop_event.is_set():
            raise Cancelled()

    def progress(frames: int) -> None:
        check()
        if _queue is not None:
            _queue.put(frames)

    def finished(job: Job) -> None:
        if _queue is not None:
            _queue.put(job.path.name)

    if _stop_event is not None and _stop_event.is_set():
        return
    _busy = True
    try:
        write_stream(stream, settings, progress, finished, check)
    finally:
        _busy = False


def run_parallel(
    pending: list[Stream],
    settings: Settings,
    count: int,
    progress: Callable[[int], None] | None,
    finished: Callable[[Job], None],
    lock: tuple[int, int, int] | None = None,
) -> None:
    """Write ``pending`` in ``count`` worker processes, one task per stream; ``finished`` is
    called here for each file as its worker reports it complete."""
    context = multiprocessing.get_context()
    queue = context.Queue()
    stop = context.Event()
    pool = ProcessPoolExecutor(
        max_workers=count,
        mp_context=context,
        initializer=_worker_init,
        initargs=(queue, stop, os.getpid(), lock),
    )
    by_name = {job.path.name: job for stream in pending for job in stream.jobs}
    # Longest first: the last task to start is a short one, so the workers finish together.
    ordered = sorted(pending, key=lambda stream: -stream.jobs[0].session.total_frames)
    futures = [pool.submit(_write_stream_job, stream, settings) for stream in ordered]
    unreported = set(by_name)

    def drain(wait_seconds: float = 0.0) -> None:
        while True:
            try:
                message = queue.get(timeout=wait_seconds) if wait_seconds else queue.get_nowait()
            except Empty:
                return
            if isinstance(message, str):
                unreported.discard(message)
                finished(by_name[message])
            elif progress is not None:
                progress(message)

    try:
        remaining = set(futures)
        while remaining:
            done, remaining = wait(remaining, timeout=0.1, return_when=FIRST_EXCEPTION)
            drain()
            for future in done:
                error = future.exception()
                if error is not None:
                    raise error
        # A worker's queue is fed by a thread: a finished task's last messages may come a
        # little after its result. Every file was written; each is reported once.
        deadline = time.monotonic() + 5.0
        while unreported and time.monotonic() < deadline:
            drain(0.05)
        drain()
        for name in sorted(unreported):
            finished(by_name[name])
    except BaseException:
        # Workers stop at their next block, removing their temporary files; queued streams
        # never start. Then the pool ends as usual.
        stop.set()
        for future in futures:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
