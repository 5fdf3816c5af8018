"""Korean names that reached Cyrillic: read back the way the lists spell Korean names.

Russian writes Korean names by the Kontsevich system (and press habit): "Ким Ён Су"
for KIM Yong Su, "Цой Чхан Пон" for CHOE Chang Pong, "Рян Тхэ Чхоль" for RYANG Tae
Chol. Read by sound as Russian (anyascii), they give "Kim En Su", "Tsoi Chkhan Pon",
"Ryan Tkhe Chkhol": too far from the listed spelling for any typo rule. This reads
each syllable back through the system: aspirated чх / кх / тх / пх as one consonant,
ё ы э as yo u ae, final ль as l, a final н after о / ё as ng (Kontsevich writes ㅇ and
ㄴ alike), initials unvoiced as the DPRK writes them; the affricate ч is read both as
"ch" (McCune-Reischauer: CHO, CHANG) and as "j" (DPRK: JO, JANG), one reading each.

Only names that look like Korean names in Cyrillic are read so: two to four words,
each a single syllable of at most five letters. A reading only adds candidates; the
name as sent is matched too.
"""

from __future__ import annotations

import re
from functools import lru_cache

_CYRILLIC_WORD = re.compile(r"^[А-Яа-яЁё]{1,5}$")
# Multi-letter spellings first (aspirates, the soft l), then single letters.
_SEQUENCES = {"чх": "ch", "кх": "k", "тх": "t", "пх": "p", "ль": "l", "гв": "kw", "кв": "kw"}
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


def _syllable(word: str, affricate: str) -> str:
    lower = word.lower()
    if lower in _WORDS:
        return _WORDS[lower]
    out = _PRESS.get(lower) or "".join(
        _SEQUENCES.get(part, _LETTERS.get(part, part)) for part in _SEQUENCE.findall(lower)
    )
    if lower not in _PRESS and lower.endswith(("он", "ён", "ан", "ян")):
        out += "g"  # Чон Jong, Ён Yong, Чан Jang, Рян Ryang: ㅇ, which Kontsevich writes as н
    return out.replace("ch", affricate, 1) if out.startswith("ch") else out


@lru_cache(maxsize=20_000)
def korean_cyrillic_readings(value: str) -> tuple[tuple[str, str], ...]:
    """The name read as a Korean name in Cyrillic (one reading per spelling of ч), or ()."""
    words = value.replace(",", " ").split()
    if not 2 <= len(words) <= 4 or not all(_CYRILLIC_WORD.match(word) for word in words):
        return ()
    return tuple(
        (" ".join(_syllable(word, affricate) for word in words), f"Korean name in Cyrillic read with {label}")
        for affricate, label in (("ch", "ch (McCune-Reischauer)"), ("j", "j (DPRK)"))
    )
