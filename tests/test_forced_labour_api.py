"""Forced-labour import screening through the public API: a real server on a loopback port, a
real client, lists published from fixture files (the SDN fixture and a UFLPA Entity List CSV)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
import redis.asyncio as aioredis

from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from service.api.validation import validate_party
from service.audit.replay import replay
from service.audit.trail import AuditTrail
from service.catalog import Catalog, load_catalog
from service.decide.policy import load_policy
from service.grpc_door.server import start_server
from service.privacy import party_fingerprint
from service.refresh.runner import refresh_lists
from service.registry.store import PartyRegistry
from service.rescreen.jobs import Jobs
from service.settings import Settings
from service.store.snapshots import SnapshotStore
from tests.conftest import FIXTURES, settings_with, wait_ready
from tests.test_dispositions_audit_api import audited
from tests.test_rescreen import wait_for_states

UFLPA_SECTION = """
[lists.dhs_uflpa]
name = "UFLPA Entity List"
publisher = "U.S. Department of Homeland Security"
legal_authority = "Pub. L. 117-78"
information_url = "https://www.dhs.gov/uflpa-entity-list"
refresh_every = "12h"
max_age = "30d"
min_entries = 2
[[lists.dhs_uflpa.formats]]
format = "uflpa_csv"
required = ["uflpa.csv"]
[lists.dhs_uflpa.formats.files]
"uflpa.csv" = ""
"""


WRO_SECTION = """
[lists.cbp_wro]
name = "CBP Withhold Release Orders and Findings"
publisher = "CBP"
legal_authority = "19 U.S.C. 1307"
information_url = "https://www.cbp.gov/"
refresh_every = "24h"
max_age = "14d"
min_entries = 3
[[lists.cbp_wro.formats]]
format = "cbp_wro_csv"
required = ["wro-findings.csv"]
[lists.cbp_wro.formats.files]
"wro-findings.csv" = ""
"""


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    path = tmp_path / "sources.toml"
    path.write_text(
        (FIXTURES / "sources.toml").read_text(encoding="utf-8") + UFLPA_SECTION + WRO_SECTION, encoding="utf-8"
    )
    return load_catalog(path)


def fixture_lists(tmp_path: Path) -> Path:
    """The SDN fixture, a UFLPA Entity List CSV and a CBP WRO file in one offline list folder."""
    lists_dir = tmp_path / "lists"
    shutil.copytree(FIXTURES / "ofac_sdn", lists_dir)
    shutil.copy(FIXTURES / "dhs_uflpa" / "uflpa.csv", lists_dir / "uflpa.csv")
    shutil.copy(FIXTURES / "cbp_wro" / "wro-findings.csv", lists_dir / "wro-findings.csv")
    return lists_dir


@pytest.fixture
async def stub(settings: Settings, catalog: Catalog, tmp_path: Path) -> AsyncIterator[pb_grpc.ScreeningServiceStub]:
    running = await start_server(settings_with(settings, lists_dir=fixture_lists(tmp_path)), catalog, load_policy())
    try:
        await wait_ready(running)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            yield pb_grpc.ScreeningServiceStub(channel)
    finally:
        await running.stop(0.5)


def request(party: pb.Party, direction: int, **context: object) -> pb.ScreenRequest:
    return pb.ScreenRequest(party=party, context=pb.TransactionContext(direction=direction, **context))  # type: ignore[arg-type]


KASHGAR = pb.Party(name="Kashgar Cotton Textile Co", addresses=[pb.Address(city="Kashgar", country="CN")])
KASHGAR_IN_CHARACTERS = pb.Party(
    name="喀什棉纺织有限公司", addresses=[pb.Address(lines=["新疆喀什市解放北路18号"], country="CN")]
)


async def test_a_party_in_xinjiang_is_held_on_import_and_not_on_export(stub: pb_grpc.ScreeningServiceStub) -> None:
    for party in (KASHGAR, KASHGAR_IN_CHARACTERS):
        held = await stub.Screen(request(party, pb.DIRECTION_IMPORT))
        assert held.decision == pb.DECISION_HOLD
        [reason] = held.reasons
        assert (reason.code, reason.subject) == ("UFLPA_XINJIANG_ORIGIN", "address")
        assert "Pub. L. 117-78, section 3" in reason.citation and "clear and convincing evidence" in reason.next_step
        assert "UFLPA_XINJIANG_ORIGIN" not in held.summary  # the summary speaks in words, not codes
        assert "Xinjiang Uyghur Autonomous Region" in held.summary
        exported = await stub.Screen(request(party, pb.DIRECTION_EXPORT, destination_country="DE"))
        assert exported.decision == pb.DECISION_CLEAR and not exported.reasons


async def test_a_listed_producer_of_an_input_holds_the_import_and_is_reported(
    stub: pb_grpc.ScreeningServiceStub,
) -> None:
    silicon = pb.ItemInput(
        description="polysilicon",
        hs_code="2804.61",
        producer=pb.Party(name="Hoshine Silicon Industry (Shanshan) Co Ltd"),
    )
    modules = pb.Item(description="solar modules", hs_code="8541.43", origin_country="MY", inputs=[silicon])
    response = await stub.Screen(request(pb.Party(name="Penang Solar Sdn Bhd"), pb.DIRECTION_IMPORT, items=[modules]))
    assert response.decision == pb.DECISION_HOLD
    assert not response.matches
    [reason] = response.reasons
    assert (reason.code, reason.subject, reason.list_id) == ("UFLPA_PRESUMPTION", "item", "dhs_uflpa")
    assert reason.text.startswith(
        "input 1 of item 1 'polysilicon': producer 'Hoshine Silicon Industry (Shanshan) Co Ltd'"
    )
    [producer] = response.producer_matches
    assert (producer.path, producer.item_index, producer.match.list_id) == (
        "context.items[0].inputs[0].producer",
        0,
        "dhs_uflpa",
    )


async def test_a_sector_import_from_china_is_reviewed_and_from_xinjiang_held(
    stub: pb_grpc.ScreeningServiceStub,
) -> None:
    buyer = pb.Party(name="Atlantic Apparel Inc")
    from_china = pb.Item(description="cotton shirts", hs_code="6205.20", origin_country="CN")
    reviewed = await stub.Screen(request(buyer, pb.DIRECTION_IMPORT, items=[from_china]))
    assert (reviewed.decision, [r.code for r in reviewed.reasons]) == (
        pb.DECISION_REVIEW,
        ["UFLPA_HIGH_PRIORITY_SECTOR"],
    )
    from_xinjiang = pb.Item(description="cotton shirts", hs_code="6205.20", origin_country="CN", origin_place="Aksu")
    held = await stub.Screen(request(buyer, pb.DIRECTION_IMPORT, items=[from_xinjiang]))
    assert (held.decision, [r.code for r in held.reasons]) == (pb.DECISION_HOLD, ["UFLPA_XINJIANG_ORIGIN"])


GLOVES = pb.Party(name="Shenzhen Brightglove Latex Products Co Ltd")


@pytest.mark.parametrize(
    ("party", "direction", "context", "decision", "code"),
    [
        # CBP orders: a WRO on its merchandise holds, a finding blocks, other goods are reviewed,
        # an inactive order is shown and decides nothing, an export is not restricted by it.
        (
            GLOVES,
            pb.DIRECTION_IMPORT,
            {"items": [pb.Item(description="nitrile gloves")]},
            pb.DECISION_HOLD,
            "CBP_WITHHOLD_RELEASE_ORDER",
        ),
        (
            pb.Party(name="Sentosa Palm Oil Berhad"),
            pb.DIRECTION_IMPORT,
            {"items": [pb.Item(hs_code="1511.10")]},
            pb.DECISION_BLOCK,
            "CBP_FORCED_LABOR_FINDING",
        ),
        (
            GLOVES,
            pb.DIRECTION_IMPORT,
            {"items": [pb.Item(description="latex balloons")]},
            pb.DECISION_REVIEW,
            "CBP_ORDER_PRODUCER",
        ),
        (
            pb.Party(name="Kashgar Sunrise Apparel Co Ltd"),
            pb.DIRECTION_EXPORT,
            {},
            pb.DECISION_CLEAR,
            "CBP_ORDER_NO_EFFECT",
        ),
        (
            pb.Party(name="Toronto Medical Supply"),
            pb.DIRECTION_IMPORT,
            {"items": [pb.Item(description="gloves", producer=GLOVES)]},
            pb.DECISION_HOLD,
            "CBP_WITHHOLD_RELEASE_ORDER",
        ),
        # Exports to Canada and Mexico: goods of a producer under an order, or of a UFLPA entity, or from Xinjiang.
        (
            pb.Party(name="Toronto Medical Supply"),
            pb.DIRECTION_EXPORT,
            {"destination_country": "CA", "items": [pb.Item(description="gloves", producer=GLOVES)]},
            pb.DECISION_REVIEW,
            "FORCED_LABOUR_IMPORT_BAN_AT_DESTINATION",
        ),
        (
            pb.Party(name="Monterrey Solar SA de CV"),
            pb.DIRECTION_EXPORT,
            {
                "destination_country": "MX",
                "items": [pb.Item(producer=pb.Party(name="Hoshine Silicon Industry (Shanshan) Co Ltd"))],
            },
            pb.DECISION_REVIEW,
            "FORCED_LABOUR_IMPORT_BAN_AT_DESTINATION",
        ),
        (
            pb.Party(name="Maple Foods Inc"),
            pb.DIRECTION_EXPORT,
            {"destination_country": "CA", "items": [pb.Item(description="tomato paste", origin_region="CN-XJ")]},
            pb.DECISION_REVIEW,
            "FORCED_LABOUR_IMPORT_BAN_AT_DESTINATION",
        ),
        (
            pb.Party(name="Maple Foods Inc"),
            pb.DIRECTION_EXPORT,
            {"destination_country": "DE", "items": [pb.Item(description="tomato paste", origin_region="CN-XJ")]},
            pb.DECISION_CLEAR,
            "",
        ),
    ],
    ids=[
        "wro",
        "finding",
        "other-goods",
        "export",
        "producer",
        "export-ca-wro",
        "export-mx-uflpa",
        "export-ca-xinjiang",
        "export-de",
    ],
)
async def test_each_forced_labour_rule_through_the_api(
    stub: pb_grpc.ScreeningServiceStub,
    party: pb.Party,
    direction: int,
    context: dict[str, object],
    decision: int,
    code: str,
) -> None:
    response = await stub.Screen(request(party, direction, **context))
    assert response.decision == decision, response.summary
    assert [r.code for r in response.reasons] == ([code] if code else [])


async def test_bad_item_input_is_invalid_argument_naming_the_field(stub: pb_grpc.ScreeningServiceStub) -> None:
    for items, field in (
        ([pb.Item(), pb.Item(origin_region="CN-99")], "context.items[1].origin_region"),
        ([pb.Item(inputs=[pb.ItemInput(hs_code="1234")])], "context.items[0].inputs[0].hs_code"),
        ([pb.Item(origin_country="XX")], "context.items[0].origin_country"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Screen(request(pb.Party(name="Acme"), pb.DIRECTION_IMPORT, items=items))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert (caught.value.details() or "").startswith(field), caught.value.details()


async def test_a_new_wro_alerts_the_registered_importers_whose_supplier_it_names(
    settings: Settings, store: SnapshotStore, redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    path = tmp_path / "sources.toml"
    path.write_text((FIXTURES / "sources.toml").read_text(encoding="utf-8") + WRO_SECTION, encoding="utf-8")
    catalog = load_catalog(path)
    lists_dir = tmp_path / "lists"
    shutil.copytree(FIXTURES / "ofac_sdn", lists_dir)
    shutil.copy(FIXTURES / "cbp_wro" / "wro-findings.csv", lists_dir / "wro-findings.csv")
    running = await start_server(settings_with(settings, lists_dir=lists_dir), catalog, load_policy())
    try:
        await wait_ready(running)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = pb_grpc.ScreeningServiceStub(channel)
            suppliers = [
                pb.Party(
                    name="Qingdao Evergreen Seafood Processing Co., Ltd.",
                    party_reference="SUP-1",
                    addresses=[pb.Address(country="CN")],
                ),
                pb.Party(name="Bergen Fjord Salmon AS", party_reference="SUP-2", addresses=[pb.Address(country="NO")]),
            ]
            registered = await stub.RegisterParties(
                pb.RegisterPartiesRequest(parties=suppliers, direction=pb.DIRECTION_IMPORT)
            )
            assert (registered.stored, list(registered.errors)) == (2, [])
            await wait_for_states(
                PartyRegistry(redis_client, key_prefix), Jobs(redis_client, key_prefix), ["SUP-1", "SUP-2"]
            )
            watch = stub.WatchAlerts(pb.WatchAlertsRequest(after_id="0"))
            [published] = await refresh_lists(store, catalog, ["cbp_wro"], source_dir=FIXTURES / "cbp_wro" / "update")
            assert published.outcome.value == "published", published.message
            alert = await asyncio.wait_for(watch.read(), 60)
            watch.cancel()
    finally:
        await running.stop(0.5)
    assert (alert.party_reference, alert.previous_decision, alert.decision) == (
        "SUP-1",
        pb.DECISION_CLEAR,
        pb.DECISION_REVIEW,
    )
    [entry] = alert.entries
    assert (entry.list_id, entry.change, entry.listed_name) == (
        "cbp_wro",
        "new",
        "Qingdao Evergreen Seafood Processing Co., Ltd.",
    )
    assert alert.job_id == f"delta:cbp_wro:{published.version}"


@pytest.mark.parametrize("party_data", [False, True], ids=["fingerprints", "party-data"])
async def test_the_audit_record_keeps_producers_as_it_keeps_the_party(
    party_data: bool,
    settings: Settings,
    catalog: Catalog,
    redis_client: aioredis.Redis,
    key_prefix: str,
    store: SnapshotStore,
    tmp_path: Path,
) -> None:
    """A producer is a party: without AUDIT_PARTY_DATA the record holds its fingerprint and matches,
    not its name or address; with it, the whole context, and the screening replays identically."""
    lists_dir = fixture_lists(tmp_path)
    audit_dir = tmp_path / "audit"
    changed = settings_with(settings, lists_dir=lists_dir, audit_dir=audit_dir, audit_party_data=party_data)
    producer = pb.Party(name="Hoshine Silicon Industry (Shanshan) Co Ltd", addresses=[pb.Address(city="Shanshan")])
    silicon = pb.ItemInput(description="polysilicon", hs_code="2804.61", producer=producer)
    modules = pb.Item(description="solar modules", hs_code="8541.43", origin_country="MY", inputs=[silicon])
    running = await start_server(changed, catalog, load_policy())
    try:
        await wait_ready(running)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            response = await pb_grpc.ScreeningServiceStub(channel).Screen(
                request(pb.Party(name="Penang Solar Sdn Bhd"), pb.DIRECTION_IMPORT, items=[modules])
            )
        assert response.decision == pb.DECISION_HOLD
        record = await audited(AuditTrail(redis_client, key_prefix), response.screening_id)
    finally:
        await running.stop(0.5)
    [kept] = record.context["producers"]
    assert kept["item"] == "context.items[0].inputs[0].producer"
    assert kept["fingerprint"] == party_fingerprint(validate_party(producer))
    assert [(m["list_id"], m["score"] > 0) for m in kept["matches"]] == [("dhs_uflpa", True)]
    [item] = record.context["context"]["items"]
    assert item["inputs"][0]["description"] == "polysilicon"
    if not party_data:
        assert "Hoshine" not in str(record) and "Shanshan" not in str(record)
        assert "producer" not in item["inputs"][0]
        return
    assert item["inputs"][0]["producer"]["name"] == producer.name
    trail = AuditTrail(redis_client, key_prefix)
    report = await replay(response.screening_id, trail, store, catalog, load_policy(), None)
    assert report.identical, report.differences
    assert report.response.decision == pb.DECISION_HOLD
