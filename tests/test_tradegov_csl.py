"""trade.gov Consolidated Screening List (consolidated.csv / consolidated.json) -> canonical entries."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from service.model import EntityType, Entry, NameKind
from service.sources.errors import ListFileError
from service.sources.parsed import ParseResult
from service.sources.tradegov.csl import (
    ACCEPT_TRUNCATED_OPTION,
    CSL_CSV,
    CSL_JSON,
    REQUIRED_COLUMNS,
    parse_csl_csv,
    parse_csl_json,
    stable_entry_id,
)
from tests.conftest import FIXTURES

FIXTURE_DIR = FIXTURES / "csl"

EL = "Entity List (EL) - Bureau of Industry and Security"
DPL = "Denied Persons List (DPL) - Bureau of Industry and Security"
UVL = "Unverified List (UVL) - Bureau of Industry and Security"
MEU = "Military End User (MEU) List - Bureau of Industry and Security"
ISN = "Nonproliferation Sanctions (ISN) - State Department"
DTC = "ITAR Debarred (DTC) - State Department"
SDN = "Specially Designated Nationals (SDN) - Treasury Department"
FIXTURE_SOURCES = [EL, DPL, UVL, MEU, ISN, DTC, SDN]
EL_URL = "https://www.bis.doc.gov/index.php/policy-guidance/lists-of-parties-of-concern/entity-list"
LOTUS = "Lotus Bright Chemical Company; and any successor, sub-unit, or subsidiary thereof"
# Rows per source in tests/fixtures/csl/consolidated.csv (two EL rows are the same party).
FIXTURE_ROWS = {EL: 3, DPL: 1, UVL: 1, MEU: 1, ISN: 1, DTC: 1, SDN: 2}


def by_id(entries: list[Entry]) -> dict[str, Entry]:
    return {entry.entry_id: entry for entry in entries}


def by_name(entries: list[Entry]) -> dict[str, Entry]:
    return {entry.primary_name: entry for entry in entries}


def csv_parse(data: bytes, sources: list[str] | None = None) -> ParseResult:
    return parse_csl_csv("csl_test", {CSL_CSV: data}, {"sources": sources or FIXTURE_SOURCES})


def json_parse(data: bytes, sources: list[str] | None = None) -> ParseResult:
    return parse_csl_json("csl_test", {CSL_JSON: data}, {"sources": sources or FIXTURE_SOURCES})


def csv_error(data: bytes, sources: list[str] | None = None) -> ListFileError:
    with pytest.raises(ListFileError) as caught:
        csv_parse(data, sources)
    return caught.value


def json_error(data: bytes) -> ListFileError:
    with pytest.raises(ListFileError) as caught:
        json_parse(data)
    return caught.value


def split_records(data: bytes) -> tuple[list[bytes], list[bytes]]:
    """(the two header lines, one bytes chunk per data record) of a CSL CSV.

    Records can span lines (quoted line breaks), so they are cut where csv says
    a record ends; every chunk keeps its line end.
    """
    text = data.decode("utf-8")
    physical = io.StringIO(text, newline="").readlines()
    reader = csv.reader(io.StringIO(text, newline=""))
    chunks, consumed = [], 0
    for _ in reader:
        chunks.append("".join(physical[consumed : reader.line_num]).encode())
        consumed = reader.line_num
    return chunks[:2], chunks[2:]


@pytest.fixture(scope="module")
def csv_bytes() -> bytes:
    return (FIXTURE_DIR / CSL_CSV).read_bytes()


@pytest.fixture(scope="module")
def json_bytes() -> bytes:
    return (FIXTURE_DIR / CSL_JSON).read_bytes()


@pytest.fixture(scope="module")
def fixture_result(csv_bytes: bytes) -> ParseResult:
    return csv_parse(csv_bytes)


@pytest.fixture(scope="module")
def named(fixture_result: ParseResult) -> dict[str, Entry]:
    return by_name(fixture_result.entries)


# --- the fixture files ---------------------------------------------------------------------------


def test_fixture_keeps_the_real_format_quirks(csv_bytes: bytes) -> None:
    lines = csv_bytes.split(b"\n")
    # Guard: the doubled header line, as in the real csl.csv.
    assert lines[0] == lines[1]
    assert lines[0].startswith(b"_id,source,entity_number,type,programs,name,")
    _headers, records = split_records(csv_bytes)
    sources = Counter(next(csv.reader(io.StringIO(r.decode(), newline="")))[1] for r in records)
    assert sources == FIXTURE_ROWS


# --- filtering by source -------------------------------------------------------------------------


def test_only_the_requested_sources_are_kept(csv_bytes: bytes) -> None:
    result = csv_parse(csv_bytes, [EL])
    assert sorted(entry.primary_name for entry in result.entries) == [
        "Kestrel Avionics Trading FZE",
        "Orion Microwave Components Ltd.",
    ]
    assert all(entry.entry_id.startswith("EL-") for entry in result.entries)
    assert result.skipped_rows == sum(FIXTURE_ROWS.values()) - FIXTURE_ROWS[EL]


def test_several_sources_in_one_list(csv_bytes: bytes) -> None:
    result = csv_parse(csv_bytes, [DPL, SDN])
    assert sorted(entry.entry_id.split("-")[0] for entry in result.entries) == ["99001", "99002", "DPL"]
    assert result.skipped_rows == sum(FIXTURE_ROWS.values()) - 3


def test_every_fixture_row_is_kept_or_skipped(fixture_result: ParseResult) -> None:
    # 10 rows, the doubled header is neither; the two Kestrel rows are one entry.
    assert fixture_result.skipped_rows == 0
    assert len(fixture_result.entries) == sum(FIXTURE_ROWS.values()) - 1
    assert not any(entry.primary_name in ("name", "source") for entry in fixture_result.entries)


def test_options_without_sources_are_rejected(csv_bytes: bytes, json_bytes: bytes) -> None:
    for options in ({}, {"sources": []}, {"sources": [" "]}):
        with pytest.raises(ListFileError) as caught:
            parse_csl_csv("csl_test", {CSL_CSV: csv_bytes}, options)
        assert caught.value.path == CSL_CSV
        assert '"sources"' in caught.value.detail
    with pytest.raises(ListFileError) as caught:
        parse_csl_json("csl_test", {CSL_JSON: json_bytes}, {})
    assert caught.value.path == CSL_JSON


def test_no_row_of_the_requested_sources_is_an_error(csv_bytes: bytes) -> None:
    # A mistyped source name in the catalogue must not publish an empty list.
    error = csv_error(csv_bytes, ["Entity List - Bureau of Industry and Security"])
    assert error.path == CSL_CSV
    assert "no rows of the sources" in error.detail
    assert EL in error.detail  # names the sources that are there


def test_a_requested_source_missing_from_the_file_is_noted(csv_bytes: bytes) -> None:
    absent = "Capta List (CAP) - Treasury Department"
    result = csv_parse(csv_bytes, [EL, absent])
    assert len(result.entries) == 2
    assert any(absent in note and "no rows" in note for note in result.notes)


# --- mapping ---------------------------------------------------------------------------------------


def test_entity_list_row(named: dict[str, Entry]) -> None:
    orion = named["Orion Microwave Components Ltd."]
    assert orion.entity_type is EntityType.UNKNOWN  # BIS rows have no type
    # Aliases: duplicates dropped, the Entity List's "and <last one>" connector removed.
    assert [(n.value, n.kind) for n in orion.names] == [
        ("Orion Microwave Components Ltd.", NameKind.PRIMARY),
        ("Orion MWC", NameKind.AKA),
        ("OMC Ltd.", NameKind.AKA),
        ("Orion Microwave (Shenzhen)", NameKind.AKA),
    ]
    # "...China; and 12 Gaoxin Avenue, ..., CN" is two addresses.
    assert [(a.lines, a.country_name, a.country) for a in orion.addresses] == [
        (("Room 5, Block B, 88 Keji Road, Shenzhen, China",), "China", "CN"),
        (("12 Gaoxin Avenue, Shenzhen, Guangdong, 518057, CN",), "CN", "CN"),
    ]
    assert orion.federal_register_notice == "88 FR 12345"
    assert orion.start_date == "2023-03-02"
    assert orion.license_requirement == "For all items subject to the EAR. (See §744.11 of the EAR)."
    assert orion.license_policy == "Presumption of denial."
    assert orion.source_url == EL_URL
    assert orion.programs == ()
    assert orion.vessel is None


def test_rows_repeating_a_party_are_merged(named: dict[str, Entry]) -> None:
    # "Kestrel Avionics Trading FZE" (85 FR 11111, 2020) and "KESTREL AVIONICS TRADING FZE"
    # (87 FR 22222, 2022), both first in AE: one party, one id.
    assert "KESTREL AVIONICS TRADING FZE" not in named
    kestrel = named["Kestrel Avionics Trading FZE"]
    assert kestrel.entry_id == stable_entry_id(EL, "KESTREL AVIONICS TRADING FZE", "AE")
    assert [n.value for n in kestrel.names] == ["Kestrel Avionics Trading FZE", "Kestrel Avionics"]
    assert [a.lines[0] for a in kestrel.addresses] == [
        "Office 14, Dubai Airport Free Zone, Dubai, AE",
        "Warehouse 7, Jebel Ali Free Zone, Dubai, AE",
    ]
    # Scalars come from the earliest-listed row; its whitespace-only fields are empty.
    assert (kestrel.federal_register_notice, kestrel.start_date) == ("85 FR 11111", "2020-02-20")
    assert kestrel.standard_order == ""
    assert kestrel.vessel is None


def test_denied_persons_row(named: dict[str, Entry]) -> None:
    person = named["JOHN Q. EXAMPLE"]  # published as " JOHN Q. EXAMPLE "
    assert person.entry_id.startswith("DPL-")
    # A US address that ends at the ZIP code: no country is guessed.
    (address,) = person.addresses
    assert address.lines == ("1200 HARBOR BOULEVARD, SUITE 4, LONG BEACH, CA, 90802",)
    assert (address.country, address.country_name) == ("", "")
    assert (person.start_date, person.end_date, person.standard_order) == ("2023-08-10", "2033-08-10", "Y")
    assert person.federal_register_notice == "88 F.R. 55555 8/15/2023"
    assert person.remarks == "F.R. NOTICE ADDED"


def test_unverified_and_military_end_user_rows(named: dict[str, Entry]) -> None:
    zenith = named["Zenith Precision Instruments"]
    assert zenith.entry_id.startswith("UVL-")
    assert [(a.country_name, a.country) for a in zenith.addresses] == [("AM", "AM"), ("Iran", "IR")]
    assert zenith.countries == ("AM", "IR")
    # Line breaks inside the name and the address are published; they become spaces.
    meu = named["Northern Institute of Flight Systems"]
    assert meu.entry_id.startswith("MEU-")
    assert meu.addresses[0].lines == ("Building 3, No. 17 Hangtian Road, Weiyang District, Xi'an, Shaanxi, CN",)
    assert meu.license_requirement == "For any item subject to the EAR listed in supplement no. 2 to part 744."


def test_successor_clause_adds_the_plain_name(named: dict[str, Entry]) -> None:
    isn = named[LOTUS]
    assert isn.entry_id.startswith("ISN-")
    assert [(n.value, n.kind) for n in isn.names] == [
        (LOTUS, NameKind.PRIMARY),
        ("Lotus Bright Chemical Company", NameKind.AKA),
    ]
    assert isn.programs == ("INKSNA", "E.O. 13382")
    assert isn.federal_register_notice == "Vol. 88, No. 151, 08/08/2023"


@pytest.mark.parametrize(
    ("name", "plain"),
    [
        ("Poly Widgets Incorporated (PWI), and its sub-units and successors", "Poly Widgets Incorporated (PWI)"),
        ("Alpha Beta, LLC and any successor, sub-unit, or subsidiary thereof", "Alpha Beta, LLC"),
        ("Sinobright Import and Export Company; and any successor, sub-unit, or subsidiary thereof",
         "Sinobright Import and Export Company"),
    ],
)  # fmt: skip
def test_successor_clause_variants(csv_bytes: bytes, name: str, plain: str) -> None:
    headers, records = split_records(csv_bytes)
    isn_row = next(r for r in records if ISN.encode() in r)
    row = isn_row.replace(LOTUS.encode(), name.encode())
    (entry,) = csv_parse(headers[0] + row, [ISN]).entries
    assert [n.value for n in entry.names] == [name, plain]


def test_debarred_row_keeps_the_trimmed_fr_notice(named: dict[str, Entry]) -> None:
    dtc = named["Marcus T. Hollings"]
    assert dtc.entry_id.startswith("DTC-")
    assert dtc.federal_register_notice == "81 FR 33333"
    assert [n.value for n in dtc.names] == ["Marcus T. Hollings", "Mark Hollings"]


def test_ofac_rows_keep_the_ofac_entity_number(fixture_result: ParseResult) -> None:
    entries = by_id(fixture_result.entries)
    person = entries["99001"]
    assert person.entity_type is EntityType.INDIVIDUAL
    assert person.programs == ("SDGT", "IRAN")
    assert person.title == "Financier"
    assert [a.country for a in person.addresses] == ["LB", "SY"]
    assert person.dates_of_birth == ("1970-01-15", "1971")
    assert person.places_of_birth == ("Beirut, Lebanon",)
    assert person.nationalities == ("LB",)
    assert person.citizenships == ("LB",)  # published as "Lebanon"
    assert person.gender == "Male"
    # The "Secondary sanctions risk:" note is not an identifier; "000123 (Lebanon)" carries its country.
    assert [(i.type, i.value, i.country_name, i.country, i.issued, i.expires) for i in person.identifiers] == [
        ("Passport", "RL123456", "LB", "LB", "12 Mar 2015", "11 Mar 2025"),
        ("National ID No.", "000123", "Lebanon", "LB", "", ""),
    ]
    vessel = entries["99002"]
    assert vessel.entity_type is EntityType.VESSEL
    assert vessel.vessel is not None
    assert (vessel.vessel.call_sign, vessel.vessel.vessel_type, vessel.vessel.gross_registered_tonnage) == (
        "9HA1234",
        "Crude Oil Tanker",
        "56000",
    )
    assert (vessel.vessel.flag, vessel.vessel.owner, vessel.vessel.tonnage) == ("Panama", "Falcon Shipping Co.", "")
    assert [(i.type, i.value) for i in vessel.identifiers] == [("IMO", "9123456"), ("MMSI", "352000000")]


def test_data_date_is_the_newest_start_date_of_the_kept_rows(csv_bytes: bytes, fixture_result: ParseResult) -> None:
    assert fixture_result.data_date == date(2023, 8, 10)  # the DPL row
    assert fixture_result.published_at is None
    assert csv_parse(csv_bytes, [EL]).data_date == date(2023, 3, 2)
    assert csv_parse(csv_bytes, [DTC]).data_date is None  # DTC rows have no start_date


# --- stable ids --------------------------------------------------------------------------------------


def test_ids_and_entries_do_not_depend_on_row_order(csv_bytes: bytes, fixture_result: ParseResult) -> None:
    headers, records = split_records(csv_bytes)
    reordered = csv_parse(b"".join(headers) + b"".join(reversed(records)))
    assert by_id(reordered.entries) == by_id(fixture_result.entries)


def test_ids_survive_changes_to_other_rows(csv_bytes: bytes, fixture_result: ParseResult) -> None:
    headers, records = split_records(csv_bytes)
    # Next version: the UVL row is gone, the DPL row's address changed, a new EL row added.
    changed = [r for r in records if UVL.encode() not in r]
    changed = [r.replace(b"1200 HARBOR BOULEVARD", b"1300 HARBOR BOULEVARD") for r in changed]
    changed.append(records[0].replace(b"Orion Microwave Components Ltd.", b"Vega Test Systems Co."))
    before = by_id(fixture_result.entries)
    after = by_id(csv_parse(b"".join(headers) + b"".join(changed)).entries)
    unchanged = {entry_id for entry_id, entry in before.items() if "Zenith" not in entry.primary_name}
    assert unchanged <= set(after)
    assert len(after) == len(before)  # one removed, one added
    assert after[before_id(before, "JOHN Q. EXAMPLE")].addresses[0].lines[0].startswith("1300 HARBOR")


def before_id(entries: dict[str, Entry], name: str) -> str:
    return next(entry_id for entry_id, entry in entries.items() if entry.primary_name == name)


def test_stable_id_ignores_case_and_punctuation_but_not_source_or_country() -> None:
    base = stable_entry_id(EL, "Kestrel Avionics Trading FZE", "AE")
    assert base.startswith("EL-") and len(base) == len("EL-") + 12
    assert stable_entry_id(EL, "KESTREL  AVIONICS TRADING, FZE.", "AE") == base
    assert stable_entry_id(UVL, "Kestrel Avionics Trading FZE", "AE").startswith("UVL-")
    assert stable_entry_id(EL, "Kestrel Avionics Trading FZE", "TR") != base
    assert stable_entry_id(EL, "Kestrel Avionics Trading", "AE") != base
    assert stable_entry_id("Non-SDN Menu-Based Sanctions List (NS-MBS List) - Treasury Department", "X", "").startswith(
        "NS-MBS-List-"
    )


# --- CSV and JSON ---------------------------------------------------------------------------------------


def test_json_of_the_same_content_gives_equal_entries(json_bytes: bytes, fixture_result: ParseResult) -> None:
    from_json = json_parse(json_bytes)
    assert from_json.entries == fixture_result.entries
    assert from_json.data_date == fixture_result.data_date
    assert from_json.skipped_rows == fixture_result.skipped_rows
    csv_bytes = (FIXTURE_DIR / CSL_CSV).read_bytes()
    for sources in ([EL], [SDN, ISN]):
        assert json_parse(json_bytes, sources).entries == csv_parse(csv_bytes, sources).entries


def test_json_fixture_is_in_the_trade_gov_shape(json_bytes: bytes) -> None:
    document = json.loads(json_bytes)
    assert len(document["results"]) == sum(FIXTURE_ROWS.values())
    first = document["results"][0]
    assert set(REQUIRED_COLUMNS) <= set(first)
    assert set(first["addresses"][0]) == {"address", "city", "state", "postal_code", "country"}
    sdn = next(r for r in document["results"] if r["entity_number"] == "99001")
    assert set(sdn["ids"][0]) == {"type", "number", "country", "issue_date", "expiration_date"}
    assert isinstance(sdn["alt_names"], list) and isinstance(sdn["dates_of_birth"], list)


def test_json_skips_other_sources(json_bytes: bytes) -> None:
    result = json_parse(json_bytes, [MEU])
    assert [entry.primary_name for entry in result.entries] == ["Northern Institute of Flight Systems"]
    assert result.skipped_rows == sum(FIXTURE_ROWS.values()) - 1


# --- encodings -------------------------------------------------------------------------------------------


def test_bom_is_tolerated(csv_bytes: bytes, fixture_result: ParseResult) -> None:
    assert csv_parse(b"\xef\xbb\xbf" + csv_bytes).entries == fixture_result.entries


def test_windows_1252_falls_back(csv_bytes: bytes) -> None:
    headers, records = split_records(csv_bytes)
    dtc = next(r for r in records if DTC.encode() in r)
    data = headers[0] + dtc.replace(b"Marcus T. Hollings", "Marcus T. Höllings".encode("cp1252"))
    result = csv_parse(data, [DTC])
    assert result.entries[0].primary_name == "Marcus T. Höllings"
    assert any("Windows-1252" in note for note in result.notes)


# --- errors ----------------------------------------------------------------------------------------------


def test_missing_file() -> None:
    with pytest.raises(ListFileError) as caught:
        parse_csl_csv("csl_test", {"csl.csv": b"x"}, {"sources": [EL]})
    assert caught.value.path == CSL_CSV and "missing" in caught.value.detail
    with pytest.raises(ListFileError) as caught:
        parse_csl_json("csl_test", {CSL_CSV: b"x"}, {"sources": [EL]})
    assert caught.value.path == CSL_JSON


@pytest.mark.parametrize("body", [b"", b"\n\n  \r\n", b"\xef\xbb\xbf"])
def test_empty_file(body: bytes) -> None:
    error = csv_error(body)
    assert (error.path, error.line, error.detail) == (CSL_CSV, 1, "file is empty")
    assert str(error) == "consolidated.csv:1: file is empty"


def test_header_only_file(csv_bytes: bytes) -> None:
    headers, _ = split_records(csv_bytes)
    error = csv_error(b"".join(headers))
    assert error.path == CSL_CSV and "no data rows" in error.detail


def test_html_instead_of_csv() -> None:
    error = csv_error(b"\r\n  <!DOCTYPE html>\n<html><body>Service Unavailable</body></html>")
    assert (error.path, error.line, error.detail) == (CSL_CSV, 2, "received an HTML page, not CSV")
    error = csv_error(b"<html><head><title>Maintenance</title></head></html>")
    assert error.line == 1


@pytest.mark.parametrize("column", ["source", "name", "ids", "addresses"])
def test_missing_column(csv_bytes: bytes, column: str) -> None:
    headers, records = split_records(csv_bytes)
    header = headers[0].decode().rstrip("\n").split(",")
    renamed = ",".join(f"{c}_x" if c == column else c for c in header).encode() + b"\n"
    error = csv_error(renamed + b"".join(records))
    assert (error.path, error.line) == (CSL_CSV, 1)
    assert repr(column) in error.detail


def test_columns_are_found_by_name_not_position(csv_bytes: bytes, fixture_result: ParseResult) -> None:
    text = csv_bytes.decode()
    rows = list(csv.reader(io.StringIO(text, newline="")))
    order = list(reversed(range(len(rows[0]))))
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for row in rows:
        writer.writerow([row[i] for i in order])
    assert csv_parse(out.getvalue().encode()).entries == fixture_result.entries


def test_wrong_field_count_names_the_line(csv_bytes: bytes) -> None:
    headers, records = split_records(csv_bytes)
    # Records 0-3 are one line each, the MEU record (index 4) spans three: lines 7-9,
    # and the error names the line the record starts on.
    for index, line in ((4, 7), (5, 10)):
        broken = records[:index] + [records[index].replace(b'"",', b"", 1)] + records[index + 1 :]
        error = csv_error(b"".join(headers) + b"".join(broken))
        assert (error.path, error.line) == (CSL_CSV, line)
        assert error.detail == "expected 29 fields, found 28"


def test_truncated_file_names_the_line_of_the_cut_record(csv_bytes: bytes) -> None:
    # The last record is the SDN vessel: a list that takes SDN rows is refused.
    cut = csv_bytes[: csv_bytes.rindex(b"IMO, 9123456")]
    error = csv_error(cut)
    assert (error.path, error.line) == (CSL_CSV, 14)
    assert "truncated" in error.detail and "--force" in error.detail


def test_cut_record_of_a_source_the_list_does_not_take_is_skipped_and_noted(csv_bytes: bytes) -> None:
    cut = csv_bytes[: csv_bytes.rindex(b"IMO, 9123456")]
    complete = csv_bytes[: csv_bytes.rindex(b"\n", 0, len(cut)) + 1]
    sources = [EL, DPL, UVL, MEU]
    result = csv_parse(cut, sources)
    # Exactly what the file holds before the cut record, plus a note naming the cut.
    assert result.entries == csv_parse(complete, sources).entries
    (note,) = [note for note in result.notes if "quoted field" in note]
    assert note.startswith(f"{CSL_CSV}:14: ") and SDN in note and "does not take" in note


def test_cut_record_whose_source_is_cut_too_is_refused(csv_bytes: bytes) -> None:
    headers, records = split_records(csv_bytes)
    # Cut inside the second field (`source`) of the last record: whose row it was is unknown.
    last = records[-1]
    second_field = last.index(b'","') + 3
    error = csv_error(b"".join(headers) + b"".join(records[:-1]) + last[: second_field + 5], [EL])
    assert error.line == 14 and "source is cut too" in error.detail


def test_forced_update_drops_a_cut_record_of_the_list_itself(csv_bytes: bytes) -> None:
    cut = csv_bytes[: csv_bytes.rindex(b"IMO, 9123456")]
    complete = csv_bytes[: csv_bytes.rindex(b"\n", 0, len(cut)) + 1]
    forced = parse_csl_csv("csl_test", {CSL_CSV: cut}, {"sources": FIXTURE_SOURCES, ACCEPT_TRUNCATED_OPTION: ["yes"]})
    assert forced.entries == csv_parse(complete).entries
    assert any("dropped (forced)" in note for note in forced.notes)


def test_unknown_type_and_missing_name_name_the_line(csv_bytes: bytes) -> None:
    headers, records = split_records(csv_bytes)
    vessel = records[-1]
    error = csv_error(b"".join(headers) + vessel.replace(b'"Vessel"', b'"Submarine"'), [SDN])
    assert (error.line, error.detail) == (3, "unknown type 'Submarine'")
    error = csv_error(b"".join(headers) + records[0] + vessel.replace(b'"SEA FALCON"', b'"  "'), [SDN])
    assert (error.line, error.detail) == (4, "row has no name")


def test_json_errors(json_bytes: bytes) -> None:
    error = json_error(b"  <!DOCTYPE html><html></html>")
    assert (error.path, error.line, error.detail) == (CSL_JSON, 1, "received an HTML page, not JSON")
    error = json_error(b"")
    assert (error.path, error.line, error.detail) == (CSL_JSON, 1, "file is empty")
    error = json_error(b'{\n "results": [\n  {"source": "x",}\n ]\n}')
    assert (error.path, error.line) == (CSL_JSON, 3) and "malformed JSON" in error.detail
    error = json_error(b'{"total": 0}')
    assert '"results" array' in error.detail
    document = json.loads(json_bytes)
    document["results"][2]["addresses"] = {"address": "1200 HARBOR BOULEVARD"}
    error = json_error(json.dumps(document).encode())
    assert error.detail.startswith("results[2]: addresses should be a list")
    document = json.loads(json_bytes)
    document["results"][9]["type"] = "Submarine"
    error = json_error(json.dumps(document).encode())
    assert error.detail == "results[9]: unknown type 'Submarine'"


# --- the real snapshots ------------------------------------------------------------------------------------

REAL_ROWS = {EL: 919, DPL: 577, UVL: 186, MEU: 71}
# Entries after merging rows that repeat a party (same source, name and first country):
# 11 Entity List rows (per FR notice / address block), 19 DPL rows (per denial order /
# address) merge into other rows; UVL and MEU have no repeats.
REAL_ENTRIES = {EL: 908, DPL: 558, UVL: 186, MEU: 71}
# Data rows in csl-2023-11-partial/csl.csv that are complete (4,227 minus the cut-off last one).
REAL_COMPLETE_ROWS = 4226


@pytest.fixture(scope="module")
def real_csl(shared_data: Path) -> bytes:
    return (shared_data / "csl-2023-11-partial" / "csl.csv").read_bytes()


@pytest.fixture(scope="module")
def real_complete(real_csl: bytes) -> bytes:
    """The snapshot without its last record, which the copy cut off mid-field."""
    return real_csl[: real_csl.rindex(b"\n") + 1]


@pytest.mark.real_data
def test_real_snapshot_is_cut_off_inside_an_sdn_record(real_csl: bytes, real_complete: bytes) -> None:
    # The last record (an SDN row, line 4233) ends inside a quoted address. The
    # Entity List does not take SDN rows (the OFAC files win), so it reads the rest
    # and notes the cut; a list that takes SDN rows would be refused.
    assert real_csl.endswith(b"la Cuspide departament")
    result = csv_parse(real_csl, [EL])
    assert result.entries == csv_parse(real_complete, [EL]).entries
    assert any(note.startswith(f"{CSL_CSV}:4233: ") and SDN in note for note in result.notes)
    error = csv_error(real_csl, [SDN])
    assert (error.path, error.line) == (CSL_CSV, 4233)
    assert "truncated" in error.detail


@pytest.mark.real_data
@pytest.mark.parametrize("source", list(REAL_ROWS))
def test_real_counts_per_source(real_complete: bytes, source: str) -> None:
    result = csv_parse(real_complete, [source])
    # The doubled header is not a row, so kept + skipped is every complete data row.
    assert result.skipped_rows == REAL_COMPLETE_ROWS - REAL_ROWS[source]
    assert len(result.entries) == REAL_ENTRIES[source]
    assert len({entry.entry_id for entry in result.entries}) == len(result.entries)
    assert all(entry.entry_id.startswith(f"{source.split('(')[1].split(')')[0]}-") for entry in result.entries)

    # Each row on its own gets the id of the entry it was merged into, and the merged
    # groups add up to the source's row count.
    headers, records = split_records(real_complete)
    rows_per_id: Counter[str] = Counter()
    for record in records:
        if source.encode() in record:
            single = csv_parse(headers[0] + record, [source])
            (entry,) = single.entries
            rows_per_id[entry.entry_id] += 1
    assert set(rows_per_id) == {entry.entry_id for entry in result.entries}
    assert sum(rows_per_id.values()) == REAL_ROWS[source]
    assert sum(count - 1 for count in rows_per_id.values()) == REAL_ROWS[source] - REAL_ENTRIES[source]


@pytest.mark.real_data
def test_real_doubled_header_and_all_sources(real_complete: bytes) -> None:
    assert real_complete.split(b"\n")[0] == real_complete.split(b"\n")[1]
    rows = csv.reader(io.StringIO(real_complete.decode(), newline=""))
    sources = sorted({row[1] for row in rows if row[1] != "source"})
    assert len(sources) == 13
    result = csv_parse(real_complete, sources)
    assert result.skipped_rows == 0
    assert not any(entry.primary_name == "name" for entry in result.entries)
    assert result.data_date == date(2023, 11, 16)
    # OFAC rows keep OFAC's ent_num. SSI and NS-MBS both list 17014 (once in capitals):
    # one party, one entry, its two identical address strings kept once.
    bank = by_id(result.entries)["17014"]
    assert bank.primary_name.lower() == "joint stock company russian agricultural bank"
    assert not any(name.value.lower() == bank.primary_name.lower() for name in bank.names[1:])
    assert bank.programs == ("UKRAINE-EO13662", "RUSSIA-EO14024")
    assert len(bank.addresses) == 2


@pytest.mark.real_data
def test_real_entity_list_row_keeps_the_legal_basis(real_complete: bytes) -> None:
    entries = by_name(csv_parse(real_complete, [EL]).entries)
    ghoura = entries["Abdul Satar Ghoura"]
    assert ghoura.federal_register_notice == "76 FR 71867"
    assert ghoura.start_date == "2011-11-21"
    assert ghoura.license_requirement == "For all items subject to the EAR. (See §744.11 of the EAR)."
    assert ghoura.license_policy == "Presumption of denial."
    assert ghoura.countries == ("AF", "PK")  # two Kabul, two Peshawar addresses
    assert len(ghoura.addresses) == 4
    # "Fazel Rahim Farid; Farid; and Engineer Idris": the connector "and" is not part of a name.
    assert all(not name.value.startswith("and ") for entry in entries.values() for name in entry.names)


@pytest.mark.real_data
def test_real_merged_denied_person(real_complete: bytes) -> None:
    entries = by_name(csv_parse(real_complete, [DPL]).entries)
    ash = entries["I. ASH"]  # published as " I. ASH" on three rows
    assert len(ash.addresses) == 3
    assert {a.country for a in ash.addresses} == {"US"}
    assert ash.start_date == "2002-03-04"  # the earliest of its denial orders


@pytest.mark.real_data
def test_real_ids_do_not_depend_on_row_order(real_complete: bytes) -> None:
    headers, records = split_records(real_complete)
    sources = [EL, DPL, UVL, MEU]
    forward = by_id(csv_parse(real_complete, sources).entries)
    backward = by_id(csv_parse(b"".join(headers) + b"".join(reversed(records)), sources).entries)
    assert backward == forward


@pytest.mark.real_data
def test_real_2025_sample_parses_for_every_source(shared_data: Path) -> None:
    data = (shared_data / "csl-2025-06-sample" / "consolidated.csv").read_bytes()
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))[1:]
    per_source = Counter(row[1] for row in rows)
    assert sum(per_source.values()) == 13 and len(per_source) == 10
    for source, count in per_source.items():
        result = csv_parse(data, [source])
        assert len(result.entries) == count, source
        assert result.skipped_rows == 13 - count
    everything = csv_parse(data, sorted(per_source))
    assert len(everything.entries) == 13
    assert everything.data_date == date(2023, 7, 19)
    entries = by_id(everything.entries)
    rim = entries["52291"]
    assert (rim.gender, rim.dates_of_birth, rim.nationalities) == ("Male", ("1978-12-05",), ("KP",))
    assert [(i.type, i.value, i.country) for i in rim.identifiers] == [("Passport", "836238033", "KP")]
    named = by_name(everything.entries)
    sinobright = named["Sinobright Import and Export Company; and any successor, sub-unit, or subsidiary thereof"]
    assert [n.value for n in sinobright.names][1:] == ["Sinobright Import and Export Company"]
    cetc = named["China Electronics Technology Group Corporation 13th Research Institute (CETC 13)"]
    assert [a.country for a in cetc.addresses] == ["CN", "CN", "CN"]
    assert cetc.names[-1].value == "CETC Research Institute 13"
    assert cetc.federal_register_notice == "83 FR 37423; 87 FR 77505"
    assert cetc.license_policy.startswith("Policy of denial for all items subject to the EAR")
