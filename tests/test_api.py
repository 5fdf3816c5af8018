"""The gRPC API end to end: a real server on a loopback port, a real client, a real Redis."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta, timezone

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from service.api.convert import duration, duration_of_seconds, timestamp
from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from service.api.servicer import MAX_BATCH_MESSAGE, split_by_size
from service.catalog import Catalog
from service.decide.policy import load_policy
from service.engine.screener import new_screening_id
from service.grpc_door.server import SERVICE_NAME, RunningServer, start_server
from service.settings import Settings
from tests.conftest import FIXTURES, settings_with, wait_ready


def screen_request(name: str, **party: object) -> pb.ScreenRequest:
    direction = party.pop("direction", pb.DIRECTION_EXPORT)
    return pb.ScreenRequest(
        request_id="req-1",
        party=pb.Party(name=name, **party),  # type: ignore[arg-type]
        context=pb.TransactionContext(direction=direction),  # type: ignore[arg-type]
    )


async def test_listed_name_is_blocked_with_explanation_and_versions(
    stub: pb_grpc.ScreeningServiceStub, grpc_server: RunningServer
) -> None:
    response = await stub.Screen(screen_request("Nicolas MADURO MOROS", party_reference="BP-1001"))

    assert response.decision == pb.DECISION_BLOCK
    assert response.request_id == "req-1"
    assert response.party_reference == "BP-1001"
    assert response.screening_id
    [match] = response.matches
    assert (match.list_id, match.entry_id, match.listed_name) == ("ofac_sdn", "22790", "MADURO MOROS, Nicolas")
    assert match.query_name == "Nicolas MADURO MOROS"
    assert match.listed_name_kind == pb.NAME_KIND_PRIMARY
    assert list(match.entry.programs) == ["VENEZUELA", "IRAN-CON-ARMS-EO"]
    assert match.explanation.final_score == pytest.approx(1.0)
    assert match.explanation.match_threshold == pytest.approx(0.90)
    assert [a.method for a in match.explanation.alignment] == ["exact"] * 3
    [reason] = response.reasons
    assert (reason.code, reason.rule_id, reason.decision) == ("OFAC_SDN_MATCH", "ofac-sdn-blocked", pb.DECISION_BLOCK)
    assert "31 CFR" in reason.legal_basis
    version = grpc_server.loader.state.versions["ofac_sdn"]  # type: ignore[union-attr]
    assert [(v.list_id, v.version) for v in response.list_versions] == [("ofac_sdn", version)]
    assert match.entry.list_version == version
    assert response.policy_version.startswith("2026-12-07.1+")
    assert response.matcher_version == "fuzzy-idf/6"
    assert response.server_latency.ToNanoseconds() > 0


async def test_made_up_name_is_clear(stub: pb_grpc.ScreeningServiceStub) -> None:
    response = await stub.Screen(screen_request("Johanna Pemberton-Whitcombe"))
    assert response.decision == pb.DECISION_CLEAR
    assert not response.matches and not response.reasons
    assert [v.list_id for v in response.list_versions] == ["ofac_sdn"]


async def test_alias_order_case_and_diacritics(stub: pb_grpc.ScreeningServiceStub) -> None:
    response = await stub.Screen(screen_request("Other Name", alternative_names=["national bank of cuba"]))
    assert response.decision == pb.DECISION_BLOCK
    [match] = response.matches
    assert match.entry_id == "306"
    assert match.listed_name_kind == pb.NAME_KIND_AKA
    assert match.query_name_source == pb.QUERY_NAME_SOURCE_ALTERNATIVE_NAME


async def test_weak_alias_alone_is_at_most_review(stub: pb_grpc.ScreeningServiceStub) -> None:
    response = await stub.Screen(screen_request("B.N.C."))
    assert response.decision == pb.DECISION_REVIEW
    assert response.matches[0].alias_strength == pb.ALIAS_STRENGTH_WEAK
    assert response.reasons[0].code == "WEAK_ALIAS_MATCH"


async def test_secondary_data_adjusts_score_in_explanation(stub: pb_grpc.ScreeningServiceStub) -> None:
    response = await stub.Screen(
        screen_request(
            "Nicolas Maduro Moros",
            type=pb.PARTY_TYPE_ORGANIZATION,
            addresses=[pb.Address(country="FR")],
        )
    )
    [match] = response.matches
    factors = {a.factor: a.delta for a in match.explanation.adjustments}
    assert factors == {"party_type": pytest.approx(-0.15), "country": pytest.approx(-0.05)}
    assert match.score == pytest.approx(0.80)
    # Below the match threshold but at the review threshold: a possible match.
    assert response.decision == pb.DECISION_REVIEW
    assert response.reasons[0].code == "POSSIBLE_MATCH"


async def test_options_restrict_lists_and_match_count(stub: pb_grpc.ScreeningServiceStub) -> None:
    request = screen_request("Nicolas MADURO MOROS")
    request.options.max_matches = 1
    request.options.list_ids.append("ofac_sdn")
    response = await stub.Screen(request)
    assert len(response.matches) == 1


BAD_REQUESTS = [
    ("party", pb.ScreenRequest()),
    ("party.name", screen_request("")),
    ("party.name", screen_request("   \t ")),
    ("party.name", screen_request("x" * 1025)),
    ("party.name", screen_request("Nicolas\x00MADURO")),
    ("party.alternative_names", screen_request("A", alternative_names=["b"] * 101)),
    ("party.alternative_names[1]", screen_request("A", alternative_names=["ok", "bad\x07"])),
    ("party.type", screen_request("A", type=42)),
    ("context.direction", screen_request("A", direction=17)),
    ("party.date_of_birth", screen_request("A", date_of_birth="23/11/1962")),
    ("party.date_of_birth", screen_request("A", date_of_birth="1962-02-30")),
    ("party.date_of_birth", screen_request("A", date_of_birth="3033")),
    ("party.addresses[0].country", screen_request("A", addresses=[pb.Address(country="Venezuela")])),
    ("party.addresses[0].country", screen_request("A", addresses=[pb.Address(country="QQ")])),
    ("party.nationalities[0]", screen_request("A", nationalities=["xx1"])),
    ("party.identifiers[0].value", screen_request("A", identifiers=[pb.Identifier(type="passport")])),
    # Names that normalise to nothing: screened, they would find nothing and come back CLEAR.
    ("party.name", screen_request("\u200b\u2060\u200b")),  # zero-width only
    ("party.name", screen_request("\u0301\u0308")),  # combining marks only
    ("party.name", screen_request("... -- !!")),  # punctuation only
    ("party.alternative_names[0]", screen_request("A", alternative_names=["\u202e\u200f"])),  # bidi controls only
]


@pytest.mark.parametrize(
    ("field", "request_message"), BAD_REQUESTS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD_REQUESTS)]
)
async def test_bad_input_is_invalid_argument_naming_the_field(
    stub: pb_grpc.ScreeningServiceStub, field: str, request_message: pb.ScreenRequest
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Screen(request_message)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith(f"{field}:"), caught.value.details()
    # The server keeps serving after a rejected request.
    assert (await stub.Screen(screen_request("Nicolas MADURO MOROS"))).decision == pb.DECISION_BLOCK


async def test_unknown_list_in_options_is_rejected(stub: pb_grpc.ScreeningServiceStub) -> None:
    request = screen_request("A")
    request.options.list_ids.append("no_such_list")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Screen(request)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith("options.list_ids[0]:")


async def test_oversized_message_is_refused_and_server_survives(stub: pb_grpc.ScreeningServiceStub) -> None:
    # The test server's limit is 64 KiB.
    request = screen_request("A", addresses=[pb.Address(lines=["x" * 500] * 10) for _ in range(20)])
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Screen(request)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert (await stub.Screen(screen_request("Johanna Doe"))).decision == pb.DECISION_CLEAR


async def test_expired_deadline_is_deadline_exceeded(stub: pb_grpc.ScreeningServiceStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Screen(screen_request("Nicolas MADURO MOROS"), timeout=0.000001)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


async def test_screen_batch_answers_every_item_in_order_with_per_item_errors(
    stub: pb_grpc.ScreeningServiceStub,
) -> None:
    names = ["Nicolas MADURO MOROS", "", "Johanna Doe", "AEROCARIBBEAN AIRLINES", "bad\x01name"]

    async def requests():  # type: ignore[no-untyped-def]
        items = [pb.ScreenRequest(request_id=f"item-{i}", party=pb.Party(name=name)) for i, name in enumerate(names)]
        yield pb.ScreenBatchRequest(requests=items[:3])  # the bad item 1 does not spoil its message
        yield pb.ScreenBatchRequest(requests=items[3:])

    messages = [m async for m in stub.ScreenBatch(requests())]
    assert [len(m.responses) for m in messages] == [3, 2]  # one answer per message, in order
    responses = [r for m in messages for r in m.responses]
    assert [r.request_id for r in responses] == [f"item-{i}" for i in range(len(names))]
    assert [r.decision for r in responses] == [
        pb.DECISION_BLOCK,
        pb.DECISION_UNSPECIFIED,
        pb.DECISION_CLEAR,
        pb.DECISION_BLOCK,
        pb.DECISION_UNSPECIFIED,
    ]
    assert responses[1].error.field == "party.name"
    assert responses[1].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert responses[4].error.field == "party.name" and "control character" in responses[4].error.message
    assert not responses[0].HasField("error")


async def test_screen_batch_refuses_an_oversized_message_naming_the_field(stub: pb_grpc.ScreeningServiceStub) -> None:
    async def requests():  # type: ignore[no-untyped-def]
        yield pb.ScreenBatchRequest(requests=[screen_request("Johanna Doe")])
        yield pb.ScreenBatchRequest(requests=[screen_request("Johanna Doe")] * (MAX_BATCH_MESSAGE + 1))

    call = stub.ScreenBatch(requests())
    first = await call.read()
    assert first.responses[0].decision == pb.DECISION_CLEAR  # what came before is answered
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call.read()
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (
        caught.value.details()
        == f"requests: at most {MAX_BATCH_MESSAGE} per message, got {MAX_BATCH_MESSAGE + 1} (after 1 items)"
    )


def test_batch_answers_are_split_by_size_in_order() -> None:
    responses = [pb.ScreenResponse(request_id=f"r{i}", summary="x" * (100 + 50 * (i % 3))) for i in range(40)]
    limit = 1000
    parts = split_by_size(responses, limit)
    assert [r.request_id for part in parts for r in part] == [r.request_id for r in responses]
    assert len(parts) > 1
    for part in parts:
        assert pb.ScreenBatchResponse(responses=part).ByteSize() <= limit
    # A response larger than the limit goes alone rather than being dropped or looping.
    huge = pb.ScreenResponse(request_id="big", summary="y" * 5000)
    assert [len(p) for p in split_by_size([responses[0], huge, responses[1]], limit)] == [1, 1, 1]
    assert split_by_size([], limit) == [[]]


async def test_list_status(stub: pb_grpc.ScreeningServiceStub, grpc_server: RunningServer) -> None:
    response = await stub.GetListStatus(pb.GetListStatusRequest())
    [status] = response.lists
    assert status.list_id == "ofac_sdn"
    assert status.state == pb.LIST_STATE_CURRENT
    assert status.entry_count == 7
    assert status.loaded is True
    assert status.version == grpc_server.loader.state.versions["ofac_sdn"]  # type: ignore[union-attr]
    assert str(FIXTURES / "ofac_sdn") in status.source
    assert status.HasField("fetched_at") and status.HasField("age")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetListStatus(pb.GetListStatusRequest(list_ids=["nope"]))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith("list_ids[0]:")


async def test_reflection_lists_the_services(grpc_server: RunningServer) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{grpc_server.port}") as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)

        async def ask():  # type: ignore[no-untyped-def]
            yield reflection_pb2.ServerReflectionRequest(list_services="")

        async for response in stub.ServerReflectionInfo(ask()):
            names = {s.name for s in response.list_services_response.service}
            break
    assert {SERVICE_NAME, "grpc.health.v1.Health"} <= names


async def test_health_is_not_serving_until_lists_load_then_serving(
    settings: Settings, test_catalog: Catalog, redis_client: object, tmp_path
) -> None:
    # An empty lists directory: nothing can be published, so the server must not claim health.
    empty = tmp_path / "empty"
    empty.mkdir()
    running = await start_server(settings_with(settings, lists_dir=empty), test_catalog, load_policy())
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            await asyncio.sleep(0.3)
            check = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME))
            assert check.status == health_pb2.HealthCheckResponse.NOT_SERVING
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await pb_grpc.ScreeningServiceStub(channel).Screen(screen_request("Nicolas MADURO MOROS"))
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await running.stop(0.5)

    running = await start_server(settings, test_catalog, load_policy())
    try:
        await wait_ready(running)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            for service in ("", SERVICE_NAME):
                check = await health.Check(health_pb2.HealthCheckRequest(service=service))
                assert check.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        await running.stop(0.5)


async def test_new_version_published_elsewhere_is_picked_up(
    stub: pb_grpc.ScreeningServiceStub, grpc_server: RunningServer
) -> None:
    from service.refresh.fetch import read_directory
    from service.refresh.publisher import publish_fetched

    # Another process publishes the XML edition (3 entries, a new version).
    spec = grpc_server.loader.catalog.get("ofac_sdn")
    fetched = read_directory(spec, FIXTURES / "ofac_sdn_xml")
    assert fetched is not None
    result = await publish_fetched(grpc_server.store, spec, fetched, force=True)
    for _ in range(50):
        response = await stub.Screen(screen_request("AEROCARIBBEAN AIRLINES"))
        if response.list_versions[0].version == result.version:
            break
        await asyncio.sleep(0.1)
    assert response.list_versions[0].version == result.version
    # AEROCARIBBEAN is not in the XML edition: the new version really serves.
    assert response.decision == pb.DECISION_CLEAR


async def test_graceful_stop_finishes_in_flight_and_refuses_new(grpc_server: RunningServer) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{grpc_server.port}") as channel:
        stub = pb_grpc.ScreeningServiceStub(channel)
        stream = stub.ScreenBatch()
        await stream.write(pb.ScreenBatchRequest(requests=[screen_request("Nicolas MADURO MOROS")]))
        assert (await stream.read()).responses[0].decision == pb.DECISION_BLOCK

        stopping = asyncio.create_task(grpc_server.stop(5.0))
        await asyncio.sleep(0.3)
        # New calls are refused while draining ...
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Screen(screen_request("Nicolas MADURO MOROS"), timeout=2)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        # ... while the call already in flight is served to its end.
        await stream.write(pb.ScreenBatchRequest(requests=[screen_request("AEROCARIBBEAN AIRLINES")]))
        assert (await stream.read()).responses[0].decision == pb.DECISION_BLOCK
        await stream.done_writing()
        assert await stream.code() == grpc.StatusCode.OK
        await stopping


async def test_consolidated_decision_lists_every_reason_with_its_explanation(
    stub: pb_grpc.ScreeningServiceStub,
) -> None:
    """A listed person, at an address in Iran, owning a company with a listed co-owner: three kinds of reason."""
    response = await stub.Screen(
        pb.ScreenRequest(
            request_id="order-4711",
            party=pb.Party(
                name="Nicolas MADURO MOROS",
                type=pb.PARTY_TYPE_INDIVIDUAL,
                addresses=[pb.Address(city="Tehran", country="IR")],
                owners=[pb.Owner(name="Banco Nacional de Cuba", share_percent=60, type=pb.PARTY_TYPE_ORGANIZATION)],
            ),
            context=pb.TransactionContext(direction=pb.DIRECTION_PAYMENT),
        )
    )
    assert response.decision == pb.DECISION_BLOCK
    codes = {(r.code, r.subject) for r in response.reasons}
    assert codes == {("OFAC_SDN_MATCH", "party"), ("EMBARGOED_COUNTRY", "address"), ("OFAC_50_PERCENT_RULE", "owners")}
    for reason in response.reasons:
        assert reason.decision == pb.DECISION_BLOCK and reason.legal_basis and reason.citation and reason.next_step
        assert reason.text.endswith(".")
    ownership = next(r for r in response.reasons if r.subject == "owners")
    assert "'Banco Nacional de Cuba' 60% (ofac_sdn entry 306 'BANCO NACIONAL DE CUBA')" in ownership.text
    [owner_match] = response.owner_matches
    assert (owner_match.owner_name, owner_match.match.entry_id) == ("Banco Nacional de Cuba", "306")
    [match] = response.matches
    assert match.explanation.text.startswith(
        "'Nicolas MADURO MOROS' resembles the primary name 'MADURO MOROS, Nicolas'"
    )
    for needle in ("Decision BLOCK for a payment transaction", "ofac-sdn-blocked", "embargo-iran", "ofac-50-percent",
                   "31 CFR part 560", "Next step:", "Policy 2026-12-07.1+"):  # fmt: skip
        assert needle in response.summary, needle


async def test_owner_and_address_input_is_validated(stub: pb_grpc.ScreeningServiceStub) -> None:
    for owner, field in (
        (pb.Owner(name="", share_percent=10), "party.owners[0].name"),
        (pb.Owner(name="X", share_percent=0), "party.owners[0].share_percent"),
        (pb.Owner(name="X", share_percent=120), "party.owners[0].share_percent"),
        (pb.Owner(name="X", share_percent=10, country="Cuba"), "party.owners[0].country"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Screen(pb.ScreenRequest(party=pb.Party(name="ACME", owners=[owner])))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert (caught.value.details() or "").startswith(field), caught.value.details()


def test_screening_ids_are_random_version_4_uuids() -> None:
    ids = [new_screening_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids[:200]:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)


def test_timestamps_and_durations_convert_as_protobuf_does() -> None:
    """The hand-written conversions on the response path agree with protobuf's own, at every sign and offset."""
    rng = random.Random(5)
    for _ in range(500):
        moment = datetime(1950, 1, 1, tzinfo=UTC) + timedelta(microseconds=rng.randrange(10**17))
        moment = moment.astimezone(timezone(timedelta(minutes=rng.randrange(-720, 720, 15))))
        expected = Timestamp()
        expected.FromDatetime(moment.astimezone(UTC))
        assert timestamp(moment) == expected, moment
        delta = timedelta(microseconds=rng.randrange(-(10**12), 10**12))
        expected_duration = Duration()
        expected_duration.FromTimedelta(delta)
        assert duration(delta) == expected_duration, delta
        latency = rng.uniform(-5, 5) * 10 ** rng.randrange(-6, 3)
        expected_duration.FromTimedelta(timedelta(seconds=latency))
        assert duration_of_seconds(latency) == expected_duration, latency
