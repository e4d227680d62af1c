"""Property tests and fuzzing of plans (hypothesis).

Valid plans are generated from the format's rules (segments, nested repeats, absolute, relative,
percentage and ramped cadence, durations in every written form, step counts, breath patterns,
sounds), written both as YAML text and as Python mappings, and checked against the timing rules
computed here: the rendered length equals the declared total, steps rise strictly within each
segment, step counts follow the rules. Then they are broken (unknown keys, values out of range,
wrong types, junk bytes, truncation), and nothing but a ``PlanError`` naming the field or the
source may come out.

Profiles (``HYPOTHESIS_PROFILE``): ``ci`` (few examples, derandomized; chosen when ``CI=true``),
``dev`` (the default), ``long`` (a long local fuzz run)::

    HYPOTHESIS_PROFILE=long pytest tests/test_fuzz.py
"""

from __future__ import annotations

import contextlib
import itertools
import math
from decimal import ROUND_HALF_EVEN, Decimal, getcontext
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import assume, given, note
from hypothesis import strategies as st

from runcoach.errors import OptionError, PlanError
from runcoach.mix.blocks import blocks
from runcoach.mix.levels import MixOptions
from runcoach.plans import Breath, Cadence, parse_plan
from runcoach.plans.units import MAX_SPM, MIN_SPM, clean_text
from runcoach.timeline import Step, events, resolve

getcontext().prec = 50

SOUNDS = ["woodblock", "beep", "tick", "clave", "cowbell", "off"]
SEGMENT_KEYS = {"name", "duration", "steps", "spm", "breath", "sound"}
PLAN_KEYS = {"name", "description", "spm", "breath", "sound", "segments"}

# --- valid plans -------------------------------------------------------------------------------
# Each generated segment carries its meaning next to its written form, so the expected timing is
# computed from the rules, not from runcoach's parsing: ("seg", written mapping, meaning).


@st.composite
def duration(draw: st.DrawFn) -> tuple[str, Fraction]:
    """A duration as a runner writes it, and its exact seconds."""
    seconds = draw(st.integers(1, 400))
    minutes, secs = divmod(seconds, 60)
    forms = [
        f"{seconds}s",
        f"{seconds} sec",
        f"{minutes}:{secs:02d}",
        f"0:{minutes:02d}:{secs:02d}",
    ]
    if secs == 0:
        forms += [f"{minutes}m", f"{minutes} min"]
    if minutes:
        forms.append(f"{minutes}m{secs}s")
    tenths = draw(st.integers(0, 9))
    if tenths:
        forms = [f"{seconds}.{tenths}s"]
        return draw(st.sampled_from(forms)), Fraction(seconds) + Fraction(tenths, 10)
    return draw(st.sampled_from(forms)), Fraction(seconds)


@st.composite
def cadence(draw: st.DrawFn) -> tuple[str | int, tuple[str, Fraction]]:
    """A cadence as written (``172``, ``"+5"``, ``"95%"``) and its meaning, kept within range
    for any base in 120-200."""
    kind = draw(st.sampled_from(["abs", "rel", "pct"]))
    if kind == "abs":
        value = draw(st.integers(60, 240))
        return draw(st.sampled_from([value, str(value)])), ("abs", Fraction(value))
    if kind == "rel":
        value = draw(st.integers(-40, 40))
        return f"{value:+d}", ("rel", Fraction(value))
    value = draw(st.integers(60, 115))
    return f"{value}%", ("pct", Fraction(value))


@st.composite
def segment(draw: st.DrawFn) -> tuple[str, dict[str, Any], dict[str, Any]]:
    written: dict[str, Any] = {"name": draw(st.sampled_from(["Run", "Walk", "Easy jog", "Ramp"]))}
    meaning: dict[str, Any] = {}
    if draw(st.booleans()):
        written["duration"], meaning["seconds"] = draw(duration())
    else:
        written["steps"] = meaning["steps"] = draw(st.integers(1, 600))
    shape = draw(st.sampled_from(["base", "one", "ramp"]))
    if shape == "one":
        written["spm"], meaning["spm"] = draw(cadence())
    elif shape == "ramp":
        (a, ma), (b, mb) = draw(cadence()), draw(cadence())
        written["spm"], meaning["spm"] = [a, b], (ma, mb)
    if draw(st.booleans()):
        written["breath"] = draw(st.sampled_from(["off", "4:6", "3:2", "2:2", "1:1", "16:16"]))
    if draw(st.booleans()):
        written["sound"] = draw(st.sampled_from(SOUNDS))
    return "seg", written, meaning


