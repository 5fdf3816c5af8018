"""Load the serving list versions from Redis and follow updates.

Every replica polls the `current` pointers; when one moves it loads the new
version's entries (published by whichever process refreshed) and swaps in a
rebuilt state. Unchanged lists keep their already-decoded entries.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import UTC, datetime

import structlog

from service.catalog import Catalog
from service.catalog.tags import Tagger, load_tagger
from service.decide.policy import Policy
from service.engine.state import LoadedList, MatcherFactory, ScreeningState, build_default_matcher
from service.store.snapshots import SnapshotStore

log = structlog.get_logger(__name__)


class ListLoader:
    def __init__(
        self,
        store: SnapshotStore,
        catalog: Catalog,
        policy: Policy,
        matcher_factory: MatcherFactory = build_default_matcher,
        tagger: Tagger | None = None,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._policy = policy
        self._matcher_factory = matcher_factory
        self._tagger = tagger or load_tagger()
        self.state: ScreeningState | None = None
        self.catalog = catalog

    async def reload(self) -> bool:
        """Load any list whose serving version changed; True if the state changed."""
        previous = self.state.lists if self.state else {}
        lists: dict[str, LoadedList] = {}
        changed = False
        for list_id in self._catalog.lists:
            meta = await self._store.current(list_id)
            if meta is None:
                continue
            old = previous.get(list_id)
            if old is not None and old.meta.version == meta.version:
                lists[list_id] = old
                continue
            started = time.perf_counter()
            # Tags are applied on load, not stored: editing lists/tags.toml must not need a new list version.
            entries = await asyncio.to_thread(self._tagger.apply, await self._store.load_entries(list_id, meta.version))
            lists[list_id] = LoadedList(meta, tuple(entries), datetime.now(UTC), self._catalog.get(list_id).max_age_delta)
            changed = True
            log.info(
                "list_loaded",
                list_id=list_id,
                version=meta.version,
                entries=len(entries),
                seconds=round(time.perf_counter() - started, 3),
            )
        if set(lists) != set(previous):
            changed = True
        confirmed = await self._confirmations(lists)
        if changed or self.state is None:
            if not lists:
                return False
            started = time.perf_counter()
            # In a thread: a rebuild takes most of a second on a full SDN list, and on
            # the event loop it would stall every request for that long. With the GIL
            # shared, requests slow down a little during the build instead.
            state = await asyncio.to_thread(ScreeningState.build, lists, self._policy, self._matcher_factory)
            self.state = dataclasses.replace(state, confirmed_at=confirmed)
            log.info("index_built", lists=sorted(lists), seconds=round(time.perf_counter() - started, 3))
            return True
        if confirmed != self.state.confirmed_at:
            self.state = dataclasses.replace(self.state, confirmed_at=confirmed)
        return False

    async def _confirmations(self, lists: dict[str, LoadedList]) -> dict[str, datetime]:
        confirmed = {}
        for list_id, loaded in lists.items():
            record = await self._store.status(list_id)
            confirmed[list_id] = max(filter(None, (record.last_success_at, loaded.meta.fetched_at)))
        return confirmed

    async def follow(self, interval_s: float, stop: asyncio.Event) -> None:
        """Poll for new versions until `stop` is set; errors are logged, never fatal."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval_s)
                return
            except TimeoutError:
                pass
            try:
                await self.reload()
            except Exception:  # noqa: BLE001 - keep serving the loaded version
                log.exception("list_reload_failed")
