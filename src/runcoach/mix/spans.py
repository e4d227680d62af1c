"""Where the session's cues sound: the frames a breath cue or a segment signal covers, in order.

The music is lowered under them (:mod:`runcoach.mix.layers`) and words are placed between them
(:mod:`runcoach.mix.announce`), so no cue is ever lost under another sound.
"""

from __future__ import annotations

from collections.abc import Iterator

from runcoach import breath as _breath
from runcoach.sounds import signals as _cues
from runcoach.timeline import Session, Step, events


def cue_spans(session: Session, *, margin: int = 0) -> Iterator[tuple[int, int]]:
    """``(first, end)`` frames of every breath cue or segment signal, in order, each ``end``
    extended by ``margin`` frames (the silence kept after a cue)."""
    rate = session.rate
    cue_len = int(max(_breath.INHALE_SECONDS, _breath.EXHALE_SECONDS) * rate)
    signal_len = {kind: len(_cues.signal(kind, sr=rate)) for kind in _cues.SIGNALS}
    for event in events(session):
        if isinstance(event, Step):
            length = cue_len if event.breath is not None else 0
            if event.signal is not None:
                length = max(length, signal_len[event.signal])
            if length:
                yield event.frame, event.frame + length + margin
