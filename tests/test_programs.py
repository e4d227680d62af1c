"""Multi-week programs: the built-ins, the file format, cadence changes, the user plan folder."""

from __future__ import annotations

import itertools
import os
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from runcoach.errors import OptionError, PlanError
from runcoach.plans.catalogue import (
    load_any,
    load_plan,
    load_program,
    parse_program,
    read_plan_file,
)
from runcoach.plans.loader import (
    builtin_plan_names,
    builtin_program_names,
    parse_plan,
    user_plans_dir,
)
from runcoach.plans.model import Plan, Repeat, Segment
from runcoach.plans.programs import Program, ProgramSession, Week, parse_offset
from runcoach.timeline import resolve


@pytest.fixture(autouse=True)
def plans_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user plan folder, so the runner's own files never leak into a test."""
    folder = tmp_path / "user-plans"
    folder.mkdir()
    monkeypatch.setenv("RUNCOACH_PLANS_DIR", str(folder))
    return folder


def rows(plan: Plan, spm: float | None = None) -> list[tuple[str, Fraction, Fraction, Fraction]]:
    """(name, duration, spm_start, spm_end) of every expanded segment."""
    return [
        (s.name, s.duration_seconds, s.spm_start, s.spm_end)
        for s in resolve(plan, spm=spm).segments()
    ]


# --- the built-in programs -------------------------------------------------------------------


def test_builtin_programs_are_listed_apart_from_plans():
    assert {"return-to-run", "cadence-builder-6w"} <= set(builtin_program_names())
    assert not set(builtin_program_names()) & set(builtin_plan_names())


def test_return_to_run_is_nine_weeks_of_three_sessions():
    program = load_program("return-to-run")
    assert len(program.weeks) == 9
    assert all(len(week.sessions) == 3 for week in program.weeks)


@pytest.mark.parametrize("spm", [None, 160, 168, 180])
def test_return_to_run_sessions_have_the_couch_to_5k_shape(spm):
    program = load_program("return-to-run")
    base = Fraction(spm) if spm is not None else program.spm
    longest_runs = []
    for week, number, plan in program.sessions():
        segs = rows(plan, spm)
        # a warm-up walk and a cool-down walk of 5 minutes, well below running cadence
        assert "walk" in segs[0][0].lower() and "walk" in segs[-1][0].lower()
        assert segs[0][1] == segs[-1][1] == 300
        assert segs[0][2] <= 125 and segs[-1][2] <= 125
        middle = segs[1:-1]
        runs = [s for s in middle if s[2] == base]
        walks = [s for s in middle if s[2] != base]
        # everything in the middle either runs at the runner's cadence or walks (100-125)
        assert all(100 <= s[2] <= 125 for s in walks)
        assert runs, (week, number)
        # run and walk blocks alternate
        kinds = ["run" if s[2] == base else "walk" for s in middle]
        assert all(a != b for a, b in itertools.pairwise(kinds)), (week, number, kinds)
        assert kinds[0] == "run"
        longest_runs.append((week, max(s[1] for s in runs)))
    # from short jogs to 30 minutes of continuous running, never getting shorter week to week
    assert longest_runs[0][1] <= 60
    assert [r for w, r in longest_runs if w == 9] == [1800, 1800, 1800]
    by_week = [max(r for w, r in longest_runs if w == week) for week in range(1, 10)]
    assert by_week == sorted(by_week)


def test_return_to_run_follows_the_runners_cadence():
    plan = load_plan("return-to-run", week=3, session=2)
    cadences = {s[2] for s in rows(plan, 168)}
    assert 168 in cadences and max(cadences) == 168
    assert {s[2] for s in rows(plan, 172)} - cadences == {172}


@pytest.mark.parametrize("spm", [150, 160, 165])
def test_cadence_builder_raises_the_target_two_spm_a_week(spm):
    program = load_program("cadence-builder-6w")
    assert len(program.weeks) == 6
    targets = []
    for week in range(1, 7):
        tops = {max(s[3] for s in rows(program.session(week, n), spm)) for n in (1, 2, 3)}
        assert len(tops) == 1  # every session of a week works up to the same target
        targets.append(tops.pop())
    assert targets == [spm + 2 * week for week in range(1, 7)]
    # walks stay where they are
    walks = {s[2] for s in rows(program.session(6, 2), spm) if s[0] == "Walk"}
    assert walks == {115}


