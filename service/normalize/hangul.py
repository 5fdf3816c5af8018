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
import unicodedata
from collections.abc import Callable
from functools import lru_cache

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
# The same family names as the South writes them, for the McCune-Reischauer and Revised readings
# ("유광호" is "YU, Kwang Ho" on a list that spells it the southern way).
_SOUTHERN_FAMILY_NAMES = {
    "이": "lee", "리": "lee", "임": "im", "림": "im", "류": "ryu", "유": "yu", "노": "no", "로": "no",
}  # fmt: skip


HANGUL_WORD = re.compile("[\uac00-\ud7a3]+")


def is_hangul_syllable(ch: str) -> bool:
    return _FIRST_SYLLABLE <= ord(ch) <= _LAST_SYLLABLE


# The two other systems the lists' Korean names are written in, as changes to the DPRK spelling
# above: McCune-Reischauer writes ㅈ as "ch" ("CHO, Yon Chun", "MUN, Cho'ng-Ch'o'l"); the South's
# Revised Romanisation voices ㄱ ㄷ ㅂ and writes ㅓ ㅡ ㅕ as eo eu yeo ("LEE, Dongjin").
_MR_INITIALS = tuple("ch" if initial == "j" else initial for initial in _INITIALS)
_RR_INITIALS = ("g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h")
_RR_MEDIALS = (
    "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo",
    "u", "wo", "we", "wi", "yu", "eu", "ui", "i",
)  # fmt: skip
SYSTEMS = {
    "dprk": (_INITIALS, _MEDIALS),
    "mr": (_MR_INITIALS, _MEDIALS),
    "rr": (_RR_INITIALS, _RR_MEDIALS),
}
_SYSTEM_NAMES = {"mr": "McCune-Reischauer", "rr": "Revised Romanisation"}


def syllable(ch: str, system: str = "dprk") -> str:
    """One Hangul syllable in a system's spelling ("정" -> "jong", "철" -> "chol" in the DPRK's)."""
    initials, medials = SYSTEMS[system]
    initial, rest = divmod(ord(ch) - _FIRST_SYLLABLE, 588)
    medial, final = divmod(rest, 28)
    return initials[initial] + medials[medial] + _FINALS[final]


def romanise_word(word: str, system: str = "dprk") -> str:
    """A word of Hangul syllables, one romanised syllable per token, the first read as a family name."""
    family_names = _FAMILY_NAMES if system == "dprk" else _SOUTHERN_FAMILY_NAMES
    parts = []
    for position, ch in enumerate(word):
        if not is_hangul_syllable(ch):
            parts.append(ch)
        elif position == 0 and ch in family_names:
            parts.append(family_names[ch])
        else:
            parts.append(syllable(ch, system))
    return " ".join(parts)


def hangul_readings(value: str) -> tuple[tuple[str, str], ...]:
    """The name with its Hangul read in the other two systems, or () when it holds no Hangul."""
    if not HANGUL_WORD.search(value):
        return ()
    composed = unicodedata.normalize("NFC", value)
    return tuple(
        (HANGUL_WORD.sub(_reading(system), composed), f"Hangul read in {_SYSTEM_NAMES[system]}")
        for system in ("mr", "rr")
    )  # fmt: skip


def _reading(system: str) -> Callable[[re.Match[str]], str]:
    """`re.sub`'s replacement: a Hangul word read in `system`, set apart by spaces."""
    return lambda word: f" {romanise_word(word.group(), system)} "


@lru_cache(maxsize=1)
def _syllables_by_spelling() -> dict[str, frozenset[int]]:
    spelled: dict[str, set[int]] = {}
    for code in range(_FIRST_SYLLABLE, _LAST_SYLLABLE + 1):
        for system in SYSTEMS:
            spelled.setdefault(syllable(chr(code), system), set()).add(code)
    return {spelling: frozenset(codes) for spelling, codes in spelled.items()}


def same_korean_syllable(one: str, other: str) -> bool:
    """Two spellings of one Hangul syllable in different systems ("ki" / "gi" for 기, "chol" /
    "cheol" for 철, "pak" / "bak" for 박)."""
    if one == other:
        return False
    by_spelling = _syllables_by_spelling()
    mine, theirs = by_spelling.get(one), by_spelling.get(other)
    return bool(mine and theirs and not mine.isdisjoint(theirs))


def korean_spellings(token: str) -> frozenset[str]:
    """The other spellings of the Hangul syllables a token may spell, in the three systems."""
    codes = _syllables_by_spelling().get(token)
    if not codes:
        return frozenset()
    return frozenset(syllable(chr(code), system) for code in codes for system in SYSTEMS) - {token}


@lru_cache(maxsize=1)
def korean_syllables() -> frozenset[str]:
    """Every Hangul syllable as the DPRK, McCune-Reischauer and Revised Romanisation spell it,
    and the family names as the lists write them: a token among them may be a Korean name part,
    whose spellings differ by a letter between systems ("yon" / "yong", "chol" / "chul")."""
    return frozenset(_syllables_by_spelling()) | frozenset(_FAMILY_NAMES.values())
