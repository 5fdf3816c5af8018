"""CBP Withhold Release Orders and Findings: the parser, finding the dated file on CBP's page,
and what an order means for an import (WRO vs Finding vs inactive, merchandise matched or not).

No copy of CBP's file is available offline: the fixtures are files written in the shape the
CBP page describes (tests/fixtures/cbp_wro), in Windows-1252 with a line break inside a
quoted field, as the file has been seen.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from service.catalog import Catalog, load_catalog
from service.decide.policy import Action, load_policy
from service.decide.regions import load_regions
from service.engine.screener import ScreeningOutcome, screen
from service.engine.state import LoadedList, ScreeningState, build_default_matcher
from service.model import (
    Direction,
    EntityType,
    Entry,
    PartyQuery,
    QueryItem,
    QueryName,
    QueryNameSource,
    ScreenOptions,
    TransactionContext,
)
from service.refresh.links import NoLink, discover_link
from service.refresh.publisher import Outcome
from service.refresh.runner import refresh_lists
from service.sources.cbp.wro import KIND_FINDING, KIND_WRO, WRO_CSV, parse_wro_csv
from service.sources.errors import ListFileError
from service.store.snapshots import SnapshotStore, VersionMeta
from tests.conftest import FIXTURES

FIXTURE = FIXTURES / "cbp_wro" / WRO_CSV
NOW = datetime.now(UTC)


def parse(data: bytes) -> list[Entry]:
    return parse_wro_csv("cbp_wro", {WRO_CSV: data}, {}).entries


@pytest.fixture(scope="module")
def entries() -> dict[str, Entry]:
    return {entry.primary_name: entry for entry in parse(FIXTURE.read_bytes())}


# ------------------------------------------------------------------ the parser


def test_every_order_is_read_with_its_kind_status_merchandise_and_country(entries: dict[str, Entry]) -> None:
    gloves = entries["Shenzhen Brightglove Latex Products Co., Ltd."]
    assert (gloves.programs, gloves.status, gloves.merchandise, gloves.hs_codes) == (
        (KIND_WRO,),
        "active",
        "Disposable rubber gloves",
        ("401519",),
    )
    assert (gloves.countries, gloves.start_date, gloves.tags) == (("CN",), "2024-05-14", ())
    palm = entries["Sentosa Palm Oil Berhad"]
    assert (palm.programs, palm.status, [n.value for n in palm.names]) == (
        (KIND_FINDING,),
        "active",
        ["Sentosa Palm Oil Berhad", "Sentosa Plantations"],
    )
    # Windows-1252: the en dash of the notes and the ñ of a name are read as such.
    assert "Federal Register \u2013 merchandise" in palm.remarks
    assert "Compañía Agroindustrial Ñame S.A." in entries
    assert entries["Kashgar Sunrise Apparel Co., Ltd."].status == "inactive"
    # Two manufacturers in one cell are two entries of one order.
    sugar = [entries["Central Azucarera del Sur"], entries["Compañía Agroindustrial Ñame S.A."]]
    assert {e.status for e in sugar} == {"modified"} and sugar[0].entry_id != sugar[1].entry_id
    # A line break inside a quoted field stays inside the record; the vessel mark gives the type.
    vessel = entries["Yu Long No. 2"]
    assert vessel.entity_type is EntityType.VESSEL and "Vanuatu; owner changed" in vessel.remarks


def test_columns_are_found_by_name_in_any_order() -> None:
    data = (
        b"status,manufacturer,type,merchandise,date,country\r\n"
        b"Active,Acme Bricks Ltd,Finding,Bricks,2024-01-31,Pakistan\r\n"
    )
    [entry] = parse(data)
    assert (entry.primary_name, entry.programs, entry.status, entry.countries) == (
        "Acme Bricks Ltd",
        (KIND_FINDING,),
        "active",
        ("PK",),
    )


def test_a_file_without_a_needed_column_is_refused_naming_it() -> None:
    data = b"Date Issued,Country,Manufacturer,Status\r\n05/14/2024,China,Acme,Active\r\n"
    with pytest.raises(ListFileError, match=r"needed column\(s\) merchandise, kind") as caught:
        parse(data)
    assert "'Manufacturer'" in str(caught.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (FIXTURE.read_bytes()[:-60].rsplit(b'"', 1)[0] + b'"cut here', "cut inside a record"),
        (b"<!DOCTYPE html><html><body>Moved</body></html>", "HTML page"),
        (FIXTURE.read_bytes().replace(b"Inactive", b"Suspended"), "status 'Suspended' is not one of"),
        (FIXTURE.read_bytes().replace(b",Finding,", b",Notice,"), "'Notice' is neither"),
        (FIXTURE.read_bytes().replace(b"05/14/2024", b"14.05.2024"), "date '14.05.2024' is not a date"),
        (FIXTURE.read_bytes().split(b"\r\n")[0] + b"\r\n", "not followed by any rows"),
    ],
    ids=["cut", "html", "status", "kind", "date", "empty"],
)
def test_a_damaged_or_changed_file_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(ListFileError, match=message):
        parse(data)


# ------------------------------------------------------------------ finding the file on the page

PAGE = b"""<html><body><h1>Withhold Release Orders and Findings</h1>
<a href="/sites/default/files/2024-11/wro-findings-2024-11-02.csv">Download (CSV), November 2024</a>
<a href="/about">About</a>
<a href="/sites/default/files/2025-03/wro-findings-2025-03-17.csv?v=2">Download the WRO list (CSV)</a>
<a href="https://www.dhs.gov/uflpa-entity-list">UFLPA Entity List</a>
</body></html>"""


def test_the_newest_dated_csv_linked_from_the_page_is_taken() -> None:
    page_url = "https://www.cbp.gov/trade/forced-labor/withhold-release-orders-and-findings"
    found = discover_link(PAGE, page_url, r"\.csv($|\?)")
    assert found == "https://www.cbp.gov/sites/default/files/2025-03/wro-findings-2025-03-17.csv?v=2"
    with pytest.raises(NoLink, match=r"no link matching .*xlsx.* among the page's 4 links"):
        discover_link(PAGE, page_url, r"\.xlsx")


class _Site:
    """CBP on loopback: the page links a dated CSV."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = site.files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.end_headers()
                self.wfile.write(body or b"not found")

            def log_message(self, *_: object) -> None:
                pass

        return Handler


