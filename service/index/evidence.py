"""Secondary data of an entry in comparable form, computed once at index build.

Dates of birth as published ("23 Nov 1962", "circa 1960", "1955 to 1957") become
a set of years; countries from addresses, nationality and citizenship become one
set of ISO codes; identifiers become upper-case alphanumeric strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.model import Entry

_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_RANGE = re.compile(r"\b(1[89]\d\d|20\d\d)\s+to\s+(?:\d{1,2}\s+\w{3}\s+)?(1[89]\d\d|20\d\d)\b")
# OFAC's "circa 1960" means roughly; accept this many years either side.
CIRCA_TOLERANCE = 2


@dataclass(frozen=True, slots=True)
class EntryEvidence:
    birth_years: frozenset[int]
    countries: frozenset[str]
    identifier_values: frozenset[str]


def birth_years(dates: tuple[str, ...]) -> frozenset[int]:
    years: set[int] = set()
    for text in dates:
        for start, end in _RANGE.findall(text):
            years.update(range(int(start), int(end) + 1))
        found = [int(y) for y in _YEAR.findall(text)]
        if "circa" in text.lower():
            for year in found:
                years.update(range(year - CIRCA_TOLERANCE, year + CIRCA_TOLERANCE + 1))
        years.update(found)
    return frozenset(years)


def identifier_key(value: str) -> str:
    """Compare identifiers on letters and digits only: "A-123 456" == "a123456"."""
    return re.sub(r"[^0-9A-Za-z]", "", value).upper()


def entry_evidence(entry: Entry) -> EntryEvidence:
    countries = set(entry.countries)
    countries.update(code for code in (*entry.nationalities, *entry.citizenships) if len(code) == 2)
    return EntryEvidence(
        birth_years=birth_years(entry.dates_of_birth),
        countries=frozenset(countries),
        identifier_values=frozenset(
            key for identifier in entry.identifiers if len(key := identifier_key(identifier.value)) >= 4
        ),
    )
