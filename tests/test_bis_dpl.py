"""BIS Denied Persons List (dpl.txt) -> canonical entries, one per party."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from service.model import Address, EntityType, Entry, NameKind
from service.sources.bis.dpl import DPL_FILE, entity_type_for, names_for, parse_dpl, party_id
from service.sources.errors import ListFileError
from tests.conftest import FIXTURES

FIXTURE = FIXTURES / "bis_dpl" / DPL_FILE
# Fixed "today" for the fixture tests, so the data-date rule does not move with the clock.
TODAY = date(2025, 1, 1)


def parse(data: bytes, today: date = TODAY) -> list[Entry]:
    return parse_dpl("bis_dpl", {DPL_FILE: data}, {}, today=today).entries


def by_name(entries: list[Entry]) -> dict[str, Entry]:
    return {entry.primary_name: entry for entry in entries}


def parse_error(data: bytes) -> ListFileError:
    with pytest.raises(ListFileError) as caught:
        parse_dpl("bis_dpl", {DPL_FILE: data}, {}, today=TODAY)
    return caught.value


def lines(data: bytes) -> list[bytes]:
    """The file split on LF: index 0 is line 1 (the header)."""
    return data.split(b"\n")


def with_line(data: bytes, line: int, new: bytes) -> bytes:
    split = lines(data)
    split[line - 1] = new
    return b"\n".join(split)


@pytest.fixture(scope="module")
def fixture_bytes() -> bytes:
    return FIXTURE.read_bytes()


@pytest.fixture(scope="module")
def entries(fixture_bytes: bytes) -> dict[str, Entry]:
    return by_name(parse(fixture_bytes))


# --- the fixture file ----------------------------------------------------------------


def test_fixture_keeps_the_format_quirks(fixture_bytes: bytes) -> None:
    # Guard: the fixture must keep the quirks the parser is tested against.
    assert b"\r" not in fixture_bytes and fixture_bytes.endswith(b'"\n')
    assert lines(fixture_bytes)[0].startswith(b'"Name"\t"Street_Address"\t')
    assert lines(fixture_bytes)[1].startswith(b'" JOHN Q. EXAMPLE"')
    assert b'""BOBBY""' in fixture_bytes and b'"3033-09-30"' in fixture_bytes and b'"PRC"' in fixture_bytes


def test_rows_are_grouped_into_one_entry_per_party(entries: dict[str, Entry]) -> None:
    # 10 rows: two parties have two rows each under slightly different spellings,
    # one party has two denial orders at the same address.
    assert sorted(entries) == [
        "ACME AVIONICS TRADING LLC",
        "ELEKTROKOM",
        "GLOBEX TECHNIK GMBH",
        "JOHN Q. EXAMPLE",
        "LUIS TESTINO",
        "MARIA EJEMPLO A/K/A MARIA SAMPLE",
        'ROBERT "BOBBY" TESTER',
    ]


def test_leading_space_is_stripped_and_both_rows_are_one_party(entries: dict[str, Entry]) -> None:
    john = entries["JOHN Q. EXAMPLE"]
    assert john.names[0].value == "JOHN Q. EXAMPLE"
    assert [address.lines for address in john.addresses] == [
        ("UPON THE DATE OF THE ORDER INCARCERATED AT FCI EXAMPLEVILLE, 100 PRISON ROAD",),  # 2003 order first
        ("605 SAMPLE LANE",),
    ]
    assert john.addresses[1] == Address(
        lines=("605 SAMPLE LANE",), city="RICHARDSON", state_or_province="TX", postal_code="75081"
    )


def test_the_newest_row_gives_the_legal_basis(entries: dict[str, Entry]) -> None:
    john = entries["JOHN Q. EXAMPLE"]
    assert john.start_date == "2003-06-19"  # not the 2002 row
    assert john.end_date == "2056-06-29"
    assert john.federal_register_notice == "68 F.R. 38290 6/27/03 72 F.R. 4236 1/30/07"
    assert john.remarks == "FEDERAL REGISTER NOTICE UPDATED"
    assert john.standard_order == "Y"

    globex = entries["GLOBEX TECHNIK GMBH"]
    assert (globex.start_date, globex.end_date) == ("1990-05-02", "")
    assert globex.federal_register_notice == "55 F.R. 18000 5/9/90"
    assert globex.remarks == "RENEWAL"
    assert len(globex.addresses) == 1  # the same address on both orders is kept once


def test_spelling_variants_share_one_entry_and_countries_are_iso(entries: dict[str, Entry]) -> None:
    acme = entries["ACME AVIONICS TRADING LLC"]  # also "ACME  AVIONICS TRADING, LLC"
    assert [(a.city, a.country_name, a.country) for a in acme.addresses] == [
        ("DUBAI", "AE", "AE"),
        ("SHANGHAI", "PRC", "CN"),
    ]
    assert acme.standard_order == "Y"  # written "y" on the newest row
    # A US state in the Country column is kept as written but gets no ISO code;
    # a blank Country (most US rows) stays blank.
    assert [(a.country_name, a.country) for a in entries["LUIS TESTINO"].addresses] == [("NM", "")]
    assert entries["MARIA EJEMPLO A/K/A MARIA SAMPLE"].addresses[0].country == ""
    assert entries["ELEKTROKOM"].countries == ("RU",)


def test_missing_expiration_and_trailing_spaces(entries: dict[str, Entry]) -> None:
    maria = entries["MARIA EJEMPLO A/K/A MARIA SAMPLE"]
    assert (maria.start_date, maria.end_date, maria.standard_order) == ("2022-08-24", "", "N")
    robert = entries['ROBERT "BOBBY" TESTER']
    assert robert.remarks == "ADDITION, F.R. NOTICE ADDED"
    assert robert.end_date == "2033-11-16"


def test_inline_aliases_become_aka_names(entries: dict[str, Entry]) -> None:
    maria = entries["MARIA EJEMPLO A/K/A MARIA SAMPLE"]
    assert [(n.value, n.kind) for n in maria.names] == [
        ("MARIA EJEMPLO A/K/A MARIA SAMPLE", NameKind.PRIMARY),
        ("MARIA EJEMPLO", NameKind.AKA),
        ("MARIA SAMPLE", NameKind.AKA),
    ]
    assert [n.value for n in names_for("PEARL (A.K.A. NEI-CHIEN CHU) LI")] == [
        "PEARL (A.K.A. NEI-CHIEN CHU) LI",
        "PEARL LI",
        "NEI-CHIEN CHU",
    ]
    siberian = names_for("SIBERIAN AIRLINES D/B/A S7 AIRLINES")
    assert [n.value for n in siberian][1:] == ["SIBERIAN AIRLINES", "S7 AIRLINES"]
    assert len(names_for('SHAOHUA "ERIC" WANG')) == 1


def test_entity_type_is_inferred_from_the_name(entries: dict[str, Entry]) -> None:
    assert entries["ACME AVIONICS TRADING LLC"].entity_type is EntityType.ORGANIZATION
    assert entries["GLOBEX TECHNIK GMBH"].entity_type is EntityType.ORGANIZATION
    assert entries["ELEKTROKOM"].entity_type is EntityType.ORGANIZATION  # one-word name
    assert entries["JOHN Q. EXAMPLE"].entity_type is EntityType.INDIVIDUAL
    assert entries['ROBERT "BOBBY" TESTER'].entity_type is EntityType.INDIVIDUAL
    assert entity_type_for("COTRICOM S.A.") is EntityType.ORGANIZATION
    assert entity_type_for("YARRA ANSTALT A.G.") is EntityType.ORGANIZATION
    assert entity_type_for("SYNAPTIX.NET") is EntityType.ORGANIZATION
    assert entity_type_for("BELAVIA BELARUSIAN AIRLINES") is EntityType.ORGANIZATION
    # Legal forms are whole tokens: "AG" inside "AGNESE", "CO" inside "COX" do not count.
    assert entity_type_for("SABA AGNESE") is EntityType.INDIVIDUAL
    assert entity_type_for("MICHAEL COX") is EntityType.INDIVIDUAL


def test_entry_ids_are_stable_hashes_of_the_normalised_name(entries: dict[str, Entry]) -> None:
    # Pinned values: a change here changes every DPL id and shows every party as
    # removed and re-added in the next diff.
    assert entries["JOHN Q. EXAMPLE"].entry_id == "dpl-3037387f6967"
    assert party_id(" I. ASH") == party_id("I. ASH") == party_id("i ash") == "dpl-fea4010078a4"
    assert party_id("AL-NASER  AIRLINES") == party_id("AL NASER AIRLINES") != party_id("ALNASER AIRLINES")
    assert len({entry.entry_id for entry in entries.values()}) == len(entries)


def test_reordered_rows_give_identical_entries(fixture_bytes: bytes) -> None:
    header, *rows = [line for line in lines(fixture_bytes) if line]
    reordered = b"\n".join([header, *reversed(rows)]) + b"\n"
    assert reordered != fixture_bytes
    assert parse(reordered) == parse(fixture_bytes)


def test_data_date_ignores_future_and_implausible_dates(fixture_bytes: bytes) -> None:
    result = parse_dpl("bis_dpl", {DPL_FILE: fixture_bytes}, {}, today=TODAY)
    assert result.data_date == date(2023, 11, 28)  # newest Last_Update; 3033-09-30 ignored
    assert "line 5: Last_Update 3033-09-30 is in the future; ignored" in result.notes
    assert "line 10: Last_Update 1023-11-01 is before 1950; ignored" in result.notes
    assert "10 rows grouped into 7 parties by normalised name" in result.notes
    # On 2023-11-20 the 2023-11-28 update is still in the future: the newest
    # usable date is the 2023-11-16 Effective_Date.
    earlier = parse_dpl("bis_dpl", {DPL_FILE: fixture_bytes}, {}, today=date(2023, 11, 20))
    assert earlier.data_date == date(2023, 11, 16)
    # On 2023-11-10 the 11/16/2023 Effective_Date is in the future too.
    before = parse_dpl("bis_dpl", {DPL_FILE: fixture_bytes}, {}, today=date(2023, 11, 10))
    assert before.data_date == date(2023, 11, 1)


def test_unreadable_last_update_is_noted_not_fatal(fixture_bytes: bytes) -> None:
    data = fixture_bytes.replace(b'"2023-11-28"', b'"UNKNOWN"')
    result = parse_dpl("bis_dpl", {DPL_FILE: data}, {}, today=TODAY)
    assert len(result.entries) == 7
    assert "line 7: Last_Update 'UNKNOWN' is not a date; ignored" in result.notes
    assert result.data_date == date(2023, 11, 16)


def test_windows_1252_bytes_fall_back_and_utf8_is_read(fixture_bytes: bytes) -> None:
    cp1252 = fixture_bytes.replace(b'"DUSSELDORF"', '"DÜSSELDORF"'.encode("cp1252"))
    utf8 = fixture_bytes.replace(b'"DUSSELDORF"', '"DÜSSELDORF"'.encode())
    assert cp1252 != utf8
    for data in (cp1252, utf8):
        assert by_name(parse(data))["GLOBEX TECHNIK GMBH"].addresses[0].city == "DÜSSELDORF"


# --- errors: file name and line --------------------------------------------------------


def test_missing_file() -> None:
    with pytest.raises(ListFileError) as caught:
        parse_dpl("bis_dpl", {"other.txt": b"x"}, {})
    assert caught.value.path == DPL_FILE
    assert "missing" in caught.value.detail


@pytest.mark.parametrize("data", [b"", b"\n\n  \n"])
def test_empty_file(data: bytes) -> None:
    error = parse_error(data)
    assert (error.path, error.line) == (DPL_FILE, 1)
    assert "empty" in error.detail


def test_html_page_instead_of_the_text_file() -> None:
    page = b"\n<!DOCTYPE html>\n<html><head><title>Access Denied</title></head><body>Denied</body></html>\n"
    error = parse_error(page)
    assert (error.path, error.line) == (DPL_FILE, 2)
    assert "HTML page" in error.detail
    assert str(error).startswith("dpl.txt:2: ")


def test_header_only_is_rejected(fixture_bytes: bytes) -> None:
    error = parse_error(lines(fixture_bytes)[0] + b"\n")
    assert (error.path, error.line) == (DPL_FILE, 1)
    assert "not followed by any rows" in error.detail


def test_missing_header_column_is_named(fixture_bytes: bytes) -> None:
    error = parse_error(fixture_bytes.replace(b'"FR_Citation"', b'"FR_Cite"', 1))
    assert (error.path, error.line) == (DPL_FILE, 1)
    assert error.detail == "header lacks column(s) FR_Citation"


def test_comma_separated_file_is_reported(fixture_bytes: bytes) -> None:
    rows = [line.split(b"\t") for line in lines(fixture_bytes) if line]
    as_csv = b"\n".join(b",".join(row) for row in rows)
    error = parse_error(as_csv)
    assert error.line == 1
    assert "not tab-separated" in error.detail


def test_wrong_field_count_names_the_line(fixture_bytes: bytes) -> None:
    line4 = lines(fixture_bytes)[3]
    error = parse_error(with_line(fixture_bytes, 4, line4.rsplit(b"\t", 1)[0]))
    assert (error.path, error.line) == (DPL_FILE, 4)
    assert error.detail == "expected 12 tab-separated fields, found 11"


def test_undecodable_effective_date_is_named(fixture_bytes: bytes) -> None:
    line6 = lines(fixture_bytes)[5]
    assert b'"08/24/2022"' in line6
    error = parse_error(with_line(fixture_bytes, 6, line6.replace(b'"08/24/2022"', b'"13/45/2022"')))
    assert (error.path, error.line) == (DPL_FILE, 6)
    assert error.detail == "Effective_Date '13/45/2022' is not a date (expected MM/DD/YYYY)"


def test_undecodable_expiration_date_is_named(fixture_bytes: bytes) -> None:
    line3 = lines(fixture_bytes)[2]
    error = parse_error(with_line(fixture_bytes, 3, line3.replace(b'"06/29/2056"', b'"N/A"')))
    assert (error.path, error.line) == (DPL_FILE, 3)
    assert "Expiration_Date 'N/A'" in error.detail


def test_row_without_name(fixture_bytes: bytes) -> None:
    line8 = lines(fixture_bytes)[7]
    error = parse_error(with_line(fixture_bytes, 8, line8.replace(b'"GLOBEX TECHNIK GMBH"', b'"  "')))
    assert (error.path, error.line) == (DPL_FILE, 8)
    assert error.detail == "row has no Name"


def test_unterminated_quote_is_malformed(fixture_bytes: bytes) -> None:
    error = parse_error(fixture_bytes.rstrip(b"\n")[:-1])
    assert error.path == DPL_FILE
    assert "malformed" in error.detail


# --- the real 2023-11 snapshot -----------------------------------------------------------


@pytest.fixture(scope="module")
def real_bytes(shared_data: Path) -> bytes:
    return (shared_data / "bis-dpl-2023-11" / DPL_FILE).read_bytes()


@pytest.fixture(scope="module")
def real(real_bytes: bytes) -> dict[str, Entry]:
    return by_name(parse_dpl("bis_dpl", {DPL_FILE: real_bytes}, {}).entries)


@pytest.mark.real_data
def test_real_dpl_groups_665_rows_into_544_parties(real_bytes: bytes, real: dict[str, Entry]) -> None:
    rows = list(csv.reader(io.StringIO(real_bytes.decode()), delimiter="\t"))[1:]
    assert len(rows) == 665
    assert len({row[0] for row in rows}) == 546
    # 546 distinct raw names, 544 parties: " I. ASH" is "I. ASH" with a leading
    # space, and "AL-NASER  AIRLINES" is "AL NASER AIRLINES" with a hyphen and two
    # spaces; both pairs share every address and order, so each is one party.
    assert len(real) == 544
    assert len({entry.entry_id for entry in real.values()}) == 544
    assert " I. ASH" not in real and "AL NASER AIRLINES" not in real


@pytest.mark.real_data
def test_real_dpl_parties(real: dict[str, Entry]) -> None:
    ash = real["I. ASH"]
    assert ash.entry_id == "dpl-fea4010078a4"
    assert len(ash.addresses) == 3
    assert (ash.start_date, ash.end_date) == ("2003-06-19", "2056-06-29")
    assert ash.federal_register_notice == "68 F.R. 38290 6/27/03 71 F.R. 38843 7/10/06 72 F.R. 4236 1/30/07"

    al_naser = real["AL-NASER AIRLINES"]  # the newest row (Last_Update 2023-11-02) spells it so
    assert {address.country for address in al_naser.addresses} == {"IQ", "AE", "JO"}
    assert al_naser.entity_type is EntityType.ORGANIZATION
    assert "ALNASER AIRLINES" in real  # no space: other tokens, another party

    assert [a.country for a in real["JOHNSON HU"].addresses] == ["CN"]  # Country "PRC"
    assert max(entry.start_date for entry in real.values()) == "2023-11-16"
    assert [n.value for n in real["FUYI SUN A/K/A FRANK SUN"].names[1:]] == ["FUYI SUN", "FRANK SUN"]


@pytest.mark.real_data
def test_real_dpl_data_date_skips_the_3033_typo(real_bytes: bytes) -> None:
    result = parse_dpl("bis_dpl", {DPL_FILE: real_bytes}, {})
    assert result.data_date == date(2023, 11, 28)
    assert any("3033-09-30 is in the future" in note for note in result.notes)


@pytest.mark.real_data
def test_real_dpl_entity_types(real: dict[str, Entry]) -> None:
    organisations = {name for name, entry in real.items() if entry.entity_type is EntityType.ORGANIZATION}
    # Heuristic result on the 2023-11 file, checked by reading all 544 names: the
    # only organisations it misses are "AVIASTAR - TU" and "KZ RESULTS".
    assert len(organisations) == 105
    assert {"PJSC AEROFLOT", "YARRA ANSTALT A.G.", "SUNTRONIC F.Z.E.", "SYNAPTIX.NET", "GLOBE TRADE"} <= organisations
    assert {"AVIASTAR - TU", "KZ RESULTS", "MR. JULIO CESAR VEGA-AMARAL", "SABA AGNESE"}.isdisjoint(organisations)


@pytest.mark.real_data
def test_real_dpl_reordered_gives_identical_entries(real_bytes: bytes) -> None:
    header, *rows = [line for line in real_bytes.split(b"\n") if line]
    reordered = b"\n".join([header, *rows[1::2], *rows[::2]]) + b"\n"
    assert parse(reordered) == parse(real_bytes)
