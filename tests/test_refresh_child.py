"""A server's scheduled refresh runs in a child process: same outcomes, same Redis, nothing left behind."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from service.catalog import Catalog
from service.refresh.child import RefreshChildError, refresh_in_child
from service.store.snapshots import SnapshotStore
from tests.conftest import FIXTURES


async def test_the_child_publishes_what_changed_and_then_finds_it_unchanged(
    server_redis_url: str, key_prefix: str, test_catalog: Catalog
) -> None:
    client = aioredis.from_url(server_redis_url)
    try:
        first = await refresh_in_child(
            server_redis_url, key_prefix, test_catalog, FIXTURES / "ofac_sdn", "json", "warning"
        )
        assert first["ofac_sdn"] == "published"
        assert set(first) == set(test_catalog.lists)  # every list was looked at (the others: no files here)
        meta = await SnapshotStore(client, key_prefix).current("ofac_sdn")
        assert meta is not None and meta.entry_count == 7  # in the Redis the server uses, under its prefix
        again = await refresh_in_child(
            server_redis_url, key_prefix, test_catalog, FIXTURES / "ofac_sdn", "json", "warning"
        )
        assert again["ofac_sdn"] == "unchanged"
    finally:
        keys = [key async for key in client.scan_iter(match=f"{key_prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_a_child_that_cannot_reach_redis_fails_loudly(key_prefix: str, test_catalog: Catalog) -> None:
    with pytest.raises(RefreshChildError, match="exited 1"):
        await refresh_in_child(
            "redis://127.0.0.1:1/0", key_prefix, test_catalog, FIXTURES / "ofac_sdn", "json", "warning"
        )
