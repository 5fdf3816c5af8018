"""One reader of the alert stream per process, shared by every WatchAlerts stream in it.

Each WatchAlerts call used to block on its own XREAD, holding a connection of
the shared pool for as long as the stream stayed open: a hundred idle streams
exhausted the pool and every screening that needed Redis failed. Now a single
follower, on a connection of its own, reads new alerts into a bounded window
in memory and wakes the streams waiting for them. A stream that resumes from an
alert the window no longer holds (or never held: alerts older than the
process) first catches up with short non-blocking reads from Redis, then joins
the window. While Redis is away the streams simply wait.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from service.rescreen.jobs import Jobs, stream_id

log = structlog.get_logger(__name__)

KEEP = 10_000  # alerts held in memory for streams that are a little behind
BLOCK_MS = 1000
RETRY_AFTER_ERROR_S = 1.0


class AlertFeed:
    def __init__(self, jobs: Jobs, follower: aioredis.Redis | None = None, keep: int = KEEP) -> None:
        self._jobs = jobs
        self._follower = follower
        self._window: deque[tuple[tuple[int, int], str, bytes]] = deque(maxlen=keep)
        # The window holds every alert after `_start` up to `_position` except those dropped (up to `_dropped`).
        self._start: tuple[int, int] | None = None
        self._position = "0-0"
        self._dropped = (0, 0)
        self._started_at: float | None = None  # monotonic time by which the start position had been read
        self._changed = asyncio.Event()

    @property
    def started(self) -> bool:
        return self._start is not None

    @property
    def position(self) -> str:
        """The newest alert id the feed has read (where a stream asking for "only new alerts" starts)."""
        return self._position

    def after(self, last: str) -> list[tuple[str, bytes]] | None:
        """The held alerts after `last`, or None when the window cannot tell (read those from Redis)."""
        if self._start is None:
            return None
        after = stream_id(last)
        if after < self._start or after < self._dropped:
            return None
        return [(text, raw) for key, text, raw in self._window if key > after]

    def join_point(self, nothing_after_since: float) -> str | None:
        """Where a stream that has read everything Redis held at `nothing_after_since` (monotonic) can join.

        The feed's start, if it started before then (so no alert lies between the stream and
        the feed); None otherwise (read from Redis again).
        """
        if self._start is None or self._started_at is None or self._started_at > nothing_after_since:
            return None
        return f"{self._start[0]}-{self._start[1]}"

    async def wait(self, timeout_s: float) -> None:
        """Until the feed reads something new (or `timeout_s`)."""
        try:
            await asyncio.wait_for(self._changed.wait(), timeout_s)
        except TimeoutError:
            pass

    async def run(self, stopping: asyncio.Event) -> None:
        """Follow the alert stream until `stopping`."""
        while not stopping.is_set():
            try:
                if self._start is None:
                    self._position = await self._jobs.newest_alert_id()
                    # Taken after the read: a stream whose own read began later saw at least this much.
                    self._start, self._started_at = stream_id(self._position), time.monotonic()
                read = await self._jobs.read_alerts(self._position, BLOCK_MS, client=self._follower)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, TimeoutError) as exc:
                log.warning("alert_feed_unavailable", error=type(exc).__name__)
                try:
                    await asyncio.wait_for(stopping.wait(), RETRY_AFTER_ERROR_S)
                except TimeoutError:
                    pass
                continue
            if not read:
                continue
            for text, raw in read:
                if len(self._window) == self._window.maxlen:
                    self._dropped = self._window[0][0]
                self._window.append((stream_id(text), text, raw))
            self._position = read[-1][0]
            # Wake every waiting stream, then arm the event again for the next read.
            changed, self._changed = self._changed, asyncio.Event()
            changed.set()
