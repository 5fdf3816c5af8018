"""Every current disposition in process memory, so that a screening never waits on Redis.

A screening with matches needs the reviewers' dispositions of that party. Asking
Redis on the request path made every listed party's screening fail while Redis
was paused or gone, and a queue of such calls hold the connection pool. Instead
each server process keeps all current dispositions in a dict (subject -> (list,
entry) -> latest version) and keeps it current:

- at start, a snapshot (every subject's hash) and the position of the change
  log (`{prefix}dispositions:log`, where every record, revoke, approval and
  rejection is appended with the disposition in full) taken just before it;
- then the log from that position, read by one blocking follower on a
  connection of its own; a change is applied only if it is not older than what
  is held (versions only grow), so the snapshot and the log may overlap;
- a full resynchronisation every few minutes and after Redis comes back, which
  also heals a log trimmed past the follower (100,000 entries);
- a change made in this process is applied at once (read your own writes).

While Redis is unreachable screening goes on with what is held, and every
response says so (`stale_warning`). Memory: about a kilobyte per disposition.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from service.dispositions.store import Disposition, DispositionStore

log = structlog.get_logger(__name__)

EntryKey = tuple[str, str]
RESYNC_EVERY_S = 300.0
BLOCK_MS = 1000
RETRY_AFTER_ERROR_S = 1.0


class DispositionCache:
    def __init__(self, store: DispositionStore, follower: aioredis.Redis | None = None) -> None:
        """`follower`: a client of its own for the blocking log reads (default: the store's)."""
        self._store = store
        self._follower = follower
        self._by_subject: dict[str, dict[EntryKey, Disposition]] = {}
        self._position = "0-0"
        self.loaded = False
        # Since when Redis has not answered the follower (monotonic clock), None while it does.
        self._unreachable_since: float | None = None
        self._synced_at: datetime | None = None

    # ------------------------------------------------------------ the request path

    def active_for(self, subject: str, keys: Sequence[EntryKey]) -> dict[EntryKey, Disposition]:
        """The held (non-revoked) dispositions of `subject` among `keys`: no I/O."""
        held = self._by_subject.get(subject)
        if not held:
            return {}
        return {key: found for key in keys if (found := held.get(key)) is not None}

    @property
    def stale_warning(self) -> str:
        """'' while current; else what a response should say about the dispositions it applied."""
        if self._unreachable_since is None:
            return ""
        since = time.monotonic() - self._unreachable_since
        as_of = f" as of {self._synced_at:%Y-%m-%d %H:%M:%S} UTC" if self._synced_at else ""
        return (
            f"reviewer dispositions{as_of} were applied: the store has not answered for {since:.0f} s, "
            "so a disposition recorded or revoked since may not be reflected"
        )

    def __len__(self) -> int:
        return sum(len(held) for held in self._by_subject.values())

    # ------------------------------------------------------------ keeping it current

    def apply(self, disposition: Disposition) -> None:
        """Take a change (from the log, or made in this process) unless what is held is newer."""
        key = (disposition.list_id, disposition.entry_id)
        held = self._by_subject.get(disposition.subject)
        current = held.get(key) if held else None
        if current is not None and current.version > disposition.version:
            return
        if disposition.revoked:
            if held is not None:
                held.pop(key, None)
                if not held:
                    del self._by_subject[disposition.subject]
            return
        self._by_subject.setdefault(disposition.subject, {})[key] = disposition

    async def load(self) -> None:
        """Replace what is held with a full snapshot (and remember the log position it is at)."""
        position, dispositions = await self._store.snapshot()
        by_subject: dict[str, dict[EntryKey, Disposition]] = {}
        for disposition in dispositions:
            if not disposition.revoked:
                by_subject.setdefault(disposition.subject, {})[(disposition.list_id, disposition.entry_id)] = (
                    disposition
                )
        # Changes applied while the snapshot was read (this process's own writes) are kept if newer.
        for subject, held in self._by_subject.items():
            for key, disposition in held.items():
                fresh = by_subject.get(subject, {}).get(key)
                if fresh is None or fresh.version < disposition.version:
                    by_subject.setdefault(subject, {})[key] = disposition
        self._by_subject = by_subject
        self._position = position
        self._synced_at = datetime.now(UTC)
        self.loaded = True
        log.info("dispositions_loaded", dispositions=len(self), log_position=position)

    async def follow(self, stopping: asyncio.Event) -> None:
        """Apply the change log as it grows until `stopping`; resynchronise now and then and after an outage."""
        next_resync = time.monotonic() + RESYNC_EVERY_S
        while not stopping.is_set():
            try:
                if not self.loaded or time.monotonic() >= next_resync or self._unreachable_since is not None:
                    await self.load()
                    next_resync = time.monotonic() + RESYNC_EVERY_S
                    if self._unreachable_since is not None:
                        log.info(
                            "dispositions_store_reachable_again",
                            after_s=round(time.monotonic() - self._unreachable_since, 1),
                        )
                    self._unreachable_since = None
                changes = await self._store.changes_after(self._position, BLOCK_MS, client=self._follower)
                for position, disposition in changes:
                    self.apply(disposition)
                    self._position = position
                if changes:
                    self._synced_at = datetime.now(UTC)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, TimeoutError) as exc:
                if self._unreachable_since is None:
                    self._unreachable_since = time.monotonic()
                    log.warning("dispositions_store_unreachable", error=type(exc).__name__, held=len(self))
                try:
                    await asyncio.wait_for(stopping.wait(), RETRY_AFTER_ERROR_S)
                except TimeoutError:
                    pass
