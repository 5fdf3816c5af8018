"""Stored matching indexes, one per set of list versions (service.index.bundle).

    {prefix}index:<key>            framed index, content-addressed by index_key
    {prefix}index:<key>:building   lock held by the one process building it

An index is derived data: losing one costs a rebuild, never a wrong answer (its key
names the list versions and the code that built it). Each expires after INDEX_TTL_S
unless read again, so the indexes of superseded list versions clean themselves up.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from service.store import replies
from service.store.snapshots import DEFAULT_PREFIX

INDEX_TTL_S = 7 * 24 * 3600
# Longest a build may hold its lock; a process that dies mid-build frees it after this.
BUILD_LOCK_S = 300


class IndexBlobStore:
    def __init__(self, client: aioredis.Redis, prefix: str = DEFAULT_PREFIX) -> None:
        self._redis = client
        self._prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self._prefix}index:{key}"

    async def get(self, key: str) -> bytes | None:
        """The stored index, its expiry renewed (it is in use)."""
        return replies.raw(await self._redis.getex(self._key(key), ex=INDEX_TTL_S))

    async def exists(self, key: str) -> bool:
        """Whether it is stored (without fetching it), its expiry renewed: it is about to be used."""
        return bool(await self._redis.expire(self._key(key), INDEX_TTL_S))

    async def put(self, key: str, blob: bytes) -> None:
        await self._redis.set(self._key(key), blob, ex=INDEX_TTL_S)

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._key(key))

    def build_lock(self, key: str) -> aioredis.lock.Lock:
        return self._redis.lock(self._key(key) + ":building", timeout=BUILD_LOCK_S, blocking=False)
