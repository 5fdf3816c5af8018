"""OFAC legacy CSV set (sdn.csv + add.csv + alt.csv + sdn_comments.csv) -> canonical entries."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from service.model import EntityType, Entry, NameKind
from service.model.entry import AliasStrength
from service.sources.errors import ListFileError
from service.sources.ofac.legacy_csv import CONSOLIDATED_FILES, parse_legacy_csv

FIXTURE_DIR = Path(__file__).resolve().parent / "fixtures" / "ofac_sdn"


def read_set(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}


def by_id(entries: list[Entry]) -> dict[str, Entry]:
    return {entry.entry_id: entry for entry in entries}


@pytest.fixture(scope="module")
def fixture_files() -> dict[str, bytes]:
    return read_set(FIXTURE_DIR)


@pytest.fixture(scope="module")
def entries(fixture_files: dict[str, bytes]) -> dict[str, Entry]:
    return by_id(parse_legacy_csv("ofac_sdn", fixture_files))


def sdn_lines(files: dict[str, bytes]) -> list[bytes]:
    """sdn.csv split on CRLF: index 0 is line 1; the last item is the 0x1A byte."""
    return files["sdn.csv"].split(b"\r\n")


def with_file(files: dict[str, bytes], name: str, data: bytes) -> dict[str, bytes]:
    changed = dict(files)
    changed[name] = data
    return changed


def parse_error(files: dict[str, bytes]) -> ListFileError:
    with pytest.raises(ListFileError) as caught:
        parse_legacy_csv("ofac_sdn", files)
    return caught.value


# --- the fixture set -----------------------------------------------------------------


def test_fixture_files_keep_the_format_quirks(fixture_files: dict[str, bytes]) -> None:
    # Guard: the fixture must keep the quirks the parser is tested against.
    assert fixture_files["sdn.csv"].endswith(b"\r\n\x1a")
    assert b"-0- " in fixture_files["sdn.csv"]


def test_fixture_parses_seven_entries_in_file_order(entries: dict[str, Entry]) -> None:
    assert list(entries) == ["36", "306", "22790", "9647", "15036", "25001", "47001"]
    assert all(entry.list_id == "ofac_sdn" for entry in entries.values())


def test_entity_types_including_organization_from_empty_field(entries: dict[str, Entry]) -> None:
    assert {entry_id: entry.entity_type for entry_id, entry in entries.items()} == {
        "36": EntityType.ORGANIZATION,
        "306": EntityType.ORGANIZATION,
        "22790": EntityType.INDIVIDUAL,
        "9647": EntityType.INDIVIDUAL,
        "15036": EntityType.VESSEL,
        "25001": EntityType.AIRCRAFT,
        "47001": EntityType.ORGANIZATION,
    }


def test_programs_are_split_on_bracket_separators(entries: dict[str, Entry]) -> None:
    assert entries["22790"].programs == ("VENEZUELA", "IRAN-CON-ARMS-EO")
    assert entries["15036"].programs == ("IRAN", "NPWMD")
    assert entries["36"].programs == ("CUBA",)


def test_empty_fields_become_empty_strings(entries: dict[str, Entry]) -> None:
    maduro = entries["22790"]
    assert maduro.title == "President of the Bolivarian Republic of Venezuela"
    assert entries["36"].title == ""
    assert entries["36"].remarks == ""
    assert entries["36"].vessel is None
    # add.csv row "15036,8002,-0- ,-0- ,-0- ,-0- ": an address with nothing in it.
    (address,) = entries["15036"].addresses
    assert (address.lines, address.locality, address.country_name, address.country) == ((), "", "", "")


def test_primary_name_first_then_aliases_with_kinds(entries: dict[str, Entry]) -> None:
    karim = entries["9647"]
    assert [(name.value, name.kind, name.strength) for name in karim.names] == [
        ("KARIM, Abdul Rahman", NameKind.PRIMARY, AliasStrength.STRONG),
        ("KAREEM, Abd al-Rahman", NameKind.AKA, AliasStrength.STRONG),
        ("AL-KARIM, Abdul", NameKind.FKA, AliasStrength.STRONG),
        ("ABU KARIM", NameKind.AKA, AliasStrength.WEAK),
    ]
    assert karim.primary_name == "KARIM, Abdul Rahman"
    # nka, and UTF-8 in alt.csv decoded (not mojibake).
    assert [(name.value, name.kind) for name in entries["47001"].names[1:]] == [
        ("STRAßE HANDELS GESELLSCHAFT", NameKind.NKA)
    ]


def test_quoted_aka_in_remarks_is_a_weak_alias(entries: dict[str, Entry]) -> None:
    bank = entries["306"]
    assert [(name.value, name.kind, name.strength) for name in bank.names] == [
        ("BANCO NACIONAL DE CUBA", NameKind.PRIMARY, AliasStrength.STRONG),
        ("NATIONAL BANK OF CUBA", NameKind.AKA, AliasStrength.STRONG),
        ("BNC", NameKind.AKA, AliasStrength.WEAK),
    ]


def test_addresses_with_iso_country_codes(entries: dict[str, Entry]) -> None:
    bank = entries["306"]
    assert [(a.lines, a.locality, a.country_name, a.country) for a in bank.addresses] == [
        (("Zweierstrasse 35",), "Zurich CH-8022", "Switzerland", "CH"),
        ((), "Havana", "Cuba", "CU"),
    ]
    assert bank.countries == ("CH", "CU")
    assert entries["47001"].addresses[0].country == "RU"  # publisher's "Russia"
    assert entries["25001"].addresses[0].country == "IR"


def test_remarks_continue_in_comments_file_mid_word(entries: dict[str, Entry]) -> None:
    karim = entries["9647"]
    assert karim.remarks.endswith("; Registration ID 1234567 (Afghanistan).")
    assert "(Afgha" + "nistan)" in karim.remarks
    registration = [identifier for identifier in karim.identifiers if identifier.type == "Registration ID"]
    assert len(registration) == 1
    assert registration[0].value == "1234567"
    assert registration[0].country_name == "Afghanistan"
    assert registration[0].country == "AF"


def test_facts_of_entry_9647_from_remarks(entries: dict[str, Entry]) -> None:
    karim = entries["9647"]
    assert karim.dates_of_birth == ("circa 1960",)
    assert karim.nationalities == ("AF",)
    assert karim.linked_to == ("AL-QA'IDA",)
    passport = karim.identifiers[0]
    assert (passport.type, passport.value, passport.country, passport.issued) == (
        "Passport",
        "OR123456",
        "AF",
        "01 Jan 2001",
    )
    # "Additional Sanctions Information - ..." is a note, not an identifier.
    assert [identifier.type for identifier in karim.identifiers] == ["Passport", "Registration ID"]


def test_dob_citizenship_and_identifiers_of_22790(entries: dict[str, Entry]) -> None:
    maduro = entries["22790"]
    assert maduro.dates_of_birth == ("23 Nov 1962",)
    assert maduro.places_of_birth == ("Caracas, Venezuela",)
    assert maduro.citizenships == ("VE",)
    assert maduro.nationalities == ()
    assert maduro.gender == "Male"
    assert len(maduro.identifiers) == 1
    cedula = maduro.identifiers[0]
    assert (cedula.type, cedula.value, cedula.country_name, cedula.country) == (
        "Cedula No.",
        "5892464",
        "Venezuela",
        "VE",
    )
    # The full remarks text is kept verbatim, including the unrecognised item.
    assert maduro.remarks.endswith("; President of the Bolivarian Republic of Venezuela.")
    assert [(a.locality, a.country) for a in maduro.addresses] == [("Caracas, Capital District", "VE")]


def test_vessel_info_of_15036(entries: dict[str, Entry]) -> None:
    vessel = entries["15036"].vessel
    assert vessel is not None
    assert vessel.call_sign == "9HZF5"
    assert vessel.vessel_type == "Crude Oil Tanker"
    assert vessel.tonnage == "153,000"
    assert vessel.gross_registered_tonnage == "81,000"
    assert vessel.flag == "Malta"
    assert vessel.owner == "SHIPPING COMPANY X"
    assert entries["15036"].linked_to == ("NATIONAL IRANIAN TANKER COMPANY",)
    assert [(i.type, i.value) for i in entries["15036"].identifiers] == [
        ("Vessel Registration Identification", "IMO 9187629"),
        ("MMSI", "215123456"),
    ]


def test_aircraft_tail_number_and_org_tax_id(entries: dict[str, Entry]) -> None:
    assert [(i.type, i.value) for i in entries["25001"].identifiers] == [("Aircraft Tail Number", "EP-ABC")]
    assert entries["25001"].vessel is None
    tax = entries["47001"].identifiers
    assert [(i.type, i.value, i.country) for i in tax] == [("Tax ID No.", "7701234567", "RU")]


def test_only_sdn_csv_still_parses(fixture_files: dict[str, bytes]) -> None:
    entries = by_id(parse_legacy_csv("ofac_sdn", {"sdn.csv": fixture_files["sdn.csv"]}))
    assert len(entries) == 7
    assert all(entry.addresses == () for entry in entries.values())
    # Only the weak aliases from remarks remain; alt.csv aliases are gone.
    assert [name.value for name in entries["306"].names] == ["BANCO NACIONAL DE CUBA", "BNC"]
    assert [name.value for name in entries["36"].names] == ["AEROCARIBBEAN AIRLINES"]
    # Without sdn_comments.csv the remarks stop where sdn.csv cut them.
    assert entries["9647"].remarks.endswith("Registration ID 1234567 (Afgha")


def test_remarks_continuation_keeps_space_at_the_cut() -> None:
    sdn = b'100,"ACME LLC",-0- ,"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"Tax ID No. 7701234567 "\r\n\x1a'
    comments = b'100,"(Russia)."\r\n\x1a'
    (entry,) = parse_legacy_csv("ofac_sdn", {"sdn.csv": sdn, "sdn_comments.csv": comments})
    assert entry.remarks == "Tax ID No. 7701234567 (Russia)."
    assert [(i.value, i.country) for i in entry.identifiers] == [("7701234567", "RU")]


# --- errors --------------------------------------------------------------------------


def test_wrong_column_count_names_file_and_line(fixture_files: dict[str, bytes]) -> None:
    lines = sdn_lines(fixture_files)
    lines[2] = lines[2].replace(b"-0- ,", b"", 1)  # line 3 (22790) loses one column
    error = parse_error(with_file(fixture_files, "sdn.csv", b"\r\n".join(lines)))
    assert (error.path, error.line) == ("sdn.csv", 3)
    assert "expected 12 columns, found 11" in str(error)


def test_wrong_column_count_in_add_csv(fixture_files: dict[str, bytes]) -> None:
    lines = fixture_files["add.csv"].split(b"\r\n")
    lines[1] += b",extra"
    error = parse_error(with_file(fixture_files, "add.csv", b"\r\n".join(lines)))
    assert (error.path, error.line) == ("add.csv", 2)
    assert "expected 6 columns, found 7" in str(error)


def test_non_numeric_ent_num(fixture_files: dict[str, bytes]) -> None:
    lines = sdn_lines(fixture_files)
    lines[4] = b"X" + lines[4]  # line 5: "X15036,..."
    error = parse_error(with_file(fixture_files, "sdn.csv", b"\r\n".join(lines)))
    assert (error.path, error.line) == ("sdn.csv", 5)
    assert "'X15036' is not a number" in str(error)


def test_unknown_alias_type(fixture_files: dict[str, bytes]) -> None:
    lines = fixture_files["alt.csv"].split(b"\r\n")
    assert lines[3].startswith(b'9647,5002,"fka"')
    lines[3] = lines[3].replace(b'"fka"', b'"xka"')
    error = parse_error(with_file(fixture_files, "alt.csv", b"\r\n".join(lines)))
    assert (error.path, error.line) == ("alt.csv", 4)
    assert "unknown alias type 'xka'" in str(error)


def test_duplicate_ent_num(fixture_files: dict[str, bytes]) -> None:
    lines = sdn_lines(fixture_files)
    assert lines[3].startswith(b"9647,")
    lines[3] = b"36," + lines[3][len(b"9647,") :]  # line 4 reuses entry 36
    error = parse_error(with_file(fixture_files, "sdn.csv", b"\r\n".join(lines)))
    assert (error.path, error.line) == ("sdn.csv", 4)
    assert "entry 36 appears twice" in str(error)


def test_missing_sdn_csv(fixture_files: dict[str, bytes]) -> None:
    files = {name: data for name, data in fixture_files.items() if name != "sdn.csv"}
    error = parse_error(files)
    assert error.path == "sdn.csv"
    assert error.line is None
    assert "missing" in str(error)


def test_malformed_csv_quote(fixture_files: dict[str, bytes]) -> None:
    lines = sdn_lines(fixture_files)
    lines[5] = lines[5].replace(b'"SDGT"', b'"SD"GT"')  # line 6 (25001)
    error = parse_error(with_file(fixture_files, "sdn.csv", b"\r\n".join(lines)))
    assert (error.path, error.line) == ("sdn.csv", 6)
    assert "malformed CSV" in str(error)


def test_unknown_sdn_type(fixture_files: dict[str, bytes]) -> None:
    lines = sdn_lines(fixture_files)
    lines[2] = lines[2].replace(b'"individual"', b'"person"')
    error = parse_error(with_file(fixture_files, "sdn.csv", b"\r\n".join(lines)))
    assert (error.path, error.line) == ("sdn.csv", 3)
    assert "unknown SDN_Type 'person'" in str(error)


def test_entry_without_name(fixture_files: dict[str, bytes]) -> None:
    lines = sdn_lines(fixture_files)
    lines[1] = lines[1].replace(b'"BANCO NACIONAL DE CUBA"', b"-0- ")
    error = parse_error(with_file(fixture_files, "sdn.csv", b"\r\n".join(lines)))
    assert (error.path, error.line) == ("sdn.csv", 2)
    assert "entry 306 has no name" in str(error)


# --- real data -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_2023(shared_data: Path) -> list[Entry]:
    return parse_legacy_csv("ofac_sdn", read_set(shared_data / "ofac-sdn-2023-12-28"))


@pytest.mark.real_data
def test_real_sdn_2023_12_28_counts(real_2023: list[Entry]) -> None:
    assert len(real_2023) == 13_821
    assert Counter(entry.entity_type for entry in real_2023) == {
        EntityType.ORGANIZATION: 6_033,
        EntityType.INDIVIDUAL: 6_646,
        EntityType.VESSEL: 764,
        EntityType.AIRCRAFT: 378,
    }
    assert len({entry.entry_id for entry in real_2023}) == 13_821


@pytest.mark.real_data
def test_real_sdn_2023_12_28_maduro(real_2023: list[Entry]) -> None:
    maduro = by_id(real_2023)["22790"]
    assert maduro.primary_name == "MADURO MOROS, Nicolas"
    assert maduro.entity_type is EntityType.INDIVIDUAL
    assert maduro.programs == ("VENEZUELA", "IRAN-CON-ARMS-EO")
    assert "23 Nov 1962" in maduro.dates_of_birth


@pytest.mark.real_data
def test_real_sdn_2023_12_28_address_countries_map(real_2023: list[Entry]) -> None:
    addresses = [address for entry in real_2023 for address in entry.addresses]
    named = [address for address in addresses if address.country_name]
    mapped = [address for address in named if address.country]
    assert len(named) > 15_000
    assert len(mapped) / len(named) > 0.99
    # What stays unmapped is OFAC's "undetermined" or a region spanning no single country.
    unmapped = {address.country_name for address in named if not address.country}
    assert all(name == "undetermined" or name.startswith("Region: ") for name in unmapped), unmapped
    # Every entry has an address (add.csv covers every ent_num), and nearly every one a country.
    assert all(entry.addresses for entry in real_2023)
    without = [
        entry.entry_id for entry in real_2023 if not any(a.country or not a.country_name for a in entry.addresses)
    ]
    assert len(without) < 0.001 * len(real_2023)


@pytest.mark.real_data
def test_real_sdn_2021_07_with_comments(shared_data: Path) -> None:
    files = read_set(shared_data / "ofac-sdn-2021-07")
    assert "sdn_comments.csv" in files
    entries = by_id(parse_legacy_csv("ofac_sdn", files))
    assert len(entries) == 8_976
    # Entry 28263's remarks are cut inside a quoted a.k.a. ('snowsjo' + "hn'...").
    tian = entries["28263"]
    weak = [name.value for name in tian.names if name.strength is AliasStrength.WEAK]
    assert "snowsjohn" in weak
    assert tian.linked_to == ("LAZARUS GROUP",)


@pytest.mark.real_data
def test_real_consolidated_non_sdn(shared_data: Path) -> None:
    files = read_set(shared_data / "ofac-consolidated-nonsdn-2025-12")
    entries = parse_legacy_csv("ofac_cons", files, CONSOLIDATED_FILES)
    assert len(entries) == 442
    assert Counter(entry.entity_type for entry in entries) == {EntityType.ORGANIZATION: 363, EntityType.INDIVIDUAL: 79}


@pytest.mark.real_data
def test_real_consolidated_continuation_keeps_space(shared_data: Path) -> None:
    # cons_prim.csv cuts 17250's remarks after "Registration Number 1027700070518 " and
    # cons_comments.csv continues with "(Russia); ...".
    entries = by_id(
        parse_legacy_csv("ofac_cons", read_set(shared_data / "ofac-consolidated-nonsdn-2025-12"), CONSOLIDATED_FILES)
    )
    registration = [i for i in entries["17250"].identifiers if i.type == "Registration Number"]
    assert [(i.value, i.country) for i in registration] == [("1027700070518", "RU")]