def items(depth: int = 0) -> st.SearchStrategy[list[Any]]:
    inner = segment() if depth >= 2 else st.one_of(segment(), segment(), repeat(depth + 1))
    return st.lists(inner, min_size=1, max_size=4)


@st.composite
def repeat(draw: st.DrawFn, depth: int) -> tuple[str, dict[str, Any], Any]:
    times = draw(st.integers(1, 3))
    children = draw(items(depth))
    return "rep", {"repeat": times}, (times, children)


@st.composite
def plan(draw: st.DrawFn) -> tuple[dict[str, Any], Fraction, list[Any]]:
    """(the plan as a mapping, its base cadence, the generated tree with meanings)."""
    tree = draw(items())
    base = Fraction(draw(st.integers(120, 200)))
    mapping: dict[str, Any] = {"name": "Fuzzed", "spm": int(base)}
    if draw(st.booleans()):
        mapping["breath"] = draw(st.sampled_from(["4:6", "3:2", "off"]))
    if draw(st.booleans()):
        mapping["sound"] = draw(st.sampled_from(SOUNDS))
    mapping["segments"] = [_written(node) for node in tree]
    return mapping, base, tree


def _written(node: Any) -> dict[str, Any]:
    kind, written, meaning = node
    if kind == "seg":
        return dict(written)
    times, children = meaning
    return {"repeat": times, "segments": [_written(c) for c in children]}


