"""What a list update changed, a page at a time, with names (GetListChanges).

The refresh stores each version's diff (entry ids added, removed, changed) next
to its entries. A reader wants names and, for a change, what changed: those
come from the two versions' entries. The serving version's entries are in
memory; any other version is decoded from Redis once, off the event loop, and
only the entries its diff names are kept (tens to hundreds, not the list), in a
small cache shared by every page of it.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from service.model import Entry
from service.refresh.diff import ListDiff, changed_fields
from service.store.snapshots import SnapshotStore, entry_parts

CHANGES = ("added", "removed", "changed")
DEFAULT_PAGE = 100
MAX_PAGE = 1000
_CACHED_VERSIONS = 8


@dataclass(frozen=True)
class Change:
    entry_id: str
    change: str  # "added" | "removed" | "changed"
    name: str  # primary name; "" when the version holding the entry is no longer kept
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChangePage:
    diff: ListDiff
    changes: list[Change]
    next_offset: int  # 0 when this page is the last


def _keep(blob: bytes, wanted: Collection[str]) -> dict[str, Entry]:
    return {entry.entry_id: entry for part in entry_parts(blob) for entry in part if entry.entry_id in wanted}


class ChangeReader:
    def __init__(self, store: SnapshotStore, serving: Callable[[str, str, str], Entry | None]) -> None:
        """`serving(list_id, version, entry_id)`: the entry from the serving lists, or None when that
        version is not the one served."""
        self._store = store
        self._serving = serving
        self._cache: OrderedDict[tuple[str, str], dict[str, Entry]] = OrderedDict()

    async def page(self, diff: ListDiff, change: str, offset: int, page_size: int) -> ChangePage:
        rows = [(entry_id, kind) for kind in CHANGES if change in ("", kind) for entry_id in getattr(diff, kind)]
        chosen = rows[offset : offset + page_size]
        end = offset + len(chosen)
        new_ids = [entry_id for entry_id, kind in chosen if kind != "removed"]
        old_ids = [entry_id for entry_id, kind in chosen if kind != "added"]
        new = await self._entries(diff.list_id, diff.version, new_ids, diff.added + diff.changed)
        old: Mapping[str, Entry] = {}
        if diff.previous_version and old_ids:
            old = await self._entries(diff.list_id, diff.previous_version, old_ids, diff.removed + diff.changed)
        changes = []
        for entry_id, kind in chosen:
            entry = new.get(entry_id) if kind != "removed" else old.get(entry_id)
            name = entry.names[0].value if entry is not None and entry.names else ""
            fields: tuple[str, ...] = ()
            if kind == "changed" and entry_id in old and entry_id in new:
                fields = tuple(changed_fields(old[entry_id], new[entry_id]))
            changes.append(Change(entry_id, kind, name, fields))
        return ChangePage(diff, changes, end if end < len(rows) else 0)

    async def _entries(
        self, list_id: str, version: str, ids: list[str], in_diff: Collection[str]
    ) -> Mapping[str, Entry]:
        served = {entry_id: found for entry_id in ids if (found := self._serving(list_id, version, entry_id))}
        if len(served) == len(ids):
            return served
        key = (list_id, version)
        kept = self._cache.get(key)
        if kept is None:
            try:
                blob = await self._store.entries_blob(list_id, version)
            except LookupError:
                return served  # that version was pruned: names stay empty
            kept = await asyncio.to_thread(_keep, blob, frozenset(in_diff))
            self._cache[key] = kept
            while len(self._cache) > _CACHED_VERSIONS:
                self._cache.popitem(last=False)
        self._cache.move_to_end(key)
        return kept
