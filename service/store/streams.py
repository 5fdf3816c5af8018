"""Reading the newest entries of a Redis Stream in pages, so that a long read never holds the event loop.

A review-queue call reads up to 10,000 entries. In one XREVRANGE that is one reply of
several megabytes parsed in one go (about 50 ms on these machines), during which no
screening on the same event loop moves. A page of PAGE entries is a few milliseconds of
parsing, and each page's round trip lets the loop serve calls in between.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import redis.asyncio as aioredis

from service.store import replies

PAGE = 500


async def newest_pages(
    client: aioredis.Redis, key: str, count: int, page: int = PAGE
) -> AsyncIterator[replies.StreamEntries]:
    """The newest `count` entries of `key`, newest first, a page at a time."""
    high = "+"
    left = count
    while left > 0:
        batch = replies.entries(await client.xrevrange(key, max=high, count=min(page, left)))
        if not batch:
            return
        yield batch
        left -= len(batch)
        if len(batch) < min(page, left + len(batch)):
            return
        high = "(" + batch[-1][0].decode()  # exclusive: the next page starts below the last entry read
