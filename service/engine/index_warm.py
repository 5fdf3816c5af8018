"""The publisher's half of "one index per set of list versions": build it before the servers ask.

After `screening refresh` (or any publisher) has moved a `current` pointer, the servers
will want the index of the new set. Built here, at the publisher's pace (a child process
at nice 19), it is stored before most servers look, so they only restore it (service.
engine.index_source). The set is the one a server with the same catalogue loads: every
catalogued list with a current version, in catalogue order.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from service.catalog import Catalog
from service.engine.index_source import BUILD_IN_THREAD_BELOW, IndexSource, stored_entries
from service.index.bundle import ListPart
from service.store.index_blobs import IndexBlobStore
from service.store.snapshots import SnapshotStore


@dataclass(frozen=True)
class Warmed:
    outcome: str  # stored (already) | built | built elsewhere | small (servers build it in a thread) | no lists
    entries: int
    seconds: float


async def warm_index(store: SnapshotStore, catalog: Catalog) -> Warmed:
    """Store the index of the current list versions if it is not stored yet."""
    started = time.perf_counter()
    parts = []
    for list_id in catalog.lists:
        meta = await store.current(list_id)
        if meta is not None:
            parts.append(ListPart(list_id, meta.version, meta.entry_count))
    entries = sum(part.entries for part in parts)
    if not parts:
        return Warmed("no lists", 0, 0.0)
    if entries < BUILD_IN_THREAD_BELOW:
        return Warmed("small", entries, 0.0)
    source = IndexSource(IndexBlobStore(store.client, store.prefix))
    outcome = await source.ensure_stored(parts, stored_entries(store, parts))
    return Warmed(outcome, entries, time.perf_counter() - started)
