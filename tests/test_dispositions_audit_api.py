"""Dispositions and the audit trail end to end: a real server, a real client, a real Redis, real files.

Authentication is required: an order system screens with its screener key, two
reviewers (alice and bob) hold reviewer keys. A reviewer marks a false positive;
on an SDN entry it waits for the other reviewer's approval (four eyes), then
later screenings of that party suppress it (and only of that party); when the
listed entry changes, the alert comes back. Every screening leaves an audit
record naming its caller, exported to a file and replayable against the list
versions it was made on.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import grpc
import pytest
import redis.asyncio as aioredis

from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from service.audit.record import AuditRecord, decode
from service.audit.replay import replay
from service.audit.trail import AuditExporter, AuditTrail, read_exported
from service.auth.keys import ApiKeyStore
from service.catalog import Catalog
from service.decide.policy import load_policy
from service.dispositions.store import DispositionStore
from service.grpc_door.server import RunningServer, start_server
from service.refresh.runner import refresh_lists
from service.settings import Settings
from service.store.snapshots import SnapshotStore
from tests.auth_support import AuthedStub, with_auth
from tests.conftest import FIXTURES, settings_with, wait_ready

MADURO = "Nicolas MADURO MOROS"


def request(name: str, reference: str = "", direction: int = pb.DIRECTION_EXPORT, **party: object) -> pb.ScreenRequest:
    return pb.ScreenRequest(
        request_id=f"req-{reference or 'anon'}",
        party=pb.Party(name=name, party_reference=reference, **party),  # type: ignore[arg-type]
        context=pb.TransactionContext(direction=direction),  # type: ignore[arg-type]
    )


@pytest.fixture
def lists_dir(tmp_path: Path) -> Path:
    """A private copy of the fixture SDN files, so a test can publish a changed entry."""
    target = tmp_path / "lists"
    shutil.copytree(FIXTURES / "ofac_sdn", target)
    return target


@pytest.fixture
async def keys(redis_client: aioredis.Redis, key_prefix: str) -> dict[str, str]:
    """API keys of the order system (screener) and of two reviewers, created before the server starts."""
    store = ApiKeyStore(redis_client, key_prefix)
    roles = {"erp": ["screener"], "alice": ["reviewer"], "bob": ["reviewer"]}
    return {name: (await store.create(name, role, "test")).secret for name, role in roles.items()}


@pytest.fixture
async def server(
    settings: Settings, test_catalog: Catalog, lists_dir: Path, tmp_path: Path, keys: dict[str, str]
) -> RunningServer:
    running = await start_server(
        with_auth(
            settings_with(settings, lists_dir=lists_dir, audit_dir=tmp_path / "audit", audit_party_data=True),
            mode="required",
        ),
        test_catalog,
        load_policy(),
    )
    await wait_ready(running)
    yield running  # type: ignore[misc]
    await running.stop(0.5)


class Callers:
    """The order system and the two reviewers, each with its own key."""

    def __init__(self, stub: pb_grpc.ScreeningServiceStub, keys: dict[str, str]) -> None:
        self.erp = AuthedStub(stub, keys["erp"])
        self.alice = AuthedStub(stub, keys["alice"])
        self.bob = AuthedStub(stub, keys["bob"])


@pytest.fixture
async def callers(server: RunningServer, keys: dict[str, str]) -> Callers:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield Callers(pb_grpc.ScreeningServiceStub(channel), keys)  # type: ignore[misc]


def false_positive(reference: str, entry_id: str = "22790", **fields: object) -> pb.RecordDispositionRequest:
    return pb.RecordDispositionRequest(
        party_reference=reference, list_id="ofac_sdn", entry_id=entry_id, kind=pb.DISPOSITION_KIND_FALSE_POSITIVE,
        reason="Our customer is a Caracas bakery, born 1990, not the listed person.", **fields,  # type: ignore[arg-type]
    )  # fmt: skip


def approval(reference: str, entry_id: str = "22790", **fields: object) -> pb.ReviewDispositionRequest:
    return pb.ReviewDispositionRequest(party_reference=reference, list_id="ofac_sdn", entry_id=entry_id, **fields)  # type: ignore[arg-type]


def change_maduro_entry(lists_dir: Path) -> None:
    """The publisher amends the entry (a new passport in its remarks): its content hash changes."""
    path = lists_dir / "sdn.csv"
    text = path.read_bytes()
    changed = text.replace(
        b"Cedula No. 5892464 (Venezuela);", b"Cedula No. 5892464 (Venezuela); Passport 123456 (Venezuela);"
    )
    assert changed != text
    path.write_bytes(changed)


async def wait_for_version(server: RunningServer, version: str) -> None:
    for _ in range(200):
        state = server.loader.state
        if state is not None and state.versions.get("ofac_sdn") == version:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the server never loaded version {version}")


async def test_one_reviewer_cannot_clear_a_sanctioned_party_two_can(
    callers: Callers, server: RunningServer, redis_client: aioredis.Redis, key_prefix: str
) -> None:
    """The attack of the issue: one reviewer's false positive turned the SDN's Banco Nacional de Cuba CLEAR."""
    bank = pb.ScreenRequest(party=pb.Party(name="Banco Nacional de Cuba", party_reference="BP-1001"),
                            context=pb.TransactionContext(direction=pb.DIRECTION_PAYMENT))  # fmt: skip
    first = await callers.erp.Screen(bank)
    assert first.decision == pb.DECISION_BLOCK and first.matches[0].entry_id == "306"

    # alice cannot pass herself off as someone else: `reviewer` is only a display name.
    recorded = await callers.alice.RecordDisposition(
        false_positive("BP-1001", "306", reviewer="bob", screening_id=first.screening_id)
    )
    assert recorded.status == pb.DISPOSITION_STATUS_PENDING
    assert (recorded.reviewer, recorded.reviewer_name) == ("key:alice", "bob")
    assert "ofac-sdn-blocked" in recorded.approval_required

    pending = await callers.erp.Screen(bank)
    assert pending.decision == pb.DECISION_BLOCK and not pending.suppressed
    assert "pending a second reviewer" in pending.matches[0].disposition_note
    listed = await callers.bob.ListDispositions(pb.ListDispositionsRequest(pending_only=True))
    assert [(d.subject, d.entry_id) for d in listed.dispositions] == [("ref:BP-1001", "306")]

    with pytest.raises(grpc.aio.AioRpcError) as own:
        await callers.alice.ApproveDisposition(approval("BP-1001", "306"))
    assert own.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as erp:
        await callers.erp.ApproveDisposition(approval("BP-1001", "306"))
    assert erp.value.code() == grpc.StatusCode.PERMISSION_DENIED and "reviewer" in (erp.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as stale:
        await callers.bob.ApproveDisposition(approval("BP-1001", "306", version=7))
    assert stale.value.code() == grpc.StatusCode.FAILED_PRECONDITION

    approved = await callers.bob.ApproveDisposition(
        approval("BP-1001", "306", version=recorded.version, note="checked the BIC")
    )
    assert (approved.status, approved.reviewer, approved.approved_by) == (
        pb.DISPOSITION_STATUS_ACTIVE,
        "key:alice",
        "key:bob",
    )
    cleared = await callers.erp.Screen(bank)
    assert cleared.decision == pb.DECISION_CLEAR
    [suppressed] = cleared.suppressed
    assert (suppressed.disposition.reviewer, suppressed.disposition.approved_by) == ("key:alice", "key:bob")

    # The audit records name the caller of each screening, and the clearance both reviewers.
    trail = AuditTrail(redis_client, key_prefix)
    blocked_record, cleared_record = [await audited(trail, r.screening_id) for r in (first, cleared)]
    assert blocked_record.caller == cleared_record.caller == "key:erp"
    [applied] = cleared_record.context["dispositions"]
    assert (applied["reviewer"], applied["approved_by"]) == ("key:alice", "key:bob")
    history = await DispositionStore(redis_client, key_prefix).history("ref:BP-1001", "ofac_sdn", "306")
    assert [(d.status.value, d.reviewer, d.approved_by) for d in history] == [
        ("pending", "key:alice", ""), ("active", "key:alice", "key:bob"),
    ]  # fmt: skip


async def test_false_positive_is_suppressed_for_that_party_until_the_entry_changes(
    callers: Callers,
    server: RunningServer,
    store: SnapshotStore,
    test_catalog: Catalog,
    lists_dir: Path,
) -> None:
    first = await callers.erp.Screen(request(MADURO, "BP-7"))
    assert first.decision == pb.DECISION_BLOCK and first.party_fingerprint
    assert "ofac-sdn-blocked" in first.summary and "22790" in first.summary

    recorded = await callers.alice.RecordDisposition(false_positive("BP-7", screening_id=first.screening_id))
    assert (recorded.subject, recorded.version, recorded.revoked) == ("ref:BP-7", 1, False)
    assert recorded.entry_hash and recorded.screening_id == first.screening_id
    await callers.bob.ApproveDisposition(approval("BP-7"))

    cleared = await callers.erp.Screen(request(MADURO, "BP-7"))
    assert cleared.decision == pb.DECISION_CLEAR and not cleared.matches and not cleared.reasons
    [suppressed] = cleared.suppressed
    assert (suppressed.match.entry_id, suppressed.disposition.reviewer) == ("22790", "key:alice")
    assert "Suppressed as false positives" in cleared.summary and "key:alice" in cleared.summary

    # Another party with the same name is not covered by BP-7's disposition.
    other = await callers.erp.Screen(request(MADURO, "BP-8"))
    assert other.decision == pb.DECISION_BLOCK and not other.suppressed

    # The publisher changes the entry: the disposition no longer applies and the alert is back.
    change_maduro_entry(lists_dir)
    [published] = await refresh_lists(store, test_catalog, ["ofac_sdn"], source_dir=lists_dir)
    await wait_for_version(server, published.version)
    back = await callers.erp.Screen(request(MADURO, "BP-7"))
    assert back.decision == pb.DECISION_BLOCK and not back.suppressed
    [match] = back.matches
    assert "no longer applies" in match.disposition_note and "key:alice" in match.disposition_note


async def test_a_batch_message_applies_each_partys_own_dispositions(callers: Callers) -> None:
    """The batch path fetches a whole message's dispositions in one round trip: each goes to its own party."""
    await callers.alice.RecordDisposition(false_positive("BP-7"))
    await callers.bob.ApproveDisposition(approval("BP-7"))
    await callers.bob.RecordDisposition(
        pb.RecordDispositionRequest(
            party_reference="BP-9", list_id="ofac_sdn", entry_id="22790", kind=pb.DISPOSITION_KIND_CONFIRMED_MATCH,
            reason="Confirmed by passport.",
        )
    )  # fmt: skip
    items = [request(MADURO, "BP-8"), request(MADURO, "BP-7"), request("", "BP-X"), request("Johanna Doe", "BP-5"),
             request(MADURO, "BP-9")]  # fmt: skip

    async def messages():  # type: ignore[no-untyped-def]
        yield pb.ScreenBatchRequest(requests=items)

    [answer] = [m async for m in callers.erp.ScreenBatch(messages())]
    other, cleared, bad, clean, confirmed = answer.responses
    assert other.decision == pb.DECISION_BLOCK and not other.suppressed
    assert cleared.decision == pb.DECISION_CLEAR and [s.disposition.reviewer for s in cleared.suppressed] == [
        "key:alice"
    ]
    assert bad.error.field == "party.name"
    assert clean.decision == pb.DECISION_CLEAR and not clean.matches and not clean.suppressed
    assert (
        confirmed.decision == pb.DECISION_BLOCK
        and "confirmed as a match by key:bob" in confirmed.matches[0].disposition_note
    )
    assert [r.request_id for r in answer.responses] == [r.request_id for r in items]


