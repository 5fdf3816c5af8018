"""Screening never waits on Redis: a paused, killed or busy Redis costs no screening.

A real server runs against a private redis-server (tests/redis_support.py) that
the test pauses with SIGSTOP (it keeps its connections and answers nothing) and
kills; dispositions are applied from memory meanwhile, and the responses say
they may be out of date. Many idle alert streams hold no connection of the
request path.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import msgspec
import pytest
import redis.asyncio as aioredis

from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from service.catalog import Catalog
from service.decide.policy import load_policy
from service.dispositions.cache import DispositionCache
from service.dispositions.store import DispositionKind, DispositionStore
from service.grpc_door.server import RunningServer, start_server
from service.settings import Settings
from tests.conftest import wait_ready
from tests.redis_support import PrivateRedis

MADURO = pb.ScreenRequest(party=pb.Party(name="Nicolas MADURO MOROS", party_reference="BP-7"))
UNLISTED = pb.ScreenRequest(party=pb.Party(name="Johanna Pemberton-Whitcombe", party_reference="BP-8"))


@pytest.fixture
async def server(
    settings: Settings, test_catalog: Catalog, private_redis: PrivateRedis, tmp_path: Path
) -> AsyncIterator[RunningServer]:
    running = await start_server(
        dataclasses.replace(settings, redis_url=private_redis.url, audit_dir=tmp_path / "audit", drain_seconds=0.5),
        test_catalog,
        load_policy(),
    )
    await wait_ready(running)
    yield running
    private_redis.resume()  # a stopped server would make the drain wait for its timeouts
    await running.stop(0.5)


async def confirm_maduro(stub: pb_grpc.ScreeningServiceStub) -> None:
    await stub.RecordDisposition(
        pb.RecordDispositionRequest(
            party_reference="BP-7", list_id="ofac_sdn", entry_id="22790", kind=pb.DISPOSITION_KIND_CONFIRMED_MATCH,
            reason="Passport number agrees.",
        )
    )  # fmt: skip


async def until(condition, timeout_s: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout_s / 0.1)):
        if await condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached in time")


async def test_a_paused_redis_costs_no_screening_and_responses_say_dispositions_may_be_stale(
    server: RunningServer, private_redis: PrivateRedis
) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = pb_grpc.ScreeningServiceStub(channel)
        await confirm_maduro(stub)
        private_redis.pause()
        try:
            for _ in range(3):  # at once, before anything noticed that Redis is gone
                listed, unlisted = await stub.Screen(MADURO, timeout=1.0), await stub.Screen(UNLISTED, timeout=1.0)
                assert listed.decision == pb.DECISION_BLOCK and unlisted.decision == pb.DECISION_CLEAR
                assert "confirmed as a match by anonymous" in listed.matches[0].disposition_note

            async def warned() -> bool:
                response = await stub.Screen(MADURO, timeout=1.0)
                return any("reviewer dispositions" in warning for warning in response.warnings)

            await until(warned)
            unlisted = await stub.Screen(UNLISTED, timeout=1.0)
            assert not unlisted.warnings  # no disposition applied, nothing to warn about

            # What needs Redis says so plainly.
            with pytest.raises(grpc.aio.AioRpcError) as needs_redis:
                await stub.GetParty(pb.GetPartyRequest(party_reference="BP-7"), timeout=15)
            assert needs_redis.value.code() == grpc.StatusCode.UNAVAILABLE
            assert "Redis" in needs_redis.value.details() and "Error" not in needs_redis.value.details()
        finally:
            private_redis.resume()

        async def current() -> bool:
            response = await stub.Screen(MADURO, timeout=1.0)
            return not response.warnings

        await until(current)


async def test_a_killed_and_restarted_redis_costs_no_screening(
    server: RunningServer, private_redis: PrivateRedis
) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = pb_grpc.ScreeningServiceStub(channel)
        await confirm_maduro(stub)
        private_redis.save_and_kill()
        for _ in range(20):
            listed = await stub.Screen(MADURO, timeout=1.0)
            assert listed.decision == pb.DECISION_BLOCK and listed.matches[0].disposition_note
            assert (await stub.Screen(UNLISTED, timeout=1.0)).decision == pb.DECISION_CLEAR
            await asyncio.sleep(0.05)
        private_redis.start()

        async def current() -> bool:
            response = await stub.Screen(MADURO, timeout=1.0)
            return not response.warnings and "confirmed" in response.matches[0].disposition_note

        await until(current)


async def test_many_idle_alert_streams_hold_no_connection_of_the_request_path(
    server: RunningServer, private_redis: PrivateRedis
) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = pb_grpc.ScreeningServiceStub(channel)
        streams = [stub.WatchAlerts(pb.WatchAlertsRequest(after_id="$")) for _ in range(200)]
        try:
            await asyncio.gather(*(stream.initial_metadata() for stream in streams))
            await confirm_maduro(stub)
            for _ in range(20):
                assert (await stub.Screen(MADURO, timeout=2.0)).decision == pb.DECISION_BLOCK
            client = aioredis.from_url(private_redis.url)
            try:
                connected = int((await client.info("clients"))["connected_clients"])
            finally:
                await client.aclose()
            assert connected < 30, f"{connected} Redis connections for 200 idle streams"
        finally:
            for stream in streams:
                stream.cancel()


async def test_the_cache_follows_changes_made_by_other_processes(
    redis_client: aioredis.Redis, redis_url: str, key_prefix: str
) -> None:
    elsewhere = DispositionStore(redis_client, key_prefix)
    await elsewhere.record(
        "ref:BP-1", "ofac_sdn", "306", "h1", DispositionKind.CONFIRMED_MATCH, "before start", "key:alice"
    )
    follower = aioredis.from_url(redis_url)
    cache = DispositionCache(DispositionStore(aioredis.from_url(redis_url), key_prefix), follower=follower)
    await cache.load()
    assert set(cache.active_for("ref:BP-1", [("ofac_sdn", "306")])) == {("ofac_sdn", "306")}
    stopping = asyncio.Event()
    task = asyncio.create_task(cache.follow(stopping))
    try:
        await elsewhere.record(
            "ref:BP-2", "ofac_sdn", "22790", "h2", DispositionKind.FALSE_POSITIVE, "other process", "key:bob"
        )
        await elsewhere.revoke("ref:BP-1", "ofac_sdn", "306", "key:bob", "withdrawn")

        async def followed() -> bool:
            return bool(cache.active_for("ref:BP-2", [("ofac_sdn", "22790")])) and not cache.active_for(
                "ref:BP-1", [("ofac_sdn", "306")]
            )

        await until(followed, 10)
        # A change is applied only if it is not older than what is held.
        newest = cache.active_for("ref:BP-2", [("ofac_sdn", "22790")])[("ofac_sdn", "22790")]
        cache.apply(msgspec.structs.replace(newest, version=newest.version - 1, reason="stale copy"))
        assert cache.active_for("ref:BP-2", [("ofac_sdn", "22790")])[("ofac_sdn", "22790")].reason == "other process"
        assert cache.stale_warning == ""
    finally:
        stopping.set()
        await task
        await follower.aclose()
