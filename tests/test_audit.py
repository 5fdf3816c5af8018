"""Audit trail storage: the bounded stream, the exporter to JSON Lines files, replay lookup."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from service.audit.record import AuditMatch, AuditReason, AuditRecord, decode, encode
from service.audit.trail import AuditExporter, AuditTrail, append_records, exported_files, read_exported

# Also on a real Redis Cluster (tests/conftest.py): these stores' keys must share slots.
ALSO_ON_CLUSTER = True


def make_record(n: int = 0, party: dict[str, Any] | None = None, screened_at: datetime | None = None) -> AuditRecord:
    return AuditRecord(
        screening_id=f"scr-{uuid.uuid4().hex}-{n}",
        screened_at=screened_at or datetime.now(UTC),
        caller="ipv4:127.0.0.1:50000",
        request_id=f"req-{n}",
        party_fingerprint="0123456789abcdef",
        party=party,
        context={"direction": "EXPORT", "role": "CONSIGNEE", "countries": ["RU"], "items": [{"eccn": "3A001"}]},
        list_versions={"ofac_sdn": "v1", "bis_entity": "v7"},
        policy_version="policy-3",
        matcher_version="matcher-2",
        matches=(
            AuditMatch("ofac_sdn", "123", "h123", 0.97, "ACME TRADING"),
            AuditMatch("bis_entity", "9", "h9", 0.91, "ACME", suppressed_by="disposition d-1: cleared"),
        ),
        reasons=(AuditReason("BLOCK", "SDN_MATCH", "rule-1", "ofac_sdn", "123"),),
        decision="BLOCK",
        latency_ms=1.5 + n,
    )


def today_file(directory: Path) -> Path:
    return directory / f"audit-{datetime.now(UTC).date().isoformat()}.jsonl"


def file_ids(path: Path) -> list[str]:
    return [decode(line).screening_id for line in path.read_bytes().splitlines()]


async def pending_count(client: aioredis.Redis, key: str, group: str = "audit-exporters") -> int:
    return (await client.xpending(key, group))["pending"]


def test_record_round_trips_with_and_without_party() -> None:
    for party in (None, {"names": [{"value": "Acme Trading LLC"}], "countries": ["RU"], "entity_type": "ORGANIZATION"}):
        record = make_record(party=party)
        line = encode(record)
        assert b"\n" not in line
        assert decode(line) == record
        assert decode(line).party == party


def test_record_refuses_naive_time() -> None:
    with pytest.raises(ValueError):
        make_record(screened_at=datetime(2026, 1, 1))


async def test_write_and_find_in_stream(redis_client: aioredis.Redis, key_prefix: str) -> None:
    trail = AuditTrail(redis_client, key_prefix)
    assert trail.stream_key == f"{key_prefix}audit"
    first = make_record(1)
    stream_id = await trail.write(first)
    batch = [make_record(n) for n in range(2, 6)]
    ids = await trail.write_many(batch)
    assert len(ids) == 4 and ids == sorted(ids) and stream_id < ids[0]
    assert await trail.write_many([]) == []
    assert await redis_client.xlen(trail.stream_key) == 5
    assert await trail.find(first.screening_id) == first
    assert await trail.find(batch[2].screening_id) == batch[2]
    assert await trail.find("no-such-screening") is None


async def test_find_scans_past_one_page(redis_client: aioredis.Redis, key_prefix: str) -> None:
    trail = AuditTrail(redis_client, key_prefix)
    records = [make_record(n) for n in range(2_500)]
    await trail.write_many(records)
    assert await trail.find(records[0].screening_id) == records[0]
    # Outside the scan bound: not found in the stream (and no directory to fall back to).
    assert await trail.find(records[0].screening_id, stream_scan_limit=1_000) is None


async def test_stream_stays_bounded(redis_client: aioredis.Redis, key_prefix: str) -> None:
    trail = AuditTrail(redis_client, key_prefix, max_buffered=500)
    for start in range(0, 1_000, 100):
        await trail.write_many([make_record(n) for n in range(start, start + 100)])
    for n in range(1_000, 2_000):
        await trail.write(make_record(n))
    length = await redis_client.xlen(trail.stream_key)
    # Approximate trimming removes whole stream nodes, so a little more than 500 stays.
    assert 500 <= length <= 1_000


async def test_export_once_writes_todays_file_in_order_and_acks(
    redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    trail = AuditTrail(redis_client, key_prefix)
    exporter = AuditExporter(redis_client, tmp_path, prefix=key_prefix)
    records = [make_record(n) for n in range(25)]
    await trail.write_many(records)

    assert await exporter.export_once() == 25
    path = today_file(tmp_path)
    assert exported_files(tmp_path) == [path]
    assert path.read_bytes() == b"".join(encode(r) + b"\n" for r in records)
    assert await pending_count(redis_client, trail.stream_key) == 0

    assert await exporter.export_once() == 0
    assert file_ids(path) == [r.screening_id for r in records]

    more = [make_record(n) for n in range(25, 30)]
    await trail.write_many(more)
    assert await exporter.export_once(batch=3) == 3
    assert await exporter.export_once(batch=3) == 2
    assert file_ids(path) == [r.screening_id for r in records + more]
    assert await pending_count(redis_client, trail.stream_key) == 0


async def test_export_once_creates_group_on_missing_stream(
    redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    exporter = AuditExporter(redis_client, tmp_path, prefix=key_prefix)
    assert await exporter.export_once(block_ms=10) == 0
    trail = AuditTrail(redis_client, key_prefix)
    record = make_record()
    await trail.write(record)
    assert await exporter.export_once() == 1
    # The stream (and its group) deleted under a running exporter: it recreates the group.
    await redis_client.delete(trail.stream_key)
    again = make_record(1)
    await trail.write(again)
    assert await exporter.export_once() == 1
    assert [r.screening_id for r in read_exported(tmp_path)] == [record.screening_id, again.screening_id]


async def test_rotation_by_size_keeps_records_whole(
    redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    trail = AuditTrail(redis_client, key_prefix)
    records = [make_record(n) for n in range(10)]
    line_bytes = max(len(encode(r)) + 1 for r in records)
    exporter = AuditExporter(redis_client, tmp_path, prefix=key_prefix, max_file_bytes=3 * line_bytes + 10)
    await trail.write_many(records[:4])
    await exporter.export_once()
    await trail.write_many(records[4:])
    await exporter.export_once()

    files = exported_files(tmp_path)
    day = datetime.now(UTC).date().isoformat()
    assert [f.name for f in files] == [
        f"audit-{day}.jsonl",
        f"audit-{day}.1.jsonl",
        f"audit-{day}.2.jsonl",
        f"audit-{day}.3.jsonl",
    ]
    ids: list[str] = []
    for path in files:
        data = path.read_bytes()
        assert data.endswith(b"\n")
        assert len(data) <= 3 * line_bytes + 10
        ids += file_ids(path)  # every line decodes: no record was split
    assert ids == [r.screening_id for r in records]


async def test_dead_consumer_records_are_claimed_after_min_idle(
    redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    trail = AuditTrail(redis_client, key_prefix)
    exporter = AuditExporter(redis_client, tmp_path, prefix=key_prefix, consumer="live", min_idle_ms=500)
    await exporter.export_once()  # creates the group
    stranded = [make_record(n) for n in range(5)]
    await trail.write_many(stranded)
    # Another exporter read these and died before it fsynced and acked.
    read = await redis_client.xreadgroup("audit-exporters", "dead", {trail.stream_key: ">"}, count=100)
    assert len(read[0][1]) == 5
    fresh = [make_record(n) for n in range(5, 7)]
    await trail.write_many(fresh)

    # Not idle long enough yet: only the new records are exported.
    assert await exporter.export_once() == 2
    assert await pending_count(redis_client, trail.stream_key) == 5

    await asyncio.sleep(0.6)
    assert await exporter.export_once() == 5
    assert await pending_count(redis_client, trail.stream_key) == 0
    assert sorted(file_ids(today_file(tmp_path))) == sorted(r.screening_id for r in stranded + fresh)
    assert await exporter.export_once() == 0


async def test_find_falls_back_to_files(redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path) -> None:
    trail = AuditTrail(redis_client, key_prefix)
    exporter = AuditExporter(redis_client, tmp_path, prefix=key_prefix)
    records = [make_record(n) for n in range(3)]
    await trail.write_many(records)
    await exporter.export_once()
    await redis_client.delete(trail.stream_key)

    assert await trail.find(records[1].screening_id) is None
    assert await trail.find(records[1].screening_id, tmp_path) == records[1]
    assert await trail.find("no-such-screening", tmp_path) is None


async def test_find_reads_only_the_day_files_asked_for(
    redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    trail = AuditTrail(redis_client, key_prefix)
    old = make_record(0, screened_at=datetime(2025, 3, 4, 23, 59, tzinfo=UTC))
    new = make_record(1, screened_at=datetime(2025, 5, 6, 0, 1, tzinfo=UTC))
    append_records(tmp_path, [old, new])
    assert sorted(path.name for path in exported_files(tmp_path)) == [
        "audit-2025-03-04.jsonl",
        "audit-2025-05-06.jsonl",
    ]

    async def find(record: AuditRecord, first: date | None, last: date | None) -> AuditRecord | None:
        return await trail.find(record.screening_id, tmp_path, first_day=first, last_day=last)

    assert await find(old, date(2025, 3, 4), date(2025, 3, 4)) == old
    assert await find(old, date(2025, 3, 5), None) is None  # its day is outside the window
    assert await find(new, date(2025, 4, 5), date(2025, 5, 6)) == new
    assert await find(new, None, date(2025, 5, 5)) is None
    assert await find(old, None, None) == old  # no window: every file, as the CLI's replay reads them


async def test_find_falls_back_after_trimming(redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path) -> None:
    trail = AuditTrail(redis_client, key_prefix, max_buffered=100)
    exporter = AuditExporter(redis_client, tmp_path, prefix=key_prefix)
    first = make_record(0)
    await trail.write(first)
    await exporter.export_once()
    for start in range(1, 1_001, 250):
        await trail.write_many([make_record(n) for n in range(start, start + 250)])
    assert await redis_client.xlen(trail.stream_key) < 1_000
    assert await trail.find(first.screening_id, tmp_path) == first


async def test_read_exported_dedupes_redelivered_records(
    redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    trail = AuditTrail(redis_client, key_prefix)
    exporter = AuditExporter(redis_client, tmp_path, prefix=key_prefix)
    records = [make_record(n) for n in range(3)]
    await trail.write_many(records)
    await exporter.export_once()
    # A re-delivery after a crash between fsync and ack writes the same record again.
    await trail.write(records[1])
    await exporter.export_once()

    assert file_ids(today_file(tmp_path)).count(records[1].screening_id) == 2
    assert list(read_exported(tmp_path)) == records
    assert await trail.find(records[1].screening_id, tmp_path) == records[1]


async def test_torn_tail_is_isolated(redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path) -> None:
    trail = AuditTrail(redis_client, key_prefix)
    exporter = AuditExporter(redis_client, tmp_path, prefix=key_prefix)
    first = make_record(0)
    await trail.write(first)
    await exporter.export_once()
    # A crash in the middle of an append left half a line behind.
    with open(today_file(tmp_path), "ab") as out:  # noqa: ASYNC230 - a few bytes, as the crash left them
        out.write(encode(make_record(1))[:40])
    second = make_record(2)
    await trail.write(second)
    await exporter.export_once()
    assert list(read_exported(tmp_path)) == [first, second]


async def test_party_round_trips_through_stream_and_files(
    redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    trail = AuditTrail(redis_client, key_prefix)
    exporter = AuditExporter(redis_client, tmp_path, prefix=key_prefix)
    with_party = make_record(0, party={"names": [{"value": "Иван Петров"}], "date_of_birth": "1970-01-01"})
    without_party = make_record(1)
    await trail.write_many([with_party, without_party])
    assert await trail.find(with_party.screening_id) == with_party
    found = await trail.find(without_party.screening_id)
    assert found is not None and found.party is None
    await exporter.export_once()
    assert list(read_exported(tmp_path)) == [with_party, without_party]


async def test_records_go_to_the_file_of_their_screening_day(
    redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    trail = AuditTrail(redis_client, key_prefix)
    exporter = AuditExporter(redis_client, tmp_path, prefix=key_prefix)
    late = make_record(0, screened_at=datetime(2026, 11, 27, 23, 59, 59, 900_000, tzinfo=UTC))
    await trail.write(late)
    await exporter.export_once()
    assert file_ids(tmp_path / "audit-2026-11-27.jsonl") == [late.screening_id]


async def test_unreadable_entries_are_kept_aside(redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path) -> None:
    trail = AuditTrail(redis_client, key_prefix)
    exporter = AuditExporter(redis_client, tmp_path, prefix=key_prefix)
    await redis_client.xadd(trail.stream_key, {"screening_id": "x", "record": b"not json"})
    good = make_record()
    await trail.write(good)
    assert await exporter.export_once() == 1
    assert await pending_count(redis_client, trail.stream_key) == 0
    assert list(read_exported(tmp_path)) == [good]
    assert len(list(tmp_path.glob("rejected-*.jsonl"))) == 1


async def test_run_exports_until_stopped(redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path) -> None:
    trail = AuditTrail(redis_client, key_prefix)
    exporter = AuditExporter(redis_client, tmp_path, prefix=key_prefix)
    stop = asyncio.Event()
    task = asyncio.create_task(exporter.run(stop, interval_s=0.05))
    records = [make_record(n) for n in range(5)]
    await trail.write_many(records)
    for _ in range(100):
        if len(list(read_exported(tmp_path))) == 5:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert list(read_exported(tmp_path)) == records
