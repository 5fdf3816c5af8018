"""Sealed audit day files and `screening audit verify`: a changed file and a removed record are found."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis.asyncio as aioredis

from service.audit.record import encode
from service.audit.seal import Verdict, check_seals, check_stream, seal_closed, seal_path
from service.audit.trail import AuditExporter, AuditTrail, exported_files, read_exported
from tests.cli_support import cli_env, run_cli
from tests.conftest import SERVER_REDIS_URL
from tests.test_audit import make_record

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


async def export(redis_client: aioredis.Redis, key_prefix: str, directory: Path, records: list) -> None:  # type: ignore[type-arg]
    await AuditTrail(redis_client, key_prefix).write_many(records)
    exporter = AuditExporter(redis_client, directory, prefix=key_prefix, consumer="test")
    while await exporter.export_once():
        pass


async def test_closed_days_are_sealed_and_a_late_record_starts_the_next_file(
    redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    monday = [make_record(n, screened_at=datetime(2026, 3, 9, 8, n, tzinfo=UTC)) for n in range(5)]
    today = [make_record(10 + n, screened_at=NOW - timedelta(minutes=n)) for n in range(3)]
    await export(redis_client, key_prefix, tmp_path, monday + today)
    sealed = seal_closed(tmp_path, NOW)
    assert [path.name for path in sealed] == ["audit-2026-03-09.jsonl"]  # today's is still open
    seal = json.loads(seal_path(sealed[0]).read_text())
    assert (seal["lines"], seal["bytes"]) == (5, sealed[0].stat().st_size)
    assert seal_closed(tmp_path, NOW) == []  # once

    late = make_record(99, screened_at=datetime(2026, 3, 9, 23, 59, tzinfo=UTC))
    await export(redis_client, key_prefix, tmp_path, [late])
    assert [p.name for p in exported_files(tmp_path)] == [
        "audit-2026-03-09.jsonl", "audit-2026-03-09.1.jsonl", "audit-2026-03-10.jsonl",
    ]  # fmt: skip
    assert {r.screening_id for r in read_exported(tmp_path)} >= {late.screening_id}
    # The late file is closed (its day is over): unsealed until the exporter's next look; today's is open.
    verdict = Verdict()
    check_seals(tmp_path, None, verdict, NOW)
    assert verdict.ok and verdict.sealed == 1 and verdict.unsealed == ["audit-2026-03-09.1.jsonl"]
    assert [p.name for p in seal_closed(tmp_path, NOW)] == ["audit-2026-03-09.1.jsonl"]
    verdict = Verdict()
    check_seals(tmp_path, None, verdict, NOW + timedelta(days=1))
    assert verdict.sealed == 2 and verdict.unsealed == ["audit-2026-03-10.jsonl"]


async def test_a_removed_line_is_found_by_the_seal_and_by_the_stream(
    redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path
) -> None:
    records = [make_record(n, screened_at=datetime(2026, 3, 9, 9, n, tzinfo=UTC)) for n in range(6)]
    await export(redis_client, key_prefix, tmp_path, records)
    [day_file] = seal_closed(tmp_path, NOW)
    trail = AuditTrail(redis_client, key_prefix)
    intact = Verdict()
    check_seals(tmp_path, None, intact, NOW)
    await check_stream(redis_client, trail, tmp_path, None, intact)
    assert intact.ok and intact.checked_in_stream == 6

    removed = records[2]
    day_file.write_bytes(day_file.read_bytes().replace(encode(removed) + b"\n", b""))
    verdict = Verdict()
    check_seals(tmp_path, None, verdict, NOW)
    await check_stream(redis_client, trail, tmp_path, None, verdict)
    assert not verdict.ok
    assert len(verdict.tampered) == 1 and "5 lines" in verdict.tampered[0] and "6 lines and" in verdict.tampered[0]
    assert verdict.missing == [f"{removed.screening_id} (2026-03-09)"]


async def test_the_verify_command_says_what_is_wrong_and_fails(
    redis_client: aioredis.Redis, key_prefix: str, tmp_path: Path, redis_url: str
) -> None:
    if redis_url != SERVER_REDIS_URL:
        return  # the command reaches Redis by URL: the shared server is the one it can reach
    audit_dir = tmp_path / "audit"
    records = [make_record(n, screened_at=datetime(2025, 1, 2, 3, n, tzinfo=UTC)) for n in range(3)]
    await export(redis_client, key_prefix, audit_dir, records)
    env = cli_env(tmp_path, REDIS_URL=SERVER_REDIS_URL, SCREENING_KEY_PREFIX=key_prefix, AUDIT_DIR=str(audit_dir))

    sealed = run_cli(["audit", "verify", "--seal"], env)
    assert sealed.returncode == 0, sealed.stdout + sealed.stderr
    assert "sealed audit-2025-01-02.jsonl" in sealed.stdout and "intact" in sealed.stdout

    day_file = audit_dir / "audit-2025-01-02.jsonl"
    day_file.write_bytes(day_file.read_bytes().replace(encode(records[1]) + b"\n", b""))
    broken = run_cli(["audit", "verify", "--day", "2025-01-02"], env)
    assert broken.returncode == 1
    assert "CHANGED: audit-2025-01-02.jsonl" in broken.stdout
    assert f"MISSING from the day files: {records[1].screening_id}" in broken.stdout
    bad_day = run_cli(["audit", "verify", "--day", "02/01/2025"], env)
    assert bad_day.returncode == 2 and "YYYY-MM-DD" in bad_day.stderr
