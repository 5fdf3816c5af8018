"""Turn fetched files into a published version, or a recorded rejection."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

import structlog

from service.catalog import ListSpec
from service.refresh.diff import ListDiff, diff_entries
from service.refresh.fetch import FetchedFiles
from service.refresh.validate import UpdateRejected, validate_update
from service.sources.errors import ListFileError
from service.sources.parsed import ParsedList
from service.sources.registry import parser_for
from service.sources.tradegov.csl import ACCEPT_TRUNCATED_OPTION
from service.sources.sniff import check_files
from service.store.snapshots import SnapshotStore

log = structlog.get_logger(__name__)


class Outcome(str, Enum):
    PUBLISHED = "published"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class RefreshResult:
    list_id: str
    outcome: Outcome
    version: str
    entry_count: int
    message: str
    parse_seconds: float = 0.0
    publish_seconds: float = 0.0
    diff: ListDiff | None = None


def parse_fetched(fetched: FetchedFiles, force: bool = False) -> ParsedList:
    check_files(fetched.files)
    options = {**fetched.options, ACCEPT_TRUNCATED_OPTION: ["yes"]} if force else fetched.options
    result = parser_for(fetched.format)(fetched.list_id, fetched.files, options)
    for note in result.notes:
        log.info("parse_note", list_id=fetched.list_id, note=note)
    return ParsedList(
        list_id=fetched.list_id,
        format=fetched.format,
        entries=tuple(result.entries),
        files=fetched.described,
        origin=fetched.origin,
        published_at=result.published_at,
        data_date=result.data_date,
        notes=tuple(result.notes),
    )


async def publish_fetched(
    store: SnapshotStore, spec: ListSpec, fetched: FetchedFiles, force: bool = False
) -> RefreshResult:
    """Parse, validate, diff and publish; a bad update is recorded and nothing is stored."""
    current = await store.current(spec.id)
    if current is not None and current.version == fetched.version:
        await store.publish_unchanged(spec.id)
        return RefreshResult(spec.id, Outcome.UNCHANGED, current.version, current.entry_count, "same files as the serving version")
    started = time.perf_counter()
    try:
        parsed = parse_fetched(fetched, force)
        validate_update(spec, parsed, current, force)
    except (ListFileError, UpdateRejected) as exc:
        await store.record_failure(spec.id, str(exc))
        log.error("list_update_rejected", list_id=spec.id, origin=fetched.origin, reason=str(exc))
        return RefreshResult(spec.id, Outcome.REJECTED, current.version if current else "", 0, str(exc))
    previous_entries = await store.load_entries(spec.id, current.version) if current else []
    diff = diff_entries(spec.id, parsed.version, current.version if current else None, previous_entries, parsed.entries)
    parsed_at = time.perf_counter()
    meta, _ = await store.publish(parsed, fetched_at=datetime.now(UTC), diff=diff)
    published_at = time.perf_counter()
    log.info(
        "list_published",
        list_id=spec.id,
        version=meta.version,
        entries=meta.entry_count,
        format=meta.format,
        previous=current.version if current else None,
        **diff.counts,
    )
    return RefreshResult(
        spec.id,
        Outcome.PUBLISHED,
        meta.version,
        meta.entry_count,
        f"{meta.entry_count} entries (+{len(diff.added)} -{len(diff.removed)} ~{len(diff.changed)})",
        parse_seconds=parsed_at - started,
        publish_seconds=published_at - parsed_at,
        diff=diff,
    )