def test_every_builtin_program_session_resolves_across_the_cadence_range():
    for name in builtin_program_names():
        program = load_program(name)
        for spm in (150, 170, 185):
            for _, _, plan in program.sessions():
                assert resolve(plan, spm=spm).total_seconds > 0


def test_builtin_programs_use_builtin_plans_even_when_shadowed(plans_dir):
    (plans_dir / "intervals.yaml").write_text("segments: [{name: Mine, duration: 10s}]\n")
    assert load_plan("intervals").segments[0].name == "Mine"  # --plan intervals: yours
    session = load_plan("cadence-builder-6w", week=1, session=2)
    assert "Mine" not in {s[0] for s in rows(session)}


# --- choosing a session ----------------------------------------------------------------------


def test_a_program_needs_a_week_and_a_session():
    with pytest.raises(OptionError, match=r"--week and --session.*--week 1-9 --session 1-3"):
        load_plan("return-to-run")
    with pytest.raises(OptionError, match=r"give --session"):
        load_plan("return-to-run", week=2)
    with pytest.raises(OptionError, match=r"--week must be between 1 and 9.*got 10"):
        load_plan("return-to-run", week=10, session=1)
    with pytest.raises(OptionError, match=r"--week must be between 1 and 9.*got 0"):
        load_plan("return-to-run", week=0, session=1)
    with pytest.raises(OptionError, match=r"--session must be between 1 and 3.*week 4.*got 4"):
        load_plan("return-to-run", week=4, session=4)
    with pytest.raises(OptionError, match="is a plan"):
        load_plan("intervals", week=1, session=1)


def test_a_program_is_not_a_plan_where_a_plan_is_needed(tmp_path):
    path = tmp_path / "prog.yaml"
    path.write_text("weeks: [[intervals]]\n")
    with pytest.raises(PlanError, match="program of 1 week, not a plan") as err:
        read_plan_file(path)
    assert str(path) in str(err.value)
    with pytest.raises(PlanError, match="not a plan"):
        parse_plan("weeks: [[intervals]]\n")
    with pytest.raises(PlanError, match="is a plan, not a program"):
        load_program("intervals")
    with pytest.raises(PlanError, match="is a plan, not a program"):
        parse_program("segments: [{name: Run, duration: 1m}]\n")


def test_session_plans_are_named_after_the_program_week_and_session():
    plan = load_plan("return-to-run", week=9, session=3)
    assert plan.name == "Return to run, week 9, session 3"
    assert plan.description.startswith("30-minute run")


# --- the file format ---------------------------------------------------------------------------

PROGRAM = """\
name: Coach's program
description: three weeks
spm: 160
weeks:
  - name: Week 1
    sessions:
      - easy                          # next to the program file
      - {plan: intervals, spm: "-4"}  # built-in, with its own change
      - name: Inline
        breath: "3:3"
        segments:
          - {name: Walk, duration: 1m, spm: 115}
          - repeat: 2
            segments:
              - {name: Run, duration: 2m}
              - {name: Ramp, duration: 1m, spm: ["-10", "+5"]}
  - name: Week 2
    spm: "+3"
    sessions: [easy, ./easy.yaml, {plan: easy, spm: "+1.5"}]
  - [easy]
"""

EASY = "name: Easy\nspm: 150\nsegments:\n  - {name: Walk, duration: 2m, spm: 110}\n  - {name: Jog, duration: 3m}\n"


@pytest.fixture()
def program_file(tmp_path: Path) -> Path:
    folder = tmp_path / "coach"
    folder.mkdir()
    (folder / "easy.yaml").write_text(EASY)
    path = folder / "program.yaml"
    path.write_text(PROGRAM)
    return path


