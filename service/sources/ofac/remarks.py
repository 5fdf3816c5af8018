"""Structured facts out of OFAC's free-text Remarks column.

The legacy CSV packs everything that is not a name, program or address into
`Remarks` as "; "-separated items: "DOB 23 Nov 1962; POB Caracas, Venezuela;
citizen Venezuela; Gender Male; Cedula No. 5892464 (Venezuela); a.k.a. 'EL
SENOR'; Linked To: HIZBALLAH." Weak ("low quality") aliases exist *only* here,
as quoted a.k.a.s. Items are classified by their leading words; anything not
recognised stays in the remarks text, which is kept verbatim as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from service.model import Identifier, NameKind
from service.normalize.countries import country_code

# Leading words of items that carry an identifier (OFAC's ID types, as they
# appear in sdn.csv / cons_prim.csv remarks). Longest first so that
# "Passport" does not swallow "Passport Number"-like longer types.
IDENTIFIER_TYPES: tuple[str, ...] = tuple(
    sorted(
        {
            "Passport",
            "Diplomatic Passport",
            "National ID No.",
            "Tax ID No.",
            "Cedula No.",
            "Registration Number",
            "Registration ID",
            "Vessel Registration Identification",
            "MMSI",
            "IMO",
            "Identification Number",
            "Company Number",
            "NIT #",
            "RUC #",
            "RFC",
            "RIF #",
            "C.U.R.P. #",
            "C.U.I.T.",
            "Folio Mercantil No.",
            "Commercial Registry Number",
            "V.A.T. Number",
            "Trade License No.",
            "Business Registration Document #",
            "Business Registration Number",
            "Business Number",
            "Government Gazette Number",
            "SWIFT/BIC",
            "Email Address",
            "Website",
            "Phone Number",
            "Telephone No.",
            "Fax No.",
            "Aircraft Tail Number",
            "Aircraft Manufacturer's Serial Number (MSN)",
            "Aircraft Construction Number (also called L/N or S/N or F/N)",
            "Aircraft Mode S Transponder Code",
            "C.R. No.",
            "D-U-N-S Number",
            "Driver's License No.",
            "Personal ID Card",
            "Residency Number",
            "Electoral Registry No.",
            "Istanbul Chamber of Comm. No.",
            "Dubai Chamber of Commerce Membership No.",
            "Kenyan ID No.",
            "Moroccan Personal ID No.",
            "Bosnian Personal ID No.",
            "Unified Social Credit Code (USCC)",
            "Legal Entity Number",
            "Economic Register Number (CBLS)",
            "Chinese Commercial Code",
            "Stateless Person ID Card",
            "Public Security and Immigration No.",
            "Refugee ID Card",
            "Social Security Number",
            "Serial No.",
            "Immigration No.",
            "Tourism License No.",
            "Registered Charity No.",
            "SRE Permit No.",
            "Matricula Mercantil No",
            "Certificate of Incorporation Number",
            "Citizen's Card Number",
        },
        key=len,
        reverse=True,
    )
)
# One alternation (longest type first) instead of a startswith loop: remarks of a
# full SDN file hold ~25,000 items to classify.
_KNOWN_ID = re.compile("^(?P<type>" + "|".join(re.escape(t) for t in IDENTIFIER_TYPES) + ") (?P<rest>.*)$", re.DOTALL)
_DIGITAL_CURRENCY = re.compile(r"^Digital Currency Address - (?P<currency>\w+) (?P<value>\S+)$")
# "<type> No. <value>" and "<type> # <value>" for ID types not in the table above.
_GENERIC_ID = re.compile(r"^(?P<type>[A-Z][\w.'/ -]*? (?:No\.|#)) (?P<value>\S.*)$")
_ID_TAIL = re.compile(
    r"^(?P<value>.*?)(?: \((?P<country>[^()]+)\))?(?: issued (?P<issued>[^;]*?))?(?: expires (?P<expires>.*))?$"
)
# OFAC: weak aliases in Remarks are "bracketed by quotation marks"; the name may
# itself hold apostrophes (transliterated ʿayn: 'ABU-'UMAR'), so match to the last quote.
_QUOTED_ALIAS = re.compile(r"^(?P<kind>[afn])\.k\.a\.\s+'(?P<name>.+?)'?$")
_ALIAS_KINDS = {"a": NameKind.AKA, "f": NameKind.FKA, "n": NameKind.NKA}
_ALT = re.compile(r"^alt\.\s+")


@dataclass
class RemarkFacts:
    dates_of_birth: list[str] = field(default_factory=list)
    places_of_birth: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    citizenships: list[str] = field(default_factory=list)
    gender: str = ""
    # (name, kind) of quoted, low-quality aliases.
    weak_aliases: list[tuple[str, NameKind]] = field(default_factory=list)
    linked_to: list[str] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)


def split_items(remarks: str) -> list[str]:
    """Split remarks into items; OFAC ends the whole text with a full stop."""
    text = remarks.strip()
    text = text.removesuffix(".")
    return [item.strip() for item in re.split(r";\s+", text) if item.strip()]


def parse_identifier(item: str) -> Identifier | None:
    """An identifier out of one remarks item, or None if the item is not one."""
    body = _ALT.sub("", item)
    currency = _DIGITAL_CURRENCY.match(body)
    if currency:
        return Identifier(type=f"Digital Currency Address - {currency['currency']}", value=currency["value"])
    known = _KNOWN_ID.match(body)
    if known:
        id_type, rest = known["type"], known["rest"]
    else:
        generic = _GENERIC_ID.match(body)
        if not generic:
            return None
        id_type, rest = generic["type"], generic["value"]
    tail = _ID_TAIL.match(rest.strip())
    assert tail is not None  # the pattern accepts any string
    country_name = (tail["country"] or "").strip()
    return Identifier(
        type=id_type,
        value=tail["value"].strip(),
        country_name=country_name,
        country=country_code(country_name),
        issued=(tail["issued"] or "").strip(),
        expires=(tail["expires"] or "").strip(),
    )


def _country_or_text(text: str) -> str:
    return country_code(text) or text


def parse_remarks(remarks: str) -> RemarkFacts:
    facts = RemarkFacts()
    for item in split_items(remarks):
        body = _ALT.sub("", item)
        if body.startswith("DOB "):
            facts.dates_of_birth.append(body[4:].strip())
        elif body.startswith("POB "):
            facts.places_of_birth.append(body[4:].strip())
        elif body.startswith("nationality "):
            facts.nationalities.append(_country_or_text(body[len("nationality ") :].strip()))
        elif body.startswith("citizen "):
            facts.citizenships.append(_country_or_text(body[len("citizen ") :].strip()))
        elif body.startswith("Gender "):
            facts.gender = body[len("Gender ") :].strip()
        elif body.startswith("Linked To: "):
            facts.linked_to.append(body[len("Linked To: ") :].strip())
        elif (alias := _QUOTED_ALIAS.match(body)) is not None:
            facts.weak_aliases.append((alias["name"].strip(), _ALIAS_KINDS[alias["kind"]]))
        elif (identifier := parse_identifier(item)) is not None:
            facts.identifiers.append(identifier)
    return facts
