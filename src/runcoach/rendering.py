"""Render a plan to an audio file: the flow plan → session → blocks → file sink."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from runcoach.errors import OptionError, PlanError
from runcoach.mix.announce import announcements
from runcoach.mix.blocks import Overlay, pcm16_blocks, pcm16_pieces
from runcoach.mix.layers import Layers, layered_blocks, mix_and_voice_levels
from runcoach.mix.levels import BLOCK_FRAMES, MixOptions
from runcoach.plans.model import Breath, Plan
from runcoach.plans.units import format_spm, parse_number, quote
from runcoach.sinks.atomic import check_destination
from runcoach.sinks.codecs import write_audio
from runcoach.sinks.encoding import check_encoding, format_for
from runcoach.sinks.tags import Chapter, Tags
from runcoach.sinks.wav import write_wav_sparse
from runcoach.timeline import Session, resolve


@dataclass(frozen=True)
class RenderResult:
    """What was written: the path, the session it holds, and its size in bytes."""

    path: Path
    session: Session
    channels: int
    bytes: int


#: Frames per block on the WAV fast path (bigger blocks, fewer Python steps; same bytes).
WAV_BLOCK_FRAMES = 262144
#: Formats fed 16-bit PCM from the sparse mixer (M4A's AAC encodes floats: the float blocks).
PCM16_FORMATS = ("wav", "flac", "ogg", "mp3")
#: Frames per block for the encoders fed from the sparse mixer: 0.5 MB of 16-bit mono.
PCM16_BLOCK_FRAMES = 262144
#: Files get one chapter per segment, up to this many (a 3-digit Vorbis chapter number).
MAX_CHAPTERS = 999


def chapters_of(session: Session) -> list[Chapter]:
    """One chapter per segment, named after it (none past :data:`MAX_CHAPTERS` segments)."""
    if session.segment_count > MAX_CHAPTERS:
        return []
    return [Chapter(seg.start_frame, seg.end_frame, seg.name) for seg in session.segments()]


def default_tags(session: Session, *, album: str = "", track: str = "") -> Tags:
    """Title (plan and cadence), artist, album and track for a rendered session."""
    title = f"{session.plan.name} · {format_spm(session.base_spm)} spm"
    comment = session.plan.description[:500]
    return Tags(title=title, album=album or "runcoach", track=track, comment=comment)


def render_session(
    session: Session,
    path: str | os.PathLike[str],
    options: MixOptions | None = None,
    *,
    fmt: str | None = None,
    bitrate: int | None = None,
    quality: float | None = None,
    tags: Tags | None = None,
    layers: Layers | None = None,
    progress: Callable[[int], None] | None = None,
    block_frames: int = BLOCK_FRAMES,
) -> RenderResult:
    """Write ``session`` to ``path``, streaming block by block (memory stays flat).

    ``fmt`` (wav, flac, ogg, mp3, m4a) defaults to the file ending; ``bitrate`` in kbps for MP3
    and M4A, ``quality`` 0–10 for OGG; ``tags`` default to :func:`default_tags`; every file gets
    one chapter per segment; ``layers`` adds spoken announcements and music. ``progress`` is
    called with the frames written so far. Everything that can be checked is checked before any
    work: the format's limits (an empty session, a bit rate the rate cannot carry) and the
    destination (a regular file or nothing, never one of the session's inputs).
    Raises ``OptionError`` or ``OutputError``.
    """
    options = options or MixOptions()
    kind = format_for(path, fmt)
    layers = layers or Layers()
    inputs = session_inputs(session, layers)
    check_encoding(
        kind,
        rate=session.rate,
        channels=options.channels,
        total_frames=session.total_frames,
        bitrate=bitrate,
        quality=quality,
    )
    check_destination(path, inputs=inputs)
    if kind == "wav" and not layers.active and bitrate is None and quality is None:
        # The fast path: only the stretches that sound are converted and written.
        dest = write_wav_sparse(
            path,
            pcm16_pieces(session, options, block_frames=WAV_BLOCK_FRAMES),
            rate=session.rate,
            channels=options.channels,
            total_frames=session.total_frames,
            tags=tags or default_tags(session),
            chapters=chapters_of(session),
            progress=progress,
        )
        return RenderResult(dest, session, options.channels, dest.stat().st_size)
    dest = write_audio(
        path,
        _audio(session, options, layers, kind, block_frames),
        fmt=kind,
        rate=session.rate,
        channels=options.channels,
        total_frames=session.total_frames,
        tags=tags or default_tags(session),
        chapters=chapters_of(session),
        bitrate=bitrate,
        quality=quality,
        progress=progress,
        inputs=inputs,
    )
    return RenderResult(dest, session, options.channels, dest.stat().st_size)


def _audio(
    session: Session, options: MixOptions, layers: Layers, kind: str, block_frames: int
) -> Iterator[np.ndarray]:
    """The blocks a format is fed: 16-bit PCM from the sparse mixer for WAV, FLAC, OGG and MP3
    (the voice laid over it where it sounds), float blocks for M4A and under music (which
    sounds everywhere)."""
    if kind not in PCM16_FORMATS or layers.music is not None:
        return layered_blocks(session, options, layers, block_frames=block_frames)
    if layers.voice is None:
        return pcm16_blocks(session, options, block_frames=PCM16_BLOCK_FRAMES)
    base, voice = _voice_overlay(session, options, layers)
    return pcm16_blocks(session, base, block_frames=PCM16_BLOCK_FRAMES, overlay=voice)


def _voice_overlay(
    session: Session, options: MixOptions, layers: Layers
) -> tuple[MixOptions, Iterator[Overlay]]:
    """The mix's options and the spoken announcements at their level, as
    :func:`layered_blocks` makes them without music (tests/test_encoders.py checks that the
    samples are the same)."""
    base, gain = mix_and_voice_levels(options, layers)
    clips: Iterator[Overlay] = iter(())
    if layers.voice is not None:
        said = announcements(session, layers.voice, every_seconds=layers.announce_every)
        clips = ((phrase.frame, clip * gain) for phrase, clip in said)
    return base, clips


def session_inputs(session: Session, layers: Layers | None = None) -> list[str | None]:
    """The files a rendered session is made from (its plan file, the program file of a
    program's session, the music): an output may never be one of them."""
    plan = session.plan
    program = plan.origin.source if plan.origin is not None else None
    music = os.fspath(layers.music) if layers is not None and layers.music is not None else None
    return [plan.source, program, music]


def render(
    plan: Plan | str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    spm: float | Fraction | None = None,
    breath: Breath | str | None = None,
    sound: str | None = None,
    rate: int = 44100,
    stereo: bool = False,
    volume: float = 1.0,
    guide: bool = False,
    countdown: int = 3,
    fmt: str | None = None,
    bitrate: int | None = None,
) -> RenderResult:
    """Render ``plan`` to an audio file at ``path``.

    ``plan`` is a :class:`Plan` (from :func:`runcoach.load_plan`, :func:`runcoach.parse_plan`,
    or built in code) or a plan name or path, loaded with :func:`runcoach.load_plan` (for a
    program's session, load it with ``load_plan(name, week=W, session=S)`` first).

    ``spm`` replaces the plan's base cadence; ``breath`` (``"4:6"``, ``"off"``) and ``sound``
    replace its top-level pattern and click; ``rate`` in Hz; ``stereo`` pans the feet left and
    right; ``volume`` 0–1; ``guide`` adds a continuous breath guide tone; ``countdown`` seconds of
    pips before each segment change. Returns a :class:`RenderResult`. Raises ``PlanError``,
    ``OptionError`` or ``OutputError``.
    """
    if not isinstance(plan, Plan):
        from runcoach.plans.catalogue import load_plan

        plan = load_plan(plan)
    session = resolve(plan, spm=spm, breath=breath, sound=sound, rate=rate, countdown=countdown)
    return render_session(
        session, path, _mix_options(stereo, volume, guide), fmt=fmt, bitrate=bitrate
    )


def _mix_options(stereo: object, volume: object, guide: object) -> MixOptions:
    """The mix from :func:`render`'s arguments, each checked (``OptionError``)."""
    for name, flag in (("stereo", stereo), ("guide", guide)):
        if not isinstance(flag, bool):
            raise OptionError(f"{name} must be True or False, got {quote(flag)}")
    try:
        level = parse_number(volume, field="volume")
    except PlanError as err:
        raise OptionError(f"volume: {err.problem}") from None
    return MixOptions(stereo=bool(stereo), volume=float(level), guide=bool(guide))
