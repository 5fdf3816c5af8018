"""Other readings of a name typed to slip past a matcher: each one is matched as well.

Normalising a name (service.normalize.names) drops invisible characters and reads
other scripts by sound, so "MA\u2060DURO" is "maduro". Four tricks survive it:

- invisible characters *between* words ("Nicolas\u202eMADURO", a bidi control, or a
  zero-width space) glue the words into one token: read them as spaces too;
- Latin words typed with some look-alike Cyrillic or Greek letters ("LLС BAIKАL", a
  Cyrillic Es and A) read as the Latin letters they look like, not as they sound;
- words run together in camel case ("NicolasMaduroMoros") are one token: split them
  where a lower-case letter meets a capital;
- digits for letters ("N1c0las MADUR0") are read as the letters they stand for, in
  words that mix both (a word of digits only, "Plant 2", stays as it is).

The matcher scores the name as sent and each reading here, keeps the best, and says in
the explanation which reading matched. A reading is only offered when the trick is
actually present, so ordinary names cost nothing.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from service.normalize.legal_forms import LEGAL_FORM_TOKENS
from service.normalize.names import name_tokens

# Digits and symbols typed for the letters they look like.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s"})
_LEET_CHARS = frozenset("0134578@$")
_LEET_L = {**_LEET, ord("1"): "l"}
# Words run together: a capital after a lower-case letter ("NicolasMaduro"), and the last capital
# of a run of them before a lower-case letter ("ECOMInternational", "HKCoLtd").
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Cyrillic and Greek letters drawn like Latin ones (Unicode's confusables.txt, the letters that are
# the same glyph in common fonts). anyascii reads them by sound (С "S", Н "N", Р "R", Ѕ "Dz"), which
# is right for a Cyrillic word but not for a Latin word typed with some of them ("LLС").
_LOOK_ALIKES = str.maketrans({
    "А": "A", "В": "B", "С": "C", "Е": "E", "Н": "H", "І": "I", "Ј": "J", "К": "K", "М": "M", "О": "O",
    "Р": "P", "Ѕ": "S", "Т": "T", "Х": "X", "У": "Y", "Ү": "Y", "а": "a", "с": "c", "е": "e", "һ": "h",
    "і": "i", "ј": "j", "о": "o", "р": "p", "ѕ": "s", "х": "x", "у": "y", "ԁ": "d", "ԛ": "q", "ԝ": "w",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o", "ν": "v", "ι": "i", "κ": "k", "ρ": "p", "τ": "t",
})  # fmt: skip
_LATIN_LETTER = re.compile(r"[A-Za-z]")


def _read_look_alikes(value: str) -> str:
    """Look-alike Cyrillic and Greek letters read as Latin, in words that also hold Latin letters."""
    words = value.split(" ")
    for i, word in enumerate(words):
        if _LATIN_LETTER.search(word) and word.translate(_LOOK_ALIKES) != word:
            words[i] = word.translate(_LOOK_ALIKES)
    return " ".join(words)


def _read_digits_as_letters(value: str, table: dict[int, str] = _LEET) -> str:
    words = value.split(" ")
    for i, word in enumerate(words):
        if any(ch in _LEET_CHARS for ch in word) and any(ch.isalpha() for ch in word):
            words[i] = word.translate(table)
    return " ".join(words)


def _split_run_together(value: str) -> str:
    """`value` with words run together split at their capitals, except a legal form written in mixed
    case: "GmbH" read as "Gmb H" is no hidden name but a second search for a word no list holds
    (a sixth of German company names paid for it), and "SpA", "ApS", "mbH" likewise."""
    return " ".join(word if _is_legal_form_as_written(word) else _CAMEL.sub(" ", word) for word in value.split(" "))


def _is_legal_form_as_written(word: str) -> bool:
    tokens = name_tokens(word)
    return bool(tokens) and all(token in LEGAL_FORM_TOKENS for token in tokens)


@lru_cache(maxsize=50_000)
def evasion_readings(value: str) -> tuple[tuple[str, str], ...]:
    """(reading, how it was read) for each trick found in `value`, each reading undoing the
    tricks before it too; () for an ordinary name."""
    readings: list[tuple[str, str]] = []
    current, hows = value, []
    ascii_only = current.isascii()  # most names: no format characters, no look-alike letters
    if not ascii_only and any(unicodedata.category(ch) == "Cf" for ch in current):
        current = "".join(" " if unicodedata.category(ch) == "Cf" else ch for ch in current)
        hows.append("invisible characters read as spaces")
        readings.append((current, ", ".join(hows)))
    if not ascii_only and not current.isascii():
        latin = _read_look_alikes(current)
        if latin != current:
            current = latin
            hows.append("look-alike Cyrillic or Greek letters read as Latin")
            readings.append((current, ", ".join(hows)))
    # A name in title case, or in one case only, has no capital after a cased letter: _CAMEL cannot
    # match, and these str tests cost a tenth of its scan (most names are written one of these ways).
    if (
        not (current.istitle() or current.isupper() or current.islower())
        and _CAMEL.search(current)
        and sum(ch.isupper() for ch in current) >= 2
    ):
        split = _split_run_together(current)
        if split != current:
            current = split
            hows.append("run-together words split at capitals")
            readings.append((current, ", ".join(hows)))
    leet = _read_digits_as_letters(current) if not _LEET_CHARS.isdisjoint(current) else current
    if leet != current:
        readings.append((leet, ", ".join([*hows, "digits read as letters"])))
        if "1" in current:
            # A 1 stands for an l as often as for an i ("ZA1OG", "Co. 1td."): read both ways.
            as_l = _read_digits_as_letters(current, _LEET_L)
            readings.append((as_l, ", ".join([*hows, "digits read as letters, 1 as l"])))
    return tuple(readings)
