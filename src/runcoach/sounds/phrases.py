"""What the voice says, per language: a small table of phrases and how numbers are written.

runcoach says few things: a segment's start ("Run, two minutes, one seventy": the plan's own
segment name, its length, its cadence), "Halfway", "One minute left", "N minutes to go" and
"Session complete. Well done". Each language is one table of templates; a key a language
lacks falls back to English.

Numbers: English keeps runners' words ("one seventy" for 170 steps per minute, spelled here).
Every other language writes digits and lets espeak-ng speak them with that language's own
number rules ("170" is "einhundertsiebzig" in German, "cent soixante-dix" in French): those rules
are maintained by native speakers in espeak-ng's data and cover what a hand-written table would
get wrong (French 70-99, Dutch and German units before tens, Swedish compounds). Only the
forms where a number agrees with its noun (German "eine Minute", Portuguese "duas horas") are
written out in the table, as keys such as ``minutes_1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from runcoach.errors import OptionError

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    """English words for 0 ≤ n < 1000: ``number_words(45) == "forty-five"``."""
    if not 0 <= n < 1000:
        raise ValueError(f"only numbers below 1000 are spoken, got {n}")
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    hundreds, rest = divmod(n, 100)
    return f"{_ONES[hundreds]} hundred" + (f" {number_words(rest)}" if rest else "")


def cadence_words(spm: Fraction | float) -> str:
    """A cadence as English-speaking runners say it: 170 → "one seventy", 105 → "one oh five"."""
    value = round(spm)
    if 100 <= value < 200 and value % 100:
        rest = value % 100
        return "one " + (f"oh {_ONES[rest]}" if rest < 10 else number_words(rest))
    return number_words(value)


#: The English table: every key, and the fallback for a key another language lacks.
_ENGLISH: dict[str, str] = {
    "segment": "{name}, {duration}, {cadence}",
    "ramp": "{start} to {end}",
    "seconds": "{n} seconds",
    "seconds_1": "one second",
    "minutes": "{n} minutes",
    "minutes_1": "one minute",
    "hours": "{n} hours",
    "hours_1": "one hour",
    "no_time": "zero seconds",
    "and": " ",  # between the parts of a length: "two minutes thirty"
    "halfway": "Halfway",
    "minute_left": "One minute left",
    "to_go": "{n} minutes to go",
    "to_go_1": "one minute to go",
    "finish": "Session complete. Well done",
}

_GERMAN = {
    "ramp": "von {start} auf {end}",
    "seconds": "{n} Sekunden",
    "seconds_1": "eine Sekunde",
    "minutes": "{n} Minuten",
    "minutes_1": "eine Minute",
    "hours": "{n} Stunden",
    "hours_1": "eine Stunde",
    "no_time": "null Sekunden",
    "halfway": "Halbzeit",
    "minute_left": "Noch eine Minute",
    "to_go": "Noch {n} Minuten",
    "to_go_1": "Noch eine Minute",
    "finish": "Training beendet. Gut gemacht",
}
_SPANISH = {
    "ramp": "de {start} a {end}",
    "seconds": "{n} segundos",
    "seconds_1": "un segundo",
    "minutes": "{n} minutos",
    "minutes_1": "un minuto",
    "hours": "{n} horas",
    "hours_1": "una hora",
    "no_time": "cero segundos",
    "and": " y ",
    "halfway": "Mitad del camino",
    "minute_left": "Queda un minuto",
    "to_go": "Quedan {n} minutos",
    "to_go_1": "Queda un minuto",
    "finish": "Sesión completada. Bien hecho",
}
_FRENCH = {
    "ramp": "de {start} à {end}",
    "seconds": "{n} secondes",
    "seconds_1": "une seconde",
    "minutes": "{n} minutes",
    "minutes_1": "une minute",
    "hours": "{n} heures",
    "hours_1": "une heure",
    "no_time": "zéro seconde",
    "halfway": "À mi-parcours",
    "minute_left": "Plus qu'une minute",
    "to_go": "Encore {n} minutes",
    "to_go_1": "Encore une minute",
    "finish": "Séance terminée. Bravo",
}
_ITALIAN = {
    "ramp": "da {start} a {end}",
    "seconds": "{n} secondi",
    "seconds_1": "un secondo",
    "minutes": "{n} minuti",
    "minutes_1": "un minuto",
    "hours": "{n} ore",
    "hours_1": "un'ora",
    "no_time": "zero secondi",
    "and": " e ",
    "halfway": "A metà",
    "minute_left": "Manca un minuto",
    "to_go": "Mancano {n} minuti",
    "to_go_1": "Manca un minuto",
    "finish": "Sessione completata. Ben fatto",
}
_DUTCH = {
    "ramp": "van {start} naar {end}",
    "seconds": "{n} seconden",
    "seconds_1": "één seconde",
    "minutes": "{n} minuten",
    "minutes_1": "één minuut",
    "hours": "{n} uur",
    "hours_1": "één uur",
    "no_time": "nul seconden",
    "halfway": "Halverwege",
    "minute_left": "Nog één minuut",
    "to_go": "Nog {n} minuten",
    "to_go_1": "Nog één minuut",
    "finish": "Training voltooid. Goed gedaan",
}
_PORTUGUESE = {
    "ramp": "de {start} para {end}",
    "seconds": "{n} segundos",
    "seconds_1": "um segundo",
    "minutes": "{n} minutos",
    "minutes_1": "um minuto",
    "hours": "{n} horas",
    "hours_1": "uma hora",
    "hours_2": "duas horas",
    "no_time": "zero segundos",
    "and": " e ",
    "halfway": "Metade do caminho",
    "minute_left": "Falta um minuto",
    "to_go": "Faltam {n} minutos",
    "to_go_1": "Falta um minuto",
    "finish": "Sessão concluída. Muito bem",
}
_SWEDISH = {
    "ramp": "från {start} till {end}",
    "seconds": "{n} sekunder",
    "seconds_1": "en sekund",
    "minutes": "{n} minuter",
    "minutes_1": "en minut",
    "hours": "{n} timmar",
    "hours_1": "en timme",
    "no_time": "noll sekunder",
    "and": " och ",
    "halfway": "Halvvägs",
    "minute_left": "En minut kvar",
    "to_go": "{n} minuter kvar",
    "to_go_1": "En minut kvar",
    "finish": "Passet är klart. Bra jobbat",
}


@dataclass(frozen=True)
class Language:
    """One language of the voice: its espeak-ng voice and its phrase table."""

    code: str  #: what ``--voice-lang`` takes
    name: str  #: in English, for help texts and errors
    voice: str  #: the espeak-ng voice that speaks it
    table: Mapping[str, str]
    spell_numbers: bool = False  #: True: numbers in words here; False: digits espeak speaks

    def phrase(self, key: str, **values: object) -> str:
        """The template ``key`` (English where this language has none), filled in."""
        template = self.table[key] if key in self.table else _ENGLISH[key]
        return template.format(**values)

    def number(self, n: int) -> str:
        """A count as written into a phrase: words, or digits for espeak-ng to speak."""
        return number_words(n) if self.spell_numbers else str(n)

    def count(self, key: str, n: int) -> str:
        """``n`` of a unit ("minutes" → "two minutes"), with the table's own form for ``n``
        where it has one (``minutes_1`` → "one minute", "eine Minute"); without one, the
        language's general form is closer than English's ("1 Minuten" rather than "one
        minute" in a German voice)."""
        own = f"{key}_{n}"
        if own in self.table:
            return self.phrase(own)
        return self.phrase(key, n=self.number(n))

    def cadence(self, spm: Fraction | float) -> str:
        """A cadence in steps per minute, as said: "one seventy", or "170" spoken in-language."""
        return cadence_words(spm) if self.spell_numbers else str(round(spm))

    def duration(self, seconds: Fraction | float) -> str:
        """A segment length: "two minutes", "one minute thirty", "ninety seconds"."""
        total = round(seconds)
        joined = self.phrase("and")
        if total < 120 and total % 60:
            if total < 100:
                return self.count("seconds", total)
            return self.count("minutes", 1) + joined + self.number(total - 60)
        hours, rest = divmod(total, 3600)
        minutes, secs = divmod(rest, 60)
        parts = []
        if hours:
            parts.append(self.count("hours", hours))
        if minutes:
            parts.append(self.count("minutes", minutes))
        if secs and not hours:
            parts.append(self.number(secs))
        return joined.join(parts) or self.phrase("no_time")

    def segment(
        self,
        name: str,
        seconds: Fraction | float,
        spm: Fraction | float,
        spm_end: Fraction | float | None = None,
    ) -> str:
        """What is said at a segment's start (``spm_end`` for a ramp); ``name`` is the plan's
        text, said as written."""
        cadence = self.cadence(spm)
        if spm_end is not None:
            cadence = self.phrase("ramp", start=cadence, end=self.cadence(spm_end))
        return self.phrase("segment", name=name, duration=self.duration(seconds), cadence=cadence)

    def to_go(self, minutes: int) -> str:
        """The session's time left: "five minutes to go"."""
        return self.count("to_go", minutes)


#: The languages ``--voice-lang`` offers, by code.
LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("en", "English", "en-us", _ENGLISH, spell_numbers=True),
        Language("de", "German", "de", _GERMAN),
        Language("es", "Spanish", "es", _SPANISH),
        Language("fr", "French", "fr", _FRENCH),
        Language("it", "Italian", "it", _ITALIAN),
        Language("nl", "Dutch", "nl", _DUTCH),
        Language("pt", "Portuguese", "pt", _PORTUGUESE),
        Language("pt-br", "Brazilian Portuguese", "pt-br", _PORTUGUESE),
        Language("sv", "Swedish", "sv", _SWEDISH),
    )
}


def language_list() -> str:
    """The languages as "en (English), de (German), …", for help texts and errors."""
    return ", ".join(f"{lang.code} ({lang.name})" for lang in LANGUAGES.values())


def language(code: str) -> Language:
    """The language for ``--voice-lang`` (any case, ``pt_BR`` as ``pt-br``).

    Raises ``OptionError`` naming the languages for a code that is not one of them.
    """
    found = LANGUAGES.get(code.strip().lower().replace("_", "-"))
    if found is None:
        raise OptionError(f"--voice-lang: no voice language {code!r}; choose {language_list()}")
    return found


def duration_words(seconds: Fraction | float) -> str:
    """A segment length in English words: "two minutes", "one minute thirty", "ninety seconds"."""
    return LANGUAGES["en"].duration(seconds)
