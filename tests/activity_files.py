"""Activity files for the tests, written from known cadence series, and the review figures
worked out independently of runcoach.

- FIT with Garmin's own encoder (``garmin-fit-sdk``): runcoach reads FIT with another library
  (``fitdecode``), so a file written here and read there checks both sides of the format;
- TCX and GPX written by hand as text, as watches and phones write them;
- :func:`reference`: the review's figures from the series with plain loops, following the rules
  the issue states (weight = time to the next sample, at most 5 s; cadence 0 is stopped time; a
  stopped timer is not running time; a ramp's target interpolated over time), none of runcoach's
  code.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

START = datetime(2024, 5, 1, 7, 0, 0, tzinfo=timezone.utc)
GAP = 5.0


@dataclass
class Recording:
    """A recorded run: sample times (seconds from the first record) and cadence in steps per
    minute (None: a record without cadence), timer stops as ``(stop, start)`` seconds, laps as
    ``(start, duration, workout step)``."""

    seconds: list[float]
    spm: list[float | None]
    stops: list[tuple[float, float]] = field(default_factory=list)
    laps: list[tuple[float, float, int | None]] = field(default_factory=list)


# Known cadence series ---------------------------------------------------------------------------

#: The run/walk plan the review tests use: (name, seconds, spm at start, spm at end).
RUN_WALK = [
    ("Warm-up walk", 120, 115, 115),
    ("Run 1", 90, 170, 170),
    ("Walk 1", 60, 115, 115),
    ("Run 2", 90, 170, 170),
    ("Walk 2", 60, 115, 115),
    ("Run 3", 90, 170, 170),
    ("Cool-down", 120, 160, 140),
]

RUN_WALK_YAML = """
name: Test run/walk
spm: 170
segments:
  - {name: Warm-up walk, duration: 2m, spm: 115}
  - {name: Run 1, duration: 90s}
  - {name: Walk 1, duration: 1m, spm: 115}
  - {name: Run 2, duration: 90s}
  - {name: Walk 2, duration: 1m, spm: 115}
  - {name: Run 3, duration: 90s}
  - {name: Cool-down, duration: 2m, spm: [160, 140]}