async def test_dispositions_are_listed_revoked_and_validated(callers: Callers) -> None:
    screened = await callers.erp.Screen(request(MADURO))  # no party_reference: the fingerprint identifies it
    base = pb.RecordDispositionRequest(
        party_fingerprint=screened.party_fingerprint, list_id="ofac_sdn", entry_id="22790",
        kind=pb.DISPOSITION_KIND_FALSE_POSITIVE, reason="Different person (DOB 1990).",
    )  # fmt: skip
    await callers.alice.RecordDisposition(base)
    await callers.bob.ApproveDisposition(
        pb.ReviewDispositionRequest(party_fingerprint=screened.party_fingerprint, list_id="ofac_sdn", entry_id="22790")
    )
    assert (await callers.erp.Screen(request(MADURO))).decision == pb.DECISION_CLEAR

    listed = await callers.bob.ListDispositions(
        pb.ListDispositionsRequest(party_fingerprint=screened.party_fingerprint)
    )
    assert [(d.entry_id, d.kind) for d in listed.dispositions] == [("22790", pb.DISPOSITION_KIND_FALSE_POSITIVE)]

    revoked = await callers.bob.RevokeDisposition(
        pb.RevokeDispositionRequest(
            party_fingerprint=screened.party_fingerprint, list_id="ofac_sdn", entry_id="22790",
            reason="Second look: same passport.", reviewer="B. Senior",
        )
    )  # fmt: skip
    assert (revoked.version, revoked.revoked, revoked.revoked_by, revoked.status) == (
        3,
        True,
        "key:bob",
        pb.DISPOSITION_STATUS_REVOKED,
    )
    assert (await callers.erp.Screen(request(MADURO))).decision == pb.DECISION_BLOCK
    active = await callers.bob.ListDispositions(
        pb.ListDispositionsRequest(party_fingerprint=screened.party_fingerprint)
    )
    assert not active.dispositions
    everything = await callers.bob.ListDispositions(pb.ListDispositionsRequest(include_revoked=True))
    assert [d.version for d in everything.dispositions] == [3]

    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await callers.alice.RecordDisposition(pb.RecordDispositionRequest(**{**_fields(base), "entry_id": "999999"}))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND and "999999" in (missing.value.details() or "")
    for field, value, named in (("reason", "", "reason"), ("reviewer", "x" * 200, "reviewer"), ("kind", 0, "kind")):
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await callers.alice.RecordDisposition(pb.RecordDispositionRequest(**{**_fields(base), field: value}))
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert (bad.value.details() or "").startswith(named), bad.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as nobody:
        await callers.alice.RecordDisposition(pb.RecordDispositionRequest(**{**_fields(base), "party_fingerprint": ""}))
    assert "party_reference" in (nobody.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as nothing:
        await callers.bob.ApproveDisposition(
            pb.ReviewDispositionRequest(party_reference="BP-NONE", list_id="ofac_sdn", entry_id="22790")
        )
    assert nothing.value.code() == grpc.StatusCode.NOT_FOUND


async def audited(trail: AuditTrail, screening_id: str) -> AuditRecord:
    """The screening's audit record, once the server's write-behind has sent it (within 5 s)."""
    for _ in range(100):
        record = await trail.find(screening_id)
        if record is not None:
            return record
        await asyncio.sleep(0.05)
    raise AssertionError(f"no audit record for screening {screening_id}")


def _fields(message: pb.RecordDispositionRequest) -> dict[str, object]:
    return {field.name: value for field, value in message.ListFields()}


async def test_every_screening_is_audited_exported_and_replayable(
    callers: Callers,
    server: RunningServer,
    store: SnapshotStore,
    test_catalog: Catalog,
    redis_client: aioredis.Redis,
    key_prefix: str,
    tmp_path: Path,
) -> None:
    blocked = await callers.erp.Screen(request(MADURO, "BP-1"))
    cleared = await callers.erp.Screen(request("Johanna Pemberton-Whitcombe", "BP-2", direction=pb.DIRECTION_IMPORT))
    trail = AuditTrail(redis_client, key_prefix)
    record = await audited(trail, blocked.screening_id)
    await audited(trail, cleared.screening_id)
    entries = await redis_client.xrange(trail.stream_key)
    assert len({decode(fields[b"record"]).screening_id for _, fields in entries}) == len(entries) == 2
    assert (record.decision, record.request_id, record.party_fingerprint) == (
        "BLOCK",
        "req-BP-1",
        blocked.party_fingerprint,
    )
    assert record.caller == "key:erp"  # the authenticated principal, never a peer address
    assert record.party is not None and record.party["name"] == MADURO  # AUDIT_PARTY_DATA is on in this server
    assert [(m.list_id, m.entry_id) for m in record.matches] == [("ofac_sdn", "22790")]
    assert [r.rule_id for r in record.reasons] == ["ofac-sdn-blocked"]
    assert record.list_versions == {"ofac_sdn": blocked.list_versions[0].version}

    # Exported to the day's file (the server's own exporter, or this one: the group shares the work).
    audit_dir = tmp_path / "audit"
    await AuditExporter(redis_client, audit_dir, key_prefix, consumer="test").export_once()
    for _ in range(100):
        exported = {r.screening_id for r in read_exported(audit_dir)}
        if {blocked.screening_id, cleared.screening_id} <= exported:
            break
        await asyncio.sleep(0.05)
    assert {blocked.screening_id, cleared.screening_id} <= exported

    # Replayed on the recorded list versions, from the files once the stream is gone.
    await redis_client.delete(trail.stream_key)
    report = await replay(blocked.screening_id, trail, store, test_catalog, load_policy(), audit_dir)
    assert report.identical, report.differences
    assert report.response.decision == pb.DECISION_BLOCK
    report = await replay(cleared.screening_id, trail, store, test_catalog, load_policy(), audit_dir)
    assert report.identical and report.response.decision == pb.DECISION_CLEAR


async def test_without_party_data_the_record_keeps_only_the_fingerprint(
    settings: Settings, test_catalog: Catalog, redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    running = await start_server(settings_with(settings, audit_dir=tmp_path / "audit"), test_catalog, load_policy())
    try:
        await wait_ready(running)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            response = await pb_grpc.ScreeningServiceStub(channel).Screen(request(MADURO, "BP-9"))
        record = await audited(AuditTrail(redis_client, key_prefix), response.screening_id)
        assert record.party is None
        assert record.party_fingerprint == response.party_fingerprint
        assert MADURO not in str(record) and "BP-9" not in str(record.context)
    finally:
        await running.stop(0.5)


async def test_a_reviewer_looks_a_screening_up_and_replays_it_over_the_api(
    callers: Callers, server: RunningServer, store: SnapshotStore, test_catalog: Catalog,
    redis_client: aioredis.Redis, key_prefix: str, lists_dir: Path,
) -> None:  # fmt: skip
    blocked = await callers.erp.Screen(request(MADURO, "BP-21"))
    await audited(AuditTrail(redis_client, key_prefix), blocked.screening_id)
    recorded_version = blocked.list_versions[0].version

    found = await callers.alice.GetScreening(pb.GetScreeningRequest(screening_id=blocked.screening_id.upper()))
    assert (found.screening_id, found.decision, found.caller) == (blocked.screening_id, pb.DECISION_BLOCK, "key:erp")
    assert found.has_party_data and dict(found.list_versions) == {"ofac_sdn": recorded_version}
    assert json.loads(found.record_json)["party"]["name"] == MADURO
    with pytest.raises(grpc.aio.AioRpcError) as denied:  # an order system may screen, not read the trail
        await callers.erp.GetScreening(pb.GetScreeningRequest(screening_id=blocked.screening_id))
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED

    same = await callers.alice.ReplayScreening(pb.ReplayScreeningRequest(screening_id=blocked.screening_id))
    assert same.identical and not same.differences and not same.notes
    assert same.replayed.decision == pb.DECISION_BLOCK and same.record.screening_id == blocked.screening_id

    # A newer version is served now: the replay still uses the recorded one (indexed for the occasion).
    change_maduro_entry(lists_dir)
    [published] = await refresh_lists(store, test_catalog, ["ofac_sdn"], source_dir=lists_dir)
    await wait_for_version(server, published.version)
    assert published.version != recorded_version
    later = await callers.alice.ReplayScreening(pb.ReplayScreeningRequest(screening_id=blocked.screening_id))
    assert later.identical, later.differences
    assert [v.version for v in later.replayed.list_versions] == [recorded_version]

    unknown = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
    for screening_id, screened_on, code, field in (
        (unknown, "", grpc.StatusCode.NOT_FOUND, "screening_id"),
        (unknown, "2019-02-03", grpc.StatusCode.NOT_FOUND, "screening_id"),
        ("not-a-screening", "", grpc.StatusCode.INVALID_ARGUMENT, "screening_id"),
        ("", "", grpc.StatusCode.INVALID_ARGUMENT, "screening_id"),
        (unknown, "03/02/2019", grpc.StatusCode.INVALID_ARGUMENT, "screened_on"),
        (unknown, "2019-02-30", grpc.StatusCode.INVALID_ARGUMENT, "screened_on"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await callers.alice.ReplayScreening(
                pb.ReplayScreeningRequest(screening_id=screening_id, screened_on=screened_on)
            )
        assert refused.value.code() == code, refused.value.details()
        assert refused.value.details().startswith(f"{field}:")
        if code == grpc.StatusCode.NOT_FOUND:  # where it looked, and how to look further
            assert ("the day files of 2019-02-03" in refused.value.details()) == bool(screened_on)
            assert ("name the day it was screened" in refused.value.details()) == (not screened_on)


async def test_a_record_without_party_data_cannot_be_replayed_and_says_why(
    settings: Settings, test_catalog: Catalog, redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    running = await start_server(settings_with(settings, audit_dir=tmp_path / "audit"), test_catalog, load_policy())
    try:
        await wait_ready(running)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = pb_grpc.ScreeningServiceStub(channel)
            response = await stub.Screen(request(MADURO, "BP-19"))
            await audited(AuditTrail(redis_client, key_prefix), response.screening_id)
            found = await stub.GetScreening(pb.GetScreeningRequest(screening_id=response.screening_id))
            assert not found.has_party_data and MADURO not in found.record_json
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.ReplayScreening(pb.ReplayScreeningRequest(screening_id=response.screening_id))
    finally:
        await running.stop(0.5)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "AUDIT_PARTY_DATA" in refused.value.details()


async def _reviews(stub: AuthedStub, **filters: object) -> list[pb.ReviewItem]:
    return list((await stub.ListReviews(pb.ListReviewsRequest(**filters))).reviews)  # type: ignore[arg-type]


async def test_screenings_with_possible_matches_wait_in_the_review_queue_until_decided(callers: Callers) -> None:
    maduro = await callers.erp.Screen(request(MADURO, "BP-31"))
    bank = await callers.erp.Screen(pb.ScreenRequest(party=pb.Party(name="Banco Nacional de Cuba")))  # no reference
    clear = await callers.erp.Screen(request("Johanna Pemberton-Whitcombe", "BP-32"))
    assert (maduro.decision, bank.decision, clear.decision) == (pb.DECISION_BLOCK, pb.DECISION_BLOCK, pb.DECISION_CLEAR)
    for _ in range(100):  # sent behind the requests, like the audit trail
        queue = await _reviews(callers.alice, open_only=True)
        if len(queue) == 2:
            break
        await asyncio.sleep(0.05)
    assert [item.screening_id for item in queue] == [maduro.screening_id, bank.screening_id]  # oldest first
    first, second = queue
    assert (first.party_reference, first.party_fingerprint, first.caller) == ("BP-31", "", "key:erp")
    assert (second.party_reference, second.party_fingerprint) == ("", bank.party_fingerprint)
    assert first.party_name == MADURO  # this server keeps party data in audit records
    assert [(m.list_id, m.entry_id) for m in first.matches] == [("ofac_sdn", "22790")]
    assert len(await _reviews(callers.alice, open_only=True, list_id="ofac_sdn")) == 2
    assert not await _reviews(callers.alice, decision=pb.DECISION_REVIEW)
    assert not await _reviews(callers.alice, min_age_hours=1)
    with pytest.raises(grpc.aio.AioRpcError) as denied:  # an order system screens; reviewers work the queue
        await _reviews(callers.erp)
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await _reviews(callers.alice, max_age_hours=1, min_age_hours=5)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith("max_age_hours:")

    # alice's verdict (waiting for a second reviewer) takes BP-31 out of the queue; a new screening of it stays out.
    recorded = await callers.alice.RecordDisposition(false_positive("BP-31", screening_id=maduro.screening_id))
    assert recorded.status == pb.DISPOSITION_STATUS_PENDING
    again = await callers.erp.Screen(request(MADURO, "BP-31"))
    for _ in range(100):
        if again.screening_id in {i.screening_id for i in await _reviews(callers.alice)}:
            break
        await asyncio.sleep(0.05)
    assert [i.screening_id for i in await _reviews(callers.alice, open_only=True)] == [bank.screening_id]
    assert [i.screening_id for i in await _reviews(callers.alice)] == [
        maduro.screening_id, bank.screening_id, again.screening_id,
    ]  # fmt: skip
    # bob refuses the clearance: no verdict stands, and the party's newest screening is back.
    await callers.bob.RejectDisposition(approval("BP-31", note="same date of birth"))
    assert [i.screening_id for i in await _reviews(callers.alice, open_only=True)] == [
        bank.screening_id, again.screening_id,
    ]  # fmt: skip
