"""The one PCM converter: float32 samples to 16-bit little-endian PCM, clipped and rounded half to
even, so every sink (WAV, FLAC, MP3, playback) receives exactly the same integers."""

from __future__ import annotations

import numpy as np

PCM_SCALE = np.float32(32767.0)


def to_pcm16(block: np.ndarray) -> bytes:
    """Convert a float32 block to interleaved 16-bit little-endian PCM bytes.

    Samples are clipped to -1..1, scaled by 32767 and rounded half to even.
    """
    data: bytes = pcm16_array(block).tobytes()
    return data


def pcm16_array(block: np.ndarray) -> np.ndarray:
    """:func:`to_pcm16` as an ``<i2`` array of the block's shape."""
    if block.dtype != np.float32:
        scaled = np.round(np.clip(block, -1.0, 1.0) * 32767.0)
        exact: np.ndarray = scaled.astype("<i2")
        return exact
    # Same values, fewer passes: scaling first and clipping to +-32767 equals clipping to +-1
    # and scaling (the float32 product is monotonic and 32767 is exact), in one buffer.
    work = np.multiply(block, PCM_SCALE)
    np.clip(work, -PCM_SCALE, PCM_SCALE, out=work)
    np.rint(work, out=work)
    pcm: np.ndarray = work.astype("<i2")
    return pcm


def finish_pcm16(samples: np.ndarray) -> np.ndarray:
    """Samples the mixer already clipped to its ceiling (inside -1..1), scaled and rounded in
    place to 16-bit: exactly what :func:`pcm16_array` gives for them, with fewer passes."""
    np.multiply(samples, PCM_SCALE, out=samples)
    np.rint(samples, out=samples)
    pcm: np.ndarray = samples.astype("<i2")
    return pcm
