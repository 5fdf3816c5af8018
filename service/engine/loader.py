"""Load the serving list versions from Redis and follow updates.

Every replica polls the `current` pointers; when one moves it loads the new
version's entries (published by whichever process refreshed) and the index of the
new set of versions (built once, by one process, and stored: engine.index_source),
then swaps in the new state. Unchanged lists keep their already-decoded entries.

All of it runs on the event loop a part at a time, so requests keep being answered
during a swap: no step holds the loop (or the GIL) for more than a few milliseconds.
The cycle collector is paused meanwhile, because a full collection over a
half-loaded index would hold it for a tenth of a second or more, and what was loaded
is then frozen out of later collections (it lives until the next swap).
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import structlog

from service.catalog import Catalog
from service.catalog.tags import Tagger, load_tagger
from service.decide.policy import Policy
from service.decide.regions import load_regions
from service.engine.index_source import IndexSource, collector_paused, run_steps
from service.engine.state import LoadedList, MatcherFactory, ScreeningState, build_default_matcher
from service.index.bundle import ListPart
from service.index.linking import EntryKey
from service.model import Entry
from service.store.index_blobs import IndexBlobStore
from service.store.snapshots import SnapshotStore, entry_parts

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
        # The production matcher's index is shared between processes (stored in Redis);
        # a matcher of the caller's own is built per process.
        self._index_source = (
            IndexSource(IndexBlobStore(store.client, store.prefix)) if matcher_factory is build_default_matcher else None
        )
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
            blob = await self._store.entries_blob(list_id, meta.version)
            entries: list[Entry] = []
            with collector_paused():
                longest = await run_steps(self._decode_steps(blob, entries))
            lists[list_id] = LoadedList(meta, tuple(entries), datetime.now(UTC), self._catalog.get(list_id).max_age_delta)
            changed = True
            log.info(
                "list_loaded", list_id=list_id, version=meta.version, entries=len(entries),
                seconds=round(time.perf_counter() - started, 3), longest_step_ms=round(longest * 1000, 1),
            )  # fmt: skip
        if set(lists) != set(previous):
            changed = True
        confirmed = await self._confirmations(lists)
        if changed or self.state is None:
            if not lists:
                return False
            started = time.perf_counter()
            if self._index_source is not None:
                state = await self._state_from_index(lists)
            else:
                # A matcher of the caller's own (tests, evaluation): built in a thread, as it comes.
                state = await asyncio.to_thread(ScreeningState.build, lists, self._policy, self._matcher_factory)
            self.state = dataclasses.replace(state, confirmed_at=confirmed)
            log.info("state_swapped", lists=sorted(lists), seconds=round(time.perf_counter() - started, 3))
            return True
        if confirmed != self.state.confirmed_at:
            self.state = dataclasses.replace(self.state, confirmed_at=confirmed)
        return False

    def _decode_steps(self, blob: bytes, into: list[Entry]) -> Iterator[None]:
        # Tags are applied on load, not stored: editing lists/tags.toml must not need a new list version.
        for part in entry_parts(blob):
            into.extend(self._tagger.apply(part))
            yield

    async def _state_from_index(self, lists: dict[str, LoadedList]) -> ScreeningState:
        assert self._index_source is not None
        parts = [ListPart(list_id, loaded.meta.version, len(loaded.entries)) for list_id, loaded in lists.items()]
        entries = [entry for loaded in lists.values() for entry in loaded.entries]

        async def entry_blobs() -> list[bytes]:
            return [await self._store.entries_blob(part.list_id, part.version) for part in parts]

        with collector_paused():
            obtained = await self._index_source.obtain(parts, entries, entry_blobs)
            by_key: dict[EntryKey, Entry] = {}
            longest = max(obtained.longest_step_s, await run_steps(_keyed_steps(entries, by_key)))
            regions = load_regions()
            state = ScreeningState.from_bundle(lists, obtained.bundle, self._policy, regions, by_key)
        if obtained.how != "built-in-thread":
            # What was just loaded lives until the next swap: keep full collections from walking it.
            gc.freeze()
        log.info(
            "index_loaded", key=obtained.key, how=obtained.how, entries=len(entries),
            seconds=round(obtained.seconds, 3), longest_step_ms=round(longest * 1000, 1),
        )  # fmt: skip
        return state

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


def _keyed_steps(entries: Sequence[Entry], into: dict[EntryKey, Entry], per_step: int = 2_000) -> Iterator[None]:
    for start in range(0, len(entries), per_step):
        into.update(((entry.list_id, entry.entry_id), entry) for entry in entries[start : start + per_step])
        yield
