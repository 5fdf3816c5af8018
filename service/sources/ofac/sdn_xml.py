"""OFAC's legacy XML schema (`sdnList`, namespace http://tempuri.org/sdnList.xsd).

Used by SDN.XML and CONSOLIDATED.XML. Unlike the CSV set, the XML carries
structured dates of birth, nationalities, identifiers and the a.k.a. category
(strong / weak), plus the publication date.

Completeness: the file opens with `publshInformation` (OFAC's spelling) holding
`Publish_Date` (MM/DD/YYYY) and `Record_Count`, the number of `sdnEntry`
elements (the real CONSOLIDATED.XML of 04/06/2018: Record_Count 639, 639
entries). A file without them cannot be told complete, so both are required,
and the count must match what was parsed. Text encoding is the XML
declaration's; the XML parser rejects bytes that do not fit it, naming line and
column.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from service.model import Address, EntityType, Entry, Identifier, Name, NameKind, Vessel
from service.model.entry import AliasStrength
from service.normalize.countries import country_code
from service.sources.errors import ListFileError

NAMESPACE = "http://tempuri.org/sdnList.xsd"
_NS = {"s": NAMESPACE}
_ENTITY_TYPES = {
    "individual": EntityType.INDIVIDUAL,
    "entity": EntityType.ORGANIZATION,
    "vessel": EntityType.VESSEL,
    "aircraft": EntityType.AIRCRAFT,
}
_ALIAS_KINDS = {"a.k.a.": NameKind.AKA, "f.k.a.": NameKind.FKA, "n.k.a.": NameKind.NKA}
# idList items that are notes rather than identifiers.
_NOTE_ID_TYPES = (
    "Additional Sanctions Information -",
    "For more information, please see:",
    "Secondary sanctions risk:",
    "Transactions Prohibited For Persons Owned or Controlled By U.S. Financial Institutions:",
    "Executive Order 13662 Directive Determination -",
    "Executive Order 13846 information:",
    "CAATSA Section 235 Information:",
    "Organization Established Date",
    "Organization Type:",
    "Target Type",
)


def _text(element: ET.Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path, _NS)
    return (found.text or "").strip() if found is not None and found.text else ""


def _full_name(element: ET.Element) -> str:
    """CSV-style "LAST, First" so both formats give the same names."""
    last, first = _text(element, "s:lastName"), _text(element, "s:firstName")
    return f"{last}, {first}" if last and first else (last or first)


def _line_of_tag(data: bytes, tag: str) -> int | None:
    """Line of the first `<tag` in the raw bytes, for messages (ElementTree keeps no line numbers)."""
    offset = data.find(f"<{tag}".encode())
    return data.count(b"\n", 0, offset) + 1 if offset >= 0 else None


def publish_information(name: str, data: bytes, root: ET.Element) -> tuple[datetime, int]:
    """Publish_Date and Record_Count, or ListFileError: without them the file cannot be checked."""
    if root.find("s:publshInformation", _NS) is None:
        raise ListFileError(
            name,
            "no publshInformation element (Publish_Date, Record_Count): the file cannot be checked for "
            "completeness; is it OFAC's sdnList file? Download it again",
        )
    raw_date = _text(root, "s:publshInformation/s:Publish_Date")
    try:
        published = datetime.strptime(raw_date, "%m/%d/%Y").replace(tzinfo=UTC)
    except ValueError:
        raise ListFileError(
            name,
            f"publshInformation/Publish_Date {raw_date!r} is not a date (expected MM/DD/YYYY); download the file again",
            _line_of_tag(data, "Publish_Date") or _line_of_tag(data, "publshInformation"),
        ) from None
    raw_count = _text(root, "s:publshInformation/s:Record_Count")
    if not raw_count.isdigit():
        raise ListFileError(
            name,
            f"publshInformation/Record_Count {raw_count!r} is not a number: the file cannot be checked for "
            f"completeness; download it again",
            _line_of_tag(data, "Record_Count") or _line_of_tag(data, "publshInformation"),
        )
    return published, int(raw_count)


def parse_root(name: str, data: bytes) -> ET.Element:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise ListFileError(name, f"malformed XML: {exc}", line) from exc
    if root.tag != f"{{{NAMESPACE}}}sdnList":
        raise ListFileError(name, f"root element is {root.tag!r}, expected sdnList in namespace {NAMESPACE}")
    return root


def parse_sdn_xml(list_id: str, name: str, data: bytes) -> tuple[list[Entry], datetime]:
    """Entries and the publication date from one sdnList XML file, checked against its Record_Count."""
    root = parse_root(name, data)
    published, declared = publish_information(name, data, root)
    entries: list[Entry] = []
    seen: set[str] = set()
    for position, element in enumerate(root.findall("s:sdnEntry", _NS), start=1):
        entry = _entry(list_id, name, position, element)
        if entry.entry_id in seen:
            raise ListFileError(name, f"sdnEntry #{position}: uid {entry.entry_id} appears twice")
        seen.add(entry.entry_id)
        entries.append(entry)
    if declared != len(entries):
        raise ListFileError(
            name,
            f"Record_Count says {declared} entries but the file holds {len(entries)}: "
            + ("truncated or incomplete" if declared > len(entries) else "altered, it holds more than it declares")
            + "; download it again",
            _line_of_tag(data, "Record_Count"),
        )
    return entries, published


def _entry(list_id: str, file_name: str, position: int, element: ET.Element) -> Entry:
    uid = _text(element, "s:uid")
    if not uid.isdigit():
        raise ListFileError(file_name, f"sdnEntry #{position}: uid {uid!r} is not a number")
    primary = _full_name(element)
    if not primary:
        raise ListFileError(file_name, f"sdnEntry uid {uid} has no name")
    sdn_type = _text(element, "s:sdnType").lower()
    entity_type = _ENTITY_TYPES.get(sdn_type)
    if entity_type is None:
        raise ListFileError(file_name, f"sdnEntry uid {uid}: unknown sdnType {sdn_type!r}")

    names = [Name(primary)]
    for aka in element.findall("s:akaList/s:aka", _NS):
        alias = _full_name(aka)
        if not alias:
            continue
        kind = _ALIAS_KINDS.get(_text(aka, "s:type").lower(), NameKind.AKA)
        weak = _text(aka, "s:category").lower() == "weak"
        names.append(Name(alias, kind, AliasStrength.WEAK if weak else AliasStrength.STRONG))

    addresses = []
    for address in element.findall("s:addressList/s:address", _NS):
        country = _text(address, "s:country")
        addresses.append(
            Address(
                lines=tuple(
                    line for tag in ("address1", "address2", "address3") if (line := _text(address, f"s:{tag}"))
                ),
                city=_text(address, "s:city"),
                state_or_province=_text(address, "s:stateOrProvince"),
                postal_code=_text(address, "s:postalCode"),
                country_name=country,
                country=country_code(country),
            )
        )

    identifiers, gender, linked_to = [], "", []
    for item in element.findall("s:idList/s:id", _NS):
        id_type, number = _text(item, "s:idType"), _text(item, "s:idNumber")
        if id_type == "Gender":
            gender = number
        elif id_type.startswith("Linked To"):
            linked_to.append(number)
        elif not id_type.startswith(_NOTE_ID_TYPES) and number:
            id_country = _text(item, "s:idCountry")
            identifiers.append(
                Identifier(
                    type=id_type,
                    value=number,
                    country_name=id_country,
                    country=country_code(id_country),
                    issued=_text(item, "s:issueDate"),
                    expires=_text(item, "s:expirationDate"),
                )
            )

    def countries(path: str) -> tuple[str, ...]:
        values = (_text(item, "s:country") for item in element.findall(path, _NS))
        return tuple(country_code(value) or value for value in values if value)

    vessel_info = element.find("s:vesselInfo", _NS)
    vessel = None
    if vessel_info is not None:
        vessel = Vessel(
            call_sign=_text(vessel_info, "s:callSign"),
            vessel_type=_text(vessel_info, "s:vesselType"),
            tonnage=_text(vessel_info, "s:tonnage"),
            gross_registered_tonnage=_text(vessel_info, "s:grossRegisteredTonnage"),
            flag=_text(vessel_info, "s:vesselFlag"),
            owner=_text(vessel_info, "s:vesselOwner"),
        )

    return Entry(
        list_id=list_id,
        entry_id=uid,
        entity_type=entity_type,
        names=tuple(names),
        programs=tuple(
            p.text.strip() for p in element.findall("s:programList/s:program", _NS) if p.text and p.text.strip()
        ),
        addresses=tuple(addresses),
        dates_of_birth=tuple(
            value
            for item in element.findall("s:dateOfBirthList/s:dateOfBirthItem", _NS)
            if (value := _text(item, "s:dateOfBirth"))
        ),
        places_of_birth=tuple(
            value
            for item in element.findall("s:placeOfBirthList/s:placeOfBirthItem", _NS)
            if (value := _text(item, "s:placeOfBirth"))
        ),
        nationalities=countries("s:nationalityList/s:nationality"),
        citizenships=countries("s:citizenshipList/s:citizenship"),
        identifiers=tuple(identifiers),
        gender=gender,
        title=_text(element, "s:title"),
        remarks=_text(element, "s:remarks"),
        linked_to=tuple(linked_to),
        vessel=vessel,
    )