def test_program_file_with_references_inline_plans_and_changes(program_file):
    program = load_program(program_file)
    assert program.name == "Coach's program" and program.spm == 160
    assert [len(w.sessions) for w in program.weeks] == [3, 3, 1]
    assert [w.spm for w in program.weeks] == [0, 3, 0]
    assert program.weeks[1].name == "Week 2" and program.weeks[2].name is None
    # the program's cadence is the base of every session; the plan's own (150) gives way
    assert rows(program.session(1, 1)) == [("Walk", 120, 110, 110), ("Jog", 180, 160, 160)]
    # a session's change adds to the base; absolute cadences stay
    intervals = rows(program.session(1, 2))
    assert {s[2] for s in intervals if s[0] == "Run"} == {156}
    assert {s[2] for s in intervals if s[0] == "Walk"} == {115}
    assert intervals[-1][2:] == (151, 141)  # the cool-down ramp ["-5", "-15"] moves too
    inline = program.session(1, 3)
    assert inline.breath.inhale == 3 and inline.description == "Inline"
    assert rows(inline) == [
        ("Walk", 60, 115, 115),
        ("Run", 120, 160, 160),
        ("Ramp", 60, 150, 165),
        ("Run", 120, 160, 160),
        ("Ramp", 60, 150, 165),
    ]
    # week 2: +3 for all; a session's own change adds to the week's
    assert rows(program.session(2, 1))[1] == ("Jog", 180, 163, 163)
    assert rows(program.session(2, 2))[1] == ("Jog", 180, 163, 163)
    assert rows(program.session(2, 3))[1] == ("Jog", 180, Fraction(329, 2), Fraction(329, 2))
    # --spm replaces the program's base; the changes still apply
    assert rows(program.session(2, 1), 170)[1] == ("Jog", 180, 173, 173)
    assert rows(program.session(3, 1), 170)[1] == ("Jog", 180, 170, 170)


def test_references_are_looked_up_next_to_the_program_then_the_user_folder(program_file, plans_dir):
    (plans_dir / "mine.yml").write_text("segments: [{name: Mine, duration: 30s}]\n")
    text = "weeks: [[mine, easy, intervals]]\n"
    path = program_file.parent / "other.yaml"
    path.write_text(text)
    program = load_program(path)
    names = [program.session(1, n).segments[0].name for n in (1, 2, 3)]  # type: ignore[union-attr]
    assert names == ["Mine", "Walk", "Warm-up walk"]


def test_anchors_repeat_a_session(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "weeks:\n"
        "  - sessions:\n"
        "      - &s {name: S, segments: [{name: Run, duration: 1m}]}\n"
        "      - *s\n"
    )
    program = load_program(path)
    assert rows(program.session(1, 1)) == rows(program.session(1, 2))


@pytest.mark.parametrize(
    ("text", "line", "field", "fragment"),
    [
        ("weeks: []\n", 1, "weeks", "at least one week"),
        ("weeks: 3\n", 1, "weeks", "list of weeks"),
        ("weeks:\n  - {sessions: []}\n", 2, "weeks[0].sessions", "at least one session"),
        ("weeks:\n  - {name: W}\n", 2, "weeks[0].sessions", "needs a list of sessions"),
        ("weeks:\n  - {sesions: [steady]}\n", 2, "weeks[0].sesions", "did you mean 'sessions'"),
        ("name: P\nweks: []\nweeks: [[steady]]\n", 2, "weks", "did you mean 'weeks'"),
        ("weeks:\n  - sessions: [steady]\n    spm: fast\n", 3, "weeks[0].spm", "cadence change"),
        ("weeks:\n  - sessions: [steady]\n    spm: '95%'\n", 3, "weeks[0].spm", "cadence change"),
        ("weeks:\n  - sessions: [steady]\n    spm: '+500'\n", 3, "weeks[0].spm", "±100"),
        ("weeks:\n  - [nosuch]\n", 2, "weeks[0].sessions[0]", "unknown plan 'nosuch'"),
        ("weeks:\n  - [return-to-run]\n", 2, "weeks[0].sessions[0]", "is a program"),
        (
            "weeks:\n  - [{plan: steady, sppm: 2}]\n",
            2,
            "weeks[0].sessions[0].sppm",
            "did you mean 'spm'",
        ),
        ("weeks:\n  - [{plan: steady, spm: x}]\n", 2, "weeks[0].sessions[0].spm", "cadence change"),
        ("weeks:\n  - [{name: X}]\n", 2, "weeks[0].sessions[0]", "plan name"),
        (
            "weeks:\n  - - segments:\n      - {name: Run, duration: 1m, spm: 1000}\n",
            3,
            "weeks[0].sessions[0].segments[0].spm",
            "between 60 and 240",
        ),
        ("weeks:\n  - - segments: []\n", 2, "weeks[0].sessions[0].segments", "at least one"),
        (
            "weeks:\n  - - {segments: [{name: R, duration: 1m}], colour: red}\n",
            2,
            "weeks[0].sessions[0].colour",
            "unknown key",
        ),
        (
            "weeks:\n  - spm: '+2'\n    sessions:\n      - segments:\n"
            "          - {name: Run, duration: 1m, spm: '95%'}\n",
            5,
            "weeks[0].sessions[0].segments[0].spm",
            "percentage",
        ),
        ("spm: '+5'\nweeks: [[steady]]\n", 1, "spm", "number of steps per minute"),
    ],
)
def test_broken_programs_name_file_line_and_field(tmp_path, text, line, field, fragment):
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(PlanError) as caught:
        load_program(path)
    err = caught.value
    assert err.source == str(path), str(err)
    assert err.line == line, str(err)
    assert err.field == field, str(err)
    assert fragment in err.problem, str(err)
    assert str(err).startswith(f"{path}:{line}: {field}: ")


