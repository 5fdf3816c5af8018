"""Listed Latin names written back in the party's own script: Hangul, Chinese characters, Russian Cyrillic.

Each conversion works from hand-written tables (heldout_script_tables.py) and
gives up (None) unless every syllable or word is covered; `anyascii` is only
used afterwards, to check that what was written reads back as the listed name.
"""

from __future__ import annotations

import difflib
import random
import re
from dataclasses import dataclass

from anyascii import anyascii

from service.evaluation.heldout_common import capitalised, countries_of, fold, is_upper, person_name, words
from service.evaluation.heldout_script_tables import (
    CHINESE_GIVEN,
    CHINESE_SURNAMES,
    CYRILLIC_E_NAMES,
    CYRILLIC_FORMS,
    CYRILLIC_RULES,
    CYRILLIC_WORDS,
    KOREAN_CYRILLIC,
    KOREAN_CYRILLIC_SURNAMES,
    KOREAN_GIVEN,
    KOREAN_SURNAMES,
)
from service.evaluation.heldout_tables import CHINESE_COUNTRIES, ENGLISH_WORDS, KOREAN_COUNTRIES
from service.model import Entry

# Surnames that are Korean rather than Chinese when the entry names no country.
KOREAN_ONLY = (
    "kim", "pak", "park", "choe", "choi", "ri", "rhee", "jong", "jeong", "ryu", "kwon", "o", "pae", "paek", "kye",
    "hyon", "thae", "namgung", "hwangbo", "chon", "jon", "kil", "ryang", "rim", "yun",
)  # fmt: skip
_ENGLISH = frozenset(ENGLISH_WORDS)
_CYRILLIC_LETTER = re.compile(r"[\u0400-\u04ff]")


@dataclass(frozen=True)
class Syllables:
    """A person's name cut into romanised syllables: surname first."""

    surname: str
    given: tuple[str, ...]
    source_order: str  # how the listed name was laid out, for the note


def segment(text: str, table: dict[str, str]) -> list[str] | None:
    """The fewest syllables of `table` spelling `text`; None when there are none or several such."""
    best: list[tuple[int, int]] = [(0, 1)] + [(10**6, 0)] * len(text)  # (syllables, ways)
    back: list[int] = [0] * (len(text) + 1)
    for end in range(1, len(text) + 1):
        for start in range(max(0, end - 6), end):
            if text[start:end] in table and best[start][0] + 1 <= best[end][0]:
                count = best[start][0] + 1
                ways = best[start][1]
                if count < best[end][0]:
                    best[end], back[end] = (count, ways), start
                else:
                    best[end] = (count, best[end][1] + ways)
    if best[-1][0] >= 10**6 or best[-1][1] != 1:
        return None
    parts: list[str] = []
    end = len(text)
    while end:
        parts.append(text[back[end] : end])
        end = back[end]
    return parts[::-1]


def _syllables_of(given: str, table: dict[str, str], max_syllables: int) -> list[str] | None:
    """Syllables of a given name: each written part one syllable, or a single part cut into syllables."""
    found: list[str] = []
    parts = re.split(r"[\s\-]+", given.strip())
    for part in parts:
        cleaned = fold(part).replace("'", "").replace("’", "")
        if not cleaned.isalpha():
            return None
        if len(parts) > 1 and cleaned not in table:
            return None  # "Yong Chian": parts written apart are syllables; "Chian" is none
        pieces = [cleaned] if cleaned in table else segment(cleaned, table)
        if pieces is None:
            return None
        found += pieces
    return found if 1 <= len(found) <= max_syllables else None


def _split_family_first(name: str) -> tuple[str, str, str] | None:
    """(surname, given, layout) of "SURNAME, Given" or "Surname Given" (East Asian order)."""
    parsed = person_name(name)
    if parsed is None:
        return None
    if parsed.comma:
        return parsed.family, parsed.given, "SURNAME, Given"
    first, _, rest = name.strip().partition(" ")
    return first, rest, "Surname Given"


# ---------------------------------------------------------------- Korean


def korean_syllables(entry: Entry, name: str) -> Syllables | None:
    split = _split_family_first(name)
    if split is None:
        return None
    surname, given, layout = split
    surname_key = fold(surname).replace("'", "").replace("-", "")
    countries = countries_of(entry)
    korean = bool(set(countries) & set(KOREAN_COUNTRIES))
    if not korean and (surname_key not in KOREAN_ONLY or set(countries) & set(CHINESE_COUNTRIES)):
        return None
    if surname_key not in KOREAN_SURNAMES:
        return None
    syllables = _syllables_of(given, KOREAN_GIVEN, 3)
    if syllables is None:
        return None
    return Syllables(surname_key, tuple(syllables), layout)


