"""Screenings awaiting a reviewer: the review queue's possible matches (ListReviews).

A screening whose own matches make it REVIEW, HOLD or BLOCK is a question for a
reviewer: the same party, or a namesake? The audit trail holds every screening,
hundreds a second, so it cannot be the queue. This is a second, small stream
(`{prefix}reviews`, the last MAXLEN entries) of just those screenings: who asked,
the party's subject (the key its dispositions are recorded under), and the
matches, written behind the request like the audit trail (`add` never waits;
a background task sends batches). It is an index, not a record: entries not
yet sent when Redis is away are dropped oldest first past MAX_QUEUED, and the
audit trail still holds the screenings themselves.

A screening stays open while one of its matches has no verdict made on the
entry as it is now (see `undecided`); of several screenings of one party only
the newest can be open.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import msgspec
import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from service.dispositions.queue import SCAN_LIMIT, VERDICT_CHUNK, QueueFilter
from service.dispositions.store import DispositionStore, is_verdict
from service.store.streams import newest_pages

log = structlog.get_logger(__name__)

MAXLEN = 100_000
MAX_QUEUED = 10_000
BATCH = 200
SEND_EVERY_S = 0.05


class ReviewMatch(msgspec.Struct, frozen=True, array_like=True):
    list_id: str
    entry_id: str
    entry_hash: str  # the entry's content when screened: a verdict on another content is no verdict on it
    listed_name: str
    score: float


class ReviewRecord(msgspec.Struct, frozen=True):
    screening_id: str
    screened_at: datetime
    caller: str  # the principal who screened
    decision: str  # "REVIEW" | "HOLD" | "BLOCK"
    subject: str  # "ref:<party reference>" or "fp:<fingerprint>": what dispositions are keyed on
    matches: tuple[ReviewMatch, ...]
    party_name: str = ""  # only when audit records keep party data (AUDIT_PARTY_DATA)


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(ReviewRecord)


@dataclass(frozen=True)
class ReviewPage:
    reviews: list[ReviewRecord]  # oldest first
    scanned: int
    truncated: bool
    more: bool


class ReviewLog:
    def __init__(self, client: aioredis.Redis, prefix: str, max_queued: int = MAX_QUEUED) -> None:
        self._redis = client
        self._key = f"{prefix}reviews"
        self._queue: deque[ReviewRecord] = deque(maxlen=max_queued)
        self._dropped = 0
        self._wake = asyncio.Event()

    @property
    def key(self) -> str:
        return self._key

    def add(self, record: ReviewRecord) -> None:
        """Queue one screening for the review queue; never waits (the oldest unsent goes when full)."""
        if len(self._queue) == self._queue.maxlen:
            self._dropped += 1
        self._queue.append(record)
        self._wake.set()

    async def run(self, stopping: asyncio.Event) -> None:
        """Send queued entries until `stopping` (the server's stop then calls `flush`)."""
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 1.0)
            self._wake.clear()
            await asyncio.sleep(SEND_EVERY_S)  # a batch, not a round trip per screening
            while self._queue and not stopping.is_set():
                if not await self.send_once():
                    await asyncio.sleep(1.0)

    async def flush(self) -> None:
        """Send what is queued, once (at shutdown: what Redis refuses now is dropped)."""
        while self._queue and await self.send_once():
            pass

    async def send_once(self) -> bool:
        """Send up to a batch of the queue; False when Redis refused (the entries stay queued)."""
        batch = [self._queue[i] for i in range(min(BATCH, len(self._queue)))]
        if not batch:
            return True
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for record in batch:
                    pipe.xadd(self._key, {b"review": _ENCODER.encode(record)}, maxlen=MAXLEN, approximate=True)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("review_queue_unsent", queued=len(self._queue), dropped=self._dropped, error=type(exc).__name__)
            return False
        for _ in batch:
            self._queue.popleft()
        return True

    async def newest(self, count: int) -> AsyncIterator[list[ReviewRecord]]:
        """The newest `count` entries sent, newest first, a page at a time (unreadable ones skipped)."""
        async for page in newest_pages(self._redis, self._key, count):
            found = []
            for _, fields in page:
                try:
                    found.append(_DECODER.decode(fields[b"review"]))
                except (KeyError, msgspec.DecodeError):
                    continue
            yield found


async def list_reviews(
    log_: ReviewLog, dispositions: DispositionStore, rules: QueueFilter, now: datetime, scan_limit: int = SCAN_LIMIT
) -> ReviewPage:
    chosen: list[ReviewRecord] = []
    seen: set[str] = set()
    scanned = 0
    truncated = False
    # Page by page, so that the loop serves other calls between pages (service/store/streams.py).
    async for page in log_.newest(scan_limit + 1):
        for review in page:
            if scanned == scan_limit:
                truncated = True
                break
            scanned += 1
            if rules.open_only:
                if review.subject in seen:  # overtaken by a newer screening of the same party
                    continue
                seen.add(review.subject)
            if rules.passes(review.decision, (m.list_id for m in review.matches), review.screened_at, now):
                chosen.append(review)
    if rules.open_only:
        chosen = await undecided(dispositions, chosen)
    chosen.reverse()
    return ReviewPage(chosen[: rules.page_size], scanned, truncated, len(chosen) > rules.page_size)


async def undecided(dispositions: DispositionStore, reviews: Sequence[ReviewRecord]) -> list[ReviewRecord]:
    """The screenings with a match nobody has given a verdict on (for the entry as it was screened)."""
    if not reviews:
        return []
    verdicts = []
    for start in range(0, len(reviews), VERDICT_CHUNK):
        chunk = reviews[start : start + VERDICT_CHUNK]
        verdicts += await dispositions.active_for_many(
            [(review.subject, [(m.list_id, m.entry_id) for m in review.matches]) for review in chunk]
        )
    return [
        review
        for review, held in zip(reviews, verdicts, strict=True)
        if any(not is_verdict(held.get((m.list_id, m.entry_id)), m.entry_hash) for m in review.matches)
    ]
