"""Words a querier appends to an organisation's name to say which part or place of it is meant.

"<listed company> Representative Office", "... (Singapore)", "... Plant No. 2",
"... Logistics Division" (the unit word "division"): the listed name is all there, followed only by words of
these kinds, so the party may be a unit of the listed one (service.match.fuzzy weighs
them lightly then). Countries come from pycountry (names, common and official names,
in the normalised token form); the unit words are English and the forms of them
common in the lists' other languages.
"""

from __future__ import annotations

from functools import cache

import pycountry

from service.normalize.names import name_tokens

UNIT_WORDS: frozenset[str] = frozenset(
    {
        # offices and establishments
        "office", "offices", "representative", "representation", "branch", "branches", "agency", "bureau",
        "headquarters", "hq", "regional", "liaison", "mission", "station", "outlet", "store", "shop",
        "filial", "filiale", "sucursal", "succursale", "niederlassung", "zweigniederlassung", "predstavitelstvo",
        "representacion", "representacao", "rappresentanza", "vertretung", "bureau",
        # parts of a company
        "division", "department", "dept", "unit", "section", "subsidiary", "affiliate", "wing", "arm",
        "plant", "factory", "works", "mill", "workshop", "warehouse", "depot", "site", "campus", "yard",
        # (not lines of business, "trading", "logistics", "services": "<brand> Logistics" is as
        # often another company as a unit of a listed "<brand>")
        # numbering
        "no", "nr", "number", "num",
    }
)  # fmt: skip


@cache
def _country_tokens() -> frozenset[str]:
    tokens: set[str] = set()
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            value = getattr(country, attribute, None)
            if value:
                tokens.update(name_tokens(value))
    # Words of several country names that say nothing of a place on their own.
    return frozenset(tokens - {"of", "the", "and", "republic", "democratic", "people", "peoples", "state", "states",
                               "united", "kingdom", "federation", "islamic", "arab", "socialist", "union"})  # fmt: skip


def is_qualifier(token: str) -> bool:
    """A unit word, a country's name word, or a number ("2", "2nd")."""
    if token in UNIT_WORDS or token.isdigit():
        return True
    if token[:1].isdigit() and token[-2:] in {"st", "nd", "rd", "th"}:
        return True
    return token in _country_tokens()
