"""Sinks: where blocks of audio end up. Atomic files (WAV, FLAC, OGG, MP3, M4A with their tags and
chapters) and the playback backends. The only code that touches files or audio devices.

The atomic-file helpers are re-exported here; codecs and playback are imported from their modules
(``runcoach.sinks.codecs``, ``runcoach.sinks.playback``) by the commands that need them.
"""

from __future__ import annotations

from runcoach.sinks.atomic import atomic_output, atomic_path, check_destination

__all__ = ["atomic_output", "atomic_path", "check_destination"]
