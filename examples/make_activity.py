"""Write examples/run-walk.fit: a made-up recording of the built-in ``intervals`` plan at 170 spm.

The runner started the watch 40 seconds before the session (``runcoach review --align auto``
finds it), ran most of it near the target, drifted low in the last runs, stood for 20 seconds at
a crossing, and paused the watch once for 30 seconds. Records are 1 a second, with cadence in
strides per minute as every FIT file keeps it (``cadence`` + ``fractional_cadence``).

Needs Garmin's FIT SDK (``pip install garmin-fit-sdk``, in runcoach's ``test`` extra):

    python examples/make_activity.py            # writes examples/run-walk.fit
    python examples/make_activity.py out.fit
"""

from __future__ import annotations

import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from garmin_fit_sdk import Encoder, Profile

START = datetime(2024, 5, 4, 8, 30, 0, tzinfo=timezone.utc)
LATE = 40  # seconds between starting the watch and starting the session
# The intervals plan at 170 spm: (seconds, cadence at start, at end).
PLAN = [(300, 115, 115)] + [(120, 170, 170), (60, 115, 115)] * 6 + [(240, 165, 155)]


def cadence_at(plan_seconds: float, rng: random.Random) -> float:
    """What the runner did at a time on the session's clock (steps per minute)."""
    start = 0
    for number, (seconds, s0, s1) in enumerate(PLAN):
        if start <= plan_seconds < start + seconds:
            target = s0 + (s1 - s0) * (plan_seconds - start) / seconds
            drift = -4 if number >= 9 and s0 == 170 else 0  # tiring in the last runs
            return target + drift + rng.gauss(0, 1.6)
        start += seconds
    return 108 + rng.gauss(0, 2)  # walking home


def main(path: Path) -> None:
    rng = random.Random(2024)
    num = Profile["mesg_num"]
    enc = Encoder()
    enc.write_mesg(
        {
            "mesg_num": num["FILE_ID"],
            "type": "activity",
            "manufacturer": "development",
            "product": 1,
            "serial_number": 170,
            "time_created": START,
        }
    )
    enc.write_mesg(
        {"mesg_num": num["EVENT"], "timestamp": START, "event": "timer", "event_type": "start"}
    )
    total = sum(seconds for seconds, _, _ in PLAN) + LATE + 30
    t = 0
    while t < total:
        spm = cadence_at(t - LATE, rng) if t >= LATE else 0.0  # standing while the app starts
        if 700 <= t < 720:
            spm = 0.0  # waiting at a crossing
        strides = round(spm / 2 * 128) / 128  # FIT keeps strides, in 1/128ths
        when = START + timedelta(seconds=t)
        enc.write_mesg(
            {
                "mesg_num": num["RECORD"],
                "timestamp": when,
                "heart_rate": 125 + t % 20,
                "distance": 2.4 * t,
                "cadence": int(strides),
                "fractional_cadence": strides - int(strides),
            }
        )
        if t == 1200:  # the runner pauses the watch for 30 s
            enc.write_mesg(
                {
                    "mesg_num": num["EVENT"],
                    "timestamp": when,
                    "event": "timer",
                    "event_type": "stop_all",
                }
            )
            t += 30
            enc.write_mesg(
                {
                    "mesg_num": num["EVENT"],
                    "timestamp": START + timedelta(seconds=t),
                    "event": "timer",
                    "event_type": "start",
                }
            )
        else:
            t += 1
    end = START + timedelta(seconds=t - 1)
    enc.write_mesg(
        {"mesg_num": num["EVENT"], "timestamp": end, "event": "timer", "event_type": "stop_all"}
    )
    enc.write_mesg(
        {
            "mesg_num": num["SESSION"],
            "timestamp": end,
            "start_time": START,
            "sport": "running",
            "total_elapsed_time": float(t - 1),
        }
    )
    path.write_bytes(enc.close())
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("run-walk.fit"))
