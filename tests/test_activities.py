"""Reading activities: FIT (written with Garmin's encoder), TCX and GPX (written by hand), the
unit trap, pauses, laps, damaged files, and files that are not activities."""

from __future__ import annotations

import gzip
import os
import struct

import pytest
from typer.testing import CliRunner

from activity_files import (
    START,
    Recording,
    fit_bytes,
    gpx_text,
    run_walk_recording,
    steady_recording,
    tcx_text,
)
from runcoach.cli import app
from runcoach.interop import activities
from runcoach.interop.activities import ActivityError, read_activity

runner = CliRunner()


def _samples(rec: Recording) -> tuple[list[float], list[float]]:
    """The recording's cadence samples as the reader should give them (records without
    cadence are no samples; times from the first record)."""
    pairs = [
        (t - rec.seconds[0], v) for t, v in zip(rec.seconds, rec.spm, strict=True) if v is not None
    ]
    return [t for t, _ in pairs], [v for _, v in pairs]


@pytest.fixture(scope="module")
def run_walk() -> Recording:
    rec = run_walk_recording()
    rec.laps = [(0.0, 120.0, 0), (120.0, 90.0, 1), (210.0, 60.0, 2)]
    return rec


@pytest.fixture(scope="module")
def run_walk_fit(tmp_path_factory: pytest.TempPathFactory, run_walk: Recording) -> bytes:
    return fit_bytes(run_walk)


