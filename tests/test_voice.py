"""The voice from the espeakng-loader wheel, in several languages, and where it is heard.

The wheel's libespeak-ng speaks with no espeak-ng program anywhere (PATH emptied, the program
route made to fail loudly); the phrases each language says come from its table; the rendered
file carries speech exactly where the announcements were placed, and nothing else changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import runcoach.sounds.voice as voice_module
from conftest import read_wav
from runcoach.errors import OptionError
from runcoach.mix.announce import announcements, segment_phrase
from runcoach.plans import parse_plan
from runcoach.sounds.phrases import LANGUAGES, Language, language
from runcoach.sounds.voice import Voice, espeak_path, library_available, library_info
from runcoach.timeline import resolve

PLAN_TEXT = """
name: Voice check
spm: 170
breath: "4:6"
segments:
  - {name: Walk, duration: 30s, spm: 115, breath: off}
  - {name: Run, duration: 4m}
  - {name: Cool down, duration: 40s, spm: [160, 150]}
"""
PLAN = parse_plan(PLAN_TEXT)

#: What each language says, written out here from the translation (independent of the code).
EXPECTED = {
    "en": {
        "walk": "Walk, thirty seconds, one fifteen",
        "cool": "Cool down, forty seconds, one sixty to one fifty",
        "halfway": "Halfway",
        "minute_left": "One minute left",
        "three_to_go": "three minutes to go",
        "one_to_go": "one minute to go",
        "finish": "Session complete. Well done",
    },
    "de": {
        "walk": "Walk, 30 Sekunden, 115",
        "cool": "Cool down, 40 Sekunden, von 160 auf 150",
        "halfway": "Halbzeit",
        "minute_left": "Noch eine Minute",
        "three_to_go": "Noch 3 Minuten",
        "one_to_go": "Noch eine Minute",
        "finish": "Training beendet. Gut gemacht",
    },
    "fr": {
        "walk": "Walk, 30 secondes, 115",
        "cool": "Cool down, 40 secondes, de 160 à 150",
        "halfway": "À mi-parcours",
        "minute_left": "Plus qu'une minute",
        "three_to_go": "Encore 3 minutes",
        "one_to_go": "Encore une minute",
        "finish": "Séance terminée. Bravo",
    },
    "sv": {
        "walk": "Walk, 30 sekunder, 115",
        "cool": "Cool down, 40 sekunder, från 160 till 150",
        "halfway": "Halvvägs",
        "minute_left": "En minut kvar",
        "three_to_go": "3 minuter kvar",
        "one_to_go": "En minut kvar",
        "finish": "Passet är klart. Bra jobbat",
    },
}

needs_wheel = pytest.mark.skipif(
    not library_available(), reason="the espeakng-loader wheel does not load here"
)


@pytest.fixture
def no_program(tmp_path, monkeypatch):
    """No espeak-ng program on PATH, and the program route fails loudly if taken anyway."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

    def refuse(self: Voice, text: str) -> None:
        raise AssertionError(f"the espeak-ng program was asked to say {text!r}")

    monkeypatch.setattr(Voice, "_run_program", refuse)
    assert espeak_path() is None


# --- the table -------------------------------------------------------------------------------


def test_at_least_six_languages_besides_english_each_with_every_phrase():
    assert {"en", "de", "es", "fr", "nl", "pt", "sv"} <= set(LANGUAGES)
    assert len(LANGUAGES) - 1 >= 6
    english_keys = set(LANGUAGES["en"].table)
    for code, lang in LANGUAGES.items():
        missing = english_keys - set(lang.table) - {"segment", "and"}
        assert not missing, (code, missing)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_phrases_per_language_match_the_translations(code):
    book = language(code)
    walk, _run, cool = resolve(PLAN).segments()
    assert segment_phrase(walk, code) == EXPECTED[code]["walk"]
    assert segment_phrase(cool, code) == EXPECTED[code]["cool"]
    assert book.phrase("halfway") == EXPECTED[code]["halfway"]
    assert book.phrase("minute_left") == EXPECTED[code]["minute_left"]
    assert book.to_go(3) == EXPECTED[code]["three_to_go"]
    assert book.to_go(1) == EXPECTED[code]["one_to_go"]
    assert book.phrase("finish") == EXPECTED[code]["finish"]


