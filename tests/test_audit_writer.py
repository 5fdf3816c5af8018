"""The write-behind audit writer: records reach the stream in batches, and files when Redis fails
or restarts without what the exporters had not yet written."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import redis.asyncio as aioredis

from service.audit.record import AuditRecord
from service.audit.trail import AuditExporter, AuditTrail, read_exported
from service.audit.writer import AuditWriter
from tests.redis_support import PrivateRedis


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


async def send(writer: AuditWriter, records: list[AuditRecord]) -> None:
    await writer.submit_many(records)
    await writer.flush()


async def test_records_are_kept_until_an_exporter_has_acknowledged_them(
    redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    trail = AuditTrail(redis_client, key_prefix)
    exporter = AuditExporter(redis_client, tmp_path / "files", key_prefix)
    await exporter.export_once()  # creates the consumer group, as every server's exporter does
    writer = AuditWriter(trail, tmp_path / "spill")
    await send(writer, [record(n) for n in range(5)])
    assert writer.unconfirmed == 5
    assert await writer.confirm() and writer.unconfirmed == 5  # in the stream, not yet in a file
    assert await exporter.export_once() == 5
    assert await writer.confirm() and writer.unconfirmed == 0
    assert not (tmp_path / "spill").exists()  # nothing went to the files twice


async def test_a_pending_entry_holds_back_the_records_after_it(
    redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    trail = AuditTrail(redis_client, key_prefix)
    exporter = AuditExporter(redis_client, tmp_path / "files", key_prefix)
    await exporter.export_once()
    writer = AuditWriter(trail, tmp_path / "spill")
    await send(writer, [record(n) for n in range(4)])
    # An exporter that took the first two and died before acknowledging them.
    await redis_client.xreadgroup("audit-exporters", "dead", {trail.stream_key: ">"}, count=2)
    assert await writer.confirm() and writer.unconfirmed == 4
    frontier = await trail.exported_through()
    assert frontier is not None and frontier.lowest_pending is not None


async def test_records_a_restarted_redis_lost_are_appended_to_the_files(
    private_redis: PrivateRedis, tmp_path: Path
) -> None:
    client = aioredis.from_url(private_redis.url, socket_connect_timeout=0.5, socket_timeout=1.0)
    try:
        trail = AuditTrail(client, "test:")
        exporter = AuditExporter(client, tmp_path / "files", "test:")
        await exporter.export_once()
        writer = AuditWriter(trail, tmp_path / "files")
        await send(writer, [record(n) for n in range(3)])
        assert await exporter.export_once() == 3
        await send(writer, [record(n) for n in range(3, 8)])  # in the stream, not exported
        assert await writer.confirm() and writer.unconfirmed == 5
        private_redis.kill()  # no snapshot: the stream and the group are gone
        assert not await writer.confirm()  # cannot ask: keeps everything
        assert writer.unconfirmed == 5
        private_redis.start()
        assert await writer.confirm()  # a new server: what the old one held unexported goes to the files
        assert (writer.recovered, writer.unconfirmed) == (5, 0)
        await send(writer, [record(8)])
        assert await writer.confirm() and (writer.recovered, writer.unconfirmed) == (5, 1)
        await exporter.export_once()
        assert sorted(r.screening_id for r in read_exported(tmp_path / "files")) == sorted(f"s-{n}" for n in range(9))
    finally:
        await client.aclose()


async def test_records_redis_cannot_vouch_for_at_shutdown_go_to_the_files(
    private_redis: PrivateRedis, tmp_path: Path
) -> None:
    client = aioredis.from_url(private_redis.url, socket_connect_timeout=0.5, socket_timeout=1.0)
    try:
        writer = AuditWriter(AuditTrail(client, "test:"), tmp_path / "files")
        await send(writer, [record(n) for n in range(3)])
        private_redis.kill()
        await writer.flush()
        assert writer.recovered == 3 and writer.unconfirmed == 0
        assert [r.screening_id for r in read_exported(tmp_path / "files")] == ["s-0", "s-1", "s-2"]
    finally:
        await client.aclose()


async def test_beyond_the_retention_bound_the_oldest_go_to_the_files(
    redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    writer = AuditWriter(AuditTrail(redis_client, key_prefix), tmp_path / "spill", max_retained=3)
    await send(writer, [record(n) for n in range(5)])  # no exporter at all
    assert (writer.unconfirmed, writer.recovered) == (3, 2)
    assert [r.screening_id for r in read_exported(tmp_path / "spill")] == ["s-0", "s-1"]


async def test_flush_also_waits_for_the_batch_the_send_loop_is_holding(
    redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    trail = AuditTrail(redis_client, key_prefix)
    writer = AuditWriter(trail, tmp_path)
    stopping = asyncio.Event()
    task = asyncio.create_task(writer.run(stopping))
    try:
        await writer.submit(record(1))
        await asyncio.sleep(0.001)  # the loop takes it and lingers (5 ms) for company
        await writer.flush()
        assert [fields[b"screening_id"] for _, fields in await redis_client.xrange(trail.stream_key)] == [b"s-1"]
    finally:
        stopping.set()
        await task
