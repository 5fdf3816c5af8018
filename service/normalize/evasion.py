"""Other readings of a name typed to slip past a matcher: each one is matched as well.

Normalising a name (service.normalize.names) drops invisible characters and folds
look-alike letters, so "MA\u2060DURO" is "maduro". Three tricks survive it:

- invisible characters *between* words ("Nicolas\u202eMADURO", a bidi control, or a
  zero-width space) glue the words into one token: read them as spaces too;
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

# Digits and symbols typed for the letters they look like.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s"})
_LEET_CHARS = frozenset("0134578@$")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _read_digits_as_letters(value: str) -> str:
    words = value.split(" ")
    for i, word in enumerate(words):
        if any(ch in _LEET_CHARS for ch in word) and any(ch.isalpha() for ch in word):
            words[i] = word.translate(_LEET)
    return " ".join(words)


@lru_cache(maxsize=50_000)
def evasion_readings(value: str) -> tuple[tuple[str, str], ...]:
    """(reading, how it was read) for each trick found in `value`, each reading undoing the
    tricks before it too; () for an ordinary name."""
    readings: list[tuple[str, str]] = []
    current, hows = value, []
    if any(unicodedata.category(ch) == "Cf" for ch in current):
        current = "".join(" " if unicodedata.category(ch) == "Cf" else ch for ch in current)
        hows.append("invisible characters read as spaces")
        readings.append((current, ", ".join(hows)))
    if _CAMEL.search(current) and sum(ch.isupper() for ch in current) >= 2:
        current = _CAMEL.sub(" ", current)
        hows.append("run-together words split at capitals")
        readings.append((current, ", ".join(hows)))
    leet = _read_digits_as_letters(current)
    if leet != current:
        hows.append("digits read as letters")
        readings.append((leet, ", ".join(hows)))
    return tuple(readings)
