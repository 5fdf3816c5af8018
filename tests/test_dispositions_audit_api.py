"""Dispositions and the audit trail end to end: a real server, a real client, a real Redis, real files.

A reviewer clears a false positive; later screenings of that party suppress it
(and only of that party); when the listed entry changes, the alert comes back.
Every screening leaves an audit record that is exported to a file and can be
replayed against the list versions it was made on.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import grpc
import pytest
import redis.asyncio as aioredis

from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from service.api.server import RunningServer, start_server
from service.audit.record import AuditRecord, decode
from service.audit.replay import replay
from service.audit.trail import AuditExporter, AuditTrail, read_exported
from service.catalog import Catalog
from service.decide.policy import load_policy
from service.refresh.runner import refresh_lists
from service.settings import Settings
from service.store.snapshots import SnapshotStore
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
async def server(settings: Settings, test_catalog: Catalog, lists_dir: Path, tmp_path: Path) -> RunningServer:
    running = await start_server(
        settings_with(settings, lists_dir=lists_dir, audit_dir=tmp_path / "audit", audit_party_data=True),
        test_catalog,
        load_policy(),
    )
    await wait_ready(running)
    yield running  # type: ignore[misc]
    await running.stop(0.5)


@pytest.fixture
async def client(server: RunningServer) -> pb_grpc.ScreeningServiceStub:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield pb_grpc.ScreeningServiceStub(channel)  # type: ignore[misc]


def change_maduro_entry(lists_dir: Path) -> None:
    """The publisher amends the entry (a new passport in its remarks): its content hash changes."""
    path = lists_dir / "sdn.csv"
    text = path.read_bytes()
    changed = text.replace(b"Cedula No. 5892464 (Venezuela);", b"Cedula No. 5892464 (Venezuela); Passport 123456 (Venezuela);")
    assert changed != text
    path.write_bytes(changed)


async def wait_for_version(server: RunningServer, version: str) -> None:
    for _ in range(200):
        state = server.loader.state
        if state is not None and state.versions.get("ofac_sdn") == version:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the server never loaded version {version}")


async def test_false_positive_is_suppressed_for_that_party_until_the_entry_changes(
    client: pb_grpc.ScreeningServiceStub,
    server: RunningServer,
    store: SnapshotStore,
    test_catalog: Catalog,
    lists_dir: Path,
) -> None:
    first = await client.Screen(request(MADURO, "BP-7"))
    assert first.decision == pb.DECISION_BLOCK and first.party_fingerprint
    assert "ofac-sdn-blocked" in first.summary and "22790" in first.summary

    recorded = await client.RecordDisposition(
        pb.RecordDispositionRequest(
            party_reference="BP-7", list_id="ofac_sdn", entry_id="22790", kind=pb.DISPOSITION_KIND_FALSE_POSITIVE,
            reason="Our customer BP-7 is a Caracas bakery, born 1990, not the listed person.", reviewer="j.doe",
            screening_id=first.screening_id,
        )
    )  # fmt: skip
    assert (recorded.subject, recorded.version, recorded.revoked) == ("ref:BP-7", 1, False)
    assert recorded.entry_hash and recorded.screening_id == first.screening_id

    cleared = await client.Screen(request(MADURO, "BP-7"))
    assert cleared.decision == pb.DECISION_CLEAR and not cleared.matches and not cleared.reasons
    [suppressed] = cleared.suppressed
    assert (suppressed.match.entry_id, suppressed.disposition.reviewer) == ("22790", "j.doe")
    assert "Suppressed as false positives" in cleared.summary and "j.doe" in cleared.summary

    # Another party with the same name is not covered by BP-7's disposition.
    other = await client.Screen(request(MADURO, "BP-8"))
    assert other.decision == pb.DECISION_BLOCK and not other.suppressed

    # The publisher changes the entry: the disposition no longer applies and the alert is back.
    change_maduro_entry(lists_dir)
    [published] = await refresh_lists(store, test_catalog, ["ofac_sdn"], source_dir=lists_dir)
    await wait_for_version(server, published.version)
    back = await client.Screen(request(MADURO, "BP-7"))
    assert back.decision == pb.DECISION_BLOCK and not back.suppressed
    [match] = back.matches
    assert "no longer applies" in match.disposition_note and "j.doe" in match.disposition_note


async def test_a_batch_message_applies_each_partys_own_dispositions(client: pb_grpc.ScreeningServiceStub) -> None:
    """The batch path fetches a whole message's dispositions in one round trip: each goes to its own party."""
    await client.RecordDisposition(
        pb.RecordDispositionRequest(
            party_reference="BP-7", list_id="ofac_sdn", entry_id="22790", kind=pb.DISPOSITION_KIND_FALSE_POSITIVE,
            reason="A Caracas bakery.", reviewer="j.doe",
        )
    )  # fmt: skip
    await client.RecordDisposition(
        pb.RecordDispositionRequest(
            party_reference="BP-9", list_id="ofac_sdn", entry_id="22790", kind=pb.DISPOSITION_KIND_CONFIRMED_MATCH,
            reason="Confirmed by passport.", reviewer="a.roe",
        )
    )  # fmt: skip
    items = [request(MADURO, "BP-8"), request(MADURO, "BP-7"), request("", "BP-X"), request("Johanna Doe", "BP-5"),
             request(MADURO, "BP-9")]  # fmt: skip

    async def messages():  # type: ignore[no-untyped-def]
        yield pb.ScreenBatchRequest(requests=items)

    [answer] = [m async for m in client.ScreenBatch(messages())]
    other, cleared, bad, clean, confirmed = answer.responses
    assert other.decision == pb.DECISION_BLOCK and not other.suppressed
    assert cleared.decision == pb.DECISION_CLEAR and [s.disposition.reviewer for s in cleared.suppressed] == ["j.doe"]
    assert bad.error.field == "party.name"
    assert clean.decision == pb.DECISION_CLEAR and not clean.matches and not clean.suppressed
    assert confirmed.decision == pb.DECISION_BLOCK and "confirmed as a match by a.roe" in confirmed.matches[0].disposition_note
    assert [r.request_id for r in answer.responses] == [r.request_id for r in items]


