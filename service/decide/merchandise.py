"""Whether the goods a listing is about (a CBP order's merchandise) are among the transaction's.

A withhold release order or finding covers the merchandise it names, made by the producer
it names: "disposable rubber gloves", "cotton and cotton products", "all products". An
item is covered when its HS code falls under one of the order's HTS codes, or when a
content word of the merchandise is a word of the item's description ("gloves" in "nitrile
examination gloves"). Words are compared folded and without a plural ending; words that
say nothing about what the goods are ("products", "goods", "made", "and") do not count.
Without a description or HS code, what the item is is unknown: not matched, and the
policy says what that means (a REVIEW for a listed producer).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from service.model import Entry, QueryItem
from service.normalize.names import fold

_WORD = re.compile(r"[a-z]+")
# Words of a merchandise description that do not say what the goods are.
_NOT_GOODS = frozenset(
    """and or of the a an in on for with from by to its their all any other others made produced manufactured
    product products goods merchandise item items including include includes such as certain related derived
    containing contain using use used raw finished semi components component parts part materials material
    company companies entity entities group subsidiaries subsidiary""".split()
)
_ALL_GOODS = re.compile(
    r"\ball\s+(?:products|goods|merchandise|items)\b|\bany\s+(?:products|goods|merchandise)\b", re.IGNORECASE
)


def _stem(word: str) -> str:
    """Plural to singular, roughly: "gloves" -> "glove", "tomatoes" -> "tomato", "batteries" -> "battery"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("oes", "ses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@lru_cache(maxsize=4096)
def goods_words(text: str) -> frozenset[str]:
    """Content words of a description, folded and singular."""
    return frozenset(_stem(word) for word in _WORD.findall(fold(text)) if len(word) >= 3 and word not in _NOT_GOODS)


def merchandise_match(entry: Entry, goods: Sequence[QueryItem]) -> tuple[bool, str]:
    """(whether the entry's merchandise is among `goods`, how that was found, for the reason's text)."""
    merchandise = entry.merchandise
    if not merchandise and not entry.hs_codes:
        return False, "the order states no merchandise"
    said = f"merchandise '{merchandise}'" if merchandise else f"HTS {', '.join(entry.hs_codes)}"
    if merchandise and _ALL_GOODS.search(merchandise):
        return True, f"{said}: every product of the producer"
    wanted = goods_words(merchandise) if merchandise else frozenset()
    described = False
    for item in goods:
        described = described or bool(item.hs_code or item.description)
        if item.hs_code and entry.hs_codes:
            for code in entry.hs_codes:
                if item.hs_code.startswith(code) or (len(item.hs_code) >= 6 and code.startswith(item.hs_code)):
                    return True, f"{said}: HS {item.hs_code} of {item.label} falls under HTS {code}"
        if item.description:
            shared = sorted(wanted & goods_words(item.description))
            if shared:
                return True, f"{said}: {', '.join(repr(word) for word in shared)} in {item.label}"
    if not described:
        return False, f"{said}: no item says what its goods are (description or HS code)"
    return False, f"{said}: not among the transaction's goods"
