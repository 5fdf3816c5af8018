"""The write-behind audit writer: records reach the stream in batches, and files when Redis fails."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import redis.asyncio as aioredis

from service.audit.record import AuditRecord
from service.audit.trail import AuditTrail, read_exported
from service.audit.writer import AuditWriter


def record(n: int) -> AuditRecord:
    return AuditRecord(
        screening_id=f"s-{n}", screened_at=datetime.now(UTC), caller="test", request_id=f"r-{n}",
        party_fingerprint="f" * 16, party=None, context={}, list_versions={"ofac_sdn": "v1"},
        policy_version="p", matcher_version="m", matches=(), reasons=(), decision="CLEAR", latency_ms=0.5,
    )  # fmt: skip


async def test_queued_records_reach_the_stream_in_order_and_flush_empties_the_queue(
    redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    trail = AuditTrail(redis_client, key_prefix)
    writer = AuditWriter(trail, tmp_path, batch=7)
    stopping = asyncio.Event()
    task = asyncio.create_task(writer.run(stopping))
    for n in range(50):
        await writer.submit(record(n))
    await asyncio.sleep(0.2)
    stopping.set()
    await task
    for n in range(50, 60):  # queued after the loop stopped: only flush() sends them
        await writer.submit(record(n))
    await writer.flush()
    entries = await redis_client.xrange(trail.stream_key)
    assert [fields[b"screening_id"].decode() for _, fields in entries] == [f"s-{n}" for n in range(60)]
    assert (writer.written, writer.spilled) == (60, 0)


async def test_records_go_to_the_files_when_redis_keeps_failing(tmp_path: Path) -> None:
    dead = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)  # nothing listens on port 1
    writer = AuditWriter(AuditTrail(dead, "test:"), tmp_path / "audit")
    for n in range(3):
        await writer.submit(record(n))
    await writer.flush()
    await dead.aclose()
    assert writer.spilled == 3
    assert [r.screening_id for r in read_exported(tmp_path / "audit")] == ["s-0", "s-1", "s-2"]
