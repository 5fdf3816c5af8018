"""Per-principal fair share (service.auth.limits) against real Redis servers.

Two limiters or stream caps on two separate Redis clients stand for two server
processes. Redis trouble is real too: a client to a closed port (refused) and
to a local TCP server that accepts and never answers (stalled).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import redis.asyncio as aioredis
from structlog.testing import capture_logs

from service.auth.limits import RateLimiter, StreamCaps, lease_size
from service.auth.principal import ADMIN, REVIEWER, SCREENER, Principal
from service.settings import RateLimit, parse_rate_limits
from service.store.connection import open_client

# Also on a real Redis Cluster (tests/conftest.py): these stores' keys must share slots.
ALSO_ON_CLUSTER = True

ERP = Principal("key:erp", frozenset({SCREENER}), "api_key")
OTHER = Principal("key:other", frozenset({SCREENER}), "api_key")


def count_commands(client: aioredis.Redis) -> list[str]:
    """Record the name of every command `client` sends (the client still sends them to the real server)."""
    sent: list[str] = []
    original: Callable[..., Any] = client.execute_command

    async def counting(*args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return await original(*args, **options)

    client.execute_command = counting  # type: ignore[method-assign]
    return sent


@pytest.fixture
async def second_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """Another connection pool to the same server: the second "process" (keys are cleaned by redis_client)."""
    client = open_client(redis_url)
    await client.ping()  # connected (a cluster client learns the slot map), as the service's clients are
    yield client
    await client.aclose()


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A TCP port that accepts connections and never answers: a stalled Redis."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


async def passes(limiter: RateLimiter, principal: Principal, calls: int) -> list[float | None]:
    return [await limiter.acquire(principal) for _ in range(calls)]


# --- rate limit ------------------------------------------------------------------------------------------------


async def test_five_per_minute_refuses_the_sixth_with_a_retry_after(
    redis_client: aioredis.Redis, key_prefix: str
) -> None:
    limiter = RateLimiter(redis_client, key_prefix, parse_rate_limits("screener=5/m"))
    results = await passes(limiter, ERP, 6)
    assert results[:5] == [None] * 5
    assert results[5] is not None and 0 < results[5] <= 12
    # The bucket is shared state in Redis, and another principal has its own.
    assert await redis_client.exists(limiter.key(ERP.name))
    assert await limiter.acquire(OTHER) is None


async def test_limit_holds_across_processes(
    redis_client: aioredis.Redis, second_client: aioredis.Redis, key_prefix: str
) -> None:
    limits = parse_rate_limits("screener=5/m")
    first, second = RateLimiter(redis_client, key_prefix, limits), RateLimiter(second_client, key_prefix, limits)
    results = [await (first if i % 2 else second).acquire(ERP) for i in range(10)]
    assert results[:5] == [None] * 5
    assert all(r is not None and 0 < r <= 12 for r in results[5:])
    # A fresh process has no lease and no cached refusal: Redis still says no.
    third = RateLimiter(second_client, key_prefix, limits)
    wait = await third.acquire(ERP)
    assert wait is not None and 0 < wait <= 12


async def test_tokens_refill_over_time(redis_client: aioredis.Redis, key_prefix: str) -> None:
    limiter = RateLimiter(redis_client, key_prefix, parse_rate_limits("screener=20/s:2"))
    assert await passes(limiter, ERP, 2) == [None, None]
    wait = await limiter.acquire(ERP)
    assert wait is not None and 0 < wait <= 0.05
    await asyncio.sleep(wait + 0.02)
    assert await limiter.acquire(ERP) is None


async def test_several_roles_get_the_most_generous(redis_client: aioredis.Redis, key_prefix: str) -> None:
    limiter = RateLimiter(redis_client, key_prefix, parse_rate_limits("screener=5/m,reviewer=2/s:3"))
    both = Principal("oidc:alice", frozenset({SCREENER, REVIEWER}), "jwt")
    # Max rate (reviewer's 2/s) and max burst (screener's 5), even though no single role has both.
    assert limiter.limit_of(both) == RateLimit(2.0, 5)
    results = await passes(limiter, both, 6)
    assert results[:5] == [None] * 5
    assert results[5] is not None and 0 < results[5] <= 0.5


async def test_a_principal_without_a_limited_role_is_not_limited(redis_client: aioredis.Redis, key_prefix: str) -> None:
    limiter = RateLimiter(redis_client, key_prefix, parse_rate_limits("screener=5/m"))
    admin = Principal("key:ops", frozenset({ADMIN}), "api_key")
    assert limiter.limit_of(admin) is None
    sent = count_commands(redis_client)
    assert await passes(limiter, admin, 50) == [None] * 50
    assert sent == []
    # "off": nobody is limited.
    off = RateLimiter(redis_client, key_prefix, parse_rate_limits("off"))
    assert await passes(off, ERP, 50) == [None] * 50
    assert sent == []


async def test_leases_save_round_trips(redis_client: aioredis.Redis, key_prefix: str) -> None:
    limits = parse_rate_limits("screener=1000/s")
    assert lease_size(limits[SCREENER]) == 50
    limiter = RateLimiter(redis_client, key_prefix, limits)
    await limiter.acquire(OTHER)  # loads the script, so only the leases are counted below
    sent = count_commands(redis_client)
    assert await passes(limiter, ERP, 200) == [None] * 200
    # 4 leases of 50, plus a few more if a lease lapsed on a slow machine.
    assert 4 <= len(sent) <= 20, sent


async def test_concurrent_acquires_share_one_lease_fetch(redis_client: aioredis.Redis, key_prefix: str) -> None:
    limiter = RateLimiter(redis_client, key_prefix, parse_rate_limits("screener=1000/s"))
    await limiter.acquire(OTHER)
    sent = count_commands(redis_client)
    results = await asyncio.gather(*(limiter.acquire(ERP) for _ in range(50)))
    assert results == [None] * 50
    assert len(sent) == 1, sent


async def test_concurrent_acquires_with_a_lease_of_one_stay_exact(
    redis_client: aioredis.Redis, second_client: aioredis.Redis, key_prefix: str
) -> None:
    limits = parse_rate_limits("screener=5/m")
    first, second = RateLimiter(redis_client, key_prefix, limits), RateLimiter(second_client, key_prefix, limits)
    results = await asyncio.gather(*(limiter.acquire(ERP) for limiter in (first, second) * 8))
    assert results.count(None) == 5


async def test_unreachable_redis_falls_back_to_a_local_bucket(key_prefix: str) -> None:
    client = aioredis.from_url("redis://127.0.0.1:1")
    try:
        limiter = RateLimiter(client, key_prefix, parse_rate_limits("screener=5/m"))
        with capture_logs() as logs:
            started = time.perf_counter()
            first = await limiter.acquire(ERP)
            assert time.perf_counter() - started < 0.1
            sent = count_commands(client)
            rest = await passes(limiter, ERP, 5)
        assert [first, *rest][:5] == [None] * 5
        assert rest[4] is not None and 0 < rest[4] <= 12
        # One warning, then Redis is left alone for a while.
        assert [entry["event"] for entry in logs].count("rate_limit_redis_unavailable") == 1
        assert sent == []
    finally:
        await client.aclose()


async def test_stalled_redis_costs_at_most_the_timeout(silent_port: int, key_prefix: str) -> None:
    client = aioredis.from_url(f"redis://127.0.0.1:{silent_port}")
    try:
        limiter = RateLimiter(client, key_prefix, parse_rate_limits("screener=5/m"))
        started = time.perf_counter()
        results = await asyncio.gather(*(limiter.acquire(ERP) for _ in range(6)))
        assert time.perf_counter() - started < 0.15
        assert results.count(None) == 5
    finally:
        await client.aclose()


async def test_without_a_client_the_limit_is_local() -> None:
    limiter = RateLimiter(None, "unused:", parse_rate_limits("screener=20/s:2"))
    assert await passes(limiter, ERP, 2) == [None, None]
    wait = await limiter.acquire(ERP)
    assert wait is not None and 0 < wait <= 0.05


# --- stream caps -----------------------------------------------------------------------------------------------


async def test_stream_cap_holds_across_processes(
    redis_client: aioredis.Redis, second_client: aioredis.Redis, key_prefix: str
) -> None:
    first, second = StreamCaps(redis_client, key_prefix, cap=2), StreamCaps(second_client, key_prefix, cap=2)
    a = await first.open(ERP, "WatchAlerts")
    b = await second.open(ERP, "WatchAlerts")
    assert a is not None and b is not None
    assert await first.open(ERP, "WatchAlerts") is None
    assert await second.open(ERP, "WatchAlerts") is None
    # Caps are per kind and per principal.
    assert await first.open(ERP, "ScreenBatch") is not None
    assert await second.open(OTHER, "WatchAlerts") is not None
    await first.close(a)
    await first.close(a)  # idempotent: frees one slot, not two
    c = await second.open(ERP, "WatchAlerts")
    assert c is not None
    assert await first.open(ERP, "WatchAlerts") is None
    assert await redis_client.zcard(first.key("WatchAlerts", ERP.name)) == 2


async def test_a_ticket_not_renewed_expires(
    redis_client: aioredis.Redis, second_client: aioredis.Redis, key_prefix: str
) -> None:
    crashed = StreamCaps(redis_client, key_prefix, cap=1, ttl_s=0.3)
    assert await crashed.open(ERP, "ScreenBatch") is not None
    other = StreamCaps(second_client, key_prefix, cap=1, ttl_s=0.3)
    assert await other.open(ERP, "ScreenBatch") is None
    await asyncio.sleep(0.35)
    assert await other.open(ERP, "ScreenBatch") is not None


async def test_run_keeps_tickets_alive(
    redis_client: aioredis.Redis, second_client: aioredis.Redis, key_prefix: str
) -> None:
    alive = StreamCaps(redis_client, key_prefix, cap=1, ttl_s=0.3)
    ticket = await alive.open(ERP, "WatchAlerts")
    assert ticket is not None
    stopping = asyncio.Event()
    heartbeat = asyncio.create_task(alive.run(stopping))
    try:
        other = StreamCaps(second_client, key_prefix, cap=1, ttl_s=0.3)
        await asyncio.sleep(0.7)  # over twice the ttl
        assert await other.open(ERP, "WatchAlerts") is None
        await alive.close(ticket)
        assert await other.open(ERP, "WatchAlerts") is not None
    finally:
        stopping.set()
        await asyncio.wait_for(heartbeat, 1.0)


async def test_renew_adds_back_an_expired_ticket_of_an_open_stream(
    redis_client: aioredis.Redis, key_prefix: str
) -> None:
    caps = StreamCaps(redis_client, key_prefix, cap=1, ttl_s=0.3)
    ticket = await caps.open(ERP, "WatchAlerts")
    assert ticket is not None
    await asyncio.sleep(0.35)  # as if this process had been cut off from Redis for longer than the ttl
    await caps.renew()
    assert await redis_client.zscore(ticket.key, ticket.id) is not None
    assert await caps.open(ERP, "WatchAlerts") is None


async def test_stream_caps_count_locally_without_redis(silent_port: int, key_prefix: str) -> None:
    stalled = aioredis.from_url(f"redis://127.0.0.1:{silent_port}")
    try:
        for client in (stalled, None):
            caps = StreamCaps(client, key_prefix, cap=2)
            started = time.perf_counter()
            tickets = [await caps.open(ERP, "ScreenBatch") for _ in range(3)]
            assert time.perf_counter() - started < 0.1
            assert tickets[0] is not None and tickets[1] is not None and tickets[2] is None
            await caps.close(tickets[0])
            assert await caps.open(ERP, "ScreenBatch") is not None
            await caps.renew()  # nothing to renew without Redis; must not raise
    finally:
        await stalled.aclose()
