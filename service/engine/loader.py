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
import time
import weakref
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import structlog

from service.catalog import Catalog
from service.catalog.tags import Tagger, load_tagger
from service.decide.policy import Policy
from service.decide.regions import load_regions
from service.engine.index_source import (
    BUILD_IN_THREAD_BELOW,
    IndexSource,
    collector_paused,
    run_steps,
    step_share,
    stored_entries,
)
from service.engine.retire import retire
from service.engine.state import LoadedList, MatcherFactory, ScreeningState, build_default_matcher
from service.identifiers.index import IdentifierIndex, Listed, index_steps
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
        shared = matcher_factory is build_default_matcher
        self._index_source = IndexSource(IndexBlobStore(store.client, store.prefix)) if shared else None
        self.state: ScreeningState | None = None
        self.catalog = catalog
        self._retiring: set[asyncio.Task[None]] = set()
        # Earlier copies of the serving state (new confirmation times, same index): a request
        # may still hold one when the state is replaced.
        self._copies: list[weakref.ref[ScreeningState]] = []

    async def reload(self) -> bool:
        """Load any list whose serving version changed; True if the state changed."""
        # Serving already: loading (and freeing the replaced state) takes at most half the loop.
        token = step_share.set(0.5 if self.state is not None else 1.0)
        try:
            return await self._reload()
        finally:
            step_share.reset(token)

    async def _reload(self) -> bool:
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
            with collector_paused() as pause:
                longest = await run_steps(self._decode_steps(blob, entries))
                pause.freeze = len(entries) >= BUILD_IN_THREAD_BELOW  # a real list, not a test's
            max_age = self._catalog.get(list_id).max_age_delta
            lists[list_id] = LoadedList(meta, tuple(entries), datetime.now(UTC), max_age)
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
            replaced, self.state = self.state, state.with_confirmations(confirmed)
            copies, self._copies = self._copies, []
            log.info("state_swapped", lists=sorted(lists), seconds=round(time.perf_counter() - started, 3))
            if replaced is not None and self._index_source is not None:
                self._retire(replaced, copies)
            return True
        if confirmed != self.state.confirmed_at:
            self._copies.append(weakref.ref(self.state))
            self.state = self.state.with_confirmations(confirmed)
        return False

    def _retire(self, replaced: ScreeningState, copies: list[weakref.ref[ScreeningState]]) -> None:
        """Free the replaced state in small steps once its last user is done (service.engine.retire)."""
        task = asyncio.create_task(retire(replaced, lambda: self.state, copies))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def close(self) -> None:
        """Stop freeing replaced states (at shutdown: what is left is dropped as it is)."""
        for task in list(self._retiring):
            task.cancel()
        await asyncio.gather(*self._retiring, return_exceptions=True)

    def _decode_steps(self, blob: bytes, into: list[Entry]) -> Iterator[None]:
        # Tags are applied on load, not stored: editing lists/tags.toml must not need a new list version.
        for part in entry_parts(blob):
            into.extend(self._tagger.apply(part))
            yield

    async def _state_from_index(self, lists: dict[str, LoadedList]) -> ScreeningState:
        assert self._index_source is not None
        parts = [ListPart(list_id, loaded.meta.version, len(loaded.entries)) for list_id, loaded in lists.items()]
        entries = [entry for loaded in lists.values() for entry in loaded.entries]

        with collector_paused() as pause:
            obtained = await self._index_source.obtain(parts, entries, stored_entries(self._store, parts))
            by_key: dict[EntryKey, Entry] = {}
            longest = max(obtained.longest_step_s, await run_steps(_keyed_steps(entries, by_key)))
            by_identifier: dict[str, list[Listed]] = {}
            longest = max(longest, await run_steps(index_steps(entries, by_identifier)))
            regions = load_regions()
            state = ScreeningState.from_bundle(
                lists, obtained.bundle, self._policy, regions, by_key, IdentifierIndex(by_identifier)
            )
            # What was just loaded lives until the next swap: keep collections from walking it.
            pause.freeze = obtained.how != "built-in-thread"
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
            except Exception:
                log.exception("list_reload_failed")


def _keyed_steps(entries: Sequence[Entry], into: dict[EntryKey, Entry], per_step: int = 2_000) -> Iterator[None]:
    for start in range(0, len(entries), per_step):
        into.update(((entry.list_id, entry.entry_id), entry) for entry in entries[start : start + per_step])
        yield
