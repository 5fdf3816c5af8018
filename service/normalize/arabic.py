"""Names in Arabic script (Arabic, Persian, Urdu) read against the lists' Latin spellings.

Arabic script writes consonants and long vowels and leaves the short vowels out: طارق is t-a-r-q,
read by anyascii as "trq", which is no spelling of "Tariq". Two keys bring them together:

- the *consonant key* of a word, in either script: its consonants in coarse classes (the Latin
  spellings of one Arabic letter share a class: kh / x, sh / ch, q / k / c, d / dh / z / th), with
  vowels, w, y, ayn and hamza left out. The index keeps Latin tokens by it
  (service.index.fuzzy_index), so an Arabic word finds its candidate spellings in one probe;
- the *pattern* of an Arabic word, which a candidate's Latin spelling must fit: each letter as its
  usual Latin renderings, a long vowel where the script writes one, any short vowels between
  ("محمود" fits "mahmoud" and "mahmud", not "muhammad", which shares its consonant key).

A name holding Arabic script is then also matched as read with each word's most frequent listed
spelling that fits (service.match.fuzzy: "read as 'tariq ahmad'"), and the explanation says so.
"""

from __future__ import annotations

import re
from functools import lru_cache

ARABIC_WORD = re.compile("[\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff]+")
_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u0640]")  # harakat, superscript alif, tatweel

# Consonant classes of Latin spellings, longest first.
_LATIN_CLASSES = (
    ("sch", "S"), ("kh", "X"), ("sh", "S"), ("ch", "S"), ("zh", "J"), ("dj", "J"), ("gh", "J"), ("dh", "D"),
    ("th", "D"), ("ph", "F"), ("ck", "K"),
    ("b", "B"), ("p", "B"), ("t", "T"), ("d", "D"), ("z", "D"), ("s", "Z"), ("j", "J"), ("g", "J"), ("x", "X"),
    ("h", "H"), ("r", "R"), ("l", "L"), ("m", "M"), ("n", "N"), ("f", "F"), ("v", "F"), ("k", "K"), ("q", "K"),
    ("c", "K"),
)  # fmt: skip
_LATIN_UNIT = re.compile("|".join(latin for latin, _ in _LATIN_CLASSES) + "|.")
_LATIN_CLASS = dict(_LATIN_CLASSES)

# Each Arabic-script letter: its consonant class ("" for a vowel letter or one Latin leaves out)
# and the Latin renderings a listed spelling may use for it.
_LETTERS: dict[str, tuple[str, str]] = {
    "ب": ("B", "b|p"), "پ": ("B", "p|b"), "ت": ("T", "t"), "ط": ("T", "t"), "ث": ("D", "th|s|t"),
    "ج": ("J", "j|g|dj|zh"), "چ": ("S", "ch|tch|c"), "ژ": ("J", "zh|j"), "گ": ("J", "g|gh"), "غ": ("J", "gh|g|r"),
    "ح": ("H", "h"), "ه": ("H", "h"), "خ": ("X", "kh|x|h|ch"), "د": ("D", "d"), "ذ": ("D", "dh|z|d|th"),
    "ز": ("D", "z|s"), "ض": ("D", "d|dh|z"), "ظ": ("D", "z|dh|th"), "ر": ("R", "r"), "س": ("Z", "s"),
    "ص": ("Z", "s"), "ش": ("S", "sh|ch|sch|s"), "ف": ("F", "f|ph|v"), "ق": ("K", "q|k|g|c"), "ك": ("K", "k|c|q"),
    "ک": ("K", "k|c|q"), "ل": ("L", "l"), "م": ("M", "m"), "ن": ("N", "n"),
    # Letters that are a vowel, a glide or nothing in Latin spellings.
    "و": ("", "w|v|u|o|ou|oo|aw|ow|au"), "ي": ("", "y|i|ee|ei|ai|ay|e|ie|iy"), "ی": ("", "y|i|ee|ei|ai|ay|e|ie|iy"),
    "ى": ("", "a|i|y|e"), "ا": ("", "a|aa|e|o|i|u"), "أ": ("", "a|e|o|i|u|'"), "إ": ("", "i|e|'"),
    "آ": ("", "a|aa"), "ٱ": ("", "a|e|"), "ع": ("", "'|a|e|i|o|u|"), "ء": ("", "'|"), "ؤ": ("", "'|u|o|w|"),
    "ئ": ("", "'|i|e|y|"), "ة": ("", "h|t|"), "ۀ": ("", "eh|e|"), "ے": ("", "e|ay|y"), "ۃ": ("", "h|t|"),
}  # fmt: skip
_ARTICLE = "ال"


def _undoubled(text: str) -> str:
    return re.sub(r"(.)\1+", r"\1", text)


@lru_cache(maxsize=100_000)
def latin_consonant_key(token: str) -> str:
    """A Latin token's consonant key ("tariq" -> "TRK", "abdullah" -> "BDL"), or "" if it has none."""
    if not token.isalpha() or not token.isascii():
        return ""
    return _undoubled("".join(_LATIN_CLASS.get(unit, "") for unit in _LATIN_UNIT.findall(_undoubled(token))))


def _letters(word: str) -> str:
    return _undoubled(_DIACRITICS.sub("", word))


def arabic_consonant_keys(word: str) -> tuple[str, ...]:
    """The consonant keys of an Arabic-script word's Latin spellings ("طارق" -> ("TRK",)): a final
    ه may be written h or left out ("Abdullah", "Abdulla"), a final ة too ("Hamza", "Hamzah")."""
    letters = _letters(word)
    key = _undoubled("".join(_LETTERS.get(letter, ("", ""))[0] for letter in letters))
    if not key:
        return ()
    if letters[-1] in "ةۃ":
        return (key, _undoubled(key + "H"))
    if letters[-1] == "ه" and len(key) > 1:
        return (key, key[:-1])
    return (key,)


@lru_cache(maxsize=20_000)
def arabic_pattern(word: str) -> re.Pattern[str]:
    """The Latin spellings an Arabic-script word may have: its letters' renderings, short vowels between."""
    parts = ["[aeiou]*"]
    for position, letter in enumerate(_letters(word)):
        # A medial alif is a long a; only a word's first alif carries any vowel.
        renderings = "a|aa|e" if letter == "ا" and position else _LETTERS.get(letter, ("", ""))[1]
        parts.append(f"(?:{renderings})+" if letter not in "اأإآٱعءؤئةىۀۃ" else f"(?:{renderings})")
        parts.append("[aeiou']*")
    if word.endswith("ه"):
        parts[-2] = "(?:h|)"
    return re.compile("".join(parts))


def split_article(word: str) -> tuple[str, str]:
    """("al", rest) for a word that begins with the article ("الناصر"), else ("", word)."""
    if word.startswith(_ARTICLE) and len(word) > 3:
        return "al", word[2:]
    return "", word


def has_arabic_script(value: str) -> bool:
    return ARABIC_WORD.search(value) is not None
