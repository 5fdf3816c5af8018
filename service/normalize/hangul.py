"""Korean names written in Hangul, read the way the lists spell Korean names.

The lists write North Korean names as the DPRK and McCune-Reischauer do: one
word per syllable, initial consonants unvoiced ("KIM Jong Un", "PAK Pong Ju",
"RI Pyong Chol", "CHOE Ryong Hae"). A generic transliteration (anyascii) gives
the South's Revised Romanisation glued into one word ("gimjeongeun"), which
shares no token with the listed name. This reads each syllable on its own and
writes it with the listed spellings; the romanisation key
(service.normalize.romanisation) and the transliteration groups then unite the
remaining variants (Jong / Jeong, Ri / Lee / Yi).

A Hangul syllable is arithmetic over its jamo (Unicode: initial * 588 +
medial * 28 + final), so no table of syllables is needed; the three tables below
are the romanisation itself. No well-kept PyPI package writes McCune-Reischauer
or the DPRK system (korean-romanizer and hangul-romanize write Revised
Romanisation only), hence this module.
"""

from __future__ import annotations

import re

_FIRST_SYLLABLE = 0xAC00
_LAST_SYLLABLE = 0xD7A3

# The aspirated k', t', p' of McCune-Reischauer lose their apostrophe, as in the lists.
_INITIALS = ("k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h")
_MEDIALS = (
    "a", "ae", "ya", "yae", "o", "e", "yo", "ye", "o", "wa", "wae", "oe", "yo",
    "u", "wo", "we", "wi", "yu", "u", "ui", "i",
)  # fmt: skip
_FINALS = (
    "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l",
    "m", "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t",
)  # fmt: skip
# The family names whose Hangul begins with a vowel or the "r" the South drops: the lists
# write them as the North does (이/리 Ri, 림/임 Rim, 류/유 Ryu, 로/노 Ro) and the
# transliteration groups hold the southern spellings.
_FAMILY_NAMES = {"이": "ri", "리": "ri", "임": "rim", "림": "rim", "류": "ryu", "유": "ryu", "노": "ro", "로": "ro"}


HANGUL_WORD = re.compile("[\uac00-\ud7a3]+")


def is_hangul_syllable(ch: str) -> bool:
    return _FIRST_SYLLABLE <= ord(ch) <= _LAST_SYLLABLE


def syllable(ch: str) -> str:
    """One Hangul syllable in the lists' spelling ("정" -> "jong", "철" -> "chol")."""
    code = ord(ch) - _FIRST_SYLLABLE
    initial, rest = divmod(code, 588)
    medial, final = divmod(rest, 28)
    return _INITIALS[initial] + _MEDIALS[medial] + _FINALS[final]


def romanise_word(word: str) -> str:
    """A word of Hangul syllables, one romanised syllable per token, the first read as a family name."""
    parts = []
    for position, ch in enumerate(word):
        if not is_hangul_syllable(ch):
            parts.append(ch)
        elif position == 0 and ch in _FAMILY_NAMES:
            parts.append(_FAMILY_NAMES[ch])
        else:
            parts.append(syllable(ch))
    return " ".join(parts)