@pytest.fixture
def site() -> Iterator[_Site]:
    running = _Site()
    thread = threading.Thread(target=running.server.serve_forever, daemon=True)
    thread.start()
    yield running
    running.server.shutdown()
    running.server.server_close()
    thread.join(5)


def wro_catalog(tmp_path: Path, url: str) -> Catalog:
    section = f"""
catalogue_version = "test"
[lists.cbp_wro]
name = "CBP Withhold Release Orders and Findings"
publisher = "CBP"
legal_authority = "19 U.S.C. 1307"
information_url = "{url}"
refresh_every = "24h"
max_age = "14d"
min_entries = 3
[[lists.cbp_wro.formats]]
format = "cbp_wro_csv"
required = ["wro-findings.csv"]
links = {{ "wro-findings.csv" = "\\\\.csv($|\\\\?)" }}
[lists.cbp_wro.formats.files]
"wro-findings.csv" = "{url}"
"""
    path = tmp_path / "sources.toml"
    path.write_text(section, encoding="utf-8")
    return load_catalog(path)


async def test_a_refresh_follows_the_pages_link_and_a_broken_file_keeps_the_last_good_version(
    site: _Site, store: SnapshotStore, tmp_path: Path
) -> None:
    site.files["/wro"] = b'<a href="/files/wro-findings-2025-01-05.csv">CSV</a>'
    site.files["/files/wro-findings-2025-01-05.csv"] = FIXTURE.read_bytes()
    catalog = wro_catalog(tmp_path, f"{site.base}/wro")
    [first] = await refresh_lists(store, catalog, ["cbp_wro"])
    assert first.outcome is Outcome.PUBLISHED, first.message
    meta = await store.current("cbp_wro")
    assert meta is not None and meta.origin == f"{site.base}/files/wro-findings-2025-01-05.csv"
    assert meta.entry_count == 7
    # CBP posts a newer file, cut short: refused, and the last good version keeps serving.
    site.files["/wro"] = (
        b'<a href="/files/wro-findings-2025-01-05.csv">old</a> <a href="/files/wro-findings-2025-02-10.csv">new</a>'
    )
    site.files["/files/wro-findings-2025-02-10.csv"] = FIXTURE.read_bytes()[:-40]
    [second] = await refresh_lists(store, catalog, ["cbp_wro"])
    assert second.outcome in (Outcome.REJECTED, Outcome.FAILED) and "wro-findings.csv" in second.message
    assert (await store.current("cbp_wro")).version == meta.version  # type: ignore[union-attr]
    # The page without the link: the refresh fails, naming the page and the pattern.
    site.files["/wro"] = b"<p>The list is being updated.</p>"
    [third] = await refresh_lists(store, catalog, ["cbp_wro"])
    assert third.outcome is Outcome.FAILED and "no link matching" in third.message


# ------------------------------------------------------------------ what an order means


@pytest.fixture(scope="module")
def state(entries: dict[str, Entry]) -> ScreeningState:
    listed = tuple(entries.values())
    meta = VersionMeta("cbp_wro", "cbp_wro-1", "test", len(listed), "test", (), NOW, NOW, data_date=date(2024, 6, 20))
    lists = {"cbp_wro": LoadedList(meta, listed, NOW, max_age=timedelta(days=14))}
    return ScreeningState.build(lists, load_policy(), build_default_matcher, load_regions())


def party(name: str) -> PartyQuery:
    return PartyQuery(names=(QueryName(name, QueryNameSource.NAME),))


