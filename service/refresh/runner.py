"""Refresh every (or one) catalogued list, one process at a time per list."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import structlog

from service.catalog import Catalog
from service.refresh.fetch import (
    DOWNLOAD_TIMEOUT_S,
    DownloadSession,
    FetchedFiles,
    FetchError,
    NotModified,
    download,
    read_directory,
)
from service.refresh.publisher import Outcome, RefreshResult, publish_fetched
from service.store.snapshots import SnapshotStore

log = structlog.get_logger(__name__)

# How long a process waits for another one's refresh of the same list.
LOCK_WAIT_S = 600.0


def is_url(source: str | Path | None) -> bool:
    return isinstance(source, str) and source.startswith(("http://", "https://"))


async def refresh_lists(
    store: SnapshotStore,
    catalog: Catalog,
    list_ids: Iterable[str] | None = None,
    source_dir: Path | str | None = None,
    only_if_missing: bool = False,
    force: bool = False,
    download_timeout_s: float = DOWNLOAD_TIMEOUT_S,
) -> list[RefreshResult]:
    """Fetch, validate and publish each list; return one result per list.

    `source_dir` is an offline mirror: a directory, or the base URL of a web
    mirror holding the publishers' files under their official names. Lists
    whose primary file a directory lacks are left as they are; a set lacking
    another required file is rejected. Without it the official URLs are used,
    with conditional requests when the serving version was downloaded.
    `only_if_missing` skips lists that already have a serving version
    (start-up); `force` accepts an update that lacks a required file, shrinks a
    list too much, changes its format, or whose files fail a check the parser
    can read past (end marker, encoding), noting what it let through.
    """
    results = []
    base_url = str(source_dir) if is_url(source_dir) else None
    directory = Path(source_dir) if source_dir is not None and base_url is None else None
    async with DownloadSession(download_timeout_s) as session:
        for list_id in list_ids or catalog.lists:
            spec = catalog.get(list_id)
            async with store.refresh_lock(list_id, wait_s=LOCK_WAIT_S):
                current = await store.current(list_id)
                serving = current.version if current else ""
                if only_if_missing and current is not None:
                    results.append(
                        RefreshResult(list_id, Outcome.UNCHANGED, serving, current.entry_count, "already stored")
                    )
                    continue
                fetched: FetchedFiles | NotModified | None
                try:
                    if directory is not None:
                        fetched = read_directory(spec, directory)
                    else:
                        validators = await store.http_validators(list_id, serving) if current and not base_url else {}
                        fetched = await download(spec, session, base_url, validators)
                except FetchError as exc:
                    await store.record_failure(list_id, str(exc))
                    log.error("list_fetch_failed", list_id=list_id, error=str(exc))
                    results.append(RefreshResult(list_id, Outcome.FAILED, serving, 0, str(exc)))
                    continue
                if fetched is None:
                    message = f"no files for {list_id} in {directory}; left as it is"
                    results.append(RefreshResult(list_id, Outcome.SKIPPED, serving, 0, message))
                    continue
                if isinstance(fetched, NotModified):
                    assert current is not None
                    await store.publish_unchanged(list_id)
                    results.append(
                        RefreshResult(
                            list_id,
                            Outcome.UNCHANGED,
                            serving,
                            current.entry_count,
                            f"not modified (HTTP 304 from {fetched.origin})",
                        )
                    )
                    continue
                result = await publish_fetched(store, spec, fetched, force=force)
                if result.outcome in (Outcome.PUBLISHED, Outcome.UNCHANGED) and fetched.validators and not base_url:
                    await store.save_http_validators(list_id, result.version, fetched.validators)
                results.append(replace(result, message=f"{result.message} (from {fetched.origin})"))
    return results
