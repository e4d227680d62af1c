"""What an export writes: the settings, one job per file, the distinct audio streams among them,
the manifest that lets a second export skip what is current, and the playlist."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from runcoach._version import __version__
from runcoach.errors import PlanError
from runcoach.interop import WORKOUT_FORMATS
from runcoach.mix.layers import Layers
from runcoach.mix.levels import MixOptions
from runcoach.plans.loader import read_input
from runcoach.plans.model import Plan
from runcoach.plans.programs import Program
from runcoach.plans.units import clean_text, format_spm, slug
from runcoach.sinks.atomic import atomic_output, check_destination
from runcoach.sinks.tags import Tags
from runcoach.timeline import Session, resolve

MANIFEST = ".runcoach-export.json"
#: The largest manifest read: a line per file, 2,184 sessions at most (104 weeks of 21).
MAX_MANIFEST_BYTES = 4_000_000


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


@dataclass(frozen=True)
class Stream:
    """Files whose audio is identical: the first is rendered and encoded, the others are
    copies of its encoded audio with their own tags."""

    jobs: tuple[Job, ...]

    @property
    def frames(self) -> int:
        """Frames of all its files (for progress)."""
        return sum(job.session.total_frames for job in self.jobs)


@dataclass
class Report:
    """What an export did: the files written and skipped, the playlist, and how many distinct
    audio streams were rendered and encoded for the written files (the rest are copies)."""

    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    playlist: Path | None = None
    encoded: int = 0


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


def audio_key(session: Session, settings: Settings) -> str:
    """A digest of everything that decides a session's encoded audio and its chapters.

    The settings (format, bit rate, quality, rate, mix and level options, voice and its
    language, announce-every, music) and the resolved session: its rate, length, countdown and
    base cadence, and each expanded segment's frames, cadence, steps, breath pattern, click
    sound and name (the voice says the name; chapters carry it). Plan and program names,
    titles and descriptions are left out: they only go into each file's tags. Two sessions with
    the same key give the same samples. Walks the segments once, holding none of them.
    """
    digest = hashlib.sha256(settings.describe().encode())
    digest.update(
        repr((session.rate, session.total_frames, session.countdown, session.base_spm)).encode()
    )
    for seg in session.segments():
        fields = (
            seg.name,
            seg.start_frame,
            seg.end_frame,
            seg.duration_seconds,
            seg.spm_start,
            seg.spm_end,
            seg.breath,
            seg.sound,
            seg.steps,
            seg.first_step,
        )
        digest.update(repr(fields).encode() + b"\n")
    return digest.hexdigest()


def streams_of(jobs: list[Job], settings: Settings) -> list[Stream]:
    """``jobs`` grouped by identical audio (:func:`audio_key`), in order of first appearance.

    Workouts are written one by one (each takes milliseconds): one stream per job.
    """
    if settings.workout:
        return [Stream((job,)) for job in jobs]
    groups: dict[str, list[Job]] = {}
    for job in jobs:
        groups.setdefault(audio_key(job.session, settings), []).append(job)
    return [Stream(tuple(group)) for group in groups.values()]


def read_manifest(folder: Path) -> dict[str, str]:
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


def write_json(path: Path, data: dict[str, str]) -> None:
    """``data`` as JSON at ``path``, atomically."""
    with atomic_output(path) as handle:
        handle.write(json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))


def total_frames(items: list[Job]) -> int:
    """Frames of all the files, for progress bars."""
    return sum(job.session.total_frames for job in items)
