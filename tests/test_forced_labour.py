"""Forced-labour import screening (issue 15), pinned by example.

- Xinjiang origin: every kind of place spelling (pinyin, Uyghur-derived Latin, Chinese
  characters simplified and traditional, Uyghur script, postal code, ISO 3166-2 code) in a
  party's address, the transaction's origin and an item's; places that only look alike
  (a street named after the place, the same name in another country) do not count.
- Items' producers and inputs' producers screened against the lists with producer rules.
- The UFLPA high-priority sectors: REVIEW from China, HOLD (and no sector review) from Xinjiang.
- The Canada / Mexico export rule.
- Bad input: INVALID_ARGUMENT naming the field.

A small in-memory state (hand-made entries, the shipped policy, regions and sectors, the
production matcher) is screened through `service.engine.screener.screen`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.api.gen import screening_pb2 as pb
from service.api.validation import MAX_INPUTS_PER_ITEM, MAX_PRODUCERS, InvalidArgument, validate_request
from service.config_files import ConfigFileError
from service.decide.decision import SUBJECT_ADDRESS, SUBJECT_ITEM, SUBJECT_TRANSACTION
from service.decide.policy import Action, load_policy
from service.decide.regions import FOUND_IN_ITEM, Origin, RegionTable, load_regions
from service.decide.sectors import load_sectors
from service.engine.screener import ScreeningOutcome, screen
from service.engine.state import LoadedList, ScreeningState, build_default_matcher
from service.model import (
    Address,
    Direction,
    EntityType,
    Entry,
    Name,
    NameKind,
    PartyQuery,
    QueryAddress,
    QueryItem,
    QueryName,
    QueryNameSource,
    ScreenOptions,
    TransactionContext,
)
from service.store.snapshots import VersionMeta

NOW = datetime.now(UTC)
TODAY = NOW.date()
UNTYPED = EntityType.UNKNOWN


def entry(list_id: str, entry_id: str, *names: str, country: str = "", **fields: object) -> Entry:
    listed = tuple(
        Name(name, NameKind.PRIMARY if position == 0 else NameKind.AKA) for position, name in enumerate(names)
    )
    addresses = (Address(country=country),) if country else ()
    return Entry(list_id, entry_id, UNTYPED, listed, addresses=addresses, **fields)  # type: ignore[arg-type]


UFLPA_COTTON = entry("dhs_uflpa", "F001", "XINJIANG GOLDEN SANDS COTTON CO., LTD.", country="CN")
UFLPA_SILICON = entry("dhs_uflpa", "F002", "HOSHINE SILICON INDUSTRY (SHANSHAN) CO., LTD", country="CN")
SDN = entry("ofac_sdn", "90001", "ZARYA STROITELNAYA KORPORATSIYA", country="RU", programs=("RUSSIA-EO14024",))
ENTRIES = (UFLPA_COTTON, UFLPA_SILICON, SDN)


@pytest.fixture(scope="module")
def state() -> ScreeningState:
    lists = {}
    for list_id in sorted({e.list_id for e in ENTRIES}):
        entries = tuple(e for e in ENTRIES if e.list_id == list_id)
        meta = VersionMeta(list_id, f"{list_id}-1", "test", len(entries), "test", (), NOW, NOW)
        lists[list_id] = LoadedList(meta, entries, NOW, max_age=timedelta(days=7))
    return ScreeningState.build(lists, load_policy(), build_default_matcher, load_regions())


@pytest.fixture(scope="module")
def regions() -> RegionTable:
    return load_regions()


def party(name: str, *addresses: QueryAddress) -> PartyQuery:
    return PartyQuery(names=(QueryName(name, QueryNameSource.NAME),), addresses=addresses)


def item(index: int = 0, **fields: object) -> QueryItem:
    return QueryItem(f"context.items[{index}]", index, **fields)  # type: ignore[arg-type]


def run(state: ScreeningState, query: PartyQuery, direction: Direction, **context: object) -> ScreeningOutcome:
    return screen(state, query, TransactionContext(direction=direction, **context), ScreenOptions())  # type: ignore[arg-type]


def codes(outcome: ScreeningOutcome) -> list[str]:
    return [reason.code for reason in outcome.decision.reasons]


def xinjiang_evidence(regions: RegionTable, address: QueryAddress) -> str | None:
    hits = [hit for hit in regions.hits([address], TODAY) if hit.region_id == "xinjiang"]
    return hits[0].evidence if hits else None


# ------------------------------------------------------------------ places: every kind of spelling


@pytest.mark.parametrize(
    ("address", "found"),
    [
        # Uyghur-derived Latin spelling and pinyin of one prefecture.
        (
            QueryAddress(city="Kashgar", country="CN"),
            "'Kashgar' (Kashgar (Kashi), prefecture; GeoNames 1280849) in city",
        ),
        (QueryAddress(city="Kashi", country="CN"), "'Kashi' (Kashgar (Kashi), prefecture"),
        # Diacritics fold: Ürümqi.
        (QueryAddress(city="Ürümqi", country="CN"), "'Urumqi' (Ürümqi, prefecture-level city (capital)"),
        # Chinese characters inside a running address (no spaces), simplified and traditional.
        (QueryAddress(lines=("喀什地区疏附县站敏乡1号",), country="CN"), "'喀什' (Kashgar (Kashi), prefecture"),
        (QueryAddress(city="烏魯木齊", country="CN"), "'烏魯木齊' (Ürümqi"),
        # Uyghur script, and the same word typed with a Persian keyboard's yeh (ی for ى).
        (QueryAddress(city="ئۈرۈمچى", country="CN"), "'ئۈرۈمچى' (Ürümqi"),
        (QueryAddress(city="ئۈرۈمچی", country="CN"), "'ئۈرۈمچى' (Ürümqi"),
        (QueryAddress(lines=("خوتەن شەھىرى",), country="CN"), "(Hotan (Khotan), prefecture"),
        # The region's name, an XPCC city, an autonomous prefecture's capital.
        (
            QueryAddress(state_or_province="Xinjiang Uygur Autonomous Region", country="CN"),
            "'Xinjiang Uygur' in state_or_province",
        ),
        (QueryAddress(city="石河子市", country="CN"), "'石河子市' (Shihezi, XPCC city (8th Division)"),
        (QueryAddress(city="Korla", country="CN"), "'Korla' (Bayingolin Mongol Autonomous Prefecture (Korla)"),
        # A postal code of the region, with the country CN.
        (QueryAddress(city="Someplace", postal_code="844 000", country="CN"), "postal code 844000 (Xinjiang"),
        # No country: the names still count.
        (QueryAddress(city="Hotan"), "'Hotan' (Hotan (Khotan), prefecture"),
    ],
)
def test_xinjiang_is_found_in_every_kind_of_spelling(regions: RegionTable, address: QueryAddress, found: str) -> None:
    evidence = xinjiang_evidence(regions, address)
    assert evidence is not None and found in evidence, evidence


@pytest.mark.parametrize(
    "address",
    [
        # Streets named after the place, in Shanghai and Qingdao.
        QueryAddress(lines=("1088 Urumqi Middle Road",), city="Shanghai", country="CN"),
        QueryAddress(lines=("Wulumuqi Zhong Lu 100",), city="Shanghai", country="CN"),
        QueryAddress(lines=("乌鲁木齐中路100号",), city="上海", country="CN"),
        QueryAddress(lines=("Xinjiang Road 5",), city="Qingdao", country="CN"),
        QueryAddress(lines=("新疆路5号",), city="青岛", country="CN"),
        # The same name in another country, and a postal code under another country.
        QueryAddress(city="Aksu", country="KZ"),
        QueryAddress(city="Aral", country="KZ"),
        QueryAddress(city="Paris", postal_code="840000", country="FR"),
        # A Japanese surname that is also Hotan's name in characters (和田 alone is not listed).
        QueryAddress(lines=("和田ビル 3F",), city="東京"),
        # An XPCC city whose name is common elsewhere counts only with its administrative suffix.
        QueryAddress(city="Beitun", country="CN"),
        QueryAddress(city="Shanghai", postal_code="200000", country="CN"),
    ],
)
def test_places_that_only_look_alike_are_not_xinjiang(regions: RegionTable, address: QueryAddress) -> None:
    assert xinjiang_evidence(regions, address) is None


def test_an_xpcc_city_with_a_common_name_counts_with_its_suffix(regions: RegionTable) -> None:
    assert xinjiang_evidence(regions, QueryAddress(city="Beitun City", country="CN")) is not None
    assert xinjiang_evidence(regions, QueryAddress(city="北屯市", country="CN")) is not None


def test_an_origin_is_found_by_iso_code_by_place_and_by_the_producers_address(regions: RegionTable) -> None:
    origins = [
        Origin("item 1", FOUND_IN_ITEM, "context.items[0]", region="CN-XJ"),
        Origin("item 2", FOUND_IN_ITEM, "context.items[1]", country="CN", place="阿克苏"),
        Origin(
            "item 3", FOUND_IN_ITEM, "context.items[2]", producer_addresses=(QueryAddress(city="Turpan", country="CN"),)
        ),
        Origin("item 4", FOUND_IN_ITEM, "context.items[3]", country="CN", region="CN-GD", place="Guangzhou"),
        # A place named like a Xinjiang one, under another country, is not Xinjiang.
        Origin("item 5", FOUND_IN_ITEM, "context.items[4]", country="KZ", place="Aksu"),
    ]
    hits = {hit.path: hit.evidence for hit in regions.origin_hits(origins, TODAY) if hit.region_id == "xinjiang"}
    assert hits == {
        "context.items[0]": "item 1: origin region CN-XJ",
        "context.items[1]": "item 2: '阿克苏' (Aksu, prefecture; GeoNames 1529660) in origin place",
        "context.items[2]": (
            "item 3: producer address 1: 'Turpan' (Turpan, prefecture-level city; GeoNames 1529114) in city"
        ),
    }


def assert_refused(load: Callable[[Path], object], path: Path, text: str, old: str, new: str, pattern: str) -> None:
    """The shipped data file `text` with `old` made `new`, written to `path`, is refused naming the key."""
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(ConfigFileError, match=pattern):
        load(path)


def test_every_place_says_where_its_spellings_come_from(tmp_path: Path) -> None:
    text = (Path(load_regions().path)).read_text(encoding="utf-8")
    path = tmp_path / "regions.toml"
    assert_refused(
        load_regions, path, text, 'source = "GeoNames 1529102"', 'source = ""',
        r"places\[0\]\.source: must not be empty",
    )  # fmt: skip
    assert_refused(
        load_regions, path, text, 'subdivision_codes = ["CN-XJ"]', 'subdivision_codes = ["CN-ZZ"]',
        r"subdivision_codes\[0\]: 'CN-ZZ' is not an ISO 3166-2 code",
    )  # fmt: skip


# ------------------------------------------------------------------ Xinjiang origin: HOLD on import only


def test_a_party_in_kashgar_is_held_on_import_with_the_uflpa_basis_and_the_rebuttal_path(state: ScreeningState) -> None:
    query = party("Kashgar Cotton Textile Co", QueryAddress(city="Kashgar", country="CN"))
    outcome = run(state, query, Direction.IMPORT)
    assert outcome.decision.action is Action.HOLD
    [reason] = outcome.decision.reasons
    assert (reason.code, reason.rule_id, reason.subject) == (
        "UFLPA_XINJIANG_ORIGIN",
        "uflpa-xinjiang-import",
        SUBJECT_ADDRESS,
    )
    assert "Pub. L. 117-78, section 3" in reason.citation and "19 U.S.C. 1307" in reason.citation
    assert "clear and convincing evidence" in reason.next_step and "outside the presumption" in reason.next_step
    assert "'Kashgar'" in reason.text
    assert "Decision HOLD for an import" in outcome.summary and "clear and convincing evidence" in outcome.summary


@pytest.mark.parametrize("destination", ["", "DE", "US"])
def test_the_same_party_on_an_export_is_not_held_for_xinjiang(state: ScreeningState, destination: str) -> None:
    query = party("Kashgar Cotton Textile Co", QueryAddress(city="Kashgar", country="CN"))
    outcome = run(state, query, Direction.EXPORT, destination_country=destination)
    assert outcome.decision.action is Action.CLEAR and outcome.decision.reasons == ()


def test_an_item_from_xinjiang_is_held_on_import_whoever_sells_it(state: ScreeningState) -> None:
    goods = item(0, description="cotton yarn", hs_code="520512", origin_country="CN", origin_region="CN-XJ")
    outcome = run(state, party("Hanseatic Textile Trading GmbH"), Direction.IMPORT, items=(goods,))
    assert outcome.decision.action is Action.HOLD
    # The sector review gives way to the region's hold: one reason, about the item.
    [reason] = outcome.decision.reasons
    assert (reason.code, reason.subject) == ("UFLPA_XINJIANG_ORIGIN", SUBJECT_ITEM)
    assert "item 1 'cotton yarn': origin region CN-XJ" in reason.text


def test_the_transactions_origin_place_counts_on_an_import(state: ScreeningState) -> None:
    outcome = run(
        state, party("Hanseatic Textile Trading GmbH"), Direction.IMPORT, origin_country="CN", origin_place="和田地区"
    )
    [reason] = outcome.decision.reasons
    assert (reason.code, reason.subject) == ("UFLPA_XINJIANG_ORIGIN", SUBJECT_TRANSACTION)


def test_an_input_from_xinjiang_holds_the_item_made_elsewhere(state: ScreeningState) -> None:
    cotton = QueryItem("context.items[0].inputs[0]", 0, description="raw cotton", hs_code="520100", origin_place="Aksu")
    shirt = item(0, description="shirts", hs_code="620520", origin_country="VN", inputs=(cotton,))
    outcome = run(state, party("Saigon Garment Co"), Direction.IMPORT, items=(shirt,))
    [reason] = outcome.decision.reasons
    assert reason.code == "UFLPA_XINJIANG_ORIGIN"
    assert "input 1 of item 1 'raw cotton': 'Aksu'" in reason.text


# ------------------------------------------------------------------ the Canada / Mexico export rule


@pytest.mark.parametrize(
    ("destination", "expected"), [("CA", Action.REVIEW), ("MX", Action.REVIEW), ("DE", Action.CLEAR)]
)
def test_an_export_of_xinjiang_goods_to_canada_or_mexico_is_reviewed(
    state: ScreeningState, destination: str, expected: Action
) -> None:
    goods = item(0, description="tomato paste", hs_code="200290", origin_region="CN-XJ")
    outcome = run(state, party("Maple Foods Inc"), Direction.EXPORT, destination_country=destination, items=(goods,))
    assert outcome.decision.action is expected
    if expected is Action.REVIEW:
        [reason] = outcome.decision.reasons
        assert (reason.code, reason.rule_id) == (
            "FORCED_LABOUR_IMPORT_BAN_AT_DESTINATION",
            "xinjiang-export-canada-mexico",
        )
        assert "9897.00.00" in reason.citation and "DOF 17 February 2023" in reason.citation
        assert f"for direction 'export' to {destination}" in reason.text


def test_a_customer_in_xinjiang_is_not_the_goods_origin_on_an_export_to_canada(state: ScreeningState) -> None:
    query = party("Kashgar Cotton Textile Co", QueryAddress(city="Kashgar", country="CN"))
    outcome = run(state, query, Direction.EXPORT, destination_country="CA")
    assert outcome.decision.action is Action.CLEAR


def test_a_uflpa_listed_producer_on_an_export_to_mexico_is_reviewed_and_elsewhere_says_nothing(
    state: ScreeningState,
) -> None:
    producer = party("Hoshine Silicon Industry (Shanshan) Co Ltd")
    goods = item(0, description="silicon metal", hs_code="280469", producer=producer)
    to_mexico = run(
        state, party("Monterrey Solar SA de CV"), Direction.EXPORT, destination_country="MX", items=(goods,)
    )
    [reason] = to_mexico.decision.reasons
    assert (reason.action, reason.rule_id) == (Action.REVIEW, "uflpa-producer-export-canada-mexico")
    assert (reason.list_id, reason.entry_id, reason.subject) == ("dhs_uflpa", "F002", SUBJECT_ITEM)
    to_germany = run(
        state, party("Monterrey Solar SA de CV"), Direction.EXPORT, destination_country="DE", items=(goods,)
    )
    assert to_germany.decision.action is Action.CLEAR and to_germany.decision.reasons == ()
    # The producer's match is still reported, for the record.
    assert [(s.path, [m.entry.entry_id for m in s.matches]) for s in to_germany.producers] == [
        ("context.items[0].producer", ["F002"])
    ]


# ------------------------------------------------------------------ producers of items and inputs


def test_a_listed_producer_upstream_of_an_unlisted_seller_is_held_on_import(state: ScreeningState) -> None:
    cotton = QueryItem(
        "context.items[0].inputs[0]", 0, description="cotton lint", hs_code="520100",
        producer=party("Xinjiang Golden Sands Cotton Co"),
    )  # fmt: skip
    shirt = item(0, description="shirts", hs_code="620520", origin_country="BD", inputs=(cotton,))
    outcome = run(state, party("Dhaka Knitwear Ltd"), Direction.IMPORT, items=(shirt,))
    assert outcome.matches == ()  # the seller itself is not listed
    assert outcome.decision.action is Action.HOLD
    [reason] = outcome.decision.reasons
    assert (reason.code, reason.rule_id, reason.subject) == ("UFLPA_PRESUMPTION", "uflpa-import", SUBJECT_ITEM)
    assert (reason.list_id, reason.entry_id) == ("dhs_uflpa", "F001")
    assert reason.text.startswith(
        "input 1 of item 1 'cotton lint': producer 'Xinjiang Golden Sands Cotton Co' matched dhs_uflpa"
    )
    [screening] = outcome.producers
    assert screening.path == "context.items[0].inputs[0].producer"


def test_a_producer_is_not_screened_against_lists_without_producer_rules(state: ScreeningState) -> None:
    """An SDN company that made goods others sell: the SDN listing restricts dealings with it, not its goods."""
    goods = item(
        0, description="rebar", hs_code="721420", origin_country="RU", producer=party("Zarya Stroitelnaya Korporatsiya")
    )
    outcome = run(state, party("Baltic Steel Traders OU"), Direction.IMPORT, items=(goods,))
    assert [s.matches for s in outcome.producers] == [()]
    assert "OFAC_SDN_MATCH" not in codes(outcome)


# ------------------------------------------------------------------ high-priority sectors


def test_a_high_priority_sector_from_china_is_reviewed_with_the_sector_and_its_source(state: ScreeningState) -> None:
    goods = item(0, description="solar modules", hs_code="8541430010", origin_country="CN")
    outcome = run(state, party("Sunrise Energy Imports LLC"), Direction.IMPORT, items=(goods,))
    assert outcome.decision.action is Action.REVIEW
    [reason] = outcome.decision.reasons
    assert (reason.code, reason.rule_id, reason.subject) == (
        "UFLPA_HIGH_PRIORITY_SECTOR",
        "uflpa-high-priority-sector",
        SUBJECT_ITEM,
    )
    assert "HS 8541430010 is in the high-priority sector 'Silica-based products" in reason.text
    assert "FLETF UFLPA Strategy, 2022-06-17" in reason.text
    assert "supply chain" in reason.next_step


@pytest.mark.parametrize(
    ("direction", "origin", "hs_code"),
    [
        (Direction.IMPORT, "VN", "854143"),  # another country
        (Direction.IMPORT, "CN", "847130"),  # not a listed sector (laptops)
        (Direction.EXPORT, "CN", "854143"),  # an export
    ],
)
def test_no_sector_review_outside_its_rule(
    state: ScreeningState, direction: Direction, origin: str, hs_code: str
) -> None:
    goods = item(0, description="goods", hs_code=hs_code, origin_country=origin)
    outcome = run(state, party("Sunrise Energy Imports LLC"), direction, items=(goods,))
    assert "UFLPA_HIGH_PRIORITY_SECTOR" not in codes(outcome)


def test_the_transactions_origin_country_stands_for_items_without_their_own(state: ScreeningState) -> None:
    goods = item(0, description="tomato paste", hs_code="200290")
    outcome = run(state, party("Mediterranean Foods SRL"), Direction.IMPORT, origin_country="CN", items=(goods,))
    assert codes(outcome) == ["UFLPA_HIGH_PRIORITY_SECTOR"]


def test_sectors_are_found_by_longest_prefix_and_refuse_a_bad_file(tmp_path: Path) -> None:
    table = load_sectors()
    assert table.sector_of("5208120000").id == "apparel_cotton"  # type: ignore[union-attr]
    assert table.sector_of("854143").prefix == "854143"  # type: ignore[union-attr]
    assert table.sector_of("854190") is None
    text = Path(table.path).read_text(encoding="utf-8")
    path = tmp_path / "sectors.toml"
    prefixes = 'hs_prefixes = ["74"]'
    bad, taken = 'hs_prefixes = ["7a"]', 'hs_prefixes = ["52"]'
    assert_refused(load_sectors, path, text, prefixes, bad, r"hs_prefixes\[0\]: '7a' is not 2 to 10 digits")
    assert_refused(load_sectors, path, text, prefixes, taken, r"'52' is already in sector 'apparel_cotton'")


def test_the_policy_refuses_an_unknown_subject_or_place_of_finding(tmp_path: Path) -> None:
    text = Path(load_policy().path).read_text(encoding="utf-8")
    path = tmp_path / "policy.toml"
    assert_refused(
        load_policy, path, text, 'applies_to = ["party", "producer"]', 'applies_to = ["party", "seller"]',
        r"applies_to\[1\]: 'seller' is not one of party, producer",
    )  # fmt: skip
    assert_refused(
        load_policy, path, text, 'found_in = ["transaction", "item"]', 'found_in = ["transaction", "warehouse"]',
        r"found_in\[1\]: 'warehouse' is not one of address, transaction, item",
    )  # fmt: skip


# ------------------------------------------------------------------ bad input


def request_with(**context: object) -> pb.ScreenRequest:
    return pb.ScreenRequest(party=pb.Party(name="Acme Imports"), context=pb.TransactionContext(**context))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("context", "field", "message"),
    [
        (
            {"items": [pb.Item(), pb.Item(), pb.Item(origin_region="CN-ZZ")]},
            "context.items[2].origin_region",
            "ISO 3166-2",
        ),
        (
            {"items": [pb.Item(origin_country="CN", origin_region="UA-43")]},
            "context.items[0].origin_region",
            "not in origin_country CN",
        ),
        ({"items": [pb.Item(origin_country="China")]}, "context.items[0].origin_country", "ISO 3166-1 alpha-2"),
        ({"items": [pb.Item(hs_code="52081")]}, "context.items[0].hs_code", "6 to 10 digits"),
        (
            {"items": [pb.Item(inputs=[pb.ItemInput(), pb.ItemInput(hs_code="12345678901")])]},
            "context.items[0].inputs[1].hs_code",
            "6 to 10",
        ),
        (
            {"items": [pb.Item(inputs=[pb.ItemInput(origin_region="XJ")])]},
            "context.items[0].inputs[0].origin_region",
            "ISO 3166-2",
        ),
        ({"items": [pb.Item(producer=pb.Party(name=" "))]}, "context.items[0].producer.name", "required"),
        (
            {"items": [pb.Item(producer=pb.Party(name="\u200b"))]},
            "context.items[0].producer.name",
            "no letters or digits",
        ),
        (
            {"items": [pb.Item(inputs=[pb.ItemInput()] * (MAX_INPUTS_PER_ITEM + 1))]},
            "context.items[0].inputs",
            "the limit is",
        ),
        ({"origin_region": "CN-XJ", "origin_country": "US"}, "context.origin_region", "not in origin_country US"),
    ],
)
def test_bad_items_are_refused_naming_the_field(context: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_request(request_with(**context), {"ofac_sdn"})
    assert caught.value.field == field and message in caught.value.message, str(caught.value)


def test_too_many_producers_are_refused_naming_the_first_one_over() -> None:
    producer = pb.Party(name="Some Producer Co")
    inputs = [pb.ItemInput(producer=producer)] * 19
    items = [pb.Item(producer=producer, inputs=inputs) for _ in range(MAX_PRODUCERS // 20 + 1)]
    with pytest.raises(InvalidArgument) as caught:
        validate_request(request_with(items=items), {"ofac_sdn"})
    assert caught.value.field == f"context.items[{MAX_PRODUCERS // 20}].producer"


def test_an_origin_region_implies_its_country_and_items_keep_their_paths() -> None:
    cotton = pb.ItemInput(
        description="raw cotton", hs_code="5201.00", origin_region="cn-xj", producer=pb.Party(name="Golden Sands")
    )
    request = request_with(items=[pb.Item(description="shirts", hs_code="6205.20.2016", inputs=[cotton])])
    _, context, _ = validate_request(request, {"ofac_sdn"})
    [shirts] = context.items
    [raw] = shirts.inputs
    assert (shirts.path, shirts.hs_code, raw.path) == ("context.items[0]", "6205202016", "context.items[0].inputs[0]")
    assert (raw.origin_country, raw.origin_region, raw.hs_code) == ("CN", "CN-XJ", "520100")
    assert raw.producer is not None and raw.producer.names[0].value == "Golden Sands"
    assert [goods.label for goods in context.goods] == ["item 1 'shirts'", "input 1 of item 1 'raw cotton'"]
    assert context.item_hs_codes == ("6205202016",)