def item(**fields: object) -> QueryItem:
    return QueryItem("context.items[0]", 0, **fields)  # type: ignore[arg-type]


def run(
    state: ScreeningState, name: str, direction: Direction, *goods: QueryItem, destination: str = ""
) -> ScreeningOutcome:
    context = TransactionContext(direction=direction, destination_country=destination, items=goods)
    return screen(state, party(name), context, ScreenOptions())


def only(outcome: ScreeningOutcome) -> tuple[Action, str]:
    [reason] = outcome.decision.reasons
    return reason.action, reason.code


GLOVES = "Shenzhen Brightglove Latex Products Co Ltd"


@pytest.mark.parametrize(
    "goods",
    [
        item(description="nitrile examination gloves"),
        item(hs_code="4015190510"),
        item(description="Glove, rubber, disposable"),
    ],
    ids=["words", "hs code", "singular"],
)
def test_an_active_wro_on_its_merchandise_holds_the_import(state: ScreeningState, goods: QueryItem) -> None:
    outcome = run(state, GLOVES, Direction.IMPORT, goods)
    assert only(outcome) == (Action.HOLD, "CBP_WITHHOLD_RELEASE_ORDER")
    reason = outcome.decision.reasons[0]
    assert "19 CFR 12.42(e)" in reason.citation and "certificate of origin" in reason.next_step
    assert "status active; merchandise 'Disposable rubber gloves'" in reason.text


def test_an_active_finding_on_its_merchandise_blocks_the_import(state: ScreeningState) -> None:
    outcome = run(
        state, "Sentosa Palm Oil Berhad", Direction.IMPORT, item(description="crude palm oil", hs_code="151110")
    )
    assert only(outcome) == (Action.BLOCK, "CBP_FORCED_LABOR_FINDING")
    assert "12.42(f)" in outcome.decision.reasons[0].citation


@pytest.mark.parametrize(
    ("goods", "found"),
    [
        ((item(description="latex balloons", hs_code="950590"),), "not among the transaction's goods"),
        ((), "no item says what its goods are"),
    ],
    ids=["other merchandise", "unknown merchandise"],
)
def test_a_producer_match_on_other_or_unknown_merchandise_is_reviewed(
    state: ScreeningState, goods: tuple[QueryItem, ...], found: str
) -> None:
    outcome = run(state, GLOVES, Direction.IMPORT, *goods)
    assert only(outcome) == (Action.REVIEW, "CBP_ORDER_PRODUCER")
    assert found in outcome.decision.reasons[0].text


def test_an_order_on_all_products_covers_any_goods(state: ScreeningState) -> None:
    outcome = run(state, "Ningxia Apex Steel Co Ltd", Direction.IMPORT, item(description="office chairs"))
    assert only(outcome) == (Action.HOLD, "CBP_WITHHOLD_RELEASE_ORDER")
    assert "every product of the producer" in outcome.decision.reasons[0].text


@pytest.mark.parametrize(
    ("name", "status"), [("Kashgar Sunrise Apparel Co Ltd", "inactive"), ("Central Azucarera del Sur", "modified")]
)
def test_inactive_and_modified_orders_are_shown_and_decide_nothing(
    state: ScreeningState, name: str, status: str
) -> None:
    outcome = run(state, name, Direction.IMPORT, item(description="garments and raw sugar"))
    assert only(outcome) == (Action.CLEAR, "CBP_ORDER_NOT_ACTIVE")
    assert f"status {status}" in outcome.decision.reasons[0].text
    assert outcome.matches and outcome.matches[0].entry.status == status


def test_a_producer_under_an_order_holds_the_item_it_made(state: ScreeningState) -> None:
    gloves = item(description="surgical gloves", producer=party(GLOVES))
    outcome = run(state, "Medline Distribution Inc", Direction.IMPORT, gloves)
    assert outcome.matches == ()
    [reason] = outcome.decision.reasons
    assert (reason.action, reason.code, reason.subject) == (Action.HOLD, "CBP_WITHHOLD_RELEASE_ORDER", "item")
    assert reason.text.startswith(f"item 1 'surgical gloves': producer '{GLOVES}' matched cbp_wro")


@pytest.mark.parametrize(
    ("destination", "expected"), [("CA", Action.REVIEW), ("MX", Action.REVIEW), ("JP", Action.CLEAR)]
)
def test_an_export_of_goods_of_a_producer_under_an_order_to_canada_or_mexico_is_reviewed(
    state: ScreeningState, destination: str, expected: Action
) -> None:
    gloves = item(description="gloves", producer=party(GLOVES))
    outcome = run(state, "Toronto Medical Supply", Direction.EXPORT, gloves, destination=destination)
    assert outcome.decision.action is expected


def test_selling_to_a_producer_under_an_order_is_not_restricted_by_it(state: ScreeningState) -> None:
    outcome = run(state, GLOVES, Direction.EXPORT, item(description="latex processing machinery"))
    assert only(outcome) == (Action.CLEAR, "CBP_ORDER_NO_EFFECT")
