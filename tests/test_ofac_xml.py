"""OFAC legacy XML (sdnList schema: SDN.XML, consolidated.xml) -> canonical entries."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.model import EntityType, Entry, NameKind
from service.model.entry import AliasStrength
from service.sources.errors import ListFileError
from service.sources.ofac.legacy_csv import parse_legacy_csv
from service.sources.ofac.sdn_xml import parse_sdn_xml

FIXTURES = Path(__file__).resolve().parent / "fixtures"
XML_PATH = FIXTURES / "ofac_sdn_xml" / "SDN.XML"


@pytest.fixture(scope="module")
def xml_bytes() -> bytes:
    return XML_PATH.read_bytes()


@pytest.fixture(scope="module")
def parsed(xml_bytes: bytes) -> tuple[dict[str, Entry], datetime | None]:
    entries, published = parse_sdn_xml("ofac_sdn", "SDN.XML", xml_bytes)
    return {entry.entry_id: entry for entry in entries}, published


@pytest.fixture(scope="module")
def entries(parsed: tuple[dict[str, Entry], datetime | None]) -> dict[str, Entry]:
    return parsed[0]


def parse_error(data: bytes) -> ListFileError:
    with pytest.raises(ListFileError) as caught:
        parse_sdn_xml("ofac_sdn", "SDN.XML", data)
    assert caught.value.path == "SDN.XML"
    return caught.value


def test_three_entries_and_publish_date(parsed: tuple[dict[str, Entry], datetime | None]) -> None:
    entries, published = parsed
    assert list(entries) == ["22790", "306", "15036"]
    assert published == datetime(2023, 12, 28, tzinfo=UTC)


def test_entity_types(entries: dict[str, Entry]) -> None:
    assert entries["22790"].entity_type is EntityType.INDIVIDUAL
    assert entries["306"].entity_type is EntityType.ORGANIZATION
    assert entries["15036"].entity_type is EntityType.VESSEL


def test_names_in_last_comma_first_form(entries: dict[str, Entry]) -> None:
    assert entries["22790"].primary_name == "MADURO MOROS, Nicolas"
    # Only a lastName: no dangling comma.
    assert entries["306"].primary_name == "BANCO NACIONAL DE CUBA"


def test_weak_alias_category(entries: dict[str, Entry]) -> None:
    maduro = entries["22790"]
    assert [(n.value, n.kind, n.strength) for n in maduro.names[1:]] == [
        ("EL PRESIDENTE OBRERO", NameKind.AKA, AliasStrength.WEAK)
    ]


def test_fka_kind_and_strong_category(entries: dict[str, Entry]) -> None:
    assert [(n.value, n.kind, n.strength) for n in entries["306"].names] == [
        ("BANCO NACIONAL DE CUBA", NameKind.PRIMARY, AliasStrength.STRONG),
        ("NATIONAL BANK OF CUBA", NameKind.AKA, AliasStrength.STRONG),
        ("BANCO DE CUBA", NameKind.FKA, AliasStrength.STRONG),
    ]


def test_nationality_and_citizenship_as_iso_codes(entries: dict[str, Entry]) -> None:
    maduro = entries["22790"]
    assert maduro.nationalities == ("VE",)
    assert maduro.citizenships == ("VE",)
    assert maduro.dates_of_birth == ("23 Nov 1962",)
    assert maduro.places_of_birth == ("Caracas, Venezuela",)


def test_gender_is_not_an_identifier(entries: dict[str, Entry]) -> None:
    maduro = entries["22790"]
    assert maduro.gender == "Male"
    assert [(i.type, i.value, i.country_name, i.country) for i in maduro.identifiers] == [
        ("Cedula No.", "5892464", "Venezuela", "VE")
    ]


def test_additional_sanctions_information_is_not_an_identifier(entries: dict[str, Entry]) -> None:
    assert entries["306"].identifiers == ()


def test_linked_to_goes_into_linked_to(entries: dict[str, Entry]) -> None:
    vessel = entries["15036"]
    assert vessel.linked_to == ("NATIONAL IRANIAN TANKER COMPANY",)
    assert [(i.type, i.value) for i in vessel.identifiers] == [("Vessel Registration Identification", "IMO 9187629")]


def test_vessel_info(entries: dict[str, Entry]) -> None:
    vessel = entries["15036"].vessel
    assert vessel is not None
    fields = (
        vessel.call_sign,
        vessel.vessel_type,
        vessel.flag,
        vessel.tonnage,
        vessel.gross_registered_tonnage,
        vessel.owner,
    )
    assert fields == (
        "9HZF5",
        "Crude Oil Tanker",
        "Malta",
        "153000",
        "81000",
        "",
    )
    assert entries["22790"].vessel is None


def test_structured_address(entries: dict[str, Entry]) -> None:
    (address,) = entries["306"].addresses
    assert address.lines == ("Zweierstrasse 35",)
    assert (address.city, address.postal_code, address.country_name, address.country) == (
        "Zurich",
        "CH-8022",
        "Switzerland",
        "CH",
    )
    (caracas,) = entries["22790"].addresses
    assert (caracas.city, caracas.state_or_province, caracas.country) == ("Caracas", "Capital District", "VE")


# --- errors --------------------------------------------------------------------------


def test_malformed_xml_reports_line(xml_bytes: bytes) -> None:
    broken = xml_bytes.replace(b"<title>President", b"<title President", 1)
    line = xml_bytes[: xml_bytes.index(b"<title>President")].count(b"\n") + 1
    error = parse_error(broken)
    assert error.line == line
    assert "malformed XML" in str(error)


def test_truncated_xml_reports_a_line(xml_bytes: bytes) -> None:
    error = parse_error(xml_bytes[: len(xml_bytes) // 2])
    assert isinstance(error.line, int) and error.line > 1
    assert "malformed XML" in str(error)


def test_wrong_root_element() -> None:
    error = parse_error(b'<?xml version="1.0"?>\n<sdnList><sdnEntry/></sdnList>')
    assert "root element" in str(error)
    assert "sdnList" in str(error)
    other = parse_error(b'<?xml version="1.0"?>\n<list xmlns="http://tempuri.org/sdnList.xsd"/>')
    assert "root element" in str(other)


def test_record_count_mismatch_means_truncated(xml_bytes: bytes) -> None:
    assert b"<Record_Count>3</Record_Count>" in xml_bytes
    error = parse_error(xml_bytes.replace(b"<Record_Count>3", b"<Record_Count>4"))
    assert "Record_Count says 4" in str(error)
    assert "holds 3" in str(error)
    assert "truncated" in str(error)


def test_missing_uid(xml_bytes: bytes) -> None:
    error = parse_error(xml_bytes.replace(b"<uid>306</uid>", b"", 1))
    assert "sdnEntry #2" in str(error)
    assert "uid" in str(error)


def test_duplicate_uid(xml_bytes: bytes) -> None:
    error = parse_error(xml_bytes.replace(b"<uid>15036</uid>", b"<uid>306</uid>", 1))
    assert "uid 306 appears twice" in str(error)


def test_unknown_sdn_type(xml_bytes: bytes) -> None:
    error = parse_error(xml_bytes.replace(b"<sdnType>Vessel</sdnType>", b"<sdnType>Submarine</sdnType>", 1))
    assert "uid 15036" in str(error)
    assert "submarine" in str(error)


# --- CSV and XML agree ---------------------------------------------------------------


def test_csv_and_xml_agree_on_the_same_party(entries: dict[str, Entry]) -> None:
    files = {path.name: path.read_bytes() for path in (FIXTURES / "ofac_sdn").iterdir()}
    from_csv = {entry.entry_id: entry for entry in parse_legacy_csv("ofac_sdn", files)}["22790"]
    from_xml = entries["22790"]
    assert from_csv.primary_name == from_xml.primary_name == "MADURO MOROS, Nicolas"
    assert from_csv.programs == from_xml.programs == ("VENEZUELA", "IRAN-CON-ARMS-EO")
    assert from_csv.dates_of_birth == from_xml.dates_of_birth == ("23 Nov 1962",)
    assert from_csv.entity_type is from_xml.entity_type is EntityType.INDIVIDUAL
    assert from_csv.citizenships == from_xml.citizenships
    assert from_csv.identifiers == from_xml.identifiers
    assert from_csv.gender == from_xml.gender == "Male"
    assert from_csv.title == from_xml.title


# --- real data -----------------------------------------------------------------------


@pytest.mark.real_data
def test_real_consolidated_xml_2018(shared_data: Path) -> None:
    data = (shared_data / "ofac-consolidated-nonsdn-2018-04" / "consolidated.xml").read_bytes()
    entries, published = parse_sdn_xml("ofac_cons", "consolidated.xml", data)
    assert len(entries) == 639
    assert published == datetime(2018, 4, 6, tzinfo=UTC)
    bank = {entry.entry_id: entry for entry in entries}["4632"]
    assert bank.primary_name == "BANK MARKAZI JOMHOURI ISLAMI IRAN"
    assert bank.entity_type is EntityType.ORGANIZATION
    assert "CENTRAL BANK OF IRAN" in [name.value for name in bank.names[1:]]
    assert bank.countries == ("IR",)
