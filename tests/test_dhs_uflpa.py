"""DHS UFLPA Entity List: the official page (HTML tables) and the manual CSV import format."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from service.model import EntityType, Entry, Name, NameKind
from service.sources.dhs.uflpa import (
    UFLPA_CSV,
    UFLPA_HTML,
    UFLPA_URL,
    csv_alias,
    entity_id,
    parse_uflpa_csv,
    parse_uflpa_html,
    split_name_cell,
    split_name_list,
)
from service.sources.errors import ListFileError
from tests.conftest import FIXTURES

HTML_FIXTURE = FIXTURES / "dhs_uflpa" / UFLPA_HTML
CSV_FIXTURE = FIXTURES / "dhs_uflpa" / UFLPA_CSV
TODAY = date(2025, 6, 1)


def by_name(entries: list[Entry]) -> dict[str, Entry]:
    return {entry.primary_name: entry for entry in entries}


def names(entry: Entry) -> list[tuple[str, NameKind]]:
    return [(name.value, name.kind) for name in entry.names]


def parse_html(data: bytes, today: date = TODAY) -> list[Entry]:
    return parse_uflpa_html("dhs_uflpa", {UFLPA_HTML: data}, {}, today=today).entries


def parse_csv(data: bytes, today: date = TODAY) -> list[Entry]:
    return parse_uflpa_csv("dhs_uflpa", {UFLPA_CSV: data}, {}, today=today).entries


def html_error(data: bytes) -> ListFileError:
    with pytest.raises(ListFileError) as caught:
        parse_html(data)
    return caught.value


def csv_error(data: bytes) -> ListFileError:
    with pytest.raises(ListFileError) as caught:
        parse_csv(data)
    return caught.value


def line_of(data: bytes, needle: bytes) -> int:
    """1-based line number of the first line containing `needle`."""
    return data[: data.index(needle)].count(b"\n") + 1


def page(body: str) -> bytes:
    return f"<!DOCTYPE html><html><body>\n{body}\n</body></html>\n".encode()


# --- name cells -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "primary", "aliases"),
    [
        ("X Co., Ltd. (also known as Y Co., Ltd.)", "X Co., Ltd.", [("Y Co., Ltd.", NameKind.AKA)]),
        ("X Co. (also known as Y; Z)", "X Co.", [("Y", NameKind.AKA), ("Z", NameKind.AKA)]),
        (
            "X Co. (including two aliases: A Co., Ltd.; and B)",
            "X Co.",
            [("A Co., Ltd.", NameKind.AKA), ("B", NameKind.AKA)],
        ),
        ("X Co. (and one alias: A Trading)", "X Co.", [("A Trading", NameKind.AKA)]),
        ("X Co. (formerly known as Y Co.)", "X Co.", [("Y Co.", NameKind.FKA)]),
        ("X Co. (f.k.a. Y Co.)", "X Co.", [("Y Co.", NameKind.FKA)]),
        ("X Co. (also known as A and formerly known as B)", "X Co.", [("A", NameKind.AKA), ("B", NameKind.FKA)]),
        (
            "X Group and its subsidiaries A Co., Ltd., B Inc., and C Trading",
            "X Group",
            [("A Co., Ltd.", NameKind.AKA), ("B Inc.", NameKind.AKA), ("C Trading", NameKind.AKA)],
        ),
        ("X Co. and its subsidiary Y Co., Ltd.", "X Co.", [("Y Co., Ltd.", NameKind.AKA)]),
        # Two aliases joined by a bare "and": split only because the count says two.
        ("X Co. (including two aliases: A Co. and B Co.)", "X Co.", [("A Co.", NameKind.AKA), ("B Co.", NameKind.AKA)]),
        # ... and not when the pieces do not add up: names contain "and".
        (
            "X Co. (including two aliases: Heze Cotton and Linen Co. and B Co.)",
            "X Co.",
            [("Heze Cotton and Linen Co. and B Co.", NameKind.AKA)],
        ),
        # Parentheses that are part of a name stay, also inside an alias.
        (
            (
                "Hoshine Silicon Industry (Shanshan) Co., Ltd "
                "(including one alias: Hesheng Silicon Industry (Shanshan) Co.)"
            ),
            "Hoshine Silicon Industry (Shanshan) Co., Ltd",
            [("Hesheng Silicon Industry (Shanshan) Co.", NameKind.AKA)],
        ),
        ("Xinjiang Energy (Group) Co., Ltd.", "Xinjiang Energy (Group) Co., Ltd.", []),
        ("Heze Cotton and Linen Co., Ltd.", "Heze Cotton and Linen Co., Ltd.", []),
        ("Osaka Trading Co. (aka Kaka Ltd.)", "Osaka Trading Co.", [("Kaka Ltd.", NameKind.AKA)]),
        ("X Co. (also known as X Co)", "X Co.", []),  # an alias equal to the name is dropped
    ],
)
def test_split_name_cell(cell: str, primary: str, aliases: list[tuple[str, NameKind]]) -> None:
    split = split_name_cell(cell)
    assert split.primary == primary
    assert [(alias.value, alias.kind) for alias in split.aliases] == aliases


@pytest.mark.parametrize(
    ("cell", "unnamed"),
    [
        ("X Co. and subsidiaries", True),
        ("X Park, and Subsidiaries", True),
        ("X Corps and its subordinate and affiliated entities", True),
        ("X Co. and its subsidiary Y", False),
        ("X Co.", False),
    ],
)
def test_unnamed_subsidiaries_are_flagged_and_cut_from_the_name(cell: str, unnamed: bool) -> None:
    split = split_name_cell(cell)
    assert split.unnamed_subsidiaries is unnamed
    assert "subsidiar" not in split.primary.lower() and "affiliated" not in split.primary


def test_split_name_list_keeps_legal_forms_together() -> None:
    assert split_name_list("A Co., Ltd., B Co., Ltd., and C Co., Ltd.") == ["A Co., Ltd.", "B Co., Ltd.", "C Co., Ltd."]
    assert split_name_list("A Co., Ltd.; and B") == ["A Co., Ltd.", "B"]
    assert split_name_list("A and B", count=2) == ["A", "B"]
    assert split_name_list("A and B") == ["A and B"]


# --- the official page ------------------------------------------------------------------


@pytest.fixture(scope="module")
def html_bytes() -> bytes:
    return HTML_FIXTURE.read_bytes()


@pytest.fixture(scope="module")
def html_entries(html_bytes: bytes) -> dict[str, Entry]:
    return by_name(parse_html(html_bytes))


def test_html_fixture_keeps_the_page_features(html_bytes: bytes) -> None:
    # Guard: the fixture must keep what the parser is tested against.
    for feature in (b"<nav", b"<thead>", b"<tbody>", b"<br>", b"&amp;", b"&nbsp;", b"<strong>", b"<caption>",
                    b'rowspan="2"', b"<script>", b'class="footer-links"'):  # fmt: skip
        assert feature in html_bytes, feature
    assert html_bytes.count(b'<table class="usa-table">') == 4
    assert b'var note = "<table><th>Name of Entity</th></table>"' in html_bytes  # inside <script>: not a table


def test_html_entities_and_sections(html_entries: dict[str, Entry]) -> None:
    assert len(html_entries) == 12  # 14 rows in four tables; one entity is in two tables
    sections = {name: entry.programs for name, entry in html_entries.items()}
    assert sections["Xinjiang Production and Construction Corps"] == ("UFLPA", "UFLPA 2(d)(2)(B)(i)")  # <h2>
    assert sections["Xinjiang Zhonghe Co., Ltd."] == ("UFLPA", "UFLPA 2(d)(2)(B)(ii)")  # <p><strong>..<a>
    assert sections["Example Export Trading & Logistics Co., Ltd."] == ("UFLPA", "UFLPA 2(d)(2)(B)(iv)")  # caption
    assert sections["Tianjin Tianwei Food Co., Ltd."] == ("UFLPA", "UFLPA 2(d)(2)(B)(v)")  # <h3>
    # On both the (ii) and the (v) table: one entry with both programs.
    both = ("UFLPA", "UFLPA 2(d)(2)(B)(ii)", "UFLPA 2(d)(2)(B)(v)")
    assert sections["Xinjiang Zijin Zinc Industry Co., Ltd."] == both
    for entry in html_entries.values():
        assert entry.entity_type is EntityType.ORGANIZATION
        assert entry.tags == ("forced_labor",)
        assert entry.source_url == UFLPA_URL
        assert entry.entry_id == entity_id(entry.primary_name)


def test_html_aliases_from_the_name_cell(html_entries: dict[str, Entry]) -> None:
    hoshine = html_entries["Hoshine Silicon Industry (Shanshan) Co., Ltd"]
    assert names(hoshine)[1:] == [("Hesheng Silicon Industry (Shanshan) Co.", NameKind.AKA)]
    assert hoshine.remarks.endswith("(Shanshan) Co.) and subsidiaries")  # the full cell

    daqo = html_entries["Xinjiang Daqo New Energy, Co., Ltd."]  # <br> between name and aliases
    assert [value for value, _ in names(daqo)[1:]] == [
        "Xinjiang Great New Energy Co., Ltd.",
        "Xinjiang Daxin Energy Co., Ltd.",
        "Xinjiang Daqin Energy Co., Ltd.",
    ]
    xpcc = html_entries["Xinjiang Production and Construction Corps"]  # name in <strong>
    assert [value for value, _ in names(xpcc)[1:]] == ["XPCC", "Xinjiang Corps", "Bingtuan"]
    assert html_entries["Lop County Hair Product Industrial Park"].remarks == (
        "Lop County Hair Product Industrial Park, and Subsidiaries"
    )

    ninestar = html_entries["Ninestar Corporation"]
    assert len(ninestar.names) == 9  # the eight named subsidiaries
    assert ("Zhuhai G&G Digital Technology Co., Ltd.", NameKind.AKA) in names(ninestar)  # &amp; decoded
    assert names(ninestar)[-1] == ("Zhuhai Pantum Intelligent Manufacturing Co., Ltd.", NameKind.AKA)
    camel = html_entries["Camel Group Co., Ltd."]
    assert names(camel)[1:] == [("Camel Group Xiangyang Battery Co., Ltd.", NameKind.AKA)]


def test_html_formerly_known_as(html_entries: dict[str, Entry]) -> None:
    # Name and f.k.a. in two <p> inside one cell.
    assert names(html_entries["Tianjin Tianwei Food Co., Ltd."])[1:] == [
        ("Tianjin Sanhe Fruit and Vegetable Co., Ltd.", NameKind.FKA)
    ]
    assert names(html_entries["Changzhou Guanghui Food Ingredients Co., Ltd."])[1:] == [
        ("GSweet", NameKind.AKA),
        ("Changzhou Guanghui Food Additive Co., Ltd.", NameKind.AKA),
        ("Changzhou Guanghui Biotechnology Co., Ltd.", NameKind.FKA),
    ]
    assert names(html_entries["Example Export Trading & Logistics Co., Ltd."])[1:] == [
        ("Example Export Trading Co., Ltd.", NameKind.FKA)
    ]


def test_html_effective_dates(html_bytes: bytes, html_entries: dict[str, Entry]) -> None:
    assert html_entries["Xinjiang Production and Construction Corps"].start_date == "2022-06-21"  # June&nbsp;21
    assert html_entries["Lop County Hair Product Industrial Park"].start_date == "2022-06-21"  # 06/21/2022
    assert html_entries["Camel Group Co., Ltd."].start_date == "2023-08-02"  # Aug. 2, 2023
    # The date cell spans two rows (rowspan="2").
    assert html_entries["Anhui Yaozhiyuan Biotechnology Development Co., Ltd."].start_date == "2024-11-25"
    result = parse_uflpa_html("dhs_uflpa", {UFLPA_HTML: html_bytes}, {}, today=TODAY)
    assert result.data_date == date(2025, 1, 15)
    # Before 2025-01-15 that date is still to come and is not the data date.
    early = parse_uflpa_html("dhs_uflpa", {UFLPA_HTML: html_bytes}, {}, today=date(2025, 1, 14))
    assert early.data_date == date(2024, 11, 25)
    assert any("2025-01-15" in note for note in early.notes)


def test_html_ids_match_the_csv_ids_for_the_same_entity(html_entries: dict[str, Entry]) -> None:
    # The page writes "New Energy, Co., Ltd."; the CSV "New Energy Co., Ltd.": same tokens, same id.
    daqo = html_entries["Xinjiang Daqo New Energy, Co., Ltd."]
    assert daqo.entry_id == entity_id("Xinjiang Daqo New Energy Co., Ltd.")
    assert daqo.entry_id == "uflpa-7509d59ace6f"  # pinned: a change re-keys every UFLPA entry


def test_html_reordered_rows_give_identical_entries(html_bytes: bytes) -> None:
    start = html_bytes.index(b"      <tr>\n        <td>Ninestar")
    middle = html_bytes.index(b"      <tr>\n        <td>Xinjiang Zhonghe")
    end = html_bytes.index(b"      <tr>\n        <td>Camel")
    swapped = html_bytes[:start] + html_bytes[middle:end] + html_bytes[start:middle] + html_bytes[end:]
    assert swapped != html_bytes and len(swapped) == len(html_bytes)
    assert parse_html(swapped) == parse_html(html_bytes)


def test_html_table_without_a_section_gets_the_bare_program() -> None:
    data = page("<table><tr><th>Name of Entity</th><th>Effective Date</th></tr>"
                "<tr><td>Solo Co., Ltd.</td><td>May 1, 2024</td></tr></table>")  # fmt: skip
    result = parse_uflpa_html("dhs_uflpa", {UFLPA_HTML: data}, {}, today=TODAY)
    assert [entry.programs for entry in result.entries] == [("UFLPA",)]
    assert any("names no UFLPA section" in note for note in result.notes)


def test_html_nearest_heading_wins_and_ambiguous_text_is_ignored() -> None:
    data = page(
        "<h2>Section 2(d)(2)(B)(i)</h2><p>Compare (B)(ii) and (B)(v).</p>"
        "<table><tr><th>Entity Name</th><th>Effective Date</th></tr><tr><td>A Co.</td><td>May 1, 2024</td></tr></table>"
        "<h2>Section 2(d)(2)(B)(v)</h2><p>Listed entities:</p>"
        "<table><tr><th>Entity Name</th><th>Effective Date</th></tr><tr><td>B Co.</td><td>May 1, 2024</td></tr></table>"
    )
    programs = {entry.primary_name: entry.programs[1:] for entry in parse_html(data)}
    assert programs == {"A Co.": ("UFLPA 2(d)(2)(B)(i)",), "B Co.": ("UFLPA 2(d)(2)(B)(v)",)}


def test_html_title_row_nested_table_and_hidden_markup() -> None:
    data = page(
        "<template><table><tr><th>Name of Entity</th></tr><tr><td>Hidden Co.</td></tr></table></template>"
        "<table><tr><th colspan='2'>Section 2(d)(2)(B)(iv)</th></tr>"
        "<tr><th>Name of Entity</th><th>Effective Date</th></tr>"
        "<tr><td>Outer Co.<table><tr><td>layout</td></tr></table> (also known as Outer Trading)</td>"
        "<td>May 1, 2024</td></tr></table>"
    )
    (entry,) = parse_html(data)
    assert entry.programs == ("UFLPA", "UFLPA 2(d)(2)(B)(iv)")  # from the title row above the header
    assert names(entry) == [("Outer Co.", NameKind.PRIMARY), ("Outer Trading", NameKind.AKA)]
    assert entry.start_date == "2024-05-01"  # the nested table did not end the outer row


# --- errors on the page ------------------------------------------------------------------


def test_html_without_an_entity_table(html_bytes: bytes) -> None:
    start, end = html_bytes.index(b"<main"), html_bytes.index(b"</main>")
    no_tables = html_bytes[:start] + b"<main><p>Access Denied</p>" + html_bytes[end:]
    error = html_error(no_tables)  # the footer table and the script are no entity table
    assert (error.path, error.line) == (UFLPA_HTML, 1)
    assert "no table with a 'Name of Entity' header" in error.detail


def test_html_row_without_a_name_is_named(html_bytes: bytes) -> None:
    cell = b"<td>Xinjiang Zhonghe Co., Ltd. (also known as Xinjiang Joinworld Co., Ltd.)</td>"
    error = html_error(html_bytes.replace(cell, b"<td> <p>&nbsp;</p> </td>"))
    assert (error.path, error.line) == (UFLPA_HTML, line_of(html_bytes, cell) - 1)  # the <tr> line
    assert error.detail == "row 2 of the 2(d)(2)(B)(ii) table has no entity name"


def test_html_row_with_only_aliases_has_no_name() -> None:
    data = page("<h2>Section 2(d)(2)(B)(v)</h2><table><tr><th>Name of Entity</th><th>Effective Date</th></tr>\n"
                "<tr><td>(also known as Nobody Co.)</td><td>May 1, 2024</td></tr></table>")  # fmt: skip
    error = html_error(data)
    assert error.line == 3
    assert "row 1 of the 2(d)(2)(B)(v) table has no entity name" in error.detail


def test_html_bad_effective_date_is_named(html_bytes: bytes) -> None:
    data = html_bytes.replace(b"<td>Aug. 2, 2023</td>", b"<td>TBD</td>")
    error = html_error(data)
    assert (error.path, error.line) == (UFLPA_HTML, line_of(html_bytes, b"<td>Camel") - 1)
    assert error.detail == (
        "row 3 of the 2(d)(2)(B)(ii) table (Camel Group Co., Ltd.): Effective Date 'TBD' is not a date"
    )


def test_html_entity_table_without_effective_date_column() -> None:
    data = page("<table>\n<tr><th>Name of Entity</th><th>Notes</th></tr><tr><td>A Co.</td><td></td></tr></table>")
    error = html_error(data)
    assert (error.path, error.line) == (UFLPA_HTML, 3)
    assert "no 'Effective Date' column" in error.detail


def test_html_empty_or_missing_file() -> None:
    assert html_error(b"  \n").detail == "the file is empty"
    with pytest.raises(ListFileError) as caught:
        parse_uflpa_html("dhs_uflpa", {UFLPA_CSV: b"x"}, {})
    assert caught.value.path == UFLPA_HTML


# --- the manual CSV --------------------------------------------------------------------


@pytest.fixture(scope="module")
def csv_bytes() -> bytes:
    return CSV_FIXTURE.read_bytes()


@pytest.fixture(scope="module")
def csv_entries(csv_bytes: bytes) -> dict[str, Entry]:
    return by_name(parse_csv(csv_bytes))


def test_csv_fixture_keeps_the_format_features(csv_bytes: bytes) -> None:
    assert csv_bytes.startswith(b"\xef\xbb\xbfName ,uflpa_section,aliases,Effective_Date,")  # BOM, case, order
    assert b",reviewed_by\r\n" in csv_bytes  # an extra column, CRLF


def test_csv_entries(csv_entries: dict[str, Entry]) -> None:
    assert sorted(csv_entries) == [
        "Changhong Meiling Co., Ltd.",
        "Example Solar Materials Co., Ltd.",
        "Hoshine Silicon Industry (Shanshan) Co., Ltd",
        "Lop County Hair Product Industrial Park",
        "Unknown Date Trading Co.",
        "Xinjiang Zhonghe Co., Ltd.",
        "Xinjiang Zijin Zinc Industry",
    ]
    for entry in csv_entries.values():
        assert entry.entity_type is EntityType.ORGANIZATION
        assert entry.tags == ("forced_labor",)
        assert entry.entry_id == entity_id(entry.primary_name)


def test_csv_aliases_and_formerly_known_as(csv_entries: dict[str, Entry]) -> None:
    assert names(csv_entries["Changhong Meiling Co., Ltd."])[1:] == [
        ("Hefei Meiling Co., Ltd.", NameKind.FKA),  # marker after the name
        ("Hefei Meiling Group Holdings Limited", NameKind.FKA),  # marker before the name
    ]
    assert names(csv_entries["Example Solar Materials Co., Ltd."])[1:] == [
        ("Example PV Co., Ltd.", NameKind.AKA),
        ("Example Solar Materials Group", NameKind.NKA),
        ("Example Silicon Works", NameKind.FKA),
    ]
    # An alias inside the name column is split off like a page cell.
    assert names(csv_entries["Xinjiang Zhonghe Co., Ltd."])[1:] == [("Xinjiang Joinworld Co., Ltd.", NameKind.AKA)]
    hoshine = csv_entries["Hoshine Silicon Industry (Shanshan) Co., Ltd"]
    assert hoshine.remarks == (
        "Hoshine Silicon Industry (Shanshan) Co., Ltd and subsidiaries; name cell copied from the DHS page"
    )


def test_csv_sections(csv_entries: dict[str, Entry]) -> None:
    assert csv_entries["Changhong Meiling Co., Ltd."].programs == ("UFLPA",)  # "(not in excerpt)"
    assert csv_entries["Lop County Hair Product Industrial Park"].programs == ("UFLPA",)  # empty
    assert csv_entries["Xinjiang Zhonghe Co., Ltd."].programs == ("UFLPA", "UFLPA 2(d)(2)(B)(ii)")  # "Section ..."
    assert csv_entries["Example Solar Materials Co., Ltd."].programs == ("UFLPA", "UFLPA 2(d)(2)(B)(v)")  # "(B)(v)"
    zijin = csv_entries["Xinjiang Zijin Zinc Industry"]  # two sections in one row, listed again in another row
    assert zijin.programs == ("UFLPA", "UFLPA 2(d)(2)(B)(ii)", "UFLPA 2(d)(2)(B)(v)")
    assert names(zijin)[1:] == [("Zijin Zinc", NameKind.AKA)]
    assert zijin.remarks == "listed under two sections in one row | listed again in a second row"


def test_csv_dates_and_source_urls(csv_bytes: bytes, csv_entries: dict[str, Entry]) -> None:
    assert csv_entries["Example Solar Materials Co., Ltd."].start_date == "2025-01-15"  # 01/15/2025
    assert csv_entries["Unknown Date Trading Co."].start_date == ""
    assert csv_entries["Changhong Meiling Co., Ltd."].source_url == "https://example.org/notice-2024-10"
    assert csv_entries["Xinjiang Zhonghe Co., Ltd."].source_url == UFLPA_URL  # default
    result = parse_uflpa_csv("dhs_uflpa", {UFLPA_CSV: csv_bytes}, {}, today=TODAY)
    assert result.data_date == date(2025, 1, 15)
    assert any("listed 2 times (lines 6, 8)" in note for note in result.notes)


def test_csv_reordered_rows_give_identical_entries(csv_bytes: bytes) -> None:
    header, *rows = [line for line in csv_bytes.split(b"\r\n") if line]
    reordered = b"\r\n".join([header, *reversed(rows)]) + b"\r\n"
    assert parse_csv(reordered) == parse_csv(csv_bytes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Y Co.", Name("Y Co.", NameKind.AKA)),
        (" Y Co. (formerly known as) ", Name("Y Co.", NameKind.FKA)),
        ("formerly known as Y Co.", Name("Y Co.", NameKind.FKA)),
        ("F.K.A. Y Co.", Name("Y Co.", NameKind.FKA)),
        ("Y Co. (now known as)", Name("Y Co.", NameKind.NKA)),
        ("  ", None),
    ],
)
def test_csv_alias_markers(text: str, expected: Name | None) -> None:
    assert csv_alias(text) == expected


# --- errors in the CSV -------------------------------------------------------------------


@pytest.mark.parametrize("column", ["name", "uflpa_section", "effective_date"])
def test_csv_missing_required_column_is_named(csv_bytes: bytes, column: str) -> None:
    header, rest = csv_bytes.split(b"\r\n", 1)
    fields = [field for field in header.decode("utf-8-sig").split(",") if field.strip().lower() != column]
    error = csv_error(",".join(fields).encode() + b"\r\n" + rest)
    assert (error.path, error.line) == (UFLPA_CSV, 1)
    assert error.detail == f"header lacks the required column {column!r}"


def test_csv_optional_columns_may_be_missing() -> None:
    entries = parse_csv(b"name,uflpa_section,effective_date\nA Co.,2(d)(2)(B)(i),2024-05-01\n")
    assert [(e.primary_name, e.programs, e.start_date, e.source_url) for e in entries] == [
        ("A Co.", ("UFLPA", "UFLPA 2(d)(2)(B)(i)"), "2024-05-01", UFLPA_URL)
    ]


def test_csv_row_without_name(csv_bytes: bytes) -> None:
    data = csv_bytes.replace(b"Lop County Hair Product Industrial Park,", b" ,")
    error = csv_error(data)
    assert (error.path, error.line) == (UFLPA_CSV, 7)
    assert error.detail == "row has no name"


def test_csv_bad_section_and_bad_date(csv_bytes: bytes) -> None:
    error = csv_error(csv_bytes.replace(b",(B)(v),", b",2(d)(2)(C),"))
    assert (error.path, error.line) == (UFLPA_CSV, 5)
    assert "uflpa_section '2(d)(2)(C)'" in error.detail
    error = csv_error(csv_bytes.replace(b"2024-11-25", b"25.11.2024"))
    assert (error.path, error.line) == (UFLPA_CSV, 3)
    assert error.detail == "effective_date '25.11.2024' is not a date (expected YYYY-MM-DD)"


def test_csv_empty_header_only_and_malformed() -> None:
    assert csv_error(b"").detail == "the file is empty"
    error = csv_error(b"name,uflpa_section,effective_date\n")
    assert "not followed by any rows" in error.detail
    error = csv_error(b'name,uflpa_section,effective_date\n"A Co.,2(d)(2)(B)(i),2024-05-01\n')
    assert error.path == UFLPA_CSV and "malformed CSV" in error.detail


def test_csv_windows_1252_fallback() -> None:
    data = "name,uflpa_section,effective_date\nCafé Trading Co.,(B)(i),2024-05-01\n".encode("cp1252")
    assert [entry.primary_name for entry in parse_csv(data)] == ["Café Trading Co."]


# --- the real hand-compiled file ----------------------------------------------------------


@pytest.fixture(scope="module")
def real_csv(shared_data: Path) -> bytes:
    return (shared_data / "mirror-2023-12" / "uflpa.csv").read_bytes()


@pytest.mark.real_data
def test_real_uflpa_csv(real_csv: bytes, shared_data: Path) -> None:
    assert real_csv == (shared_data / "uflpa-partial-2025-01" / "uflpa_entities_partial.csv").read_bytes()
    result = parse_uflpa_csv("dhs_uflpa", {UFLPA_CSV: real_csv}, {})
    entries = by_name(result.entries)
    assert len(entries) == 53
    assert len({entry.entry_id for entry in result.entries}) == 53
    assert result.data_date == date(2025, 1, 15)
    assert result.notes == []  # no entity twice
    assert sum(entry.programs == ("UFLPA",) for entry in result.entries) == 9  # "(not in excerpt)"

    assert names(entries["Henan Yumian Logistics Co., Ltd."])[1:] == [("841 Cotton Transfer Warehouse", NameKind.FKA)]
    hongyuan = entries["Hongyuan Green Energy Co., Ltd."]
    assert [kind for _, kind in names(hongyuan)[1:]] == [NameKind.AKA] * 2 + [NameKind.FKA] * 3
    assert [kind for _, kind in names(entries["Changhong Meiling Co., Ltd."])[1:]] == [NameKind.FKA] * 2
    assert entries["Xinjiang Zijin Zinc Industry"].programs == ("UFLPA", "UFLPA 2(d)(2)(B)(ii)", "UFLPA 2(d)(2)(B)(v)")

    hoshine = entries["Hoshine Silicon Industry (Shanshan) Co., Ltd"]  # "... and subsidiaries" cut off
    assert hoshine.entry_id == "uflpa-484140271a4f"
    assert hoshine.programs == ("UFLPA", "UFLPA 2(d)(2)(B)(i)")
    assert hoshine.start_date == "2022-06-21"
    assert entries["Tianjin Tianwei Food Co., Ltd."].source_url.startswith("https://www.ghy.com/")
    assert all(entry.tags == ("forced_labor",) for entry in result.entries)


@pytest.mark.real_data
def test_real_uflpa_csv_ids_do_not_depend_on_row_order(real_csv: bytes) -> None:
    header, *rows = real_csv.split(b"\n")
    reordered = b"\n".join([header, *reversed([row for row in rows if row])]) + b"\n"
    assert parse_csv(reordered) == parse_csv(real_csv)
