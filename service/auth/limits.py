"""Per-principal fair share: a token bucket per caller and a cap on its open streams.

Both are shared by every server process through Redis, and both keep working,
per process, when Redis does not answer.

Rate limit. A principal's limit is the most generous of its roles' (max rate,
max burst); a principal none of whose roles is limited is not limited. The
bucket lives in Redis, in server time (`TIME`, so processes with skewed clocks
agree), and a Lua script refills it and takes tokens atomically. A Redis round
trip on every call would cost more than authentication may add to a 1 ms call,
so a process takes tokens in small leases (about 50 ms of the rate, at most a
tenth of the burst, at least 1) and spends them locally; unspent ones lapse
after 250 ms, so no process sits on a window's capacity. Small limits get a
lease of 1 and are therefore exact across processes. Concurrent calls of one
principal share one lease fetch. When Redis says "no token for N ms", the
process refuses locally until then without asking again: nobody can add tokens
to a bucket but time.

Stream caps. A principal may hold at most `cap` open streams of each kind
(WatchAlerts, ScreenBatch). Each open stream is a ticket in a sorted set scored
by its expiry (server time); a process renews the tickets it holds every ttl/3,
so a crashed process's streams free their slots within ttl.

Redis trouble never fails or stalls a call: every Redis call has a 50 ms
timeout; on timeout or error the process logs one warning
(`rate_limit_redis_unavailable`), counts locally (its own token bucket per
principal, the streams it holds itself) and leaves Redis alone for 5 s.
With no client at all both are local only.

Redis layout (prefix = SCREENING_KEY_PREFIX):

    {prefix}ratelimit:{principal}        hash  tokens (float), ts (ms, Redis TIME);
                                               expires once the bucket would be full again
    {prefix}streams:{kind}:{principal}   zset  ticket id (uuid) -> expiry (ms, Redis TIME);
                                               expires with its last ticket
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import redis.asyncio as aioredis
import structlog

from service.auth.principal import Principal
from service.settings import RateLimit
from service.store.keyspace import load_scripts

log = structlog.get_logger(__name__)

T = TypeVar("T")

# A Redis call slower than this is treated as Redis being unavailable.
REDIS_TIMEOUT_S = 0.05
# After Redis trouble, how long a process counts locally before trying Redis again.
REDIS_RETRY_S = 5.0
# Leased tokens not spent within this lapse (they are not given back).
LEASE_TTL_S = 0.25
# How often idle per-principal state is dropped, so many one-off principals do not accumulate.
SWEEP_EVERY_S = 30.0

# KEYS[1]: the bucket. ARGV: tokens per second, burst, tokens wanted.
# Returns {granted, wait_ms}: wait_ms (> 0) until the next token when none was granted, else 0.
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
elseif now > ts then
  tokens = tokens + (now - ts) * rate / 1000
end
-- Also clamps a bucket left fuller by a more generous limit before a configuration change.
if tokens > burst then tokens = burst end
local granted = math.min(want, math.floor(tokens))
local wait = 0
if granted > 0 then
  tokens = tokens - granted
else
  wait = math.max(1, math.ceil((1 - tokens) * 1000 / rate))
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
-- A bucket that has gone untouched until full again is the same as no bucket.
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)
return {granted, wait}
"""

# KEYS[1]: the principal's streams of one kind. ARGV: cap, ttl ms, ticket id. Returns 1 opened, 0 refused.
_OPEN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
"""

# KEYS[1]: the principal's streams of one kind. ARGV: ttl ms, ticket id.
# Adds the ticket back if it had expired (this process was cut off from Redis for
# longer than ttl, or opened it while Redis was away): the stream is open, so it counts.
_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
"""