def test_a_broken_plan_named_by_a_program_points_at_its_own_file(tmp_path):
    (tmp_path / "bad.yaml").write_text("segments:\n  - {name: Run, duration: forever}\n")
    (tmp_path / "p.yaml").write_text("weeks: [[bad]]\n")
    with pytest.raises(PlanError) as caught:
        load_program(tmp_path / "p.yaml")
    assert caught.value.source == str(tmp_path / "bad.yaml")
    assert caught.value.line == 2 and caught.value.field == "segments[0].duration"


def test_a_program_naming_a_program_is_refused(tmp_path):
    (tmp_path / "inner.yaml").write_text("weeks: [[steady]]\n")
    (tmp_path / "outer.yaml").write_text("weeks: [[inner]]\n")
    with pytest.raises(PlanError, match="is a program; a session names a plan"):
        load_program(tmp_path / "outer.yaml")


def test_resolve_errors_in_inline_sessions_carry_the_full_field_path(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "weeks:\n  - spm: '+50'\n    sessions:\n      - segments:\n"
        "          - {name: Run, duration: 1m, spm: '+30'}\n"
    )
    plan = load_plan(path, week=1, session=1)
    with pytest.raises(PlanError) as caught:
        resolve(plan, spm=170)
    err = caught.value
    assert (err.source, err.line) == (str(path), 5)
    assert err.field == "weeks[0].sessions[0].segments[0].spm"


# --- programs built in code --------------------------------------------------------------------


def test_programs_built_in_code_match_the_file(program_file):
    easy = load_plan(program_file.parent / "easy.yaml")
    inline = parse_plan(
        "name: Inline\nbreath: '3:3'\nsegments:\n  - {name: Walk, duration: 1m, spm: 115}\n"
        "  - repeat: 2\n    segments:\n      - {name: Run, duration: 2m}\n"
        "      - {name: Ramp, duration: 1m, spm: ['-10', '+5']}\n"
    )
    built = Program(
        "Coach's program",
        [
            Week([easy, ProgramSession("intervals", spm="-4"), inline], name="Week 1"),
            Week([easy, easy, ProgramSession(easy, spm=1.5)], spm="+3", name="Week 2"),
            [easy],
        ],
        description="three weeks",
        spm=160,
    )
    loaded = load_program(program_file)
    for (w, s, a), (_, _, b) in zip(built.sessions(), loaded.sessions(), strict=True):
        assert rows(a) == rows(b), (w, s)
        assert rows(a, 175) == rows(b, 175), (w, s)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: Program("P", []), "at least one week"),
        (lambda: Program("", [["steady"]]), "non-empty"),
        (lambda: Program("P", [["steady"]], spm="+5"), "number of steps per minute"),
        (lambda: Program("P", [["steady"]], spm=500), "between 60 and 240"),
        (lambda: Week([]), "at least one session"),
        (lambda: Week(["steady"], spm="95%"), "cadence change"),
        (lambda: Week(["steady"] * 22), "at most 21"),
        (lambda: Week(["no-such-plan"]), "unknown plan"),
        (lambda: ProgramSession(42), "Plan or a plan name"),  # type: ignore[arg-type]
        (lambda: ProgramSession("steady", spm=True), "cadence change"),
        (
            lambda: Program(
                "P",
                [Week([Plan("X", [Segment("R", duration=60, spm="90%")])], spm="+2")],
            ),
            "percentage",
        ),
    ],
)
def test_programs_built_in_code_are_checked(make, fragment):
    with pytest.raises(PlanError, match=fragment):
        make()