def _expand(tree: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for kind, _, meaning in tree:
        if kind == "seg":
            out.append(meaning)
        else:
            times, children = meaning
            out.extend(_expand(children) * times)
    return out


def _resolve(meaning: tuple[str, Fraction], base: Fraction) -> Fraction:
    kind, value = meaning
    if kind == "abs":
        return value
    if kind == "rel":
        return base + value
    return base * value / 100


def expected_segments(
    tree: list[Any], base: Fraction
) -> list[tuple[Fraction, Fraction, Fraction, int]]:
    """(s0, s1, seconds, step count) of each expanded segment, by the format's rules."""
    out = []
    for meaning in _expand(tree):
        spm = meaning.get("spm")
        if spm is None:
            s0 = s1 = base
        elif isinstance(spm, tuple) and isinstance(spm[0], tuple):
            s0, s1 = _resolve(spm[0], base), _resolve(spm[1], base)
        else:
            s0 = s1 = _resolve(spm, base)
        if "steps" in meaning:
            seconds = Fraction(120 * meaning["steps"]) / (s0 + s1)
            count = meaning["steps"]
        else:
            seconds = meaning["seconds"]
            # Steps fall while the integral of the cadence is below the duration's total.
            count = math.ceil(seconds * (s0 + s1) / 120)
        out.append((s0, s1, seconds, count))
    return out


def in_range(segments: list[tuple[Fraction, Fraction, Fraction, int]]) -> bool:
    return all(60 <= s <= 240 for s0, s1, _, _ in segments for s in (s0, s1))


def ramp_frame(k: int, s0: Fraction, s1: Fraction, seconds: Fraction, rate: int) -> int:
    """Step k of a ramp: where the integral of a cadence linear in time reaches k steps."""
    if s0 == s1:
        return round(Fraction(k * 60 * rate) / s0)
    a = (Decimal(s1.numerator) / s1.denominator - Decimal(s0.numerator) / s0.denominator) / (
        2 * Decimal(seconds.numerator) / seconds.denominator
    )
    b = Decimal(s0.numerator) / s0.denominator
    t = (-b + (b * b + 4 * a * 60 * k).sqrt()) / (2 * a)
    return int((t * rate).to_integral_value(ROUND_HALF_EVEN))


@given(plan(), st.sampled_from([8000, 22050, 44100, 48000]))
def test_valid_plans_keep_the_timing_rules(generated, rate):
    mapping, base, tree = generated
    expected = expected_segments(tree, base)
    assume(in_range(expected))
    text = yaml.safe_dump(mapping, sort_keys=False)
    note(text)
    from_text = parse_plan(text, source="fuzz.yaml")
    from_mapping = parse_plan(mapping, source="fuzz")
    assert from_text == from_mapping  # the same plan whichever way it was written
    session = resolve(from_text, rate=rate)
    total_seconds = sum((seconds for _, _, seconds, _ in expected), Fraction(0))
    assert session.total_seconds == total_seconds
    assert session.total_frames == round(total_seconds * rate)

    steps: dict[int, list[int]] = {}
    starts = []
    for event in events(session):
        if isinstance(event, Step):
            steps.setdefault(event.segment, []).append(event.frame)
        else:
            starts.append(event.frame)
    boundary = Fraction(0)
    for index, (s0, s1, seconds, count) in enumerate(expected):
        start = round(boundary * rate)
        assert starts[index] == start
        frames = steps.get(index, [])
        assert len(frames) == count, f"segment {index}"
        assert all(b > a for a, b in itertools.pairwise(frames)), f"segment {index} not rising"
        for k in {0, 1, count // 2, count - 1}:  # spot checks against the closed forms
            if 0 <= k < count:
                assert frames[k] == start + ramp_frame(k, s0, s1, seconds, rate)
        boundary += seconds
    assert len(starts) == len(expected)


@given(plan(), st.booleans(), st.sampled_from([1000, 4096, 16384]))
def test_short_plans_render_to_their_declared_length(generated, stereo, block_frames):
    mapping, base, tree = generated
    expected = expected_segments(tree, base)
    assume(in_range(expected))
    total_seconds = sum((seconds for _, _, seconds, _ in expected), Fraction(0))
    assume(total_seconds <= 90)
    session = resolve(parse_plan(mapping), rate=8000)
    sizes = []
    peak = 0.0
    for out in blocks(session, MixOptions(stereo=stereo), block_frames=block_frames):
        assert out.dtype == np.float32 and out.shape[1] == (2 if stereo else 1)
        sizes.append(len(out))
        peak = max(peak, float(np.max(np.abs(out))))
    assert sum(sizes) == session.total_frames == round(total_seconds * 8000)
    assert all(size == block_frames for size in sizes[:-1])
    assert peak <= 1.0


# --- broken plans ------------------------------------------------------------------------------

BAD_VALUES: dict[str, list[Any]] = {
    "spm": [
        0,
        59,
        241,
        1000,
        -170,
        "fast",
        "170 spm",
        "+",
        "%",
        "1e3",
        "+200",
        "-200",  # broken from every base (60 to 240); "-100" from 160 is 60, a valid cadence
        "300%",
        [],
        [170],
        [1, 2, 3],
        {"a": 1},
        True,
        ["+5", "x"],
        [[170], 170],
    ],
    "duration": [
        "0s",
        "-1m",
        "abc",
        0,
        "25h",
        "1m1h",
        "90",
        True,
        [],
        {"m": 1},
        "1:60:00",
        "s",
        "1.s",
    ],
    "steps": [0, -1, 1.5, "many", True, [], "1e3", 10**9, "12 steps"],
    "breath": ["0:4", "4:0", "17:1", "4", "a:b", 5, "4:6:2", [], "-1:2"],
    "sound": ["gong", 3, [], "click", {"x": 1}],
    "name": ["", "   ", "x" * 300, [], {"a": 1}],
}
TOP_BAD: dict[str, list[Any]] = {
    "spm": [0, 1000, "+5", "95%", ["150", "170"], "fast", True],
    "breath": ["0:4", "17:1", "a:b", 5, [1, 2]],
    "sound": ["gong", 3, []],
    "segments": [[], "x", {}, None, 5, [5], ["Run"]],
    "name": ["", [], {"a": 1}],
    "description": [[], {"a": 1}],
}
REPEAT_BAD = [0, -1, "x", 1.5, 10**9, [], True]


def _segment_paths(
    segments: list[Any], prefix: str = "segments"
) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for i, item in enumerate(segments):
        path = f"{prefix}[{i}]"
        found.append((path, item))
        if "repeat" in item:
            found.extend(_segment_paths(item["segments"], f"{path}.segments"))
    return found


@st.composite
def broken(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A valid plan with one thing broken, and the field path the error must name."""
    mapping, _, _ = draw(plan())
    places = _segment_paths(mapping["segments"])
    how = draw(
        st.sampled_from(
            [
                "segment value",
                "top value",
                "unknown key",
                "both",
                "neither",
                "repeat",
                "top unknown key",
            ]
        )
    )
    path, item = draw(st.sampled_from(places))
    key_text = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
    if how == "top value":
        key = draw(st.sampled_from(sorted(TOP_BAD)))
        mapping[key] = draw(st.sampled_from(TOP_BAD[key]))
        return mapping, key
    if how == "top unknown key":
        key = draw(key_text.filter(lambda k: k not in PLAN_KEYS))
        mapping[key] = 1
        return mapping, key
    if "repeat" in item:
        if how == "repeat":
            item["repeat"] = draw(st.sampled_from(REPEAT_BAD))
            return mapping, f"{path}.repeat"
        if how == "unknown key":
            key = draw(key_text.filter(lambda k: k not in {"repeat", "segments", "name"}))
            item[key] = "x"
            return mapping, f"{path}.{key}"
        # Break the first plain segment inside instead.
        path, item = next(
            (p, i)
            for p, i in _segment_paths(item["segments"], f"{path}.segments")
            if "repeat" not in i
        )
    if how == "unknown key":
        key = draw(key_text.filter(lambda k: k not in SEGMENT_KEYS | {"repeat"}))
        item[key] = "x"
        return mapping, f"{path}.{key}"
    if how == "both":
        item["duration"], item["steps"] = "1m", 100
        return mapping, f"{path}.duration"
    if how == "neither":
        item.pop("duration", None)
        item.pop("steps", None)
        return mapping, f"{path}.duration"
    key = draw(st.sampled_from(sorted(BAD_VALUES)))
    item.pop("duration" if key == "steps" else "steps" if key == "duration" else "", None)
    item[key] = draw(st.sampled_from(BAD_VALUES[key]))
    return mapping, f"{path}.{key}"


def _fails_cleanly(source: Any, name: str) -> PlanError:
    try:
        resolve(parse_plan(source, source=name))
    except PlanError as err:
        return err
    raise AssertionError("a broken plan was accepted")


@given(broken())
def test_broken_plans_raise_plan_errors_that_name_the_field(case):
    mapping, field = case
    note(repr(mapping))
    err = _fails_cleanly(mapping, "broken")
    assert err.field == field or str(err.field).startswith(field + "["), (str(err), field)
    assert str(err).startswith(f"broken: {err.field}: ")
    text = yaml.safe_dump(mapping, sort_keys=False)
    err = _fails_cleanly(text, "broken.yaml")
    assert err.field == field or str(err.field).startswith(field + "["), (str(err), field)
    assert str(err).startswith("broken.yaml:") and f": {err.field}: " in str(err)


@given(plan(), st.data())
def test_truncated_and_corrupted_plan_text_fails_only_with_plan_errors(generated, data):
    mapping, _, _ = generated
    text = yaml.safe_dump(mapping, sort_keys=False).encode()
    how = data.draw(st.sampled_from(["truncate", "flip", "insert", "junk"]))
    if how == "truncate":
        text = text[: data.draw(st.integers(0, len(text)))]
    elif how == "flip":
        at = data.draw(st.integers(0, len(text) - 1))
        text = text[:at] + bytes([data.draw(st.integers(0, 255))]) + text[at + 1 :]
    elif how == "insert":
        at = data.draw(st.integers(0, len(text)))
        text = text[:at] + data.draw(st.binary(min_size=1, max_size=8)) + text[at:]
    else:
        text = data.draw(st.binary(max_size=256))
    note(repr(text))
    try:
        session = resolve(parse_plan(text, source="fuzz.yaml"))
    except PlanError as err:
        assert str(err).startswith("fuzz.yaml")
    else:
        # Text that is accepted is a real plan: its segments tile the session exactly.
        segs = list(session.segments())
        assert segs and segs[0].start_frame == 0
        assert all(a.end_frame == b.start_frame for a, b in itertools.pairwise(segs))
        assert segs[-1].end_frame == session.total_frames > 0
    # Anything else (ValueError, KeyError, ...) escapes and fails the test.


@given(st.text(max_size=80), st.sampled_from(sorted(SEGMENT_KEYS | {"repeat"})))
def test_any_text_in_any_field_is_a_value_or_a_plan_error(value, key):
    item: dict[str, Any] = {"name": "Run", "duration": "1m", key: value}
    if key == "repeat":
        item = {"repeat": value, "segments": [{"name": "Run", "duration": "1m"}]}
    elif key == "steps":
        item.pop("duration")
    try:
        session = resolve(parse_plan({"segments": [item]}, source="fuzz"))
    except PlanError as err:
        assert err.field is not None and key in err.field
    else:
        # An accepted value gives a playable segment within every limit.
        seg = next(session.segments())
        assert seg.frames > 0 and seg.steps >= 1
        assert MIN_SPM <= seg.spm_start <= MAX_SPM and MIN_SPM <= seg.spm_end <= MAX_SPM
        if key == "name":
            assert seg.name == clean_text(value.strip())


def test_non_ascii_digits_in_steps_are_a_plan_error():
    with pytest.raises(PlanError, match="whole number"):
        parse_plan('segments: [{name: A, steps: "²"}]')


# --- hostile values: anything thrown at the parser, the options and the Python API -------------
# Only PlanError and OptionError may come out (exit code 2 on the command line), never a
# ValueError, OverflowError, TypeError or RecursionError.

HOSTILE_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**4000), max_value=10**4000),
    st.fractions(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from([10**4000, -(10**4000), 1e308, -0.0, 5e-324, True, False]),
)
HOSTILE_TEXT = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "nan",
            "inf",
            "-inf",
            "1e400",
            "1" * 4401,
            "１７０",
            "1_000",
            "0x10",
            "\x1b]0;x\x07",
            "a\nb",
            "a\x00b",
            "170%",
            "+1e3",
            "1:99",
            "0.0000001%",
            "¹",
            "1" * 31,
        ]
    ),
)
HOSTILE_SCALAR = st.one_of(st.none(), st.booleans(), HOSTILE_NUMBERS, HOSTILE_TEXT)
#: What YAML itself can hold: no Fraction or Decimal.
YAML_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**4000), max_value=10**4000),
    HOSTILE_TEXT,
)
YAML_VALUE = st.recursive(
    YAML_SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(HOSTILE_TEXT, st.sampled_from(sorted(PLAN_KEYS))), inner, max_size=4
        ),
    ),
    max_leaves=12,
)
HOSTILE_VALUE = st.recursive(
    HOSTILE_SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(HOSTILE_TEXT, st.sampled_from(sorted(PLAN_KEYS))), inner, max_size=4
        ),
    ),
    max_leaves=12,
)


def _hostile_mapping(keys: set[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(sorted(keys)), HOSTILE_VALUE, max_size=len(keys))


@given(
    st.one_of(
        st.text(max_size=300),
        st.binary(max_size=300),
        YAML_VALUE.map(lambda v: yaml.safe_dump(v, allow_unicode=True)),
        st.fixed_dictionaries(
            {"segments": st.lists(_hostile_mapping(SEGMENT_KEYS | {"repeat"}), max_size=3)},
            optional={k: HOSTILE_VALUE for k in ("name", "spm", "breath", "sound")},
        ),
        st.fixed_dictionaries(
            {"weeks": st.lists(st.one_of(HOSTILE_VALUE, st.lists(HOSTILE_TEXT, max_size=3)))},
            optional={k: HOSTILE_VALUE for k in ("name", "spm", "rest_days", "progression")},
        ),
    )
)
def test_anything_at_the_plan_parser_is_a_plan_or_a_plan_error(source):
    from runcoach.plans.catalogue import parse_any

    note(repr(source)[:2000])
    try:
        item = parse_any(source, source="hostile")
    except PlanError as err:
        assert len(str(err)) < 600, str(err)  # values are quoted short
        return
    plans = [item] if not hasattr(item, "weeks") else [p for _, _, p in item.sessions()]
    for the_plan in plans:
        with contextlib.suppress(PlanError):
            resolve(the_plan)


@given(HOSTILE_NUMBERS | HOSTILE_TEXT | HOSTILE_VALUE)
def test_every_number_entry_point_gives_a_number_or_a_plan_error(value):
    from runcoach.plans.programs import parse_offset
    from runcoach.plans.units import parse_duration, parse_number

    for parse in (
        lambda v: parse_number(v, field="x"),
        parse_duration,
        parse_offset,
        lambda v: Cadence.parse(v),
        lambda v: Breath.parse(v),
    ):
        try:
            result = parse(value)
        except PlanError as err:
            assert len(str(err)) < 400
        else:
            if isinstance(result, Fraction):
                assert abs(result) < 10**31


@given(
    name=HOSTILE_SCALAR,
    duration=HOSTILE_SCALAR,
    steps=HOSTILE_SCALAR,
    spm=HOSTILE_VALUE,
    breath=HOSTILE_SCALAR,
    sound=HOSTILE_SCALAR,
    plan_spm=HOSTILE_SCALAR,
    week_spm=HOSTILE_SCALAR,
)
def test_the_python_api_models_accept_only_plan_errors(
    name, duration, steps, spm, breath, sound, plan_spm, week_spm
):
    import runcoach

    try:
        seg = runcoach.Segment(
            name, duration=duration, steps=steps, spm=spm, breath=breath, sound=sound
        )
    except PlanError:
        seg = runcoach.Segment("Run", duration=60)
    try:
        plan_ = runcoach.Plan("p", (seg,), spm=plan_spm if plan_spm is not None else 170)
    except PlanError:
        plan_ = runcoach.Plan("p", (seg,))
    try:
        week = runcoach.Week((plan_,), spm=week_spm if week_spm is not None else 0)
        program = runcoach.Program("prog", (week,), spm=plan_spm)
    except PlanError:
        return
    with contextlib.suppress(PlanError, OptionError):
        resolve(program.session(1, 1))


@given(
    spm=HOSTILE_SCALAR,
    rate=st.one_of(st.sampled_from([8000, 11025, 7999, 192001]), HOSTILE_SCALAR),
    volume=HOSTILE_SCALAR,
    countdown=st.one_of(st.integers(-2, 12), HOSTILE_SCALAR),
    fmt=st.one_of(st.sampled_from(["wav", "flac", "mp3", "m4a", "ogg"]), HOSTILE_SCALAR),
    bitrate=st.one_of(st.none(), st.sampled_from([8, 32, 64, 320]), HOSTILE_SCALAR),
    stereo=st.one_of(st.booleans(), HOSTILE_SCALAR),
    breath=st.one_of(st.none(), HOSTILE_SCALAR),
)
def test_render_from_python_accepts_only_plan_and_option_errors(
    tmp_path_factory, spm, rate, volume, countdown, fmt, bitrate, stereo, breath
):
    import runcoach

    plan_ = runcoach.Plan("tiny", (runcoach.Segment("Run", duration=Fraction(1, 20)),))
    out = tmp_path_factory.mktemp("api") / "x.audio"
    try:
        result = runcoach.render(
            plan_,
            out,
            spm=spm,
            rate=rate,
            volume=volume,
            stereo=stereo,
            countdown=countdown,
            fmt=fmt,
            bitrate=bitrate,
            breath=breath,
        )
    except (PlanError, OptionError) as err:
        assert "\n" not in str(err)
        assert not out.exists()
    else:
        assert out.stat().st_size == result.bytes > 0


@given(
    name=st.one_of(HOSTILE_TEXT, st.sampled_from(["intervals", "return-to-run", "steady"])),
    week=st.one_of(st.none(), st.integers(-3, 12), HOSTILE_SCALAR),
    session=st.one_of(st.none(), st.integers(-3, 5), HOSTILE_SCALAR),
)
def test_load_plan_accepts_only_plan_and_option_errors(name, week, session):
    import runcoach

    with contextlib.suppress(PlanError, OptionError):
        runcoach.load_plan(name, week=week, session=session)


_OPTION_VALUES = st.one_of(
    HOSTILE_TEXT.filter(lambda t: "\x00" not in t), st.sampled_from(["170", "0.5", "4:6", "10s"])
)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "--spm",
                    "--volume",
                    "--click-db",
                    "--cue-db",
                    "--music-db",
                    "--quality",
                    "--sample-rate",
                    "--countdown",
                    "--bitrate",
                    "--breath",
                    "--sound",
                    "--duration",
                    "--week",
                    "--session",
                    "--announce-every",
                    "--format",
                ]
            ),
            _OPTION_VALUES,
        ),
        max_size=4,
    )
)
def test_option_parsers_give_one_line_and_exit_2(options):
    from typer.testing import CliRunner

    from runcoach.cli import app

    args = (
        ["render", "--duration", "10s"]
        if all(o != "--duration" for o, _ in options)
        else ["render"]
    )
    for option, value in options:
        args += [option, value]
    # A folder that does not exist: valid options stop at the destination, nothing renders.
    args += ["-o", "/nonexistent-runcoach-folder/x.wav"]
    result = CliRunner().invoke(app, args)
    note(repr(args))
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("runcoach: error: ")
    assert "unexpected error" not in result.stderr


@given(spm=_OPTION_VALUES, breath=_OPTION_VALUES, week=_OPTION_VALUES, session=_OPTION_VALUES)
def test_plans_show_options_give_a_listing_or_one_line(spm, breath, week, session):
    from typer.testing import CliRunner

    from runcoach.cli import app

    args = [
        "plans",
        "show",
        "return-to-run",
        "--spm",
        spm,
        "--week",
        week,
        "--session",
        session,
        "--breath",
        breath,
    ]
    result = CliRunner().invoke(app, args)
    note(repr(args))
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert result.stderr.count("\n") == 1 and "unexpected error" not in result.stderr
