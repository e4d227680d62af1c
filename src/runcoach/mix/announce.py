"""Spoken announcements: what is said when, placed between the session's cues.

Each segment is announced at its start ("Run, two minutes, one seventy"), long segments get
"Halfway" and "One minute left", ``--announce-every`` adds "N minutes to go", and the session
ends with "Session complete", all in the voice's language (:mod:`runcoach.sounds.phrases`).
Words never cover a breath cue or a segment signal: a phrase waits for a gap between cues, or
is said in parts.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from runcoach.mix.spans import cue_spans
from runcoach.sounds.phrases import Language, language
from runcoach.sounds.voice import Voice
from runcoach.timeline import Session, TimedSegment

#: Segments at least this long (seconds) get "halfway" and "one minute left".
LONG_SEGMENT = 240
#: Silence kept after a breath cue before a word starts, and before the next cue (seconds).
_CUE_MARGIN = 0.05
#: How far after its moment a phrase may still be said whole (seconds).
_WINDOW_SECONDS = 8
#: Silence kept between two phrases (seconds).
PHRASE_GAP_SECONDS = 0.2


def segment_phrase(seg: TimedSegment, lang: str | Language = "en") -> str:
    """What is said at a segment's start in ``lang``: "Run, two minutes, one seventy" (the
    segment's name is the plan's own text, said as written)."""
    book = lang if isinstance(lang, Language) else language(lang)
    end = seg.spm_end if seg.is_ramp else None
    return book.segment(seg.name, seg.duration_seconds, seg.spm_start, end)


@dataclass(frozen=True)
class Announcement:
    """A phrase to be spoken from ``frame`` on."""

    frame: int
    text: str


def _place(target: int, length: int, spans: list[tuple[int, int]], limit: int) -> int | None:
    """The first frame from ``target`` where ``length`` frames meet no span and end before
    ``limit``; None when there is no such room."""
    candidate = target
    for start, end in sorted(spans):
        if end <= candidate:
            continue
        if start >= candidate + length:
            break
        candidate = end
    return candidate if candidate + length <= limit else None


class _Spans:
    """The cue spans of the session, read forward segment by segment."""

    def __init__(self, session: Session, margin: int) -> None:
        self._stream = cue_spans(session, margin=margin)
        self._ahead: deque[tuple[int, int]] = deque()
        self._next = next(self._stream, None)

    def within(self, seg: TimedSegment) -> list[tuple[int, int]]:
        """The spans that touch ``seg`` (sorted)."""
        while self._next is not None and self._next[0] < seg.end_frame:
            self._ahead.append(self._next)
            self._next = next(self._stream, None)
        while self._ahead and self._ahead[0][1] <= seg.start_frame:
            self._ahead.popleft()
        return list(self._ahead)


def _wanted(
    seg: TimedSegment, session: Session, voice: Voice, every_seconds: int | None
) -> list[tuple[int, str]]:
    """What this segment would like said, and from which frame."""
    sr, total = session.rate, session.total_frames
    book = language(voice.lang)
    wanted: list[tuple[int, str]] = [(seg.start_frame, segment_phrase(seg, book))]
    if seg.duration_seconds >= LONG_SEGMENT:
        wanted.append((seg.start_frame + seg.frames // 2, book.phrase("halfway")))
        wanted.append((seg.end_frame - 60 * sr, book.phrase("minute_left")))
    if every_seconds:
        step = every_seconds * sr
        first = -(-max(seg.start_frame, 1) // step) * step
        for frame in range(first, seg.end_frame, step):
            left = round((total - frame) / sr / 60)
            if left > 0 and frame - seg.start_frame > 5 * sr:
                wanted.append((frame, book.to_go(left)))
    if seg.end_frame == total:
        finish = book.phrase("finish")
        clip = voice.say(finish)
        wanted.append((max(seg.start_frame, total - len(clip) - int(1.5 * sr)), finish))
    return sorted(wanted)


def _pieces(
    text: str, when: tuple[int, int], seg: TimedSegment, spans: list[tuple[int, int]], voice: Voice
) -> list[tuple[int, str]]:
    """Where to say ``text`` (wanted at ``when = (target, start)``, not before ``start``): whole
    between two cues within a few seconds of the target; failing that (fast breathing), its
    parts in successive gaps; failing that, at ``start`` anyway."""
    sr = seg.rate
    target, start = when
    window = min(seg.end_frame, target + _WINDOW_SECONDS * sr)
    spot = _place(start, len(voice.say(text)), spans, window)
    if spot is not None:
        return [(spot, text)]
    pieces: list[tuple[int, str]] = []
    at = start
    for part in text.split(", ") if ", " in text else ():
        spot = _place(at, len(voice.say(part)), spans, seg.end_frame)
        if spot is None:
            return [(start, text)]
        pieces.append((spot, part))
        at = spot + len(voice.say(part)) + int(0.1 * sr)
    return pieces or [(start, text)]


def announcements(
    session: Session,
    voice: Voice,
    *,
    every_seconds: int | None = None,
    since: int = 0,
    busy_until: int = 0,
) -> Iterator[tuple[Announcement, np.ndarray]]:
    """Yield what is spoken when, with its audio, in frame order; phrases never overlap each
    other and wait for gaps between cues.

    ``since`` and ``busy_until`` (live play, after a change at frame ``since`` while a phrase
    is said until ``busy_until``): only what is wanted from ``since`` on, and nothing before
    ``busy_until``.
    """
    sr = session.rate
    spans = _Spans(session, int(_CUE_MARGIN * sr))
    gap = int(PHRASE_GAP_SECONDS * sr)
    for seg in session.segments():
        if seg.end_frame <= since:
            continue
        near = spans.within(seg)
        for target, text in _wanted(seg, session, voice, every_seconds):
            if target < since:
                continue
            for frame, said in _pieces(text, (target, max(target, busy_until)), seg, near, voice):
                clip = voice.say(said)
                if frame + len(clip) > session.total_frames:
                    continue
                busy_until = frame + len(clip) + gap
                yield Announcement(frame, said), clip