def test_offsets_parse_like_the_file_format():
    assert parse_offset("+2") == 2 and parse_offset("-3.5") == Fraction(-7, 2)
    assert parse_offset(" + 4 ") == 4 and parse_offset("0") == 0 and parse_offset(2.25) == 2.25
    for bad in ("fast", "95%", "+", True, None, "+101"):
        with pytest.raises(PlanError):
            parse_offset(bad)


def test_repeats_and_ramps_follow_a_weekly_change():
    inner = Plan(
        "Inner",
        [
            Repeat(
                2,
                [Segment("Up", duration=60, spm=["-10", "+0"]), Segment("W", duration=30, spm=100)],
            ),
            Segment("Share", duration=30, spm="100%"),
        ],
        spm=160,
    )
    plain = Program("P", [Week([inner])])
    assert rows(plain.session(1, 1))[0] == ("Up", 60, 150, 160)
    shifted = Program("P", [Week([Plan("I", list(inner.segments[:1]), spm=160)], spm=4)])
    assert rows(shifted.session(1, 1)) == [("Up", 60, 154, 164), ("W", 30, 100, 100)] * 2


# --- the user plan folder ------------------------------------------------------------------------


def test_user_plans_come_first_then_builtins(plans_dir):
    (plans_dir / "steady.yaml").write_text("name: My steady\nsegments: [{name: R, duration: 1m}]\n")
    (plans_dir / "hills.yml").write_text("segments: [{name: Hill, duration: 1m}]\n")
    assert load_plan("steady").name == "My steady"
    assert load_plan("steady").source == str(plans_dir / "steady.yaml")
    assert load_plan("hills").name == "hills"
    assert load_plan("intervals").name == "Run/walk intervals"
    with pytest.raises(PlanError) as caught:
        load_plan("hils")
    assert "did you mean 'hills'" in str(caught.value) and "your plans: hills, steady" in str(
        caught.value
    )


def test_user_programs_load_by_name(plans_dir):
    (plans_dir / "mine.yaml").write_text("weeks: [[steady, intervals]]\n")
    assert isinstance(load_any("mine"), Program)
    assert load_plan("mine", week=1, session=2).description.startswith("Run/walk intervals")


def test_the_default_folder_is_the_platform_config_folder(monkeypatch, tmp_path):
    import platformdirs

    monkeypatch.delenv("RUNCOACH_PLANS_DIR")
    expected = Path(platformdirs.user_config_dir("runcoach", appauthor=False)) / "plans"
    assert user_plans_dir() == expected
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
        assert user_plans_dir() == tmp_path / "xdg" / "runcoach" / "plans"
        (tmp_path / "xdg" / "runcoach" / "plans").mkdir(parents=True)
        (tmp_path / "xdg" / "runcoach" / "plans" / "x.yaml").write_text(
            "segments: [{name: From XDG, duration: 1m}]\n"
        )
        assert load_plan("x").segments[0].name == "From XDG"  # type: ignore[union-attr]


def test_the_environment_variable_overrides_and_expands_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("RUNCOACH_PLANS_DIR", "~/coach-plans")
    assert user_plans_dir() == tmp_path / "coach-plans"
    assert os.fspath(user_plans_dir()).startswith(str(tmp_path))
