"""A spelling key that is the same for the usual romanisations of one name part.

One name reaches the lists in many Latin spellings, because each romanisation
system (and each clerk) writes the same sounds differently: Persian and Arabic
vowels (Hamed / Hamid, Rasoul / Rasul, Hosseini / Husseini), digraphs for one
consonant (Ghafoor / Gafur, Khodadad / Hodadad, Qasem / Kasem), the Persian
final -eh for the Arabic -a (Fatemeh / Fatima), Korean McCune-Reischauer against
Revised Romanisation (Jong / Jeong), English against French or German spelling
of Slavic sounds (Shevchenko / Chevtchenko / Schewtschenko).

Rather than list the variants of each name (service.normalize.variants holds the
few whose sounds drift too far for any rule), the key folds what the systems
disagree on and keeps what they agree on:

- one consonant written with several letters is one letter (kh/gh/ph/th/dh/sh/
  ch/zh/tch/sch/dj/ts/ck; q = k; w = v);
- the vowel pairs the systems confuse are one vowel (e/i, o/u, ou/oo/u, ee/ie/ei/
  ey/i, eo/o, eu/u, y as a vowel), but a, i and u stay apart: Hassan is not
  Hussein, Karim is not Koram;
- a final -eh or -ah is -a; doubled letters are single.

The key is only used for tokens long enough that it still holds five letters:
short Chinese and Korean syllables (Chen / Chin, Lin / Len) are different names
that one vowel apart would unite.
"""

from __future__ import annotations

import re
from functools import lru_cache

MIN_KEY_LENGTH = 5

# Longest first: the regex alternation takes the first alternative that matches.
_SEQUENCES: dict[str, str] = {
    "shch": "s", "tsch": "c", "dzh": "j", "tch": "c", "sch": "s",
    "kh": "h", "gh": "g", "ph": "f", "th": "t", "dh": "d", "sh": "s", "ch": "c", "zh": "j",
    "dj": "j", "ts": "c", "tz": "c", "ck": "k",
    "ou": "u", "oo": "u", "ee": "i", "ie": "i", "ei": "i", "ey": "i", "eo": "o", "eu": "u", "ae": "a",
}  # fmt: skip
_PATTERN = re.compile("|".join(sorted(_SEQUENCES, key=len, reverse=True)))
# Then single letters, also those the sequences produced ("jeong" -> "jong" -> "jung").
_LETTERS = str.maketrans({"q": "k", "w": "v", "y": "i", "e": "i", "o": "u"})
_DOUBLED = re.compile(r"(.)\1+")


@lru_cache(maxsize=200_000)
def romanisation_key(token: str) -> str:
    """The token's spelling key, or "" when the token is too short or not plain Latin letters."""
    if not token.isascii() or not token.isalpha():
        return ""
    if token.endswith(("eh", "ah")):
        token = token[:-2] + "a"
    folded = _PATTERN.sub(lambda m: _SEQUENCES[m.group(0)], token).translate(_LETTERS)
    key = _DOUBLED.sub(r"\1", folded)
    return key if len(key) >= MIN_KEY_LENGTH else ""


# A long vowel written doubled or single ("Noor" / "Nur", "Deen" / "Din", "Reem" / "Rim", "Yoo" /
# "Yu"): short tokens have no key (above), but this one difference is a spelling, not a new name.
_LONG_VOWELS = (("oo", "u"), ("ou", "u"), ("ee", "i"), ("aa", "a"))
_SHORT_MAX = 4


def _single_vowels(token: str) -> str:
    for long, short in _LONG_VOWELS:
        token = token.replace(long, short)
    return token


def same_long_vowel(one: str, other: str) -> bool:
    """Two short tokens (at most four letters) that differ only in a long vowel written doubled or
    single ("noor" / "nur", "deen" / "din")."""
    return (
        one != other
        and 3 <= min(len(one), len(other))
        and max(len(one), len(other)) <= _SHORT_MAX
        and _single_vowels(one) == _single_vowels(other)
    )


@lru_cache(maxsize=50_000)
def long_vowel_spellings(token: str) -> tuple[str, ...]:
    """The other spellings of a short token's long vowels ("nur" -> "noor", "nour"; "noor" -> "nur")."""
    if not 3 <= len(token) <= _SHORT_MAX or not token.isalpha():
        return ()
    single = _single_vowels(token)
    spellings = {single}
    for position, letter in enumerate(single):
        for long, short in _LONG_VOWELS:
            if letter == short:
                spellings.add(single[:position] + long + single[position + 1 :])
    return tuple(sorted(s for s in spellings if s != token and len(s) <= _SHORT_MAX and same_long_vowel(s, token)))