def lease_size(limit: RateLimit) -> int:
    """Tokens a process takes from Redis at a time: ~50 ms of the rate, at most a tenth of the burst, at least 1."""
    return max(1, min(limit.burst // 10, math.ceil(limit.per_second * 0.05)))


def limit_for(roles: frozenset[str], limits: Mapping[str, RateLimit]) -> RateLimit | None:
    """The most generous limit over `roles` (max rate, max burst); None when no role is limited."""
    mine = [limits[role] for role in roles if role in limits]
    if not mine:
        return None
    return RateLimit(max(limit.per_second for limit in mine), max(limit.burst for limit in mine))


class _RedisGate:
    """Whether to use Redis now: a timeout on every call, and 5 s of local counting after trouble."""

    def __init__(self, client: aioredis.Redis | None, component: str) -> None:
        self.client = client
        self._component = component
        self._retry_at = 0.0
        # Set while Redis is considered unavailable: one warning per outage, not one per retry.
        self._down = False

    def usable(self, now: float) -> bool:
        return self.client is not None and now >= self._retry_at

    async def call(self, awaitable: Awaitable[T]) -> T:
        result = await asyncio.wait_for(awaitable, REDIS_TIMEOUT_S)
        if self._down:
            self._down = False
            log.info("rate_limit_redis_available", component=self._component)
        return result

    def failed(self, exc: BaseException) -> None:
        self._retry_at = time.monotonic() + REDIS_RETRY_S
        if not self._down:
            self._down = True
            log.warning(
                "rate_limit_redis_unavailable",
                component=self._component,
                error=repr(exc),
                retry_in_s=REDIS_RETRY_S,
                note="counting per process until Redis answers again",
            )


@dataclass(slots=True)
class _Lease:
    """Tokens this process took from a principal's shared bucket, and what Redis last said."""

    tokens: int = 0
    expires: float = 0.0  # monotonic
    # Redis said no token before this (monotonic): refuse locally until then.
    refused_until: float = 0.0
    fetch: asyncio.Task[None] | None = None


@dataclass(slots=True)
class _LocalBucket:
    """A principal's token bucket in this process, used while Redis is unavailable."""

    tokens: float
    stamp: float  # monotonic
    full_at: float = 0.0

    def take(self, limit: RateLimit, now: float) -> float | None:
        self.tokens = min(float(limit.burst), self.tokens + (now - self.stamp) * limit.per_second)
        self.stamp = now
        wait = None
        if self.tokens >= 1:
            self.tokens -= 1
        else:
            wait = (1 - self.tokens) / limit.per_second
        self.full_at = now + (limit.burst - self.tokens) / limit.per_second
        return wait


class RateLimiter:
    """A token bucket per principal name, shared by every process through Redis (see the module docstring)."""

    def __init__(self, client: aioredis.Redis | None, prefix: str, limits: Mapping[str, RateLimit]) -> None:
        self._prefix = prefix
        self._limits = dict(limits)
        self._gate = _RedisGate(client, "rate_limiter")
        self._take = client.register_script(_TAKE) if client is not None else None
        self._by_roles: dict[frozenset[str], RateLimit | None] = {}
        self._leases: dict[str, _Lease] = {}
        self._local: dict[str, _LocalBucket] = {}
        self._next_sweep = time.monotonic() + SWEEP_EVERY_S

    def key(self, principal_name: str) -> str:
        return f"{self._prefix}ratelimit:{principal_name}"

    async def prepare(self) -> None:
        """Load the script before the first call: that call has REDIS_TIMEOUT_S, not time for a script load."""
        if self._take is not None:
            await load_scripts(self._take.registered_client, self._take)

    def limit_of(self, principal: Principal) -> RateLimit | None:
        """The principal's limit (the most generous of its roles'), or None: not limited."""
        try:
            return self._by_roles[principal.roles]
        except KeyError:
            limit = self._by_roles[principal.roles] = limit_for(principal.roles, self._limits)
            return limit

    async def acquire(self, principal: Principal) -> float | None:
        """None: the call may proceed; else the seconds until a token will be available (retry-after)."""
        if not self._limits:
            return None
        limit = self.limit_of(principal)
        if limit is None:
            return None
        now = time.monotonic()
        if now >= self._next_sweep:
            self._sweep(now)
        # The common case at high rates: a token from the current lease, no await.
        lease = self._leases.get(principal.name)
        if lease is not None and lease.tokens and now < lease.expires:
            lease.tokens -= 1
            return None
        if not self._gate.usable(now):
            return self._local_take(principal.name, limit, now)
        if lease is None:
            lease = self._leases[principal.name] = _Lease()
        while True:
            if lease.tokens and now < lease.expires:
                lease.tokens -= 1
                return None
            if now < lease.refused_until:
                return lease.refused_until - now
            if lease.fetch is None:
                lease.fetch = asyncio.ensure_future(self._fetch(principal.name, limit, lease))
            # Shielded: a caller that gives up must not cancel the fetch the others wait for.
            await asyncio.shield(lease.fetch)
            now = time.monotonic()
            if not self._gate.usable(now):
                return self._local_take(principal.name, limit, now)
            # Loop: take from the new lease, or learn the wait, or (others took the lease first) fetch again.

    async def _fetch(self, name: str, limit: RateLimit, lease: _Lease) -> None:
        assert self._take is not None
        try:
            granted, wait_ms = await self._gate.call(
                self._take(keys=[self.key(name)], args=[limit.per_second, limit.burst, lease_size(limit)])
            )
        except Exception as exc:  # noqa: BLE001 - whatever Redis does, the call goes on with the local bucket
            self._gate.failed(exc)
            return
        finally:
            lease.fetch = None
        now = time.monotonic()
        if int(granted) > 0:
            lease.tokens, lease.expires = int(granted), now + LEASE_TTL_S
        else:
            lease.refused_until = now + int(wait_ms) / 1000

    def _local_take(self, name: str, limit: RateLimit, now: float) -> float | None:
        bucket = self._local.get(name)
        if bucket is None:
            bucket = self._local[name] = _LocalBucket(float(limit.burst), now)
        return bucket.take(limit, now)

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + SWEEP_EVERY_S
        idle = [name for name, lease in self._leases.items()
                if lease.fetch is None and now >= lease.expires and now >= lease.refused_until]  # fmt: skip
        for name in idle:
            del self._leases[name]
        for name in [name for name, bucket in self._local.items() if now >= bucket.full_at]:
            del self._local[name]


@dataclass(frozen=True, slots=True)
class StreamTicket:
    """One open stream's slot; give it back with `StreamCaps.close`."""

    id: str
    kind: str
    principal: str
    key: str


class StreamCaps:
    """At most `cap` open streams of each kind per principal, across all processes (see the module docstring)."""

    def __init__(self, client: aioredis.Redis | None, prefix: str, cap: int, ttl_s: float = 60.0) -> None:
        if cap < 1:
            raise ValueError(f"cap must be at least 1, not {cap}")
        self._prefix = prefix
        self._cap = cap
        self._ttl_ms = max(1, round(ttl_s * 1000))
        self._ttl_s = ttl_s
        self._gate = _RedisGate(client, "stream_caps")
        self._open_script = client.register_script(_OPEN) if client is not None else None
        self._renew_script = client.register_script(_RENEW) if client is not None else None
        # A cluster pipeline sends EVALSHA with no fallback: the script is loaded on every primary first.
        self._renew_loaded = False
        # The tickets this process holds (renewed by `run`), and how many per key (the local count).
        self._held: dict[str, StreamTicket] = {}
        self._counts: Counter[str] = Counter()

    def key(self, kind: str, principal_name: str) -> str:
        return f"{self._prefix}streams:{kind}:{principal_name}"

    async def prepare(self) -> None:
        """Load the scripts before the first stream opens (see RateLimiter.prepare)."""
        if self._open_script is not None and self._renew_script is not None:
            await load_scripts(self._open_script.registered_client, self._open_script, self._renew_script)
            self._renew_loaded = True

    async def open(self, principal: Principal, kind: str) -> StreamTicket | None:
        """A ticket for a new stream of `kind` ("WatchAlerts", "ScreenBatch"); None: `cap` are already open."""
        ticket = StreamTicket(uuid.uuid4().hex, kind, principal.name, self.key(kind, principal.name))
        if self._gate.usable(time.monotonic()):
            assert self._open_script is not None
            try:
                opened = await self._gate.call(
                    self._open_script(keys=[ticket.key], args=[self._cap, self._ttl_ms, ticket.id])
                )
            except Exception as exc:  # noqa: BLE001 - Redis trouble never refuses a stream by itself
                self._gate.failed(exc)
            else:
                if not int(opened):
                    return None
                self._hold(ticket)
                return ticket
        # Counted in this process only. If Redis ran the script after all, the ticket is renewed like any other.
        if self._counts[ticket.key] >= self._cap:
            return None
        self._hold(ticket)
        return ticket

    async def close(self, ticket: StreamTicket) -> None:
        """Give the ticket's slot back (again: nothing)."""
        if self._held.pop(ticket.id, None) is None:
            return
        self._counts[ticket.key] -= 1
        if self._counts[ticket.key] <= 0:
            del self._counts[ticket.key]
        if not self._gate.usable(time.monotonic()):
            return  # not renewed any more: it expires within ttl
        assert self._gate.client is not None
        try:
            await self._gate.call(self._gate.client.zrem(ticket.key, ticket.id))
        except Exception as exc:  # noqa: BLE001 - the ticket expires within ttl anyway
            self._gate.failed(exc)

    async def run(self, stopping: asyncio.Event) -> None:
        """Renew this process's tickets every ttl/3 until `stopping` is set."""
        interval = self._ttl_s / 3
        while True:
            try:
                await asyncio.wait_for(stopping.wait(), interval)
                return
            except TimeoutError:
                await self.renew()

    async def renew(self) -> None:
        """Push the expiry of every ticket this process holds to now + ttl, in one pipeline."""
        tickets = list(self._held.values())
        if not tickets or not self._gate.usable(time.monotonic()):
            return
        client = self._gate.client
        assert client is not None and self._renew_script is not None
        try:
            if not self._renew_loaded:
                await self._gate.call(load_scripts(client, self._renew_script))
                self._renew_loaded = True
            async with client.pipeline(transaction=False) as pipe:
                for ticket in tickets:
                    await self._renew_script(keys=[ticket.key], args=[self._ttl_ms, ticket.id], client=pipe)
                await self._gate.call(pipe.execute())
            # A stream closed while the pipeline was under way must not stay added back.
            closed = [ticket for ticket in tickets if ticket.id not in self._held]
            if closed:
                async with client.pipeline(transaction=False) as pipe:
                    for ticket in closed:
                        pipe.zrem(ticket.key, ticket.id)
                    await self._gate.call(pipe.execute())
        except Exception as exc:  # noqa: BLE001 - tickets not renewed now are renewed next time, or expire
            self._gate.failed(exc)

    def _hold(self, ticket: StreamTicket) -> None:
        self._held[ticket.id] = ticket
        self._counts[ticket.key] += 1
