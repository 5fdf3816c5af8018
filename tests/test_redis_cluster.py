"""The service on a real Redis Cluster: three primaries on loopback (`redis-cli --cluster create`).

What must hold there: every script and transaction touches one slot (keys that change together
share a tag), the registry spreads over every primary, and a server whose REDIS_URL names the
cluster serves, registers, re-screens, keeps dispositions, keys and audit records. The stores'
own tests also run on this cluster (their modules set ALSO_ON_CLUSTER, see tests/conftest.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest
from redis.asyncio.cluster import RedisCluster

from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from service.audit.trail import AuditTrail
from service.auth.keys import ApiKeyStore, _Keys
from service.catalog import Catalog
from service.decide.policy import load_policy
from service.dispositions.store import DispositionStore
from service.grpc_door.server import start_server
from service.registry.store import BUCKETS, PartyRegistry
from service.rescreen.jobs import Jobs
from service.settings import Settings, SettingsError
from service.store.connection import as_cluster_url, connect, open_client, parse_cluster_url
from service.store.keyspace import KeySpace
from tests.conftest import settings_with, wait_ready


def test_a_cluster_url_names_its_nodes_and_credentials() -> None:
    target = parse_cluster_url("rediss+cluster://app:s3cret@10.0.0.1:7000,[::1]:7001")
    assert target.nodes == (("10.0.0.1", 7000), ("::1", 7001))
    assert (target.username, target.password, target.tls) == ("app", "s3cret", True)
    with pytest.raises(ValueError, match="database 0"):
        parse_cluster_url("redis+cluster://10.0.0.1:7000/2")
    with pytest.raises(ValueError, match="host:port"):
        parse_cluster_url("redis+cluster://10.0.0.1")
    assert as_cluster_url("redis://:pw@10.0.0.1:7000") == "redis+cluster://:pw@10.0.0.1:7000"


def test_redis_cluster_setting_turns_a_node_url_into_a_cluster_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://10.0.0.1:7000")
    monkeypatch.setenv("REDIS_CLUSTER", "1")
    assert Settings.from_env().redis_url == "redis+cluster://10.0.0.1:7000"
    monkeypatch.delenv("REDIS_URL")
    with pytest.raises(SettingsError, match="REDIS_CLUSTER=1 needs a REDIS_URL"):
        Settings.from_env()
    monkeypatch.setenv("REDIS_URL", "unix:///tmp/redis.sock")
    with pytest.raises(SettingsError, match="redis:// or rediss://"):
        Settings.from_env()


async def test_a_plain_url_of_a_cluster_node_connects_to_the_cluster(redis_cluster_url: str, tmp_path: Path) -> None:
    first_node = parse_cluster_url(redis_cluster_url).nodes[0]
    connection = await connect(f"redis://{first_node[0]}:{first_node[1]}", tmp_path)
    try:
        assert isinstance(connection.client, RedisCluster)
        assert connection.url.startswith("redis+cluster://")
        # Keys on every primary are reachable through it (a plain client would meet MOVED).
        for bucket in range(BUCKETS):
            await connection.client.set(f"test:plain-url:{bucket}", bucket, ex=30)
        assert await connection.client.get("test:plain-url:200") == b"200"
    finally:
        await connection.close()


async def test_a_brace_in_the_key_prefix_is_refused_on_a_cluster(redis_cluster_url: str) -> None:
    client = open_client(redis_cluster_url)
    try:
        with pytest.raises(ValueError, match="no braces"):
            PartyRegistry(client, "screening:{a}:")
    finally:
        await client.aclose()


async def test_keys_that_change_together_share_a_slot_and_the_registry_spreads(redis_cluster_url: str) -> None:
    client = open_client(redis_cluster_url)
    await client.ping()
    try:
        prefix = "test:slots:"
        registry, jobs = PartyRegistry(client, prefix), Jobs(client, prefix)
        dispositions = DispositionStore(client, prefix)

        def slots(*keys: str) -> set[int]:
            return {client.keyslot(key) for key in keys}

        for bucket in range(BUCKETS):
            bucket_keys = (registry.parties_key(bucket), registry.unscreened_key(bucket), registry.states_key(bucket),
                           registry.outbox_key(bucket), registry.identifiers_key(bucket))  # fmt: skip
            assert len(slots(*bucket_keys)) == 1, bucket
        job = jobs.job_key("delta:x:1")
        assert len(slots(job, f"{job}:alerted", f"{job}:done", jobs.alerts_key, jobs.shards_key, jobs.index_key,
                         jobs.registered_job_key, registry.unscreened_buckets_key)) == 1  # fmt: skip
        assert len(slots(dispositions.log_key, dispositions._subject_key("ref:A"),
                         dispositions._history_key("ref:A", "ofac_sdn", "1"))) == 1  # fmt: skip
        auth = _Keys(client, prefix)
        assert len(slots(auth.keys, auth.last_used, auth.generation, auth.log)) == 1
        # The registry's buckets are spread over every primary.
        nodes = {client.get_node_from_key(registry.parties_key(bucket)).name for bucket in range(BUCKETS)}
        assert len(nodes) == len(client.get_primaries()) == 3
        # On one Redis, names are as they always were.
        assert KeySpace(object(), "screening:").key("jobs", "jobs") == "screening:jobs"
    finally:
        await client.aclose()


async def test_a_server_on_the_cluster_screens_registers_rescreens_and_keeps_records(
    redis_cluster_url: str, settings: Settings, test_catalog: Catalog, tmp_path: Path, redis_url: str
) -> None:
    if not redis_url.startswith("redis://127.0.0.1:6379"):
        pytest.skip("this test uses the session's cluster: one run is enough")
    audit_dir = tmp_path / "audit"
    server_settings = settings_with(settings, redis_url=redis_cluster_url, audit_dir=audit_dir)
    running = await start_server(server_settings, test_catalog, load_policy())
    screenings: list[str] = []
    try:
        await wait_ready(running, timeout_s=60)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = pb_grpc.ScreeningServiceStub(channel)
            for name in ("Nicolas MADURO MOROS", "Acme Widgets Ltd", "Banco Nacional de Cuba"):
                answer = await stub.Screen(pb.ScreenRequest(party=pb.Party(name=name)))
                screenings.append(answer.screening_id)
            assert answer.decision != pb.DECISION_CLEAR
            parties = [pb.Party(name=f"Tamsin Velleroy {n}", party_reference=f"CL-{n}") for n in range(300)]
            parties.append(pb.Party(name="Nicolas MADURO MOROS", party_reference="CL-HIT"))
            registered = await stub.RegisterParties(pb.RegisterPartiesRequest(parties=parties))
            assert (registered.stored, registered.queued) == (301, 301)
            # The `registered` job gives every party its first state, shards spread over the primaries.
            sample = ["CL-HIT", "CL-0", "CL-7", "CL-150", "CL-299"]
            for _ in range(300):
                states = [await stub.GetParty(pb.GetPartyRequest(party_reference=ref)) for ref in sample]
                if not any(state.screening_queued for state in states):
                    break
                await asyncio.sleep(0.1)
            hit, *clean = states
            assert hit.decision == pb.DECISION_BLOCK and [a.entry_id for a in hit.alerted]
            assert {state.decision for state in clean} == {pb.DECISION_CLEAR}
            recorded = await stub.RecordDisposition(pb.RecordDispositionRequest(
                party_reference="CL-7", list_id="ofac_sdn", entry_id="22790",
                kind=pb.DISPOSITION_KIND_CONFIRMED_MATCH, reason="the listed person",
            ))  # fmt: skip
            assert recorded.version == 1
            kept = await stub.ListDispositions(pb.ListDispositionsRequest(party_reference="CL-7"))
            assert [(d.entry_id, d.version) for d in kept.dispositions] == [("22790", 1)]
    finally:
        await running.stop(2.0)
    connection = await connect(redis_cluster_url, tmp_path)
    try:
        client = connection.client
        registry = PartyRegistry(client, settings.key_prefix)
        assert await registry.count() == 301
        used = {client.get_node_from_key(registry.parties_key(b)).name for b in range(BUCKETS)
                if await client.hlen(registry.parties_key(b))}  # fmt: skip
        assert len(used) == 3  # the registry's data sits on every primary
        # API keys (a WATCH/MULTI over four keys) work there too.
        store = ApiKeyStore(client, settings.key_prefix)
        created = await store.create("cluster-check", ["screener"], "test")
        assert [key.name for key in await store.list()] == [created.key.name]
        trail = AuditTrail(client, settings.key_prefix)
        missing = [sid for sid in screenings if await trail.find(sid, audit_dir) is None]
        assert not missing
    finally:
        keys = [key async for key in connection.client.scan_iter(match=f"{settings.key_prefix}*", count=1000)]
        if keys:
            await connection.client.delete(*keys)
        await connection.close()
