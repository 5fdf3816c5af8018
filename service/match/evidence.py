"""Score adjustments from secondary data: each one is evidence, none is a veto.

The deltas are deliberately small next to the name score: a conflicting country
or birth year lowers a perfect name match towards review, it does not clear it.
"""

from __future__ import annotations

from service.index.evidence import EntryEvidence, identifier_key
from service.match.result import Adjustment
from service.model import EntityType, Entry, PartyQuery

TYPE_CONFLICT_PERSON = -0.15
TYPE_CONFLICT_OTHER = -0.05
COUNTRY_AGREES = 0.05
COUNTRY_CONFLICTS = -0.05
BIRTH_YEAR_AGREES = 0.05
BIRTH_YEAR_CONFLICTS = -0.10
IDENTIFIER_AGREES = 0.10


def adjustments(
    query: PartyQuery, entry: Entry, evidence: EntryEvidence, listed_legal_forms: tuple[str, ...] = ()
) -> list[Adjustment]:
    """`listed_legal_forms`: the legal forms of the listed name that matched (set aside from it)."""
    found: list[Adjustment] = []
    # An entry of unknown type (most BIS and State rows) is no evidence either way...
    types_known = EntityType.UNKNOWN not in (query.entity_type, entry.entity_type)
    if types_known and query.entity_type is not entry.entity_type:
        person_vs_other = EntityType.INDIVIDUAL in (query.entity_type, entry.entity_type)
        found.append(
            Adjustment(
                "party_type",
                TYPE_CONFLICT_PERSON if person_vs_other else TYPE_CONFLICT_OTHER,
                f"party is {query.entity_type.value}, listed entry is {entry.entity_type.value}",
            )
        )
    elif query.entity_type is EntityType.INDIVIDUAL and entry.entity_type is EntityType.UNKNOWN and listed_legal_forms:
        # ... unless its name carries a company's legal form: then it is a company, the same
        # conflict as with a typed one.
        found.append(
            Adjustment(
                "party_type",
                TYPE_CONFLICT_PERSON,
                f"party is individual, listed name carries the legal form {' '.join(listed_legal_forms)}",
            )
        )
    query_countries = set(query.countries) | set(query.nationalities)
    if query_countries and evidence.countries:
        shared = sorted(query_countries & evidence.countries)
        if shared:
            found.append(
                Adjustment("country", COUNTRY_AGREES, f"country {', '.join(shared)} matches the listed countries")
            )
        else:
            found.append(
                Adjustment(
                    "country",
                    COUNTRY_CONFLICTS,
                    f"party country {', '.join(sorted(query_countries))} differs from listed "
                    f"{', '.join(sorted(evidence.countries))}",
                )
            )
    if query.date_of_birth and evidence.birth_years:
        year = int(query.date_of_birth[:4])
        listed = ", ".join(entry.dates_of_birth)
        if year in evidence.birth_years:
            found.append(
                Adjustment("date_of_birth", BIRTH_YEAR_AGREES, f"birth year {year} agrees with listed DOB {listed}")
            )
        else:
            found.append(
                Adjustment("date_of_birth", BIRTH_YEAR_CONFLICTS, f"birth year {year} differs from listed DOB {listed}")
            )
    for identifier in query.identifiers:
        if identifier_key(identifier.value) in evidence.identifier_values:
            found.append(
                Adjustment(
                    "identifier", IDENTIFIER_AGREES, f"identifier {identifier.type} {identifier.value} is on the entry"
                )
            )
            break
    return found