def _hangul_surname(surname: str, entry: Entry) -> str:
    written = KOREAN_SURNAMES[surname]
    if isinstance(written, tuple):
        return written[1] if "KR" in countries_of(entry) and "KP" not in countries_of(entry) else written[0]
    return written


def to_hangul(entry: Entry, name: str, rng: random.Random) -> tuple[str, str] | None:
    """("김정은", note) for "KIM, Jong Un"."""
    parts = korean_syllables(entry, name)
    if parts is None:
        return None
    surname = _hangul_surname(parts.surname, entry)
    given = "".join(KOREAN_GIVEN[s] for s in parts.given)
    if not _hangul_reads_back(surname, parts.surname) or not all(
        _hangul_reads_back(KOREAN_GIVEN[s], s) for s in parts.given
    ):
        return None
    spaced = rng.random() < 0.25
    query = f"{surname} {given}" if spaced else surname + given
    note = f"{parts.source_order} written in Hangul{' (surname apart)' if spaced else ''}: " + "-".join(
        (parts.surname, *parts.given)
    )
    return query, note


def _hangul_reads_back(hangul: str, romanised: str) -> bool:
    """anyascii's Revised Romanisation of `hangul` is one of the spellings our table maps to it."""
    read = fold(anyascii(hangul))
    read = re.sub(r"(?<=[aeiouy])g$", "k", read)
    read = re.sub(r"(?<=[aeiouy])b$", "p", read)
    spellings = {fold(r) for r, h in KOREAN_GIVEN.items() if h == hangul}
    spellings |= {fold(r) for r, h in KOREAN_SURNAMES.items() if h == hangul or (isinstance(h, tuple) and hangul in h)}
    spellings.add(romanised)
    variants = {read, "r" + read[1:] if read.startswith("l") else read}
    if len(hangul) == 2:  # two-syllable surnames (남궁, 황보): anyascii joins them; accept any reading
        return bool(read)
    return bool(variants & spellings)


def to_korean_cyrillic(entry: Entry, name: str, rng: random.Random) -> tuple[str, str] | None:
    """("Ким Чен Ын", note) for "KIM, Jong Un": Russian spelling of Korean names."""
    parts = korean_syllables(entry, name)
    if parts is None:
        return None
    surname = _hangul_surname(parts.surname, entry)
    surname_options = KOREAN_CYRILLIC_SURNAMES.get(surname)
    given = [KOREAN_CYRILLIC.get(KOREAN_GIVEN[s]) for s in parts.given]
    if surname_options is None or any(g is None for g in given):
        return None
    written = [rng.choice(surname_options), *(g for g in given if g)]
    query = " ".join(written)
    if not all(_CYRILLIC_LETTER.match(c) or c == " " for c in query) or not words(fold(anyascii(query))):
        return None
    note = f"{parts.source_order} in Russian Cyrillic (Kontsevich / press usage): " + "-".join(
        (parts.surname, *parts.given)
    )
    return query, note


# ---------------------------------------------------------------- Chinese


def chinese_syllables(entry: Entry, name: str) -> Syllables | None:
    split = _split_family_first(name)
    if split is None:
        return None
    surname, given, layout = split
    countries = set(countries_of(entry))
    if countries & set(KOREAN_COUNTRIES):
        return None
    surname_key = fold(surname)
    if surname_key not in CHINESE_SURNAMES and layout == "SURNAME, Given" and fold(given) in CHINESE_SURNAMES:
        # OFAC sometimes files the given name first ("XIANHUA, Qin"): the one-syllable surname is the other part.
        surname_key, given, layout = fold(given), surname, "GIVEN, Surname"
    if surname_key not in CHINESE_SURNAMES:
        return None
    if not countries & set(CHINESE_COUNTRIES) and (countries or surname_key in KOREAN_ONLY):
        return None
    syllables = _syllables_of(given, CHINESE_GIVEN, 3)
    if syllables is None:
        return None
    return Syllables(surname_key, tuple(syllables), layout)


