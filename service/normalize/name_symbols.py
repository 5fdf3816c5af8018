"""Whether two spellings one letter apart are one name or two, from Wikidata's name items.

A typo joins "Viktor" to "Victor", and equally "Salim" to "Salih" or "Amir" to "Amin": the first
pair is one name spelled two ways, the others are names of their own that many people carry. The
table (data/name_symbols.tsv, built by scripts/build_name_symbols.py with rigour's person-name
tagger) gives each name part of the lists the Wikidata given-name and family-name items it spells;
two parts that share none are two names.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import groupby
from pathlib import Path

from service.normalize.hangul import korean_syllables

DATA_FILE = Path(__file__).with_name("data") / "name_symbols.tsv"


@lru_cache(maxsize=1)
def name_items() -> dict[str, frozenset[str]]:
    """Token -> the Wikidata name items it spells (loaded once; about 9,000 tokens)."""
    items: dict[str, frozenset[str]] = {}
    with DATA_FILE.open(encoding="utf-8") as rows:
        for row in rows:
            if row.startswith("#") or not row.strip():
                continue
            token, _, numbers = row.rstrip("\n").partition("\t")
            items[token] = frozenset(numbers.split())
    return items


def _undoubled(token: str) -> str:
    return "".join(letter for letter, _ in groupby(token))


def distinct_names(one: str, other: str) -> bool:
    """True when both tokens are known names and no name item holds both ("salim" / "salih").

    False when either is unknown (a typo, or a name the table lacks), when they differ only by a
    doubled letter ("alla" / "ala", a common transliteration difference), or when both are Korean
    syllables, whose romanisation systems differ by a letter ("yon" / "yong", "chol" / "chul").
    """
    items = name_items()
    mine, theirs = items.get(one), items.get(other)
    if not mine or not theirs or not mine.isdisjoint(theirs):
        return False
    if _undoubled(one) == _undoubled(other):
        return False
    syllables = korean_syllables()
    return not (one in syllables and other in syllables)
