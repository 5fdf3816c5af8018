"""One model for an entry on any restricted-party list.

Every source module (OFAC CSV, OFAC XML, trade.gov CSL, BIS DPL, DHS UFLPA ...) maps
its rows into `Entry`, so matching, decisions and explanations never care which
format an entry came from. The types are msgspec Structs because snapshots of
tens of thousands of entries are encoded to and decoded from Redis on every
publish and process start, and msgspec does that an order of magnitude faster
than dataclasses + json.
"""

from __future__ import annotations

from enum import Enum

import msgspec


class EntityType(str, Enum):
    INDIVIDUAL = "individual"
    ORGANIZATION = "organization"
    VESSEL = "vessel"
    AIRCRAFT = "aircraft"
    UNKNOWN = "unknown"


class NameKind(str, Enum):
    PRIMARY = "primary"
    AKA = "aka"
    FKA = "fka"
    NKA = "nka"


class AliasStrength(str, Enum):
    STRONG = "strong"
    # OFAC's "low quality" a.k.a.s (quoted in remarks, or category "weak" in XML).
    WEAK = "weak"


class Name(msgspec.Struct, frozen=True, omit_defaults=True):
    value: str
    kind: NameKind = NameKind.PRIMARY
    strength: AliasStrength = AliasStrength.STRONG


class Address(msgspec.Struct, frozen=True, omit_defaults=True):
    lines: tuple[str, ...] = ()
    city: str = ""
    state_or_province: str = ""
    postal_code: str = ""
    # Country as the publisher wrote it, and its ISO 3166-1 alpha-2 code when known.
    country_name: str = ""
    country: str = ""
    # Publisher's free-text line holding city / state / postal code together
    # (OFAC add.csv's column 4), kept verbatim for explanations.
    locality: str = ""


class Identifier(msgspec.Struct, frozen=True, omit_defaults=True):
    type: str
    value: str
    country_name: str = ""
    country: str = ""
    issued: str = ""
    expires: str = ""
    note: str = ""


class Vessel(msgspec.Struct, frozen=True, omit_defaults=True):
    call_sign: str = ""
    vessel_type: str = ""
    tonnage: str = ""
    gross_registered_tonnage: str = ""
    flag: str = ""
    owner: str = ""


class Entry(msgspec.Struct, frozen=True, omit_defaults=True):
    list_id: str
    entry_id: str
    entity_type: EntityType
    # names[0] is the primary name; the rest are aliases.
    names: tuple[Name, ...]
    programs: tuple[str, ...] = ()
    addresses: tuple[Address, ...] = ()
    dates_of_birth: tuple[str, ...] = ()
    places_of_birth: tuple[str, ...] = ()
    # ISO alpha-2 codes where the country could be recognised, else the text.
    nationalities: tuple[str, ...] = ()
    citizenships: tuple[str, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    gender: str = ""
    title: str = ""
    remarks: str = ""
    linked_to: tuple[str, ...] = ()
    vessel: Vessel | None = None
    # Legal basis, where the publisher states it (trade.gov CSL columns).
    federal_register_notice: str = ""
    start_date: str = ""
    license_requirement: str = ""
    license_policy: str = ""
    standard_order: str = ""
    end_date: str = ""
    source_url: str = ""
    # Crossover flags derived from lists/tags.toml ("human_rights", "forced_labor").
    tags: tuple[str, ...] = ()
    # An order's state where the publisher states one: CBP withhold-release orders and
    # findings are "active", "inactive" or "modified".
    status: str = ""
    # The goods a listing is about (a WRO's merchandise) and their HS codes, digits only.
    merchandise: str = ""
    hs_codes: tuple[str, ...] = ()

    @property
    def primary_name(self) -> str:
        return self.names[0].value

    @property
    def countries(self) -> tuple[str, ...]:
        """Distinct ISO codes of the entry's addresses, in published order."""
        seen: dict[str, None] = {}
        for address in self.addresses:
            if address.country:
                seen.setdefault(address.country, None)
        return tuple(seen)
