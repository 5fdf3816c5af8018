"""Korean names that reached Cyrillic: read back the way the lists spell Korean names.

Russian writes Korean names by the Kontsevich system (and press habit): "Ким Ён Су"
for KIM Yong Su, "Цой Чхан Пон" for CHOE Chang Pong, "Рян Тхэ Чхоль" for RYANG Tae
Chol. Read by sound as Russian (anyascii), they give "Kim En Su", "Tsoi Chkhan Pon",
"Ryan Tkhe Chkhol": too far from the listed spelling for any typo rule. This reads
each syllable back through the system: aspirated чх / кх / тх / пх and чж as one consonant,
ё ы э as yo u ae, final ль as l, a final н after a vowel both as ng and as n (Kontsevich
writes ㅇ and ㄴ alike), initials unvoiced as the DPRK writes them; the affricate ч is read
both as "ch" (McCune-Reischauer: CHO, CHANG) and as "j" (DPRK: JO, JANG). Each combination
is one reading, the likelier first, at most MAX_READINGS.

Only names that look like Korean names in Cyrillic are read so: two to four words,
each a single syllable of at most five letters. A reading only adds candidates; the
name as sent is matched too.
"""

from __future__ import annotations

import re
from functools import lru_cache

_CYRILLIC_WORD = re.compile(r"^[А-Яа-яЁё]{1,5}$")
# Multi-letter spellings first (aspirates, the soft l), then single letters.
_SEQUENCES = {"чх": "ch", "чж": "ch", "кх": "k", "тх": "t", "пх": "p", "ль": "l", "гв": "kw", "кв": "kw"}
_LETTERS = {
    "а": "a", "б": "p", "в": "w", "г": "k", "д": "t", "е": "ye", "ё": "yo", "ж": "j", "з": "j", "и": "i",
    "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "p", "х": "h", "ц": "ch", "ч": "ch", "ш": "s", "щ": "s", "ъ": "", "ы": "u", "ь": "",
    "э": "ae", "ю": "yu", "я": "ya",
}  # fmt: skip
# Family names the Korean diaspora in Russia spells its own way.
_WORDS = {
    "цой": "choe", "чхве": "choe", "ли": "ri", "пак": "pak", "хан": "han", "тен": "jong", "тян": "jang", "ир": "il",
}  # fmt: skip
# Press spellings of given-name syllables that follow no system (정 as Чен in "Ким Чен Ын").
_PRESS = {"чен": "chong"}
_SEQUENCE = re.compile("|".join(sorted(_SEQUENCES, key=len, reverse=True)) + "|.")


# At most this many readings of one name (each is matched in full).
MAX_READINGS = 8


def _syllables(word: str) -> tuple[str, ...]:
    """The word's Latin spellings: ч as "ch" (McCune-Reischauer) and as "j" (DPRK), and a final н
    after a vowel as ng and as n (Kontsevich writes ㅇ and ㄴ alike: Сон is Song, Ман is Man)."""
    lower = word.lower()
    if lower in _WORDS:
        return (_WORDS[lower],)
    out = _PRESS.get(lower) or "".join(
        _SEQUENCES.get(part, _LETTERS.get(part, part)) for part in _SEQUENCE.findall(lower)
    )
    spellings = [out]
    if lower not in _PRESS and lower.endswith(("он", "ён", "ан", "ян", "ун", "ин", "ен", "ын", "эн")):
        # Чон Jong, Ён Yong, Чан Jang, Рян Ryang (ㅇ); Ман Man, Сун Sun, Чин Jin (ㄴ): ng first for
        # о, ё, а, я, the vowels where ㅇ is the more frequent final in names.
        with_g = out + "g"
        spellings = [with_g, out] if lower.endswith(("он", "ён", "ан", "ян")) else [out, with_g]
    if out.startswith("ch"):
        spellings += [spelling.replace("ch", "j", 1) for spelling in spellings]
    return tuple(spellings)


@lru_cache(maxsize=20_000)
def korean_cyrillic_readings(value: str) -> tuple[tuple[str, str], ...]:
    """The name read as a Korean name in Cyrillic (each spelling of ч and of a final н), or ()."""
    words = value.replace(",", " ").split()
    if not 2 <= len(words) <= 4 or not all(_CYRILLIC_WORD.match(word) for word in words):
        return ()
    readings: list[str] = [""]
    for word in words:
        readings = [f"{reading} {spelling}".strip() for reading in readings for spelling in _syllables(word)]
        readings = readings[:MAX_READINGS]
    return tuple((reading, "Korean name in Cyrillic read back (Kontsevich)") for reading in dict.fromkeys(readings))
