"""Plays a plan through the real ALSA path and presses controls at given session times, as the
key reader would, through :class:`runcoach.live.controller.Controller`. Run as a subprocess by the tests
(its HOME points at a capturing device).

    python play_driver.py PLAN RATE SCRIPT_JSON OUT_DIR [BACKEND]

SCRIPT_JSON is a list of ``{"at": seconds, "do": command}`` (``"for": seconds`` with ``pause``
resumes after that long; ``"do": "stop-device"`` stops the device from outside, as a device that
goes away). Writes ``OUT_DIR/result.json`` and ``OUT_DIR/expected.raw``: the stream the
controller's history says it played (pauses excluded), rebuilt with ``blocks``.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

from runcoach.errors import PlaybackError
from runcoach.live.controller import Controller
from runcoach.live.status import summary_lines
from runcoach.mix.blocks import blocks
from runcoach.mix.levels import MixOptions
from runcoach.mix.pcm import to_pcm16
from runcoach.plans.catalogue import load_plan
from runcoach.sinks.playback import open_stream
from runcoach.timeline import resolve


def main() -> int:
    plan_path, rate_text, script_text, out_text = sys.argv[1:5]
    rate = int(rate_text)
    script = json.loads(script_text)
    out = Path(out_text)
    backend = sys.argv[5] if len(sys.argv) > 5 else "alsa"
    session = resolve(load_plan(plan_path), rate=rate)
    options = MixOptions()
    stream = open_stream(backend=backend, device=None, rate=rate, channels=1)
    controller = Controller(session, options, stream)
    fired: list[dict[str, object]] = []

    def drive() -> None:
        for step in script:
            at = round(step["at"] * rate)
            while stream.position() < at:
                time.sleep(0.002)
            changes = len(controller.history)
            fired.append({"do": step["do"], "position": stream.position()})
            if step["do"] == "pause":
                controller.toggle_pause()
                time.sleep(step["for"])
                controller.toggle_pause()
            elif step["do"] == "stop-device":
                import miniaudio

                miniaudio.lib.ma_device_stop(stream._device._device)  # type: ignore[attr-defined]
            else:
                controller.command(step["do"])
                deadline = time.monotonic() + 5
                while len(controller.history) == changes and time.monotonic() < deadline:
                    time.sleep(0.002)  # applied (or refused) before the next control

    threading.Thread(target=drive, daemon=True).start()
    error = None
    try:
        summary = controller.run()
    except PlaybackError as err:
        error = str(err)
        summary = controller.summary(completed=False)
    history = controller.history
    with open(out / "expected.raw", "wb") as handle:
        for i, (frame, sess) in enumerate(history):
            end = history[i + 1][0] if i + 1 < len(history) else summary.end_frame
            at = frame
            for block in blocks(sess, options, start_frame=frame):
                if at >= end:
                    break
                part = block[: end - at]
                handle.write(to_pcm16(part))
                at += len(part)
    segments = [
        [
            (s.name, s.start_frame, s.end_frame, float(s.spm_start), str(s.breath))
            for s in sess.segments()
        ]
        for _, sess in history
    ]
    result = {
        "error": error,
        "fired": fired,
        "cuts": [frame for frame, _ in history],
        "segments": segments,
        "pauses": controller.pauses,
        "underrun_frames": getattr(stream, "underrun_frames", 0),
        "summary": {
            "completed": summary.completed,
            "end_frame": summary.end_frame,
            "steps": summary.steps,
            "segments_done": summary.segments_done,
            "segment_count": summary.segment_count,
            "skipped": summary.skipped,
            "resume": summary.resume,
            "lines": summary_lines(summary),
        },
    }
    (out / "result.json").write_text(json.dumps(result))
    return 3 if error else 0


if __name__ == "__main__":
    sys.exit(main())
