"""The review queue's stream of screenings (service/dispositions/reviews.py) against a Redis that goes away."""

from __future__ import annotations

from datetime import UTC, datetime

import redis.asyncio as aioredis

from service.dispositions.reviews import ReviewLog, ReviewMatch, ReviewRecord
from tests.redis_support import PrivateRedis

# Also on a real Redis Cluster (tests/conftest.py): these stores' keys must share slots.
ALSO_ON_CLUSTER = True


def review(n: int) -> ReviewRecord:
    return ReviewRecord(
        screening_id=f"s-{n}", screened_at=datetime.now(UTC), caller="key:erp", decision="REVIEW",
        subject=f"ref:P-{n}", matches=(ReviewMatch("ofac_sdn", "306", "h306", "BANCO NACIONAL DE CUBA", 0.9),),
    )  # fmt: skip


async def test_the_newest_are_read_a_page_at_a_time_without_gaps_or_repeats(
    redis_client: aioredis.Redis, key_prefix: str
) -> None:
    log = ReviewLog(redis_client, key_prefix, max_queued=2000)
    for n in range(1203):
        log.add(review(n))
    await log.flush()
    pages = [[r.screening_id for r in page] async for page in log.newest(1100)]
    assert [len(page) for page in pages] == [500, 500, 100]  # service/store/streams.py's pages
    assert [sid for page in pages for sid in page] == [f"s-{n}" for n in range(1202, 102, -1)]
    assert [len(page) async for page in log.newest(5000)] == [500, 500, 203]  # fewer than asked: all of them


async def sent(log: ReviewLog) -> list[str]:
    return [review.screening_id async for page in log.newest(10) for review in page]


async def test_entries_wait_while_redis_is_away_and_the_oldest_go_past_the_limit(private_redis: PrivateRedis) -> None:
    client = aioredis.Redis.from_url(private_redis.url, socket_timeout=1, socket_connect_timeout=1)
    try:
        log = ReviewLog(client, "t:", max_queued=3)
        log.add(review(1))
        assert await log.send_once()
        assert await sent(log) == ["s-1"]

        private_redis.kill()
        for n in range(2, 7):
            log.add(review(n))
        assert not await log.send_once()  # refused: nothing is lost yet but what did not fit

        private_redis.start()  # a new, empty Redis: what it had is gone, what waited is sent
        await log.flush()
        assert await sent(log) == ["s-6", "s-5", "s-4"]  # newest first
    finally:
        await client.aclose()
