"""Country names as lists write them -> ISO 3166-1 alpha-2 codes.

pycountry supplies the ISO names; the publishers also use their own forms
("Korea, North", "Burma", "Russia", "Region: Crimea"), listed in
`_PUBLISHER_NAMES`. The lookup table is built once per process.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pycountry

# Names the US lists use that ISO 3166 spells differently. Regions the lists name
# on their own (Crimea, Gaza, West Bank) map to the ISO code of the country they
# are in; the region itself stays in the address text for the policy rules.
_PUBLISHER_NAMES: dict[str, str] = {
    "burma": "MM",
    "prc": "CN",  # BIS dpl.txt Country column
    "korea, north": "KP",
    "north korea": "KP",
    "korea, south": "KR",
    "south korea": "KR",
    "russia": "RU",
    "iran": "IR",
    "syria": "SY",
    "venezuela": "VE",
    "bolivia": "BO",
    "tanzania": "TZ",
    "vietnam": "VN",
    "laos": "LA",
    "moldova": "MD",
    "taiwan": "TW",
    "macau": "MO",
    "macao": "MO",
    "hong kong": "HK",
    "palestinian": "PS",
    "west bank": "PS",
    "gaza": "PS",
    "brunei": "BN",
    "cape verde": "CV",
    "czech republic": "CZ",
    "turkey": "TR",
    "turkiye": "TR",
    "the gambia": "GM",
    "gambia, the": "GM",
    "bahamas, the": "BS",
    "the bahamas": "BS",
    "congo, democratic republic of the": "CD",
    "democratic republic of the congo": "CD",
    "congo, republic of the": "CG",
    "republic of the congo": "CG",
    "cote d ivoire": "CI",
    "ivory coast": "CI",
    "kosovo": "XK",
    "micronesia, federated states of": "FM",
    "st. kitts and nevis": "KN",
    "saint kitts and nevis": "KN",
    "st. vincent and the grenadines": "VC",
    "st. lucia": "LC",
    "united states": "US",
    "usa": "US",
    "united kingdom": "GB",
    "uk": "GB",
    "region: crimea": "UA",
    "crimea": "UA",
    "region: kurdistan region": "IQ",
    "netherlands antilles": "AN",
    "curacao": "CW",
    "sint maarten": "SX",
    "eswatini": "SZ",
    "swaziland": "SZ",
    "macedonia": "MK",
    "north macedonia": "MK",
    "east timor": "TL",
    "timor-leste": "TL",
    "vatican city": "VA",
    "holy see": "VA",
    "british virgin islands": "VG",
    "virgin islands, british": "VG",
    "virgin islands, u.s.": "VI",
    "falkland islands": "FK",
    "sao tome and principe": "ST",
    "north macedonia, the republic of": "MK",
    "man, isle of": "IM",
    "northern gaza": "PS",
    "north gaza": "PS",
    "undetermined": "",
}
# Qualifiers OFAC puts before a country ("Region: Gaza", "possibly Palestinian").
_QUALIFIERS = ("region: ", "possibly ")


def _key(name: str) -> str:
    return re.sub(r"[\s'’]+", " ", name.strip().lower().replace("'", " ")).strip(" .")


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    table: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                table[_key(value)] = country.alpha_2
        table[_key(country.alpha_3)] = country.alpha_2
    # Kosovo has a user-assigned code that pycountry does not carry.
    table.update({_key(k): v for k, v in _PUBLISHER_NAMES.items()})
    return table


@lru_cache(maxsize=8192)
def country_code(name: str) -> str:
    """ISO alpha-2 code for a country name as a list writes it, or "" if unknown."""
    if not name:
        return ""
    key = _key(name)
    if len(key) == 2 and key.isalpha():
        return key.upper() if is_country_code(key.upper()) else ""
    table = _table()
    if key in table:
        return table[key]
    for qualifier in _QUALIFIERS:
        if key.startswith(qualifier):
            return table.get(key[len(qualifier) :], "")
    return ""


@lru_cache(maxsize=512)
def is_country_code(code: str) -> bool:
    """True for an assigned ISO 3166-1 alpha-2 code (and XK, Kosovo)."""
    if code == "XK":
        return True
    return len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None


@lru_cache(maxsize=1)
def _subdivision_codes() -> frozenset[str]:
    return frozenset(subdivision.code for subdivision in pycountry.subdivisions)


def is_subdivision_code(code: str) -> bool:
    """True for an ISO 3166-2 subdivision code as pycountry knows it ("CN-XJ", "UA-43"), upper case."""
    return code in _subdivision_codes()