async def test_dispositions_are_listed_revoked_and_validated(client: pb_grpc.ScreeningServiceStub) -> None:
    screened = await client.Screen(request(MADURO))  # no party_reference: the fingerprint identifies it
    base = pb.RecordDispositionRequest(
        party_fingerprint=screened.party_fingerprint, list_id="ofac_sdn", entry_id="22790",
        kind=pb.DISPOSITION_KIND_FALSE_POSITIVE, reason="Different person (DOB 1990).", reviewer="a.reviewer",
    )  # fmt: skip
    await client.RecordDisposition(base)
    assert (await client.Screen(request(MADURO))).decision == pb.DECISION_CLEAR

    listed = await client.ListDispositions(pb.ListDispositionsRequest(party_fingerprint=screened.party_fingerprint))
    assert [(d.entry_id, d.kind) for d in listed.dispositions] == [("22790", pb.DISPOSITION_KIND_FALSE_POSITIVE)]

    revoked = await client.RevokeDisposition(
        pb.RevokeDispositionRequest(
            party_fingerprint=screened.party_fingerprint, list_id="ofac_sdn", entry_id="22790",
            reason="Second look: same passport.", reviewer="b.senior",
        )
    )  # fmt: skip
    assert (revoked.version, revoked.revoked, revoked.revoked_by) == (2, True, "b.senior")
    assert (await client.Screen(request(MADURO))).decision == pb.DECISION_BLOCK
    active = await client.ListDispositions(pb.ListDispositionsRequest(party_fingerprint=screened.party_fingerprint))
    assert not active.dispositions
    everything = await client.ListDispositions(pb.ListDispositionsRequest(include_revoked=True))
    assert [d.version for d in everything.dispositions] == [2]

    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await client.RecordDisposition(pb.RecordDispositionRequest(**{**_fields(base), "entry_id": "999999"}))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND and "999999" in (missing.value.details() or "")
    for field, value, named in (("reason", "", "reason"), ("reviewer", "", "reviewer"), ("kind", 0, "kind")):
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await client.RecordDisposition(pb.RecordDispositionRequest(**{**_fields(base), field: value}))
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert (bad.value.details() or "").startswith(named), bad.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as nobody:
        await client.RecordDisposition(pb.RecordDispositionRequest(**{**_fields(base), "party_fingerprint": ""}))
    assert "party_reference" in (nobody.value.details() or "")


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
    client: pb_grpc.ScreeningServiceStub,
    server: RunningServer,
    store: SnapshotStore,
    test_catalog: Catalog,
    redis_client: aioredis.Redis,
    key_prefix: str,
    tmp_path: Path,
) -> None:
    blocked = await client.Screen(request(MADURO, "BP-1"))
    cleared = await client.Screen(request("Johanna Pemberton-Whitcombe", "BP-2", direction=pb.DIRECTION_IMPORT))
    trail = AuditTrail(redis_client, key_prefix)
    record = await audited(trail, blocked.screening_id)
    await audited(trail, cleared.screening_id)
    entries = await redis_client.xrange(trail.stream_key)
    assert len({decode(fields[b"record"]).screening_id for _, fields in entries}) == len(entries) == 2
    assert (record.decision, record.request_id, record.party_fingerprint) == ("BLOCK", "req-BP-1", blocked.party_fingerprint)
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