def to_chinese(entry: Entry, name: str, rng: random.Random) -> tuple[str, str] | None:
    """("李方伟", note) for "LI, Fangwei"."""
    parts = chinese_syllables(entry, name)
    if parts is None:
        return None
    characters = CHINESE_SURNAMES[parts.surname] + "".join(CHINESE_GIVEN[s] for s in parts.given)
    read_back = [fold(anyascii(c)) for c in characters]
    if read_back != [parts.surname, *parts.given]:
        return None
    note = f"{parts.source_order} in Chinese characters, surname first: " + "-".join((parts.surname, *parts.given))
    return characters, note


# ---------------------------------------------------------------- Russian Cyrillic


def looks_russian(word: str) -> bool:
    """A word romanised from Russian (no w, q, th, ph, ck, oo, ou, nor a c outside ch/ts)."""
    folded = fold(word)
    return folded.isalpha() and folded not in _ENGLISH and not re.search(r"w|q|th|ph|ck|oo|ou|c(?!h)", folded)


def cyrillic_word(word: str, person: bool = True) -> str:
    """Latin letters of one word to Russian Cyrillic, lower case.

    A final "-ii" is "-ий" in a person's name (Dmitrii) and "-ии" in a company's (Tekhnologii).
    """
    text = fold(word)
    if text in CYRILLIC_E_NAMES:
        return "э" + cyrillic_word(text[1:], person)
    out: list[str] = []
    i = 0
    vowels = "aeiouy"
    while i < len(text):
        char = text[i]
        previous = text[i - 1] if i else ""
        following = text[i + 1] if i + 1 < len(text) else ""
        if not person and text[i:] == "ii":
            out.append("ии")
            break
        if char == "y" and i and previous not in vowels and following in ("a", "e", "u", "o"):
            # Grigoryev, Ilya: a soft sign before "ye" and a final "ya"; Ryazan, Lyudmila, Byuro: none.
            soft = following == "e" or (following == "a" and i + 2 == len(text))
            out.append(("ь" if soft else "") + {"a": "я", "e": "е", "u": "ю", "o": "ё"}[following])
            i += 2
            continue
        if char == "y" and following and following not in vowels and not text.startswith(("ya", "ye", "yu", "yo"), i):
            out.append("й" if previous in vowels else "ы")
            i += 1
            continue
        if char == "y" and not following and previous and previous not in vowels:
            out.append("ий")
            i += 1
            continue
        for pattern, replacement in CYRILLIC_RULES:
            bare = pattern.strip("^$")
            if pattern.startswith("^") and i:
                continue
            if not text.startswith(bare, i):
                continue
            if pattern.endswith("$") and i + len(bare) != len(text):
                continue
            out.append(replacement)
            i += len(bare)
            break
        else:
            out.append(char)
            i += 1
    return "".join(out)


def to_cyrillic(name: str, person: bool, rng: random.Random) -> tuple[str, str] | None:
    """A romanised Russian name or company name in Cyrillic, or None when a word is not Russian."""
    source_words = words(name)
    if not source_words or any(not w.isalpha() for w in source_words):
        return None
    upper_source = is_upper(name)
    shout_surname = person and "," in name and rng.random() < 0.5
    shout_all = upper_source and not person and rng.random() < 0.5
    written: list[str] = []
    forms: list[str] = []
    for position, word in enumerate(source_words):
        folded = fold(word)
        if not person and folded in CYRILLIC_WORDS:
            written.append(CYRILLIC_WORDS[folded].upper() if shout_all else CYRILLIC_WORDS[folded])
            continue
        if not person and folded in CYRILLIC_FORMS:
            written.append(CYRILLIC_FORMS[folded])
            forms.append(word)
            continue
        if folded in ("s", "v", "i") and not person:  # the prepositions of "Obshchestvo s ...", "... i ..."
            written.append(cyrillic_word(folded).upper() if shout_all else cyrillic_word(folded))
            continue
        if len(folded) < 2 or not looks_russian(word):
            return None
        cyrillic = cyrillic_word(word, person)
        acronym = word.isupper() and len(word) <= 4 and not upper_source
        if acronym or shout_all or (shout_surname and position == 0):
            written.append(cyrillic.upper())
        else:
            written.append(capitalised(cyrillic))
    query = " ".join(written)
    if not all(_CYRILLIC_LETTER.match(c) or c == " " for c in query):
        return None
    source_letters = "".join(fold(w) for w in source_words)
    read_back = fold(anyascii(query)).replace(" ", "")
    if difflib.SequenceMatcher(None, read_back, source_letters).ratio() < 0.75:
        return None
    note = "written in Russian Cyrillic"
    if forms:
        note += " (legal form " + ", ".join(forms) + " as its Russian abbreviation)"
    return query, note
