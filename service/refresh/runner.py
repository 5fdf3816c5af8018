"""Refresh every (or one) catalogued list, one process at a time per list."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import structlog

from service.catalog import Catalog
from service.refresh.fetch import FetchError, download, read_directory
from service.refresh.publisher import Outcome, RefreshResult, publish_fetched
from service.store.snapshots import SnapshotStore

log = structlog.get_logger(__name__)

# How long a process waits for another one's refresh of the same list.
LOCK_WAIT_S = 600.0


async def refresh_lists(
    store: SnapshotStore,
    catalog: Catalog,
    list_ids: Iterable[str] | None = None,
    source_dir: Path | None = None,
    only_if_missing: bool = False,
) -> list[RefreshResult]:
    """Fetch, validate and publish each list; return one result per list.

    With `source_dir`, files come from that offline mirror and lists whose files
    are absent are left as they are; otherwise from the official URLs.
    `only_if_missing` skips lists that already have a serving version (start-up).
    """
    results = []
    for list_id in list_ids or catalog.lists:
        spec = catalog.get(list_id)
        async with store.refresh_lock(list_id, wait_s=LOCK_WAIT_S):
            current = await store.current(list_id)
            if only_if_missing and current is not None:
                results.append(RefreshResult(list_id, Outcome.UNCHANGED, current.version, current.entry_count, "already stored"))
                continue
            try:
                fetched = read_directory(spec, source_dir) if source_dir else await download(spec)
            except FetchError as exc:
                await store.record_failure(list_id, str(exc))
                log.error("list_fetch_failed", list_id=list_id, error=str(exc))
                results.append(RefreshResult(list_id, Outcome.FAILED, current.version if current else "", 0, str(exc)))
                continue
            if fetched is None:
                message = f"no files for {list_id} in {source_dir}; left as it is"
                results.append(RefreshResult(list_id, Outcome.SKIPPED, current.version if current else "", 0, message))
                continue
            result = await publish_fetched(store, spec, fetched)
            results.append(replace(result, message=f"{result.message} (from {fetched.origin})"))
    return results