def test_fit_strides_are_doubled_into_steps(tmp_path, run_walk, run_walk_fit):
    path = tmp_path / "run.fit"
    path.write_bytes(run_walk_fit)
    act = read_activity(path)
    seconds, spm = _samples(run_walk)
    assert act.kind == "fit"
    assert act.cadence_unit == "strides"
    assert list(act.seconds) == seconds
    # The unit trap: FIT holds strides per minute; steps = 2 x (cadence + fractional_cadence).
    assert list(act.spm) == spm
    assert act.spm[5] == 2 * (int(spm[5] / 2) + (spm[5] / 2 - int(spm[5] / 2)))
    assert 100 < sorted(act.spm)[len(act.spm) // 2] < 200  # not ~85: the half cadence
    assert act.warning is None
    assert act.sport == "running"
    assert act.start == START
    assert act.duration_seconds == run_walk.seconds[-1] - run_walk.seconds[0]


def test_fit_pauses_timer_stops_and_gaps(tmp_path, run_walk, run_walk_fit):
    path = tmp_path / "run.fit"
    path.write_bytes(run_walk_fit)
    act = read_activity(path)
    # The 12 s gap after 400 s: running for 5 s, then a pause; the timer stop from 560 to 600 s.
    assert act.pauses == ((405.0, 412.0), (560.0, 600.0))


def test_fit_laps_with_workout_steps(tmp_path, run_walk, run_walk_fit):
    path = tmp_path / "run.fit"
    path.write_bytes(run_walk_fit)
    act = read_activity(path)
    assert [(lap.start_seconds, lap.duration_seconds, lap.workout_step) for lap in act.laps] == [
        (0.0, 120.0, 0),
        (120.0, 90.0, 1),
        (210.0, 60.0, 2),
    ]


def test_fit_in_steps_from_a_careless_app_is_not_doubled(tmp_path):
    rec = steady_recording(120, 168.5)
    path = tmp_path / "steps.fit"
    path.write_bytes(fit_bytes(rec, strides=False))
    act = read_activity(path)
    assert act.cadence_unit == "steps"
    assert set(act.spm) == {168.5}


def test_fit_walking_strides_are_still_strides(tmp_path):
    rec = steady_recording(60, 110.0)  # 55 strides a minute: a walk
    path = tmp_path / "walk.fit"
    path.write_bytes(fit_bytes(rec))
    assert set(read_activity(path).spm) == {110.0}


def test_unit_can_be_forced(tmp_path):
    rec = steady_recording(60, 170.0)
    path = tmp_path / "run.fit"
    path.write_bytes(fit_bytes(rec))
    act = read_activity(path, unit="steps")
    assert act.cadence_unit == "steps"
    assert set(act.spm) == {85.0}


@pytest.mark.parametrize(
    ("element", "strides", "unit"),
    [
        ("RunCadence", True, "strides"),
        ("RunCadence", False, "steps"),
        ("Cadence", False, "steps"),
        ("Cadence", True, "strides"),
    ],
)
def test_tcx_units_decided_from_the_data(tmp_path, run_walk, element, strides, unit):
    path = tmp_path / "run.tcx"
    path.write_text(tcx_text(run_walk, strides=strides, element=element, break_at=(600.0,)))
    act = read_activity(path)
    seconds, spm = _samples(run_walk)
    assert act.kind == "tcx"
    assert act.cadence_unit == unit
    assert list(act.seconds) == seconds
    assert list(act.spm) == spm
    assert act.sport == "Running"
    assert act.start == START
    # The new Track after the 40 s wait is a timer stop from the last point before it.
    assert act.pauses == ((405.0, 412.0), (560.0, 600.0))


@pytest.mark.parametrize(
    ("element", "strides", "unit"),
    [
        ("gpxtpx:cad", False, "steps"),
        ("gpxtpx:cad", True, "strides"),
        ("x:cadence", False, "steps"),
    ],
)
def test_gpx_cadence_elements_and_units(tmp_path, run_walk, element, strides, unit):
    path = tmp_path / "run.gpx"
    path.write_text(gpx_text(run_walk, strides=strides, element=element))
    act = read_activity(path)
    seconds, spm = _samples(run_walk)
    assert (act.kind, act.cadence_unit, act.sport) == ("gpx", unit, "running")
    assert list(act.seconds) == seconds
    assert list(act.spm) == spm


def test_gpx_fractional_times(tmp_path):
    rec = Recording([0.0, 0.5, 1.25, 2.0], [170.0, 171.0, 172.0, 173.0])
    path = tmp_path / "run.gpx"
    path.write_text(gpx_text(rec))
    act = read_activity(path)
    assert list(act.seconds) == [0.0, 0.5, 1.25, 2.0]


def test_gzip_compressed_files(tmp_path, run_walk, run_walk_fit):
    path = tmp_path / "run.fit.gz"
    path.write_bytes(gzip.compress(run_walk_fit))
    assert list(read_activity(path).spm) == _samples(run_walk)[1]


def test_kind_from_content_not_name(tmp_path, run_walk):
    path = tmp_path / "export.xml"
    path.write_text(tcx_text(run_walk))
    assert read_activity(path).kind == "tcx"


# Damaged files -----------------------------------------------------------------------------------


def test_truncated_fit_is_read_up_to_the_damage(tmp_path, run_walk, run_walk_fit):
    path = tmp_path / "cut.fit"
    path.write_bytes(run_walk_fit[: len(run_walk_fit) * 6 // 10])
    act = read_activity(path)
    seconds, spm = _samples(run_walk)
    n = len(act.seconds)
    assert 0.4 * len(seconds) < n < 0.7 * len(seconds)
    assert list(act.seconds) == seconds[:n]
    assert list(act.spm) == spm[:n]
    assert act.warning is not None
    assert "cut.fit" in act.warning and "ends early" in act.warning
    assert f"{n} cadence samples" in act.warning
    minutes, secs = divmod(int(act.duration_seconds), 60)
    assert f"read {minutes}:{secs:02d} of the activity" in act.warning


def test_truncated_fit_through_the_cli_warns_once(tmp_path, run_walk_fit):
    path = tmp_path / "cut.fit"
    path.write_bytes(run_walk_fit[: len(run_walk_fit) // 2])
    result = runner.invoke(app, ["review", str(path), "--spm", "170", "--json"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line]
    assert len(warnings) == 1
    assert warnings[0].startswith("runcoach: warning: ") and "damaged file" in warnings[0]


def test_corrupt_middle_is_read_up_to_the_damage(tmp_path, run_walk, run_walk_fit):
    data = bytearray(run_walk_fit)
    at = len(data) // 3
    data[at : at + 64] = bytes([0x4F] * 64)  # definition headers of nonsense
    path = tmp_path / "bad.fit"
    path.write_bytes(bytes(data))
    act = read_activity(path)
    seconds, spm = _samples(run_walk)
    assert act.warning is not None and "damaged file" in act.warning
    n = len(act.seconds)
    assert 0 < n < len(seconds)
    # Everything before the damaged bytes is exactly what was recorded.
    good = sum(1 for t in act.seconds if t < seconds[int(len(seconds) * 0.3)])
    assert list(act.spm[:good]) == spm[:good]


def test_fit_with_no_data_size_is_read(tmp_path, run_walk, run_walk_fit):
    data = bytearray(run_walk_fit)
    struct.pack_into("<I", data, 4, 0)  # a recording that never finished writing its header
    struct.pack_into("<H", data, 12, 0)  # no header checksum either
    path = tmp_path / "unfinished.fit"
    path.write_bytes(bytes(data))
    act = read_activity(path)
    assert list(act.spm) == _samples(run_walk)[1]
    assert act.warning is not None and "did not finish" in act.warning


def test_fit_checksum_mismatch_warns_but_keeps_everything(tmp_path, run_walk, run_walk_fit):
    data = bytearray(run_walk_fit)
    data[-1] ^= 0xFF
    path = tmp_path / "crc.fit"
    path.write_bytes(bytes(data))
    act = read_activity(path)
    assert list(act.spm) == _samples(run_walk)[1]
    assert act.warning is not None and "checksum" in act.warning


@pytest.mark.parametrize("damage", ["magic", "size", "zeros"])
def test_corrupt_fit_header_is_one_error_line(tmp_path, run_walk_fit, damage):
    data = bytearray(run_walk_fit)
    if damage == "magic":
        data[8:12] = b"XFIT"
        name = "run.fit"
    elif damage == "size":
        data[4] ^= 0x5A  # the data size changes; the header's own checksum no longer matches
        name = "run.fit"
    else:
        data[0:14] = bytes(14)
        name = "run.fit"
    path = tmp_path / name
    path.write_bytes(bytes(data))
    with pytest.raises(ActivityError) as err:
        read_activity(path)
    assert str(path) in str(err.value)
    result = runner.invoke(app, ["review", str(path), "--spm", "170"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("runcoach: error: ") and str(path) in lines[0]


def test_truncated_tcx_is_read_up_to_the_damage(tmp_path, run_walk):
    text = tcx_text(run_walk)
    path = tmp_path / "cut.tcx"
    path.write_text(text[: len(text) // 2])
    act = read_activity(path)
    seconds, spm = _samples(run_walk)
    n = len(act.seconds)
    assert 0.3 * len(seconds) < n < 0.7 * len(seconds)
    assert list(act.spm) == spm[:n]
    assert act.warning is not None and "XML breaks at line" in act.warning


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"hello, this is not a run\n" * 10, "not an activity file"),
        (b"<?xml version='1.0'?><html><body>hi</body></html>", "neither TCX nor GPX"),
    ],
)
def test_not_an_activity(tmp_path, content, expected):
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    with pytest.raises(ActivityError, match=expected):
        read_activity(path)


def test_fit_workout_is_not_an_activity(tmp_path):
    from garmin_fit_sdk import Encoder, Profile

    enc = Encoder()
    enc.write_mesg(
        {
            "mesg_num": Profile["mesg_num"]["FILE_ID"],
            "type": "workout",
            "manufacturer": "development",
            "product": 1,
            "time_created": START,
        }
    )
    enc.write_mesg(
        {
            "mesg_num": Profile["mesg_num"]["WORKOUT"],
            "sport": "running",
            "num_valid_steps": 0,
            "wkt_name": "Intervals",
        }
    )
    path = tmp_path / "workout.fit"
    path.write_bytes(enc.close())
    with pytest.raises(ActivityError, match="is a FIT workout file, not an activity"):
        read_activity(path)


def test_no_cadence_is_one_error_line(tmp_path):
    rec = Recording([0.0, 1.0, 2.0], [None, None, None])
    path = tmp_path / "nocad.gpx"
    path.write_text(gpx_text(rec))
    result = runner.invoke(app, ["review", str(path), "--spm", "170"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"runcoach: error: {path}: has no cadence (3 track points, none with cadence); record "
        "with a watch or phone that measures cadence, or a foot pod"
    ]


def test_all_zero_cadence_is_no_cadence(tmp_path):
    path = tmp_path / "zero.fit"
    path.write_bytes(fit_bytes(steady_recording(30, 0.0)))
    with pytest.raises(ActivityError, match="every cadence is 0"):
        read_activity(path)


# Files that must not be read --------------------------------------------------------------------


def test_size_limit_checked_before_reading(tmp_path, monkeypatch, run_walk_fit):
    path = tmp_path / "big.fit"
    path.write_bytes(run_walk_fit)
    monkeypatch.setattr(activities, "MAX_ACTIVITY_BYTES", 1000)
    with pytest.raises(ActivityError, match="more than the"):
        read_activity(path)


def test_gzip_bomb_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "bomb.fit.gz"
    path.write_bytes(gzip.compress(bytes(50_000)))
    monkeypatch.setattr(activities, "MAX_ACTIVITY_BYTES", 10_000)
    with pytest.raises(ActivityError, match="uncompresses to more than"):
        read_activity(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_is_refused_without_blocking(tmp_path):
    path = tmp_path / "pipe.fit"
    os.mkfifo(path)
    with pytest.raises(ActivityError, match="not a regular file"):
        read_activity(path)


def test_folder_and_missing_file(tmp_path):
    with pytest.raises(ActivityError, match="is a folder"):
        read_activity(tmp_path)
    with pytest.raises(ActivityError, match="no such file"):
        read_activity(tmp_path / "missing.fit")


_BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<gpx version="1.1"><trk><trkseg><trkpt lat="1" lon="1"><time>2024-05-01T07:00:00Z</time>
<extensions><cad>&lol2;</cad></extensions></trkpt></trkseg></trk></gpx>
"""
_EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<gpx version="1.1"><trk><name>&secret;</name></trk></gpx>
"""


@pytest.mark.parametrize("text", [_BOMB, _EXTERNAL], ids=["entity-expansion", "external-entity"])
def test_xml_entities_are_refused(tmp_path, text):
    path = tmp_path / "evil.gpx"
    path.write_text(text)
    result = runner.invoke(app, ["review", str(path), "--spm", "170"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "refused" in lines[0] and str(path) in lines[0]


def test_example_activity_is_what_the_script_writes(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    out = tmp_path / "run-walk.fit"
    done = subprocess.run(
        [sys.executable, str(root / "examples" / "make_activity.py"), str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == (root / "examples" / "run-walk.fit").read_bytes()


def test_fit_compressed_timestamp_headers(tmp_path):
    """Some devices log records with compressed timestamp headers (5 bits of time in the record
    header): Garmin's Python decoder refuses them, fitdecode reads them. No encoder writes them,
    so this small file is put together byte by byte from the FIT protocol's layout."""
    from fitdecode.utils import compute_crc

    t0 = 1_000_000_000  # seconds since the FIT epoch
    body = bytearray()
    # Definition, local 0: record (20) with timestamp (253, uint32) and cadence (4, uint8).
    body += bytes([0x40, 0, 0]) + (20).to_bytes(2, "little") + bytes([2, 253, 4, 0x86, 4, 1, 0x02])
    body += bytes([0x00]) + t0.to_bytes(4, "little") + bytes([84])
    # Definition, local 1: record with cadence only; its time comes in the record header.
    body += bytes([0x41, 0, 0]) + (20).to_bytes(2, "little") + bytes([1, 4, 1, 0x02])
    strides = [84 + (k % 3) for k in range(1, 61)]
    for k, value in enumerate(strides, 1):
        body += bytes([0x80 | (1 << 5) | ((t0 + k) & 0x1F), value])
    header = bytearray(
        bytes([14, 0x20]) + (2132).to_bytes(2, "little") + len(body).to_bytes(4, "little") + b".FIT"
    )
    header += compute_crc(bytes(header)).to_bytes(2, "little")
    data = bytes(header) + bytes(body)
    path = tmp_path / "compressed.fit"
    path.write_bytes(data + compute_crc(data).to_bytes(2, "little"))
    act = read_activity(path)
    assert act.warning is None
    assert list(act.seconds) == [float(k) for k in range(61)]
    assert list(act.spm) == [168.0] + [2.0 * v for v in strides]
