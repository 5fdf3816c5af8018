"""Gauges read from state rather than counted as things happen: lists, audit queue, re-screening.

Each server process samples every SAMPLE_SECONDS (and once at start): the lists as
GetListStatus reports them, its audit writer's queues, the exporters' lag and the
re-screening backlog from Redis. A failed read leaves the last values and is counted
as a Redis error: the sampler never stops.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from service.api.convert import list_status_to_proto
from service.api.gen import screening_pb2 as pb
from service.audit.trail import DEFAULT_GROUP, AuditTrail
from service.audit.writer import AuditWriter
from service.catalog import Catalog
from service.engine.loader import ListLoader
from service.metrics import (
    AUDIT_EXPORT_LAG,
    AUDIT_QUEUED,
    AUDIT_UNCONFIRMED,
    LIST_AGE,
    LIST_ENTRIES,
    LIST_LOADED,
    LIST_MAX_AGE,
    LIST_STATE,
    REDIS_ERRORS,
    RESCREEN_JOBS_RUNNING,
    RESCREEN_SHARDS_PENDING,
)
from service.rescreen.jobs import GROUP as RESCREEN_GROUP
from service.rescreen.jobs import Jobs
from service.store.snapshots import SnapshotStore

log = structlog.get_logger(__name__)

SAMPLE_SECONDS = 5.0
_STATES = {
    pb.LIST_STATE_NOT_LOADED: "not_loaded",
    pb.LIST_STATE_CURRENT: "current",
    pb.LIST_STATE_STALE: "stale",
    pb.LIST_STATE_UPDATE_FAILED: "update_failed",
}


async def sample_lists(catalog: Catalog, store: SnapshotStore, loader: ListLoader) -> None:
    state = loader.state
    loaded = state.versions if state else {}
    now = datetime.now(UTC)
    for list_id, spec in catalog.lists.items():
        status = list_status_to_proto(
            spec, await store.current(list_id), await store.status(list_id), loaded.get(list_id), now
        )
        for value, name in _STATES.items():
            LIST_STATE.labels(list_id, name).set(1 if status.state == value else 0)
        LIST_ENTRIES.labels(list_id).set(status.entry_count)
        LIST_LOADED.labels(list_id).set(1 if status.loaded else 0)
        LIST_MAX_AGE.labels(list_id).set(status.max_age.ToTimedelta().total_seconds())
        if status.HasField("age"):
            LIST_AGE.labels(list_id).set(status.age.ToTimedelta().total_seconds())


async def _group_backlog(client: aioredis.Redis, stream: str, group: str) -> int | None:
    """Entries of `stream` the consumer group has not finished: pending plus not yet delivered (Redis 7's lag)."""
    groups = await client.xinfo_groups(stream)
    for found in groups:
        name = found.get("name")
        if (name.decode() if isinstance(name, bytes) else name) == group:
            lag = found.get("lag")
            return int(found.get("pending", 0)) + (int(lag) if lag is not None else 0)
    return None


async def sample_queues(audit: AuditWriter, trail: AuditTrail, jobs: Jobs, client: aioredis.Redis) -> None:
    AUDIT_QUEUED.set(audit.queued)
    AUDIT_UNCONFIRMED.set(audit.unconfirmed)
    with contextlib.suppress(RedisError):  # no stream or no group yet: nothing is behind
        lag = await _group_backlog(client, trail.stream_key, DEFAULT_GROUP)
        AUDIT_EXPORT_LAG.set(lag or 0)
    with contextlib.suppress(RedisError):
        pending = await _group_backlog(client, jobs.shards_key, RESCREEN_GROUP)
        RESCREEN_SHARDS_PENDING.set(pending or 0)
    RESCREEN_JOBS_RUNNING.set(sum(1 for info in await jobs.recent(100) if info.state == "running"))


async def run_sampler(
    stopping: asyncio.Event,
    catalog: Catalog,
    store: SnapshotStore,
    loader: ListLoader,
    audit: AuditWriter,
    trail: AuditTrail,
    jobs: Jobs,
    ready: asyncio.Event | None = None,
) -> None:
    """`ready`: set once the lists are loaded; the lists are sampled at once then, not up to
    SAMPLE_SECONDS later (a scrape right after start would miss their age)."""
    waiting_for_lists = ready is not None and not ready.is_set()
    while not stopping.is_set():
        try:
            await sample_lists(catalog, store, loader)
            await sample_queues(audit, trail, jobs, store.client)
        except (RedisError, OSError) as exc:
            REDIS_ERRORS.labels("metrics_sample").inc()
            log.warning("metrics_sample_failed", error=type(exc).__name__)
        except Exception:
            log.exception("metrics_sample_crashed")
        wake = [asyncio.ensure_future(stopping.wait())]
        if waiting_for_lists and ready is not None:
            wake.append(asyncio.ensure_future(ready.wait()))
        _, pending = await asyncio.wait(wake, timeout=SAMPLE_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        for waiter in pending:
            waiter.cancel()
        waiting_for_lists = waiting_for_lists and ready is not None and not ready.is_set()