@pytest.mark.parametrize(
    ("code", "seconds", "said"),
    [
        ("en", 150, "two minutes thirty"),
        ("en", 3900, "one hour five minutes"),
        ("de", 60, "eine Minute"),
        ("de", 110, "eine Minute 50"),
        ("es", 150, "2 minutos y 30"),
        ("es", 3600, "una hora"),
        ("it", 3900, "un'ora e 5 minuti"),
        ("nl", 7200, "2 uur"),
        ("pt", 7200, "duas horas"),  # agrees with "horas", written out in the table
        ("pt-br", 60, "um minuto"),
        ("sv", 90, "90 sekunder"),
    ],
)
def test_durations_in_each_language(code, seconds, said):
    assert language(code).duration(Fraction(seconds)) == said


def test_cadence_english_as_runners_say_it_others_in_digits_spoken_in_language():
    assert language("en").cadence(Fraction(323, 2)) == "one sixty-two"
    assert language("de").cadence(Fraction(323, 2)) == "162"
    assert language("fr").to_go(1) == "Encore une minute"


def test_a_key_a_language_lacks_is_said_in_english():
    sparse = Language("xx", "Test", "de", {"minutes": "{n} Minuten"})
    assert sparse.phrase("halfway") == "Halfway"
    assert sparse.duration(180) == "3 Minuten"
    assert sparse.to_go(4) == "4 minutes to go"
    assert sparse.segment("Lauf", 180, 170) == "Lauf, 3 Minuten, 170"


def test_language_codes_in_any_case_and_unknown_ones_listed():
    assert language("PT_br").code == "pt-br"
    with pytest.raises(OptionError) as err:
        language("klingon")
    message = str(err.value)
    assert "'klingon'" in message
    for code, lang in LANGUAGES.items():
        assert f"{code} ({lang.name})" in message


def test_cli_unknown_language_is_one_line_listing_the_languages(tmp_path):
    from runcoach.cli import app

    result = CliRunner().invoke(
        app,
        ["render", "-p", "intervals", "--voice-lang", "xx", "-o", str(tmp_path / "x.mp3")],
    )
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("runcoach: error: --voice-lang:") and "'xx'" in lines[0]
    assert all(code in lines[0] for code in ("en", "de", "es", "fr", "nl", "pt", "sv"))
    assert not (tmp_path / "x.mp3").exists()


# --- the library -----------------------------------------------------------------------------


@needs_wheel
def test_the_wheel_speaks_with_no_program_on_path(no_program):
    import espeakng_loader

    version, data = library_info() or ("", "")
    assert version.split(".")[:1] == ["1"]
    assert Path(data).resolve().is_relative_to(Path(espeakng_loader.__file__).resolve().parent)
    for code in ("en", "de"):
        voice = Voice(16000, lang=code)
        assert voice.backend == "library" and voice.program is None
        clip = voice.say(language(code).phrase("halfway"))
        assert clip.dtype == np.float32 and float(np.max(np.abs(clip))) == pytest.approx(1.0)
        # One or two words at 165 words a minute: between a quarter and one and a half second.
        assert 0.25 * 16000 < len(clip) < 1.5 * 16000
        # Speech, not a tone: voiced energy spread over the speech band (100 Hz - 4 kHz).
        spectrum = np.abs(np.fft.rfft(clip)) ** 2
        freqs = np.fft.rfftfreq(len(clip), 1 / 16000)
        band = spectrum[(freqs > 100) & (freqs < 4000)]
        assert band.sum() > 0.9 * spectrum.sum()
        assert np.count_nonzero(band > band.max() * 0.01) > 50