"""


def plan_table(
    plan: list[tuple[str, int, float, float]],
) -> list[tuple[str, float, float, float, float]]:
    """(name, start, duration, spm start, spm end) from (name, duration, spm start, spm end)."""
    out = []
    start = 0.0
    for name, seconds, s0, s1 in plan:
        out.append((name, start, float(seconds), float(s0), float(s1)))
        start += seconds
    return out


def run_walk_recording(*, late: int = 0, seed: int = 7, extra: int = 30) -> Recording:
    """A runner following :data:`RUN_WALK` with the plan starting ``late`` seconds into the
    recording: cadence near the target (a few samples off the band), a stand at a crossing
    (cadence 0), a 12 s gap without records, a timer stop of 40 s and some records without
    cadence. Cadence values are multiples of 0.5 spm (exact in FIT's 1/128 stride units)."""
    rng = random.Random(seed)
    table = plan_table(RUN_WALK)
    total = table[-1][1] + table[-1][2]
    seconds: list[float] = []
    spm: list[float | None] = []
    t = 0
    end = int(total) + late + extra
    while t < end:
        plan_t = t - late
        target = None
        for _name, start, dur, s0, s1 in table:
            if start <= plan_t < start + dur:
                target = s0 + (s1 - s0) * (plan_t - start) / dur
        base = 100.0 if target is None else target
        value: float | None = round((base + rng.choice([-2, -1, 0, 0, 1, 2, 5, -6])) * 2) / 2
        if 200 <= t < 215:
            value = 0.0  # standing at a crossing
        if t in (330, 331):
            value = None  # records without cadence
        seconds.append(float(t))
        spm.append(value)
        if t == 400:
            t += 12  # no records for 12 s (a phone's GPS hiccup)
        elif t == 560:
            t += 40  # the timer was stopped: no records
        else:
            t += 1
    return Recording(seconds, spm, stops=[(560.0, 600.0)])


def steady_recording(seconds: int, spm: float, *, step: int = 1) -> Recording:
    """A steady run: the same cadence every ``step`` seconds."""
    times = [float(t) for t in range(0, seconds, step)]
    return Recording(times, [spm] * len(times))


# Writers ----------------------------------------------------------------------------------------


def fit_bytes(
    rec: Recording,
    *,
    strides: bool = True,
    sport: str = "running",
    file_type: str = "activity",
    extra_fields: bool = True,
) -> bytes:
    """The recording as a FIT activity written by Garmin's encoder: ``record`` messages with
    ``cadence`` + ``fractional_cadence`` in strides per minute (half the steps; or the steps
    themselves with ``strides=False``, as a careless app would), timer events and laps."""
    from garmin_fit_sdk import Encoder, Profile

    num = Profile["mesg_num"]
    enc = Encoder()
    enc.write_mesg(
        {
            "mesg_num": num["FILE_ID"],
            "type": file_type,
            "manufacturer": "development",
            "product": 1,
            "serial_number": 4242,
            "time_created": START,
        }
    )
    messages: list[tuple[float, int, dict]] = []
    if rec.seconds:
        messages.append(
            (rec.seconds[0], 0, {"mesg_num": num["EVENT"], "event": "timer", "event_type": "start"})
        )
    for stop, start in rec.stops:
        messages.append(
            (stop, 2, {"mesg_num": num["EVENT"], "event": "timer", "event_type": "stop_all"})
        )
        messages.append(
            (start, 0, {"mesg_num": num["EVENT"], "event": "timer", "event_type": "start"})
        )
    for i, (t, value) in enumerate(zip(rec.seconds, rec.spm, strict=True)):
        record: dict = {"mesg_num": num["RECORD"]}
        if extra_fields:
            record.update(
                {
                    "heart_rate": 120 + i % 30,
                    "distance": 2.5 * t,
                    "enhanced_speed": 2.5,
                    "enhanced_altitude": 100.0 + (i % 7),
                }
            )
        if value is not None:
            stored = value / 2 if strides else value
            record["cadence"] = int(stored)
            record["fractional_cadence"] = stored - int(stored)
        messages.append((t, 1, record))
    end = rec.seconds[-1] if rec.seconds else 0.0
    for start, duration, step in rec.laps:
        lap = {
            "mesg_num": num["LAP"],
            "start_time": START + timedelta(seconds=start),
            "total_elapsed_time": float(duration),
            "total_timer_time": float(duration),
        }
        if step is not None:
            lap["wkt_step_index"] = step
        messages.append((start + duration, 3, lap))
    messages.append(
        (end, 4, {"mesg_num": num["EVENT"], "event": "timer", "event_type": "stop_all"})
    )
    messages.append(
        (
            end,
            5,
            {
                "mesg_num": num["SESSION"],
                "start_time": START,
                "sport": sport,
                "total_elapsed_time": end,
                "total_timer_time": end,
            },
        )
    )
    for t, _order, mesg in sorted(messages, key=lambda m: (m[0], m[1])):
        mesg["timestamp"] = START + timedelta(seconds=t)
        enc.write_mesg(mesg)
    return enc.close()


def _iso(t: float) -> str:
    moment = START + timedelta(seconds=t)
    return (
        moment.strftime("%Y-%m-%dT%H:%M:%S")
        + (f".{round(t % 1 * 1000):03d}" if t % 1 else "")
        + "Z"
    )


def _fmt(value: float) -> str:
    return f"{value:g}"


def tcx_text(
    rec: Recording,
    *,
    strides: bool = True,
    element: str = "RunCadence",
    break_at: tuple[float, ...] = (),
) -> str:
    """The recording as Garmin Training Center XML: one lap, a new ``Track`` at each time in
    ``break_at``; cadence in ``RunCadence`` (the activity extension) or ``Cadence``."""
    points = []
    for t, value in zip(rec.seconds, rec.spm, strict=True):
        if t in break_at:
            points.append("</Track><Track>")
        cad = ""
        if value is not None:
            stored = _fmt(value / 2 if strides else value)
            if element == "RunCadence":
                cad = f"<Extensions><ns3:TPX><ns3:Speed>2.5</ns3:Speed><ns3:RunCadence>{stored}</ns3:RunCadence></ns3:TPX></Extensions>"
            else:
                cad = f"<Cadence>{stored}</Cadence>"
        points.append(
            f"<Trackpoint><Time>{_iso(t)}</Time><HeartRateBpm><Value>130</Value></HeartRateBpm>{cad}</Trackpoint>"
        )
    body = "\n".join(points)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">
 <Activities>
  <Activity Sport="Running">
   <Id>{_iso(0)}</Id>
   <Lap StartTime="{_iso(0)}">
    <TotalTimeSeconds>{rec.seconds[-1]:g}</TotalTimeSeconds>
    <Track>
{body}
    </Track>
   </Lap>
  </Activity>
 </Activities>
</TrainingCenterDatabase>
"""


def gpx_text(
    rec: Recording,
    *,
    strides: bool = False,
    element: str = "gpxtpx:cad",
    sport: str = "running",
    break_at: tuple[float, ...] = (),
) -> str:
    """The recording as GPX 1.1 with the Garmin track point extension (``gpxtpx:cad``) or
    another cadence element; a new ``trkseg`` at each time in ``break_at``."""
    points = []
    for i, (t, value) in enumerate(zip(rec.seconds, rec.spm, strict=True)):
        if t in break_at:
            points.append("</trkseg><trkseg>")
        ext = ""
        if value is not None:
            stored = _fmt(value / 2 if strides else value)
            ext = (
                f"<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>130</gpxtpx:hr>"
                f"<{element}>{stored}</{element}></gpxtpx:TrackPointExtension></extensions>"
            )
        points.append(
            f'<trkpt lat="{52 + i * 1e-5:.6f}" lon="{13 + i * 1e-5:.6f}"><ele>40.0</ele><time>{_iso(t)}</time>{ext}</trkpt>'
        )
    body = "\n".join(points)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<gpx creator="test" version="1.1" xmlns="http://www.topografix.com/GPX/1/1" xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1" xmlns:x="urn:example:cadence">
 <metadata><time>{_iso(0)}</time></metadata>
 <trk>
  <name>Morning run</name>
  <type>{sport}</type>
  <trkseg>
{body}
  </trkseg>
 </trk>
</gpx>
"""


# The review, worked out independently -------------------------------------------------------------


def reference(
    rec: Recording, plan: list[tuple[str, int, float, float]], offset: float, tolerance: float = 3.0
) -> dict:
    """The review's figures for ``rec`` against ``plan`` starting ``offset`` s into the
    recording, with plain loops: per segment and overall mean spm over moving time, in-band
    share of moving time, moving and stopped seconds; and the whole activity's moving time and
    mean. Records without cadence are not samples."""
    samples = [(t, v) for t, v in zip(rec.seconds, rec.spm, strict=True) if v is not None]
    table = plan_table(plan)
    per = {name: {"moving": 0.0, "spm": 0.0, "band": 0.0, "stopped": 0.0} for name, *_ in table}
    act_moving = act_spm = 0.0
    for i, (t, value) in enumerate(samples):
        following = samples[i + 1][0] if i + 1 < len(samples) else t
        weight = min(following - t, GAP)
        for stop, start in rec.stops:
            if stop <= t < start:
                weight = 0.0
            elif t < stop < following:
                weight = min(weight, stop - t)
        moving = weight if value > 0 else 0.0
        act_moving += moving
        act_spm += moving * value
        p = t - offset
        for name, start, dur, s0, s1 in table:
            if start <= p < start + dur:
                target = s0 + (s1 - s0) * (p - start) / dur
                bucket = per[name]
                bucket["moving"] += moving
                bucket["spm"] += moving * value
                bucket["band"] += moving if abs(value - target) <= tolerance + 1e-9 else 0.0
                bucket["stopped"] += (following - t) - moving
    segments = []
    for name, start, dur, s0, s1 in table:
        b = per[name]
        segments.append(
            {
                "name": name,
                "start_seconds": start,
                "duration_seconds": dur,
                "target_spm_start": s0,
                "target_spm_end": s1,
                "mean_spm": b["spm"] / b["moving"] if b["moving"] else None,
                "in_band_fraction": b["band"] / b["moving"] if b["moving"] else None,
                "moving_seconds": b["moving"],
                "stopped_seconds": b["stopped"],
            }
        )
    moving = sum(s["moving_seconds"] for s in segments)
    spm_sum = sum(per[n]["spm"] for n in per)
    band = sum(per[n]["band"] for n in per)
    return {
        "segments": segments,
        "overall": {
            "mean_spm": spm_sum / moving if moving else None,
            "in_band_fraction": band / moving if moving else None,
            "moving_seconds": moving,
        },
        "activity": {
            "moving_seconds": act_moving,
            "mean_spm": act_spm / act_moving if act_moving else None,
            "duration_seconds": rec.seconds[-1] - rec.seconds[0],
        },
    }


def close(got: float | None, want: float | None, tol: float) -> bool:
    """Both None, or within ``tol``."""
    if got is None or want is None:
        return got is None and want is None
    return abs(got - want) <= tol