@needs_wheel
def test_a_phrase_sounds_the_same_whatever_was_said_before(no_program):
    """libespeak-ng keeps state between utterances: each phrase gets a fresh library, so the
    audio depends on the text alone (export's workers and play see the same bytes)."""
    first = Voice(16000).say("Run, two minutes, one seventy")
    other = Voice(16000, lang="de")
    other.say("Halbzeit")
    other.say("Noch 2 Minuten")
    again = Voice(16000).say("Run, two minutes, one seventy")
    assert np.array_equal(first, again)
    # And in another process that spoke something else first.
    code = (
        "import hashlib, sys\n"
        "from runcoach.sounds.voice import Voice\n"
        "Voice(16000, lang='fr').say('Encore une minute')\n"
        "clip = Voice(16000).say('Run, two minutes, one seventy')\n"
        "sys.stdout.write(hashlib.sha256(clip.tobytes()).hexdigest())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout == hashlib.sha256(first.tobytes()).hexdigest()


@needs_wheel
def test_pickled_voice_speaks_in_the_worker_the_same(no_program):
    import pickle

    voice = Voice(22050, lang="sv")
    clip = voice.say("Halvvägs")
    copy = pickle.loads(pickle.dumps(voice))
    assert copy.lang == "sv" and copy._cache == {} and copy.backend == "library"
    assert np.array_equal(copy.say("Halvvägs"), clip)


def test_without_the_wheel_the_program_speaks(tmp_path, monkeypatch):
    monkeypatch.setattr(voice_module, "_usable", False)
    if espeak_path() is None:
        pytest.skip("no espeak-ng program to fall back to")
    voice = Voice(16000, lang="de")
    assert voice.backend == "program" and voice.voice == "de"
    assert len(voice.say("Halbzeit")) > 0.25 * 16000


def test_without_the_wheel_or_the_program_the_voice_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(voice_module, "_usable", False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert not voice_module.speech_available()
    with pytest.raises(OptionError, match="pip install espeakng-loader"):
        Voice(16000)


# --- in the rendered audio -------------------------------------------------------------------


RATE = 8000


def _render(folder: Path, name: str, *args: str) -> np.ndarray:
    from runcoach.cli import app

    (folder / "plan.yaml").write_text(PLAN_TEXT)
    dest = folder / name
    result = CliRunner().invoke(
        app, ["render", "-p", str(folder / "plan.yaml"), "-r", str(RATE), "-o", str(dest), *args]
    )
    assert result.exit_code == 0, result.output
    x, rate = read_wav(dest)
    assert rate == RATE
    return x[:, 0]


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> np.ndarray:
    """The session without a voice: clicks and cues alone."""
    return _render(tmp_path_factory.mktemp("plain"), "plain.wav", "--no-voice")


@needs_wheel
@pytest.mark.parametrize("code", ["en", "de"])
def test_phrases_are_heard_where_they_were_placed(tmp_path, no_program, plain, code):
    spoken = _render(
        tmp_path, "voice.wav", "--voice", "--voice-lang", code, "--announce-every", "2m"
    )
    assert spoken.shape == plain.shape
    # The tones are the same, scaled to their share under the voice (0.62 of the ceiling):
    # what is left is the voice alone.
    words = spoken - plain * 0.62
    session = resolve(PLAN, rate=RATE)
    said = list(announcements(session, Voice(RATE, lang=code), every_seconds=120))
    texts = [a.text for a, _ in said]
    expected = EXPECTED[code]
    assert texts[0] == expected["walk"]
    # 5:10 in all: at 2:00 three minutes are left (3:10), at 4:00 one (1:10).
    for key in ("halfway", "minute_left", "three_to_go", "one_to_go", "finish"):
        assert expected[key] in texts, (key, texts)
    assert any(t.startswith(expected["cool"].split(",")[0]) for t in texts)
    heard = np.zeros(len(words), dtype=bool)
    for ann, clip in said:
        stretch = words[ann.frame : ann.frame + len(clip)]
        heard[ann.frame : ann.frame + len(clip)] = True
        # Speech energy over the whole stretch where the phrase was placed...
        rms = float(np.sqrt(np.mean(stretch**2)))
        assert rms > 0.03, (ann.text, rms)
        # ... and it is this phrase: the stretch follows the clip sample for sample.
        assert np.corrcoef(stretch, clip)[0, 1] > 0.99, ann.text
    # Nothing but the tones anywhere else (to within 16-bit rounding).
    assert float(np.max(np.abs(words[~heard]))) < 3 / 32767
    # And the words sit between the clicks: where a phrase is said, the tones are quiet.
    assert float(np.mean(np.abs(plain[heard]))) < float(np.mean(np.abs(plain)))


@needs_wheel
def test_cli_render_with_voice_and_no_program_on_path(runcoach_exe, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    args = ["render", "--duration", "5m", "--voice", "--voice-lang", "es", "-r", "8000"]
    out = subprocess.run(
        [runcoach_exe, *args, "-o", "v.wav"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": str(empty)},
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.rstrip().endswith("with voice") and out.stderr == ""


def test_cli_without_any_voice_warns_and_keeps_the_tones(runcoach_exe, tmp_path):
    """No wheel (its import blocked) and no program on PATH: one warning, the tones alone."""
    empty = tmp_path / "bin"
    empty.mkdir()
    code = (
        "import sys\n"
        "sys.modules['espeakng_loader'] = None\n"
        "from runcoach.cli import main\n"
        "sys.argv = ['runcoach', 'render', '--duration', '2m', '--voice', '-r', '8000',"
        " '-o', 'v.wav']\n"
        "main()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": str(empty)},
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr.startswith("runcoach: warning: spoken announcements need libespeak-ng")
    assert "pip install espeakng-loader" in out.stderr and out.stderr.count("\n") == 1
    assert (tmp_path / "v.wav").exists() and "with voice" not in out.stdout
